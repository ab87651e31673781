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

use super::nodes::{
    EntityFetch, FlattenSegment, PlanNode, QueryPlan, Rewrite, RewriteStep,
    Selection as PlanSelection,
};

#[derive(Debug, Default)]
struct JoinField {
    graph: String,
    external: bool,
    provides: Option<String>,
    requires: Option<String>,
    /// The field's type in this graph where it differs (`@join__field(type:)`).
    ty: Option<String>,
    /// `@join__field(contextArguments:)`: arguments from a `@context`
    /// (Federation v2.8), which the pinned planner does not pass.
    contextual: bool,
}

#[derive(Debug, Default)]
struct FieldInfo {
    /// The named return type.
    ty: String,
    /// The whole return type as printed (`[ID!]`).
    printed: String,
    /// `None`: no `@join__field` (every graph of the type resolves it).
    joins: Option<Vec<JoinField>>,
}

#[derive(Debug, Default)]
struct TypeInfo {
    /// Graphs (subgraph names) with a `@join__type` on it.
    graphs: HashSet<String>,
    /// Top-level key field names per graph.
    keys: HashMap<String, HashSet<String>>,
    /// Graphs where this interface is an `@interfaceObject`.
    interface_object_in: HashSet<String>,
    /// The interfaces an object type implements.
    implements: HashSet<String>,
    fields: HashMap<String, FieldInfo>,
}

