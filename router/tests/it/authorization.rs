//! `@authenticated`, `@requiresScopes` and `@policy` enforced at the router,
//! in front of subgraphs that check nothing: unauthorized fields are never
//! requested from a subgraph, read `null` with `UNAUTHORIZED_FIELD_OR_TYPE` at
//! their paths, and the rest of the response is served.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tessera_router::config::PolicyRule;
use tessera_router::config::{JwtConfig, JwtIssuerConfig};

const SECRET: &str = "authorization-test-secret-of-enough-length";

fn catalog() -> Subgraph {
    Subgraph::federated(
        "catalog",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
        type Query {
          products: [Product!]!
          product(id: ID!): Product
          me: User @authenticated
          audit: AuditLog
          node(id: ID!): Node
        }
        interface Node { id: ID! }
        type Product implements Node @key(fields: "id") {
          id: ID!
          name: String
          stock: Int @requiresScopes(scopes: [["inventory:read"], ["admin"]])
          margin: Float! @requiresScopes(scopes: [["finance", "read"]])
          supplier: String @policy(policies: [["staff"]])
        }
        type User { id: ID! email: String }
        type AuditLog implements Node @authenticated { id: ID! entries: [String!]! }
        "#,
    )
    .query(json!({
        "products": [
            {"id": "1", "name": "Table", "stock": 4, "margin": 0.5, "supplier": "Acme"},
            {"id": "2", "name": "Chair", "stock": 9, "margin": 0.25, "supplier": "Acme"}
        ],
        "product": {"id": "1", "name": "Table", "stock": 4, "margin": 0.5, "supplier": "Acme"},
        "me": {"id": "u1", "email": "u1@example.com"},
        "audit": {"id": "log", "entries": ["restocked"]},
        "node": {"__typename": "AuditLog", "id": "log"}
    }))
}

fn jwt(reject: bool) -> impl FnOnce(&mut tessera_router::RouterConfig) {
    move |c| {
        c.authentication.jwt = Some(JwtConfig {
            issuers: vec![JwtIssuerConfig {
                issuer: "test".to_owned(),
                audiences: vec![],
                algorithms: vec![Algorithm::HS256],
                secret: Some(SECRET.to_owned()),
                jwks_file: None,
                jwks_url: None,
                refresh_interval_secs: 300,
                min_refetch_interval_secs: 10,
                development: false,
            }],
            ..JwtConfig::default()
        });
        c.authorization.reject_unauthorized = reject;
        c.authorization.policies.insert(
            "staff".to_owned(),
            PolicyRule {
                claims: [("role".to_owned(), json!("staff"))].into_iter().collect(),
                ..PolicyRule::default()
            },
        );
    }
}

fn token(extra: Value) -> String {
    let mut claims =
        json!({"iss": "test", "sub": "u1", "exp": jsonwebtoken::get_current_timestamp() + 600});
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        claims.extend(extra.clone());
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("signs")
}

async fn call(s: &Scenario, query: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(s.router.graphql_url())
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": query}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("router reachable");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// (path, code) of every error, sorted.
fn errors(body: &Value) -> Vec<(Value, String)> {
    let mut found: Vec<(Value, String)> = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["path"].clone(),
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|(path, _)| path.to_string());
    found
}

fn unauthorized(paths: &[Value]) -> Vec<(Value, String)> {
    let mut expected: Vec<(Value, String)> = paths
        .iter()
        .map(|p| (p.clone(), "UNAUTHORIZED_FIELD_OR_TYPE".to_owned()))
        .collect();
    expected.sort_by_key(|(path, _)| path.to_string());
    expected
}

/// The subgraph's requests, joined.
fn requested(s: &Scenario) -> String {
    let text = s
        .subgraph("catalog")
        .received()
        .into_iter()
        .map(|(query, _)| query)
        .collect::<Vec<_>>()
        .join("\n");
    s.subgraph("catalog").clear();
    text
}

const MIXED: &str = "{ products { id name stock } me { email } }";

#[tokio::test]
async fn fields_are_removed_by_who_asks() {
    let s = Scenario::compose_with(vec![catalog()], jwt(false)).await;

    // Anonymous: neither the @authenticated field nor the scoped one.
    let (status, body) = call(&s, MIXED, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!({"products": [{"id": "1", "name": "Table", "stock": null}, {"id": "2", "name": "Chair", "stock": null}], "me": null}),
        "{body}"
    );
    assert_eq!(
        errors(&body),
        unauthorized(&[json!(["products", "stock"]), json!(["me"])])
    );
    let sent = requested(&s);
    assert!(sent.contains("products"), "{sent}");
    assert!(!sent.contains("stock") && !sent.contains("email"), "{sent}");
    assert!(!sent.contains("me{") && !sent.contains("me {"), "{sent}");

    // Signed in without the scope: `me` runs, `stock` does not.
    let (_, body) = call(&s, MIXED, Some(&token(json!({"scope": "profile"})))).await;
    assert_eq!(
        body["data"]["me"],
        json!({"email": "u1@example.com"}),
        "{body}"
    );
    assert_eq!(body["data"]["products"][0]["stock"], Value::Null, "{body}");
    assert_eq!(errors(&body), unauthorized(&[json!(["products", "stock"])]));
    let sent = requested(&s);
    assert!(sent.contains("email") && !sent.contains("stock"), "{sent}");

    // With the scope (either alternative of the outer list): everything.
    for scope in [json!("profile inventory:read"), json!(["admin"])] {
        let (_, body) = call(&s, MIXED, Some(&token(json!({"scope": scope})))).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["products"][1]["stock"], 9, "{body}");
        assert!(requested(&s).contains("stock"));
    }
}

