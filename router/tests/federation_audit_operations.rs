//! Scenarios of the federation gateway audit about operations, reproduced with our
//! own subgraphs: `executable-directive-definition-default-arguments` (an
//! executable directive defined differently per subgraph).

mod federation_kit;

use federation_kit::{Scenario, Subgraph, check};
use serde_json::json;

// executable-directive-definition-default-arguments -------------------------

/// Our composition refuses the two definitions (incompatible arguments); the
/// supergraph keeps the directive with the default one subgraph gives it, so a
/// client may omit the argument.
const ACCESS: &str = r#"
extend schema @link(url: "https://myspecs.dev/access/v1.0", import: ["@access"])
directive @access(scope: Scope! = PUBLIC) on FIELD
enum Scope @join__type(graph: A) @join__type(graph: B) { PUBLIC PRIVATE }
type Query @join__type(graph: A) @join__type(graph: B) {
  a: String @join__field(graph: A)
  b: String @join__field(graph: B)
}
"#;

fn access_subgraph(name: &'static str, field: &str, scope_default: &str) -> Subgraph {
    Subgraph::federated(
        name,
        &format!(
            r#"
            extend schema
              @link(url: "https://specs.apollo.dev/federation/v2.1", import: ["@key", "@composeDirective"])
              @link(url: "https://myspecs.dev/access/v1.0", import: ["@access"])
              @composeDirective(name: "@access")
            directive @access(scope: Scope!{scope_default}) on FIELD
            enum Scope {{ PUBLIC PRIVATE }}
            type Query {{ {field}: String }}
            "#
        ),
    )
    .query(json!({ field: field }))
}

#[tokio::test]
async fn executable_directive_with_differing_default_arguments() {
    let a = access_subgraph("a", "a", "");
    let b = access_subgraph("b", "b", " = PUBLIC");
    let s = Scenario::start(vec![a, b], ACCESS).await;
    check(
        &s,
        "{ a @access b @access }",
        json!({"a": "a", "b": "b"}),
        false,
    )
    .await;
}
