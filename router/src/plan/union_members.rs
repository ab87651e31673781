//! Gives back the union members a fetch's own subgraph knows.
//!
//! The same union can have different members in different subgraphs
//! (`a: union Action = Common | OnlyA`, `b: union Action = Common | OnlyB`).
//! While the planner still has candidate paths through several subgraphs to a
//! union-typed field (a shareable field reachable directly and through an
//! entity hop), it keeps only the members common to all of them, so that the
//! response shape cannot depend on which path wins. Once the plan is built one
//! path has won: the fetch reads the union from one subgraph, and that
//! subgraph can return any of *its* members. With the narrowed selection those
//! objects arrive as a bare `__typename` and the client's fields on them read
//! null, although the subgraph could have resolved them.
//!
//! This pass walks every fetch of a finished plan next to the client's
//! (normalized) operation and, at each union-typed field, adds the client's
//! inline fragments for members that the fetch's subgraph has in that union but
//! the fetch does not select. It adds a fragment only when the subgraph can
//! resolve all of it by itself: every field defined there, not `@external`, not
//! overridden, without `@requires`, and no response key that collides with a
//! sibling member's field of another type; variables the fragment uses are
//! declared on the fetch. Anything else is left as planned.
//! Extra data can never leak: the response is projected from the client's
//! operation, so the pass can only turn a wrongly-null field into its value.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use hive_router_query_planner::ast::document::Document;
use hive_router_query_planner::ast::fragment::FragmentDefinition;
use hive_router_query_planner::ast::operation::{
    OperationDefinition, SubgraphFetchOperation, VariableDefinition,
};
use hive_router_query_planner::ast::value::Value;
use hive_router_query_planner::state::supergraph_state::{
    SupergraphDefinition, SupergraphField, SupergraphState, TypeNode,
};

use super::{
    FieldSelection, FlattenNodePathSegment, InlineFragmentSelection, PlanNode, QueryPlan,
    SelectionItem, SelectionSet,
};

/// Rewrites `plan` in place; see the module docs.
pub(super) fn restore(plan: &mut QueryPlan, client: &OperationDefinition, state: &SupergraphState) {
    let Some(node) = plan.node.as_mut() else {
        return;
    };
    let pass = Pass {
        state,
        client,
        graph_ids: state
            .known_subgraphs
            .iter()
            .map(|(id, name)| (name.as_str(), id.as_str()))
            .collect(),
    };
    pass.node(node, None);
}

/// Where a fetch's selection sits in the response.
enum At<'p> {
    /// At the operation's root.
    Root,
    /// Below `_entities` fields (by response key), each merged at these paths.
    Entities(Vec<(&'p str, Vec<&'p [FlattenNodePathSegment]>)>),
}

struct Pass<'a> {
    state: &'a SupergraphState,
    client: &'a OperationDefinition,
    /// Subgraph name (as fetch nodes name it) to its `join__Graph` id.
    graph_ids: HashMap<&'a str, &'a str>,
}

impl<'a> Pass<'a> {
    fn node(&self, node: &mut PlanNode, flatten: Option<&[FlattenNodePathSegment]>) {
        match node {
            PlanNode::Fetch(fetch) => {
                let at = match flatten {
                    None => At::Root,
                    Some(path) => At::Entities(vec![("_entities", vec![path])]),
                };
                self.fetch(
                    &fetch.service_name,
                    &mut fetch.operation,
                    &mut fetch.variable_usages,
                    at,
                )
            }
            PlanNode::BatchFetch(batch) => {
                let at = At::Entities(
                    batch
                        .entity_batch
                        .aliases
                        .iter()
                        .map(|alias| {
                            let paths = alias.merge_paths.iter().map(|p| p.as_slice()).collect();
                            (alias.alias.as_str(), paths)
                        })
                        .collect(),
                );
                self.fetch(
                    &batch.service_name,
                    &mut batch.operation,
                    &mut batch.variable_usages,
                    at,
                )
            }
            PlanNode::Sequence(sequence) => {
                for node in &mut sequence.nodes {
                    self.node(node, None);
                }
            }
            PlanNode::Parallel(parallel) => {
                for node in &mut parallel.nodes {
                    self.node(node, None);
                }
            }
            PlanNode::Flatten(flatten) => {
                self.node(&mut flatten.node, Some(flatten.path.as_slice()))
            }
            PlanNode::Condition(condition) => {
                for clause in [&mut condition.if_clause, &mut condition.else_clause]
                    .into_iter()
                    .flatten()
                {
                    self.node(clause, None);
                }
            }
            // Subscriptions and @defer are refused before planning.
            PlanNode::Subscription(_) | PlanNode::Defer(_) => {}
        }
    }

