//! Entity keys that differ between subgraphs (the planner hops A → C → B) and
//! entities whose key is null in the parent response.

mod federation_kit;

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  products: [Product] @join__field(graph: A)
  books: [Book] @join__field(graph: A)
}

type Product
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "upc")
  @join__type(graph: C, key: "id")
  @join__type(graph: C, key: "upc")
{
  id: ID! @join__field(graph: A) @join__field(graph: C)
  upc: ID! @join__field(graph: B) @join__field(graph: C)
  name: String @join__field(graph: A)
  price: Int @join__field(graph: B)
}

type Book
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "upc")
{
  id: ID! @join__field(graph: A)
  upc: String @join__field(graph: A, type: "String") @join__field(graph: B, type: "String!")
  title: String @join__field(graph: A)
  author: String @join__field(graph: B)
}
"#;

fn subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::new(
        "a",
        "type Query { products: [Product] books: [Book] }
         type Product { id: ID! name: String }
         type Book { id: ID! upc: String title: String }",
    )
    .query(json!({
        "products": [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}],
        "books": [
            {"id": "b1", "upc": "isbn-1", "title": "Dune"},
            {"id": "b2", "upc": null, "title": "Untitled"},
            {"id": "b3", "upc": "isbn-3", "title": "Emma"}
        ]
    }))
    .entities(&["Product", "Book"], |repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(match repr["__typename"].as_str() {
            Some("Product") => json!({"id": id, "name": format!("name-{id}")}),
            _ => Value::Null,
        })
    });
    let b = Subgraph::new(
        "b",
        "type Query
         type Product { upc: ID! price: Int }
         type Book { upc: String! author: String }",
    )
    .entities(&["Product", "Book"], |repr| {
        let upc = repr["upc"]
            .as_str()
            .ok_or_else(|| format!("representation without upc: {repr}"))?;
        Ok(match repr["__typename"].as_str() {
            Some("Product") => json!({"upc": upc, "price": upc.len() * 100}),
            Some("Book") => json!({"upc": upc, "author": format!("author of {upc}")}),
            _ => Value::Null,
        })
    });
    let c = Subgraph::new("c", "type Query\n type Product { id: ID! upc: ID! }").entities(
        &["Product"],
        |repr| {
            let (id, upc) = match (repr["id"].as_str(), repr["upc"].as_str()) {
                (Some(id), _) => (id.to_string(), format!("upc-{id}")),
                (None, Some(upc)) => (upc.trim_start_matches("upc-").to_string(), upc.to_string()),
                _ => return Err("bad representation".into()),
            };
            Ok(json!({"id": id, "upc": upc}))
        },
    );
    vec![a, b, c]
}

#[tokio::test]
async fn entity_call_hops_through_the_subgraph_that_knows_both_keys() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario.query("{ products { id name price } }").await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"products": [
            {"id": "p1", "name": "Table", "price": 600},
            {"id": "p2", "name": "Chair", "price": 600}
        ]}}),
        "{}",
        body["__plan"]
    );
    let plan = body["__plan"].as_str().unwrap_or_default();
    assert!(plan.contains("\"c\"") || plan.contains("c)"), "{plan}");

    // Starting from the `upc` side: B's key is enough for C, then A by id.
    let body = scenario.query("{ products { upc name } }").await;
    assert_eq!(
        response(body),
        json!({"data": {"products": [
            {"upc": "upc-p1", "name": "Table"},
            {"upc": "upc-p2", "name": "Chair"}
        ]}})
    );
}

#[tokio::test]
async fn null_keys_are_not_sent_and_leave_the_field_null() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario.query("{ books { id title author } }").await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"books": [
            {"id": "b1", "title": "Dune", "author": "author of isbn-1"},
            {"id": "b2", "title": "Untitled", "author": null},
            {"id": "b3", "title": "Emma", "author": "author of isbn-3"}
        ]}}),
        "{}",
        body["__plan"]
    );
    let sent = scenario.subgraph("b").received();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].1["representations"],
        json!([
            {"__typename": "Book", "upc": "isbn-1"},
            {"__typename": "Book", "upc": "isbn-3"}
        ])
    );
}
