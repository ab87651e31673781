//! What is left in Rust of the federation gateway audit's operation suites:
//! one assertion about `enum-intersection`'s composed supergraph itself (not
//! an operation, so not a case of the data format). The suites' operations
//! run from data: `router/tests/scenarios/{executable-directive-definition-default-arguments,
//! simple-inaccessible,include-skip,enum-intersection,input-object-intersection,mutations}`
//! (`mutations`, whose subgraphs share a mutable store, through the format's
//! `state.json`).

// enum-intersection ----------------------------------------------------------

/// The composed supergraph of `router/tests/scenarios/enum-intersection` (its
/// operations run from the data files): `ANONYMOUS`, `@inaccessible` and only
/// in b, is joined to b only.
#[test]
fn enum_intersection_joins_the_inaccessible_value_to_b_only() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/enum-intersection");
    let sdls: Vec<tessera_schema::SubgraphSdl> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let sdl =
                std::fs::read_to_string(dir.join(format!("{name}.graphql"))).expect("subgraph SDL");
            tessera_schema::SubgraphSdl::new(name, format!("http://{name}.invalid/graphql"), sdl)
        })
        .collect();
    let supergraph = tessera_schema::compose(&sdls)
        .expect("composes")
        .supergraph_sdl;
    let anonymous = supergraph
        .lines()
        .find(|line| line.trim_start().starts_with("ANONYMOUS"))
        .unwrap_or_default();
    assert!(
        anonymous.contains("@inaccessible")
            && anonymous.contains("graph: B")
            && !anonymous.contains("graph: A"),
        "{supergraph}"
    );
}
