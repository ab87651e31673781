//! Per-subgraph preparation before graphql-composition sees the SDL: parse, resolve the
//! local names of federation directives (`@link(import:)`), run the checks the composer
//! does not, and make implied `@inaccessible` explicit.

use std::collections::{HashMap, HashSet};

use apollo_compiler::ast::{
    Definition, Directive, DirectiveList, Document, FieldDefinition, InputValueDefinition,
    OperationType, Value,
};
use apollo_compiler::{Name, Node};

use super::SubgraphSdl;
use super::diagnostics::{CompositionDiagnostic, CompositionRule};

/// A subgraph ready for the composer.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub name: String,
    /// The SDL to ingest (rewritten only when something was made explicit).
    pub sdl: String,
    /// Root operation types on which this subgraph defines at least one field.
    pub root_operations: Vec<OperationType>,
    /// Object and interface types: number of fields this subgraph resolves (not
    /// `@external`) and the description it gives, to pick the owner's description.
    pub type_docs: HashMap<String, (usize, Option<String>)>,
    /// `(type, field)`: key fields this subgraph marks `@external` on a type it
    /// defines (not an extension: there `@external` on a key field is only the
    /// Federation 1 way of referencing it). The subgraph cannot resolve them.
    pub external_key_fields: HashSet<(String, String)>,
    /// `@interfaceObject` types and their keys (`fields`, `resolvable`).
    pub interface_objects: Vec<(String, Vec<(String, bool)>)>,
    /// Interfaces this subgraph defines (not `@interfaceObject`s) and their keys
    /// (`fields`, `resolvable`).
    pub interfaces: Vec<(String, Vec<(String, bool)>)>,
    /// `(type, field)`: fields this subgraph uses itself, in a `@key`, a
    /// `@requires` or a `@provides`, or by implementing an interface field (what
    /// Federation calls used; an overridden field that is used keeps
    /// `@join__field(usedOverridden: true)`).
    pub used_fields: HashSet<(String, String)>,
    /// `(type, key fields)`: keys applied on a type extension (`extend type`,
    /// Federation 2 subgraphs) or on a type marked `@extends`; Federation
    /// writes their `@join__type` with `extension: true`.
    pub extension_keys: HashSet<(String, String)>,
    /// `(type, field)`: every field a `@provides` of this subgraph selects.
    pub provided_fields: HashSet<(String, String)>,
    /// `(type, field)`: every field this subgraph marks `@external`.
    pub external_fields: HashSet<(String, String)>,
    /// `@context`s and contextual arguments (taken out of `sdl`, see
    /// [`super::context`]).
    pub contexts: super::context::Contexts,
    /// Warnings and errors found here.
    pub diagnostics: Vec<CompositionDiagnostic>,
    /// `(enum, value)` added (as `@inaccessible`) only so that the composer
    /// accepts the enum (see `align`); this subgraph does not know them.
    pub added_enum_values: Vec<(String, String)>,
    /// `(type, field)` → the field's type as this subgraph declares it, for
    /// every object field it defines (to record differing types per subgraph).
    pub field_types: HashMap<(String, String), String>,
    /// `(type, fields)`: `@key(fields:, resolvable: false)` added to a value
    /// type that other subgraphs define as an entity, only so that the
    /// composer accepts it (see `align`); normalization removes the key again.
    pub placeholder_keys: Vec<(String, String)>,
}

/// The URL prefix of the federation spec.
const FEDERATION_SPEC: &str = "https://specs.apollo.dev/federation/";

/// Local names of federation directives in one subgraph.
pub(crate) struct FederationNames {
    imports: HashMap<String, String>,
    prefix: Option<String>,
    /// The linked federation spec version (`v2.x` → `(2, x)`); `None` without a
    /// link or when the URL's version does not parse.
    version: Option<(u32, u32)>,
    /// Imported element names as written (`@key`, `FieldSet`), in order.
    imported: Vec<String>,
}

impl FederationNames {
    /// Reads `@link(url: ".../federation/v2.x", as:, import:)` on the schema definition
    /// or extensions. Without such a link (Federation 1 style) names are unprefixed.
    pub(crate) fn from_document(doc: &Document) -> Self {
        let mut names = FederationNames {
            imports: HashMap::new(),
            prefix: None,
            version: None,
            imported: Vec::new(),
        };
        for definition in &doc.definitions {
            let directives = match definition {
                Definition::SchemaDefinition(d) => &d.directives,
                Definition::SchemaExtension(d) => &d.directives,
                _ => continue,
            };
            for link in directives.iter() {
                let Some(url) = link
                    .specified_argument_by_name("url")
                    .and_then(|v| v.as_str())
                else {
                    continue;
                };
                let Some(version) = url.strip_prefix(FEDERATION_SPEC) else {
                    continue;
                };
                names.version = version
                    .trim_end_matches('/')
                    .strip_prefix('v')
                    .and_then(|v| v.split_once('.'))
                    .and_then(|(major, minor)| Some((major.parse().ok()?, minor.parse().ok()?)));
                names.prefix = Some(
                    link.specified_argument_by_name("as")
                        .and_then(|v| v.as_str())
                        .unwrap_or("federation")
                        .to_string(),
                );
                let imports = link
                    .specified_argument_by_name("import")
                    .and_then(|v| v.as_list())
                    .unwrap_or_default();
                for import in imports {
                    let (name, alias) = match import.as_ref() {
                        Value::String(name) => (name.clone(), name.clone()),
                        Value::Object(fields) => {
                            let get = |key: &str| {
                                fields
                                    .iter()
                                    .find(|(k, _)| k == key)
                                    .and_then(|(_, v)| v.as_str())
                                    .map(str::to_string)
                            };
                            let Some(name) = get("name") else { continue };
                            let alias = get("as").unwrap_or_else(|| name.clone());
                            (name, alias)
                        }
                        _ => continue,
                    };
                    names.imported.push(name.to_string());
                    names.imports.insert(
                        name.trim_start_matches('@').to_string(),
                        alias.trim_start_matches('@').to_string(),
                    );
                }
            }
        }
        names
    }

