//! The inventory subgraph over HTTP: catalogue, filters, pagination, lookups
//! by id and SKU, product creation and restocking with scopes, bad input.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tessera_tests::{
    Platform, admin_token, assert_code, assert_no_errors, backends, gql, token_for,
};

const PRODUCTS: &str = "query($f: Int, $a: String, $filter: ProductFilter) {
  products(first: $f, after: $a, filter: $filter) { edges { cursor node { id sku name priceCents stock inStock } } pageInfo { hasNextPage endCursor } }
}";

#[tokio::test]
async fn catalogue_listing_filters_and_pages() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        p.seed_demo().await;
        let url = p.inventory.url();
        // Walk all pages of 10.
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let r = gql(&p.http, &url, PRODUCTS, json!({"f": 10, "a": after}), None).await;
            assert_no_errors(&r);
            let c = &r.data()["products"];
            all.extend(
                c["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"].clone()),
            );
            if !c["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(all.len(), 36, "{}", backend.name());

        // Name filter is case-insensitive and treats % and _ literally.
        let r = gql(
            &p.http,
            &url,
            PRODUCTS,
            json!({"filter": {"nameContains": "oak"}}),
            None,
        )
        .await;
        let names: Vec<_> = r.data()["products"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names.len(), 6, "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("Oak")));
        let r = gql(
            &p.http,
            &url,
            PRODUCTS,
            json!({"filter": {"nameContains": "%"}}),
            None,
        )
        .await;
        assert_eq!(r.data()["products"]["edges"], json!([]));

        // Price window and stock filter.
        let r = gql(&p.http, &url, PRODUCTS, json!({"f": 100, "filter": {"minPriceCents": 2000, "maxPriceCents": 6000, "inStock": true}}), None).await;
        let edges = r.data()["products"]["edges"].as_array().unwrap();
        assert!(!edges.is_empty());
        for e in edges {
            let n = &e["node"];
            let price = n["priceCents"].as_i64().unwrap();
            assert!((2000..=6000).contains(&price));
            assert!(n["stock"].as_i64().unwrap() > 0);
            assert_eq!(n["inStock"], true);
        }
        let r = gql(
            &p.http,
            &url,
            PRODUCTS,
            json!({"f": 100, "filter": {"inStock": false}}),
            None,
        )
        .await;
        assert!(
            r.data()["products"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["node"]["stock"] == 0)
        );

        // Bad filters and pages.
        for vars in [
            json!({"filter": {"minPriceCents": 10, "maxPriceCents": 5}}),
            json!({"filter": {"minPriceCents": -1}}),
            json!({"filter": {"nameContains": "x".repeat(101)}}),
            json!({"f": 1000}),
            json!({"a": "garbage"}),
        ] {
            let r = gql(&p.http, &url, PRODUCTS, vars, None).await;
            assert_code(&r, "BAD_USER_INPUT");
        }
        p.shutdown().await;
    }
}

#[tokio::test]
async fn lookups_by_id_and_sku() {
    let p = Platform::start(&backends()[0]).await;
    p.seed_demo().await;
    let url = p.inventory.url();
    let id = tessera_kit::demo::products()[0].id.clone();
    let r = gql(
        &p.http,
        &url,
        "query($id: ID!) { product(id: $id) { sku name } }",
        json!({"id": id}),
        None,
    )
    .await;
    assert_eq!(
        r.data()["product"],
        json!({"sku": "OAK-DES", "name": "Oak Desk"})
    );
    let r = gql(
        &p.http,
        &url,
        "{ productBySku(sku: \"OAK-DES\") { id } }",
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.data()["productBySku"]["id"], id.as_str());
    for q in [
        "{ product(id: \"nope\") { id } }",
        "{ productBySku(sku: \"NOPE-1\") { id } }",
    ] {
        let r = gql(&p.http, &url, q, json!({}), None).await;
        assert_code(&r, "NOT_FOUND");
    }
    // The inaccessible warehouse zone is still served to other subgraphs.
    let r = gql(
        &p.http,
        &url,
        "query($id: ID!) { product(id: $id) { warehouseZone } }",
        json!({"id": id}),
        None,
    )
    .await;
    assert_no_errors(&r);
    p.shutdown().await;
}

