//! Operation semantics end to end: mutations in order, `@skip`/`@include`,
//! aliases and fragments, variables, null propagation with re-pathed subgraph
//! errors, introspection, GET.

use crate::common;

use serde_json::json;

#[tokio::test]
async fn mutation_root_fields_run_in_order_across_subgraphs() {
    let stack = common::stack().await;
    let body = stack
        .query(
            r#"mutation {
                first: logAccounts(entry: "1")
                second: logProducts(entry: "2")
                third: logAccounts(entry: "3")
                fourth: logProducts(entry: "4")
            }"#,
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {
            "first": ["1"],
            "second": ["1", "2"],
            "third": ["1", "2", "3"],
            "fourth": ["1", "2", "3", "4"]
        }})
    );
}

#[tokio::test]
async fn skip_and_include_follow_variables() {
    let stack = common::stack().await;
    let query = r#"query($withStock: Boolean!, $skipName: Boolean!) {
        product(upc: "1") {
            name @skip(if: $skipName)
            inStock @include(if: $withStock)
            reviews @include(if: $withStock) { body }
        }
    }"#;
    let reply = stack
        .request(query, json!({"withStock": true, "skipName": true}))
        .await;
    assert_eq!(
        reply.body,
        json!({"data": {"product": {"inStock": true, "reviews": [{"body": "Sturdy"}]}}})
    );
    let reply = stack
        .request(query, json!({"withStock": false, "skipName": false}))
        .await;
    assert_eq!(reply.body, json!({"data": {"product": {"name": "Table"}}}));
}

#[tokio::test]
async fn aliases_and_fragments_shape_the_response() {
    let stack = common::stack().await;
    let body = stack
        .query(
            r#"
            query Shop {
                cheap: product(upc: "3") { ...Card label: name }
                pricey: product(upc: "2") { ... on Product { title: name available: inStock } }
            }
            fragment Card on Product { id: upc title: name available: inStock }
            "#,
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {
            "cheap": {"id": "3", "title": "Chair", "available": true, "label": "Chair"},
            "pricey": {"title": "Couch", "available": false}
        }})
    );
}

#[tokio::test]
async fn the_named_operation_is_executed() {
    let stack = common::stack().await;
    let reply = stack
        .post(json!({
            "query": "query A { me { name } } query B { version }",
            "operationName": "A"
        }))
        .await;
    assert_eq!(
        reply.body,
        json!({"data": {"me": {"name": "Ada Lovelace"}}})
    );
    let reply = stack
        .post(json!({"query": "query A { me { name } } query B { version }"}))
        .await;
    assert_eq!(
        reply.codes(),
        vec!["OPERATION_NOT_FOUND"],
        "{:#}",
        reply.body
    );
}

#[tokio::test]
async fn null_propagates_to_the_nearest_nullable_parent_with_a_repathed_error() {
    let stack = common::stack().await;
    // r2's author (u3) fails on the accounts subgraph; `author: User!` so the review
    // itself becomes null, and `latestReviews: [Review]!` allows that.
    let body = stack
        .query("{ latestReviews { body author { name } } }")
        .await;
    assert_eq!(
        body["data"],
        json!({"latestReviews": [
            {"body": "Sturdy", "author": {"name": "Ada Lovelace"}},
            null,
            {"body": "Comfy", "author": {"name": "Grace Hopper"}}
        ]}),
        "{body:#}"
    );
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(
        errors[0]["path"],
        json!(["latestReviews", 1, "author", "name"])
    );
    assert_eq!(errors[0]["extensions"]["serviceName"], "accounts");
}

