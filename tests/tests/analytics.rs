//! The analytics read model in inventory, built from the orders events:
//! `Product.unitsSold` (public), `Product.revenueCents` and `ordersPerDay`
//! (`analytics:read`), a cancellation subtracted, and a rebuild by replaying
//! every event into a reset consumer giving the same figures.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tessera_tests::{Platform, admin_token, assert_no_errors, backends, gql};

const PLACE: &str = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }";

async fn figures(p: &Platform, url: &str, products: &[String]) -> Value {
    let query = "query($a: ID!, $b: ID!) {
        a: product(id: $a) { unitsSold revenueCents }
        b: product(id: $b) { unitsSold revenueCents }
        ordersPerDay(days: 3) { orders revenueCents } }";
    let r = gql(
        &p.http,
        url,
        query,
        json!({"a": products[0], "b": products[1]}),
        Some(&admin_token()),
    )
    .await;
    assert_no_errors(&r);
    r.data().clone()
}

/// Figures once they equal `expected` (the consumer runs moments after).
async fn figures_become(p: &Platform, url: &str, products: &[String], expected: &Value) -> Value {
    let mut seen = figures(p, url, products).await;
    for _ in 0..100 {
        if &seen == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = figures(p, url, products).await;
    }
    seen
}

#[tokio::test]
async fn sales_follow_the_order_events_and_rebuild_by_replay() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let router = p.router().await;
        let url = router.graphql_url();
        let lamp = p.create_product("STATS-LAMP", "Lamp", 1_000, 50).await;
        let desk = p.create_product("STATS-DESK", "Desk", 25_000, 50).await;
        let (token, _) = p.sign_up("Buyer").await;
        let mut orders = Vec::new();
        for lines in [
            json!([{"productId": lamp, "quantity": 2}, {"productId": desk, "quantity": 1}]),
            json!([{"productId": lamp, "quantity": 5}]),
            json!([{"productId": desk, "quantity": 3}]),
        ] {
            let r = gql(
                &p.http,
                &url,
                PLACE,
                json!({"i": {"lines": lines}}),
                Some(&token),
            )
            .await;
            assert_no_errors(&r);
            orders.push(r.data()["placeOrder"]["id"].as_str().unwrap().to_owned());
        }
        let r = gql(
            &p.http,
            &url,
            "mutation($id: ID!) { cancelOrder(id: $id) { id } }",
            json!({"id": orders[2]}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        let products = [lamp.clone(), desk.clone()];
        let expected = json!({
            "a": {"unitsSold": 7, "revenueCents": 7_000},
            "b": {"unitsSold": 1, "revenueCents": 25_000},
            "ordersPerDay": [{"orders": 2, "revenueCents": 32_000}]
        });
        assert_eq!(
            figures_become(&p, &url, &products, &expected).await,
            expected
        );

        // Revenue is not for everyone; units sold are.
        let r = gql(
            &p.http,
            &url,
            "query($a: ID!) { product(id: $a) { unitsSold revenueCents } }",
            json!({"a": lamp}),
            Some(&token),
        )
        .await;
        assert_eq!(
            r.data()["product"],
            json!({"unitsSold": 7, "revenueCents": null})
        );
        assert_eq!(r.code(), Some("UNAUTHORIZED_FIELD_OR_TYPE"), "{:?}", r.body);

        // Rebuild: empty the read model, replay every orders event from the
        // first into a fresh consumer: the same figures.
        tessera_inventory::analytics::reset(&p.inventory.db)
            .await
            .unwrap();
        let replay = tessera_inventory::analytics::consume(
            p.inventory.db.clone(),
            Arc::new(tessera_kit::consume::OutboxSource::new(p.orders.db.clone())),
        );
        assert_eq!(
            figures_become(&p, &url, &products, &expected).await,
            expected
        );
        // The figures can be right before the replay has applied the last
        // events (one that changes no figure checked here): it gets to all.
        for _ in 0..100 {
            if replay.status.applied() >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(replay.status.applied() >= 4, "{}", replay.status.applied());
        // The consumer that kept running finds nothing to apply twice.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(figures(&p, &url, &products).await, expected);
        drop(replay);
        let _ = router.shutdown().await;
        p.shutdown().await;
    }
}
