//! JWT authentication at the router, in front of a subgraph that checks
//! nothing itself: every bad token is refused with 401 before any subgraph is
//! called; good tokens from either of two issuers (one JWKS file, one JWKS URL
//! served here) pass; a key rotated into the JWKS is picked up without a restart.

use crate::federation_kit;

use std::sync::{Arc, Mutex};

use federation_kit::{Scenario, Subgraph};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tessera_router::config::{JwtConfig, JwtIssuerConfig};

const RSA_A: &[u8] = include_bytes!("../fixtures/jwt/rsa-a.pem");
const RSA_A_PUBLIC: &[u8] = include_bytes!("../fixtures/jwt/rsa-a.pub.pem");
const EC_B1: &[u8] = include_bytes!("../fixtures/jwt/ec-b1.pem");
const EC_B2: &[u8] = include_bytes!("../fixtures/jwt/ec-b2.pem");

fn shop() -> Subgraph {
    Subgraph::federated(
        "shop",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Query { product(id: ID!): Product }
        type Product @key(fields: "id") { id: ID! name: String }
        "#,
    )
    .query(json!({"product": {"id": "1", "name": "Table"}}))
}

fn rsa_a() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_A).expect("rsa key")
}

fn ec(pem: &[u8]) -> EncodingKey {
    EncodingKey::from_ec_pem(pem).expect("ec key")
}

fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).expect("jwk");
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).expect("time")
}

fn claims(iss: &str, aud: &str) -> Value {
    json!({"iss": iss, "aud": aud, "sub": "user-1", "exp": now() + 600, "scope": "read"})
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("signs")
}

/// `header.claims.` with no signature, as an attacker would send `alg: none`.
fn unsigned(header: Value, claims: &Value) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    )
}

