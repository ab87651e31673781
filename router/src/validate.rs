//! Validating an operation against the API schema, enforcing limits, and coercing
//! variables. The output, [`ValidOperation`], is the only thing the planner and the
//! executor accept.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use apollo_compiler::executable::{self, ExecutableDocument, OperationType, Selection};
use apollo_compiler::response::JsonMap;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Node, Schema, ast};

mod one_of;

use crate::config::LimitsConfig;
use crate::error::{ErrorCode, GraphQLError, Location, RequestError};

/// Why an operation was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("invalid operation")]
    Invalid(Vec<GraphQLError>),
    #[error("{0}")]
    OperationNotFound(String),
    #[error("{0}")]
    Variables(String),
    #[error("the operation is nested {found} levels deep, more than the limit of {limit}")]
    TooDeep { found: usize, limit: usize },
    #[error("the operation has {found} aliases, more than the limit of {limit}")]
    TooManyAliases { found: usize, limit: usize },
    #[error("the operation has {found} root fields, more than the limit of {limit}")]
    TooManyRootFields { found: usize, limit: usize },
    #[error("the operation selects more than {limit} fields once its fragments are expanded")]
    TooManyFields { limit: usize },
    #[error("introspection is disabled")]
    IntrospectionDisabled,
    #[error("subscriptions are not supported")]
    SubscriptionNotSupported,
    #[error("{0}")]
    IntrospectionTooDeep(String),
}

impl From<ValidateError> for RequestError {
    fn from(error: ValidateError) -> Self {
        let code = match &error {
            ValidateError::Invalid(errors) => {
                return RequestError::with_errors(ErrorCode::ValidationFailed, errors.clone());
            }
            ValidateError::OperationNotFound(_) => ErrorCode::OperationNotFound,
            ValidateError::Variables(_) => ErrorCode::BadUserInput,
            ValidateError::TooDeep { .. } | ValidateError::IntrospectionTooDeep(_) => {
                ErrorCode::MaxDepthExceeded
            }
            ValidateError::TooManyAliases { .. } => ErrorCode::MaxAliasesExceeded,
            ValidateError::TooManyRootFields { .. } => ErrorCode::MaxRootFieldsExceeded,
            ValidateError::TooManyFields { .. } => ErrorCode::MaxFieldsExceeded,
            ValidateError::IntrospectionDisabled => ErrorCode::IntrospectionDisabled,
            ValidateError::SubscriptionNotSupported => ErrorCode::SubscriptionNotSupported,
        };
        RequestError::new(code, error.to_string())
    }
}

/// A document proven valid against the API schema and within limits, with its
/// operation selected: everything about a request that does not depend on its
/// variables, so it can be cached by (query, operation name).
#[derive(Debug)]
pub struct PreparedOperation {
    pub document: Valid<ExecutableDocument>,
    /// The name of the selected operation (`None` for the anonymous one).
    pub operation_name: Option<String>,
    pub operation_type: OperationType,
    /// Whether any root field other than `__typename`/`__schema`/`__type` is selected:
    /// only then is there anything to plan.
    pub has_concrete_fields: bool,
    /// Whether `__schema` or `__type` is selected.
    pub has_schema_introspection: bool,
    /// What the planner sees (see [`planner_source`]).
    pub planner_source: String,
    /// Whether the schema has OneOf input types, so that variables need the
    /// OneOf coercion rule ([`one_of`]).
    pub one_of_variables: bool,
    /// Field collection for projection, planned once and shared by every
    /// request of this operation.
    pub collection: crate::execute::collect::CollectionCache,
}

impl PreparedOperation {
    /// The selected operation.
    pub fn operation(&self) -> Option<&Node<executable::Operation>> {
        self.document
            .operations
            .get(self.operation_name.as_deref())
            .ok()
    }

