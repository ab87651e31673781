//! Interfaces and unions spread across subgraphs: a union whose members differ
//! per subgraph (partial unions), an interface implemented in different
//! subgraphs, `__typename` in every position, and fragments on abstract types
//! inside entity fetches.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  search: [Result] @join__field(graph: A)
  shelf: [Result] @join__field(graph: B)
  node(id: ID!): Node @join__field(graph: A)
  users: [User] @join__field(graph: A)
}

union Result
  @join__type(graph: A) @join__type(graph: B)
  @join__unionMember(graph: A, member: "Book")
  @join__unionMember(graph: A, member: "Author")
  @join__unionMember(graph: B, member: "Book")
  @join__unionMember(graph: B, member: "Magazine")
  @join__unionMember(graph: B, member: "Secret")
  = Book | Author | Magazine | Secret

type Secret @join__type(graph: B) @inaccessible {
  id: ID!
}

interface Node @join__type(graph: A) @join__type(graph: B) {
  id: ID!
}

type Book implements Node
  @join__implements(graph: A, interface: "Node")
  @join__implements(graph: B, interface: "Node")
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id")
{
  id: ID!
  title: String @join__field(graph: A)
  price: Int @join__field(graph: B)
  related: [Result] @join__field(graph: B)
}

type Author implements Node
  @join__implements(graph: A, interface: "Node")
  @join__type(graph: A, key: "id")
{
  id: ID!
  name: String
}

type Magazine implements Node
  @join__implements(graph: B, interface: "Node")
  @join__type(graph: B, key: "id")
{
  id: ID!
  issue: Int
}

type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  favorite: Node @join__field(graph: B)
}
"#;

fn subgraphs() -> Vec<Subgraph> {
    let books = json!({"k1": "Dune", "k2": "Emma"});
    let a = Subgraph::new(
        "a",
        "type Query { search: [Result] node(id: ID!): Node users: [User] }
         union Result = Book | Author
         interface Node { id: ID! }
         type Book implements Node { id: ID! title: String }
         type Author implements Node { id: ID! name: String }
         type User { id: ID! }",
    )
    .query(json!({
        "search": [
            {"__typename": "Book", "id": "k1", "title": "Dune"},
            {"__typename": "Author", "id": "a1", "name": "Herbert"}
        ],
        "users": [{"id": "u1"}, {"id": "u2"}, {"id": "u3"}]
    }))
    .resolve(|call| match call.field {
        "node" => Some(Ok(match call.args["id"].as_str() {
            Some("a1") => json!({"__typename": "Author", "id": "a1", "name": "Herbert"}),
            Some(id) if id.starts_with('k') => json!({"__typename": "Book", "id": id}),
            _ => Value::Null,
        })),
        _ => None,
    })
    .entities(&["Book", "Author", "User"], move |repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(match repr["__typename"].as_str() {
            Some("Book") => json!({"id": id, "title": books[id]}),
            Some("Author") => json!({"id": id, "name": "Herbert"}),
            _ => json!({"id": id}),
        })
    });
    let b = Subgraph::new(
        "b",
        "type Query { shelf: [Result] }
         union Result = Book | Magazine | Secret
         type Secret { id: ID! }
         interface Node { id: ID! }
         type Book implements Node { id: ID! price: Int related: [Result] }
         type Magazine implements Node { id: ID! issue: Int }
         type User { id: ID! favorite: Node }",
    )
    .query(json!({
        "shelf": [
            {"__typename": "Magazine", "id": "g1", "issue": 7},
            {"__typename": "Book", "id": "k2", "price": 12},
            {"__typename": "Secret", "id": "s1"}
        ]
    }))
    .entities(&["Book", "User"], |repr| {
        let id = repr["id"].as_str().unwrap_or_default();
        Ok(match repr["__typename"].as_str() {
            Some("Book") => json!({
                "id": id, "price": 10,
                "related": [
                    {"__typename": "Magazine", "id": "g1", "issue": 7},
                    {"__typename": "Book", "id": "k2", "price": 12, "related": []}
                ]
            }),
            Some("User") => json!({"id": id, "favorite": match id {
                "u1" => json!({"__typename": "Book", "id": "k1", "price": 10,
                               "related": [{"__typename": "Magazine", "id": "g1", "issue": 7},
                                           {"__typename": "Book", "id": "k2", "price": 12}]}),
                "u2" => json!({"__typename": "Magazine", "id": "g1", "issue": 7}),
                _ => Value::Null,
            }}),
            _ => Value::Null,
        })
    });
    vec![a, b]
}

