//! Shared end-to-end plumbing: start the test subgraphs and the router on
//! `127.0.0.1:0`, and talk to the router over HTTP.
#![allow(dead_code)]

pub mod subgraphs;

use std::net::SocketAddr;

use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::GraphQL;
use serde_json::Value;
use tessera_router::{RouterConfig, RunningRouter};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use subgraphs::Log;

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

/// An axum app serving an async-graphql schema at `/graphql`.
pub fn graphql_app<Q, M, S>(schema: Schema<Q, M, S>) -> axum::Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    axum::Router::new().route(
        "/graphql",
        axum::routing::post_service(GraphQL::new(schema)),
    )
}

/// The subgraph URLs a supergraph points at.
#[derive(Clone, Debug)]
pub struct Urls {
    pub accounts: String,
    pub inventory: String,
    pub products: String,
    pub reviews: String,
}

/// The fixture supergraph with the subgraph URLs filled in.
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

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().expect("address")
}

/// Four subgraphs and a router over them.
pub struct Stack {
    pub accounts: Server,
    pub products: Server,
    pub inventory: Server,
    pub reviews: Server,
    pub router: RunningRouter,
    pub log: Log,
    pub urls: Urls,
    pub http: reqwest::Client,
}

/// A full stack with [`test_config`].
pub async fn stack() -> Stack {
    stack_with(|_, _| {}).await
}

/// A full stack; `adjust` may change the config (it sees the subgraph URLs).
pub async fn stack_with(adjust: impl FnOnce(&mut RouterConfig, &Urls)) -> Stack {
    let log = Log::default();
    let accounts = Server::start(graphql_app(subgraphs::accounts(log.clone())), local()).await;
    let products = Server::start(graphql_app(subgraphs::products(log.clone())), local()).await;
    let inventory = Server::start(graphql_app(subgraphs::inventory()), local()).await;
    let reviews = Server::start(graphql_app(subgraphs::reviews()), local()).await;
    let urls = Urls {
        accounts: accounts.url(),
        inventory: inventory.url(),
        products: products.url(),
        reviews: reviews.url(),
    };
    let mut config = test_config();
    adjust(&mut config, &urls);
    let router = tessera_router::start(config, &supergraph_sdl(&urls))
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
