//! Scenarios of the federation gateway audit about `@override`, reproduced with
//! our own subgraphs: `unavailable-override` (`@override(from:)` naming a subgraph
//! that does not exist), `override-with-requires` (two subgraphs requiring a
//! field a third took over with `@override`).

mod federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::{Value, json};

// unavailable-override -------------------------------------------------------

/// Our composition refuses `@override(from: "non-existing")` on purpose (a rule
/// graphql-composition lacks); Federation composition keeps the field in both
/// subgraphs and records the override, which gateways must then ignore.
const UNAVAILABLE_OVERRIDE: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  feed: [Post] @join__field(graph: A) @join__field(graph: B)
  aFeed: [Post] @join__field(graph: A)
  bFeed: [Post] @join__field(graph: B)
}
type Post @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  createdAt: String! @join__field(graph: A) @join__field(graph: B, override: "non-existing")
}
"#;

fn posts() -> Value {
    json!([{"id": "p1", "createdAt": "p1-createdAt"}, {"id": "p2", "createdAt": "p2-createdAt"}])
}

fn post_subgraph(name: &'static str, own_feed: &str, own_post: usize) -> Subgraph {
    let override_ = if name == "b" {
        r#" @override(from: "non-existing")"#
    } else {
        ""
    };
    Subgraph::federated(
        name,
        &format!(
            r#"
            extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
              import: ["@key", "@override", "@shareable"])
            type Post @key(fields: "id") {{ id: ID! createdAt: String!{override_} @shareable }}
            type Query {{ feed: [Post] @shareable {own_feed}: [Post] }}
            "#
        ),
    )
    .query(json!({"feed": posts(), own_feed: [posts()[own_post]]}))
    .entity(|repr| {
        Ok(posts()
            .as_array()
            .and_then(|l| l.iter().find(|p| p["id"] == repr["id"]).cloned())
            .unwrap_or(Value::Null))
    })
}

#[tokio::test]
async fn unavailable_override_is_ignored() {
    let a = post_subgraph("a", "aFeed", 1);
    let b = post_subgraph("b", "bFeed", 0);
    let s = Scenario::start(vec![a, b], UNAVAILABLE_OVERRIDE).await;
    check(
        &s,
        "{ feed { createdAt } }",
        json!({"feed": [{"createdAt": "p1-createdAt"}, {"createdAt": "p2-createdAt"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ aFeed { createdAt } bFeed { createdAt } }",
        json!({"aFeed": [{"createdAt": "p2-createdAt"}], "bFeed": [{"createdAt": "p1-createdAt"}]}),
        false,
    )
    .await;
}

// override-with-requires -----------------------------------------------------

fn users() -> Value {
    json!([
        {"id": "u1", "name": "u1-name"},
        {"id": "u2", "name": "u2-name"},
        {"id": "u3", "name": "u3-name"}
    ])
}

fn user(id: &Value) -> Value {
    users()
        .as_array()
        .and_then(|l| l.iter().find(|u| &u["id"] == id).cloned())
        .unwrap_or(Value::Null)
}

/// A subgraph `name` that requires the `name` `b` took over from `c`
/// (`{prefix}Name` = "{prefix}__" + name). Its own `name` resolver answers
/// "NEVER": the router must take `name` from `b` and pass it as a requirement.
fn requiring(name: &'static str, root: &str, index: usize) -> Subgraph {
    let field = format!("{name}Name");
    Subgraph::federated(
        name,
        &format!(
            r#"
            extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
              import: ["@key", "@requires", "@external"])
            type User @key(fields: "id") {{
              id: ID!
              name: String! @external
              {field}: String! @requires(fields: "name")
            }}
            type Query {{ {root}: User }}
            "#
        ),
    )
    .query(json!({root: {"id": users()[index]["id"]}}))
    .resolve(move |call| match (call.type_name, call.field) {
        ("User", "name") => Some(Ok(json!("NEVER"))),
        ("User", f) if f == field => Some(match call.parent["name"].as_str() {
            Some(n) => Ok(json!(format!("{name}__{n}"))),
            None => Err("name was not provided".into()),
        }),
        _ => None,
    })
    .entity(|repr| {
        let found = user(&repr["id"]);
        Ok(match (found.is_null(), repr.get("name")) {
            (true, _) => Value::Null,
            (false, Some(_)) => json!({"id": found["id"], "name": found["name"]}),
            (false, None) => json!({"id": found["id"]}),
        })
    })
}

fn override_with_requires() -> Vec<Subgraph> {
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@override"])
        type User @key(fields: "id") { id: ID! name: String! @override(from: "c") }
        type Query { userInB: User }
        "#,
    )
    .query(json!({"userInB": users()[1]}))
    .entity(|repr| Ok(user(&repr["id"])));
    vec![
        requiring("a", "userInA", 0),
        b,
        requiring("c", "userInC", 2),
    ]
}

/// Federation composition's supergraph: it also keeps `c`'s `name` as external
/// (ours drops it, `c` being the overridden subgraph).
const OVERRIDE_WITH_REQUIRES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  userInA: User @join__field(graph: A)
  userInB: User @join__field(graph: B)
  userInC: User @join__field(graph: C)
}
type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @join__type(graph: C, key: "id") {
  id: ID!
  name: String!
    @join__field(graph: A, external: true)
    @join__field(graph: B, override: "c")
    @join__field(graph: C, external: true)
  aName: String! @join__field(graph: A, requires: "name")
  cName: String! @join__field(graph: C, requires: "name")
}
"#;

#[tokio::test]
async fn override_with_requires_takes_the_requirement_from_the_new_owner() {
    let composed = Scenario::compose(override_with_requires()).await;
    check_override_with_requires(&composed).await;
    let federation = Scenario::start(override_with_requires(), OVERRIDE_WITH_REQUIRES).await;
    check_override_with_requires(&federation).await;
}

async fn check_override_with_requires(s: &Scenario) {
    let all = |n: u8| {
        json!({"id": format!("u{n}"), "name": format!("u{n}-name"),
               "aName": format!("a__u{n}-name"), "cName": format!("c__u{n}-name")})
    };
    check(
        s,
        "{ userInA { id name aName cName } userInB { id name aName cName }
           userInC { id name aName cName } }",
        json!({"userInA": all(1), "userInB": all(2), "userInC": all(3)}),
        false,
    )
    .await;
    check(
        s,
        "{ userInC { cName } }",
        json!({"userInC": {"cName": "c__u3-name"}}),
        false,
    )
    .await;
    check(
        s,
        "{ userInA { cName } }",
        json!({"userInA": {"cName": "c__u1-name"}}),
        false,
    )
    .await;
    check(
        s,
        "{ userInA { aName } }",
        json!({"userInA": {"aName": "a__u1-name"}}),
        false,
    )
    .await;
}
