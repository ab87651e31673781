//! Scenarios of the federation gateway audit about abstract types, reproduced
//! with our own subgraphs: `abstract-types` (interfaces and a union spread over
//! seven subgraphs: fields of implementations from other subgraphs, fragments with
//! `@skip`/`@include`, a union member only another subgraph resolves, one response
//! name with different types per member), `union-interface-distributed` (an
//! object implementing interfaces only in a subgraph that does not own the root
//! fields), `typename` (`__typename` of unions, interfaces and interface
//! objects), `child-type-mismatch` (one response key for fields whose nullability
//! differs per union member).

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::{Value, json};

fn find(list: &Value, key: &str, value: &Value) -> Value {
    list.as_array()
        .and_then(|l| l.iter().find(|p| &p[key] == value).cloned())
        .unwrap_or(Value::Null)
}

fn all(list: &Value) -> Vec<Value> {
    list.as_array().cloned().unwrap_or_default()
}

// abstract-types -------------------------------------------------------------

fn abstract_users() -> Value {
    json!([
        {"id": "u1", "email": "u1@example.com", "name": "u1-name"},
        {"id": "u2", "email": "u2@example.com", "name": "u2-name"},
        {"id": "u3", "email": "u3@example.com", "name": "u3-name"}
    ])
}

/// Books first, then magazines (the order `products` answers).
fn abstract_products() -> Value {
    json!([
        {"__typename": "Book", "id": "p1", "sku": "sku-1", "title": "Book 1", "createdBy": "u1",
         "dimensions": {"size": "small", "weight": 0.5},
         "publisherType": {"__typename": "Self", "email": "u1@example.com"}, "hidden": false},
        {"__typename": "Book", "id": "p3", "sku": "sku-3", "title": "Book 2", "createdBy": "u2",
         "dimensions": {"size": "small", "weight": 0.6},
         "publisherType": {"__typename": "Agency", "id": "a1"}, "hidden": false},
        {"__typename": "Magazine", "id": "p2", "sku": "sku-2", "title": "Magazine 1", "createdBy": "u1",
         "dimensions": {"size": "small", "weight": 0.2},
         "publisherType": {"__typename": "Agency", "id": "a1"}, "hidden": false},
        {"__typename": "Magazine", "id": "p4", "sku": "sku-4", "title": "Magazine 2", "createdBy": "u2",
         "dimensions": {"size": "small", "weight": 0.3},
         "publisherType": {"__typename": "Self", "email": "u1@example.com"}, "hidden": true}
    ])
}

fn abstract_reviews() -> Value {
    json!([
        {"id": 1, "body": "review 1", "productId": "p1", "score": 3},
        {"id": 2, "body": "review 2", "productId": "p1", "score": 4},
        {"id": 3, "body": "review 3", "productId": "p2", "score": 5}
    ])
}

fn products_of_type(type_name: &str) -> Vec<Value> {
    all(&abstract_products())
        .into_iter()
        .filter(|p| p["__typename"] == type_name)
        .collect()
}

/// The product `repr` names, if it is of the representation's type.
fn product_of(repr: &Value) -> Option<Value> {
    let product = find(&abstract_products(), "id", &repr["id"]);
    (product["__typename"] == repr["__typename"]).then_some(product)
}

fn reviews_of(product_id: &Value) -> Vec<Value> {
    all(&abstract_reviews())
        .into_iter()
        .filter(|r| &r["productId"] == product_id)
        .map(|r| {
            let product = find(&abstract_products(), "id", &r["productId"]);
            json!({"id": r["id"], "body": r["body"],
                   "product": {"__typename": product["__typename"], "id": product["id"]}})
        })
        .collect()
}

fn created_count(user_id: &Value) -> usize {
    all(&abstract_products())
        .iter()
        .filter(|p| &p["createdBy"] == user_id)
        .count()
}

