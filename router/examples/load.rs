//! A closed-loop HTTP load generator for GraphQL endpoints (used by
//! `router/bench/run.sh`): `C` workers each send the same POST back to back for
//! `D` seconds after a warm-up, then it prints one JSON line with requests/s,
//! p50/p99 latency and the error count. `requests` and `errors` count the
//! measured requests only; `total_requests` also counts the warm-up ones (every
//! request sent; each has finished, answered or failed, before the line is
//! printed), for per-request figures from counters read around the whole run.
//! Loopback targets only.
//!
//! `cargo run --release --example load -- URL QUERY_FILE [CONCURRENCY] [SECONDS] [WARMUP_SECONDS]`

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(query_file)) = (args.first(), args.get(1)) else {
        eprintln!("usage: load URL QUERY_FILE [CONCURRENCY] [SECONDS] [WARMUP_SECONDS]");
        std::process::exit(2);
    };
    let host = reqwest::Url::parse(url)?
        .host_str()
        .unwrap_or_default()
        .to_owned();
    if !(host == "localhost" || host.starts_with("127.") || host == "[::1]") {
        eprintln!("refusing to load a non-loopback host: {host}");
        std::process::exit(2);
    }
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    let warmup: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(3);
    let query = std::fs::read_to_string(query_file)?;
    let body = serde_json::to_vec(&serde_json::json!({ "query": query }))?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    let start = Instant::now();
    let measure_from = start + Duration::from_secs(warmup);
    let end = measure_from + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let body = body.clone();
        let url = url.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut total = 0u64;
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let ok = match client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                {
                    Ok(r) => {
                        let status = r.status();
                        match r.bytes().await {
                            Ok(b) => {
                                status.is_success() && !b.windows(9).any(|w| w == b"\"errors\":")
                            }
                            Err(_) => false,
                        }
                    }
                    Err(_) => false,
                };
                total += 1;
                if sent >= measure_from {
                    latencies.push(sent.elapsed());
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (latencies, errors, total)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut total = 0;
    for w in workers {
        let (l, e, t) = w.await?;
        latencies.extend(l);
        errors += e;
        total += t;
    }
    latencies.sort();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let idx = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[idx].as_secs_f64() * 1000.0
    };
    println!(
        "{}",
        serde_json::json!({
            "requests": latencies.len(),
            "rps": (latencies.len() as f64 / seconds as f64).round(),
            "p50_ms": (pct(0.50) * 100.0).round() / 100.0,
            "p99_ms": (pct(0.99) * 100.0).round() / 100.0,
            "errors": errors,
            "concurrency": concurrency,
            "seconds": seconds,
            "total_requests": total,
            "warmup_seconds": warmup,
        })
    );
    Ok(())
}
