//! Enum and input-object intersections across subgraphs, and variables inside
//! fetches: forwarded only to the subgraphs whose fetch uses them, lists,
//! operation defaults, absent variables, `@skip(if: $v)` on entity fields.

use crate::federation_kit;

use federation_kit::{Scenario, Subgraph, response};
use serde_json::{Value, json};

const TYPES: &str = r#"
type Query @join__type(graph: A) @join__type(graph: B) {
  users(filter: UserFilter): [User] @join__field(graph: A)
  usersByIds(ids: [ID!]!): [User] @join__field(graph: A)
  bots: [User] @join__field(graph: B)
}

enum Role @join__type(graph: A) @join__type(graph: B) {
  ADMIN @join__enumValue(graph: A) @join__enumValue(graph: B)
  MEMBER @join__enumValue(graph: A) @join__enumValue(graph: B)
  ROBOT @join__enumValue(graph: B) @inaccessible
}

input UserFilter @join__type(graph: A) @join__type(graph: B) {
  role: Role
  namePrefix: String
}

type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  name: String @join__field(graph: A)
  role: Role @join__field(graph: B)
  friends(filter: UserFilter, first: Int = 2): [User] @join__field(graph: B)
}
"#;

fn people() -> Value {
    json!([
        {"id": "u1", "name": "Ada", "role": "ADMIN"},
        {"id": "u2", "name": "Alan", "role": "MEMBER"},
        {"id": "u3", "name": "Bob", "role": "ROBOT"},
        {"id": "u4", "name": "Ann", "role": "MEMBER"}
    ])
}

fn matches(user: &Value, filter: &Value) -> bool {
    (filter["role"].is_null() || filter["role"] == user["role"])
        && filter["namePrefix"]
            .as_str()
            .is_none_or(|p| user["name"].as_str().unwrap_or_default().starts_with(p))
}

fn subgraphs() -> Vec<Subgraph> {
    let a = Subgraph::new(
        "a",
        "type Query { users(filter: UserFilter): [User] usersByIds(ids: [ID!]!): [User] }
         enum Role { ADMIN MEMBER }
         input UserFilter { role: Role namePrefix: String }
         type User { id: ID! name: String }",
    )
    .resolve(|call| match call.field {
        "users" => Some(Ok(Value::Array(
            people()
                .as_array()
                .into_iter()
                .flatten()
                .filter(|u| matches(u, &call.args["filter"]))
                .map(|u| json!({"id": u["id"], "name": u["name"]}))
                .collect(),
        ))),
        "usersByIds" => Some(Ok(Value::Array(
            call.args["ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| {
                    people()
                        .as_array()?
                        .iter()
                        .find(|u| &u["id"] == id)
                        .cloned()
                })
                .map(|u| json!({"id": u["id"], "name": u["name"]}))
                .collect(),
        ))),
        _ => None,
    })
    .entities(&["User"], |repr| {
        Ok(people()
            .as_array()
            .and_then(|all| all.iter().find(|u| u["id"] == repr["id"]))
            .map(|u| json!({"id": u["id"], "name": u["name"]}))
            .unwrap_or(Value::Null))
    });
    let b = Subgraph::new(
        "b",
        "type Query { bots: [User] }
         enum Role { ADMIN MEMBER ROBOT }
         input UserFilter { role: Role namePrefix: String }
         type User { id: ID! role: Role friends(filter: UserFilter, first: Int = 2): [User] }",
    )
    .query(json!({"bots": [{"id": "u3", "role": "ROBOT"}]}))
    .resolve(|call| match call.field {
        "friends" => {
            let first = call.args["first"].as_u64().unwrap_or(0) as usize;
            Some(Ok(Value::Array(
                people()
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|u| u["id"] != call.parent["id"])
                    .filter(|u| {
                        // Names are A's: B filters by role only.
                        call.args["filter"]["role"].is_null()
                            || call.args["filter"]["role"] == u["role"]
                    })
                    .take(first)
                    .map(|u| json!({"id": u["id"]}))
                    .collect(),
            )))
        }
        _ => None,
    })
    .entities(&["User"], |repr| {
        Ok(people()
            .as_array()
            .and_then(|all| all.iter().find(|u| u["id"] == repr["id"]))
            .map(|u| json!({"id": u["id"], "role": u["role"]}))
            .unwrap_or(Value::Null))
    });
    vec![a, b]
}

#[tokio::test]
async fn input_objects_and_enums_are_forwarded_with_their_variable_values() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .run(
            "query Q($f: UserFilter) { users(filter: $f) { id name role } }",
            json!({"f": {"role": "MEMBER", "namePrefix": "A"}}),
        )
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"users": [
            {"id": "u2", "name": "Alan", "role": "MEMBER"},
            {"id": "u4", "name": "Ann", "role": "MEMBER"}
        ]}}),
        "{}",
        body["__plan"]
    );
    let sent = scenario.subgraph("a").received();
    assert_eq!(
        sent[0].1,
        json!({"f": {"role": "MEMBER", "namePrefix": "A"}})
    );
    // Inline input objects with enum literals work the same.
    let body = scenario
        .query("{ users(filter: {role: ADMIN}) { name } }")
        .await;
    assert_eq!(
        response(body),
        json!({"data": {"users": [{"name": "Ada"}]}})
    );
}