fn abstract_types_subgraphs() -> Vec<Subgraph> {
    let agency = Subgraph::federated(
        "agency",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Agency @key(fields: "id") { id: ID! companyName: String email: Email }
        type Email { address: String }
        type Group @key(fields: "id") { id: ID! name: String email: String }
        union PublisherType = Agency | Group
        "#,
    )
    .entity(|repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(match repr["__typename"].as_str() {
            Some("Agency") if id == "a1" => json!({"id": "a1", "companyName": "Agency 1",
                                                   "email": {"address": "a1@example.com"}}),
            Some("Group") => json!({"id": id, "name": format!("Group {id}"),
                                    "email": format!("group{id}@example.com")}),
            _ => Value::Null,
        })
    });
    let inventory = Subgraph::federated(
        "inventory",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@shareable", "@external", "@requires"])
        interface Product { id: ID! dimensions: ProductDimension delivery(zip: String): DeliveryEstimates }
        type Book implements Product @key(fields: "id") {
          id: ID!
          dimensions: ProductDimension @external
          delivery(zip: String): DeliveryEstimates @requires(fields: "dimensions { size weight }")
        }
        type Magazine implements Product @key(fields: "id") {
          id: ID!
          dimensions: ProductDimension @external
          delivery(zip: String): DeliveryEstimates @requires(fields: "dimensions { size weight }")
        }
        type ProductDimension @shareable { size: String weight: Float }
        type DeliveryEstimates { estimatedDelivery: String fastestDelivery: String }
        "#,
    )
    .resolve(|call| match call.field {
        "delivery" => {
            let dimensions = &call.parent["dimensions"];
            let size = dimensions["size"].as_str();
            let weight = dimensions["weight"].as_f64();
            Some(Ok(match (call.args["zip"].as_str(), size, weight) {
                (Some(_), Some("small"), Some(w)) if w < 1.0 => {
                    json!({"estimatedDelivery": "1 day", "fastestDelivery": "same day"})
                }
                (Some(_), Some("large"), Some(w)) if w >= 1.0 => {
                    json!({"estimatedDelivery": "3 days", "fastestDelivery": "2 days"})
                }
                _ => Value::Null,
            }))
        }
        _ => None,
    })
    .entity(|repr| {
        Ok(product_of(repr).map_or(Value::Null, |p| {
            json!({"__typename": p["__typename"], "id": p["id"], "dimensions": repr.get("dimensions")})
        }))
    });
    let books = Subgraph::federated(
        "books",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Book @key(fields: "id") { id: ID! title: String }
        type Query { books: [Book] }
        "#,
    )
    .query(json!({"books": products_of_type("Book")}))
    .entity(|repr| Ok(product_of(repr).unwrap_or(Value::Null)));
    // A Federation 1 subgraph (no `@link`): every field is shareable.
    let users = Subgraph::federated(
        "users",
        r#"
        type User @key(fields: "email") { email: ID! name: String totalProductsCreated: Int }
        "#,
    )
    .resolve(|call| match call.field {
        "totalProductsCreated" => Some(Ok(json!(created_count(&call.parent["id"])))),
        _ => None,
    })
    .entity(|repr| Ok(find(&abstract_users(), "email", &repr["email"])));
    let reviews = Subgraph::federated(
        "reviews",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@shareable", "@requires", "@external"])
        type Book implements Product & Similar @key(fields: "id") {
          id: ID!
          reviewsCount: Int!
          reviewsScore: Float! @shareable
          reviews: [Review!]!
          similar: [Book] @external
          reviewsOfSimilar: [Review!]! @requires(fields: "similar { id }")
        }
        type Magazine implements Product & Similar @key(fields: "id") {
          id: ID!
          reviewsCount: Int!
          reviewsScore: Float! @shareable
          reviews: [Review!]!
          similar: [Magazine] @external
          reviewsOfSimilar: [Review!]! @requires(fields: "similar { id }")
        }
        interface Product { id: ID! reviewsCount: Int! reviewsScore: Float! reviews: [Review!]! }
        interface Similar { similar: [Product] }
        type Query { review(id: Int!): Review }
        type Review { id: Int! body: String! product: Product }
        "#,
    )
    .resolve(|call| {
        let id = &call.parent["id"];
        match call.field {
            "reviews" => Some(Ok(json!(reviews_of(id)))),
            "reviewsCount" => Some(Ok(json!(reviews_of(id).len()))),
            "reviewsScore" => {
                let scores: Vec<f64> = all(&abstract_reviews())
                    .iter()
                    .filter(|r| &r["productId"] == id)
                    .filter_map(|r| r["score"].as_f64())
                    .collect();
                let average = if scores.is_empty() {
                    0.0
                } else {
                    scores.iter().sum::<f64>() / scores.len() as f64
                };
                Some(Ok(json!(average)))
            }
            "reviewsOfSimilar" => Some(Ok(json!(
                all(&call.parent["similar"])
                    .iter()
                    .flat_map(|p| reviews_of(&p["id"]))
                    .collect::<Vec<_>>()
            ))),
            "review" if call.type_name == "Query" => Some(Ok(find(
                &json!(
                    reviews_of(&json!("p1"))
                        .into_iter()
                        .chain(reviews_of(&json!("p2")))
                        .collect::<Vec<_>>()
                ),
                "id",
                &call.args["id"],
            ))),
            _ => None,
        }
    })
    .entity(|repr| {
        Ok(product_of(repr).map_or(Value::Null, |p| {
            json!({"__typename": p["__typename"], "id": p["id"], "similar": repr.get("similar")})
        }))
    });
    let products = Subgraph::federated(
        "products",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
          import: ["@key", "@shareable", "@inaccessible", "@external"])
        type Query { products: [Product] similar(id: ID!): [Product] }
        interface Product {
          id: ID!
          sku: String
          dimensions: ProductDimension
          createdBy: User
          hidden: Boolean @inaccessible
        }
        interface Similar { similar: [Product] }
        type ProductDimension @shareable { size: String weight: Float }
        type Book implements Product & Similar @key(fields: "id") {
          id: ID!
          sku: String
          dimensions: ProductDimension @shareable
          createdBy: User
          similar: [Book]
          hidden: Boolean
          publisherType: PublisherType
        }
        type Magazine implements Product & Similar @key(fields: "id") {
          id: ID!
          sku: String
          dimensions: ProductDimension @shareable
          createdBy: User
          similar: [Magazine]
          hidden: Boolean
          publisherType: PublisherType
        }
        union PublisherType = Agency | Self
        type Agency { id: ID! @shareable }
        type Self { email: String }
        type User @key(fields: "email") { email: ID! totalProductsCreated: Int @shareable }
        "#,
    )
    .query(json!({"products": abstract_products()}))
    .resolve(|call| match (call.type_name, call.field) {
        ("Query", "similar") => {
            let product = find(&abstract_products(), "id", &call.args["id"]);
            Some(Ok(json!(
                    all(&abstract_products())
                        .into_iter()
                        .filter(|p| p["id"] != product["id"]
                            && p["__typename"] == product["__typename"])
                        .collect::<Vec<_>>()
                )))
        }
        ("Book" | "Magazine", "similar") => Some(Ok(json!(
            products_of_type(call.type_name)
                .into_iter()
                .filter(|p| p["id"] != call.parent["id"])
                .collect::<Vec<_>>()
        ))),
        ("Book" | "Magazine", "createdBy") => {
            let user = find(&abstract_users(), "id", &call.parent["createdBy"]);
            Some(Ok(if user.is_null() {
                user
            } else {
                json!({"id": user["id"], "email": user["email"]})
            }))
        }
        ("User", "totalProductsCreated") => Some(Ok(json!(created_count(&call.parent["id"])))),
        _ => None,
    })
    .entity(|repr| {
        Ok(match repr["__typename"].as_str() {
            Some("User") => {
                let user = find(&abstract_users(), "email", &repr["email"]);
                if user.is_null() {
                    user
                } else {
                    json!({"id": user["id"], "email": user["email"]})
                }
            }
            _ => product_of(repr).unwrap_or(Value::Null),
        })
    });
    let magazines = Subgraph::federated(
        "magazines",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Magazine @key(fields: "id") { id: ID! title: String }
        type Query { magazines: [Magazine] }
        "#,
    )
    .query(json!({"magazines": products_of_type("Magazine")}))
    .entity(|repr| Ok(product_of(repr).unwrap_or(Value::Null)));
    vec![
        agency, inventory, books, users, reviews, products, magazines,
    ]
}

