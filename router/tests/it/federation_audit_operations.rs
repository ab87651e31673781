//! Scenarios of the federation gateway audit about operations, reproduced with our
//! own subgraphs: `executable-directive-definition-default-arguments` (an
//! executable directive defined differently per subgraph), `simple-inaccessible`
//! (an `@inaccessible` argument and enum value), `include-skip` (`@include` and
//! `@skip` on fields behind chained `@requires`), `enum-intersection` and
//! `input-object-intersection` (enum values and input fields only some
//! subgraphs know), `mutations` (mutations in order across three subgraphs
//! sharing state, a shared mutation field called once).

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, check, check_data};
use serde_json::json;

// executable-directive-definition-default-arguments -------------------------

/// Our composition refuses the two definitions (incompatible arguments); the
/// supergraph keeps the directive with the default one subgraph gives it, so a
/// client may omit the argument.
const ACCESS: &str = r#"
extend schema @link(url: "https://myspecs.dev/access/v1.0", import: ["@access"])
directive @access(scope: Scope! = PUBLIC) on FIELD
enum Scope @join__type(graph: A) @join__type(graph: B) { PUBLIC PRIVATE }
type Query @join__type(graph: A) @join__type(graph: B) {
  a: String @join__field(graph: A)
  b: String @join__field(graph: B)
}
"#;

fn access_subgraph(name: &'static str, field: &str, scope_default: &str) -> Subgraph {
    Subgraph::federated(
        name,
        &format!(
            r#"
            extend schema
              @link(url: "https://specs.apollo.dev/federation/v2.1", import: ["@key", "@composeDirective"])
              @link(url: "https://myspecs.dev/access/v1.0", import: ["@access"])
              @composeDirective(name: "@access")
            directive @access(scope: Scope!{scope_default}) on FIELD
            enum Scope {{ PUBLIC PRIVATE }}
            type Query {{ {field}: String }}
            "#
        ),
    )
    .query(json!({ field: field }))
}

#[tokio::test]
async fn executable_directive_with_differing_default_arguments() {
    let a = access_subgraph("a", "a", "");
    let b = access_subgraph("b", "b", " = PUBLIC");
    let s = Scenario::start(vec![a, b], ACCESS).await;
    check(
        &s,
        "{ a @access b @access }",
        json!({"a": "a", "b": "b"}),
        false,
    )
    .await;
}

// simple-inaccessible --------------------------------------------------------

fn inaccessible_users() -> serde_json::Value {
    json!([
        {"id": "u1", "age": 11, "friends": ["u2"]},
        {"id": "u2", "age": 22, "friends": ["u1"]}
    ])
}

fn inaccessible_user(id: &serde_json::Value) -> serde_json::Value {
    inaccessible_users()
        .as_array()
        .and_then(|l| l.iter().find(|u| &u["id"] == id).cloned())
        .unwrap_or(serde_json::Value::Null)
}

/// `friends` hides the argument `friends(type:)` and the enum value `FAMILY`,
/// which its `User.type` nevertheless answers.
#[tokio::test]
async fn simple_inaccessible() {
    let age = Subgraph::federated(
        "age",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@inaccessible", "@shareable"])
        type Query { usersInAge: [User!]! @shareable }
        type User @key(fields: "id") { id: ID age: Int }
        "#,
    )
    .query(json!({"usersInAge": inaccessible_users()}))
    .entity(|repr| Ok(inaccessible_user(&repr["id"])));
    let friends = Subgraph::federated(
        "friends",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@inaccessible", "@shareable"])
        type Query { usersInFriends: [User!]! }
        type User @key(fields: "id") {
          id: ID
          friends(type: FriendType = FAMILY @inaccessible): [User!]!
          type: FriendType
        }
        enum FriendType { FAMILY @inaccessible FRIEND }
        "#,
    )
    .query(json!({"usersInFriends": inaccessible_users()}))
    .resolve(|call| match (call.type_name, call.field) {
        ("User", "friends") => Some(Ok(json!(
            call.parent["friends"]
                .as_array()
                .into_iter()
                .flatten()
                .map(inaccessible_user)
                .collect::<Vec<_>>()
        ))),
        ("User", "type") => Some(Ok(json!("FAMILY"))),
        _ => None,
    })
    .entity(|repr| Ok(inaccessible_user(&repr["id"])));
    let s = Scenario::compose(vec![age, friends]).await;
    let pairs = |root: &str| {
        json!({root: [
            {"id": "u1", "friends": [{"id": "u2"}]},
            {"id": "u2", "friends": [{"id": "u1"}]}
        ]})
    };
    check(
        &s,
        "{ usersInAge { id friends { id } } }",
        pairs("usersInAge"),
        false,
    )
    .await;
    check(
        &s,
        "{ usersInFriends { id friends { id } } }",
        pairs("usersInFriends"),
        false,
    )
    .await;
    // The argument is not part of the API schema.
    check(
        &s,
        "{ usersInFriends { id friends(type: FRIEND) { id } } }",
        serde_json::Value::Null,
        true,
    )
    .await;
    // `FAMILY` is hidden: it reads as null, silently.
    check(
        &s,
        "{ usersInFriends { id friends { id type } } }",
        json!({"usersInFriends": [
            {"id": "u1", "friends": [{"id": "u2", "type": null}]},
            {"id": "u2", "friends": [{"id": "u1", "type": null}]}
        ]}),
        false,
    )
    .await;
}