    /// Whether the subgraph links the Federation 2 spec.
    pub(crate) fn is_federation_2(&self) -> bool {
        self.prefix.is_some()
    }

    /// The local name of a federation directive such as `inaccessible`.
    pub(crate) fn local(&self, spec_name: &str) -> String {
        if let Some(alias) = self.imports.get(spec_name) {
            return alias.clone();
        }
        match &self.prefix {
            Some(prefix) => format!("{prefix}__{spec_name}"),
            None => spec_name.to_string(),
        }
    }
}

pub(crate) fn prepare(
    subgraph: &SubgraphSdl,
    all_names: &[String],
) -> Result<Prepared, CompositionDiagnostic> {
    let name = &subgraph.name;
    let mut doc = Document::parse(subgraph.sdl.as_str(), format!("{name}.graphql")).map_err(
        |with_errors| {
            CompositionDiagnostic::error(
                CompositionRule::InvalidGraphql,
                vec![name.clone()],
                None,
                format!("[{name}] the SDL does not parse: {}", with_errors.errors),
            )
        },
    )?;
    let fed = FederationNames::from_document(&doc);
    let mut diagnostics = Vec::new();
    check_link_version(&doc, &fed, name, &mut diagnostics);
    check_overrides(&doc, &fed, name, all_names, &mut diagnostics);
    let root_operations = root_operations_with_fields(&doc);
    let type_docs = type_docs(&doc, &fed);
    let external_key_fields = external_key_fields(&doc, &fed);
    let interface_objects = interface_objects(&doc, &fed);
    let interfaces = interfaces(&doc, &fed);
    let used_fields = used_fields(&doc, &fed);
    let provided_fields = provided_fields(&doc, &fed);
    let extension_keys = extension_keys(&doc, &fed);
    let external_name = fed.local("external");
    let external_fields = object_fields(&doc)
        .filter(|(_, f)| f.directives.get(&external_name).is_some())
        .map(|(ty, f)| (ty.to_string(), f.name.to_string()))
        .collect();
    let contexts = super::context::take(&mut doc, &fed, name, &mut diagnostics);
    let shared = make_nested_key_fields_shareable(&mut doc, &fed);
    let shared = shareable_types_as_fields(&mut doc, &fed) || shared;
    let cost = cost_directives_as_builtins(&mut doc, &fed);
    let changed =
        make_inaccessible_explicit(&mut doc, &fed) || shared || cost || !contexts.is_empty();
    let sdl = if changed {
        doc.to_string()
    } else {
        subgraph.sdl.clone()
    };
    Ok(Prepared {
        name: name.clone(),
        sdl,
        root_operations,
        type_docs,
        external_key_fields,
        interface_objects,
        interfaces,
        used_fields,
        provided_fields,
        extension_keys,
        external_fields,
        contexts,
        diagnostics,
        added_enum_values: Vec::new(),
        placeholder_keys: Vec::new(),
        field_types: object_fields(&doc)
            .map(|(ty, f)| ((ty.to_string(), f.name.to_string()), f.ty.to_string()))
            .collect(),
    })
}

/// The demand-control directives of the cost spec.
const COST_DIRECTIVES: [&str; 2] = ["cost", "listSize"];

/// graphql-composition keeps `@cost` / `@listSize` only under those bare
/// names, not when imported through `@link` (Federation v2.9 imports them
/// from the federation spec; others link `https://specs.apollo.dev/cost`):
/// such imports are dropped from the links and every use (under its local
/// name) is renamed to the bare name, so the composer carries them into the
/// supergraph. Returns whether anything changed.
fn cost_directives_as_builtins(doc: &mut Document, fed: &FederationNames) -> bool {
    let mut renames: HashMap<String, String> = HashMap::new();
    for name in COST_DIRECTIVES {
        let local = fed.local(name);
        if fed.imports.contains_key(name) && local != name {
            renames.insert(local, name.to_string());
        }
    }
    let mut changed = false;
    for definition in &mut doc.definitions {
        let directives = match definition {
            Definition::SchemaDefinition(d) => &mut d.make_mut().directives,
            Definition::SchemaExtension(d) => &mut d.make_mut().directives,
            _ => continue,
        };
        for link in directives.iter_mut() {
            let url = link
                .specified_argument_by_name("url")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if link.name != "link"
                || !(url.starts_with(FEDERATION_SPEC) || url.starts_with(COST_SPEC))
            {
                continue;
            }
            let is_cost_spec = url.starts_with(COST_SPEC);
            let link = link.make_mut();
            for argument in &mut link.arguments {
                if argument.name != "import" {
                    continue;
                }
                let Value::List(items) = argument.make_mut().value.make_mut() else {
                    continue;
                };
                let before = items.len();
                items.retain(|item| {
                    let (name, alias) = match item.as_ref() {
                        Value::String(name) => (name.as_str(), None),
                        Value::Object(fields) => {
                            let get = |key: &str| {
                                fields
                                    .iter()
                                    .find(|(k, _)| k == key)
                                    .and_then(|(_, v)| v.as_str())
                            };
                            (get("name").unwrap_or_default(), get("as"))
                        }
                        _ => return true,
                    };
                    let bare = name.trim_start_matches('@');
                    if !COST_DIRECTIVES.contains(&bare) {
                        return true;
                    }
                    if is_cost_spec && let Some(alias) = alias {
                        renames.insert(alias.trim_start_matches('@').to_string(), bare.to_string());
                    }
                    false
                });
                changed |= items.len() != before;
            }
        }
    }
    if renames.is_empty() {
        return changed;
    }
    for definition in &mut doc.definitions {
        for list in directive_lists_mut(definition) {
            for directive in list.iter_mut() {
                if let Some(bare) = renames.get(directive.name.as_str())
                    && let Ok(name) = Name::new(bare)
                {
                    directive.make_mut().name = name;
                    changed = true;
                }
            }
        }
    }
    changed
}

