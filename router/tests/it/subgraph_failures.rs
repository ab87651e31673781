//! A subgraph that is down, slow or returns garbage yields partial data and an
//! error with a path and a code; the router keeps serving and recovers.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use tessera_router::config::SubgraphOverride;

const QUERY: &str = "{ topProducts { name inStock } }";

fn assert_partial(body: &serde_json::Value, code: &str) {
    assert_eq!(
        body["data"],
        json!({"topProducts": [
            {"name": "Table", "inStock": null},
            {"name": "Couch", "inStock": null},
            {"name": "Chair", "inStock": null}
        ]}),
        "{body:#}"
    );
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(errors[0]["extensions"]["code"], code, "{body:#}");
    assert_eq!(errors[0]["extensions"]["serviceName"], "inventory");
    assert_eq!(errors[0]["path"], json!(["topProducts", 0]), "{body:#}");
}

#[tokio::test]
async fn a_killed_subgraph_gives_partial_data_then_recovers() {
    let mut stack = common::stack().await;
    let healthy = stack.query(QUERY).await;
    assert_eq!(
        healthy["data"]["topProducts"][1],
        json!({"name": "Couch", "inStock": false})
    );

    stack.inventory.kill().await;
    let body = stack.query(QUERY).await;
    assert_partial(&body, "SUBGRAPH_REQUEST_FAILED");
    // Other subgraphs are unaffected.
    let body = stack.query("{ me { name } }").await;
    assert_eq!(body, json!({"data": {"me": {"name": "Ada Lovelace"}}}));

    stack.inventory.restart().await;
    let body = stack.query(QUERY).await;
    assert_eq!(body, healthy);
}

#[tokio::test]
async fn a_down_root_subgraph_nulls_its_fields_with_a_path() {
    let mut stack = common::stack().await;
    stack.accounts.kill().await;
    let body = stack
        .query(r#"{ me { id } product(upc: "1") { name } }"#)
        .await;
    assert_eq!(
        body["data"],
        json!({"me": null, "product": {"name": "Table"}}),
        "{body:#}"
    );
    assert_eq!(body["errors"][0]["path"], json!(["me"]));
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "SUBGRAPH_REQUEST_FAILED"
    );
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body:#}");
}

async fn fake_subgraph(app: axum::Router) -> common::Server {
    common::Server::start(app, "127.0.0.1:0".parse::<SocketAddr>().expect("address")).await
}

#[tokio::test]
async fn garbage_from_a_subgraph_is_an_invalid_response() {
    let garbage = fake_subgraph(axum::Router::new().route(
        "/graphql",
        axum::routing::post(|| async { "<html>502 Bad Gateway</html>" }),
    ))
    .await;
    let wrong_shape = fake_subgraph(axum::Router::new().route(
        "/graphql",
        axum::routing::post(|| async {
            (
                [("content-type", "application/json")],
                r#"{"data": {"_entities": [{"inStock": true}]}}"#,
            )
        }),
    ))
    .await;
    for (server, code) in [
        (&garbage, "SUBGRAPH_INVALID_RESPONSE"),
        (&wrong_shape, "SUBGRAPH_INVALID_RESPONSE"),
    ] {
        let url = server.url();
        let stack = common::stack_with(|config, _| {
            config.subgraphs.overrides.insert(
                "inventory".into(),
                SubgraphOverride {
                    url: Some(url.clone()),
                    ..SubgraphOverride::default()
                },
            );
        })
        .await;
        let body = stack.query(QUERY).await;
        assert_partial(&body, code);
    }
}

#[tokio::test]
async fn http_errors_from_a_subgraph_are_reported() {
    let failing = fake_subgraph(axum::Router::new().route(
        "/graphql",
        axum::routing::post(|| async { (http::StatusCode::SERVICE_UNAVAILABLE, "try later") }),
    ))
    .await;
    let url = failing.url();
    let stack = common::stack_with(|config, _| {
        config.subgraphs.overrides.insert(
            "inventory".into(),
            SubgraphOverride {
                url: Some(url),
                ..SubgraphOverride::default()
            },
        );
    })
    .await;
    assert_partial(&stack.query(QUERY).await, "SUBGRAPH_HTTP_ERROR");
}

#[tokio::test]
async fn a_slow_subgraph_times_out() {
    let slow = fake_subgraph(axum::Router::new().route(
        "/graphql",
        axum::routing::post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "{}"
        }),
    ))
    .await;
    let url = slow.url();
    let stack = common::stack_with(|config, _| {
        config.subgraphs.overrides.insert(
            "inventory".into(),
            SubgraphOverride {
                url: Some(url),
                timeout_ms: Some(100),
                ..SubgraphOverride::default()
            },
        );
    })
    .await;
    assert_partial(&stack.query(QUERY).await, "SUBGRAPH_TIMEOUT");
}

#[tokio::test]
async fn many_concurrent_requests_with_a_dead_subgraph_all_get_answers() {
    let mut stack = common::stack().await;
    stack.inventory.kill().await;
    let requests = (0..20).map(|_| stack.query(QUERY));
    for body in futures::future::join_all(requests).await {
        assert_partial(&body, "SUBGRAPH_REQUEST_FAILED");
    }
}
