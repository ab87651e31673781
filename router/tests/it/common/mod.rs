//! Shared end-to-end plumbing: the checked-in supergraph's stack (the
//! `tessera-stack` suite's four subgraphs, served by the federation kit, and
//! the router over their composition) on `127.0.0.1:0`, and talking to the
//! router over HTTP. `Server` serves any axum app (a test's fake subgraph).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tessera_router::{RouterConfig, RunningRouter};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::federation_kit::{self, Running, data};

/// An HTTP server running in this test process.
pub struct Server {
    pub addr: SocketAddr,
    app: axum::Router,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `app` on `addr` (`127.0.0.1:0` for a fresh port).
    pub async fn start(app: axum::Router, addr: SocketAddr) -> Server {
        let listener = TcpListener::bind(addr).await.expect("bind test server");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let served = app.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, served)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Server {
            addr,
            app,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Stops the server and waits until its port is closed.
    pub async fn kill(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Starts the same app again on the same port.
    pub async fn restart(&mut self) {
        self.kill().await;
        let again = Server::start(self.app.clone(), self.addr).await;
        *self = again;
    }
}

/// The subgraph URLs a supergraph points at.
#[derive(Clone, Debug)]
pub struct Urls {
    pub accounts: String,
    pub inventory: String,
    pub products: String,
    pub reviews: String,
}

/// The fixture supergraph (`tests/fixtures/supergraph.graphql`, the
/// `tessera-stack` suite's types as written by hand) with the subgraph URLs
/// filled in: for tests that load a supergraph without running it.
pub fn supergraph_sdl(urls: &Urls) -> String {
    include_str!("../../fixtures/supergraph.graphql")
        .replace("{{ACCOUNTS_URL}}", &urls.accounts)
        .replace("{{INVENTORY_URL}}", &urls.inventory)
        .replace("{{PRODUCTS_URL}}", &urls.products)
        .replace("{{REVIEWS_URL}}", &urls.reviews)
}

/// A test router config: fresh port, query plans exposed.
pub fn test_config() -> RouterConfig {
    RouterConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        expose_query_plan: true,
        introspection: true,
        ..RouterConfig::default()
    }
}

/// The log of the stack's mutations (`logAccounts`, `logProducts`): each
/// appends its `entry` and answers the whole log, which proves the order in
/// which two subgraphs ran them.
#[derive(Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, entry: String) -> Vec<String> {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        log.push(entry);
        log.clone()
    }
}

/// The stack's suite: `router/tests/scenarios/tessera-stack`.
fn suite_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/tessera-stack")
}

/// A suite subgraph whose `Mutation.log*` fields append to `log` (fixed data
/// answers a fresh log only: `[entry]`), the rest as its data says.
fn subgraph(
    name: &str,
    sdl: &str,
    data: data::SubgraphData,
    log: &Log,
) -> federation_kit::Subgraph {
    let name: &'static str = Box::leak(name.to_string().into_boxed_str());
    let mut subgraph = data::subgraph(name, sdl, data);
    let from_data = subgraph.resolve.take();
    let log = log.clone();
    subgraph.resolve = Some(Arc::new(move |call| {
        if call.type_name == "Mutation" && call.field.starts_with("log") {
            let entry = call.args["entry"].as_str().unwrap_or_default().to_string();
            return Some(Ok(json!(log.push(entry))));
        }
        from_data.as_ref().and_then(|resolve| resolve(call))
    }));
    subgraph
}

/// Four subgraphs and a router over them.
pub struct Stack {
    pub accounts: Running,
    pub products: Running,
    pub inventory: Running,
    pub reviews: Running,
    pub router: RunningRouter,
    pub log: Log,
    pub urls: Urls,
    /// The supergraph the router serves (composed from the suite's SDL).
    pub supergraph: String,
    pub http: reqwest::Client,
}

/// A full stack with [`test_config`].
pub async fn stack() -> Stack {
    stack_with(|_, _| {}).await
}

