//! Scenarios of the federation gateway audit about entity calls, reproduced with
//! our own subgraphs and composed with our composition: `complex-entity-call`
//! (nested compound keys, keys through lists, hops between four subgraphs),
//! `simple-entity-call` (a key the root subgraph must fetch first),
//! `mysterious-external` (an `extend type` entity owned by a root field), `node`
//! (an interface-typed root field whose implementations are entities in three
//! subgraphs), `parent-entity-call` (a field of a value type reached through the
//! parent entity's compound key), `shared-root` (a value type whose fields come
//! from three subgraphs sharing the root field, without any key),
//! `corrupted-supergraph-node-id` (a shared `Node` root field where each subgraph
//! has the other's key field `@external`: `Node.id` has no resolvable path),
//! `parent-entity-call-complex` (a shared field whose value type's fields come
//! from two subgraphs, one of them leading on to a third through a key),
//! `keys-mashup` (an entity with four keys, each subgraph resolving a different
//! one), `null-keys` (a key the intermediate subgraph cannot provide).

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::{Value, json};

// complex-entity-call --------------------------------------------------------

fn products() -> Value {
    json!([
        {"id": "1", "pid": "p1", "categoryId": "c1", "price": 100},
        {"id": "2", "pid": "p2", "categoryId": "c2", "price": 200}
    ])
}

fn categories() -> Value {
    json!([
        {"id": "c1", "tag": "t1", "mainProduct": "1"},
        {"id": "c2", "tag": "t2", "mainProduct": "2"}
    ])
}

fn find(list: Value, key: &str, value: &Value) -> Value {
    list.as_array()
        .and_then(|l| l.iter().find(|p| &p[key] == value).cloned())
        .unwrap_or(Value::Null)
}

/// The category of a product (from its `categoryId`), or `null`.
fn category_of(product: &Value) -> Value {
    find(categories(), "id", &product["categoryId"])
}

/// Whether `product` matches a key `{id pid category{id tag}}` (parts present).
fn matches(product: &Value, key: &Value) -> bool {
    if product["id"] != key["id"] {
        return false;
    }
    if key.get("pid").is_some() && product["pid"] != key["pid"] {
        return false;
    }
    if let Some(category) = key.get("category") {
        let own = category_of(product);
        if own["id"] != category["id"] || own["tag"] != category["tag"] {
            return false;
        }
    }
    true
}

fn matching(keys: &Value) -> Vec<Value> {
    let keys = keys.as_array().cloned().unwrap_or_default();
    products()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| keys.iter().any(|k| matches(p, k)))
        .collect()
}

fn resolve_product_fields(call: &federation_kit::Call<'_>) -> Option<Result<Value, String>> {
    match (call.type_name, call.field) {
        ("Product", "category") => Some(Ok(category_of(call.parent))),
        ("Product", "price") => Some(Ok(json!({"price": call.parent["price"]}))),
        ("Category", "mainProduct") => {
            Some(Ok(find(products(), "id", &call.parent["mainProduct"])))
        }
        _ => None,
    }
}

