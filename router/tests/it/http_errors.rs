//! Bad requests get the right status, a GraphQL error body with a stable code,
//! and never take the router down.

use crate::common;

use serde_json::json;

const NEW: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

async fn assert_still_serving(stack: &common::Stack) {
    let body = stack.query("{ me { id } }").await;
    assert_eq!(body, json!({"data": {"me": {"id": "u1"}}}));
}

#[tokio::test]
async fn malformed_json_is_400_with_a_graphql_error() {
    let stack = common::stack().await;
    for accept in [None, Some(NEW), Some(JSON)] {
        let reply = stack.post_raw("{\"query\": ", JSON, accept).await;
        assert_eq!(reply.status, 400, "{accept:?}");
        assert_eq!(reply.codes(), vec!["INVALID_GRAPHQL_REQUEST"]);
        assert!(reply.body.get("data").is_none());
    }
    assert_still_serving(&stack).await;
}

#[tokio::test]
async fn non_graphql_bodies_are_400() {
    let stack = common::stack().await;
    for body in [
        r#"{"hello": "world"}"#,
        "[1, 2]",
        "42",
        r#"{"query": 7}"#,
        r#"{"query": "{ me { id } }", "variables": [1]}"#,
    ] {
        let reply = stack.post_raw(body, JSON, None).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.codes(), vec!["INVALID_GRAPHQL_REQUEST"], "{body}");
    }
    let reply = stack
        .post_raw("query { me { id } }", "text/plain", None)
        .await;
    assert_eq!(reply.status, 415);
    assert_eq!(reply.codes(), vec!["UNSUPPORTED_MEDIA_TYPE"]);
    assert_still_serving(&stack).await;
}

#[tokio::test]
async fn request_errors_are_200_for_json_and_400_for_graphql_response_json() {
    let stack = common::stack().await;
    let cases = [
        ("{ me { id }", "GRAPHQL_PARSE_FAILED"),
        ("{ me { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ product(upc: 1, extra: true) { name } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (query, code) in cases {
        let body = json!({"query": query}).to_string();
        let reply = stack.post_raw(body.clone(), JSON, Some(JSON)).await;
        assert_eq!(reply.status, 200, "{query}");
        assert_eq!(reply.content_type, format!("{JSON}; charset=utf-8"));
        assert!(
            reply.codes().iter().all(|c| c == code),
            "{query}: {:#}",
            reply.body
        );
        assert!(reply.body.get("data").is_none());

        let reply = stack.post_raw(body, JSON, Some(NEW)).await;
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.content_type, format!("{NEW}; charset=utf-8"));
        assert!(
            reply.codes().iter().all(|c| c == code),
            "{query}: {:#}",
            reply.body
        );
    }
    assert_still_serving(&stack).await;
}

#[tokio::test]
async fn syntax_errors_carry_locations() {
    let stack = common::stack().await;
    let reply = stack.request("{ me { id }", json!({})).await;
    assert_eq!(reply.codes(), vec!["GRAPHQL_PARSE_FAILED"]);
    assert!(
        reply.body["errors"][0]["locations"][0]["line"].is_number(),
        "{:#}",
        reply.body
    );
}

#[tokio::test]
async fn wrong_variable_types_are_bad_user_input() {
    let stack = common::stack().await;
    let query = "query($upc: String!, $first: Int) { product(upc: $upc) { name } topProducts(first: $first) { upc } }";
    for variables in [
        json!({"upc": 3}),
        json!({}),
        json!({"upc": "1", "first": "many"}),
    ] {
        let reply = stack.request(query, variables.clone()).await;
        assert_eq!(
            reply.codes(),
            vec!["BAD_USER_INPUT"],
            "{variables}: {:#}",
            reply.body
        );
        assert!(reply.body.get("data").is_none());
    }
}

#[tokio::test]
async fn a_ten_megabyte_body_is_413() {
    let stack = common::stack().await;
    let padding = "x".repeat(10 * 1024 * 1024);
    let body = json!({"query": "{ me { id } }", "extensions": {"padding": padding}}).to_string();
    let reply = stack.post_raw(body, JSON, None).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.codes(), vec!["PAYLOAD_TOO_LARGE"]);
    assert_still_serving(&stack).await;
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let stack = common::stack_with(|config, _| config.limits.max_body_bytes = 64).await;
    let reply = stack
        .request("{ me { id name username reviews { body } } }", json!({}))
        .await;
    assert_eq!(reply.status, 413);
    let reply = stack.request("{ me { id } }", json!({})).await;
    assert_eq!(reply.status, 200);
}

fn nested(depth: usize) -> String {
    format!(
        "{{ {}id{} }}",
        "me { reviews { author { ".repeat(depth / 3),
        " } } }".repeat(depth / 3)
    )
}

#[tokio::test]
async fn a_thousand_level_deep_query_is_rejected_without_crashing() {
    let stack = common::stack().await;
    let reply = stack.request(&nested(1000), json!({})).await;
    assert_eq!(
        reply.codes(),
        vec!["MAX_DEPTH_EXCEEDED"],
        "{:#}",
        reply.body
    );
    // Much deeper than the parser's recursion limit, still no stack overflow.
    let reply = stack.request(&"{ a ".repeat(50_000), json!({})).await;
    assert!(!reply.codes().is_empty());
    assert_still_serving(&stack).await;
}

#[tokio::test]
async fn depth_and_alias_limits_are_configurable() {
    let stack = common::stack_with(|config, _| {
        config.limits.max_depth = 3;
        config.limits.max_aliases = 2;
        config.limits.max_root_fields = 3;
    })
    .await;
    let reply = stack
        .request("{ me { reviews { product { upc } } } }", json!({}))
        .await;
    assert_eq!(reply.codes(), vec!["MAX_DEPTH_EXCEEDED"]);
    let reply = stack
        .request("{ a: me { id } b: me { id } c: me { id } }", json!({}))
        .await;
    assert_eq!(reply.codes(), vec!["MAX_ALIASES_EXCEEDED"]);
    let reply = stack
        .request("{ me { id } users { id } version __typename }", json!({}))
        .await;
    assert_eq!(reply.codes(), vec!["MAX_ROOT_FIELDS_EXCEEDED"]);
    let reply = stack
        .request("{ me { reviews { body } } }", json!({}))
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.get("errors").is_none(), "{:#}", reply.body);
}

#[tokio::test]
async fn token_floods_are_rejected() {
    let stack = common::stack().await;
    let query = format!("{{ me {{ {} }} }}", "id ".repeat(20_000));
    let reply = stack.request(&query, json!({})).await;
    assert_eq!(reply.codes(), vec!["MAX_TOKENS_EXCEEDED"]);
}

#[tokio::test]
async fn persisted_queries_and_other_methods_are_refused_cleanly() {
    let stack = common::stack().await;
    let reply = stack
        .post(json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.codes(), vec!["PERSISTED_QUERY_NOT_SUPPORTED"]);

    let response = stack
        .http
        .put(stack.graphql_url())
        .body("{}")
        .send()
        .await
        .expect("router reachable");
    let reply = common::reply(response).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.codes(), vec!["METHOD_NOT_ALLOWED"]);
}

#[tokio::test]
async fn health_answers_once_ready() {
    let stack = common::stack().await;
    let response = stack
        .http
        .get(format!("http://{}/health", stack.router.local_addr()))
        .send()
        .await
        .expect("router reachable");
    assert_eq!(response.status().as_u16(), 200);
}
