//! `subgraphs.http2_prior_knowledge`: the router speaks HTTP/2 (h2c) to plain
//! `http://` subgraphs that support it, HTTP/1.1 otherwise.

use tessera_schema::compose::{SubgraphSdl, compose};

const SDL: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
type Query { version: String! }
"#;

/// A subgraph that answers `{ version }` with the HTTP version it was called with.
async fn version_subgraph() -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(|version: axum::http::Version| async move {
            (
                [("content-type", "application/json")],
                format!(r#"{{"data":{{"version":"{version:?}"}}}}"#),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/graphql", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

async fn version_seen(prior_knowledge: bool) -> String {
    let (url, task) = version_subgraph().await;
    let supergraph = compose(&[SubgraphSdl::new("s", url, SDL)]).expect("composes");
    let mut config = tessera_router::RouterConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Default::default()
    };
    config.subgraphs.http2_prior_knowledge = prior_knowledge;
    let router = tessera_router::start(config, &supergraph.supergraph_sdl)
        .await
        .expect("router");
    let body: serde_json::Value = reqwest::Client::new()
        .post(router.graphql_url())
        .json(&serde_json::json!({"query": "{ version }"}))
        .send()
        .await
        .expect("response")
        .json()
        .await
        .expect("json");
    let _ = router.shutdown().await;
    task.abort();
    body["data"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn h2c_when_configured_http1_otherwise() {
    assert_eq!(version_seen(true).await, "HTTP/2.0");
    assert_eq!(version_seen(false).await, "HTTP/1.1");
}
