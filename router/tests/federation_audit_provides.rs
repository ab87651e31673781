//! Scenarios of the federation gateway audit about `@provides`, reproduced with
//! our own subgraphs and composed with our composition:
//! `provides-only-requested-fields` (only the provided fields the client selected
//! are asked for; run in the audit's "punish poor plans" mode: every field a good
//! plan never asks for fails).

mod federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::{Value, json};

// provides-only-requested-fields ---------------------------------------------

fn entities() -> Value {
    json!([
        {"id": "e1", "name": "Entity One", "description": "Description One", "extra": "Extra One"},
        {"id": "e2", "name": "Entity Two", "description": "Description Two", "extra": "Extra Two"}
    ])
}

fn provides_subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Query { _aPlaceholder: Boolean }
        type Entity @key(fields: "id") {
          id: ID!
          name: String! @shareable
          description: String! @shareable
          extra: String!
        }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Entity", "name" | "description") => {
            Some(Err(format!("`{}` must come from b's @provides", call.field)))
        }
        _ => None,
    })
    .entity(|repr| {
        Ok(entities()
            .as_array()
            .and_then(|l| l.iter().find(|e| e["id"] == repr["id"]).cloned())
            .unwrap_or(Value::Null))
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides"])
        type Query {
          entity: Entity @provides(fields: "name description")
          entities: [Entity!]! @provides(fields: "name description")
        }
        type Entity @key(fields: "id") {
          id: ID!
          name: String! @external
          description: String! @external
        }
        "#,
    )
    .query(json!({"entity": entities()[0], "entities": entities()}))
    .resolve(|call| match (call.type_name, call.field) {
        ("Entity", "description") => Some(Err("over-fetch: nobody selected description".into())),
        _ => None,
    })
    .entity(|_| Err("b must not be entered through _entities".into()));
    vec![a, b]
}

#[tokio::test]
async fn provides_only_requested_fields() {
    let s = Scenario::compose(provides_subgraphs()).await;
    let one = json!({"id": "e1", "name": "Entity One"});
    check(
        &s,
        "{ entity { id } }",
        json!({"entity": {"id": "e1"}}),
        false,
    )
    .await;
    check(&s, "{ entity { id name } }", json!({"entity": one}), false).await;
    check(
        &s,
        "{ entity { id displayName: name } }",
        json!({"entity": {"id": "e1", "displayName": "Entity One"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id ... on Entity { name } } }",
        json!({"entity": one}),
        false,
    )
    .await;
    check(
        &s,
        "query { entity { id ...EntityName } } fragment EntityName on Entity { name }",
        json!({"entity": one}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id name extra } }",
        json!({"entity": {"id": "e1", "name": "Entity One", "extra": "Extra One"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ entities { id name } }",
        json!({"entities": [{"id": "e1", "name": "Entity One"}, {"id": "e2", "name": "Entity Two"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ entities { id name extra } }",
        json!({"entities": [
            {"id": "e1", "name": "Entity One", "extra": "Extra One"},
            {"id": "e2", "name": "Entity Two", "extra": "Extra Two"}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id ... on Entity @skip(if: true) { description } } }",
        json!({"entity": {"id": "e1"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id ... on Entity @include(if: false) { description } } }",
        json!({"entity": {"id": "e1"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id ... { name } ... { extra } } }",
        json!({"entity": {"id": "e1", "name": "Entity One", "extra": "Extra One"}}),
        false,
    )
    .await;
}