/// A full stack; `adjust` may change the config (it sees the subgraph URLs).
pub async fn stack_with(adjust: impl FnOnce(&mut RouterConfig, &Urls)) -> Stack {
    let log = Log::default();
    let files = crate::scenarios::subgraph_files(&suite_dir()).expect("tessera-stack suite");
    let mut running = Vec::new();
    let mut sdls = Vec::new();
    for (name, sdl, data) in files {
        let started = federation_kit::start_subgraph(subgraph(&name, &sdl, data, &log)).await;
        sdls.push(tessera_schema::SubgraphSdl::new(
            &name,
            started.url.clone(),
            sdl,
        ));
        running.push(started);
    }
    let supergraph = tessera_schema::compose(&sdls)
        .unwrap_or_else(|e| panic!("tessera-stack composes: {e}"))
        .supergraph_sdl;
    let mut take = |name: &str| {
        let at = running
            .iter()
            .position(|r| r.name == name)
            .unwrap_or_else(|| panic!("tessera-stack has no subgraph {name}"));
        running.remove(at)
    };
    let (accounts, inventory, products, reviews) = (
        take("accounts"),
        take("inventory"),
        take("products"),
        take("reviews"),
    );
    let urls = Urls {
        accounts: accounts.url.clone(),
        inventory: inventory.url.clone(),
        products: products.url.clone(),
        reviews: reviews.url.clone(),
    };
    let mut config = test_config();
    adjust(&mut config, &urls);
    let router = tessera_router::start(config, &supergraph)
        .await
        .expect("router starts");
    Stack {
        accounts,
        products,
        inventory,
        reviews,
        router,
        log,
        urls,
        supergraph,
        http: reqwest::Client::new(),
    }
}

/// A response as the test sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    /// `extensions.code` of every error.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Stack {
    pub fn graphql_url(&self) -> String {
        self.router.graphql_url()
    }

    /// POSTs raw bytes with the given content type and `Accept`.
    pub async fn post_raw(
        &self,
        body: impl Into<reqwest::Body>,
        content_type: &str,
        accept: Option<&str>,
    ) -> Reply {
        let mut request = self
            .http
            .post(self.graphql_url())
            .header("content-type", content_type)
            .body(body);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        reply(request.send().await.expect("router reachable")).await
    }

    /// POSTs a JSON body.
    pub async fn post(&self, body: Value) -> Reply {
        self.post_raw(body.to_string(), "application/json", None)
            .await
    }

    /// POSTs a query with variables and returns the reply (any status).
    pub async fn request(&self, query: &str, variables: Value) -> Reply {
        self.post(serde_json::json!({"query": query, "variables": variables}))
            .await
    }

    /// POSTs a query and returns the body, asserting a 200.
    pub async fn query(&self, query: &str) -> Value {
        let reply = self.request(query, serde_json::json!({})).await;
        assert_eq!(reply.status, 200, "{:#}", reply.body);
        reply.body
    }

    /// POSTs a query asking for the query plan.
    pub async fn query_with_plan(&self, query: &str) -> Value {
        let response = self
            .http
            .post(self.graphql_url())
            .header("content-type", "application/json")
            .header("tessera-include-query-plan", "true")
            .body(serde_json::json!({"query": query}).to_string())
            .send()
            .await
            .expect("router reachable");
        reply(response).await.body
    }

    /// GET with query-string parameters.
    pub async fn get(&self, params: &[(&str, &str)], accept: Option<&str>) -> Reply {
        let mut url = reqwest::Url::parse(&self.graphql_url()).expect("url");
        url.query_pairs_mut().extend_pairs(params);
        let mut request = self.http.get(url);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        reply(request.send().await.expect("router reachable")).await
    }
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        content_type,
        body,
    }
}

/// The services fetched by a query plan (from `extensions.queryPlan`), in order.
pub fn fetched_services(plan: &Value) -> Vec<String> {
    fn walk(node: &Value, out: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(service)) = map.get("serviceName") {
                    out.push(service.clone());
                }
                for value in map.values() {
                    walk(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(plan, &mut out);
    out
}