#[tokio::test]
async fn all_scopes_of_an_alternative_are_needed_and_non_null_fields_propagate() {
    let s = Scenario::compose_with(vec![catalog()], jwt(false)).await;
    let query = r#"{ product(id: "1") { name margin } products { name } }"#;
    // `margin: Float!` needs both `finance` and `read`: one is not enough, and
    // its null propagates to the nullable `product`.
    let (_, body) = call(&s, query, Some(&token(json!({"scope": "finance"})))).await;
    assert_eq!(body["data"]["product"], Value::Null, "{body}");
    assert_eq!(body["data"]["products"][0]["name"], "Table", "{body}");
    assert_eq!(errors(&body), unauthorized(&[json!(["product", "margin"])]));
    assert!(!requested(&s).contains("margin"));
    let (_, body) = call(&s, query, Some(&token(json!({"scope": "read finance"})))).await;
    assert_eq!(body["data"]["product"]["margin"], 0.5, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn policies_are_decided_by_config_rules_and_types_are_protected() {
    let s = Scenario::compose_with(vec![catalog()], jwt(false)).await;
    let query = r#"{ product(id: "1") { supplier } audit { entries } }"#;
    let (_, body) = call(&s, query, None).await;
    assert_eq!(
        body["data"],
        json!({"product": {"supplier": null}, "audit": null}),
        "{body}"
    );
    assert_eq!(
        errors(&body),
        unauthorized(&[json!(["product", "supplier"]), json!(["audit"])])
    );
    let (_, body) = call(&s, query, Some(&token(json!({"role": "customer"})))).await;
    assert_eq!(
        body["data"]["audit"]["entries"],
        json!(["restocked"]),
        "{body}"
    );
    assert_eq!(
        errors(&body),
        unauthorized(&[json!(["product", "supplier"])])
    );
    let (_, body) = call(&s, query, Some(&token(json!({"role": "staff"})))).await;
    assert_eq!(body["data"]["product"]["supplier"], "Acme", "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    // Through fragments and aliases, the path names the response key.
    let (_, body) = call(
        &s,
        r#"query { p: product(id: "1") { ...F } } fragment F on Product { name s: supplier }"#,
        None,
    )
    .await;
    assert_eq!(
        body["data"],
        json!({"p": {"name": "Table", "s": null}}),
        "{body}"
    );
    assert_eq!(errors(&body), unauthorized(&[json!(["p", "s"])]));
    // Only protected fields selected: nothing is planned at all.
    requested(&s);
    let (_, body) = call(&s, "{ me { id } }", None).await;
    assert_eq!(body["data"], json!({"me": null}), "{body}");
    assert_eq!(requested(&s), "");
}

/// A protected object type cannot come through an abstract field: `node`
/// can be an `AuditLog` (`@authenticated`), so an anonymous caller gets null.
#[tokio::test]
async fn protected_types_do_not_leak_through_interfaces() {
    let s = Scenario::compose_with(vec![catalog()], jwt(false)).await;
    for query in [
        r#"{ node(id: "log") { id } }"#,
        r#"{ node(id: "log") { ... on Node { id } } }"#,
    ] {
        let (_, body) = call(&s, query, None).await;
        assert_eq!(body["data"], json!({"node": null}), "{query}: {body}");
        assert_eq!(errors(&body), unauthorized(&[json!(["node"])]), "{query}");
        assert_eq!(requested(&s), "", "{query}");
    }
    let (_, body) = call(&s, r#"{ node(id: "log") { id } }"#, Some(&token(json!({})))).await;
    assert_eq!(body["data"]["node"]["id"], "log", "{body}");
}

#[tokio::test]
async fn reject_mode_refuses_the_whole_request() {
    let s = Scenario::compose_with(vec![catalog()], jwt(true)).await;
    let (status, body) = call(&s, MIXED, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(
        errors(&body),
        unauthorized(&[json!(["products", "stock"]), json!(["me"])])
    );
    assert_eq!(requested(&s), "");
    let (status, body) = call(&s, "{ products { name } }", None).await;
    assert_eq!(status, 200, "{body}");
}
