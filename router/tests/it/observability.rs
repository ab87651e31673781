//! `/ready` and `/metrics`: readiness for load balancers (503 while draining)
//! and Prometheus metrics of client requests, subgraph calls and planning.

use crate::common;
use crate::federation_kit;

use std::net::SocketAddr;
use std::sync::Arc;

use federation_kit::{Scenario, Subgraph};
use serde_json::json;
use tessera_router::Gateway;
use tessera_router::config::RouterConfig;

fn greeter() -> Subgraph {
    Subgraph::federated(
        "greeter",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { hello: String }
        "#,
    )
    .query(json!({"hello": "world"}))
}

async fn get(url: &str) -> (u16, String, String) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, response.text().await.expect("body"))
}

fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

#[tokio::test]
async fn metrics_count_requests_subgraph_calls_and_plans() {
    let s = Scenario::compose(vec![greeter()]).await;
    let base = format!("http://{}", s.router.local_addr());
    for _ in 0..3 {
        let (status, body) = s.post("{ hello }", json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _) = s.post("{ nope }", json!({})).await;
    assert_eq!(status, 200);

    let (status, content_type, metrics) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(
        value(&metrics, "tessera_http_requests_total{status=\"200\"}"),
        Some(4.0),
        "{metrics}"
    );
    assert_eq!(
        value(&metrics, "tessera_http_request_duration_seconds_count"),
        Some(4.0),
        "{metrics}"
    );
    // Three identical queries: one plan, three subgraph calls.
    assert_eq!(
        value(&metrics, "tessera_query_plans_total"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        value(
            &metrics,
            "tessera_subgraph_requests_total{subgraph=\"greeter\",outcome=\"ok\"}"
        ),
        Some(3.0),
        "{metrics}"
    );
    assert_eq!(
        value(
            &metrics,
            "tessera_subgraph_request_duration_seconds_count{subgraph=\"greeter\"}"
        ),
        Some(3.0),
        "{metrics}"
    );
}

#[tokio::test]
async fn metrics_count_failed_subgraph_calls() {
    let mut s = Scenario::compose(vec![greeter()]).await;
    // The subgraph goes away: its calls fail.
    s.subgraphs.clear();
    let (status, body) = s.post("{ hello }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, metrics) = get(&format!("http://{}/metrics", s.router.local_addr())).await;
    assert_eq!(
        value(
            &metrics,
            "tessera_subgraph_requests_total{subgraph=\"greeter\",outcome=\"error\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
}

const SUPERGRAPH: &str = include_str!("../fixtures/supergraph.graphql");

async fn serve(gateway: Arc<Gateway>) -> common::Server {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    common::Server::start(tessera_router::app(gateway), addr).await
}

#[tokio::test]
async fn ready_until_draining() {
    let gateway = Arc::new(Gateway::new(RouterConfig::default(), SUPERGRAPH).expect("gateway"));
    let server = serve(gateway.clone()).await;
    let (status, _, body) = get(&format!("http://{}/ready", server.addr)).await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ready"}"#));
    gateway.begin_draining();
    let (status, _, body) = get(&format!("http://{}/ready", server.addr)).await;
    assert_eq!((status, body.as_str()), (503, r#"{"status":"draining"}"#));
    let (status, _, _) = get(&format!("http://{}/health", server.addr)).await;
    assert_eq!(status, 200, "alive while draining");
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let config = RouterConfig {
        metrics: false,
        ..RouterConfig::default()
    };
    let gateway = Arc::new(Gateway::new(config, SUPERGRAPH).expect("gateway"));
    let server = serve(gateway).await;
    let (status, _, _) = get(&format!("http://{}/metrics", server.addr)).await;
    assert_eq!(status, 404);
}
