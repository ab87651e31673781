//! The dev platform over Redis (`TESSERA_TEST_REDIS_URL`; set but
//! unreachable fails): every service relays its outbox to its stream and the
//! consumers read through their groups — an order placed and cancelled
//! through the router reaches notifications and inventory's analytics, and
//! a wishlisted product back in stock notifies its wisher.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use tessera_cli::dev::{DevOptions, start};
use tessera_tests::{assert_no_errors, gql};

async fn until(mut probe: impl AsyncFnMut() -> Option<Value>) -> Option<Value> {
    for _ in 0..200 {
        if let Some(found) = probe().await {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_flow_through_redis_streams() {
    let Ok(url) = std::env::var("TESSERA_TEST_REDIS_URL") else {
        eprintln!("TESSERA_TEST_REDIS_URL is not set: the Redis flow test runs in CI");
        return;
    };
    let client = redis::Client::open(url.as_str()).unwrap();
    tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .unwrap_or_else(|_| panic!("TESSERA_TEST_REDIS_URL={url} does not answer"))
    .unwrap_or_else(|e| panic!("TESSERA_TEST_REDIS_URL={url} is unreachable: {e}"));
    let dir = std::env::temp_dir().join(format!(
        "tessera-dev-redis-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let platform = start(&DevOptions {
        redis_url: Some(url.clone()),
        storefront: None,
        ..DevOptions::on_free_ports(dir.clone())
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let router = platform.router.graphql_url();
    let log_in = |email: &str| {
        let (http, router) = (http.clone(), router.clone());
        let query = format!(
            "mutation {{ logIn(input: {{email: \"{email}\", password: \"tessera-demo\"}}) {{ token }} }}"
        );
        async move {
            let r = gql(&http, &router, &query, json!({}), None).await;
            assert_no_errors(&r);
            r.data()["logIn"]["token"].as_str().unwrap().to_owned()
        }
    };
    let edsger = log_in("edsger@tessera.dev").await;
    let admin = log_in("admin@tessera.dev").await;

    // An order placed and cancelled: a notification each, and analytics.
    let lamp = "01900000-0000-7000-8002-000000000003";
    let r = gql(
        &http,
        &router,
        "mutation($p: ID!) { placeOrder(input: {lines: [{productId: $p, quantity: 2}]}) { id } }",
        json!({"p": lamp}),
        Some(&edsger),
    )
    .await;
    assert_no_errors(&r);
    let order = r.data()["placeOrder"]["id"].as_str().unwrap().to_owned();
    let r = gql(
        &http,
        &router,
        "mutation($id: ID!) { cancelOrder(id: $id) { id } }",
        json!({"id": order}),
        Some(&edsger),
    )
    .await;
    assert_no_errors(&r);
    let kinds = until(async || {
        let r = gql(
            &http,
            &router,
            "{ me { notifications { edges { node { kind } } } } }",
            json!({}),
            Some(&edsger),
        )
        .await;
        let kinds: Vec<Value> = r.data()["me"]["notifications"]["edges"]
            .as_array()?
            .iter()
            .map(|e| e["node"]["kind"].clone())
            .collect();
        (kinds.len() >= 2).then(|| Value::Array(kinds))
    })
    .await;
    assert_eq!(kinds, Some(json!(["ORDER_CANCELLED", "ORDER_PLACED"])));
    let sold = until(async || {
        let r = gql(
            &http,
            &router,
            "query($p: ID!) { ordersPerDay(days: 1) { orders } product(id: $p) { unitsSold } }",
            json!({"p": lamp}),
            Some(&admin),
        )
        .await;
        // Placed then cancelled: back to zero, once both were applied.
        let day = r.data()["ordersPerDay"][0]["orders"].clone();
        (day == json!(0)).then(|| r.data()["product"]["unitsSold"].clone())
    })
    .await;
    assert_eq!(sold, Some(json!(0)));

    // Wishlisted, sold out, restocked: the wisher hears of it.
    let r = gql(
        &http,
        &router,
        "mutation { createProduct(input: {sku: \"REDIS-RARE\", name: \"Rare\", priceCents: 100, weightGrams: 100, stock: 0}) { id } }",
        json!({}),
        Some(&admin),
    )
    .await;
    assert_no_errors(&r);
    let rare = r.data()["createProduct"]["id"].as_str().unwrap().to_owned();
    let r = gql(
        &http,
        &router,
        "mutation($p: ID!) { addToWishlist(productId: $p) { id } }",
        json!({"p": rare}),
        Some(&edsger),
    )
    .await;
    assert_no_errors(&r);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let r = gql(
        &http,
        &router,
        "mutation($p: ID!) { restock(productId: $p, quantity: 3) { stock } }",
        json!({"p": rare}),
        Some(&admin),
    )
    .await;
    assert_no_errors(&r);
    let back = until(async || {
        let r = gql(
            &http,
            &router,
            "{ me { notifications(first: 1) { edges { node { kind product { name } } } } } }",
            json!({}),
            Some(&edsger),
        )
        .await;
        let node = r.data()["me"]["notifications"]["edges"][0]["node"].clone();
        (node["kind"] == "BACK_IN_STOCK").then_some(node)
    })
    .await;
    assert_eq!(
        back,
        Some(json!({"kind": "BACK_IN_STOCK", "product": {"name": "Rare"}}))
    );
    platform.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