fn complex_entity_call_subgraphs() -> Vec<Subgraph> {
    let products_subgraph = Subgraph::federated(
        "products",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.0",
          import: ["@key", "@external", "@extends", "@shareable"])
        type Query { topProducts: ProductList! }
        type ProductList @key(fields: "products{id}") { products: [Product!]! }
        type Product @extends @key(fields: "id") {
          id: String! @external
          category: Category @shareable
        }
        type Category @key(fields: "id") {
          mainProduct: Product! @shareable
          id: String!
          tag: String @shareable
        }
        "#,
    )
    .query(json!({"topProducts": {"products": products()}}))
    .resolve(resolve_product_fields)
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("ProductList") => json!({"products": matching(&repr["products"])}),
            Some("Product") => find(products(), "id", &repr["id"]),
            Some("Category") => find(categories(), "id", &repr["id"]),
            _ => Value::Null,
        })
    });
    let link = Subgraph::federated(
        "link",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key"])
        type Product @key(fields: "id") @key(fields: "id pid") { id: String! pid: String! }
        "#,
    )
    .entity(|repr| {
        Ok(matching(&json!([repr]))
            .first()
            .cloned()
            .unwrap_or(Value::Null))
    });
    let list = Subgraph::federated(
        "list",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key", "@shareable"])
        type ProductList @key(fields: "products{id pid}") {
          products: [Product!]!
          first: Product @shareable
          selected: Product @shareable
        }
        type Product @key(fields: "id pid") { id: String! pid: String }
        "#,
    )
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("ProductList") => {
                let found = matching(&repr["products"]);
                json!({"products": found, "first": found.first(), "selected": found.get(1)})
            }
            Some("Product") => matching(&json!([repr])).first().cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        })
    });
    let price = Subgraph::federated(
        "price",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key", "@shareable"])
        type ProductList @key(fields: "products{id pid category{id tag}} selected{id}") {
          products: [Product!]!
          first: Product @shareable
          selected: Product @shareable
        }
        type Product @key(fields: "id pid category{id tag}") {
          id: String!
          price: Price
          pid: String
          category: Category
        }
        type Category @key(fields: "id tag") { id: String! tag: String }
        type Price { price: Float! }
        "#,
    )
    .resolve(resolve_product_fields)
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("ProductList") => {
                let found = matching(&repr["products"]);
                json!({"products": found, "first": found.first(),
                       "selected": find(products(), "id", &repr["selected"]["id"])})
            }
            Some("Product") => matching(&json!([repr])).first().cloned().unwrap_or(Value::Null),
            Some("Category") => find(categories(), "id", &repr["id"]),
            _ => Value::Null,
        })
    });
    vec![products_subgraph, link, list, price]
}

#[tokio::test]
async fn complex_entity_call() {
    let s = Scenario::compose(complex_entity_call_subgraphs()).await;
    check(
        &s,
        "{ topProducts { products { id pid price { price } category { mainProduct { id } id tag } }
           selected { id } first { id } } }",
        json!({"topProducts": {
            "products": [
                {"id": "1", "pid": "p1", "price": {"price": 100.0},
                 "category": {"mainProduct": {"id": "1"}, "id": "c1", "tag": "t1"}},
                {"id": "2", "pid": "p2", "price": {"price": 200.0},
                 "category": {"mainProduct": {"id": "2"}, "id": "c2", "tag": "t2"}}
            ],
            "selected": {"id": "2"},
            "first": {"id": "1"}
        }}),
        false,
    )
    .await;
}

// simple-entity-call ---------------------------------------------------------

#[tokio::test]
async fn simple_entity_call() {
    let users = json!([
        {"id": "u1", "email": "ada@example.com", "nickname": "ada"},
        {"id": "u2", "email": "alan@example.com", "nickname": "alan"}
    ]);
    let by_id = users.clone();
    let email = Subgraph::federated(
        "email",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key"])
        type Query { user: User }
        type User @key(fields: "id") { id: ID! email: String! }
        "#,
    )
    .query(json!({"user": {"id": "u1", "email": "ada@example.com"}}))
    .entity(move |repr| Ok(find(by_id.clone(), "id", &repr["id"])));
    let nickname = Subgraph::federated(
        "nickname",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key", "@external"])
        type User @key(fields: "email") { email: String! @external nickname: String! }
        "#,
    )
    .entity(move |repr| {
        let user = find(users.clone(), "email", &repr["email"]);
        Ok(if user.is_null() { user } else { json!({"nickname": user["nickname"]}) })
    });
    let s = Scenario::compose(vec![email, nickname]).await;
    check(
        &s,
        "{ user { id nickname } }",
        json!({"user": {"id": "u1", "nickname": "ada"}}),
        false,
    )
    .await;
}

// mysterious-external --------------------------------------------------------

