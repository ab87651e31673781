//! `tessera dev`: the platform comes up on the embedded defaults with demo
//! data, seeded on the first start and never twice.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tessera_cli::dev::{DevOptions, start};
use tessera_tests::{assert_no_errors, gql};

async fn counts(
    http: &reqwest::Client,
    platform: &tessera_cli::dev::DevPlatform,
) -> (usize, usize) {
    let r = gql(
        http,
        &platform.inventory.graphql_url(),
        "{ products(first: 100) { edges { node { id } } } }",
        json!({}),
        None,
    )
    .await;
    assert_no_errors(&r);
    let products = r.data()["products"]["edges"].as_array().unwrap().len();
    let r = gql(
        http,
        &platform.users.graphql_url(),
        "{ users(first: 100) { edges { node { id } } } }",
        json!({}),
        None,
    )
    .await;
    assert_no_errors(&r);
    (
        products,
        r.data()["users"]["edges"].as_array().unwrap().len(),
    )
}

#[tokio::test]
async fn dev_platform_seeds_demo_data_once() {
    let dir = std::env::temp_dir().join(format!("tessera-dev-{}", uuid::Uuid::new_v4().simple()));
    let options = DevOptions::on_free_ports(dir.clone());
    let http = reqwest::Client::new();
    let platform = start(&options).await.unwrap();
    assert_eq!(counts(&http, &platform).await, (36, 4));

    // Demo users can log in, and their orders are there.
    let r = gql(
        &http,
        &platform.users.graphql_url(),
        "mutation { logIn(input: {email: \"grace@tessera.dev\", password: \"tessera-demo\"}) { token user { id } } }",
        json!({}),
        None,
    )
    .await;
    assert_no_errors(&r);
    let token = r.data()["logIn"]["token"].as_str().unwrap().to_owned();
    let id = r.data()["logIn"]["user"]["id"].as_str().unwrap().to_owned();
    let r = gql(
        &http,
        &platform.orders.graphql_url(),
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { edges { node { lines { product { name } } } } } } } }",
        json!({"r": [{"__typename": "User", "id": id}]}),
        Some(&token),
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
    platform.stop().await;

    // A second start over the same files does not seed again.
    let platform = start(&options).await.unwrap();
    assert_eq!(counts(&http, &platform).await, (36, 4));
    platform.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Through the router: log in, then one request that crosses all three
