//! Cross-subgraph fix-ups before graphql-composition sees the subgraphs.
//!
//! A composed directive (`@composeDirective`) whose argument has a default
//! in some subgraphs and none in others: Federation composition keeps the
//! default in the supergraph (a client may then omit the argument);
//! graphql-composition refuses the definitions as incompatible. The
//! definitions without the default get it. Different defaults stay an error.
//!
//! A field one subgraph types with a union member or an implementation of an
//! interface that another subgraph uses as the field's type (`book: Book`
//! next to `book: Media`): Federation composition accepts it, types the
//! supergraph field with the wider type and records each subgraph's own type
//! in `@join__field(type:)`; graphql-composition refuses it
//! (`FIELD_TYPE_MISMATCH`). The narrower subgraph's field is given the wider
//! type (when that subgraph defines it) so the composer agrees; normalization
//! writes every subgraph's declared type back into `@join__field(type:)`.
//!
//! A type that is an entity in some subgraphs and a value type (no `@key`) in
//! another Federation 2 subgraph: Federation composition accepts it — the
//! type composes, and the value-type subgraph gets `@join__type(graph:)`
//! without a key (composition docs, "Entities" / "Value types");
//! graphql-composition refuses it (`ENTITY_KEY_MISMATCH`) unless that
//! subgraph is Federation 1. The value type gets a placeholder
//! `@key(fields:, resolvable: false)` — the entity's key when it has its
//! fields, else one of its own fields — so the composer agrees, and
//! normalization removes the placeholder from the supergraph again.
//!
//! An enum value that one subgraph marks `@inaccessible` and another does not
//! define: Federation composition accepts it (an inaccessible value is exempt
//! from the rule that an enum used for input and output has the same values
//! everywhere; see the composition docs, "Enums"), graphql-composition
//! refuses it (`ENUM_VALUE_MISMATCH`). Each subgraph lacking the value gets
//! it, `@inaccessible`, so the composer agrees; normalization then removes
//! the `@join__enumValue` of those subgraphs again, so the supergraph says
//! exactly which subgraphs know the value.

use std::collections::{BTreeMap, BTreeSet};

use apollo_compiler::ast::{
    Definition, Directive, Document, EnumValueDefinition, FieldDefinition, InputValueDefinition,
};
use apollo_compiler::{Name, Node};

use super::diagnostics::{CompositionDiagnostic, CompositionRule};
use super::prepare::{FederationNames, Prepared, keys, top_level_fields};

/// Adds every `@inaccessible` enum value to the subgraphs whose definition
/// of that enum lacks it (recorded in `Prepared::added_enum_values`).
pub(crate) fn inaccessible_enum_values(prepared: &mut [Prepared]) {
    // (enum, value) marked @inaccessible in some subgraph.
    let mut hidden: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut docs: Vec<Option<(Document, FederationNames)>> = Vec::new();
    for p in prepared.iter() {
        let Ok(doc) = Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)) else {
            docs.push(None);
            continue;
        };
        let fed = FederationNames::from_document(&doc);
        let inaccessible = fed.local("inaccessible");
        for definition in &doc.definitions {
            let values = match definition {
                Definition::EnumTypeDefinition(e) => Some((&e.name, &e.values)),
                Definition::EnumTypeExtension(e) => Some((&e.name, &e.values)),
                _ => None,
            };
            if let Some((name, values)) = values {
                for value in values {
                    if value.directives.get(&inaccessible).is_some() {
                        hidden
                            .entry(name.to_string())
                            .or_default()
                            .insert(value.value.to_string());
                    }
                }
            }
        }
        docs.push(Some((doc, fed)));
    }
    if hidden.is_empty() {
        return;
    }
    for (p, parsed) in prepared.iter_mut().zip(docs) {
        let Some((mut doc, fed)) = parsed else {
            continue;
        };
        if !fed.is_federation_2() {
            continue;
        }
        let Ok(inaccessible) = Name::new(&fed.local("inaccessible")) else {
            continue;
        };
        // Values this subgraph declares, in the enum's definition or in an
        // `extend enum`.
        let declared: BTreeSet<(String, String)> = doc
            .definitions
            .iter()
            .flat_map(|d| {
                let (name, values) = match d {
                    Definition::EnumTypeDefinition(e) => (&e.name, &e.values),
                    Definition::EnumTypeExtension(e) => (&e.name, &e.values),
                    _ => return Vec::new(),
                };
                values
                    .iter()
                    .map(|v| (name.to_string(), v.value.to_string()))
                    .collect()
            })
            .collect();
        let mut added = Vec::new();
        for definition in &mut doc.definitions {
            let Definition::EnumTypeDefinition(e) = definition else {
                continue;
            };
            let Some(values) = hidden.get(e.name.as_str()) else {
                continue;
            };
            let missing: Vec<&String> = values
                .iter()
                .filter(|v| !declared.contains(&(e.name.to_string(), (*v).clone())))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let e = e.make_mut();
            for value in missing {
                let Ok(value_name) = Name::new(value) else {
                    continue;
                };
                e.values.push(Node::new(EnumValueDefinition {
                    description: None,
                    value: value_name,
                    directives: apollo_compiler::ast::DirectiveList(vec![Node::new(Directive {
                        name: inaccessible.clone(),
                        arguments: Vec::new(),
                    })]),
                }));
                added.push((e.name.to_string(), value.clone()));
            }
        }
        if !added.is_empty() {
            p.sdl = doc.to_string();
            p.added_enum_values = added;
        }
    }
}

