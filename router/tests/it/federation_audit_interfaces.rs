//! Scenarios of the federation gateway audit about interfaces, reproduced with our
//! own subgraphs and composed with our composition:
//! `interface-object-indirect-extension` (an entity interface, one of its
//! implementations extended by a second subgraph, and an `@interfaceObject` in a
//! third), `circular-reference-interface` (an interface field returning the
//! implementation, with `@provides` of an external field),
//! `interface-object-with-requires` (an `@interfaceObject` field requiring a
//! field of the entity interface), `non-resolvable-interface-object` (entity
//! interfaces whose only other views are non-resolvable interface objects),
//! `simple-interface-object` (two entity interfaces seen as interface objects by
//! two more subgraphs: `__typename` and type conditions need the owner).

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::{Value, json};

// interface-object-indirect-extension ----------------------------------------

fn indirect_extension() -> Vec<Subgraph> {
    let media = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { media: Media }
        interface Media @key(fields: "id") { id: ID! title: String }
        type Video implements Media @key(fields: "id") { id: ID! title: String duration: Int }
        type Article implements Media @key(fields: "id") { id: ID! title: String wordCount: Int }
        "#,
    )
    .query(json!({"media": {"__typename": "Video", "id": "1", "title": "title for 1", "duration": 100}}))
    .entity(|repr| {
        let id = repr["id"].as_str().unwrap_or_default().to_string();
        let n: i64 = id.parse().unwrap_or(0);
        let title = format!("title for {id}");
        // The owner resolves `Media` representations (from the interface object)
        // to their concrete type: every media here is a video.
        Ok(match repr["__typename"].as_str() {
            Some("Video" | "Media") => {
                json!({"__typename": "Video", "id": id, "title": title, "duration": 100 * n})
            }
            Some("Article") => json!({"id": id, "title": title, "wordCount": 900 * n}),
            _ => Value::Null,
        })
    });
    let author = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { author: Author }
        type Author @key(fields: "id") { id: ID! name: String }
        extend type Video @key(fields: "id") { id: ID! authorName: String }
        "#,
    )
    .query(json!({"author": {"id": "1", "name": "name for 1"}}))
    .entity(|repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(match repr["__typename"].as_str() {
            Some("Author") => json!({"id": id, "name": format!("name for {id}")}),
            Some("Video") => json!({"id": id, "authorName": "John Doe"}),
            _ => Value::Null,
        })
    });
    let playlist = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject"])
        type Query { playlist: Playlist }
        type Playlist @key(fields: "id") { id: ID! name: String media: Media }
        type Media @key(fields: "id") @interfaceObject { id: ID! }
        "#,
    )
    .query(json!({"playlist": {"id": "1", "name": "name for 1", "media": {"id": "1"}}}))
    .entity(|repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(match repr["__typename"].as_str() {
            Some("Playlist") => json!({"id": id, "name": format!("name for {id}"), "media": {"id": id}}),
            Some("Media") => json!({"id": id}),
            _ => Value::Null,
        })
    });
    vec![media, author, playlist]
}

#[tokio::test]
async fn interface_object_indirect_extension() {
    let s = Scenario::compose(indirect_extension()).await;
    check(
        &s,
        "{
          media { id title ... on Video { duration authorName } ... on Article { wordCount } }
          author { id name }
          playlist { id name media { id ... on Video { duration } } }
        }",
        json!({
            "media": {"id": "1", "title": "title for 1", "duration": 100, "authorName": "John Doe"},
            "author": {"id": "1", "name": "name for 1"},
            "playlist": {"id": "1", "name": "name for 1", "media": {"id": "1", "duration": 100}}
        }),
        false,
    )
    .await;
}

// circular-reference-interface -----------------------------------------------

fn books() -> Value {
    json!([
        {"__typename": "Book", "id": "1", "price": 10.99},
        {"__typename": "Book", "id": "2", "price": 5.99},
        {"__typename": "Book", "id": "3", "price": 10.99}
    ])
}

fn circular_reference() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides"])
        type Query { product: Product }
        interface Product { samePriceProduct: Product }
        type Book implements Product @key(fields: "id") {
          id: ID!
          samePriceProduct: Book @provides(fields: "price")
          price: Float @external
        }
        "#,
    )
    .query(json!({"product": books()[0]}))
    .resolve(|call| match (call.type_name, call.field) {
        ("Book", "samePriceProduct") => Some(Ok(books()
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|b| b["price"] == call.parent["price"] && b["id"] != call.parent["id"])
                    .cloned()
            })
            .unwrap_or(Value::Null))),
        _ => None,
    })
    .entity(|repr| {
        Ok(books()
            .as_array()
            .and_then(|l| l.iter().find(|b| b["id"] == repr["id"]).cloned())
            .unwrap_or(Value::Null))
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Book @key(fields: "id") { id: ID! price: Float @shareable }
        "#,
    )
    .entity(|repr| {
        Ok(books()
            .as_array()
            .and_then(|l| l.iter().find(|b| b["id"] == repr["id"]).cloned())
            .unwrap_or(Value::Null))
    });
    vec![a, b]
}

