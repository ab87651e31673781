//! Composition diagnostics: our own stable rule codes, and the mapping from
//! graphql-composition's diagnostics (which carry a composite-schemas error code for a
//! few rules and only a message for the rest) onto them.
//!
//! Rule codes follow Apollo Federation's composition error codes where one exists
//! (<https://www.apollographql.com/docs/graphos/reference/federation/errors>), so that
//! people who know those can read ours.

use std::fmt;

use graphql_composition::diagnostics::{
    CompositeSchemasErrorCode, CompositeSchemasPostMergeValidationErrorCode,
    CompositeSchemasPreMergeValidationErrorCode, CompositeSchemasSourceSchemaValidationErrorCode,
    Diagnostic,
};
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Composition fails.
    Error,
    /// Composition succeeds; worth a look.
    Warning,
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// A stable composition rule code (`SCREAMING_SNAKE`), see [`CompositionRule::code`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum CompositionRule {
            $( $(#[$doc])* $variant, )*
        }

        impl CompositionRule {
            /// The stable code, e.g. `FIELD_TYPE_MISMATCH`.
            pub fn code(self) -> &'static str {
                match self { $( CompositionRule::$variant => $code, )* }
            }

            /// Every rule, for documentation and tests.
            pub const ALL: &'static [CompositionRule] = &[ $( CompositionRule::$variant, )* ];
        }
    };
}

