//! OneOf Input Objects (GraphQL spec, September 2025: `@oneOf` input types, of
//! which exactly one field is given, and not `null`).
//!
//! apollo-compiler validates and coerces without knowing `@oneOf`, so the two
//! rules the spec adds are checked here, after its validation and coercion:
//!
//! - **validation** ("OneOf Input Objects", part of Values of Correct Type): an
//!   object literal of a OneOf type has exactly one field, that field is not the
//!   literal `null`, and a variable given as that field is of a non-null type;
//! - **variable coercion** (Input Coercion of OneOf Input Objects): a variable
//!   value of a OneOf type has exactly one key, whose value is not `null`.
//!
//! Both run only when the schema has a OneOf type (most have none).

use std::collections::HashSet;

use apollo_compiler::ast::{self, Type, Value};
use apollo_compiler::executable::{self, ExecutableDocument, Selection, SelectionSet};
use apollo_compiler::response::{JsonMap, JsonValue as Json};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Node, Schema};

/// Whether `schema` has any OneOf input type (so the checks are needed at all).
pub(super) fn schema_has_one_of(schema: &Schema) -> bool {
    schema
        .types
        .values()
        .any(|ty| matches!(ty, ExtendedType::InputObject(input) if input.directives.get("oneOf").is_some()))
}

fn is_one_of(schema: &Schema, name: &str) -> bool {
    matches!(
        schema.types.get(name),
        Some(ExtendedType::InputObject(input)) if input.directives.get("oneOf").is_some()
    )
}

/// The validation rule over every argument and variable default of `operation`
/// (fragments it spreads included): the error messages, empty when valid.
pub(super) fn validate(
    schema: &Valid<Schema>,
    document: &Valid<ExecutableDocument>,
    operation: &executable::Operation,
) -> Vec<String> {
    let mut walk = Walk {
        schema,
        document,
        variables: &operation.variables,
        errors: Vec::new(),
        fragments: HashSet::new(),
    };
    for variable in &operation.variables {
        if let Some(default) = &variable.default_value {
            walk.value(default, &variable.ty);
        }
    }
    walk.selection_set(&operation.selection_set);
    walk.errors
}

struct Walk<'a> {
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    variables: &'a [Node<ast::VariableDefinition>],
    errors: Vec<String>,
    fragments: HashSet<&'a str>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) {
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    for argument in &field.arguments {
                        if let Some(definition) = field.definition.argument_by_name(&argument.name)
                        {
                            self.value(&argument.value, &definition.ty);
                        }
                    }
                    self.selection_set(&field.selection_set);
                }
                Selection::InlineFragment(fragment) => self.selection_set(&fragment.selection_set),
                Selection::FragmentSpread(spread) => {
                    if self.fragments.insert(spread.fragment_name.as_str())
                        && let Some(fragment) = self.document.fragments.get(&spread.fragment_name)
                    {
                        self.selection_set(&fragment.selection_set);
                    }
                }
            }
        }
    }

    fn value(&mut self, value: &Value, ty: &Type) {
        match (value, ty) {
            (Value::List(items), Type::List(item) | Type::NonNullList(item)) => {
                for value in items {
                    self.value(value, item);
                }
            }
            // A single value where a list is expected is coerced to a list of one.
            (_, Type::List(item) | Type::NonNullList(item)) => self.value(value, item),
            (Value::Object(fields), Type::Named(name) | Type::NonNullNamed(name)) => {
                let Some(ExtendedType::InputObject(input)) = self.schema.types.get(name) else {
                    return;
                };
                if input.directives.get("oneOf").is_some() {
                    self.one_of_literal(name, fields);
                }
                for (field, value) in fields {
                    if let Some(definition) = input.fields.get(field) {
                        self.value(value, &definition.ty);
                    }
                }
            }
            _ => {}
        }
    }

    fn one_of_literal(&mut self, name: &str, fields: &[(apollo_compiler::Name, Node<Value>)]) {
        let [(field, value)] = fields else {
            self.errors.push(format!(
                "OneOf Input Object \"{name}\" must specify exactly one key."
            ));
            return;
        };
        match &**value {
            Value::Null => self
                .errors
                .push(format!("Field \"{name}.{field}\" must be non-null.")),
            Value::Variable(variable) => {
                let nullable = self
                    .variables
                    .iter()
                    .find(|v| v.name == *variable)
                    .is_some_and(|v| !v.ty.is_non_null());
                if nullable {
                    self.errors.push(format!(
                        "Variable \"${variable}\" must be non-nullable to be used for OneOf Input Object \"{name}\"."
                    ));
                }
            }
            _ => {}
        }
    }
}

