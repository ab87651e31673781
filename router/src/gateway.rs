//! The request pipeline, independent of HTTP: parse → validate → plan → execute.
//!
//! A [`Gateway`] is built once per supergraph and shared by all requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use apollo_compiler::collections::HashMap;
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::{Implementers, ObjectType};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use tessera_schema::{ApiSchemaError, Supergraph, SupergraphError};

use crate::config::{DemandControlMode, RouterConfig};
use crate::cost::CostModel;
use crate::error::{ErrorCode, GraphQLError, RequestError};
use crate::execute::Executor;
use crate::execute::fetch::SubgraphClient;
use crate::execute::keys::EntityKeys;
use crate::execute::project::{ProjectionSchema, interface_stand_ins};
use crate::metrics::Metrics;
use crate::plan::{PlanError, QueryPlanner};
use crate::validate::{PreparedOperation, ValidOperation};

/// Why a gateway could not be built from a supergraph and a config.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Supergraph(#[from] SupergraphError),
    #[error(transparent)]
    ApiSchema(#[from] ApiSchemaError),
    #[error(transparent)]
    Planner(#[from] PlanError),
    #[error("cannot build the subgraph HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("config overrides unknown subgraph {0:?}")]
    UnknownSubgraphOverride(String),
}

/// A GraphQL request, whichever way it came in.
#[derive(Debug, Clone, Default)]
pub struct GraphQLRequest {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: JsonMap,
    pub extensions: JsonMap,
}

/// Per-request facts from the transport.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// Came in over GET: mutations are refused.
    pub is_get: bool,
    /// The client asked for the query plan (`tessera-include-query-plan: true`).
    pub include_plan: bool,
    /// Client headers to pass on to every subgraph request (see
    /// [`crate::config::HeadersConfig`]).
    pub forward_headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

/// A GraphQL response. `data: None` + `request_error: Some` means no `data` key.
#[derive(Debug)]
pub struct GraphQLResponse {
    /// Absent (`None`) for request errors; `Some(None)` is `"data": null`;
    /// otherwise the serialized JSON object projection wrote.
    pub data: Option<Option<Vec<u8>>>,
    pub errors: Vec<GraphQLError>,
    pub extensions: JsonMap,
    /// Set when the request failed before execution: drives the HTTP status.
    pub request_error: Option<ErrorCode>,
}

impl GraphQLResponse {
    pub fn from_request_error(error: RequestError) -> Self {
        GraphQLResponse {
            data: None,
            errors: error.errors,
            extensions: JsonMap::new(),
            request_error: Some(error.code),
        }
    }

    /// The response body (`errors` first, spec §7.1 note). `data` is copied as
    /// projection wrote it, never re-serialized.
    pub fn to_bytes(&self) -> Vec<u8> {
        let data_len = match &self.data {
            Some(Some(data)) => data.len(),
            _ => 0,
        };
        let mut body = Vec::with_capacity(data_len + 64);
        body.push(b'{');
        let mut separator = false;
        let mut key = |body: &mut Vec<u8>, name: &str| {
            if separator {
                body.push(b',');
            }
            separator = true;
            body.push(b'"');
            body.extend_from_slice(name.as_bytes());
            body.extend_from_slice(b"\":");
        };
        if !self.errors.is_empty() {
            key(&mut body, "errors");
            if serde_json::to_writer(&mut body, &self.errors).is_err() {
                body.extend_from_slice(b"[]");
            }
        }
        if let Some(data) = &self.data {
            key(&mut body, "data");
            match data {
                Some(data) => body.extend_from_slice(data),
                None => body.extend_from_slice(b"null"),
            }
        }
        if !self.extensions.is_empty() {
            key(&mut body, "extensions");
            if serde_json::to_writer(&mut body, &self.extensions).is_err() {
                body.extend_from_slice(b"{}");
            }
        }
        body.push(b'}');
        body
    }
}

/// The router's state for one supergraph.
pub struct Gateway {
    config: RouterConfig,
    supergraph: Supergraph,
    api_schema: Valid<Schema>,
    api_sdl: String,
    implementers: HashMap<Name, Implementers>,
    stand_ins: HashMap<Name, ObjectType>,
    planner: QueryPlanner,
    /// Validated documents by (query, operation name): parsing and validating
    /// cost more than planning a cached operation, so repeats skip both.
    operations: moka::future::Cache<(String, Option<String>), Arc<PreparedOperation>>,
    client: SubgraphClient,
    keys: EntityKeys,
    /// Demand control (`None` when off).
    cost: Option<CostModel>,
    metrics: Arc<Metrics>,
    /// Cleared when the server starts draining (`/ready` then answers 503).
    ready: AtomicBool,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("subgraphs", &self.supergraph.subgraphs())
            .finish()
    }
}

