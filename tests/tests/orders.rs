//! The orders subgraph over HTTP: placing and cancelling orders (with stock
//! reserved and returned in inventory), a user's paginated orders, and bad
//! input that must leave no rows behind.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tessera_tests::{Platform, assert_code, assert_no_errors, backends, gql};

const PLACE: &str = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) {
  id status totalCents createdAt updatedAt buyer { id }
  lines { quantity unitPriceCents subtotalCents product { id name } }
} }";
const CANCEL: &str = "mutation($id: ID!) { cancelOrder(id: $id) { id status } }";

async fn stock(p: &Platform, id: &str) -> i64 {
    let r = gql(
        &p.http,
        &p.inventory.url(),
        "query($id: ID!) { product(id: $id) { stock } }",
        json!({"id": id}),
        None,
    )
    .await;
    r.data()["product"]["stock"].as_i64().unwrap()
}

async fn my_orders(
    p: &Platform,
    token: &str,
    user_id: &str,
    first: i64,
    after: Option<&str>,
) -> Value {
    let r = gql(
        &p.http,
        &p.orders.url(),
        "query($r: [_Any!]!, $f: Int, $a: String) { _entities(representations: $r) { ... on User { orders(first: $f, after: $a) { edges { node { id status totalCents } } pageInfo { hasNextPage endCursor } } } } }",
        json!({"r": [{"__typename": "User", "id": user_id}], "f": first, "a": after}),
        Some(token),
    )
    .await;
    assert_no_errors(&r);
    r.data()["_entities"][0]["orders"].clone()
}

