//! `@requires`: arguments on the required field (also conflicting with the
//! client's own arguments), chained requires across three subgraphs, requires
//! through an interface field with inline fragments, and a required field whose
//! subgraph fails.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: P) @join__type(graph: I) @join__type(graph: S) {
  products: [Product] @join__field(graph: P)
}

interface Material @join__type(graph: P) @join__type(graph: I) {
  name: String
}

type Wood implements Material
  @join__implements(graph: P, interface: "Material")
  @join__implements(graph: I, interface: "Material")
  @join__type(graph: P) @join__type(graph: I)
{
  name: String
  grain: String
}

type Metal implements Material
  @join__implements(graph: P, interface: "Material")
  @join__implements(graph: I, interface: "Material")
  @join__type(graph: P) @join__type(graph: I)
{
  name: String
  alloy: String
}

type Product
  @join__type(graph: P, key: "id")
  @join__type(graph: I, key: "id")
  @join__type(graph: S, key: "id")
{
  id: ID!
  name: String @join__field(graph: P)
  price(currency: String!): Int @join__field(graph: P) @join__field(graph: I, external: true)
  weight: Int @join__field(graph: P) @join__field(graph: I, external: true)
  fragile: Boolean @join__field(graph: P) @join__field(graph: I, external: true)
  material: Material @join__field(graph: P) @join__field(graph: I, external: true)
  shippingEstimate: Int
    @join__field(graph: I, requires: "price(currency: \"EUR\") weight")
    @join__field(graph: S, external: true)
  packaging: String @join__field(graph: I, requires: "material { name ... on Wood { grain } }")
  insurance: Int @join__field(graph: I, requires: "fragile")
  label: String @join__field(graph: S, requires: "shippingEstimate")
}
"#;

fn subgraphs() -> Vec<Subgraph> {
    let products = json!([
        {"id": "p1", "name": "Table", "eur": 100, "weight": 10, "fragile": true,
         "material": {"__typename": "Wood", "name": "oak", "grain": "fine"}},
        {"id": "p2", "name": "Safe", "eur": 2000, "weight": 50, "fragile": "fail",
         "material": {"__typename": "Metal", "name": "steel", "alloy": "A"}},
        {"id": "p3", "name": "Lamp", "eur": 30, "weight": 1, "fragile": false,
         "material": null}
    ]);
    let p = Subgraph::new(
        "p",
        "type Query { products: [Product] }
         interface Material { name: String }
         type Wood implements Material { name: String grain: String }
         type Metal implements Material { name: String alloy: String }
         type Product {
           id: ID! name: String price(currency: String!): Int weight: Int
           fragile: Boolean material: Material
         }",
    )
    .query(json!({ "products": products }))
    .resolve(|call| match (call.type_name, call.field) {
        ("Product", "price") => {
            let eur = call.parent["eur"].as_i64().unwrap_or_default();
            Some(match call.args["currency"].as_str() {
                Some("EUR") => Ok(json!(eur)),
                Some("USD") => Ok(json!(eur * 11 / 10)),
                _ => Err("unknown currency".into()),
            })
        }
        ("Product", "fragile") if call.parent["fragile"] == "fail" => {
            Some(Err("FRAGILITY_UNKNOWN: fragility unknown".into()))
        }
        _ => None,
    })
    .entities(&["Product"], move |repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(products
            .as_array()
            .and_then(|all| all.iter().find(|p| p["id"] == id))
            .cloned()
            .unwrap_or(Value::Null))
    });
    let i = Subgraph::new(
        "i",
        "type Query
         interface Material { name: String }
         type Wood implements Material { name: String grain: String }
         type Metal implements Material { name: String alloy: String }
         type Product {
           id: ID! price(currency: String!): Int weight: Int fragile: Boolean material: Material
           shippingEstimate: Int packaging: String insurance: Int
         }",
    )
    .entities(&["Product"], |repr| {
        let mut out = json!({"id": repr["id"]});
        if let (Some(price), Some(weight)) = (repr["price"].as_i64(), repr["weight"].as_i64()) {
            out["shippingEstimate"] = json!(if price > 1000 { 0 } else { price / 10 + weight });
        }
        if let Some(material) = repr.get("material") {
            out["packaging"] = match material {
                Value::Null => json!("none"),
                m => json!(format!(
                    "{}/{}",
                    m["name"].as_str().unwrap_or("?"),
                    m["grain"].as_str().unwrap_or("-")
                )),
            };
        }
        if let Some(fragile) = repr.get("fragile") {
            out["insurance"] = match fragile.as_bool() {
                Some(true) => json!(10),
                Some(false) => json!(0),
                None => Value::Null,
            };
        }
        Ok(out)
    });
    let s = Subgraph::new(
        "s",
        "type Query\n type Product { id: ID! shippingEstimate: Int label: String }",
    )
    .entities(&["Product"], |repr| {
        let estimate = repr["shippingEstimate"]
            .as_i64()
            .ok_or("shippingEstimate is required")?;
        Ok(json!({"id": repr["id"], "label": format!("ship:{estimate}")}))
    });
    vec![p, i, s]
}

