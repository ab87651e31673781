//! graphql-composition output → the standard Federation v2 supergraph format.
//!
//! Specs: <https://specs.apollo.dev/link/v1.0/>, <https://specs.apollo.dev/join/v0.3/>
//! (v0.4 adds `overrideLabel`), <https://specs.apollo.dev/tag/v0.3/>,
//! <https://specs.apollo.dev/inaccessible/v0.2/>,
//! <https://specs.apollo.dev/authenticated/v0.1/>,
//! <https://specs.apollo.dev/requiresScopes/v0.1/>, <https://specs.apollo.dev/policy/v0.1/>.

use std::collections::{BTreeSet, HashMap};

use apollo_compiler::ast::{
    Argument, Definition, Directive, DirectiveList, Document, OperationType, Value,
};
use apollo_compiler::{Name, Node};

use super::prepare::Prepared;

/// Spec directives and types whose definitions we replace with the specs' own.
const SPEC_DIRECTIVES: &[&str] = &[
    "link",
    "tag",
    "inaccessible",
    "authenticated",
    "requiresScopes",
    "policy",
    "cost",
    "listSize",
];
const SPEC_TYPE_PREFIXES: &[&str] = &["join__", "link__", "requiresScopes__", "policy__"];
const SPEC_URL_PREFIXES: &[&str] = &[
    "https://specs.apollo.dev/link/",
    "https://specs.apollo.dev/join/",
    "https://specs.apollo.dev/tag/",
    "https://specs.apollo.dev/inaccessible/",
    "https://specs.apollo.dev/authenticated/",
    "https://specs.apollo.dev/requiresScopes/",
    "https://specs.apollo.dev/policy/",
    "https://specs.apollo.dev/cost/",
];

const LINK_DEFINITIONS: &str = r#"
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar link__Import

enum link__Purpose {
  "`SECURITY` features provide metadata necessary to securely resolve fields."
  SECURITY
  "`EXECUTION` features provide metadata necessary for operation execution."
  EXECUTION
}
"#;

const JOIN_DEFINITIONS: &str = r#"
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

scalar join__FieldSet
"#;

const JOIN_FIELD_V03: &str = "directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION\n";
const JOIN_FIELD_V04: &str = "directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION\n";

const TAG_DEFINITION: &str = "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA\n";
const INACCESSIBLE_DEFINITION: &str = "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION\n";
const AUTHENTICATED_DEFINITION: &str =
    "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n";
const REQUIRES_SCOPES_DEFINITION: &str = "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n\nscalar requiresScopes__Scope\n";
const COST_DEFINITIONS: &str = "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR\n\ndirective @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION\n";
const POLICY_DEFINITION: &str = "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n\nscalar policy__Policy\n";

const ONE_OF_DEFINITION: &str = "directive @oneOf on INPUT_OBJECT\n";
const JOIN_FIELD_V05: &str = "directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION\n\ninput join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n  selection: join__FieldValue!\n}\n\nscalar join__FieldValue\n";
const CONTEXT_DEFINITION: &str =
    "directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION\n";