// include-skip ---------------------------------------------------------------

/// Fields behind `@include`/`@skip` that need two `@requires` hops (`c` requires
/// `b`'s `isExpensive`, which requires `a`'s `price`); the excluded ones fail
/// when called.
#[tokio::test]
async fn include_skip() {
    let product = |repr: &serde_json::Value| repr["id"] == "p1";
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { product: Product }
        type Product @key(fields: "id") { id: ID! price: Float! }
        "#,
    )
    .query(json!({"product": {"id": "p1", "price": 699.99}}))
    .entity(move |repr| {
        Ok(if product(repr) {
            json!({"id": "p1", "price": 699.99})
        } else {
            serde_json::Value::Null
        })
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Product @key(fields: "id") { id: ID! price: Float! @external isExpensive: Boolean! @requires(fields: "price") }
        "#,
    )
    .resolve(|call| match call.field {
        "isExpensive" => Some(match call.parent["price"].as_f64() {
            Some(price) => Ok(json!(price > 500.0)),
            None => Err("Price is missing".into()),
        }),
        _ => None,
    })
    .entity(move |repr| {
        Ok(if product(repr) {
            json!({"id": "p1", "price": repr.get("price")})
        } else {
            serde_json::Value::Null
        })
    });
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
        type Product @key(fields: "id") {
          id: ID!
          isExpensive: Boolean! @external
          include: Boolean! @requires(fields: "isExpensive")
          skip: Boolean! @requires(fields: "isExpensive")
          neverCalledInclude: Boolean! @requires(fields: "isExpensive")
          neverCalledSkip: Boolean! @requires(fields: "isExpensive")
        }
        "#,
    )
    .resolve(|call| match call.field {
        "include" | "skip" => Some(if call.parent["isExpensive"].is_boolean() {
            Ok(json!(true))
        } else {
            Err("isExpensive is missing".into())
        }),
        "neverCalledInclude" | "neverCalledSkip" => {
            Some(Err(format!("{} should not be called", call.field)))
        }
        _ => None,
    })
    .entity(move |repr| {
        Ok(if product(repr) {
            json!({"id": "p1", "isExpensive": repr.get("isExpensive")})
        } else {
            serde_json::Value::Null
        })
    });
    let s = Scenario::compose(vec![a, b, c]).await;
    check(
        &s,
        "query ($bool: Boolean = false) { product { price neverCalledInclude @include(if: $bool) } }",
        json!({"product": {"price": 699.99}}),
        false,
    )
    .await;
    check(
        &s,
        "query ($bool: Boolean = true) { product { price neverCalledSkip @skip(if: $bool) } }",
        json!({"product": {"price": 699.99}}),
        false,
    )
    .await;
    check(
        &s,
        "query ($bool: Boolean = true) { product { price include @include(if: $bool) } }",
        json!({"product": {"price": 699.99, "include": true}}),
        false,
    )
    .await;
    check(
        &s,
        "query ($bool: Boolean = false) { product { price skip @skip(if: $bool) } }",
        json!({"product": {"price": 699.99, "skip": true}}),
        false,
    )
    .await;
}

// enum-intersection ----------------------------------------------------------

