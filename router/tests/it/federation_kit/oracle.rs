//! The oracle: what a federated answer must be, computed from the data.
//!
//! A federated query must answer what one GraphQL server over the union of
//! the subgraphs' data would. The oracle is that server: the spec executor
//! (apollo-compiler's) runs the operation against the **API schema**, and
//! every field of every object is resolved by asking a subgraph that can
//! resolve it — read from the supergraph's `@join__type` / `@join__field`,
//! never from the router's planner — through that subgraph's own data
//! resolver, in process:
//!
//! - an object has one *view* per subgraph: the JSON that subgraph holds for
//!   it. The view it came from is the object the subgraph returned; any other
//!   is an `_entities` lookup in that subgraph by one of its resolvable keys
//!   (the key's fields evaluated on the object, from the views it has),
//!   plus, for a field with `@requires`, the required fields (evaluated the
//!   same way, arguments included);
//! - the candidates for `T.f` are the subgraphs of its `@join__field`s (not
//!   `external`, not `usedOverridden`), else every subgraph of `T`'s
//!   `@join__type`s; an `@interfaceObject` subgraph answers for every
//!   implementation of its interface (looked up as the interface);
//! - an object whose subgraph names an interface (an interface object) gets
//!   its runtime type from a subgraph that owns the interface as an entity;
//! - where several subgraphs can answer a field and their answers disagree
//!   (shareable fields with different data), each is acceptable: the oracle
//!   records the position (its response path without list indices, the way a
//!   plan chooses one subgraph for all items) and [`Oracle::accepts`] tries
//!   the combinations of choices.
//!
//! `@provides` is ignored on purpose: a provided field must equal its owner's
//! value, so the owner's is the answer.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use apollo_compiler::Schema;
use apollo_compiler::ast;
use apollo_compiler::executable::{ExecutableDocument, FieldSet, Selection, SelectionSet};
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use apollo_compiler::schema::{ExtendedType, Name, Type};
use apollo_compiler::validation::Valid;
use serde_json::{Map, Value, json};

use super::data::Resolver;
use super::{Call, js_numbers};

/// One subgraph as the oracle sees it.
pub struct Graph {
    /// The subgraph name (as in `@join__graph(name:)`).
    pub name: String,
    pub resolver: Arc<Resolver>,
}

#[derive(Clone, Debug)]
struct JoinType {
    graph: usize,
    key: Option<String>,
    resolvable: bool,
    interface_object: bool,
}

#[derive(Clone, Debug)]
struct JoinField {
    graph: usize,
    requires: Option<String>,
    provides: Option<String>,
    external: bool,
    used_overridden: bool,
}

/// The reference executor over one scenario.
pub struct Oracle {
    api: Valid<Schema>,
    supergraph: Valid<Schema>,
    graphs: Vec<Graph>,
    join_types: HashMap<String, Vec<JoinType>>,
    join_fields: HashMap<(String, String), Vec<JoinField>>,
}

/// What one run of the oracle found besides the response.
#[derive(Default)]
struct Run {
    /// Choice per disagreement site (absent: the first candidate).
    choices: BTreeMap<String, usize>,
    /// Sites where candidates disagreed, and how many candidates there were.
    sites: RefCell<BTreeMap<String, usize>>,
    /// Why the oracle could not answer (a field no subgraph resolves here).
    unanswerable: RefCell<Option<String>>,
    depth: RefCell<usize>,
}

/// The oracle's verdict on an actual response.
pub enum Verdict {
    /// The response is one the data allows.
    Accepted,
    /// It is not: the oracle's answer (with its first choices).
    Rejected { expected: Value },
    /// The oracle cannot answer this query (it says why).
    Unanswerable(String),
    /// `data` is an answer the data allows, but the router also reports
    /// errors that answer has not (a subgraph that failed on a field
    /// another subgraph then provided).
    ExtraErrors,
}

fn string_arg(directive: &ast::Directive, name: &str) -> Option<String> {
    directive
        .specified_argument_by_name(name)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

fn bool_arg(directive: &ast::Directive, name: &str) -> Option<bool> {
    directive
        .specified_argument_by_name(name)
        .and_then(|v| v.to_bool())
}

fn enum_arg(directive: &ast::Directive, name: &str) -> Option<String> {
    directive
        .specified_argument_by_name(name)
        .and_then(|v| v.as_enum())
        .map(|n| n.to_string())
}

/// A literal argument value as JSON.
fn literal(value: &ast::Value) -> Value {
    match value {
        ast::Value::Null | ast::Value::Variable(_) => Value::Null,
        ast::Value::Enum(n) => json!(n.as_str()),
        ast::Value::String(s) => json!(s),
        ast::Value::Boolean(b) => json!(b),
        ast::Value::Int(i) => i
            .try_to_i32()
            .map(|i| json!(i))
            .unwrap_or_else(|_| json!(i.as_str())),
        ast::Value::Float(f) => json!(f.try_to_f64().unwrap_or_default()),
        ast::Value::List(items) => Value::Array(items.iter().map(|i| literal(i)).collect()),
        ast::Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), literal(v)))
                .collect(),
        ),
    }
}