/// `products { id reviews { product { … } } }` where only `p1` (a book, two
/// reviews) and `p2` (a magazine, one review) have reviews; `book` and
/// `magazine` are the projections of those two products.
fn with_reviews(book: Value, magazine: Value) -> Value {
    json!({"products": [
        {"id": "p1", "reviews": [{"product": book}, {"product": book}]},
        {"id": "p3", "reviews": []},
        {"id": "p2", "reviews": [{"product": magazine}]},
        {"id": "p4", "reviews": []}
    ]})
}

/// Our composition refuses `Agency`, an entity in `agency` but a value type in
/// `products` (ENTITY_KEY_MISMATCH); this is Federation composition's supergraph.
const ABSTRACT_TYPES: &str = r#"
type Query
  @join__type(graph: AGENCY) @join__type(graph: BOOKS) @join__type(graph: INVENTORY)
  @join__type(graph: MAGAZINES) @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS)
  @join__type(graph: USERS)
{
  books: [Book] @join__field(graph: BOOKS)
  magazines: [Magazine] @join__field(graph: MAGAZINES)
  products: [Product] @join__field(graph: PRODUCTS)
  similar(id: ID!): [Product] @join__field(graph: PRODUCTS)
  review(id: Int!): Review @join__field(graph: REVIEWS)
}
type Agency @join__type(graph: AGENCY, key: "id") @join__type(graph: PRODUCTS) {
  id: ID!
  companyName: String @join__field(graph: AGENCY)
  email: Email @join__field(graph: AGENCY)
}
type Email @join__type(graph: AGENCY) {
  address: String
}
type Group @join__type(graph: AGENCY, key: "id") {
  id: ID!
  name: String
  email: String
}
type Self @join__type(graph: PRODUCTS) {
  email: String
}
union PublisherType
  @join__type(graph: AGENCY) @join__type(graph: PRODUCTS)
  @join__unionMember(graph: AGENCY, member: "Agency")
  @join__unionMember(graph: PRODUCTS, member: "Agency")
  @join__unionMember(graph: AGENCY, member: "Group")
  @join__unionMember(graph: PRODUCTS, member: "Self")
  = Agency | Group | Self