/// Gives each Federation 2 value type that another subgraph defines as an
/// entity a placeholder non-resolvable key (recorded in
/// `Prepared::placeholder_keys`); see the module docs. The composer treats
/// key fields as shareable, so a placeholder field that other subgraphs also
/// define must be `@shareable` here, as Federation requires of a value
/// type's shared fields: otherwise it is reported (`INVALID_FIELD_SHARING`).
pub(crate) fn value_types_of_entities(prepared: &mut [Prepared]) -> Vec<CompositionDiagnostic> {
    let mut diagnostics = Vec::new();
    let mut docs: Vec<Option<(Document, FederationNames)>> = prepared
        .iter()
        .map(|p| {
            let doc = Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)).ok()?;
            let fed = FederationNames::from_document(&doc);
            Some((doc, fed))
        })
        .collect();
    // Entity types and their keys' top-level field lists, from every subgraph.
    let mut entity_keys: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for (doc, fed) in docs.iter().flatten() {
        for definition in &doc.definitions {
            let (name, directives) = match definition {
                Definition::ObjectTypeDefinition(o) => (&o.name, &o.directives),
                Definition::ObjectTypeExtension(o) => (&o.name, &o.directives),
                _ => continue,
            };
            for (fields, _) in keys(directives, fed) {
                if !fields.contains('{') {
                    entity_keys
                        .entry(name.to_string())
                        .or_default()
                        .push(top_level_fields(&fields));
                }
            }
            if !keys(directives, fed).is_empty() {
                entity_keys.entry(name.to_string()).or_default();
            }
        }
    }
    if entity_keys.is_empty() {
        return diagnostics;
    }
    // Which subgraphs define each (type, field).
    let mut defined_in: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (p, parsed) in prepared.iter().zip(docs.iter()) {
        let Some((doc, _)) = parsed else { continue };
        for definition in &doc.definitions {
            let (ty, fields) = match definition {
                Definition::ObjectTypeDefinition(o) => (&o.name, &o.fields),
                Definition::ObjectTypeExtension(o) => (&o.name, &o.fields),
                _ => continue,
            };
            for field in fields {
                defined_in
                    .entry((ty.to_string(), field.name.to_string()))
                    .or_default()
                    .insert(p.name.clone());
            }
        }
    }
    for (p, parsed) in prepared.iter_mut().zip(docs.iter_mut()) {
        let Some((doc, fed)) = parsed else {
            continue;
        };
        if !fed.is_federation_2() {
            continue;
        }
        // Types this subgraph gives a key somewhere (definition or extension).
        let keyed: BTreeSet<String> = doc
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::ObjectTypeDefinition(o) if !keys(&o.directives, fed).is_empty() => {
                    Some(o.name.to_string())
                }
                Definition::ObjectTypeExtension(o) if !keys(&o.directives, fed).is_empty() => {
                    Some(o.name.to_string())
                }
                _ => None,
            })
            .collect();
        let leaf_types: BTreeSet<String> = doc
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::ScalarTypeDefinition(t) => Some(t.name.to_string()),
                Definition::EnumTypeDefinition(t) => Some(t.name.to_string()),
                _ => None,
            })
            .chain(["ID", "String", "Int", "Float", "Boolean"].map(str::to_owned))
            .collect();
        let object_leaves: BTreeMap<String, String> = doc
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::ObjectTypeDefinition(o) => o
                    .fields
                    .iter()
                    .find(|f| leaf_types.contains(f.ty.inner_named_type().as_str()))
                    .map(|f| (o.name.to_string(), f.name.to_string())),
                _ => None,
            })
            .collect();
        let Ok(key_name) = Name::new(&fed.local("key")) else {
            continue;
        };
        let mut added = Vec::new();
        for definition in &mut doc.definitions {
            let Definition::ObjectTypeDefinition(o) = definition else {
                continue;
            };
            let Some(entity) = entity_keys.get(o.name.as_str()) else {
                continue;
            };
            if keyed.contains(o.name.as_str()) {
                continue;
            }
            let has = |field: &str| o.fields.iter().any(|f| f.name == field);
            // The entity's own key when this subgraph has its fields, else a
            // leaf field of the type (or of an object field, one level down).
            let fields = entity
                .iter()
                .find(|fields| !fields.is_empty() && fields.iter().all(|f| has(f)))
                .map(|fields| fields.join(" "))
                .or_else(|| {
                    o.fields
                        .iter()
                        .find(|f| leaf_types.contains(f.ty.inner_named_type().as_str()))
                        .map(|f| f.name.to_string())
                })
                .or_else(|| {
                    o.fields.iter().find_map(|f| {
                        object_leaves
                            .get(f.ty.inner_named_type().as_str())
                            .map(|leaf| format!("{} {{ {leaf} }}", f.name))
                    })
                });
            let Some(fields) = fields else {
                continue;
            };
            let shareable = fed.local("shareable");
            let external = fed.local("external");
            let type_shareable = o.directives.get(&shareable).is_some();
            for field in top_level_fields(&fields) {
                let shared = defined_in
                    .get(&(o.name.to_string(), field.clone()))
                    .is_some_and(|subgraphs| subgraphs.iter().any(|s| *s != p.name));
                // `@external`: this subgraph does not resolve it.
                let marked = type_shareable
                    || o.fields
                        .iter()
                        .find(|f| f.name == field.as_str())
                        .is_some_and(|f| {
                            f.directives.get(&shareable).is_some()
                                || f.directives.get(&external).is_some()
                        });
                if shared && !marked {
                    diagnostics.push(CompositionDiagnostic::error(
                        CompositionRule::InvalidFieldSharing,
                        vec![p.name.clone()],
                        Some(format!("{}.{field}", o.name)),
                        format!(
                            "[{}] `{}.{field}` is resolved by several subgraphs but not marked @shareable here, where `{}` is a value type",
                            p.name, o.name, o.name
                        ),
                    ));
                }
            }
            // Its `@external` fields stay external in the supergraph, which
            // graphql-composition would not write for a key field.
            for field in top_level_fields(&fields) {
                if o.fields
                    .iter()
                    .any(|f| f.name == field.as_str() && f.directives.get(&external).is_some())
                {
                    p.external_key_fields.insert((o.name.to_string(), field));
                }
            }
            let o = o.make_mut();
            o.directives.0.push(Node::new(Directive {
                name: key_name.clone(),
                arguments: vec![
                    Node::new(apollo_compiler::ast::Argument {
                        name: apollo_compiler::name!("fields"),
                        value: Node::new(apollo_compiler::ast::Value::String(fields.clone())),
                    }),
                    Node::new(apollo_compiler::ast::Argument {
                        name: apollo_compiler::name!("resolvable"),
                        value: Node::new(apollo_compiler::ast::Value::Boolean(false)),
                    }),
                ],
            }));
            added.push((o.name.to_string(), fields));
        }
        if !added.is_empty() {
            p.sdl = doc.to_string();
            p.placeholder_keys = added;
        }
    }
    diagnostics
}