/// `a` and `b` (answers of two subgraphs) say the same: equal leaves, lists
/// of the same length item by item, objects equal on the keys both have.
fn agree(a: &Result<Value, String>, b: &Result<Value, String>) -> bool {
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                x.iter().all(|(k, v)| y.get(k).is_none_or(|w| same(v, w)))
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
            }
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            _ => a == b,
        }
    }
    match (a, b) {
        (Ok(a), Ok(b)) => same(a, b),
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

/// Deep merge of `from` into `into` (a representation's key and requires).
fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (x, y) in a.iter_mut().zip(b) {
                merge(x, y);
            }
        }
        (into, from) => *into = from,
    }
}

/// The fields of a key selection read from a JSON object (all non-null).
fn key_from(view: &Value, set: &SelectionSet) -> Option<Value> {
    let mut out = Map::new();
    for selection in &set.selections {
        match selection {
            Selection::Field(f) => {
                let value = view.get(f.name.as_str())?;
                let value = if f.selection_set.selections.is_empty() {
                    (!value.is_null()).then(|| value.clone())?
                } else {
                    match value {
                        Value::Array(items) => Value::Array(
                            items
                                .iter()
                                .map(|i| key_from(i, &f.selection_set))
                                .collect::<Option<Vec<_>>>()?,
                        ),
                        other => key_from(other, &f.selection_set)?,
                    }
                };
                out.insert(f.response_key().to_string(), value);
            }
            _ => return None,
        }
    }
    Some(Value::Object(out))
}

impl Oracle {
    /// The oracle over a supergraph (its SDL) and its subgraphs.
    pub fn new(supergraph_sdl: &str, graphs: Vec<Graph>) -> Result<Oracle, String> {
        let parsed =
            tessera_schema::Supergraph::parse(supergraph_sdl).map_err(|e| e.to_string())?;
        let api = tessera_schema::api_schema(&parsed).map_err(|e| e.to_string())?;
        let supergraph = parsed.schema().clone();
        // join__Graph value → graph index.
        let mut by_enum = HashMap::new();
        if let Some(ExtendedType::Enum(e)) = supergraph.types.get("join__Graph") {
            for (value, def) in &e.values {
                let name = def
                    .directives
                    .get("join__graph")
                    .and_then(|d| string_arg(d, "name"))
                    .unwrap_or_else(|| value.to_string());
                if let Some(i) = graphs.iter().position(|g| g.name == name) {
                    by_enum.insert(value.to_string(), i);
                }
            }
        }
        let graph_of =
            |d: &ast::Directive| enum_arg(d, "graph").and_then(|g| by_enum.get(&g).copied());
        let mut join_types: HashMap<String, Vec<JoinType>> = HashMap::new();
        let mut join_fields = HashMap::new();
        for (name, ty) in &supergraph.types {
            let (directives, fields) = match ty {
                ExtendedType::Object(o) => (&o.directives, Some(&o.fields)),
                ExtendedType::Interface(i) => (&i.directives, Some(&i.fields)),
                ExtendedType::Union(u) => (&u.directives, None),
                _ => continue,
            };
            for d in directives.get_all("join__type") {
                let Some(graph) = graph_of(d) else { continue };
                join_types
                    .entry(name.to_string())
                    .or_default()
                    .push(JoinType {
                        graph,
                        key: string_arg(d, "key"),
                        resolvable: bool_arg(d, "resolvable").unwrap_or(true),
                        interface_object: bool_arg(d, "isInterfaceObject").unwrap_or(false),
                    });
            }
            for (field, def) in fields.into_iter().flatten() {
                let list: Vec<JoinField> = def
                    .directives
                    .get_all("join__field")
                    .filter_map(|d| {
                        Some(JoinField {
                            graph: graph_of(d)?,
                            requires: string_arg(d, "requires"),
                            provides: string_arg(d, "provides"),
                            external: bool_arg(d, "external").unwrap_or(false),
                            used_overridden: bool_arg(d, "usedOverridden").unwrap_or(false),
                        })
                    })
                    .collect();
                // A field without `@join__field` is resolved by every graph
                // of its type; one with a graph-less `@join__field` (an
                // interface object's field on an implementation) by none
                // directly.
                if def.directives.get("join__field").is_some() {
                    join_fields.insert((name.to_string(), field.to_string()), list);
                }
            }
        }
        Ok(Oracle {
            api,
            supergraph,
            graphs,
            join_types,
            join_fields,
        })
    }

    /// The API schema queries are generated and validated against.
    pub fn api_schema(&self) -> &Valid<Schema> {
        &self.api
    }