/// The URL prefix of the cost spec.
const COST_SPEC: &str = "https://specs.apollo.dev/cost/";

/// Every directive list of a type definition or extension where a cost
/// directive may stand: the type, its fields, their arguments, enum values,
/// input fields.
fn directive_lists_mut(definition: &mut Definition) -> Vec<&mut DirectiveList> {
    fn fields(fields: &mut [Node<FieldDefinition>]) -> Vec<&mut DirectiveList> {
        let mut lists = Vec::new();
        for field in fields {
            let field = field.make_mut();
            lists.push(&mut field.directives);
            for argument in &mut field.arguments {
                lists.push(&mut argument.make_mut().directives);
            }
        }
        lists
    }
    fn inputs(fields: &mut [Node<InputValueDefinition>]) -> Vec<&mut DirectiveList> {
        fields
            .iter_mut()
            .map(|f| &mut f.make_mut().directives)
            .collect()
    }
    let mut lists = Vec::new();
    match definition {
        Definition::ObjectTypeDefinition(d) => {
            let d = d.make_mut();
            lists.push(&mut d.directives);
            lists.extend(fields(&mut d.fields));
        }
        Definition::ObjectTypeExtension(d) => {
            let d = d.make_mut();
            lists.push(&mut d.directives);
            lists.extend(fields(&mut d.fields));
        }
        Definition::InterfaceTypeDefinition(d) => {
            let d = d.make_mut();
            lists.push(&mut d.directives);
            lists.extend(fields(&mut d.fields));
        }
        Definition::InterfaceTypeExtension(d) => {
            let d = d.make_mut();
            lists.push(&mut d.directives);
            lists.extend(fields(&mut d.fields));
        }
        Definition::InputObjectTypeDefinition(d) => {
            let d = d.make_mut();
            lists.push(&mut d.directives);
            lists.extend(inputs(&mut d.fields));
        }
        Definition::InputObjectTypeExtension(d) => {
            let d = d.make_mut();
            lists.push(&mut d.directives);
            lists.extend(inputs(&mut d.fields));
        }
        Definition::ScalarTypeDefinition(d) => lists.push(&mut d.make_mut().directives),
        Definition::ScalarTypeExtension(d) => lists.push(&mut d.make_mut().directives),
        Definition::EnumTypeDefinition(d) => lists.push(&mut d.make_mut().directives),
        Definition::EnumTypeExtension(d) => lists.push(&mut d.make_mut().directives),
        _ => {}
    }
    lists
}

/// The `fields` and `resolvable` of each `@key` in `directives`.
pub(crate) fn keys(directives: &DirectiveList, fed: &FederationNames) -> Vec<(String, bool)> {
    directives
        .get_all(&fed.local("key"))
        .filter_map(|key| {
            let fields = key.specified_argument_by_name("fields")?.as_str()?;
            let resolvable = !matches!(
                key.specified_argument_by_name("resolvable")
                    .map(|v| v.as_ref()),
                Some(Value::Boolean(false))
            );
            Some((fields.to_string(), resolvable))
        })
        .collect()
}

/// The top-level field names of a field set (`"id owner { id }"` → `id`, `owner`).
pub(crate) fn top_level_fields(field_set: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut in_arguments = 0usize;
    for c in field_set.chars().chain(std::iter::once(' ')) {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '(' => in_arguments += 1,
            ')' => in_arguments = in_arguments.saturating_sub(1),
            c if (c.is_ascii_alphanumeric() || c == '_') && depth == 0 && in_arguments == 0 => {
                current.push(c);
                continue;
            }
            _ => {}
        }
        if !current.is_empty() {
            names.push(std::mem::take(&mut current));
        }
    }
    names
}

/// A field of a key's field set and its sub-selection.
struct KeyField {
    name: String,
    children: Vec<KeyField>,
}

