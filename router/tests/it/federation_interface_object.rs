//! `@interfaceObject` beyond the basics: `@requires` on an interface object,
//! a second subgraph extending the same interface, a non-resolvable interface
//! object that only returns references, and `__typename` resolved from the
//! owner of the interface.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) @join__type(graph: D) {
  media: [Media] @join__field(graph: A)
  topRated: [Media] @join__field(graph: B)
  featured: Media @join__field(graph: C)
}

interface Media
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id", isInterfaceObject: true)
  @join__type(graph: C, key: "id", isInterfaceObject: true, resolvable: false)
  @join__type(graph: D, key: "id", isInterfaceObject: true)
{
  id: ID!
  title: String @join__field(graph: A) @join__field(graph: B, external: true)
  stars: Int @join__field(graph: B)
  headline: String @join__field(graph: B, requires: "title")
  reviewCount: Int @join__field(graph: D)
}

type Book implements Media
  @join__implements(graph: A, interface: "Media")
  @join__type(graph: A, key: "id")
{
  id: ID!
  title: String
  author: String
  stars: Int @join__field
  headline: String @join__field
  reviewCount: Int @join__field
}

type Movie implements Media
  @join__implements(graph: A, interface: "Media")
  @join__type(graph: A, key: "id")
{
  id: ID!
  title: String
  director: String
  stars: Int @join__field
  headline: String @join__field
  reviewCount: Int @join__field
}
"#;

fn catalogue() -> Value {
    json!({
        "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "author": "Herbert"},
        "m1": {"__typename": "Movie", "id": "m1", "title": "Alien", "director": "Scott"}
    })
}

fn subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::new(
        "a",
        "type Query { media: [Media] }
         interface Media { id: ID! title: String }
         type Book implements Media { id: ID! title: String author: String }
         type Movie implements Media { id: ID! title: String director: String }",
    )
    .query(json!({"media": [catalogue()["b1"], catalogue()["m1"]]}))
    .entities(&["Book", "Movie"], |repr| {
        // `Media` representations: the owner answers with the concrete type.
        Ok(catalogue()[repr["id"].as_str().unwrap_or_default()].clone())
    });
    let b = Subgraph::new(
        "b",
        "type Query { topRated: [Media] }
         type Media { id: ID! title: String stars: Int headline: String }",
    )
    .query(json!({"topRated": [{"id": "m1", "stars": 5}, {"id": "b1", "stars": 4}]}))
    .entities(&["Media"], |repr| {
        if repr["__typename"] != "Media" {
            return Err(format!("expected a Media representation, got {repr}"));
        }
        let id = repr["id"].as_str().unwrap_or_default();
        let mut out = json!({"id": id, "stars": if id == "m1" { 5 } else { 4 }});
        if let Some(title) = repr.get("title") {
            out["headline"] = json!(format!("★ {}", title.as_str().ok_or("title is required")?));
        }
        Ok(out)
    });
    let c = Subgraph::new(
        "c",
        "type Query { featured: Media }\n type Media { id: ID! }",
    )
    .query(json!({"featured": {"id": "b1"}}));
    let d = Subgraph::new("d", "type Query\n type Media { id: ID! reviewCount: Int }").entities(
        &["Media"],
        |repr| {
            if repr["__typename"] != "Media" {
                return Err(format!("expected a Media representation, got {repr}"));
            }
            Ok(json!({"id": repr["id"], "reviewCount": if repr["id"] == "b1" { 12 } else { 3 }}))
        },
    );
    vec![a, b, c, d]
}

#[tokio::test]
async fn interface_object_with_requires_and_a_second_extension() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query(
            "{ media { __typename id title stars headline reviewCount ... on Book { author } } }",
        )
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"media": [
            {"__typename": "Book", "id": "b1", "title": "Dune", "stars": 4, "headline": "★ Dune", "reviewCount": 12, "author": "Herbert"},
            {"__typename": "Movie", "id": "m1", "title": "Alien", "stars": 5, "headline": "★ Alien", "reviewCount": 3}
        ]}}),
        "{}",
        body["__plan"]
    );
}

#[tokio::test]
async fn typename_from_an_interface_object_comes_from_the_owner() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query("{ topRated { __typename id stars headline ... on Movie { director } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"topRated": [
            {"__typename": "Movie", "id": "m1", "stars": 5, "headline": "★ Alien", "director": "Scott"},
            {"__typename": "Book", "id": "b1", "stars": 4, "headline": "★ Dune"}
        ]}}),
        "{}",
        body["__plan"]
    );
    // Only the interface's own fields: still a concrete `__typename`.
    let body = scenario.query("{ topRated { __typename stars } }").await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"topRated": [
            {"__typename": "Movie", "stars": 5},
            {"__typename": "Book", "stars": 4}
        ]}}),
        "{}",
        body["__plan"]
    );
}

#[tokio::test]
async fn non_resolvable_interface_object_references() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query("{ featured { __typename id title stars reviewCount ... on Book { author } } }")
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"featured": {
            "__typename": "Book", "id": "b1", "title": "Dune", "stars": 4, "reviewCount": 12, "author": "Herbert"
        }}}),
        "{}",
        body["__plan"]
    );
    let body = scenario.query("{ featured { id } }").await;
    assert_eq!(response(body), json!({"data": {"featured": {"id": "b1"}}}));
}