    /// Coerces `variables` for this operation (spec §6.1.2, defaults applied).
    pub fn bind(
        self: &Arc<Self>,
        schema: &Valid<Schema>,
        variables: &JsonMap,
    ) -> Result<ValidOperation, ValidateError> {
        let operation = self
            .document
            .operations
            .get(self.operation_name.as_deref())
            .map_err(|e| ValidateError::OperationNotFound(e.message().to_string()))?;
        let variables =
            apollo_compiler::request::coerce_variable_values(schema, operation, variables)
                .map_err(|e| ValidateError::Variables(e.message().to_string()))?;
        if self.one_of_variables {
            one_of::check_variables(schema, operation, &variables)
                .map_err(ValidateError::Variables)?;
        }
        Ok(ValidOperation {
            prepared: Arc::clone(self),
            variables,
        })
    }
}

/// The `if:` of `@skip` or `@include` (`name`) on `selection` for these
/// variables, if the directive is there.
pub(crate) fn condition(selection: &Selection, name: &str, variables: &JsonMap) -> Option<bool> {
    match selection
        .directives()
        .get(name)?
        .specified_argument_by_name("if")?
        .as_ref()
    {
        ast::Value::Boolean(value) => Some(*value),
        ast::Value::Variable(var) => variables.get(var.as_str())?.as_bool(),
        _ => None,
    }
}

/// An operation proven valid against the API schema, within limits, with coerced
/// variables. Everything but the variables is the shared [`PreparedOperation`]
/// (reached through `Deref`).
#[derive(Debug)]
pub struct ValidOperation {
    pub prepared: Arc<PreparedOperation>,
    /// Variables coerced per spec §6.1.2 (defaults applied).
    pub variables: Valid<JsonMap>,
}

impl std::ops::Deref for ValidOperation {
    type Target = PreparedOperation;

    fn deref(&self) -> &PreparedOperation {
        &self.prepared
    }
}

impl ValidOperation {
    /// Whether any root field other than `__typename` / `__schema` / `__type`
    /// is selected once `@skip` / `@include` are decided for these
    /// variables. When none is, no subgraph is needed: the answer is built
    /// from the operation alone (`{"data": {}}` when every root field is
    /// skipped), and the planner, which would refuse an empty selection, is
    /// not asked.
    pub fn selects_concrete_root_field(&self) -> bool {
        let Some(operation) = self.operation() else {
            return false;
        };
        let mut visited = std::collections::HashSet::new();
        self.selects_concrete(&operation.selection_set.selections, &mut visited)
    }

    fn selects_concrete<'a>(
        &'a self,
        selections: &'a [Selection],
        visited: &mut std::collections::HashSet<&'a str>,
    ) -> bool {
        let decided =
            |selection: &Selection, name: &str| condition(selection, name, &self.variables);
        selections.iter().any(|selection| {
            if decided(selection, "skip").unwrap_or(false)
                || !decided(selection, "include").unwrap_or(true)
            {
                return false;
            }
            match selection {
                Selection::Field(field) => {
                    !matches!(field.name.as_str(), "__typename" | "__schema" | "__type")
                }
                Selection::InlineFragment(fragment) => {
                    self.selects_concrete(&fragment.selection_set.selections, visited)
                }
                Selection::FragmentSpread(spread) => {
                    visited.insert(spread.fragment_name.as_str())
                        && self
                            .document
                            .fragments
                            .get(&spread.fragment_name)
                            .is_some_and(|f| {
                                self.selects_concrete(&f.selection_set.selections, visited)
                            })
                }
            }
        })
    }
}

