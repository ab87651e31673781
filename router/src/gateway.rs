//! The request pipeline, independent of HTTP: parse → validate → plan → execute.
//!
//! A [`Gateway`] is built once per supergraph and shared by all requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use apollo_compiler::Schema;
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use tessera_schema::{ApiSchemaError, Supergraph, SupergraphError};

use crate::auth::Claims;
use crate::auth::directives::{AuthorizationModel, Caller, Decision};
use crate::auth::jwt::{Authenticator, JwtConfigError};
use crate::config::{DemandControlMode, RouterConfig};
use crate::cost::CostModel;
use crate::error::{ErrorCode, GraphQLError, RequestError};
use crate::execute::Executor;
use crate::execute::fetch::SubgraphClient;
use crate::execute::keys::EntityKeys;
use crate::execute::project::ProjectionTypes;
use crate::metrics::Metrics;
use crate::persisted::{Manifest, PersistedMode};
use crate::plan::{PlanError, QueryPlanner};
use crate::rate_limit::RateLimiter;
use crate::redis_store::{Purpose, RedisStore};
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
    #[error("authentication.jwt: {0}")]
    Jwt(#[from] JwtConfigError),
    #[error(transparent)]
    Manifest(#[from] crate::persisted::ManifestError),
    #[error("invalid redis.url: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("rate_limit.fields: {0:?} is not `Type.field`")]
    FieldLimit(String),
    #[error("persisted_documents.mode safelist/log_unknown needs persisted_documents.manifest")]
    ManifestMissing,
    #[error("static_files: {0}")]
    StaticFiles(String),
}

/// A GraphQL request, whichever way it came in.
#[derive(Debug, Clone, Default)]
pub struct GraphQLRequest {
    pub query: Option<String>,
    /// A trusted document's id (top-level `documentId`).
    pub document_id: Option<String>,
    pub operation_name: Option<String>,
    pub variables: JsonMap,
    pub extensions: JsonMap,
}

/// Per-request facts from the transport.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The transport may only run operations without side effects (GraphQL
    /// over HTTP: a GET): a mutation is refused with `METHOD_NOT_ALLOWED`.
    pub read_only: bool,
    /// The client asked for the query plan (`tessera-include-query-plan: true`).
    pub include_plan: bool,
    /// Client headers to pass on to every subgraph request (see
    /// [`crate::config::HeadersConfig`]).
    pub forward_headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// The verified token's claims (`None`: anonymous).
    pub claims: Option<Arc<Claims>>,
    /// Who the rate limits count this request against (`None`: no limits).
    pub client: Option<String>,
}

/// What a response says about `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// The request failed before execution (no `data` key); the code drives
    /// the HTTP status.
    NotExecuted(ErrorCode),
    /// Executed, and a null propagated to the root: `"data": null`.
    Null,
    /// Executed: the JSON object projection wrote, as bytes.
    Object(Vec<u8>),
}

/// A GraphQL response.
#[derive(Debug)]
pub struct GraphQLResponse {
    pub data: Data,
    pub errors: Vec<GraphQLError>,
    pub extensions: JsonMap,
}

impl GraphQLResponse {
    pub fn from_request_error(error: RequestError) -> Self {
        GraphQLResponse {
            data: Data::NotExecuted(error.code),
            errors: error.errors,
            extensions: JsonMap::new(),
        }
    }

    /// The code of a request that failed before execution.
    pub fn request_error(&self) -> Option<ErrorCode> {
        match self.data {
            Data::NotExecuted(code) => Some(code),
            _ => None,
        }
    }