pub(crate) fn normalize(raw: &str, subgraphs: &[Prepared]) -> Result<String, String> {
    let raw_doc = Document::parse(raw, "composed.graphql").map_err(|e| {
        format!(
            "graphql-composition produced SDL that does not parse: {}",
            e.errors
        )
    })?;

    // What the schema uses decides which specs it links.
    let mut used = BTreeSet::new();
    let mut uses_override_label = false;
    for list in directive_lists(&raw_doc) {
        for directive in list.iter() {
            used.insert(directive.name.to_string());
            if directive.name == "join__field"
                && directive
                    .specified_argument_by_name("overrideLabel")
                    .is_some()
            {
                uses_override_label = true;
            }
        }
    }

    // Subgraph name → join__Graph value.
    let mut graph_values: HashMap<String, Name> = HashMap::new();
    for definition in &raw_doc.definitions {
        if let Definition::EnumTypeDefinition(e) = definition
            && e.name == "join__Graph"
        {
            for value in &e.values {
                if let Some(name) = value
                    .directives
                    .get("join__graph")
                    .and_then(|d| d.specified_argument_by_name("name"))
                    .and_then(|v| v.as_str())
                {
                    graph_values.insert(name.to_string(), value.value.clone());
                }
            }
        }
    }

    let uses_context = subgraphs.iter().any(|s| !s.contexts.arguments.is_empty());
    let join_version = if uses_context {
        "v0.5"
    } else if uses_override_label {
        "v0.4"
    } else {
        "v0.3"
    };
    let mut links: Vec<(String, Option<&str>)> = vec![
        ("https://specs.apollo.dev/link/v1.0".into(), None),
        (
            format!("https://specs.apollo.dev/join/{join_version}"),
            Some("EXECUTION"),
        ),
        ("https://specs.apollo.dev/tag/v0.3".into(), None),
        (
            "https://specs.apollo.dev/inaccessible/v0.2".into(),
            Some("SECURITY"),
        ),
    ];
    let uses_cost = used.contains("cost") || used.contains("listSize");
    let mut preamble = String::new();
    preamble.push_str(LINK_DEFINITIONS);
    preamble.push_str(JOIN_DEFINITIONS);
    preamble.push_str(if uses_context {
        JOIN_FIELD_V05
    } else if uses_override_label {
        JOIN_FIELD_V04
    } else {
        JOIN_FIELD_V03
    });
    if uses_context {
        links.push((
            "https://specs.apollo.dev/context/v0.1".into(),
            Some("SECURITY"),
        ));
        preamble.push_str(CONTEXT_DEFINITION);
    }
    preamble.push_str(TAG_DEFINITION);
    preamble.push_str(INACCESSIBLE_DEFINITION);
    if used.contains("authenticated") {
        links.push((
            "https://specs.apollo.dev/authenticated/v0.1".into(),
            Some("SECURITY"),
        ));
        preamble.push_str(AUTHENTICATED_DEFINITION);
    }
    if used.contains("requiresScopes") {
        links.push((
            "https://specs.apollo.dev/requiresScopes/v0.1".into(),
            Some("SECURITY"),
        ));
        preamble.push_str(REQUIRES_SCOPES_DEFINITION);
    }
    if used.contains("policy") {
        links.push((
            "https://specs.apollo.dev/policy/v0.1".into(),
            Some("SECURITY"),
        ));
        preamble.push_str(POLICY_DEFINITION);
    }
    if uses_cost {
        preamble.push_str(COST_DEFINITIONS);
    }
    // `@oneOf` (OneOf Input Objects, GraphQL spec September 2025) is a built-in
    // directive of the language, not a linked spec, but apollo-compiler does not
    // know it yet: the supergraph declares it as the spec does.
    let defines = |name: &str| {
        raw_doc
            .definitions
            .iter()
            .any(|d| matches!(d, Definition::DirectiveDefinition(def) if def.name == name))
    };
    if used.contains("oneOf") && !defines("oneOf") {
        preamble.push_str(ONE_OF_DEFINITION);
    }
    let preamble_doc = Document::parse(preamble, "spec-definitions.graphql")
        .map_err(|e| format!("internal error in spec definitions: {}", e.errors))?;

    let mut out = Document::new();
    let mut root_types: HashMap<String, apollo_compiler::ast::OperationType> = HashMap::new();

    // The schema definition first.
    for definition in &raw_doc.definitions {
        if let Definition::SchemaDefinition(schema) = definition {
            let mut schema = schema.clone();
            let s = schema.make_mut();
            let kept: Vec<Node<Directive>> = s
                .directives
                .iter()
                .filter(|d| {
                    let url = d.specified_argument_by_name("url").and_then(|v| v.as_str());
                    !(d.name == "link"
                        && url.is_some_and(|u| SPEC_URL_PREFIXES.iter().any(|p| u.starts_with(p))))
                })
                .cloned()
                .collect();
            let mut directives: Vec<Node<Directive>> = links
                .iter()
                .map(|(url, purpose)| link_directive(url, *purpose))
                .collect::<Result<_, _>>()?;
            if uses_cost {
                // The cost spec's directives keep their bare names.
                let mut link = link_directive("https://specs.apollo.dev/cost/v0.1", None)?;
                link.make_mut().arguments.push(argument(
                    "import",
                    Value::List(vec![
                        Node::new(Value::String("@cost".into())),
                        Node::new(Value::String("@listSize".into())),
                    ]),
                )?);
                directives.push(link);
            }
            directives.extend(kept);
            s.directives = DirectiveList(directives);
            for operation in &s.root_operations {
                let (kind, ty) = operation.as_ref();
                root_types.insert(ty.to_string(), *kind);
            }
            out.definitions.push(Definition::SchemaDefinition(schema));
        }
    }
    out.definitions.extend(preamble_doc.definitions);

    for definition in &raw_doc.definitions {
        match definition {
            Definition::SchemaDefinition(_) => continue,
            Definition::DirectiveDefinition(d)
                if d.name.starts_with("join__") || SPEC_DIRECTIVES.contains(&d.name.as_str()) =>
            {
                continue;
            }
            Definition::ScalarTypeDefinition(d) if is_spec_type(&d.name) => continue,
            Definition::EnumTypeDefinition(d)
                if is_spec_type(&d.name) && d.name != "join__Graph" =>
            {
                continue;
            }
            Definition::ObjectTypeDefinition(d) => {
                let mut object = d.clone();
                let o = object.make_mut();
                if let Some(description) = owner_description(&o.name, subgraphs) {
                    o.description = description.map(|d| Node::new_str(&d));
                }
                // join v0.2's @join__owner is not part of join v0.3.
                o.directives.0.retain(|d| d.name != "join__owner");
                // A placeholder key (see `align::value_types_of_entities`):
                // the value-type subgraph's `@join__type` without a key.
                for subgraph in subgraphs {
                    let Some(value) = graph_values.get(&subgraph.name) else {
                        continue;
                    };
                    for (ty, fields) in &subgraph.placeholder_keys {
                        if ty != o.name.as_str() {
                            continue;
                        }
                        let mut replaced = false;
                        o.directives.0.retain(|d| {
                            let placeholder = d.name == "join__type"
                                && graph_of(d) == Some(value)
                                && d.specified_argument_by_name("key")
                                    .and_then(|k| k.as_str())
                                    .is_some_and(|k| same_field_set(k, fields));
                            if placeholder && !replaced {
                                replaced = true;
                                return false;
                            }
                            !placeholder
                        });
                        if replaced {
                            o.directives.0.push(join_type(value)?);
                        }
                    }
                }
                mark_extension_keys(&o.name, &mut o.directives, subgraphs, &graph_values)?;
                mark_external_key_fields(o, subgraphs, &graph_values)?;
                drop_unknown_override_sources(o, subgraphs);
                keep_override_sources(o, subgraphs, &graph_values)?;
                record_differing_field_types(o, subgraphs, &graph_values)?;
                if let Some(kind) = root_types.get(o.name.as_str()) {
                    // Every subgraph has a query type (`_service`, `_entities`):
                    // like Federation composition, each gets a `@join__type` on
                    // it; mutation and subscription types only where defined.
                    for subgraph in subgraphs {
                        if *kind != OperationType::Query && !subgraph.root_operations.contains(kind)
                        {
                            continue;
                        }
                        let Some(value) = graph_values.get(&subgraph.name) else {
                            continue;
                        };
                        let already = o.directives.get_all("join__type").any(|j| {
                            matches!(j.specified_argument_by_name("graph").map(|v| v.as_ref()),
                                Some(Value::Enum(v)) if v == value)
                        });
                        if !already {
                            o.directives.0.push(join_type(value)?);
                        }
                    }
                }
                out.definitions
                    .push(Definition::ObjectTypeDefinition(object));
                continue;
            }
            Definition::EnumTypeDefinition(d) => {
                let mut enum_ = d.clone();
                let e = enum_.make_mut();
                for value in &mut e.values {
                    let added_in: Vec<&Name> = subgraphs
                        .iter()
                        .filter(|s| {
                            s.added_enum_values
                                .iter()
                                .any(|(t, v)| t == e.name.as_str() && v == value.value.as_str())
                        })
                        .filter_map(|s| graph_values.get(&s.name))
                        .collect();
                    if added_in.is_empty() {
                        continue;
                    }
                    value.make_mut().directives.0.retain(|d| {
                        d.name != "join__enumValue"
                            || !graph_of(d).is_some_and(|g| added_in.contains(&g))
                    });
                }
                out.definitions.push(Definition::EnumTypeDefinition(enum_));
                continue;
            }
            Definition::DirectiveDefinition(d)
                if d.arguments
                    .iter()
                    .enumerate()
                    .any(|(i, a)| d.arguments[..i].iter().any(|b| b.name == a.name)) =>
            {
                // graphql-composition lists a composed directive's argument
                // once per subgraph definition when they differ only by a
                // default (see `align::directive_argument_defaults`): once.
                let mut directive = d.clone();
                let dm = directive.make_mut();
                let mut seen = BTreeSet::new();
                dm.arguments.retain(|a| seen.insert(a.name.to_string()));
                out.definitions
                    .push(Definition::DirectiveDefinition(directive));
                continue;
            }
            Definition::UnionTypeDefinition(d) if d.directives.get("join__type").is_none() => {
                // Join v0.3: a union carries `@join__type` for each subgraph
                // defining it, as Federation composition writes it (the
                // planner reads which subgraphs know the union from it);
                // every such subgraph lists its members.
                let mut union_ = d.clone();
                let u = union_.make_mut();
                let mut graphs: Vec<Name> = Vec::new();
                for member in u.directives.get_all("join__unionMember") {
                    if let Some(graph) = graph_of(member)
                        && !graphs.contains(graph)
                    {
                        graphs.push(graph.clone());
                    }
                }
                let mut directives = Vec::with_capacity(graphs.len() + u.directives.len());
                for graph in &graphs {
                    directives.push(join_type(graph)?);
                }
                directives.append(&mut u.directives.0);
                u.directives = DirectiveList(directives);
                out.definitions
                    .push(Definition::UnionTypeDefinition(union_));
                continue;
            }
            Definition::InterfaceTypeDefinition(d) => {
                let mut interface = d.clone();
                let i = interface.make_mut();
                if let Some(description) = owner_description(&i.name, subgraphs) {
                    i.description = description.map(|d| Node::new_str(&d));
                }
                add_interface_join_types(i, subgraphs, &graph_values, true)?;
                add_interface_join_types(i, subgraphs, &graph_values, false)?;
                mark_extension_keys(&i.name, &mut i.directives, subgraphs, &graph_values)?;
                out.definitions
                    .push(Definition::InterfaceTypeDefinition(interface));
                continue;
            }
            _ => {}
        }
        out.definitions.push(definition.clone());
    }

    if uses_context {
        apply_contexts(&mut out, subgraphs, &graph_values)?;
    }
    order_as_subgraphs_declare(&mut out, subgraphs);
    Ok(out.to_string())
}

