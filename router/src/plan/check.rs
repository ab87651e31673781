//! A check of every lowered plan against the supergraph: each fetch may only
//! select, on each type, fields its subgraph can resolve there.
//!
//! The pinned planner can produce plans that read a field from a subgraph
//! that cannot serve it at that depth: a `@provides(fields: "a { b }")`
//! trusted for `a { a { b } }` as well, where the deeper level is external to
//! the subgraph. Executed, such a plan answers silent `null`s (the subgraph's
//! data for a field it does not own). This check refuses the plan instead, so
//! the client gets a planning error, never wrong data.
//!
//! A field `T.f` may be selected from subgraph `S` when (join spec v0.3,
//! "@join__field"):
//! - `T.f` has a `@join__field(graph: S)` that is not `external`; or it has
//!   no `@join__field` at all and `T` has a `@join__type(graph: S)`;
//! - or `f` is one of `T`'s key fields in `S` (a subgraph echoes its keys,
//!   `@external` ones included, as Federation 1 subgraphs declare them);
//! - or an enclosing field of the same fetch `@provides` it in `S`.
//!
//! `__typename` is always allowed; anything the supergraph does not describe
//! (a type or field it lacks) is allowed too: the check refuses only what it
//! can prove wrong.

use std::collections::{HashMap, HashSet};

use apollo_compiler::ast::{self, Definition, Selection};

use super::nodes::{EntityFetch, FlattenSegment, PlanNode, QueryPlan, Selection as PlanSelection};

#[derive(Debug, Default)]
struct JoinField {
    graph: String,
    external: bool,
    provides: Option<String>,
    requires: Option<String>,
}

#[derive(Debug, Default)]
struct FieldInfo {
    /// The named return type.
    ty: String,
    /// `None`: no `@join__field` (every graph of the type resolves it).
    joins: Option<Vec<JoinField>>,
}

#[derive(Debug, Default)]
struct TypeInfo {
    /// Graphs (subgraph names) with a `@join__type` on it.
    graphs: HashSet<String>,
    /// Top-level key field names per graph.
    keys: HashMap<String, HashSet<String>>,
    fields: HashMap<String, FieldInfo>,
}

/// What the supergraph says each subgraph resolves.
#[derive(Debug, Default)]
pub(super) struct Resolvability {
    types: HashMap<String, TypeInfo>,
    query: String,
    mutation: String,
}

fn argument<'a>(directive: &'a ast::Directive, name: &str) -> Option<&'a ast::Value> {
    directive
        .arguments
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.as_ref())
}