interface Product @join__type(graph: INVENTORY) @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  id: ID!
  dimensions: ProductDimension @join__field(graph: INVENTORY) @join__field(graph: PRODUCTS)
  delivery(zip: String): DeliveryEstimates @join__field(graph: INVENTORY)
  sku: String @join__field(graph: PRODUCTS)
  createdBy: User @join__field(graph: PRODUCTS)
  hidden: Boolean @inaccessible @join__field(graph: PRODUCTS)
  reviewsCount: Int! @join__field(graph: REVIEWS)
  reviewsScore: Float! @join__field(graph: REVIEWS)
  reviews: [Review!]! @join__field(graph: REVIEWS)
}
interface Similar @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  similar: [Product]
}
type Book implements Product & Similar
  @join__implements(graph: INVENTORY, interface: "Product")
  @join__implements(graph: PRODUCTS, interface: "Product")
  @join__implements(graph: PRODUCTS, interface: "Similar")
  @join__implements(graph: REVIEWS, interface: "Product")
  @join__implements(graph: REVIEWS, interface: "Similar")
  @join__type(graph: BOOKS, key: "id")
  @join__type(graph: INVENTORY, key: "id")
  @join__type(graph: PRODUCTS, key: "id")
  @join__type(graph: REVIEWS, key: "id")
{
  id: ID!
  title: String @join__field(graph: BOOKS)
  dimensions: ProductDimension @join__field(graph: INVENTORY, external: true) @join__field(graph: PRODUCTS)
  delivery(zip: String): DeliveryEstimates @join__field(graph: INVENTORY, requires: "dimensions { size weight }")
  sku: String @join__field(graph: PRODUCTS)
  createdBy: User @join__field(graph: PRODUCTS)
  similar: [Book] @join__field(graph: PRODUCTS) @join__field(graph: REVIEWS, external: true)
  hidden: Boolean @join__field(graph: PRODUCTS)
  publisherType: PublisherType @join__field(graph: PRODUCTS)
  reviewsCount: Int! @join__field(graph: REVIEWS)
  reviewsScore: Float! @join__field(graph: REVIEWS)
  reviews: [Review!]! @join__field(graph: REVIEWS)
  reviewsOfSimilar: [Review!]! @join__field(graph: REVIEWS, requires: "similar { id }")
}
type Magazine implements Product & Similar
  @join__implements(graph: INVENTORY, interface: "Product")
  @join__implements(graph: PRODUCTS, interface: "Product")
  @join__implements(graph: PRODUCTS, interface: "Similar")
  @join__implements(graph: REVIEWS, interface: "Product")
  @join__implements(graph: REVIEWS, interface: "Similar")
  @join__type(graph: INVENTORY, key: "id")
  @join__type(graph: MAGAZINES, key: "id")
  @join__type(graph: PRODUCTS, key: "id")
  @join__type(graph: REVIEWS, key: "id")
{
  id: ID!
  title: String @join__field(graph: MAGAZINES)
  dimensions: ProductDimension @join__field(graph: INVENTORY, external: true) @join__field(graph: PRODUCTS)
  delivery(zip: String): DeliveryEstimates @join__field(graph: INVENTORY, requires: "dimensions { size weight }")
  sku: String @join__field(graph: PRODUCTS)
  createdBy: User @join__field(graph: PRODUCTS)
  similar: [Magazine] @join__field(graph: PRODUCTS) @join__field(graph: REVIEWS, external: true)
  hidden: Boolean @join__field(graph: PRODUCTS)
  publisherType: PublisherType @join__field(graph: PRODUCTS)
  reviewsCount: Int! @join__field(graph: REVIEWS)
  reviewsScore: Float! @join__field(graph: REVIEWS)
  reviews: [Review!]! @join__field(graph: REVIEWS)
  reviewsOfSimilar: [Review!]! @join__field(graph: REVIEWS, requires: "similar { id }")
}
type ProductDimension @join__type(graph: INVENTORY) @join__type(graph: PRODUCTS) {
  size: String
  weight: Float
}
type DeliveryEstimates @join__type(graph: INVENTORY) {
  estimatedDelivery: String
  fastestDelivery: String
}
type User @join__type(graph: PRODUCTS, key: "email") @join__type(graph: USERS, key: "email") {
  email: ID!
  totalProductsCreated: Int
  name: String @join__field(graph: USERS)
}
type Review @join__type(graph: REVIEWS) {
  id: Int!
  body: String!
  product: Product
}
"#;