#[tokio::test]
async fn requires_with_arguments_and_chained_requires() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query("{ products { id shippingEstimate label } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"products": [
            {"id": "p1", "shippingEstimate": 20, "label": "ship:20"},
            {"id": "p2", "shippingEstimate": 0, "label": "ship:0"},
            {"id": "p3", "shippingEstimate": 4, "label": "ship:4"}
        ]}}),
        "{}",
        body["__plan"]
    );
    // The representation carries the EUR price, whatever the client asks for.
    let body = scenario
        .query(r#"{ products { id price(currency: "USD") shippingEstimate } }"#)
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"products": [
            {"id": "p1", "price": 110, "shippingEstimate": 20},
            {"id": "p2", "price": 2200, "shippingEstimate": 0},
            {"id": "p3", "price": 33, "shippingEstimate": 4}
        ]}}),
        "{}",
        body["__plan"]
    );
}

#[tokio::test]
async fn requires_through_an_interface_with_inline_fragments() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query("{ products { id packaging material { __typename name } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"products": [
            {"id": "p1", "packaging": "oak/fine", "material": {"__typename": "Wood", "name": "oak"}},
            {"id": "p2", "packaging": "steel/-", "material": {"__typename": "Metal", "name": "steel"}},
            {"id": "p3", "packaging": "none", "material": null}
        ]}}),
        "{}",
        body["__plan"]
    );
    let sent = scenario.subgraph("i").received();
    let reprs = &sent.last().expect("a call to i").1["representations"];
    assert_eq!(
        reprs[0]["material"],
        json!({"__typename": "Wood", "name": "oak", "grain": "fine"}),
        "{reprs}"
    );
    assert_eq!(reprs[1]["material"]["__typename"], "Metal", "{reprs}");
    assert!(reprs[1]["material"].get("grain").is_none(), "{reprs}");
}

#[tokio::test]
async fn a_failing_required_field_is_an_error_not_a_crash() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario.query("{ products { id name insurance } }").await;
    assert_eq!(
        body["data"],
        json!({"products": [
            {"id": "p1", "name": "Table", "insurance": 10},
            {"id": "p2", "name": "Safe", "insurance": null},
            {"id": "p3", "name": "Lamp", "insurance": 0}
        ]}),
        "{body:#}"
    );
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert!(!errors.is_empty(), "{body:#}");
    assert!(
        errors.iter().any(|e| e["message"] == "fragility unknown"
            && e["extensions"]["code"] == "FRAGILITY_UNKNOWN"),
        "{body:#}"
    );
    // The router still answers.
    let body = scenario.query("{ products { id } }").await;
    assert_eq!(body["data"]["products"][2]["id"], "p3");
}