#[tokio::test]
async fn unions_whose_members_differ_between_subgraphs() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query("{ search { __typename ... on Book { title price } ... on Author { name } ... on Magazine { issue } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"search": [
            {"__typename": "Book", "title": "Dune", "price": 10},
            {"__typename": "Author", "name": "Herbert"}
        ]}}),
        "{}",
        body["__plan"]
    );
    let body = scenario
        .query("{ shelf { __typename ... on Book { id title price } ... on Magazine { issue } ... on Node { id } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"shelf": [
            {"__typename": "Magazine", "issue": 7, "id": "g1"},
            {"__typename": "Book", "id": "k2", "title": "Emma", "price": 12},
            null
        ]}, "errors": [{
            "message": "the subgraph returned an object of a type that is not part of the schema",
            "locations": [{"line": 1, "column": 3}],
            "path": ["shelf", 2]
        }]}),
        "{}",
        body["__plan"]
    );
}

#[tokio::test]
async fn fragments_on_abstract_types_inside_entity_fetches() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query(
            "fragment N on Node { id __typename }
             { users { id favorite {
                 ...N
                 ... on Magazine { issue }
                 ... on Book { title related { ... on Node { id } ... on Book { title } ... on Magazine { __typename } } }
             } } }",
        )
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"users": [
            {"id": "u1", "favorite": {"id": "k1", "__typename": "Book", "title": "Dune", "related": [
                {"id": "g1", "__typename": "Magazine"},
                {"id": "k2", "title": "Emma"}
            ]}},
            {"id": "u2", "favorite": {"id": "g1", "__typename": "Magazine", "issue": 7}},
            {"id": "u3", "favorite": null}
        ]}}),
        "{}",
        body["__plan"]
    );
}

#[tokio::test]
async fn typename_in_every_position() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query(
            r#"{ __typename
                 search { __typename }
                 a: node(id: "a1") { __typename ... on Node { t: __typename id } }
                 k: node(id: "k1") { ... on Book { __typename } }
                 none: node(id: "zz") { __typename }
                 users { __typename favorite { __typename ... on Book { related { __typename } } } } }"#,
        )
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {
            "__typename": "Query",
            "search": [{"__typename": "Book"}, {"__typename": "Author"}],
            "a": {"__typename": "Author", "t": "Author", "id": "a1"},
            "k": {"__typename": "Book"},
            "none": null,
            "users": [
                {"__typename": "User", "favorite": {"__typename": "Book", "related": [{"__typename": "Magazine"}, {"__typename": "Book"}]}},
                {"__typename": "User", "favorite": {"__typename": "Magazine"}},
                {"__typename": "User", "favorite": null}
            ]
        }}),
        "{}",
        body["__plan"]
    );
}

/// A value type in one subgraph that is an entity in another, and union members
/// whose same-named fields differ in nullability (the planner aliases one of them).
const MIXED_TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  users: [User!]! @join__field(graph: A)
  accounts: [Account!]! @join__field(graph: B)
}

union Account
  @join__type(graph: B)
  @join__unionMember(graph: B, member: "User")
  @join__unionMember(graph: B, member: "Admin")
  = User | Admin

type User @join__type(graph: A) @join__type(graph: B, key: "id") {
  id: ID @join__field(graph: A, type: "ID") @join__field(graph: B, type: "ID!")
  name: String @join__field(graph: B)
}

type Admin @join__type(graph: B) {
  id: ID
  photo: String
}
"#;

#[tokio::test]
async fn entity_in_one_subgraph_value_type_in_another() {
    let a = Subgraph::new("a", "type Query { users: [User!]! }\n type User { id: ID }")
        .query(json!({"users": [{"id": "n1"}]}));
    let b = Subgraph::new(
        "b",
        "type Query { accounts: [Account!]! }
         union Account = User | Admin
         type User { id: ID! name: String }
         type Admin { id: ID photo: String }",
    )
    .query(json!({"accounts": [
        {"__typename": "User", "id": "n1", "name": "n1-profile"},
        {"__typename": "Admin", "id": "a1", "photo": "a1-photo"}
    ]}))
    .entities(&["User"], |repr| {
        Ok(json!({"id": repr["id"], "name": format!("{}-profile", repr["id"].as_str().unwrap_or_default())}))
    });
    let scenario = Scenario::start(vec![a, b], MIXED_TYPES).await;
    let body = scenario
        .query(
            "{ users { id name } accounts { ... on User { id name } ... on Admin { id photo } } }",
        )
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {
            "users": [{"id": "n1", "name": "n1-profile"}],
            "accounts": [{"id": "n1", "name": "n1-profile"}, {"id": "a1", "photo": "a1-photo"}]
        }}),
        "{}",
        body["__plan"]
    );
}