#[tokio::test]
async fn abstract_types() {
    let s = Scenario::start(abstract_types_subgraphs(), ABSTRACT_TYPES).await;
    check(
        &s,
        "{ products { id dimensions { size weight } } }",
        json!({"products": [
            {"id": "p1", "dimensions": {"size": "small", "weight": 0.5}},
            {"id": "p3", "dimensions": {"size": "small", "weight": 0.6}},
            {"id": "p2", "dimensions": {"size": "small", "weight": 0.2}},
            {"id": "p4", "dimensions": {"size": "small", "weight": 0.3}}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        r#"{ similar(id: "p1") { id sku } }"#,
        json!({"similar": [{"id": "p3", "sku": "sku-3"}]}),
        false,
    )
    .await;
    let delivery = json!({"fastestDelivery": "same day", "estimatedDelivery": "1 day"});
    check(
        &s,
        r#"{ book: similar(id: "p1") { id sku delivery(zip: "1234") { fastestDelivery estimatedDelivery } }
             magazine: similar(id: "p2") { id sku delivery(zip: "1234") { fastestDelivery estimatedDelivery } } }"#,
        json!({"book": [{"id": "p3", "sku": "sku-3", "delivery": delivery}],
               "magazine": [{"id": "p4", "sku": "sku-4", "delivery": delivery}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ products { sku ... on Product { sku } ... on Book { sku } ... on Magazine { sku }
           ... on Similar { __typename type: __typename } } }",
        json!({"products": [
            {"sku": "sku-1", "__typename": "Book", "type": "Book"},
            {"sku": "sku-3", "__typename": "Book", "type": "Book"},
            {"sku": "sku-2", "__typename": "Magazine", "type": "Magazine"},
            {"sku": "sku-4", "__typename": "Magazine", "type": "Magazine"}
        ]}),
        false,
    )
    .await;
    let u1 = json!({"email": "u1@example.com", "totalProductsCreated": 2});
    let u2 = json!({"email": "u2@example.com", "totalProductsCreated": 2});
    check(
        &s,
        "{ products { author: createdBy { email totalProductsCreated } ... on Magazine { title } } }",
        json!({"products": [
            {"author": u1}, {"author": u2},
            {"author": u1, "title": "Magazine 1"}, {"author": u2, "title": "Magazine 2"}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        "{ products { id reviews { product { sku ... on Magazine { title } ... on Book { reviewsCount } } } } }",
        with_reviews(
            json!({"sku": "sku-1", "reviewsCount": 2}),
            json!({"sku": "sku-2", "title": "Magazine 1"}),
        ),
        false,
    )
    .await;
    check(
        &s,
        "{ products { id reviews { id } } }",
        json!({"products": [
            {"id": "p1", "reviews": [{"id": 1}, {"id": 2}]},
            {"id": "p3", "reviews": []},
            {"id": "p2", "reviews": [{"id": 3}]},
            {"id": "p4", "reviews": []}
        ]}),
        false,
    )
    .await;
    let book_title = json!({"id": "p1", "title": "Book 1"});
    let book_id = json!({"id": "p1"});
    let magazine_sku = json!({"id": "p2", "sku": "sku-2"});
    for (query, book) in [
        ("query ($title: Boolean = true) { products { id reviews { product { id
           ... on Book @include(if: $title) { title } ... on Magazine { sku } } } } }", &book_title),
        ("query ($title: Boolean = false) { products { id reviews { product { id
           ... on Book @include(if: $title) { title } ... on Magazine { sku } } } } }", &book_id),
        ("query ($title: Boolean = false) { products { id reviews { product { id
           ... on Book @skip(if: $title) { title } ... on Magazine { sku } } } } }", &book_title),
        ("query ($title: Boolean = true) { products { id reviews { product { id
           ... on Book @skip(if: $title) { title } ... on Magazine { sku } } } } }", &book_id),
        ("query ($title: Boolean = true) { products { id reviews { product { id
           ... on Book @skip(if: $title) { title } ... on Book { sku } ... on Magazine { sku } } } } }",
         &json!({"id": "p1", "sku": "sku-1"})),
        ("query ($title: Boolean = false) { products { id reviews { product { id
           ... on Book @skip(if: $title) { title } ... on Book { sku } ... on Magazine { sku } } } } }",
         &json!({"id": "p1", "title": "Book 1", "sku": "sku-1"})),
        ("query ($title: Boolean = true) { products { id reviews { product { id
           ... on Book @include(if: $title) { title ... on Book { sku } } ... on Magazine { sku } } } } }",
         &json!({"id": "p1", "title": "Book 1", "sku": "sku-1"})),
        ("query ($title: Boolean = true) { products { id reviews { product { id
           ... on Book @include(if: $title) { title ... on Book @skip(if: $title) { sku } }
           ... on Magazine { sku } } } } }", &book_title),
    ] {
        check(&s, query, with_reviews(book.clone(), magazine_sku.clone()), false).await;
    }
    let publishers = |self_: Value, agency: Value| {
        with_reviews(
            json!({"id": "p1", "publisherType": self_}),
            json!({"id": "p2", "publisherType": agency}),
        )
    };
    let by_type = "{ products { id reviews { product { id
        ... on Magazine { publisherType { ...Publisher } } ... on Book { publisherType { ...Publisher } } } } } }";
    check(
        &s,
        &format!(
            "{by_type} fragment Publisher on PublisherType {{
               ... on Agency {{ id companyName }} ... on Self {{ email }} }}"
        ),
        publishers(
            json!({"email": "u1@example.com"}),
            json!({"id": "a1", "companyName": "Agency 1"}),
        ),
        false,
    )
    .await;
    check(
        &s,
        &format!(
            "{by_type} fragment Publisher on PublisherType {{
               ... on Agency {{ id companyName }} ... on Self {{ email }} ... on Group {{ name }} }}"
        ),
        publishers(
            json!({"email": "u1@example.com"}),
            json!({"id": "a1", "companyName": "Agency 1"}),
        ),
        false,
    )
    .await;
    check(
        &s,
        &format!(
            "{by_type} fragment Publisher on PublisherType {{
               ... on Agency {{ emailObj: email {{ address }} }} ... on Self {{ emailStr: email }}
               ... on Group {{ emailStr: email }} }}"
        ),
        publishers(
            json!({"emailStr": "u1@example.com"}),
            json!({"emailObj": {"address": "a1@example.com"}}),
        ),
        false,
    )
    .await;
}

