//! `@provides` (nested selections, on interface- and union-typed fields) and
//! `@external`, including a Federation 1 style `extend type` subgraph
//! (`@join__type(extension: true)`).

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  products: [Product] @join__field(graph: A)
  reviews: [Review] @join__field(graph: B)
  feed: [Media] @join__field(graph: B, provides: "... on Book { title } ... on Movie { title }")
  search: [SearchItem] @join__field(graph: B, provides: "... on Book { title }")
}

type Review @join__type(graph: B) {
  id: ID!
  product: Product @join__field(graph: B, provides: "name maker { name }")
}

type Product
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id")
  @join__type(graph: C, key: "id", extension: true)
{
  id: ID!
  name: String @join__field(graph: A) @join__field(graph: B, external: true)
  price: Int @join__field(graph: A)
  weight: Int @join__field(graph: A) @join__field(graph: C, external: true)
  maker: Maker @join__field(graph: A) @join__field(graph: B, external: true)
  stock: Int @join__field(graph: C)
  shippingNote: String @join__field(graph: C, requires: "weight")
}

type Maker @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  name: String @join__field(graph: A) @join__field(graph: B, external: true)
  country: String @join__field(graph: A)
}

interface Media @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  title: String @join__field(graph: A) @join__field(graph: B, external: true)
}

type Book implements Media
  @join__implements(graph: A, interface: "Media")
  @join__implements(graph: B, interface: "Media")
  @join__type(graph: A, key: "id") @join__type(graph: B, key: "id")
{
  id: ID!
  title: String @join__field(graph: A) @join__field(graph: B, external: true)
  pages: Int @join__field(graph: A)
}

type Movie implements Media
  @join__implements(graph: A, interface: "Media")
  @join__implements(graph: B, interface: "Media")
  @join__type(graph: A, key: "id") @join__type(graph: B, key: "id")
{
  id: ID!
  title: String @join__field(graph: A) @join__field(graph: B, external: true)
  minutes: Int @join__field(graph: A)
}

union SearchItem
  @join__type(graph: B)
  @join__unionMember(graph: B, member: "Book")
  @join__unionMember(graph: B, member: "Movie")
  = Book | Movie
"#;

fn a() -> Subgraph {
    let products = json!([
        {"id": "p1", "name": "Table", "price": 100, "weight": 12,
         "maker": {"id": "m1", "name": "Acme", "country": "NL"}},
        {"id": "p2", "name": "Chair", "price": 50, "weight": 4,
         "maker": {"id": "m2", "name": "Globex", "country": "DE"}}
    ]);
    let makers = json!({"m1": {"id": "m1", "name": "Acme", "country": "NL"},
                        "m2": {"id": "m2", "name": "Globex", "country": "DE"}});
    let media = json!({
        "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412},
        "v1": {"__typename": "Movie", "id": "v1", "title": "Alien", "minutes": 117}
    });
    Subgraph::new(
        "a",
        "type Query { products: [Product] }
         type Product { id: ID! name: String price: Int weight: Int maker: Maker }
         type Maker { id: ID! name: String country: String }
         interface Media { id: ID! title: String }
         type Book implements Media { id: ID! title: String pages: Int }
         type Movie implements Media { id: ID! title: String minutes: Int }",
    )
    .query(json!({ "products": products }))
    .entities(&["Product", "Maker", "Book", "Movie"], move |repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(match repr["__typename"].as_str() {
            Some("Product") => products
                .as_array()
                .and_then(|all| all.iter().find(|p| p["id"] == id))
                .cloned()
                .unwrap_or(Value::Null),
            Some("Maker") => makers[id].clone(),
            _ => media[id].clone(),
        })
    })
}

fn b() -> Subgraph {
    Subgraph::new(
        "b",
        "type Query { reviews: [Review] feed: [Media] search: [SearchItem] }
         type Review { id: ID! product: Product }
         type Product { id: ID! name: String maker: Maker }
         type Maker { id: ID! name: String }
         interface Media { id: ID! title: String }
         type Book implements Media { id: ID! title: String }
         type Movie implements Media { id: ID! title: String }
         union SearchItem = Book | Movie",
    )
    .query(json!({
        "reviews": [
            {"id": "r1", "product": {"id": "p1", "name": "Table", "maker": {"id": "m1", "name": "Acme"}}},
            {"id": "r2", "product": {"id": "p2", "name": "Chair", "maker": {"id": "m2", "name": "Globex"}}}
        ],
        "feed": [
            {"__typename": "Book", "id": "b1", "title": "Dune"},
            {"__typename": "Movie", "id": "v1", "title": "Alien"}
        ],
        "search": [
            {"__typename": "Book", "id": "b1", "title": "Dune"},
            {"__typename": "Movie", "id": "v1"}
        ]
    }))
    .entities(&["Product", "Maker", "Book", "Movie"], |repr| {
        Ok(json!({"id": repr["id"]}))
    })
}