/// Spec identities this router understands (others with `for: SECURITY/EXECUTION`
/// are logged at startup).
const UNDERSTOOD_FEATURES: &[&str] = &[
    "https://specs.apollo.dev/link",
    "https://specs.apollo.dev/join",
    "https://specs.apollo.dev/inaccessible",
    "https://specs.apollo.dev/tag",
];

impl Gateway {
    /// Loads the supergraph, derives the API schema, builds the planner and the
    /// subgraph client. Fails on anything it cannot serve correctly.
    pub fn new(config: RouterConfig, supergraph_sdl: &str) -> Result<Self, GatewayError> {
        let supergraph = Supergraph::parse(supergraph_sdl)?;
        for feature in supergraph.features_requiring_support(UNDERSTOOD_FEATURES) {
            tracing::warn!(url = %feature.url, "the supergraph links a feature this router does not enforce yet");
        }
        for name in config.subgraphs.overrides.keys() {
            if !supergraph.subgraphs().iter().any(|s| &s.name == name) {
                return Err(GatewayError::UnknownSubgraphOverride(name.clone()));
            }
        }
        let api_schema = tessera_schema::api_schema(&supergraph)?;
        let api_sdl = api_schema.to_string();
        let implementers = api_schema.implementers_map();
        let stand_ins = interface_stand_ins(&api_schema, &implementers);
        let metrics = Arc::new(Metrics::default());
        let planner =
            QueryPlanner::new(supergraph.sdl(), &config.planner)?.with_metrics(metrics.clone());
        let client = SubgraphClient::new(
            supergraph
                .subgraphs()
                .iter()
                .map(|s| (s.name.clone(), s.url.clone())),
            &config.subgraphs,
        )?
        .with_metrics(&metrics);
        let keys = EntityKeys::new(&supergraph);
        let demand = &config.demand_control;
        let cost = (demand.mode != DemandControlMode::Off).then(|| {
            CostModel::new(
                &supergraph,
                demand.list_size,
                demand.slicing_arguments.clone(),
            )
        });
        // Bounded in count (`planner.cache_size`) and in size: each entry weighs its
        // query text in KiB, at most 16 KiB per entry on average.
        let operations = moka::future::Cache::builder()
            .weigher(
                |(query, _): &(String, Option<String>), _: &Arc<PreparedOperation>| {
                    u32::try_from(query.len() / 1024 + 1).unwrap_or(u32::MAX)
                },
            )
            .max_capacity(config.planner.cache_size.saturating_mul(16))
            .build();
        Ok(Gateway {
            keys,
            cost,
            operations,
            config,
            supergraph,
            api_schema,
            api_sdl,
            implementers,
            stand_ins,
            planner,
            client,
            metrics,
            ready: AtomicBool::new(true),
        })
    }