#[tokio::test]
async fn mysterious_external() {
    let products = json!([
        {"id": "1", "name": "name-1", "price": 100.0},
        {"id": "2", "name": "name-2", "price": 200.0}
    ]);
    let for_price = products.clone();
    let price = Subgraph::federated(
        "price",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external"])
        extend type Product @key(fields: "id") { id: ID! @external price: Float }
        type Query { cheapestProduct: Product }
        "#,
    )
    .query(json!({"cheapestProduct": {"id": "1", "price": 100.0}}))
    .entity(move |repr| {
        let p = find(for_price.clone(), "id", &repr["id"]);
        Ok(if p.is_null() { p } else { json!({"id": p["id"], "price": p["price"]}) })
    });
    let for_product = products.clone();
    let product = Subgraph::federated(
        "product",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external"])
        type Product @key(fields: "id") { id: ID! name: String! }
        type Query { products: [Product!]! }
        "#,
    )
    .query(json!({"products": [{"id": "1", "name": "name-1"}, {"id": "2", "name": "name-2"}]}))
    .entity(move |repr| {
        let p = find(for_product.clone(), "id", &repr["id"]);
        Ok(if p.is_null() { p } else { json!({"id": p["id"], "name": p["name"]}) })
    });
    let s = Scenario::compose(vec![price, product]).await;
    check(
        &s,
        "{ cheapestProduct { id price name } }",
        json!({"cheapestProduct": {"id": "1", "price": 100.0, "name": "name-1"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ products { name price id } }",
        json!({"products": [
            {"name": "name-1", "price": 100.0, "id": "1"},
            {"name": "name-2", "price": 200.0, "id": "2"}
        ]}),
        false,
    )
    .await;
}

// node -----------------------------------------------------------------------

/// Our composition refuses `Product @shareable` in `types` because `node` and
/// `node-two` do not define `name` and `price` (SHAREABLE_FIELD_MISSING);
/// Federation composition accepts it.
const NODE: &str = r#"
type Query @join__type(graph: NODE) @join__type(graph: NODE_TWO) @join__type(graph: TYPES) {
  productNode: Node @join__field(graph: NODE)
  categoryNode: Node @join__field(graph: NODE)
}
interface Node @join__type(graph: NODE) @join__type(graph: NODE_TWO) @join__type(graph: TYPES) {
  id: ID!
}
type Product implements Node
  @join__implements(graph: NODE, interface: "Node")
  @join__implements(graph: NODE_TWO, interface: "Node")
  @join__implements(graph: TYPES, interface: "Node")
  @join__type(graph: NODE, key: "id")
  @join__type(graph: NODE_TWO, key: "id")
  @join__type(graph: TYPES, key: "id")
{
  id: ID!
  name: String! @join__field(graph: TYPES)
  price: Float! @join__field(graph: TYPES)
}
type Category implements Node
  @join__implements(graph: NODE, interface: "Node")
  @join__implements(graph: NODE_TWO, interface: "Node")
  @join__implements(graph: TYPES, interface: "Node")
  @join__type(graph: NODE, key: "id")
  @join__type(graph: NODE_TWO, key: "id")
  @join__type(graph: TYPES, key: "id")
{
  id: ID!
  name: String! @join__field(graph: TYPES)
}
"#;

#[tokio::test]
async fn node_interface_over_entities() {
    let product = json!({"id": "p-1", "name": "Product 1", "price": 10.0});
    let category = json!({"id": "c-1", "name": "Category 1"});
    let ids_only = |repr: &Value| -> Result<Value, String> {
        Ok(match repr["id"].as_str() {
            Some("p-1") | Some("c-1") => json!({"id": repr["id"]}),
            _ => Value::Null,
        })
    };
    let node = Subgraph::federated(
        "node",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { productNode: Node categoryNode: Node }
        interface Node { id: ID! }
        type Product implements Node @key(fields: "id") { id: ID! }
        type Category implements Node @key(fields: "id") { id: ID! }
        "#,
    )
    .query(json!({
        "productNode": {"__typename": "Product", "id": "p-1"},
        "categoryNode": {"__typename": "Category", "id": "c-1"}
    }))
    .entity(ids_only);
    let node_two = Subgraph::federated(
        "node-two",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        interface Node { id: ID! }
        type Product implements Node @key(fields: "id") { id: ID! }
        type Category implements Node @key(fields: "id") { id: ID! }
        "#,
    )
    .entity(ids_only);
    let types = Subgraph::federated(
        "types",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        interface Node { id: ID! }
        type Product implements Node @key(fields: "id") @shareable { id: ID! name: String! price: Float! }
        type Category implements Node @key(fields: "id") { id: ID! name: String! }
        "#,
    )
    .entity(move |repr| {
        Ok(match (repr["__typename"].as_str(), repr["id"].as_str()) {
            (Some("Product"), Some("p-1")) => product.clone(),
            (Some("Category"), Some("c-1")) => category.clone(),
            _ => Value::Null,
        })
    });
    let s = Scenario::start(vec![node, node_two, types], NODE).await;
    check(
        &s,
        "{ productNode { ... on Product { id name __typename price } } }",
        json!({"productNode": {"id": "p-1", "name": "Product 1", "__typename": "Product", "price": 10.0}}),
        false,
    )
    .await;
}

// parent-entity-call ---------------------------------------------------------

/// Our composition refuses `Category`, an entity in `a` and `b` but a value type
/// in `c` (ENTITY_KEY_MISMATCH); Federation composition accepts it.
const PARENT_ENTITY_CALL: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
  products: [Product!]! @join__field(graph: A)
}
type Product
  @join__type(graph: A, key: "id")
  @join__type(graph: A, key: "id pid")
  @join__type(graph: B, key: "id pid")
  @join__type(graph: C, key: "id pid")
{
  id: ID!
  pid: ID!
  category: Category
}
type Category @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @join__type(graph: C) {
  id: ID! @join__field(graph: A) @join__field(graph: B)
  name: String! @join__field(graph: A) @join__field(graph: B)
  details: CategoryDetails @join__field(graph: C)
}
type CategoryDetails @join__type(graph: C) {
  products: Int
}
"#;

fn parent_products() -> Value {
    json!([
        {"id": "p1", "pid": "p1-pid", "categoryId": "c1"},
        {"id": "p2", "pid": "p2-pid", "categoryId": "c2"},
        {"id": "p3", "pid": "p3-pid", "categoryId": "c1"}
    ])
}

fn parent_category(product: &Value) -> Value {
    let categories = json!([
        {"id": "c1", "name": "c1-name", "details": {"products": 2}},
        {"id": "c2", "name": "c2-name", "details": {"products": 1}}
    ]);
    find(categories, "id", &product["categoryId"])
}

fn parent_product(repr: &Value) -> Value {
    let p = find(parent_products(), "id", &repr["id"]);
    if repr.get("pid").is_some() && p["pid"] != repr["pid"] {
        return Value::Null;
    }
    p
}

#[tokio::test]
async fn parent_entity_call() {
    let category = |call: &federation_kit::Call<'_>| match (call.type_name, call.field) {
        ("Product", "category") => Some(Ok(parent_category(call.parent))),
        _ => None,
    };
    let entity = |repr: &Value| -> Result<Value, String> {
        Ok(match repr["__typename"].as_str() {
            Some("Product") => parent_product(repr),
            Some("Category") => parent_category(&json!({"categoryId": repr["id"]})),
            _ => Value::Null,
        })
    };
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@shareable"])
        type Query { products: [Product!]! }
        type Product @key(fields: "id") @key(fields: "id pid") { id: ID! pid: ID! category: Category @shareable }
        type Category @key(fields: "id") { id: ID! name: String! @shareable }
        "#,
    )
    .query(json!({"products": parent_products()}))
    .resolve(category)
    .entity(entity);
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Product @key(fields: "id pid") { id: ID! pid: ID! category: Category @shareable }
        type Category @key(fields: "id") { id: ID! name: String! @shareable }
        "#,
    )
    .resolve(category)
    .entity(entity);
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Category { details: CategoryDetails }
        type Product @key(fields: "id pid") { id: ID! pid: ID! category: Category @shareable }
        type CategoryDetails { products: Int }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Product", "category") => {
            Some(Ok(json!({"details": parent_category(call.parent)["details"]})))
        }
        _ => None,
    })
    .entity(|repr| Ok(parent_product(repr)));
    let s = Scenario::start(vec![a, b, c], PARENT_ENTITY_CALL).await;
    check(
        &s,
        "{ products { id category { id details { products } } } }",
        json!({"products": [
            {"id": "p1", "category": {"id": "c1", "details": {"products": 2}}},
            {"id": "p2", "category": {"id": "c2", "details": {"products": 1}}},
            {"id": "p3", "category": {"id": "c1", "details": {"products": 2}}}
        ]}),
        false,
    )
    .await;
}

