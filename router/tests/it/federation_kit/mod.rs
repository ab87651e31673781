//! A data-driven federation subgraph for the `federation_*` tests.
//!
//! Each subgraph is a real GraphQL server on `127.0.0.1:0`: it validates every
//! incoming operation against its own SDL (per spec, so an unused or undefined
//! variable is rejected, like async-graphql does), coerces variables and executes
//! with apollo-compiler's spec executor over JSON data. Fields resolve from the
//! parent JSON object by name unless the scenario's `resolve` hook answers;
//! `_entities` calls the scenario's `entity` hook per representation. Every
//! request is recorded so tests can assert what the router sent.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub mod data;
pub mod generate;
pub mod oracle;

use apollo_compiler::ast::{self, Definition, DirectiveList};
use apollo_compiler::executable::ExecutableDocument;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Schema, schema::ExtendedType};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A field call the `resolve` hook may answer.
pub struct Call<'a> {
    pub type_name: &'a str,
    pub field: &'a str,
    pub parent: &'a Value,
    pub args: &'a Value,
}

pub type Resolve = Arc<dyn Fn(&Call<'_>) -> Option<Result<Value, String>> + Send + Sync>;
/// `(representation) -> entity` (`null` for "not found"); the entity's
/// `__typename` defaults to the representation's.
pub type Entity = Arc<dyn Fn(&Value) -> Result<Value, String> + Send + Sync>;
/// Rewrites the finished response (e.g. to drop error paths).
pub type ResponseHook = Arc<dyn Fn(&mut Value) + Send + Sync>;

/// One subgraph of a scenario.
pub struct Subgraph {
    pub name: &'static str,
    /// The SDL the subgraph serves (validates and executes against).
    pub sdl: String,
    /// The federation SDL (`@key`, `@link`, `extend type`, …) composed by
    /// [`Scenario::compose`]; `None` for subgraphs of hand-written supergraphs.
    pub federation_sdl: Option<String>,
    /// Entity type names (`_Entity` members); empty: no `_entities` field.
    pub entities: Vec<String>,
    pub query: Value,
    pub mutation: Value,
    pub resolve: Option<Resolve>,
    pub entity: Option<Entity>,
    pub hook: Option<ResponseHook>,
    /// How long every response waits before it is sent (so that concurrent
    /// requests overlap in flight).
    pub delay: std::time::Duration,
}

impl Subgraph {
    pub fn new(name: &'static str, sdl: &str) -> Self {
        Subgraph {
            name,
            sdl: sdl.to_string(),
            federation_sdl: None,
            entities: Vec::new(),
            query: json!({}),
            mutation: json!({}),
            resolve: None,
            entity: None,
            hook: None,
            delay: std::time::Duration::ZERO,
        }
    }
    /// A subgraph described by its federation SDL, as it would answer
    /// `_service { sdl }`: it serves that SDL without federation directives
    /// (extensions of types it does not define become definitions) and its
    /// `_Entity` union holds every object type with `@key` or
    /// `@interfaceObject`. Compose such subgraphs with [`Scenario::compose`].
    pub fn federated(name: &'static str, federation_sdl: &str) -> Self {
        let (sdl, entities) = served_sdl(federation_sdl);
        Subgraph {
            federation_sdl: Some(federation_sdl.to_string()),
            entities,
            ..Subgraph::new(name, &sdl)
        }
    }
    /// The `_entities` resolver (keeps the entity types found in the SDL).
    pub fn entity(
        mut self,
        resolve: impl Fn(&Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.entity = Some(Arc::new(resolve));
        self
    }
    pub fn query(mut self, data: Value) -> Self {
        self.query = data;
        self
    }
    pub fn mutation(mut self, data: Value) -> Self {
        self.mutation = data;
        self
    }
    pub fn entities(
        mut self,
        types: &[&'static str],
        resolve: impl Fn(&Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.entities = types.iter().map(|t| t.to_string()).collect();
        self.entity = Some(Arc::new(resolve));
        self
    }
    pub fn resolve(
        mut self,
        resolve: impl Fn(&Call<'_>) -> Option<Result<Value, String>> + Send + Sync + 'static,
    ) -> Self {
        self.resolve = Some(Arc::new(resolve));
        self
    }
    pub fn hook(mut self, hook: impl Fn(&mut Value) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }
    pub fn delay(mut self, delay: std::time::Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// What a subgraph received: `(query, variables)`.
pub type Requests = Arc<Mutex<Vec<(String, Value)>>>;

/// Numbers every request any subgraph of the process receives, in arrival
/// order: a suite's subgraphs' [`Running::arrivals`] merged by number are the
/// order in which the router reached them.
static ARRIVAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

struct State {
    schema: Valid<Schema>,
    def: Subgraph,
    requests: Requests,
    /// The [`ARRIVAL`] number of each request in `requests`.
    arrivals: Arc<Mutex<Vec<u64>>>,
    /// Serializes mutations so that their effects (if any) are ordered.
    log: Arc<Mutex<Vec<String>>>,
}

fn to_apollo(value: &Value) -> JsonValue {
    serde_json::from_value(value.clone()).expect("json")
}

fn from_apollo(value: &JsonValue) -> Value {
    serde_json::to_value(value).expect("json")
}

struct Obj<'s> {
    state: &'s State,
    type_name: String,
    value: Value,
}

impl<'s> Obj<'s> {
    fn wrap(&self, value: Value, declared: &str) -> ResolvedValue<'s> {
        wrap(self.state, value, declared)
    }
}

fn wrap<'s>(state: &'s State, value: Value, declared: &str) -> ResolvedValue<'s> {
    match value {
        Value::Null => ResolvedValue::null(),
        Value::Array(items) => {
            let declared = declared.to_string();
            ResolvedValue::List(Box::new(
                items
                    .into_iter()
                    .map(move |item| Ok(wrap(state, item, &declared))),
            ))
        }
        Value::Object(ref map)
            if matches!(
                state.schema.types.get(declared),
                Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_))
            ) =>
        {
            let type_name = map
                .get("__typename")
                .and_then(|t| t.as_str())
                .unwrap_or(declared)
                .to_string();
            ResolvedValue::Object(Box::new(Obj {
                state,
                type_name,
                value,
            }))
        }
        Value::Number(n) if declared == "Float" && !n.is_f64() => {
            ResolvedValue::Leaf(to_apollo(&json!(n.as_f64())))
        }
        leaf => ResolvedValue::Leaf(to_apollo(&leaf)),
    }
}

/// Numbers as JavaScript prints them: a whole `Float` has no fraction (`100`,
/// not `100.0`), like the audit's Node.js subgraphs answer.
pub(crate) fn js_numbers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64()
                && n.is_f64()
                && f.fract() == 0.0
                && f.abs() < 9e15
            {
                *value = json!(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(js_numbers),
        Value::Object(map) => map.values_mut().for_each(js_numbers),
        _ => {}
    }
}

impl<'s> ObjectValue for Obj<'s> {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let field = info.field_name();
        let declared = info.field_definition().ty.inner_named_type().to_string();
        let args = from_apollo(&JsonValue::Object(info.arguments().clone()));
        if field == "_entities" {
            let entity = self.state.def.entity.clone();
            let reprs = args["representations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let state = self.state;
            let key = info
                .field_selections()
                .first()
                .map(|f| f.response_key().to_string())
                .unwrap_or_else(|| field.to_string());
            return Ok(ResolvedValue::List(Box::new(
                reprs.into_iter().enumerate().map(move |(index, repr)| {
                    let Some(entity) = &entity else {
                        return Err(FieldError {
                            message: "no entities".into(),
                        });
                    };
                    match entity(&repr) {
                        Ok(Value::Object(mut map)) => {
                            if !map.contains_key("__typename") {
                                map.insert("__typename".into(), repr["__typename"].clone());
                            }
                            Ok(wrap(state, Value::Object(map), "_Entity"))
                        }
                        Ok(_) => Ok(ResolvedValue::null()),
                        // One entity failing is that entity's null and error,
                        // as graphql-js subgraphs answer (apollo-compiler's
                        // executor would null the whole list).
                        Err(message) => {
                            ENTITY_ERRORS.with(|errors| {
                                errors
                                    .borrow_mut()
                                    .push(json!({"message": message, "path": [key, index]}))
                            });
                            Ok(ResolvedValue::null())
                        }
                    }
                }),
            )));
        }
        if let Some(resolve) = &self.state.def.resolve {
            let call = Call {
                type_name: &self.type_name,
                field,
                parent: &self.value,
                args: &args,
            };
            if let Some(result) = resolve(&call) {
                return match result {
                    Ok(value) => Ok(self.wrap(value, &declared)),
                    Err(message) => Err(FieldError { message }),
                };
            }
        }
        let value = self.value.get(field).cloned().unwrap_or(Value::Null);
        Ok(self.wrap(value, &declared))
    }
}

/// Directive applications the served SDL keeps: those it defines itself.
fn strip(directives: &mut DirectiveList, keep: &[String]) {
    directives
        .0
        .retain(|d| keep.iter().any(|k| k == d.name.as_str()));
}

fn strip_fields(fields: &mut [apollo_compiler::Node<ast::FieldDefinition>], keep: &[String]) {
    for field in fields {
        let field = field.make_mut();
        strip(&mut field.directives, keep);
        for arg in &mut field.arguments {
            strip(&mut arg.make_mut().directives, keep);
        }
    }
}

fn has_directive(directives: &DirectiveList, name: &str) -> bool {
    directives
        .iter()
        .any(|d| d.name == name || d.name.as_str() == format!("federation__{name}"))
}

/// `federation_sdl` as the subgraph serves it, and its entity types.
fn served_sdl(federation_sdl: &str) -> (String, Vec<String>) {
    let doc = ast::Document::parse(federation_sdl, "subgraph.graphql")
        .unwrap_or_else(|e| panic!("federation SDL: {e}"));
    let keep: Vec<String> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::DirectiveDefinition(d) => Some(d.name.to_string()),
            _ => None,
        })
        .collect();
    let defined: Vec<String> = doc
        .definitions
        .iter()
        .filter(|d| !d.is_extension_definition())
        .filter_map(|d| d.name().map(|n| n.to_string()))
        .collect();
    let mut entities = Vec::new();
    let mut out = ast::Document::new();
    let mut converted: Vec<String> = Vec::new();
    for definition in doc.definitions {
        let entity_directives = match &definition {
            Definition::ObjectTypeDefinition(d) => Some((&d.name, &d.directives)),
            Definition::ObjectTypeExtension(d) => Some((&d.name, &d.directives)),
            _ => None,
        };
        if let Some((name, directives)) = entity_directives
            && (has_directive(directives, "key") || has_directive(directives, "interfaceObject"))
            && !entities.contains(&name.to_string())
        {
            entities.push(name.to_string());
        }
        // An extension of a type this SDL does not define becomes its definition.
        let definition = match definition {
            Definition::ObjectTypeExtension(e)
                if !defined.contains(&e.name.to_string())
                    && !converted.contains(&e.name.to_string()) =>
            {
                converted.push(e.name.to_string());
                let e = e.as_ref().clone();
                Definition::ObjectTypeDefinition(apollo_compiler::Node::new(
                    ast::ObjectTypeDefinition {
                        description: None,
                        name: e.name,
                        implements_interfaces: e.implements_interfaces,
                        directives: e.directives,
                        fields: e.fields,
                    },
                ))
            }
            Definition::InterfaceTypeExtension(e)
                if !defined.contains(&e.name.to_string())
                    && !converted.contains(&e.name.to_string()) =>
            {
                converted.push(e.name.to_string());
                let e = e.as_ref().clone();
                Definition::InterfaceTypeDefinition(apollo_compiler::Node::new(
                    ast::InterfaceTypeDefinition {
                        description: None,
                        name: e.name,
                        implements_interfaces: e.implements_interfaces,
                        directives: e.directives,
                        fields: e.fields,
                    },
                ))
            }
            other => other,
        };
        let definition = match definition {
            Definition::SchemaExtension(e) if e.root_operations.is_empty() => continue,
            Definition::SchemaDefinition(mut d) => {
                strip(&mut d.make_mut().directives, &keep);
                Definition::SchemaDefinition(d)
            }
            Definition::SchemaExtension(mut d) => {
                strip(&mut d.make_mut().directives, &keep);
                Definition::SchemaExtension(d)
            }
            Definition::ObjectTypeDefinition(mut d) => {
                let d2 = d.make_mut();
                strip(&mut d2.directives, &keep);
                strip_fields(&mut d2.fields, &keep);
                Definition::ObjectTypeDefinition(d)
            }
            Definition::ObjectTypeExtension(mut d) => {
                let d2 = d.make_mut();
                strip(&mut d2.directives, &keep);
                strip_fields(&mut d2.fields, &keep);
                Definition::ObjectTypeExtension(d)
            }
            Definition::InterfaceTypeDefinition(mut d) => {
                let d2 = d.make_mut();
                strip(&mut d2.directives, &keep);
                strip_fields(&mut d2.fields, &keep);
                Definition::InterfaceTypeDefinition(d)
            }
            Definition::InterfaceTypeExtension(mut d) => {
                let d2 = d.make_mut();
                strip(&mut d2.directives, &keep);
                strip_fields(&mut d2.fields, &keep);
                Definition::InterfaceTypeExtension(d)
            }
            Definition::UnionTypeDefinition(mut d) => {
                strip(&mut d.make_mut().directives, &keep);
                Definition::UnionTypeDefinition(d)
            }
            Definition::UnionTypeExtension(mut d) => {
                strip(&mut d.make_mut().directives, &keep);
                Definition::UnionTypeExtension(d)
            }
            Definition::ScalarTypeDefinition(mut d) => {
                strip(&mut d.make_mut().directives, &keep);
                Definition::ScalarTypeDefinition(d)
            }
            Definition::EnumTypeDefinition(mut d) => {
                let d2 = d.make_mut();
                strip(&mut d2.directives, &keep);
                for value in &mut d2.values {
                    strip(&mut value.make_mut().directives, &keep);
                }
                Definition::EnumTypeDefinition(d)
            }
            Definition::EnumTypeExtension(mut d) => {
                let d2 = d.make_mut();
                strip(&mut d2.directives, &keep);
                for value in &mut d2.values {
                    strip(&mut value.make_mut().directives, &keep);
                }
                Definition::EnumTypeExtension(d)
            }
            Definition::InputObjectTypeDefinition(mut d) => {
                let d2 = d.make_mut();
                strip(&mut d2.directives, &keep);
                for field in &mut d2.fields {
                    strip(&mut field.make_mut().directives, &keep);
                }
                Definition::InputObjectTypeDefinition(d)
            }
            other => other,
        };
        out.definitions.push(definition);
    }
    let mut sdl = out.to_string();
    if !defined.iter().chain(&converted).any(|n| n == "Query") {
        // Like a real subgraph, which always answers `_service`.
        sdl.push_str("\ntype Query { _service: _Service! }\ntype _Service { sdl: String }\n");
    }
    (sdl, entities)
}

