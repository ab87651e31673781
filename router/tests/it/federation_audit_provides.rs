//! Scenarios of the federation gateway audit about `@provides`, reproduced with
//! our own subgraphs and composed with our composition:
//! `provides-only-requested-fields` (only the provided fields the client selected
//! are asked for; run in the audit's "punish poor plans" mode: every field a good
//! plan never asks for fails), `nested-provides` (two levels of provided
//! entities), `provides-on-interface` and `provides-on-union` (provided fields
//! below abstract types), all in the "punish poor plans" mode;
//! `simple-requires-provides` (the classic accounts/products/inventory/reviews
//! subgraphs).

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::{Value, json};

// provides-only-requested-fields ---------------------------------------------

fn entities() -> Value {
    json!([
        {"id": "e1", "name": "Entity One", "description": "Description One", "extra": "Extra One"},
        {"id": "e2", "name": "Entity Two", "description": "Description Two", "extra": "Extra Two"}
    ])
}

fn provides_subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Query { _aPlaceholder: Boolean }
        type Entity @key(fields: "id") {
          id: ID!
          name: String! @shareable
          description: String! @shareable
          extra: String!
        }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Entity", "name" | "description") => {
            Some(Err(format!("`{}` must come from b's @provides", call.field)))
        }
        _ => None,
    })
    .entity(|repr| {
        Ok(entities()
            .as_array()
            .and_then(|l| l.iter().find(|e| e["id"] == repr["id"]).cloned())
            .unwrap_or(Value::Null))
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides"])
        type Query {
          entity: Entity @provides(fields: "name description")
          entities: [Entity!]! @provides(fields: "name description")
        }
        type Entity @key(fields: "id") {
          id: ID!
          name: String! @external
          description: String! @external
        }
        "#,
    )
    .query(json!({"entity": entities()[0], "entities": entities()}))
    .resolve(|call| match (call.type_name, call.field) {
        ("Entity", "description") => Some(Err("over-fetch: nobody selected description".into())),
        _ => None,
    })
    .entity(|_| Err("b must not be entered through _entities".into()));
    vec![a, b]
}

