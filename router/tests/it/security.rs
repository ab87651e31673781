//! Regression tests for the defects a probe of the platform found: requests
//! that cost the router far more than they look, and answers that leak or
//! echo too much. Each test failed before its fix.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph};
use serde_json::{Value, json};

fn shop() -> Subgraph {
    Subgraph::federated(
        "shop",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { product(id: ID!): Product, products(first: Int = 10): [Product!]! }
        type Product @key(fields: "id") { id: ID! name: String related(first: Int = 10): [Product!]! }
        "#,
    )
    .query(json!({
        "product": {"id": "1", "name": "Table", "related": []},
        "products": [{"id": "1", "name": "Table", "related": []}]
    }))
}

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// A chain of fragments that each spread the next four times: 1.6 KB of
/// document, 4^20 fields once expanded. It used to be expanded (and planned)
/// for minutes; now it is measured without expanding and refused.
#[tokio::test]
async fn fragment_chains_are_refused_before_planning() {
    let s = Scenario::compose(vec![shop()]).await;
    let depth = 20;
    let mut query = String::from("query Bomb { ...F0 }\n");
    for i in 0..depth {
        let next = format!("...F{} ", i + 1);
        query.push_str(&format!(
            "fragment F{i} on Query {{ {} }}\n",
            next.repeat(4)
        ));
    }
    query.push_str(&format!(
        "fragment F{depth} on Query {{ product(id: \"1\") {{ name }} }}\n"
    ));
    assert!(query.len() < 2_000, "{}", query.len());
    for _ in 0..3 {
        let (status, body) = s.post(&query, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(code(&body), Some("MAX_FIELDS_EXCEEDED"), "{body}");
        assert!(body.get("data").is_none(), "{body}");
    }
    assert!(s.subgraph("shop").received().is_empty());
    // The same shape within the limit still runs.
    let small = "query { ...A } fragment A on Query { ...B ...B } fragment B on Query { product(id: \"1\") { name } }";
    let body = s.query(small).await;
    assert_eq!(
        body["data"],
        json!({"product": {"name": "Table"}}),
        "{body}"
    );
}

/// The field limit counts what expansion makes, and is configurable.
#[tokio::test]
async fn the_expanded_field_limit_is_configurable() {
    let s = Scenario::compose_with(vec![shop()], |c| c.limits.max_fields = 3).await;
    let (_, body) = s
        .post(
            "{ ...P ...P } fragment P on Query { product(id: \"1\") { id name } }",
            json!({}),
        )
        .await;
    // 2 copies × 3 fields = 6 > 3, although the document spells 3 fields.
    assert_eq!(code(&body), Some("MAX_FIELDS_EXCEEDED"), "{body}");
    let body = s.query("{ product(id: \"1\") { id name } }").await;
    assert_eq!(body["data"]["product"]["name"], "Table", "{body}");
}

async fn raw(s: &Scenario, query: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(s.router.graphql_url())
        .json(&json!({"query": query}))
        .send()
        .await
        .expect("router reachable");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

const FAN_OUT: &str =
    "{ products(first: 100) { related(first: 100) { related(first: 100) { id } } } }";

/// Regression: nothing bounded what an operation multiplies (a page of orders,
/// each with its buyer's page of orders, ...: 280k orders from one request).
/// Demand control refuses it before any subgraph is called.
#[tokio::test]
async fn operations_over_the_cost_limit_are_refused_before_any_fetch() {
    let s = Scenario::compose(vec![shop()]).await;
    let (status, body) = raw(&s, FAN_OUT).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(code(&body), Some("COST_ESTIMATED_TOO_EXPENSIVE"), "{body}");
    // products: 100 × (1 + related 100 × (1 + related 100 × 1)) = 1,010,100.
    assert_eq!(
        body["errors"][0]["extensions"]["cost"],
        json!({"estimated": 1_010_100, "max": 50_000})
    );
    assert!(body.get("data").is_none(), "{body}");
    // Aliases multiply too.
    // Each alias: 100 × (1 + 150 × 1) = 15,100; four of them: 60,400.
    let aliased = "{ a: products(first: 100) { related(first: 150) { id } } b: products(first: 100) { related(first: 150) { id } } c: products(first: 100) { related(first: 150) { id } } d: products(first: 100) { related(first: 150) { id } } }";
    let (_, body) = raw(&s, aliased).await;
    assert_eq!(code(&body), Some("COST_ESTIMATED_TOO_EXPENSIVE"), "{body}");
    assert!(s.subgraph("shop").received().is_empty());
    // Small pages run.
    let (_, body) = raw(&s, "{ products(first: 5) { related(first: 5) { id } } }").await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn measure_mode_reports_the_cost_and_runs() {
    let s = Scenario::compose_with(vec![shop()], |c| {
        c.demand_control.mode = tessera_router::config::DemandControlMode::Measure;
    })
    .await;
    let (_, body) = raw(&s, FAN_OUT).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["extensions"]["cost"], json!({"estimated": 1_010_100}));
    assert_eq!(body["data"]["products"][0]["related"], json!([]));
}

/// Regression: 3,000 unknown directives gave a 448 KB error list, and a
/// 100 KB id was echoed back whole.
#[tokio::test]
async fn rejections_stay_small_and_echo_little() {
    let s = Scenario::compose(vec![shop()]).await;
    let directives = "@nope ".repeat(3_000);
    let (_, body) = raw(
        &s,
        &format!("{{ product(id: \"1\") {directives} {{ name }} }}"),
    )
    .await;
    let errors = body["errors"].as_array().expect("errors");
    assert!(errors.len() <= 101, "{}", errors.len());
    assert!(
        body.to_string().len() < 64 * 1024,
        "{}",
        body.to_string().len()
    );

    let id = "x".repeat(100_000);
    let (_, body) = raw(&s, &format!("{{ product(id: {id}) {{ name }} }}")).await;
    assert!(body.get("errors").is_some(), "{body}");
    assert!(
        body.to_string().len() < 4 * 1024,
        "{}",
        body.to_string().len()
    );
    let (_, body) = raw(&s, &format!("{{ product(id: \"1\", {id}: 1) {{ name }} }}")).await;
    assert!(
        body.to_string().len() < 4 * 1024,
        "{}",
        body.to_string().len()
    );
}

/// Regression: an `authorization` header over 64 KB broke the router's shared
/// HTTP/2 connection to a subgraph and failed other clients' requests. It is
/// refused at the router (431) and never forwarded.
#[tokio::test]
async fn oversized_forwarded_headers_are_refused_at_the_router() {
    let s =
        Scenario::compose_with(vec![shop()], |c| c.subgraphs.http2_prior_knowledge = true).await;
    let response = reqwest::Client::new()
        .post(s.router.graphql_url())
        .header("authorization", format!("Bearer {}", "a".repeat(64 * 1024)))
        .json(&json!({"query": "{ product(id: \"1\") { name } }"}))
        .send()
        .await
        .expect("router reachable");
    assert_eq!(response.status().as_u16(), 431);
    let body: Value = response.json().await.expect("json");
    assert_eq!(code(&body), Some("REQUEST_HEADERS_TOO_LARGE"), "{body}");
    assert!(s.subgraph("shop").received().is_empty());
    // Others (and the same client with a sane header) are served.
    let response = reqwest::Client::new()
        .post(s.router.graphql_url())
        .header("authorization", "Bearer ok")
        .json(&json!({"query": "{ product(id: \"1\") { name } }"}))
        .send()
        .await
        .expect("router reachable");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["product"]["name"], "Table", "{body}");
}

/// Regression: connections that sent nothing, or half a request head, were
/// held forever (hyper got no timer, so its header-read timeout never fired).
#[tokio::test]
async fn idle_and_half_open_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Scenario::compose_with(vec![shop()], |c| c.limits.header_read_timeout_ms = 300).await;
    let addr = s.router.local_addr();
    for opening in [&b""[..], b"POST /graphql HTTP/1.1\r\nhost: x\r\n"] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.write_all(opening).await.expect("write");
        let mut buffer = Vec::new();
        // Closed by the router (possibly after a 408): read reaches the end.
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_end(&mut buffer),
        )
        .await;
        assert!(read.is_ok(), "connection still open after 10 s");
        let answer = String::from_utf8_lossy(&buffer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    // A prompt client is served as before.
    let (_, body) = raw(&s, "{ product(id: \"1\") { name } }").await;
    assert_eq!(body["data"]["product"]["name"], "Table", "{body}");
}

