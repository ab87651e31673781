//! OneOf Input Objects (GraphQL spec, September 2025) end to end: a subgraph's
//! `@oneOf` input composes into the supergraph and the API schema, and the
//! router refuses, before any fetch, a literal or a variable value that does
//! not give exactly one non-null field.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph};
use serde_json::{Value, json};

const SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
directive @oneOf on INPUT_OBJECT
type Query { product(by: ProductBy!): Product }
input ProductBy @oneOf { id: ID upc: String }
type Product @key(fields: "id") { id: ID! upc: String }
"#;

async fn scenario() -> Scenario {
    let products = Subgraph::federated("products", SDL).resolve(|call| {
        (call.field == "product").then(|| {
            let by = &call.args["by"];
            Ok(match (by["id"].as_str(), by["upc"].as_str()) {
                (Some("p1"), None) | (None, Some("u1")) => json!({"id": "p1", "upc": "u1"}),
                _ => Value::Null,
            })
        })
    });
    Scenario::compose(vec![products]).await
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn one_field_is_answered() {
    let s = scenario().await;
    let (status, body) = s
        .post(
            r#"{ a: product(by: { id: "p1" }) { upc } b: product(by: { upc: "u1" }) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!({"a": {"upc": "u1"}, "b": {"id": "p1"}}),
        "{body}"
    );
    let (_, body) = s
        .post(
            "query($by: ProductBy!) { product(by: $by) { id } }",
            json!({"by": {"upc": "u1"}}),
        )
        .await;
    assert_eq!(body["data"], json!({"product": {"id": "p1"}}), "{body}");
}

#[tokio::test]
async fn other_than_one_non_null_field_is_refused_before_any_fetch() {
    let s = scenario().await;
    for (query, variables, code) in [
        (
            r#"{ product(by: { id: "p1", upc: "u1" }) { id } }"#,
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            r#"{ product(by: { id: null }) { id } }"#,
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query($id: ID) { product(by: { id: $id }) { id } }",
            json!({"id": "p1"}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query($by: ProductBy!) { product(by: $by) { id } }",
            json!({"by": {"id": "p1", "upc": "u1"}}),
            "BAD_USER_INPUT",
        ),
        (
            "query($by: ProductBy!) { product(by: $by) { id } }",
            json!({"by": {}}),
            "BAD_USER_INPUT",
        ),
    ] {
        let (status, body) = s.post(query, variables.clone()).await;
        assert!(
            body.get("data").is_none_or(Value::is_null),
            "{query} {variables}: {body}"
        );
        assert_eq!(
            codes(&body),
            vec![code.to_string()],
            "{query} {variables}: {body}"
        );
        assert!(status == 400 || status == 200, "{query}: {status}");
    }
    assert!(
        s.subgraph("products").received().is_empty(),
        "{:?}",
        s.subgraph("products").received()
    );
}

#[tokio::test]
async fn the_api_schema_keeps_one_of() {
    let s = scenario().await;
    let (_, body) = s
        .post(
            r#"{ __type(name: "ProductBy") { kind inputFields { name } } __schema { directives { name locations } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["__type"]["kind"], "INPUT_OBJECT", "{body}");
    let directives = body["data"]["__schema"]["directives"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        directives.contains(&json!({"name": "oneOf", "locations": ["INPUT_OBJECT"]})),
        "{body}"
    );
}

/// `__Type.isOneOf` and the built-in `@oneOf` answer as graphql-js answers
/// them: `true` / `false` for input objects, `null` for other types and for
/// wrapping types; aliases, fragments and `__schema` paths included.
#[tokio::test]
async fn introspection_tells_one_of_inputs() {
    let s = scenario().await;
    let (status, body) = s
        .post(
            r#"{
                by: __type(name: "ProductBy") { name isOneOf }
                product: __type(name: "Product") { oneOf: isOneOf ...T }
                __schema {
                    directives { name locations args { name } }
                    queryType { fields { args { type { kind isOneOf ofType { name isOneOf } } } } }
                }
            }
            fragment T on __Type { kind again: isOneOf }"#,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let data = &body["data"];
    assert_eq!(data["by"], json!({"name": "ProductBy", "isOneOf": true}));
    assert_eq!(
        data["product"],
        json!({"oneOf": null, "kind": "OBJECT", "again": null})
    );
    let directives = data["__schema"]["directives"].as_array().unwrap();
    let one_of = directives.iter().find(|d| d["name"] == "oneOf");
    assert_eq!(
        one_of,
        Some(&json!({"name": "oneOf", "locations": ["INPUT_OBJECT"], "args": []})),
        "{directives:?}"
    );
    let fields = data["__schema"]["queryType"]["fields"].as_array().unwrap();
    let by = fields
        .iter()
        .flat_map(|f| f["args"].as_array().unwrap())
        .next()
        .unwrap();
    assert_eq!(
        by["type"],
        json!({"kind": "NON_NULL", "isOneOf": null, "ofType": {"name": "ProductBy", "isOneOf": true}})
    );
}

/// A field of the clients' own types may be called `isOneOf`; only
/// `__Type`'s is answered by introspection.
#[tokio::test]
async fn is_one_of_outside_introspection_is_left_alone() {
    let flags = Subgraph::federated(
        "flags",
        r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { flag: Flag }
type Flag { isOneOf: String }
"#,
    )
    .resolve(|call| (call.field == "flag").then(|| Ok(json!({"isOneOf": "mine"}))));
    let s = Scenario::compose(vec![flags]).await;
    let (_, body) = s
        .post(
            r#"{ __type(name: "Flag") { isOneOf fields { name } } flag { isOneOf } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({
            "__type": {"isOneOf": null, "fields": [{"name": "isOneOf"}]},
            "flag": {"isOneOf": "mine"}
        }),
        "{body}"
    );
}
