//! Scenarios of the federation gateway audit about `@requires`, reproduced with
//! our own subgraphs and composed with our composition: `requires-circular`
//! (a field requiring a field that itself requires data from the first subgraph),
//! `requires-with-argument-conflict` (two fields requiring the same field with
//! different arguments, and a nested required field with an argument),
//! `requires-with-fragments` (requirements through nested fragments on
//! interfaces, one implementation `@inaccessible`), `requires-interface`
//! (requiring an interface-typed field, and a fragment of it), `requires-requires`
//! (requirements whose fields are themselves `@requires`), `requires-with-argument`
//! (required fields with arguments, across four subgraphs).

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, check, check_data};
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

// requires-with-fragments ----------------------------------------------------

fn fragment_entities() -> Value {
    json!([{"id": "e1", "data": "b1"}, {"id": "e2", "data": "q1"}])
}

/// The `Foo` an entity's `data` points to (`b1` is a `Baz`, `q1` a `Qux`).
fn fragment_data(entity_id: &Value) -> Value {
    let data = json!([
        {"__typename": "Baz", "id": "b1", "foo": "b1-foo", "bar": "b1-bar", "baz": "b1-baz"},
        {"__typename": "Qux", "id": "q1", "foo": "q1-foo", "bar": "q1-bar", "qux": "q1-qux"}
    ]);
    let key = find(fragment_entities(), "id", entity_id)["data"].clone();
    find(data, "id", &key)
}

/// `b` requires `data` (owned by `a`) through nested fragments on interfaces;
/// `Baz` is `@inaccessible` in `b`, so a `Baz` never reaches the client.
fn fragments_subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])
        type Query @shareable { a: Entity }
        type Entity @key(fields: "id") { id: ID! data: Foo }
        interface Foo { foo: String! }
        interface Bar implements Foo { foo: String! bar: String! }
        type Baz implements Foo & Bar @shareable { foo: String! bar: String! baz: String! }
        type Qux implements Foo & Bar @shareable { foo: String! bar: String! qux: String! }
        "#,
    )
    .query(json!({"a": fragment_entities()[1]}))
    .resolve(|call| match (call.type_name, call.field) {
        ("Entity", "data") => Some(Ok(fragment_data(&call.parent["id"]))),
        _ => None,
    })
    .entity(|repr| Ok(find(fragment_entities(), "id", &repr["id"])));
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.5",
          import: ["@key", "@shareable", "@inaccessible", "@external", "@requires"])
        type Query @shareable { b: Entity bb: Entity }
        type Entity @key(fields: "id") {
          id: ID!
          data: Foo @external
          requirer: String! @requires(fields: """
            data { foo ... on Bar { bar ... on Baz { baz } ... on Qux { qux } } }
          """)
          requirer2: String! @requires(fields: "data { ... on Foo { foo } }")
        }
        interface Foo { foo: String! }
        interface Bar implements Foo { foo: String! bar: String! }
        type Baz implements Foo & Bar @shareable @inaccessible { foo: String! bar: String! baz: String! }
        type Qux implements Foo & Bar @shareable { foo: String! bar: String! qux: String! }
        "#,
    )
    .query(json!({"b": fragment_entities()[0], "bb": fragment_entities()[1]}))
    .resolve(|call| {
        let suffix = match (call.type_name, call.field) {
            ("Entity", "data") => return Some(Ok(fragment_data(&call.parent["id"]))),
            ("Entity", "requirer") => "_requirer",
            ("Entity", "requirer2") => "_requirer2",
            _ => return None,
        };
        Some(match call.parent["data"]["foo"].as_str() {
            Some(value) => Ok(json!(format!("{value}{suffix}"))),
            None => Err("Expected entity to have a data field".into()),
        })
    })
    .entity(|repr| {
        let found = find(fragment_entities(), "id", &repr["id"]);
        if found.is_null() {
            return Ok(found);
        }
        let mut entity = repr.clone();
        entity.as_object_mut().map(|m| m.remove("__typename"));
        Ok(entity)
    });
    vec![a, b]
}

