//! Scenarios of the federation gateway audit about operations kept in Rust:
//! `mutations` (mutations in order across three subgraphs sharing state, a
//! shared mutation field called once). It stays in Rust because the three
//! subgraphs share one mutable store (products added by one are read by the
//! others, entity calls consume a product, a counter keyed by request is
//! updated by two subgraphs in turn): the data format describes fixed data,
//! not state changed by earlier fields. The other suites of this file are data
//! now (`router/tests/scenarios/{executable-directive-definition-default-arguments,
//! simple-inaccessible,include-skip,enum-intersection,input-object-intersection}`);
//! one assertion of `enum-intersection` about the composed supergraph itself
//! stays here.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::json;

// enum-intersection ----------------------------------------------------------

/// The composed supergraph of `router/tests/scenarios/enum-intersection` (its
/// operations run from the data files): `ANONYMOUS`, `@inaccessible` and only
/// in b, is joined to b only.
#[test]
fn enum_intersection_joins_the_inaccessible_value_to_b_only() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/enum-intersection");
    let sdls: Vec<tessera_schema::SubgraphSdl> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let sdl =
                std::fs::read_to_string(dir.join(format!("{name}.graphql"))).expect("subgraph SDL");
            tessera_schema::SubgraphSdl::new(name, format!("http://{name}.invalid/graphql"), sdl)
        })
        .collect();
    let supergraph = tessera_schema::compose(&sdls)
        .expect("composes")
        .supergraph_sdl;
    let anonymous = supergraph
        .lines()
        .find(|line| line.trim_start().starts_with("ANONYMOUS"))
        .unwrap_or_default();
    assert!(
        anonymous.contains("@inaccessible")
            && anonymous.contains("graph: B")
            && !anonymous.contains("graph: A"),
        "{supergraph}"
    );
}

// mutations ------------------------------------------------------------------

/// What the three subgraphs share (the audit's subgraphs share one module).
#[derive(Default)]
struct MutationStore {
    products: Vec<serde_json::Value>,
    categories: Vec<serde_json::Value>,
    numbers: std::collections::HashMap<String, i64>,
}

type Store = std::sync::Arc<std::sync::Mutex<MutationStore>>;

fn lock(store: &Store) -> std::sync::MutexGuard<'_, MutationStore> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}

fn add_category(store: &Store, args: &serde_json::Value) -> Result<serde_json::Value, String> {
    let mut store = lock(store);
    let id = format!("c-added-{}", args["requestId"].as_str().unwrap_or_default());
    if store.categories.iter().any(|c| c["id"] == id.as_str()) {
        return Err("Category with this requestId was already added".into());
    }
    let category = json!({"id": id, "name": args["name"]});
    store.categories.push(category.clone());
    Ok(category)
}

/// Entity calls for a product remove it from the store (as the audit's
/// subgraphs do): a plan that fetches the same product twice loses it.
fn take_product(store: &Store, id: &serde_json::Value) -> Option<serde_json::Value> {
    let mut store = lock(store);
    let index = store.products.iter().position(|p| &p["id"] == id)?;
    Some(store.products.remove(index))
}