/// What the supergraph says each subgraph resolves.
#[derive(Debug, Default)]
pub(super) struct Resolvability {
    types: HashMap<String, TypeInfo>,
    unions: HashSet<String>,
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
                Definition::UnionTypeDefinition(u) => {
                    out.unions.insert(u.name.to_string());
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
            let (name, directives, fields, implements) = match definition {
                Definition::ObjectTypeDefinition(d) => {
                    (&d.name, &d.directives, &d.fields, &d.implements_interfaces)
                }
                Definition::InterfaceTypeDefinition(d) => {
                    (&d.name, &d.directives, &d.fields, &d.implements_interfaces)
                }
                _ => continue,
            };
            let info = out.types.entry(name.to_string()).or_default();
            info.implements
                .extend(implements.iter().map(|i| i.to_string()));
            for d in directives.get_all("join__type") {
                let Some(g) = graph(d) else { continue };
                info.graphs.insert(g.clone());
                if argument(d, "isInterfaceObject").and_then(|v| v.to_bool()) == Some(true) {
                    info.interface_object_in.insert(g.clone());
                }
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
                        ty: string(d, "type"),
                        contextual: argument(d, "contextArguments").is_some(),
                    })
                    .collect();
                info.fields.insert(
                    field.name.to_string(),
                    FieldInfo {
                        ty: field.ty.inner_named_type().to_string(),
                        printed: field.ty.to_string(),
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
        let Some(node) = &plan.node else {
            return Ok(());
        };
        for fetch in fetch_nodes(node) {
            if let Some(op) = operation_of(fetch) {
                self.operation(&op.service_name, &op.operation)?;
            }
        }
        let mut written = Vec::new();
        collect_plan_writes(node, &mut written);
        conflicting_writes(&written)?;
        aliased_reads(node, &written)
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
                    // The planner plans such a field without its contextual
                    // arguments: the subgraph would answer as if none were set.
                    if field
                        .joins
                        .iter()
                        .flatten()
                        .any(|j| j.graph == graph && j.contextual)
                    {
                        return Err(format!(
                            "`{parent}.{}` takes contextual arguments (@fromContext) in subgraph `{graph}`, which Tessera does not pass yet",
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
    /// The type condition of the nearest enclosing fragment, if any.
    on: Option<String>,
    /// The fetch that writes it (an index in plan order).
    fetch: usize,
    /// `(condition node, branch)` of every `Condition` above the fetch.
    branches: Vec<(usize, bool)>,
    /// Under a `@skip`/`@include` in the fetch (written only for some
    /// variables).
    conditional: bool,
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
    fn walk(
        parent: &mut Vec<String>,
        on: Option<&str>,
        conditional: bool,
        selections: &[Selection],
        out: &mut Vec<Written>,
    ) {
        let decided =
            |d: &ast::DirectiveList| d.iter().any(|d| d.name == "skip" || d.name == "include");
        for selection in selections {
            match selection {
                Selection::Field(f) => {
                    let key = f.alias.as_ref().unwrap_or(&f.name).to_string();
                    let conditional = conditional || decided(&f.directives);
                    out.push(Written {
                        parent: parent.clone(),
                        name: f.name.to_string(),
                        arguments: printed_arguments(&f.arguments),
                        key: key.clone(),
                        on: on.map(str::to_string),
                        fetch: 0,
                        branches: Vec::new(),
                        conditional,
                    });
                    parent.push(key);
                    walk(parent, None, conditional, &f.selection_set, out);
                    parent.pop();
                }
                Selection::InlineFragment(inline) => {
                    let inner = inline.type_condition.as_ref().map(|t| t.as_str()).or(on);
                    let conditional = conditional || decided(&inline.directives);
                    walk(parent, inner, conditional, &inline.selection_set, out)
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    walk(parent, None, false, selections, out)
}

/// The selections below the `_entities` field answering to `alias` (`None`:
/// the unaliased one) of a batch fetch's operation.
fn entities_selections(text: &str, alias: Option<&str>) -> Vec<Selection> {
    root_selections(text)
        .into_iter()
        .filter_map(|selection| match selection {
            Selection::Field(f)
                if f.name == "_entities" && f.alias.as_ref().map(|a| a.as_str()) == alias =>
            {
                Some(f.selection_set.clone())
            }
            _ => None,
        })
        .flatten()
        .collect()
}

/// The root selections of every operation in a fetch's text.
fn root_selections(text: &str) -> Vec<Selection> {
    let Ok(doc) = ast::Document::parse(text, "fetch.graphql") else {
        return Vec::new();
    };
    doc.definitions
        .into_iter()
        .filter_map(|definition| match definition {
            Definition::OperationDefinition(op) => Some(op.selection_set.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The selections of a fetch operation below its root (`_entities`' inline
/// fragments' contents for an entity fetch).
fn fetch_selections(text: &str) -> Vec<Selection> {
    let mut out = Vec::new();
    for selection in root_selections(text) {
        match selection {
            Selection::Field(f) if f.name == "_entities" => {
                out.extend(f.selection_set.iter().cloned());
            }
            other => out.push(other),
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
                // Unread yet, or read from another key (the planner's alias).
                None if (field == name && alias.is_none())
                    || (alias.as_deref() == Some(name) && field != key) =>
                {
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
    ///
    /// Refuses (`Err`) a fetch two of whose fields need one required field
    /// with different arguments: one representation cannot carry both.
    pub(super) fn repair_requires_arguments(&self, plan: &mut QueryPlan) -> Result<(), String> {
        let Some(node) = plan.node.as_mut() else {
            return Ok(());
        };
        let mut written = Vec::new();
        collect_plan_writes(node, &mut written);
        let mut problem = None;
        for_each_fetch_mut(node, &mut |fetch| {
            if let PlanNode::Entities(fetch) = fetch {
                self.repair_fetch(fetch, &written, &mut problem);
            }
        });
        problem.map_or(Ok(()), Err)
    }

    fn repair_fetch(
        &self,
        fetch: &mut EntityFetch,
        written: &[Written],
        problem: &mut Option<String>,
    ) {
        let base = flatten_keys(&fetch.path);
        let graph = fetch.operation.service_name.clone();
        // (path, name) → the arguments one field's `@requires` wants there.
        let mut wanted_here: HashMap<(Vec<String>, String), String> = HashMap::new();
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
                    match wanted_here.get(&(path.clone(), name.clone())) {
                        // Two fields of this fetch need `name` with different
                        // arguments in one representation: it cannot hold both.
                        Some(other) if *other != arguments => {
                            problem.get_or_insert(format!(
                                "one `_entities` fetch to `{graph}` needs `{name}` with ({other}) and ({arguments}) in the same representation"
                            ));
                        }
                        Some(_) => {}
                        None => {
                            wanted_here.insert((path.clone(), name.clone()), arguments.clone());
                        }
                    }
                    let mut parent = base.clone();
                    parent.extend(path.iter().cloned());
                    // A key every request has first (not one written under
                    // a `@skip`/`@include` only).
                    let matching = |w: &&Written| {
                        w.parent == parent && w.name == name && w.arguments == arguments
                    };
                    let Some(source) = written
                        .iter()
                        .filter(matching)
                        .find(|w| !w.conditional)
                        .or_else(|| written.iter().find(matching))
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
    let mut state = (0usize, 0usize, Vec::new());
    collect_plan_writes_in(node, out, &mut state);
}

/// `state`: the next fetch index, the next condition index, the branches
/// taken to here.
fn collect_plan_writes_in(
    node: &PlanNode,
    out: &mut Vec<Written>,
    state: &mut (usize, usize, Vec<(usize, bool)>),
) {
    let start = out.len();
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
            nodes
                .iter()
                .for_each(|n| collect_plan_writes_in(n, out, state));
            return;
        }
        PlanNode::Condition(condition) => {
            let id = state.1;
            state.1 += 1;
            for (branch, n) in [(true, &condition.if_true), (false, &condition.if_false)] {
                if let Some(n) = n {
                    state.2.push((id, branch));
                    collect_plan_writes_in(n, out, state);
                    state.2.pop();
                }
            }
            return;
        }
        PlanNode::Unsupported { .. } => return,
    }
    let fetch = state.0;
    state.0 += 1;
    for w in &mut out[start..] {
        w.fetch = fetch;
        w.branches = state.2.clone();
    }
}

/// Two fetches that may both run writing one response key at one place with
/// different fields or arguments (the planner fetched the client's
/// `comments(limit: 2)` and a `@requires`' `comments(limit: 3)` in separate
/// steps, unaliased): the later merge would mix them.
fn conflicting_writes(written: &[Written]) -> Result<(), String> {
    let exclusive = |a: &Written, b: &Written| {
        a.branches
            .iter()
            .any(|(id, x)| b.branches.iter().any(|(jd, y)| id == jd && x != y))
    };
    for (i, a) in written.iter().enumerate() {
        for b in &written[i + 1..] {
            if a.fetch != b.fetch
                && a.parent == b.parent
                && a.key == b.key
                && (a.name != b.name || a.arguments != b.arguments)
                && (a.on.is_none() || b.on.is_none() || a.on == b.on)
                && !exclusive(a, b)
            {
                return Err(format!(
                    "two fetches write `{}` at `{}` with different fields or arguments",
                    a.key,
                    a.parent.join(".")
                ));
            }
        }
    }
    Ok(())
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
            for_each_fetch_mut(node, &mut |fetch| self.alias_fetch(fetch));
        }
    }

    fn alias_fetch(&self, node: &mut PlanNode) {
        let Some(operation) = operation_of_mut(node) else {
            return;
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

impl Resolvability {
    /// An entity fetch to an `@interfaceObject` subgraph (its `_entities`
    /// selection on the interface `I`) whose `requires` only takes entities
    /// of one implementation (`... on Regular`) although the client's
    /// selection asked the field for others too (`... on Admin { id }`, `...
    /// on Regular { id }` merged into one fetch): the planner kept one type
    /// condition. The subgraph only knows `I`, and answers the same for
    /// every implementation, so the `requires` takes every `I` (at worst a
    /// field fetched for an entity the client's fragments then skip).
    pub(super) fn widen_interface_object_requires(&self, plan: &mut QueryPlan) {
        if let Some(node) = plan.node.as_mut() {
            for_each_fetch_mut(node, &mut |fetch| self.widen_fetch(fetch));
        }
    }

    fn widen_fetch(&self, node: &mut PlanNode) {
        match node {
            PlanNode::Entities(fetch) => {
                let graph = fetch.operation.service_name.clone();
                let on = entity_type_conditions(&fetch.operation.operation);
                self.widen(&graph, &on, &mut fetch.requires);
            }
            PlanNode::BatchFetch(batch) => {
                let graph = batch.operation.service_name.clone();
                let on = entity_type_conditions(&batch.operation.operation);
                for alias in &mut batch.aliases {
                    self.widen(&graph, &on, &mut alias.requires);
                }
            }
            _ => {}
        }
    }

    fn widen(&self, graph: &str, on: &HashSet<String>, requires: &mut Vec<PlanSelection>) {
        let interface_objects: Vec<&String> = on
            .iter()
            .filter(|c| {
                self.types
                    .get(c.as_str())
                    .is_some_and(|t| t.interface_object_in.contains(graph))
            })
            .collect();
        if interface_objects.is_empty() {
            return;
        }
        for selection in requires.iter_mut() {
            if let PlanSelection::InlineFragment { type_condition, .. } = selection
                && let Some(interface) = interface_objects.iter().find(|i| {
                    self.types
                        .get(type_condition.as_str())
                        .is_some_and(|t| t.implements.contains(i.as_str()))
                })
            {
                *type_condition = (*interface).clone();
            }
        }
        // Fragments made equal by the widening: one is enough.
        let mut seen: Vec<PlanSelection> = Vec::new();
        requires.retain(|s| {
            if seen.contains(s) {
                false
            } else {
                seen.push(s.clone());
                true
            }
        });
    }
}

/// The type conditions of an entity fetch's `_entities` fragments.
fn entity_type_conditions(text: &str) -> HashSet<String> {
    let Ok(doc) = ast::Document::parse(text, "fetch.graphql") else {
        return HashSet::new();
    };
    let mut out = HashSet::new();
    for definition in &doc.definitions {
        let Definition::OperationDefinition(op) = definition else {
            continue;
        };
        for selection in &op.selection_set {
            if let Selection::Field(f) = selection
                && f.name == "_entities"
            {
                for inner in &f.selection_set {
                    if let Selection::InlineFragment(inline) = inner
                        && let Some(on) = &inline.type_condition
                    {
                        out.insert(on.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Every `requires` field read from a renamed key (`price: _internal_qp_alias_0`)
/// must find that key written at each place the fetch takes entities from,
/// and no fetch may need one key with two sets of arguments.
fn aliased_reads(node: &PlanNode, written: &[Written]) -> Result<(), String> {
    fn reads(
        selections: &[PlanSelection],
        parent: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, String)>,
    ) {
        for selection in selections {
            match selection {
                PlanSelection::Field {
                    name,
                    alias,
                    selections,
                } => {
                    if alias.as_ref().is_some_and(|a| a != name) {
                        out.push((parent.clone(), name.clone()));
                    }
                    parent.push(name.clone());
                    reads(selections, parent, out);
                    parent.pop();
                }
                PlanSelection::InlineFragment { selections, .. } => reads(selections, parent, out),
            }
        }
    }
    let check = |paths: &[Vec<FlattenSegment>], requires: &[PlanSelection]| -> Result<(), String> {
        let mut needed = Vec::new();
        reads(requires, &mut Vec::new(), &mut needed);
        for path in paths {
            let base = flatten_keys(path);
            for (relative, key) in &needed {
                let mut parent = base.clone();
                parent.extend(relative.iter().cloned());
                if !written.iter().any(|w| w.parent == parent && w.key == *key) {
                    return Err(format!(
                        "a `requires` reads `{key}` at `{}`, which no fetch writes there",
                        parent.join(".")
                    ));
                }
            }
        }
        Ok(())
    };
    fetch_nodes(node)
        .into_iter()
        .try_for_each(|fetch| match fetch {
            PlanNode::Entities(fetch) => check(std::slice::from_ref(&fetch.path), &fetch.requires),
            PlanNode::BatchFetch(batch) => batch
                .aliases
                .iter()
                .try_for_each(|alias| check(&alias.paths, &alias.requires)),
            _ => Ok(()),
        })
}

/// The fetch nodes (`Fetch`, `Flatten`, `BatchFetch`) below `node`, in plan
/// order (both branches of a condition).
fn fetch_nodes(node: &PlanNode) -> Vec<&PlanNode> {
    fn walk<'p>(node: &'p PlanNode, out: &mut Vec<&'p PlanNode>) {
        match node {
            PlanNode::Fetch(_) | PlanNode::Entities(_) | PlanNode::BatchFetch(_) => out.push(node),
            PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
                nodes.iter().for_each(|n| walk(n, out));
            }
            PlanNode::Condition(condition) => {
                condition
                    .if_true
                    .iter()
                    .chain(&condition.if_false)
                    .for_each(|n| walk(n, out));
            }
            PlanNode::Unsupported { .. } => {}
        }
    }
    let mut out = Vec::new();
    walk(node, &mut out);
    out
}

/// [`fetch_nodes`], for changing them.
fn for_each_fetch_mut(node: &mut PlanNode, f: &mut dyn FnMut(&mut PlanNode)) {
    match node {
        PlanNode::Fetch(_) | PlanNode::Entities(_) | PlanNode::BatchFetch(_) => f(node),
        PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
            nodes.iter_mut().for_each(|n| for_each_fetch_mut(n, f));
        }
        PlanNode::Condition(condition) => {
            for n in condition.if_true.iter_mut().chain(&mut condition.if_false) {
                for_each_fetch_mut(n, f);
            }
        }
        PlanNode::Unsupported { .. } => {}
    }
}

/// A fetch node's subgraph operation.
fn operation_of(node: &PlanNode) -> Option<&super::nodes::SubgraphOperation> {
    match node {
        PlanNode::Fetch(fetch) => Some(&fetch.operation),
        PlanNode::Entities(fetch) => Some(&fetch.operation),
        PlanNode::BatchFetch(batch) => Some(&batch.operation),
        _ => None,
    }
}

/// [`operation_of`], for changing it.
fn operation_of_mut(node: &mut PlanNode) -> Option<&mut super::nodes::SubgraphOperation> {
    match node {
        PlanNode::Fetch(fetch) => Some(&mut fetch.operation),
        PlanNode::Entities(fetch) => Some(&mut fetch.operation),
        PlanNode::BatchFetch(batch) => Some(&mut batch.operation),
        _ => None,
    }
}

/// The response shapes seen under each key of one selection set, across all
/// its fragments whatever their type condition (GraphQL's
/// SameResponseShape), with what was seen below them.
#[derive(Default)]
struct Shapes {
    fields: HashMap<String, (String, Shapes)>,
}

impl Resolvability {
    /// The type of `parent.field` in `graph`'s own schema.
    fn local_type(&self, graph: &str, parent: &str, field: &str) -> Option<String> {
        let info = self.types.get(parent)?.fields.get(field)?;
        let own = info
            .joins
            .iter()
            .flatten()
            .find(|j| j.graph == graph)
            .and_then(|j| j.ty.clone());
        let printed = own.unwrap_or_else(|| info.printed.clone());
        // SameResponseShape compares leaf types only; composite types of any
        // name merge (their fields are compared below).
        let composite = self.types.contains_key(&info.ty) || self.unions.contains(&info.ty);
        Some(if composite {
            printed.replace(info.ty.as_str(), "{}")
        } else {
            printed
        })
    }

    /// Aliases a field that a fetch selects under a key another fragment of
    /// the same selection set uses for a field of another type in the
    /// subgraph (`... on User { id }` with `User.id: ID!` beside `... on Admin
    /// { id }` with `Admin.id: ID`): the subgraph must refuse such an
    /// operation (SameResponseShape). The alias is renamed back in the
    /// fetch's result (an output rewrite), for objects of that fragment's type.
    pub(super) fn alias_shape_conflicts(&self, plan: &mut QueryPlan) {
        if let Some(node) = plan.node.as_mut() {
            for_each_fetch_mut(node, &mut |fetch| self.shape_fetch(fetch));
        }
    }

    fn shape_fetch(&self, node: &mut PlanNode) {
        let (operation, rewrites, entities) = match node {
            PlanNode::Fetch(fetch) => (&mut fetch.operation, &mut fetch.output_rewrites, false),
            PlanNode::Entities(fetch) => (&mut fetch.operation, &mut fetch.output_rewrites, true),
            // A batch's results are merged per alias: not rewritten here.
            _ => return,
        };
        let Ok(mut doc) = ast::Document::parse(operation.operation.as_str(), "fetch.graphql")
        else {
            return;
        };
        let graph = operation.service_name.clone();
        let mut renamed = Vec::new();
        let mut counter = 0usize;
        for definition in &mut doc.definitions {
            let Definition::OperationDefinition(op) = definition else {
                continue;
            };
            let root = match op.operation_type {
                ast::OperationType::Mutation => self.mutation.clone(),
                _ => self.query.clone(),
            };
            let op = op.make_mut();
            for selection in &mut op.selection_set {
                match selection {
                    Selection::Field(f) if entities && f.name == "_entities" => {
                        // Each result is one entity: paths start at it.
                        for inner in &mut f.make_mut().selection_set {
                            if let Selection::InlineFragment(inline) = inner {
                                let inline = inline.make_mut();
                                let on = inline
                                    .type_condition
                                    .as_ref()
                                    .map(|t| t.to_string())
                                    .unwrap_or_default();
                                let mut path = vec![RewriteStep::TypenameIs(vec![on.clone()])];
                                self.shape_scope(
                                    &graph,
                                    &on,
                                    &mut inline.selection_set,
                                    &mut Shapes::default(),
                                    &mut path,
                                    &mut renamed,
                                    &mut counter,
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
            if !entities {
                self.shape_scope(
                    &graph,
                    &root,
                    &mut op.selection_set,
                    &mut Shapes::default(),
                    &mut Vec::new(),
                    &mut renamed,
                    &mut counter,
                );
            }
        }
        if !renamed.is_empty() {
            let text = doc.serialize().no_indent().to_string();
            *operation = super::nodes::SubgraphOperation::new(
                operation.service_name.clone(),
                text,
                std::mem::take(&mut operation.variable_usages),
            );
            rewrites.extend(renamed);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn shape_scope(
        &self,
        graph: &str,
        parent: &str,
        selections: &mut [Selection],
        shapes: &mut Shapes,
        path: &mut Vec<RewriteStep>,
        renamed: &mut Vec<Rewrite>,
        counter: &mut usize,
    ) {
        for selection in selections {
            match selection {
                Selection::Field(field) => {
                    let field = field.make_mut();
                    let Some(shape) = self.local_type(graph, parent, &field.name) else {
                        continue;
                    };
                    let original = field.alias.as_ref().unwrap_or(&field.name).to_string();
                    let mut key = original.clone();
                    if shapes
                        .fields
                        .get(&key)
                        .is_some_and(|(seen, _)| *seen != shape)
                    {
                        key = format!("_tessera_shape_{counter}");
                        *counter += 1;
                        if let Ok(name) = apollo_compiler::Name::new(&key) {
                            field.alias = Some(name);
                            let mut at = path.clone();
                            at.push(RewriteStep::Key(key.clone()));
                            renamed.push(Rewrite::RenameKey {
                                path: at,
                                to: original,
                            });
                        }
                    }
                    let ty = self
                        .types
                        .get(parent)
                        .and_then(|t| t.fields.get(field.name.as_str()))
                        .map(|f| f.ty.clone())
                        .unwrap_or_default();
                    let (_, below) = shapes
                        .fields
                        .entry(key.clone())
                        .or_insert_with(|| (shape, Shapes::default()));
                    path.push(RewriteStep::Key(key));
                    self.shape_scope(
                        graph,
                        &ty,
                        &mut field.selection_set,
                        below,
                        path,
                        renamed,
                        counter,
                    );
                    path.pop();
                }
                Selection::InlineFragment(inline) => {
                    let inline = inline.make_mut();
                    let on = inline.type_condition.as_ref().map(|t| t.to_string());
                    let pushed = on.is_some();
                    if let Some(on) = &on {
                        path.push(RewriteStep::TypenameIs(vec![on.clone()]));
                    }
                    let on = on.unwrap_or_else(|| parent.to_string());
                    self.shape_scope(
                        graph,
                        &on,
                        &mut inline.selection_set,
                        shapes,
                        path,
                        renamed,
                        counter,
                    );
                    if pushed {
                        path.pop();
                    }
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

/// A field set's selections as a lowered `requires` tree (`parent`: the type
/// an untyped inline fragment applies to).
fn plan_selections(selections: &[Selection], parent: &str) -> Vec<PlanSelection> {
    selections
        .iter()
        .filter_map(|s| match s {
            Selection::Field(f) => Some(PlanSelection::Field {
                name: f.name.to_string(),
                alias: None,
                selections: plan_selections(&f.selection_set, ""),
            }),
            Selection::InlineFragment(inline) => Some(PlanSelection::InlineFragment {
                type_condition: inline
                    .type_condition
                    .as_ref()
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| parent.to_string()),
                selections: plan_selections(&inline.selection_set, parent),
            }),
            Selection::FragmentSpread(_) => None,
        })
        .collect()
}

/// Adds to `into` what `from` selects and `into` lacks (fields by name).
fn merge_plan_selections(into: &mut Vec<PlanSelection>, from: Vec<PlanSelection>) {
    for selection in from {
        match selection {
            PlanSelection::Field {
                name, selections, ..
            } => {
                let existing = into.iter_mut().find_map(|s| match s {
                    PlanSelection::Field {
                        name: n,
                        alias,
                        selections: below,
                    } if *n == name || alias.as_deref() == Some(name.as_str()) => Some(below),
                    _ => None,
                });
                match existing {
                    Some(below) => merge_plan_selections(below, selections),
                    None => into.push(PlanSelection::Field {
                        name,
                        alias: None,
                        selections,
                    }),
                }
            }
            fragment @ PlanSelection::InlineFragment { .. } => {
                if !into.contains(&fragment) {
                    into.push(fragment);
                }
            }
        }
    }
}

impl Resolvability {
    /// An entity fetch whose `requires` lacks the `@requires` of a field it
    /// fetches (the planner merged a second, requirement-free path to the
    /// same field into the step): the subgraph answers "requires field not
    /// provided". Each such `requires` fragment gets the field's `@requires`
    /// selections (read from what earlier fetches brought, as any `requires`).
    pub(super) fn complete_requires(&self, plan: &mut QueryPlan) {
        if let Some(node) = plan.node.as_mut() {
            for_each_fetch_mut(node, &mut |fetch| match fetch {
                PlanNode::Entities(fetch) => {
                    let selections = fetch_selections(&fetch.operation.operation);
                    self.complete(
                        &fetch.operation.service_name,
                        &selections,
                        &mut fetch.requires,
                    );
                }
                // A batch merges several entity fetches into one request, one
                // aliased `_entities` each: every alias has its own `requires`.
                PlanNode::BatchFetch(batch) => {
                    for alias in &mut batch.aliases {
                        let selections = entities_selections(
                            &batch.operation.operation,
                            Some(alias.alias.as_str()),
                        );
                        self.complete(
                            &batch.operation.service_name,
                            &selections,
                            &mut alias.requires,
                        );
                    }
                }
                _ => {}
            });
        }
    }

    fn related(&self, a: &str, b: &str) -> bool {
        let implements =
            |x: &str, y: &str| self.types.get(x).is_some_and(|t| t.implements.contains(y));
        a == b || implements(a, b) || implements(b, a)
    }

    /// Adds to `requires` the `@requires` selections of every field `graph`
    /// is asked for in `selections` (an `_entities` field's inline fragments).
    fn complete(&self, graph: &str, selections: &[Selection], requires: &mut [PlanSelection]) {
        for selection in selections {
            let Selection::InlineFragment(inline) = selection else {
                continue;
            };
            let Some(on) = inline.type_condition.as_ref().map(|t| t.to_string()) else {
                continue;
            };
            let Some(ty) = self.types.get(&on) else {
                continue;
            };
            for field in &inline.selection_set {
                let Selection::Field(field) = field else {
                    continue;
                };
                let Some(field_requires) = ty
                    .fields
                    .get(field.name.as_str())
                    .and_then(|f| f.joins.as_ref())
                    .and_then(|joins| joins.iter().find(|j| j.graph == graph))
                    .and_then(|j| j.requires.as_deref())
                else {
                    continue;
                };
                let needed = plan_selections(&field_set(field_requires), &on);
                for fragment in requires.iter_mut() {
                    if let PlanSelection::InlineFragment {
                        type_condition,
                        selections,
                    } = fragment
                        && self.related(type_condition, &on)
                    {
                        merge_plan_selections(selections, needed.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::nodes::{EntityFetch, Fetch, SubgraphOperation};
    use super::*;

    /// Types with the join metadata the checks read (no `@link` header: the
    /// reader only needs the directives).
    const SUPERGRAPH: &str = r#"
        enum join__Graph { A @join__graph(name: "a", url: "") B @join__graph(name: "b", url: "") C @join__graph(name: "c", url: "") }
        type Query @join__type(graph: A) @join__type(graph: B) {
          products: [Product] @join__field(graph: A, provides: "category { name }")
          accounts: [Account] @join__field(graph: B)
        }
        type Product @join__type(graph: A, key: "upc") @join__type(graph: B, key: "upc") {
          upc: String!
          price(currency: String!): Int @join__field(graph: A)
          category: Category @join__field(graph: A, external: true) @join__field(graph: C)
          estimate: Int @join__field(graph: B, requires: "price(currency: \"USD\")")
          estimateEUR: Int @join__field(graph: B, requires: "price(currency: \"EUR\")")
        }
        type Category @join__type(graph: A) @join__type(graph: C) {
          name: String @join__field(graph: A, external: true) @join__field(graph: C)
          parent: Category @join__field(graph: A, external: true) @join__field(graph: C)
        }
        interface Account @join__type(graph: A, key: "id") @join__type(graph: B, key: "id", isInterfaceObject: true) {
          id: ID!
          name: String @join__field(graph: B)
        }
        type Admin implements Account @join__type(graph: A, key: "id") { id: ID! name: String @join__field }
        type Regular implements Account @join__type(graph: A, key: "id") { id: ID! name: String @join__field }
    "#;

    fn fetch(service: &str, operation: &str) -> PlanNode {
        PlanNode::Fetch(Box::new(Fetch {
            operation: SubgraphOperation::new(service.into(), operation.into(), vec![]),
            root_keys: vec![],
            output_rewrites: vec![],
        }))
    }

    fn entities(
        service: &str,
        path: &[&str],
        requires: Vec<PlanSelection>,
        operation: &str,
    ) -> PlanNode {
        PlanNode::Entities(Box::new(EntityFetch {
            path: path
                .iter()
                .map(|p| match *p {
                    "@" => FlattenSegment::List,
                    key => FlattenSegment::Field(key.into()),
                })
                .collect(),
            operation: SubgraphOperation::new(service.into(), operation.into(), vec![]),
            requires,
            input_rewrites: vec![],
            output_rewrites: vec![],
        }))
    }

    fn on(type_condition: &str, selections: Vec<PlanSelection>) -> PlanSelection {
        PlanSelection::InlineFragment {
            type_condition: type_condition.into(),
            selections,
        }
    }

    fn plan(nodes: Vec<PlanNode>) -> QueryPlan {
        QueryPlan {
            node: Some(PlanNode::Sequence { nodes }),
        }
    }

    fn requires_of(plan: &QueryPlan, index: usize) -> Vec<PlanSelection> {
        match &plan.node {
            Some(PlanNode::Sequence { nodes }) => match &nodes[index] {
                PlanNode::Entities(e) => e.requires.clone(),
                other => panic!("not an entity fetch: {other:?}"),
            },
            other => panic!("not a sequence: {other:?}"),
        }
    }

    #[test]
    fn a_provides_trusted_one_level_too_deep_is_refused() {
        let r = Resolvability::from_sdl(SUPERGRAPH);
        let ok = plan(vec![fetch("a", "{products{upc category{name}}}")]);
        assert_eq!(r.check(&ok), Ok(()));
        let deep = plan(vec![fetch("a", "{products{upc category{parent{name}}}}")]);
        let error = r.check(&deep).expect_err("refused");
        assert!(error.contains("Category.parent"), "{error}");
        // Another subgraph's field is refused anywhere.
        let elsewhere = plan(vec![fetch("a", "{products{estimate}}")]);
        assert!(r.check(&elsewhere).is_err());
    }

    #[test]
    fn requires_read_the_key_fetched_with_their_own_arguments() {
        let r = Resolvability::from_sdl(SUPERGRAPH);
        let mut p = plan(vec![
            fetch(
                "a",
                r#"{products{__typename upc price(currency: "EUR") _internal_qp_alias_0: price(currency: "USD")}}"#,
            ),
            entities(
                "b",
                &["products", "@"],
                vec![on(
                    "Product",
                    vec![
                        PlanSelection::field("__typename"),
                        PlanSelection::field("upc"),
                        PlanSelection::field("price"),
                    ],
                )],
                "query($representations:[_Any!]!){_entities(representations: $representations){...on Product{estimate}}}",
            ),
        ]);
        assert_eq!(r.repair_requires_arguments(&mut p), Ok(()));
        let requires = requires_of(&p, 1);
        assert!(
            requires.iter().any(|s| matches!(s, PlanSelection::InlineFragment { selections, .. }
                if selections.contains(&PlanSelection::Field { name: "_internal_qp_alias_0".into(), alias: Some("price".into()), selections: vec![] }))),
            "{requires:?}"
        );
        assert_eq!(r.check(&p), Ok(()));
    }

    #[test]
    fn one_representation_needing_two_arguments_is_refused() {
        let r = Resolvability::from_sdl(SUPERGRAPH);
        let mut p = plan(vec![
            fetch(
                "a",
                r#"{products{__typename upc price(currency: "USD") _internal_qp_alias_0: price(currency: "EUR")}}"#,
            ),
            entities(
                "b",
                &["products", "@"],
                vec![on(
                    "Product",
                    vec![PlanSelection::field("upc"), PlanSelection::field("price")],
                )],
                "query($representations:[_Any!]!){_entities(representations: $representations){...on Product{estimate estimateEUR}}}",
            ),
        ]);
        let error = r.repair_requires_arguments(&mut p).expect_err("refused");
        assert!(error.contains("price"), "{error}");
    }

    #[test]
    fn conflicting_fields_in_one_fetch_are_aliased() {
        let r = Resolvability::from_sdl(SUPERGRAPH);
        let mut p = plan(vec![fetch(
            "a",
            r#"query($b:Boolean!){products{upc price(currency: "EUR") ...on Product @include(if: $b){price(currency: "USD")}}}"#,
        )]);
        r.alias_conflicting_fields(&mut p);
        let Some(PlanNode::Sequence { nodes }) = &p.node else {
            unreachable!()
        };
        let PlanNode::Fetch(f) = &nodes[0] else {
            unreachable!()
        };
        assert!(
            f.operation
                .operation
                .contains(r#"_tessera_alias_0: price(currency: "USD")"#),
            "{}",
            f.operation.operation
        );
        assert!(f.operation.body_prefix.contains("_tessera_alias_0"));
    }

    #[test]
    fn two_fetches_writing_one_key_with_other_arguments_are_refused_unless_exclusive() {
        let r = Resolvability::from_sdl(SUPERGRAPH);
        let both = plan(vec![
            fetch("a", r#"{products{upc price(currency: "EUR")}}"#),
            entities(
                "a",
                &["products", "@"],
                vec![on("Product", vec![PlanSelection::field("upc")])],
                r#"query($representations:[_Any!]!){_entities(representations: $representations){...on Product{price(currency: "USD")}}}"#,
            ),
        ]);
        assert!(r.check(&both).is_err());
        let exclusive = QueryPlan {
            node: Some(PlanNode::Condition(Box::new(
                super::super::nodes::Condition {
                    variable: "v".into(),
                    if_true: Some(fetch("a", r#"{products{upc price(currency: "EUR")}}"#)),
                    if_false: Some(fetch("a", r#"{products{upc price(currency: "USD")}}"#)),
                },
            ))),
        };
        assert_eq!(r.check(&exclusive), Ok(()));
    }

    #[test]
    fn interface_object_fetches_take_every_implementation() {
        let r = Resolvability::from_sdl(SUPERGRAPH);
        let mut p = plan(vec![
            fetch("b", "{accounts{__typename id}}"),
            entities(
                "b",
                &["accounts", "@"],
                vec![on(
                    "Regular",
                    vec![
                        PlanSelection::field("__typename"),
                        PlanSelection::field("id"),
                    ],
                )],
                "query($representations:[_Any!]!){_entities(representations: $representations){...on Account{name}}}",
            ),
        ]);
        r.widen_interface_object_requires(&mut p);
        assert_eq!(
            requires_of(&p, 1),
            vec![on(
                "Account",
                vec![
                    PlanSelection::field("__typename"),
                    PlanSelection::field("id")
                ]
            )]
        );
    }

    #[test]
    fn a_missing_requirement_is_added() {
        let r = Resolvability::from_sdl(SUPERGRAPH);
        let mut p = plan(vec![
            fetch("a", r#"{products{__typename upc price(currency: "USD")}}"#),
            entities(
                "b",
                &["products", "@"],
                vec![on(
                    "Product",
                    vec![
                        PlanSelection::field("__typename"),
                        PlanSelection::field("upc"),
                    ],
                )],
                "query($representations:[_Any!]!){_entities(representations: $representations){...on Product{estimate}}}",
            ),
        ]);
        r.complete_requires(&mut p);
        let requires = requires_of(&p, 1);
        assert!(
            matches!(&requires[0], PlanSelection::InlineFragment { selections, .. } if selections.contains(&PlanSelection::field("price"))),
            "{requires:?}"
        );
    }

    #[test]
    fn a_field_with_contextual_arguments_is_refused() {
        let sdl = r#"
            enum join__Graph { A @join__graph(name: "a", url: "") }
            type Query @join__type(graph: A) { me: User @join__field(graph: A) }
            type User @join__type(graph: A, key: "id") @context(name: "a__user") {
              id: ID!
              currency: String
              price: Int @join__field(graph: A, contextArguments: [{context: "a__user", name: "currency", type: "String", selection: "{ currency }"}])
            }
        "#;
        let r = Resolvability::from_sdl(sdl);
        let fine = plan(vec![fetch("a", "{me{id currency}}")]);
        assert_eq!(r.check(&fine), Ok(()));
        let contextual = plan(vec![fetch("a", "{me{id price}}")]);
        let error = r.check(&contextual).expect_err("refused");
        assert!(
            error.contains("`User.price` takes contextual arguments"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_requirement_is_added_to_each_alias_of_a_batch() {
        let r = Resolvability::from_sdl(SUPERGRAPH);
        let key = || {
            vec![on(
                "Product",
                vec![
                    PlanSelection::field("__typename"),
                    PlanSelection::field("upc"),
                ],
            )]
        };
        let alias = |name: &str, path: &str| super::super::nodes::BatchAlias {
            alias: name.into(),
            representations_variable: format!("__batch_reps_{}", &name[2..]),
            paths: vec![vec![
                FlattenSegment::Field(path.into()),
                FlattenSegment::List,
            ]],
            requires: key(),
            input_rewrites: vec![],
            output_rewrites: vec![],
        };
        let mut p = plan(vec![PlanNode::BatchFetch(Box::new(
            super::super::nodes::BatchFetch {
                operation: SubgraphOperation::new(
                    "b".into(),
                    "query($__batch_reps_0:[_Any!]!,$__batch_reps_1:[_Any!]!){_e0: _entities(representations: $__batch_reps_0){...on Product{estimate}} _e1: _entities(representations: $__batch_reps_1){...on Product{upc}}}".into(),
                    vec![],
                ),
                aliases: vec![alias("_e0", "products"), alias("_e1", "more")],
            },
        ))]);
        r.complete_requires(&mut p);
        let Some(PlanNode::BatchFetch(batch)) = &p.node.as_ref().and_then(|n| match n {
            PlanNode::Sequence { nodes } => nodes.first(),
            other => Some(other),
        }) else {
            panic!("a batch");
        };
        let has_price = |requires: &[PlanSelection]| matches!(&requires[0], PlanSelection::InlineFragment { selections, .. } if selections.contains(&PlanSelection::field("price")));
        assert!(
            has_price(&batch.aliases[0].requires),
            "{:?}",
            batch.aliases[0].requires
        );
        assert!(
            !has_price(&batch.aliases[1].requires),
            "{:?}",
            batch.aliases[1].requires
        );
    }

    #[test]
    fn one_key_with_two_leaf_types_is_aliased_and_renamed_back() {
        let sdl = r#"
            enum join__Graph { B @join__graph(name: "b", url: "") }
            union U @join__type(graph: B) = X | Y
            type Query @join__type(graph: B) { u: [U] }
            type X @join__type(graph: B) { id: ID! @join__field(graph: B, type: "ID!") w: W }
            type Y @join__type(graph: B) { id: ID w: W }
            type W @join__type(graph: B) { n: Int }
        "#;
        let r = Resolvability::from_sdl(sdl);
        let mut p = plan(vec![fetch("b", "{u{...on X{id} ...on Y{id}}}")]);
        r.alias_shape_conflicts(&mut p);
        let Some(PlanNode::Sequence { nodes }) = &p.node else {
            unreachable!()
        };
        let PlanNode::Fetch(f) = &nodes[0] else {
            unreachable!()
        };
        assert!(
            f.operation.operation.contains("_tessera_shape_0: id"),
            "{}",
            f.operation.operation
        );
        assert_eq!(
            f.output_rewrites,
            vec![Rewrite::RenameKey {
                path: vec![
                    RewriteStep::Key("u".into()),
                    RewriteStep::TypenameIs(vec!["Y".into()]),
                    RewriteStep::Key("_tessera_shape_0".into())
                ],
                to: "id".into()
            }]
        );
        // Composite fields of different object types under one key merge.
        let mut same = plan(vec![fetch("b", "{u{...on X{w{n}} ...on Y{w{n}}}}")]);
        r.alias_shape_conflicts(&mut same);
        let Some(PlanNode::Sequence { nodes }) = &same.node else {
            unreachable!()
        };
        let PlanNode::Fetch(f) = &nodes[0] else {
            unreachable!()
        };
        assert!(f.output_rewrites.is_empty());
    }
}