// shared-root ----------------------------------------------------------------

fn shared_root_subgraph(name: &'static str, field: &str, ty: &str, value: Value) -> Subgraph {
    let product = json!({"id": "1", field: value});
    Subgraph::federated(
        name,
        &format!(
            r#"
            extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
            type Query {{ product: Product! @shareable products: [Product!]! @shareable }}
            type Product {{ id: ID! @shareable {field}: {ty}! }}
            "#
        ),
    )
    .query(json!({"product": product, "products": [product]}))
}

#[tokio::test]
async fn shared_root_fields_join_a_value_type_without_keys() {
    let s = Scenario::compose(vec![
        shared_root_subgraph("name", "name", "String", json!("Product 1")),
        shared_root_subgraph("category", "category", "String", json!("Category 1")),
        shared_root_subgraph("price", "price", "Int", json!(100)),
    ])
    .await;
    let product = json!({"id": "1", "name": "Product 1", "category": "Category 1", "price": 100});
    check(
        &s,
        "{ product { id name category price } }",
        json!({"product": product}),
        false,
    )
    .await;
    check(
        &s,
        "{ products { id name category price } }",
        json!({"products": [product]}),
        false,
    )
    .await;
}

// corrupted-supergraph-node-id -----------------------------------------------

fn node_accounts() -> Value {
    json!([{"__typename": "Account", "id": "a1", "username": "a1-username"}])
}