#[tokio::test]
async fn circular_reference_interface() {
    let s = Scenario::compose(circular_reference()).await;
    check(
        &s,
        "{ product { samePriceProduct { ... on Product { samePriceProduct { __typename } } } } }",
        json!({"product": {"samePriceProduct": {"samePriceProduct": {"__typename": "Book"}}}}),
        false,
    )
    .await;
    check(
        &s,
        "{ product { __typename
            samePriceProduct { __typename ... on Book { id } samePriceProduct { __typename ... on Book { id } } }
            ... on Book { __typename id price samePriceProduct { id price } } } }",
        json!({"product": {
            "__typename": "Book",
            "samePriceProduct": {
                "__typename": "Book", "id": "3",
                "samePriceProduct": {"__typename": "Book", "id": "1"},
                "price": 10.99
            },
            "id": "1",
            "price": 10.99
        }}),
        false,
    )
    .await;
}

// interface-object-with-requires ---------------------------------------------

fn io_users() -> Value {
    json!([
        {"id": "u1", "name": "u1-name", "username": "u1-username", "age": 11},
        {"id": "u2", "name": "u2-name", "username": "u2-username", "age": 22}
    ])
}

fn io_user(id: &Value) -> Option<Value> {
    io_users()
        .as_array()
        .and_then(|l| l.iter().find(|u| &u["id"] == id).cloned())
}

/// `a` owns the entity interface `NodeWithName` (one implementation, `User`);
/// `b` sees it as an `@interfaceObject` whose `username` requires `name`.
fn with_requires_subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { users: [NodeWithName!]! }
        interface NodeWithName @key(fields: "id") { id: ID! name: String }
        type User implements NodeWithName @key(fields: "id") { id: ID! name: String age: Int }
        "#,
    )
    .query(json!({"users": io_users()
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| json!({"__typename": "User", "id": u["id"], "name": u["name"], "age": u["age"]}))
        .collect::<Vec<_>>()}))
    .entity(|repr| {
        Ok(io_user(&repr["id"]).map_or(
            Value::Null,
            |u| json!({"__typename": "User", "id": u["id"], "name": u["name"], "age": u["age"]}),
        ))
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@interfaceObject", "@external", "@requires"])
        type Query { anotherUsers: [NodeWithName] }
        type NodeWithName @key(fields: "id") @interfaceObject {
          id: ID!
          name: String @external
          username: String @requires(fields: "name")
        }
        "#,
    )
    .query(json!({"anotherUsers": io_users()
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| json!({"id": u["id"], "username": u["username"]}))
        .collect::<Vec<_>>()}))
    .resolve(|call| match (call.type_name, call.field) {
        ("NodeWithName", "username") => Some(match io_user(&call.parent["id"]) {
            None => Ok(Value::Null),
            Some(_) if !call.parent["name"].is_string() => {
                Err("Requires field 'name' not provided".into())
            }
            Some(user) => Ok(user["username"].clone()),
        }),
        _ => None,
    })
    .entity(|repr| {
        Ok(io_user(&repr["id"]).map_or(
            Value::Null,
            |u| json!({"__typename": "NodeWithName", "id": u["id"], "name": repr.get("name")}),
        ))
    });
    vec![a, b]
}

#[tokio::test]
async fn interface_object_with_requires() {
    let s = Scenario::compose(with_requires_subgraphs()).await;
    let plain = json!([
        {"id": "u1", "name": "u1-name", "username": "u1-username"},
        {"id": "u2", "name": "u2-name", "username": "u2-username"}
    ]);
    let ages = json!([{"age": 11}, {"age": 22}]);
    let full = json!([
        {"age": 11, "id": "u1", "name": "u1-name", "username": "u1-username"},
        {"age": 22, "id": "u2", "name": "u2-name", "username": "u2-username"}
    ]);
    for root in ["anotherUsers", "users"] {
        check(
            &s,
            &format!("{{ {root} {{ id name username }} }}"),
            json!({root: plain}),
            false,
        )
        .await;
        check(
            &s,
            &format!("{{ {root} {{ ... on User {{ age }} }} }}"),
            json!({root: ages}),
            false,
        )
        .await;
        check(
            &s,
            &format!("{{ {root} {{ ... on User {{ age id name username }} id name }} }}"),
            json!({root: full}),
            false,
        )
        .await;
    }
}

// non-resolvable-interface-object --------------------------------------------

