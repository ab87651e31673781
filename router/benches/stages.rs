//! The router's stages on the bench workload without the network: the
//! subgraph traffic of the nested query, recorded by `router/bench/record.sh`
//! (`benches/recorded/`), is answered in process, so these benches measure the
//! router's own CPU per request (parse, validate and plan from their caches,
//! execute: representations, `_entities` merges, projection, response bytes)
//! and parsing the recorded subgraph responses on their own.
//!
//! `cargo bench -p tessera-router --bench stages`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_router::config::RouterConfig;
use tessera_router::{Data, Gateway, GraphQLRequest, RequestContext};

// The allocator the router runs with, so the figures are the served ones.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SUPERGRAPH: &str = include_str!("recorded/supergraph.graphql");
const FETCHES: &str = include_str!("recorded/fetches.jsonl");
const NESTED: &str = include_str!("../bench/query.graphql");
const SINGLE: &str = "{ users { id username name } }";

#[derive(serde::Deserialize)]
struct Recorded {
    subgraph: String,
    request: String,
    response: String,
}

fn recorded() -> Vec<Recorded> {
    FETCHES
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("a recorded fetch"))
        .collect()
}

fn gateway() -> Gateway {
    let mut config = RouterConfig::default();
    config.subgraphs.deduplicate_requests = false;
    Gateway::new(config, SUPERGRAPH)
        .expect("the recorded supergraph loads")
        .replaying(
            recorded()
                .into_iter()
                .map(|r| (r.subgraph, r.request.into_bytes(), r.response.into_bytes()))
                .collect(),
        )
}

fn request(query: &str) -> GraphQLRequest {
    GraphQLRequest {
        query: Some(query.to_owned()),
        ..GraphQLRequest::default()
    }
}

fn in_process(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let gateway = gateway();
    for (name, query) in [("nested_query", NESTED), ("single_subgraph_query", SINGLE)] {
        // The first run fills the operation and plan caches, and checks that
        // every fetch was recorded: a replay miss is an error in the response.
        let response = runtime.block_on(gateway.handle(request(query), RequestContext::default()));
        assert!(
            response.errors.is_empty() && matches!(response.data, Data::Object(_)),
            "{name}: {:?} (rerun router/bench/record.sh?)",
            response.errors
        );
        c.bench_function(name, |b| {
            b.iter(|| {
                let response = runtime
                    .block_on(gateway.handle(request(black_box(query)), RequestContext::default()));
                black_box(response.to_bytes())
            })
        });
    }
}

fn parse_responses(c: &mut Criterion) {
    let bodies: Vec<Vec<u8>> = recorded()
        .into_iter()
        .map(|r| r.response.into_bytes())
        .collect();
    let total: usize = bodies.iter().map(Vec::len).sum();
    c.bench_function(
        &format!(
            "parse_nested_responses_{}_bodies_{total}_bytes",
            bodies.len()
        ),
        |b| {
            b.iter(|| {
                for body in &bodies {
                    black_box(tessera_router::internals::parse_json(black_box(body)).is_ok());
                }
            })
        },
    );
}

criterion_group!(benches, in_process, parse_responses);
criterion_main!(benches);