fn node_chats() -> Value {
    json!([{"__typename": "Chat", "id": "c1", "accountId": "a1", "text": "c1-text"}])
}

/// `a` owns `Account` and only references `Chat` (its `id` is external there),
/// `b` the other way round; both share `Query.node`, and each answers a node of
/// the type it does not own with a bogus `id` ("never") the router must not read.
fn corrupted_node_id() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external"])
        type Query { node(id: ID!): Node @shareable account(id: String!): Account }
        interface Node { id: ID! }
        type Account implements Node @key(fields: "id") { id: ID! username: String! }
        type Chat implements Node @key(fields: "id") { id: ID! @external account: Account! }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Query", "node") => {
            let id = &call.args["id"];
            let account = find(node_accounts(), "id", id);
            if !account.is_null() {
                return Some(Ok(account));
            }
            let chat = find(node_chats(), "id", id);
            Some(Ok(if chat.is_null() {
                chat
            } else {
                json!({"__typename": "Chat", "id": "never", "accountId": chat["accountId"]})
            }))
        }
        ("Query", "account") => Some(Ok(find(node_accounts(), "id", &call.args["id"]))),
        ("Chat", "account") => Some(Ok(find(node_accounts(), "id", &call.parent["accountId"]))),
        _ => None,
    })
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("Account") => find(node_accounts(), "id", &repr["id"]),
            Some("Chat") => find(node_chats(), "id", &repr["id"]),
            _ => Value::Null,
        })
    });
    let chats_of = |account: &Value| -> Value {
        let ids: Vec<Value> = node_chats()
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["accountId"] == account["id"])
            .map(|c| c["id"].clone())
            .collect();
        json!(ids)
    };
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external"])
        type Query { node(id: ID!): Node @shareable chat(id: String!): Chat }
        interface Node { id: ID! }
        type Account implements Node @key(fields: "id") { id: ID! @external chats: [Chat!]! }
        type Chat implements Node @key(fields: "id") { id: ID! text: String! }
        "#,
    )
    .resolve(move |call| match (call.type_name, call.field) {
        ("Query", "node") => {
            let id = &call.args["id"];
            let account = find(node_accounts(), "id", id);
            if !account.is_null() {
                return Some(Ok(
                    json!({"__typename": "Account", "id": "never", "chatIds": chats_of(&account)}),
                ));
            }
            Some(Ok(find(node_chats(), "id", id)))
        }
        ("Query", "chat") => Some(Ok(find(node_chats(), "id", &call.args["id"]))),
        ("Account", "chats") => Some(Ok(json!(
            node_chats()
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| call.parent["chatIds"]
                    .as_array()
                    .is_some_and(|ids| ids.contains(&c["id"])))
                .cloned()
                .collect::<Vec<_>>()
        ))),
        _ => None,
    })
    .entity(move |repr| {
        Ok(match repr["__typename"].as_str() {
            Some("Account") => {
                let account = find(node_accounts(), "id", &repr["id"]);
                if account.is_null() {
                    account
                } else {
                    json!({"id": account["id"], "chatIds": chats_of(&account)})
                }
            }
            Some("Chat") => find(node_chats(), "id", &repr["id"]),
            _ => Value::Null,
        })
    });
    vec![a, b]
}