#[tokio::test]
async fn place_and_cancel_an_order() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let desk = p.create_product("DESK-1", "Desk", 25_000, 5).await;
        let mug = p.create_product("MUG-1", "Mug", 1_200, 10).await;
        let (token, user_id) = p.sign_up("Buyer").await;

        let r = gql(
            &p.http,
            &p.orders.url(),
            PLACE,
            json!({"i": {"lines": [
                {"productId": desk, "quantity": 1},
                {"productId": mug, "quantity": 2},
                {"productId": mug, "quantity": 1}
            ]}}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        let order = &r.data()["placeOrder"];
        assert_eq!(order["status"], "PLACED");
        assert_eq!(
            order["totalCents"],
            25_000 + 3 * 1_200,
            "{}",
            backend.name()
        );
        assert_eq!(order["buyer"]["id"], user_id.as_str());
        let mut lines = order["lines"].as_array().unwrap().clone();
        lines.sort_by_key(|l| l["product"]["name"].as_str().unwrap().to_owned());
        assert_eq!(
            lines,
            vec![
                json!({"quantity": 1, "unitPriceCents": 25_000, "subtotalCents": 25_000, "product": {"id": desk, "name": "Desk"}}),
                json!({"quantity": 3, "unitPriceCents": 1_200, "subtotalCents": 3_600, "product": {"id": mug, "name": "Mug"}}),
            ]
        );
        assert_eq!(stock(&p, &desk).await, 4);
        assert_eq!(stock(&p, &mug).await, 7);
        let order_id = order["id"].as_str().unwrap().to_owned();

        // `order(id)` for the owner; NOT_FOUND for anyone else.
        let r = gql(
            &p.http,
            &p.orders.url(),
            "query($id: ID!) { order(id: $id) { id } }",
            json!({"id": order_id}),
            Some(&token),
        )
        .await;
        assert_eq!(r.data()["order"]["id"], order_id.as_str());
        let (other, other_id) = p.sign_up("Other").await;
        let r = gql(
            &p.http,
            &p.orders.url(),
            "query($id: ID!) { order(id: $id) { id } }",
            json!({"id": order_id}),
            Some(&other),
        )
        .await;
        assert_code(&r, "NOT_FOUND");
        // Another user can neither cancel it nor list it.
        let r = gql(
            &p.http,
            &p.orders.url(),
            CANCEL,
            json!({"id": order_id}),
            Some(&other),
        )
        .await;
        assert_code(&r, "NOT_FOUND");
        let r = gql(
            &p.http,
            &p.orders.url(),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { edges { node { id } } } } } }",
            json!({"r": [{"__typename": "User", "id": user_id}]}),
            Some(&other),
        )
        .await;
        assert_code(&r, "FORBIDDEN");
        assert!(
            my_orders(&p, &other, &other_id, 10, None).await["edges"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        // Cancel returns the stock; cancelling twice is refused.
        let r = gql(
            &p.http,
            &p.orders.url(),
            CANCEL,
            json!({"id": order_id}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(r.data()["cancelOrder"]["status"], "CANCELLED");
        assert_eq!(stock(&p, &desk).await, 5);
        assert_eq!(stock(&p, &mug).await, 10);
        let r = gql(
            &p.http,
            &p.orders.url(),
            CANCEL,
            json!({"id": order_id}),
            Some(&token),
        )
        .await;
        assert_code(&r, "INVALID_ORDER_STATE");
        assert_eq!(stock(&p, &mug).await, 10);
        p.shutdown().await;
    }
}

#[tokio::test]
async fn bad_orders_leave_nothing_behind() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let lamp = p.create_product("LAMP-1", "Lamp", 5_000, 2).await;
        let chair = p.create_product("CHAIR-1", "Chair", 9_000, 1).await;
        let (token, user_id) = p.sign_up("Careful").await;
        let cases = [
            (json!([]), "BAD_USER_INPUT"),
            (
                json!([{"productId": lamp, "quantity": 0}]),
                "BAD_USER_INPUT",
            ),
            (
                json!([{"productId": lamp, "quantity": -2}]),
                "BAD_USER_INPUT",
            ),
            (
                json!([{"productId": lamp, "quantity": 1001}]),
                "BAD_USER_INPUT",
            ),
            (
                json!([{"productId": tessera_kit::ids::new_id(), "quantity": 1}]),
                "NOT_FOUND",
            ),
            (
                json!([{"productId": "not-an-id", "quantity": 1}]),
                "NOT_FOUND",
            ),
            // The first line fits, the second does not: neither is taken.
            (
                json!([{"productId": lamp, "quantity": 2}, {"productId": chair, "quantity": 2}]),
                "INSUFFICIENT_STOCK",
            ),
        ];
        for (lines, code) in cases {
            let r = gql(
                &p.http,
                &p.orders.url(),
                PLACE,
                json!({"i": {"lines": lines}}),
                Some(&token),
            )
            .await;
            assert_code(&r, code);
            assert_eq!(r.data(), &json!(null));
        }
        let r = gql(
            &p.http,
            &p.orders.url(),
            PLACE,
            json!({"i": {"lines": [{"productId": lamp, "quantity": 1}]}}),
            None,
        )
        .await;
        assert_code(&r, "UNAUTHENTICATED");
        let r = gql(
            &p.http,
            &p.orders.url(),
            CANCEL,
            json!({"id": tessera_kit::ids::new_id()}),
            Some(&token),
        )
        .await;
        assert_code(&r, "NOT_FOUND");

        assert_eq!(stock(&p, &lamp).await, 2, "{}", backend.name());
        assert_eq!(stock(&p, &chair).await, 1);
        assert!(
            my_orders(&p, &token, &user_id, 10, None).await["edges"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        p.shutdown().await;
    }
}

#[tokio::test]
async fn inventory_down_fails_cleanly() {
    let p = Platform::start(&backends()[0]).await;
    let lamp = p.create_product("LAMP-2", "Lamp", 5_000, 2).await;
    let (token, user_id) = p.sign_up("Unlucky").await;
    let Platform { inventory, .. } = &p;
    let addr = inventory.server.addr;
    // Point a second orders subgraph at a port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/graphql", dead.local_addr().unwrap());
    drop(dead);
    let config = tessera_orders::OrdersConfig {
        subgraph: tessera_tests::test_config(tessera_kit::db::SQLITE_MEMORY),
        inventory_url: dead_url,
    };
    let db = tessera_orders::connect(tessera_kit::db::SQLITE_MEMORY)
        .await
        .unwrap();
    let orders =
        tessera_kit::http::spawn_app(&config.subgraph, tessera_orders::app(db, &config).unwrap())
            .await
            .unwrap();
    let r = gql(
        &p.http,
        &orders.graphql_url(),
        PLACE,
        json!({"i": {"lines": [{"productId": lamp, "quantity": 1}]}}),
        Some(&token),
    )
    .await;
    assert_code(&r, "SERVICE_UNAVAILABLE");
    let msg = r.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !msg.contains(&addr.to_string()) && !msg.contains("127.0.0.1"),
        "leaks internals: {msg}"
    );
    assert!(
        my_orders(&p, &token, &user_id, 10, None).await["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(stock(&p, &lamp).await, 2);
    p.shutdown().await;
}

#[tokio::test]
async fn a_users_orders_are_paginated_newest_first() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let mug = p.create_product("MUG-9", "Mug", 1_000, 100).await;
        let (token, user_id) = p.sign_up("Collector").await;
        let mut ids = Vec::new();
        for q in 1..=5 {
            let r = gql(
                &p.http,
                &p.orders.url(),
                PLACE,
                json!({"i": {"lines": [{"productId": mug, "quantity": q}]}}),
                Some(&token),
            )
            .await;
            assert_no_errors(&r);
            ids.push(r.data()["placeOrder"]["id"].as_str().unwrap().to_owned());
        }
        ids.reverse();
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = my_orders(&p, &token, &user_id, 2, after.as_deref()).await;
            seen.extend(
                page["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
            );
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(seen, ids, "{}", backend.name());
        // Bad pages.
        let r = gql(
            &p.http,
            &p.orders.url(),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders(first: 500) { edges { cursor } } } } }",
            json!({"r": [{"__typename": "User", "id": user_id}]}),
            Some(&token),
        )
        .await;
        assert_code(&r, "BAD_USER_INPUT");
        p.shutdown().await;
    }
}

