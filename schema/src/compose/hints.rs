//! Federation composition's hints about the shape of shared types and about
//! `@override`, reported as warnings: the supergraph is valid, but something
//! probably deserves a look (composition docs, "Composition hints").
//!
//! - `INCONSISTENT_OBJECT_VALUE_TYPE_FIELD` / `INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD`:
//!   a field of a value type (an object without `@key` anywhere) or of an
//!   interface without `@key` that some subgraphs defining the type lack;
//! - `INCONSISTENT_UNION_MEMBER`: a union member some defining subgraphs lack;
//! - `INCONSISTENT_INPUT_OBJECT_FIELD`: an optional input field some defining
//!   subgraphs lack (the supergraph leaves it out: input types compose by
//!   intersection);
//! - `OVERRIDE_DIRECTIVE_CAN_BE_REMOVED`: the `from:` subgraph no longer has
//!   the field, or only `@external`;
//! - `OVERRIDDEN_FIELD_CAN_BE_REMOVED`: the overridden copy is dead (or only
//!   used by `@key` / `@requires` / `@provides` / an interface);
//! - `OVERRIDE_MIGRATION_IN_PROGRESS`: a progressive `@override(label:)`.
//!
//! `INCONSISTENT_RUNTIME_TYPES_FOR_SHAREABLE_RETURN` needs the plans' view
//! and comes from the satisfiability walk.

use std::collections::{BTreeMap, BTreeSet};

use apollo_compiler::ast::{Definition, Document};

use super::diagnostics::{CompositionDiagnostic, CompositionRule};
use super::prepare::{FederationNames, Prepared, keys};

/// What one subgraph says about one named type.
#[derive(Default)]
struct Shape {
    kind: Option<&'static str>,
    fields: BTreeSet<String>,
    /// Input fields that are non-null without a default.
    required: BTreeSet<String>,
    external: BTreeSet<String>,
    members: BTreeSet<String>,
    has_key: bool,
    interface_object: bool,
}