/// `@cost` and `@listSize` declared in a subgraph reach the supergraph
/// through our composition and drive demand control.
#[tokio::test]
async fn cost_directives_survive_composition() {
    let catalog = Subgraph::federated(
        "catalog",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
        type Query {
          products(limit: Int = 5): [Product!]! @listSize(slicingArguments: ["limit"])
          expensive: Int @cost(weight: 50)
        }
        type Product @key(fields: "id") { id: ID! name: String @cost(weight: 3) }
        "#,
    )
    .query(json!({"products": [{"id": "1", "name": "Table"}], "expensive": 1}));
    let s = Scenario::compose_with(vec![catalog], |c| {
        c.demand_control.mode = tessera_router::config::DemandControlMode::Measure;
    })
    .await;
    assert!(
        s.supergraph.contains("@cost(weight: 50)"),
        "{}",
        s.supergraph
    );
    assert!(s.supergraph.contains("@listSize("), "{}", s.supergraph);
    let cost = |query: &'static str| {
        let url = s.router.graphql_url();
        async move {
            let body: Value = reqwest::Client::new()
                .post(url)
                .json(&json!({"query": query}))
                .send()
                .await
                .expect("router reachable")
                .json()
                .await
                .expect("json");
            body["extensions"]["cost"]["estimated"].as_u64()
        }
    };
    // products: 7 × (object 1 + name 3) = 28; expensive: 50.
    assert_eq!(cost("{ products(limit: 7) { name } }").await, Some(28));
    assert_eq!(cost("{ expensive }").await, Some(50));
}