fn full_sdl(def: &Subgraph) -> String {
    let mut sdl = def.sdl.clone();
    if !def.entities.is_empty() {
        sdl.push_str(&format!(
            "\nscalar _Any\nunion _Entity = {}\nextend type Query {{ _entities(representations: [_Any!]!): [_Entity]! }}\n",
            def.entities.join(" | ")
        ));
    }
    sdl
}

thread_local! {
    /// The entity errors of the request being executed (execution is
    /// synchronous, on one thread).
    static ENTITY_ERRORS: std::cell::RefCell<Vec<Value>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn execute(state: &State, body: &Value) -> Value {
    ENTITY_ERRORS.with(|errors| errors.borrow_mut().clear());
    let query = body["query"].as_str().unwrap_or_default();
    let variables = body
        .get("variables")
        .cloned()
        .filter(|v| !v.is_null())
        .unwrap_or(json!({}));
    {
        let mut requests = state.requests.lock().unwrap_or_else(|e| e.into_inner());
        let number = ARRIVAL.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        requests.push((query.to_string(), variables.clone()));
        state
            .arrivals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(number);
    }
    let errors = |message: String| json!({"data": null, "errors": [{"message": message}]});
    let document = match ExecutableDocument::parse_and_validate(&state.schema, query, "op.graphql")
    {
        Ok(document) => document,
        Err(e) => return errors(e.errors.to_string()),
    };
    let Ok(operation) = document.operations.get(body["operationName"].as_str()) else {
        return errors("no such operation".into());
    };
    let JsonValue::Object(raw_variables) = to_apollo(&variables) else {
        return errors("variables are not an object".into());
    };
    let coerced = match apollo_compiler::request::coerce_variable_values(
        &state.schema,
        operation,
        &raw_variables,
    ) {
        Ok(v) => v,
        Err(e) => return errors(e.message().to_string()),
    };
    let (type_name, data) = if operation.operation_type.is_mutation() {
        let _serial = state.log.lock().unwrap_or_else(|e| e.into_inner());
        ("Mutation", state.def.mutation.clone())
    } else {
        ("Query", state.def.query.clone())
    };
    let root = Obj {
        state,
        type_name: type_name.to_string(),
        value: data,
    };
    let response = Execution::new(&state.schema, &document)
        .operation(operation)
        .coerced_variable_values(&coerced)
        .execute_sync(&root);
    let mut out = match response {
        Ok(response) => serde_json::to_value(&response).expect("json"),
        Err(e) => errors(e.message().to_string()),
    };
    let entity_errors = ENTITY_ERRORS.with(|errors| std::mem::take(&mut *errors.borrow_mut()));
    if !entity_errors.is_empty() {
        match out.get_mut("errors").and_then(|e| e.as_array_mut()) {
            Some(list) => list.extend(entity_errors),
            None => out["errors"] = Value::Array(entity_errors),
        }
    }
    // `CODE:message` errors carry `extensions.code`.
    if let Some(list) = out.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for error in list {
            let message = error["message"].as_str().unwrap_or_default();
            let message = message
                .strip_prefix("resolver error: ")
                .unwrap_or(message)
                .to_string();
            error["message"] = json!(message);
            if let Some((code, rest)) = message.split_once(':')
                && code.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && !code.is_empty()
            {
                error["message"] = json!(rest.trim());
                error["extensions"] = json!({"code": code});
            }
        }
    }
    if state.def.federation_sdl.is_some() {
        js_numbers(&mut out);
    }
    if let Some(hook) = &state.def.hook {
        hook(&mut out);
    }
    out
}

