//! Executing a query plan: subgraph fetches in sequence / parallel, entity calls
//! with deduplicated representations, merging into one response tree, then
//! projection onto the client's selection set (see [`project`]).
//!
//! A failing subgraph never fails the request: its part of the data stays null
//! and an error with a path and a `SUBGRAPH_*` code explains why.

pub mod collect;
pub mod fetch;
pub mod keys;
pub mod merge;
pub mod one_of_introspection;
pub mod project;
pub mod store;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use apollo_compiler::Schema;
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::error::{ErrorCode, GraphQLError, Location, PathSegment};
use crate::plan::{
    BatchFetch, EntityFetch, Fetch, FlattenSegment, PlanNode, QueryPlan, Rewrite, Selection,
    SubgraphOperation,
};
use crate::validate::ValidOperation;

use self::fetch::{FetchError, SubgraphClient, SubgraphResponse};
use self::keys::EntityKeys;
use self::merge::{
    Positions, Representations, ResponsePath, TypeRelation, Written, apply_rewrites, deep_merge,
    deep_merge_ref, for_each_entity, keep_concrete_typename, names_a_supertype, representation,
    write_representation,
};
use self::project::ProjectionSchema;
use self::store::{Object, Value};

/// A value of a subgraph response: owned when this request is the
/// response's only reader, else borrowed from the response that other
/// requests share (in-flight deduplication), to be merged from by reference.
enum Taken<'r> {
    Owned(Value),
    Shared(&'r Value),
}

/// A subgraph response, its data and errors taken out of the `Arc` when
/// this request holds the only reference.
enum Received {
    Owned(Option<Value>, Vec<JsonValue>),
    Shared(Arc<SubgraphResponse>),
}

impl Received {
    fn new(response: Arc<SubgraphResponse>) -> Received {
        match Arc::try_unwrap(response) {
            Ok(SubgraphResponse { data, errors }) => Received::Owned(data, errors),
            Err(shared) => Received::Shared(shared),
        }
    }

    fn errors(&self) -> &[JsonValue] {
        match self {
            Received::Owned(_, errors) => errors,
            Received::Shared(response) => &response.errors,
        }
    }

    /// The data when it is an object, and the errors.
    fn view(&self) -> (Option<&Object>, &[JsonValue]) {
        let (data, errors) = match self {
            Received::Owned(data, errors) => (data.as_ref(), errors.as_slice()),
            Received::Shared(response) => (response.data.as_ref(), response.errors.as_slice()),
        };
        (data.and_then(Value::as_object), errors)
    }

    /// The whole data.
    fn data(&mut self) -> Option<Taken<'_>> {
        match self {
            Received::Owned(data, _) => data.take().map(Taken::Owned),
            Received::Shared(response) => response.data.as_ref().map(Taken::Shared),
        }
    }

    /// The data's top-level field `key` (moved out when owned).
    fn field(&mut self, key: &str) -> Option<Taken<'_>> {
        match self {
            Received::Owned(Some(Value::Object(data)), _) => data.remove(key).map(Taken::Owned),
            Received::Owned(..) => None,
            Received::Shared(response) => match &response.data {
                Some(Value::Object(data)) => data.get(key).map(Taken::Shared),
                _ => None,
            },
        }
    }
}

/// Errors internal to execution; they surface to clients as GraphQL errors.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("subgraph {subgraph:?} returned an invalid response: {reason}")]
    Shape { subgraph: String, reason: String },
}

/// The outcome of executing one operation.
#[derive(Debug)]
pub struct ExecutionResult {
    /// The response `data` as a serialized JSON object; `None` means `"data": null`.
    pub data: Option<Vec<u8>>,
    pub errors: Vec<GraphQLError>,
}

/// Subtyping from the supergraph schema, used for type conditions in plans.
pub struct SupergraphTypes<'a>(pub &'a Valid<Schema>);

impl TypeRelation for SupergraphTypes<'_> {
    fn is_a(&self, type_condition: &str, typename: &str) -> bool {
        type_condition == typename || self.0.is_subtype(type_condition, typename)
    }
}