// union-interface-distributed ------------------------------------------------

fn appliances() -> Value {
    json!([
        {"__typename": "Oven", "id": "oven1"},
        {"__typename": "Oven", "id": "oven2"},
        {"__typename": "Toaster", "id": "toaster1", "warranty": 3},
        {"__typename": "Toaster", "id": "toaster2", "warranty": 4}
    ])
}

fn toasters() -> Vec<Value> {
    all(&appliances())
        .into_iter()
        .filter(|p| p["__typename"] == "Toaster")
        .collect()
}

/// `Oven` implements `Node` and `WithWarranty` only in `b`; `a` owns the root
/// fields, and there `Oven` is a member of the `Product` union only.
fn union_interface_distributed_subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable", "@key"])
        type Query { products: [Product] node(id: ID!): Node nodes: [Node] toasters: [Toaster] }
        union Product = Oven | Toaster
        interface Node { id: ID! }
        interface WithWarranty { warranty: Int }
        type Oven @key(fields: "id") { id: ID! }
        type Toaster implements Node & WithWarranty @key(fields: "id") { id: ID! warranty: Int }
        "#,
    )
    .query(json!({"products": appliances(), "nodes": toasters(), "toasters": toasters()}))
    .resolve(|call| match (call.type_name, call.field) {
        // An oven here is no `Node`: the subgraph itself fails to complete it.
        ("Query", "node") => Some(Ok(find(&appliances(), "id", &call.args["id"]))),
        _ => None,
    })
    .entity(|repr| {
        let found = find(&appliances(), "id", &repr["id"]);
        Ok(if found["__typename"] == repr["__typename"] {
            found
        } else {
            Value::Null
        })
    });
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        interface Node { id: ID! }
        interface WithWarranty { warranty: Int }
        type Oven implements Node & WithWarranty @key(fields: "id") { id: ID! warranty: Int }
        "#,
    )
    .entity(|repr| {
        let found = find(&appliances(), "id", &repr["id"]);
        Ok(if found["__typename"] == "Oven" {
            json!({"id": found["id"], "warranty": 1})
        } else {
            Value::Null
        })
    });
    vec![a, b]
}