/// A started subgraph.
pub struct Running {
    pub name: &'static str,
    pub url: String,
    pub requests: Requests,
    /// The process-wide arrival number of each request received (see
    /// [`Running::arrivals`]).
    arrivals: Arc<Mutex<Vec<u64>>>,
    /// The headers of each request received, in order.
    pub headers: Arc<Mutex<Vec<http::HeaderMap>>>,
    task: tokio::task::JoinHandle<()>,
    /// What [`Running::kill`] and [`Running::restart`] need: the address, the
    /// app served there, and the graceful shutdown signal (`None`: killed).
    addr: SocketAddr,
    app: axum::Router,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Running {
    /// The requests received so far.
    pub fn received(&self) -> Vec<(String, Value)> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    /// The process-wide arrival number of each request received so far, in
    /// order: comparing them orders requests across subgraphs.
    pub fn arrivals(&self) -> Vec<u64> {
        self.arrivals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    pub fn clear(&self) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests.clear();
        self.arrivals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Stops the subgraph (gracefully: idle connections are closed, so the
    /// router's next request to it fails) and waits until its port is closed.
    pub async fn kill(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
            let _ = (&mut self.task).await;
        }
    }

    /// Serves the subgraph again on the same port, with its data and records.
    pub async fn restart(&mut self) {
        self.kill().await;
        let listener = TcpListener::bind(self.addr).await.expect("bind again");
        let (task, stop) = serve(listener, self.app.clone());
        self.task = task;
        self.stop = Some(stop);
    }
}

/// Serves `app` until the returned sender fires (or is dropped).
fn serve(
    listener: TcpListener,
    app: axum::Router,
) -> (
    tokio::task::JoinHandle<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    (task, stop)
}

pub async fn start_subgraph(def: Subgraph) -> Running {
    let schema = Schema::parse_and_validate(full_sdl(&def), "subgraph.graphql")
        .unwrap_or_else(|e| panic!("subgraph {} SDL: {}", def.name, e.errors));
    let name = def.name;
    let requests = Requests::default();
    let arrivals: Arc<Mutex<Vec<u64>>> = Arc::default();
    let state = Arc::new(State {
        schema,
        def,
        requests: requests.clone(),
        arrivals: arrivals.clone(),
        log: Arc::default(),
    });
    let headers: Arc<Mutex<Vec<http::HeaderMap>>> = Arc::default();
    let seen = headers.clone();
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(
            move |request_headers: http::HeaderMap, axum::Json(body): axum::Json<Value>| {
                let state = state.clone();
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(request_headers);
                async move {
                    let response = execute(&state, &body);
                    if !state.def.delay.is_zero() {
                        tokio::time::sleep(state.def.delay).await;
                    }
                    axum::Json(response)
                }
            },
        ),
    );
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let listener = TcpListener::bind(addr).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (task, stop) = serve(listener, app.clone());
    Running {
        name,
        url: format!("http://{addr}/graphql"),
        requests,
        arrivals,
        headers,
        task,
        addr,
        app,
        stop: Some(stop),
    }
}

/// The standard supergraph header (link v1.0, join v0.5, inaccessible, tag) for
/// `graphs` (subgraph names; enum values are their upper-case names).
pub fn supergraph(graphs: &[(&str, &str)], types: &str) -> String {
    let mut sdl = String::from(HEADER);
    if types.contains("type Mutation") {
        sdl = sdl.replace("  query: Query\n", "  query: Query\n  mutation: Mutation\n");
    }
    // `extend schema @link(…)` lines join the schema definition (not every
    // supergraph reader accepts schema extensions).
    let mut rest = String::new();
    for line in types.lines() {
        match line.trim().strip_prefix("extend schema ") {
            Some(directives) => {
                sdl = sdl.replacen(
                    "\n{\n  query:",
                    &format!("\n  {directives}\n{{\n  query:"),
                    1,
                )
            }
            None => {
                rest.push_str(line);
                rest.push('\n');
            }
        }
    }
    let types = rest.as_str();
    sdl.push_str("enum join__Graph {\n");
    for (name, url) in graphs {
        sdl.push_str(&format!(
            "  {} @join__graph(name: \"{name}\", url: \"{url}\")\n",
            name.to_uppercase().replace('-', "_")
        ));
    }
    sdl.push_str("}\n\n");
    sdl.push_str(types);
    sdl
}

const HEADER: &str = r#"schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
  query: Query
}

directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}

scalar join__DirectiveArguments
scalar join__FieldSet
scalar join__FieldValue
scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}

"#;

/// Subgraphs plus a router over a supergraph built from `types`.
pub struct Scenario {
    pub subgraphs: Vec<Running>,
    pub router: tessera_router::RunningRouter,
    /// The supergraph the router serves.
    pub supergraph: String,
    http: reqwest::Client,
}

impl Scenario {
    /// Starts `subgraphs`, then the router over `supergraph(.., types)`.
    pub async fn start(subgraphs: Vec<Subgraph>, types: &str) -> Scenario {
        let mut running = Vec::new();
        for def in subgraphs {
            running.push(start_subgraph(def).await);
        }
        let graphs: Vec<(&str, &str)> = running.iter().map(|r| (r.name, r.url.as_str())).collect();
        let sdl = supergraph(&graphs, types);
        Scenario::serve(running, sdl).await
    }

    /// Starts `subgraphs` (each from [`Subgraph::federated`]), composes them with
    /// our composition (`tessera_schema::compose`), then starts the router.
    pub async fn compose(subgraphs: Vec<Subgraph>) -> Scenario {
        Scenario::compose_with(subgraphs, |_| {}).await
    }

    /// [`Scenario::compose`] with a router config changed by `adjust`.
    pub async fn compose_with(
        subgraphs: Vec<Subgraph>,
        adjust: impl FnOnce(&mut tessera_router::RouterConfig),
    ) -> Scenario {
        let mut running = Vec::new();
        let mut sdls = Vec::new();
        for def in subgraphs {
            sdls.push((def.name, def.federation_sdl.clone()));
            running.push(start_subgraph(def).await);
        }
        let sdls: Vec<tessera_schema::SubgraphSdl> = sdls
            .into_iter()
            .zip(&running)
            .map(|((name, sdl), r)| {
                let sdl = sdl.unwrap_or_else(|| panic!("subgraph {name} has no federation SDL"));
                tessera_schema::SubgraphSdl::new(name, r.url.clone(), sdl)
            })
            .collect();
        let sdl = match tessera_schema::compose(&sdls) {
            Ok(composed) => composed.supergraph_sdl,
            Err(e) => panic!("composition: {e}"),
        };
        if std::env::var_os("SHOW_SUPERGRAPH").is_some() {
            eprintln!("{sdl}");
        }
        Scenario::serve_with(running, sdl, adjust).await
    }