#[tokio::test]
async fn create_and_restock_need_the_scope() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let url = p.inventory.url();
        let create =
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id sku stock } }";
        let input = json!({"sku": "tea-01", "name": "Tea", "priceCents": 450, "weightGrams": 100, "stock": 3});
        let (user, _) = p.sign_up("Plain").await;

        let r = gql(&p.http, &url, create, json!({"i": input}), None).await;
        assert_code(&r, "UNAUTHENTICATED");
        let r = gql(&p.http, &url, create, json!({"i": input}), Some(&user)).await;
        assert_code(&r, "FORBIDDEN");
        let r = gql(
            &p.http,
            &url,
            create,
            json!({"i": input}),
            Some(&admin_token()),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(r.data()["createProduct"]["sku"], "TEA-01");
        let id = r.data()["createProduct"]["id"].as_str().unwrap().to_owned();
        let r = gql(
            &p.http,
            &url,
            create,
            json!({"i": input}),
            Some(&admin_token()),
        )
        .await;
        assert_code(&r, "SKU_TAKEN");
        for bad in [
            json!({"sku": "bad sku!", "name": "X", "priceCents": 1, "weightGrams": 1}),
            json!({"sku": "OK-1", "name": "", "priceCents": 1, "weightGrams": 1}),
            json!({"sku": "OK-1", "name": "X", "priceCents": -1, "weightGrams": 1}),
            json!({"sku": "OK-1", "name": "X", "priceCents": 1, "weightGrams": 1, "stock": -5}),
            json!({"sku": "OK-1", "name": "X", "priceCents": 1, "weightGrams": 1, "warehouseZone": "MARS"}),
        ] {
            let r = gql(
                &p.http,
                &url,
                create,
                json!({"i": bad}),
                Some(&admin_token()),
            )
            .await;
            assert_code(&r, "BAD_USER_INPUT");
        }

        let restock =
            "mutation($id: ID!, $q: Int!) { restock(productId: $id, quantity: $q) { stock } }";
        let r = gql(
            &p.http,
            &url,
            restock,
            json!({"id": id, "q": 5}),
            Some(&user),
        )
        .await;
        assert_code(&r, "FORBIDDEN");
        for q in [0, -3, 100_001] {
            let r = gql(
                &p.http,
                &url,
                restock,
                json!({"id": id, "q": q}),
                Some(&admin_token()),
            )
            .await;
            assert_code(&r, "BAD_USER_INPUT");
        }
        let r = gql(
            &p.http,
            &url,
            restock,
            json!({"id": tessera_kit::ids::new_id(), "q": 1}),
            Some(&admin_token()),
        )
        .await;
        assert_code(&r, "NOT_FOUND");
        let r = gql(
            &p.http,
            &url,
            restock,
            json!({"id": id, "q": 5}),
            Some(&admin_token()),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(r.data()["restock"]["stock"], 8);

        // Nothing the failed calls did changed the stock; the restock is on record.
        let admin_id = tessera_kit::demo::demo_id(1, 1);
        let r = gql(
            &p.http,
            &url,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { restocks { quantity product { sku stock } restockedBy { id } } } } }",
            json!({"r": [{"__typename": "User", "id": admin_id}]}),
            Some(&admin_token()),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(
            r.data()["_entities"][0]["restocks"],
            json!([{"quantity": 5, "product": {"sku": "TEA-01", "stock": 8}, "restockedBy": {"id": admin_id}}])
        );
        // Restock history needs the scope too.
        let r = gql(
            &p.http,
            &url,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { restocks { quantity } } } }",
            json!({"r": [{"__typename": "User", "id": admin_id}]}),
            Some(&token_for(&admin_id, &[])),
        )
        .await;
        assert_code(&r, "FORBIDDEN");
        p.shutdown().await;
    }
}