fn string(directive: &ast::Directive, name: &str) -> Option<String> {
    argument(directive, name)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// The top-level field names of a field set (`"id org { id }"` → id, org).
fn top_level(fields: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut depth = 0usize;
    for token in fields
        .replace('{', " { ")
        .replace('}', " } ")
        .split_whitespace()
    {
        match token {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            name if depth == 0 && !name.starts_with('(') => {
                out.insert(name.split('(').next().unwrap_or(name).to_string());
            }
            _ => {}
        }
    }
    out
}

/// A field set (`@provides`) as selections.
fn field_set(fields: &str) -> Vec<Selection> {
    match ast::Document::parse(format!("{{{fields}}}"), "provides.graphql") {
        Ok(doc) => doc
            .definitions
            .into_iter()
            .find_map(|d| match d {
                Definition::OperationDefinition(op) => Some(op.selection_set.clone()),
                _ => None,
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The selections `provided` has for `field` (through inline fragments).
fn provided_below(provided: &[Selection], field: &str) -> Option<Vec<Selection>> {
    provided.iter().find_map(|s| match s {
        Selection::Field(f) if f.name == field => Some(f.selection_set.clone()),
        Selection::InlineFragment(inline) => provided_below(&inline.selection_set, field),
        _ => None,
    })
}

impl Resolvability {
    /// Reads the join metadata of a supergraph SDL (unreadable: checks nothing).
    pub(super) fn from_sdl(sdl: &str) -> Resolvability {
        let Ok(doc) = ast::Document::parse(sdl, "supergraph.graphql") else {
            return Resolvability::default();
        };
        let mut graph_names: HashMap<String, String> = HashMap::new();
        let mut out = Resolvability {
            query: "Query".into(),
            mutation: "Mutation".into(),
            ..Resolvability::default()
        };
        for definition in &doc.definitions {
            match definition {
                Definition::EnumTypeDefinition(e) if e.name == "join__Graph" => {
                    for value in &e.values {
                        let name = value
                            .directives
                            .get("join__graph")
                            .and_then(|d| string(d, "name"))
                            .unwrap_or_else(|| value.value.to_string());
                        graph_names.insert(value.value.to_string(), name);
                    }
                }
                Definition::SchemaDefinition(schema) => {
                    for root in &schema.root_operations {
                        let (kind, name) = root.as_ref();
                        match kind {
                            ast::OperationType::Query => out.query = name.to_string(),
                            ast::OperationType::Mutation => out.mutation = name.to_string(),
                            ast::OperationType::Subscription => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let graph = |d: &ast::Directive| -> Option<String> {
            let value = argument(d, "graph")?.as_enum()?;
            graph_names.get(value.as_str()).cloned()
        };
        for definition in &doc.definitions {
            let (name, directives, fields) = match definition {
                Definition::ObjectTypeDefinition(d) => (&d.name, &d.directives, &d.fields),
                Definition::InterfaceTypeDefinition(d) => (&d.name, &d.directives, &d.fields),
                _ => continue,
            };
            let info = out.types.entry(name.to_string()).or_default();
            for d in directives.get_all("join__type") {
                let Some(g) = graph(d) else { continue };
                info.graphs.insert(g.clone());
                if let Some(key) = string(d, "key") {
                    info.keys.entry(g).or_default().extend(top_level(&key));
                }
            }
            for field in fields {
                let joins: Vec<JoinField> = field
                    .directives
                    .get_all("join__field")
                    .map(|d| JoinField {
                        graph: graph(d).unwrap_or_default(),
                        external: argument(d, "external").and_then(|v| v.to_bool()) == Some(true),
                        provides: string(d, "provides"),
                        requires: string(d, "requires"),
                    })
                    .collect();
                info.fields.insert(
                    field.name.to_string(),
                    FieldInfo {
                        ty: field.ty.inner_named_type().to_string(),
                        joins: (!joins.is_empty()).then_some(joins),
                    },
                );
            }
        }
        out
    }

    /// Refuses a plan with a fetch that selects a field its subgraph cannot
    /// resolve where it is selected (the message names the field and subgraph).
    pub(super) fn check(&self, plan: &QueryPlan) -> Result<(), String> {
        match &plan.node {
            Some(node) => self.node(node),
            None => Ok(()),
        }
    }

    fn node(&self, node: &PlanNode) -> Result<(), String> {
        match node {
            PlanNode::Fetch(fetch) => {
                self.operation(&fetch.operation.service_name, &fetch.operation.operation)
            }
            PlanNode::Entities(fetch) => {
                self.operation(&fetch.operation.service_name, &fetch.operation.operation)
            }
            PlanNode::BatchFetch(batch) => {
                self.operation(&batch.operation.service_name, &batch.operation.operation)
            }
            PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
                nodes.iter().try_for_each(|n| self.node(n))
            }
            PlanNode::Condition(condition) => {
                if let Some(n) = &condition.if_true {
                    self.node(n)?;
                }
                if let Some(n) = &condition.if_false {
                    self.node(n)?;
                }
                Ok(())
            }
            PlanNode::Unsupported { .. } => Ok(()),
        }
    }

    fn operation(&self, graph: &str, text: &str) -> Result<(), String> {
        let Ok(doc) = ast::Document::parse(text, "fetch.graphql") else {
            return Ok(());
        };
        for definition in &doc.definitions {
            let Definition::OperationDefinition(op) = definition else {
                continue;
            };
            let root = match op.operation_type {
                ast::OperationType::Query => &self.query,
                ast::OperationType::Mutation => &self.mutation,
                ast::OperationType::Subscription => return Ok(()),
            };
            for selection in &op.selection_set {
                match selection {
                    // `_entities`: each `... on T` is a selection on `T`.
                    Selection::Field(f) if f.name == "_entities" => {
                        self.selections(graph, root, &f.selection_set, None)?;
                    }
                    other => self.selections(graph, root, std::slice::from_ref(other), None)?,
                }
            }
        }
        Ok(())
    }

    fn selections(
        &self,
        graph: &str,
        parent: &str,
        selections: &[Selection],
        provided: Option<&[Selection]>,
    ) -> Result<(), String> {
        for selection in selections {
            match selection {
                Selection::Field(f) => {
                    if f.name == "__typename" {
                        continue;
                    }
                    let Some(ty) = self.types.get(parent) else {
                        continue;
                    };
                    let Some(field) = ty.fields.get(f.name.as_str()) else {
                        continue;
                    };
                    let own = match &field.joins {
                        None => ty.graphs.is_empty() || ty.graphs.contains(graph),
                        Some(joins) => joins.iter().any(|j| j.graph == graph && !j.external),
                    };
                    let key = ty
                        .keys
                        .get(graph)
                        .is_some_and(|k| k.contains(f.name.as_str()));
                    let from_provides = provided.and_then(|p| provided_below(p, &f.name));
                    if !(own || key || from_provides.is_some()) {
                        return Err(format!(
                            "the plan reads `{parent}.{}` from subgraph `{graph}`, which cannot resolve it there",
                            f.name
                        ));
                    }
                    if f.selection_set.is_empty() {
                        continue;
                    }
                    let own_provides = field
                        .joins
                        .iter()
                        .flatten()
                        .find(|j| j.graph == graph)
                        .and_then(|j| j.provides.as_deref())
                        .map(field_set);
                    let below = own_provides.or(from_provides);
                    self.selections(graph, &field.ty, &f.selection_set, below.as_deref())?;
                }
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .type_condition
                        .as_ref()
                        .map(|t| t.as_str())
                        .unwrap_or(parent);
                    self.selections(graph, on, &inline.selection_set, provided)?;
                }
                // Fetch operations inline their fragments; a spread is not checked.
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }
}

/// A field a fetch writes into the response: where (the response keys of its
/// ancestors, from the root), its name, arguments and response key.
#[derive(Debug)]
struct Written {
    parent: Vec<String>,
    name: String,
    arguments: String,
    key: String,
}

/// The arguments of a field as one comparable string (sorted by name).
fn printed_arguments(arguments: &[apollo_compiler::Node<ast::Argument>]) -> String {
    let mut list: Vec<String> = arguments
        .iter()
        .map(|a| format!("{}:{}", a.name, a.value))
        .collect();
    list.sort();
    list.join(",")
}

/// The response keys of a flatten path (list markers and type conditions
/// dropped).
fn flatten_keys(path: &[FlattenSegment]) -> Vec<String> {
    path.iter()
        .filter_map(|s| match s {
            FlattenSegment::Field(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn collect_written(parent: &mut Vec<String>, selections: &[Selection], out: &mut Vec<Written>) {
    for selection in selections {
        match selection {
            Selection::Field(f) => {
                let key = f.alias.as_ref().unwrap_or(&f.name).to_string();
                out.push(Written {
                    parent: parent.clone(),
                    name: f.name.to_string(),
                    arguments: printed_arguments(&f.arguments),
                    key: key.clone(),
                });
                parent.push(key);
                collect_written(parent, &f.selection_set, out);
                parent.pop();
            }
            Selection::InlineFragment(inline) => {
                collect_written(parent, &inline.selection_set, out)
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// The selections of a fetch operation below its root (`_entities`' inline
/// fragments' contents for an entity fetch).
fn fetch_selections(text: &str) -> Vec<Selection> {
    let Ok(doc) = ast::Document::parse(text, "fetch.graphql") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for definition in doc.definitions {
        if let Definition::OperationDefinition(op) = definition {
            for selection in &op.selection_set {
                match selection {
                    Selection::Field(f) if f.name == "_entities" => {
                        out.extend(f.selection_set.iter().cloned());
                    }
                    other => out.push(other.clone()),
                }
            }
        }
    }
    out
}

/// Arguments-bearing fields of a `@requires` field set: (path of ancestor
/// names, name, arguments).
fn requires_with_arguments(
    parent: &mut Vec<String>,
    selections: &[Selection],
    out: &mut Vec<(Vec<String>, String, String)>,
) {
    for selection in selections {
        match selection {
            Selection::Field(f) => {
                if !f.arguments.is_empty() {
                    out.push((
                        parent.clone(),
                        f.name.to_string(),
                        printed_arguments(&f.arguments),
                    ));
                }
                parent.push(f.name.to_string());
                requires_with_arguments(parent, &f.selection_set, out);
                parent.pop();
            }
            Selection::InlineFragment(inline) => {
                requires_with_arguments(parent, &inline.selection_set, out)
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// In a lowered `requires` tree, the field reached by `path` then `name`:
/// read from the response key `key` instead (and still sent as `name`).
fn read_requires_from(
    selections: &mut [PlanSelection],
    path: &[String],
    name: &str,
    key: &str,
) -> bool {
    let mut done = false;
    for selection in selections {
        match selection {
            PlanSelection::InlineFragment { selections, .. } => {
                done |= read_requires_from(selections, path, name, key);
            }
            PlanSelection::Field {
                name: field,
                alias,
                selections,
            } => match path.split_first() {
                None if field == name && alias.is_none() => {
                    *field = key.to_string();
                    *alias = Some(name.to_string());
                    done = true;
                }
                Some((first, rest)) if field == first => {
                    done |= read_requires_from(selections, rest, name, key);
                }
                _ => {}
            },
        }
    }
    done
}

impl Resolvability {
    /// Repairs `@requires` of a field with arguments that the planner fetched
    /// under an alias (`_internal_qp_alias_0: price(currency: "USD")`, because
    /// the client selected `price(currency: "EUR")` at the same place): the
    /// planner's `requires` reads `price`, the client's value. Each such
    /// requires field is pointed at the response key of the fetched field
    /// whose arguments are the ones the `@requires` names.
    pub(super) fn repair_requires_arguments(&self, plan: &mut QueryPlan) {
        let Some(node) = plan.node.as_mut() else {
            return;
        };
        let mut written = Vec::new();
        collect_plan_writes(node, &mut written);
        if !written.iter().any(|w| w.key != w.name) {
            return;
        }
        self.repair_node(node, &written);
    }

    fn repair_node(&self, node: &mut PlanNode, written: &[Written]) {
        match node {
            PlanNode::Entities(fetch) => self.repair_fetch(fetch, written),
            PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
                nodes.iter_mut().for_each(|n| self.repair_node(n, written));
            }
            PlanNode::Condition(condition) => {
                if let Some(n) = condition.if_true.as_mut() {
                    self.repair_node(n, written);
                }
                if let Some(n) = condition.if_false.as_mut() {
                    self.repair_node(n, written);
                }
            }
            PlanNode::Fetch(_) | PlanNode::BatchFetch(_) | PlanNode::Unsupported { .. } => {}
        }
    }

    fn repair_fetch(&self, fetch: &mut EntityFetch, written: &[Written]) {
        let base = flatten_keys(&fetch.path);
        let graph = fetch.operation.service_name.clone();
        for selection in fetch_selections(&fetch.operation.operation) {
            let Selection::InlineFragment(inline) = selection else {
                continue;
            };
            let Some(on) = inline.type_condition.as_ref() else {
                continue;
            };
            let Some(ty) = self.types.get(on.as_str()) else {
                continue;
            };
            for field in &inline.selection_set {
                let Selection::Field(field) = field else {
                    continue;
                };
                let Some(requires) = ty
                    .fields
                    .get(field.name.as_str())
                    .and_then(|f| f.joins.as_ref())
                    .and_then(|joins| joins.iter().find(|j| j.graph == graph))
                    .and_then(|j| j.requires.as_deref())
                else {
                    continue;
                };
                let mut wanted = Vec::new();
                requires_with_arguments(&mut Vec::new(), &field_set(requires), &mut wanted);
                for (path, name, arguments) in wanted {
                    let mut parent = base.clone();
                    parent.extend(path.iter().cloned());
                    let Some(source) = written
                        .iter()
                        .find(|w| w.parent == parent && w.name == name && w.arguments == arguments)
                    else {
                        continue;
                    };
                    if source.key != name {
                        read_requires_from(&mut fetch.requires, &path, &name, &source.key);
                    }
                }
            }
        }
    }
}

fn collect_plan_writes(node: &PlanNode, out: &mut Vec<Written>) {
    match node {
        PlanNode::Fetch(fetch) => collect_written(
            &mut Vec::new(),
            &fetch_selections(&fetch.operation.operation),
            out,
        ),
        PlanNode::Entities(fetch) => collect_written(
            &mut flatten_keys(&fetch.path),
            &fetch_selections(&fetch.operation.operation),
            out,
        ),
        PlanNode::BatchFetch(batch) => {
            for alias in &batch.aliases {
                for path in &alias.paths {
                    collect_written(
                        &mut flatten_keys(path),
                        &fetch_selections(&batch.operation.operation),
                        out,
                    );
                }
            }
        }
        PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
            nodes.iter().for_each(|n| collect_plan_writes(n, out));
        }
        PlanNode::Condition(condition) => {
            if let Some(n) = &condition.if_true {
                collect_plan_writes(n, out);
            }
            if let Some(n) = &condition.if_false {
                collect_plan_writes(n, out);
            }
        }
        PlanNode::Unsupported { .. } => {}
    }
}

impl Resolvability {
    /// Aliases a field that a fetch selects twice under one response key with
    /// different arguments (the client's `price(currency: "EUR")` next to a
    /// `@requires`' `price(currency: "USD")` the planner merged in, inside
    /// `... on T @include(if: $v)`): as written the subgraph must refuse the
    /// operation ("fields conflict"). The later one is renamed
    /// `_tessera_alias_<n>`; [`Self::repair_requires_arguments`] then points the
    /// `requires` that wanted it there.
    pub(super) fn alias_conflicting_fields(&self, plan: &mut QueryPlan) {
        if let Some(node) = plan.node.as_mut() {
            self.alias_node(node);
        }
    }

    fn alias_node(&self, node: &mut PlanNode) {
        let operation = match node {
            PlanNode::Fetch(fetch) => &mut fetch.operation,
            PlanNode::Entities(fetch) => &mut fetch.operation,
            PlanNode::BatchFetch(batch) => &mut batch.operation,
            PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
                nodes.iter_mut().for_each(|n| self.alias_node(n));
                return;
            }
            PlanNode::Condition(condition) => {
                if let Some(n) = condition.if_true.as_mut() {
                    self.alias_node(n);
                }
                if let Some(n) = condition.if_false.as_mut() {
                    self.alias_node(n);
                }
                return;
            }
            PlanNode::Unsupported { .. } => return,
        };
        let Ok(mut doc) = ast::Document::parse(operation.operation.as_str(), "fetch.graphql")
        else {
            return;
        };
        let mut renamed = 0usize;
        for definition in &mut doc.definitions {
            let Definition::OperationDefinition(op) = definition else {
                continue;
            };
            let root = match op.operation_type {
                ast::OperationType::Mutation => self.mutation.clone(),
                _ => self.query.clone(),
            };
            let op = op.make_mut();
            self.alias_in(&root, &mut op.selection_set, &mut renamed);
        }
        if renamed > 0 {
            let text = doc.serialize().no_indent().to_string();
            *operation = super::nodes::SubgraphOperation::new(
                operation.service_name.clone(),
                text,
                std::mem::take(&mut operation.variable_usages),
            );
        }
    }

    /// One selection set on `parent`: fields (also inside fragments on
    /// `parent` or without a condition) sharing a response key must agree,
    /// and so must the selections below them taken together.
    fn alias_in(&self, parent: &str, selections: &mut [Selection], renamed: &mut usize) {
        self.alias_scope(parent, selections, &mut Scope::default(), renamed);
    }

    fn alias_scope(
        &self,
        parent: &str,
        selections: &mut [Selection],
        scope: &mut Scope,
        renamed: &mut usize,
    ) {
        for selection in selections {
            match selection {
                Selection::Field(field) => {
                    let field = field.make_mut();
                    if field.name == "_entities" {
                        for inner in &mut field.selection_set {
                            if let Selection::InlineFragment(inline) = inner {
                                let inline = inline.make_mut();
                                let on = inline
                                    .type_condition
                                    .as_ref()
                                    .map(|t| t.to_string())
                                    .unwrap_or_default();
                                self.alias_in(&on, &mut inline.selection_set, renamed);
                            }
                        }
                        continue;
                    }
                    let ty = self
                        .types
                        .get(parent)
                        .and_then(|t| t.fields.get(field.name.as_str()))
                        .map(|f| f.ty.clone())
                        .unwrap_or_default();
                    let mut key = field.alias.as_ref().unwrap_or(&field.name).to_string();
                    let identity = (field.name.to_string(), printed_arguments(&field.arguments));
                    if scope
                        .fields
                        .get(&key)
                        .is_some_and(|(first, _)| *first != identity)
                    {
                        key = format!("_tessera_alias_{renamed}");
                        *renamed += 1;
                        if let Ok(name) = apollo_compiler::Name::new(&key) {
                            field.alias = Some(name);
                        }
                    }
                    let (_, below) = scope
                        .fields
                        .entry(key)
                        .or_insert_with(|| (identity, Scope::default()));
                    self.alias_scope(&ty, &mut field.selection_set, below, renamed);
                }
                Selection::InlineFragment(inline) => {
                    let inline = inline.make_mut();
                    match inline.type_condition.as_ref().map(|t| t.to_string()) {
                        Some(on) if on != parent => {
                            self.alias_in(&on, &mut inline.selection_set, renamed)
                        }
                        _ => self.alias_scope(parent, &mut inline.selection_set, scope, renamed),
                    }
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

/// The fields seen under each response key of one selection set (merged
/// across fragments), with what was seen below them.
#[derive(Default)]
struct Scope {
    fields: HashMap<String, ((String, String), Scope)>,
}