    /// The router over `sdl` in front of the `running` subgraphs.
    pub async fn serve(running: Vec<Running>, sdl: String) -> Scenario {
        Scenario::serve_with(running, sdl, |_| {}).await
    }

    /// [`Scenario::serve`] with a router config changed by `adjust`.
    pub async fn serve_with(
        running: Vec<Running>,
        sdl: String,
        adjust: impl FnOnce(&mut tessera_router::RouterConfig),
    ) -> Scenario {
        let mut config = tessera_router::RouterConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            expose_query_plan: true,
            introspection: true,
            ..tessera_router::RouterConfig::default()
        };
        adjust(&mut config);
        let router = tessera_router::start(config, &sdl)
            .await
            .unwrap_or_else(|e| panic!("router starts: {e:#}"));
        Scenario {
            subgraphs: running,
            router,
            supergraph: sdl,
            // Idle connections are dropped before the router's header read
            // timeout (10 s) closes them: reusing one the router is closing
            // fails the request (`IncompleteMessage`) when a loaded machine
            // leaves a suite's connection idle that long.
            http: reqwest::Client::builder()
                .pool_idle_timeout(std::time::Duration::from_secs(5))
                .build()
                .expect("http client"),
        }
    }

    pub fn subgraph(&self, name: &str) -> &Running {
        self.subgraphs
            .iter()
            .find(|s| s.name == name)
            .expect("subgraph")
    }

    /// POSTs `query` with `variables`; returns the body (asserting HTTP 200).
    pub async fn run(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(query, variables).await;
        assert_eq!(status, 200, "{body:#}");
        body
    }

    /// Another router over the same supergraph and subgraphs (a planner with
    /// its own hash seeds: plans must not depend on them).
    pub async fn second_router(&self) -> tessera_router::RunningRouter {
        let config = tessera_router::RouterConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            expose_query_plan: true,
            introspection: true,
            ..tessera_router::RouterConfig::default()
        };
        tessera_router::start(config, &self.supergraph)
            .await
            .unwrap_or_else(|e| panic!("router starts: {e:#}"))
    }

    /// POSTs `query` with `variables`; returns the status and the body.
    pub async fn post(&self, query: &str, variables: Value) -> (u16, Value) {
        self.post_to(&self.router.graphql_url(), query, variables)
            .await
    }

    /// [`Scenario::post`] to another router (`url`: its GraphQL endpoint).
    pub async fn post_to(&self, url: &str, query: &str, variables: Value) -> (u16, Value) {
        let response = self
            .http
            .post(url)
            .header("tessera-include-query-plan", "true")
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("router reachable");
        let status = response.status().as_u16();
        let mut body: Value = response.json().await.expect("json");
        if let Some(ext) = body.as_object_mut().and_then(|b| b.remove("extensions")) {
            if std::env::var_os("SHOW_PLANS").is_some() {
                eprintln!("{}", ext["queryPlanText"].as_str().unwrap_or_default());
            }
            // Kept for `plan()`; tests compare `data`/`errors` only.
            body["__plan"] = match ext.get("queryPlanError") {
                Some(error) => json!(format!("(no plan: {})", error.as_str().unwrap_or_default())),
                None => ext["queryPlanText"].clone(),
            };
        }
        (status, body)
    }

    /// `run` without variables.
    pub async fn query(&self, query: &str) -> Value {
        self.run(query, json!({})).await
    }
}

/// Runs `query` and asserts the audit's way: `data` exactly as expected, and
/// errors present exactly when `errors` says so. Like the audit, whatever the
/// HTTP status (a plan the planner refuses is a 500 with a GraphQL body).
pub async fn check(scenario: &Scenario, query: &str, data: Value, errors: bool) {
    let (_, body) = scenario.post(query, json!({})).await;
    let plan = body["__plan"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        body["data"], data,
        "data of\n{query}\nbody: {body:#}\nplan:\n{plan}"
    );
    let has_errors = body
        .get("errors")
        .and_then(|e| e.as_array())
        .is_some_and(|e| !e.is_empty());
    assert_eq!(
        has_errors, errors,
        "errors of\n{query}\nbody: {body:#}\nplan:\n{plan}"
    );
}

/// [`check`] for the audit's cases that leave errors out of the expectation
/// (the audit then checks `data` only).
pub async fn check_data(scenario: &Scenario, query: &str, data: Value) {
    let (_, body) = scenario.post(query, json!({})).await;
    let plan = body["__plan"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        body["data"], data,
        "data of\n{query}\nbody: {body:#}\nplan:\n{plan}"
    );
}

/// `body` without the attached plan.
pub fn response(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.remove("__plan");
    }
    body
}