/// The selected operation alone, printed, without `__schema`/`__type` root
/// fields (the router answers those itself): what the planner sees.
fn planner_source(
    schema: &Schema,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> String {
    let mut document: ExecutableDocument = document.clone();
    let keep = |selection: &Selection| !matches!(selection, Selection::Field(f) if f.name == "__schema" || f.name == "__type");
    if let Some(name) = operation_name {
        document.operations.anonymous = None;
        document.operations.named.retain(|n, _| n.as_str() == name);
    } else {
        document.operations.named.clear();
    }
    if let Ok(operation) = document.operations.get_mut(operation_name) {
        operation.selection_set.selections.retain(keep);
    }
    let fragments = document.fragments.clone();
    let planning = Planning {
        schema,
        fragments: &fragments,
    };
    if let Ok(operation) = document.operations.get_mut(operation_name) {
        planning.simplify(&mut operation.selection_set);
    }
    for fragment in document.fragments.values_mut() {
        let fragment = fragment.make_mut();
        planning.simplify(&mut fragment.selection_set);
        // Everything in it skipped by literals: it still has to select something.
        if fragment.selection_set.selections.is_empty() {
            let typename = apollo_compiler::Name::new_unchecked("__typename");
            if let Ok(f) = fragment.selection_set.new_field(schema, typename) {
                fragment.selection_set.push(f);
            }
        }
    }
    document.to_string()
}

/// Rewrites of what the planner sees into the same selections in a form the
/// pinned planner plans (see [`Planning::simplify`]).
struct Planning<'a> {
    schema: &'a Schema,
    fragments: &'a apollo_compiler::executable::FragmentMap,
}

