//! `tessera events tail` and `tessera events replay`, run as the real binary
//! over the SQLite files a `tessera dev` platform left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

fn tessera(args: &[&str], data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "off")
        .env_remove("TESSERA_REDIS_URL")
        .output()
        .expect("run tessera")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "tessera failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
    token: Option<&str>,
) -> Value {
    let mut request = http
        .post(url)
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request
        .send()
        .await
        .expect("router")
        .json()
        .await
        .expect("json");
    assert!(body.get("errors").is_none(), "{body:#}");
    body
}

/// A dev platform's data: one user, two orders placed, the second cancelled.
async fn platform_with_orders() -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!(
        "tessera-events-{}-{}",
        std::process::id(),
        tessera_kit::ids::new_id()
    ));
    let platform = tessera_cli::dev::start(&tessera_cli::dev::DevOptions {
        storefront: None,
        ..tessera_cli::dev::DevOptions::on_free_ports(dir.clone())
    })
    .await
    .expect("dev platform");
    let http = reqwest::Client::new();
    let url = platform.router.graphql_url();
    let email = format!("events-{}@example.com", tessera_kit::ids::new_id());
    let body = post(
        &http,
        &url,
        "mutation($e: String!) { signUp(input: {email: $e, password: \"correct horse\", name: \"Ev\"}) { token } }",
        json!({"e": email}),
        None,
    )
    .await;
    let token = body["data"]["signUp"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let products = post(
        &http,
        &url,
        "{ products(first: 2) { edges { node { id } } } }",
        json!({}),
        None,
    )
    .await;
    let product = products["data"]["products"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("a product")
        .to_owned();
    let mut orders = Vec::new();
    for quantity in [2, 1] {
        let body = post(
            &http,
            &url,
            "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }",
            json!({"i": {"lines": [{"productId": product, "quantity": quantity}]}}),
            Some(&token),
        )
        .await;
        orders.push(
            body["data"]["placeOrder"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    post(
        &http,
        &url,
        "mutation($id: ID!) { cancelOrder(id: $id) { id } }",
        json!({"id": orders[1]}),
        Some(&token),
    )
    .await;
    // The in-process consumers catch up within moments.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    platform.stop().await;
    (dir, orders[1].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_prints_the_events_and_replay_rebuilds_a_consumer() {
    let (dir, cancelled) = platform_with_orders().await;

    let out = stdout(&tessera(
        &[
            "events",
            "tail",
            "--stream",
            "orders",
            "--from-start",
            "--limit",
            "3",
        ],
        &dir,
    ));
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON envelope per line"))
        .collect();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        types,
        ["OrderPlaced", "OrderPlaced", "OrderCancelled"],
        "{out}"
    );
    assert_eq!(events[2]["aggregateId"], cancelled.as_str(), "{out}");

    // Every consumer has applied every event already: a replay changes nothing.
    for consumer in [
        "notifications",
        "inventory-analytics",
        "inventory-reservations",
    ] {
        let out = stdout(&tessera(
            &["events", "replay", "--consumer", consumer],
            &dir,
        ));
        assert!(
            out.contains("replayed 3 event(s)") && out.contains("0 applied, 3 applied before"),
            "{consumer}: {out}"
        );
    }
    // A reset consumer applies them all again, rebuilding its read model.
    let out = stdout(&tessera(
        &[
            "events",
            "replay",
            "--consumer",
            "inventory-analytics",
            "--reset",
        ],
        &dir,
    ));
    assert!(out.contains("3 applied, 0 applied before"), "{out}");
    // From the third event on: one event.
    let third = events[2]["id"].as_str().expect("id");
    let out = stdout(&tessera(
        &[
            "events",
            "replay",
            "--consumer",
            "notifications",
            "--from",
            third,
        ],
        &dir,
    ));
    assert!(out.contains("replayed 1 event(s)"), "{out}");

    // Refusals: an unknown consumer, a reset with no read model, a bad --from.
    for args in [
        &["events", "replay", "--consumer", "nobody"][..],
        &[
            "events",
            "replay",
            "--consumer",
            "inventory-reservations",
            "--reset",
        ],
        &[
            "events",
            "replay",
            "--consumer",
            "notifications",
            "--from",
            "yesterday",
        ],
        &[
            "events",
            "replay",
            "--consumer",
            "notifications",
            "--reset",
            "--from",
            "2026-01-01T00:00:00Z",
        ],
    ] {
        let output = tessera(args, &dir);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("error:"),
            "{args:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_says_when_there_is_no_platform_data() {
    let dir = std::env::temp_dir().join(format!("tessera-events-none-{}", std::process::id()));
    let output = tessera(&["events", "replay", "--consumer", "notifications"], &dir);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("run `tessera dev` first"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
