//! The users subgraph over HTTP: sign-up, log-in, `me`, lookups, pagination,
//! wishlists, JWKS, and every bad input (with nothing written).

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tessera_tests::{Platform, assert_code, assert_no_errors, backends, gql, token_for};

const SIGN_UP: &str = "mutation($i: SignUpInput!) { signUp(input: $i) { token expiresAt user { id email name createdAt } } }";
const LOG_IN: &str = "mutation($i: LogInInput!) { logIn(input: $i) { token user { id name } } }";

async fn user_count(p: &Platform) -> usize {
    let mut n = 0;
    let mut after: Option<String> = None;
    loop {
        let r = gql(
            &p.http,
            &p.users.url(),
            "query($a: String) { users(first: 100, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }",
            json!({"a": after}),
            None,
        )
        .await;
        assert_no_errors(&r);
        n += r.data()["users"]["edges"].as_array().unwrap().len();
        if !r.data()["users"]["pageInfo"]["hasNextPage"]
            .as_bool()
            .unwrap()
        {
            return n;
        }
        after = r.data()["users"]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
}

#[tokio::test]
async fn sign_up_log_in_and_me() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let url = p.users.url();
        let r = gql(
            &p.http,
            &url,
            SIGN_UP,
            json!({"i": {"email": "  Ada@Example.com ", "password": "correct horse", "name": " Ada "}}),
            None,
        )
        .await;
        assert_no_errors(&r);
        let user = &r.data()["signUp"]["user"];
        assert_eq!(user["email"], "ada@example.com", "{}", backend.name());
        assert_eq!(user["name"], "Ada");
        let id = user["id"].as_str().unwrap().to_owned();

        // Log in with the other spelling of the email.
        let r = gql(
            &p.http,
            &url,
            LOG_IN,
            json!({"i": {"email": "ADA@example.com", "password": "correct horse"}}),
            None,
        )
        .await;
        assert_no_errors(&r);
        let token = r.data()["logIn"]["token"].as_str().unwrap().to_owned();
        assert_eq!(r.data()["logIn"]["user"]["id"], id.as_str());

        let r = gql(
            &p.http,
            &url,
            "{ me { id email name } }",
            json!({}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(r.data()["me"]["id"], id.as_str());
        assert_eq!(r.data()["me"]["email"], "ada@example.com");

        // Another user sees the name but not the email.
        let (other, _) = p.sign_up("Bob").await;
        let r = gql(
            &p.http,
            &url,
            "query($id: ID!) { user(id: $id) { name email } }",
            json!({"id": id}),
            Some(&other),
        )
        .await;
        assert_no_errors(&r);
        assert_eq!(r.data()["user"], json!({"name": "Ada", "email": null}));

        // Anonymous `me`.
        let r = gql(&p.http, &url, "{ me { id } }", json!({}), None).await;
        assert_code(&r, "UNAUTHENTICATED");
        assert_eq!(r.data()["me"], json!(null));
        p.shutdown().await;
    }
}

#[tokio::test]
async fn bad_sign_ups_are_rejected_and_write_nothing() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let url = p.users.url();
        let ok =
            json!({"email": "grace@example.com", "password": "correct horse", "name": "Grace"});
        let r = gql(&p.http, &url, SIGN_UP, json!({"i": ok}), None).await;
        assert_no_errors(&r);

        let cases = [
            (
                json!({"email": "not-an-email", "password": "correct horse", "name": "X"}),
                "BAD_USER_INPUT",
            ),
            (
                json!({"email": "x@y", "password": "correct horse", "name": "X"}),
                "BAD_USER_INPUT",
            ),
            (
                json!({"email": "x@example.com", "password": "short", "name": "X"}),
                "BAD_USER_INPUT",
            ),
            (
                json!({"email": "x@example.com", "password": "p".repeat(129), "name": "X"}),
                "BAD_USER_INPUT",
            ),
            (
                json!({"email": "x@example.com", "password": "correct horse", "name": "   "}),
                "BAD_USER_INPUT",
            ),
            (
                json!({"email": "GRACE@example.com", "password": "another pass", "name": "G2"}),
                "EMAIL_TAKEN",
            ),
        ];
        for (input, code) in cases {
            let r = gql(&p.http, &url, SIGN_UP, json!({"i": input}), None).await;
            assert_code(&r, code);
            assert_eq!(r.status, 200);
            assert_eq!(r.data(), &json!(null), "{}", r.body);
        }
        // A missing input field is a validation error from the GraphQL layer.
        let r = gql(
            &p.http,
            &url,
            SIGN_UP,
            json!({"i": {"email": "x@example.com"}}),
            None,
        )
        .await;
        assert!(r.body["errors"].as_array().is_some_and(|e| !e.is_empty()));
        assert_eq!(user_count(&p).await, 1, "{}", backend.name());

        // Concurrent duplicate sign-ups: exactly one wins.
        let attempts = (0..5).map(|_| {
            gql(
                &p.http,
                &url,
                SIGN_UP,
                json!({"i": {"email": "race@example.com", "password": "correct horse", "name": "R"}}),
                None,
            )
        });
        let results = futures::future::join_all(attempts).await;
        let ok = results
            .iter()
            .filter(|r| r.body.get("errors").is_none())
            .count();
        assert_eq!(ok, 1);
        assert!(
            results
                .iter()
                .filter(|r| r.body.get("errors").is_some())
                .all(|r| r.code() == Some("EMAIL_TAKEN"))
        );
        assert_eq!(user_count(&p).await, 2);
        p.shutdown().await;
    }
}

