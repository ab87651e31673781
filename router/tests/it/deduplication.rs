//! The subgraph client: identical in-flight subgraph requests share one HTTP
//! call (queries only, and only when `subgraphs.deduplicate_requests` is on),
//! and responses past `subgraphs.max_response_bytes` are refused.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tessera_router::config::SubgraphsConfig;
use tessera_router::internals::{SubgraphClient, SubgraphResponse};

async fn counting_subgraph() -> (common::Server, Arc<AtomicUsize>) {
    counting_subgraph_whose_first_answer_waits(Duration::ZERO).await
}

/// Answers `{"hello":"world"}` to every POST and counts them; the first
/// answer comes after `first_wait`.
async fn counting_subgraph_whose_first_answer_waits(
    first_wait: Duration,
) -> (common::Server, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move || {
            let counter = Arc::clone(&counter);
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    tokio::time::sleep(first_wait).await;
                }
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

/// The `hello` of a response.
fn hello(response: &SubgraphResponse) -> Option<&str> {
    response
        .data
        .as_ref()
        .and_then(|d| d.as_object())
        .and_then(|d| d.get("hello"))
        .and_then(|h| h.as_str())
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
        .filter(|r| r.as_deref().ok().and_then(hello) == Some("world"))
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

/// A shared call whose callers all went away still runs to its end (here:
/// the subgraph timeout) and leaves the table: a later identical call is a
/// new request, never a join of the abandoned one (which, resumed past its
/// deadline, failed the later caller with a timeout it never had).
#[tokio::test]
async fn an_abandoned_shared_call_is_not_joined_later() {
    // The first request hangs past the client's timeout.
    let (server, hits) = counting_subgraph_whose_first_answer_waits(Duration::from_secs(30)).await;
    let config = SubgraphsConfig {
        timeout_ms: 200,
        ..SubgraphsConfig::default()
    };
    let client = SubgraphClient::new([("s".to_string(), server.url())], &config).expect("client");
    let call = || client.fetch("s", r#"{"query":"{ hello }"}"#.into(), true, &[]);

    // The only caller gives up long before the subgraph timeout...
    let abandoned = tokio::time::timeout(Duration::from_millis(50), call()).await;
    assert!(abandoned.is_err(), "the first request should still hang");
    // ... and the next identical call comes after it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let response = call()
        .await
        .expect("a fresh request, not the abandoned one");
    assert_eq!(hello(&response), Some("world"));
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

/// Identical client queries in flight together share their subgraph
/// responses, which every request merges into its own tree by reference:
/// each gets the whole answer, exactly as a request alone gets it, including
/// results several entities share and objects a later fetch merges into.
#[tokio::test]
async fn requests_sharing_subgraph_responses_each_get_the_whole_answer() {
    use crate::federation_kit::{Scenario, Subgraph};
    use serde_json::json;

    let delay = Duration::from_millis(300);
    let subgraphs = || {
        vec![
            Subgraph::federated(
                "shelf",
                r#"
                extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
                type Query { items: [Item!]! }
                type Item @key(fields: "id") { id: ID! }
                "#,
            )
            .query(json!({"items": [{"id": "1"}, {"id": "2"}, {"id": "1"}, {"id": "3"}, {"id": "2"}]}))
            .delay(delay),
            Subgraph::federated(
                "catalog",
                r#"
                extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
                type Item @key(fields: "id") { id: ID! name: String tags: [String!]! detail: Detail }
                type Detail @key(fields: "id") { id: ID! size: Int }
                "#,
            )
            .entity(|repr| {
                let id = repr["id"].as_str().unwrap_or_default().to_owned();
                Ok(match repr["__typename"].as_str() {
                    Some("Item") => json!({
                        "__typename": "Item",
                        "id": id,
                        "name": format!("item {id} with a name longer than inline"),
                        "tags": ["a", format!("tag-{id}")],
                        "detail": {"__typename": "Detail", "id": format!("d{id}"), "size": id.len()},
                    }),
                    _ => json!({"__typename": "Detail", "id": id, "size": 1}),
                })
            })
            .delay(delay),
            Subgraph::federated(
                "stock",
                r#"
                extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
                type Detail @key(fields: "id") { id: ID! inStock: Boolean }
                "#,
            )
            .entity(|repr| {
                let id = repr["id"].as_str().unwrap_or_default();
                Ok(json!({"__typename": "Detail", "id": id, "inStock": id != "d2"}))
            })
            .delay(delay),
        ]
    };
    let query = "{ items { id name tags detail { id size inStock } } }";
    let alone = Scenario::compose_with(subgraphs(), |c| {
        c.subgraphs.deduplicate_requests = false;
    })
    .await;
    let expected = alone.run(query, json!({})).await;
    assert!(expected.get("errors").is_none(), "{expected:#}");
    assert_eq!(
        expected["data"]["items"][2],
        json!({"id": "1", "name": "item 1 with a name longer than inline", "tags": ["a", "tag-1"],
               "detail": {"id": "d1", "size": 1, "inStock": true}}),
        "{expected:#}"
    );

    let shared = Scenario::compose(subgraphs()).await;
    const CLIENTS: usize = 8;
    let answers =
        futures::future::join_all((0..CLIENTS).map(|_| shared.run(query, json!({})))).await;
    for answer in &answers {
        assert_eq!(answer, &expected);
    }
    // The answers came from shared responses: fewer subgraph calls than
    // clients at every step.
    for name in ["shelf", "catalog", "stock"] {
        let calls = shared.subgraph(name).received().len();
        assert!(calls < CLIENTS, "{name} was called {calls} times");
    }
}