/// Adds the union members and interface implementations `doc` declares to
/// `possible` (abstract type → its possible object types).
fn add_possible_types(doc: &Document, possible: &mut BTreeMap<String, BTreeSet<String>>) {
    for definition in &doc.definitions {
        let (union, members) = match definition {
            Definition::UnionTypeDefinition(u) => (&u.name, &u.members),
            Definition::UnionTypeExtension(u) => (&u.name, &u.members),
            Definition::ObjectTypeDefinition(o) => {
                for interface in &o.implements_interfaces {
                    possible
                        .entry(interface.to_string())
                        .or_default()
                        .insert(o.name.to_string());
                }
                continue;
            }
            _ => continue,
        };
        possible
            .entry(union.to_string())
            .or_default()
            .extend(members.iter().map(|m| m.to_string()));
    }
}

/// Widens fields typed with a subtype of the type another subgraph gives the
/// same field; see the module docs.
pub(crate) fn widen_subtyped_fields(prepared: &mut [Prepared]) {
    let mut docs: Vec<Option<Document>> = prepared
        .iter()
        .map(|p| Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)).ok())
        .collect();
    // Abstract type → its possible object types, across every subgraph.
    let mut possible: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // (type, field) → the named types subgraphs give it.
    let mut field_types: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for doc in docs.iter().flatten() {
        add_possible_types(doc, &mut possible);
        for definition in &doc.definitions {
            match definition {
                Definition::ObjectTypeDefinition(o) => {
                    for f in &o.fields {
                        field_types
                            .entry((o.name.to_string(), f.name.to_string()))
                            .or_default()
                            .insert(f.ty.inner_named_type().to_string());
                    }
                }
                Definition::ObjectTypeExtension(o) => {
                    for f in &o.fields {
                        field_types
                            .entry((o.name.to_string(), f.name.to_string()))
                            .or_default()
                            .insert(f.ty.inner_named_type().to_string());
                    }
                }
                _ => {}
            }
        }
    }
    // (type, field) → (narrower, wider) pairs.
    let mut widen: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for (key, types) in &field_types {
        if types.len() < 2 {
            continue;
        }
        for narrow in types {
            let wider = types.iter().find(|wide| {
                *wide != narrow && possible.get(*wide).is_some_and(|p| p.contains(narrow))
            });
            if let Some(wide) = wider {
                widen
                    .entry(key.clone())
                    .or_default()
                    .push((narrow.clone(), wide.clone()));
            }
        }
    }
    if widen.is_empty() {
        return;
    }
    for (p, parsed) in prepared.iter_mut().zip(docs.iter_mut()) {
        let Some(doc) = parsed else { continue };
        let defined: BTreeSet<String> = doc
            .definitions
            .iter()
            .filter_map(|d| d.name().map(|n| n.to_string()))
            .collect();
        let mut changed = false;
        for definition in &mut doc.definitions {
            let (name, fields) = match definition {
                Definition::ObjectTypeDefinition(o) => {
                    let name = o.name.to_string();
                    (name, &mut o.make_mut().fields)
                }
                Definition::ObjectTypeExtension(o) => {
                    let name = o.name.to_string();
                    (name, &mut o.make_mut().fields)
                }
                _ => continue,
            };
            for field in fields.iter_mut() {
                let Some(pairs) = widen.get(&(name.clone(), field.name.to_string())) else {
                    continue;
                };
                let inner = field.ty.inner_named_type().to_string();
                let Some((_, wide)) = pairs
                    .iter()
                    .find(|(narrow, wide)| *narrow == inner && defined.contains(wide.as_str()))
                else {
                    continue;
                };
                let Ok(wide) = Name::new(wide) else { continue };
                let f = field.make_mut();
                f.ty = rename_inner(&f.ty, wide);
                changed = true;
            }
        }
        if changed {
            p.sdl = doc.to_string();
        }
    }
}