#[tokio::test]
async fn wrong_credentials_are_indistinguishable() {
    let p = Platform::start(&backends()[0]).await;
    let url = p.users.url();
    gql(
        &p.http,
        &url,
        SIGN_UP,
        json!({"i": {"email": "a@example.com", "password": "correct horse", "name": "A"}}),
        None,
    )
    .await;
    for (email, password) in [
        ("a@example.com", "wrong password"),
        ("nobody@example.com", "correct horse"),
        ("junk", "x"),
    ] {
        let r = gql(
            &p.http,
            &url,
            LOG_IN,
            json!({"i": {"email": email, "password": password}}),
            None,
        )
        .await;
        assert_code(&r, "INVALID_CREDENTIALS");
        assert_eq!(r.body["errors"][0]["message"], "wrong email or password");
    }
    p.shutdown().await;
}

#[tokio::test]
async fn user_lookup_and_pagination() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let url = p.users.url();
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(p.sign_up(&format!("U{i}")).await.1);
        }
        // Pages of two, in creation order, with stable cursors.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let r = gql(
                &p.http,
                &url,
                "query($a: String) { users(first: 2, after: $a) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
                json!({"a": after}),
                None,
            )
            .await;
            assert_no_errors(&r);
            let conn = &r.data()["users"];
            let edges = conn["edges"].as_array().unwrap();
            assert!(edges.len() <= 2);
            seen.extend(
                edges
                    .iter()
                    .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
            );
            if let Some(last) = edges.last() {
                assert_eq!(last["cursor"], conn["pageInfo"]["endCursor"]);
            }
            if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(seen, ids, "{}", backend.name());

        let r = gql(
            &p.http,
            &url,
            "query($id: ID!) { user(id: $id) { id name } }",
            json!({"id": ids[3]}),
            None,
        )
        .await;
        assert_eq!(r.data()["user"]["name"], "U3");

        // Unknown and malformed ids.
        for id in [
            tessera_kit::ids::new_id(),
            "not-an-id".to_owned(),
            "x".repeat(10_000),
        ] {
            let r = gql(
                &p.http,
                &url,
                "query($id: ID!) { user(id: $id) { id } }",
                json!({"id": id}),
                None,
            )
            .await;
            assert_code(&r, "NOT_FOUND");
            assert_eq!(r.data()["user"], json!(null));
        }
        // Oversized, negative pages and malformed cursors.
        for (vars, code) in [
            (json!({"f": 101}), "BAD_USER_INPUT"),
            (json!({"f": -1}), "BAD_USER_INPUT"),
            (json!({"f": 2, "a": "bm90IGEgY3Vyc29y"}), "BAD_USER_INPUT"),
            (json!({"f": 2, "a": "%%%"}), "BAD_USER_INPUT"),
        ] {
            let r = gql(
                &p.http,
                &url,
                "query($f: Int, $a: String) { users(first: $f, after: $a) { edges { cursor } } }",
                vars,
                None,
            )
            .await;
            assert_code(&r, code);
        }
        p.shutdown().await;
    }
}