#[tokio::test]
async fn inaccessible_enum_values_are_refused_in_input_and_are_field_errors_in_output() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .query("{ users(filter: {role: ROBOT}) { id } }")
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body:#}"
    );
    let body = scenario
        .run(
            "query($f: UserFilter) { users(filter: $f) { id } }",
            json!({"f": {"role": "ROBOT"}}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
    assert!(scenario.subgraph("a").received().is_empty());

    // A value only B knows, and clients cannot see: the field is null with a
    // field error (enum result coercion, spec §3.9) that does not name it.
    let body = scenario.query("{ users { id role } }").await;
    assert_eq!(
        body["data"],
        json!({"users": [
            {"id": "u1", "role": "ADMIN"},
            {"id": "u2", "role": "MEMBER"},
            {"id": "u3", "role": null},
            {"id": "u4", "role": "MEMBER"}
        ]}),
        "{body:#}"
    );
    assert_eq!(
        body["errors"][0]["path"],
        json!(["users", 2, "role"]),
        "{body:#}"
    );
    assert!(!body.to_string().contains("ROBOT"), "{body:#}");
    let body = scenario.query("{ bots { id role } }").await;
    assert_eq!(body["data"], json!({"bots": [{"id": "u3", "role": null}]}));
    assert_eq!(
        body["errors"][0]["path"],
        json!(["bots", 0, "role"]),
        "{body:#}"
    );
}

#[tokio::test]
async fn nested_variables_go_only_to_the_subgraph_that_uses_them() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .run(
            "query Q($prefix: String, $f: UserFilter, $n: Int) {
               users(filter: {namePrefix: $prefix}) { id friends(filter: $f, first: $n) { id name } }
             }",
            json!({"prefix": "Ad", "f": {"role": "MEMBER"}, "n": 1, "extra": "x"}),
        )
        .await;
    assert_eq!(
        response(body.clone()),
        json!({"data": {"users": [{"id": "u1", "friends": [{"id": "u2", "name": "Alan"}]}]}}),
        "{}",
        body["__plan"]
    );
    let a = scenario.subgraph("a").received();
    let b = scenario.subgraph("b").received();
    assert_eq!(a[0].1, json!({"prefix": "Ad"}), "{a:?}");
    assert!(!a[0].0.contains("$f") && !a[0].0.contains("$n"), "{a:?}");
    let b_vars = b[0].1.as_object().cloned().unwrap_or_default();
    assert_eq!(b_vars.get("f"), Some(&json!({"role": "MEMBER"})), "{b:?}");
    assert_eq!(b_vars.get("n"), Some(&json!(1)), "{b:?}");
    assert!(!b_vars.contains_key("prefix") && !b_vars.contains_key("extra"));
    // An operation declaring a variable it does not use is invalid (spec §5.8.4).
    let body = scenario
        .query("query($unused: String) { users { id } }")
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body:#}"
    );
}

#[tokio::test]
async fn list_variables_defaults_and_absent_variables() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let body = scenario
        .run(
            "query($ids: [ID!]!) { usersByIds(ids: $ids) { id name } }",
            json!({"ids": ["u4", "u1"]}),
        )
        .await;
    assert_eq!(
        response(body),
        json!({"data": {"usersByIds": [{"id": "u4", "name": "Ann"}, {"id": "u1", "name": "Ada"}]}})
    );
    // A single value for a list variable is coerced to a list (spec §3.11).
    let body = scenario
        .run(
            "query($ids: [ID!]!) { usersByIds(ids: $ids) { id } }",
            json!({"ids": "u2"}),
        )
        .await;
    assert_eq!(
        response(body),
        json!({"data": {"usersByIds": [{"id": "u2"}]}})
    );

    // The operation's default applies in the nested fetch.
    let body = scenario
        .query("query($n: Int = 1) { users(filter: {namePrefix: \"Ada\"}) { friends(first: $n) { id } } }")
        .await;
    assert_eq!(
        response(body),
        json!({"data": {"users": [{"friends": [{"id": "u2"}]}]}})
    );
    // An absent variable without default leaves the argument's own default (2).
    let body = scenario
        .query(
            "query($n: Int) { users(filter: {namePrefix: \"Ada\"}) { friends(first: $n) { id } } }",
        )
        .await;
    assert_eq!(
        response(body),
        json!({"data": {"users": [{"friends": [{"id": "u2"}, {"id": "u3"}]}]}})
    );
}

#[tokio::test]
async fn skip_on_an_entity_fetched_field() {
    let scenario = Scenario::start(subgraphs(), TYPES).await;
    let query = "query($skip: Boolean!) { users(filter: {namePrefix: \"A\"}) { id role @skip(if: $skip) } }";
    let body = scenario.run(query, json!({"skip": true})).await;
    assert_eq!(
        response(body),
        json!({"data": {"users": [{"id": "u1"}, {"id": "u2"}, {"id": "u4"}]}})
    );
    assert!(scenario.subgraph("b").received().is_empty());
    let body = scenario.run(query, json!({"skip": false})).await;
    assert_eq!(
        response(body),
        json!({"data": {"users": [
            {"id": "u1", "role": "ADMIN"}, {"id": "u2", "role": "MEMBER"}, {"id": "u4", "role": "MEMBER"}
        ]}})
    );
    // Without the variable, a default in the operation decides.
    let body = scenario
        .query("query($skip: Boolean = true) { users(filter: {namePrefix: \"Ad\"}) { id role @include(if: $skip) } }")
        .await;
    assert_eq!(
        response(body),
        json!({"data": {"users": [{"id": "u1", "role": "ADMIN"}]}})
    );
}
