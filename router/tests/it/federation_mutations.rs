//! Mutations across subgraphs run one after another, in document order, each
//! followed by its own entity fetches before the next mutation starts.

use crate::federation_kit;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  products: [Product] @join__field(graph: A)
}

type Mutation @join__type(graph: A) @join__type(graph: B) {
  addProduct(name: String!): Product @join__field(graph: A)
  setPrice(id: ID!, price: Int!): Product @join__field(graph: B)
}

type Product @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  name: String @join__field(graph: A)
  price: Int @join__field(graph: B)
}
"#;

#[derive(Default)]
struct Store {
    names: Vec<String>,
    prices: HashMap<String, i64>,
    log: Vec<String>,
}

fn subgraphs(store: Arc<Mutex<Store>>) -> Vec<Subgraph> {
    let (s1, s2, s3, s4) = (store.clone(), store.clone(), store.clone(), store);
    let a = Subgraph::new(
        "a",
        "type Query { products: [Product] }
         type Mutation { addProduct(name: String!): Product }
         type Product { id: ID! name: String }",
    )
    .resolve(move |call| match (call.type_name, call.field) {
        ("Mutation", "addProduct") => {
            let mut store = lock(&s1);
            let name = call.args["name"].as_str().unwrap_or_default().to_string();
            store.names.push(name.clone());
            store.log.push(format!("add {name}"));
            Some(Ok(
                json!({"id": format!("p{}", store.names.len()), "name": name}),
            ))
        }
        ("Query", "products") => {
            let store = lock(&s1);
            Some(Ok(Value::Array(
                (1..=store.names.len())
                    .map(|i| json!({"id": format!("p{i}"), "name": store.names[i - 1]}))
                    .collect(),
            )))
        }
        _ => None,
    })
    .entities(&["Product"], move |repr| {
        let mut store = lock(&s2);
        let id = repr["id"].as_str().unwrap_or_default();
        let index: usize = id.trim_start_matches('p').parse().map_err(|_| "bad id")?;
        store.log.push(format!("read name {id}"));
        Ok(json!({"id": id, "name": store.names.get(index - 1)}))
    });
    let b = Subgraph::new(
        "b",
        "type Query
         type Mutation { setPrice(id: ID!, price: Int!): Product }
         type Product { id: ID! price: Int }",
    )
    .resolve(move |call| match (call.type_name, call.field) {
        ("Mutation", "setPrice") => {
            let mut store = lock(&s3);
            let id = call.args["id"].as_str().unwrap_or_default().to_string();
            let price = call.args["price"].as_i64().unwrap_or_default();
            store.prices.insert(id.clone(), price);
            store.log.push(format!("price {id} {price}"));
            Some(Ok(json!({"id": id, "price": price})))
        }
        _ => None,
    })
    .entities(&["Product"], move |repr| {
        let id = repr["id"].as_str().unwrap_or_default().to_string();
        let mut store = lock(&s4);
        let price = store.prices.get(&id).copied().unwrap_or(1);
        store.log.push(format!("read price {id}"));
        Ok(json!({"id": id, "price": price}))
    });
    vec![a, b]
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}

#[tokio::test]
async fn mutations_run_in_order_with_their_entity_fetches_in_between() {
    let store = Arc::new(Mutex::new(Store::default()));
    let scenario = Scenario::start(subgraphs(store.clone()), TYPES).await;
    let body = scenario
        .query(
            r#"mutation {
                 first: addProduct(name: "Table") { id name price }
                 priced: setPrice(id: "p1", price: 5) { id name price }
                 second: addProduct(name: "Chair") { id price }
               }"#,
        )
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {
            "first": {"id": "p1", "name": "Table", "price": 1},
            "priced": {"id": "p1", "name": "Table", "price": 5},
            "second": {"id": "p2", "price": 1}
        }}),
        "{}",
        body["__plan"]
    );
    let log = store.lock().unwrap_or_else(|e| e.into_inner()).log.clone();
    assert_eq!(
        log,
        vec![
            "add Table",
            "read price p1",
            "price p1 5",
            "read name p1",
            "add Chair",
            "read price p2"
        ]
    );
    let body = scenario.query("{ products { id name price } }").await;
    assert_eq!(
        response(body),
        json!({"data": {"products": [
            {"id": "p1", "name": "Table", "price": 5},
            {"id": "p2", "name": "Chair", "price": 1}
        ]}})
    );
}