rules! {
    /// No subgraph was given.
    NoSubgraphs = "NO_SUBGRAPHS",
    /// A subgraph's SDL does not parse.
    InvalidGraphql = "INVALID_GRAPHQL",
    /// Two subgraphs share a name, or a name has invalid characters.
    InvalidSubgraphName = "INVALID_SUBGRAPH_NAME",
    /// No subgraph defines a root field.
    NoQueries = "NO_QUERIES",
    /// A field has incompatible types in two subgraphs.
    FieldTypeMismatch = "FIELD_TYPE_MISMATCH",
    /// A field argument has incompatible types in two subgraphs.
    FieldArgumentTypeMismatch = "FIELD_ARGUMENT_TYPE_MISMATCH",
    /// A field argument has different default values in two subgraphs.
    FieldArgumentDefaultMismatch = "FIELD_ARGUMENT_DEFAULT_MISMATCH",
    /// A required argument is missing in some subgraph defining the field.
    RequiredArgumentMissingInSomeSubgraph = "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
    /// A required input field is missing in some subgraph defining the input type.
    RequiredInputFieldMissingInSomeSubgraph = "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
    /// A type is an object in one subgraph and something else in another.
    TypeKindMismatch = "TYPE_KIND_MISMATCH",
    /// A non-`@shareable` field is resolved by more than one subgraph.
    InvalidFieldSharing = "INVALID_FIELD_SHARING",
    /// `@shareable` where it is not allowed (interfaces, subscriptions).
    InvalidShareableUsage = "INVALID_SHAREABLE_USAGE",
    /// A `@shareable` value type misses fields defined by other subgraphs.
    ShareableFieldMissing = "SHAREABLE_FIELD_MISSING",
    /// A type is an entity (`@key`) in some subgraphs but not in others.
    EntityKeyMismatch = "ENTITY_KEY_MISMATCH",
    /// `@key(fields:)` selects something that does not exist.
    KeyInvalidFields = "KEY_INVALID_FIELDS",
    /// `@requires(fields:)` selects something that does not exist.
    RequiresInvalidFields = "REQUIRES_INVALID_FIELDS",
    /// `@provides(fields:)` is invalid.
    ProvidesInvalidFields = "PROVIDES_INVALID_FIELDS",
    /// `@provides` on a field whose type has no selection.
    ProvidesOnNonObjectField = "PROVIDES_ON_NON_OBJECT_FIELD",
    /// `@external` combined with `@requires`/`@provides` on the same field.
    ExternalCollisionWithAnotherDirective = "EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE",
    /// `@override(from:)` names the subgraph the field is in.
    OverrideFromSelf = "OVERRIDE_FROM_SELF_ERROR",
    /// `@override` on a field that is itself overridden elsewhere.
    OverrideSourceHasOverride = "OVERRIDE_SOURCE_HAS_OVERRIDE",
    /// `@override` on an `@external` field.
    OverrideCollisionWithAnotherDirective = "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
    /// `@override(label:)` is malformed.
    OverrideLabelInvalid = "OVERRIDE_LABEL_INVALID",
    /// `@override(from:)` names no known subgraph (a warning: the source may be gone).
    FromSubgraphDoesNotExist = "FROM_SUBGRAPH_DOES_NOT_EXIST",
    /// (hint) Subgraphs describe one element differently; the supergraph
    /// keeps one description.
    InconsistentDescription = "INCONSISTENT_DESCRIPTION",
    /// (hint) An argument has a default in some subgraphs and none in
    /// others; the supergraph keeps the default.
    InconsistentDefaultValuePresence = "INCONSISTENT_DEFAULT_VALUE_PRESENCE",
    /// (hint) A field's type differs across subgraphs only in nullability.
    InconsistentButCompatibleFieldType = "INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE",
    /// (hint) An argument's type differs across subgraphs only in nullability.
    InconsistentButCompatibleArgumentType = "INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE",
    /// (hint) A type is an entity in some subgraphs and a value type in others.
    InconsistentEntity = "INCONSISTENT_ENTITY",
    /// (hint) A value type's field (an object without `@key` anywhere) that
    /// some subgraphs defining the type lack.
    InconsistentObjectValueTypeField = "INCONSISTENT_OBJECT_VALUE_TYPE_FIELD",
    /// (hint) A field of an interface without `@key` that some subgraphs
    /// defining the interface lack.
    InconsistentInterfaceValueTypeField = "INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD",
    /// (hint) A union member that some subgraphs defining the union lack.
    InconsistentUnionMember = "INCONSISTENT_UNION_MEMBER",
    /// (hint) An optional input field some subgraphs lack: the supergraph
    /// leaves it out.
    InconsistentInputObjectField = "INCONSISTENT_INPUT_OBJECT_FIELD",
    /// A field several subgraphs resolve returns an abstract type whose
    /// possible runtime types have nothing in common between them.
    ShareableHasMismatchedRuntimeTypes = "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES",
    /// (hint) A field several subgraphs resolve returns an abstract type
    /// with different possible runtime types in each.
    InconsistentRuntimeTypesForShareableReturn = "INCONSISTENT_RUNTIME_TYPES_FOR_SHAREABLE_RETURN",
    /// (hint) An `@override` whose source no longer resolves the field.
    OverrideDirectiveCanBeRemoved = "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
    /// (hint) A field overridden (without a label) that its source can drop.
    OverriddenFieldCanBeRemoved = "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
    /// (hint) A progressive `@override(label:)` migration is in progress.
    OverrideMigrationInProgress = "OVERRIDE_MIGRATION_IN_PROGRESS",
    /// A visible element refers to an `@inaccessible` type.
    ReferencedInaccessible = "REFERENCED_INACCESSIBLE",
    /// The query root type is `@inaccessible`.
    QueryRootTypeInaccessible = "QUERY_ROOT_TYPE_INACCESSIBLE",
    /// An enum's values do not match across subgraphs as its usage requires.
    EnumValueMismatch = "ENUM_VALUE_MISMATCH",
    /// An interface field is not implemented by an implementing type.
    InterfaceFieldNoImplem = "INTERFACE_FIELD_NO_IMPLEM",
    /// `@interfaceObject` / entity interface misuse.
    InterfaceObjectUsageError = "INTERFACE_OBJECT_USAGE_ERROR",
    /// An entity interface's implementation lacks the interface's key.
    InterfaceKeyNotOnImplementation = "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
    /// A subgraph with a resolvable interface key misses implementation types.
    InterfaceKeyMissingImplementationType = "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
    /// A `@link` imports an element its spec version does not define.
    InvalidLinkDirectiveUsage = "INVALID_LINK_DIRECTIVE_USAGE",
    /// Directive definitions disagree across subgraphs, or `@composeDirective` misuse.
    DirectiveDefinitionInvalid = "DIRECTIVE_DEFINITION_INVALID",
    /// A directive application that no definition or composed directive covers.
    UnknownDirective = "UNKNOWN_DIRECTIVE",
    /// A subgraph defines a name reserved for federation machinery.
    ReservedName = "RESERVED_NAME",
    /// A lookup field returns a non-nullable type (warning).
    LookupReturnsNonNullableType = "LOOKUP_RETURNS_NON_NULLABLE_TYPE",
    /// A `@context` name that is not a GraphQL name without underscores.
    ContextNameInvalid = "CONTEXT_NAME_INVALID",
    /// A `@fromContext` names a context no type of its subgraph sets.
    ContextNotSet = "CONTEXT_NOT_SET",
    /// A `@fromContext(field:)` value that does not start with `$<context>`.
    NoContextInSelection = "NO_CONTEXT_IN_SELECTION",
    /// A `@fromContext` selection that is invalid on a type setting the
    /// context (or a contextual argument with a default value).
    ContextInvalidSelection = "CONTEXT_INVALID_SELECTION",
    /// A field of the supergraph that no plan over the subgraphs can resolve
    /// (Federation's satisfiability validation).
    SatisfiabilityError = "SATISFIABILITY_ERROR",
    /// The composed supergraph is not a valid standard supergraph (a bug of ours or of
    /// the composer; reported instead of producing a broken file).
    InvalidSupergraph = "INVALID_SUPERGRAPH",
    /// Any other diagnostic of the composer, message kept verbatim.
    CompositionError = "COMPOSITION_ERROR",
}

