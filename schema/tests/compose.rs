//! Data-driven composition tests.
//!
//! Each `tests/fixtures/compose/<case>/` holds `subgraphs/*.graphql` (subgraph name =
//! file stem, in file-name order) and the expected result: `supergraph.expected` when
//! composition succeeds (warnings, if any, in `warnings.expected`), `errors.expected`
//! when it fails. An optional `query.graphql` is planned with hive-router's query
//! planner and the plan compared with `plan.expected`.
//!
//! Rewrite the expectations with `UPDATE_EXPECT=1 cargo test -p tessera-schema --test compose`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use apollo_compiler::Schema;
use tessera_schema::{SubgraphSdl, Supergraph, api_schema, compose};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose")
}

fn load_subgraphs(dir: &Path) -> Vec<SubgraphSdl> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join("subgraphs"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let sdl = fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
            SubgraphSdl::new(name.clone(), format!("http://{name}.example/graphql"), sdl)
        })
        .collect()
}

/// Plans `query` against `supergraph_sdl` with hive-router's planner; returns the plan.
fn plan(supergraph_sdl: &str, query: &str) -> String {
    use hive_router_query_planner::ast::normalization::normalize_operation;
    use hive_router_query_planner::graph::PlannerOverrideContext;
    use hive_router_query_planner::planner::{Planner, QueryPlannerOptions};
    use hive_router_query_planner::utils::cancellation::CancellationToken;
    use hive_router_query_planner::utils::parsing::{safe_parse_operation, safe_parse_schema};

    let document = safe_parse_schema(supergraph_sdl).expect("planner parses the supergraph");
    let planner = Planner::new_from_supergraph(&document, QueryPlannerOptions::default())
        .expect("planner loads the supergraph");
    let operation = safe_parse_operation(query).expect("operation parses");
    let normalized =
        normalize_operation(&planner.supergraph, &operation, None).expect("operation normalizes");
    let plan = planner
        .plan_from_normalized_operation(
            &normalized.operation,
            PlannerOverrideContext::default(),
            &CancellationToken::with_timeout(std::time::Duration::from_secs(10)),
        )
        .expect("operation plans");
    plan.to_string()
}

