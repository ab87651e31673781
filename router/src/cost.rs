//! Demand control: the static cost of an operation, computed before anything
//! is planned or fetched, by the `@cost` / `@listSize` directives of the IBM
//! GraphQL Cost Directive specification (the one Apollo and Hive follow;
//! `https://specs.apollo.dev/cost/v0.1` in a supergraph).
//!
//! The cost of a selection is the sum of the costs of its fields:
//! - a field weighs its `@cost(weight:)`, else its type's `@cost`, else 1 when
//!   it returns an object, interface or union and 0 when it returns a scalar or
//!   an enum (spec §"Default weights"); a root mutation field weighs 10;
//! - arguments with `@cost` add their weight when given;
//! - a field returning a list multiplies its item cost (weight plus the cost of
//!   its selection) by the list's size: the largest of its `@listSize`
//!   `slicingArguments` given (or their defaults), else `assumedSize`, else the
//!   configured default; with `sizedFields`, that size applies to the named
//!   child lists instead (connections: `edges`, `nodes`);
//! - a field without `@listSize` that takes one of the configured
//!   `slicing_arguments` (by default Relay's `first` and `last`) is sized by
//!   it as if it had `@listSize(slicingArguments: [..], sizedFields: ["edges",
//!   "nodes"])`, so a connection's page size counts even in subgraphs that do
//!   not declare the cost spec;
//! - fields that `@skip`/`@include` leave out cost nothing; fragments on
//!   several types are all counted (an upper bound).
//!
//! The arithmetic saturates: a cost too large to count is `u64::MAX`.

use std::collections::HashMap;

use apollo_compiler::ast::{self, Value};
use apollo_compiler::executable::{self, ExecutableDocument, Selection, SelectionSet};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::{ExtendedType, FieldDefinition};
use apollo_compiler::{Node, Schema};
use tessera_schema::Supergraph;

/// The cost spec's identity in `@link`.
const COST_SPEC: &str = "https://specs.apollo.dev/cost";

/// Weight of each root mutation field.
const MUTATION_WEIGHT: u64 = 10;

/// How costs are read from one supergraph.
#[derive(Debug, Clone)]
pub(crate) struct CostModel {
    /// Local names of `@cost` and `@listSize` in the supergraph.
    cost: String,
    list_size: String,
    /// Size assumed for a list without `@listSize`.
    default_list_size: u64,
    /// Arguments that size a field without `@listSize`.
    slicing_arguments: Vec<String>,
}

/// `sizedFields` of the implied `@listSize` (Relay connections).
const CONNECTION_LISTS: [&str; 2] = ["edges", "nodes"];

impl CostModel {
    pub(crate) fn new(
        supergraph: &Supergraph,
        default_list_size: u64,
        slicing_arguments: Vec<String>,
    ) -> Self {
        let (cost, list_size) = match supergraph.link(COST_SPEC) {
            Some(link) => (link.directive_name("cost"), link.directive_name("listSize")),
            None => ("cost".to_owned(), "listSize".to_owned()),
        };
        CostModel {
            cost,
            list_size,
            default_list_size,
            slicing_arguments,
        }
    }

    /// The estimated cost of `operation` in `document` with its coerced
    /// `variables`. Types and fields are looked up in `schema` (the
    /// supergraph, which keeps the cost directives).
    pub(crate) fn estimate(
        &self,
        schema: &Schema,
        document: &ExecutableDocument,
        operation: &executable::Operation,
        variables: &JsonMap,
    ) -> u64 {
        let mut walk = Walk {
            model: self,
            schema,
            document,
            variables,
            fragments: HashMap::new(),
        };
        let root = operation.object_type().as_str();
        let mutation = operation.operation_type.is_mutation();
        walk.selection_set(root, &operation.selection_set, None, mutation)
    }
}

/// A list size handed to the child fields a `@listSize(sizedFields:)` names.
#[derive(Clone, Copy)]
struct SizedLists<'s> {
    fields: &'s [String],
    size: u64,
}

struct Walk<'a> {
    model: &'a CostModel,
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    variables: &'a JsonMap,
    /// Fragment costs, each computed once (a chain of spreads stays linear).
    fragments: HashMap<&'a str, u64>,
}