/// A JWKS document served over HTTP that the test can change.
struct JwksServer {
    url: String,
    keys: Arc<Mutex<JwkSet>>,
    fetches: Arc<Mutex<usize>>,
    _task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    async fn start(keys: Vec<Jwk>) -> Self {
        let keys = Arc::new(Mutex::new(JwkSet { keys }));
        let fetches = Arc::new(Mutex::new(0));
        let (served, counted) = (keys.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                let set = served.lock().expect("lock").clone();
                *counted.lock().expect("lock") += 1;
                async move { axum::Json(set) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/jwks.json"),
            keys,
            fetches,
            _task: task,
        }
    }

    fn add(&self, key: Jwk) {
        self.keys.lock().expect("lock").keys.push(key);
    }

    fn fetches(&self) -> usize {
        *self.fetches.lock().expect("lock")
    }
}

fn issuer(name: &str, audience: &str, algorithms: Vec<Algorithm>) -> JwtIssuerConfig {
    JwtIssuerConfig {
        issuer: name.to_owned(),
        audiences: vec![audience.to_owned()],
        algorithms,
        secret: None,
        jwks_file: None,
        jwks_url: None,
        refresh_interval_secs: 300,
        min_refetch_interval_secs: 0,
        development: false,
    }
}

/// Issuer A (RS256, JWKS file) and issuer B (ES256, JWKS URL).
async fn two_issuers(require: bool) -> (Scenario, JwksServer) {
    let jwks = JwksServer::start(vec![jwk(&ec(EC_B1), Algorithm::ES256, "b1")]).await;
    let dir = std::env::temp_dir().join(format!(
        "tessera-jwt-{}-{}",
        std::process::id(),
        now() ^ i64::from(rand_suffix())
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("a.jwks.json");
    let set = JwkSet {
        keys: vec![jwk(&rsa_a(), Algorithm::RS256, "a1")],
    };
    std::fs::write(&file, serde_json::to_vec(&set).expect("json")).expect("write jwks");
    let mut a = issuer("https://a.example", "shop", vec![Algorithm::RS256]);
    a.jwks_file = Some(file);
    let mut b = issuer("https://b.example", "shop-b", vec![Algorithm::ES256]);
    b.jwks_url = Some(jwks.url.clone());
    let s = Scenario::compose_with(vec![shop()], |c| {
        c.authentication.jwt = Some(JwtConfig {
            issuers: vec![a, b],
            require_authentication: require,
            forward_claims_header: Some("x-tessera-claims".to_owned()),
            ..JwtConfig::default()
        });
        c.headers.propagate.push("x-tessera-claims".to_owned());
    })
    .await;
    (s, jwks)
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

const QUERY: &str = r#"{ product(id: "1") { name } }"#;

async fn call(
    s: &Scenario,
    authorization: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new()
        .post(s.router.graphql_url())
        .header("accept", "application/graphql-response+json")
        .header("x-tessera-claims", r#"{"sub":"admin"}"#)
        .json(&json!({"query": QUERY}));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.expect("router reachable");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("json");
    (status, body, headers)
}

#[tokio::test]
async fn bad_tokens_are_refused_before_any_subgraph_is_called() {
    let (s, _jwks) = two_issuers(true).await;
    let good_a = claims("https://a.example", "shop");
    let mut expired = good_a.clone();
    expired["exp"] = json!(now() - 3600);
    let hs_with_public_key = sign(
        Algorithm::HS256,
        Some("a1"),
        &good_a,
        &EncodingKey::from_secret(RSA_A_PUBLIC),
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("not a bearer header", Some("Basic dXNlcjpwYXNz".to_owned())),
        ("garbage", Some("Bearer not.a.token".to_owned())),
        (
            "forged signature (B's kid, another key)",
            Some(format!(
                "Bearer {}",
                sign(
                    Algorithm::ES256,
                    Some("b1"),
                    &claims("https://b.example", "shop-b"),
                    &ec(EC_B2)
                )
            )),
        ),
        (
            "alg none",
            Some(format!(
                "Bearer {}",
                unsigned(json!({"alg": "none", "typ": "JWT"}), &good_a)
            )),
        ),
        (
            "HS256 signed with the RS256 public key",
            Some(format!("Bearer {hs_with_public_key}")),
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                sign(Algorithm::RS256, Some("a1"), &expired, &rsa_a())
            )),
        ),
        (
            "wrong audience",
            Some(format!(
                "Bearer {}",
                sign(
                    Algorithm::RS256,
                    Some("a1"),
                    &claims("https://a.example", "shop-b"),
                    &rsa_a()
                )
            )),
        ),
        (
            "wrong issuer",
            Some(format!(
                "Bearer {}",
                sign(
                    Algorithm::RS256,
                    Some("a1"),
                    &claims("https://evil.example", "shop"),
                    &rsa_a()
                )
            )),
        ),
        (
            "issuer A's claims with issuer B's key",
            Some(format!(
                "Bearer {}",
                sign(Algorithm::ES256, Some("b1"), &good_a, &ec(EC_B1))
            )),
        ),
        (
            "unknown kid",
            Some(format!(
                "Bearer {}",
                sign(Algorithm::RS256, Some("a9"), &good_a, &rsa_a())
            )),
        ),
    ];
    for (name, authorization) in &cases {
        let (status, body, headers) = call(&s, authorization.as_deref()).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{name}: {body}"
        );
        assert!(body.get("data").is_none(), "{name}: {body}");
        assert_eq!(
            headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer"),
            "{name}"
        );
    }
    assert!(
        s.subgraph("shop").received().is_empty(),
        "a refused request reached the subgraph"
    );

    // A valid token from either issuer passes; the subgraph sees the verified
    // claims, never the client's forged claims header.
    let a = sign(Algorithm::RS256, Some("a1"), &good_a, &rsa_a());
    let b = sign(
        Algorithm::ES256,
        Some("b1"),
        &claims("https://b.example", "shop-b"),
        &ec(EC_B1),
    );
    for token in [a, b] {
        let (status, body, _) = call(&s, Some(&format!("Bearer {token}"))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["product"]["name"], "Table", "{body}");
    }
    let headers = s.subgraph("shop").headers.lock().expect("lock").clone();
    assert_eq!(headers.len(), 2);
    for seen in &headers {
        let forwarded: Vec<&str> = seen
            .get_all("x-tessera-claims")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert_eq!(forwarded.len(), 1, "{forwarded:?}");
        let claims: Value = serde_json::from_str(forwarded[0]).expect("claims json");
        assert_eq!(claims["sub"], "user-1", "{claims}");
    }
}

#[tokio::test]
async fn a_key_rotated_into_the_jwks_is_accepted_without_a_restart() {
    let (s, jwks) = two_issuers(true).await;
    let rotated = sign(
        Algorithm::ES256,
        Some("b2"),
        &claims("https://b.example", "shop-b"),
        &ec(EC_B2),
    );
    let (status, body, _) = call(&s, Some(&format!("Bearer {rotated}"))).await;
    assert_eq!(status, 401, "{body}");
    let before = jwks.fetches();
    jwks.add(jwk(&ec(EC_B2), Algorithm::ES256, "b2"));
    let (status, body, _) = call(&s, Some(&format!("Bearer {rotated}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["product"]["name"], "Table", "{body}");
    assert!(jwks.fetches() > before, "the unknown kid caused a refetch");
    // The old key still works (both are in the set).
    let old = sign(
        Algorithm::ES256,
        Some("b1"),
        &claims("https://b.example", "shop-b"),
        &ec(EC_B1),
    );
    let (status, _, _) = call(&s, Some(&format!("Bearer {old}"))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn without_required_authentication_anonymous_requests_run_and_bad_tokens_still_fail() {
    let (s, _jwks) = two_issuers(false).await;
    let (status, body, _) = call(&s, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["product"]["name"], "Table", "{body}");
    // The forged claims header never reaches the subgraph, even anonymously.
    let headers = s.subgraph("shop").headers.lock().expect("lock").clone();
    assert!(headers[0].get("x-tessera-claims").is_none());
    // A present but invalid token is refused, not treated as anonymous.
    let (status, body, _) = call(&s, Some("Bearer nope")).await;
    assert_eq!(status, 401, "{body}");
    // Over plain application/json too.
    let response = reqwest::Client::new()
        .post(s.router.graphql_url())
        .header("authorization", "Bearer nope")
        .json(&json!({"query": QUERY}))
        .send()
        .await
        .expect("router reachable");
    assert_eq!(response.status().as_u16(), 401);
}

/// A JWKS URL that is down at start: the router starts, refuses tokens it
/// cannot check, and accepts them once the keys can be fetched.
#[tokio::test]
async fn an_unreachable_jwks_url_keeps_the_router_up() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let mut b = issuer("https://b.example", "shop-b", vec![Algorithm::ES256]);
    b.jwks_url = Some(format!("http://{addr}/jwks.json"));
    let s = Scenario::compose_with(vec![shop()], |c| {
        c.authentication.jwt = Some(JwtConfig {
            issuers: vec![b],
            ..JwtConfig::default()
        });
    })
    .await;
    let token = sign(
        Algorithm::ES256,
        Some("b1"),
        &claims("https://b.example", "shop-b"),
        &ec(EC_B1),
    );
    let (status, body, _) = call(&s, Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, 401, "{body}");
    let (status, _, _) = call(&s, None).await;
    assert_eq!(status, 200);
}

/// Configuring only RS256 leaves HS256 off, and the public development
/// secret is refused outside `tessera dev`.
#[tokio::test]
async fn insecure_configurations_do_not_start() {
    let sdl = {
        let s = Scenario::compose(vec![shop()]).await;
        s.supergraph.clone()
    };
    let mut hs = issuer("tessera", "tessera", vec![Algorithm::HS256]);
    hs.secret = Some(tessera_kit::auth::DEV_HS256_SECRET.to_owned());
    let mut config = tessera_router::RouterConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..tessera_router::RouterConfig::default()
    };
    config.authentication.jwt = Some(JwtConfig {
        issuers: vec![hs],
        ..JwtConfig::default()
    });
    let error = tessera_router::start(config.clone(), &sdl)
        .await
        .expect_err("the public secret is refused");
    assert!(
        error.to_string().contains("ships in Tessera's source"),
        "{error}"
    );
    let yaml = "authentication:\n  jwt:\n    issuers:\n      - issuer: a\n        algorithms: [HS256]\n        secret: short\n";
    let config = tessera_router::RouterConfig::from_yaml(yaml).expect("parses");
    assert!(tessera_router::start(config, &sdl).await.is_err());
    let yaml =
        "authentication:\n  jwt:\n    issuers:\n      - issuer: a\n        algorithms: [none]\n";
    assert!(tessera_router::RouterConfig::from_yaml(yaml).is_err());
}