#[tokio::test]
async fn wishlist_requires_a_user_and_is_idempotent() {
    let p = Platform::start(&backends()[0]).await;
    let url = p.users.url();
    let (token, _) = p.sign_up("W").await;
    let product = p.create_product("WISH-1", "Lamp", 4_000, 1).await;
    let add = "mutation($p: ID!) { addToWishlist(productId: $p) { wishlist { id } } }";
    // Regression: a product id that does not exist was accepted, and the
    // dangling entry then nulled every response that showed the wishlist.
    let missing = tessera_kit::ids::new_id();
    let r = gql(&p.http, &url, add, json!({"p": missing}), Some(&token)).await;
    assert_code(&r, "NOT_FOUND");
    for _ in 0..2 {
        let r = gql(&p.http, &url, add, json!({"p": product}), Some(&token)).await;
        assert_no_errors(&r);
        assert_eq!(
            r.data()["addToWishlist"]["wishlist"],
            json!([{"id": product}])
        );
    }
    let r = gql(&p.http, &url, add, json!({"p": "nope"}), Some(&token)).await;
    assert_code(&r, "BAD_USER_INPUT");
    let r = gql(&p.http, &url, add, json!({"p": product}), None).await;
    assert_code(&r, "UNAUTHENTICATED");
    let r = gql(
        &p.http,
        &url,
        "mutation($p: ID!) { removeFromWishlist(productId: $p) { wishlist { id } } }",
        json!({"p": product}),
        Some(&token),
    )
    .await;
    assert_no_errors(&r);
    assert_eq!(r.data()["removeFromWishlist"]["wishlist"], json!([]));
    p.shutdown().await;
}

#[tokio::test]
async fn bad_tokens_are_rejected_before_execution() {
    let p = Platform::start(&backends()[0]).await;
    let url = p.users.url();
    let (_, id) = p.sign_up("T").await;
    let now = chrono::Utc::now().timestamp();
    let issuer =
        tessera_kit::auth::JwtIssuer::from_config(&tessera_kit::auth::AuthConfig::development())
            .unwrap();
    let expired = issuer
        .sign(&tessera_kit::auth::Claims {
            sub: id.clone(),
            iss: "tessera".into(),
            aud: "tessera".into(),
            iat: now - 7200,
            exp: now - 3600,
            scope: String::new(),
        })
        .unwrap();
    let forged = tessera_kit::auth::JwtIssuer::from_config(&tessera_kit::auth::AuthConfig {
        hs256_secret: Some("not-the-secret-not-the-secret-not-the-secret".into()),
        ..Default::default()
    })
    .unwrap()
    .issue(&id, &[])
    .unwrap()
    .0;
    // alg: none, claims otherwise valid.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(
            json!({"sub": id, "iss": "tessera", "aud": "tessera", "iat": now, "exp": now + 3600})
                .to_string()
        )
    );
    for (token, code) in [
        (expired.as_str(), "TOKEN_EXPIRED"),
        (forged.as_str(), "INVALID_TOKEN"),
        (none.as_str(), "INVALID_TOKEN"),
        ("garbage", "INVALID_TOKEN"),
    ] {
        for sg in [p.users.url(), p.orders.url(), p.inventory.url()] {
            let r = gql(&p.http, &sg, "{ __typename }", json!({}), Some(token)).await;
            assert_eq!(r.status, 401, "{sg}: {}", r.body);
            assert_code(&r, code);
        }
    }
    // The valid token still works.
    let r = gql(
        &p.http,
        &url,
        "{ me { id } }",
        json!({}),
        Some(&token_for(&id, &[])),
    )
    .await;
    assert_no_errors(&r);
    p.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_get_graphql_errors() {
    let p = Platform::start(&backends()[0]).await;
    for (body, status) in [("{not json", 400), ("{\"nope\": 1}", 400), ("[]", 400)] {
        let r = p
            .http
            .post(p.users.url())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{body}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}: {v}"
        );
    }
    let r = p
        .http
        .post(p.users.url())
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    // Syntax errors and unknown fields come back as GraphQL errors.
    let r = gql(&p.http, &p.users.url(), "{ users { ", json!({}), None).await;
    assert!(r.body["errors"][0]["message"].is_string());
    let r = gql(&p.http, &p.users.url(), "{ nope }", json!({}), None).await;
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
    let h = p
        .http
        .get(format!("http://{}/health", p.users.server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status().as_u16(), 200);
    p.shutdown().await;
}

