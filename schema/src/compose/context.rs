//! `@context` / `@fromContext` (Federation v2.8, "Contextual arguments"):
//! a type sets a named context (`type User @context(name: "userContext")`), and
//! a field argument of a type below it takes its value from the nearest
//! enclosing object that set it (`field(locale: String @fromContext(field:
//! "$userContext { locale }"))`). Clients never see such an argument.
//!
//! graphql-composition does not know the directives, so they are taken out of
//! the subgraph before merging (with the contextual arguments themselves) and
//! written back by normalization as the join v0.5 supergraph does:
//! `@context(name: "<subgraph>__<name>")` on every type setting it (context
//! spec v0.1) and `@join__field(graph:, contextArguments: [{context:, name:,
//! type:, selection:}])` on the field.

use std::collections::{HashMap, HashSet};

use apollo_compiler::ast::{Definition, Document, Value};

use super::diagnostics::{CompositionDiagnostic, CompositionRule};
use super::prepare::FederationNames;

/// One argument taking its value from a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContextualArgument {
    pub type_name: String,
    pub field: String,
    pub argument: String,
    /// The argument's type as the subgraph declares it (`String`, `[ID!]`).
    pub ty: String,
    /// The context's name in the subgraph.
    pub context: String,
    /// The selection on the context's types (`{ locale }`).
    pub selection: String,
}

/// What a subgraph declares about contexts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Contexts {
    /// `(type, context name)` for every `@context`.
    pub set: Vec<(String, String)>,
    pub arguments: Vec<ContextualArgument>,
}

impl Contexts {
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty() && self.arguments.is_empty()
    }
}