/// A reservation whose answer is lost (inventory reserved, orders saw an error)
/// is released again: no stock stays held for an order that does not exist.
#[tokio::test]
async fn lost_reservation_answer_is_released() {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let lamp = p.create_product("LAMP-3", "Lamp", 5_000, 4).await;
        let (token, user_id) = p.sign_up("Lost").await;

        // A proxy in front of inventory that forwards everything but answers
        // reserveStock with a 502, after inventory has done the work.
        let upstream = p.inventory.url();
        let http = p.http.clone();
        let proxy = axum::Router::new().route(
            "/graphql",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let upstream = upstream.clone();
                let http = http.clone();
                async move {
                    let mut req = http
                        .post(&upstream)
                        .header("content-type", "application/json")
                        .body(body.clone());
                    if let Some(auth) = headers.get("authorization") {
                        req = req.header("authorization", auth.as_bytes());
                    }
                    let resp = req.send().await.unwrap();
                    let status = resp.status().as_u16();
                    let text = resp.text().await.unwrap();
                    if String::from_utf8_lossy(&body).contains("reserveStock") {
                        (
                            axum::http::StatusCode::BAD_GATEWAY,
                            "upstream hiccup".to_owned(),
                        )
                    } else {
                        (axum::http::StatusCode::from_u16(status).unwrap(), text)
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url = format!("http://{}/graphql", listener.local_addr().unwrap());
        let proxy = tessera_kit::http::RunningServer::spawn(listener, proxy).unwrap();

        let test_db = tessera_tests::TestDb::create(&backend).await;
        let config = tessera_orders::OrdersConfig {
            subgraph: tessera_tests::test_config(&test_db.url),
            inventory_url: proxy_url,
        };
        let db = tessera_orders::connect(&test_db.url).await.unwrap();
        let orders = tessera_kit::http::spawn_app(
            &config.subgraph,
            tessera_orders::app(db.clone(), &config).unwrap(),
        )
        .await
        .unwrap();
        let r = gql(
            &p.http,
            &orders.graphql_url(),
            PLACE,
            json!({"i": {"lines": [{"productId": lamp, "quantity": 3}]}}),
            Some(&token),
        )
        .await;
        assert_code(&r, "SERVICE_UNAVAILABLE");
        assert_eq!(stock(&p, &lamp).await, 4, "{}", backend.name());
        let r = gql(
            &p.http,
            &orders.graphql_url(),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { edges { node { id } } } } } }",
            json!({"r": [{"__typename": "User", "id": user_id}]}),
            Some(&token),
        )
        .await;
        assert_eq!(r.data()["_entities"][0]["orders"]["edges"], json!([]));
        let _ = orders.stop().await;
        let _ = proxy.stop().await;
        let _ = db.close().await;
        test_db.drop_db().await;
        p.shutdown().await;
    }
}

/// Regression: `reserveStock` / `releaseStock` were callable by any signed-in
/// user straight on the inventory subgraph: a made-up order id reserved stock
/// forever, and releasing one's own placed order let the same units sell twice.
#[tokio::test]
async fn users_cannot_call_the_internal_stock_mutations() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let lamp = p.create_product("LAMP-1", "Lamp", 4_000, 5).await;
        let (token, _) = p.sign_up("Mallory").await;
        // Even an admin token (every scope) is a user, not a service.
        for caller in [token.clone(), tessera_tests::admin_token()] {
            let r = gql(
                &p.http,
                &p.inventory.url(),
                "mutation($o: ID!, $l: [ReservationLineInput!]!) { reserveStock(orderId: $o, lines: $l) { lines { quantity } } }",
                json!({"o": "01900000-0000-7000-8000-00000000abcd", "l": [{"productId": lamp, "quantity": 5}]}),
                Some(&caller),
            )
            .await;
            assert_code(&r, "FORBIDDEN");
        }
        assert_eq!(stock(&p, &lamp).await, 5, "{}", backend.name());

        // A placed order's reservation cannot be released by its buyer.
        let r = gql(
            &p.http,
            &p.orders.url(),
            PLACE,
            json!({"i": {"lines": [{"productId": lamp, "quantity": 2}]}}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        let order_id = r.data()["placeOrder"]["id"].as_str().unwrap().to_owned();
        assert_eq!(stock(&p, &lamp).await, 3);
        let r = gql(
            &p.http,
            &p.inventory.url(),
            "mutation($o: ID!) { releaseStock(orderId: $o) }",
            json!({"o": order_id}),
            Some(&token),
        )
        .await;
        assert_code(&r, "FORBIDDEN");
        assert_eq!(stock(&p, &lamp).await, 3, "{}", backend.name());

        // A forged service credential is rejected whole.
        let r = p
            .http
            .post(p.inventory.url())
            .bearer_auth(&token)
            .header(tessera_kit::auth::SERVICE_TOKEN_HEADER, token.as_str())
            .json(&json!({"query": "mutation($o: ID!) { releaseStock(orderId: $o) }", "variables": {"o": order_id}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        assert_eq!(stock(&p, &lamp).await, 3);

        // Cancelling through orders (which holds the credential) still releases.
        let r = gql(
            &p.http,
            &p.orders.url(),
            CANCEL,
            json!({"id": order_id}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(stock(&p, &lamp).await, 5);
        p.shutdown().await;
    }
}
