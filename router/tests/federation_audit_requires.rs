//! Scenarios of the federation gateway audit about `@requires`, reproduced with
//! our own subgraphs and composed with our composition: `requires-circular`
//! (a field requiring a field that itself requires data from the first subgraph),
//! `requires-with-argument-conflict` (two fields requiring the same field with
//! different arguments, and a nested required field with an argument).

mod federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::{Value, json};

// requires-circular ----------------------------------------------------------

fn authors() -> Value {
    json!([
        {"id": "a1", "name": "John", "yearsOfExperience": 5},
        {"id": "a2", "name": "Jane", "yearsOfExperience": 20}
    ])
}

fn find(list: Value, key: &str, value: &Value) -> Value {
    list.as_array()
        .and_then(|l| l.iter().find(|p| &p[key] == value).cloned())
        .unwrap_or(Value::Null)
}

/// The audit ships only subgraph `a`'s source for this scenario; `b` is
/// reconstructed from the expected answers: it owns `Post.author` and computes
/// `byNovice` from the author's experience, which only `a` knows.
fn requires_circular() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Query { feed: [Post] }
        type Post @key(fields: "id") {
          id: ID!
          byNovice: Boolean! @external
          byExpert: Boolean! @requires(fields: "byNovice")
        }
        type Author @key(fields: "id") { id: ID! name: String! yearsOfExperience: Int! }
        "#,
    )
    .query(json!({"feed": [{"id": "p1"}, {"id": "p2"}]}))
    .resolve(|call| match (call.type_name, call.field) {
        // Null (an error: the field is non-null) when the requirement is missing.
        ("Post", "byExpert") => Some(Ok(match call.parent["byNovice"].as_bool() {
            Some(novice) => json!(!novice),
            None => Value::Null,
        })),
        _ => None,
    })
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("Post") => json!({"id": repr["id"], "byNovice": repr.get("byNovice")}),
            Some("Author") => find(authors(), "id", &repr["id"]),
            _ => Value::Null,
        })
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Post @key(fields: "id") {
          id: ID!
          author: Author!
          byNovice: Boolean! @requires(fields: "author { yearsOfExperience }")
        }
        type Author @key(fields: "id") { id: ID! yearsOfExperience: Int! @external }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Post", "byNovice") => Some(Ok(
            match call.parent["author"]["yearsOfExperience"].as_i64() {
                Some(years) => json!(years < 10),
                None => Value::Null,
            },
        )),
        _ => None,
    })
    .entity(|repr| {
        let author = match repr["id"].as_str() {
            Some("p1") => "a1",
            Some("p2") => "a2",
            _ => return Ok(Value::Null),
        };
        let mut author = json!({"id": author});
        if let Some(years) = repr["author"].get("yearsOfExperience") {
            author["yearsOfExperience"] = years.clone();
        }
        Ok(json!({"id": repr["id"], "author": author}))
    });
    vec![a, b]
}

#[tokio::test]
async fn requires_circular_between_two_subgraphs() {
    let s = Scenario::compose(requires_circular()).await;
    check(
        &s,
        "{ feed { byNovice } }",
        json!({"feed": [{"byNovice": true}, {"byNovice": false}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ feed { byExpert } }",
        json!({"feed": [{"byExpert": false}, {"byExpert": true}]}),
        false,
    )
    .await;
}

// requires-with-argument-conflict --------------------------------------------

fn conflict_products() -> Value {
    json!([
        {"upc": "p1", "name": "p-name-1", "price": 11, "weight": 1, "category": {"averagePrice": 11}},
        {"upc": "p2", "name": "p-name-2", "price": 22, "weight": 2, "category": {"averagePrice": 22}}
    ])
}

/// `a`'s resolvers: the audit's own source of `shippingEstimateEUR` is not in the
/// version we read; it is reconstructed so that the expected answers hold only
/// when each field gets the price in its own currency (EUR prices are double).
fn argument_conflict() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Product @key(fields: "upc") {
          upc: String!
          weight: Int @external
          price(currency: String!): Int @external
          shippingEstimate: Int @requires(fields: "price(currency: \"USD\") weight")
          shippingEstimateEUR: Int @requires(fields: "price(currency: \"EUR\") weight")
          category: Category @external
          isExpensiveCategory: Boolean @requires(fields: "category { averagePrice(currency: \"USD\") }")
        }
        type Category @external { averagePrice(currency: String!): Int }
        "#,
    )
    .resolve(|call| {
        let p = call.parent;
        let estimate = || Some(p["price"].as_i64()? * p["weight"].as_i64()? * 10);
        match (call.type_name, call.field) {
            ("Product", "shippingEstimate") => Some(Ok(json!(estimate()))),
            ("Product", "shippingEstimateEUR") => Some(Ok(json!(estimate().map(|e| e * 3 / 4)))),
            ("Product", "isExpensiveCategory") => Some(Ok(json!(
                p["category"]["averagePrice"].as_i64().map(|avg| avg > 11)
            ))),
            _ => None,
        }
    })
    .entity(|repr| {
        let found = find(conflict_products(), "upc", &repr["upc"]);
        if found.is_null() {
            return Ok(found);
        }
        let mut product = repr.clone();
        product.as_object_mut().map(|m| m.remove("__typename"));
        Ok(product)
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { products: [Product] }
        type Product @key(fields: "upc") {
          upc: String!
          name: String
          price(currency: String!): Int
          weight: Int
          category: Category
        }
        type Category { averagePrice(currency: String!): Int }
        "#,
    )
    .query(json!({"products": conflict_products()}))
    .resolve(|call| {
        if !matches!(call.field, "price" | "averagePrice") {
            return None;
        }
        let factor = match call.args["currency"].as_str() {
            Some("USD") => 1,
            Some("EUR") => 2,
            other => return Some(Err(format!("Unsupported currency {other:?}"))),
        };
        match (call.type_name, call.field) {
            ("Product", "price") => {
                Some(Ok(json!(call.parent["price"].as_i64().map(|p| p * factor))))
            }
            ("Category", "averagePrice") => Some(Ok(json!(
                call.parent["averagePrice"].as_i64().map(|p| p * factor)
            ))),
            _ => None,
        }
    })
    .entity(|repr| Ok(find(conflict_products(), "upc", &repr["upc"])));
    vec![a, b]
}

#[tokio::test]
async fn requires_with_argument_conflict() {
    let s = Scenario::compose(argument_conflict()).await;
    check(
        &s,
        "{ products { upc name shippingEstimate shippingEstimateEUR isExpensiveCategory } }",
        json!({"products": [
            {"upc": "p1", "name": "p-name-1", "shippingEstimate": 110, "shippingEstimateEUR": 165,
             "isExpensiveCategory": false},
            {"upc": "p2", "name": "p-name-2", "shippingEstimate": 440, "shippingEstimateEUR": 660,
             "isExpensiveCategory": true}
        ]}),
        false,
    )
    .await;
}