/// Regression (critical): the public development HS256 secret was accepted by
/// every start, including one configured for RS256, so a forged admin token
/// restocked a product. A production-shaped start (keys from the environment)
/// refuses it, and refuses to start on the development secret.
#[tokio::test]
async fn a_production_start_refuses_the_development_secret() {
    let dir = std::env::temp_dir().join(format!("tessera-prod-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = dir.join("key.pem");
    std::fs::write(&key_path, include_str!("fixtures/rs256-test-key.pem")).unwrap();
    // The JWKS a users subgraph with that key would publish.
    let signer_config = tessera_kit::auth::AuthConfig {
        rs256_private_key_file: Some(key_path.clone()),
        ..tessera_kit::auth::AuthConfig::default()
    };
    let issuer = tessera_kit::auth::JwtIssuer::from_config(&signer_config).unwrap();
    let jwks_path = dir.join("jwks.json");
    std::fs::write(&jwks_path, serde_json::to_string(&issuer.jwks()).unwrap()).unwrap();

    let env = |k: &str| match k {
        "TESSERA_JWKS_FILE" => Some(jwks_path.display().to_string()),
        "TESSERA_INVENTORY_DATABASE_URL" => Some(tessera_kit::db::SQLITE_MEMORY.to_owned()),
        "TESSERA_INVENTORY_LISTEN" => Some("127.0.0.1:0".to_owned()),
        _ => None,
    };
    let config = tessera_kit::config::SubgraphConfig::with_port(4003)
        .apply_env("inventory", env)
        .unwrap();
    let db = tessera_inventory::connect(tessera_kit::db::SQLITE_MEMORY)
        .await
        .unwrap();
    let product = tessera_inventory::service::create_product(
        &db,
        tessera_inventory::service::NewProduct {
            sku: "FORGE-1".into(),
            name: "Anvil".into(),
            description: String::new(),
            price_cents: 100,
            weight_grams: 1000,
            warehouse_zone: tessera_inventory::service::WAREHOUSE_ZONES[0].to_owned(),
            stock: 1,
        },
    )
    .await
    .unwrap();
    let server =
        tessera_kit::http::spawn_app(&config, tessera_inventory::app(db, &config).unwrap())
            .await
            .unwrap();
    let http = reqwest::Client::new();
    let restock = "mutation($id: ID!) { restock(productId: $id, quantity: 1000) { stock } }";
    // admin_token() is signed with the development secret.
    let r = gql(
        &http,
        &server.graphql_url(),
        restock,
        json!({"id": product.id}),
        Some(&admin_token()),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_code(&r, "INVALID_TOKEN");
    // The deployment's own keys still work.
    let (token, _) = issuer
        .issue(
            &tessera_kit::demo::demo_id(1, 1),
            &["inventory:write".into()],
        )
        .unwrap();
    let r = gql(
        &http,
        &server.graphql_url(),
        restock,
        json!({"id": product.id}),
        Some(&token),
    )
    .await;
    assert_no_errors(&r);
    assert_eq!(r.data()["restock"]["stock"], 1001);
    // Regression: subgraphs always answered introspection. A production start
    // does not; the router's `_service { sdl }` still works.
    let r = gql(
        &http,
        &server.graphql_url(),
        "{ __schema { queryType { name } } }",
        json!({}),
        None,
    )
    .await;
    // async-graphql answers disabled introspection with nulls, not the schema.
    assert!(r.data()["__schema"].is_null(), "{}", r.body);
    let r = gql(
        &http,
        &server.graphql_url(),
        "{ __type(name: \"Product\") { fields { name } } }",
        json!({}),
        None,
    )
    .await;
    assert!(r.data()["__type"].is_null(), "{}", r.body);
    let r = gql(
        &http,
        &server.graphql_url(),
        "{ _service { sdl } }",
        json!({}),
        None,
    )
    .await;
    assert_no_errors(&r);
    server.stop().await.unwrap();

    // Configuring the development secret explicitly stops the start.
    let dev_env = |k: &str| {
        (k == "TESSERA_JWT_SECRET").then(|| tessera_kit::auth::DEV_HS256_SECRET.to_owned())
    };
    let config = tessera_kit::config::SubgraphConfig::with_port(0)
        .apply_env("inventory", dev_env)
        .unwrap();
    let db = tessera_inventory::connect(tessera_kit::db::SQLITE_MEMORY)
        .await
        .unwrap();
    let err = tessera_inventory::app(db, &config).err().unwrap();
    assert!(err.to_string().contains("development secret"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A subgraph closes connections that send no request head in time (as the
/// router does): idle and half-open connections cannot pile up.
#[tokio::test]
async fn idle_and_half_open_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = tessera_kit::config::SubgraphConfig::for_test("sqlite::memory:");
    config.header_read_timeout_ms = 300;
    let (server, _db) = tessera_inventory::spawn(&config).await.unwrap();
    for opening in [&b""[..], b"POST /graphql HTTP/1.1\r\nhost: x\r\n"] {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(opening).await.unwrap();
        let mut buffer = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_end(&mut buffer),
        )
        .await;
        assert!(read.is_ok(), "connection still open after 10 s");
        let answer = String::from_utf8_lossy(&buffer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    let r = tessera_tests::gql(
        &reqwest::Client::new(),
        &server.graphql_url(),
        "{ __typename }",
        serde_json::json!({}),
        None,
    )
    .await;
    tessera_tests::assert_no_errors(&r);
    server.stop().await.unwrap();
}