/// `a` defines the entity interface `Node` without implementations and sees
/// `Product` as a non-resolvable interface object; `b` the other way round
/// (`Node` a non-resolvable interface object, `Product` an interface
/// implemented by `Bread`).
fn non_resolvable_subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject"])
        interface Node @key(fields: "id") { id: ID! }
        type Product @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
        type Query { a: Node product: Product! }
        "#,
    )
    .query(json!({"a": {"__typename": "Node", "id": "n1"}, "product": {"id": "p1"}}))
    .entity(|_| Err("Not resolvable as it is an interface object".into()));
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject"])
        type Node @key(fields: "id", resolvable: false) @interfaceObject { id: ID! field: String }
        interface Product @key(fields: "id") { id: ID! }
        type Bread implements Product @key(fields: "id") { id: ID! name: String! }
        type Query { b: Node }
        "#,
    )
    .query(json!({"b": {"id": "n1", "field": "foo"}}))
    .entity(|repr| {
        Ok(match (repr["__typename"].as_str(), repr["id"].as_str()) {
            (Some("Node"), _) => return Err("Not resolvable".into()),
            (_, Some("p1")) => json!({"__typename": "Bread", "id": "p1", "name": "Bread"}),
            _ => Value::Null,
        })
    });
    vec![a, b]
}

/// As Federation composition writes it: the non-resolvable `@interfaceObject`s
/// (`Node` in `b`, `Product` in `a`) keep their `@join__type`.
const NON_RESOLVABLE_INTERFACE_OBJECT: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  a: Node @join__field(graph: A)
  product: Product! @join__field(graph: A)
  b: Node @join__field(graph: B)
}
interface Node
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id", isInterfaceObject: true, resolvable: false)
{
  id: ID!
  field: String @join__field(graph: B)
}
interface Product
  @join__type(graph: A, key: "id", isInterfaceObject: true, resolvable: false)
  @join__type(graph: B, key: "id")
{
  id: ID!
}
type Bread implements Product
  @join__implements(graph: B, interface: "Product")
  @join__type(graph: B, key: "id")
{
  id: ID!
  name: String!
}
"#;

#[tokio::test]
async fn non_resolvable_interface_object() {
    let composed = Scenario::compose(non_resolvable_subgraphs()).await;
    check_non_resolvable(&composed).await;
    let federation =
        Scenario::start(non_resolvable_subgraphs(), NON_RESOLVABLE_INTERFACE_OBJECT).await;
    check_non_resolvable(&federation).await;
}

async fn check_non_resolvable(s: &Scenario) {
    check(
        s,
        "{ b { id field } }",
        json!({"b": {"id": "n1", "field": "foo"}}),
        false,
    )
    .await;
    // `a`'s `Node` has no implementation anywhere to resolve `field` from.
    check(s, "{ a { field } }", Value::Null, true).await;
    check(s, "{ b { id } }", json!({"b": {"id": "n1"}}), false).await;
    // `a` answers a `Node` that is no object type.
    check(s, "{ a { id } }", json!({"a": null}), true).await;
    check(
        s,
        "{ product { id } }",
        json!({"product": {"id": "p1"}}),
        false,
    )
    .await;
    // `name` is a field of `Bread`, not of the `Product` interface.
    check(s, "{ product { id name } }", Value::Null, true).await;
    check(
        s,
        "{ product { ... on Bread { id } } }",
        json!({"product": {"id": "p1"}}),
        false,
    )
    .await;
}

// simple-interface-object ----------------------------------------------------

fn accounts() -> Value {
    json!([
        {"__typename": "Admin", "id": "u1", "name": "Alice", "isMain": false, "isActive": true},
        {"__typename": "Admin", "id": "u2", "name": "Bob", "isMain": true, "isActive": true},
        {"__typename": "Regular", "id": "u3", "name": "Charlie", "isMain": false, "isActive": true}
    ])
}

fn account(id: &Value) -> Option<Value> {
    accounts()
        .as_array()
        .and_then(|l| l.iter().find(|a| &a["id"] == id).cloned())
}