/// As Federation composition writes it: the key fields each subgraph marks
/// `@external` keep `external: true`.
const CORRUPTED_NODE_ID: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  node(id: ID!): Node
  account(id: String!): Account @join__field(graph: A)
  chat(id: String!): Chat @join__field(graph: B)
}
interface Node @join__type(graph: A) @join__type(graph: B) {
  id: ID!
}
type Account implements Node
  @join__implements(graph: A, interface: "Node")
  @join__implements(graph: B, interface: "Node")
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id")
{
  id: ID! @join__field(graph: A) @join__field(graph: B, external: true)
  username: String! @join__field(graph: A)
  chats: [Chat!]! @join__field(graph: B)
}
type Chat implements Node
  @join__implements(graph: A, interface: "Node")
  @join__implements(graph: B, interface: "Node")
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id")
{
  id: ID! @join__field(graph: A, external: true) @join__field(graph: B)
  account: Account! @join__field(graph: A)
  text: String! @join__field(graph: B)
}
"#;

#[tokio::test]
async fn corrupted_supergraph_node_id() {
    let composed = Scenario::compose(corrupted_node_id()).await;
    check_corrupted_node_id(&composed).await;
    let federation = Scenario::start(corrupted_node_id(), CORRUPTED_NODE_ID).await;
    check_corrupted_node_id(&federation).await;
}

async fn check_corrupted_node_id(s: &Scenario) {
    // No subgraph can resolve `Node.id` for both implementations: `a` has
    // `Chat.id` external, `b` has `Account.id` external.
    check(s, r#"{ node(id: "a1") { id } }"#, Value::Null, true).await;
    check(
        s,
        r#"{ account: node(id: "a1") { __typename } chat: node(id: "c1") { __typename } }"#,
        json!({"account": {"__typename": "Account"}, "chat": {"__typename": "Chat"}}),
        false,
    )
    .await;
    check(
        s,
        r#"{ account: node(id: "a1") { ... on Account { id username } }
             chat: node(id: "c1") { ... on Chat { id text } } }"#,
        json!({"account": {"id": "a1", "username": "a1-username"},
               "chat": {"id": "c1", "text": "c1-text"}}),
        false,
    )
    .await;
    check(
        s,
        r#"{ account: node(id: "a1") { ... on Chat { id } } chat: node(id: "c1") { ... on Account { id } } }"#,
        json!({"account": {}, "chat": {}}),
        false,
    )
    .await;
    check(
        s,
        r#"{ account: node(id: "a1") { __typename ... on Chat { id } }
             chat: node(id: "c1") { __typename ... on Account { id } } }"#,
        json!({"account": {"__typename": "Account"}, "chat": {"__typename": "Chat"}}),
        false,
    )
    .await;
    check(
        s,
        r#"{ account: node(id: "a1") { id ... on Chat { id } }
             chat: node(id: "c1") { __typename ... on Account { id } } }"#,
        Value::Null,
        true,
    )
    .await;
    check(
        s,
        r#"{ chat(id: "c1") { id } }"#,
        json!({"chat": {"id": "c1"}}),
        false,
    )
    .await;
    check(
        s,
        r#"{ account(id: "a1") { id } }"#,
        json!({"account": {"id": "a1"}}),
        false,
    )
    .await;
    check(
        s,
        r#"{ chat(id: "c1") { id text account { id } } }"#,
        json!({"chat": {"id": "c1", "text": "c1-text", "account": {"id": "a1"}}}),
        false,
    )
    .await;
    check(
        s,
        r#"{ account(id: "a1") { id username chats { id } } }"#,
        json!({"account": {"id": "a1", "username": "a1-username", "chats": [{"id": "c1"}]}}),
        false,
    )
    .await;
}

// parent-entity-call-complex -------------------------------------------------

/// Our composition refuses `Category`, a value type in `a` and `b` but an entity
/// in `c` (ENTITY_KEY_MISMATCH); Federation composition accepts it.
const PARENT_ENTITY_CALL_COMPLEX: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) @join__type(graph: D) {
  productFromD(id: ID!): Product @join__field(graph: D)
}
type Product @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @join__type(graph: D, key: "id") {
  id: ID @join__field(graph: A, external: true) @join__field(graph: B, external: true) @join__field(graph: D)
  category: Category @join__field(graph: A) @join__field(graph: B)
  name: String @join__field(graph: D)
}
type Category @join__type(graph: A) @join__type(graph: B) @join__type(graph: C, key: "id") {
  details: String @join__field(graph: A)
  id: ID @join__field(graph: B) @join__field(graph: C)
  name: String @join__field(graph: C)
}
"#;

