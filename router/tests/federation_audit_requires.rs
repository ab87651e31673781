//! Scenarios of the federation gateway audit about `@requires`, reproduced with
//! our own subgraphs and composed with our composition: `requires-circular`
//! (a field requiring a field that itself requires data from the first subgraph).

mod federation_kit;

use federation_kit::{Scenario, Subgraph, check};
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