/// The coercion rule over the coerced `variables` of `operation`: the first
/// error, if any.
pub(super) fn check_variables(
    schema: &Schema,
    operation: &executable::Operation,
    variables: &JsonMap,
) -> Result<(), String> {
    for definition in &operation.variables {
        if let Some(value) = variables.get(definition.name.as_str()) {
            coerced(schema, value, &definition.ty).map_err(|problem| {
                format!(
                    "Variable \"${}\" got invalid value: {problem}",
                    definition.name
                )
            })?;
        }
    }
    Ok(())
}

fn coerced(schema: &Schema, value: &Json, ty: &Type) -> Result<(), String> {
    match (value, ty) {
        (Json::Array(items), Type::List(item) | Type::NonNullList(item)) => items
            .iter()
            .try_for_each(|value| coerced(schema, value, item.as_ref())),
        (_, Type::List(item) | Type::NonNullList(item)) => coerced(schema, value, item.as_ref()),
        (Json::Object(object), Type::Named(name) | Type::NonNullNamed(name)) => {
            let Some(ExtendedType::InputObject(input)) = schema.types.get(name.as_str()) else {
                return Ok(());
            };
            if is_one_of(schema, name.as_str()) {
                let given: Vec<(&str, &Json)> =
                    object.iter().map(|(k, v)| (k.as_str(), v)).collect();
                match given.as_slice() {
                    [(_, Json::Null)] | [] | [_, _, ..] => {
                        return Err(format!(
                            "exactly one key must be specified for OneOf type \"{name}\", and its value must not be null."
                        ));
                    }
                    [_] => {}
                }
            }
            for (key, value) in object {
                if let Some(definition) = input.fields.get(key.as_str()) {
                    coerced(schema, value, &definition.ty)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::LimitsConfig;
    use crate::validate::{ValidateError, validate as validate_operation};
    use apollo_compiler::Schema;
    use apollo_compiler::response::JsonMap;

    const SDL: &str = r#"
        directive @oneOf on INPUT_OBJECT
        type Query { product(by: ProductBy!): Int, products(by: [ProductBy!]): Int, filter(f: Filter): Int }
        input ProductBy @oneOf { id: ID, upc: String, nested: Nested }
        input Nested @oneOf { a: Int, b: Int }
        input Filter { by: ProductBy, limit: Int }
    "#;

    fn check(query: &str, variables: serde_json::Value) -> Result<(), ValidateError> {
        let schema = Schema::parse_and_validate(SDL, "schema.graphql").expect("schema");
        let limits = LimitsConfig::default();
        let ast = crate::parse::parse(query, &limits).expect("parses");
        let variables: JsonMap = serde_json::from_value(variables).expect("object");
        validate_operation(&schema, ast, None, &variables, &limits, true).map(|_| ())
    }

    fn message(error: ValidateError) -> String {
        match error {
            ValidateError::Invalid(errors) => errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }

    #[test]
    fn one_field_literals_and_variables_are_accepted() {
        for (query, variables) in [
            (r#"{ product(by: { id: "1" }) }"#, serde_json::json!({})),
            (
                r#"{ product(by: { nested: { b: 2 } }) }"#,
                serde_json::json!({}),
            ),
            (
                r#"{ products(by: [{ id: "1" }, { upc: "u" }]) }"#,
                serde_json::json!({}),
            ),
            (
                r#"{ filter(f: { by: { upc: "u" }, limit: 2 }) }"#,
                serde_json::json!({}),
            ),
            (
                "query($id: ID!) { product(by: { id: $id }) }",
                serde_json::json!({"id": "1"}),
            ),
            (
                "query($by: ProductBy!) { product(by: $by) }",
                serde_json::json!({"by": {"upc": "u"}}),
            ),
            (
                "query($by: [ProductBy!]) { products(by: $by) }",
                serde_json::json!({"by": [{"id": "1"}, {"nested": {"a": 1}}]}),
            ),
        ] {
            check(query, variables).unwrap_or_else(|e| panic!("{query}: {}", message(e)));
        }
    }

    #[test]
    fn literals_with_other_than_one_non_null_field_are_invalid() {
        for (query, expected) in [
            (
                r#"{ product(by: { id: "1", upc: "u" }) }"#,
                "OneOf Input Object \"ProductBy\" must specify exactly one key.",
            ),
            (
                r#"{ product(by: {}) }"#,
                "OneOf Input Object \"ProductBy\" must specify exactly one key.",
            ),
            (
                r#"{ product(by: { id: null }) }"#,
                "Field \"ProductBy.id\" must be non-null.",
            ),
            (
                r#"{ product(by: { nested: { a: 1, b: 2 } }) }"#,
                "OneOf Input Object \"Nested\" must specify exactly one key.",
            ),
            (
                r#"{ products(by: [{ id: "1" }, { id: "2", upc: "u" }]) }"#,
                "OneOf Input Object \"ProductBy\" must specify exactly one key.",
            ),
            (
                r#"{ filter(f: { by: { id: "1", upc: "u" } }) }"#,
                "OneOf Input Object \"ProductBy\" must specify exactly one key.",
            ),
            (
                "query($id: ID) { product(by: { id: $id }) }",
                "Variable \"$id\" must be non-nullable to be used for OneOf Input Object \"ProductBy\".",
            ),
            (
                r#"query($f: Filter = { by: { id: "1", upc: "u" } }) { filter(f: $f) }"#,
                "OneOf Input Object \"ProductBy\" must specify exactly one key.",
            ),
            (
                r#"query { ...F } fragment F on Query { product(by: { id: "1", upc: "u" }) }"#,
                "OneOf Input Object \"ProductBy\" must specify exactly one key.",
            ),
        ] {
            let error = check(query, serde_json::json!({})).expect_err(query);
            assert!(
                matches!(error, ValidateError::Invalid(_)),
                "{query}: {error:?}"
            );
            assert_eq!(message(error), expected, "{query}");
        }
    }

    #[test]
    fn variable_values_with_other_than_one_non_null_key_are_bad_input() {
        for (query, variables) in [
            (
                "query($by: ProductBy!) { product(by: $by) }",
                serde_json::json!({"by": {"id": "1", "upc": "u"}}),
            ),
            (
                "query($by: ProductBy!) { product(by: $by) }",
                serde_json::json!({"by": {}}),
            ),
            (
                "query($by: ProductBy!) { product(by: $by) }",
                serde_json::json!({"by": {"id": null}}),
            ),
            (
                "query($by: [ProductBy!]) { products(by: $by) }",
                serde_json::json!({"by": [{"id": "1"}, {"id": "2", "upc": "u"}]}),
            ),
            (
                "query($f: Filter) { filter(f: $f) }",
                serde_json::json!({"f": {"by": {"nested": {"a": 1, "b": 2}}}}),
            ),
        ] {
            let error = check(query, variables.clone()).expect_err(query);
            assert!(
                matches!(&error, ValidateError::Variables(m) if m.contains("exactly one key")),
                "{query} {variables}: {error:?}"
            );
        }
    }
}