/// Orders the supergraph as Federation composition does: types by name, and the
/// fields, arguments, enum values and union members of each by first
/// appearance, subgraph by subgraph in composition order, each in its SDL's
/// order (graphql-composition sorts fields and arguments by name). What clients
/// introspect then lists fields as they were written. Spec definitions
/// (`join__*`, `link__*`, ...) no subgraph declares keep their place ahead of
/// the rest.
fn order_as_subgraphs_declare(out: &mut Document, subgraphs: &[Prepared]) {
    // The types subgraphs declare; (type, member) → its rank within the type.
    let mut types: BTreeSet<String> = BTreeSet::new();
    let mut members: HashMap<(String, String), usize> = HashMap::new();
    for subgraph in subgraphs {
        let Ok(doc) = Document::parse(subgraph.sdl.as_str(), "subgraph.graphql") else {
            continue;
        };
        for definition in &doc.definitions {
            let Some(name) = definition.name() else {
                continue;
            };
            types.insert(name.to_string());
            for member in member_names(definition) {
                let rank = members.len();
                members.entry((name.to_string(), member)).or_insert(rank);
            }
            for (field, argument) in argument_names(definition) {
                let rank = members.len();
                members
                    .entry((format!("{name}.{field}"), argument))
                    .or_insert(rank);
            }
        }
    }
    // Stable: definitions no subgraph declares (the schema definition, spec
    // definitions) first, then the types by name.
    out.definitions.sort_by(|a, b| {
        let key = |d: &Definition| {
            d.name()
                .filter(|n| types.contains(n.as_str()))
                .map(|n| n.to_string())
        };
        key(a).cmp(&key(b))
    });
    for definition in &mut out.definitions {
        let Some(type_name) = definition.name().map(|n| n.to_string()) else {
            continue;
        };
        let key = |member: &str| {
            members
                .get(&(type_name.clone(), member.to_string()))
                .copied()
                .unwrap_or(usize::MAX)
        };
        match definition {
            Definition::ObjectTypeDefinition(d) => {
                let d = d.make_mut();
                d.fields.sort_by_key(|f| key(&f.name));
                order_arguments(&type_name, &mut d.fields, &members);
            }
            Definition::InterfaceTypeDefinition(d) => {
                let d = d.make_mut();
                d.fields.sort_by_key(|f| key(&f.name));
                order_arguments(&type_name, &mut d.fields, &members);
            }
            Definition::InputObjectTypeDefinition(d) => {
                d.make_mut().fields.sort_by_key(|f| key(&f.name));
            }
            Definition::EnumTypeDefinition(d) => {
                d.make_mut().values.sort_by_key(|v| key(&v.value));
            }
            Definition::UnionTypeDefinition(d) => {
                d.make_mut().members.sort_by_key(|m| key(m));
            }
            _ => {}
        }
    }
}