    fn fetch(
        &self,
        service: &str,
        operation: &mut SubgraphFetchOperation,
        variable_usages: &mut Option<BTreeSet<String>>,
        at: At<'_>,
    ) {
        let Some(graph) = self.graph_ids.get(service).copied() else {
            return;
        };
        let mut document = operation.document.clone();
        if !inline_spreads(&mut document) {
            return;
        }
        let walk = Walk {
            pass: self,
            graph,
            variables: RefCell::new(BTreeSet::new()),
        };
        let changed = match at {
            At::Root => {
                let root = self
                    .state
                    .expect_root_type_name(document.operation.operation_kind.as_ref())
                    .to_string();
                walk.level(
                    &mut document.operation.selection_set,
                    &root,
                    &[&self.client.selection_set],
                )
            }
            At::Entities(entities) => {
                let mut changed = false;
                for item in &mut document.operation.selection_set.items {
                    let SelectionItem::Field(field) = item else {
                        continue;
                    };
                    let Some((_, paths)) = entities
                        .iter()
                        .find(|(key, _)| field.name == "_entities" && response_key(field) == *key)
                    else {
                        continue;
                    };
                    let client: Vec<_> = paths.iter().flat_map(|p| self.client_at(p)).collect();
                    for item in &mut field.selections.items {
                        if let SelectionItem::InlineFragment(fragment) = item {
                            changed |= walk.level(
                                &mut fragment.selections,
                                &fragment.type_condition,
                                &client,
                            );
                        }
                    }
                }
                changed
            }
        };
        if !changed {
            return;
        }
        let used = walk.variables.into_inner();
        if !used.is_empty() {
            let declared = document
                .operation
                .variable_definitions
                .get_or_insert_default();
            for name in &used {
                let Some(definition) = self.variable(name) else {
                    // The client never declared it: validation would have
                    // refused the operation; keep the plan as it was.
                    return;
                };
                match declared.iter().find(|d| &d.name == name) {
                    // Taken by the planner (`$representations`) for another type.
                    Some(existing) if existing.variable_type != definition.variable_type => {
                        return;
                    }
                    Some(_) => {}
                    None => declared.push(definition.clone()),
                }
            }
            variable_usages.get_or_insert_default().extend(used);
        }
        *operation = SubgraphFetchOperation::from_anonymous_operation(document);
    }

    /// The client's selection sets at a flatten path (every branch that
    /// reaches it: over-including only offers more candidates, each of which
    /// must still be resolvable and selected at the fetch's own position).
    fn client_at(&self, path: &[FlattenNodePathSegment]) -> Vec<&'a SelectionSet> {
        let mut sets = vec![&self.client.selection_set];
        for segment in path {
            let FlattenNodePathSegment::Field(key) = segment else {
                continue;
            };
            let mut next = Vec::new();
            for set in &sets {
                collect_fields(set, key, &mut |field| next.push(&field.selections));
            }
            sets = next;
        }
        sets
    }

    fn variable(&self, name: &str) -> Option<&'a VariableDefinition> {
        self.client
            .variable_definitions
            .as_ref()?
            .iter()
            .find(|d| d.name == name)
    }

    fn definition(&self, type_name: &str) -> Option<&'a SupergraphDefinition> {
        self.state.definitions.get(type_name)
    }

    /// Object types a type condition stands for.
    fn possible_types(&self, type_name: &str) -> BTreeSet<&'a str> {
        match self.definition(type_name) {
            Some(SupergraphDefinition::Union(union)) => {
                union.types.iter().map(String::as_str).collect()
            }
            Some(SupergraphDefinition::Interface(_)) => self
                .state
                .interface_to_object_types
                .get(type_name)
                .map(|types| types.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            Some(SupergraphDefinition::Object(object)) => BTreeSet::from([object.name.as_str()]),
            _ => BTreeSet::new(),
        }
    }

    fn overlaps(&self, a: &str, b: &str) -> bool {
        a == b || !self.possible_types(a).is_disjoint(&self.possible_types(b))
    }
}