/// `UserType` has `REGULAR` in both subgraphs; `ANONYMOUS` only in `b`, where it
/// is `@inaccessible`. `u2` is anonymous. Used for input and output, with
/// values differing per subgraph: Federation composition accepts it because
/// the extra value is `@inaccessible`, and so does ours (it used to refuse
/// it with ENUM_VALUE_MISMATCH); `ANONYMOUS` is joined to `b` only.
#[tokio::test]
async fn enum_intersection() {
    let users = json!([{"id": "u1", "type": "REGULAR"}, {"id": "u2", "type": "ANONYMOUS"}]);
    let by_id = {
        let users = users.clone();
        move |repr: &serde_json::Value| {
            Ok(users
                .as_array()
                .and_then(|l| l.iter().find(|u| u["id"] == repr["id"]).cloned())
                .unwrap_or(serde_json::Value::Null))
        }
    };
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Query { users: [User] }
        type User @key(fields: "id") { id: ID type: UserType @shareable }
        enum UserType { REGULAR }
        "#,
    )
    .query(json!({"users": users}))
    .entity(by_id.clone());
    let by_type = users.clone();
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@inaccessible", "@shareable"])
        type Query { usersByType(type: UserType!): [User!] usersB: [User!] }
        extend type User @key(fields: "id") { id: ID type: UserType @shareable }
        enum UserType { ANONYMOUS @inaccessible REGULAR }
        "#,
    )
    .query(json!({"usersB": users}))
    .resolve(move |call| match (call.type_name, call.field) {
        ("Query", "usersByType") => Some(Ok(json!(
            by_type
                .as_array()
                .into_iter()
                .flatten()
                .filter(|u| u["type"] == call.args["type"])
                .cloned()
                .collect::<Vec<_>>()
        ))),
        _ => None,
    })
    .entity(by_id);
    let s = Scenario::compose(vec![a, b]).await;
    let anonymous = s
        .supergraph
        .lines()
        .find(|line| line.trim_start().starts_with("ANONYMOUS"))
        .unwrap_or_default();
    assert!(
        anonymous.contains("@inaccessible")
            && anonymous.contains("graph: B")
            && !anonymous.contains("graph: A"),
        "{}",
        s.supergraph
    );
    check(
        &s,
        "{ users { id } }",
        json!({"users": [{"id": "u1"}, {"id": "u2"}]}),
        false,
    )
    .await;
    // `a` cannot serialize `ANONYMOUS` (its own error).
    check(
        &s,
        "{ users { id type } }",
        json!({"users": [{"id": "u1", "type": "REGULAR"}, {"id": "u2", "type": null}]}),
        true,
    )
    .await;
    // `b` answers `ANONYMOUS`, hidden from clients: null.
    check_data(
        &s,
        "{ usersB { id type } }",
        json!({"usersB": [{"id": "u1", "type": "REGULAR"}, {"id": "u2", "type": null}]}),
    )
    .await;
    check(
        &s,
        "{ usersByType(type: REGULAR) { id type } }",
        json!({"usersByType": [{"id": "u1", "type": "REGULAR"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ usersByType(type: ANONYMOUS) { id type } }",
        serde_json::Value::Null,
        true,
    )
    .await;
}

// input-object-intersection --------------------------------------------------

/// `UsersFilter` has `offset` only in `b`: the supergraph keeps the
/// intersection (`first`), so `offset` is refused for both root fields.
#[tokio::test]
async fn input_object_intersection() {
    let users = json!([{"id": "u1", "name": "u1-name"}, {"id": "u2", "name": "u2-name"}]);
    let subgraph = |name: &'static str, input: &str, root: &'static str| {
        let users = users.clone();
        let listed = users.clone();
        Subgraph::federated(
            name,
            &format!(
                r#"
                extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
                input UsersFilter {{ {input} }}
                type User @key(fields: "id") {{ id: ID! name: String! @shareable }}
                type Query {{ {root}(filter: UsersFilter!): [User!] }}
                "#
            ),
        )
        .resolve(move |call| match (call.type_name, call.field) {
            ("Query", field) if field == root => Some(Ok(
                if call.args["filter"].get("offset").is_some() {
                    json!([])
                } else {
                    listed.clone()
                },
            )),
            _ => None,
        })
        .entity(move |repr| {
            Ok(users
                .as_array()
                .and_then(|l| l.iter().find(|u| u["id"] == repr["id"]).cloned())
                .unwrap_or(serde_json::Value::Null))
        })
    };
    let a = subgraph("a", "first: Int!", "usersInA");
    let b = subgraph("b", "offset: Int first: Int!", "usersInB");
    let s = Scenario::compose(vec![a, b]).await;
    check(
        &s,
        "{ usersInA(filter: { first: 1 }) { id } }",
        json!({"usersInA": [{"id": "u1"}, {"id": "u2"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ usersInA(filter: { first: 1, offset: 2 }) { id } }",
        serde_json::Value::Null,
        true,
    )
    .await;
    check(
        &s,
        "{ usersInB(filter: { first: 1, offset: 2 }) { id } }",
        serde_json::Value::Null,
        true,
    )
    .await;
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
