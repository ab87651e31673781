//! The subgraph client: identical in-flight subgraph requests share one HTTP
//! call (queries only, and only when `subgraphs.deduplicate_requests` is on),
//! and responses past `subgraphs.max_response_bytes` are refused.

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

#[tokio::test]
async fn a_response_past_the_size_limit_is_refused() {
    let (server, _) = counting_subgraph().await;
    // The subgraph answers 26 bytes: one byte under the limit fails, the
    // exact size passes.
    let body = r#"{"data":{"hello":"world"}}"#;
    for (limit, accepted) in [(body.len() - 1, false), (body.len(), true)] {
        let config = SubgraphsConfig {
            max_response_bytes: limit,
            ..SubgraphsConfig::default()
        };
        let client =
            SubgraphClient::new([("s".to_string(), server.url())], &config).expect("client");
        let result = client
            .fetch("s", r#"{"query":"{ hello }"}"#.into(), true, &[])
            .await;
        match result {
            Ok(response) => assert!(accepted, "limit {limit}: {:?}", response.data),
            Err(error) => {
                assert!(!accepted, "limit {limit}: {error}");
                assert_eq!(
                    error.code(),
                    tessera_router::error::ErrorCode::SubgraphInvalidResponse
                );
                assert!(error.to_string().contains("larger than"), "{error}");
            }
        }
    }
}
