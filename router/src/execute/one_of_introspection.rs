//! Introspection of OneOf Input Objects (GraphQL spec, September 2025: the
//! built-in `@oneOf` directive and `__Type.isOneOf`), which apollo-compiler's
//! introspection does not know yet.
//!
//! - [`serving_schema`] declares `directive @oneOf on INPUT_OBJECT` (a
//!   built-in, listed by `__schema { directives }` as graphql-js lists it) and
//!   adds `isOneOf: Boolean` to `__Type`, so operations selecting it validate;
//! - [`rewrite`] turns each `isOneOf` selected on `__Type` into `name` under
//!   a marked alias before apollo-compiler executes the operation, and
//!   [`restore`] turns the answers back: `true` / `false` for an input object
//!   (with / without `@oneOf`), `null` for every other type, as graphql-js
//!   answers.

use apollo_compiler::ast::{DirectiveDefinition, DirectiveLocation, FieldDefinition};
use apollo_compiler::executable::{ExecutableDocument, Selection, SelectionSet};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::{Component, ExtendedType, Type};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema, name};

/// The alias prefix that marks a rewritten `isOneOf`; the response key follows.
const MARK: &str = "tesseraIsOneOf__";

/// The schema operations are validated and introspected against: the API
/// schema with `@oneOf` declared and `__Type.isOneOf` (see the module docs).
pub fn serving_schema(api: &Valid<Schema>) -> Valid<Schema> {
    let mut schema = api.clone().into_inner();
    if !schema.directive_definitions.contains_key("oneOf") {
        schema.directive_definitions.insert(
            name!("oneOf"),
            Node::new(DirectiveDefinition {
                description: Some(
                    "Indicates exactly one field must be supplied and this field must not be `null`."
                        .into(),
                ),
                name: name!("oneOf"),
                arguments: Vec::new(),
                repeatable: false,
                locations: vec![DirectiveLocation::InputObject],
            }),
        );
    }
    if let Some(ExtendedType::Object(ty)) = schema.types.get_mut("__Type")
        && !ty.fields.contains_key("isOneOf")
    {
        ty.make_mut().fields.insert(
            name!("isOneOf"),
            Component::new(FieldDefinition {
                description: None,
                name: name!("isOneOf"),
                arguments: Vec::new(),
                ty: Type::Named(name!("Boolean")),
                directives: Default::default(),
            }),
        );
    }
    // Only additions to a valid schema, of the kinds the spec defines.
    Valid::assume_valid(schema)
}

/// The document with every `isOneOf` on `__Type` selected as a marked `name`;
/// `None` when there is none (the common case).
pub fn rewrite(
    schema: &Valid<Schema>,
    document: &Valid<ExecutableDocument>,
) -> Option<Valid<ExecutableDocument>> {
    let name_definition = match schema.types.get("__Type") {
        Some(ExtendedType::Object(ty)) => ty.fields.get("name")?.node.clone(),
        _ => return None,
    };
    fn walk(set: &mut SelectionSet, definition: &Node<FieldDefinition>, changed: &mut bool) {
        let on_type = set.ty == "__Type";
        for selection in &mut set.selections {
            match selection {
                Selection::Field(field) => {
                    if on_type && field.name == "isOneOf" {
                        let key = field.response_key().to_string();
                        let Ok(alias) = Name::new(&format!("{MARK}{key}")) else {
                            continue;
                        };
                        let field = field.make_mut();
                        field.alias = Some(alias);
                        field.name = name!("name");
                        field.definition = definition.clone();
                        *changed = true;
                    } else if !field.selection_set.selections.is_empty() {
                        walk(&mut field.make_mut().selection_set, definition, changed);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    walk(&mut fragment.make_mut().selection_set, definition, changed);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    // Most introspection (GraphiQL's included) asks no `isOneOf`: nothing to
    // copy then.
    fn mentions(set: &SelectionSet) -> bool {
        set.selections.iter().any(|selection| match selection {
            Selection::Field(field) => {
                (set.ty == "__Type" && field.name == "isOneOf") || mentions(&field.selection_set)
            }
            Selection::InlineFragment(fragment) => mentions(&fragment.selection_set),
            Selection::FragmentSpread(_) => false,
        })
    }
    let any = document
        .operations
        .iter()
        .any(|op| mentions(&op.selection_set))
        || document
            .fragments
            .values()
            .any(|f| mentions(&f.selection_set));
    if !any {
        return None;
    }
    let mut doc = document.clone().into_inner();
    let mut changed = false;
    if let Some(op) = doc.operations.anonymous.as_mut() {
        walk(
            &mut op.make_mut().selection_set,
            &name_definition,
            &mut changed,
        );
    }
    for op in doc.operations.named.values_mut() {
        walk(
            &mut op.make_mut().selection_set,
            &name_definition,
            &mut changed,
        );
    }
    for fragment in doc.fragments.values_mut() {
        walk(
            &mut fragment.make_mut().selection_set,
            &name_definition,
            &mut changed,
        );
    }
    // Same shape and validity: a leaf field of `__Type` under a fresh alias.
    changed.then(|| Valid::assume_valid(doc))
}

/// Turns the marked answers of [`rewrite`] back into `isOneOf` values, in place.
pub fn restore(schema: &Schema, value: &mut JsonMap) {
    if !value
        .iter()
        .any(|(k, v)| k.as_str().starts_with(MARK) || nested(v))
    {
        return;
    }
    let entries: Vec<(String, JsonValue)> = std::mem::take(value)
        .into_iter()
        .map(|(k, v)| (k.as_str().to_owned(), v))
        .collect();
    for (key, mut v) in entries {
        match key.strip_prefix(MARK) {
            Some(original) => {
                let answer = match v.as_str().and_then(|n| schema.types.get(n)) {
                    Some(ExtendedType::InputObject(input)) => {
                        JsonValue::Bool(input.directives.get("oneOf").is_some())
                    }
                    _ => JsonValue::Null,
                };
                value.insert(original.to_owned(), answer);
            }
            None => {
                restore_value(schema, &mut v);
                value.insert(key, v);
            }
        }
    }
}

fn restore_value(schema: &Schema, value: &mut JsonValue) {
    match value {
        JsonValue::Object(map) => restore(schema, map),
        JsonValue::Array(items) => items.iter_mut().for_each(|v| restore_value(schema, v)),
        _ => {}
    }
}

/// Whether a marked key is somewhere below `value`.
fn nested(value: &JsonValue) -> bool {
    match value {
        JsonValue::Object(map) => map
            .iter()
            .any(|(k, v)| k.as_str().starts_with(MARK) || nested(v)),
        JsonValue::Array(items) => items.iter().any(nested),
        _ => false,
    }
}