#[tokio::test]
async fn provides_only_requested_fields() {
    let s = Scenario::compose(provides_subgraphs()).await;
    let one = json!({"id": "e1", "name": "Entity One"});
    check(
        &s,
        "{ entity { id } }",
        json!({"entity": {"id": "e1"}}),
        false,
    )
    .await;
    check(&s, "{ entity { id name } }", json!({"entity": one}), false).await;
    check(
        &s,
        "{ entity { id displayName: name } }",
        json!({"entity": {"id": "e1", "displayName": "Entity One"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id ... on Entity { name } } }",
        json!({"entity": one}),
        false,
    )
    .await;
    check(
        &s,
        "query { entity { id ...EntityName } } fragment EntityName on Entity { name }",
        json!({"entity": one}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id name extra } }",
        json!({"entity": {"id": "e1", "name": "Entity One", "extra": "Extra One"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ entities { id name } }",
        json!({"entities": [{"id": "e1", "name": "Entity One"}, {"id": "e2", "name": "Entity Two"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ entities { id name extra } }",
        json!({"entities": [
            {"id": "e1", "name": "Entity One", "extra": "Extra One"},
            {"id": "e2", "name": "Entity Two", "extra": "Extra Two"}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id ... on Entity @skip(if: true) { description } } }",
        json!({"entity": {"id": "e1"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id ... on Entity @include(if: false) { description } } }",
        json!({"entity": {"id": "e1"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ entity { id ... { name } ... { extra } } }",
        json!({"entity": {"id": "e1", "name": "Entity One", "extra": "Extra One"}}),
        false,
    )
    .await;
}

// nested-provides ------------------------------------------------------------

fn nested_categories() -> Value {
    json!([
        {"id": "c1", "name": "Category 1", "subCategories": ["c2"]},
        {"id": "c2", "name": "Category 2", "subCategories": ["c3"]},
        {"id": "c3", "name": "Category 3", "subCategories": ["c1"]}
    ])
}

fn category(id: &Value) -> Value {
    nested_categories()
        .as_array()
        .and_then(|l| l.iter().find(|c| &c["id"] == id).cloned())
        .unwrap_or(Value::Null)
}

const POOR_PLAN: &str = "You should be using the categories subgraph!";

/// `category` provides two levels of categories under `products`; a good plan
/// is one fetch. As in the audit's "punish poor plans" mode, every entity call
/// and every field a good plan does not need fails.
fn nested_provides_subgraphs() -> Vec<Subgraph> {
    let all_products = Subgraph::federated(
        "all-products",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Product @key(fields: "id") { id: ID! }
        "#,
    )
    .entity(|_| Err(POOR_PLAN.into()));
    let provided = |ids: &Value| -> Value {
        json!(
            ids.as_array()
                .into_iter()
                .flatten()
                .map(|id| {
                    let c = category(id);
                    json!({"id": c["id"], "name": c["name"],
                   "subCategories": c["subCategories"].as_array().into_iter().flatten().map(|sub| {
                       let s = category(sub);
                       json!({"id": s["id"], "name": s["name"]})
                   }).collect::<Vec<_>>()})
                })
                .collect::<Vec<_>>()
        )
    };
    let categories = Subgraph::federated(
        "category",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@shareable", "@external", "@provides"])
        type Query {
          products: [Product] @shareable @provides(fields: "categories { id name subCategories { id name } }")
        }
        type Product @key(fields: "id") { id: ID! categories: [Category] @external }
        type Category @key(fields: "id") { id: ID! name: String subCategories: [Category] @external }
        "#,
    )
    .query(json!({"products": [
        {"id": "p1", "categories": provided(&json!(["c1", "c2"]))},
        {"id": "p2", "categories": provided(&json!(["c3", "c2"]))}
    ]}))
    .entity(|_| Err(POOR_PLAN.into()));
    let subcategories = Subgraph::federated(
        "subcategories",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Product @key(fields: "id") { id: ID! categories: [Category] @shareable }
        type Category @key(fields: "id") { id: ID! subCategories: [Category] @shareable }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Product", "categories") => Some(Err(POOR_PLAN.into())),
        ("Category", "subCategories") => Some(Ok(json!(
            call.parent["subCategories"]
                .as_array()
                .into_iter()
                .flatten()
                .map(category)
                .collect::<Vec<_>>()
        ))),
        _ => None,
    })
    .entity(|repr| match repr["__typename"].as_str() {
        Some("Category") => Ok(category(&repr["id"])),
        _ => Err(POOR_PLAN.into()),
    });
    vec![all_products, categories, subcategories]
}

#[tokio::test]
async fn nested_provides() {
    let s = Scenario::compose(nested_provides_subgraphs()).await;
    let c = |id: &str| {
        let c = category(&json!(id));
        json!({"id": c["id"], "name": c["name"]})
    };
    check(
        &s,
        "{ products { id categories { id name } } }",
        json!({"products": [
            {"id": "p1", "categories": [c("c1"), c("c2")]},
            {"id": "p2", "categories": [c("c3"), c("c2")]}
        ]}),
        false,
    )
    .await;
    let with_subs = |id: &str, sub: &str| {
        let mut c = c(id);
        c["subCategories"] = json!([{"id": sub, "name": category(&json!(sub))["name"]}]);
        c
    };
    check(
        &s,
        "{ products { id categories { id name subCategories { id name } } } }",
        json!({"products": [
            {"id": "p1", "categories": [with_subs("c1", "c2"), with_subs("c2", "c3")]},
            {"id": "p2", "categories": [with_subs("c3", "c1"), with_subs("c2", "c3")]}
        ]}),
        false,
    )
    .await;
}

// provides-on-interface ------------------------------------------------------

fn animals() -> Value {
    json!([
        {"__typename": "Dog", "id": "a1", "name": "Fido", "age": 3},
        {"__typename": "Cat", "id": "a2", "name": "Whiskers", "age": 6}
    ])
}

fn animal(id: &Value) -> Value {
    animals()
        .as_array()
        .and_then(|l| l.iter().find(|a| &a["id"] == id).cloned())
        .unwrap_or(Value::Null)
}

/// Our composition refuses `Book`, `Dog` and `Cat`: entities in `a` and `c`,
/// value types in `b` (ENTITY_KEY_MISMATCH). Federation composition's supergraph:
const PROVIDES_ON_INTERFACE: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  media: Media @join__field(graph: A) @join__field(graph: B, provides: "animals { id name }")
  book: Book @join__field(graph: A, provides: "animals { ... on Dog { name } }")
}
interface Media @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  id: ID!
  animals: [Animal] @join__field(graph: B) @join__field(graph: C)
}
interface Animal @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  id: ID!
  name: String @join__field(graph: B) @join__field(graph: C)
}
type Book implements Media
  @join__implements(graph: A, interface: "Media")
  @join__implements(graph: B, interface: "Media")
  @join__implements(graph: C, interface: "Media")
  @join__type(graph: A, key: "id")
  @join__type(graph: B)
  @join__type(graph: C, key: "id")
{
  id: ID!
  animals: [Animal] @join__field(graph: A) @join__field(graph: B, external: true) @join__field(graph: C)
}
type Dog implements Animal
  @join__implements(graph: A, interface: "Animal")
  @join__implements(graph: B, interface: "Animal")
  @join__implements(graph: C, interface: "Animal")
  @join__type(graph: A, key: "id")
  @join__type(graph: B)
  @join__type(graph: C, key: "id")
{
  id: ID! @join__field(graph: A, external: true) @join__field(graph: B, external: true) @join__field(graph: C)
  name: String @join__field(graph: A, external: true) @join__field(graph: B, external: true) @join__field(graph: C)
  age: Int @join__field(graph: C)
}
type Cat implements Animal
  @join__implements(graph: A, interface: "Animal")
  @join__implements(graph: B, interface: "Animal")
  @join__implements(graph: C, interface: "Animal")
  @join__type(graph: A, key: "id")
  @join__type(graph: B)
  @join__type(graph: C, key: "id")
{
  id: ID! @join__field(graph: A, external: true) @join__field(graph: B, external: true) @join__field(graph: C)
  name: String @join__field(graph: B, external: true) @join__field(graph: C)
  age: Int @join__field(graph: C)
}
"#;

/// `b` provides the animals' `id` and `name` under `media`; `Cat.age` only `c`
/// resolves, through the `Book` entity. Poor plans are punished as in the
/// audit: `a`'s `media` and `c`'s `Dog` entity fail.
fn provides_on_interface_subgraphs() -> Vec<Subgraph> {
    let book_animals = |with: &dyn Fn(&Value) -> Value| -> Value {
        json!(
            ["a1", "a2"]
                .iter()
                .map(|id| with(&animal(&json!(id))))
                .collect::<Vec<_>>()
        )
    };
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@shareable", "@external", "@provides"])
        type Query { media: Media @shareable book: Book @provides(fields: "animals { ... on Dog { name } }") }
        interface Media { id: ID! }
        interface Animal { id: ID! }
        type Book implements Media @key(fields: "id") { id: ID! animals: [Animal] @shareable }
        type Dog implements Animal @key(fields: "id") { id: ID! @external name: String @external }
        type Cat implements Animal @key(fields: "id") { id: ID! @external }
        "#,
    )
    .query(json!({"book": {"__typename": "Book", "id": "m1", "animals": book_animals(&|a| {
        if a["__typename"] == "Dog" {
            json!({"__typename": "Dog", "id": a["id"], "name": a["name"]})
        } else {
            json!({"__typename": a["__typename"], "id": a["id"]})
        }
    })}}))
    .resolve(|call| match (call.type_name, call.field) {
        ("Query", "media") => Some(Err("You should be using the 'a' subgraph!".into())),
        _ => None,
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@shareable", "@provides", "@external"])
        type Query { media: Media @shareable @provides(fields: "animals { id name }") }
        interface Media { id: ID! animals: [Animal] }
        interface Animal { id: ID! name: String }
        type Book implements Media { id: ID! @shareable animals: [Animal] @external }
        type Dog implements Animal { id: ID! @external name: String @external }
        type Cat implements Animal { id: ID! @external name: String @external }
        "#,
    )
    .query(
        json!({"media": {"__typename": "Book", "id": "m1", "animals": book_animals(&|a| {
            json!({"__typename": a["__typename"], "id": a["id"], "name": a["name"]})
        })}}),
    );
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        interface Media { id: ID! animals: [Animal] }
        interface Animal { id: ID! name: String }
        type Book implements Media @key(fields: "id") { id: ID! animals: [Animal] @shareable }
        type Dog implements Animal @key(fields: "id") { id: ID! name: String @shareable age: Int }
        type Cat implements Animal @key(fields: "id") { id: ID! name: String @shareable age: Int }
        "#,
    )
    .entity(move |repr| match (repr["__typename"].as_str(), repr["id"].as_str()) {
        (Some("Book"), Some("m1")) => Ok(json!({"id": "m1", "animals": book_animals(&|a| a.clone())})),
        (Some("Cat"), _) => Ok(animal(&repr["id"])),
        (Some("Dog"), _) => Err("You should be using the 'c' subgraph!".into()),
        _ => Ok(Value::Null),
    });
    vec![a, b, c]
}

#[tokio::test]
async fn provides_on_interface() {
    let s = Scenario::start(provides_on_interface_subgraphs(), PROVIDES_ON_INTERFACE).await;
    check(
        &s,
        "{ media { id animals { id name } } }",
        json!({"media": {"id": "m1", "animals": [{"id": "a1", "name": "Fido"}, {"id": "a2", "name": "Whiskers"}]}}),
        false,
    )
    .await;
    check(
        &s,
        "{ media { id animals { id name ... on Cat { age } } } }",
        json!({"media": {"id": "m1", "animals": [
            {"id": "a1", "name": "Fido"},
            {"id": "a2", "name": "Whiskers", "age": 6}
        ]}}),
        false,
    )
    .await;
}

// provides-on-union ----------------------------------------------------------

fn union_medias() -> Value {
    json!([
        {"__typename": "Book", "id": "m1", "title": "Book 1"},
        {"__typename": "Movie", "id": "m2", "title": "Movie 1"}
    ])
}

/// `b` provides `... on Book { title }` under the shared `media`; a `Movie`'s
/// title comes from `c`. Poor plans are punished as in the audit: `a`'s `media`
/// and `c`'s `Book` entity fail.
fn provides_on_union_subgraphs() -> Vec<Subgraph> {
    let ids_only = json!(
        union_medias()
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| json!({"__typename": m["__typename"], "id": m["id"]}))
            .collect::<Vec<_>>()
    );
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external"])
        type Query { media: [Media] @shareable }
        union Media = Book | Movie
        type Book @key(fields: "id") { id: ID! }
        type Movie @key(fields: "id") { id: ID! }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Query", "media") => Some(Err("You should not be using the 'a' subgraph!".into())),
        _ => None,
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@shareable", "@provides", "@external"])
        type Query { media: [Media] @shareable @provides(fields: "... on Book { title }") }
        union Media = Book | Movie
        type Book @key(fields: "id") { id: ID! title: String @external }
        type Movie @key(fields: "id") { id: ID! }
        "#,
    )
    .query(json!({"media": union_medias()
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| if m["__typename"] == "Book" { m.clone() } else { ids_only[1].clone() })
        .collect::<Vec<_>>()}));
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Book @key(fields: "id") { id: ID! title: String @shareable }
        type Movie @key(fields: "id") { id: ID! title: String @shareable }
        "#,
    )
    .entity(|repr| match repr["__typename"].as_str() {
        Some("Book") => Err("You should be using the 'b' subgraph!".into()),
        _ => Ok(union_medias()
            .as_array()
            .and_then(|l| l.iter().find(|m| m["id"] == repr["id"]).cloned())
            .unwrap_or(Value::Null)),
    });
    vec![a, b, c]
}

