//! Operation checks: do a client's operations still work against a proposed schema?
//!
//! [`check_operations`] validates each operation (apollo-compiler validation against the
//! new API schema) and lists the breaking and dangerous [`Change`]s that touch it: the
//! changes whose schema coordinate the operation uses (as resolved against the *old*
//! schema, which it was written for). [`check_subgraphs`] runs the whole pipeline the
//! `tessera check` command needs: compose the proposed subgraphs, derive the API
//! schema, diff it against the baseline supergraph's, check the operations.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use apollo_compiler::executable::{self, Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node, Schema, ast};
use serde::Serialize;

use crate::compose::{CompositionDiagnostic, SubgraphSdl, compose};
use crate::diff::{Change, ChangeKind, Criticality, diff};
use crate::{Supergraph, api_schema};

/// One file of operations (it may hold several operations and shared fragments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationDocument {
    /// Where it came from (shown in reports), e.g. `frontend-contract/operations/login.graphql`.
    pub path: String,
    /// The GraphQL source.
    pub source: String,
}

/// A validation error of an operation against the new schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationIssue {
    /// The message.
    pub message: String,
    /// 1-based line in the document, when known.
    pub line: Option<usize>,
    /// 1-based column in the document, when known.
    pub column: Option<usize>,
}

/// The verdict for one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationReport {
    /// The document's path.
    pub path: String,
    /// The operation's name (`None` for an anonymous operation, or when the document
    /// does not parse).
    pub operation: Option<String>,
    /// Validation errors against the new schema.
    pub errors: Vec<ValidationIssue>,
    /// Breaking changes whose coordinates the operation uses.
    pub breaking_changes: Vec<Change>,
    /// Dangerous changes whose coordinates the operation uses.
    pub dangerous_changes: Vec<Change>,
}

impl OperationReport {
    /// Does the operation break (invalid, or touched by a breaking change)?
    pub fn is_broken(&self) -> bool {
        !self.errors.is_empty() || !self.breaking_changes.is_empty()
    }

    /// `path#Name` or `path` for display.
    pub fn label(&self) -> String {
        match &self.operation {
            Some(name) => format!("{} ({name})", self.path),
            None => self.path.clone(),
        }
    }
}

/// Checks operations against a new API schema; `old` (the API schema they were written
/// for) and `changes` (from [`diff`]`(old, new)`) attribute changes to operations.
pub fn check_operations(
    old: Option<&Valid<Schema>>,
    new: &Valid<Schema>,
    changes: &[Change],
    documents: &[OperationDocument],
) -> Vec<OperationReport> {
    let mut reports = Vec::new();
    for document in documents {
        check_document(old, new, changes, document, &mut reports);
    }
    reports
}

