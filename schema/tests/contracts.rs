//! Contracts: `@tag` include/exclude rules over a composed supergraph.

use tessera_schema::{ContractRules, SubgraphSdl, Supergraph, compose, contract_schema};

const CATALOG: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@tag", "@inaccessible"])

type Query {
  products: [Product!]! @tag(name: "public")
  product(id: ID!, preview: Boolean @tag(name: "internal")): Product @tag(name: "public")
  adminReport: Report! @tag(name: "internal")
  health: String
}

type Product @key(fields: "id") @tag(name: "public") {
  id: ID!
  name: String!
  costCents: Int! @tag(name: "internal")
  status: Status!
}

enum Status { ACTIVE DRAFT @tag(name: "internal") }

type Report @tag(name: "internal") { total: Int! }

type Warehouse { code: String! }
"#;

fn supergraph() -> Supergraph {
    let composed = compose(&[SubgraphSdl::new("catalog", "http://catalog", CATALOG)])
        .unwrap_or_else(|e| panic!("{e}"));
    Supergraph::parse(&composed.supergraph_sdl).unwrap_or_else(|e| panic!("{e}"))
}

fn contract(include: &[&str], exclude: &[&str], prune: bool) -> String {
    let rules = ContractRules {
        include: include.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        remove_unreachable_types: prune,
    };
    contract_schema(&supergraph(), &rules)
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

#[test]
fn exclude_hides_tagged_elements_everywhere() {
    let sdl = contract(&[], &["internal"], false);
    for gone in [
        "adminReport",
        "type Report",
        "costCents",
        "DRAFT",
        "preview",
    ] {
        assert!(!sdl.contains(gone), "{gone} should be hidden:\n{sdl}");
    }
    for kept in [
        "products: [Product!]!",
        "health: String",
        "ACTIVE",
        "type Warehouse",
    ] {
        assert!(sdl.contains(kept), "{kept} should be kept:\n{sdl}");
    }
    assert!(!sdl.contains("@tag"), "no spec directives in an API schema");
}

#[test]
fn include_keeps_only_tagged_fields_or_fields_of_tagged_types() {
    let sdl = contract(&["public"], &[], false);
    assert!(
        !sdl.contains("health"),
        "untagged Query field must go:\n{sdl}"
    );
    assert!(!sdl.contains("adminReport"), "{sdl}");
    // Product is tagged public: all its fields come along, even untagged ones.
    assert!(
        sdl.contains("name: String!") && sdl.contains("costCents"),
        "{sdl}"
    );
}

#[test]
fn exclusion_wins_over_inclusion_and_unreachable_types_can_be_pruned() {
    let sdl = contract(&["public"], &["internal"], true);
    assert!(
        !sdl.contains("costCents") && !sdl.contains("DRAFT"),
        "{sdl}"
    );
    assert!(
        !sdl.contains("Warehouse"),
        "unreachable type must be pruned:\n{sdl}"
    );
    assert!(sdl.contains("product(id: ID!): Product"), "{sdl}");
}

#[test]
fn filtering_out_every_query_field_is_an_error() {
    let rules = ContractRules {
        include: vec!["nothing-has-this-tag".into()],
        ..ContractRules::default()
    };
    assert!(contract_schema(&supergraph(), &rules).is_err());
}