impl Planning<'_> {
    /// `parent` is `condition` or one of its subtypes (an object or interface
    /// implementing it, a member of it): a fragment on `condition` inside
    /// `parent` always applies, and what it selects is valid on `parent`.
    /// (Not the other way: a fragment on the only implementation of an
    /// interface selects fields the interface lacks.)
    fn always_applies(
        &self,
        parent: &apollo_compiler::Name,
        condition: &apollo_compiler::Name,
    ) -> bool {
        use apollo_compiler::schema::ExtendedType;
        if parent == condition {
            return true;
        }
        match (
            self.schema.types.get(parent),
            self.schema.types.get(condition),
        ) {
            (Some(ExtendedType::Object(o)), Some(ExtendedType::Interface(_))) => {
                o.implements_interfaces.contains(condition)
            }
            (Some(ExtendedType::Interface(i)), Some(ExtendedType::Interface(_))) => {
                i.implements_interfaces.contains(condition)
            }
            (Some(ExtendedType::Object(_)), Some(ExtendedType::Union(u))) => {
                u.members.contains(parent)
            }
            _ => false,
        }
    }

    /// The literal value of a `@skip`/`@include` condition (`None`: a variable).
    fn literal(directive: &apollo_compiler::executable::Directive) -> Option<bool> {
        match directive.specified_argument_by_name("if")?.as_ref() {
            apollo_compiler::ast::Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// Same selections, in the form the pinned planner plans:
    /// - a selection under `@skip(if: true)` / `@include(if: false)` is
    ///   dropped (never executed), and `@skip(if: false)` / `@include(if: true)`
    ///   is dropped from it (no effect); a field left without selections
    ///   selects `__typename` (the planner fails on conditions decided by
    ///   literals: "Failed to build a plan");
    /// - a conditional fragment whose type condition always holds where it
    ///   stands (`... on T @include(if: $v)` inside `T`, or inside a type all of
    ///   whose objects are `T`s; a spread of such a fragment) loses the type
    ///   condition, and an untyped conditional fragment is dissolved into its
    ///   selections, each carrying the condition, where none has that
    ///   directive already (spec §6.3.2 CollectFields: a condition on a
    ///   fragment applies to what it holds). The planner fails on the typed
    ///   form ("No paths found for selection item") and drops fields of an
    ///   untyped conditional fragment on an `@interfaceObject`.
    fn simplify(&self, set: &mut apollo_compiler::executable::SelectionSet) {
        use apollo_compiler::executable::{InlineFragment, Selection as S};
        let parent = set.ty.clone();
        let conditional = |d: &apollo_compiler::executable::DirectiveList| {
            !d.is_empty() && d.iter().all(|d| d.name == "skip" || d.name == "include")
        };
        let mut out = Vec::with_capacity(set.selections.len());
        let mut dissolved = false;
        for mut selection in std::mem::take(&mut set.selections) {
            // Literal conditions decided here.
            let directives = match &mut selection {
                S::Field(f) => &mut f.make_mut().directives,
                S::InlineFragment(i) => &mut i.make_mut().directives,
                S::FragmentSpread(s) => &mut s.make_mut().directives,
            };
            let never = directives.iter().any(|d| {
                (d.name == "skip" && Self::literal(d) == Some(true))
                    || (d.name == "include" && Self::literal(d) == Some(false))
            });
            if never {
                continue;
            }
            directives.retain(|d| {
                !((d.name == "skip" && Self::literal(d) == Some(false))
                    || (d.name == "include" && Self::literal(d) == Some(true)))
            });
            // A spread of a fragment that always applies here, with a
            // condition: inline.
            if let S::FragmentSpread(spread) = &selection
                && conditional(&spread.directives)
                && let Some(fragment) = self.fragments.get(&spread.fragment_name)
                && self.always_applies(&parent, fragment.type_condition())
            {
                selection = S::InlineFragment(apollo_compiler::Node::new(InlineFragment {
                    type_condition: None,
                    directives: spread.directives.clone(),
                    selection_set: fragment.selection_set.clone(),
                }));
            }
            match &mut selection {
                S::Field(field) => {
                    let field = field.make_mut();
                    let leaf = field.selection_set.selections.is_empty();
                    self.simplify(&mut field.selection_set);
                    if !leaf && field.selection_set.selections.is_empty() {
                        let typename = apollo_compiler::Name::new_unchecked("__typename");
                        if let Ok(f) = field.selection_set.new_field(self.schema, typename) {
                            field.selection_set.push(f);
                        }
                    }
                }
                S::InlineFragment(inline) => {
                    let inline = inline.make_mut();
                    if conditional(&inline.directives)
                        && inline
                            .type_condition
                            .as_ref()
                            .is_some_and(|c| self.always_applies(&parent, c))
                    {
                        inline.type_condition = None;
                    }
                    self.simplify(&mut inline.selection_set);
                    if inline.selection_set.selections.is_empty() {
                        continue;
                    }
                }
                S::FragmentSpread(_) => {}
            }
            if let S::InlineFragment(inline) = &selection
                && inline.type_condition.is_none()
                && conditional(&inline.directives)
                && inline.selection_set.selections.iter().all(|child| {
                    inline
                        .directives
                        .iter()
                        .all(|d| child.directives().get(&d.name).is_none())
                })
            {
                for mut child in inline.selection_set.selections.clone() {
                    let directives = match &mut child {
                        S::Field(f) => &mut f.make_mut().directives,
                        S::InlineFragment(i) => &mut i.make_mut().directives,
                        S::FragmentSpread(s) => &mut s.make_mut().directives,
                    };
                    directives.extend(inline.directives.iter().cloned());
                    out.push(child);
                }
                dissolved = true;
                continue;
            }
            out.push(selection);
        }
        set.selections = out;
        // The selections moved up may now be conditional fragments on this type.
        if dissolved {
            self.simplify(set);
        }
    }
}

/// What the planner sees for `operation` once the `denied` fields are taken
/// out (see [`crate::auth::directives`]), and whether a root field is left to
/// plan.
pub(crate) fn planner_source_without(
    schema: &Valid<Schema>,
    operation: &PreparedOperation,
    denied: &HashSet<usize>,
) -> (String, bool) {
    let name = operation.operation_name.as_deref();
    let filtered =
        crate::auth::directives::without_denied(schema, &operation.document, name, denied);
    let concrete = filtered.operations.get(name).is_ok_and(|op| {
        op.selection_set.selections.iter().any(|s| {
            !matches!(s, Selection::Field(f) if f.name == "__typename" || f.name == "__schema" || f.name == "__type")
        })
    });
    (planner_source(schema, &filtered, name), concrete)
}

/// Validates `document` against the API `schema`, applies `limits` and coerces
/// `variables`.
pub fn validate(
    schema: &Valid<Schema>,
    document: ast::Document,
    operation_name: Option<&str>,
    variables: &JsonMap,
    limits: &LimitsConfig,
    introspection_enabled: bool,
) -> Result<ValidOperation, ValidateError> {
    Arc::new(prepare(
        schema,
        document,
        operation_name,
        limits,
        introspection_enabled,
    )?)
    .bind(schema, variables)
}

/// Validates `document` against the API `schema` and applies `limits`.
pub fn prepare(
    schema: &Valid<Schema>,
    document: ast::Document,
    operation_name: Option<&str>,
    limits: &LimitsConfig,
    introspection_enabled: bool,
) -> Result<PreparedOperation, ValidateError> {
    let document = document
        .to_executable_validate(schema)
        .map_err(|with_errors| {
            ValidateError::Invalid(
                with_errors
                    .errors
                    .iter()
                    .map(|diagnostic| {
                        let locations = diagnostic
                            .line_column_range()
                            .map(|range| {
                                vec![Location {
                                    line: range.start.line,
                                    column: range.start.column,
                                }]
                            })
                            .unwrap_or_default();
                        GraphQLError::new(diagnostic.error.to_string(), ErrorCode::ValidationFailed)
                            .with_locations(locations)
                    })
                    .collect(),
            )
        })?;
    let operation = document
        .operations
        .get(operation_name)
        .map_err(|e| ValidateError::OperationNotFound(e.message().to_string()))?;

    let one_of_variables = one_of::schema_has_one_of(schema);
    if one_of_variables {
        let errors = one_of::validate(schema, &document, operation);
        if !errors.is_empty() {
            return Err(ValidateError::Invalid(
                errors
                    .into_iter()
                    .map(|message| GraphQLError::new(message, ErrorCode::ValidationFailed))
                    .collect(),
            ));
        }
    }

    if operation.operation_type == OperationType::Subscription {
        return Err(ValidateError::SubscriptionNotSupported);
    }

    // What the operation costs expanded (the planner and the executor inline
    // every fragment spread), counted per fragment once so that a chain of
    // fragments spreading each other costs linear time to measure.
    let mut measure = Measure::new(&document);
    let expanded = measure.selection_set(&operation.selection_set);
    if expanded.fields > limits.max_fields as u64 {
        return Err(ValidateError::TooManyFields {
            limit: limits.max_fields,
        });
    }
    let depth = usize::try_from(expanded.depth).unwrap_or(usize::MAX);
    if depth > limits.max_depth {
        return Err(ValidateError::TooDeep {
            found: depth,
            limit: limits.max_depth,
        });
    }
    let aliases = count_aliases(&document, operation);
    if aliases > limits.max_aliases {
        return Err(ValidateError::TooManyAliases {
            found: aliases,
            limit: limits.max_aliases,
        });
    }

    let mut root_fields = 0usize;
    let mut has_concrete_fields = false;
    let mut has_schema_introspection = false;
    for field in operation.root_fields(&document) {
        root_fields += 1;
        match field.name.as_str() {
            "__schema" | "__type" => has_schema_introspection = true,
            "__typename" => {}
            _ => has_concrete_fields = true,
        }
    }
    if root_fields > limits.max_root_fields {
        return Err(ValidateError::TooManyRootFields {
            found: root_fields,
            limit: limits.max_root_fields,
        });
    }
    if has_schema_introspection {
        if !introspection_enabled {
            return Err(ValidateError::IntrospectionDisabled);
        }
        apollo_compiler::introspection::check_max_depth(&document, operation)
            .map_err(|e| ValidateError::IntrospectionTooDeep(e.message().to_string()))?;
    }

    let operation_name = operation.name.as_ref().map(|n| n.to_string());
    let operation_type = operation.operation_type;
    let planner_source = planner_source(schema, &document, operation_name.as_deref());
    Ok(PreparedOperation {
        document,
        operation_name,
        operation_type,
        has_concrete_fields,
        has_schema_introspection,
        planner_source,
        one_of_variables,
        collection: Default::default(),
    })
}

/// The size of a selection set with its fragments expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Expanded {
    /// Fields selected, counting every copy a spread makes (saturating).
    fields: u64,
    /// The deepest field nesting.
    depth: u64,
}

