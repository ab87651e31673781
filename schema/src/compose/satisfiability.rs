//! Satisfiability: every field a client can select in the composed supergraph can
//! be resolved by some plan over the subgraphs.
//!
//! Federation v2 composition validates the supergraph this way (error
//! `SATISFIABILITY_ERROR`, Apollo Federation docs, "Composition" → "Satisfiability";
//! the federation errors reference lists the code). Merging alone accepts subgraph
//! sets whose supergraph has fields no plan reaches, e.g. a `@shareable` value type
//! (no `@key`) that has field `y` only in subgraph `b` while `a` alone answers the
//! root field returning it: `{ a { y } }` would be planned into a fetch that cannot
//! select `y`.
//!
//! The walk explores the API schema from each root type. At every position it keeps
//! the set of *states* a plan may be in there: a subgraph, the type that subgraph
//! sees (a subtype, or an `@interfaceObject` standing in for an interface) and what
//! an enclosing `@provides` lets it answer although `@external`. A field is
//! satisfiable at a position when some state resolves it directly, or after a jump
//! to another subgraph through a resolvable `@key` whose fields can be collected
//! from the states already reachable (jumps chain, so `a → c → b` across different
//! keys works). A field with `@requires` also needs its conditions satisfiable from
//! the subgraph that requires them. At abstract positions each possible runtime
//! type is explored with the states that can return it; a fragment no state can
//! return is vacuous.
//!
//! The walk is deliberately lenient where the supergraph does not say enough (nested
//! key selections are checked at their top level only, type conditions inside
//! `@provides` are merged): a wrong refusal would block a valid deployment, while a
//! missed one is still caught by the router's plan checks. It is bounded: positions
//! already explored with the same states are not explored again, and the walk stops
//! (accepting) after [`MAX_POSITIONS`] positions.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use apollo_compiler::Schema;
use apollo_compiler::ast::{Directive, Value};
use apollo_compiler::executable::{FieldSet, Selection, SelectionSet};
use apollo_compiler::schema::{ExtendedType, FieldDefinition};
use apollo_compiler::validation::Valid;

use super::diagnostics::{CompositionDiagnostic, CompositionRule};

/// Upper bound on the positions (type + states) the walk explores.
const MAX_POSITIONS: usize = 50_000;
/// Upper bound on nested `@requires` checks (a requirement whose condition has one).
const MAX_REQUIRES_DEPTH: usize = 6;

/// A field set as a tree of field names (type conditions merged).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Sel {
    name: String,
    children: Vec<Sel>,
}

fn sels(set: &SelectionSet, out: &mut Vec<Sel>) {
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                let mut children = Vec::new();
                sels(&field.selection_set, &mut children);
                out.push(Sel {
                    name: field.name.to_string(),
                    children,
                });
            }
            Selection::InlineFragment(fragment) => sels(&fragment.selection_set, out),
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// `@join__type(graph:, key:, resolvable:, isInterfaceObject:)`.
#[derive(Debug, Clone)]
struct JoinType {
    graph: String,
    key: Option<Vec<Sel>>,
    resolvable: bool,
    interface_object: bool,
}

/// `@join__field(...)`.
#[derive(Debug, Clone, Default)]
struct JoinField {
    graph: Option<String>,
    requires: Option<String>,
    provides: Option<String>,
    ty: Option<String>,
    external: bool,
    used_overridden: bool,
    override_from: Option<String>,
    override_label: bool,
}

/// Where a plan may be: a subgraph, the type it sees, and what `@provides` lets it
/// answer there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct State {
    graph: String,
    ty: String,
    provided: Option<Vec<Sel>>,
}

/// One step of the path from a root to a position (for the witness query).
#[derive(Debug, Clone)]
enum Step {
    Field(String),
    Fragment(String),
}

/// Why a field cannot be resolved from one subgraph.
#[derive(Debug)]
struct Reason {
    graph: String,
    text: String,
}