/// Every field with response key `key` in `set`, looking through inline fragments.
fn collect_fields<'s>(
    set: &'s SelectionSet,
    key: &str,
    found: &mut impl FnMut(&'s FieldSelection),
) {
    for item in &set.items {
        match item {
            SelectionItem::Field(field) if response_key(field) == key => found(field),
            SelectionItem::InlineFragment(fragment) => {
                collect_fields(&fragment.selections, key, found)
            }
            _ => {}
        }
    }
}

fn response_key(field: &FieldSelection) -> &str {
    field.alias.as_deref().unwrap_or(&field.name)
}

struct Walk<'p, 'a> {
    pass: &'p Pass<'a>,
    graph: &'p str,
    /// Variables used by the fragments added so far.
    variables: RefCell<BTreeSet<String>>,
}

impl<'a> Walk<'_, 'a> {
    /// Walks one fetch selection set whose objects are of `parent`, next to the
    /// client's selection sets at the same response position.
    fn level(&self, fetch: &mut SelectionSet, parent: &str, client: &[&'a SelectionSet]) -> bool {
        let mut changed = false;
        for item in &mut fetch.items {
            match item {
                SelectionItem::Field(field) => {
                    if field.name.starts_with("__") || field.selections.items.is_empty() {
                        continue;
                    }
                    let Some(returns) = self.field_type(parent, &field.name) else {
                        continue;
                    };
                    let mut children = Vec::new();
                    for set in client {
                        self.applicable_fields(set, parent, &mut |candidate| {
                            if response_key(candidate) == response_key(field)
                                && candidate.name == field.name
                            {
                                children.push(&candidate.selections);
                            }
                        });
                    }
                    if children.is_empty() {
                        continue;
                    }
                    // The union as this subgraph declares the field (a
                    // subgraph may narrow it to one member with `type:`).
                    let here = self.field_type_here(parent, &field.name);
                    if let Some(union) = here.filter(|here| {
                        matches!(
                            self.pass.definition(here),
                            Some(SupergraphDefinition::Union(_))
                        )
                    }) {
                        changed |= self.members(&mut field.selections, union, &children);
                    }
                    changed |= self.level(&mut field.selections, returns, &children);
                }
                SelectionItem::InlineFragment(fragment) => {
                    changed |=
                        self.level(&mut fragment.selections, &fragment.type_condition, client);
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
        changed
    }

    /// The fields of `set` that apply to objects of `parent`.
    fn applicable_fields(
        &self,
        set: &'a SelectionSet,
        parent: &str,
        found: &mut impl FnMut(&'a FieldSelection),
    ) {
        for item in &set.items {
            match item {
                SelectionItem::Field(field) => found(field),
                SelectionItem::InlineFragment(fragment)
                    if self.pass.overlaps(&fragment.type_condition, parent) =>
                {
                    self.applicable_fields(&fragment.selections, parent, found)
                }
                _ => {}
            }
        }
    }

    /// Adds the client's fragments on members of `union` that this subgraph has
    /// but the fetch's selection `fetch` (below a `union`-typed field) lacks.
    fn members(&self, fetch: &mut SelectionSet, union: &str, client: &[&'a SelectionSet]) -> bool {
        let Some(SupergraphDefinition::Union(definition)) = self.pass.definition(union) else {
            return false;
        };
        let in_graph = definition.relevant_types(self.graph);
        let mut present: HashSet<String> = HashSet::new();
        // Response keys selected on members so far, with the field's type here.
        let mut keys: HashMap<String, Option<TypeNode>> = HashMap::new();
        self.note_members(fetch, union, &mut present, &mut keys);
        // The client's fragments per missing member, in the client's order.
        let mut wanted: Vec<(&'a str, Vec<&'a InlineFragmentSelection>)> = Vec::new();
        for set in client {
            for item in &set.items {
                let SelectionItem::InlineFragment(fragment) = item else {
                    continue;
                };
                let member = fragment.type_condition.as_str();
                if present.contains(member) || !in_graph.contains(&fragment.type_condition) {
                    continue;
                }
                match wanted.iter_mut().find(|(name, _)| *name == member) {
                    Some((_, fragments)) => fragments.push(fragment),
                    None => wanted.push((member, vec![fragment])),
                }
            }
        }
        let mut changed = false;
        for (member, fragments) in wanted {
            // A client fragment with @skip/@include keeps it, nested; the
            // same selection reached by several paths is written once.
            let mut items: Vec<SelectionItem> = Vec::new();
            for fragment in fragments {
                let own = if fragment.skip_if.is_none() && fragment.include_if.is_none() {
                    fragment.selections.items.clone()
                } else {
                    vec![SelectionItem::InlineFragment(fragment.clone())]
                };
                for item in own {
                    if !items.contains(&item) {
                        items.push(item);
                    }
                }
            }
            let mut selections = SelectionSet { items };
            if selections.items.is_empty()
                || !self.resolvable(&selections, member)
                || !self.mergeable(&[(member, &selections)])
                || !self.keys_fit(&selections, member, &mut keys)
            {
                continue;
            }
            self.add_typenames(&mut selections, member);
            collect_variables(&selections, &mut self.variables.borrow_mut());
            fetch
                .items
                .push(SelectionItem::InlineFragment(InlineFragmentSelection {
                    type_condition: member.to_string(),
                    selections,
                    skip_if: None,
                    include_if: None,
                }));
            changed = true;
        }
        changed
    }

    /// Whether the fields of `sets` (each on objects of its type) can be sent
    /// together (GraphQL's "field selection merging", stricter): every response
    /// key names one field with the same arguments, of one type as this
    /// subgraph declares it, and the sub-selections merge in turn. Client
    /// selections gathered from several positions must pass this before they
    /// are joined into one fragment.
    fn mergeable(&self, sets: &[(&str, &SelectionSet)]) -> bool {
        struct Seen<'s> {
            first: &'s FieldSelection,
            ty: Option<TypeNode>,
            children: Vec<(String, &'s SelectionSet)>,
        }
        let mut seen: HashMap<&str, Seen<'_>> = HashMap::new();
        let mut stack: Vec<(&str, &SelectionSet)> = sets.to_vec();
        while let Some((parent, set)) = stack.pop() {
            for item in &set.items {
                match item {
                    SelectionItem::Field(field) => {
                        let ty = self
                            .pass
                            .definition(parent)
                            .and_then(|d| d.fields().get(&field.name))
                            .map(|d| type_here(d, self.graph).clone());
                        let entry = seen.entry(response_key(field)).or_insert_with(|| Seen {
                            first: field,
                            ty: ty.clone(),
                            children: Vec::new(),
                        });
                        if entry.first.name != field.name
                            || entry.first.arguments != field.arguments
                            || entry.ty != ty
                        {
                            return false;
                        }
                        if let (false, Some(ty)) = (field.selections.items.is_empty(), &ty) {
                            entry
                                .children
                                .push((ty.inner_type().to_string(), &field.selections));
                        }
                    }
                    SelectionItem::InlineFragment(fragment) => {
                        stack.push((&fragment.type_condition, &fragment.selections));
                    }
                    SelectionItem::FragmentSpread(_) => return false,
                }
            }
        }
        seen.into_values().all(|seen| {
            let children: Vec<(&str, &SelectionSet)> = seen
                .children
                .iter()
                .map(|(ty, set)| (ty.as_str(), *set))
                .collect();
            children.is_empty() || self.mergeable(&children)
        })
    }

    /// Selects `__typename` in every abstract-typed selection set of a restored
    /// fragment, as the planner does: projection needs it to tell the members
    /// apart.
    fn add_typenames(&self, set: &mut SelectionSet, parent: &str) {
        for item in &mut set.items {
            match item {
                SelectionItem::Field(field) if !field.selections.items.is_empty() => {
                    let Some(returns) = self.field_type_here(parent, &field.name) else {
                        continue;
                    };
                    let abstract_type = matches!(
                        self.pass.definition(returns),
                        Some(SupergraphDefinition::Union(_) | SupergraphDefinition::Interface(_))
                    );
                    let has_typename = field.selections.items.iter().any(|item| {
                        matches!(item, SelectionItem::Field(f) if f.name == "__typename" && f.alias.is_none())
                    });
                    if abstract_type && !has_typename {
                        field
                            .selections
                            .items
                            .insert(0, SelectionItem::Field(FieldSelection::new_typename()));
                    }
                    self.add_typenames(&mut field.selections, returns);
                }
                SelectionItem::InlineFragment(fragment) => {
                    let condition = fragment.type_condition.clone();
                    self.add_typenames(&mut fragment.selections, &condition);
                }
                _ => {}
            }
        }
    }

    /// The members the fetch already selects (at any depth of inline
    /// fragments) and the response keys selected on them.
    fn note_members(
        &self,
        set: &SelectionSet,
        parent: &str,
        present: &mut HashSet<String>,
        keys: &mut HashMap<String, Option<TypeNode>>,
    ) {
        for item in &set.items {
            match item {
                SelectionItem::Field(field) => {
                    keys.insert(
                        response_key(field).to_string(),
                        self.leaf_type_here(parent, field),
                    );
                }
                SelectionItem::InlineFragment(fragment) => {
                    present.insert(fragment.type_condition.clone());
                    self.note_members(
                        &fragment.selections,
                        &fragment.type_condition,
                        present,
                        keys,
                    );
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
    }

    /// Whether `selections` on `member` can join its sibling members' fields:
    /// a response key already used must be a leaf of the same type on both.
    fn keys_fit(
        &self,
        selections: &SelectionSet,
        member: &str,
        keys: &mut HashMap<String, Option<TypeNode>>,
    ) -> bool {
        let mut mine: HashMap<String, Option<TypeNode>> = HashMap::new();
        self.note_members(selections, member, &mut HashSet::new(), &mut mine);
        let fits = mine.iter().all(|(key, ty)| match keys.get(key) {
            None => true,
            Some(taken) => key == "__typename" || (taken.is_some() && taken == ty),
        });
        if fits {
            keys.extend(mine);
        }
        fits
    }

    /// The type of a leaf field as this subgraph declares it; `None` for
    /// composite fields (never allowed to share a response key).
    fn leaf_type_here(&self, parent: &str, field: &FieldSelection) -> Option<TypeNode> {
        if field.name == "__typename" {
            return Some(TypeNode::Named("String".into()));
        }
        if !field.selections.items.is_empty() {
            return None;
        }
        let definition = self.pass.definition(parent)?;
        let declared = definition.fields().get(&field.name)?;
        Some(type_here(declared, self.graph).clone())
    }

    /// The named return type of `parent.field` in this subgraph.
    fn field_type_here(&self, parent: &str, field: &str) -> Option<&'a str> {
        let declared = self.pass.definition(parent)?.fields().get(field)?;
        Some(type_here(declared, self.graph).inner_type())
    }

    fn field_type(&self, parent: &str, field: &str) -> Option<&'a str> {
        let definition = self.pass.definition(parent)?;
        Some(definition.fields().get(field)?.field_type.inner_type())
    }

    /// Whether this subgraph alone resolves `selections` on objects of `parent`.
    fn resolvable(&self, selections: &SelectionSet, parent: &str) -> bool {
        let Some(definition) = self.pass.definition(parent) else {
            return false;
        };
        // Unions may carry no @join__type; their members are checked one by
        // one (`member_here`).
        let union = matches!(definition, SupergraphDefinition::Union(_));
        if !union && !definition.is_defined_in_subgraph(self.graph) {
            return false;
        }
        selections.items.iter().all(|item| match item {
            SelectionItem::Field(field) => self.field_resolvable(field, definition),
            SelectionItem::InlineFragment(fragment) => {
                !self
                    .pass
                    .state
                    .is_interface_object_in_subgraph(parent, self.graph)
                    && self.member_here(parent, &fragment.type_condition)
                    && self.resolvable(&fragment.selections, &fragment.type_condition)
            }
            SelectionItem::FragmentSpread(_) => false,
        })
    }

    fn field_resolvable(&self, field: &FieldSelection, definition: &SupergraphDefinition) -> bool {
        if field.name == "__typename" {
            return true;
        }
        let Some(declared) = definition.fields().get(&field.name) else {
            return false;
        };
        let requires_here = declared
            .join_field
            .iter()
            .any(|jf| jf.graph_id.as_deref() == Some(self.graph) && jf.requires.is_some());
        if requires_here
            || !declared
                .resolvable_in_graphs(definition)
                .contains(self.graph)
        {
            return false;
        }
        // An @interfaceObject here answers with the interface's name, not the
        // object's: the planner resolves those through an entity call instead.
        let returns = type_here(declared, self.graph).inner_type();
        if self
            .pass
            .state
            .is_interface_object_in_subgraph(returns, self.graph)
        {
            return false;
        }
        field.selections.items.is_empty()
            || self.resolvable(
                &field.selections,
                type_here(declared, self.graph).inner_type(),
            )
    }

    /// Whether `member` is a possible type of abstract `parent` in this subgraph.
    fn member_here(&self, parent: &str, member: &str) -> bool {
        match self.pass.definition(parent) {
            Some(SupergraphDefinition::Union(union)) => union
                .union_members
                .iter()
                .any(|m| m.graph == self.graph && m.member == member),
            Some(SupergraphDefinition::Interface(_)) => {
                parent == member
                    || self.pass.definition(member).is_some_and(|definition| {
                        definition
                            .join_implements()
                            .iter()
                            .any(|i| i.graph_id == self.graph && i.interface == parent)
                    })
            }
            Some(SupergraphDefinition::Object(_)) => parent == member,
            _ => false,
        }
    }
}

/// A field's type as subgraph `graph` declares it (`@join__field(type:)`).
fn type_here<'d>(declared: &'d SupergraphField, graph: &str) -> &'d TypeNode {
    declared
        .join_field
        .iter()
        .find(|jf| jf.graph_id.as_deref() == Some(graph))
        .and_then(|jf| jf.type_in_graph.as_ref())
        .unwrap_or(&declared.field_type)
}

/// The variables a selection set uses, in arguments and `@skip`/`@include`.
fn collect_variables(set: &SelectionSet, found: &mut BTreeSet<String>) {
    fn in_value(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::Variable(name) => {
                found.insert(name.clone());
            }
            Value::List(items) => items.iter().for_each(|item| in_value(item, found)),
            Value::Object(fields) => fields.values().for_each(|item| in_value(item, found)),
            _ => {}
        }
    }
    for item in &set.items {
        let (skip_if, include_if, selections) = match item {
            SelectionItem::Field(field) => {
                for value in field
                    .arguments
                    .iter()
                    .flat_map(|arguments| arguments.values())
                {
                    in_value(value, found);
                }
                (&field.skip_if, &field.include_if, &field.selections)
            }
            SelectionItem::InlineFragment(fragment) => (
                &fragment.skip_if,
                &fragment.include_if,
                &fragment.selections,
            ),
            SelectionItem::FragmentSpread(_) => continue,
        };
        found.extend(skip_if.iter().chain(include_if).cloned());
        collect_variables(selections, found);
    }
}

/// Replaces every fragment spread with an inline fragment of its definition
/// and drops the definitions, so a selection can be edited in one place.
/// `false` (document unusable) for an unknown or cyclic spread.
fn inline_spreads(document: &mut Document) -> bool {
    if document.fragments.is_empty() {
        return true;
    }
    let fragments = std::mem::take(&mut document.fragments);
    inline_set(&mut document.operation.selection_set, &fragments, 0)
}

fn inline_set(set: &mut SelectionSet, fragments: &[FragmentDefinition], depth: usize) -> bool {
    // Planner-made fragments never cycle; the bound keeps a malformed
    // document from recursing forever.
    if depth > 64 {
        return false;
    }
    set.items.iter_mut().all(|item| match item {
        SelectionItem::Field(field) => inline_set(&mut field.selections, fragments, depth),
        SelectionItem::InlineFragment(fragment) => {
            inline_set(&mut fragment.selections, fragments, depth)
        }
        SelectionItem::FragmentSpread(name) => {
            let Some(definition) = fragments.iter().find(|f| &f.name == name) else {
                return false;
            };
            let mut selections = definition.selection_set.clone();
            let inlined = inline_set(&mut selections, fragments, depth + 1);
            *item = SelectionItem::InlineFragment(InlineFragmentSelection {
                type_condition: definition.type_condition.clone(),
                selections,
                skip_if: None,
                include_if: None,
            });
            inlined
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::config::PlannerConfig;
    use crate::plan::QueryPlanner;

    /// `partial-union-complex` of the federation gateway audit, with a few
    /// fields that must not be restored.
    fn planner() -> QueryPlanner {
        let a = r#"
            extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires"])
            type Query { rootA: Container shared: Container @shareable }
            type Container @key(fields: "id") { id: ID! wrapper: Wrapper @shareable }
            type Wrapper @shareable { actions: [Action!]! @shareable }
            union Action = Common | OnlyA | Tagged
            type Common @shareable { label: String }
            type OnlyA @key(fields: "id") {
              id: ID!
              a(upper: Boolean): String
              size: Int @external
              sized: String @requires(fields: "size")
              pick: Action
            }
            type Tagged { label: Int }
        "#;
        let b = r#"
            extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
            type Query { rootB: Container shared: Container @shareable }
            type Container @key(fields: "id") { id: ID! wrapper: Wrapper @shareable }
            type Wrapper @shareable { actions: [Action!]! @shareable }
            union Action = Common | OnlyB
            type Common @shareable { label: String }
            type OnlyB { b: String }
            type OnlyA @key(fields: "id") { id: ID! size: Int fromB: String }
        "#;
        let c = r#"
            extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
            type Query { first: Container second: Container }
            type Container @key(fields: "id") { id: ID! }
        "#;
        let sdls = [
            tessera_schema::SubgraphSdl::new("a", "http://a.invalid", a),
            tessera_schema::SubgraphSdl::new("b", "http://b.invalid", b),
            tessera_schema::SubgraphSdl::new("c", "http://c.invalid", c),
        ];
        let composed = tessera_schema::compose(&sdls).expect("composes");
        QueryPlanner::new(&composed.supergraph_sdl, &PlannerConfig::default()).expect("planner")
    }

    async fn plan(planner: &QueryPlanner, actions: &str) -> String {
        let query = format!(
            "query($u: Boolean) {{ rootA {{ wrapper {{ actions {{ __typename {actions} }} }} }} }}"
        );
        planner.plan(query, None).await.expect("plan").to_string()
    }

    #[tokio::test]
    async fn members_of_the_pinned_subgraph_come_back() {
        let planner = planner();
        let plan = plan(
            &planner,
            "... on Common { label } ... on OnlyA { a(upper: true) } ... on OnlyB { b }",
        )
        .await;
        assert!(plan.contains("... on OnlyA"), "{plan}");
        assert!(plan.contains("a(upper: true)"), "{plan}");
        assert!(
            !plan.contains("OnlyB"),
            "b's member is not a's to resolve: {plan}"
        );
    }

    #[tokio::test]
    async fn members_needing_what_the_fetch_cannot_give_stay_out() {
        let planner = planner();
        for (why, actions, absent) in [
            (
                "a field of another subgraph",
                "... on OnlyA { a fromB }",
                "fromB",
            ),
            ("a field with @requires", "... on OnlyA { sized }", "sized"),
            ("an @external field", "... on OnlyA { size }", "size"),
            (
                "a response key of another type",
                "... on Common { label } ... on Tagged { label }",
                "Tagged",
            ),
        ] {
            let plan = plan(&planner, actions).await;
            assert!(!plan.contains(absent), "{why} was restored: {plan}");
            assert!(plan.contains("Fetch(service: \"a\")"), "{plan}");
        }
    }

    #[tokio::test]
    async fn restored_members_declare_their_variables() {
        let planner = planner();
        let plan = plan(
            &planner,
            "... on OnlyA @skip(if: $u) { a(upper: $u) } ... on OnlyA { id @include(if: $u) }",
        )
        .await;
        assert!(plan.contains("($u:Boolean)"), "{plan}");
        assert!(plan.contains("... on OnlyA @skip(if: $u)"), "{plan}");
        assert!(plan.contains("a(upper: $u)"), "{plan}");
        assert!(plan.contains("id @include(if: $u)"), "{plan}");
    }

    #[tokio::test]
    async fn batched_entity_fetches_get_their_members_back() {
        let planner = planner();
        let actions =
            "actions { __typename ... on Common { label } ... on OnlyA { a } ... on OnlyB { b } }";
        let query = format!(
            "{{ first {{ wrapper {{ {actions} }} }} second {{ wrapper {{ {actions} }} }} }}"
        );
        let plan = planner.plan(query, None).await.expect("plan").to_string();
        assert!(plan.contains("BatchFetch"), "{plan}");
        let member = if plan.contains("BatchFetch(service: \"a\")") {
            "... on OnlyA"
        } else {
            "... on OnlyB"
        };
        assert!(plan.contains(member), "{plan}");
        let field = if member.ends_with("OnlyA") { "a" } else { "b" };
        let copies = plan.lines().filter(|line| line.trim() == field).count();
        assert_eq!(copies, 1, "one copy for both paths: {plan}");
    }

    #[tokio::test]
    async fn selections_from_several_positions_must_merge() {
        let planner = planner();
        for (first, second) in [("a(upper: true)", "a(upper: false)"), ("x: a", "x: id")] {
            let query = format!(
                "{{ first {{ wrapper {{ actions {{ __typename ... on OnlyA {{ {first} }} }} }} }} \
                   second {{ wrapper {{ actions {{ __typename ... on OnlyA {{ {second} }} }} }} }} }}"
            );
            let plan = planner.plan(query, None).await.expect("plan").to_string();
            assert!(plan.contains("BatchFetch"), "{plan}");
            assert!(
                !(plan.contains(first) && plan.contains(second)),
                "fields that cannot merge were joined: {plan}"
            );
        }
    }

    #[tokio::test]
    async fn abstract_fields_in_restored_members_select_their_typename() {
        let planner = planner();
        let plan = plan(&planner, "... on OnlyA { pick { ... on OnlyA { id } } }").await;
        let lines: Vec<&str> = plan.lines().map(str::trim).collect();
        let pick = lines
            .iter()
            .position(|line| *line == "pick {")
            .unwrap_or_else(|| panic!("pick restored: {plan}"));
        assert_eq!(lines.get(pick + 1), Some(&"__typename"), "{plan}");
    }

    #[tokio::test]
    async fn leaves_of_one_type_may_share_a_response_key() {
        let planner = planner();
        let plan = plan(
            &planner,
            "... on Common { label } ... on OnlyA { label: a }",
        )
        .await;
        assert!(plan.contains("label: a"), "{plan}");
    }
}