/// A subgraph whose first connection breaks under a request (as a shared
/// HTTP/2 connection does when another client's request makes the subgraph
/// reset it): the query is sent again on a fresh connection and the client
/// gets its answer; a mutation is not sent twice.
#[tokio::test]
async fn a_query_survives_a_connection_that_breaks_under_it() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    let server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let _ = stream.read(&mut buffer).await;
                if n.is_multiple_of(2) {
                    // Every other connection dies under its request.
                    return;
                }
                let body = r#"{"data":{"product":{"name":"Table"},"rename":{"name":"Desk"}}}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    let shop = Subgraph::federated(
        "shop",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { product(id: ID!): Product }
        type Mutation { rename(name: String!): Product }
        type Product @key(fields: "id") { id: ID! name: String }
        "#,
    );
    let s = Scenario::compose_with(vec![shop], |c| {
        c.subgraphs.overrides.insert(
            "shop".to_owned(),
            tessera_router::config::SubgraphOverride {
                url: Some(format!("http://{addr}/graphql")),
                ..Default::default()
            },
        );
    })
    .await;
    let body = s.query(r#"{ product(id: "1") { name } }"#).await;
    assert_eq!(body["data"]["product"]["name"], "Table", "{body}");
    assert_eq!(connections.load(Ordering::SeqCst), 2, "one retry");
    let (_, body) = s
        .post(r#"mutation { rename(name: "Desk") { name } }"#, json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "SUBGRAPH_REQUEST_FAILED",
        "{body}"
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        3,
        "a mutation is sent once"
    );
    server.abort();
}