/// Everything execution needs that lives as long as the supergraph.
pub struct Executor<'a> {
    pub client: &'a SubgraphClient,
    pub supergraph: &'a Valid<Schema>,
    pub api: ProjectionSchema<'a>,
    pub introspection: bool,
    /// Client headers every subgraph request carries.
    pub headers: &'a [(http::HeaderName, http::HeaderValue)],
    /// Entity keys per subgraph: representations without a usable key are not sent.
    pub keys: &'a EntityKeys,
    /// Fields the caller may not select (by node address): projected as null.
    pub denied: Option<&'a std::collections::HashSet<usize>>,
}

struct Run<'a> {
    client: &'a SubgraphClient,
    keys: &'a EntityKeys,
    headers: &'a [(http::HeaderName, http::HeaderValue)],
    types: SupergraphTypes<'a>,
    variables: &'a JsonMap,
    shareable: bool,
    /// A mutation: root fetches (the mutation fields) run strictly in order.
    is_mutation: bool,
    data: Mutex<Value>,
    errors: Mutex<Vec<GraphQLError>>,
    /// Response paths already explained by a subgraph error: nulls found under them
    /// during projection are not reported a second time.
    explained: Mutex<Vec<ResponsePath>>,
}

/// Writes a subgraph request body: `{"query": .., "variables": {..}}` from the
/// operation's precomputed prefix, with the `extra` variables (serialized
/// representation lists, copied verbatim) first, then the client variables the
/// operation uses.
fn write_request_body(
    operation: &SubgraphOperation,
    client: &JsonMap,
    extra: &[(&str, &Representations)],
) -> Vec<u8> {
    let extra_len: usize = extra
        .iter()
        .map(|(_, reprs)| reprs.text_len() + reprs.len() + 2)
        .sum();
    let mut out = Vec::with_capacity(operation.body_prefix.len() + extra_len + 32);
    out.extend_from_slice(operation.body_prefix.as_bytes());
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, name: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        write_json(out, name);
        out.push(b':');
    };
    for (name, reprs) in extra {
        key(&mut out, name);
        out.push(b'[');
        for (i, repr) in reprs.unique().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(repr.as_bytes());
        }
        out.push(b']');
    }
    for name in &operation.variable_usages {
        if let Some(value) = client.get(name.as_str()) {
            key(&mut out, name);
            write_json(&mut out, value);
        }
    }
    out.extend_from_slice(b"}}");
    out
}

/// Appends `value` as JSON (our own values always serialize).
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Executor<'_> {
    /// Runs `plan` (if any) and projects the result onto `operation`.
    pub async fn execute(
        &self,
        plan: Option<&QueryPlan>,
        operation: &ValidOperation,
    ) -> ExecutionResult {
        let run = Run {
            client: self.client,
            keys: self.keys,
            headers: self.headers,
            types: SupergraphTypes(self.supergraph),
            variables: &operation.variables,
            shareable: operation.operation_type.is_query(),
            is_mutation: operation.operation_type.is_mutation(),
            data: Mutex::new(Value::Object(Object::new())),
            errors: Mutex::new(Vec::new()),
            explained: Mutex::new(Vec::new()),
        };
        if let Some(node) = plan.and_then(|p| p.node.as_ref()) {
            run.node(node).await;
        }
        let data = run
            .data
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let mut errors = run
            .errors
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let explained = run
            .explained
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let (data, projection_errors) = project::project_authorized(
            &self.api,
            operation,
            &data,
            self.introspection,
            self.denied,
        );
        errors.extend(projection_errors.into_iter().filter(|error| {
            let Some(path) = &error.path else { return true };
            !explained.iter().any(|prefix| path.starts_with(prefix))
        }));
        ExecutionResult { data, errors }
    }
}

