//! The differential oracle over every federation scenario: seeded random
//! queries (`federation_kit::generate`) answered by the router and checked
//! against what the data says (`federation_kit::oracle`). A difference is
//! shrunk to a minimal query and reported with both answers and the plan.
//!
//! ```sh
//! TESSERA_STOREFRONT=off cargo test -p tessera-router --test it oracle            # the fixed seed, 25 per supergraph
//! ORACLE_QUERIES=400 ORACLE_SEED=7 SCENARIO=requires cargo test -p tessera-router --test it oracle -- --nocapture
//! ```
//!
//! A suite may list differences that are known and explained (planner-side,
//! see `router/README.md`) in `oracle-known.txt`: `=== <why>`, then `has:`
//! lines, substrings the query contains. Only a **refusal** can be known: a
//! difference where the router answered `QUERY_PLANNING_FAILED` and the query
//! contains every `has:` of an entry is counted as known; wrong data never is.

use std::hash::{Hash, Hasher};
use std::path::Path;

use serde_json::{Value, json};

use crate::federation_kit::generate::{self, Query};
use crate::federation_kit::oracle::{Graph, Oracle, Verdict};
use crate::federation_kit::{Scenario, data, response};
use crate::scenarios::{self, Variant};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `oracle-known.txt`: `(why, substrings)` entries.
fn known(dir: &Path) -> Result<Vec<(String, Vec<String>)>, String> {
    let Ok(text) = std::fs::read_to_string(dir.join("oracle-known.txt")) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(why) = line.strip_prefix("=== ") {
            out.push((why.to_string(), Vec::new()));
        } else if let Some(needle) = line.strip_prefix("has: ") {
            match out.last_mut() {
                Some((_, needles)) => needles.push(needle.to_string()),
                None => return Err(format!("oracle-known.txt: `has:` before `===`: {line}")),
            }
        } else if !line.trim().is_empty() && !line.starts_with('#') {
            return Err(format!("oracle-known.txt: unknown line {line:?}"));
        }
    }
    if let Some((why, _)) = out.iter().find(|(_, needles)| needles.is_empty()) {
        return Err(format!("oracle-known.txt: {why:?} has no `has:`"));
    }
    Ok(out)
}

/// The known entry a refusal of `query` matches, if any.
fn known_refusal<'k>(
    known: &'k [(String, Vec<String>)],
    query: &str,
    body: &Value,
) -> Option<&'k str> {
    let refused = body["data"].is_null()
        && body["errors"][0]["extensions"]["code"] == "QUERY_PLANNING_FAILED";
    if !refused {
        return None;
    }
    known
        .iter()
        .find(|(_, needles)| needles.iter().all(|n| query.contains(n.as_str())))
        .map(|(why, _)| why.as_str())
}

/// Whether `supergraph` has a progressive override label strictly between
/// `percent(0)` and `percent(100)`: its plans are drawn per request.
fn draws_per_request(supergraph: &str) -> bool {
    supergraph
        .split("overrideLabel: \"percent(")
        .skip(1)
        .filter_map(|rest| rest.split(')').next()?.trim().parse::<f64>().ok())
        .any(|p| p > 0.0 && p < 100.0)
}

async fn verdict(scenario: &Scenario, oracle: &Oracle, query: &Query) -> (Verdict, Value) {
    let (_, body) = scenario.post(&query.text(), query.variable_values()).await;
    let verdict = oracle.accepts(&query.text(), &query.variable_values(), &body);
    (verdict, body)
}

#[derive(Default)]
struct Outcome {
    failures: Vec<String>,
    known: Vec<String>,
    queries: usize,
    /// Why the oracle could not answer, per suite and reason.
    unanswerable: Vec<String>,
    /// Right data with errors the oracle's answer has not.
    extra_errors: Vec<String>,
    /// The suite has state (`state.json`) and was not asked.
    stateful: bool,
}