#[tokio::test]
async fn requires_with_fragments() {
    let s = Scenario::compose(fragments_subgraphs()).await;
    // `b`'s data is a `Baz`, not part of the API schema: null (we add an error,
    // which the audit leaves open).
    check_data(
        &s,
        "{ b { id data { __typename } } bb { id data { __typename } } }",
        json!({"b": {"id": "e1", "data": null}, "bb": {"id": "e2", "data": {"__typename": "Qux"}}}),
    )
    .await;
    check(
        &s,
        "{ a { requirer } }",
        json!({"a": {"requirer": "q1-foo_requirer"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ a { data { __typename } requirer } }",
        json!({"a": {"data": {"__typename": "Qux"}, "requirer": "q1-foo_requirer"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ bb { data { __typename } requirer } }",
        json!({"bb": {"data": {"__typename": "Qux"}, "requirer": "q1-foo_requirer"}}),
        false,
    )
    .await;
    check_data(
        &s,
        "{ b { data { __typename } requirer } }",
        json!({"b": {"data": null, "requirer": "b1-foo_requirer"}}),
    )
    .await;
    check(
        &s,
        "{ bb { data { __typename } requirer2 } }",
        json!({"bb": {"data": {"__typename": "Qux"}, "requirer2": "q1-foo_requirer2"}}),
        false,
    )
    .await;
}

// requires-interface ---------------------------------------------------------

fn interface_users() -> Value {
    json!([
        {"id": "u1", "name": "u1-name", "address": "a1"},
        {"id": "u2", "name": "u2-name", "address": "a2"}
    ])
}

fn addresses() -> Value {
    json!([
        {"__typename": "HomeAddress", "id": "a1", "city": "a1-city", "country": "a1-country"},
        {"__typename": "WorkAddress", "id": "a2", "city": "a2-city", "country": "a2-country"}
    ])
}

/// `a` requires `address { id }` (an interface field) and
/// `address { ... on WorkAddress { id } }` from `b`, which owns `User.address`.
fn interface_subgraphs() -> Vec<Subgraph> {
    let address = |repr: &Value| find(addresses(), "id", &repr["id"]);
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@requires", "@external", "@shareable"])
        type Query { a: User }
        interface Address { id: ID! }
        type HomeAddress implements Address @key(fields: "id") { id: ID! city: String @shareable }
        type WorkAddress implements Address @key(fields: "id") { id: ID! city: String @shareable }
        type User @key(fields: "id") {
          id: ID!
          name: String! @shareable
          address: Address @external
          city: String @requires(fields: "address { id }")
          country: String @requires(fields: "address { ... on WorkAddress { id } }")
        }
        "#,
    )
    .query(json!({"a": {"id": "u1", "name": "u1-name"}}))
    .resolve(|call| match (call.type_name, call.field) {
        ("User", "city") => Some(match call.parent["address"]["id"].as_str() {
            Some(_) => Ok(find(addresses(), "id", &call.parent["address"]["id"])["city"].clone()),
            None => Err("Cannot read properties of undefined (reading 'id')".into()),
        }),
        ("User", "country") => Some(Ok(
            find(addresses(), "id", &call.parent["address"]["id"])["country"].clone(),
        )),
        _ => None,
    })
    .entity(move |repr| {
        Ok(match repr["__typename"].as_str() {
            Some("User") => {
                let user = find(interface_users(), "id", &repr["id"]);
                if user.is_null() {
                    user
                } else if repr["address"]["id"].is_string() {
                    json!({"id": user["id"], "name": user["name"], "address": {"id": user["address"]}})
                } else {
                    json!({"id": user["id"], "name": user["name"]})
                }
            }
            _ => address(repr),
        })
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Query { b: User }
        interface Address { id: ID! }
        type HomeAddress implements Address @key(fields: "id") { id: ID! city: String @shareable }
        type WorkAddress implements Address @key(fields: "id") { id: ID! city: String @shareable }
        type SecondAddress implements Address @key(fields: "id") { id: ID! city: String @shareable }
        type User @key(fields: "id") { id: ID! name: String! @shareable address: Address @shareable }
        "#,
    )
    .query(json!({"b": interface_users()[1]}))
    .resolve(|call| match (call.type_name, call.field) {
        ("User", "address") => Some(Ok(find(addresses(), "id", &call.parent["address"]))),
        _ => None,
    })
    .entity(move |repr| {
        Ok(match repr["__typename"].as_str() {
            Some("User") => find(interface_users(), "id", &repr["id"]),
            _ => address(repr),
        })
    });
    vec![a, b]
}

#[tokio::test]
async fn requires_interface() {
    let s = Scenario::compose(interface_subgraphs()).await;
    check(
        &s,
        "{ a { city } }",
        json!({"a": {"city": "a1-city"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ b { city } }",
        json!({"b": {"city": "a2-city"}}),
        false,
    )
    .await;
    // `a`'s address is a `HomeAddress`: nothing to pass, `country` is null.
    check(
        &s,
        "{ a { country } }",
        json!({"a": {"country": null}}),
        false,
    )
    .await;
    check(
        &s,
        "{ a { address { __typename id } } }",
        json!({"a": {"address": {"__typename": "HomeAddress", "id": "a1"}}}),
        false,
    )
    .await;
    check(
        &s,
        "{ b { address { __typename id } } }",
        json!({"b": {"address": {"__typename": "WorkAddress", "id": "a2"}}}),
        false,
    )
    .await;
}

// requires-requires ----------------------------------------------------------

/// The one product: `a` knows its (inaccessible) price, `b` its discount; `c`
/// derives `isExpensive`/`isExpensiveWithDiscount` from those, `d` derives
/// `canAfford`/`canAffordWithDiscount` from `c`'s: requirements of requirements.
/// Each subgraph computes its fields from the representation only.
fn requires_requires_subgraphs() -> Vec<Subgraph> {
    let known = |repr: &Value| repr["id"] == json!("p1");
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@inaccessible"])
        type Product @key(fields: "id") { id: ID! price: Float! @inaccessible }
        "#,
    )
    .entity(move |repr| Ok(if known(repr) { json!({"id": "p1", "price": 699.99}) } else { Value::Null }));
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { product: Product }
        type Product @key(fields: "id") { id: ID! hasDiscount: Boolean! }
        "#,
    )
    .query(json!({"product": {"id": "p1", "hasDiscount": true}}))
    .entity(move |repr| {
        Ok(if known(repr) {
            json!({"id": "p1", "hasDiscount": true})
        } else {
            Value::Null
        })
    });
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Product @key(fields: "id") {
          id: ID!
          price: Float! @external
          isExpensive: Boolean! @requires(fields: "price")
          hasDiscount: Boolean! @external
          isExpensiveWithDiscount: Boolean! @requires(fields: "hasDiscount")
        }
        "#,
    )
    .entity(move |repr| {
        if !known(repr) {
            return Ok(Value::Null);
        }
        let mut product = json!({"id": "p1"});
        if let Some(price) = repr["price"].as_f64() {
            product["price"] = json!(price);
            product["isExpensive"] = json!(price > 500.0);
        }
        if let Some(discount) = repr["hasDiscount"].as_bool() {
            product["hasDiscount"] = json!(discount);
            product["isExpensiveWithDiscount"] = json!(!discount);
        }
        Ok(product)
    });
    let d = Subgraph::federated(
        "d",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Product @key(fields: "id") {
          id: ID!
          isExpensive: Boolean! @external
          canAfford: Boolean! @requires(fields: "isExpensive")
          isExpensiveWithDiscount: Boolean! @external
          canAffordWithDiscount: Boolean! @requires(fields: "isExpensiveWithDiscount")
        }
        "#,
    )
    .entity(move |repr| {
        if !known(repr) {
            return Ok(Value::Null);
        }
        let mut product = json!({"id": "p1"});
        if let Some(expensive) = repr["isExpensive"].as_bool() {
            product["isExpensive"] = json!(expensive);
            product["canAfford"] = json!(!expensive);
        }
        if let Some(expensive) = repr["isExpensiveWithDiscount"].as_bool() {
            product["isExpensiveWithDiscount"] = json!(expensive);
            product["canAffordWithDiscount"] = json!(!expensive);
        }
        Ok(product)
    });
    vec![a, b, c, d]
}

#[tokio::test]
async fn requires_requires() {
    let s = Scenario::compose(requires_requires_subgraphs()).await;
    check(
        &s,
        "{ product { canAfford } }",
        json!({"product": {"canAfford": false}}),
        false,
    )
    .await;
    check(
        &s,
        "{ product { isExpensive } }",
        json!({"product": {"isExpensive": true}}),
        false,
    )
    .await;
    check(
        &s,
        "{ product { isExpensive canAfford } }",
        json!({"product": {"isExpensive": true, "canAfford": false}}),
        false,
    )
    .await;
    check(
        &s,
        "{ product { canAffordWithDiscount } }",
        json!({"product": {"canAffordWithDiscount": true}}),
        false,
    )
    .await;
    check(
        &s,
        "{ product { canAfford canAffordWithDiscount } }",
        json!({"product": {"canAfford": false, "canAffordWithDiscount": true}}),
        false,
    )
    .await;
}

// requires-with-argument -----------------------------------------------------

fn argument_products() -> Value {
    json!([
        {"upc": "p1", "name": "p-name-1", "price": 11, "weight": 1},
        {"upc": "p2", "name": "p-name-2", "price": 22, "weight": 2}
    ])
}

fn comments() -> Value {
    json!([
        {"id": "c1", "postId": "p1", "authorId": "a2", "body": "c1-body"},
        {"id": "c2", "postId": "p1", "authorId": "a2", "body": "c2-body"},
        {"id": "c3", "postId": "p1", "authorId": "a2", "body": "c3-body"},
        {"id": "c4", "postId": "p2", "authorId": "a1", "body": "c4-body"},
        {"id": "c5", "postId": "p2", "authorId": "a1", "body": "c5-body"},
        {"id": "c6", "postId": "p2", "authorId": "a1", "body": "c6-body"},
        {"id": "c7", "postId": "p2", "authorId": "a1", "body": "c3-body"}
    ])
}

fn post_comments(post: &Value, limit: &Value) -> Vec<Value> {
    let limit = limit.as_u64().unwrap_or(0) as usize;
    comments()
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["postId"] == post["id"])
        .take(limit)
        .cloned()
        .collect()
}

/// `a` requires `price(currency: "USD")` from `b`; `d` requires
/// `comments(limit: 3) { authorId }` (its own field, with `authorId` from `c`)
/// and `c` requires `sameCommentOnOtherPosts { comments(limit: 50) { id } }` from `d`.
fn with_argument_subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Product @key(fields: "upc") {
          upc: String!
          weight: Int @external
          price(currency: String!): Int @external
          shippingEstimate: Int @requires(fields: "price(currency: \"USD\") weight")
          category: Category @external
          isExpensiveCategory: Boolean @requires(fields: "category { averagePrice(currency: \"USD\") }")
        }
        type Category @external { averagePrice(currency: String!): Int }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Product", "shippingEstimate") => Some(
            match (call.parent["price"].as_i64(), call.parent["weight"].as_i64()) {
                (Some(price), Some(weight)) => Ok(json!(price * weight * 10)),
                _ => Err("price and weight were not provided".into()),
            },
        ),
        _ => None,
    })
    .entity(|repr| {
        let product = find(argument_products(), "upc", &repr["upc"]);
        Ok(match (product.is_null(), repr.get("price"), repr.get("weight")) {
            (true, _, _) => Value::Null,
            (false, Some(price), Some(weight)) => {
                json!({"upc": product["upc"], "price": price, "weight": weight})
            }
            _ => json!({"upc": product["upc"]}),
        })
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
    .query(json!({"products": argument_products()}))
    .entity(|repr| Ok(find(argument_products(), "upc", &repr["upc"])));
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Query { feed: [Post] }
        type Post @key(fields: "id") { id: ID! comments(limit: Int!): [Comment] @external }
        type Comment @key(fields: "id") {
          id: ID!
          authorId: ID
          body: String!
          sameCommentOnOtherPosts: [Post] @external
          isCommentSpam: Boolean @requires(fields: "sameCommentOnOtherPosts { comments(limit: 50) { id } }")
        }
        "#,
    )
    .query(json!({"feed": [{"id": "p1"}, {"id": "p2"}]}))
    .resolve(|call| match (call.type_name, call.field) {
        ("Post", "comments") => Some(Ok(json!(post_comments(call.parent, &call.args["limit"])))),
        _ => None,
    })
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("Post") if matches!(repr["id"].as_str(), Some("p1" | "p2")) => {
                json!({"id": repr["id"]})
            }
            Some("Comment") => {
                let comment = find(comments(), "id", &repr["id"]);
                if comment.is_null() {
                    return Ok(comment);
                }
                // Spam: the same comment is on other posts, and the requirement
                // came whole (every comment of those posts with its id).
                let others = repr["sameCommentOnOtherPosts"].as_array();
                let spam = others.is_some_and(|posts| {
                    !posts.is_empty()
                        && posts.iter().all(|p| {
                            p["comments"]
                                .as_array()
                                .is_some_and(|cs| cs.iter().all(|c| c["id"].is_string()))
                        })
                });
                json!({"id": comment["id"], "authorId": comment["authorId"],
                       "body": comment["body"], "isCommentSpam": spam})
            }
            _ => Value::Null,
        })
    });
    let d = Subgraph::federated(
        "d",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Post @key(fields: "id") {
          id: ID!
          author: Author @requires(fields: "comments(limit: 3) { authorId }")
          comments(limit: Int!): [Comment]
        }
        type Comment @key(fields: "id") {
          id: ID!
          date: String
          authorId: ID @external
          sameCommentOnOtherPosts: [Post]
        }
        type Author { id: ID! name: String }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Post", "comments") => Some(Ok(json!(
            post_comments(call.parent, &call.args["limit"])
                .iter()
                .map(|c| json!({"id": c["id"]}))
                .collect::<Vec<_>>()
        ))),
        ("Post", "author") => Some(Ok(match call.parent["authorId"].as_str() {
            Some("a1") => json!({"id": "a1", "name": "a1-name"}),
            Some("a2") => json!({"id": "a2", "name": "a2-name"}),
            _ => Value::Null,
        })),
        ("Comment", "sameCommentOnOtherPosts") => {
            let comment = find(comments(), "id", &call.parent["id"]);
            Some(Ok(json!(
                comments()
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| c["body"] == comment["body"] && c["postId"] != comment["postId"])
                    .map(|c| json!({"id": c["postId"]}))
                    .collect::<Vec<_>>()
            )))
        }
        _ => None,
    })
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("Post") if matches!(repr["id"].as_str(), Some("p1" | "p2")) => {
                match repr.get("comments") {
                    None => json!({"id": repr["id"]}),
                    Some(list) => match list.as_array().filter(|l| l.len() == 3) {
                        Some(list) => json!({"id": repr["id"], "authorId": list[2]["authorId"]}),
                        None => return Err("Expected 3 comments".into()),
                    },
                }
            }
            Some("Comment") => {
                let comment = find(comments(), "id", &repr["id"]);
                if comment.is_null() { comment } else { json!({"id": comment["id"]}) }
            }
            _ => Value::Null,
        })
    });
    vec![a, b, c, d]
}

