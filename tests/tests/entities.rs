//! `_entities` for every entity and every key each subgraph resolves: what the
//! router sends when it joins subgraphs.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tessera_tests::{Platform, assert_no_errors, backends, gql};

const USER_REPS: &str =
    "query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on User { id name } } }";
const PRODUCT_REPS: &str = "query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Product { id sku name stock } } }";
const ORDER_REPS: &str = "query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Order { id totalCents } } }";

#[tokio::test]
async fn every_entity_and_key_resolves() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        p.seed_demo().await;
        let users = tessera_kit::demo::users();
        let products = tessera_kit::demo::products();
        let unknown = tessera_kit::ids::new_id();

        // users: User by id; unknown ids resolve to null, in order.
        let r = gql(
            &p.http,
            &p.users.url(),
            USER_REPS,
            json!({"r": [{"__typename": "User", "id": users[1].id}, {"__typename": "User", "id": unknown}, {"__typename": "User", "id": users[0].id}]}),
            None,
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(
            r.data()["_entities"],
            json!([{"__typename": "User", "id": users[1].id, "name": "Grace Hopper"}, null, {"__typename": "User", "id": users[0].id, "name": "Ada Admin"}]),
            "{}",
            backend.name()
        );

        // inventory: Product by id and by sku.
        let r = gql(
            &p.http,
            &p.inventory.url(),
            PRODUCT_REPS,
            json!({"r": [{"__typename": "Product", "id": products[3].id}, {"__typename": "Product", "sku": products[4].sku}, {"__typename": "Product", "sku": "NOPE"}]}),
            None,
        )
        .await;
        assert_no_errors(&r);
        let e = &r.data()["_entities"];
        assert_eq!(e[0]["sku"], products[3].sku.as_str());
        assert_eq!(e[1]["id"], products[4].id.as_str());
        assert_eq!(e[2], json!(null));

        // inventory: User (extended with restocks).
        let r = gql(
            &p.http,
            &p.inventory.url(),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }",
            json!({"r": [{"__typename": "User", "id": users[0].id}]}),
            None,
        )
        .await;
        assert_eq!(r.data()["_entities"], json!([{"id": users[0].id}]));

        // orders: Product with its @requires inputs (zone-aware shipping estimate).
        let r = gql(
            &p.http,
            &p.orders.url(),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id shippingEstimateCents } } }",
            json!({"r": [{"__typename": "Product", "id": products[0].id, "weightGrams": 1000, "warehouseZone": "US-1"}]}),
            None,
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(r.data()["_entities"][0]["shippingEstimateCents"], 699 + 120);
        // Without them, a clear error rather than a wrong number.
        let r = gql(
            &p.http,
            &p.orders.url(),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { shippingEstimateCents } } }",
            json!({"r": [{"__typename": "Product", "id": products[0].id}]}),
            None,
        )
        .await;
        assert_eq!(r.code(), Some("BAD_USER_INPUT"), "{}", r.body);

        // orders: Order by id, only for its owner.
        let order = &tessera_kit::demo::orders()[0];
        let owner = tessera_tests::token_for(&order.user_id, &[]);
        let stranger = tessera_tests::token_for(&users[3].id, &[]);
        let reps = json!({"r": [{"__typename": "Order", "id": order.id}]});
        let r = gql(
            &p.http,
            &p.orders.url(),
            ORDER_REPS,
            reps.clone(),
            Some(&owner),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(r.data()["_entities"][0]["id"], order.id.as_str());
        assert!(r.data()["_entities"][0]["totalCents"].as_i64().unwrap() > 0);
        for token in [Some(stranger.as_str()), None] {
            let r = gql(&p.http, &p.orders.url(), ORDER_REPS, reps.clone(), token).await;
            assert_eq!(r.data()["_entities"], json!([null]));
        }

        // orders: User (extended with orders).
        let r = gql(
            &p.http,
            &p.orders.url(),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id orders { edges { node { id } } } } } }",
            json!({"r": [{"__typename": "User", "id": order.user_id}]}),
            Some(&owner),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(
            r.data()["_entities"][0]["orders"]["edges"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        p.shutdown().await;
    }
}