/// `Product.category` is shared by `a` (which knows only the category's
/// `details`, computed from the product) and `b` (only its `id`); `c` owns the
/// `Category` entity (`name`), `d` the root field and `Product.name`.
#[tokio::test]
async fn parent_entity_call_complex() {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@shareable"])
        type Product @key(fields: "id") { id: ID @external category: Category @shareable }
        type Category { details: String }
        "#,
    )
    .entity(|repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(json!({"id": id, "category": {"details": format!("Details for Product#{id}")}}))
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@shareable"])
        type Product @key(fields: "id") { id: ID @external category: Category @shareable }
        type Category { id: ID @shareable }
        "#,
    )
    .entity(|repr| Ok(json!({"id": repr["id"], "category": {"id": "3"}})));
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Category @key(fields: "id") { id: ID name: String }
        "#,
    )
    .entity(|repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(json!({"id": id, "name": format!("Category#{id}")}))
    });
    let d = Subgraph::federated(
        "d",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { productFromD(id: ID!): Product }
        type Product @key(fields: "id") { id: ID name: String }
        "#,
    )
    .resolve(|call| match (call.type_name, call.field) {
        ("Query", "productFromD") => {
            let id = call.args["id"].as_str().unwrap_or_default();
            Some(Ok(json!({"id": id, "name": format!("Product#{id}")})))
        }
        _ => None,
    })
    .entity(|repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(json!({"id": id, "name": format!("Product#{id}")}))
    });
    let s = Scenario::start(vec![a, b, c, d], PARENT_ENTITY_CALL_COMPLEX).await;
    check(
        &s,
        r#"{ productFromD(id: "1") { id name category { id name details } } }"#,
        json!({"productFromD": {"id": "1", "name": "Product#1",
               "category": {"id": "3", "name": "Category#3", "details": "Details for Product#1"}}}),
        false,
    )
    .await;
}

// keys-mashup ----------------------------------------------------------------

fn mashup_a(id: &Value) -> Value {
    let all = json!({
        "1": {"id": "1", "pId": "a.1.pId", "name": "a.1", "compositeId":
              {"one": "a.1.compositeId.one", "two": "a.1.compositeId.two", "three": "a.1.compositeId.three"}},
        "2": {"id": "2", "pId": "a.2.pId", "name": "a.2", "compositeId":
              {"one": "a.2.compositeId.one", "two": "a.2.compositeId.two", "three": "a.2.compositeId.three"}}
    });
    id.as_str()
        .and_then(|id| all.get(id).cloned())
        .unwrap_or(Value::Null)
}

/// Federation composition's supergraph (fields used in keys, nested ones too,
/// are shareable).
const KEYS_MASHUP: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  b: B @join__field(graph: B)
}
type A
  @join__type(graph: A, key: "id")
  @join__type(graph: A, key: "pId", resolvable: false)
  @join__type(graph: A, key: "compositeId { one two }", resolvable: false)
  @join__type(graph: A, key: "id compositeId { two three }", resolvable: false)
  @join__type(graph: B, key: "compositeId { one two }", resolvable: false)
  @join__type(graph: B, key: "id compositeId { two three }")
  @join__type(graph: B, key: "pId", resolvable: false)
  @join__type(graph: B, key: "id", resolvable: false)
{
  id: ID!
  pId: ID!
  compositeId: CompositeID!
  name: String! @join__field(graph: A) @join__field(graph: B, external: true)
  nameInB: String! @join__field(graph: B, requires: "name")
}
type B @join__type(graph: B, key: "id") {
  id: ID!
  a: [A!]!
}
type CompositeID @join__type(graph: A) @join__type(graph: B) {
  one: ID!
  two: ID!
  three: ID!
}
"#;

/// `A` has four keys, each subgraph resolving it by a different one: `a` only by
/// `id`, `b` only by `id compositeId { two three }`.
#[tokio::test]
async fn keys_mashup() {
    let composed = Scenario::compose(keys_mashup_subgraphs()).await;
    check_keys_mashup(&composed).await;
    let federation = Scenario::start(keys_mashup_subgraphs(), KEYS_MASHUP).await;
    check_keys_mashup(&federation).await;
}

async fn check_keys_mashup(s: &Scenario) {
    check(
        s,
        "{ b { id a { id name nameInB } } }",
        json!({"b": {"id": "100", "a": [{"id": "1", "name": "a.1", "nameInB": "b.a.nameInB a.1"}]}}),
        false,
    )
    .await;
}

