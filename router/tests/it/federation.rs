//! Federation behaviour end to end: entities (single, multiple, compound keys),
//! `@requires`, `@provides`, shared root fields, `@override`, abstract types across
//! subgraphs, `@inaccessible`.

use crate::common;

use serde_json::json;

#[tokio::test]
async fn entity_fetches_join_three_subgraphs() {
    let stack = common::stack().await;
    let body = stack
        .query("{ topProducts(first: 1) { upc name inStock reviews { body author { name username } } } }")
        .await;
    assert_eq!(
        body,
        json!({"data": {"topProducts": [
            {"upc": "1", "name": "Table", "inStock": true, "reviews": [
                {"body": "Sturdy", "author": {"name": "Ada Lovelace", "username": "ada"}}
            ]}
        ]}})
    );
}

#[tokio::test]
async fn entities_without_failing_fields_merge_fully() {
    let stack = common::stack().await;
    let body = stack
        .query("{ topProducts { upc name inStock reviewCount } }")
        .await;
    assert_eq!(
        body["data"]["topProducts"],
        json!([
            {"upc": "1", "name": "Table", "inStock": true, "reviewCount": 1},
            {"upc": "2", "name": "Couch", "inStock": false, "reviewCount": 2},
            {"upc": "3", "name": "Chair", "inStock": true, "reviewCount": 0}
        ]),
        "{body:#}"
    );
    assert!(body.get("errors").is_none(), "{body:#}");
}

#[tokio::test]
async fn requires_sends_required_fields_to_the_requiring_subgraph() {
    let stack = common::stack().await;
    let body = stack
        .query("{ topProducts { name shippingEstimate } }")
        .await;
    assert_eq!(
        body,
        json!({"data": {"topProducts": [
            {"name": "Table", "shippingEstimate": 10},
            {"name": "Couch", "shippingEstimate": 0},
            {"name": "Chair", "shippingEstimate": 5}
        ]}})
    );
}

#[tokio::test]
async fn a_second_key_resolves_entities_reached_by_it() {
    let stack = common::stack().await;
    let body = stack
        .query(r#"{ productBySku(sku: "S3") { sku name inStock reviewCount } }"#)
        .await;
    assert_eq!(
        body,
        json!({"data": {"productBySku": {"sku": "S3", "name": "Chair", "inStock": true, "reviewCount": 0}}})
    );
}

#[tokio::test]
async fn compound_keys_resolve_entities() {
    let stack = common::stack().await;
    let body = stack
        .query(r#"{ product(upc: "3") { warehouse { region code name } } }"#)
        .await;
    assert_eq!(
        body,
        json!({"data": {"product": {"warehouse": {"region": "us", "code": "A1", "name": "us-A1 depot"}}}})
    );
}

#[tokio::test]
async fn provides_avoids_a_fetch_to_the_owning_subgraph() {
    let stack = common::stack().await;
    let body = stack
        .query_with_plan("{ latestReviews { body author { username } } }")
        .await;
    assert_eq!(
        body["data"]["latestReviews"],
        json!([
            {"body": "Sturdy", "author": {"username": "ada"}},
            {"body": "Who wrote this?", "author": {"username": "broken"}},
            {"body": "Comfy", "author": {"username": "grace"}}
        ]),
        "{body:#}"
    );
    let services = common::fetched_services(&body["extensions"]["queryPlan"]);
    assert_eq!(services, vec!["reviews"], "{body:#}");
}

#[tokio::test]
async fn shareable_root_fields_resolve_from_one_subgraph() {
    let stack = common::stack().await;
    let body = stack.query("{ version }").await;
    let version = body["data"]["version"].as_str().unwrap_or_default();
    assert!(
        version == "accounts-1" || version == "products-1",
        "{body:#}"
    );
}

#[tokio::test]
async fn override_takes_the_field_from_the_overriding_subgraph() {
    let stack = common::stack().await;
    let body = stack
        .query_with_plan(r#"{ product(upc: "2") { reviewCount } }"#)
        .await;
    assert_eq!(
        body["data"],
        json!({"product": {"reviewCount": 2}}),
        "{body:#}"
    );
    assert_eq!(
        common::fetched_services(&body["extensions"]["queryPlan"]),
        vec!["products", "reviews"]
    );
}

#[tokio::test]
async fn unions_route_type_conditions_to_other_subgraphs() {
    let stack = common::stack().await;
    let body = stack
        .query(
            r#"{ search(term: "ch") {
                __typename
                ... on Product { name inStock }
                ... on Category { name }
            } }"#,
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"search": [
            {"__typename": "Product", "name": "Couch", "inStock": false},
            {"__typename": "Product", "name": "Chair", "inStock": true},
            {"__typename": "Category", "name": "ch"}
        ]}})
    );
}

#[tokio::test]
async fn interfaces_project_shared_and_type_specific_fields() {
    let stack = common::stack().await;
    let body = stack
        .query("{ deals { price ... on Product { name shippingEstimate } } }")
        .await;
    assert_eq!(
        body,
        json!({"data": {"deals": [
            {"price": 899, "name": "Table", "shippingEstimate": 10},
            {"price": 54, "name": "Chair", "shippingEstimate": 5}
        ]}})
    );
}

#[tokio::test]
async fn inaccessible_fields_are_hidden_from_validation_and_introspection() {
    let stack = common::stack().await;
    let reply = stack.request("{ me { internalNote } }", json!({})).await;
    let codes = reply.codes();
    assert!(!codes.is_empty(), "{:#}", reply.body);
    assert!(
        codes.iter().all(|c| c == "GRAPHQL_VALIDATION_FAILED"),
        "{:#}",
        reply.body
    );
    assert!(reply.body.get("data").is_none());

    let body = stack
        .query(r#"{ __type(name: "User") { fields { name } } }"#)
        .await;
    let fields: Vec<&str> = body["data"]["__type"]["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, vec!["id", "name", "username", "reviews"]);
    let body = stack
        .query(r#"{ __schema { types { name } directives { name } } }"#)
        .await;
    let text = body.to_string();
    assert!(!text.contains("join__"), "{text}");
    assert!(!text.contains("link__"), "{text}");
    assert!(!text.contains("inaccessible"), "{text}");
}

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

#[tokio::test]
async fn batched_entity_fetches_answer_several_paths_at_once() {
    let stack = common::stack().await;
    let body = stack
        .query_with_plan("{ me { reviews { body } } topProducts { reviewCount } }")
        .await;
    assert_eq!(
        body["data"],
        json!({"me": {"reviews": [{"body": "Sturdy"}]}, "topProducts": [
            {"reviewCount": 1}, {"reviewCount": 2}, {"reviewCount": 0}
        ]}),
        "{body:#}"
    );
    let plan = body["extensions"]["queryPlan"].to_string();
    assert!(plan.contains("BatchFetch"), "{plan}");
}

#[tokio::test]
async fn response_fields_follow_the_selection_order() {
    let stack = common::stack().await;
    let response = stack
        .http
        .post(stack.graphql_url())
        .json(&json!({"query": r#"{ product(upc: "1") { weight name inStock upc } }"#}))
        .send()
        .await
        .expect("router reachable");
    let text = response.text().await.expect("body");
    assert_eq!(
        text,
        r#"{"data":{"product":{"weight":100,"name":"Table","inStock":true,"upc":"1"}}}"#
    );
}