/// Reads the subgraph's contexts and removes `@context`, `@fromContext` and the
/// contextual arguments from `doc` (what graphql-composition merges). Rule
/// violations go to `diagnostics`.
pub(crate) fn take(
    doc: &mut Document,
    fed: &FederationNames,
    subgraph: &str,
    diagnostics: &mut Vec<CompositionDiagnostic>,
) -> Contexts {
    let context_name = fed.local("context");
    let from_context = fed.local("fromContext");
    let mut contexts = Contexts::default();
    // Fields per type, to check the selections of contextual arguments.
    let mut fields_of: HashMap<String, HashSet<String>> = HashMap::new();
    for definition in &doc.definitions {
        let (name, fields) = match definition {
            Definition::ObjectTypeDefinition(d) => (&d.name, &d.fields),
            Definition::ObjectTypeExtension(d) => (&d.name, &d.fields),
            Definition::InterfaceTypeDefinition(d) => (&d.name, &d.fields),
            Definition::InterfaceTypeExtension(d) => (&d.name, &d.fields),
            _ => continue,
        };
        fields_of
            .entry(name.to_string())
            .or_default()
            .extend(fields.iter().map(|f| f.name.to_string()));
    }

    for definition in doc.definitions.iter_mut() {
        let (type_name, directives) = match definition {
            Definition::ObjectTypeDefinition(d) => {
                (d.name.to_string(), &mut d.make_mut().directives)
            }
            Definition::ObjectTypeExtension(d) => {
                (d.name.to_string(), &mut d.make_mut().directives)
            }
            Definition::InterfaceTypeDefinition(d) => {
                (d.name.to_string(), &mut d.make_mut().directives)
            }
            Definition::InterfaceTypeExtension(d) => {
                (d.name.to_string(), &mut d.make_mut().directives)
            }
            Definition::UnionTypeDefinition(d) => {
                (d.name.to_string(), &mut d.make_mut().directives)
            }
            Definition::UnionTypeExtension(d) => (d.name.to_string(), &mut d.make_mut().directives),
            _ => continue,
        };
        for directive in directives.get_all(&context_name) {
            let Some(name) = directive
                .specified_argument_by_name("name")
                .and_then(|v| v.as_str())
            else {
                continue;
            };
            let valid = !name.is_empty()
                && !name.contains('_')
                && name.chars().all(|c| c.is_ascii_alphanumeric())
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                diagnostics.push(CompositionDiagnostic::error(
                    CompositionRule::ContextNameInvalid,
                    vec![subgraph.to_string()],
                    Some(type_name.clone()),
                    format!(
                        "[{subgraph}] context name \"{name}\" on {type_name} is invalid: it must \
                         be a GraphQL name without underscores"
                    ),
                ));
            }
            contexts.set.push((type_name.clone(), name.to_string()));
        }
        directives.0.retain(|d| d.name != context_name.as_str());
    }

    for definition in doc.definitions.iter_mut() {
        let (type_name, fields) = match definition {
            Definition::ObjectTypeDefinition(d) => (d.name.to_string(), &mut d.make_mut().fields),
            Definition::ObjectTypeExtension(d) => (d.name.to_string(), &mut d.make_mut().fields),
            Definition::InterfaceTypeDefinition(d) => {
                (d.name.to_string(), &mut d.make_mut().fields)
            }
            Definition::InterfaceTypeExtension(d) => (d.name.to_string(), &mut d.make_mut().fields),
            _ => continue,
        };
        for field in fields.iter_mut() {
            if !field
                .arguments
                .iter()
                .any(|a| a.directives.get(&from_context).is_some())
            {
                continue;
            }
            let field_name = field.name.to_string();
            let f = field.make_mut();
            let mut kept = Vec::with_capacity(f.arguments.len());
            for argument in f.arguments.drain(..) {
                let Some(directive) = argument.directives.get(&from_context) else {
                    kept.push(argument);
                    continue;
                };
                let coordinate = format!("{type_name}.{field_name}({}:)", argument.name);
                let value = match directive.specified_argument_by_name("field").map(|v| &**v) {
                    Some(Value::String(value)) => value.trim().to_string(),
                    _ => String::new(),
                };
                let Some((context, selection)) = value
                    .strip_prefix('$')
                    .map(|rest| {
                        let end = rest
                            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .unwrap_or(rest.len());
                        (rest[..end].to_string(), rest[end..].trim().to_string())
                    })
                    .filter(|(context, _)| !context.is_empty())
                else {
                    diagnostics.push(CompositionDiagnostic::error(
                        CompositionRule::NoContextInSelection,
                        vec![subgraph.to_string()],
                        Some(coordinate.clone()),
                        format!(
                            "[{subgraph}] @fromContext(field: \"{value}\") on {coordinate} names no \
                             context: the value starts with `$<context name>`"
                        ),
                    ));
                    continue;
                };
                let setters: Vec<&String> = contexts
                    .set
                    .iter()
                    .filter(|(_, name)| *name == context)
                    .map(|(ty, _)| ty)
                    .collect();
                if setters.is_empty() {
                    diagnostics.push(CompositionDiagnostic::error(
                        CompositionRule::ContextNotSet,
                        vec![subgraph.to_string()],
                        Some(coordinate.clone()),
                        format!(
                            "[{subgraph}] context \"{context}\" used by {coordinate} is never set \
                             (no type of this subgraph has @context(name: \"{context}\"))"
                        ),
                    ));
                } else if argument.default_value.is_some() {
                    diagnostics.push(CompositionDiagnostic::error(
                        CompositionRule::ContextInvalidSelection,
                        vec![subgraph.to_string()],
                        Some(coordinate.clone()),
                        format!(
                            "[{subgraph}] the contextual argument {coordinate} has a default \
                             value: its value comes from the context"
                        ),
                    ));
                } else if let Some(missing) = missing_field(&selection, &setters, &fields_of) {
                    diagnostics.push(CompositionDiagnostic::error(
                        CompositionRule::ContextInvalidSelection,
                        vec![subgraph.to_string()],
                        Some(coordinate.clone()),
                        format!(
                            "[{subgraph}] the selection \"{selection}\" of {coordinate} is invalid \
                             for context \"{context}\": {missing}"
                        ),
                    ));
                }
                contexts.arguments.push(ContextualArgument {
                    type_name: type_name.clone(),
                    field: field_name.clone(),
                    argument: argument.name.to_string(),
                    ty: argument.ty.to_string(),
                    context,
                    selection,
                });
            }
            f.arguments = kept;
        }
    }
    contexts
}

/// The first top-level field of `selection` missing on a type setting the
/// context (selections with type conditions are checked no further).
fn missing_field(
    selection: &str,
    setters: &[&String],
    fields_of: &HashMap<String, HashSet<String>>,
) -> Option<String> {
    let inner = selection
        .trim()
        .strip_prefix('{')?
        .strip_suffix('}')?
        .trim();
    if inner.is_empty() {
        return Some("it selects nothing".to_string());
    }
    if inner.contains("...") {
        return None;
    }
    for field in super::prepare::top_level_fields(inner) {
        for setter in setters {
            if !fields_of
                .get(setter.as_str())
                .is_some_and(|fields| fields.contains(&field))
            {
                return Some(format!("{setter} has no field \"{field}\""));
            }
        }
    }
    None
}
