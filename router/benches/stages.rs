//! The router's stages on the bench workload without the network: the
//! subgraph traffic of the nested query, recorded by `router/bench/record.sh`
//! (`benches/recorded/`), is answered in process, so these benches measure the
//! router's own CPU per request (parse, validate and plan from their caches,
//! execute: representations, `_entities` merges, projection, response bytes),
//! and two stages on their own: parsing the recorded subgraph responses, and
//! projecting the nested query over its own response data.
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

/// Projection alone: the nested query projected over the `data` the router
/// answered it with (the merged tree it projects in service also holds the
/// keys and `__typename`s the fetches added, so this is a little less work).
fn project_nested(c: &mut Criterion) {
    use tessera_router::config::LimitsConfig;
    use tessera_router::internals::{ProjectionTypes, project};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let response = runtime.block_on(gateway().handle(request(NESTED), RequestContext::default()));
    let body: serde_json::Value =
        serde_json::from_slice(&response.to_bytes()).expect("a JSON response");
    let data = tessera_router::internals::parse_json(body["data"].to_string().as_bytes())
        .expect("the response data parses");
    let supergraph = tessera_schema::Supergraph::parse(SUPERGRAPH).expect("supergraph");
    let api = tessera_schema::api_schema(&supergraph).expect("api schema");
    let types = ProjectionTypes::new(&api);
    let ctx = types.with(&api);
    let limits = LimitsConfig::default();
    let document = tessera_router::internals::parse(NESTED, &limits).expect("parse");
    let operation = tessera_router::internals::validate(
        &api,
        document,
        None,
        &Default::default(),
        &limits,
        true,
    )
    .expect("valid");
    let (bytes, errors) = project(&ctx, &operation, &data, false);
    assert!(errors.is_empty(), "{errors:?}");
    let size = bytes.map_or(0, |b| b.len());
    c.bench_function(&format!("project_nested_response_{size}_bytes"), |b| {
        b.iter(|| {
            let (bytes, errors) = project(&ctx, &operation, black_box(&data), false);
            black_box((bytes.map(|b| b.len()), errors.len()))
        })
    });
}

criterion_group!(benches, in_process, parse_responses, project_nested);
criterion_main!(benches);