async fn run_suite(dir: std::path::PathBuf, count: u64, seed: u64) -> Outcome {
    let suite = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Outcome::default();
    // A suite with state is not answerable from its data: its fields change
    // the shared tables (insert, update, delete) and its entity fetches may
    // consume rows (`take`), so what a query answers depends on every query
    // before it (and on how often the plan fetches an entity), which the
    // oracle, reading fixed data, cannot know. Its operations.txt checks it.
    if dir.join("state.json").exists() {
        out.stateful = true;
        return out;
    }
    let variants = match scenarios::variants(&dir) {
        Ok(v) => v,
        Err(e) => {
            out.failures.push(format!("{suite}: {e}"));
            return out;
        }
    };
    let known = match known(&dir) {
        Ok(k) => k,
        Err(e) => {
            out.failures.push(format!("{suite}: {e}"));
            return out;
        }
    };
    for (variant, handwritten) in variants {
        let at = format!("{suite} [{}]", variant.name());
        let scenario = match scenarios::start(&dir, variant, handwritten.as_deref()).await {
            Ok(s) => s,
            Err(e) => {
                out.failures.push(format!("{at}: {e}"));
                continue;
            }
        };
        let graphs = match scenarios::subgraph_files(&dir) {
            Ok(files) => files
                .into_iter()
                .map(|(name, sdl, d)| Graph {
                    name,
                    resolver: std::sync::Arc::new(data::Resolver::new(&sdl, d)),
                })
                .collect(),
            Err(e) => {
                out.failures.push(format!("{at}: {e}"));
                continue;
            }
        };
        let oracle = match Oracle::new(&scenario.supergraph, graphs) {
            Ok(o) => o,
            Err(e) => {
                out.failures.push(format!("{at}: oracle: {e}"));
                continue;
            }
        };
        if let (Ok(name), Ok(text)) = (
            std::env::var("ORACLE_SUBGRAPH"),
            std::env::var("ORACLE_SUBGRAPH_QUERY"),
        ) {
            let variables: Value = std::env::var("ORACLE_VARIABLES")
                .ok()
                .and_then(|v| serde_json::from_str(&v).ok())
                .unwrap_or(json!({}));
            let url = scenario.subgraph(&name).url.clone();
            let body: Value = reqwest::Client::new()
                .post(url)
                .json(&json!({"query": text, "variables": variables}))
                .send()
                .await
                .expect("subgraph")
                .json()
                .await
                .expect("json");
            eprintln!("{at} subgraph {name}: {body}");
            continue;
        }
        if let Ok(text) = std::env::var("ORACLE_QUERY") {
            // Exploration: one query, both answers printed.
            let variables: Value = std::env::var("ORACLE_VARIABLES")
                .ok()
                .and_then(|v| serde_json::from_str(&v).ok())
                .unwrap_or(json!({}));
            let (_, body) = scenario.post(&text, variables.clone()).await;
            let verdict = match oracle.accepts(&text, &variables, &body) {
                Verdict::Accepted => "accepted".to_string(),
                Verdict::Rejected { expected } => format!("rejected; oracle: {expected}"),
                Verdict::Unanswerable(why) => format!("unanswerable: {why}"),
                Verdict::ExtraErrors => "right data, extra errors".to_string(),
            };
            eprintln!(
                "{at}\nplan: {}\nrouter: {}\n{verdict}\nsupergraph:\n{}",
                body["__plan"].as_str().unwrap_or_default(),
                response(body.clone()),
                scenario.supergraph
            );
            continue;
        }
        let strings = oracle.strings();
        // Plans must not depend on the process (hash seeds): a second router
        // plans every generated query too, and the plans must be equal —
        // unless a progressive override label draws per request.
        let drawn = draws_per_request(&scenario.supergraph);
        let second = scenario.second_router().await;
        let second_url = second.graphql_url();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (suite.as_str(), variant.name()).hash(&mut hasher);
        let base = hasher.finish() ^ seed;
        let mut reported = 0;
        for i in 0..count {
            let Some(query) =
                generate::generate(oracle.api_schema(), &strings, base.wrapping_add(i))
            else {
                continue;
            };
            out.queries += 1;
            let (first, body) = verdict(&scenario, &oracle, &query).await;
            let (_, again) = scenario
                .post_to(&second_url, &query.text(), query.variable_values())
                .await;
            if !drawn && again["__plan"] != body["__plan"] {
                out.failures.push(format!(
                    "{at}: two routers planned differently\nquery: {}\nfirst:\n{}\nsecond:\n{}",
                    query.text(),
                    body["__plan"].as_str().unwrap_or_default(),
                    again["__plan"].as_str().unwrap_or_default(),
                ));
            }
            // Refused by the router's request limits (cost, depth, ...): a
            // policy, not an answer the data decides.
            let limited = body["data"].is_null()
                && body["errors"][0]["extensions"]["code"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("MAX_") || c == "COST_ESTIMATED_TOO_EXPENSIVE");
            if limited {
                out.unanswerable
                    .push(format!("{at}: refused by the router's limits"));
                continue;
            }
            match first {
                Verdict::Accepted => {}
                Verdict::Unanswerable(why) => out.unanswerable.push(format!("{at}: {why}")),
                Verdict::ExtraErrors => out.extra_errors.push(format!("{at}: {}", query.text())),
                Verdict::Rejected { .. } => {
                    if let Some(why) = known_refusal(&known, &query.text(), &body) {
                        out.known.push(format!("{at}: {why}"));
                        continue;
                    }
                    if reported >= 3 {
                        // Enough examples of this suite; the count says the rest.
                        out.failures.push(format!(
                            "{at}: (another difference, seed {})",
                            base.wrapping_add(i)
                        ));
                        continue;
                    }
                    reported += 1;
                    let small = generate::shrink(oracle.api_schema(), query.clone(), 200, |q| {
                        let scenario = &scenario;
                        let oracle = &oracle;
                        async move {
                            matches!(
                                verdict(scenario, oracle, &q).await.0,
                                Verdict::Rejected { .. }
                            )
                        }
                    })
                    .await;
                    let (verdict_small, body_small) = verdict(&scenario, &oracle, &small).await;
                    let (expected, actual) = match verdict_small {
                        Verdict::Rejected { expected } => (expected, body_small),
                        _ => (json!(null), body.clone()),
                    };
                    let text = small.text();
                    if let Some(why) = known_refusal(&known, &text, &actual) {
                        out.known.push(format!("{at}: {why}"));
                        continue;
                    }
                    let plan = actual["__plan"].as_str().unwrap_or_default().to_string();
                    out.failures.push(format!(
                        "{at}: seed {}\nquery: {text}\nvariables: {}\noracle: {}\nrouter: {}\nplan:\n{plan}",
                        base.wrapping_add(i),
                        small.variable_values(),
                        expected,
                        response(actual),
                    ));
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_queries_answer_what_the_data_says() {
    let count = env_number("ORACLE_QUERIES", 25);
    let seed = env_number("ORACLE_SEED", 1);
    let dirs = scenarios::suites();
    let mut tasks = tokio::task::JoinSet::new();
    for dir in dirs.clone() {
        tasks.spawn(run_suite(dir, count, seed));
    }
    let mut failures = Vec::new();
    let mut known = Vec::new();
    let mut queries = 0;
    let mut unanswerable: Vec<String> = Vec::new();
    let mut extra_errors: Vec<String> = Vec::new();
    let mut stateful = 0;
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(o) => {
                failures.extend(o.failures);
                known.extend(o.known);
                queries += o.queries;
                unanswerable.extend(o.unanswerable);
                extra_errors.extend(o.extra_errors);
                stateful += usize::from(o.stateful);
            }
            Err(e) => failures.push(format!("a suite panicked: {e}")),
        }
    }
    failures.sort();
    known.sort();
    eprintln!(
        "oracle: {} suites, {queries} queries, {} the oracle cannot answer, {} known differences; {stateful} suites skipped: stateful",
        dirs.len() - stateful,
        unanswerable.len(),
        known.len()
    );
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for why in &unanswerable {
        *reasons.entry(why.as_str()).or_default() += 1;
    }
    for (why, n) in reasons {
        eprintln!("unanswerable ×{n}: {why}");
    }
    let mut counted: std::collections::BTreeMap<&str, usize> = Default::default();
    for k in &known {
        *counted.entry(k.as_str()).or_default() += 1;
    }
    for (k, n) in counted {
        eprintln!("known ×{n}: {k}");
    }
    extra_errors.sort();
    for e in &extra_errors {
        eprintln!("right data, extra errors: {e}");
    }
    assert!(
        failures.is_empty(),
        "{} difference(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn generated_queries_are_valid_and_deterministic() {
    let schema = apollo_compiler::Schema::parse_and_validate(
        "type Query { a(x: Int!, f: In): [U] s: String }
         interface I { id: ID! } type A implements I { id: ID! n: Int } type B implements I { id: ID! }
         union U = A | B
         input In { y: String! z: [Int] }",
        "s.graphql",
    )
    .expect("schema");
    let strings = vec!["x".to_string()];
    let _ = Variant::Composed;
    for seed in 0..200 {
        let a = generate::generate(&schema, &strings, seed).expect("a query");
        let b = generate::generate(&schema, &strings, seed).expect("a query");
        assert_eq!(a.text(), b.text(), "same seed, same query");
        apollo_compiler::ExecutableDocument::parse_and_validate(&schema, a.text(), "q.graphql")
            .unwrap_or_else(|e| panic!("{}\n{}", a.text(), e.errors));
    }
}

#[test]
fn progressive_override_labels_that_draw() {
    let field = |label: &str| format!("f: Int @join__field(graph: A, overrideLabel: \"{label}\")");
    assert!(draws_per_request(&field("percent(50)")));
    assert!(draws_per_request(&field("percent(0.5)")));
    assert!(!draws_per_request(&field("percent(0)")));
    assert!(!draws_per_request(&field("percent(100)")));
    assert!(!draws_per_request(&field("my-flag")));
}
