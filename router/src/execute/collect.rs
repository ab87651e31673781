//! Field collection (spec §6.3.2 CollectFields) planned once per operation.
//!
//! Projection asks, for every object it writes, which response keys the
//! selection sets merged at that position select on the object's concrete
//! type. The answer depends on the operation, the concrete type and the
//! `@skip`/`@include` conditions only, so it is computed once per (position,
//! type) and kept with the prepared operation ([`CollectionCache`]), shared
//! by every request that runs it: a request computes nothing that an earlier
//! one with the same condition values already did.
//!
//! A [`Group`] is one position of the operation (the root selection set, or
//! the fields merged under one response key below a collected field). Its
//! collections per concrete type sit in an append-only list of
//! [`OnceLock`]s, so a reference to one lives as long as the plan, is filled
//! at most once, and is read without a lock.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use apollo_compiler::Node;
use apollo_compiler::collections::{HashSet, IndexMap};
use apollo_compiler::executable::{ExecutableDocument, Field, Selection, SelectionSet};
use apollo_compiler::response::JsonMap;
use apollo_compiler::schema::{ExtendedType, ObjectType, Type};
use apollo_compiler::{Name, Schema};

/// Plans for more condition values than this are built per request and
/// dropped after it (an operation with many `@skip`/`@include` variables
/// could otherwise keep one plan per combination its clients send).
const MAX_PLANS: usize = 16;

/// Variables deciding conditions beyond this many make every request plan
/// afresh (two bits of the key per variable).
const MAX_CONDITION_VARIABLES: usize = 32;

/// The collection plans of one prepared operation, one per combination of
/// the values of the variables its `@skip`/`@include` conditions read.
#[derive(Default)]
pub struct CollectionCache {
    /// The variables read by conditions (`None`: more than
    /// [`MAX_CONDITION_VARIABLES`]).
    variables: OnceLock<Option<Box<[Name]>>>,
    plans: Mutex<Vec<(u64, Arc<Group>)>>,
}

impl std::fmt::Debug for CollectionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plans = self.plans.lock().map(|p| p.len()).unwrap_or_default();
        f.debug_struct("CollectionCache")
            .field("plans", &plans)
            .finish()
    }
}

impl CollectionCache {
    /// The root group of the plan for these variables' condition values.
    pub fn root(&self, document: &ExecutableDocument, variables: &JsonMap) -> Arc<Group> {
        let names = self.variables.get_or_init(|| condition_variables(document));
        let Some(names) = names else {
            return Arc::default();
        };
        let key = condition_key(names, variables);
        let mut plans = self.plans.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, plan)) = plans.iter().find(|(k, _)| *k == key) {
            return plan.clone();
        }
        let plan = Arc::<Group>::default();
        if plans.len() < MAX_PLANS {
            plans.push((key, plan.clone()));
        }
        plan
    }
}

/// Two bits per variable: whether it holds a Boolean, and which.
fn condition_key(names: &[Name], variables: &JsonMap) -> u64 {
    names.iter().enumerate().fold(0u64, |key, (i, name)| {
        let bits = match variables.get(name.as_str()).and_then(|v| v.as_bool()) {
            None => 0,
            Some(false) => 1,
            Some(true) => 3,
        };
        key | bits << (2 * i)
    })
}