/// `ty` with its named type replaced, wrappers kept (`[Book!]` → `[Media!]`).
fn rename_inner(ty: &apollo_compiler::ast::Type, to: Name) -> apollo_compiler::ast::Type {
    use apollo_compiler::ast::Type;
    match ty {
        Type::Named(_) => Type::Named(to),
        Type::NonNullNamed(_) => Type::NonNullNamed(to),
        Type::List(inner) => Type::List(Box::new(rename_inner(inner, to))),
        Type::NonNullList(inner) => Type::NonNullList(Box::new(rename_inner(inner, to))),
    }
}

/// Gives directive arguments the default other subgraphs give them, where
/// the definitions differ only by a missing default; see the module docs.
pub(crate) fn directive_argument_defaults(prepared: &mut [Prepared]) {
    let mut docs: Vec<Option<Document>> = prepared
        .iter()
        .map(|p| Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)).ok())
        .collect();
    // (directive, argument) → the defaults given, printed.
    let mut defaults: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut values: BTreeMap<(String, String), Node<apollo_compiler::ast::Value>> = BTreeMap::new();
    for doc in docs.iter().flatten() {
        for definition in &doc.definitions {
            let Definition::DirectiveDefinition(d) = definition else {
                continue;
            };
            for argument in &d.arguments {
                if let Some(value) = &argument.default_value {
                    let key = (d.name.to_string(), argument.name.to_string());
                    defaults
                        .entry(key.clone())
                        .or_default()
                        .insert(value.to_string());
                    values.entry(key).or_insert_with(|| value.clone());
                }
            }
        }
    }
    for (p, parsed) in prepared.iter_mut().zip(docs.iter_mut()) {
        let Some(doc) = parsed else { continue };
        let mut changed = false;
        for definition in &mut doc.definitions {
            let Definition::DirectiveDefinition(d) = definition else {
                continue;
            };
            let name = d.name.to_string();
            let d = d.make_mut();
            for argument in &mut d.arguments {
                if argument.default_value.is_some() {
                    continue;
                }
                let key = (name.clone(), argument.name.to_string());
                // Exactly one default elsewhere: adopt it.
                if defaults.get(&key).is_some_and(|given| given.len() == 1)
                    && let Some(value) = values.get(&key)
                {
                    argument.make_mut().default_value = Some(value.clone());
                    changed = true;
                }
            }
        }
        if changed {
            p.sdl = doc.to_string();
        }
    }
}