fn keys_mashup_subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
        type A
          @key(fields: "id", resolvable: true)
          @key(fields: "pId", resolvable: false)
          @key(fields: "compositeId { one two }", resolvable: false)
          @key(fields: "id compositeId { two three }", resolvable: false)
        { id: ID! pId: ID! compositeId: CompositeID! name: String! }
        type CompositeID { one: ID! two: ID! three: ID! }
        "#,
    )
    .entity(|repr| Ok(mashup_a(&repr["id"])));
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@requires", "@external"])
        type Query { b: B }
        type B @key(fields: "id") { id: ID! a: [A!]! }
        type A
          @key(fields: "compositeId { one two }", resolvable: false)
          @key(fields: "id compositeId { two three }", resolvable: true)
          @key(fields: "pId", resolvable: false)
          @key(fields: "id", resolvable: false)
        {
          id: ID!
          pId: ID!
          compositeId: CompositeID!
          name: String! @external
          nameInB: String! @requires(fields: "name")
        }
        type CompositeID { one: ID! two: ID! three: ID! }
        "#,
    )
    .query(json!({"b": {"id": "100", "a": ["1"]}}))
    .resolve(|call| match (call.type_name, call.field) {
        ("B", "a") => Some(Ok(json!(
            call.parent["a"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|id| {
                    let mut a = mashup_a(id);
                    a.as_object_mut().map(|m| m.remove("name"));
                    a
                })
                .collect::<Vec<_>>()
        ))),
        ("A", "nameInB") => Some(match call.parent["name"].as_str() {
            Some(name) => Ok(json!(format!("b.a.nameInB {name}"))),
            None => Err("A.name was not provided".into()),
        }),
        _ => None,
    })
    .entity(|repr| {
        let mut a = mashup_a(&repr["id"]);
        if let Some(map) = a.as_object_mut() {
            match repr.get("name") {
                Some(name) => map.insert("name".into(), name.clone()),
                None => map.remove("name"),
            };
        }
        Ok(a)
    });
    vec![a, b]
}

// null-keys ------------------------------------------------------------------

fn null_key_books() -> Value {
    json!([
        {"id": "1", "upc": "b1", "author": {"id": "a1", "name": "Alice"}},
        {"id": "2", "upc": "b2", "author": {"id": "a2", "name": "Bob"}},
        {"id": "3", "upc": "b3", "author": {"id": "a3", "name": "Jack"}}
    ])
}

/// `a` knows books by `upc`, `c` their authors by `id`; only `b` maps one key to
/// the other, and it does not know `b3`: that book's author must read null.
#[tokio::test]
async fn null_keys() {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { bookContainers: [BookContainer] }
        type BookContainer { book: Book }
        type Book @key(fields: "upc") { upc: ID! }
        "#,
    )
    .query(json!({"bookContainers": null_key_books()
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| json!({"book": {"upc": b["upc"]}}))
        .collect::<Vec<_>>()}))
    .entity(|repr| {
        let book = find(null_key_books(), "upc", &repr["upc"]);
        if book.is_null() {
            return Err("Invalid reference".into());
        }
        Ok(json!({"upc": book["upc"]}))
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Book @key(fields: "id") @key(fields: "upc") { id: ID! upc: ID! }
        "#,
    )
    .entity(|repr| {
        let book = match repr.get("upc") {
            Some(upc) => find(null_key_books(), "upc", upc),
            None => find(null_key_books(), "id", &repr["id"]),
        };
        if book.is_null() {
            return Err("Invalid reference".into());
        }
        // `b` does not know the third book.
        Ok(if book["id"] == "3" {
            Value::Null
        } else {
            json!({"id": book["id"], "upc": book["upc"]})
        })
    });
    let c = Subgraph::federated(
        "c",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Book @key(fields: "id") { id: ID! author: Author }
        type Author { id: ID! name: String }
        "#,
    )
    .entity(|repr| {
        let book = find(null_key_books(), "id", &repr["id"]);
        if book.is_null() {
            return Err("Invalid reference".into());
        }
        Ok(json!({"id": book["id"], "author": book["author"]}))
    });
    let s = Scenario::compose(vec![a, b, c]).await;
    check(
        &s,
        "{ bookContainers { book { upc author { name } } } }",
        json!({"bookContainers": [
            {"book": {"upc": "b1", "author": {"name": "Alice"}}},
            {"book": {"upc": "b2", "author": {"name": "Bob"}}},
            {"book": {"upc": "b3", "author": null}}
        ]}),
        false,
    )
    .await;
}
