//! N+1 is solved: the number of SQL statements a query runs does not grow with
//! the number of rows it returns.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tessera_tests::{Platform, admin_token, assert_no_errors, backends, gql};

/// Statements for one `_entities` call on `url` with `reps`.
async fn statements(
    p: &Platform,
    url: &str,
    counter: &tessera_tests::StatementCounter,
    query: &str,
    reps: serde_json::Value,
    token: Option<&str>,
) -> usize {
    counter.take();
    let r = gql(&p.http, url, query, json!({"r": reps}), token).await;
    assert_no_errors(&r);
    counter.take()
}

#[tokio::test]
async fn statement_count_does_not_grow_with_rows() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        p.seed_demo().await;
        let products = tessera_kit::demo::products();
        let users = tessera_kit::demo::users();

        // inventory: products by id and by sku.
        let q = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name stock } } }";
        let few = json!(
            products[..2]
                .iter()
                .map(|p| json!({"__typename": "Product", "id": p.id}))
                .collect::<Vec<_>>()
        );
        let many = json!(
            products
                .iter()
                .map(|p| json!({"__typename": "Product", "id": p.id}))
                .collect::<Vec<_>>()
        );
        let a = statements(&p, &p.inventory.url(), &p.counters.inventory, q, few, None).await;
        let b = statements(&p, &p.inventory.url(), &p.counters.inventory, q, many, None).await;
        assert_eq!(a, b, "{}: products by id", backend.name());
        assert_eq!(a, 1, "one batched SELECT");
        let mixed = json!(
            products
                .iter()
                .enumerate()
                .map(|(i, p)| if i % 2 == 0 {
                    json!({"__typename": "Product", "id": p.id})
                } else {
                    json!({"__typename": "Product", "sku": p.sku})
                })
                .collect::<Vec<_>>()
        );
        assert!(
            statements(
                &p,
                &p.inventory.url(),
                &p.counters.inventory,
                q,
                mixed,
                None
            )
            .await
                <= 2
        );

        // users: users with their wishlists.
        let q = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name wishlist { id } } } }";
        let few = json!([{"__typename": "User", "id": users[0].id}]);
        let many = json!(
            users
                .iter()
                .map(|u| json!({"__typename": "User", "id": u.id}))
                .collect::<Vec<_>>()
        );
        let a = statements(&p, &p.users.url(), &p.counters.users, q, few, None).await;
        let b = statements(&p, &p.users.url(), &p.counters.users, q, many, None).await;
        assert_eq!(a, b, "{}: users", backend.name());
        assert_eq!(a, 2, "users, then wishlists");

        // orders: a user's orders with their lines, for 1 order vs many.
        let (token, buyer) = p.sign_up("Counted").await;
        let q = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders(first: 50) { edges { node { id totalCents lines { quantity product { id name } } } } } } } }";
        let reps = json!([{"__typename": "User", "id": buyer}]);
        let place = |n: i32| {
            let token = token.clone();
            let http = p.http.clone();
            let url = p.orders.url();
            let product = products[(n as usize) % products.len()].id.clone();
            async move {
                let r = gql(&http, &url, "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }", json!({"i": {"lines": [{"productId": product, "quantity": 1}, {"productId": products_first(), "quantity": 1}]}}), Some(&token)).await;
                assert_no_errors(&r);
            }
        };
        place(1).await;
        let one = statements(
            &p,
            &p.orders.url(),
            &p.counters.orders,
            q,
            reps.clone(),
            Some(&token),
        )
        .await;
        for n in 2..=12 {
            place(n).await;
        }
        let twelve = statements(
            &p,
            &p.orders.url(),
            &p.counters.orders,
            q,
            reps.clone(),
            Some(&token),
        )
        .await;
        assert_eq!(one, twelve, "{}: orders with lines", backend.name());
        assert_eq!(one, 2, "orders, then lines");

        // Restock history of several users in one statement.
        let q = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { restocks { quantity product { sku } } } } }";
        let many = json!(
            users
                .iter()
                .map(|u| json!({"__typename": "User", "id": u.id}))
                .collect::<Vec<_>>()
        );
        assert!(
            statements(
                &p,
                &p.inventory.url(),
                &p.counters.inventory,
                q,
                many,
                Some(&admin_token())
            )
            .await
                <= 2
        );
        p.shutdown().await;
    }
}

fn products_first() -> String {
    tessera_kit::demo::products()[1].id.clone()
}