    /// Strings found in every subgraph's data.
    pub fn strings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for g in &self.graphs {
            g.resolver.strings(&mut out);
        }
        out.sort();
        out.dedup();
        out
    }

    /// The name under which `graph` knows objects of the concrete type `ty`:
    /// `ty` itself, or the `@interfaceObject` interface it implements there.
    fn local_type(&self, ty: &str, graph: usize) -> Option<String> {
        let joined = |name: &str| {
            self.join_types
                .get(name)
                .is_some_and(|list| list.iter().any(|j| j.graph == graph))
        };
        if joined(ty) || ty == "Query" || ty == "Mutation" {
            return Some(ty.to_string());
        }
        let ExtendedType::Object(object) = self.supergraph.types.get(ty)? else {
            return None;
        };
        object
            .implements_interfaces
            .iter()
            .find(|i| {
                self.join_types
                    .get(i.as_str())
                    .is_some_and(|l| l.iter().any(|j| j.graph == graph && j.interface_object))
            })
            .map(|i| i.to_string())
    }

    /// The subgraphs that resolve `ty.field` (a concrete type), with the
    /// field's `@requires` in each.
    fn candidates(&self, ty: &str, field: &str) -> Vec<(usize, Option<String>)> {
        let mut out: Vec<(usize, Option<String>)> = Vec::new();
        let mut add = |graph: usize, requires: Option<String>| {
            if !out.iter().any(|(g, _)| *g == graph) {
                out.push((graph, requires));
            }
        };
        let mut from = |owner: &str, only_interface_objects: bool| {
            let has_field = match self.supergraph.types.get(owner) {
                Some(ExtendedType::Object(o)) => o.fields.contains_key(field),
                Some(ExtendedType::Interface(i)) => i.fields.contains_key(field),
                _ => false,
            };
            if !has_field {
                return;
            }
            let interface_object = |graph: usize| {
                self.join_types
                    .get(owner)
                    .is_some_and(|l| l.iter().any(|j| j.graph == graph && j.interface_object))
            };
            match self
                .join_fields
                .get(&(owner.to_string(), field.to_string()))
            {
                Some(list) => {
                    for j in list {
                        if !j.external
                            && !j.used_overridden
                            && (!only_interface_objects || interface_object(j.graph))
                        {
                            add(j.graph, j.requires.clone());
                        }
                    }
                }
                None => {
                    for j in self.join_types.get(owner).into_iter().flatten() {
                        if !only_interface_objects || j.interface_object {
                            add(j.graph, None);
                        }
                    }
                }
            }
        };
        from(ty, false);
        if let Some(ExtendedType::Object(object)) = self.supergraph.types.get(ty) {
            for interface in &object.implements_interfaces {
                from(interface.as_str(), true);
            }
        }
        if out.is_empty() && (ty == "Query" || ty == "Mutation") {
            // A root type without `@join__type`s: every graph.
            out = (0..self.graphs.len()).map(|g| (g, None)).collect();
        }
        out
    }

    /// Whether `graph`'s own schema has `object` as a possible type of the
    /// abstract type `declared` (`@join__implements` / `@join__unionMember`;
    /// true where the supergraph does not say per graph).
    fn member_in(&self, graph: usize, object: &str, declared: &str) -> bool {
        let graph_name = |d: &ast::Directive| enum_arg(d, "graph");
        let enum_value = self
            .supergraph
            .types
            .get("join__Graph")
            .and_then(|t| match t {
                ExtendedType::Enum(e) => e
                    .values
                    .iter()
                    .find(|(v, def)| {
                        def.directives
                            .get("join__graph")
                            .and_then(|d| string_arg(d, "name"))
                            .unwrap_or_else(|| v.to_string())
                            == self.graphs[graph].name
                    })
                    .map(|(v, _)| v.to_string()),
                _ => None,
            });
        let Some(enum_value) = enum_value else {
            return true;
        };
        match self.supergraph.types.get(declared) {
            Some(ExtendedType::Interface(_)) => match self.supergraph.types.get(object) {
                Some(ExtendedType::Object(o)) => {
                    let per_graph: Vec<_> = o.directives.get_all("join__implements").collect();
                    per_graph.is_empty()
                        || per_graph.iter().any(|d| {
                            graph_name(d).as_deref() == Some(enum_value.as_str())
                                && string_arg(d, "interface").as_deref() == Some(declared)
                        })
                }
                _ => true,
            },
            Some(ExtendedType::Union(u)) => {
                let per_graph: Vec<_> = u.directives.get_all("join__unionMember").collect();
                per_graph.is_empty()
                    || per_graph.iter().any(|d| {
                        graph_name(d).as_deref() == Some(enum_value.as_str())
                            && string_arg(d, "member").as_deref() == Some(object)
                    })
            }
            _ => true,
        }
    }

    /// `object` is `condition` or one of its possible types.
    fn is_a(&self, object: &str, condition: &str) -> bool {
        if object == condition {
            return true;
        }
        match self.supergraph.types.get(condition) {
            Some(ExtendedType::Union(u)) => u.members.iter().any(|m| m.name == object),
            Some(ExtendedType::Interface(_)) => match self.supergraph.types.get(object) {
                Some(ExtendedType::Object(o)) => {
                    o.implements_interfaces.iter().any(|i| i.name == condition)
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Runs `query` once with these choices.
    fn run(&self, run: &Run, document: &Valid<ExecutableDocument>, variables: &Value) -> Value {
        let errors = |message: String| json!({"data": null, "errors": [{"message": message}]});
        let Ok(operation) = document.operations.get(None) else {
            return errors("no single operation".into());
        };
        let raw: JsonValue = serde_json::from_value(variables.clone()).expect("json");
        let JsonValue::Object(raw) = raw else {
            return errors("variables are not an object".into());
        };
        let coerced =
            match apollo_compiler::request::coerce_variable_values(&self.api, operation, &raw) {
                Ok(v) => v,
                Err(e) => return errors(e.message().to_string()),
            };
        let root_type = if operation.operation_type.is_mutation() {
            "Mutation"
        } else {
            "Query"
        };
        let root = Obj::new(self, run, root_type.to_string(), String::new());
        for g in 0..self.graphs.len() {
            root.views
                .borrow_mut()
                .insert((g, None), Some(self.graphs[g].resolver.query()));
        }
        let response = Execution::new(&self.api, document)
            .operation(operation)
            .coerced_variable_values(&coerced)
            .execute_sync(&root);
        let mut out = match response {
            Ok(response) => serde_json::to_value(&response).expect("json"),
            Err(e) => errors(e.message().to_string()),
        };
        js_numbers(&mut out);
        out
    }

    /// Whether `actual` (a router's response body) is an answer the data
    /// allows for `query`: `data` equal, errors present exactly when the
    /// oracle has some, under some combination of the subgraphs' choices
    /// where they disagree.
    pub fn accepts(&self, query: &str, variables: &Value, actual: &Value) -> Verdict {
        let document = match ExecutableDocument::parse_and_validate(&self.api, query, "q.graphql") {
            Ok(d) => d,
            Err(e) => return Verdict::Unanswerable(format!("invalid query: {}", e.errors)),
        };
        let has_errors = |v: &Value| {
            v.get("errors")
                .and_then(|e| e.as_array())
                .is_some_and(|e| !e.is_empty())
        };
        let mut actual_data = actual["data"].clone();
        js_numbers(&mut actual_data);
        let matches = |expected: &Value| {
            expected["data"] == actual_data && has_errors(expected) == has_errors(actual)
        };
        // Breadth first: every single choice before any pair of choices.
        let mut queue: std::collections::VecDeque<BTreeMap<String, usize>> =
            std::collections::VecDeque::from([BTreeMap::new()]);
        let mut seen: HashSet<BTreeMap<String, usize>> = HashSet::new();
        let mut first = None;
        let mut extra_errors = false;
        let mut runs = 0;
        while let Some(choices) = queue.pop_front() {
            if !seen.insert(choices.clone()) || runs >= 256 {
                continue;
            }
            runs += 1;
            let run = Run {
                choices,
                ..Run::default()
            };
            let expected = self.run(&run, &document, variables);
            if std::env::var_os("ORACLE_TRACE").is_some() {
                eprintln!("RUN {:?} -> sites {:?}", run.choices, run.sites.borrow());
            }
            if let Some(why) = run.unanswerable.borrow_mut().take() {
                return Verdict::Unanswerable(why);
            }
            if matches(&expected) {
                return Verdict::Accepted;
            }
            extra_errors |= expected["data"] == actual_data && !has_errors(&expected);
            if run.choices.len() < 6 {
                for (site, n) in run.sites.borrow().iter() {
                    if run.choices.contains_key(site) {
                        continue;
                    }
                    for alternative in 1..*n {
                        let mut next = run.choices.clone();
                        next.insert(site.clone(), alternative);
                        queue.push_back(next);
                    }
                }
            }
            first.get_or_insert(expected);
        }
        if extra_errors {
            return Verdict::ExtraErrors;
        }
        Verdict::Rejected {
            expected: first.unwrap_or(Value::Null),
        }
    }
}

type ViewKey = (usize, Option<String>);

/// A field's answer: the subgraph chosen, its value, and the agreeing
/// values of other subgraphs (the same objects as they hold them: a router
/// asking a shared field of several subgraphs merges them by position).
struct Resolved {
    graph: usize,
    value: Value,
    siblings: Vec<(usize, Value)>,
    /// Every subgraph that could answer the field.
    graphs: Vec<usize>,
}

/// The siblings' part at list index `i` (or as they are, for an object).
fn item_siblings(siblings: &[(usize, Value)], i: usize) -> Vec<(usize, Value)> {
    siblings
        .iter()
        .filter_map(|(g, v)| match v {
            Value::Array(items) => items.get(i).map(|item| (*g, item.clone())),
            _ => None,
        })
        .collect()
}

/// An object of the answer: its concrete type and its views per subgraph.
struct Obj<'o> {
    oracle: &'o Oracle,
    run: &'o Run,
    type_name: String,
    /// Response path without list indices (a disagreement site's name).
    path: String,
    /// `(graph, requires)` → the subgraph's JSON for this object (`None`:
    /// the subgraph does not know it).
    views: RefCell<HashMap<ViewKey, Option<Value>>>,
    /// The fields its subgraph `@provides` on the path it came by.
    provided: Option<(usize, SelectionSet)>,
    /// The subgraph that returned it (none for the root).
    origin: Option<usize>,
    /// Its fields read null (see [`Obj::complete`]).
    narrowed: bool,
    /// The subgraphs a plan could have taken it from (the ones that resolve
    /// the field it came by and can reach its parent).
    reachable: Vec<usize>,
}

impl<'o> Obj<'o> {
    fn new(oracle: &'o Oracle, run: &'o Run, type_name: String, path: String) -> Self {
        Obj {
            oracle,
            run,
            type_name,
            path,
            views: RefCell::new(HashMap::new()),
            provided: None,
            origin: None,
            narrowed: false,
            reachable: (0..oracle.graphs.len()).collect(),
        }
    }

    /// The selection `graph` provides for `field` of this object's children:
    /// the field's own `@provides` there, or what the parent's provides
    /// select below `field`.
    fn provides_below(&self, graph: usize, field: &str) -> Option<SelectionSet> {
        let own = self
            .oracle
            .join_fields
            .get(&(self.type_name.clone(), field.to_string()))
            .into_iter()
            .flatten()
            .find(|j| j.graph == graph)
            .and_then(|j| j.provides.clone());
        if let Some(provides) = own {
            let ty = match self.oracle.supergraph.types.get(self.type_name.as_str()) {
                Some(ExtendedType::Object(o)) => {
                    o.fields.get(field).map(|f| f.ty.inner_named_type().clone())
                }
                _ => None,
            }?;
            return FieldSet::parse(
                &self.oracle.supergraph,
                ty,
                provides.as_str(),
                "provides.graphql",
            )
            .ok()
            .map(|f| f.selection_set);
        }
        let (g, set) = self.provided.as_ref()?;
        if *g != graph {
            return None;
        }
        self.provided_field(set, field)
            .filter(|s| !s.selections.is_empty())
    }

    /// `field` as `set` (a provides selection) selects it on this object.
    fn provided_field(&self, set: &SelectionSet, field: &str) -> Option<SelectionSet> {
        for selection in &set.selections {
            match selection {
                Selection::Field(f) if f.name == field => return Some(f.selection_set.clone()),
                Selection::InlineFragment(inline)
                    if inline
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.oracle.is_a(&self.type_name, c)) =>
                {
                    if let Some(found) = self.provided_field(&inline.selection_set, field) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn unanswerable(&self, why: String) -> String {
        let mut slot = self.run.unanswerable.borrow_mut();
        slot.get_or_insert_with(|| why.clone());
        why
    }

    /// The object `graph` returned as `value` (of declared type `declared`).
    fn child(
        &self,
        graph: usize,
        value: Value,
        siblings: &[(usize, Value)],
        declared: &str,
        path: String,
        provided: Option<SelectionSet>,
    ) -> Result<Obj<'o>, String> {
        let named = value
            .get("__typename")
            .and_then(|t| t.as_str())
            .unwrap_or(declared)
            .to_string();
        let concrete = match self.oracle.supergraph.types.get(named.as_str()) {
            Some(ExtendedType::Object(_)) => named.clone(),
            Some(ExtendedType::Interface(_)) => self.runtime_type(&named, graph, &value)?,
            _ => return Err(format!("oracle: {named} is not an object type")),
        };
        if !self.oracle.api.types.contains_key(concrete.as_str()) {
            // An `@inaccessible` type at an abstract position: the API schema
            // cannot describe the answer (routers project it through the
            // interface); not a question the oracle answers.
            return Err(self.unanswerable(format!(
                "oracle: an object of {concrete}, which the API schema hides"
            )));
        }
        // The subgraph's own executor refuses an object its schema does not
        // allow at an abstract position.
        if concrete == named
            && declared != named
            && !self.oracle.member_in(graph, &concrete, declared)
        {
            return Err(format!(
                "{} returned an object of type {concrete} which is not a possible type of {declared} there",
                self.oracle.graphs[graph].name
            ));
        }
        let mut obj = Obj::new(self.oracle, self.run, concrete, path);
        obj.views.borrow_mut().insert((graph, None), Some(value));
        // Another subgraph's copy of the object stands for it there only where
        // that subgraph cannot look it up by key (a value type: a router
        // merges such copies by position; an entity it fetches by key).
        for (g, v) in siblings {
            let by_key = self
                .oracle
                .local_type(&obj.type_name, *g)
                .is_some_and(|local| {
                    self.oracle.join_types.get(&local).is_some_and(|l| {
                        l.iter()
                            .any(|j| j.graph == *g && j.resolvable && j.key.is_some())
                    })
                });
            if v.is_object() && !by_key {
                obj.views.borrow_mut().insert((*g, None), Some(v.clone()));
            }
        }
        obj.provided = provided.map(|set| (graph, set));
        obj.origin = Some(graph);
        Ok(obj)
    }

    /// The concrete type of an interface object `graph` returned: asked of a
    /// subgraph that owns the interface as an entity.
    fn runtime_type(&self, interface: &str, graph: usize, value: &Value) -> Result<String, String> {
        let owners = self
            .oracle
            .join_types
            .get(interface)
            .cloned()
            .unwrap_or_default();
        for owner in owners
            .iter()
            .filter(|j| !j.interface_object && j.resolvable)
        {
            let Some(key) = &owner.key else { continue };
            let Ok(set) = FieldSet::parse(
                &self.oracle.supergraph,
                Name::new(interface).map_err(|e| e.to_string())?,
                key.as_str(),
                "key.graphql",
            ) else {
                continue;
            };
            // The key from what `graph` returned.
            let probe = Obj::new(
                self.oracle,
                self.run,
                interface.to_string(),
                self.path.clone(),
            );
            probe
                .views
                .borrow_mut()
                .insert((graph, None), Some(value.clone()));
            let Ok(mut repr) = probe.select(&set.selection_set, &[]) else {
                continue;
            };
            repr["__typename"] = json!(interface);
            let found = self.oracle.graphs[owner.graph].resolver.entity(&repr)?;
            if let Some(t) = found.get("__typename").and_then(|t| t.as_str()) {
                return Ok(t.to_string());
            }
        }
        Err(self.unanswerable(format!(
            "oracle: no runtime type for a {interface} of graph {graph}"
        )))
    }

    /// This object's view in `graph` for a field with `requires` (`None`:
    /// `graph` cannot look it up).
    fn view(
        &self,
        graph: usize,
        requires: Option<&str>,
        exclude: &[usize],
    ) -> Result<Option<Value>, String> {
        let key: ViewKey = (graph, requires.map(str::to_string));
        if let Some(v) = self.views.borrow().get(&key) {
            return Ok(v.clone());
        }
        let Some(local) = self.oracle.local_type(&self.type_name, graph) else {
            return Ok(None);
        };
        // `Some("")`: a lookup by key even where the object came from `graph`.
        let requires = requires.filter(|r| !r.is_empty());
        let own = self.views.borrow().get(&(graph, None)).cloned().flatten();
        let keys: Vec<String> = self
            .oracle
            .join_types
            .get(&local)
            .into_iter()
            .flatten()
            .filter(|j| j.graph == graph && j.resolvable)
            .filter_map(|j| j.key.clone())
            .collect();
        let mut repr = None;
        let mut exclude = exclude.to_vec();
        exclude.push(graph);
        for key in &keys {
            let set = FieldSet::parse(
                &self.oracle.supergraph,
                Name::new(&local).map_err(|e| e.to_string())?,
                key.as_str(),
                "key.graphql",
            )
            .map_err(|e| format!("oracle: key {key:?} of {local}: {}", e.errors))?;
            // The key as a view holds it (what a plan sends), else resolved.
            let held = {
                let views = self.views.borrow();
                let mut found = None;
                for view in views.values().flatten() {
                    found = key_from(view, &set.selection_set);
                    if found.is_some() {
                        break;
                    }
                }
                found
            };
            let value = match held {
                Some(v) => v,
                None => match self.select(&set.selection_set, &exclude) {
                    Ok(v) => v,
                    Err(_) => continue,
                },
            };
            if value
                .as_object()
                .is_some_and(|m| m.values().all(|v| !v.is_null()))
            {
                repr = Some(value);
                break;
            }
        }
        let Some(mut repr) = repr else {
            // No key: only the subgraph's own object (a value type, a
            // non-resolvable entity) — without `@requires` inputs.
            return Ok(if requires.is_none() { own } else { None });
        };
        repr["__typename"] = json!(local);
        if let Some(requires) = requires {
            let set = FieldSet::parse(
                &self.oracle.supergraph,
                Name::new(&self.type_name).map_err(|e| e.to_string())?,
                requires,
                "requires.graphql",
            )
            .map_err(|e| format!("oracle: requires {requires:?}: {}", e.errors))?;
            // A required field that fails is absent from the representation.
            if let Ok(required) = self.select(&set.selection_set, &[]) {
                merge(&mut repr, required);
            }
        }
        let found = self.oracle.graphs[graph].resolver.entity(&repr)?;
        let view = match found {
            Value::Object(mut map) => {
                map.entry("__typename").or_insert(json!(local));
                Some(Value::Object(map))
            }
            _ => Some(Value::Null),
        };
        self.views.borrow_mut().insert(key, view.clone());
        Ok(view)
    }

    /// `field(args)` of this object in `graph` (`None`: `graph` cannot).
    fn value_in(
        &self,
        graph: usize,
        requires: Option<&str>,
        field: &str,
        args: &Value,
        exclude: &[usize],
    ) -> Option<Result<Value, String>> {
        let view = match self.view(graph, requires, exclude) {
            Ok(Some(view)) => view,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        if view.is_null() {
            // The subgraph has no such entity: its fields are null.
            return Some(Ok(Value::Null));
        }
        let local = self.oracle.local_type(&self.type_name, graph)?;
        let call = Call {
            type_name: &local,
            field,
            parent: &view,
            args,
        };
        let resolver = &self.oracle.graphs[graph].resolver;
        match resolver.resolve(&call) {
            Some(answer) => Some(answer),
            // The object as the subgraph returned it lacks the field (a
            // reference by key): what the subgraph answers for that key.
            None if requires.is_none() && self.origin == Some(graph) => {
                match self.view(graph, Some(""), exclude) {
                    Ok(Some(view)) if !view.is_null() => {
                        let call = Call {
                            type_name: &local,
                            field,
                            parent: &view,
                            args,
                        };
                        Some(resolver.resolve(&call).unwrap_or(Ok(Value::Null)))
                    }
                    _ => Some(Ok(Value::Null)),
                }
            }
            None => Some(Ok(Value::Null)),
        }
    }

    /// `field(args)` of this object: the graph that answered and its value.
    fn resolve_raw(
        &self,
        field: &str,
        args: &Value,
        site: &str,
        exclude: &[usize],
    ) -> Result<Resolved, String> {
        {
            let mut depth = self.run.depth.borrow_mut();
            *depth += 1;
            if *depth > 64 {
                *depth -= 1;
                return Err(
                    self.unanswerable(format!("oracle: too deep at {}.{field}", self.type_name))
                );
            }
        }
        let result = self.resolve_raw_inner(field, args, site, exclude);
        *self.run.depth.borrow_mut() -= 1;
        result
    }

    fn resolve_raw_inner(
        &self,
        field: &str,
        args: &Value,
        site_path: &str,
        exclude: &[usize],
    ) -> Result<Resolved, String> {
        let mut candidates = self.oracle.candidates(&self.type_name, field);
        if let Some((g, set)) = &self.provided
            && self.provided_field(set, field).is_some()
            && !candidates.iter().any(|(c, _)| c == g)
        {
            candidates.push((*g, None));
        }
        candidates.retain(|(g, _)| !exclude.contains(g));
        // The subgraph this object came from first (where a plan reads it).
        candidates.sort_by_key(|(g, _)| Some(*g) != self.origin);
        let mut answers: Vec<(usize, Result<Value, String>)> = Vec::new();
        for (graph, requires) in &candidates {
            if let Some(answer) = self.value_in(*graph, requires.as_deref(), field, args, exclude) {
                answers.push((*graph, answer));
            }
            // A fetch asking several fields of one subgraph sends the union
            // of their requirements, which a subgraph may read more of.
            if let Some(all) = requires.as_ref().and_then(|_| self.all_requires(*graph))
                && Some(&all) != requires.as_ref()
                && let Some(answer) = self.value_in(*graph, Some(&all), field, args, exclude)
            {
                answers.push((*graph, answer));
            }
        }
        if answers.is_empty() {
            if !exclude.is_empty() {
                return Err(format!(
                    "oracle: {}.{field} only from an excluded subgraph",
                    self.type_name
                ));
            }
            return Err(self.unanswerable(format!(
                "oracle: no subgraph resolves {}.{field} here",
                self.type_name
            )));
        }
        if std::env::var_os("ORACLE_TRACE").is_some() {
            eprintln!(
                "{site_path} {}.{field} provided={:?} answers={answers:?}",
                self.type_name,
                self.provided
                    .as_ref()
                    .map(|(g, s)| (g, s.serialize().no_indent().to_string()))
            );
        }
        // Objects from different subgraphs may answer differently below
        // even where they agree here: a choice too.
        let composite = |a: &Result<Value, String>| match a {
            Ok(Value::Object(_)) => true,
            Ok(Value::Array(items)) => items.iter().any(|i| i.is_object() || i.is_array()),
            _ => false,
        };
        let disagree = answers.iter().any(|(_, a)| !agree(a, &answers[0].1))
            || (answers.iter().any(|(g, _)| *g != answers[0].0) && composite(&answers[0].1));
        // A plan usually asks one subgraph for a field wherever it appears:
        // one choice per `Type.field` (aliases and list items included).
        // A plan usually asks one subgraph for a field wherever it appears
        // (one choice per `Type.field`: aliases and list items included), but
        // may ask another at one position (one choice per response path).
        let by_type = format!("type {}.{field}", self.type_name);
        let by_path = format!("path {site_path}");
        let pick = if disagree {
            let mut sites = self.run.sites.borrow_mut();
            sites.insert(by_type.clone(), answers.len());
            sites.insert(by_path.clone(), answers.len());
            let choices = &self.run.choices;
            choices
                .get(&by_path)
                .or_else(|| choices.get(&by_type))
                .copied()
                .unwrap_or(0)
                .min(answers.len() - 1)
        } else {
            0
        };
        // Every subgraph the supergraph says resolves the field, whether or
        // not it can reach this object.
        let graphs: Vec<usize> = candidates.iter().map(|(g, _)| *g).collect();
        let (graph, answer) = answers.swap_remove(pick);
        let value = answer?;
        let siblings = answers
            .into_iter()
            .filter(|(g, a)| *g != graph && agree(a, &Ok(value.clone())))
            .filter_map(|(g, a)| a.ok().map(|v| (g, v)))
            .filter(|(_, v)| v.is_object() || v.is_array())
            .collect();
        Ok(Resolved {
            graph,
            value,
            siblings,
            graphs,
        })
    }

    /// Every `@requires` of `graph`'s fields on this type, as one field set.
    fn all_requires(&self, graph: usize) -> Option<String> {
        let mut list: Vec<String> = self
            .oracle
            .join_fields
            .iter()
            .filter(|((t, _), _)| *t == self.type_name)
            .flat_map(|(_, l)| l.iter())
            .filter(|j| j.graph == graph)
            .filter_map(|j| j.requires.clone())
            .collect();
        list.sort();
        list.dedup();
        (list.len() > 1).then(|| list.join(" "))
    }

    /// A selection set (a key or `@requires`) evaluated on this object, as a
    /// representation holds it (nested objects with `__typename`).
    fn select(&self, set: &SelectionSet, exclude: &[usize]) -> Result<Value, String> {
        let mut out = Map::new();
        for selection in &set.selections {
            match selection {
                Selection::Field(f) => {
                    let key = f.response_key().to_string();
                    if f.name == "__typename" {
                        out.insert(key, json!(self.type_name));
                        continue;
                    }
                    let mut args = Map::new();
                    for a in &f.definition.arguments {
                        if let Some(d) = &a.default_value {
                            args.insert(a.name.to_string(), literal(d));
                        }
                    }
                    for a in &f.arguments {
                        args.insert(a.name.to_string(), literal(&a.value));
                    }
                    let site = format!("{}.{key}", self.path);
                    let r = self.resolve_raw(&f.name, &Value::Object(args), &site, exclude)?;
                    let value = self.complete_json(
                        r.graph,
                        r.value,
                        &r.siblings,
                        &f.definition.ty,
                        &f.selection_set,
                        &site,
                    )?;
                    out.insert(key, value);
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.oracle.is_a(&self.type_name, c));
                    if applies {
                        let mut inner = Value::Object(std::mem::take(&mut out));
                        merge(&mut inner, self.select(&inline.selection_set, exclude)?);
                        out = match inner {
                            Value::Object(m) => m,
                            _ => Map::new(),
                        };
                    }
                }
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(Value::Object(out))
    }

    fn complete_json(
        &self,
        graph: usize,
        raw: Value,
        siblings: &[(usize, Value)],
        ty: &Type,
        set: &SelectionSet,
        site: &str,
    ) -> Result<Value, String> {
        match raw {
            Value::Null => Ok(Value::Null),
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(n, i)| {
                    self.complete_json(
                        graph,
                        i,
                        &item_siblings(siblings, n),
                        ty.item_type(),
                        set,
                        site,
                    )
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            value if !set.selections.is_empty() => {
                let child = self.child(
                    graph,
                    value,
                    siblings,
                    ty.inner_named_type(),
                    site.to_string(),
                    None,
                )?;
                let mut out = child.select(set, &[])?;
                out["__typename"] = json!(child.type_name);
                Ok(out)
            }
            leaf => Ok(leaf),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn complete(
        &self,
        graph: usize,
        raw: Value,
        siblings: &[(usize, Value)],
        ty: &Type,
        site: &str,
        provided: &Option<SelectionSet>,
        graphs: &[usize],
    ) -> Result<ResolvedValue<'o>, String> {
        let named = ty.inner_named_type();
        Ok(match raw {
            Value::Null => ResolvedValue::null(),
            Value::Array(items) => {
                let mut out = Vec::new();
                for (n, item) in items.into_iter().enumerate() {
                    out.push(
                        self.complete(
                            graph,
                            item,
                            &item_siblings(siblings, n),
                            ty.item_type(),
                            site,
                            provided,
                            graphs,
                        )
                        .map_err(|message| FieldError { message }),
                    );
                }
                ResolvedValue::List(Box::new(out.into_iter()))
            }
            value @ Value::Object(_)
                if matches!(
                    self.oracle.api.types.get(named.as_str()),
                    Some(
                        ExtendedType::Object(_)
                            | ExtendedType::Interface(_)
                            | ExtendedType::Union(_)
                    )
                ) =>
            {
                let mut child = self.child(
                    graph,
                    value,
                    siblings,
                    named,
                    site.to_string(),
                    provided.clone(),
                )?;
                // A member of the abstract type that not every subgraph able
                // to answer this (shareable) field has: its fields read null,
                // whichever subgraph answered (the merged audit suite's
                // `partial-union-complex`).
                child.narrowed = child.type_name != named.as_str()
                    && graphs.len() > 1
                    && graphs
                        .iter()
                        .any(|g| !self.oracle.member_in(*g, &child.type_name, named));
                child.reachable = graphs.to_vec();
                ResolvedValue::Object(Box::new(child))
            }
            Value::Number(n) if named == "Float" && !n.is_f64() => {
                ResolvedValue::Leaf(serde_json::from_value(json!(n.as_f64())).expect("json"))
            }
            leaf => ResolvedValue::Leaf(serde_json::from_value(leaf).expect("json")),
        })
    }
}

impl ObjectValue for Obj<'_> {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let field = info.field_name();
        let key = info
            .field_selections()
            .first()
            .map(|f| f.response_key().to_string())
            .unwrap_or_else(|| field.to_string());
        let site = format!("{}.{key}", self.path);
        let args = serde_json::to_value(info.arguments()).expect("json");
        let ty: &Type = &info.field_definition().ty;
        if self.narrowed {
            return Ok(ResolvedValue::null());
        }
        let r = self
            .resolve_raw(field, &args, &site, &[])
            .map_err(|message| FieldError { message })?;
        let provided = self.provides_below(r.graph, field);
        // The subgraphs that resolve the field and could have reached this
        // object (it came from them, or they look it up by key).
        let by_key = |g: usize| {
            self.oracle
                .local_type(&self.type_name, g)
                .is_some_and(|local| {
                    self.oracle.join_types.get(&local).is_some_and(|l| {
                        l.iter()
                            .any(|j| j.graph == g && j.resolvable && j.key.is_some())
                    })
                })
        };
        let graphs: Vec<usize> = r
            .graphs
            .iter()
            .copied()
            .filter(|g| self.reachable.contains(g) || by_key(*g))
            .collect();
        self.complete(r.graph, r.value, &r.siblings, ty, &site, &provided, &graphs)
            .map_err(|message| FieldError { message })
    }
}