/// The hints of the module docs, for the prepared subgraphs.
pub(crate) fn shape_and_override_hints(prepared: &[Prepared]) -> Vec<CompositionDiagnostic> {
    // type → subgraph → shape (subgraphs in composition order).
    let mut shapes: BTreeMap<String, Vec<(String, Shape)>> = BTreeMap::new();
    let mut roots: BTreeSet<String> = ["Query", "Mutation", "Subscription"]
        .map(str::to_owned)
        .into();
    for p in prepared {
        let Ok(doc) = Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)) else {
            continue;
        };
        let fed = FederationNames::from_document(&doc);
        let external = fed.local("external");
        let interface_object = fed.local("interfaceObject");
        let mut mine: BTreeMap<String, Shape> = BTreeMap::new();
        for definition in &doc.definitions {
            let Some(name) = definition.name() else {
                if let Definition::SchemaDefinition(s) = definition {
                    roots.extend(s.root_operations.iter().map(|op| op.1.to_string()));
                }
                continue;
            };
            let shape = mine.entry(name.to_string()).or_default();
            match definition {
                Definition::ObjectTypeDefinition(_) | Definition::ObjectTypeExtension(_) => {
                    shape.kind = Some("object");
                }
                Definition::InterfaceTypeDefinition(_) | Definition::InterfaceTypeExtension(_) => {
                    shape.kind = Some("interface");
                }
                Definition::UnionTypeDefinition(_) | Definition::UnionTypeExtension(_) => {
                    shape.kind = Some("union");
                }
                Definition::InputObjectTypeDefinition(_)
                | Definition::InputObjectTypeExtension(_) => shape.kind = Some("input"),
                _ => {}
            }
            let members = match definition {
                Definition::UnionTypeDefinition(d) => Some(&d.members),
                Definition::UnionTypeExtension(d) => Some(&d.members),
                _ => None,
            };
            if let Some(members) = members {
                shape.members.extend(members.iter().map(|m| m.to_string()));
                continue;
            }
            let input_fields = match definition {
                Definition::InputObjectTypeDefinition(d) => Some(&d.fields),
                Definition::InputObjectTypeExtension(d) => Some(&d.fields),
                _ => None,
            };
            if let Some(input_fields) = input_fields {
                for f in input_fields {
                    shape.fields.insert(f.name.to_string());
                    if f.ty.is_non_null() && f.default_value.is_none() {
                        shape.required.insert(f.name.to_string());
                    }
                }
                continue;
            }
            let (directives, fields) = match definition {
                Definition::ObjectTypeDefinition(d) => (&d.directives, &d.fields[..]),
                Definition::ObjectTypeExtension(d) => (&d.directives, &d.fields[..]),
                Definition::InterfaceTypeDefinition(d) => (&d.directives, &d.fields[..]),
                Definition::InterfaceTypeExtension(d) => (&d.directives, &d.fields[..]),
                _ => continue,
            };
            shape.has_key |= !keys(directives, &fed).is_empty();
            shape.interface_object |= directives.get(&interface_object).is_some();
            let type_external = directives.get(&external).is_some();
            for field in fields {
                shape.fields.insert(field.name.to_string());
                if type_external || field.directives.get(&external).is_some() {
                    shape.external.insert(field.name.to_string());
                }
            }
        }
        for (name, shape) in mine {
            if shape.kind.is_some() {
                shapes
                    .entry(name)
                    .or_default()
                    .push((p.name.clone(), shape));
            }
        }
    }

    let mut hints = Vec::new();
    let list = |subgraphs: &[&str]| {
        subgraphs
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Interfaces some subgraph provides through an @interfaceObject.
    let interface_objects: BTreeMap<&str, BTreeSet<&str>> = shapes
        .iter()
        .filter_map(|(name, by)| {
            let fields: BTreeSet<&str> = by
                .iter()
                .filter(|(_, s)| s.interface_object)
                .flat_map(|(_, s)| s.fields.iter().map(String::as_str))
                .collect();
            (!fields.is_empty()).then_some((name.as_str(), fields))
        })
        .collect();
    for (name, by) in &shapes {
        let kind = by.iter().find_map(|(_, s)| s.kind).unwrap_or("object");
        if by.len() < 2 || by.iter().any(|(_, s)| s.kind != Some(kind)) {
            // One definition, or a kind mismatch (an error reported elsewhere).
            continue;
        }
        match kind {
            "object" | "interface" => {
                if roots.contains(name) || by.iter().any(|(_, s)| s.has_key || s.interface_object) {
                    continue;
                }
                let (rule, what) = if kind == "object" {
                    (
                        CompositionRule::InconsistentObjectValueTypeField,
                        "non-entity object type",
                    )
                } else {
                    (
                        CompositionRule::InconsistentInterfaceValueTypeField,
                        "interface type",
                    )
                };
                let all: BTreeSet<&String> = by.iter().flat_map(|(_, s)| &s.fields).collect();
                for field in all {
                    if kind == "interface"
                        && interface_objects
                            .get(name.as_str())
                            .is_some_and(|f| f.contains(field.as_str()))
                    {
                        continue;
                    }
                    // A definition whose fields are all @external only references the type.
                    let lacking = subgraphs_where(by, &|s| {
                        !s.fields.contains(field)
                            && !s.fields.iter().all(|f| s.external.contains(f))
                    });
                    if lacking.is_empty() {
                        continue;
                    }
                    let having = subgraphs_where(by, &|s| s.fields.contains(field));
                    let coordinate = format!("{name}.{field}");
                    hints.push(CompositionDiagnostic::warning(
                        rule,
                        by.iter().map(|(g, _)| g.clone()).collect(),
                        Some(coordinate.clone()),
                        format!(
                            "Field \"{coordinate}\" of {what} \"{name}\" is defined in some but not \
                             all subgraphs that define \"{name}\": in {} but not in {}",
                            list(&having),
                            list(&lacking)
                        ),
                    ));
                }
            }
            "union" => {
                let all: BTreeSet<&String> = by.iter().flat_map(|(_, s)| &s.members).collect();
                for member in all {
                    let lacking = subgraphs_where(by, &|s| !s.members.contains(member));
                    if lacking.is_empty() {
                        continue;
                    }
                    let having = subgraphs_where(by, &|s| s.members.contains(member));
                    hints.push(CompositionDiagnostic::warning(
                        CompositionRule::InconsistentUnionMember,
                        by.iter().map(|(g, _)| g.clone()).collect(),
                        Some(name.clone()),
                        format!(
                            "Union \"{name}\" includes member \"{member}\" in some but not all \
                             defining subgraphs: in {} but not in {}",
                            list(&having),
                            list(&lacking)
                        ),
                    ));
                }
            }
            "input" => {
                let all: BTreeSet<&String> = by.iter().flat_map(|(_, s)| &s.fields).collect();
                for field in all {
                    let lacking = subgraphs_where(by, &|s| !s.fields.contains(field));
                    // A required field some subgraph lacks is an error instead.
                    if lacking.is_empty() || by.iter().any(|(_, s)| s.required.contains(field)) {
                        continue;
                    }
                    let having = subgraphs_where(by, &|s| s.fields.contains(field));
                    hints.push(CompositionDiagnostic::warning(
                        CompositionRule::InconsistentInputObjectField,
                        by.iter().map(|(g, _)| g.clone()).collect(),
                        Some(format!("{name}.{field}")),
                        format!(
                            "Input field \"{name}.{field}\" is left out of the supergraph: it is \
                             defined in {} but not in {} (input types compose by intersection)",
                            list(&having),
                            list(&lacking)
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    hints.extend(override_hints(prepared));
    hints
}

/// The subgraphs (of one type's definitions) whose shape satisfies `test`.
fn subgraphs_where<'a>(by: &'a [(String, Shape)], test: &dyn Fn(&Shape) -> bool) -> Vec<&'a str> {
    by.iter()
        .filter(|(_, s)| test(s))
        .map(|(g, _)| g.as_str())
        .collect()
}

/// The `@override` hints of the module docs.
fn override_hints(prepared: &[Prepared]) -> Vec<CompositionDiagnostic> {
    let mut hints = Vec::new();
    for p in prepared {
        let Ok(doc) = Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)) else {
            continue;
        };
        let fed = FederationNames::from_document(&doc);
        let override_name = fed.local("override");
        for definition in &doc.definitions {
            let (type_name, fields) = match definition {
                Definition::ObjectTypeDefinition(d) => (&d.name, &d.fields),
                Definition::ObjectTypeExtension(d) => (&d.name, &d.fields),
                _ => continue,
            };
            for field in fields {
                let Some(directive) = field.directives.get(&override_name) else {
                    continue;
                };
                let Some(from) = directive
                    .specified_argument_by_name("from")
                    .and_then(|v| v.as_str())
                else {
                    continue;
                };
                let Some(source) = prepared.iter().find(|s| s.name == from && s.name != p.name)
                else {
                    // Unknown subgraph or self: reported as a warning / an error already.
                    continue;
                };
                let key = (type_name.to_string(), field.name.to_string());
                if p.external_fields.contains(&key) {
                    // `@override` on an `@external` field: an error already.
                    continue;
                }
                let coordinate = format!("{type_name}.{}", field.name);
                let label = directive
                    .specified_argument_by_name("label")
                    .and_then(|v| v.as_str());
                let subgraphs = vec![p.name.clone(), source.name.clone()];
                let (rule, message) = if !source.field_types.contains_key(&key) {
                    (
                        CompositionRule::OverrideDirectiveCanBeRemoved,
                        format!(
                            "Field \"{coordinate}\" on subgraph \"{}\" overrides subgraph \
                             \"{from}\", which no longer has the field: the @override can be removed",
                            p.name
                        ),
                    )
                } else if source.external_fields.contains(&key) {
                    (
                        CompositionRule::OverrideDirectiveCanBeRemoved,
                        format!(
                            "Field \"{coordinate}\" on subgraph \"{}\" overrides subgraph \
                             \"{from}\", which only marks it @external (does not resolve it): \
                             the @override can be removed",
                            p.name
                        ),
                    )
                } else if label.is_some() {
                    (
                        CompositionRule::OverrideMigrationInProgress,
                        format!(
                            "Field \"{coordinate}\" is being migrated from subgraph \"{from}\" to \
                             \"{}\" with progressive @override; once done, remove the label and \
                             {}",
                            p.name,
                            if source.used_fields.contains(&key) {
                                format!(
                                    "mark the field @external in \"{from}\" (it is used there by @key, @requires, @provides or an interface) or remove it with its uses"
                                )
                            } else {
                                format!("remove the field from \"{from}\"")
                            }
                        ),
                    )
                } else if source.used_fields.contains(&key) {
                    (
                        CompositionRule::OverriddenFieldCanBeRemoved,
                        format!(
                            "Field \"{coordinate}\" on subgraph \"{from}\" is overridden by \"{}\"; \
                             it is still used there (by @key, @requires, @provides or an \
                             interface): consider marking it @external, or removing it with its uses",
                            p.name
                        ),
                    )
                } else {
                    (
                        CompositionRule::OverriddenFieldCanBeRemoved,
                        format!(
                            "Field \"{coordinate}\" on subgraph \"{from}\" is overridden by \"{}\": \
                             consider removing it",
                            p.name
                        ),
                    )
                };
                hints.push(CompositionDiagnostic::warning(
                    rule,
                    subgraphs,
                    Some(coordinate),
                    message,
                ));
            }
        }
    }
    hints
}