/// An argument or input field with a default value in some subgraphs and none
/// in others: Federation composition gives it no default in the supergraph
/// and hints `INCONSISTENT_DEFAULT_VALUE_PRESENCE` (composition-js,
/// `mergeDefaultValue`: only a default every subgraph agrees on is kept; a
/// client that omits the argument then gets each subgraph's own behaviour).
/// graphql-composition keeps the one default, so it is removed here before
/// composing. Different defaults stay an error (`FIELD_ARGUMENT_DEFAULT_MISMATCH`).
pub(crate) fn partial_defaults(prepared: &mut [Prepared]) -> Vec<CompositionDiagnostic> {
    let mut docs: Vec<Option<Document>> = prepared
        .iter()
        .map(|p| Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)).ok())
        .collect();
    // `Type.field(arg:)` / `Input.field` → subgraph → whether it has a default.
    let mut defaults: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    for (p, doc) in prepared.iter().zip(&docs) {
        let Some(doc) = doc else { continue };
        for definition in &doc.definitions {
            for (coordinate, value) in defaults_of(definition) {
                defaults
                    .entry(coordinate)
                    .or_default()
                    .insert(p.name.clone(), value.is_some());
            }
        }
    }
    defaults.retain(|_, by_subgraph| {
        by_subgraph.values().any(|has| *has) && by_subgraph.values().any(|has| !*has)
    });
    if defaults.is_empty() {
        return Vec::new();
    }
    for (p, parsed) in prepared.iter_mut().zip(docs.iter_mut()) {
        let Some(doc) = parsed else { continue };
        let mut changed = false;
        for definition in &mut doc.definitions {
            let type_name = definition.name().map(|n| n.to_string()).unwrap_or_default();
            let mut clear =
                |coordinate: String, value: &mut Option<Node<apollo_compiler::ast::Value>>| {
                    if value.is_some() && defaults.contains_key(&coordinate) {
                        *value = None;
                        changed = true;
                    }
                };
            if let Some(fields) = fields_mut(definition) {
                for field in fields {
                    let field = field.make_mut();
                    for argument in &mut field.arguments {
                        let coordinate = format!("{type_name}.{}({}:)", field.name, argument.name);
                        clear(coordinate, &mut argument.make_mut().default_value);
                    }
                }
            } else if let Some(fields) = input_fields_mut(definition) {
                for field in fields {
                    let field = field.make_mut();
                    clear(
                        format!("{type_name}.{}", field.name),
                        &mut field.default_value,
                    );
                }
            }
        }
        if changed {
            p.sdl = doc.to_string();
        }
    }
    defaults
        .into_iter()
        .map(|(coordinate, by_subgraph)| {
            let list = |has: bool| {
                by_subgraph
                    .iter()
                    .filter(|(_, h)| **h == has)
                    .map(|(s, _)| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            CompositionDiagnostic::warning(
                CompositionRule::InconsistentDefaultValuePresence,
                by_subgraph.keys().cloned().collect(),
                Some(coordinate.clone()),
                format!(
                    "{coordinate} has a default value in subgraphs {} only, none in {}: the \
                     supergraph gives it no default",
                    list(true),
                    list(false)
                ),
            )
        })
        .collect()
}

/// The fields an object or interface definition (or extension) declares.
fn fields_mut(definition: &mut Definition) -> Option<&mut Vec<Node<FieldDefinition>>> {
    match definition {
        Definition::ObjectTypeDefinition(d) => Some(&mut d.make_mut().fields),
        Definition::ObjectTypeExtension(d) => Some(&mut d.make_mut().fields),
        Definition::InterfaceTypeDefinition(d) => Some(&mut d.make_mut().fields),
        Definition::InterfaceTypeExtension(d) => Some(&mut d.make_mut().fields),
        _ => None,
    }
}

/// The fields an input object definition (or extension) declares.
fn input_fields_mut(definition: &mut Definition) -> Option<&mut Vec<Node<InputValueDefinition>>> {
    match definition {
        Definition::InputObjectTypeDefinition(d) => Some(&mut d.make_mut().fields),
        Definition::InputObjectTypeExtension(d) => Some(&mut d.make_mut().fields),
        _ => None,
    }
}

/// `(coordinate, default)` of every argument of the fields a definition
/// declares (`Type.field(arg:)`) and of every input field (`Input.field`).
fn defaults_of(
    definition: &Definition,
) -> Vec<(String, Option<Node<apollo_compiler::ast::Value>>)> {
    let type_name = definition.name().map(|n| n.as_str()).unwrap_or_default();
    let inputs = match definition {
        Definition::InputObjectTypeDefinition(d) => Some(&d.fields),
        Definition::InputObjectTypeExtension(d) => Some(&d.fields),
        _ => None,
    };
    if let Some(inputs) = inputs {
        return inputs
            .iter()
            .map(|f| (format!("{type_name}.{}", f.name), f.default_value.clone()))
            .collect();
    }
    let fields = match definition {
        Definition::ObjectTypeDefinition(d) => &d.fields,
        Definition::ObjectTypeExtension(d) => &d.fields,
        Definition::InterfaceTypeDefinition(d) => &d.fields,
        Definition::InterfaceTypeExtension(d) => &d.fields,
        _ => return Vec::new(),
    };
    fields
        .iter()
        .flat_map(|field| {
            field.arguments.iter().map(move |a| {
                (
                    format!("{type_name}.{}({}:)", field.name, a.name),
                    a.default_value.clone(),
                )
            })
        })
        .collect()
}

/// What Federation composition reports as hints, as warnings: an element
/// described differently by several subgraphs (`INCONSISTENT_DESCRIPTION`),
/// types that differ only in nullability, entities that are value types
/// elsewhere (see also [`partial_defaults`]).
pub(crate) fn hints(prepared: &[Prepared]) -> Vec<CompositionDiagnostic> {
    // Coordinate → subgraph → description.
    let mut descriptions: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    // `Type.field(arg:)` → subgraph → its type.
    let mut argument_types: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    // Abstract type → its members / implementations, across every subgraph.
    let mut possible: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in prepared {
        let Ok(doc) = Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)) else {
            continue;
        };
        add_possible_types(&doc, &mut possible);
        let mut describe = |coordinate: String, description: Option<&Node<str>>| {
            if let Some(text) = description.map(|d| d.trim()).filter(|d| !d.is_empty()) {
                descriptions
                    .entry(coordinate)
                    .or_default()
                    .insert(p.name.clone(), text.to_owned());
            }
        };
        for definition in &doc.definitions {
            let (name, description, fields) = match definition {
                Definition::ObjectTypeDefinition(o) => {
                    (&o.name, o.description.as_ref(), &o.fields[..])
                }
                Definition::InterfaceTypeDefinition(i) => {
                    (&i.name, i.description.as_ref(), &i.fields[..])
                }
                Definition::ObjectTypeExtension(o) => (&o.name, None, &o.fields[..]),
                _ => continue,
            };
            describe(name.to_string(), description);
            for field in fields {
                let coordinate = format!("{name}.{}", field.name);
                describe(coordinate.clone(), field.description.as_ref());
                for argument in &field.arguments {
                    argument_types
                        .entry(format!("{coordinate}({}:)", argument.name))
                        .or_default()
                        .insert(p.name.clone(), argument.ty.to_string());
                }
            }
        }
    }
    let mut hints = Vec::new();
    // A field typed differently but compatibly (only nullability differs):
    // Federation hints INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE (the supergraph
    // takes the nullable type), and the same for arguments.
    let mut field_types: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for p in prepared {
        for ((ty, field), printed) in &p.field_types {
            field_types
                .entry(format!("{ty}.{field}"))
                .or_default()
                .insert(p.name.clone(), printed.clone());
        }
    }
    for (coordinate, by_subgraph) in &field_types {
        if let Some(message) = compatible_but_inconsistent(by_subgraph, &possible) {
            hints.push(CompositionDiagnostic::warning(
                CompositionRule::InconsistentButCompatibleFieldType,
                by_subgraph.keys().cloned().collect(),
                Some(coordinate.clone()),
                format!("the type of {coordinate} is inconsistent but compatible across subgraphs: {message}"),
            ));
        }
    }
    for (coordinate, by_subgraph) in &argument_types {
        if let Some(message) = compatible_but_inconsistent(by_subgraph, &BTreeMap::new()) {
            hints.push(CompositionDiagnostic::warning(
                CompositionRule::InconsistentButCompatibleArgumentType,
                by_subgraph.keys().cloned().collect(),
                Some(coordinate.clone()),
                format!("the type of {coordinate} is inconsistent but compatible across subgraphs: {message}"),
            ));
        }
    }
    // An entity in some subgraphs and a value type in others (it composes,
    // see `value_types_of_entities`): Federation hints INCONSISTENT_ENTITY.
    let mut value_type_in: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in prepared {
        for (ty, _) in &p.placeholder_keys {
            value_type_in
                .entry(ty.as_str())
                .or_default()
                .push(p.name.clone());
        }
    }
    for (ty, subgraphs) in value_type_in {
        hints.push(CompositionDiagnostic::warning(
            CompositionRule::InconsistentEntity,
            subgraphs.clone(),
            Some(ty.to_string()),
            format!(
                "{ty} is an entity (has a @key) in some subgraphs but a value type (no @key) in {}: plans never move to those for its fields",
                subgraphs.join(", ")
            ),
        ));
    }
    for (coordinate, by_subgraph) in descriptions {
        let distinct: BTreeSet<&String> = by_subgraph.values().collect();
        if distinct.len() > 1 {
            hints.push(CompositionDiagnostic::warning(
                CompositionRule::InconsistentDescription,
                by_subgraph.keys().cloned().collect(),
                Some(coordinate.clone()),
                format!(
                    "{coordinate} is described differently in subgraphs {}; the supergraph keeps one of the descriptions",
                    by_subgraph.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    hints
}

/// When subgraphs type one element differently and the types differ only in
/// non-null markers: which subgraph says what.
fn compatible_but_inconsistent(
    by_subgraph: &BTreeMap<String, String>,
    possible: &BTreeMap<String, BTreeSet<String>>,
) -> Option<String> {
    let distinct: BTreeSet<&String> = by_subgraph.values().collect();
    if distinct.len() < 2 {
        return None;
    }
    // The list structure (`[[_]]`) must agree, nullability aside…
    let structure =
        |ty: &str| -> String { ty.chars().filter(|c| matches!(c, '[' | ']')).collect() };
    let first = structure(distinct.iter().next()?);
    if distinct.iter().any(|ty| structure(ty) != first) {
        return None;
    }
    // …and the named types be one type, or members / implementations of one
    // of them (the supergraph's).
    let named = |ty: &str| {
        ty.trim_matches(|c| matches!(c, '[' | ']' | '!'))
            .to_string()
    };
    let names: BTreeSet<String> = distinct.iter().map(|ty| named(ty)).collect();
    if names.len() > 1
        && !names.iter().any(|wide| {
            names
                .iter()
                .all(|n| n == wide || possible.get(wide).is_some_and(|p| p.contains(n)))
        })
    {
        return None;
    }
    Some(
        by_subgraph
            .iter()
            .map(|(subgraph, ty)| format!("\"{ty}\" in {subgraph}"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Federation's field-sharing rule with `@provides` (composition-js
/// `validateFieldSharing`; composition docs, "Sharing fields"): a field a
/// subgraph marks `@external` but provides below some field is resolved by
/// that subgraph too ("partially external"), so the other subgraphs that
/// resolve it must mark it `@shareable`. graphql-composition counts only
/// fields that are not `@external`; this reports (`INVALID_FIELD_SHARING`)
/// the cases that only partially external fields make invalid. A subgraph
/// whose field another overrides does not resolve it; Federation 1 subgraphs
/// are not judged (their fields are shareable once upgraded).
pub(crate) fn provided_field_sharing(prepared: &[Prepared]) -> Vec<CompositionDiagnostic> {
    struct Source {
        subgraph: String,
        shareable: bool,
        partially_external: bool,
    }
    let mut sources: BTreeMap<(String, String), Vec<Source>> = BTreeMap::new();
    let mut overridden: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut any_provided = false;
    for p in prepared {
        let Ok(doc) = Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)) else {
            continue;
        };
        let fed = FederationNames::from_document(&doc);
        let (shareable, external, override_name) = (
            fed.local("shareable"),
            fed.local("external"),
            fed.local("override"),
        );
        // Top-level key fields of each type in this subgraph (shareable).
        let mut key_fields: BTreeSet<(String, String)> = BTreeSet::new();
        for definition in &doc.definitions {
            let (name, directives) = match definition {
                Definition::ObjectTypeDefinition(o) => (&o.name, &o.directives),
                Definition::ObjectTypeExtension(o) => (&o.name, &o.directives),
                _ => continue,
            };
            for (fields, _) in keys(directives, &fed) {
                for field in top_level_fields(&fields) {
                    key_fields.insert((name.to_string(), field));
                }
            }
        }
        for definition in &doc.definitions {
            let (name, directives, fields, is_extension) = match definition {
                Definition::ObjectTypeDefinition(o) => (&o.name, &o.directives, &o.fields, false),
                Definition::ObjectTypeExtension(o) => (&o.name, &o.directives, &o.fields, true),
                _ => continue,
            };
            let type_external = fed.is_federation_2() && directives.get(&external).is_some();
            let extends = is_extension || directives.get(&fed.local("extends")).is_some();
            for field in fields {
                let coordinate = (name.to_string(), field.name.to_string());
                if let Some(from) = field
                    .directives
                    .get(&override_name)
                    .and_then(|d| d.specified_argument_by_name("from"))
                    .and_then(|v| v.as_str())
                {
                    overridden.insert((name.to_string(), field.name.to_string(), from.to_string()));
                }
                let is_key = key_fields.contains(&coordinate);
                // A key field marked @external on an extension only references the key.
                let external = (type_external || field.directives.get(&external).is_some())
                    && !(is_key && extends);
                let provided = p.provided_fields.contains(&coordinate);
                if external && !provided {
                    continue;
                }
                any_provided |= external;
                sources.entry(coordinate).or_default().push(Source {
                    subgraph: p.name.clone(),
                    shareable: !fed.is_federation_2()
                        || external
                        || is_key
                        || field.directives.get(&shareable).is_some(),
                    partially_external: external,
                });
            }
        }
    }
    if !any_provided {
        return Vec::new();
    }
    let mut diagnostics = Vec::new();
    for ((ty, field), mut resolving) in sources {
        resolving
            .retain(|s| !overridden.contains(&(ty.clone(), field.clone(), s.subgraph.clone())));
        let invalid = |sources: &mut dyn Iterator<Item = &Source>| {
            let (mut count, mut non_shareable) = (0, 0);
            for source in sources {
                count += 1;
                non_shareable += usize::from(!source.shareable);
            }
            non_shareable > 0 && count > 1
        };
        if !resolving.iter().any(|s| s.partially_external)
            || !invalid(&mut resolving.iter())
            // graphql-composition reports these itself.
            || invalid(&mut resolving.iter().filter(|s| !s.partially_external))
        {
            continue;
        }
        let names = |filter: &dyn Fn(&Source) -> bool| {
            resolving
                .iter()
                .filter(|s| filter(s))
                .map(|s| format!("\"{}\"", s.subgraph))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let coordinate = format!("{ty}.{field}");
        diagnostics.push(CompositionDiagnostic::error(
            CompositionRule::InvalidFieldSharing,
            resolving.iter().map(|s| s.subgraph.clone()).collect(),
            Some(coordinate.clone()),
            format!(
                "Non-shareable field \"{coordinate}\" is resolved from multiple subgraphs: it is \
                 resolved from subgraphs {} (those marking it @external resolve it where they \
                 @provides it: {}) and defined as non-shareable in {}",
                names(&|_| true),
                names(&|s| s.partially_external),
                names(&|s| !s.shareable),
            ),
        ));
    }
    diagnostics
}
