//! Criterion benchmarks for the router's hot paths: a plan-cache hit, merging
//! subgraph responses into the response tree, and projecting the merged tree
//! onto the client's operation as response bytes.
//!
//! `cargo bench -p tessera-router --bench hot_paths`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_router::config::LimitsConfig;
use tessera_router::config::PlannerConfig;
use tessera_router::internals::QueryPlanner;
use tessera_router::internals::{ProjectionTypes, project};
use tessera_router::internals::{Value as JsonValue, deep_merge};

const SUPERGRAPH: &str = include_str!("../../schema/supergraph.graphql");
const OPERATION: &str = "query MyOrders { me { name orders(first: 10) { edges { node { totalCents lines { quantity product { name stock shippingEstimateCents } } } } } } }";

fn plan_cache_hit(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let planner = QueryPlanner::new(SUPERGRAPH, &PlannerConfig::default()).expect("planner");
    // The first call plans and fills the cache.
    runtime
        .block_on(planner.plan(OPERATION.to_owned(), Some("MyOrders".to_owned())))
        .expect("plan");
    c.bench_function("plan_cache_hit", |b| {
        b.iter(|| {
            let plan = runtime.block_on(
                planner.plan(black_box(OPERATION.to_owned()), Some("MyOrders".to_owned())),
            );
            black_box(plan.is_ok())
        })
    });
}

/// `n` orders of 3 lines each, as orders returns them, and the entity data
/// inventory returns for the same lines.
fn responses(n: usize) -> (JsonValue, JsonValue) {
    let orders: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({"node": {"totalCents": i * 100, "lines": (0..3).map(|l| serde_json::json!({
                "quantity": l + 1,
                "product": {"__typename": "Product", "id": format!("p{}", (i + l) % 36), "name": format!("Product {l}")}
            })).collect::<Vec<_>>()}})
        })
        .collect();
    let stock: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({"node": {"lines": (0..3).map(|l| serde_json::json!({
                "product": {"stock": (i * 7 + l) % 40, "weightGrams": 1200, "warehouseZone": "EU-1", "shippingEstimateCents": 500 + l}
            })).collect::<Vec<_>>()}})
        })
        .collect();
    let to_json = |v: serde_json::Value| serde_json::from_value::<JsonValue>(v).expect("json");
    (
        to_json(serde_json::json!({"me": {"name": "Grace", "orders": {"edges": orders}}})),
        to_json(serde_json::json!({"me": {"orders": {"edges": stock}}})),
    )
}

fn merge_responses(c: &mut Criterion) {
    for n in [10, 100] {
        let (base, patch) = responses(n);
        c.bench_function(&format!("deep_merge_{n}_orders"), |b| {
            b.iter_batched(
                || (base.clone(), patch.clone()),
                |(mut target, source)| {
                    deep_merge(&mut target, source);
                    black_box(target)
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
}

fn project_response(c: &mut Criterion) {
    let supergraph = tessera_schema::Supergraph::parse(SUPERGRAPH).expect("supergraph");
    let api = tessera_schema::api_schema(&supergraph).expect("api schema");
    let types = ProjectionTypes::new(&api);
    let ctx = types.with(&api);
    let limits = LimitsConfig::default();
    let document = tessera_router::internals::parse(OPERATION, &limits).expect("parse");
    let operation = tessera_router::internals::validate(
        &api,
        document,
        Some("MyOrders"),
        &Default::default(),
        &limits,
        true,
    )
    .expect("valid");
    for n in [10, 100] {
        let (mut data, patch) = responses(n);
        deep_merge(&mut data, patch);
        let (bytes, errors) = project(&ctx, &operation, &data, false);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(bytes.is_some_and(|b| b.len() > n * 100));
        c.bench_function(&format!("project_{n}_orders"), |b| {
            b.iter(|| {
                let (bytes, errors) = project(&ctx, &operation, black_box(&data), false);
                black_box((bytes.map(|b| b.len()), errors.len()))
            })
        });
    }
}

criterion_group!(benches, plan_cache_hit, merge_responses, project_response);
criterion_main!(benches);