    /// The router's metrics (served at `/metrics`).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Whether the router takes new work (`/ready`).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Marks the router as draining: `/ready` answers 503 from now on, so load
    /// balancers stop sending it requests while in-flight ones finish.
    pub fn begin_draining(&self) {
        self.ready.store(false, Ordering::Relaxed);
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// The API schema as SDL.
    pub fn api_sdl(&self) -> &str {
        &self.api_sdl
    }

    /// The subgraph URLs in use, by name (after config overrides).
    pub fn subgraph_urls(&self) -> Vec<(String, String)> {
        self.supergraph
            .subgraphs()
            .iter()
            .map(|s| {
                let url = self.client.url(&s.name).unwrap_or_default().to_string();
                (s.name.clone(), url)
            })
            .collect()
    }

    /// Runs one request through the pipeline. Never panics on client input.
    pub async fn handle(&self, request: GraphQLRequest, ctx: RequestContext) -> GraphQLResponse {
        let operation = match self.prepare(request, &ctx).await {
            Ok(operation) => operation,
            Err(error) => return GraphQLResponse::from_request_error(error),
        };
        let cost = match self.demand_control(&operation) {
            Ok(cost) => cost,
            Err(error) => return GraphQLResponse::from_request_error(error),
        };
        let mut response = self.run(operation, &ctx).await;
        if let Some(cost) = cost {
            response
                .extensions
                .insert("cost", cost_extension(cost, None));
        }
        response
    }

    /// The operation's estimated cost: an error over the limit in `enforce`
    /// mode, the figure to report in `measure` mode, nothing otherwise.
    fn demand_control(&self, operation: &ValidOperation) -> Result<Option<u64>, RequestError> {
        let (Some(model), Some(selected)) = (&self.cost, operation.operation()) else {
            return Ok(None);
        };
        let estimated = model.estimate(
            self.supergraph.schema(),
            &operation.document,
            selected,
            &operation.variables,
        );
        let config = &self.config.demand_control;
        match config.mode {
            DemandControlMode::Enforce if estimated > config.max_cost => {
                let mut error = RequestError::new(
                    ErrorCode::CostEstimatedTooExpensive,
                    format!(
                        "the operation's estimated cost is {estimated}, more than the limit of {}",
                        config.max_cost
                    ),
                );
                for e in &mut error.errors {
                    e.extensions
                        .insert("cost", cost_extension(estimated, Some(config.max_cost)));
                }
                Err(error)
            }
            DemandControlMode::Measure => Ok(Some(estimated)),
            _ => Ok(None),
        }
    }

    async fn prepare(
        &self,
        request: GraphQLRequest,
        ctx: &RequestContext,
    ) -> Result<ValidOperation, RequestError> {
        let limits = &self.config.limits;
        let Some(query) = request.query else {
            if request.extensions.contains_key("persistedQuery") {
                return Err(RequestError::new(
                    ErrorCode::PersistedQueryNotSupported,
                    "persisted queries are not supported; send the full query",
                ));
            }
            return Err(RequestError::new(
                ErrorCode::InvalidRequest,
                "the request has no `query`",
            ));
        };
        let method_not_allowed = || {
            RequestError::new(
                ErrorCode::MethodNotAllowed,
                "only queries may be sent over GET; use POST for mutations",
            )
        };
        let key = (query, request.operation_name);
        let prepared = match self.operations.get(&key).await {
            Some(prepared) => {
                if ctx.is_get && prepared.operation_type.is_mutation() {
                    return Err(method_not_allowed());
                }
                prepared
            }
            None => {
                let document = crate::parse::parse(&key.0, limits)?;
                // GraphQL over HTTP §"GET": when {query} and {operationName} select a
                // mutation, GET gets 405 whether or not the document is valid.
                if ctx.is_get && selects_mutation(&document, key.1.as_deref()) {
                    return Err(method_not_allowed());
                }
                let prepared = Arc::new(crate::validate::prepare(
                    &self.api_schema,
                    document,
                    key.1.as_deref(),
                    limits,
                    self.config.introspection,
                )?);
                self.operations.insert(key, prepared.clone()).await;
                prepared
            }
        };
        Ok(prepared.bind(&self.api_schema, &request.variables)?)
    }

    async fn run(&self, operation: ValidOperation, ctx: &RequestContext) -> GraphQLResponse {
        let mut extensions = JsonMap::new();
        let plan = if operation.has_concrete_fields {
            match self
                .planner
                .plan(
                    operation.planner_source.clone(),
                    operation.operation_name.clone(),
                )
                .await
            {
                Ok(plan) => Some(plan),
                Err(error) => {
                    tracing::error!(%error, "query planning failed");
                    return GraphQLResponse::from_request_error(RequestError::new(
                        ErrorCode::QueryPlanningFailed,
                        "the router could not plan this operation",
                    ));
                }
            }
        } else {
            None
        };
        if ctx.include_plan && self.config.expose_query_plan {
            let value = match &plan {
                Some(plan) => serde_json::to_value(plan.as_ref())
                    .ok()
                    .and_then(|v| serde_json::from_value::<JsonValue>(v).ok())
                    .unwrap_or(JsonValue::Null),
                None => JsonValue::Null,
            };
            extensions.insert("queryPlan", value);
            if let Some(plan) = &plan {
                extensions.insert("queryPlanText", JsonValue::from(plan.to_string()));
            }
        }
        let executor = Executor {
            client: &self.client,
            supergraph: self.supergraph.schema(),
            api: ProjectionSchema {
                schema: &self.api_schema,
                implementers: &self.implementers,
                stand_ins: &self.stand_ins,
            },
            introspection: self.config.introspection,
            headers: &ctx.forward_headers,
            keys: &self.keys,
        };
        let result = executor.execute(plan.as_deref(), &operation).await;
        GraphQLResponse {
            data: Some(result.data),
            errors: result.errors,
            extensions,
            request_error: None,
        }
    }
}

/// `{"estimated": n}`, with `"max"` when a limit applies.
fn cost_extension(estimated: u64, max: Option<u64>) -> JsonValue {
    let mut map = JsonMap::new();
    map.insert("estimated", JsonValue::from(estimated));
    if let Some(max) = max {
        map.insert("max", JsonValue::from(max));
    }
    JsonValue::Object(map)
}

/// Whether the operation `GetOperation()` (GraphQL spec §6.1) would pick from
/// `document` for `operation_name` is a mutation.
fn selects_mutation(
    document: &apollo_compiler::ast::Document,
    operation_name: Option<&str>,
) -> bool {
    let mut operations = document.definitions.iter().filter_map(|d| match d {
        apollo_compiler::ast::Definition::OperationDefinition(op) => Some(op),
        _ => None,
    });
    let selected = match operation_name {
        Some(name) => operations.find(|op| op.name.as_ref().is_some_and(|n| n.as_str() == name)),
        None => operations.next().filter(|_| operations.next().is_none()),
    };
    selected.is_some_and(|op| op.operation_type == apollo_compiler::ast::OperationType::Mutation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_errors_first_and_data_verbatim() {
        let mut response = GraphQLResponse {
            data: Some(Some(br#"{"a":1}"#.to_vec())),
            errors: vec![GraphQLError::new("boom", ErrorCode::InternalServerError)],
            extensions: JsonMap::new(),
            request_error: None,
        };
        let body = String::from_utf8(response.to_bytes()).expect("utf-8");
        assert!(
            body.starts_with(r#"{"errors":[{"message":"boom""#),
            "{body}"
        );
        assert!(body.ends_with(r#","data":{"a":1}}"#), "{body}");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&response.to_bytes()).expect("json"),
            serde_json::json!({
                "errors": [{"message": "boom", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}],
                "data": {"a": 1}
            })
        );
        response.data = Some(None);
        response.errors.clear();
        assert_eq!(response.to_bytes(), br#"{"data":null}"#);
        response.data = None;
        response
            .extensions
            .insert("queryPlan", JsonValue::from("x"));
        assert_eq!(response.to_bytes(), br#"{"extensions":{"queryPlan":"x"}}"#);
    }
}
