//! The checked-in `schema/supergraph.graphql` (what `tessera compose` writes)
//! is what `tessera serve` serves: our three real subgraphs behind the router,
//! with the subgraph URLs overridden by config.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tessera_tests::{Platform, assert_no_errors, backends, gql};

#[tokio::test]
async fn checked_in_supergraph_serves_the_platform() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        p.seed_demo().await;
        let router = p.router().await;
        let url = router.graphql_url();

        // Sign up and order through the router, then read it all back in one request.
        let r = gql(
            &p.http,
            &url,
            "mutation { signUp(input: {email: \"via-router@example.com\", password: \"correct horse\", name: \"Via Router\"}) { token } }",
            json!({}),
            None,
        )
        .await;
        assert_no_errors(&r);
        let token = r.data()["signUp"]["token"].as_str().unwrap().to_owned();
        let product = &tessera_kit::demo::products()[5];
        let r = gql(
            &p.http,
            &url,
            "mutation($id: ID!) { placeOrder(input: {lines: [{productId: $id, quantity: 2}]}) { totalCents } }",
            json!({"id": product.id}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(
            r.data()["placeOrder"]["totalCents"],
            product.price_cents * 2,
            "{}",
            backend.name()
        );

        let r = gql(
            &p.http,
            &url,
            "{ me { name orders { edges { node { lines { quantity product { sku name stock inStock shippingEstimateCents } } } } } } productBySku(sku: \"OAK-DES\") { name priceCents } }",
            json!({}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(r.data()["me"]["name"], "Via Router");
        let line = &r.data()["me"]["orders"]["edges"][0]["node"]["lines"][0];
        assert_eq!(line["quantity"], 2);
        assert_eq!(line["product"]["sku"], product.sku.as_str());
        assert_eq!(line["product"]["stock"], i64::from(product.stock) - 2);
        assert!(line["product"]["shippingEstimateCents"].as_i64().unwrap() > 0);
        assert_eq!(r.data()["productBySku"]["name"], "Oak Desk");

        // @inaccessible fields are not part of the API.
        let r = gql(
            &p.http,
            &url,
            "{ productBySku(sku: \"OAK-DES\") { warehouseZone } }",
            json!({}),
            None,
        )
        .await;
        assert_eq!(r.code(), Some("GRAPHQL_VALIDATION_FAILED"), "{}", r.body);
        router.shutdown().await.unwrap();
        p.shutdown().await;
    }
}

/// Regression: one wishlist entry whose product the catalogue does not have
/// made `wishlist` (a list of non-null products) null-propagate to the root,
/// so every caller who saw it got `data: null`. The entry now reads null on
/// its own, with an error at its path, and the rest of the answer is served.
#[tokio::test]
async fn a_dangling_wishlist_entry_degrades_to_a_partial_answer() {
    use sea_orm::ConnectionTrait;
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let router = p.router().await;
        let url = router.graphql_url();
        let lamp = p.create_product("LAMP-9", "Lamp", 4_000, 3).await;
        let (token, user_id) = p.sign_up("Wisher").await;
        let r = gql(
            &p.http,
            &url,
            "mutation($p: ID!) { addToWishlist(productId: $p) { id } }",
            json!({"p": lamp}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        // A product that vanished from the catalogue after it was saved.
        let gone = tessera_kit::ids::new_id();
        p.users
            .db
            .execute_unprepared(&format!(
                "INSERT INTO wishlist_items (user_id, product_id, added_at) VALUES ('{user_id}', '{gone}', CURRENT_TIMESTAMP)"
            ))
            .await
            .unwrap();
        let r = gql(
            &p.http,
            &url,
            "{ me { name wishlist { name } } }",
            json!({}),
            Some(&token),
        )
        .await;
        assert_eq!(
            r.data()["me"]["name"],
            "Wisher",
            "{}: {}",
            backend.name(),
            r.body
        );
        let wishlist = r.data()["me"]["wishlist"].as_array().unwrap();
        assert_eq!(wishlist.len(), 2, "{}", r.body);
        assert!(wishlist.contains(&json!({"name": "Lamp"})), "{}", r.body);
        assert!(wishlist.contains(&serde_json::Value::Null), "{}", r.body);
        assert!(r.body["errors"].is_array(), "{}", r.body);
        router.shutdown().await.unwrap();
        p.shutdown().await;
    }
}