impl fmt::Display for CompositionRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for CompositionRule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// One composition error or warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompositionDiagnostic {
    /// The stable rule code.
    pub rule: CompositionRule,
    /// Error or warning.
    pub severity: Severity,
    /// The subgraphs involved (may be empty when the composer did not say).
    pub subgraphs: Vec<String>,
    /// The schema coordinate involved (`Type`, `Type.field`, `Type.field(arg:)`), if known.
    pub coordinate: Option<String>,
    /// Human-readable message.
    pub message: String,
}

impl CompositionDiagnostic {
    pub(crate) fn error(
        rule: CompositionRule,
        subgraphs: Vec<String>,
        coordinate: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        CompositionDiagnostic {
            rule,
            severity: Severity::Error,
            subgraphs,
            coordinate,
            message: message.into(),
        }
    }

    pub(crate) fn warning(
        rule: CompositionRule,
        subgraphs: Vec<String>,
        coordinate: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        CompositionDiagnostic {
            severity: Severity::Warning,
            ..Self::error(rule, subgraphs, coordinate, message)
        }
    }

    /// Is this fatal?
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for CompositionDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}[{}]", self.rule)?;
        if !self.subgraphs.is_empty() {
            write!(f, " subgraph {}", self.subgraphs.join(", "))?;
        }
        if let Some(coordinate) = &self.coordinate {
            write!(f, " at {coordinate}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Maps a graphql-composition diagnostic onto ours.
pub(crate) fn classify(
    diagnostic: &Diagnostic,
    subgraph_names: &[String],
) -> CompositionDiagnostic {
    let message = diagnostic.message().to_string();
    let rule = diagnostic
        .composite_schemas_error_code()
        .and_then(rule_from_code)
        .unwrap_or_else(|| rule_from_message(&message));
    let severity = if diagnostic.severity().is_error() {
        Severity::Error
    } else {
        Severity::Warning
    };
    CompositionDiagnostic {
        rule,
        severity,
        subgraphs: subgraphs_in(&message, subgraph_names),
        coordinate: coordinate_in(&message),
        message,
    }
}

fn rule_from_code(code: CompositeSchemasErrorCode) -> Option<CompositionRule> {
    use CompositeSchemasErrorCode as C;
    use CompositeSchemasPostMergeValidationErrorCode as Post;
    use CompositeSchemasPreMergeValidationErrorCode as Pre;
    use CompositeSchemasSourceSchemaValidationErrorCode as Source;
    Some(match code {
        C::SourceSchema(Source::QueryRootTypeInaccessible) => {
            CompositionRule::QueryRootTypeInaccessible
        }
        C::SourceSchema(Source::LookupReturnsNonNullableType) => {
            CompositionRule::LookupReturnsNonNullableType
        }
        C::SourceSchema(Source::OverrideFromSelf) => CompositionRule::OverrideFromSelf,
        C::SourceSchema(Source::ProvidesDirectiveInFieldsArgument) => {
            CompositionRule::ProvidesInvalidFields
        }
        C::PreMerge(Pre::TypeKindMismatch) => CompositionRule::TypeKindMismatch,
        C::PreMerge(Pre::OverrideSourceHasOverride) => CompositionRule::OverrideSourceHasOverride,
        C::PostMerge(Post::InvalidFieldSharing) => CompositionRule::InvalidFieldSharing,
        // The enums are non-exhaustive: a newer composer may add codes.
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// Message patterns of graphql-composition 0.12's diagnostics that carry no code.
fn rule_from_message(message: &str) -> CompositionRule {
    use CompositionRule as R;
    let has = |needle: &str| message.contains(needle);
    if has("conflicting types") {
        if has(" argument has ") {
            R::FieldArgumentTypeMismatch
        } else {
            R::FieldTypeMismatch
        }
    } else if has("Error in @requires") {
        R::RequiresInvalidFields
    } else if has("Error in @key") {
        R::KeyInvalidFields
    } else if has("Error in @provides") || has("`@provides(fields:)`") {
        R::ProvidesInvalidFields
    } else if has("Invalid @provides") {
        R::ProvidesOnNonObjectField
    } else if has("cannot have a `@requires`") || has("cannot have a `@provides`") {
        R::ExternalCollisionWithAnotherDirective
    } else if has("is of an @inaccessible type") {
        R::ReferencedInaccessible
    } else if has("incompatible defaults") {
        R::FieldArgumentDefaultMismatch
    } else if has("is required in") && has("but missing in") {
        R::RequiredArgumentMissingInSomeSubgraph
    } else if has("is not defined in all subgraphs, but it is required") {
        R::RequiredInputFieldMissingInSomeSubgraph
    } else if has("is an entity in subgraphs") {
        R::EntityKeyMismatch
    } else if has("The shareable object") {
        R::ShareableFieldMissing
    } else if has("shareable") && (has("interfaces") || has("Subscription")) {
        R::InvalidShareableUsage
    } else if has("Values for enum") || has("values of enum") {
        R::EnumValueMismatch
    } else if has("is not implemented by") {
        R::InterfaceFieldNoImplem
    } else if has("does not have the same key") || has("different key than the entity interface") {
        R::InterfaceKeyNotOnImplementation
    } else if has("is missing some of the supergraph implementation types") {
        R::InterfaceKeyMissingImplementationType
    } else if has("entity interface") || has("@interfaceObject") {
        R::InterfaceObjectUsageError
    } else if (has("Directive `") && has("repeatable")) || has("@composeDirective") {
        R::DirectiveDefinitionInvalid
    } else if has("Unknown directive") || has("is not defined in any extension") {
        R::UnknownDirective
    } else if has("@override label") {
        R::OverrideLabelInvalid
    } else if has("None of the subgraphs define any root") {
        R::NoQueries
    } else if has("subgraph name") || has("subgraphs named") {
        R::InvalidSubgraphName
    } else if has("reserved federation definition name") {
        R::ReservedName
    } else if has("No subgraphs to compose") {
        R::NoSubgraphs
    } else {
        R::CompositionError
    }
}

/// Subgraph names mentioned in a message as whole words, in the order given.
pub(crate) fn subgraphs_in(message: &str, subgraph_names: &[String]) -> Vec<String> {
    let words: Vec<&str> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    subgraph_names
        .iter()
        .filter(|name| words.contains(&name.as_str()))
        .cloned()
        .collect()
}

/// The first schema coordinate in a message: `Type.field`, `Type.field(arg:)` or a
/// backticked type name.
pub(crate) fn coordinate_in(message: &str) -> Option<String> {
    // `Type.field(arg:)` / `Type.field` anywhere, with or without backticks or quotes.
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let bytes: Vec<char> = message.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() || bytes[i] == '_' {
            let start = i;
            while i < bytes.len() && is_name_char(bytes[i]) {
                i += 1;
            }
            let starts_word =
                start == 0 || (!is_name_char(bytes[start - 1]) && bytes[start - 1] != '.');
            if starts_word && i + 1 < bytes.len() && bytes[i] == '.' && is_name_start(bytes[i + 1])
            {
                let type_name: String = bytes[start..i].iter().collect();
                let mut j = i + 1;
                while j < bytes.len() && is_name_char(bytes[j]) {
                    j += 1;
                }
                let field: String = bytes[i + 1..j].iter().collect();
                let mut coordinate = format!("{type_name}.{field}");
                // `(arg:)`
                if j < bytes.len() && bytes[j] == '(' {
                    let rest: String = bytes[j..].iter().collect();
                    if let Some(end) = rest.find(":)") {
                        let arg = &rest[1..end];
                        if !arg.is_empty() && arg.chars().all(is_name_char) {
                            coordinate.push_str(&format!("({arg}:)"));
                        }
                    }
                } else if j < bytes.len() && bytes[j] == '.' {
                    // `Type.field.arg` (graphql-composition's argument notation)
                    let mut k = j + 1;
                    while k < bytes.len() && is_name_char(bytes[k]) {
                        k += 1;
                    }
                    if k > j + 1 {
                        let arg: String = bytes[j + 1..k].iter().collect();
                        coordinate.push_str(&format!("({arg}:)"));
                    }
                }
                if type_name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
                {
                    return Some(coordinate);
                }
            }
        } else {
            i += 1;
        }
    }
    // A backticked type name (`Thing`).
    let mut parts = message.split('`');
    parts.next();
    while let Some(inside) = parts.next() {
        if inside
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
            && inside.chars().all(is_name_char)
        {
            return Some(inside.to_string());
        }
        parts.next();
    }
    // "at Product:" / "on Product"
    for marker in [" at ", " on "] {
        if let Some(pos) = message.find(marker) {
            let name: String = message[pos + marker.len()..]
                .chars()
                .take_while(|c| is_name_char(*c))
                .collect();
            if name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                return Some(name);
            }
        }
    }
    None
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_coordinates_in_composer_messages() {
        let cases = [
            (
                "The Thing.count field has conflicting types in different subgraphs: Int in a but String in b",
                Some("Thing.count"),
            ),
            (
                "The Query.p(id:) argument has conflicting types in different subgraphs",
                Some("Query.p(id:)"),
            ),
            (
                "The argument Query.p.id has incompatible defaults in subgraphs",
                Some("Query.p(id:)"),
            ),
            (
                "[a] Error in @key at Product: the upc field does not exist on Product",
                Some("Product"),
            ),
            (
                "Cannot merge Object with Interface (`Thing` in `a` and `b`)",
                Some("Thing"),
            ),
            ("no coordinate here", None),
        ];
        for (message, expected) in cases {
            assert_eq!(coordinate_in(message).as_deref(), expected, "{message}");
        }
    }

    #[test]
    fn every_rule_code_is_unique_screaming_snake() {
        let mut seen = std::collections::HashSet::new();
        for rule in CompositionRule::ALL {
            let code = rule.code();
            assert!(seen.insert(code), "duplicate {code}");
            assert!(
                code.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn finds_subgraph_names_as_words() {
        let names = vec!["a".to_string(), "users".to_string(), "orders".to_string()];
        assert_eq!(
            subgraphs_in("fields in users and orders, not in usersx", &names),
            vec!["users".to_string(), "orders".to_string()]
        );
    }
}