#[tokio::test]
async fn null_propagation_can_reach_data() {
    let stack = common::stack().await;
    // Product.reviews is [Review!]! and Query.topProducts [Product!]!: nothing
    // nullable between u3's name and the root.
    let body = stack
        .query(r#"{ topProducts { reviews { author { name } } } }"#)
        .await;
    assert_eq!(body["data"], serde_json::Value::Null, "{body:#}");
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn subgraph_errors_on_root_fields_keep_their_path() {
    let stack = common::stack().await;
    let body = stack.query(r#"{ user(id: "u3") { id name } }"#).await;
    assert_eq!(body["data"], json!({"user": null}), "{body:#}");
    assert_eq!(
        body["errors"][0]["path"],
        json!(["user", "name"]),
        "{body:#}"
    );
}

#[tokio::test]
async fn introspection_is_answered_by_the_router() {
    let stack = common::stack().await;
    let body = stack
        .query("{ __schema { queryType { name } mutationType { name } } __typename me { __typename id } }")
        .await;
    assert_eq!(
        body,
        json!({"data": {
            "__schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}},
            "__typename": "Query",
            "me": {"__typename": "User", "id": "u1"}
        }})
    );
}

#[tokio::test]
async fn introspection_can_be_disabled() {
    let stack = common::stack_with(|config, _| config.introspection = false).await;
    let reply = stack
        .request("{ __schema { types { name } } }", json!({}))
        .await;
    assert_eq!(reply.codes(), vec!["INTROSPECTION_DISABLED"]);
    assert!(reply.body.get("data").is_none());
    // __typename is not schema introspection.
    let body = stack.query("{ __typename me { id } }").await;
    assert_eq!(
        body,
        json!({"data": {"__typename": "Query", "me": {"id": "u1"}}})
    );
}

#[tokio::test]
async fn queries_work_over_get_but_mutations_do_not() {
    let stack = common::stack().await;
    let reply = stack
        .get(
            &[
                (
                    "query",
                    "query($upc: String!) { product(upc: $upc) { name } }",
                ),
                ("variables", r#"{"upc": "2"}"#),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, json!({"data": {"product": {"name": "Couch"}}}));

    let reply = stack
        .get(
            &[("query", r#"mutation { logAccounts(entry: "x") }"#)],
            None,
        )
        .await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.codes(), vec!["METHOD_NOT_ALLOWED"]);
    assert!(stack.log.0.lock().map(|l| l.is_empty()).unwrap_or(false));
}

#[tokio::test]
async fn identical_entities_are_fetched_once_and_answer_every_occurrence() {
    let stack = common::stack().await;
    // Reviews r2 and r3 both point at product 2: one representation, two merges.
    let body = stack
        .query("{ latestReviews { product { upc name } } }")
        .await;
    assert_eq!(
        body,
        json!({"data": {"latestReviews": [
            {"product": {"upc": "1", "name": "Table"}},
            {"product": {"upc": "2", "name": "Couch"}},
            {"product": {"upc": "2", "name": "Couch"}}
        ]}})
    );
}

#[tokio::test]
async fn cached_operations_bind_each_request_s_own_variables_and_method() {
    let stack = common::stack().await;
    let query = "query($upc: String!) { product(upc: $upc) { name } }";
    // The second and third requests hit the validated-operation cache.
    for (upc, name) in [("1", "Table"), ("2", "Couch"), ("1", "Table")] {
        let reply = stack.request(query, json!({"upc": upc})).await;
        assert_eq!(reply.body, json!({"data": {"product": {"name": name}}}));
    }
    let reply = stack.request(query, json!({"upc": 5})).await;
    assert_eq!(reply.codes(), vec!["BAD_USER_INPUT"], "{:#}", reply.body);
    let reply = stack.request(query, json!({})).await;
    assert_eq!(reply.codes(), vec!["BAD_USER_INPUT"], "{:#}", reply.body);

    // A mutation first sent (and cached) over POST is still refused over GET.
    let mutation = r#"mutation { logAccounts(entry: "cached") }"#;
    let body = stack.query(mutation).await;
    assert_eq!(body, json!({"data": {"logAccounts": ["cached"]}}));
    let reply = stack.get(&[("query", mutation)], None).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.codes(), vec!["METHOD_NOT_ALLOWED"]);
    let log = stack.log.0.lock().map(|l| l.clone()).unwrap_or_default();
    assert_eq!(log, vec!["cached".to_string()]);

    // Same text, other operation name: a separate entry.
    let two = "query A { product(upc: \"1\") { name } } query B { product(upc: \"2\") { name } }";
    for (name, expected) in [("A", "Table"), ("B", "Couch"), ("A", "Table")] {
        let reply = stack
            .post(json!({"query": two, "operationName": name}))
            .await;
        assert_eq!(
            reply.body,
            json!({"data": {"product": {"name": expected}}}),
            "{name}"
        );
    }
}

/// Regression (differential oracle, issue 15): when `@skip` / `@include`
/// leave no root field, the planner refused the empty selection and the
/// router answered 500 `QUERY_PLANNING_FAILED`; the spec answer is the
/// empty object (or only what is left, e.g. `__typename`).
#[tokio::test]
async fn every_root_field_skipped_answers_an_empty_object() {
    let stack = common::stack().await;
    for (query, variables, data) in [
        (
            "{ a: me @include(if: false) { name } }",
            json!({}),
            json!({}),
        ),
        (
            "{ me @skip(if: true) { name } topProducts @include(if: false) { name } }",
            json!({}),
            json!({}),
        ),
        (
            "query($s: Boolean!) { me @skip(if: $s) { name } ... @skip(if: $s) { topProducts { name } } }",
            json!({"s": true}),
            json!({}),
        ),
        (
            "query($s: Boolean!) { __typename me @skip(if: $s) { name } }",
            json!({"s": true}),
            json!({"__typename": "Query"}),
        ),
        (
            "query($i: Boolean = false) { ...Root } fragment Root on Query { me @include(if: $i) { name } }",
            json!({}),
            json!({}),
        ),
    ] {
        let reply = stack.request(query, variables.clone()).await;
        assert_eq!(reply.status, 200, "{query}: {:#}", reply.body);
        assert_eq!(reply.body, json!({"data": data}), "{query} {variables}");
    }
    // Not skipped: answered as usual.
    let reply = stack
        .request(
            "query($s: Boolean!) { me @skip(if: $s) { name } }",
            json!({"s": false}),
        )
        .await;
    assert_eq!(
        reply.body,
        json!({"data": {"me": {"name": "Ada Lovelace"}}}),
        "{:#}",
        reply.body
    );
}

/// Moved from `federation.rs` (its data is the `tessera-stack` suite's
/// "query plans are exposed" case): the plan is an extension only when
/// `expose_query_plan` is on.
#[tokio::test]
async fn query_plans_are_exposed_only_when_configured() {
    let stack = common::stack().await;
    let body = stack.query_with_plan("{ me { name } }").await;
    assert_eq!(
        body["extensions"]["queryPlan"]["kind"], "QueryPlan",
        "{body:#}"
    );

    let hidden = common::stack_with(|config, _| config.expose_query_plan = false).await;
    let body = hidden.query_with_plan("{ me { name } }").await;
    assert!(body.get("extensions").is_none(), "{body:#}");
}