/// Parses a field set (`"id owner { id kind }"`), skipping arguments.
fn key_field_tree(field_set: &str) -> Vec<KeyField> {
    fn level(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Vec<KeyField> {
        let mut fields: Vec<KeyField> = Vec::new();
        let mut current = String::new();
        while let Some(c) = chars.next() {
            match c {
                c if c.is_ascii_alphanumeric() || c == '_' => {
                    current.push(c);
                    continue;
                }
                '(' => {
                    for c in chars.by_ref() {
                        if c == ')' {
                            break;
                        }
                    }
                }
                _ => {}
            }
            if !current.is_empty() {
                fields.push(KeyField {
                    name: std::mem::take(&mut current),
                    children: Vec::new(),
                });
            }
            match c {
                '{' => {
                    let children = level(chars);
                    if let Some(last) = fields.last_mut() {
                        last.children = children;
                    }
                }
                '}' => return fields,
                _ => {}
            }
        }
        if !current.is_empty() {
            fields.push(KeyField {
                name: current,
                children: Vec::new(),
            });
        }
        fields
    }
    level(&mut field_set.chars().peekable())
}

/// Federation treats every field of a key's field set as shareable, nested ones
/// too (`@key(fields: "id compositeId { one two }")` makes `CompositeID.one` and
/// `.two` shareable); graphql-composition only the key's top-level fields. Marks
/// the nested ones `@shareable` (Federation 2 subgraphs).
fn make_nested_key_fields_shareable(doc: &mut Document, fed: &FederationNames) -> bool {
    if !fed.is_federation_2() {
        return false;
    }
    let shareable = fed.local("shareable");
    let Ok(directive_name) = Name::new(&shareable) else {
        return false;
    };
    // Field types (named type) of object and interface types.
    let mut field_types: HashMap<(String, String), String> = HashMap::new();
    for (type_name, field) in object_fields(doc) {
        field_types.insert(
            (type_name.to_string(), field.name.to_string()),
            field.ty.inner_named_type().to_string(),
        );
    }
    fn collect(
        parent: &str,
        fields: &[KeyField],
        field_types: &HashMap<(String, String), String>,
        marks: &mut HashSet<(String, String)>,
    ) {
        for field in fields.iter().filter(|f| !f.children.is_empty()) {
            let Some(child_type) = field_types.get(&(parent.to_string(), field.name.clone()))
            else {
                continue;
            };
            for child in &field.children {
                marks.insert((child_type.clone(), child.name.clone()));
            }
            collect(child_type, &field.children, field_types, marks);
        }
    }
    let mut marks: HashSet<(String, String)> = HashSet::new();
    for definition in &doc.definitions {
        let (name, directives) = match definition {
            Definition::ObjectTypeDefinition(d) => (&d.name, &d.directives),
            Definition::ObjectTypeExtension(d) => (&d.name, &d.directives),
            Definition::InterfaceTypeDefinition(d) => (&d.name, &d.directives),
            _ => continue,
        };
        for (fields, _) in keys(directives, fed) {
            collect(name, &key_field_tree(&fields), &field_types, &mut marks);
        }
    }
    if marks.is_empty() {
        return false;
    }
    let mut changed = false;
    for definition in doc.definitions.iter_mut() {
        let (name, fields) = match definition {
            Definition::ObjectTypeDefinition(d) => {
                let name = d.name.to_string();
                (name, &mut d.make_mut().fields)
            }
            Definition::ObjectTypeExtension(d) => {
                let name = d.name.to_string();
                (name, &mut d.make_mut().fields)
            }
            _ => continue,
        };
        for field in fields.iter_mut() {
            if marks.contains(&(name.clone(), field.name.to_string()))
                && field.directives.get(&shareable).is_none()
            {
                field.make_mut().directives.0.push(Node::new(Directive {
                    name: directive_name.clone(),
                    arguments: Vec::new(),
                }));
                changed = true;
            }
        }
    }
    changed
}

/// `@shareable` on an object type means each field that definition declares
/// is shareable (federation spec, "@shareable"); it does not oblige other
/// subgraphs to define the same fields. graphql-composition refuses a
/// shareable type whose definitions have different fields
/// (`SHAREABLE_FIELD_MISSING`, a rule of the composite-schemas draft, not of
/// Federation), so the type-level directive is moved onto the fields it
/// covers: the same meaning, which the composer accepts.
fn shareable_types_as_fields(doc: &mut Document, fed: &FederationNames) -> bool {
    if !fed.is_federation_2() {
        return false;
    }
    let shareable = fed.local("shareable");
    let Ok(shareable_name) = Name::new(&shareable) else {
        return false;
    };
    let mut changed = false;
    for definition in &mut doc.definitions {
        let (directives, fields) = match definition {
            Definition::ObjectTypeDefinition(o) => {
                if o.directives.get(&shareable).is_none() {
                    continue;
                }
                let o = o.make_mut();
                (&mut o.directives, &mut o.fields)
            }
            Definition::ObjectTypeExtension(o) => {
                if o.directives.get(&shareable).is_none() {
                    continue;
                }
                let o = o.make_mut();
                (&mut o.directives, &mut o.fields)
            }
            _ => continue,
        };
        directives.0.retain(|d| d.name != shareable_name);
        for field in fields.iter_mut() {
            if field.directives.get(&shareable).is_none() {
                field.make_mut().directives.0.push(Node::new(Directive {
                    name: shareable_name.clone(),
                    arguments: Vec::new(),
                }));
            }
        }
        changed = true;
    }
    changed
}

/// See [`Prepared::external_key_fields`]. Federation 2 subgraphs only: Federation
/// 1 marks key fields `@external` wherever it references a type.
fn external_key_fields(doc: &Document, fed: &FederationNames) -> HashSet<(String, String)> {
    let mut found = HashSet::new();
    if !fed.is_federation_2() {
        return found;
    }
    let external = fed.local("external");
    let extends = fed.local("extends");
    for definition in &doc.definitions {
        let Definition::ObjectTypeDefinition(d) = definition else {
            continue;
        };
        if d.directives.get(&extends).is_some() {
            continue;
        }
        let key_fields: HashSet<String> = keys(&d.directives, fed)
            .iter()
            .flat_map(|(fields, _)| top_level_fields(fields))
            .collect();
        for field in &d.fields {
            if field.directives.get(&external).is_some() && key_fields.contains(field.name.as_str())
            {
                found.insert((d.name.to_string(), field.name.to_string()));
            }
        }
    }
    found
}

/// See [`Prepared::interface_objects`].
fn interface_objects(doc: &Document, fed: &FederationNames) -> Vec<(String, Vec<(String, bool)>)> {
    let interface_object = fed.local("interfaceObject");
    doc.definitions
        .iter()
        .filter_map(|definition| {
            let (name, directives) = match definition {
                Definition::ObjectTypeDefinition(d) => (&d.name, &d.directives),
                Definition::ObjectTypeExtension(d) => (&d.name, &d.directives),
                _ => return None,
            };
            directives.get(&interface_object)?;
            Some((name.to_string(), keys(directives, fed)))
        })
        .collect()
}

/// See [`Prepared::interfaces`].
fn interfaces(doc: &Document, fed: &FederationNames) -> Vec<(String, Vec<(String, bool)>)> {
    let mut found: Vec<(String, Vec<(String, bool)>)> = Vec::new();
    for definition in &doc.definitions {
        let (name, directives) = match definition {
            Definition::InterfaceTypeDefinition(d) => (&d.name, &d.directives),
            Definition::InterfaceTypeExtension(d) => (&d.name, &d.directives),
            _ => continue,
        };
        let keys = keys(directives, fed);
        match found.iter_mut().find(|(n, _)| n == name.as_str()) {
            Some((_, existing)) => existing.extend(keys),
            None => found.push((name.to_string(), keys)),
        }
    }
    found
}

/// See [`Prepared::used_fields`].
/// Marks every `(type, field)` a field set selects, starting at `parent`
/// (`field_types`: `(type, field)` → the field's named type); fields of
/// unknown types are skipped.
fn mark(
    parent: &str,
    fields: &[KeyField],
    field_types: &HashMap<(String, String), String>,
    used: &mut HashSet<(String, String)>,
) {
    for field in fields {
        let key = (parent.to_string(), field.name.clone());
        match field_types.get(&key) {
            Some(child) => {
                mark(child, &field.children, field_types, used);
                used.insert(key);
            }
            // `... on T { … }`: `on`, then the type condition and its fields.
            None if !field.children.is_empty() => {
                mark(&field.name, &field.children, field_types, used);
            }
            None => {}
        }
    }
}

/// See [`Prepared::extension_keys`].
fn extension_keys(doc: &Document, fed: &FederationNames) -> HashSet<(String, String)> {
    let extends = fed.local("extends");
    let marked_extends: HashSet<&str> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::ObjectTypeDefinition(o) if o.directives.get(&extends).is_some() => {
                Some(o.name.as_str())
            }
            Definition::InterfaceTypeDefinition(i) if i.directives.get(&extends).is_some() => {
                Some(i.name.as_str())
            }
            _ => None,
        })
        .collect();
    let mut found = HashSet::new();
    for definition in &doc.definitions {
        let (name, directives, extension) = match definition {
            Definition::ObjectTypeDefinition(o) => (&o.name, &o.directives, false),
            Definition::InterfaceTypeDefinition(i) => (&i.name, &i.directives, false),
            Definition::ObjectTypeExtension(o) => (&o.name, &o.directives, true),
            Definition::InterfaceTypeExtension(i) => (&i.name, &i.directives, true),
            _ => continue,
        };
        // A Federation 1 `extend type` is upgraded to a definition (only
        // `@extends` stays an extension there).
        if (extension && fed.is_federation_2()) || marked_extends.contains(name.as_str()) {
            for (fields, _) in keys(directives, fed) {
                found.insert((name.to_string(), fields));
            }
        }
    }
    found
}