/// Measures selection sets as the planner will see them (every spread
/// inlined) without expanding anything: each fragment's size is computed once
/// and reused, so the work is linear in the document whatever its expansion.
/// Validation has rejected fragment cycles and unknown fragments already.
struct Measure<'a> {
    document: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Expanded>,
}

impl<'a> Measure<'a> {
    fn new(document: &'a ExecutableDocument) -> Self {
        Measure {
            document,
            fragments: HashMap::new(),
        }
    }

    fn selection_set(&mut self, selection_set: &'a executable::SelectionSet) -> Expanded {
        let mut total = Expanded::default();
        for selection in &selection_set.selections {
            let part = match selection {
                Selection::Field(field) => {
                    let inner = self.selection_set(&field.selection_set);
                    Expanded {
                        fields: inner.fields.saturating_add(1),
                        depth: inner.depth.saturating_add(1),
                    }
                }
                Selection::InlineFragment(fragment) => self.selection_set(&fragment.selection_set),
                Selection::FragmentSpread(spread) => self.fragment(spread.fragment_name.as_str()),
            };
            total.fields = total.fields.saturating_add(part.fields);
            total.depth = total.depth.max(part.depth);
        }
        total
    }

    fn fragment(&mut self, name: &'a str) -> Expanded {
        if let Some(known) = self.fragments.get(name) {
            return *known;
        }
        // Marked first, so a cycle (already a validation error) ends here.
        self.fragments.insert(name, Expanded::default());
        let measured = match self.document.fragments.get(name) {
            Some(fragment) => self.selection_set(&fragment.selection_set),
            None => Expanded::default(),
        };
        self.fragments.insert(name, measured);
        measured
    }
}

