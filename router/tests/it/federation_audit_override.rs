//! Scenarios of the federation gateway audit about `@override`, reproduced with
//! our own subgraphs: `unavailable-override` (`@override(from:)` naming a subgraph
//! that does not exist), `override-with-requires` (two subgraphs requiring a
//! field a third took over with `@override`), `simple-override`,
//! `override-type-interface` (an overridden field of a type implementing
//! different interfaces per subgraph).

use crate::federation_kit;

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

// simple-override ------------------------------------------------------------

/// `b` takes `Post.createdAt` over from `a`, whose resolver answers "NEVER".
#[tokio::test]
async fn simple_override() {
    let by_id = |repr: &Value| {
        Ok(posts()
            .as_array()
            .and_then(|l| l.iter().find(|p| p["id"] == repr["id"]).cloned())
            .unwrap_or(Value::Null))
    };
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Post @key(fields: "id") { id: ID! createdAt: String! @shareable }
        type Query { feed: [Post] @shareable aFeed: [Post] }
        "#,
    )
    .query(json!({"feed": posts(), "aFeed": [posts()[1]]}))
    .resolve(|call| match (call.type_name, call.field) {
        ("Post", "createdAt") => Some(Ok(json!("NEVER"))),
        _ => None,
    })
    .entity(by_id);
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@override", "@shareable"])
        type Post @key(fields: "id") { id: ID! createdAt: String! @override(from: "a") @shareable }
        type Query { feed: [Post] @shareable bFeed: [Post] }
        "#,
    )
    .query(json!({"feed": posts(), "bFeed": [posts()[0]]}))
    .entity(by_id);
    let s = Scenario::compose(vec![a, b]).await;
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

// override-type-interface ----------------------------------------------------

fn image_posts() -> Value {
    json!([
        {"__typename": "ImagePost", "id": "i1", "createdAt": "i1-createdAt"},
        {"__typename": "ImagePost", "id": "i2", "createdAt": "i2-createdAt"}
    ])
}

/// `b` takes `ImagePost.createdAt` over from `a` (whose resolver answers
/// "NEVER"); `ImagePost` implements `Post` in `a` but `AnotherPost` in `b`, and
/// `TextPost` (a `Post`) exists only in `b`.
#[tokio::test]
async fn override_type_interface() {
    let find_in = |list: Value, repr: &Value| {
        list.as_array()
            .and_then(|l| l.iter().find(|p| p["id"] == repr["id"]).cloned())
            .unwrap_or(Value::Null)
    };
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        interface Post { id: ID! createdAt: String! }
        type ImagePost implements Post @key(fields: "id") { id: ID! createdAt: String! }
        type Query { feed: [Post] }
        "#,
    )
    .query(json!({"feed": image_posts()}))
    .resolve(|call| match (call.type_name, call.field) {
        ("ImagePost", "createdAt") => Some(Ok(json!("NEVER"))),
        _ => None,
    })
    .entity(move |repr| Ok(find_in(image_posts(), repr)));
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@override"])
        interface Post { id: ID! createdAt: String! }
        type TextPost implements Post @key(fields: "id") { id: ID! createdAt: String! body: String! }
        interface AnotherPost { id: ID! createdAt: String! }
        type ImagePost implements AnotherPost @key(fields: "id") { id: ID! createdAt: String! @override(from: "a") }
        type Query { anotherFeed: [AnotherPost] }
        "#,
    )
    .query(json!({"anotherFeed": image_posts()}))
    .entity(move |repr| {
        Ok(match repr["__typename"].as_str() {
            Some("TextPost") => find_in(
                json!([
                    {"id": "t1", "createdAt": "t1-createdAt", "body": "t1-body"},
                    {"id": "t2", "createdAt": "t2-createdAt", "body": "t2-body"}
                ]),
                repr,
            ),
            _ => find_in(image_posts(), repr),
        })
    });
    let s = Scenario::compose(vec![a, b]).await;
    check(
        &s,
        "{ feed { id createdAt } }",
        json!({"feed": [{"id": "i1", "createdAt": "i1-createdAt"}, {"id": "i2", "createdAt": "i2-createdAt"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ feed { ... on TextPost { id body } } }",
        json!({"feed": [{}, {}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ anotherFeed { createdAt } }",
        json!({"anotherFeed": [{"createdAt": "i1-createdAt"}, {"createdAt": "i2-createdAt"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ anotherFeed { createdAt id ... on ImagePost { createdAt id } } }",
        json!({"anotherFeed": [{"createdAt": "i1-createdAt", "id": "i1"}, {"createdAt": "i2-createdAt", "id": "i2"}]}),
        false,
    )
    .await;
}