#[tokio::test]
async fn provides_on_union() {
    let s = Scenario::compose(provides_on_union_subgraphs()).await;
    check(
        &s,
        "{ media { ... on Book { id title } ... on Movie { id } } }",
        json!({"media": [{"id": "m1", "title": "Book 1"}, {"id": "m2"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ media { ... on Book { id title } ... on Movie { id title } } }",
        json!({"media": [{"id": "m1", "title": "Book 1"}, {"id": "m2", "title": "Movie 1"}]}),
        false,
    )
    .await;
}

// simple-requires-provides ---------------------------------------------------

fn srp_products() -> Value {
    json!([
        {"upc": "p1", "name": "p-name-1", "price": 11, "weight": 1},
        {"upc": "p2", "name": "p-name-2", "price": 22, "weight": 2}
    ])
}

fn srp_reviews() -> Value {
    json!([
        {"id": "r1", "body": "r-body-1", "authorId": "u1", "productUpc": "p1"},
        {"id": "r2", "body": "r-body-2", "authorId": "u1", "productUpc": "p2"}
    ])
}

fn srp_users() -> Value {
    json!([
        {"id": "u1", "username": "u-username-1", "name": "u-name-1"},
        {"id": "u2", "username": "u-username-2", "name": "u-name-2"}
    ])
}

fn by(list: Value, key: &str, value: &Value) -> Value {
    list.as_array()
        .and_then(|l| l.iter().find(|x| &x[key] == value).cloned())
        .unwrap_or(Value::Null)
}

fn reviews_where(key: &str, value: &Value) -> Value {
    json!(
        srp_reviews()
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| &r[key] == value)
            .cloned()
            .collect::<Vec<_>>()
    )
}

/// The classic four subgraphs: `reviews` provides the author's `username`,
/// `inventory` requires `price weight` from `products`.
fn simple_requires_provides_subgraphs() -> Vec<Subgraph> {
    let accounts = Subgraph::federated(
        "accounts",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Query { me: User }
        type User @key(fields: "id") { id: ID! name: String username: String @shareable }
        "#,
    )
    .query(json!({"me": srp_users()[0]}))
    .entity(|repr| Ok(by(srp_users(), "id", &repr["id"])));
    let inventory = Subgraph::federated(
        "inventory",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Product @key(fields: "upc") {
          upc: String!
          weight: Int @external
          price: Int @external
          inStock: Boolean
          shippingEstimate: Int @requires(fields: "price weight")
          shippingEstimateTag: String @requires(fields: "price weight")
        }
        "#,
    )
    .resolve(|call| {
        let p = call.parent;
        let estimate = || -> Result<i64, String> {
            match (p["price"].as_i64(), p["weight"].as_i64()) {
                (Some(price), Some(weight)) => Ok(price * weight * 10),
                _ => Err("price and weight were not provided".into()),
            }
        };
        match (call.type_name, call.field) {
            ("Product", "shippingEstimate") => Some(estimate().map(|e| json!(e))),
            ("Product", "shippingEstimateTag") => {
                Some(estimate().map(|e| json!(format!("#{}#{e}#", p["upc"].as_str().unwrap_or_default()))))
            }
            ("Product", "inStock") => Some(Ok(json!(p["upc"] == "p1"))),
            _ => None,
        }
    })
    .entity(|repr| {
        let product = by(srp_products(), "upc", &repr["upc"]);
        Ok(match (product.is_null(), repr.get("price"), repr.get("weight")) {
            (true, _, _) => Value::Null,
            (false, Some(price), Some(weight)) => {
                json!({"upc": product["upc"], "price": price, "weight": weight})
            }
            _ => json!({"upc": product["upc"]}),
        })
    });
    let products = Subgraph::federated(
        "products",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { products: [Product] }
        type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }
        "#,
    )
    .query(json!({"products": srp_products()}))
    .entity(|repr| Ok(by(srp_products(), "upc", &repr["upc"])));
    let reviews = Subgraph::federated(
        "reviews",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides"])
        type Review @key(fields: "id") {
          id: ID!
          body: String
          author: User @provides(fields: "username")
          product: Product
        }
        type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
        type Product @key(fields: "upc") { upc: String! reviews: [Review] }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Review", "author") => {
            let user = by(srp_users(), "id", &call.parent["authorId"]);
            Some(Ok(if user.is_null() {
                user
            } else {
                json!({"id": user["id"], "username": user["username"]})
            }))
        }
        ("Review", "product") => Some(Ok(json!({"upc": call.parent["productUpc"]}))),
        ("User", "reviews") => Some(Ok(reviews_where("authorId", &call.parent["id"]))),
        ("Product", "reviews") => Some(Ok(reviews_where("productUpc", &call.parent["upc"]))),
        _ => None,
    })
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("Review") => by(srp_reviews(), "id", &repr["id"]),
            Some("User") => {
                let user = by(srp_users(), "id", &repr["id"]);
                if user.is_null() { user } else { json!({"id": user["id"]}) }
            }
            Some("Product") => json!({"upc": repr["upc"]}),
            _ => Value::Null,
        })
    });
    vec![accounts, inventory, products, reviews]
}