/// `(type, field)`: the fields some `@provides` of this subgraph selects
/// (nested selections too; a field selected on an interface counts for each
/// implementation the subgraph defines, as Federation collects a provides'
/// target fields). An `@external` field among them is what Federation calls
/// partially external: the subgraph resolves it below the providing field.
fn provided_fields(doc: &Document, fed: &FederationNames) -> HashSet<(String, String)> {
    let provides = fed.local("provides");
    let mut field_types: HashMap<(String, String), String> = HashMap::new();
    let mut implementations: HashMap<String, Vec<String>> = HashMap::new();
    let mut selections = Vec::new();
    for definition in &doc.definitions {
        let (name, fields, implements): (_, &[Node<FieldDefinition>], &[Name]) = match definition {
            Definition::ObjectTypeDefinition(d) => (&d.name, &d.fields, &d.implements_interfaces),
            Definition::ObjectTypeExtension(d) => (&d.name, &d.fields, &d.implements_interfaces),
            Definition::InterfaceTypeDefinition(d) => (&d.name, &d.fields, &[]),
            Definition::InterfaceTypeExtension(d) => (&d.name, &d.fields, &[]),
            _ => continue,
        };
        for interface in implements {
            implementations
                .entry(interface.to_string())
                .or_default()
                .push(name.to_string());
        }
        for field in fields {
            field_types.insert(
                (name.to_string(), field.name.to_string()),
                field.ty.inner_named_type().to_string(),
            );
            if let Some(selection) = field
                .directives
                .get(&provides)
                .and_then(|d| d.specified_argument_by_name("fields"))
                .and_then(|v| v.as_str())
            {
                selections.push((
                    field.ty.inner_named_type().to_string(),
                    selection.to_string(),
                ));
            }
        }
    }
    let mut provided = HashSet::new();
    for (target, selection) in selections {
        mark(
            &target,
            &key_field_tree(&selection),
            &field_types,
            &mut provided,
        );
    }
    let on_interfaces: Vec<(String, String)> = provided
        .iter()
        .filter(|(ty, _)| implementations.contains_key(ty))
        .cloned()
        .collect();
    for (interface, field) in on_interfaces {
        for object in &implementations[&interface] {
            let key = (object.clone(), field.clone());
            if field_types.contains_key(&key) {
                provided.insert(key);
            }
        }
    }
    provided
}