/// subgraphs (a user, their orders, each line's product with its name from the
/// order, its stock from inventory and its shipping estimate from orders via
/// `@requires`). The router forwards the bearer token to every subgraph.
#[tokio::test]
async fn dev_router_serves_cross_subgraph_queries() {
    let dir = std::env::temp_dir().join(format!("tessera-dev-{}", uuid::Uuid::new_v4().simple()));
    let options = DevOptions::on_free_ports(dir.clone());
    let http = reqwest::Client::new();
    let platform = start(&options).await.unwrap();
    let router = platform.router.graphql_url();

    let r = gql(
        &http,
        &router,
        "mutation { logIn(input: {email: \"grace@tessera.dev\", password: \"tessera-demo\"}) { token user { name } } }",
        json!({}),
        None,
    )
    .await;
    assert_no_errors(&r);
    let token = r.data()["logIn"]["token"].as_str().unwrap().to_owned();

    let query = "{ me { name email orders { edges { node { totalCents status lines { quantity product { name stock priceCents shippingEstimateCents } } } } } wishlist { sku name } } }";
    let r = gql(&http, &router, query, json!({}), Some(&token)).await;
    assert_no_errors(&r);
    let me = &r.data()["me"];
    assert_eq!(me["name"], "Grace Hopper");
    assert_eq!(me["email"], "grace@tessera.dev");
    let orders = me["orders"]["edges"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    for order in orders {
        for line in order["node"]["lines"].as_array().unwrap() {
            let product = &line["product"];
            assert!(product["name"].is_string(), "{product}");
            assert!(product["stock"].is_i64(), "{product}");
            assert!(
                product["shippingEstimateCents"].as_i64().unwrap() > 0,
                "{product}"
            );
        }
    }
    assert_eq!(me["wishlist"].as_array().unwrap().len(), 3);

    // Place an order through the router; stock moves; anonymous callers are refused.
    let products = tessera_kit::demo::products();
    let before = products[2].stock as i64;
    let r = gql(
        &http,
        &router,
        "mutation($id: ID!) { placeOrder(input: {lines: [{productId: $id, quantity: 1}]}) { status lines { product { name stock } } } }",
        json!({"id": products[2].id}),
        Some(&token),
    )
    .await;
    assert_no_errors(&r);
    assert_eq!(
        r.data()["placeOrder"]["lines"][0]["product"]["stock"],
        before - 1
    );
    // The router enforces the auth directives itself (with the users
    // subgraph's keys): an anonymous `me` is never sent to the subgraph.
    let r = gql(&http, &router, "{ me { name } }", json!({}), None).await;
    assert_eq!(r.code(), Some("UNAUTHORIZED_FIELD_OR_TYPE"), "{}", r.body);
    assert_eq!(r.body["errors"][0]["path"], json!(["me"]), "{}", r.body);
    assert_eq!(r.body["data"], json!({"me": null}), "{}", r.body);
    // A token the router cannot verify is refused before planning.
    let r = gql(
        &http,
        &router,
        "{ me { name } }",
        json!({}),
        Some("forged.token.value"),
    )
    .await;
    assert_eq!(r.code(), Some("UNAUTHENTICATED"), "{}", r.body);
    // `restocks` needs `inventory:write`: Grace lacks it (its non-null list
    // nulls `me`), the admin has it.
    let restocks = "{ me { name restocks { quantity } } }";
    let r = gql(&http, &router, restocks, json!({}), Some(&token)).await;
    assert_eq!(r.code(), Some("UNAUTHORIZED_FIELD_OR_TYPE"), "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["path"],
        json!(["me", "restocks"]),
        "{}",
        r.body
    );
    assert_eq!(r.body["data"], json!({"me": null}), "{}", r.body);
    let r = gql(
        &http,
        &router,
        "mutation { logIn(input: {email: \"admin@tessera.dev\", password: \"tessera-demo\"}) { token } }",
        json!({}),
        None,
    )
    .await;
    let admin = r.data()["logIn"]["token"].as_str().unwrap().to_owned();
    let r = gql(&http, &router, restocks, json!({}), Some(&admin)).await;
    assert_no_errors(&r);

    // Internal, @inaccessible parts of the subgraphs are not in the API.
    let r = gql(
        &http,
        &router,
        "mutation { releaseStock(orderId: \"x\") }",
        json!({}),
        Some(&token),
    )
    .await;
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("releaseStock"),
        "{}",
        r.body
    );
    platform.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The event flow on the embedded default: an order placed through the dev
/// router reaches inventory's consumers and notifications in-process, and
/// each service's `/metrics` says so (outbox lag, consumer counts, lag,
/// pending).
#[tokio::test]
async fn dev_events_flow_in_process_and_show_on_metrics() {
    let dir = std::env::temp_dir().join(format!("tessera-dev-{}", uuid::Uuid::new_v4().simple()));
    let options = DevOptions::on_free_ports(dir.clone());
    let http = reqwest::Client::new();
    let platform = start(&options).await.unwrap();
    let router = platform.router.graphql_url();
    let r = gql(
        &http,
        &router,
        "mutation { logIn(input: {email: \"alan@tessera.dev\", password: \"tessera-demo\"}) { token } }",
        json!({}),
        None,
    )
    .await;
    assert_no_errors(&r);
    let token = r.data()["logIn"]["token"].as_str().unwrap().to_owned();
    let r = gql(
        &http,
        &router,
        "mutation { placeOrder(input: {lines: [{productId: \"01900000-0000-7000-8002-000000000002\", quantity: 1}]}) { id } }",
        json!({}),
        Some(&token),
    )
    .await;
    assert_no_errors(&r);

    let metrics = |addr: std::net::SocketAddr| {
        let http = http.clone();
        async move {
            http.get(format!("http://{addr}/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let wanted = [
        (
            platform.inventory.addr,
            "tessera_consumer_events_applied_total{consumer=\"inventory-reservations\"} 1",
        ),
        (
            platform.inventory.addr,
            "tessera_consumer_events_applied_total{consumer=\"inventory-analytics\"} 1",
        ),
        (
            platform.inventory.addr,
            "tessera_consumer_lag{consumer=\"inventory-reservations\"} 0",
        ),
        (
            platform.inventory.addr,
            "tessera_consumer_pending{consumer=\"inventory-analytics\"} 0",
        ),
        (
            platform.notifications.addr,
            "tessera_consumer_events_applied_total{consumer=\"notifications\"} 1",
        ),
        // Without Redis nothing publishes: the orders outbox keeps its event
        // (the in-process consumers read it there).
        (platform.orders.addr, "tessera_outbox_unpublished 1"),
    ];
    for (addr, line) in wanted {
        let mut text = String::new();
        for _ in 0..100 {
            text = metrics(addr).await;
            if text.lines().any(|l| l == line) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
    }
    let r = gql(
        &http,
        &router,
        "{ me { notifications { edges { node { kind } } } } }",
        json!({}),
        Some(&token),
    )
    .await;
    assert_no_errors(&r);
    assert_eq!(
        r.data()["me"]["notifications"]["edges"][0]["node"]["kind"],
        "ORDER_PLACED"
    );
    platform.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