#[tokio::test]
async fn simple_requires_provides() {
    let s = Scenario::compose(simple_requires_provides_subgraphs()).await;
    check(&s, "{ me { id } }", json!({"me": {"id": "u1"}}), false).await;
    check(
        &s,
        "{ me { id reviews { id } } }",
        json!({"me": {"id": "u1", "reviews": [{"id": "r1"}, {"id": "r2"}]}}),
        false,
    )
    .await;
    let author = json!({"id": "u1", "username": "u-username-1"});
    check(
        &s,
        "{ me { reviews { id author { id username } product { inStock } } } }",
        json!({"me": {"reviews": [
            {"id": "r1", "author": author, "product": {"inStock": true}},
            {"id": "r2", "author": author, "product": {"inStock": false}}
        ]}}),
        false,
    )
    .await;
    check(
        &s,
        "{ products { name } }",
        json!({"products": [{"name": "p-name-1"}, {"name": "p-name-2"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ products { price } }",
        json!({"products": [{"price": 11}, {"price": 22}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ products { shippingEstimate } }",
        json!({"products": [{"shippingEstimate": 110}, {"shippingEstimate": 440}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ products { shippingEstimate weight price } }",
        json!({"products": [
            {"shippingEstimate": 110, "weight": 1, "price": 11},
            {"shippingEstimate": 440, "weight": 2, "price": 22}
        ]}),
        false,
    )
    .await;
    let username = json!({"username": "u-username-1"});
    check(
        &s,
        "{ products { reviews { id author { username } product { name shippingEstimate } } } }",
        json!({"products": [
            {"reviews": [{"id": "r1", "author": username,
                          "product": {"name": "p-name-1", "shippingEstimate": 110}}]},
            {"reviews": [{"id": "r2", "author": username,
                          "product": {"name": "p-name-2", "shippingEstimate": 440}}]}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        "{ me { reviews { product { reviews { id } } } } }",
        json!({"me": {"reviews": [
            {"product": {"reviews": [{"id": "r1"}]}},
            {"product": {"reviews": [{"id": "r2"}]}}
        ]}}),
        false,
    )
    .await;
    check(
        &s,
        "{ me { reviews { product { inStock } } } }",
        json!({"me": {"reviews": [{"product": {"inStock": true}}, {"product": {"inStock": false}}]}}),
        false,
    )
    .await;
    check(
        &s,
        "{ me { reviews { product { shippingEstimate } } } }",
        json!({"me": {"reviews": [
            {"product": {"shippingEstimate": 110}},
            {"product": {"shippingEstimate": 440}}
        ]}}),
        false,
    )
    .await;
    check(
        &s,
        "{ me { reviews { product { shippingEstimate shippingEstimateTag } } } }",
        json!({"me": {"reviews": [
            {"product": {"shippingEstimate": 110, "shippingEstimateTag": "#p1#110#"}},
            {"product": {"shippingEstimate": 440, "shippingEstimateTag": "#p2#440#"}}
        ]}}),
        false,
    )
    .await;
}
