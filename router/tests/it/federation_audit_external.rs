//! Scenarios of the federation gateway audit about `@external` on extended
//! entities, reproduced with our own subgraphs and composed with our composition:
//! `fed1-external-extends`, `fed1-external-extension`, `fed2-external-extends`,
//! `fed2-external-extension` (an entity another subgraph owns, extended with
//! `@extends` or `extend type`, in Federation 1 and 2 subgraphs) and
//! `fed1-external-extends-resolvable` (external key fields of a second key).
//!
//! The audit ships `b` and the queries of the `*-extension` suites only through
//! the `*-extends` ones (same owner subgraph, same four queries).

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::{Value, json};

fn users() -> Value {
    json!([
        {"id": "u1", "name": "u1-name", "nickname": "u1-nickname", "rid": "u1-rid"},
        {"id": "u2", "name": "u2-name", "nickname": "u2-nickname", "rid": "u2-rid"}
    ])
}

fn user(id: &Value) -> Value {
    users()
        .as_array()
        .and_then(|l| l.iter().find(|u| &u["id"] == id).cloned())
        .unwrap_or(Value::Null)
}

const FED2_LINK: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
  import: ["@key", "@external", "@extends", "@provides", "@shareable"])"#;

/// `a` extends `User` (`header` is the `@link` or nothing for Federation 1,
/// `user` the type's first line); `b` owns it. `a`'s `name` resolver answers
/// "never" unless the name was provided.
fn external_subgraphs(fed2: bool, user_type: &str) -> Vec<Subgraph> {
    let header = if fed2 { FED2_LINK } else { "" };
    let shareable = if fed2 { "@shareable" } else { "" };
    let u1 = user(&json!("u1"));
    let a = Subgraph::federated(
        "a",
        &format!(
            r#"
            {header}
            type Query {{ randomUser: User providedRandomUser: User @provides(fields: "name") }}
            {user_type} {{ id: ID! @external name: String! @external rid: ID }}
            "#
        ),
    )
    .query(json!({
        "randomUser": {"id": u1["id"], "rid": u1["rid"]},
        "providedRandomUser": {"id": u1["id"], "rid": u1["rid"], "name": u1["name"]}
    }))
    .resolve(|call| match (call.type_name, call.field) {
        ("User", "name") => Some(Ok(match call.parent.get("name") {
            Some(name) => name.clone(),
            None => json!("never"),
        })),
        _ => None,
    })
    .entity(|repr| {
        let u = user(&repr["id"]);
        Ok(if u.is_null() {
            u
        } else {
            json!({"id": u["id"], "rid": u["rid"]})
        })
    });
    let b = Subgraph::federated(
        "b",
        &format!(
            r#"
            {header}
            type Query {{ userById(id: ID): User }}
            type User @key(fields: "id") {{ id: ID! name: String! {shareable} nickname: String }}
            "#
        ),
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Query", "userById") => Some(Ok(user(&call.args["id"]))),
        _ => None,
    })
    .entity(|repr| Ok(user(&repr["id"])));
    vec![a, b]
}

async fn check_external(fed2: bool, user_type: &str) {
    let s = Scenario::compose(external_subgraphs(fed2, user_type)).await;
    check(
        &s,
        r#"{ randomUser { id name } userById(id: "u2") { id name nickname } }"#,
        json!({"randomUser": {"id": "u1", "name": "u1-name"},
               "userById": {"id": "u2", "name": "u2-name", "nickname": "u2-nickname"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ randomUser { id rid } }",
        json!({"randomUser": {"id": "u1", "rid": "u1-rid"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ randomUser { id rid name } }",
        json!({"randomUser": {"id": "u1", "rid": "u1-rid", "name": "u1-name"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ providedRandomUser { id rid name } }",
        json!({"providedRandomUser": {"id": "u1", "rid": "u1-rid", "name": "u1-name"}}),
        false,
    )
    .await;
}

#[tokio::test]
async fn fed1_external_extends() {
    check_external(false, r#"type User @key(fields: "id") @extends"#).await;
}

#[tokio::test]
async fn fed1_external_extension() {
    check_external(false, r#"extend type User @key(fields: "id")"#).await;
}

#[tokio::test]
async fn fed2_external_extends() {
    check_external(true, r#"type User @key(fields: "id") @extends"#).await;
}

#[tokio::test]
async fn fed2_external_extension() {
    check_external(true, r#"extend type User @key(fields: "id")"#).await;
}

// fed1-external-extends-resolvable -------------------------------------------

/// `b` extends `Product` with two keys whose fields are all external; `a` can
/// give it only `id name`, which is enough to resolve every field, `upc` too.
#[tokio::test]
async fn fed1_external_extends_resolvable() {
    let product =
        json!({"id": "p1", "pid": "p1-pid", "price": 12.3, "upc": "upc1", "name": "p1-name"});
    let owned = json!({"id": "p1", "name": "p1-name", "pid": "p1-pid"});
    let a_owned = owned.clone();
    let a = Subgraph::federated(
        "a",
        r#"
        type Query { productInA: Product }
        type Product @key(fields: "id") { id: ID! name: String pid: ID }
        "#,
    )
    .query(json!({"productInA": owned}))
    .entity(move |repr| {
        Ok(if repr["id"] == "p1" {
            a_owned.clone()
        } else {
            Value::Null
        })
    });
    let b_product = product.clone();
    let b = Subgraph::federated(
        "b",
        r#"
        type Query { productInB: Product }
        extend type Product @key(fields: "id name") @key(fields: "upc") {
          id: ID @external
          name: String @external
          upc: String @external
          price: Float!
        }
        "#,
    )
    .query(json!({"productInB": product}))
    .entity(move |repr| {
        let matches = match repr.get("upc") {
            Some(upc) => upc == &b_product["upc"],
            None => repr["id"] == b_product["id"] && repr["name"] == b_product["name"],
        };
        Ok(if matches {
            json!({"id": b_product["id"], "name": b_product["name"],
                   "upc": b_product["upc"], "price": b_product["price"]})
        } else {
            Value::Null
        })
    });
    let s = Scenario::compose(vec![a, b]).await;
    check(
        &s,
        "{ productInA { id pid price upc name } }",
        json!({"productInA": {"id": "p1", "pid": "p1-pid", "price": 12.3, "upc": "upc1", "name": "p1-name"}}),
        false,
    )
    .await;
}