impl<'a> Walk<'a> {
    fn selection_set(
        &mut self,
        parent: &str,
        set: &'a SelectionSet,
        sized: Option<SizedLists<'_>>,
        root_mutation: bool,
    ) -> u64 {
        let mut total = 0u64;
        for selection in &set.selections {
            if !self.included(selection.directives()) {
                continue;
            }
            let cost = match selection {
                Selection::Field(field) => self.field(parent, field, sized, root_mutation),
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map_or(parent, |name| name.as_str());
                    self.selection_set(on, &fragment.selection_set, sized, root_mutation)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    match self.fragments.get(name) {
                        Some(cost) => *cost,
                        None => {
                            // Marked first: a cycle (a validation error) stops here.
                            self.fragments.insert(name, 0);
                            let cost = match self.document.fragments.get(name) {
                                Some(fragment) => self.selection_set(
                                    fragment.type_condition().as_str(),
                                    &fragment.selection_set,
                                    sized,
                                    root_mutation,
                                ),
                                None => 0,
                            };
                            self.fragments.insert(name, cost);
                            cost
                        }
                    }
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn field(
        &mut self,
        parent: &str,
        field: &'a executable::Field,
        sized: Option<SizedLists<'_>>,
        root_mutation: bool,
    ) -> u64 {
        if field.name.starts_with("__") {
            return 0;
        }
        let Some(definition) = self.definition(parent, field.name.as_str()) else {
            return 0;
        };
        let type_name = definition.ty.inner_named_type();
        let type_def = self.schema.types.get(type_name);
        let weight = if root_mutation {
            MUTATION_WEIGHT
        } else {
            self.weight(definition.directives.get(&self.model.cost).map(|d| &**d))
                .or_else(|| {
                    type_def.and_then(|t| {
                        self.weight(t.directives().get(&self.model.cost).map(|d| &***d))
                    })
                })
                .unwrap_or(match type_def {
                    Some(t) if !t.is_leaf() => 1,
                    _ => 0,
                })
        };
        let arguments = definition
            .arguments
            .iter()
            .filter(|argument| given(field, argument.name.as_str()).is_some())
            .filter_map(|argument| {
                self.weight(argument.directives.get(&self.model.cost).map(|d| &**d))
            })
            .fold(0u64, u64::saturating_add);

        let list_size = match definition.directives.get(self.model.list_size.as_str()) {
            Some(directive) => Some(self.list_size(directive, &definition, field)),
            None => self.implied_list_size(&definition, field),
        };
        let sized_fields = list_size.as_ref().and_then(|size| {
            (!size.sized_fields.is_empty()).then_some((size.sized_fields.clone(), size.size))
        });
        let children = match &sized_fields {
            Some((fields, size)) => self.selection_set(
                type_name.as_str(),
                &field.selection_set,
                Some(SizedLists {
                    fields,
                    size: *size,
                }),
                false,
            ),
            None => self.selection_set(type_name.as_str(), &field.selection_set, None, false),
        };
        let item = weight.saturating_add(children);
        let own = if definition.ty.is_list() {
            let size = match (&list_size, sized) {
                (Some(size), _) if size.sized_fields.is_empty() => size.size,
                (_, Some(sized)) if sized.fields.iter().any(|f| f == field.name.as_str()) => {
                    sized.size
                }
                _ => self.model.default_list_size,
            };
            item.saturating_mul(size)
        } else {
            item
        };
        own.saturating_add(arguments)
    }

    fn definition(&self, parent: &str, field: &str) -> Option<Node<FieldDefinition>> {
        match self.schema.types.get(parent)? {
            ExtendedType::Object(t) => t.fields.get(field).map(|f| f.node.clone()),
            ExtendedType::Interface(t) => t.fields.get(field).map(|f| f.node.clone()),
            _ => None,
        }
    }

    /// The `weight` of a `@cost` directive.
    fn weight(&self, cost: Option<&ast::Directive>) -> Option<u64> {
        cost.and_then(|d| d.specified_argument_by_name("weight"))
            .and_then(|weight| match weight.as_ref() {
                Value::Int(n) => n.try_to_i32().ok().map(|n| n.max(0) as u64),
                Value::String(s) => s.parse::<f64>().ok().map(|n| n.max(0.0) as u64),
                Value::Float(f) => f.try_to_f64().ok().map(|n| n.max(0.0) as u64),
                _ => None,
            })
    }

    fn list_size(
        &self,
        directive: &Node<ast::Directive>,
        definition: &FieldDefinition,
        field: &executable::Field,
    ) -> ListSize {
        let names = |argument: &str| -> Vec<String> {
            match directive
                .specified_argument_by_name(argument)
                .map(|v| v.as_ref())
            {
                Some(Value::List(items)) => items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let slicing = names("slicingArguments");
        let sized_fields = names("sizedFields");
        let sliced = slicing
            .iter()
            .filter_map(|name| {
                let given = given(field, name.as_str()).and_then(|value| self.int(value));
                given.or_else(|| {
                    definition
                        .argument_by_name(name.as_str())
                        .and_then(|argument| argument.default_value.as_ref())
                        .and_then(|value| self.int(value))
                })
            })
            .max();
        let assumed = directive
            .specified_argument_by_name("assumedSize")
            .and_then(|value| self.int(value));
        ListSize {
            size: sliced.or(assumed).unwrap_or(self.model.default_list_size),
            sized_fields,
        }
    }

    /// The size a configured slicing argument gives a field without `@listSize`.
    fn implied_list_size(
        &self,
        definition: &FieldDefinition,
        field: &executable::Field,
    ) -> Option<ListSize> {
        let size = self
            .model
            .slicing_arguments
            .iter()
            .filter_map(|name| {
                let argument = definition.argument_by_name(name.as_str())?;
                given(field, name.as_str())
                    .and_then(|value| self.int(value))
                    .or_else(|| argument.default_value.as_ref().and_then(|v| self.int(v)))
            })
            .max()?;
        let sized_fields = if definition.ty.is_list() {
            Vec::new()
        } else {
            CONNECTION_LISTS.iter().map(|f| (*f).to_owned()).collect()
        };
        Some(ListSize { size, sized_fields })
    }

    /// An integer argument value, literal or from a variable.
    fn int(&self, value: &Node<Value>) -> Option<u64> {
        match value.as_ref() {
            Value::Int(n) => n.try_to_i32().ok().map(|n| n.max(0) as u64),
            Value::Variable(name) => match self.variables.get(name.as_str()) {
                Some(JsonValue::Number(n)) => n.as_u64().or(n.as_i64().map(|_| 0)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether `@skip` / `@include` keep a selection (spec §3.13).
    fn included(&self, directives: &executable::DirectiveList) -> bool {
        let condition = |name: &str| {
            directives
                .get(name)
                .and_then(|d| d.specified_argument_by_name("if"))
                .and_then(|value| match value.as_ref() {
                    Value::Boolean(b) => Some(*b),
                    Value::Variable(var) => {
                        self.variables.get(var.as_str()).and_then(|v| v.as_bool())
                    }
                    _ => None,
                })
        };
        condition("skip") != Some(true) && condition("include") != Some(false)
    }
}

/// The value the operation gives `field`'s argument `name`, if any.
fn given<'f>(field: &'f executable::Field, name: &str) -> Option<&'f Node<Value>> {
    field
        .arguments
        .iter()
        .find(|argument| argument.name == name)
        .map(|argument| &argument.value)
}

struct ListSize {
    size: u64,
    sized_fields: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
        directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
        type Query {
            me: User
            users(first: Int = 10): UserConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
            tags: [String!]!
            top(n: Int!): [User!]! @listSize(slicingArguments: ["n"])
            some: [User!]! @listSize(assumedSize: 3)
            unsized: [User!]!
            expensive(q: String @cost(weight: 7)): Int @cost(weight: 50)
            search: [Node!]!
            plain(first: Int = 10): UserConnection!
            recent(last: Int): [User!]!
        }
        type Mutation { rename(name: String!): User }
        interface Node { id: ID! }
        type User implements Node { id: ID! name: String orders(first: Int = 5): OrderConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"]) }
        type UserConnection { edges: [UserEdge!]! }
        type UserEdge { node: User! }
        type OrderConnection { edges: [OrderEdge!]! }
        type OrderEdge { node: Order! }
        type Order @cost(weight: 4) { id: ID! buyer: User! }
    "#;

    fn cost(query: &str, variables: serde_json::Value) -> u64 {
        let schema = Schema::parse_and_validate(SDL, "schema.graphql").expect("schema");
        let document =
            ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").expect("valid");
        let operation = document.operations.get(None).expect("operation");
        let variables: JsonMap = serde_json::from_value(variables).expect("object");
        let model = CostModel {
            cost: "cost".into(),
            list_size: "listSize".into(),
            default_list_size: 10,
            slicing_arguments: vec!["first".into(), "last".into()],
        };
        model.estimate(&schema, &document, operation, &variables)
    }

    #[test]
    fn objects_weigh_one_and_leaves_nothing() {
        assert_eq!(cost("{ me { id name } }", serde_json::json!({})), 1);
        assert_eq!(cost("{ tags }", serde_json::json!({})), 0);
        assert_eq!(
            cost("{ __typename me { __typename } }", serde_json::json!({})),
            1
        );
    }

    #[test]
    fn lists_multiply_by_their_size() {
        // Without @listSize: the default of 10.
        assert_eq!(cost("{ unsized { id } }", serde_json::json!({})), 10);
        assert_eq!(cost("{ some { id } }", serde_json::json!({})), 3);
        assert_eq!(cost("{ top(n: 7) { id } }", serde_json::json!({})), 7);
        assert_eq!(
            cost(
                "query($n: Int!) { top(n: $n) { id } }",
                serde_json::json!({"n": 40})
            ),
            40
        );
        // Abstract items are composite too.
        assert_eq!(cost("{ search { id } }", serde_json::json!({})), 10);
    }

    #[test]
    fn connections_size_their_edges_and_nest() {
        // users: 1 + edges 20 × (edge 1 + node 1) = 41.
        assert_eq!(
            cost(
                "{ users(first: 20) { edges { node { id } } } }",
                serde_json::json!({})
            ),
            41
        );
        // The default of `first` when it is not given: 1 + 10 × 2 = 21.
        assert_eq!(
            cost("{ users { edges { node { id } } } }", serde_json::json!({})),
            21
        );
        // Nested: every user's orders (default 5) of weight-4 orders.
        // order edge: 1 + node 4 = 5; orders: 1 + 5 × 5 = 26;
        // user edge: 1 + node (1 + 26) = 28; users: 1 + 10 × 28 = 281.
        assert_eq!(
            cost(
                "{ users(first: 10) { edges { node { orders { edges { node { id } } } } } } }",
                serde_json::json!({})
            ),
            281
        );
    }

    #[test]
    fn cost_directives_mutations_skip_and_fragments() {
        assert_eq!(cost("{ expensive }", serde_json::json!({})), 50);
        assert_eq!(cost("{ expensive(q: \"x\") }", serde_json::json!({})), 57);
        assert_eq!(
            cost(
                "mutation { a: rename(name: \"x\") { id } b: rename(name: \"y\") { id } }",
                serde_json::json!({})
            ),
            20
        );
        assert_eq!(
            cost(
                "query($s: Boolean!) { me @skip(if: $s) { id } some @include(if: false) { id } }",
                serde_json::json!({"s": true})
            ),
            0
        );
        assert_eq!(
            cost(
                "{ ...A ...A } fragment A on Query { me { id } }",
                serde_json::json!({})
            ),
            2
        );
    }

    #[test]
    fn relay_arguments_size_fields_without_list_size() {
        // `Query.plain(first:)` has no @listSize: `first` sizes its edges.
        assert_eq!(
            cost(
                "{ plain(first: 50) { edges { node { id } } } }",
                serde_json::json!({})
            ),
            1 + 50 * 2
        );
        assert_eq!(
            cost("{ plain { edges { node { id } } } }", serde_json::json!({})),
            21
        );
        assert_eq!(cost("{ recent(last: 4) { id } }", serde_json::json!({})), 4);
        // Not given and no default: the default list size.
        assert_eq!(cost("{ recent { id } }", serde_json::json!({})), 10);
    }

    #[test]
    fn huge_costs_saturate() {
        // Three levels of 2·10^9: far past u64, saturated instead of wrapping.
        assert_eq!(
            cost(
                "{ top(n: 2000000000) { orders(first: 2000000000) { edges { node { buyer { orders(first: 2000000000) { edges { node { buyer { id } } } } } } } } } }",
                serde_json::json!({})
            ),
            u64::MAX
        );
    }

    /// The cost of every operation the storefront sends, against the
    /// checked-in supergraph with the default config, written to
    /// `frontend-contract/operation-costs.txt` (`UPDATE_EXPECT=1` rewrites it).
    /// Every one must fit the default budget.
    #[test]
    fn frontend_contract_costs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let sdl = std::fs::read_to_string(root.join("schema/supergraph.graphql")).expect("sdl");
        let supergraph = Supergraph::parse(&sdl).expect("supergraph");
        let api = tessera_schema::api_schema(&supergraph).expect("api schema");
        let config = crate::config::DemandControlConfig::default();
        let model = CostModel::new(&supergraph, config.list_size, config.slicing_arguments);
        let mut files: Vec<_> = std::fs::read_dir(root.join("frontend-contract/operations"))
            .expect("operations")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
            .collect();
        files.sort();
        let mut table = String::from(
            "# Estimated cost of each frontend-contract operation (default demand control,\n\
             # variables at their defaults). Regenerate: UPDATE_EXPECT=1 cargo test -p tessera-router frontend_contract_costs\n",
        );
        for file in files {
            let text = std::fs::read_to_string(&file).expect("operation");
            let document = ExecutableDocument::parse_and_validate(&api, &text, "op.graphql")
                .unwrap_or_else(|e| panic!("{}: {}", file.display(), e.errors));
            let operation = document.operations.iter().next().expect("one operation");
            let variables =
                apollo_compiler::request::coerce_variable_values(&api, operation, &JsonMap::new())
                    .map(|v| v.into_inner())
                    .unwrap_or_default();
            let estimated = model.estimate(supergraph.schema(), &document, operation, &variables);
            assert!(
                estimated <= config.max_cost,
                "{}: {estimated}",
                file.display()
            );
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            table.push_str(&format!("{name}: {estimated}\n"));
        }
        let expected_path = root.join("frontend-contract/operation-costs.txt");
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&expected_path, &table).expect("write");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        assert_eq!(
            expected, table,
            "operation costs drifted; rerun with UPDATE_EXPECT=1 to accept"
        );
    }
}