/// Aliased fields in the operation and the fragments it uses, each definition
/// counted once.
fn count_aliases(document: &ExecutableDocument, operation: &executable::Operation) -> usize {
    let mut count = 0;
    let mut seen_fragments = HashSet::new();
    let mut stack: Vec<&executable::SelectionSet> = vec![&operation.selection_set];
    while let Some(set) = stack.pop() {
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    if field.alias.is_some() {
                        count += 1;
                    }
                    stack.push(&field.selection_set);
                }
                Selection::InlineFragment(fragment) => stack.push(&fragment.selection_set),
                Selection::FragmentSpread(spread) => {
                    if seen_fragments.insert(spread.fragment_name.clone())
                        && let Some(fragment) = document.fragments.get(&spread.fragment_name)
                    {
                        stack.push(&fragment.selection_set);
                    }
                }
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type Query { a: A, list(n: Int!): [A!]!, e(kind: Kind): Int }
        type A { a: A, b: Int }
        enum Kind { X Y }
    "#;

    fn check(query: &str, variables: serde_json::Value) -> Result<ValidOperation, ValidateError> {
        check_with(query, variables, &LimitsConfig::default(), true)
    }

    fn check_with(
        query: &str,
        variables: serde_json::Value,
        limits: &LimitsConfig,
        introspection: bool,
    ) -> Result<ValidOperation, ValidateError> {
        let schema = Schema::parse_and_validate(SDL, "schema.graphql").expect("schema");
        let ast = crate::parse::parse(query, limits).expect("parses");
        let variables: JsonMap = serde_json::from_value(variables).expect("object");
        validate(&schema, ast, None, &variables, limits, introspection)
    }

    #[test]
    fn accepts_a_valid_query_and_coerces_variables() {
        let op = check(
            "query($n: Int! = 3) { list(n: $n) { b } }",
            serde_json::json!({}),
        )
        .expect("valid");
        assert!(op.has_concrete_fields);
        assert_eq!(op.variables.get("n").and_then(|v| v.as_i64()), Some(3));
    }

    #[test]
    fn rejects_unknown_fields_arguments_and_enum_values() {
        for query in [
            "{ nope }",
            "{ list(n: 1, extra: 2) { b } }",
            "{ e(kind: Z) }",
        ] {
            let err = check(query, serde_json::json!({})).expect_err(query);
            assert!(matches!(err, ValidateError::Invalid(_)), "{query}: {err:?}");
        }
    }

    #[test]
    fn rejects_wrong_variable_types() {
        let err = check(
            "query($n: Int!) { list(n: $n) { b } }",
            serde_json::json!({"n": "three"}),
        )
        .expect_err("bad variable");
        assert!(matches!(err, ValidateError::Variables(_)));
    }

    #[test]
    fn enforces_depth_aliases_and_root_fields() {
        let limits = LimitsConfig {
            max_depth: 3,
            max_aliases: 1,
            max_root_fields: 2,
            ..LimitsConfig::default()
        };
        let deep = "{ a { a { a { b } } } }";
        let err = check_with(deep, serde_json::json!({}), &limits, true).expect_err("deep");
        assert!(matches!(err, ValidateError::TooDeep { found: 4, limit: 3 }));
        let via_fragment = "{ a { ...F } } fragment F on A { a { a { b } } }";
        let err = check_with(via_fragment, serde_json::json!({}), &limits, true).expect_err("deep");
        assert!(matches!(err, ValidateError::TooDeep { .. }));
        let aliases = "{ x: e y: e }";
        let err = check_with(aliases, serde_json::json!({}), &limits, true).expect_err("aliases");
        assert!(matches!(err, ValidateError::TooManyAliases { .. }));
        let roots = "{ e a { b } __typename }";
        let err = check_with(roots, serde_json::json!({}), &limits, true).expect_err("roots");
        assert!(matches!(err, ValidateError::TooManyRootFields { .. }));
    }

    #[test]
    fn introspection_can_be_disabled_and_is_not_planned() {
        let op = check("{ __schema { queryType { name } } }", serde_json::json!({}))
            .expect("introspection on");
        assert!(!op.has_concrete_fields);
        assert!(op.has_schema_introspection);
        let err = check_with(
            "{ __type(name: \"A\") { name } }",
            serde_json::json!({}),
            &LimitsConfig::default(),
            false,
        )
        .expect_err("introspection off");
        assert!(matches!(err, ValidateError::IntrospectionDisabled));
        let mixed =
            check("{ e __schema { types { name } } }", serde_json::json!({})).expect("mixed");
        assert!(mixed.has_concrete_fields);
        let source = mixed.planner_source.clone();
        assert!(!source.contains("__schema"), "{source}");
        assert!(source.contains('e'));
    }

    /// What the planner sees, on one line.
    fn planned(query: &str) -> String {
        let op = check(query, serde_json::json!({"v": true})).expect("valid");
        op.planner_source
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_planner_sees_literal_conditions_decided() {
        // Skipped by a literal: gone; a field left empty selects `__typename`.
        assert_eq!(
            planned("{ a { b @skip(if: true) } e }"),
            "{ a { __typename } e }"
        );
        assert_eq!(planned("{ a { b @include(if: true) } }"), "{ a { b } }");
        // A fragment emptied by literals still selects something.
        let source = planned("{ a { ...F } } fragment F on A { b @include(if: false) }");
        assert!(
            source.contains("fragment F on A { __typename }"),
            "{source}"
        );
    }

    #[test]
    fn the_planner_sees_conditional_fragments_on_the_enclosing_type_dissolved() {
        assert_eq!(
            planned("query($v: Boolean!) { a { ... on A @include(if: $v) { b } } }"),
            "query($v: Boolean!) { a { b @include(if: $v) } }"
        );
        assert_eq!(
            planned("query($v: Boolean!) { a { ...F @skip(if: $v) } } fragment F on A { b }"),
            "query($v: Boolean!) { a { b @skip(if: $v) } } fragment F on A { b }"
        );
        // A child already carrying the directive keeps the fragment.
        let kept = planned("query($v: Boolean!) { a { ... @skip(if: $v) { b @skip(if: $v) } } }");
        assert!(kept.contains("... @skip(if: $v) {"), "{kept}");
    }
}