#[tokio::test]
async fn requires_with_argument() {
    let s = Scenario::compose(with_argument_subgraphs()).await;
    check(
        &s,
        "{ products { upc name shippingEstimate } }",
        json!({"products": [
            {"upc": "p1", "name": "p-name-1", "shippingEstimate": 110},
            {"upc": "p2", "name": "p-name-2", "shippingEstimate": 440}
        ]}),
        false,
    )
    .await;
    let authors = json!({"feed": [{"author": {"id": "a2"}}, {"author": {"id": "a1"}}]});
    check(&s, "{ feed { author { id } } }", authors, false).await;
    let with_comments = json!({"feed": [
        {"author": {"id": "a2"}, "comments": [{"id": "c1"}]},
        {"author": {"id": "a1"}, "comments": [{"id": "c4"}]}
    ]});
    check(
        &s,
        "{ feed { author { id } comments(limit: 1) { id } } }",
        with_comments.clone(),
        false,
    )
    .await;
    check(
        &s,
        "{ feed { comments(limit: 3) { isCommentSpam } } }",
        json!({"feed": [
            {"comments": [{"isCommentSpam": false}, {"isCommentSpam": false}, {"isCommentSpam": true}]},
            {"comments": [{"isCommentSpam": false}, {"isCommentSpam": false}, {"isCommentSpam": false}]}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        "query ($limit: Int = 1) { feed { author { id } comments(limit: $limit) { id } } }",
        with_comments.clone(),
        false,
    )
    .await;
    check(
        &s,
        "query ($limit: Int = 1) { feed { author { id } ...Foo ...Bar } }
         fragment Foo on Post { comments(limit: $limit) { id } }
         fragment Bar on Post { comments(limit: $limit) { id } }",
        with_comments,
        false,
    )
    .await;
}
