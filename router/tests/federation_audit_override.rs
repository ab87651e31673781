//! Scenarios of the federation gateway audit about `@override`, reproduced with
//! our own subgraphs: `unavailable-override` (`@override(from:)` naming a subgraph
//! that does not exist).

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
