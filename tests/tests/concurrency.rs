//! Stock never goes negative: 50 concurrent `placeOrder` calls for a product
//! with 10 units, on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tessera_tests::{Backend, Platform, assert_no_errors, gql, postgres_url};

async fn fifty_buyers_ten_units(backend: Backend) {
    let p = Platform::start(&backend).await;
    let product = p.create_product("HOT-1", "Hot item", 999, 10).await;
    let mut buyers = Vec::new();
    for i in 0..50 {
        buyers.push(p.sign_up(&format!("Buyer{i}")).await);
    }
    let orders_url = p.orders.url();
    let attempts = buyers.iter().map(|(token, _)| {
        gql(
            &p.http,
            &orders_url,
            "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }",
            json!({"i": {"lines": [{"productId": product, "quantity": 1}]}}),
            Some(token.as_str()),
        )
    });
    let results = futures::future::join_all(attempts).await;
    let ok = results
        .iter()
        .filter(|r| r.body.get("errors").is_none())
        .count();
    let codes: Vec<_> = results
        .iter()
        .filter_map(|r| r.code().map(str::to_owned))
        .collect();
    assert_eq!(ok, 10, "{}: {codes:?}", backend.name());
    assert_eq!(codes.len(), 40);
    assert!(codes.iter().all(|c| c == "INSUFFICIENT_STOCK"), "{codes:?}");

    let r = gql(
        &p.http,
        &p.inventory.url(),
        "query($id: ID!) { product(id: $id) { stock } }",
        json!({"id": product}),
        None,
    )
    .await;
    assert_no_errors(&r);
    assert_eq!(r.data()["product"]["stock"], 0);

    // Exactly the ten winners have an order; the losers have none.
    let mut orders = 0;
    for (token, user_id) in &buyers {
        let r = gql(
            &p.http,
            &p.orders.url(),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { edges { node { lines { quantity } } } } } } }",
            json!({"r": [{"__typename": "User", "id": user_id}]}),
            Some(token.as_str()),
        )
        .await;
        assert_no_errors(&r);
        orders += r.data()["_entities"][0]["orders"]["edges"]
            .as_array()
            .unwrap()
            .len();
    }
    assert_eq!(orders, 10);
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_oversell_sqlite() {
    fifty_buyers_ten_units(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_oversell_postgres() {
    match postgres_url() {
        Some(url) => fifty_buyers_ten_units(Backend::Postgres(url)).await,
        None => eprintln!(
            "{} not set: PostgreSQL leg not run",
            tessera_tests::POSTGRES_ENV
        ),
    }
}