/// The variables the document's `@skip`/`@include` conditions read, each
/// once (`None` past [`MAX_CONDITION_VARIABLES`]).
fn condition_variables(document: &ExecutableDocument) -> Option<Box<[Name]>> {
    fn visit(set: &SelectionSet, out: &mut Vec<Name>) {
        for selection in &set.selections {
            for name in ["skip", "include"] {
                if let Some(directive) = selection.directives().get(name)
                    && let Some(value) = directive.specified_argument_by_name("if")
                    && let apollo_compiler::ast::Value::Variable(var) = value.as_ref()
                    && !out.contains(var)
                {
                    out.push(var.clone());
                }
            }
            match selection {
                Selection::Field(field) => visit(&field.selection_set, out),
                Selection::InlineFragment(inline) => visit(&inline.selection_set, out),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for operation in document.operations.iter() {
        visit(&operation.selection_set, &mut out);
    }
    for fragment in document.fragments.values() {
        visit(&fragment.selection_set, &mut out);
    }
    (out.len() <= MAX_CONDITION_VARIABLES).then(|| out.into_boxed_slice())
}

/// One position of the operation: its collected fields per concrete type,
/// filled as types are met.
#[derive(Default)]
pub struct Group {
    first: OnceLock<Box<Slot>>,
}

struct Slot {
    type_name: Name,
    fields: Box<[CollectedField]>,
    next: OnceLock<Box<Slot>>,
}

/// The selection sets merged at one position.
#[derive(Clone, Copy)]
pub enum Sets<'a> {
    /// The operation's own selection set.
    Root(&'a SelectionSet),
    /// The sub-selections of every field under one response key.
    Fields(&'a [Node<Field>]),
}

impl<'a> Sets<'a> {
    pub fn iter(self) -> impl Iterator<Item = &'a SelectionSet> {
        let (root, fields) = match self {
            Sets::Root(set) => (Some(set), &[][..]),
            Sets::Fields(fields) => (None, fields),
        };
        root.into_iter()
            .chain(fields.iter().map(|field| &field.selection_set))
    }
}

/// One response key of an object's collected fields.
pub struct CollectedField {
    pub key: Name,
    /// Every field selected under this key (their sub-selections merge).
    pub fields: Box<[Node<Field>]>,
    /// The type the selection declares (drives completion).
    pub ty: Type,
    /// The object type's own field type (drives nullability of the field itself).
    pub def_ty: Type,
    /// The definition of the selected type's named type (`None`: not in the
    /// schema).
    pub named: Option<ExtendedType>,
    pub is_typename: bool,
    /// Where the sub-selections are collected.
    pub child: Group,
}

/// What collection needs besides the plan: the schema, the document and
/// the variables conditions read.
pub struct Collector<'a> {
    pub schema: &'a Schema,
    pub document: &'a ExecutableDocument,
    pub variables: &'a JsonMap,
}

impl Group {
    /// The fields `sets` select on `object_type`, collected on first use.
    pub fn collected<'g>(
        &'g self,
        collector: &Collector<'_>,
        object_type: &ObjectType,
        sets: Sets<'_>,
    ) -> &'g [CollectedField] {
        let mut link = &self.first;
        loop {
            let slot = link.get_or_init(|| {
                Box::new(Slot {
                    type_name: object_type.name.clone(),
                    fields: collector.collect(object_type, sets),
                    next: OnceLock::new(),
                })
            });
            if slot.type_name == object_type.name {
                return &slot.fields;
            }
            link = &slot.next;
        }
    }

    /// How many concrete types have been collected here (tests).
    #[cfg(test)]
    pub fn types(&self) -> usize {
        let mut count = 0;
        let mut link = &self.first;
        while let Some(slot) = link.get() {
            count += 1;
            link = &slot.next;
        }
        count
    }
}

impl<'a> Collector<'a> {
    /// CollectFields (spec §6.3.2) for `object_type` over `sets`.
    fn collect(&self, object_type: &ObjectType, sets: Sets<'_>) -> Box<[CollectedField]> {
        let mut grouped: IndexMap<&Name, Vec<Node<Field>>> = IndexMap::default();
        let mut visited = HashSet::default();
        for set in sets.iter() {
            self.collect_into(object_type, &set.selections, &mut visited, &mut grouped);
        }
        grouped
            .into_iter()
            .filter_map(|(key, fields)| {
                let first = fields.first()?;
                let def = self
                    .schema
                    .type_field(&object_type.name, &first.name)
                    .ok()?;
                Some(CollectedField {
                    key: key.clone(),
                    ty: first.ty().clone(),
                    def_ty: def.ty.clone(),
                    named: self
                        .schema
                        .types
                        .get(first.ty().inner_named_type())
                        .cloned(),
                    is_typename: first.name == "__typename",
                    fields: fields.into_boxed_slice(),
                    child: Group::default(),
                })
            })
            .collect()
    }

    fn collect_into<'d>(
        &self,
        object_type: &ObjectType,
        selections: &'d [Selection],
        visited: &mut HashSet<&'d Name>,
        grouped: &mut IndexMap<&'d Name, Vec<Node<Field>>>,
    ) where
        'a: 'd,
    {
        for selection in selections {
            if self.directive_if(selection, "skip").unwrap_or(false)
                || !self.directive_if(selection, "include").unwrap_or(true)
            {
                continue;
            }
            match selection {
                Selection::Field(field) => grouped
                    .entry(field.response_key())
                    .or_default()
                    .push(field.clone()),
                Selection::FragmentSpread(spread) => {
                    if !visited.insert(&spread.fragment_name) {
                        continue;
                    }
                    let Some(fragment) = self.document.fragments.get(&spread.fragment_name) else {
                        continue;
                    };
                    if self.applies(object_type, fragment.type_condition()) {
                        self.collect_into(
                            object_type,
                            &fragment.selection_set.selections,
                            visited,
                            grouped,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    if inline
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| self.applies(object_type, condition))
                    {
                        self.collect_into(
                            object_type,
                            &inline.selection_set.selections,
                            visited,
                            grouped,
                        );
                    }
                }
            }
        }
    }

    /// DoesFragmentTypeApply (spec §6.3.2).
    fn applies(&self, object_type: &ObjectType, condition: &Name) -> bool {
        match self.schema.types.get(condition) {
            Some(ExtendedType::Object(_)) => *condition == object_type.name,
            Some(ExtendedType::Interface(_)) => {
                object_type.implements_interfaces.contains(condition)
            }
            Some(ExtendedType::Union(def)) => def.members.contains(&object_type.name),
            _ => false,
        }
    }

    /// The `if:` of `@skip`/`@include` on `selection`, if present.
    fn directive_if(&self, selection: &Selection, name: &str) -> Option<bool> {
        crate::validate::condition(selection, name, self.variables)
    }
}