    /// The response body (`errors` first, spec §7.1 note). `data` is copied as
    /// projection wrote it, never re-serialized.
    pub fn to_bytes(&self) -> Vec<u8> {
        let data_len = match &self.data {
            Data::Object(data) => data.len(),
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
        match &self.data {
            Data::NotExecuted(_) => {}
            Data::Null => {
                key(&mut body, "data");
                body.extend_from_slice(b"null");
            }
            Data::Object(data) => {
                key(&mut body, "data");
                body.extend_from_slice(data);
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
    projection: ProjectionTypes,
    planner: QueryPlanner,
    /// Validated documents by (query, operation name): parsing and validating
    /// cost more than planning a cached operation, so repeats skip both.
    operations: moka::future::Cache<(String, Option<String>), Arc<PreparedOperation>>,
    client: SubgraphClient,
    keys: EntityKeys,
    /// Demand control (`None` when off).
    cost: Option<CostModel>,
    /// JWT verification (`None` when not configured).
    authenticator: Option<Authenticator>,
    /// The supergraph's auth directives (`None`: none used, or enforcement off).
    authorization: Option<AuthorizationModel>,
    /// Trusted documents (`None`: no manifest configured).
    manifest: Option<Manifest>,
    /// APQ registrations (`None`: APQ off).
    apq: Option<moka::future::Cache<String, Arc<str>>>,
    /// Shared caches and counters (`None`: no `redis.url`).
    redis: Option<RedisStore>,
    /// Per-client request limit (`None`: off).
    rate_limiter: Option<RateLimiter>,
    /// Per-client limits on root fields: (root type, field, limiter).
    field_limiters: Vec<(String, String, RateLimiter)>,
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
    "https://specs.apollo.dev/authenticated",
    "https://specs.apollo.dev/requiresScopes",
    "https://specs.apollo.dev/policy",
    "https://specs.apollo.dev/cost",
    // Contextual arguments: plans that would fetch such a field are refused
    // (`plan::check`), never executed without their arguments.
    "https://specs.apollo.dev/context",
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
        let api_schema = crate::execute::one_of_introspection::serving_schema(&api_schema);
        let projection = ProjectionTypes::new(&api_schema);
        let metrics = Arc::new(Metrics::default());
        let redis = RedisStore::new(&config.redis, metrics.clone())?;
        let rate_limiter = config
            .rate_limit
            .enabled
            .then(|| RateLimiter::new(config.rate_limit.clone(), redis.clone()));
        let mut field_limiters = Vec::new();
        for (path, limit) in &config.rate_limit.fields {
            let Some((type_name, field)) = path.split_once('.') else {
                return Err(GatewayError::FieldLimit(path.clone()));
            };
            let limited = crate::rate_limit::RateLimitConfig {
                enabled: true,
                requests: limit.requests,
                window_secs: limit.window_secs,
                ..config.rate_limit.clone()
            };
            field_limiters.push((
                type_name.to_owned(),
                field.to_owned(),
                RateLimiter::scoped(path, limited, redis.clone()),
            ));
        }
        let planner = QueryPlanner::new(supergraph.sdl(), &config.planner)?
            .with_metrics(metrics.clone())
            .with_shared_cache(
                redis.clone(),
                std::time::Duration::from_secs(config.planner.shared_ttl_secs),
            );
        let client = SubgraphClient::for_workers(
            supergraph
                .subgraphs()
                .iter()
                .map(|s| (s.name.clone(), s.url.clone())),
            &config.subgraphs,
            config.workers.threads().unwrap_or(1),
        )?
        .with_metrics(&metrics);
        let keys = EntityKeys::new(&supergraph);
        let authenticator = match &config.authentication.jwt {
            Some(jwt) => Some(Authenticator::new(jwt.clone())?),
            None => None,
        };
        let authorization = if config.authorization.enabled {
            AuthorizationModel::new(&supergraph).filter(|model| !model.is_empty())
        } else {
            None
        };
        if authorization.is_some() && authenticator.is_none() {
            tracing::warn!(
                "the supergraph uses @authenticated/@requiresScopes/@policy but authentication.jwt is not configured: every caller is anonymous to the router, so those fields are never served"
            );
        }
        if let Some(model) = &authorization {
            for policy in model.policies() {
                if !config.authorization.policies.contains_key(policy) {
                    tracing::warn!(%policy, "the supergraph uses a @policy with no rule in authorization.policies; it is never granted");
                }
            }
        }
        if config.persisted_documents.mode != PersistedMode::AllowAny
            && config.persisted_documents.manifest.is_none()
        {
            return Err(GatewayError::ManifestMissing);
        }
        crate::http::check_static_files(&config.static_files).map_err(GatewayError::StaticFiles)?;
        let manifest = match &config.persisted_documents.manifest {
            Some(path) => {
                let manifest = Manifest::load(path)?;
                tracing::info!(documents = manifest.len(), path = %path.display(), mode = ?config.persisted_documents.mode, "trusted documents loaded");
                Some(manifest)
            }
            None => None,
        };
        // Bounded in count and in size: each entry weighs its text in KiB, at
        // most 16 KiB per entry on average.
        let apq = config.apq.enabled.then(|| {
            moka::future::Cache::builder()
                .weigher(|_: &String, document: &Arc<str>| {
                    u32::try_from(document.len() / 1024 + 1).unwrap_or(u32::MAX)
                })
                .max_capacity(config.apq.cache_size.saturating_mul(16))
                .time_to_live(config.apq.ttl())
                .build()
        });
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
            authenticator,
            authorization,
            manifest,
            apq,
            redis,
            rate_limiter,
            field_limiters,
            operations,
            config,
            supergraph,
            api_schema,
            api_sdl,
            projection,
            planner,
            client,
            metrics,
            ready: AtomicBool::new(true),
        })
    }

    /// The router's metrics (served at `/metrics`).
    /// Answers subgraph calls from recorded responses instead of HTTP (see
    /// [`SubgraphClient::replaying`]); for the benchmarks.
    #[doc(hidden)]
    pub fn replaying(mut self, recorded: Vec<(String, Vec<u8>, Vec<u8>)>) -> Self {
        self.client = self.client.replaying(recorded);
        self
    }

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

    /// Fetches what start-up needs from the network (JWKS URLs), so the first
    /// requests do not wait for it.
    pub async fn warm_up(&self) {
        if let Some(authenticator) = &self.authenticator {
            authenticator.warm_up().await;
        }
    }

    /// The caller's verified claims: `None` when anonymous (or when no JWT
    /// authentication is configured), `UNAUTHENTICATED` for a token that does
    /// not verify or a missing one where one is required.
    pub async fn authenticate(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<Option<Arc<Claims>>, RequestError> {
        let Some(authenticator) = &self.authenticator else {
            return Ok(None);
        };
        match authenticator.authenticate(headers).await {
            Ok(claims) => Ok(claims.map(Arc::new)),
            Err(error) => Err(RequestError::new(
                ErrorCode::Unauthenticated,
                error.to_string(),
            )),
        }
    }

    /// Counts the request against its client's rate limit: `RATE_LIMITED`
    /// (429, with `extensions.retryAfter` in seconds) once it is used up.
    pub async fn rate_limit(
        &self,
        headers: &http::HeaderMap,
        claims: Option<&Claims>,
        peer: Option<std::net::SocketAddr>,
    ) -> Result<Option<String>, RequestError> {
        if self.rate_limiter.is_none() && self.field_limiters.is_empty() {
            return Ok(None);
        }
        let client = self.config.rate_limit.key.of(headers, claims, peer);
        if let Some(limiter) = &self.rate_limiter {
            limiter
                .check(&client)
                .await
                .map_err(|limited| self.rate_limited(limited, "too many requests".into()))?;
        }
        Ok(Some(client))
    }

    fn rate_limited(&self, limited: crate::rate_limit::Limited, what: String) -> RequestError {
        self.metrics.rate_limited();
        let mut error = RequestError::new(
            ErrorCode::RateLimited,
            format!("{what}; retry in {} s", limited.retry_after_secs),
        );
        for e in &mut error.errors {
            e.extensions
                .insert("retryAfter", JsonValue::from(limited.retry_after_secs));
        }
        error
    }

    /// `rate_limit.fields`: counts each limited root field the operation
    /// selects (every alias) against the client's limit for it.
    async fn limit_fields(
        &self,
        operation: &ValidOperation,
        ctx: &RequestContext,
    ) -> Result<(), RequestError> {
        let (Some(client), Some(selected)) = (&ctx.client, operation.operation()) else {
            return Ok(());
        };
        let root = selected.object_type().as_str();
        for (type_name, field, limiter) in &self.field_limiters {
            if type_name != root {
                continue;
            }
            let n = count_root_field(
                &operation.document,
                &selected.selection_set,
                field,
                &mut std::collections::HashMap::new(),
            );
            if n == 0 {
                continue;
            }
            limiter.check_n(client, n).await.map_err(|limited| {
                self.rate_limited(limited, format!("too many `{type_name}.{field}` calls"))
            })?;
        }
        Ok(())
    }

    /// Puts the verified claims in `authentication.jwt.forward_claims_header`
    /// (dropping any client-sent header of that name first).
    pub fn forward_claims(
        &self,
        headers: &mut Vec<(http::HeaderName, http::HeaderValue)>,
        claims: Option<&Claims>,
    ) {
        let Some(name) = self.authenticator.as_ref().and_then(|a| a.claims_header()) else {
            return;
        };
        headers.retain(|(header, _)| header != name);
        if let Some(value) = claims.and_then(crate::auth::claims_header_value) {
            headers.push((name.clone(), value));
        }
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
        if let Err(error) = self.limit_fields(&operation, &ctx).await {
            return GraphQLResponse::from_request_error(error);
        }
        let decision = match self.authorize(&operation, &ctx) {
            Ok(decision) => decision,
            Err(error) => return GraphQLResponse::from_request_error(error),
        };
        let mut response = self.run(operation, &ctx, decision).await;
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

    /// What the auth directives deny this caller in this operation (`None`:
    /// nothing); the whole request fails in `reject_unauthorized` mode.
    fn authorize(
        &self,
        operation: &ValidOperation,
        ctx: &RequestContext,
    ) -> Result<Option<Decision>, RequestError> {
        let (Some(model), Some(selected)) = (&self.authorization, operation.operation()) else {
            return Ok(None);
        };
        let caller = Caller::new(ctx.claims.as_deref(), &self.config.authorization);
        let decision = model.decide(
            self.supergraph.schema(),
            &operation.document,
            selected,
            &caller,
        );
        if decision.is_empty() {
            return Ok(None);
        }
        if self.config.authorization.reject_unauthorized {
            return Err(RequestError::with_errors(
                ErrorCode::UnauthorizedFieldOrType,
                decision.errors,
            ));
        }
        Ok(Some(decision))
    }

    /// The document a request runs: its `query`, a trusted document by id,
    /// or an APQ registration by hash; checked against the safelist, and
    /// registered when it comes with an APQ hash.
    /// Returns the document and, when it came with an APQ hash to register,
    /// that hash: registered by [`Gateway::prepare`] only once the document
    /// proved valid, so nothing else is ever stored.
    async fn document(
        &self,
        request: &GraphQLRequest,
    ) -> Result<(Arc<str>, Option<String>), RequestError> {
        let invalid = |message: &str| RequestError::new(ErrorCode::InvalidRequest, message);
        let hash = crate::persisted::requested_hash(&request.extensions).map_err(invalid)?;
        let mode = self.config.persisted_documents.mode;
        let safelist = mode == PersistedMode::Safelist && self.manifest.is_some();
        let not_in_list = || {
            RequestError::new(
                ErrorCode::PersistedQueryNotInList,
                "this operation is not in the router's list of trusted documents",
            )
        };
        if let Some(query) = &request.query {
            if let Some(hash) = &hash
                && !crate::persisted::sha256_hex(query).eq_ignore_ascii_case(hash)
            {
                return Err(RequestError::new(
                    ErrorCode::PersistedQueryHashMismatch,
                    "the query does not hash to `extensions.persistedQuery.sha256Hash`",
                ));
            }
            if let Some(manifest) = &self.manifest
                && mode != PersistedMode::AllowAny
                && !manifest.contains_text(query)
            {
                if safelist {
                    return Err(not_in_list());
                }
                tracing::warn!(operation = ?request.operation_name, "a document not in the trusted manifest ran");
                self.metrics.unknown_document();
            }
            let query: Arc<str> = Arc::from(query.as_str());
            let register = match (&self.apq, &hash, safelist) {
                (Some(_), Some(hash), false) => Some(hash.to_ascii_lowercase()),
                _ => None,
            };
            return Ok((query, register));
        }
        let Some(id) = request.document_id.as_ref().or(hash.as_ref()) else {
            return Err(invalid("the request has no `query`"));
        };
        if let Some(document) = self.manifest.as_ref().and_then(|m| m.get(id)) {
            return Ok((Arc::from(document), None));
        }
        if let (Some(apq), Some(hash), false) = (&self.apq, &hash, safelist) {
            if !crate::persisted::is_sha256_hex(hash) {
                return Err(invalid("`sha256Hash` is not a SHA-256 in hex"));
            }
            let hash = hash.to_ascii_lowercase();
            if let Some(document) = apq.get(&hash).await {
                return Ok((document, None));
            }
            // Registered with another router instance sharing this Redis.
            if let Some(redis) = &self.redis
                && let Some(bytes) = redis.get(Purpose::Apq, &hash).await
                && let Ok(text) = String::from_utf8(bytes)
                && crate::persisted::sha256_hex(&text) == hash
            {
                let document: Arc<str> = Arc::from(text);
                apq.insert(hash, document.clone()).await;
                return Ok((document, None));
            }
            return Err(RequestError::new(
                ErrorCode::PersistedQueryNotFound,
                "PersistedQueryNotFound",
            ));
        }
        if self.manifest.is_some() {
            return Err(not_in_list());
        }
        Err(RequestError::new(
            ErrorCode::PersistedQueryNotSupported,
            "persisted queries are not enabled on this router; send the full query",
        ))
    }

    async fn prepare(
        &self,
        request: GraphQLRequest,
        ctx: &RequestContext,
    ) -> Result<ValidOperation, RequestError> {
        let limits = &self.config.limits;
        let (query, register) = self.document(&request).await?;
        let method_not_allowed = || {
            RequestError::new(
                ErrorCode::MethodNotAllowed,
                "mutations are not allowed on this request (GET runs queries only); use POST",
            )
        };
        let key = (query.to_string(), request.operation_name);
        let prepared = match self.operations.get(&key).await {
            Some(prepared) => prepared,
            None => {
                // GraphQL over HTTP §"GET": when {query} and {operationName} select a
                // mutation, GET gets 405 whether or not the document is valid.
                // (The document parsed for that is the one prepared below.)
                let parsed = if ctx.read_only {
                    let document = crate::parse::parse(&key.0, limits)?;
                    if selects_mutation(&document, key.1.as_deref()) {
                        return Err(method_not_allowed());
                    }
                    Some(document)
                } else {
                    None
                };
                // One preparation per operation: identical requests that miss
                // together wait for the first one's instead of each parsing and
                // validating it (errors are not cached: each miss tries again).
                let source = Arc::clone(&query);
                let name = key.1.clone();
                self.operations
                    .try_get_with(key, async move {
                        let document = match parsed {
                            Some(document) => document,
                            None => crate::parse::parse(&source, limits)?,
                        };
                        let prepared = crate::validate::prepare(
                            &self.api_schema,
                            document,
                            name.as_deref(),
                            limits,
                            self.config.introspection,
                        )?;
                        Ok::<_, RequestError>(Arc::new(prepared))
                    })
                    .await
                    .map_err(|shared| RequestError::clone(&shared))?
            }
        };
        if ctx.read_only && prepared.operation_type.is_mutation() {
            return Err(method_not_allowed());
        }
        if let (Some(hash), Some(apq)) = (register, &self.apq)
            && apq.get(&hash).await.is_none()
        {
            if let Some(redis) = &self.redis {
                redis
                    .set(Purpose::Apq, &hash, query.as_bytes(), self.config.apq.ttl())
                    .await;
            }
            apq.insert(hash, query).await;
        }
        Ok(prepared.bind(&self.api_schema, &request.variables)?)
    }

    async fn run(
        &self,
        operation: ValidOperation,
        ctx: &RequestContext,
        decision: Option<Decision>,
    ) -> GraphQLResponse {
        let mut extensions = JsonMap::new();
        // Denied fields are taken out of what the planner sees: no subgraph is
        // asked for them.
        let (planner_source, has_concrete_fields) = match &decision {
            None => (
                operation.planner_source.clone(),
                operation.has_concrete_fields,
            ),
            Some(decision) => crate::validate::planner_source_without(
                &self.api_schema,
                &operation,
                &decision.denied,
            ),
        };
        // Every root field skipped for these variables: nothing to fetch.
        let has_concrete_fields = has_concrete_fields && operation.selects_concrete_root_field();
        let plan = if has_concrete_fields {
            match self
                .planner
                .plan(planner_source, operation.operation_name.clone())
                .await
            {
                Ok(plan) => Some(plan),
                Err(error) => {
                    tracing::error!(%error, "query planning failed");
                    let mut response = GraphQLResponse::from_request_error(RequestError::new(
                        ErrorCode::QueryPlanningFailed,
                        "the router could not plan this operation",
                    ));
                    // Where plans are exposed (a debugging setting), so is why
                    // there is none.
                    if ctx.include_plan && self.config.expose_query_plan {
                        response
                            .extensions
                            .insert("queryPlanError", JsonValue::from(error.to_string()));
                    }
                    return response;
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
            api: self.projection.with(&self.api_schema),
            introspection: self.config.introspection,
            headers: &ctx.forward_headers,
            keys: &self.keys,
            denied: decision.as_ref().map(|d| &d.denied),
        };
        let result = executor.execute(plan.as_deref(), &operation).await;
        let mut errors = decision.map(|d| d.errors).unwrap_or_default();
        errors.extend(result.errors);
        GraphQLResponse {
            data: match result.data {
                Some(object) => Data::Object(object),
                None => Data::Null,
            },
            errors,
            extensions,
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

/// How many times `set` selects the root field `field` (through fragments;
/// `@skip`/`@include` ignored: an upper bound). Each fragment is counted
/// once and reused, so a chain of spreads costs linear time, whatever its
/// depth (a valid document has no cycles).
fn count_root_field(
    document: &apollo_compiler::executable::ExecutableDocument,
    set: &apollo_compiler::executable::SelectionSet,
    field: &str,
    memo: &mut std::collections::HashMap<String, u64>,
) -> u64 {
    use apollo_compiler::executable::Selection;
    let mut total = 0u64;
    for selection in &set.selections {
        let n = match selection {
            Selection::Field(f) => u64::from(f.name == field),
            Selection::InlineFragment(inline) => {
                count_root_field(document, &inline.selection_set, field, memo)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.fragment_name.as_str();
                if let Some(n) = memo.get(name) {
                    *n
                } else {
                    // Guards a cycle (impossible once validated): counted as 0.
                    memo.insert(name.to_owned(), 0);
                    let n = document
                        .fragments
                        .get(&spread.fragment_name)
                        .map_or(0, |f| {
                            count_root_field(document, &f.selection_set, field, memo)
                        });
                    memo.insert(name.to_owned(), n);
                    n
                }
            }
        };
        total = total.saturating_add(n);
    }
    total
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
            data: Data::Object(br#"{"a":1}"#.to_vec()),
            errors: vec![GraphQLError::new("boom", ErrorCode::InternalServerError)],
            extensions: JsonMap::new(),
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
        response.data = Data::Null;
        response.errors.clear();
        assert_eq!(response.to_bytes(), br#"{"data":null}"#);
        response.data = Data::NotExecuted(ErrorCode::InvalidRequest);
        response
            .extensions
            .insert("queryPlan", JsonValue::from("x"));
        assert_eq!(response.to_bytes(), br#"{"extensions":{"queryPlan":"x"}}"#);
    }
}