#[tokio::test]
async fn rs256_tokens_and_jwks() {
    // An RSA key generated for this test suite only.
    let dir = std::env::temp_dir().join(format!("tessera-rs256-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = dir.join("key.pem");
    std::fs::write(&key_path, include_str!("fixtures/rs256-test-key.pem")).unwrap();

    let mut config = tessera_kit::config::SubgraphConfig::for_test(tessera_kit::db::SQLITE_MEMORY);
    config.auth.hs256_secret = None;
    config.auth.rs256_private_key_file = Some(key_path);
    let db = tessera_users::connect(tessera_kit::db::SQLITE_MEMORY)
        .await
        .unwrap();
    // No catalogue behind it: this test adds nothing to a wishlist.
    let users_config =
        tessera_users::UsersConfig::new(config.clone(), "http://127.0.0.1:9/graphql");
    let server =
        tessera_kit::http::spawn_app(&config, tessera_users::app(db, &users_config).unwrap())
            .await
            .unwrap();
    let http = reqwest::Client::new();
    let url = server.graphql_url();
    let r = gql(
        &http,
        &url,
        SIGN_UP,
        json!({"i": {"email": "rsa@example.com", "password": "correct horse", "name": "R"}}),
        None,
    )
    .await;
    assert_no_errors(&r);
    let token = r.data()["signUp"]["token"].as_str().unwrap().to_owned();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);

    // The JWKS the users subgraph publishes verifies the token in another subgraph.
    let jwks: serde_json::Value = http
        .get(format!("http://{}/.well-known/jwks.json", server.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"].as_str(), header.kid.as_deref());
    let jwks_path = dir.join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).unwrap();
    let mut inv_config =
        tessera_kit::config::SubgraphConfig::for_test(tessera_kit::db::SQLITE_MEMORY);
    inv_config.auth.hs256_secret = None;
    inv_config.auth.jwks_file = Some(jwks_path);
    let inv_db = tessera_inventory::connect(tessera_kit::db::SQLITE_MEMORY)
        .await
        .unwrap();
    let inventory = tessera_kit::http::spawn_app(
        &inv_config,
        tessera_inventory::app(inv_db, &inv_config).unwrap(),
    )
    .await
    .unwrap();
    // Authenticated but without the scope: the token itself was accepted.
    let r = gql(
        &http,
        &inventory.graphql_url(),
        "mutation { restock(productId: \"x\", quantity: 1) { id } }",
        json!({}),
        Some(&token),
    )
    .await;
    assert_code(&r, "FORBIDDEN");
    // HS256 tokens are refused when only RS256 keys are configured.
    let r = gql(
        &http,
        &inventory.graphql_url(),
        "{ __typename }",
        json!({}),
        Some(&token_for("u", &[])),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_code(&r, "INVALID_TOKEN");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn get_is_for_queries_and_post_must_be_json() {
    let p = Platform::start(&backends()[0]).await;
    let url = p.users.url();
    // Queries over GET work.
    let r = p
        .http
        .get(reqwest::Url::parse_with_params(&url, [("query", "{ __typename }")]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Mutations over GET are refused and write nothing.
    let mutation = "mutation { signUp(input: {email: \"get@example.com\", password: \"correct horse\", name: \"G\"}) { token } }";
    let r = p
        .http
        .get(reqwest::Url::parse_with_params(&url, [("query", mutation)]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let r = gql(
        &p.http,
        &url,
        LOG_IN,
        json!({"i": {"email": "get@example.com", "password": "correct horse"}}),
        None,
    )
    .await;
    assert_code(&r, "INVALID_CREDENTIALS");
    // A "simple" cross-site POST (no preflight) is not a GraphQL request.
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let r = p
            .http
            .post(&url)
            .header("content-type", ct)
            .body(json!({"query": mutation}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 415, "{ct}");
    }
    let r = gql(
        &p.http,
        &url,
        LOG_IN,
        json!({"i": {"email": "get@example.com", "password": "correct horse"}}),
        None,
    )
    .await;
    assert_code(&r, "INVALID_CREDENTIALS");
    p.shutdown().await;
}

/// Regression: 64 aliased `logIn`s in one request tried 64 passwords (150 in
/// a batch straight to the subgraph), and nothing limited attempts per account.
#[tokio::test]
async fn log_in_guessing_is_limited() {
    let p = Platform::start(&backends()[0]).await;
    let url = p.users.url();
    let r = gql(
        &p.http,
        &url,
        SIGN_UP,
        json!({"i": {"email": "victim@example.com", "password": "correct horse", "name": "V"}}),
        None,
    )
    .await;
    assert_no_errors(&r);
    // Many guesses in one operation: only the first is tried.
    let mut many = String::from("mutation {");
    for i in 0..8 {
        many.push_str(&format!(
            " g{i}: logIn(input: {{email: \"victim@example.com\", password: \"guess {i}\"}}) {{ token }}"
        ));
    }
    many.push_str(" }");
    let r = gql(&p.http, &url, &many, json!({}), None).await;
    let errors = r.body["errors"].as_array().unwrap();
    let codes: Vec<&str> = errors
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "INVALID_CREDENTIALS")
            .count(),
        1,
        "{}",
        r.body
    );
    assert_eq!(codes.iter().filter(|c| **c == "BAD_USER_INPUT").count(), 7);
    // Batches are refused whole.
    let batch: Vec<_> = (0..3)
        .map(|i| json!({"query": format!("mutation {{ logIn(input: {{email: \"victim@example.com\", password: \"b{i}\"}}) {{ token }} }}")}))
        .collect();
    let r = p.http.post(&url).json(&batch).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // After the allowed failures the account is locked, even for the right password.
    let log_in = "mutation($p: String!) { logIn(input: {email: \"victim@example.com\", password: $p}) { token } }";
    for i in 0..4 {
        let r = gql(
            &p.http,
            &url,
            log_in,
            json!({"p": format!("wrong {i}")}),
            None,
        )
        .await;
        assert_code(&r, "INVALID_CREDENTIALS");
    }
    let r = gql(&p.http, &url, log_in, json!({"p": "correct horse"}), None).await;
    assert_code(&r, "TOO_MANY_ATTEMPTS");
    // Another account is unaffected.
    let r = gql(
        &p.http,
        &url,
        "mutation { logIn(input: {email: \"nobody@example.com\", password: \"x\"}) { token } }",
        json!({}),
        None,
    )
    .await;
    assert_code(&r, "INVALID_CREDENTIALS");
    p.shutdown().await;
}
