//! `tessera serve` as the real binary: thread-per-core workers serving many
//! connections at once, then a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// A child process killed when dropped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address in the router's "router listening" log line.
fn listening_addr(line: &str) -> Option<String> {
    if !line.contains("router listening") {
        return None;
    }
    let start = line.find("127.0.0.1:")?;
    let digits: String = line[start + "127.0.0.1:".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("127.0.0.1:{digits}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_thread_per_core_and_stops_gracefully() {
    let dir = std::env::temp_dir().join(format!(
        "tessera-serve-{}-{}",
        std::process::id(),
        tessera_kit::ids::new_id()
    ));
    // The subgraphs of a dev platform (its own router is not used).
    let platform = tessera_cli::dev::start(&tessera_cli::dev::DevOptions {
        storefront: None,
        ..tessera_cli::dev::DevOptions::on_free_ports(dir.clone())
    })
    .await
    .expect("dev platform");
    let supergraph = dir.join("supergraph.graphql");
    std::fs::write(&supergraph, &platform.supergraph_sdl).expect("write supergraph");

    let child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("serve")
        .arg("--supergraph")
        .arg(&supergraph)
        .args(["--listen", "127.0.0.1:0"])
        .env("TESSERA_WORKERS", "2")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("TESSERA_REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run tessera serve");
    // Killed if an assertion fails before the SIGTERM below.
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let (line, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for read in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.send(read).is_err() {
                break;
            }
        }
    });
    // The address it listens on, and that it serves on two worker threads.
    let (mut addr, mut per_core) = (None, false);
    while addr.is_none() || !per_core {
        let read = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the router logs where it listens and how it serves");
        addr = addr.or_else(|| listening_addr(&read));
        per_core |= read.contains("serving thread per core") && read.contains("workers=2");
    }
    let addr = addr.expect("address");
    let url = format!("http://{addr}/graphql");

    // Sixteen clients, each on connections of its own, eight requests each:
    // every answer complete and the same whichever worker served it.
    // `shippingEstimateCents` is the orders subgraph's (`@requires`): an entity fetch.
    let query = "{ products(first: 3) { edges { node { id name shippingEstimateCents } } } }";
    let mut clients = Vec::new();
    for _ in 0..16 {
        let url = url.clone();
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut answers = Vec::new();
            for _ in 0..8 {
                let body: Value = http
                    .post(&url)
                    .json(&json!({ "query": query }))
                    .send()
                    .await
                    .expect("router answers")
                    .json()
                    .await
                    .expect("json");
                answers.push(body);
            }
            answers
        }));
    }
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.expect("client task"));
    }
    let first = answers.first().cloned().expect("answers");
    assert!(first.get("errors").is_none(), "{first:#}");
    let edges = first["data"]["products"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edges.len(), 3, "{first:#}");
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["shippingEstimateCents"].is_i64()),
        "{first:#}"
    );
    assert!(answers.iter().all(|a| *a == first), "answers differ");

    // SIGTERM: the router stops accepting, finishes, and exits cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = child.0.try_wait().expect("wait") {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(status) = exited else {
        panic!("the router did not stop within 10 s of SIGTERM");
    };
    assert!(status.success(), "{status}");
    platform.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_listening_line_names_the_address() {
    assert_eq!(
        listening_addr(
            "INFO tessera_router::serve: router listening; GraphQL at /graphql addr=127.0.0.1:4321"
        ),
        Some("127.0.0.1:4321".into())
    );
    assert_eq!(
        listening_addr("INFO subgraph url=http://127.0.0.1:5/graphql"),
        None
    );
}