fn check_document(
    old: Option<&Valid<Schema>>,
    new: &Valid<Schema>,
    changes: &[Change],
    document: &OperationDocument,
    reports: &mut Vec<OperationReport>,
) {
    // Validation against the new schema, errors with their line.
    let (new_doc, issues) =
        match ExecutableDocument::parse_and_validate(new, &document.source, &document.path) {
            Ok(doc) => (doc.into_inner(), Vec::new()),
            Err(with_errors) => {
                let issues: Vec<ValidationIssue> = with_errors
                    .errors
                    .iter()
                    .map(|d| {
                        let range = d.line_column_range();
                        ValidationIssue {
                            message: d.error.to_string(),
                            line: range.as_ref().map(|r| r.start.line),
                            column: range.as_ref().map(|r| r.start.column),
                        }
                    })
                    .collect();
                (with_errors.partial, issues)
            }
        };

    // Coordinates used, resolved against the schema the operations were written for.
    let usage_doc = match old {
        Some(old) => match ExecutableDocument::parse(old, &document.source, &document.path) {
            Ok(doc) => doc,
            Err(with_errors) => with_errors.partial,
        },
        None => new_doc.clone(),
    };
    let usage_schema: &Schema = old.map(|s| &**s).unwrap_or(new);

    let operations: Vec<&Node<executable::Operation>> = usage_doc.operations.iter().collect();
    if operations.is_empty() {
        // Nothing to attribute to: report the document as a whole.
        reports.push(OperationReport {
            path: document.path.clone(),
            operation: None,
            errors: if issues.is_empty() {
                vec![ValidationIssue {
                    message: "the document contains no operation".into(),
                    line: None,
                    column: None,
                }]
            } else {
                issues
            },
            breaking_changes: Vec::new(),
            dangerous_changes: Vec::new(),
        });
        return;
    }

    // Line ranges of each operation, to attribute validation errors.
    let ranges: Vec<Option<(usize, usize)>> = operations
        .iter()
        .map(|op| {
            op.line_column_range(&usage_doc.sources)
                .map(|r| (r.start.line, r.end.line))
        })
        .collect();
    let in_some_operation = |line: usize| {
        ranges
            .iter()
            .any(|r| r.is_some_and(|(s, e)| s <= line && line <= e))
    };

    for (index, operation) in operations.iter().enumerate() {
        let mut usage = Usage::default();
        usage.operation(usage_schema, &usage_doc, operation);
        let errors: Vec<ValidationIssue> = issues
            .iter()
            .filter(|issue| match (issue.line, ranges[index]) {
                (Some(line), Some((start, end))) => {
                    (start <= line && line <= end) || !in_some_operation(line)
                }
                _ => true,
            })
            .cloned()
            .collect();
        let touching = |criticality: Criticality| -> Vec<Change> {
            changes
                .iter()
                .filter(|c| c.criticality == criticality && usage.touches(c))
                .cloned()
                .collect()
        };
        reports.push(OperationReport {
            path: document.path.clone(),
            operation: operation.name.as_ref().map(|n| n.to_string()),
            errors,
            breaking_changes: touching(Criticality::Breaking),
            dangerous_changes: touching(Criticality::Dangerous),
        });
    }
}

/// Schema coordinates an operation uses.
#[derive(Debug, Default)]
struct Usage {
    /// `Type.field`, `Type.field(arg:)`, `Enum.VALUE`, `Input.field`, `@dir`, `@dir(arg:)`.
    coordinates: HashSet<String>,
    /// Named types used anywhere (field types, type conditions, variable types).
    types: HashSet<String>,
    /// `query` / `mutation` / `subscription`.
    operation_types: HashSet<&'static str>,
    visited_fragments: HashSet<String>,
}

impl Usage {
    fn operation(
        &mut self,
        schema: &Schema,
        doc: &ExecutableDocument,
        operation: &executable::Operation,
    ) {
        self.operation_types.insert(match operation.operation_type {
            ast::OperationType::Query => "query",
            ast::OperationType::Mutation => "mutation",
            ast::OperationType::Subscription => "subscription",
        });
        for variable in &operation.variables {
            self.input_type_fully(
                schema,
                variable.ty.inner_named_type().as_str(),
                &mut BTreeSet::new(),
            );
        }
        self.directives(&operation.directives);
        self.selection_set(schema, doc, &operation.selection_set);
    }

    fn directives(&mut self, directives: &executable::DirectiveList) {
        for directive in directives.iter() {
            self.coordinates.insert(format!("@{}", directive.name));
            for argument in &directive.arguments {
                self.coordinates
                    .insert(format!("@{}({}:)", directive.name, argument.name));
            }
        }
    }