/// `a` owns the entity interfaces `NodeWithName` (`User`) and `Account`
/// (`Admin`, `Regular`); `b` and `c` see them as `@interfaceObject`s (`c`
/// answers `isActive: false` for every account, `a` knows `Admin`s are active).
fn simple_subgraphs() -> Vec<Subgraph> {
    let user = |u: &Value| json!({"__typename": "User", "id": u["id"], "name": u["name"], "age": u["age"]});
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Query { users: [NodeWithName!]! }
        interface NodeWithName @key(fields: "id") { id: ID! name: String }
        type User implements NodeWithName @key(fields: "id") { id: ID! name: String age: Int }
        interface Account @key(fields: "id") { id: ID! }
        type Admin implements Account @key(fields: "id") { id: ID! isMain: Boolean! isActive: Boolean! @shareable }
        type Regular implements Account @key(fields: "id") { id: ID! isMain: Boolean! }
        "#,
    )
    .query(json!({"users": io_users().as_array().into_iter().flatten().map(user).collect::<Vec<_>>()}))
    .entity(move |repr| {
        let id = &repr["id"];
        Ok(match repr["__typename"].as_str() {
            Some("NodeWithName" | "User") => io_user(id).map_or(Value::Null, |u| user(&u)),
            Some("Admin") => account(id)
                .filter(|a| a["__typename"] == "Admin")
                .unwrap_or(Value::Null),
            Some("Account" | "Regular") => account(id).unwrap_or(Value::Null),
            _ => Value::Null,
        })
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject", "@shareable"])
        type Query { anotherUsers: [NodeWithName] accounts: [Account] @shareable }
        type Account @key(fields: "id") @interfaceObject { id: ID! name: String! }
        type NodeWithName @key(fields: "id") @interfaceObject { id: ID! username: String }
        "#,
    )
    .query(json!({
        "anotherUsers": io_users().as_array().into_iter().flatten()
            .map(|u| json!({"id": u["id"], "username": u["username"]})).collect::<Vec<_>>(),
        "accounts": accounts().as_array().into_iter().flatten()
            .map(|a| json!({"id": a["id"]})).collect::<Vec<_>>(),
    }))
    .resolve(|call| match (call.type_name, call.field) {
        ("NodeWithName", "username") => {
            Some(Ok(io_user(&call.parent["id"]).map_or(Value::Null, |u| u["username"].clone())))
        }
        ("Account", "name") => {
            Some(Ok(account(&call.parent["id"]).map_or(Value::Null, |a| a["name"].clone())))
        }
        _ => None,
    })
    .entity(|repr| {
        let id = &repr["id"];
        Ok(match repr["__typename"].as_str() {
            Some("NodeWithName") => io_user(id).map_or(Value::Null, |u| json!({"id": u["id"]})),
            Some("Account") => account(id).map_or(Value::Null, |a| json!({"id": a["id"]})),
            _ => Value::Null,
        })
    });
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject", "@shareable"])
        type Account @key(fields: "id") @interfaceObject { id: ID! isActive: Boolean! @shareable }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Account", "isActive") => Some(Ok(json!(false))),
        _ => None,
    })
    .entity(|repr| Ok(account(&repr["id"]).map_or(Value::Null, |a| json!({"id": a["id"]}))));
    vec![a, b, c]
}

#[tokio::test]
async fn simple_interface_object() {
    let s = Scenario::compose(simple_subgraphs()).await;
    let plain = json!([
        {"id": "u1", "name": "u1-name", "username": "u1-username"},
        {"id": "u2", "name": "u2-name", "username": "u2-username"}
    ]);
    let ages = json!([{"age": 11}, {"age": 22}]);
    let full = json!([
        {"age": 11, "id": "u1", "name": "u1-name", "username": "u1-username"},
        {"age": 22, "id": "u2", "name": "u2-name", "username": "u2-username"}
    ]);
    for root in ["anotherUsers", "users"] {
        check(
            &s,
            &format!("{{ {root} {{ id name username }} }}"),
            json!({root: plain}),
            false,
        )
        .await;
        check(
            &s,
            &format!("{{ {root} {{ ... on User {{ age }} }} }}"),
            json!({root: ages}),
            false,
        )
        .await;
        check(
            &s,
            &format!("{{ {root} {{ ... on User {{ age id name username }} id name }} }}"),
            json!({root: full}),
            false,
        )
        .await;
    }
    check(
        &s,
        "{ accounts { name } }",
        json!({"accounts": [{"name": "Alice"}, {"name": "Bob"}, {"name": "Charlie"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ accounts { ... on Admin { name } } }",
        json!({"accounts": [{"name": "Alice"}, {"name": "Bob"}, {}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ accounts { name __typename } }",
        json!({"accounts": [
            {"name": "Alice", "__typename": "Admin"},
            {"name": "Bob", "__typename": "Admin"},
            {"name": "Charlie", "__typename": "Regular"}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        "{ accounts { ... on Admin { __typename } } }",
        json!({"accounts": [{"__typename": "Admin"}, {"__typename": "Admin"}, {}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ accounts { id isActive } }",
        json!({"accounts": [
            {"id": "u1", "isActive": false},
            {"id": "u2", "isActive": false},
            {"id": "u3", "isActive": false}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        "{ accounts { id ... on Admin { isActive } } }",
        json!({"accounts": [
            {"id": "u1", "isActive": true},
            {"id": "u2", "isActive": true},
            {"id": "u3"}
        ]}),
        false,
    )
    .await;
}