struct Model<'s> {
    schema: &'s Valid<Schema>,
    /// `join__Graph` value → subgraph name.
    names: HashMap<String, String>,
    types: HashMap<String, Vec<JoinType>>,
    /// (graph, object type) → interfaces it implements there.
    implements: HashSet<(String, String, String)>,
    /// (graph, union, member).
    members: HashSet<(String, String, String)>,
    /// `Type.field` → its `@join__field`s.
    fields: HashMap<(String, String), Vec<JoinField>>,
    /// Parsed field sets by (type, source).
    field_sets: std::cell::RefCell<HashMap<(String, String), Vec<Sel>>>,
}

fn enum_arg(directive: &Directive, name: &str) -> Option<String> {
    match directive.specified_argument_by_name(name).map(|v| &**v) {
        Some(Value::Enum(value)) => Some(value.to_string()),
        _ => None,
    }
}

fn string_arg(directive: &Directive, name: &str) -> Option<String> {
    directive
        .specified_argument_by_name(name)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

fn bool_arg(directive: &Directive, name: &str) -> Option<bool> {
    directive
        .specified_argument_by_name(name)
        .and_then(|v| v.to_bool())
}

fn named_type(ty: &str) -> String {
    ty.trim_matches(|c: char| c == '[' || c == ']' || c == '!' || c.is_whitespace())
        .to_string()
}

fn is_inaccessible(directives: &apollo_compiler::ast::DirectiveList) -> bool {
    directives.get("inaccessible").is_some()
}

impl<'s> Model<'s> {
    fn new(schema: &'s Valid<Schema>) -> Model<'s> {
        let mut names = HashMap::new();
        if let Some(ExtendedType::Enum(graphs)) = schema.types.get("join__Graph") {
            for (value, def) in &graphs.values {
                if let Some(name) = def
                    .directives
                    .get("join__graph")
                    .and_then(|d| string_arg(d, "name"))
                {
                    names.insert(value.to_string(), name);
                }
            }
        }
        let mut model = Model {
            schema,
            names,
            types: HashMap::new(),
            implements: HashSet::new(),
            members: HashSet::new(),
            fields: HashMap::new(),
            field_sets: Default::default(),
        };
        for (name, ty) in &schema.types {
            if ty.is_built_in() {
                continue;
            }
            let mut joins = Vec::new();
            for directive in ty.directives().get_all("join__type") {
                let Some(graph) = enum_arg(directive, "graph") else {
                    continue;
                };
                let key = string_arg(directive, "key").map(|fields| model.field_set(name, &fields));
                joins.push(JoinType {
                    graph,
                    key,
                    resolvable: bool_arg(directive, "resolvable").unwrap_or(true),
                    interface_object: bool_arg(directive, "isInterfaceObject").unwrap_or(false),
                });
            }
            for directive in ty.directives().get_all("join__implements") {
                if let (Some(graph), Some(interface)) = (
                    enum_arg(directive, "graph"),
                    string_arg(directive, "interface"),
                ) {
                    model
                        .implements
                        .insert((graph, name.to_string(), interface));
                }
            }
            for directive in ty.directives().get_all("join__unionMember") {
                if let (Some(graph), Some(member)) = (
                    enum_arg(directive, "graph"),
                    string_arg(directive, "member"),
                ) {
                    model.members.insert((graph, name.to_string(), member));
                }
            }
            model.types.insert(name.to_string(), joins);
            let fields = match ty {
                ExtendedType::Object(object) => {
                    object.fields.iter().map(|(n, f)| (n, &***f)).collect()
                }
                ExtendedType::Interface(interface) => {
                    interface.fields.iter().map(|(n, f)| (n, &***f)).collect()
                }
                _ => Vec::new(),
            };
            for (field, definition) in fields {
                let joins = Self::read_join_fields(definition);
                model
                    .fields
                    .insert((name.to_string(), field.to_string()), joins);
            }
        }
        model
    }

    fn name(&self, graph: &str) -> String {
        self.names
            .get(graph)
            .cloned()
            .unwrap_or_else(|| graph.to_lowercase())
    }

    /// A field set on `ty`, or nothing when it does not parse against the supergraph
    /// (the merge has validated field sets already; leniency here only means fewer
    /// refusals).
    fn field_set(&self, ty: &str, fields: &str) -> Vec<Sel> {
        let key = (ty.to_string(), fields.to_string());
        if let Some(parsed) = self.field_sets.borrow().get(&key) {
            return parsed.clone();
        }
        let parsed = self.parse_field_set(ty, fields);
        self.field_sets.borrow_mut().insert(key, parsed.clone());
        parsed
    }

    fn parse_field_set(&self, ty: &str, fields: &str) -> Vec<Sel> {
        let Ok(name) = apollo_compiler::Name::new(ty) else {
            return Vec::new();
        };
        let set = match FieldSet::parse(self.schema, name, fields, "fields.graphql") {
            Ok(set) => set,
            Err(with_errors) => with_errors.partial,
        };
        let mut out = Vec::new();
        sels(&set.selection_set, &mut out);
        out
    }

    fn field(&self, ty: &str, field: &str) -> Option<&'s FieldDefinition> {
        match self.schema.types.get(ty)? {
            ExtendedType::Object(object) => object.fields.get(field).map(|f| &***f),
            ExtendedType::Interface(interface) => interface.fields.get(field).map(|f| &***f),
            _ => None,
        }
    }

    fn join_fields(&self, ty: &str, field: &str) -> &[JoinField] {
        self.fields
            .get(&(ty.to_string(), field.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn read_join_fields(definition: &FieldDefinition) -> Vec<JoinField> {
        definition
            .directives
            .get_all("join__field")
            .map(|directive| JoinField {
                graph: enum_arg(directive, "graph"),
                requires: string_arg(directive, "requires"),
                provides: string_arg(directive, "provides"),
                ty: string_arg(directive, "type"),
                external: bool_arg(directive, "external").unwrap_or(false),
                used_overridden: bool_arg(directive, "usedOverridden").unwrap_or(false),
                override_from: string_arg(directive, "override"),
                override_label: string_arg(directive, "overrideLabel").is_some(),
            })
            .collect()
    }

    fn is_abstract(&self, ty: &str) -> bool {
        matches!(
            self.schema.types.get(ty),
            Some(ExtendedType::Interface(_) | ExtendedType::Union(_))
        )
    }

    fn is_composite(&self, ty: &str) -> bool {
        matches!(
            self.schema.types.get(ty),
            Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_))
        )
    }

    fn has_type(&self, graph: &str, ty: &str) -> bool {
        self.types
            .get(ty)
            .is_some_and(|joins| joins.iter().any(|j| j.graph == graph))
    }

    /// The object types a client can meet at a position of type `ty`.
    fn possible_types(&self, ty: &str) -> Vec<String> {
        match self.schema.types.get(ty) {
            Some(ExtendedType::Object(_)) => vec![ty.to_string()],
            Some(ExtendedType::Union(union)) => union
                .members
                .iter()
                .filter(|m| {
                    self.schema
                        .types
                        .get(m.name.as_str())
                        .is_some_and(|t| t.directives().get("inaccessible").is_none())
                })
                .map(|m| m.name.to_string())
                .collect(),
            Some(ExtendedType::Interface(_)) => self
                .schema
                .types
                .iter()
                .filter_map(|(name, t)| match t {
                    ExtendedType::Object(object)
                        if object.implements_interfaces.iter().any(|i| i.name == ty)
                            && object.directives.get("inaccessible").is_none() =>
                    {
                        Some(name.to_string())
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The interfaces `ty` implements in the supergraph.
    fn interfaces(&self, ty: &str) -> Vec<String> {
        match self.schema.types.get(ty) {
            Some(ExtendedType::Object(object)) => object
                .implements_interfaces
                .iter()
                .map(|i| i.name.to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// What `state` answers for `field` by itself: the state after the field, and
    /// the `@requires` condition it comes with. `Err` says why not.
    fn local(&self, state: &State, field: &str) -> Result<(State, Option<String>), String> {
        let coordinate = format!("{}.{field}", state.ty);
        let Some(definition) = self.field(&state.ty, field) else {
            return Err(format!("cannot find field \"{coordinate}\"."));
        };
        let provided = state
            .provided
            .as_ref()
            .and_then(|p| p.iter().find(|s| s.name == field));
        let joins = self.join_fields(&state.ty, field);
        let supergraph_type = named_type(&definition.ty.to_string());
        let graph_name = self.name(&state.graph);
        let mine: Vec<&JoinField> = joins
            .iter()
            .filter(|j| j.graph.as_deref() == Some(state.graph.as_str()))
            .collect();
        let overridden_with_label = joins
            .iter()
            .any(|j| j.override_label && j.override_from.as_deref() == Some(graph_name.as_str()));
        let direct = if joins.is_empty() {
            self.has_type(&state.graph, &state.ty)
                .then(JoinField::default)
        } else if let Some(join) = mine
            .iter()
            .find(|j| !j.external && !j.used_overridden)
            .copied()
        {
            Some(join.clone())
        } else if overridden_with_label && self.has_type(&state.graph, &state.ty) {
            Some(JoinField::default())
        } else {
            None
        };
        if let Some(join) = direct {
            let ty = join
                .ty
                .as_deref()
                .map(named_type)
                .unwrap_or(supergraph_type);
            // Below a field the subgraph resolves itself, an enclosing
            // `@provides` still selects what it provides further down.
            let provided = join
                .provides
                .as_deref()
                .map(|fields| self.field_set(&ty, fields))
                .or_else(|| {
                    provided
                        .filter(|p| !p.children.is_empty())
                        .map(|p| p.children.clone())
                });
            return Ok((
                State {
                    graph: state.graph.clone(),
                    ty,
                    provided,
                },
                join.requires.clone(),
            ));
        }
        if let Some(provided) = provided {
            let ty = mine
                .iter()
                .find_map(|j| j.ty.as_deref().map(named_type))
                .unwrap_or(supergraph_type);
            return Ok((
                State {
                    graph: state.graph.clone(),
                    ty,
                    provided: (!provided.children.is_empty()).then(|| provided.children.clone()),
                },
                None,
            ));
        }
        if mine.iter().any(|j| j.external) {
            Err(format!(
                "field \"{coordinate}\" is @external in this subgraph and not provided here."
            ))
        } else {
            Err(format!("cannot find field \"{coordinate}\"."))
        }
    }

    /// The states reachable from `states` through `@key` jumps (and, for objects,
    /// through the `@interfaceObject`s of their interfaces).
    fn closure(&self, states: &BTreeSet<State>, ty: &str) -> BTreeSet<State> {
        let mut out = states.clone();
        let mut targets: Vec<(String, &JoinType)> = self
            .types
            .get(ty)
            .map(|joins| joins.iter().map(|j| (ty.to_string(), j)).collect())
            .unwrap_or_default();
        for interface in self.interfaces(ty) {
            if let Some(joins) = self.types.get(&interface) {
                targets.extend(
                    joins
                        .iter()
                        .filter(|j| j.interface_object)
                        .map(|j| (interface.clone(), j)),
                );
            }
        }
        loop {
            let mut added = false;
            for (target_type, join) in &targets {
                let Some(key) = &join.key else { continue };
                if !join.resolvable
                    || out
                        .iter()
                        .any(|s| s.graph == join.graph && s.ty == *target_type)
                {
                    continue;
                }
                let collectable = key.iter().all(|field| {
                    field.name == "__typename"
                        || out.iter().any(|s| self.local(s, &field.name).is_ok())
                });
                if collectable {
                    out.insert(State {
                        graph: join.graph.clone(),
                        ty: target_type.clone(),
                        provided: None,
                    });
                    added = true;
                }
            }
            if !added {
                return out;
            }
        }
    }

    /// Can `selection` (a `@requires` condition) be resolved from `states` at `ty`?
    fn selection_satisfiable(
        &self,
        states: &BTreeSet<State>,
        ty: &str,
        selection: &[Sel],
        depth: usize,
    ) -> bool {
        if depth > MAX_REQUIRES_DEPTH {
            return true;
        }
        let reachable = self.closure(states, ty);
        selection.iter().all(|sel| {
            if sel.name == "__typename" {
                return true;
            }
            let Ok(next) = self.advance(&reachable, &sel.name, depth + 1) else {
                return false;
            };
            if sel.children.is_empty() {
                return true;
            }
            let Some(definition) = self.field(ty, &sel.name) else {
                return true;
            };
            let child_type = named_type(&definition.ty.to_string());
            if self.is_abstract(&child_type) {
                // Conditions through abstract types: checked no deeper.
                return true;
            }
            self.selection_satisfiable(&next, &child_type, &sel.children, depth + 1)
        })
    }

    /// The states after selecting `field` from the (already closed) `reachable`
    /// states, or the reasons none can.
    fn advance(
        &self,
        reachable: &BTreeSet<State>,
        field: &str,
        depth: usize,
    ) -> Result<BTreeSet<State>, Vec<Reason>> {
        let mut next = BTreeSet::new();
        let mut reasons = Vec::new();
        for state in reachable {
            match self.local(state, field) {
                Ok((after, requires)) => {
                    let satisfied = requires.is_none_or(|fields| {
                        let condition = self.field_set(&state.ty, &fields);
                        let from = BTreeSet::from([State {
                            provided: None,
                            ..state.clone()
                        }]);
                        self.selection_satisfiable(&from, &state.ty, &condition, depth)
                    });
                    if satisfied {
                        next.insert(after);
                    } else {
                        reasons.push(Reason {
                            graph: state.graph.clone(),
                            text: format!(
                                "cannot satisfy @require conditions on field \"{}.{field}\".",
                                state.ty
                            ),
                        });
                    }
                }
                Err(text) => reasons.push(Reason {
                    graph: state.graph.clone(),
                    text,
                }),
            }
        }
        if next.is_empty() {
            Err(reasons)
        } else {
            Ok(next)
        }
    }

    /// The state `state` becomes under a fragment on the object type `object`, if
    /// that subgraph can return one.
    fn narrow(&self, state: &State, object: &str) -> Option<State> {
        let returns = state.ty == object
            || self
                .members
                .contains(&(state.graph.clone(), state.ty.clone(), object.to_string()))
            || self.implements.contains(&(
                state.graph.clone(),
                object.to_string(),
                state.ty.clone(),
            ));
        returns.then(|| State {
            ty: object.to_string(),
            ..state.clone()
        })
    }

    /// Why nobody reached from `origins` resolves `ty.field`: the reasons of each
    /// state, and for each subgraph that has the field but could not be reached,
    /// why the jump failed.
    fn explain(
        &self,
        origins: &BTreeSet<State>,
        reachable: &BTreeSet<State>,
        ty: &str,
        field: &str,
        reasons: Vec<Reason>,
    ) -> Vec<(String, Vec<String>)> {
        let mut by_graph: Vec<(String, Vec<String>)> = Vec::new();
        let mut push = |graph: &str, text: String| {
            let name = self.name(graph);
            match by_graph.iter_mut().find(|(g, _)| *g == name) {
                Some((_, texts)) => {
                    if !texts.contains(&text) {
                        texts.push(text);
                    }
                }
                None => by_graph.push((name, vec![text])),
            }
        };
        for reason in reasons {
            push(&reason.graph, reason.text);
        }
        let owners: Vec<String> = self
            .field(ty, field)
            .map(|_| {
                let joins = self.join_fields(ty, field);
                if joins.is_empty() {
                    self.types
                        .get(ty)
                        .map(|j| j.iter().map(|j| j.graph.clone()).collect())
                        .unwrap_or_default()
                } else {
                    joins
                        .iter()
                        .filter(|j| !j.external && !j.used_overridden)
                        .filter_map(|j| j.graph.clone())
                        .collect()
                }
            })
            .unwrap_or_default();
        for owner in owners {
            if reachable.iter().any(|s| s.graph == owner) {
                continue;
            }
            let keys: Vec<&JoinType> = self
                .types
                .get(ty)
                .map(|joins| {
                    joins
                        .iter()
                        .filter(|j| j.graph == owner && j.key.is_some())
                        .collect()
                })
                .unwrap_or_default();
            let why = if keys.is_empty() {
                format!(
                    "type \"{ty}\" has no @key defined in subgraph \"{}\"",
                    self.name(&owner)
                )
            } else if keys.iter().all(|j| !j.resolvable) {
                format!(
                    "type \"{ty}\" has no resolvable @key in subgraph \"{}\"",
                    self.name(&owner)
                )
            } else {
                format!(
                    "none of the @key of type \"{ty}\" in subgraph \"{}\" can be collected",
                    self.name(&owner)
                )
            };
            for origin in origins {
                push(
                    &origin.graph,
                    format!(
                        "cannot move to subgraph \"{}\", which has field \"{ty}.{field}\", because {why}.",
                        self.name(&owner)
                    ),
                );
            }
        }
        by_graph
    }

    /// `INCONSISTENT_RUNTIME_TYPES_FOR_SHAREABLE_RETURN` (a Federation hint):
    /// a plan may resolve a field returning the abstract type `ty` in any of
    /// the subgraphs of `states` (those that see `ty` itself there), and they
    /// know different object types for it; each should only return the types
    /// all of them know, or answers differ with the plan. When they know no
    /// type in common, an error: `SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES`
    /// (composition-js `validate.ts`).
    fn runtime_types_mismatch(
        &self,
        states: &BTreeSet<State>,
        ty: &str,
        coordinate: &str,
        witness: &str,
    ) -> Option<CompositionDiagnostic> {
        let possible = self.possible_types(ty);
        let mut sets: Vec<(String, BTreeSet<String>)> = Vec::new();
        for state in states.iter().filter(|s| s.ty == ty) {
            let name = self.name(&state.graph);
            if sets.iter().any(|(g, _)| *g == name) {
                continue;
            }
            let known: BTreeSet<String> = possible
                .iter()
                .filter(|object| self.narrow(state, object).is_some())
                .cloned()
                .collect();
            sets.push((name, known));
        }
        if sets.len() < 2 || sets.iter().all(|(_, s)| *s == sets[0].1) {
            return None;
        }
        let common: BTreeSet<String> =
            sets.iter().skip(1).fold(sets[0].1.clone(), |acc, (_, s)| {
                acc.intersection(s).cloned().collect()
            });
        if common.is_empty() && sets.iter().any(|(_, s)| !s.is_empty()) {
            let mut message = format!(
                "For the supergraph API query:\n{witness}\nshared field \"{coordinate}\" returns \
                 \"{ty}\", whose possible runtime types do not intersect across the subgraphs a plan \
                 may use:"
            );
            for (graph, set) in &sets {
                let types: Vec<String> = set.iter().map(|t| format!("\"{t}\"")).collect();
                let _ = write!(
                    message,
                    "\n- in subgraph \"{graph}\": {}",
                    if types.is_empty() {
                        "none".to_string()
                    } else {
                        types.join(", ")
                    }
                );
            }
            message.push_str(
                "\nA shared field must resolve the same way in every subgraph, which needs at \
                 least one runtime type they all know.",
            );
            return Some(CompositionDiagnostic::error(
                CompositionRule::ShareableHasMismatchedRuntimeTypes,
                sets.into_iter().map(|(g, _)| g).collect(),
                Some(coordinate.to_string()),
                message,
            ));
        }
        let quoted = |types: &mut dyn Iterator<Item = &String>| {
            types
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut message = format!(
            "For the supergraph API query:\n{witness}\nshared field \"{coordinate}\" returns \
             \"{ty}\", whose possible runtime types differ across the subgraphs a plan may use: \
             a shared field must be resolved the same way in each, so subgraphs {} should only \
             return {}.",
            quoted(&mut sets.iter().map(|(g, _)| g)),
            if common.is_empty() {
                "objects of types all of them know (there are none)".to_string()
            } else {
                format!("objects of type {}", quoted(&mut common.iter()))
            }
        );
        for (graph, set) in &sets {
            let extra: Vec<&String> = set.difference(&common).collect();
            if !extra.is_empty() {
                let _ = write!(
                    message,
                    "\n- subgraph \"{graph}\" should never return {}",
                    quoted(&mut extra.into_iter())
                );
            }
        }
        Some(CompositionDiagnostic::warning(
            CompositionRule::InconsistentRuntimeTypesForShareableReturn,
            sets.into_iter().map(|(g, _)| g).collect(),
            Some(coordinate.to_string()),
            message,
        ))
    }

    /// A placeholder for a required argument in a witness query.
    fn placeholder(&self, ty: &apollo_compiler::ast::Type) -> String {
        if ty.is_list() {
            return "[]".to_string();
        }
        let name = ty.inner_named_type().as_str();
        match name {
            "ID" => "\"<any id>\"".to_string(),
            "String" => "\"<any string>\"".to_string(),
            "Int" | "Float" => "0".to_string(),
            "Boolean" => "true".to_string(),
            _ => match self.schema.types.get(name) {
                Some(ExtendedType::Enum(e)) => e
                    .values
                    .keys()
                    .next()
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                Some(ExtendedType::InputObject(_)) => "{}".to_string(),
                _ => "\"<any value>\"".to_string(),
            },
        }
    }

    /// The witness query reaching `path` from root type `root`.
    fn witness(&self, operation: &str, root: &str, path: &[Step]) -> String {
        let mut out = String::new();
        if operation != "query" {
            out.push_str(operation);
            out.push(' ');
        }
        out.push_str("{\n");
        let mut ty = root.to_string();
        for (depth, step) in path.iter().enumerate() {
            let indent = "  ".repeat(depth + 1);
            let last = depth + 1 == path.len();
            match step {
                Step::Field(name) => {
                    let mut line = format!("{indent}{name}");
                    if let Some(definition) = self.field(&ty, name) {
                        let required: Vec<String> = definition
                            .arguments
                            .iter()
                            .filter(|a| a.ty.is_non_null() && a.default_value.is_none())
                            .map(|a| format!("{}: {}", a.name, self.placeholder(&a.ty)))
                            .collect();
                        if !required.is_empty() {
                            let _ = write!(line, "({})", required.join(", "));
                        }
                        ty = named_type(&definition.ty.to_string());
                    }
                    out.push_str(&line);
                    if last && self.is_composite(&ty) {
                        // A selection ending on an object, as Federation prints it.
                        let _ = writeln!(out, " {{\n{indent}  ...\n{indent}}}");
                    } else {
                        out.push_str(if last { "\n" } else { " {\n" });
                    }
                }
                Step::Fragment(object) => {
                    let _ = writeln!(out, "{indent}... on {object} {{");
                    ty = object.clone();
                }
            }
        }
        for depth in (0..path.len().saturating_sub(1)).rev() {
            let _ = writeln!(out, "{}}}", "  ".repeat(depth + 1));
        }
        out.push('}');
        out
    }
}

/// A position to explore: the supergraph type there, the states, and the path.
struct Position {
    ty: String,
    states: BTreeSet<State>,
    path: Vec<Step>,
}

/// Every unsatisfiable field of `schema` (a composed supergraph), one diagnostic
/// per schema coordinate.
pub(super) fn validate(schema: &Valid<Schema>) -> Vec<CompositionDiagnostic> {
    let model = Model::new(schema);
    let mut diagnostics = Vec::new();
    let mut reported: HashSet<String> = HashSet::new();
    // (type, subgraphs) of every position visited, and the runtime-type
    // mismatches found at positions (see `runtime_types_mismatch`).
    let mut visits: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut runtime_mismatches: Vec<(String, BTreeSet<String>, CompositionDiagnostic)> = Vec::new();
    let mut seen: HashSet<(String, BTreeSet<State>)> = HashSet::new();
    let roots = [
        ("query", schema.schema_definition.query.as_ref()),
        ("mutation", schema.schema_definition.mutation.as_ref()),
        (
            "subscription",
            schema.schema_definition.subscription.as_ref(),
        ),
    ];
    for (operation, root) in roots {
        let Some(root) = root else { continue };
        let root = root.name.to_string();
        let states: BTreeSet<State> = model
            .types
            .get(&root)
            .map(|joins| {
                joins
                    .iter()
                    .map(|j| State {
                        graph: j.graph.clone(),
                        ty: root.clone(),
                        provided: None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut queue = VecDeque::from([Position {
            ty: root.clone(),
            states,
            path: Vec::new(),
        }]);
        while let Some(position) = queue.pop_front() {
            if seen.len() >= MAX_POSITIONS {
                return diagnostics;
            }
            if !seen.insert((position.ty.clone(), position.states.clone())) {
                continue;
            }
            visits.push((
                position.ty.clone(),
                position.states.iter().map(|s| s.graph.clone()).collect(),
            ));
            let reachable = model.closure(&position.states, &position.ty);
            let fields: Vec<(String, String)> = match schema.types.get(position.ty.as_str()) {
                Some(ExtendedType::Object(object)) => object
                    .fields
                    .iter()
                    .filter(|(_, f)| !is_inaccessible(&f.directives))
                    .map(|(name, f)| (name.to_string(), named_type(&f.ty.to_string())))
                    .collect(),
                Some(ExtendedType::Interface(interface)) => interface
                    .fields
                    .iter()
                    .filter(|(_, f)| !is_inaccessible(&f.directives))
                    .map(|(name, f)| (name.to_string(), named_type(&f.ty.to_string())))
                    .collect(),
                _ => Vec::new(),
            };
            let is_abstract = model.is_abstract(&position.ty);
            for (field, field_type) in fields {
                if schema
                    .types
                    .get(field_type.as_str())
                    .is_some_and(|t| t.directives().get("inaccessible").is_some())
                {
                    continue;
                }
                let coordinate = format!("{}.{field}", position.ty);
                match model.advance(&reachable, &field, 0) {
                    Ok(next) => {
                        if model.is_abstract(&field_type) {
                            // The subgraphs a plan is in without extra jumps.
                            let at = model
                                .advance(&position.states, &field, 0)
                                .unwrap_or_else(|_| next.clone());
                            let mut path = position.path.clone();
                            path.push(Step::Field(field.clone()));
                            if let Some(found) = model.runtime_types_mismatch(
                                &at,
                                &field_type,
                                &coordinate,
                                &model.witness(operation, &root, &path),
                            ) {
                                let graphs =
                                    position.states.iter().map(|s| s.graph.clone()).collect();
                                runtime_mismatches.push((position.ty.clone(), graphs, found));
                            }
                        }
                        if model.is_composite(&field_type) {
                            let mut path = position.path.clone();
                            path.push(Step::Field(field.clone()));
                            queue.push_back(Position {
                                ty: field_type,
                                states: next,
                                path,
                            });
                        }
                    }
                    // On an interface, a field no state answers on the interface
                    // itself may still be answered per runtime type: the possible
                    // types are explored below and report their own fields.
                    Err(_) if is_abstract => {}
                    Err(reasons) => {
                        if !reported.insert(coordinate.clone()) {
                            continue;
                        }
                        let explained = model.explain(
                            &position.states,
                            &reachable,
                            &position.ty,
                            &field,
                            reasons,
                        );
                        let mut path = position.path.clone();
                        path.push(Step::Field(field.clone()));
                        let mut message = format!(
                            "The following supergraph API query:\n{}\ncannot be satisfied by the subgraphs because:",
                            model.witness(operation, &root, &path)
                        );
                        for (graph, texts) in &explained {
                            if let [text] = texts.as_slice() {
                                let _ = write!(message, "\n- from subgraph \"{graph}\": {text}");
                            } else {
                                let _ = write!(message, "\n- from subgraph \"{graph}\":");
                                for text in texts {
                                    let _ = write!(message, "\n  - {text}");
                                }
                            }
                        }
                        diagnostics.push(CompositionDiagnostic::error(
                            CompositionRule::SatisfiabilityError,
                            explained.into_iter().map(|(graph, _)| graph).collect(),
                            Some(coordinate),
                            message,
                        ));
                    }
                }
            }
            if is_abstract {
                for object in model.possible_types(&position.ty) {
                    let states: BTreeSet<State> = reachable
                        .iter()
                        .filter_map(|s| model.narrow(s, &object))
                        .collect();
                    if states.is_empty() {
                        continue;
                    }
                    let mut path = position.path.clone();
                    path.push(Step::Fragment(object.clone()));
                    queue.push_back(Position {
                        ty: object,
                        states,
                        path,
                    });
                }
            }
        }
    }
    // Federation's walk skips a position when it already went there from
    // fewer subgraphs (whatever resolved then resolves now), so it judges
    // shared abstract returns only where every visit of the type is in
    // several subgraphs: the same here, once per coordinate, so that nothing
    // Federation composes is refused.
    let mut judged: HashSet<String> = HashSet::new();
    for (ty, graphs, diagnostic) in runtime_mismatches {
        let fewer = visits
            .iter()
            .any(|(t, g)| *t == ty && g.len() < graphs.len() && g.is_subset(&graphs));
        let coordinate = diagnostic.coordinate.clone().unwrap_or_default();
        if !fewer && judged.insert(coordinate) {
            diagnostics.push(diagnostic);
        }
    }
    diagnostics
}