#[test]
fn compose_fixtures() {
    let mut cases: Vec<PathBuf> = fs::read_dir(fixtures())
        .expect("fixtures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "fixtures missing");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let subgraphs = load_subgraphs(case);
        match compose(&subgraphs) {
            Ok(composed) => {
                if name.starts_with("error_") {
                    failures.push(format!("{name}: expected composition errors, got success"));
                }
                // Standard consumers accept it: apollo-compiler, our loader, the planner.
                if let Err(e) = Schema::parse_and_validate(&composed.supergraph_sdl, "sg.graphql") {
                    failures.push(format!("{name}: apollo-compiler rejects it:\n{}", e.errors));
                }
                match Supergraph::parse(&composed.supergraph_sdl) {
                    Ok(sg) => {
                        if let Err(e) = api_schema(&sg) {
                            failures.push(format!("{name}: no API schema: {e}"));
                        }
                    }
                    Err(e) => failures.push(format!("{name}: Supergraph::parse: {e}")),
                }
                common::check_expect(
                    &case.join("supergraph.expected"),
                    &composed.supergraph_sdl,
                    &mut failures,
                );
                let warnings: String = composed.warnings.iter().map(|w| format!("{w}\n")).collect();
                let warnings_path = case.join("warnings.expected");
                if !warnings.is_empty() || warnings_path.exists() {
                    common::check_expect(&warnings_path, &warnings, &mut failures);
                }
                let query_path = case.join("query.graphql");
                if let Ok(query) = fs::read_to_string(&query_path) {
                    let plan = plan(&composed.supergraph_sdl, &query);
                    common::check_expect(&case.join("plan.expected"), &plan, &mut failures);
                }
            }
            Err(errors) => {
                if !name.starts_with("error_") {
                    failures.push(format!("{name}: unexpected composition errors:\n{errors}"));
                    continue;
                }
                for error in errors.errors() {
                    if error.subgraphs.is_empty() || error.coordinate.is_none() {
                        failures.push(format!(
                            "{name}: error without subgraph or coordinate: {error}"
                        ));
                    }
                }
                let report: String = errors
                    .diagnostics
                    .iter()
                    .map(|d| format!("{d}\n"))
                    .collect();
                common::check_expect(&case.join("errors.expected"), &report, &mut failures);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn golden_subgraphs() -> Vec<SubgraphSdl> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("subgraphs");
    ["users", "orders", "inventory", "notifications"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let sdl = fs::read_to_string(dir.join(format!("{name}.graphql")))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            SubgraphSdl::new(*name, format!("http://127.0.0.1:{}/graphql", 4001 + i), sdl)
        })
        .collect()
}

#[test]
fn golden_subgraphs_compose_into_a_supergraph_the_planner_accepts() {
    let composed = match compose(&golden_subgraphs()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let sdl = &composed.supergraph_sdl;
    Schema::parse_and_validate(sdl, "supergraph.graphql").expect("apollo-compiler validates it");
    assert!(sdl.contains(r#"@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)"#));
    assert!(
        sdl.contains(r#"USERS @join__graph(name: "users", url: "http://127.0.0.1:4001/graphql")"#)
    );
    assert!(sdl.contains(
        "type Query @join__type(graph: USERS) @join__type(graph: ORDERS) @join__type(graph: INVENTORY)"
    ));

    // users → orders → inventory in one query, plus @requires from inventory for orders.
    let plan = plan(
        sdl,
        "query { me { name orders { edges { node { lines { product { name priceCents shippingEstimateCents } } } } } } }",
    );
    for subgraph in ["\"users\"", "\"orders\"", "\"inventory\""] {
        assert!(
            plan.contains(subgraph),
            "{subgraph} missing from plan:\n{plan}"
        );
    }
    assert!(plan.contains("Flatten"), "{plan}");

    // The API schema hides internal things and keeps the storefront's fields.
    let api = api_schema(&Supergraph::parse(sdl).expect("loads")).expect("api schema");
    let api = api.to_string();
    assert!(!api.contains("reserveStock") && !api.contains("warehouseZone"));
    assert!(api.contains("shippingEstimateCents: Int!"));
    // A type's description comes from the subgraph resolving most of its fields, not
    // from whichever subgraph that references it happens to come first.
    assert!(!sdl.contains("users only holds references"), "{sdl}");
    assert!(!sdl.contains("A user as orders sees them"), "{sdl}");
    assert!(!sdl.contains("A user as inventory sees them"));
}

#[test]
fn errors_are_collected_across_subgraphs_not_first_fail() {
    let mut subgraphs = load_subgraphs(&fixtures().join("error_override_external"));
    subgraphs.extend(load_subgraphs(
        &fixtures().join("error_requires_missing_field"),
    ));
    // Same names twice would be an error of its own: rename.
    for (i, s) in subgraphs.iter_mut().enumerate() {
        s.name = format!("{}{i}", s.name);
    }
    let errors = compose(&subgraphs).expect_err("must fail");
    let rules: Vec<&str> = errors.errors().map(|e| e.rule.code()).collect();
    assert!(
        rules.contains(&"OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE")
            && rules.contains(&"REQUIRES_INVALID_FIELDS"),
        "{errors}"
    );
}

#[test]
fn invalid_sdl_is_reported_per_subgraph() {
    let errors = compose(&[
        SubgraphSdl::new("good", "http://g", "type Query { a: Int }"),
        SubgraphSdl::new("bad", "http://b", "type Query {"),
    ])
    .expect_err("must fail");
    let error = errors.errors().next().expect("one error");
    assert_eq!(error.rule.code(), "INVALID_GRAPHQL");
    assert_eq!(error.subgraphs, vec!["bad".to_string()]);
    let none = compose(&[]).expect_err("no subgraphs");
    assert_eq!(none.diagnostics[0].rule.code(), "NO_SUBGRAPHS");
}

#[test]
fn one_of_inputs_stay_one_of_in_the_api_schema() {
    let composed = compose(&load_subgraphs(&fixtures().join("one_of_input"))).expect("composes");
    let supergraph = Supergraph::parse(&composed.supergraph_sdl).expect("loads");
    let api = api_schema(&supergraph).expect("API schema").to_string();
    assert!(api.contains("input ProductBy @oneOf {"), "{api}");
    assert!(api.contains("directive @oneOf on INPUT_OBJECT"), "{api}");
    assert!(!api.contains("join__"), "{api}");
}

#[test]
fn contextual_arguments_and_their_machinery_stay_out_of_the_api_schema() {
    let composed = compose(&load_subgraphs(&fixtures().join("context"))).expect("composes");
    let supergraph = Supergraph::parse(&composed.supergraph_sdl).expect("loads");
    let api = api_schema(&supergraph).expect("API schema").to_string();
    assert!(api.contains("price(rounded: Boolean): Int"), "{api}");
    for internal in [
        "currency: String @",
        "@context",
        "join__ContextArgument",
        "join__FieldValue",
    ] {
        assert!(!api.contains(internal), "{internal} in {api}");
    }
}
