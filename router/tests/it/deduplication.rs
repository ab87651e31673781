//! Identical in-flight subgraph requests share one HTTP call (queries only, and
//! only when `subgraphs.deduplicate_requests` is on).

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tessera_router::config::SubgraphsConfig;
use tessera_router::internals::SubgraphClient;

async fn counting_subgraph() -> (common::Server, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                (
                    [("content-type", "application/json")],
                    r#"{"data":{"hello":"world"}}"#,
                )
            }
        }),
    );
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    (common::Server::start(app, addr).await, hits)
}

async fn fetch_five(client: &SubgraphClient, shareable: bool) -> usize {
    fetch_five_as(client, shareable, |_| Vec::new()).await
}

/// Five identical calls; call `i` forwards the headers `headers(i)`.
async fn fetch_five_as(
    client: &SubgraphClient,
    shareable: bool,
    headers: impl Fn(usize) -> Vec<(http::HeaderName, http::HeaderValue)>,
) -> usize {
    let headers: Vec<_> = (0..5).map(headers).collect();
    // join_all polls every call once before any response can arrive, so all five
    // are in flight together.
    let calls = headers
        .iter()
        .map(|h| client.fetch("s", r#"{"query":"{ hello }"}"#.into(), shareable, h));
    let results = futures::future::join_all(calls).await;
    results
        .iter()
        .filter(|r| {
            r.as_ref()
                .ok()
                .and_then(|r| r.data.as_ref())
                .and_then(|d| d.as_object())
                .and_then(|d| d.get("hello"))
                .and_then(|h| h.as_str())
                == Some("world")
        })
        .count()
}

#[tokio::test]
async fn identical_concurrent_queries_share_one_request() {
    let (server, hits) = counting_subgraph().await;
    let client = SubgraphClient::new(
        [("s".to_string(), server.url())],
        &SubgraphsConfig::default(),
    )
    .expect("client");
    assert_eq!(fetch_five(&client, true).await, 5);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Once finished, the next call goes to the subgraph again.
    assert_eq!(fetch_five(&client, true).await, 5);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn mutations_and_disabled_deduplication_always_reach_the_subgraph() {
    let (server, hits) = counting_subgraph().await;
    let client = SubgraphClient::new(
        [("s".to_string(), server.url())],
        &SubgraphsConfig::default(),
    )
    .expect("client");
    assert_eq!(fetch_five(&client, false).await, 5);
    assert_eq!(hits.load(Ordering::SeqCst), 5);

    let config = SubgraphsConfig {
        deduplicate_requests: false,
        ..SubgraphsConfig::default()
    };
    let client = SubgraphClient::new([("s".to_string(), server.url())], &config).expect("client");
    assert_eq!(fetch_five(&client, true).await, 5);
    assert_eq!(hits.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn requests_of_different_callers_are_never_shared() {
    let (server, hits) = counting_subgraph().await;
    let client = SubgraphClient::new(
        [("s".to_string(), server.url())],
        &SubgraphsConfig::default(),
    )
    .expect("client");
    let token = |i: usize| {
        vec![(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&format!("Bearer token-{}", i % 2)).expect("header"),
        )]
    };
    assert_eq!(fetch_five_as(&client, true, token).await, 5);
    // Two callers: one shared request each.
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