/// Orders each field's arguments by their rank in `ranks` (`("Type.field", arg)`).
fn order_arguments(
    type_name: &str,
    fields: &mut [Node<apollo_compiler::ast::FieldDefinition>],
    ranks: &HashMap<(String, String), usize>,
) {
    for field in fields {
        if field.arguments.len() < 2 {
            continue;
        }
        let coordinate = format!("{type_name}.{}", field.name);
        field.make_mut().arguments.sort_by_key(|a| {
            ranks
                .get(&(coordinate.clone(), a.name.to_string()))
                .copied()
                .unwrap_or(usize::MAX)
        });
    }
}

/// `(field, argument)` for every argument of the fields a definition declares.
fn argument_names(definition: &Definition) -> Vec<(String, String)> {
    let fields = match definition {
        Definition::ObjectTypeDefinition(d) => &d.fields,
        Definition::ObjectTypeExtension(d) => &d.fields,
        Definition::InterfaceTypeDefinition(d) => &d.fields,
        Definition::InterfaceTypeExtension(d) => &d.fields,
        _ => return Vec::new(),
    };
    fields
        .iter()
        .flat_map(|f| {
            f.arguments
                .iter()
                .map(|a| (f.name.to_string(), a.name.to_string()))
        })
        .collect()
}

/// The fields, enum values or union members a definition declares, in order.
fn member_names(definition: &Definition) -> Vec<String> {
    let fields = |fields: &[Node<apollo_compiler::ast::FieldDefinition>]| {
        fields.iter().map(|f| f.name.to_string()).collect()
    };
    let inputs = |fields: &[Node<apollo_compiler::ast::InputValueDefinition>]| {
        fields.iter().map(|f| f.name.to_string()).collect()
    };
    match definition {
        Definition::ObjectTypeDefinition(d) => fields(&d.fields),
        Definition::ObjectTypeExtension(d) => fields(&d.fields),
        Definition::InterfaceTypeDefinition(d) => fields(&d.fields),
        Definition::InterfaceTypeExtension(d) => fields(&d.fields),
        Definition::InputObjectTypeDefinition(d) => inputs(&d.fields),
        Definition::InputObjectTypeExtension(d) => inputs(&d.fields),
        Definition::EnumTypeDefinition(d) => d.values.iter().map(|v| v.value.to_string()).collect(),
        Definition::EnumTypeExtension(d) => d.values.iter().map(|v| v.value.to_string()).collect(),
        Definition::UnionTypeDefinition(d) => d.members.iter().map(|m| m.to_string()).collect(),
        Definition::UnionTypeExtension(d) => d.members.iter().map(|m| m.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Writes the subgraphs' contexts back (see [`super::context`]):
/// `@context(name: "<subgraph>__<name>")` on each type setting one, and each
/// contextual argument into its subgraph's `@join__field(contextArguments:)`.
fn apply_contexts(
    out: &mut Document,
    subgraphs: &[Prepared],
    graph_values: &HashMap<String, Name>,
) -> Result<(), String> {
    let context_directive = |subgraph: &str, context: &str| -> Result<Node<Directive>, String> {
        Ok(Node::new(Directive {
            name: name("context")?,
            arguments: vec![argument(
                "name",
                Value::String(format!("{subgraph}__{context}")),
            )?],
        }))
    };
    for definition in out.definitions.iter_mut() {
        let (type_name, directives, fields) = match definition {
            Definition::ObjectTypeDefinition(d) => {
                let d = d.make_mut();
                (d.name.to_string(), &mut d.directives, Some(&mut d.fields))
            }
            Definition::InterfaceTypeDefinition(d) => {
                let d = d.make_mut();
                (d.name.to_string(), &mut d.directives, Some(&mut d.fields))
            }
            Definition::UnionTypeDefinition(d) => {
                let d = d.make_mut();
                (d.name.to_string(), &mut d.directives, None)
            }
            _ => continue,
        };
        for subgraph in subgraphs {
            for (ty, context) in &subgraph.contexts.set {
                if *ty == type_name {
                    directives
                        .0
                        .push(context_directive(&subgraph.name, context)?);
                }
            }
        }
        let Some(fields) = fields else { continue };
        for field in fields.iter_mut() {
            let key = (type_name.clone(), field.name.to_string());
            for subgraph in subgraphs {
                let arguments: Vec<Node<Value>> = subgraph
                    .contexts
                    .arguments
                    .iter()
                    .filter(|a| a.type_name == key.0 && a.field == key.1)
                    .map(|a| -> Result<Node<Value>, String> {
                        Ok(Node::new(Value::Object(vec![
                            (
                                name("context")?,
                                Node::new(Value::String(format!(
                                    "{}__{}",
                                    subgraph.name, a.context
                                ))),
                            ),
                            (name("name")?, Node::new(Value::String(a.argument.clone()))),
                            (name("type")?, Node::new(Value::String(a.ty.clone()))),
                            (
                                name("selection")?,
                                Node::new(Value::String(a.selection.clone())),
                            ),
                        ])))
                    })
                    .collect::<Result<_, _>>()?;
                if arguments.is_empty() {
                    continue;
                }
                let Some(graph) = graph_values.get(&subgraph.name) else {
                    continue;
                };
                let f = field.make_mut();
                // Without any `@join__field` the field belongs to every
                // subgraph of its type; one explicit entry needs all of them.
                if f.directives.get("join__field").is_none() {
                    for other in subgraphs {
                        if other.field_types.contains_key(&key)
                            && let Some(value) = graph_values.get(&other.name)
                        {
                            f.directives.0.push(Node::new(Directive {
                                name: name("join__field")?,
                                arguments: vec![argument("graph", Value::Enum(value.clone()))?],
                            }));
                        }
                    }
                }
                let list = Value::List(arguments);
                match f
                    .directives
                    .0
                    .iter_mut()
                    .find(|d| d.name == "join__field" && graph_of(d) == Some(graph))
                {
                    Some(existing) => existing
                        .make_mut()
                        .arguments
                        .push(argument("contextArguments", list)?),
                    None => f.directives.0.push(Node::new(Directive {
                        name: name("join__field")?,
                        arguments: vec![
                            argument("graph", Value::Enum(graph.clone()))?,
                            argument("contextArguments", list)?,
                        ],
                    })),
                }
            }
        }
    }
    Ok(())
}

/// graphql-composition takes a type's description from the first subgraph that has
/// one, so a subgraph that merely references an entity can document it for everyone.
/// For a type defined in several subgraphs, take the description of the subgraph that
/// resolves most of its fields (the first such on a tie), even when that is none.
/// `None` when the type is not shared (keep what the composer chose).
#[allow(clippy::option_option)]
fn owner_description(type_name: &str, subgraphs: &[Prepared]) -> Option<Option<String>> {
    let mut defining = subgraphs
        .iter()
        .filter_map(|s| s.type_docs.get(type_name))
        .peekable();
    let first = defining.next()?;
    defining.peek()?;
    let owner = defining.fold(first, |best, candidate| {
        if candidate.0 > best.0 {
            candidate
        } else {
            best
        }
    });
    Some(owner.1.clone())
}

fn is_spec_type(name: &str) -> bool {
    SPEC_TYPE_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn name(s: &str) -> Result<Name, String> {
    Name::new(s).map_err(|e| format!("internal error: invalid name {s:?}: {e}"))
}

fn link_directive(url: &str, purpose: Option<&str>) -> Result<Node<Directive>, String> {
    let mut arguments = vec![Node::new(Argument {
        name: name("url")?,
        value: Node::new(Value::String(url.to_string())),
    })];
    if let Some(purpose) = purpose {
        arguments.push(Node::new(Argument {
            name: name("for")?,
            value: Node::new(Value::Enum(name(purpose)?)),
        }));
    }
    Ok(Node::new(Directive {
        name: name("link")?,
        arguments,
    }))
}

/// Join spec v0.3 `@join__field(type:)`: where subgraphs declare a field with
/// different types (`ID` in one, `ID!` in another), every `@join__field` of
/// it says which type that subgraph has, as Federation composition writes it;
/// the planner needs it to ask each subgraph for what it declares.
fn record_differing_field_types(
    object: &mut apollo_compiler::ast::ObjectTypeDefinition,
    subgraphs: &[Prepared],
    graph_values: &HashMap<String, Name>,
) -> Result<(), String> {
    let mut type_graphs: Vec<Name> = Vec::new();
    for graph in object
        .directives
        .get_all("join__type")
        .filter_map(|d| graph_of(d))
    {
        // A subgraph with several keys has several `@join__type`s.
        if !type_graphs.contains(graph) {
            type_graphs.push(graph.clone());
        }
    }
    for field in &mut object.fields {
        let key = (object.name.to_string(), field.name.to_string());
        let declared: Vec<(&Name, &String)> = subgraphs
            .iter()
            .filter_map(|s| Some((graph_values.get(&s.name)?, s.field_types.get(&key)?)))
            .collect();
        let supergraph_type = field.ty.to_string();
        if declared.iter().all(|(_, t)| **t == supergraph_type) {
            continue;
        }
        let f = field.make_mut();
        if f.directives.get("join__field").is_none() {
            // Implicitly every subgraph of the type: made explicit, each with its type.
            for graph in &type_graphs {
                let Some((_, ty)) = declared.iter().find(|(g, _)| *g == graph) else {
                    continue;
                };
                f.directives.0.push(Node::new(Directive {
                    name: name("join__field")?,
                    arguments: vec![
                        argument("graph", Value::Enum(graph.clone()))?,
                        argument("type", Value::String((*ty).clone()))?,
                    ],
                }));
            }
            continue;
        }
        for directive in f.directives.0.iter_mut() {
            if directive.name != "join__field"
                || directive.specified_argument_by_name("type").is_some()
            {
                continue;
            }
            let Some(graph) = graph_of(directive) else {
                continue;
            };
            let Some((_, ty)) = declared.iter().find(|(g, _)| *g == graph) else {
                continue;
            };
            let ty = (*ty).clone();
            directive
                .make_mut()
                .arguments
                .push(argument("type", Value::String(ty))?);
        }
    }
    Ok(())
}

fn join_type(graph: &Name) -> Result<Node<Directive>, String> {
    Ok(Node::new(Directive {
        name: name("join__type")?,
        arguments: vec![Node::new(Argument {
            name: name("graph")?,
            value: Node::new(Value::Enum(graph.clone())),
        })],
    }))
}

/// The `graph:` of a `@join__type`/`@join__field`.
fn graph_of(directive: &Directive) -> Option<&Name> {
    match directive.specified_argument_by_name("graph")?.as_ref() {
        Value::Enum(graph) => Some(graph),
        _ => None,
    }
}

fn argument(arg: &str, value: Value) -> Result<Node<Argument>, String> {
    Ok(Node::new(Argument {
        name: name(arg)?,
        value: Node::new(value),
    }))
}

/// An `@override(from:)` naming no subgraph of the composition overrides
/// nothing (a `FROM_SUBGRAPH_DOES_NOT_EXIST` warning): like Federation
/// composition, the supergraph carries no `override:` for it.
fn drop_unknown_override_sources(
    object: &mut apollo_compiler::ast::ObjectTypeDefinition,
    subgraphs: &[Prepared],
) {
    for field in &mut object.fields {
        let unknown = |d: &Node<Directive>| {
            d.name == "join__field"
                && d.specified_argument_by_name("override")
                    .and_then(|v| v.as_str())
                    .is_some_and(|from| !subgraphs.iter().any(|s| s.name == from))
        };
        if !field.directives.iter().any(unknown) {
            continue;
        }
        for directive in field.make_mut().directives.0.iter_mut() {
            if unknown(directive) {
                directive
                    .make_mut()
                    .arguments
                    .retain(|a| a.name != "override" && a.name != "overrideLabel");
            }
        }
    }
}

/// `extension: true` on the `@join__type` of each key a subgraph applies on a
/// type extension or an `@extends` type (see [`Prepared::extension_keys`]),
/// as Federation composition writes it; graphql-composition does not.
fn mark_extension_keys(
    type_name: &Name,
    directives: &mut DirectiveList,
    subgraphs: &[Prepared],
    graph_values: &HashMap<String, Name>,
) -> Result<(), String> {
    for subgraph in subgraphs {
        let Some(graph) = graph_values.get(&subgraph.name) else {
            continue;
        };
        for (ty, fields) in &subgraph.extension_keys {
            if ty != type_name.as_str() {
                continue;
            }
            for directive in directives.0.iter_mut() {
                let matches = directive.name == "join__type"
                    && graph_of(directive) == Some(graph)
                    && directive
                        .specified_argument_by_name("key")
                        .and_then(|k| k.as_str())
                        .is_some_and(|k| same_field_set(k, fields))
                    && directive.specified_argument_by_name("extension").is_none();
                if matches {
                    let key_at = directive
                        .arguments
                        .iter()
                        .position(|a| a.name == "key")
                        .map_or(directive.arguments.len(), |i| i + 1);
                    directive
                        .make_mut()
                        .arguments
                        .insert(key_at, argument("extension", Value::Boolean(true))?);
                }
            }
        }
    }
    Ok(())
}

/// Whether two field sets are the same selection written differently
/// (whitespace, commas).
fn same_field_set(a: &str, b: &str) -> bool {
    let tokens = |s: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut word = String::new();
        for c in s.chars() {
            if c.is_whitespace() || matches!(c, ',' | '{' | '}') {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                if matches!(c, '{' | '}') {
                    out.push(c.to_string());
                }
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            out.push(word);
        }
        out
    };
    tokens(a) == tokens(b)
}

/// graphql-composition composes a key field that a subgraph marks `@external`
/// as resolvable there; Federation composition keeps `external: true` (the
/// subgraph only references the entity and cannot resolve the field, e.g. the
/// `id` of a shared interface's implementation it does not own). Once one
/// subgraph's `@join__field` is explicit, every subgraph's must be.
fn mark_external_key_fields(
    object: &mut apollo_compiler::ast::ObjectTypeDefinition,
    subgraphs: &[Prepared],
    graph_values: &HashMap<String, Name>,
) -> Result<(), String> {
    let mut type_graphs: Vec<Name> = Vec::new();
    for join in object.directives.get_all("join__type") {
        if let Some(graph) = graph_of(join)
            && !type_graphs.contains(graph)
        {
            type_graphs.push(graph.clone());
        }
    }
    for field in &mut object.fields {
        let key = (object.name.to_string(), field.name.to_string());
        let external: Vec<&Name> = subgraphs
            .iter()
            .filter(|s| s.external_key_fields.contains(&key))
            .filter_map(|s| graph_values.get(&s.name))
            .collect();
        if external.is_empty() {
            continue;
        }
        let f = field.make_mut();
        if f.directives.get("join__field").is_none() {
            for graph in &type_graphs {
                let mut arguments = vec![argument("graph", Value::Enum(graph.clone()))?];
                if external.contains(&graph) {
                    arguments.push(argument("external", Value::Boolean(true))?);
                }
                f.directives.0.push(Node::new(Directive {
                    name: name("join__field")?,
                    arguments,
                }));
            }
            continue;
        }
        for graph in external {
            let existing = f
                .directives
                .0
                .iter_mut()
                .find(|d| d.name == "join__field" && graph_of(d) == Some(graph));
            match existing {
                Some(directive) => {
                    let d = directive.make_mut();
                    d.arguments.retain(|a| a.name != "external");
                    d.arguments
                        .push(argument("external", Value::Boolean(true))?);
                }
                None => f.directives.0.push(Node::new(Directive {
                    name: name("join__field")?,
                    arguments: vec![
                        argument("graph", Value::Enum(graph.clone()))?,
                        argument("external", Value::Boolean(true))?,
                    ],
                })),
            }
        }
    }
    Ok(())
}

/// Federation composition keeps the overridden subgraph's `@join__field` where
/// the router still needs it; graphql-composition drops it:
///
/// - progressive override (`@override(from: "a", label: "percent(50)")`): the
///   source subgraph resolves the field while the label is off, so its
///   `@join__field` carries the same `overrideLabel` (Federation's progressive
///   override documentation, join v0.4 `overrideLabel`);
/// - a plain `@override` of a field the source subgraph still uses itself (in a
///   `@key`, `@requires` or `@provides`, or as an interface field's
///   implementation): `@join__field(graph: A, usedOverridden: true)`, so that
///   the planner knows the source can still provide it where it needs it.
fn keep_override_sources(
    object: &mut apollo_compiler::ast::ObjectTypeDefinition,
    subgraphs: &[Prepared],
    graph_values: &HashMap<String, Name>,
) -> Result<(), String> {
    let type_name = object.name.to_string();
    for field in &mut object.fields {
        let overrides: Vec<(String, Option<String>)> = field
            .directives
            .get_all("join__field")
            .filter_map(|d| {
                let from = d.specified_argument_by_name("override")?.as_str()?;
                let label = d
                    .specified_argument_by_name("overrideLabel")
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                Some((from.to_string(), label))
            })
            .collect();
        for (from, label) in overrides {
            let Some(source) = subgraphs.iter().find(|s| s.name == from) else {
                continue;
            };
            let Some(graph) = graph_values.get(&from) else {
                continue;
            };
            let key = (type_name.clone(), field.name.to_string());
            if !source.field_types.contains_key(&key) {
                continue;
            }
            // An `@external` field of the source never resolved it there:
            // it stays external (the override only names where it moved).
            let (argument_name, value) = match &label {
                _ if source.external_fields.contains(&key) => ("external", Value::Boolean(true)),
                Some(label) => ("overrideLabel", Value::String(label.clone())),
                None if source.used_fields.contains(&key) => {
                    ("usedOverridden", Value::Boolean(true))
                }
                None => continue,
            };
            let f = field.make_mut();
            match f
                .directives
                .0
                .iter_mut()
                .find(|d| d.name == "join__field" && graph_of(d) == Some(graph))
            {
                Some(existing) => {
                    let d = existing.make_mut();
                    d.arguments.retain(|a| a.name != argument_name);
                    d.arguments.push(argument(argument_name, value)?);
                }
                None => f.directives.0.push(Node::new(Directive {
                    name: name("join__field")?,
                    arguments: vec![
                        argument("graph", Value::Enum(graph.clone()))?,
                        argument(argument_name, value)?,
                    ],
                })),
            }
        }
    }
    Ok(())
}

/// Every subgraph defining an interface gets its `@join__type`s on it, one per
/// `@key` there, as Federation composition writes them; graphql-composition
/// leaves some out:
///
/// - a real interface (`interface_object: false`): an entity interface keyed
///   in two subgraphs is joined to the first only, and the planner then misses
///   its possible types in the other;
/// - an `@interfaceObject` (`interface_object: true`): recorded only through
///   its resolvable keys, so a subgraph whose interface object has only
///   `resolvable: false` keys had no `@join__type` at all, and the planner
///   could not start from that subgraph's fields of that type.
fn add_interface_join_types(
    interface: &mut apollo_compiler::ast::InterfaceTypeDefinition,
    subgraphs: &[Prepared],
    graph_values: &HashMap<String, Name>,
    interface_object: bool,
) -> Result<(), String> {
    for subgraph in subgraphs {
        let Some(graph) = graph_values.get(&subgraph.name) else {
            continue;
        };
        let defined = if interface_object {
            &subgraph.interface_objects
        } else {
            &subgraph.interfaces
        };
        let Some((_, keys)) = defined.iter().find(|(t, _)| t == interface.name.as_str()) else {
            continue;
        };
        if interface
            .directives
            .get_all("join__type")
            .any(|j| graph_of(j) == Some(graph))
        {
            continue;
        }
        if keys.is_empty() && !interface_object {
            interface.directives.0.push(join_type(graph)?);
        }
        for (fields, resolvable) in keys {
            let mut arguments = vec![
                argument("graph", Value::Enum(graph.clone()))?,
                argument("key", Value::String(fields.clone()))?,
            ];
            if interface_object {
                arguments.push(argument("isInterfaceObject", Value::Boolean(true))?);
                arguments.push(argument("resolvable", Value::Boolean(*resolvable))?);
            } else if !resolvable {
                arguments.push(argument("resolvable", Value::Boolean(false))?);
            }
            interface.directives.0.push(Node::new(Directive {
                name: name("join__type")?,
                arguments,
            }));
        }
    }
    Ok(())
}

/// Every directive list of a type-system document (types, fields, arguments, enum
/// values, input fields).
pub(crate) fn directive_lists(doc: &Document) -> Vec<&DirectiveList> {
    let mut lists = Vec::new();
    for definition in &doc.definitions {
        match definition {
            Definition::SchemaDefinition(d) => lists.push(&d.directives),
            Definition::SchemaExtension(d) => lists.push(&d.directives),
            Definition::ScalarTypeDefinition(d) => lists.push(&d.directives),
            Definition::ScalarTypeExtension(d) => lists.push(&d.directives),
            Definition::ObjectTypeDefinition(d) => {
                lists.push(&d.directives);
                push_fields(&mut lists, &d.fields);
            }
            Definition::ObjectTypeExtension(d) => {
                lists.push(&d.directives);
                push_fields(&mut lists, &d.fields);
            }
            Definition::InterfaceTypeDefinition(d) => {
                lists.push(&d.directives);
                push_fields(&mut lists, &d.fields);
            }
            Definition::InterfaceTypeExtension(d) => {
                lists.push(&d.directives);
                push_fields(&mut lists, &d.fields);
            }
            Definition::UnionTypeDefinition(d) => lists.push(&d.directives),
            Definition::UnionTypeExtension(d) => lists.push(&d.directives),
            Definition::EnumTypeDefinition(d) => {
                lists.push(&d.directives);
                lists.extend(d.values.iter().map(|v| &v.directives));
            }
            Definition::EnumTypeExtension(d) => {
                lists.push(&d.directives);
                lists.extend(d.values.iter().map(|v| &v.directives));
            }
            Definition::InputObjectTypeDefinition(d) => {
                lists.push(&d.directives);
                lists.extend(d.fields.iter().map(|f| &f.directives));
            }
            Definition::InputObjectTypeExtension(d) => {
                lists.push(&d.directives);
                lists.extend(d.fields.iter().map(|f| &f.directives));
            }
            _ => {}
        }
    }
    lists
}

fn push_fields<'a>(
    lists: &mut Vec<&'a DirectiveList>,
    fields: &'a [Node<apollo_compiler::ast::FieldDefinition>],
) {
    for field in fields {
        lists.push(&field.directives);
        lists.extend(field.arguments.iter().map(|a| &a.directives));
    }
}
