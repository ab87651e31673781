//! Entity keys that differ between subgraphs (the planner hops A → C → B) and
//! entities whose key is null in the parent response.

use crate::federation_kit;

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

const NESTED_KEY_TYPES: &str = r#"
type Query @join__type(graph: LIST) @join__type(graph: PRICE) @join__type(graph: PRODUCTS) {
  productList: ProductList @join__field(graph: LIST)
}

type ProductList @join__type(graph: LIST) {
  products: [Product!]!
}

type Product
  @join__type(graph: LIST, key: "id pid")
  @join__type(graph: PRICE, key: "id pid category { id tag }")
  @join__type(graph: PRODUCTS, key: "id", extension: true)
{
  id: String!
  pid: String @join__field(graph: LIST) @join__field(graph: PRICE)
  category: Category @join__field(graph: PRICE) @join__field(graph: PRODUCTS)
  price: Int @join__field(graph: PRICE)
}

type Category @join__type(graph: PRICE) @join__type(graph: PRODUCTS) {
  id: String!
  tag: String
}
"#;

#[tokio::test]
async fn compound_keys_with_nested_fields_from_another_subgraph() {
    let list = Subgraph::new(
        "list",
        "type Query { productList: ProductList }
         type ProductList { products: [Product!]! }
         type Product { id: String! pid: String }",
    )
    .query(json!({"productList": {"products": [
        {"id": "1", "pid": "p1"}, {"id": "2", "pid": "p2"}
    ]}}));
    let products = Subgraph::new(
        "products",
        "type Query
         type Product { id: String! category: Category }
         type Category { id: String! tag: String }",
    )
    .entities(&["Product"], |repr| {
        let id = repr["id"].as_str().ok_or("no id")?;
        Ok(json!({"id": id, "category": {"id": format!("c{id}"), "tag": "t"}}))
    });
    let price = Subgraph::new(
        "price",
        "type Query
         type Product { id: String! pid: String category: Category price: Int }
         type Category { id: String! tag: String }",
    )
    .entities(&["Product"], |repr| {
        let category = repr["category"]["id"]
            .as_str()
            .ok_or_else(|| format!("no category in {repr}"))?;
        let pid = repr["pid"].as_str().ok_or("no pid")?;
        Ok(json!({"id": repr["id"], "price": format!("{pid}{category}").len()}))
    });
    let scenario = Scenario::start(vec![list, products, price], NESTED_KEY_TYPES).await;
    let body = scenario
        .query("{ productList { products { id price category { tag } } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"productList": {"products": [
            {"id": "1", "price": 4, "category": {"tag": "t"}},
            {"id": "2", "price": 4, "category": {"tag": "t"}}
        ]}}}),
        "{}",
        body["__plan"]
    );
    let sent = scenario.subgraph("price").received();
    assert_eq!(
        sent[0].1["representations"][0],
        json!({"__typename": "Product", "category": {"id": "c1", "tag": "t"}, "id": "1", "pid": "p1"}),
        "{sent:?}"
    );
}

const MISSING_KEY_TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  shelves: [Shelf] @join__field(graph: A)
}

type Shelf @join__type(graph: A) {
  book: Book
}

type Book
  @join__type(graph: A, key: "upc")
  @join__type(graph: B, key: "id")
  @join__type(graph: B, key: "upc")
  @join__type(graph: C, key: "id")
{
  upc: ID! @join__field(graph: A) @join__field(graph: B)
  id: ID! @join__field(graph: B) @join__field(graph: C)
  author: Author @join__field(graph: C)
}

type Author @join__type(graph: C) {
  name: String
}
"#;

/// The hop subgraph does not know one entity (answers null): the next hop has
/// no key for it, so it is not sent, and its fields are null without an error.
#[tokio::test]
async fn an_entity_missing_its_key_after_a_hop_is_not_sent() {
    let a = Subgraph::new(
        "a",
        "type Query { shelves: [Shelf] }\n type Shelf { book: Book }\n type Book { upc: ID! }",
    )
    .query(json!({"shelves": [
        {"book": {"upc": "u1"}}, {"book": {"upc": "u2"}}, {"book": {"upc": "u3"}}
    ]}));
    let b = Subgraph::new("b", "type Query\n type Book { id: ID! upc: ID! }").entities(
        &["Book"],
        |repr| {
            let upc = repr["upc"].as_str().ok_or("no upc")?;
            Ok(if upc == "u3" {
                Value::Null
            } else {
                json!({"upc": upc, "id": upc.replace('u', "i")})
            })
        },
    );
    let c = Subgraph::new(
        "c",
        "type Query\n type Book { id: ID! author: Author }\n type Author { name: String }",
    )
    .entities(&["Book"], |repr| {
        let id = repr["id"]
            .as_str()
            .ok_or_else(|| format!("no id in {repr}"))?;
        Ok(json!({"id": id, "author": {"name": format!("author {id}")}}))
    });
    let scenario = Scenario::start(vec![a, b, c], MISSING_KEY_TYPES).await;
    let body = scenario
        .query("{ shelves { book { upc author { name } } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"shelves": [
            {"book": {"upc": "u1", "author": {"name": "author i1"}}},
            {"book": {"upc": "u2", "author": {"name": "author i2"}}},
            {"book": {"upc": "u3", "author": null}}
        ]}}),
        "{}",
        body["__plan"]
    );
    let sent = scenario.subgraph("c").received();
    assert_eq!(
        sent[0].1["representations"].as_array().map(Vec::len),
        Some(2)
    );
}