fn used_fields(doc: &Document, fed: &FederationNames) -> HashSet<(String, String)> {
    let requires = fed.local("requires");
    let provides = fed.local("provides");
    let mut field_types: HashMap<(String, String), String> = HashMap::new();
    for (type_name, field) in object_fields(doc) {
        field_types.insert(
            (type_name.to_string(), field.name.to_string()),
            field.ty.inner_named_type().to_string(),
        );
    }
    let string_argument = |directive: Option<&Node<Directive>>| {
        directive
            .and_then(|d| d.specified_argument_by_name("fields"))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut used = HashSet::new();
    let mut implementations: Vec<(String, String)> = Vec::new();
    let mut interface_fields: HashMap<String, Vec<String>> = HashMap::new();
    for definition in &doc.definitions {
        let (name, directives, fields, implements): (_, _, &[Node<FieldDefinition>], &[Name]) =
            match definition {
                Definition::ObjectTypeDefinition(d) => {
                    (&d.name, &d.directives, &d.fields, &d.implements_interfaces)
                }
                Definition::ObjectTypeExtension(d) => {
                    (&d.name, &d.directives, &d.fields, &d.implements_interfaces)
                }
                Definition::InterfaceTypeDefinition(d) => {
                    interface_fields
                        .entry(d.name.to_string())
                        .or_default()
                        .extend(d.fields.iter().map(|f| f.name.to_string()));
                    (&d.name, &d.directives, &d.fields, &d.implements_interfaces)
                }
                Definition::InterfaceTypeExtension(d) => {
                    interface_fields
                        .entry(d.name.to_string())
                        .or_default()
                        .extend(d.fields.iter().map(|f| f.name.to_string()));
                    (&d.name, &d.directives, &d.fields, &d.implements_interfaces)
                }
                _ => continue,
            };
        for (fields, _) in keys(directives, fed) {
            mark(name, &key_field_tree(&fields), &field_types, &mut used);
        }
        for field in fields {
            if let Some(selection) = string_argument(field.directives.get(&requires)) {
                mark(name, &key_field_tree(&selection), &field_types, &mut used);
            }
            if let Some(selection) = string_argument(field.directives.get(&provides)) {
                let target = field.ty.inner_named_type().to_string();
                mark(
                    &target,
                    &key_field_tree(&selection),
                    &field_types,
                    &mut used,
                );
            }
        }
        implementations.extend(
            implements
                .iter()
                .map(|interface| (name.to_string(), interface.to_string())),
        );
    }
    for (object, interface) in implementations {
        for field in interface_fields.get(&interface).into_iter().flatten() {
            let key = (object.clone(), field.clone());
            if field_types.contains_key(&key) {
                used.insert(key);
            }
        }
    }
    used
}

fn type_docs(doc: &Document, fed: &FederationNames) -> HashMap<String, (usize, Option<String>)> {
    let external = fed.local("external");
    let resolved = |fields: &[Node<FieldDefinition>]| {
        fields
            .iter()
            .filter(|f| f.directives.get(&external).is_none())
            .count()
    };
    let mut docs: HashMap<String, (usize, Option<String>)> = HashMap::new();
    for definition in &doc.definitions {
        let (name, count, description) = match definition {
            Definition::ObjectTypeDefinition(d) => (&d.name, resolved(&d.fields), &d.description),
            Definition::InterfaceTypeDefinition(d) => {
                (&d.name, resolved(&d.fields), &d.description)
            }
            Definition::ObjectTypeExtension(d) => (&d.name, resolved(&d.fields), &None),
            Definition::InterfaceTypeExtension(d) => (&d.name, resolved(&d.fields), &None),
            _ => continue,
        };
        let entry = docs.entry(name.to_string()).or_insert((0, None));
        entry.0 += count;
        if let Some(description) = description {
            entry.1 = Some(description.to_string());
        }
    }
    docs
}

/// Object fields of every object type definition and extension, with the type name.
fn object_fields(doc: &Document) -> impl Iterator<Item = (&Name, &Node<FieldDefinition>)> {
    doc.definitions.iter().flat_map(|definition| {
        let (type_name, fields): (Option<&Name>, &[Node<FieldDefinition>]) = match definition {
            Definition::ObjectTypeDefinition(d) => (Some(&d.name), &d.fields),
            Definition::ObjectTypeExtension(d) => (Some(&d.name), &d.fields),
            Definition::InterfaceTypeDefinition(d) => (Some(&d.name), &d.fields),
            Definition::InterfaceTypeExtension(d) => (Some(&d.name), &d.fields),
            _ => (None, &[]),
        };
        fields.iter().filter_map(move |f| type_name.map(|t| (t, f)))
    })
}

/// `@override` rules graphql-composition 0.12 does not check (federation spec,
/// "@override"): not together with `@external`; `from:` should name a subgraph.
/// The elements of the federation spec and the version that introduced each
/// (Apollo Federation's subgraph specification, "Federation versions"):
/// `@composeDirective` 2.1, `@interfaceObject` 2.3, `@authenticated` /
/// `@requiresScopes` 2.5, `@policy` 2.6, `@override(label:)` 2.7, `@context` /
/// `@fromContext` 2.8, `@cost` / `@listSize` 2.9, `@cacheTag` 2.12.
const FEDERATION_ELEMENTS: &[(&str, (u32, u32))] = &[
    ("@key", (2, 0)),
    ("@requires", (2, 0)),
    ("@provides", (2, 0)),
    ("@external", (2, 0)),
    ("@tag", (2, 0)),
    ("@extends", (2, 0)),
    ("@shareable", (2, 0)),
    ("@inaccessible", (2, 0)),
    ("@override", (2, 0)),
    ("FieldSet", (2, 0)),
    ("@composeDirective", (2, 1)),
    ("@interfaceObject", (2, 3)),
    ("@authenticated", (2, 5)),
    ("@requiresScopes", (2, 5)),
    ("Scope", (2, 5)),
    ("@policy", (2, 6)),
    ("Policy", (2, 6)),
    ("@context", (2, 8)),
    ("@fromContext", (2, 8)),
    ("ContextFieldValue", (2, 8)),
    ("@cost", (2, 9)),
    ("@listSize", (2, 9)),
    ("@cacheTag", (2, 12)),
];

/// The newest federation spec version [`FEDERATION_ELEMENTS`] describes
/// (2.13 and 2.14 added no directive or type).
const NEWEST_FEDERATION_VERSION: (u32, u32) = (2, 14);

/// The version of the federation spec that introduced `@override(label:)`.
const OVERRIDE_LABEL_VERSION: (u32, u32) = (2, 7);

/// What the linked federation version offers, as Federation checks it: an
/// import the version does not define (`INVALID_LINK_DIRECTIVE_USAGE`, "Cannot
/// import unknown element"), `@override(label:)` before v2.7 (`INVALID_GRAPHQL`,
/// an unknown argument). Versions newer than the table are not judged.
fn check_link_version(
    doc: &Document,
    fed: &FederationNames,
    subgraph: &str,
    diagnostics: &mut Vec<CompositionDiagnostic>,
) {
    let Some(version) = fed.version else { return };
    let known = |element: &str| {
        FEDERATION_ELEMENTS
            .iter()
            .any(|(name, since)| *name == element && *since <= version)
    };
    if version.0 != 2 || version > NEWEST_FEDERATION_VERSION {
        // A version this table may not describe: nothing is refused.
        return;
    }
    for element in &fed.imported {
        if !known(element) {
            diagnostics.push(CompositionDiagnostic::error(
                CompositionRule::InvalidLinkDirectiveUsage,
                vec![subgraph.to_string()],
                Some(element.clone()),
                format!(
                    "[{subgraph}] Cannot import unknown element \"{element}\" (federation v{}.{} \
                     does not define it).",
                    version.0, version.1
                ),
            ));
        }
    }
    if version < OVERRIDE_LABEL_VERSION {
        let override_name = fed.local("override");
        for (type_name, field) in object_fields(doc) {
            if field
                .directives
                .get(&override_name)
                .is_some_and(|d| d.specified_argument_by_name("label").is_some())
            {
                diagnostics.push(CompositionDiagnostic::error(
                    CompositionRule::InvalidGraphql,
                    vec![subgraph.to_string()],
                    Some(format!("{type_name}.{}", field.name)),
                    format!(
                        "[{subgraph}] Unknown argument \"label\" on directive \"@{override_name}\" \
                         (progressive @override needs federation v2.7 or later, the subgraph \
                         links v{}.{}).",
                        version.0, version.1
                    ),
                ));
            }
        }
    }
}

fn check_overrides(
    doc: &Document,
    fed: &FederationNames,
    subgraph: &str,
    all_names: &[String],
    diagnostics: &mut Vec<CompositionDiagnostic>,
) {
    let override_name = fed.local("override");
    let external_name = fed.local("external");
    for (type_name, field) in object_fields(doc) {
        let Some(directive) = field.directives.get(&override_name) else {
            continue;
        };
        let coordinate = format!("{type_name}.{}", field.name);
        if field.directives.get(&external_name).is_some() {
            diagnostics.push(CompositionDiagnostic::error(
                CompositionRule::OverrideCollisionWithAnotherDirective,
                vec![subgraph.to_string()],
                Some(coordinate.clone()),
                format!(
                    "[{subgraph}] the field {coordinate} is both @override and @external: an \
                     overriding field must be resolved by its own subgraph"
                ),
            ));
        }
        if let Some(from) = directive
            .specified_argument_by_name("from")
            .and_then(|v| v.as_str())
            && from != subgraph
            && !all_names.iter().any(|n| n == from)
        {
            diagnostics.push(CompositionDiagnostic::warning(
                CompositionRule::FromSubgraphDoesNotExist,
                vec![subgraph.to_string()],
                Some(coordinate.clone()),
                format!(
                    "[{subgraph}] the field {coordinate} overrides it from subgraph \"{from}\", \
                     which is not part of this composition"
                ),
            ));
        }
    }
}

/// Root operation types (by kind) on which the subgraph defines fields other than the
/// federation plumbing (`_service`, `_entities`).
fn root_operations_with_fields(doc: &Document) -> Vec<OperationType> {
    let mut roots: Vec<(OperationType, String)> = vec![
        (OperationType::Query, "Query".into()),
        (OperationType::Mutation, "Mutation".into()),
        (OperationType::Subscription, "Subscription".into()),
    ];
    for definition in &doc.definitions {
        let operations = match definition {
            Definition::SchemaDefinition(d) => &d.root_operations,
            Definition::SchemaExtension(d) => &d.root_operations,
            _ => continue,
        };
        for operation in operations {
            let (kind, ty) = operation.as_ref();
            for root in roots.iter_mut() {
                if root.0 == *kind {
                    root.1 = ty.to_string();
                }
            }
        }
    }
    let mut with_fields = Vec::new();
    for (kind, type_name) in roots {
        let has_fields = object_fields(doc).any(|(t, f)| {
            t.as_str() == type_name && !matches!(f.name.as_str(), "_service" | "_entities")
        });
        if has_fields {
            with_fields.push(kind);
        }
    }
    with_fields
}

/// Inaccessible spec v0.2: an element whose parent is inaccessible is inaccessible too.
/// graphql-composition insists that a field or argument whose type is inaccessible be
/// marked itself, even inside an inaccessible parent; mark those explicitly.
/// Returns whether anything changed.
fn make_inaccessible_explicit(doc: &mut Document, fed: &FederationNames) -> bool {
    let inaccessible = fed.local("inaccessible");
    let Ok(directive_name) = Name::new(&inaccessible) else {
        return false;
    };
    let is_marked = |directives: &DirectiveList| directives.get(&inaccessible).is_some();

    let mut inaccessible_types: HashSet<String> = HashSet::new();
    for definition in &doc.definitions {
        let marked = match definition {
            Definition::ObjectTypeDefinition(d) => is_marked(&d.directives),
            Definition::ObjectTypeExtension(d) => is_marked(&d.directives),
            Definition::InterfaceTypeDefinition(d) => is_marked(&d.directives),
            Definition::InterfaceTypeExtension(d) => is_marked(&d.directives),
            Definition::UnionTypeDefinition(d) => is_marked(&d.directives),
            Definition::EnumTypeDefinition(d) => is_marked(&d.directives),
            Definition::InputObjectTypeDefinition(d) => is_marked(&d.directives),
            Definition::InputObjectTypeExtension(d) => is_marked(&d.directives),
            Definition::ScalarTypeDefinition(d) => is_marked(&d.directives),
            _ => false,
        };
        if marked && let Some(name) = definition.name() {
            inaccessible_types.insert(name.to_string());
        }
    }
    if inaccessible_types.is_empty() {
        return false;
    }
    let mark = || {
        Node::new(Directive {
            name: directive_name.clone(),
            arguments: Vec::new(),
        })
    };
    let needs_mark = |ty: &apollo_compiler::ast::Type, directives: &DirectiveList| {
        inaccessible_types.contains(ty.inner_named_type().as_str())
            && directives.get(&inaccessible).is_none()
    };

    let mut changed = false;
    let mut mark_fields = |parent_marked: bool, fields: &mut Vec<Node<FieldDefinition>>| {
        for field in fields.iter_mut() {
            let field_marked = parent_marked || is_marked(&field.directives);
            if parent_marked && needs_mark(&field.ty, &field.directives) {
                field.make_mut().directives.0.push(mark());
                changed = true;
            }
            if field_marked {
                for argument in field.make_mut().arguments.iter_mut() {
                    if needs_mark(&argument.ty, &argument.directives) {
                        argument.make_mut().directives.0.push(mark());
                        changed = true;
                    }
                }
            }
        }
    };
    let mut input_changed = false;
    let mut mark_inputs = |parent_marked: bool, fields: &mut Vec<Node<InputValueDefinition>>| {
        if !parent_marked {
            return;
        }
        for field in fields.iter_mut() {
            if needs_mark(&field.ty, &field.directives) {
                field.make_mut().directives.0.push(mark());
                input_changed = true;
            }
        }
    };
    for definition in doc.definitions.iter_mut() {
        match definition {
            Definition::ObjectTypeDefinition(d) => {
                let marked = is_marked(&d.directives);
                mark_fields(marked, &mut d.make_mut().fields);
            }
            Definition::ObjectTypeExtension(d) => {
                let marked = is_marked(&d.directives);
                mark_fields(marked, &mut d.make_mut().fields);
            }
            Definition::InterfaceTypeDefinition(d) => {
                let marked = is_marked(&d.directives);
                mark_fields(marked, &mut d.make_mut().fields);
            }
            Definition::InterfaceTypeExtension(d) => {
                let marked = is_marked(&d.directives);
                mark_fields(marked, &mut d.make_mut().fields);
            }
            Definition::InputObjectTypeDefinition(d) => {
                let marked = is_marked(&d.directives);
                mark_inputs(marked, &mut d.make_mut().fields);
            }
            Definition::InputObjectTypeExtension(d) => {
                let marked = is_marked(&d.directives);
                mark_inputs(marked, &mut d.make_mut().fields);
            }
            _ => {}
        }
    }
    changed || input_changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepare_sdl(sdl: &str) -> Prepared {
        let subgraph = SubgraphSdl::new("inventory", "http://x", sdl);
        match prepare(&subgraph, &["inventory".to_string()]) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn marks_children_of_inaccessible_elements_whose_type_is_inaccessible() {
        let sdl = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", {name: "@inaccessible", as: "@hidden"}])
type Query { a: Int }
type Mutation { reserve(lines: [LineInput!]!, id: ID!): Reservation! @hidden }
type Reservation @hidden { lines: [Line!]! id: ID! }
type Line @hidden { id: ID! }
input LineInput @hidden { id: ID! }
"#;
        let prepared = prepare_sdl(sdl);
        assert!(
            prepared.sdl.contains("lines: [Line!]! @hidden"),
            "{}",
            prepared.sdl
        );
        assert!(
            prepared.sdl.contains("lines: [LineInput!]! @hidden"),
            "{}",
            prepared.sdl
        );
        assert!(prepared.sdl.contains("id: ID!,") || prepared.sdl.contains("id: ID!)"));
        assert_eq!(
            prepared.root_operations,
            vec![OperationType::Query, OperationType::Mutation]
        );
    }

    /// graphql-composition drops linked `@cost`/`@listSize`: they are
    /// unlinked and renamed to their bare names (aliases included).
    #[test]
    fn cost_directives_become_bare_builtins() {
        let prepared = prepare_sdl(
            r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
  @link(url: "https://specs.apollo.dev/cost/v0.1", import: [{name: "@cost", as: "@weight"}])
type Query { a(first: Int): [Int] @listSize(slicingArguments: ["first"]) b: Int @weight(weight: 3) c: Int @cost(weight: 2) }
"#,
        );
        let sdl = &prepared.sdl;
        assert!(sdl.contains("b: Int @cost(weight: 3)"), "{sdl}");
        assert!(sdl.contains("c: Int @cost(weight: 2)"), "{sdl}");
        assert!(sdl.contains("@listSize(slicingArguments"), "{sdl}");
        assert!(
            !sdl.contains("@weight") && !sdl.contains("\"@cost\""),
            "{sdl}"
        );
        assert!(sdl.contains("\"@key\""), "{sdl}");
    }

    #[test]
    fn leaves_sdl_untouched_when_nothing_is_implied() {
        let sdl = "type Query { a: Int }\n";
        assert_eq!(prepare_sdl(sdl).sdl, sdl);
    }

    #[test]
    fn resolves_prefixed_federation_names() {
        let doc = Document::parse(
            r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", as: "fed", import: ["@key"])"#,
            "x.graphql",
        )
        .unwrap_or_else(|e| e.partial);
        let names = FederationNames::from_document(&doc);
        assert_eq!(names.local("key"), "key");
        assert_eq!(names.local("override"), "fed__override");
    }
}