fn mutation_subgraphs(store: &Store) -> Vec<Subgraph> {
    let (sa, sa2) = (store.clone(), store.clone());
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Mutation {
          addProduct(input: AddProductInput!): Product!
          addCategory(name: String!, requestId: String!): Category! @shareable
          multiply(by: Int!, requestId: String!): Int!
        }
        type Query { product(id: ID!): Product! products: [Product!]! }
        input AddProductInput { name: String! price: Float! }
        type Product @key(fields: "id") { id: ID! name: String! price: Float! }
        type Category @key(fields: "id") { id: ID! }
        "#,
    )
    .resolve(move |call| {
        let store = &sa;
        match (call.type_name, call.field) {
            ("Query", "product" | "products") => {
                let mut s = lock(store);
                if !s.products.iter().any(|p| p["id"] == "p1") {
                    s.products
                        .push(json!({"id": "p1", "name": "p1-name", "price": 9.99}));
                }
                Some(Ok(if call.field == "products" {
                    json!(s.products)
                } else {
                    s.products
                        .iter()
                        .find(|p| p["id"] == call.args["id"])
                        .cloned()
                        .unwrap_or(serde_json::Value::Null)
                }))
            }
            ("Mutation", "addProduct") => {
                let mut s = lock(store);
                let product = json!({"id": format!("p-added-{}", s.products.len()),
                                     "name": call.args["input"]["name"],
                                     "price": call.args["input"]["price"]});
                s.products.push(product.clone());
                Some(Ok(product))
            }
            ("Mutation", "addCategory") => Some(add_category(store, call.args)),
            ("Mutation", "multiply") => {
                let mut s = lock(store);
                let key = call.args["requestId"].as_str().unwrap_or_default().to_string();
                let by = call.args["by"].as_i64().unwrap_or(0);
                let value = s.numbers.get(&key).copied().unwrap_or(0) * by;
                s.numbers.insert(key, value);
                Some(Ok(json!(value)))
            }
            _ => None,
        }
    })
    .entity(move |repr| {
        Ok(match repr["__typename"].as_str() {
            Some("Product") => take_product(&sa2, &repr["id"]).unwrap_or_default(),
            Some("Category") => lock(&sa2)
                .categories
                .iter()
                .find(|c| c["id"] == repr["id"])
                .map(|c| json!({"id": c["id"]}))
                .unwrap_or_default(),
            _ => serde_json::Value::Null,
        })
    });
    let (sb, sb2) = (store.clone(), store.clone());
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@external", "@requires", "@shareable"])
        type Product @key(fields: "id") {
          id: ID!
          price: Float! @external
          isExpensive: Boolean! @requires(fields: "price")
          isAvailable: Boolean!
        }
        type Mutation {
          delete(requestId: String!): Int!
          addCategory(name: String!, requestId: String!): Category! @shareable
        }
        type Category @key(fields: "id") { id: ID! name: String! }
        "#,
    )
    .resolve(move |call| match (call.type_name, call.field) {
        ("Mutation", "delete") => {
            let key = call.args["requestId"].as_str().unwrap_or_default();
            Some(Ok(json!(lock(&sb).numbers.remove(key).unwrap_or(0))))
        }
        ("Mutation", "addCategory") => Some(add_category(&sb, call.args)),
        ("Product", "isExpensive") => Some(match call.parent["price"].as_f64() {
            Some(price) => Ok(json!(price > 100.0)),
            None => Err("Price is not available".into()),
        }),
        _ => None,
    })
    .entity(move |repr| {
        Ok(match repr["__typename"].as_str() {
            Some("Product") => match take_product(&sb2, &repr["id"]) {
                None => serde_json::Value::Null,
                Some(product) if product["price"].is_number() => {
                    json!({"id": product["id"], "isAvailable": true, "price": product["price"]})
                }
                Some(product) => json!({"id": product["id"], "isAvailable": false}),
            },
            Some("Category") => lock(&sb2)
                .categories
                .iter()
                .find(|c| c["id"] == repr["id"])
                .cloned()
                .unwrap_or_default(),
            _ => serde_json::Value::Null,
        })
    });
    let sc = store.clone();
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Mutation { add(num: Int!, requestId: String!): Int! }
        "#,
    )
    .resolve(move |call| match (call.type_name, call.field) {
        ("Mutation", "add") => {
            let mut s = lock(&sc);
            let key = call.args["requestId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let value =
                s.numbers.get(&key).copied().unwrap_or(0) + call.args["num"].as_i64().unwrap_or(0);
            s.numbers.insert(key, value);
            Some(Ok(json!(value)))
        }
        _ => None,
    });
    vec![a, b, c]
}

#[tokio::test]
async fn mutations() {
    let store = Store::default();
    let s = Scenario::compose(mutation_subgraphs(&store)).await;
    check(
        &s,
        r#"mutation { addProduct(input: { name: "new", price: 599.99 }) { name price isExpensive isAvailable } }"#,
        json!({"addProduct": {"name": "new", "price": 599.99, "isExpensive": true, "isAvailable": true}}),
        false,
    )
    .await;
    check(
        &s,
        r#"{ product(id: "p1") { id name price isExpensive isAvailable } }"#,
        json!({"product": {"id": "p1", "name": "p1-name", "price": 9.99, "isExpensive": false, "isAvailable": true}}),
        false,
    )
    .await;
    let request = "r7f3a";
    check(
        &s,
        &format!(
            r#"mutation {{
                five: add(num: 5, requestId: "{request}")
                ten: multiply(by: 2, requestId: "{request}")
                twelve: add(num: 2, requestId: "{request}")
                final: delete(requestId: "{request}")
            }}"#
        ),
        json!({"five": 5, "ten": 10, "twelve": 12, "final": 12}),
        false,
    )
    .await;
    check(
        &s,
        &format!(
            r#"mutation {{ addCategory(name: "new", requestId: "{request}") {{ id name }} }}"#
        ),
        json!({"addCategory": {"id": format!("c-added-{request}"), "name": "new"}}),
        false,
    )
    .await;
}