#[tokio::test]
async fn union_interface_distributed() {
    let s = Scenario::compose(union_interface_distributed_subgraphs()).await;
    check(
        &s,
        "{ products { ... on Node { id } } }",
        json!({"products": [{"id": "oven1"}, {"id": "oven2"}, {"id": "toaster1"}, {"id": "toaster2"}]}),
        false,
    )
    .await;
    let warranties = json!({"nodes": [{"warranty": 3}, {"warranty": 4}]});
    let ids = json!({"nodes": [{"id": "toaster1"}, {"id": "toaster2"}]});
    check(
        &s,
        "{ nodes { ... on Toaster { warranty } ... on Oven { id } } }",
        warranties.clone(),
        false,
    )
    .await;
    check(&s, "{ nodes { id } }", ids.clone(), false).await;
    check(&s, "{ nodes { ... on Node { id } } }", ids, false).await;
    check(
        &s,
        "{ nodes { ... on Node { ... on WithWarranty { warranty } } } }",
        warranties,
        false,
    )
    .await;
    check(
        &s,
        "{ nodes { ... on Node { id ... on Node { id ... on WithWarranty { warranty } } } } }",
        json!({"nodes": [{"id": "toaster1", "warranty": 3}, {"id": "toaster2", "warranty": 4}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ toasters { ...ToasterFragment ...NodeFragment } }
         fragment ToasterFragment on Toaster { id }
         fragment NodeFragment on Node { id __typename }",
        json!({"toasters": [
            {"id": "toaster1", "__typename": "Toaster"},
            {"id": "toaster2", "__typename": "Toaster"}
        ]}),
        false,
    )
    .await;
    check(
        &s,
        r#"{ node(id: "oven1") { ... on Oven { warranty } } }"#,
        json!({"node": null}),
        true,
    )
    .await;
    check(
        &s,
        r#"{ node(id: "oven1") { ... on Toaster { warranty } } }"#,
        json!({"node": null}),
        true,
    )
    .await;
    check(
        &s,
        r#"{ node(id: "toaster1") { ... on Toaster { warranty } } }"#,
        json!({"node": {"warranty": 3}}),
        false,
    )
    .await;
}

// typename -------------------------------------------------------------------

/// `__typename` (plain and aliased, in fragments) of a union, an interface and
/// an interface object whose concrete type only the owner of the interface knows.
#[tokio::test]
async fn typename() {
    let users = json!([
        {"__typename": "Admin", "id": "u1", "name": "Alice", "isMain": false},
        {"__typename": "Admin", "id": "u2", "name": "Bob", "isMain": true}
    ]);
    let owner_users = users.clone();
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { union: Product interface: Node }
        union Product = Oven | Toaster
        interface Node { id: ID! }
        type Oven implements Node { id: ID! }
        type Toaster implements Node { id: ID! }
        interface User @key(fields: "id") { id: ID! }
        type Admin implements User @key(fields: "id") { id: ID! isMain: Boolean! }
        "#,
    )
    .query(json!({
        "union": {"id": "1", "__typename": "Oven"},
        "interface": {"id": "2", "__typename": "Toaster"}
    }))
    .entity(move |repr| Ok(find(&owner_users, "id", &repr["id"])));
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject"])
        type Query { users: [User] }
        type User @key(fields: "id") @interfaceObject { id: ID! name: String! }
        "#,
    )
    .query(json!({"users": all(&users)
        .iter()
        .map(|u| json!({"id": u["id"], "name": u["name"]}))
        .collect::<Vec<_>>()}))
    .entity(move |repr| {
        let user = find(&users, "id", &repr["id"]);
        Ok(if user.is_null() {
            user
        } else {
            json!({"id": user["id"], "name": user["name"]})
        })
    });
    let s = Scenario::compose(vec![a, b]).await;
    check(
        &s,
        "{ union { __typename typename: __typename } }",
        json!({"union": {"__typename": "Oven", "typename": "Oven"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ interface { id __typename typename: __typename t: __typename } }",
        json!({"interface": {"id": "2", "__typename": "Toaster", "typename": "Toaster", "t": "Toaster"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ union { __typename ... on Oven { typename: __typename } ... on Toaster { typename: __typename } } }",
        json!({"union": {"__typename": "Oven", "typename": "Oven"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ interface { __typename ... on Oven { typename: __typename } ... on Toaster { typename: __typename } } }",
        json!({"interface": {"__typename": "Toaster", "typename": "Toaster"}}),
        false,
    )
    .await;
    check(
        &s,
        "{ users { id } }",
        json!({"users": [{"id": "u1"}, {"id": "u2"}]}),
        false,
    )
    .await;
    check(
        &s,
        "{ users { __typename } }",
        json!({"users": [{"__typename": "Admin"}, {"__typename": "Admin"}]}),
        false,
    )
    .await;
}

// child-type-mismatch --------------------------------------------------------

/// Our composition refuses `User`, a value type in `a` but an entity in `b`
/// (ENTITY_KEY_MISMATCH). Federation composition's supergraph: `User.id` is `ID`
/// in `a` and `ID!` in `b`, `Admin.id` is `ID`.
const CHILD_TYPE_MISMATCH: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  users: [User!]! @join__field(graph: A)
  accounts: [Account!]! @join__field(graph: B)
}
union Account @join__type(graph: B) @join__unionMember(graph: B, member: "User") @join__unionMember(graph: B, member: "Admin") = User | Admin
type User @join__type(graph: A) @join__type(graph: B, key: "id") {
  id: ID @join__field(graph: A, type: "ID") @join__field(graph: B, type: "ID!")
  name: String @join__field(graph: B)
  similarAccounts: [Account!]! @join__field(graph: B)
}
type Admin @join__type(graph: B) {
  id: ID
  name: String
  similarAccounts: [Account!]!
}
"#;

/// `User.id` and `Admin.id` differ in nullability inside `b`, where both are
/// selected under one response key (`... on User { id } ... on Admin { id }`):
/// sent as is, `b` would refuse the operation.
#[tokio::test]
async fn child_type_mismatch() {
    let accounts = json!([
        {"__typename": "User", "id": "u1", "name": "u1-name"},
        {"__typename": "Admin", "id": "a1", "name": "a1-name"}
    ]);
    let a = Subgraph::federated(
        "a",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])
        type User { id: ID @shareable }
        type Query { users: [User!]! }
        "#,
    )
    .query(json!({"users": [{"id": "u1"}]}));
    let similar = accounts.clone();
    let b = Subgraph::federated(
        "b",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable", "@key"])
        union Account = User | Admin
        type User @key(fields: "id") { id: ID! name: String similarAccounts: [Account!]! }
        type Admin { id: ID name: String @shareable similarAccounts: [Account!]! }
        type Query { accounts: [Account!]! }
        "#,
    )
    .query(json!({"accounts": accounts}))
    .resolve(move |call| match call.field {
        "similarAccounts" => Some(Ok(similar.clone())),
        _ => None,
    })
    .entity(|repr| {
        Ok(if repr["id"] == "u1" {
            json!({"id": "u1", "name": "u1-name"})
        } else {
            Value::Null
        })
    });
    let s = Scenario::start(vec![a, b], CHILD_TYPE_MISMATCH).await;
    let u1 = json!({"id": "u1", "name": "u1-name"});
    let a1 = json!({"id": "a1", "name": "a1-name"});
    let users = json!([u1]);
    check(
        &s,
        "{ users { id name } accounts { ... on User { id name } ... on Admin { id name } } }",
        json!({"users": users, "accounts": [u1, a1]}),
        false,
    )
    .await;
    let with_similar = |account: &Value, similar: Value| {
        let mut account = account.clone();
        account["similarAccounts"] = similar;
        account
    };
    let level = json!([u1, a1]);
    check(
        &s,
        "query NestedInternalAlias { users { id name } accounts {
           ... on User { id name similarAccounts { ... on User { id name } ... on Admin { id name } } }
           ... on Admin { id name similarAccounts { ... on User { id name } ... on Admin { id name } } } } }",
        json!({"users": users, "accounts": [
            with_similar(&u1, level.clone()),
            with_similar(&a1, level.clone())
        ]}),
        false,
    )
    .await;
    let nested = json!([
        with_similar(&u1, level.clone()),
        with_similar(&a1, level.clone())
    ]);
    let inner = "similarAccounts { ... on User { id name } ... on Admin { id name } }";
    check(
        &s,
        &format!(
            "query DeeplyNestedInternalAlias {{ users {{ id name }} accounts {{
               ... on User {{ id name similarAccounts {{ ... on User {{ id name {inner} }} ... on Admin {{ id name {inner} }} }} }}
               ... on Admin {{ id name similarAccounts {{ ... on User {{ id name {inner} }} ... on Admin {{ id name {inner} }} }} }} }} }}"
        ),
        json!({"users": users, "accounts": [
            with_similar(&u1, nested.clone()),
            with_similar(&a1, nested.clone())
        ]}),
        false,
    )
    .await;
    let names_inner = "similarAccounts { ... on User { name } ... on Admin { name } }";
    let n_u1 = json!({"name": "u1-name"});
    let n_a1 = json!({"name": "a1-name"});
    let n_level = json!([n_u1, n_a1]);
    let n_nested = json!([
        with_similar(&n_u1, n_level.clone()),
        with_similar(&n_a1, n_level)
    ]);
    check(
        &s,
        &format!(
            "query DeeplyNested {{ accounts {{
               ... on User {{ name similarAccounts {{ ... on User {{ name {names_inner} }} ... on Admin {{ name {names_inner} }} }} }}
               ... on Admin {{ name similarAccounts {{ ... on User {{ name {names_inner} }} ... on Admin {{ name {names_inner} }} }} }} }} }}"
        ),
        json!({"accounts": [with_similar(&n_u1, n_nested.clone()), with_similar(&n_a1, n_nested)]}),
        false,
    )
    .await;
}
