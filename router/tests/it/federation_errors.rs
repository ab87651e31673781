//! Subgraph errors in entity fetches: re-pathed to the client's response (list
//! indices, deduplicated representations, nested lists), `extensions`
//! preserved, and errors the subgraph reports without a path.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  products: [Product] @join__field(graph: A)
  categories: [Category] @join__field(graph: A)
}

type Category @join__type(graph: A) {
  name: String
  products: [Product]
}

type Product
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id")
  @join__type(graph: C, key: "id")
{
  id: ID!
  price: Int @join__field(graph: B)
  stock: Int! @join__field(graph: B)
  rating: Int @join__field(graph: C)
}
"#;

fn subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::new(
        "a",
        "type Query { products: [Product] categories: [Category] }
         type Category { name: String products: [Product] }
         type Product { id: ID! }",
    )
    .query(json!({
        "products": [{"id": "p1"}, {"id": "p2"}, {"id": "p1"}, {"id": "p3"}],
        "categories": [
            {"name": "x", "products": [{"id": "p1"}]},
            {"name": "y", "products": [{"id": "p2"}, {"id": "p3"}]}
        ]
    }))
    .entities(&["Product"], |repr| Ok(json!({"id": repr["id"]})));
    let b = Subgraph::new(
        "b",
        "type Query\n type Product { id: ID! price: Int stock: Int! }",
    )
    .resolve(
        |call| match (call.type_name, call.field, call.parent["id"].as_str()) {
            ("Product", "price", Some("p3")) => {
                Some(Err("PRICE_UNAVAILABLE: no price for p3".into()))
            }
            ("Product", "stock", Some("p2")) => Some(Err("STOCK_DOWN: stock service down".into())),
            _ => None,
        },
    )
    .entities(&["Product"], |repr| {
        if repr["id"] == "p1" {
            Ok(json!({"id": "p1", "price": 10, "stock": 3}))
        } else {
            Ok(json!({"id": repr["id"], "price": 20, "stock": 1}))
        }
    });
    // C reports its errors without a path.
    let c = Subgraph::new("c", "type Query\n type Product { id: ID! rating: Int }")
        .resolve(|call| match call.parent["id"].as_str() {
            Some("p2") => Some(Err("RATINGS_DOWN: ratings are down".into())),
            _ => None,
        })
        .entities(&["Product"], |repr| {
            Ok(json!({"id": repr["id"], "rating": 4}))
        })
        .hook(|response| {
            if let Some(errors) = response["errors"].as_array_mut() {
                for error in errors {
                    if let Some(error) = error.as_object_mut() {
                        error.remove("path");
                        error.remove("locations");
                    }
                }
            }
        });
    vec![a, b, c]
}

fn errors(body: &Value) -> Vec<Value> {
    body["errors"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn entity_errors_are_repathed_with_list_indices() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario.query("{ products { id price } }").await;
    assert_eq!(
        body["data"],
        json!({"products": [
            {"id": "p1", "price": 10},
            {"id": "p2", "price": 20},
            {"id": "p1", "price": 10},
            {"id": "p3", "price": null}
        ]}),
        "{body:#}"
    );
    let errors = errors(&body);
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(errors[0]["message"], "no price for p3");
    assert_eq!(errors[0]["path"], json!(["products", 3, "price"]));
    assert_eq!(errors[0]["extensions"]["code"], "PRICE_UNAVAILABLE");
    assert_eq!(errors[0]["extensions"]["serviceName"], "b");

    // Nested lists.
    let body = scenario
        .query("{ categories { name products { id price } } }")
        .await;
    assert_eq!(
        body["data"]["categories"][1]["products"][1],
        json!({"id": "p3", "price": null}),
        "{body:#}"
    );
    let errors = errors_of(&body);
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(
        errors[0]["path"],
        json!(["categories", 1, "products", 1, "price"])
    );
}

fn errors_of(body: &Value) -> Vec<Value> {
    errors(body)
}

#[tokio::test]
async fn a_non_null_entity_field_error_nulls_the_entity_once() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario.query("{ products { id stock } }").await;
    // `stock: Int!` failed for p2: p2 becomes null; one error, at the field.
    assert_eq!(
        body["data"],
        json!({"products": [
            {"id": "p1", "stock": 3},
            null,
            {"id": "p1", "stock": 3},
            {"id": "p3", "stock": 1}
        ]}),
        "{body:#}"
    );
    let errors = errors(&body);
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(errors[0]["path"], json!(["products", 1, "stock"]));
    assert_eq!(errors[0]["extensions"]["code"], "STOCK_DOWN");
}

#[tokio::test]
async fn errors_without_a_path_are_kept() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario.query("{ products { id rating } }").await;
    assert_eq!(
        response(body.clone())["data"],
        json!({"products": [
            {"id": "p1", "rating": 4},
            {"id": "p2", "rating": null},
            {"id": "p1", "rating": 4},
            {"id": "p3", "rating": 4}
        ]}),
        "{body:#}"
    );
    let errors = errors(&body);
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(errors[0]["message"], "ratings are down");
    assert_eq!(errors[0]["extensions"]["code"], "RATINGS_DOWN");
    assert_eq!(errors[0]["extensions"]["serviceName"], "c");
    assert!(errors[0].get("path").is_none(), "{body:#}");
}
