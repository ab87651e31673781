//! How long composition takes: our four golden subgraphs (what `tessera
//! compose` and `tessera dev` compose) and the largest audit-shaped scenario
//! of the router tests (abstract-types, seven subgraphs).
//!
//! `cargo bench -p tessera-schema --bench compose`

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_schema::{SubgraphSdl, compose};

fn subgraphs(dir: &Path) -> Vec<SubgraphSdl> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("subgraph directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "graphql")
                && p.file_stem().is_some_and(|s| s != "supergraph")
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let sdl = std::fs::read_to_string(path).expect("sdl");
            SubgraphSdl::new(name.clone(), format!("http://{name}.example/graphql"), sdl)
        })
        .collect()
}

fn compose_benches(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (label, dir) in [
        ("compose_golden_subgraphs", root.join("subgraphs")),
        (
            "compose_abstract_types_scenario",
            root.join("../router/tests/scenarios/abstract-types"),
        ),
    ] {
        let input = subgraphs(&dir);
        assert!(compose(&input).is_ok(), "{label} composes");
        c.bench_function(label, |b| {
            b.iter(|| black_box(compose(black_box(&input)).is_ok()))
        });
    }
}

criterion_group!(benches, compose_benches);
criterion_main!(benches);
