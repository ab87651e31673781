//! Which supergraphs the router accepts, and how it refuses the others.

use crate::common;

use tessera_router::{GatewayError, ServeError};

fn urls() -> common::Urls {
    common::Urls {
        accounts: "http://127.0.0.1:1/graphql".into(),
        inventory: "http://127.0.0.1:1/graphql".into(),
        products: "http://127.0.0.1:1/graphql".into(),
        reviews: "http://127.0.0.1:1/graphql".into(),
    }
}

async fn start(sdl: &str) -> Result<tessera_router::RunningRouter, ServeError> {
    tessera_router::start(common::test_config(), sdl).await
}

#[tokio::test]
async fn a_fed2_supergraph_starts_and_answers_introspection_offline() {
    let router = start(&common::supergraph_sdl(&urls()))
        .await
        .expect("starts");
    let response = reqwest::Client::new()
        .post(router.graphql_url())
        .json(&serde_json::json!({"query": "{ __type(name: \"Product\") { name } }"}))
        .send()
        .await
        .expect("reachable");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"data": {"__type": {"name": "Product"}}})
    );
    router.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_federation_1_supergraph_is_refused_at_load() {
    let fed1 = r#"
schema
  @core(feature: "https://specs.apollo.dev/core/v0.2")
  @core(feature: "https://specs.apollo.dev/join/v0.1", for: EXECUTION)
{
  query: Query
}
directive @core(as: String, feature: String!, for: core__Purpose) repeatable on SCHEMA
directive @join__field(graph: join__Graph, provides: join__FieldSet, requires: join__FieldSet) on FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__owner(graph: join__Graph!) on INTERFACE | OBJECT
directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on INTERFACE | OBJECT
enum core__Purpose { EXECUTION SECURITY }
scalar join__FieldSet
enum join__Graph { A @join__graph(name: "a", url: "http://127.0.0.1:1/graphql") }
type Query { hello: String @join__field(graph: A) }
"#;
    let err = start(fed1).await.expect_err("fed1 refused");
    assert!(
        matches!(err, ServeError::Gateway(GatewayError::Supergraph(_))),
        "{err}"
    );
    assert!(err.to_string().contains("Federation 1"), "{err}");
}

#[tokio::test]
async fn malformed_supergraphs_are_refused_without_panicking() {
    let valid = common::supergraph_sdl(&urls());
    let cases = [
        "".to_string(),
        "type Query {".to_string(),
        "type Query { a: Int }".to_string(),
        valid.replace("join/v0.3", "join/v0.1"),
        valid.replace("type Warehouse", "type Warehouse2"),
        valid.replace("scalar join__FieldSet", ""),
    ];
    for sdl in cases {
        let err = start(&sdl).await.expect_err("refused");
        assert!(matches!(err, ServeError::Gateway(_)), "{err}");
    }
}

#[tokio::test]
async fn config_overrides_for_unknown_subgraphs_are_refused() {
    let mut config = common::test_config();
    config
        .subgraphs
        .overrides
        .insert("nope".into(), Default::default());
    let err = tessera_router::start(config, &common::supergraph_sdl(&urls()))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("nope"), "{err}");
}

/// Golden file: the API schema derived from the fixture supergraph. Rewrite with
/// `UPDATE_EXPECT=1 cargo test -p tessera-router --test it supergraph_loading`.
#[test]
fn the_api_schema_matches_its_golden_file() {
    let gateway =
        tessera_router::Gateway::new(common::test_config(), &common::supergraph_sdl(&urls()))
            .expect("gateway");
    let actual = gateway.api_sdl();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api_schema.graphql");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "API schema drifted from {}; rerun with UPDATE_EXPECT=1 to accept:\n{actual}",
        path.display()
    );
}

/// The fixture supergraph is the `tessera-stack` suite's, written by hand:
/// composing the suite's subgraphs gives the same API schema (our
/// composition sorts fields, so lines are compared as a set).
#[test]
fn the_fixture_supergraph_is_the_tessera_stack_suites() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/tessera-stack");
    let sdls: Vec<tessera_schema::SubgraphSdl> = crate::scenarios::subgraph_files(&dir)
        .expect("tessera-stack suite")
        .into_iter()
        .map(|(name, sdl, _)| tessera_schema::SubgraphSdl::new(&name, "http://127.0.0.1:9/", sdl))
        .collect();
    let composed = tessera_schema::compose(&sdls)
        .expect("tessera-stack composes")
        .supergraph_sdl;
    let lines = |sdl: &str| {
        let gateway = tessera_router::Gateway::new(common::test_config(), sdl).expect("gateway");
        let api = gateway.api_sdl();
        let mut lines: Vec<String> = api
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(lines(&composed), lines(&common::supergraph_sdl(&urls())));
}
