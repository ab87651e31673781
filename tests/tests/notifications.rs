//! The notifications subgraph: placing and cancelling an order (through the
//! router) leaves a notification for its buyer, readable as
//! `me { notifications }` next to the order it is about; each event counts
//! once, even when delivered again; nobody reads another user's.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tessera_tests::{Platform, assert_no_errors, backends, gql};

const NOTIFICATIONS: &str = "{ me { notifications(first: 10) { edges { node { kind message order { id status } } } pageInfo { hasNextPage } } } }";

/// `me.notifications` edges once there are `count` of them (bounded wait).
async fn notifications(p: &Platform, url: &str, token: &str, count: usize) -> Vec<Value> {
    let mut edges = Vec::new();
    for _ in 0..100 {
        let r = gql(&p.http, url, NOTIFICATIONS, json!({}), Some(token)).await;
        assert_no_errors(&r);
        edges = r.data()["me"]["notifications"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if edges.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    edges
}

#[tokio::test]
async fn orders_placed_and_cancelled_notify_their_buyer() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let router = p.router().await;
        let url = router.graphql_url();
        let product = p.create_product("NOTE-LAMP", "Lamp", 1_250, 10).await;
        let (token, _) = p.sign_up("Noted").await;
        let r = gql(
            &p.http,
            &url,
            "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }",
            json!({"i": {"lines": [{"productId": product, "quantity": 3}]}}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        let order = r.data()["placeOrder"]["id"].as_str().unwrap().to_owned();

        let edges = notifications(&p, &url, &token, 1).await;
        assert_eq!(edges.len(), 1, "{edges:?}");
        assert_eq!(
            edges[0]["node"],
            json!({"kind": "ORDER_PLACED", "message": "Your order of 3 items ($37.50) was placed.",
                   "order": {"id": order, "status": "PLACED"}})
        );

        let r = gql(
            &p.http,
            &url,
            "mutation($id: ID!) { cancelOrder(id: $id) { id } }",
            json!({"id": order}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        let edges = notifications(&p, &url, &token, 2).await;
        let kinds: Vec<&str> = edges
            .iter()
            .map(|e| e["node"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["ORDER_CANCELLED", "ORDER_PLACED"], "newest first");
        assert_eq!(edges[0]["node"]["order"]["status"], "CANCELLED");

        // Someone else has none, and cannot ask for this user's.
        let (other, _) = p.sign_up("Other").await;
        assert!(notifications(&p, &url, &other, 0).await.is_empty());

        // A second consumer over the same outbox (a replay from the start, a
        // restarted service) adds nothing: every event was applied once.
        let again = tessera_notifications::consume(
            p.notifications.db.clone(),
            Arc::new(tessera_kit::consume::OutboxSource::new(p.orders.db.clone())),
        );
        for _ in 0..100 {
            if again.status.duplicates() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(again.status.duplicates() >= 2);
        assert_eq!(again.status.applied(), 0);
        drop(again);
        assert_eq!(notifications(&p, &url, &token, 0).await.len(), 2);

        let _ = router.shutdown().await;
        p.shutdown().await;
    }
}

/// `User.notifications` on the subgraph itself: only the user themself.
#[tokio::test]
async fn only_the_user_reads_their_notifications() {
    let p = Platform::start(&tessera_tests::Backend::Sqlite).await;
    let (token, user) = p.sign_up("Private").await;
    let (other, _) = p.sign_up("Snoop").await;
    let query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications { edges { cursor } } } } }";
    let vars = json!({"r": [{"__typename": "User", "id": user}]});
    let own = gql(
        &p.http,
        &p.notifications.url(),
        query,
        vars.clone(),
        Some(&token),
    )
    .await;
    assert_no_errors(&own);
    let snoop = gql(
        &p.http,
        &p.notifications.url(),
        query,
        vars.clone(),
        Some(&other),
    )
    .await;
    assert_eq!(snoop.code(), Some("FORBIDDEN"), "{:?}", snoop.body);
    let anonymous = gql(&p.http, &p.notifications.url(), query, vars, None).await;
    assert_eq!(
        anonymous.code(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        anonymous.body
    );
    p.shutdown().await;
}

/// A product restocked from zero notifies the users whose wishlist holds it
/// (the wishlists come from the users events, the restock from inventory's),
/// and nobody else.
#[tokio::test]
async fn a_product_back_in_stock_notifies_who_wished_for_it() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let router = p.router().await;
        let url = router.graphql_url();
        let product = p
            .create_product("NOTE-SOLD-OUT", "Rare Lamp", 9_900, 0)
            .await;
        let (wisher, _) = p.sign_up("Wisher").await;
        let (changed_mind, _) = p.sign_up("Fickle").await;
        let (bystander, _) = p.sign_up("Bystander").await;
        for token in [&wisher, &changed_mind] {
            let r = gql(
                &p.http,
                &url,
                "mutation($id: ID!) { addToWishlist(productId: $id) { id } }",
                json!({"id": product}),
                Some(token),
            )
            .await;
            assert_no_errors(&r);
        }
        let r = gql(
            &p.http,
            &url,
            "mutation($id: ID!) { removeFromWishlist(productId: $id) { id } }",
            json!({"id": product}),
            Some(&changed_mind),
        )
        .await;
        assert_no_errors(&r);
        // The wishlist events reach notifications before the restock does.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let r = gql(
            &p.http,
            &url,
            "mutation($id: ID!) { restock(productId: $id, quantity: 4) { stock } }",
            json!({"id": product}),
            Some(&tessera_tests::admin_token()),
        )
        .await;
        assert_no_errors(&r);

        let query =
            "{ me { notifications { edges { node { kind message product { name stock } } } } } }";
        let mut edges = Vec::new();
        for _ in 0..100 {
            let r = gql(&p.http, &url, query, json!({}), Some(&wisher)).await;
            assert_no_errors(&r);
            edges = r.data()["me"]["notifications"]["edges"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !edges.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(edges.len(), 1, "{edges:?}");
        assert_eq!(
            edges[0]["node"],
            json!({"kind": "BACK_IN_STOCK",
                   "message": "A product on your wishlist is back in stock (4 available).",
                   "product": {"name": "Rare Lamp", "stock": 4}})
        );
        for token in [&changed_mind, &bystander] {
            let r = gql(&p.http, &url, query, json!({}), Some(token)).await;
            assert_no_errors(&r);
            assert_eq!(r.data()["me"]["notifications"]["edges"], json!([]));
        }
        // A restock that does not start from zero notifies nobody again.
        let r = gql(
            &p.http,
            &url,
            "mutation($id: ID!) { restock(productId: $id, quantity: 1) { stock } }",
            json!({"id": product}),
            Some(&tessera_tests::admin_token()),
        )
        .await;
        assert_no_errors(&r);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let r = gql(&p.http, &url, query, json!({}), Some(&wisher)).await;
        assert_eq!(
            r.data()["me"]["notifications"]["edges"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        let _ = router.shutdown().await;
        p.shutdown().await;
    }
}
