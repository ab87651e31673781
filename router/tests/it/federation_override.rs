//! `@override`, including on a type reached through an interface, and
//! progressive override labels (`percent(…)`): 0 and 100 are deterministic, other
//! percentages split requests between the two subgraphs.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  feed: [Post] @join__field(graph: A)
  products: [Product] @join__field(graph: A)
}

interface Post @join__type(graph: A) @join__type(graph: B) {
  id: ID!
  createdAt: String!
}

type ImagePost implements Post
  @join__implements(graph: A, interface: "Post")
  @join__implements(graph: B, interface: "Post")
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id")
{
  id: ID!
  createdAt: String! @join__field(graph: A, usedOverridden: true) @join__field(graph: B, override: "a")
  url: String @join__field(graph: A)
}

type TextPost implements Post
  @join__implements(graph: A, interface: "Post")
  @join__type(graph: A, key: "id")
{
  id: ID!
  createdAt: String!
  body: String
}

type Product @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  price: Int
    @join__field(graph: A, overrideLabel: "percent(100)")
    @join__field(graph: B, override: "a", overrideLabel: "percent(100)")
  stock: Int
    @join__field(graph: A, overrideLabel: "percent(0)")
    @join__field(graph: B, override: "a", overrideLabel: "percent(0)")
  rating: Int
    @join__field(graph: A, overrideLabel: "percent(50)")
    @join__field(graph: B, override: "a", overrideLabel: "percent(50)")
}
"#;

fn subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::new(
        "a",
        "type Query { feed: [Post] products: [Product] }
         interface Post { id: ID! createdAt: String! }
         type ImagePost implements Post { id: ID! createdAt: String! url: String }
         type TextPost implements Post { id: ID! createdAt: String! body: String }
         type Product { id: ID! price: Int stock: Int rating: Int }",
    )
    .query(json!({
        "feed": [
            {"__typename": "ImagePost", "id": "i1", "createdAt": "overridden!", "url": "x.png"},
            {"__typename": "TextPost", "id": "t1", "createdAt": "2024-01-02", "body": "hi"}
        ],
        "products": [{"id": "p1", "price": -1, "stock": 7, "rating": 1}]
    }))
    .entities(&["ImagePost", "TextPost", "Product"], |_| Ok(Value::Null));
    let b = Subgraph::new(
        "b",
        "type Query
         interface Post { id: ID! createdAt: String! }
         type ImagePost implements Post { id: ID! createdAt: String! }
         type Product { id: ID! price: Int stock: Int rating: Int }",
    )
    .entities(&["ImagePost", "Product"], |repr| {
        Ok(match repr["__typename"].as_str() {
            Some("ImagePost") => json!({"id": repr["id"], "createdAt": "2024-01-01"}),
            _ => json!({"id": repr["id"], "price": 100, "stock": -1, "rating": 2}),
        })
    });
    vec![a, b]
}

#[tokio::test]
async fn overridden_fields_behind_an_interface_come_from_the_new_owner() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    for query in [
        "{ feed { __typename id createdAt } }",
        "{ feed { __typename id ... on ImagePost { createdAt } ... on TextPost { createdAt } } }",
        "{ feed { __typename ... on Post { id createdAt } } }",
    ] {
        let body = scenario.query(query).await;
        assert_eq!(
            response(body.clone()),
            json!({"data": {"feed": [
                {"__typename": "ImagePost", "id": "i1", "createdAt": "2024-01-01"},
                {"__typename": "TextPost", "id": "t1", "createdAt": "2024-01-02"}
            ]}}),
            "{query}\n{}",
            body["__plan"]
        );
    }
}

#[tokio::test]
async fn progressive_override_plans_deterministically() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    for _ in 0..5 {
        let body = scenario.query("{ products { id price stock } }").await;
        // percent(100): always the overriding subgraph; percent(0): never.
        assert_eq!(
            response(body.clone()),
            json!({"data": {"products": [{"id": "p1", "price": 100, "stock": 7}]}}),
            "{}",
            body["__plan"]
        );
    }
}

#[tokio::test]
async fn progressive_override_splits_requests_by_percentage() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let body = scenario.query("{ products { rating } }").await;
        seen.insert(body["data"]["products"][0]["rating"].to_string());
    }
    // 1 from the original owner, 2 from the overriding subgraph: both happen
    // (the chance of 40 identical draws at 50% is 2^-39).
    assert_eq!(seen.len(), 2, "{seen:?}");
}
