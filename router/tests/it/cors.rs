//! CORS: no cross-origin access unless configured; configured origins get
//! preflight answers and `access-control-allow-origin`.

use crate::common;

#[tokio::test]
async fn no_cors_headers_by_default() {
    let stack = common::stack().await;
    let r = stack
        .http
        .post(stack.graphql_url())
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .expect("response");
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn configured_origins_are_allowed() {
    let stack = common::stack_with(|config, _| {
        config.cors.allow_origins = vec!["http://localhost:3000".into()];
    })
    .await;
    let preflight = stack
        .http
        .request(reqwest::Method::OPTIONS, stack.graphql_url())
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");

    let r = stack
        .http
        .post(stack.graphql_url())
        .header("origin", "http://localhost:3000")
        .header("content-type", "application/json")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .expect("response");
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );

    let other = stack
        .http
        .post(stack.graphql_url())
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .expect("response");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