impl<'a> Run<'a> {
    fn node(&'a self, node: &'a PlanNode) -> BoxFuture<'a, ()> {
        async move {
            match node {
                PlanNode::Fetch(fetch) => self.root_fetch(fetch).await,
                PlanNode::Entities(fetch) => self.entity_fetch(fetch).await,
                PlanNode::BatchFetch(batch) => self.batch_fetch(batch).await,
                PlanNode::Sequence { nodes } => {
                    for child in nodes {
                        self.node(child).await;
                    }
                }
                PlanNode::Parallel { nodes } if self.is_mutation => {
                    // The planner may run a mutation field in parallel with the
                    // entity fetches of the previous one. Mutation fields execute
                    // serially, each with its whole selection (spec §6.2.2): finish
                    // the previous field's fetches first, then the mutations in order.
                    let (mutations, others): (Vec<&PlanNode>, Vec<&PlanNode>) =
                        nodes.iter().partition(|n| matches!(n, PlanNode::Fetch(_)));
                    futures::future::join_all(others.into_iter().map(|n| self.node(n))).await;
                    for mutation in mutations {
                        self.node(mutation).await;
                    }
                }
                PlanNode::Parallel { nodes } => {
                    futures::future::join_all(nodes.iter().map(|n| self.node(n))).await;
                }
                PlanNode::Condition(condition) => {
                    let value = self
                        .variables
                        .get(condition.variable.as_str())
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
                    let branch = if value {
                        condition.if_true.as_ref()
                    } else {
                        condition.if_false.as_ref()
                    };
                    if let Some(branch) = branch {
                        self.node(branch).await;
                    }
                }
                PlanNode::Unsupported { what } => {
                    lock(&self.errors).push(GraphQLError::new(
                        format!("{what} is not supported"),
                        ErrorCode::InternalServerError,
                    ));
                }
            }
        }
        .boxed()
    }

    /// The request body for a fetch: its operation, the client variables it uses
    /// and `extra` (serialized representations).
    fn body(&self, operation: &SubgraphOperation, extra: &[(&str, &Representations)]) -> Vec<u8> {
        write_request_body(operation, self.variables, extra)
    }

    async fn call(
        &self,
        subgraph: &str,
        body: Vec<u8>,
    ) -> Result<Arc<SubgraphResponse>, FetchError> {
        tracing::debug!(subgraph, "subgraph fetch");
        self.client
            .fetch(subgraph, body, self.shareable, self.headers)
            .await
    }

    /// Records that `paths` failed because of `error`: one client error (at the
    /// first path) and every path marked as explained.
    fn fail(
        &self,
        subgraph: &str,
        error: &ExecuteError,
        code: ErrorCode,
        paths: Vec<ResponsePath>,
    ) {
        tracing::warn!(subgraph, %error, "subgraph fetch failed");
        let mut client_error = GraphQLError::new(error.to_string(), code)
            .with_extension("serviceName", JsonValue::from(subgraph));
        if let Some(first) = paths.first() {
            client_error = client_error.with_path(first.clone());
        }
        lock(&self.errors).push(client_error);
        lock(&self.explained).extend(paths);
    }

    /// Re-paths a subgraph error with `map` and records it.
    fn subgraph_error(
        &self,
        subgraph: &str,
        raw: &JsonValue,
        map: &dyn Fn(&[PathSegment]) -> Vec<ResponsePath>,
    ) {
        let object = raw.as_object();
        let message = object
            .and_then(|o| o.get("message"))
            .and_then(|m| m.as_str())
            .unwrap_or("subgraph error")
            .to_string();
        let mut extensions = object
            .and_then(|o| o.get("extensions"))
            .and_then(|e| e.as_object())
            .cloned()
            .unwrap_or_default();
        extensions.insert("serviceName", JsonValue::from(subgraph));
        let raw_path: Option<Vec<PathSegment>> = object
            .and_then(|o| o.get("path"))
            .and_then(|p| p.as_array())
            .map(|segments| {
                segments
                    .iter()
                    .filter_map(|s| match s {
                        JsonValue::String(k) => Some(PathSegment::Key(k.as_str().to_string())),
                        JsonValue::Number(n) => n.as_u64().map(|i| PathSegment::Index(i as usize)),
                        _ => None,
                    })
                    .collect()
            });
        let paths = raw_path.as_deref().map(map).unwrap_or_default();
        let mut errors = lock(&self.errors);
        if paths.is_empty() {
            errors.push(GraphQLError {
                message,
                locations: Vec::<Location>::new(),
                path: None,
                extensions,
            });
            return;
        }
        for path in &paths {
            errors.push(GraphQLError {
                message: message.clone(),
                locations: Vec::new(),
                path: Some(path.clone()),
                extensions: extensions.clone(),
            });
        }
        drop(errors);
        lock(&self.explained).extend(paths);
    }

    async fn root_fetch(&self, fetch: &Fetch) {
        let subgraph = fetch.operation.service_name.as_str();
        let root_keys = || -> Vec<ResponsePath> {
            fetch
                .root_keys
                .iter()
                .map(|key| vec![PathSegment::Key(key.clone())])
                .collect()
        };
        let body = self.body(&fetch.operation, &[]);
        let response = match self.call(subgraph, body).await {
            Ok(response) => response,
            Err(error) => {
                let code = error.code();
                self.fail(subgraph, &ExecuteError::Fetch(error), code, root_keys());
                return;
            }
        };
        // Owned unless another request shares this response (deduplication):
        // then merged by reference, cloning only what the tree lacks.
        let mut received = Received::new(response);
        for raw in received.errors() {
            self.subgraph_error(subgraph, raw, &|path| vec![path.to_vec()]);
        }
        let no_errors = received.errors().is_empty();
        match received.data() {
            Some(Taken::Shared(data)) if fetch.output_rewrites.is_empty() => {
                deep_merge_ref(&mut lock(&self.data), data);
            }
            Some(data) => {
                let mut data = match data {
                    Taken::Owned(data) => data,
                    Taken::Shared(data) => data.clone(),
                };
                if !fetch.output_rewrites.is_empty() {
                    apply_rewrites(&mut data, &fetch.output_rewrites, &self.types);
                }
                deep_merge(&mut lock(&self.data), data);
            }
            None if no_errors => {
                let error = ExecuteError::Shape {
                    subgraph: subgraph.to_string(),
                    reason: "no data".into(),
                };
                self.fail(
                    subgraph,
                    &error,
                    ErrorCode::SubgraphInvalidResponse,
                    root_keys(),
                );
            }
            None => lock(&self.explained).extend(root_keys()),
        }
    }

    /// Representations for the entities at `paths` under `requires`.
    fn representations(
        &self,
        subgraph: &str,
        paths: &[&[FlattenSegment]],
        requires: &[Selection],
        input_rewrites: &[Rewrite],
    ) -> Representations {
        let mut data = lock(&self.data);
        let mut reprs = Representations::default();
        let mut buffer = Vec::new();
        let mut top = Vec::new();
        let mut positions = Positions::default();
        for path in paths {
            for_each_entity(
                &mut data,
                path,
                &self.types,
                &mut positions,
                &mut |entity| {
                    if input_rewrites.is_empty() {
                        // Straight to bytes unless a key repeats (values to merge).
                        buffer.clear();
                        top.clear();
                        match write_representation(
                            entity,
                            requires,
                            &self.types,
                            &mut buffer,
                            &mut top,
                        ) {
                            Written::NotApplicable => return reprs.push_serialized(None),
                            Written::Done => {
                                let typename = top
                                    .iter()
                                    .any(|(k, _)| *k == "__typename")
                                    .then(|| {
                                        entity
                                            .as_object()
                                            .and_then(|o| merge::lookup(o, "__typename"))
                                            .and_then(|t| t.as_str())
                                    })
                                    .flatten();
                                let usable =
                                    self.keys.has_usable_key(subgraph, typename, |field| {
                                        top.iter().any(|(k, non_null)| *k == field && *non_null)
                                    });
                                let serialized = std::str::from_utf8(&buffer).ok();
                                return reprs.push_serialized(serialized.filter(|_| usable));
                            }
                            Written::NeedsMerge => {}
                        }
                    }
                    let repr = representation(entity, requires, &self.types)
                        .map(|mut repr| {
                            apply_rewrites(&mut repr, input_rewrites, &self.types);
                            repr
                        })
                        .filter(|repr| self.keys.is_resolvable(subgraph, repr));
                    reprs.push(repr.as_ref());
                },
            );
        }
        reprs.positions = positions;
        reprs
    }

    /// The response path of every entity sent with `reprs` (from the positions
    /// its representations recorded), with its representation's index. Only
    /// needed to report errors.
    fn entity_paths(&self, reprs: &Representations) -> Vec<(ResponsePath, usize)> {
        let data = lock(&self.data);
        reprs
            .positions
            .paths(&data)
            .into_iter()
            .zip(&reprs.slots)
            .filter_map(|(path, slot)| Some((path?, (*slot)?)))
            .collect()
    }

    /// Merges `_entities` results into the entities they answer (found again by
    /// the positions the representations recorded). An owned result is moved
    /// into its last entity; a result of a shared response, or one several
    /// entities use, is merged by reference (only what the entity lacks is
    /// cloned), unless rewrites or a supertype's `__typename` must change it
    /// first.
    fn merge_entities(
        &self,
        subgraph: &str,
        reprs: &Representations,
        results: Option<Taken<'_>>,
        output_rewrites: &[Rewrite],
    ) -> Result<(), ExecuteError> {
        let Some(results) = results else {
            return Ok(());
        };
        let shape = |reason: &str| ExecuteError::Shape {
            subgraph: subgraph.to_string(),
            reason: reason.to_string(),
        };
        let (mut owned, shared) = match results {
            Taken::Owned(Value::Array(results)) => (results, None),
            Taken::Shared(Value::Array(results)) => (Vec::new(), Some(results.as_slice())),
            _ => return Err(shape("_entities is not a list")),
        };
        let count = shared.map_or(owned.len(), <[Value]>::len);
        if count != reprs.len() {
            return Err(shape("_entities has the wrong number of entities"));
        }
        let mut remaining = reprs.uses();
        let mut data = lock(&self.data);
        // The entities the representations came from, found again by position.
        let missing = reprs
            .positions
            .for_each_mut(&mut data, &mut |ordinal, entity| {
                let Some(Some(index)) = reprs.slots.get(ordinal) else {
                    return;
                };
                let Some(count) = remaining.get_mut(*index) else {
                    return;
                };
                *count -= 1;
                let last = *count == 0;
                let Some(slot) = shared
                    .unwrap_or(&owned)
                    .get(*index)
                    .filter(|slot| slot.is_object())
                else {
                    return;
                };
                let by_reference =
                    output_rewrites.is_empty() && !names_a_supertype(entity, slot, &self.types);
                if by_reference && (shared.is_some() || !last) {
                    deep_merge_ref(entity, slot);
                    return;
                }
                let mut result = match owned.get_mut(*index) {
                    Some(slot) if last && shared.is_none() => std::mem::replace(slot, Value::Null),
                    _ => match shared.unwrap_or(&owned).get(*index) {
                        Some(slot) => slot.clone(),
                        None => return,
                    },
                };
                if !output_rewrites.is_empty() {
                    apply_rewrites(&mut result, output_rewrites, &self.types);
                }
                keep_concrete_typename(entity, &mut result, &self.types);
                deep_merge(entity, result);
            });
        // Lists are never replaced (see `deep_merge`), so every entity should
        // still be where it was; say so if one is not rather than stay silent.
        if missing > 0 {
            return Err(shape(
                "the entities under this fetch's path changed while it ran",
            ));
        }
        Ok(())
    }

    /// Maps an `_entities`-relative error path (`[root, i, rest..]`) to response
    /// paths. Some subgraphs (async-graphql 7) drop the index (`[root, rest..]`):
    /// such errors are attributed to the entities that came back null.
    fn entity_error_paths(
        entities: &[(ResponsePath, usize)],
        results: Option<&Value>,
        path: &[PathSegment],
    ) -> Vec<ResponsePath> {
        let extend = |base: &ResponsePath, rest: &[PathSegment]| {
            let mut full = base.clone();
            full.extend_from_slice(rest);
            full
        };
        match path {
            [PathSegment::Key(_), PathSegment::Index(i), rest @ ..] => entities
                .iter()
                .filter(|(_, index)| index == i)
                .map(|(p, _)| extend(p, rest))
                .collect(),
            [PathSegment::Key(_), rest @ ..] => {
                let Some(results) = results.and_then(|r| r.as_array()) else {
                    return Vec::new();
                };
                entities
                    .iter()
                    .filter(|(_, i)| results.get(*i).is_none_or(|r| !r.is_object()))
                    .map(|(p, _)| extend(p, rest))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    async fn entity_fetch(&self, fetch: &EntityFetch) {
        let subgraph = fetch.operation.service_name.as_str();
        let reprs = self.representations(
            subgraph,
            &[&fetch.path],
            &fetch.requires,
            &fetch.input_rewrites,
        );
        if reprs.is_empty() {
            return;
        }
        let body = self.body(&fetch.operation, &[("representations", &reprs)]);
        let all_paths = || {
            self.entity_paths(&reprs)
                .into_iter()
                .map(|(p, _)| p)
                .collect::<Vec<_>>()
        };
        let response = match self.call(subgraph, body).await {
            Ok(response) => response,
            Err(error) => {
                let code = error.code();
                self.fail(subgraph, &ExecuteError::Fetch(error), code, all_paths());
                return;
            }
        };
        let mut received = Received::new(response);
        let (data, errors) = received.view();
        let results = data.and_then(|data| data.get("_entities"));
        if !errors.is_empty() {
            let entities = self.entity_paths(&reprs);
            for raw in errors {
                self.subgraph_error(subgraph, raw, &|p| {
                    Self::entity_error_paths(&entities, results, p)
                });
            }
        }
        if results.is_none() && errors.is_empty() {
            let error = ExecuteError::Shape {
                subgraph: subgraph.to_string(),
                reason: "no _entities in data".into(),
            };
            self.fail(
                subgraph,
                &error,
                ErrorCode::SubgraphInvalidResponse,
                all_paths(),
            );
            return;
        }
        if results.is_none() {
            lock(&self.explained).extend(all_paths());
        }
        let results = received.field("_entities");
        if let Err(error) = self.merge_entities(subgraph, &reprs, results, &fetch.output_rewrites) {
            self.fail(
                subgraph,
                &error,
                ErrorCode::SubgraphInvalidResponse,
                all_paths(),
            );
        }
    }

    async fn batch_fetch(&self, batch: &BatchFetch) {
        let subgraph = batch.operation.service_name.as_str();
        let mut per_alias = Vec::new();
        for alias in &batch.aliases {
            let paths: Vec<&[FlattenSegment]> = alias.paths.iter().map(|p| p.as_slice()).collect();
            let reprs =
                self.representations(subgraph, &paths, &alias.requires, &alias.input_rewrites);
            per_alias.push((alias, reprs));
        }
        if per_alias.iter().all(|(_, r)| r.is_empty()) {
            return;
        }
        let extra: Vec<(&str, &Representations)> = per_alias
            .iter()
            .map(|(alias, reprs)| (alias.representations_variable.as_str(), reprs))
            .collect();
        let all_paths = || {
            per_alias
                .iter()
                .flat_map(|(_, reprs)| self.entity_paths(reprs))
                .map(|(p, _)| p)
                .collect::<Vec<_>>()
        };
        let body = self.body(&batch.operation, &extra);
        let response = match self.call(subgraph, body).await {
            Ok(response) => response,
            Err(error) => {
                let code = error.code();
                self.fail(subgraph, &ExecuteError::Fetch(error), code, all_paths());
                return;
            }
        };
        drop(extra);
        let mut received = Received::new(response);
        let (data, errors) = received.view();
        if !errors.is_empty() {
            let entities: Vec<Vec<(ResponsePath, usize)>> = per_alias
                .iter()
                .map(|(_, reprs)| self.entity_paths(reprs))
                .collect();
            for raw in errors {
                self.subgraph_error(subgraph, raw, &|p| match p.first() {
                    Some(PathSegment::Key(key)) => per_alias
                        .iter()
                        .zip(&entities)
                        .find(|((alias, _), _)| alias.alias == *key)
                        .map(|(_, entities)| {
                            Self::entity_error_paths(
                                entities,
                                data.and_then(|d| d.get(key.as_str())),
                                p,
                            )
                        })
                        .unwrap_or_default(),
                    _ => Vec::new(),
                });
            }
        }
        if data.is_none() {
            if errors.is_empty() {
                let error = ExecuteError::Shape {
                    subgraph: subgraph.to_string(),
                    reason: "no data".into(),
                };
                self.fail(
                    subgraph,
                    &error,
                    ErrorCode::SubgraphInvalidResponse,
                    all_paths(),
                );
            } else {
                lock(&self.explained).extend(all_paths());
            }
            return;
        }
        for (alias, reprs) in &per_alias {
            if reprs.is_empty() {
                continue;
            }
            let results = received.field(alias.alias.as_str());
            if let Err(error) =
                self.merge_entities(subgraph, reprs, results, &alias.output_rewrites)
            {
                let paths = self
                    .entity_paths(reprs)
                    .into_iter()
                    .map(|(p, _)| p)
                    .collect();
                self.fail(subgraph, &error, ErrorCode::SubgraphInvalidResponse, paths);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PathSegment {
        PathSegment::Key(k.into())
    }

    #[test]
    fn entity_error_paths_follow_the_representation_index() {
        let entities = vec![
            (vec![key("a"), PathSegment::Index(0)], 0),
            (vec![key("a"), PathSegment::Index(1)], 1),
            (vec![key("b")], 1),
        ];
        let paths = Run::entity_error_paths(
            &entities,
            None,
            &[key("_entities"), PathSegment::Index(1), key("name")],
        );
        assert_eq!(
            paths,
            vec![
                vec![key("a"), PathSegment::Index(1), key("name")],
                vec![key("b"), key("name")]
            ]
        );
        // Without an index, errors go to the entities that came back null.
        let results: Value =
            serde_json::from_value(serde_json::json!([{"name": "x"}, null])).unwrap_or(Value::Null);
        let paths =
            Run::entity_error_paths(&entities, Some(&results), &[key("_entities"), key("name")]);
        assert_eq!(
            paths,
            vec![
                vec![key("a"), PathSegment::Index(1), key("name")],
                vec![key("b"), key("name")]
            ]
        );
        assert!(Run::entity_error_paths(&entities, None, &[]).is_empty());
    }

    #[test]
    fn request_bodies_carry_representations_verbatim_and_used_variables() {
        let client: JsonMap =
            serde_json::from_value(serde_json::json!({"first": 2, "unused": "x", "q": "a\"b"}))
                .unwrap_or_default();
        let operation = SubgraphOperation::new(
            "a".into(),
            "query($first:Int){x}".into(),
            vec!["absent".into(), "first".into(), "q".into()],
        );
        let mut reprs = Representations::default();
        reprs.push_serialized(Some(r#"{"__typename":"User","id":"1"}"#));
        reprs.push_serialized(None);
        reprs.push_serialized(Some(r#"{"__typename":"User","id":"1"}"#));
        let body = write_request_body(
            &operation,
            &client,
            &[
                ("representations", &reprs),
                ("empty", &Representations::default()),
            ],
        );
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(
            parsed,
            serde_json::json!({
                "query": "query($first:Int){x}",
                "variables": {
                    "representations": [{"__typename": "User", "id": "1"}],
                    "empty": [],
                    "first": 2,
                    "q": "a\"b"
                }
            })
        );
        let bare = write_request_body(
            &SubgraphOperation::new("a".into(), "{x}".into(), Vec::new()),
            &client,
            &[],
        );
        assert_eq!(bare, br#"{"query":"{x}","variables":{}}"#);
    }
}