    fn selection_set(&mut self, schema: &Schema, doc: &ExecutableDocument, set: &SelectionSet) {
        self.types.insert(set.ty.to_string());
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    let coordinate = format!("{}.{}", set.ty, field.name);
                    self.directives(&field.directives);
                    for argument in &field.arguments {
                        self.coordinates
                            .insert(format!("{coordinate}({}:)", argument.name));
                        if let Some(definition) = field.definition.argument_by_name(&argument.name)
                        {
                            self.value(schema, &definition.ty, &argument.value);
                        }
                    }
                    self.coordinates.insert(coordinate);
                    self.types
                        .insert(field.definition.ty.inner_named_type().to_string());
                    self.selection_set(schema, doc, &field.selection_set);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.directives);
                    if self
                        .visited_fragments
                        .insert(spread.fragment_name.to_string())
                        && let Some(fragment) = doc.fragments.get(&spread.fragment_name)
                    {
                        self.directives(&fragment.directives);
                        self.selection_set(schema, doc, &fragment.selection_set);
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.directives);
                    self.selection_set(schema, doc, &inline.selection_set);
                }
            }
        }
    }

    /// A literal argument value: enum values and input fields it names.
    fn value(&mut self, schema: &Schema, ty: &ast::Type, value: &ast::Value) {
        let named = ty.inner_named_type();
        match value {
            ast::Value::Enum(v) => {
                self.coordinates.insert(format!("{named}.{v}"));
            }
            ast::Value::List(items) => {
                for item in items {
                    self.value(schema, ty.item_type(), item);
                }
            }
            ast::Value::Object(fields) => {
                self.types.insert(named.to_string());
                if let Some(ExtendedType::InputObject(input)) = schema.types.get(named) {
                    for (name, v) in fields {
                        self.coordinates.insert(format!("{named}.{name}"));
                        if let Some(field) = input.fields.get(name) {
                            self.value(schema, &field.ty, v);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A variable's type: the client may send any value of it, so every input field
    /// and enum value of it (recursively) counts as used.
    fn input_type_fully(&mut self, schema: &Schema, name: &str, seen: &mut BTreeSet<String>) {
        if !seen.insert(name.to_string()) {
            return;
        }
        self.types.insert(name.to_string());
        match schema.types.get(name) {
            Some(ExtendedType::InputObject(input)) => {
                for (field_name, field) in &input.fields {
                    self.coordinates.insert(format!("{name}.{field_name}"));
                    self.input_type_fully(schema, field.ty.inner_named_type().as_str(), seen);
                }
            }
            Some(ExtendedType::Enum(e)) => {
                for value in e.values.keys() {
                    self.coordinates.insert(format!("{name}.{value}"));
                }
            }
            _ => {}
        }
    }

    /// Does `change` affect an operation with this usage?
    fn touches(&self, change: &Change) -> bool {
        let path = change.path.as_str();
        // `Parent.child` / `Parent.child(arg:)` → the parent coordinate.
        let parent = |p: &str| -> String {
            match p.find('(') {
                Some(i) => p[..i].to_string(),
                None => p.split('.').next().unwrap_or(p).to_string(),
            }
        };
        match change.kind {
            ChangeKind::FieldArgumentAdded => self.coordinates.contains(&parent(path)),
            ChangeKind::InputFieldAdded
            | ChangeKind::EnumValueAdded
            | ChangeKind::UnionMemberAdded
            | ChangeKind::ObjectTypeInterfaceAdded => self.types.contains(&parent(path)),
            ChangeKind::UnionMemberRemoved | ChangeKind::ObjectTypeInterfaceRemoved => {
                let mut parts = path.splitn(2, '.');
                let (a, b) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                self.types.contains(a) && self.types.contains(b)
            }
            ChangeKind::TypeRemoved | ChangeKind::TypeKindChanged => self.types.contains(path),
            ChangeKind::SchemaQueryTypeChanged => self.operation_types.contains("query"),
            ChangeKind::SchemaMutationTypeChanged => self.operation_types.contains("mutation"),
            ChangeKind::SchemaSubscriptionTypeChanged => {
                self.operation_types.contains("subscription")
            }
            ChangeKind::DirectiveArgumentAdded => self.coordinates.contains(&parent(path)),
            _ => self.coordinates.contains(path),
        }
    }
}

/// Why a check could not run at all (as opposed to finding problems).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The baseline supergraph does not load.
    #[error("the baseline supergraph is invalid: {0}")]
    Baseline(String),
}

/// The result of [`check_subgraphs`].
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Composition errors (the check fails when there is any).
    pub composition_errors: Vec<CompositionDiagnostic>,
    /// Composition warnings.
    pub composition_warnings: Vec<CompositionDiagnostic>,
    /// Every change between the baseline's API schema and the proposed one.
    pub changes: Vec<Change>,
    /// One entry per operation.
    pub operations: Vec<OperationReport>,
    /// The proposed supergraph, when composition succeeded.
    #[serde(skip)]
    pub supergraph_sdl: Option<String>,
}

impl CheckReport {
    /// `true` when composition succeeded and no operation breaks.
    pub fn passed(&self) -> bool {
        self.composition_errors.is_empty()
            && !self.operations.iter().any(OperationReport::is_broken)
    }

    /// Operations that break.
    pub fn broken_operations(&self) -> impl Iterator<Item = &OperationReport> {
        self.operations.iter().filter(|o| o.is_broken())
    }

    /// A readable report for terminals.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        if !self.composition_errors.is_empty() {
            let _ = writeln!(out, "Composition failed:");
            for e in &self.composition_errors {
                let _ = writeln!(out, "  {e}");
            }
        }
        for w in &self.composition_warnings {
            let _ = writeln!(out, "  {w}");
        }
        if self.composition_errors.is_empty() {
            let count = |c: Criticality| self.changes.iter().filter(|x| x.criticality == c).count();
            let _ = writeln!(
                out,
                "Schema changes: {} breaking, {} dangerous, {} safe",
                count(Criticality::Breaking),
                count(Criticality::Dangerous),
                count(Criticality::Safe)
            );
            for change in &self.changes {
                let _ = writeln!(out, "  {change}");
            }
            let broken = self.broken_operations().count();
            let _ = writeln!(
                out,
                "Operations: {} checked, {} broken",
                self.operations.len(),
                broken
            );
            for op in &self.operations {
                let verdict = if op.is_broken() {
                    "BROKEN"
                } else if !op.dangerous_changes.is_empty() {
                    "warn"
                } else {
                    "ok"
                };
                let _ = writeln!(out, "  {verdict:<6} {}", op.label());
                for e in &op.errors {
                    let at = match (e.line, e.column) {
                        (Some(l), Some(c)) => format!(" (line {l}:{c})"),
                        _ => String::new(),
                    };
                    let _ = writeln!(out, "         invalid{at}: {}", e.message);
                }
                for c in op.breaking_changes.iter().chain(&op.dangerous_changes) {
                    let _ = writeln!(out, "         {c}");
                }
            }
        }
        let _ = writeln!(
            out,
            "{}",
            if self.passed() {
                "Check passed."
            } else {
                "Check FAILED."
            }
        );
        out
    }
}

/// Composes `proposed`, diffs its API schema against `baseline_supergraph_sdl`'s (when
/// given) and checks `operations` against it.
pub fn check_subgraphs(
    proposed: &[SubgraphSdl],
    baseline_supergraph_sdl: Option<&str>,
    operations: &[OperationDocument],
) -> Result<CheckReport, CheckError> {
    let baseline = match baseline_supergraph_sdl {
        Some(sdl) => {
            let supergraph =
                Supergraph::parse(sdl).map_err(|e| CheckError::Baseline(e.to_string()))?;
            Some(api_schema(&supergraph).map_err(|e| CheckError::Baseline(e.to_string()))?)
        }
        None => None,
    };
    let mut report = CheckReport {
        composition_errors: Vec::new(),
        composition_warnings: Vec::new(),
        changes: Vec::new(),
        operations: Vec::new(),
        supergraph_sdl: None,
    };
    let composed = match compose(proposed) {
        Ok(composed) => composed,
        Err(errors) => {
            let (errors, warnings): (Vec<_>, Vec<_>) =
                errors.diagnostics.into_iter().partition(|d| d.is_error());
            report.composition_errors = errors;
            report.composition_warnings = warnings;
            return Ok(report);
        }
    };
    report.composition_warnings = composed.warnings;
    // compose() only returns supergraphs that load and have an API schema; stay
    // defensive anyway.
    let new_api = match Supergraph::parse(&composed.supergraph_sdl)
        .map_err(|e| e.to_string())
        .and_then(|sg| api_schema(&sg).map_err(|e| e.to_string()))
    {
        Ok(api) => api,
        Err(message) => {
            report.composition_errors.push(CompositionDiagnostic {
                rule: crate::compose::CompositionRule::InvalidSupergraph,
                severity: crate::compose::Severity::Error,
                subgraphs: Vec::new(),
                coordinate: None,
                message,
            });
            return Ok(report);
        }
    };
    if let Some(old) = &baseline {
        report.changes = diff(old, &new_api);
    }
    report.operations = check_operations(baseline.as_ref(), &new_api, &report.changes, operations);
    report.supergraph_sdl = Some(composed.supergraph_sdl);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(sdl: &str) -> Valid<Schema> {
        match Schema::parse_and_validate(sdl, "s.graphql") {
            Ok(s) => s,
            Err(e) => panic!("{}", e.errors),
        }
    }

    fn run(old: &str, new: &str, operation: &str) -> OperationReport {
        let (old, new) = (schema(old), schema(new));
        let changes = diff(&old, &new);
        let mut reports = check_operations(
            Some(&old),
            &new,
            &changes,
            &[OperationDocument {
                path: "op.graphql".into(),
                source: operation.into(),
            }],
        );
        assert_eq!(reports.len(), 1);
        reports.remove(0)
    }

    const OLD: &str = r#"
type Query { user(id: ID!): User users(filter: Filter): [User!]! }
type User { id: ID! name: String! role: Role! legacy: String }
enum Role { ADMIN MEMBER GUEST }
input Filter { role: Role nameContains: String }
"#;

    #[test]
    fn removed_field_breaks_the_operation_selecting_it() {
        let new = OLD.replace("legacy: String", "");
        let report = run(OLD, &new, "query Legacy { user(id: 1) { legacy } }");
        assert!(report.is_broken());
        assert_eq!(report.operation.as_deref(), Some("Legacy"));
        assert_eq!(report.breaking_changes[0].path, "User.legacy");
        assert!(
            report.errors.iter().any(|e| e.message.contains("`legacy`")),
            "{report:?}"
        );
        let other = run(OLD, &new, "query Name { user(id: 1) { name } }");
        assert!(!other.is_broken(), "{other:?}");
    }

    #[test]
    fn removed_enum_value_breaks_operations_that_can_send_it() {
        let new = OLD.replace("MEMBER GUEST", "MEMBER");
        let literal = run(OLD, &new, "{ users(filter: {role: GUEST}) { id } }");
        assert!(literal.is_broken());
        let variable = run(OLD, &new, "query($f: Filter) { users(filter: $f) { id } }");
        assert_eq!(variable.breaking_changes.len(), 1, "{variable:?}");
        assert!(variable.errors.is_empty());
        let unrelated = run(OLD, &new, "{ users { id } }");
        assert!(!unrelated.is_broken());
        // Selecting a field of the enum type: the new value set is only "dangerous"
        // when values are added, and removing one does not break a reader.
        let reader = run(OLD, &new, "{ users { role } }");
        assert!(!reader.is_broken());
    }

    #[test]
    fn argument_type_change_and_required_argument() {
        let new = OLD.replace("user(id: ID!)", "user(id: Int!, tenant: String!)");
        let report = run(OLD, &new, "query U { user(id: 1) { id } }");
        let rules: Vec<&str> = report
            .breaking_changes
            .iter()
            .map(|c| c.kind.code())
            .collect();
        assert!(rules.contains(&"FIELD_ARGUMENT_TYPE_CHANGED"), "{rules:?}");
        assert!(rules.contains(&"FIELD_ARGUMENT_ADDED"), "{rules:?}");
    }

    #[test]
    fn errors_are_attributed_to_the_operation_they_are_in() {
        let new = OLD.replace("legacy: String", "");
        let (old, new) = (schema(OLD), schema(&new));
        let changes = diff(&old, &new);
        let reports = check_operations(
            Some(&old),
            &new,
            &changes,
            &[OperationDocument {
                path: "two.graphql".into(),
                source: "query A { users { id } }\n\nquery B { users { legacy } }\n".into(),
            }],
        );
        assert_eq!(reports.len(), 2);
        assert!(!reports[0].is_broken(), "{:?}", reports[0]);
        assert!(reports[1].is_broken());
    }

    #[test]
    fn unparsable_document_is_reported() {
        let new = schema(OLD);
        let reports = check_operations(
            None,
            &new,
            &[],
            &[OperationDocument {
                path: "bad.graphql".into(),
                source: "query {".into(),
            }],
        );
        assert_eq!(reports.len(), 1);
        assert!(reports[0].is_broken());
    }
}
