//! Criterion benchmarks for the router's hot paths: a plan-cache hit and
//! merging subgraph responses into the response tree.
//!
//! `cargo bench -p tessera-router --bench hot_paths`

use std::hint::black_box;

use apollo_compiler::response::JsonValue;
use criterion::{Criterion, criterion_group, criterion_main};
use tessera_router::config::PlannerConfig;
use tessera_router::execute::merge::deep_merge;
use tessera_router::plan::QueryPlanner;

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
                "product": {"stock": (i * 7 + l) % 40, "weightGrams": 1200, "warehouseZone": "EU-1"}
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

criterion_group!(benches, plan_cache_hit, merge_responses);
criterion_main!(benches);