/// The Federation 1 subgraph: `extend type Product @key(fields: "id")` with
/// `id` and `weight` external.
fn c() -> Subgraph {
    Subgraph::new(
        "c",
        "type Query\n type Product { id: ID! weight: Int stock: Int shippingNote: String }",
    )
    .entities(&["Product"], |repr| {
        let id = repr["id"].as_str().ok_or("no id")?;
        let mut out = json!({"id": id, "stock": if id == "p1" { 3 } else { 0 }});
        if let Some(weight) = repr.get("weight") {
            let weight = weight.as_i64().ok_or("weight is required")?;
            out["shippingNote"] = json!(if weight > 10 { "freight" } else { "parcel" });
        }
        Ok(out)
    })
}

async fn scenario() -> Scenario {
    Scenario::start(vec![a(), b(), c()], TYPES).await
}

#[tokio::test]
async fn nested_provides_avoid_the_owning_subgraph() {
    let scenario = scenario().await;
    let body = scenario
        .query("{ reviews { id product { id name maker { name } } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"reviews": [
            {"id": "r1", "product": {"id": "p1", "name": "Table", "maker": {"name": "Acme"}}},
            {"id": "r2", "product": {"id": "p2", "name": "Chair", "maker": {"name": "Globex"}}}
        ]}}),
        "{}",
        body["__plan"]
    );
    assert!(scenario.subgraph("a").received().is_empty());

    // What is not provided comes from the owner, through the provided entities.
    let body = scenario
        .query("{ reviews { product { name price maker { name country } } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"reviews": [
            {"product": {"name": "Table", "price": 100, "maker": {"name": "Acme", "country": "NL"}}},
            {"product": {"name": "Chair", "price": 50, "maker": {"name": "Globex", "country": "DE"}}}
        ]}}),
        "{}",
        body["__plan"]
    );
}

#[tokio::test]
async fn provides_on_interface_and_union_fields() {
    let scenario = scenario().await;
    let body = scenario.query("{ feed { __typename id title } }").await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"feed": [
            {"__typename": "Book", "id": "b1", "title": "Dune"},
            {"__typename": "Movie", "id": "v1", "title": "Alien"}
        ]}}),
        "{}",
        body["__plan"]
    );
    assert!(scenario.subgraph("a").received().is_empty());

    let body = scenario
        .query("{ feed { title ... on Book { pages } ... on Movie { minutes } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"feed": [
            {"title": "Dune", "pages": 412},
            {"title": "Alien", "minutes": 117}
        ]}}),
        "{}",
        body["__plan"]
    );

    // Only books' titles are provided on `search`: movies' come from A.
    scenario.subgraph("a").clear();
    let body = scenario
        .query("{ search { __typename ... on Book { title } ... on Movie { title } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"search": [
            {"__typename": "Book", "title": "Dune"},
            {"__typename": "Movie", "title": "Alien"}
        ]}}),
        "{}",
        body["__plan"]
    );
    let sent = scenario.subgraph("a").received();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].1["representations"],
        json!([{"__typename": "Movie", "id": "v1"}])
    );
}

#[tokio::test]
async fn federation_1_extension_with_external_fields() {
    let scenario = scenario().await;
    let body = scenario
        .query("{ products { id stock shippingNote } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"products": [
            {"id": "p1", "stock": 3, "shippingNote": "freight"},
            {"id": "p2", "stock": 0, "shippingNote": "parcel"}
        ]}}),
        "{}",
        body["__plan"]
    );
    // From the extension back to the owner.
    let body = scenario
        .query("{ reviews { product { stock name price } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"reviews": [
            {"product": {"stock": 3, "name": "Table", "price": 100}},
            {"product": {"stock": 0, "name": "Chair", "price": 50}}
        ]}}),
        "{}",
        body["__plan"]
    );
}
