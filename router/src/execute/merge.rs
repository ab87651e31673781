//! Pure helpers over response JSON: deep merge, walking flatten paths, building
//! entity representations from `requires` selections, and fetch rewrites.

use super::store::{Object, Str, Value};

use crate::error::PathSegment;
use crate::plan::{FlattenSegment, Rewrite, RewriteStep, Selection};

/// A location in the response.
pub type ResponsePath = Vec<PathSegment>;

/// Answers "is an object of concrete type `typename` an instance of `type_condition`?"
/// (equal, implementing interface, or union member).
pub trait TypeRelation {
    fn is_a(&self, type_condition: &str, typename: &str) -> bool;
}

/// Merges `source` into `target`: objects key by key (recursively), lists of equal
/// length item by item, anything else is replaced by `source` unless `source` is null
/// and `target` is not.
pub fn deep_merge(target: &mut Value, source: Value) {
    match (target, source) {
        (Value::Object(target), Value::Object(source)) => {
            if target.is_empty() {
                *target = source;
                return;
            }
            // Objects are small: a scan per key. Large ones (many aliases)
            // index the target's keys once instead.
            if target.len().saturating_mul(source.len()) > 1024 {
                let mut index: rustc_hash::FxHashMap<Str, usize> = target
                    .iter()
                    .enumerate()
                    .map(|(i, (key, _))| (key.clone(), i))
                    .collect();
                for (key, value) in source {
                    match index.get(&key) {
                        Some(&i) => {
                            if let Some(existing) = target.nth_mut(i) {
                                deep_merge(existing, value);
                            }
                        }
                        None => {
                            index.insert(key.clone(), target.len());
                            target.push(key, value);
                        }
                    }
                }
                return;
            }
            for (key, value) in source {
                match target.get_mut_key(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => target.push(key, value),
                }
            }
        }
        (Value::Array(target), Value::Array(source)) => {
            // Lists of different lengths for one field break the shareable
            // contract; the first list stays, so entity fetches planned over
            // its items keep their positions.
            if target.len() == source.len() {
                for (t, s) in target.iter_mut().zip(source) {
                    deep_merge(t, s);
                }
            }
        }
        (_, Value::Null) => {}
        (target, source) => *target = source,
    }
}

/// [`deep_merge`] of a borrowed `source` (a response other requests share, or
/// a result several entities use): only what `target` lacks is cloned, so
/// the objects `source` merges into existing ones are never copied.
pub fn deep_merge_ref(target: &mut Value, source: &Value) {
    match (target, source) {
        (Value::Object(target), Value::Object(source)) => {
            if target.is_empty() {
                *target = source.clone();
                return;
            }
            if target.len().saturating_mul(source.len()) > 1024 {
                // Large objects: the indexed merge of owned values.
                let mut owned = Value::Object(std::mem::take(target));
                deep_merge(&mut owned, Value::Object(source.clone()));
                if let Value::Object(merged) = owned {
                    *target = merged;
                }
                return;
            }
            for (key, value) in source.iter() {
                match target.get_mut_key(key) {
                    Some(existing) => deep_merge_ref(existing, value),
                    None => target.push(key.clone(), value.clone()),
                }
            }
        }
        (Value::Array(target), Value::Array(source)) => {
            if target.len() == source.len() {
                for (t, s) in target.iter_mut().zip(source) {
                    deep_merge_ref(t, s);
                }
            }
        }
        (_, Value::Null) => {}
        (target, source) => *target = source.clone(),
    }
}

/// Whether [`keep_concrete_typename`] would drop `result`'s `__typename`.
pub fn names_a_supertype(entity: &Value, result: &Value, types: &dyn TypeRelation) -> bool {
    // Results rarely carry a `__typename`: look there first.
    let Some(answered) = typename(result) else {
        return false;
    };
    typename(entity).is_some_and(|known| known != answered && types.is_a(answered, known))
}

/// Drops `result`'s `__typename` where it names a supertype of `entity`'s: an
/// `@interfaceObject` subgraph answers its interface's name (`Account`) for
/// an entity already known to be a `Regular`, and the concrete type must
/// survive the merge (fragments on it, `__typename` under an alias).
pub fn keep_concrete_typename(entity: &Value, result: &mut Value, types: &dyn TypeRelation) {
    // Results rarely carry a `__typename`: look there first.
    if names_a_supertype(entity, result, types)
        && let Value::Object(map) = result
    {
        map.remove("__typename");
    }
}

/// The value at `path`, if any (tests look values up by path).
#[cfg(test)]
pub fn get_at<'a>(root: &'a Value, path: &[PathSegment]) -> Option<&'a Value> {
    path.iter().try_fold(root, |value, segment| match segment {
        PathSegment::Key(key) => value.as_object()?.get(key.as_str()),
        PathSegment::Index(index) => value.as_array()?.get(*index),
    })
}

/// `map.get(key)` (a scan: see [`Object::get`]).
#[inline]
pub fn lookup<'m>(map: &'m Object, key: &str) -> Option<&'m Value> {
    map.get(key)
}

fn typename(value: &Value) -> Option<&str> {
    value
        .as_object()
        .and_then(|o| lookup(o, "__typename"))
        .and_then(|t| t.as_str())
}

/// Calls `visit` on every object reached by following a flatten `path` from
/// `root` (nulls and missing fields skipped, `@` fanning out over lists), in
/// document order, and records where each one sits in `positions` (so a later
/// [`Positions::for_each_mut`] reaches the same entities without searching for
/// them again).
pub fn for_each_entity(
    root: &mut Value,
    path: &[FlattenSegment],
    types: &dyn TypeRelation,
    positions: &mut Positions,
    visit: &mut dyn FnMut(&mut Value),
) {
    walk(root, path, types, &mut Vec::new(), &mut |entity, steps| {
        positions.steps.extend_from_slice(steps);
        positions.ends.push(positions.steps.len());
        visit(entity)
    });
}

/// Where each entity a walk visited sits in the response tree: for every entity,
/// the index of each object entry and list item on the way from the root. The
/// tree only grows while a fetch runs (entries are appended, lists are never
/// replaced: see [`deep_merge`]), so the indices stay valid.
#[derive(Debug, Default)]
pub struct Positions {
    steps: Vec<u32>,
    ends: Vec<usize>,
}

impl Positions {
    /// How many entities were recorded.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Each recorded entity's steps from the root, in walk order.
    fn entities(&self) -> impl Iterator<Item = &[u32]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| self.steps.get(start..end).unwrap_or_default())
    }

    /// Calls `visit(ordinal, entity)` for every recorded entity still found in
    /// `root` as an object; returns how many were not.
    pub fn for_each_mut(
        &self,
        root: &mut Value,
        visit: &mut dyn FnMut(usize, &mut Value),
    ) -> usize {
        // Entities recorded one after another share most of their way from
        // the root (siblings in a list): each step they share is taken once.
        let entities: Vec<(usize, &[u32])> = self.entities().enumerate().collect();
        let mut missing = 0;
        descend(root, &entities, 0, visit, &mut missing);
        missing
    }

    /// The response path of every recorded entity (`None` for one no longer
    /// found), read off the recorded indices: the same entities the merge
    /// reaches, named for error reporting.
    pub fn paths(&self, root: &Value) -> Vec<Option<ResponsePath>> {
        self.entities()
            .map(|steps| {
                let mut path = Vec::with_capacity(steps.len());
                let mut value = root;
                for &step in steps {
                    let step = step as usize;
                    value = match value {
                        Value::Object(object) => {
                            let (key, child) = object.nth(step)?;
                            path.push(PathSegment::Key(key.as_str().to_string()));
                            child
                        }
                        Value::Array(items) => {
                            path.push(PathSegment::Index(step));
                            items.get(step)?
                        }
                        _ => return None,
                    };
                }
                Some(path)
            })
            .collect()
    }
}

/// Visits the entities of `group` (ordinal and steps from the root) below
/// `value`, which is reached by the first `depth` steps of each: a run of
/// consecutive entities taking the same next step descends into that child
/// once, together.
fn descend(
    value: &mut Value,
    group: &[(usize, &[u32])],
    depth: usize,
    visit: &mut dyn FnMut(usize, &mut Value),
    missing: &mut usize,
) {
    let mut rest = group;
    while let Some(&(ordinal, steps)) = rest.first() {
        let Some(&step) = steps.get(depth) else {
            if value.is_object() {
                visit(ordinal, value);
            } else {
                *missing += 1;
            }
            rest = rest.get(1..).unwrap_or_default();
            continue;
        };
        let run = rest
            .iter()
            .position(|(_, other)| other.get(depth) != Some(&step))
            .unwrap_or(rest.len());
        let (together, after) = rest.split_at(run);
        // The next run's child, touched before this run descends: its
        // first cache line is loaded while this run's subtree is worked on
        // (the walk is pointer chasing through cold memory).
        if let Some(&next) = after.first().and_then(|(_, other)| other.get(depth)) {
            let sibling = match &*value {
                Value::Object(object) => object.nth(next as usize).map(|(_, v)| v),
                Value::Array(items) => items.get(next as usize),
                _ => None,
            };
            let first = match sibling {
                Some(Value::Object(object)) => object.nth(0).map(|(_, v)| v),
                Some(Value::Array(items)) => items.first(),
                _ => None,
            };
            std::hint::black_box(first.map(Value::is_null));
        }
        let child = match value {
            Value::Object(object) => object.nth_mut(step as usize),
            Value::Array(items) => items.get_mut(step as usize),
            _ => None,
        };
        match child {
            Some(child) => descend(child, together, depth + 1, visit, missing),
            None => *missing += together.len(),
        }
        rest = after;
    }
}

/// The walk behind [`for_each_entity`]; `steps` holds the indices taken so far.
fn walk(
    value: &mut Value,
    path: &[FlattenSegment],
    types: &dyn TypeRelation,
    steps: &mut Vec<u32>,
    visit: &mut dyn FnMut(&mut Value, &[u32]),
) {
    fn each_item(
        items: &mut [Value],
        path: &[FlattenSegment],
        types: &dyn TypeRelation,
        steps: &mut Vec<u32>,
        visit: &mut dyn FnMut(&mut Value, &[u32]),
    ) {
        for (index, item) in items.iter_mut().enumerate() {
            steps.push(step(index));
            walk(item, path, types, steps, visit);
            steps.pop();
        }
    }
    match path.split_first() {
        _ if value.is_null() => {}
        None => match value {
            Value::Array(items) => each_item(items, path, types, steps, visit),
            Value::Object(_) => visit(value, steps),
            _ => {}
        },
        Some((FlattenSegment::List, rest)) => {
            if let Value::Array(items) = value {
                each_item(items, rest, types, steps, visit);
            }
        }
        Some((FlattenSegment::Field(key), rest)) => match value {
            Value::Object(object) => {
                // Objects are small: a scan finds the entry and its index
                // without hashing the key.
                let found = object
                    .iter_mut()
                    .enumerate()
                    .find(|(_, (name, _))| name.is(key));
                if let Some((index, (_, child))) = found {
                    steps.push(step(index));
                    walk(child, rest, types, steps, visit);
                    steps.pop();
                }
            }
            // A list where the planner expected an object: fan out defensively.
            Value::Array(items) => each_item(items, path, types, steps, visit),
            _ => {}
        },
        Some((FlattenSegment::TypeCondition(names), rest)) => {
            if !value.is_object() {
                return;
            }
            let matches = match typename(value) {
                Some(t) => names.iter().any(|n| types.is_a(n, t)),
                None => true,
            };
            if matches {
                walk(value, rest, types, steps, visit);
            }
        }
    }
}

/// An index as a recorded step (indices past `u32::MAX` cannot be reached:
/// responses are far smaller).
fn step(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Projects `entity` through a plan's `requires` selection (`... on T { __typename key }`)
/// into a representation. `None` when no fragment applies or the entity is not an
/// object. Per the planner's convention a field's `name` is the key in the response
/// and its `alias` (if any) the key in the representation.
pub fn representation(
    entity: &Value,
    requires: &[Selection],
    types: &dyn TypeRelation,
) -> Option<Value> {
    let object = entity.as_object()?;
    let mut out = Object::new();
    let mut matched = false;
    for item in requires {
        match item {
            Selection::InlineFragment {
                type_condition,
                selections,
            } => {
                let applies = match typename(entity) {
                    Some(t) => types.is_a(type_condition, t),
                    None => false,
                };
                if applies {
                    matched = true;
                    select_into(object, selections, types, &mut out);
                }
            }
            Selection::Field { .. } => {
                matched = true;
                select_into(object, std::slice::from_ref(item), types, &mut out);
            }
        }
    }
    matched.then_some(Value::Object(out))
}

fn select_into(
    object: &Object,
    selections: &[Selection],
    types: &dyn TypeRelation,
    out: &mut Object,
) {
    for item in selections {
        match item {
            Selection::Field {
                name,
                alias,
                selections,
            } => {
                let Some(value) = lookup(object, name.as_str()) else {
                    continue;
                };
                let output_key = alias.as_deref().unwrap_or(name).to_string();
                let selected = if selections.is_empty() {
                    value.clone()
                } else {
                    select_value(value, selections, types)
                };
                match out.get_mut(output_key.as_str()) {
                    Some(existing) => deep_merge(existing, selected),
                    None => {
                        out.insert(output_key, selected);
                    }
                }
            }
            Selection::InlineFragment {
                type_condition,
                selections,
            } => {
                let applies = match lookup(object, "__typename").and_then(|t| t.as_str()) {
                    Some(t) => types.is_a(type_condition, t),
                    None => true,
                };
                if applies {
                    select_into(object, selections, types, out);
                }
            }
        }
    }
}

fn select_value(value: &Value, selections: &[Selection], types: &dyn TypeRelation) -> Value {
    match value {
        Value::Object(object) => {
            let mut out = Object::new();
            // A nested object keeps its `__typename` (fetched for abstract types):
            // the subgraph needs it to read the object as its concrete type.
            if let Some(typename) = lookup(object, "__typename") {
                out.insert("__typename", typename.clone());
            }
            select_into(object, selections, types, &mut out);
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| select_value(item, selections, types))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What [`write_representation`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// No fragment of `requires` applies to the entity: nothing was written.
    NotApplicable,
    /// A response key occurs twice at one level (its values would have to be
    /// merged): the output is unusable, build it with [`representation`] instead.
    NeedsMerge,
    /// The representation was written.
    Done,
}

/// Writes the representation of `entity` under `requires` straight to JSON
/// bytes: the same document `serde_json::to_string(&representation(..))` gives,
/// without building it. `top` receives the top-level keys written and whether
/// each value is non-null (for [`crate::execute::keys::EntityKeys`]).
pub fn write_representation<'a>(
    entity: &Value,
    requires: &'a [Selection],
    types: &dyn TypeRelation,
    out: &mut Vec<u8>,
    top: &mut Vec<(&'a str, bool)>,
) -> Written {
    let Some(object) = entity.as_object() else {
        return Written::NotApplicable;
    };
    let start = out.len();
    out.push(b'{');
    let mut matched = false;
    for item in requires {
        let result = match item {
            Selection::InlineFragment {
                type_condition,
                selections,
            } => {
                let applies = typename(entity).is_some_and(|t| types.is_a(type_condition, t));
                if !applies {
                    continue;
                }
                matched = true;
                write_fields(object, selections, types, out, top)
            }
            Selection::Field { .. } => {
                matched = true;
                write_fields(object, std::slice::from_ref(item), types, out, top)
            }
        };
        if result.is_err() {
            out.truncate(start);
            return Written::NeedsMerge;
        }
    }
    if !matched {
        out.truncate(start);
        return Written::NotApplicable;
    }
    out.push(b'}');
    Written::Done
}

/// A response key selected twice at one level.
struct DuplicateKey;

fn write_key(out: &mut Vec<u8>, first: bool, key: &str) {
    if !first {
        out.push(b',');
    }
    super::store::write_str(out, key);
    out.push(b':');
}

fn write_json_value(out: &mut Vec<u8>, value: &Value) {
    value.write(out);
}

fn write_fields<'a>(
    object: &Object,
    selections: &'a [Selection],
    types: &dyn TypeRelation,
    out: &mut Vec<u8>,
    written: &mut Vec<(&'a str, bool)>,
) -> Result<(), DuplicateKey> {
    for item in selections {
        match item {
            Selection::Field {
                name,
                alias,
                selections,
            } => {
                let Some(value) = lookup(object, name.as_str()) else {
                    continue;
                };
                let key = alias.as_deref().unwrap_or(name);
                if written.iter().any(|(k, _)| *k == key) {
                    // `__typename` again is the same value again: merging it
                    // changes nothing.
                    if key == "__typename" && name == "__typename" {
                        continue;
                    }
                    return Err(DuplicateKey);
                }
                write_key(out, written.is_empty(), key);
                written.push((key, !value.is_null()));
                if selections.is_empty() {
                    write_json_value(out, value);
                } else {
                    write_selected(value, selections, types, out)?;
                }
            }
            Selection::InlineFragment {
                type_condition,
                selections,
            } => {
                let applies = match lookup(object, "__typename").and_then(|t| t.as_str()) {
                    Some(t) => types.is_a(type_condition, t),
                    None => true,
                };
                if applies {
                    write_fields(object, selections, types, out, written)?;
                }
            }
        }
    }
    Ok(())
}

/// [`select_value`], written.
fn write_selected(
    value: &Value,
    selections: &[Selection],
    types: &dyn TypeRelation,
    out: &mut Vec<u8>,
) -> Result<(), DuplicateKey> {
    match value {
        Value::Object(object) => {
            let mut written = Vec::new();
            out.push(b'{');
            if let Some(typename) = lookup(object, "__typename") {
                write_key(out, true, "__typename");
                write_json_value(out, typename);
                written.push(("__typename", !typename.is_null()));
            }
            write_fields(object, selections, types, out, &mut written)?;
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_selected(item, selections, types, out)?;
            }
            out.push(b']');
        }
        other => write_json_value(out, other),
    }
    Ok(())
}

/// Applies fetch input/output rewrites (`ValueSetter`, `KeyRenamer`) to `value`.
pub fn apply_rewrites(value: &mut Value, rewrites: &[Rewrite], types: &dyn TypeRelation) {
    for rewrite in rewrites {
        match rewrite {
            Rewrite::SetValue { path, value: to } => {
                set_value(value, path, &Value::from(to.as_str()), types)
            }
            Rewrite::RenameKey { path, to } => rename_key(value, path, to, types),
        }
    }
}

fn typename_matches(value: &Value, names: &[String], types: &dyn TypeRelation) -> bool {
    match typename(value) {
        Some(t) => names.iter().any(|n| types.is_a(n, t)),
        None => false,
    }
}

fn set_value(value: &mut Value, path: &[RewriteStep], new_value: &Value, types: &dyn TypeRelation) {
    if let Value::Array(items) = value {
        for item in items {
            set_value(item, path, new_value, types);
        }
        return;
    }
    match path.split_first() {
        None => *value = new_value.clone(),
        Some((RewriteStep::TypenameIs(names), rest)) => {
            if typename_matches(value, names, types) {
                set_value(value, rest, new_value, types);
            }
        }
        Some((RewriteStep::Key(key), rest)) => {
            if let Value::Object(object) = value {
                match object.get_mut(key.as_str()) {
                    Some(child) => set_value(child, rest, new_value, types),
                    None if rest.is_empty() => {
                        object.insert(key.clone(), new_value.clone());
                    }
                    None => {}
                }
            }
        }
    }
}

fn rename_key(value: &mut Value, path: &[RewriteStep], to: &str, types: &dyn TypeRelation) {
    if let Value::Array(items) = value {
        for item in items {
            rename_key(item, path, to, types);
        }
        return;
    }
    match path {
        [] => {}
        [RewriteStep::Key(from)] => {
            if let Value::Object(object) = value
                && let Some(moved) = object.remove(from.as_str())
            {
                object.insert(to.to_string(), moved);
            }
        }
        [RewriteStep::TypenameIs(names), rest @ ..] => {
            if typename_matches(value, names, types) {
                rename_key(value, rest, to, types);
            }
        }
        [RewriteStep::Key(key), rest @ ..] => {
            if let Some(child) = value
                .as_object_mut()
                .and_then(|object| object.get_mut(key.as_str()))
            {
                rename_key(child, rest, to, types);
            }
        }
    }
}

/// Representations deduplicated: each distinct representation is sent once, and
/// every entity a fetch visits remembers which one (if any) answers for it.
/// The distinct ones are kept serialized, end to end in one buffer (copied
/// from there into the request body), found again by their FxHash.
#[derive(Debug, Default)]
pub struct Representations {
    /// The distinct representations, serialized, in first-seen order, end to end.
    text: String,
    /// Where each distinct representation ends in `text`.
    ends: Vec<usize>,
    /// For every entity visited (in walk order): its index among the distinct
    /// representations, or `None` when it is not sent (no applicable
    /// `requires`, or no usable key).
    pub slots: Vec<Option<usize>>,
    /// Where each visited entity sits, in the same order as `slots`.
    pub positions: Positions,
    /// Hash of a representation → the first distinct one with that hash.
    index: rustc_hash::FxHashMap<u64, usize>,
    /// For each distinct representation, the next one with the same hash.
    next_same_hash: Vec<Option<usize>>,
}

impl Representations {
    /// Records the next visited entity's representation (`None`: not sent).
    pub fn push(&mut self, representation: Option<&Value>) {
        // Objects keep insertion order, so equal representations built from
        // the same `requires` selection serialize identically.
        let serialized = representation.map(|r| r.to_string());
        self.push_serialized(serialized.as_deref());
    }

    /// [`Self::push`] for a representation already serialized.
    pub fn push_serialized(&mut self, representation: Option<&str>) {
        let slot = representation.map(|repr| self.intern(repr));
        self.slots.push(slot);
    }

    fn intern(&mut self, repr: &str) -> usize {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let hash = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(repr);
        self.intern_hashed(repr, hash)
    }

    fn intern_hashed(&mut self, repr: &str, hash: u64) -> usize {
        let next = self.ends.len();
        let mut last = None;
        let mut candidate = self.index.get(&hash).copied();
        while let Some(index) = candidate {
            if self.get(index) == Some(repr) {
                return index;
            }
            last = Some(index);
            candidate = self.next_same_hash.get(index).copied().flatten();
        }
        self.text.push_str(repr);
        self.ends.push(self.text.len());
        self.next_same_hash.push(None);
        match last.and_then(|l| self.next_same_hash.get_mut(l)) {
            Some(link) => *link = Some(next),
            None => {
                self.index.insert(hash, next);
            }
        }
        next
    }

    /// The distinct representation `index`, serialized.
    pub fn get(&self, index: usize) -> Option<&str> {
        let start = match index {
            0 => 0,
            i => *self.ends.get(i - 1)?,
        };
        self.text.get(start..*self.ends.get(index)?)
    }

    /// The distinct representations, serialized, in first-seen order.
    pub fn unique(&self) -> impl ExactSizeIterator<Item = &str> {
        (0..self.ends.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// How many distinct representations there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of all distinct representations (without separators).
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// How many visited entities representation `index` answers for.
    pub fn uses(&self) -> Vec<usize> {
        let mut uses = vec![0usize; self.ends.len()];
        for index in self.slots.iter().flatten() {
            if let Some(count) = uses.get_mut(*index) {
                *count += 1;
            }
        }
        uses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Exact;
    impl TypeRelation for Exact {
        fn is_a(&self, type_condition: &str, typename: &str) -> bool {
            type_condition == typename || (type_condition == "Node" && typename == "User")
        }
    }

    fn json(value: serde_json::Value) -> Value {
        serde_json::from_value(value).expect("json")
    }

    fn field(name: &str, alias: Option<&str>, children: Vec<Selection>) -> Selection {
        Selection::Field {
            name: name.into(),
            alias: alias.map(str::to_string),
            selections: children,
        }
    }

    fn on(type_condition: &str, selections: Vec<Selection>) -> Vec<Selection> {
        vec![Selection::InlineFragment {
            type_condition: type_condition.into(),
            selections,
        }]
    }

    #[test]
    fn deep_merge_merges_objects_and_lists_and_keeps_existing_over_null() {
        let mut target =
            json(serde_json::json!({"a": {"x": 1}, "l": [{"id": 1}, {"id": 2}], "n": 5}));
        deep_merge(
            &mut target,
            json(
                serde_json::json!({"a": {"y": 2}, "l": [{"v": "a"}, {"v": "b"}], "n": null, "new": true}),
            ),
        );
        assert_eq!(
            serde_json::to_value(&target).expect("json"),
            serde_json::json!({"a": {"x": 1, "y": 2}, "l": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}], "n": 5, "new": true})
        );
    }

    #[test]
    fn merging_a_borrowed_source_equals_merging_it_owned() {
        let cases = [
            (
                serde_json::json!({"a": 1, "b": {"c": [1, {"d": 2}], "x": null}}),
                serde_json::json!({"b": {"c": [5, {"e": 3}], "x": 7, "y": {"z": 1}}, "a": null, "f": "a string longer than inline"}),
            ),
            (serde_json::json!({}), serde_json::json!({"a": [1, 2]})),
            (
                serde_json::json!({"l": [1, 2]}),
                serde_json::json!({"l": [1, 2, 3]}),
            ),
            (
                serde_json::json!({"a": "x"}),
                serde_json::json!({"a": {"b": 1}}),
            ),
        ];
        for (target, source) in cases {
            let mut owned = json(target.clone());
            deep_merge(&mut owned, json(source.clone()));
            let mut borrowed = json(target);
            let source = json(source);
            deep_merge_ref(&mut borrowed, &source);
            assert_eq!(borrowed.to_json(), owned.to_json());
        }
        // Large objects take the indexed path.
        let wide: serde_json::Map<String, serde_json::Value> = (0..40)
            .map(|i| (format!("k{i}"), serde_json::json!({"v": i})))
            .collect();
        let more: serde_json::Map<String, serde_json::Value> = (20..60)
            .map(|i| (format!("k{i}"), serde_json::json!({"w": i})))
            .collect();
        let mut owned = json(serde_json::Value::Object(wide.clone()));
        deep_merge(&mut owned, json(serde_json::Value::Object(more.clone())));
        let mut borrowed = json(serde_json::Value::Object(wide));
        deep_merge_ref(&mut borrowed, &json(serde_json::Value::Object(more)));
        assert_eq!(borrowed.to_json(), owned.to_json());
    }

    #[test]
    fn deep_merge_keeps_a_list_over_one_of_another_length() {
        let mut target = json(serde_json::json!({"l": [{"id": 1}, {"id": 2}]}));
        deep_merge(&mut target, json(serde_json::json!({"l": [{"id": 9}]})));
        assert_eq!(
            serde_json::to_value(&target).expect("json"),
            serde_json::json!({"l": [{"id": 1}, {"id": 2}]})
        );
    }

    #[test]
    fn positions_of_several_paths_reach_every_entity_once() {
        let mut data = json(serde_json::json!({
            "users": [
                {"id": "1", "friends": [{"id": "2"}, {"id": "3"}]},
                {"id": "2", "friends": []}
            ]
        }));
        let users = vec![FlattenSegment::Field("users".into()), FlattenSegment::List];
        let mut friends = users.clone();
        friends.extend([
            FlattenSegment::Field("friends".into()),
            FlattenSegment::List,
        ]);
        // Friends first, then their parents (an entity above others already
        // recorded), as a batch with two paths records them.
        let mut positions = Positions::default();
        for path in [&friends, &users] {
            for_each_entity(&mut data, path, &Exact, &mut positions, &mut |_| {});
        }
        let mut seen = Vec::new();
        let missing = positions.for_each_mut(&mut data, &mut |ordinal, entity| {
            let id = entity.as_object().and_then(|o| o.get("id")).cloned();
            seen.push((ordinal, id.map(|v| v.to_string())));
            entity
                .as_object_mut()
                .expect("object")
                .insert("seen", Value::Bool(true));
        });
        assert_eq!(missing, 0);
        let id = |s: &str| Some(format!("\"{s}\""));
        assert_eq!(
            seen,
            vec![(0, id("2")), (1, id("3")), (2, id("1")), (3, id("2"))]
        );
        assert_eq!(
            data.to_string(),
            r#"{"users":[{"id":"1","friends":[{"id":"2","seen":true},{"id":"3","seen":true}],"seen":true},{"id":"2","friends":[],"seen":true}]}"#
        );
    }

    #[test]
    fn positions_find_the_same_entities_after_the_tree_grows() {
        let mut data = json(serde_json::json!({
            "a": 1,
            "users": [
                {"id": "1", "posts": [{"id": "p1"}, null, {"id": "p2"}]},
                null,
                {"id": "2", "posts": [{"id": "p3"}]}
            ]
        }));
        let path = vec![
            FlattenSegment::Field("users".into()),
            FlattenSegment::List,
            FlattenSegment::Field("posts".into()),
            FlattenSegment::List,
        ];
        let mut positions = Positions::default();
        let mut first = Vec::new();
        for_each_entity(&mut data, &path, &Exact, &mut positions, &mut |entity| {
            first.push(entity.clone());
        });
        assert_eq!(positions.len(), 3);
        let at = |user: usize, post: usize| {
            Some(vec![
                PathSegment::Key("users".into()),
                PathSegment::Index(user),
                PathSegment::Key("posts".into()),
                PathSegment::Index(post),
            ])
        };
        assert_eq!(positions.paths(&data), vec![at(0, 0), at(0, 2), at(2, 0)]);
        // Parallel fetches add fields before and after the entities' own.
        deep_merge(
            &mut data,
            json(serde_json::json!({"z": 2, "users": [{"name": "n1"}, null, {"name": "n2"}]})),
        );
        let mut again = Vec::new();
        let missing = positions.for_each_mut(&mut data, &mut |ordinal, entity| {
            again.push((ordinal, entity.clone()));
            entity
                .as_object_mut()
                .expect("object")
                .insert("seen", Value::Bool(true));
        });
        assert_eq!(missing, 0);
        assert_eq!(again, first.into_iter().enumerate().collect::<Vec<_>>());
        assert_eq!(
            serde_json::to_value(&data).expect("json")["users"][2]["posts"][0],
            serde_json::json!({"id": "p3", "seen": true})
        );
        // An entity that is no longer there is counted, not guessed at.
        data.as_object_mut()
            .expect("object")
            .insert("users", Value::Array(Vec::new()));
        assert_eq!(positions.for_each_mut(&mut data, &mut |_, _| {}), 3);
        assert_eq!(positions.paths(&data), vec![None, None, None]);
    }

    #[test]
    fn collects_entities_along_lists_and_type_conditions() {
        let data = json(serde_json::json!({
            "feed": [
                {"__typename": "User", "id": "1"},
                null,
                {"__typename": "Post", "id": "p"},
                {"__typename": "User", "id": "2"}
            ]
        }));
        let path = vec![
            FlattenSegment::Field("feed".into()),
            FlattenSegment::List,
            FlattenSegment::TypeCondition(vec!["User".to_string()]),
        ];
        let mut data = data;
        let mut visited = Vec::new();
        let mut positions = Positions::default();
        for_each_entity(&mut data, &path, &Exact, &mut positions, &mut |entity| {
            visited.push(entity.clone());
        });
        let paths: Vec<ResponsePath> = positions.paths(&data).into_iter().flatten().collect();
        assert_eq!(
            visited,
            paths
                .iter()
                .filter_map(|p| get_at(&data, p).cloned())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            paths,
            vec![
                vec![PathSegment::Key("feed".into()), PathSegment::Index(0)],
                vec![PathSegment::Key("feed".into()), PathSegment::Index(3)],
            ]
        );
        assert!(get_at(&data, &paths[1]).is_some());
    }

    #[test]
    fn builds_representations_from_requires_and_renames_internal_aliases() {
        let entity = json(serde_json::json!({
            "__typename": "User", "id": "1", "name": "Ada", "extra": 1,
            "_internal_qp_alias_0": 42,
            "address": {"city": "X", "zip": "Y"}
        }));
        let sel = on(
            "User",
            vec![
                field("__typename", None, vec![]),
                field("id", None, vec![]),
                field("_internal_qp_alias_0", Some("price"), vec![]),
                field("address", None, vec![field("city", None, vec![])]),
            ],
        );
        let repr = representation(&entity, &sel, &Exact).expect("applies");
        assert_eq!(
            serde_json::to_value(&repr).expect("json"),
            serde_json::json!({"__typename": "User", "id": "1", "price": 42, "address": {"city": "X"}})
        );
        let post = json(serde_json::json!({"__typename": "Post", "id": "1"}));
        assert!(representation(&post, &sel, &Exact).is_none());
    }

    #[test]
    fn writes_the_same_representation_it_would_build() {
        let entity = json(serde_json::json!({
            "__typename": "User", "id": "1", "name": "Ada \"the\" first", "nick": null,
            "_internal_qp_alias_0": 42,
            "address": {"__typename": "Address", "city": "X", "zip": "Y", "geo": {"lat": 1.5}},
            "tags": [{"label": "a", "x": 1}, {"label": "b"}],
            "pets": [{"__typename": "Dog", "name": "Rex", "bark": true}, {"__typename": "Cat", "name": "Tom"}]
        }));
        let cases = vec![
            on(
                "User",
                vec![field("__typename", None, vec![]), field("id", None, vec![])],
            ),
            on(
                "Node",
                vec![
                    field("__typename", None, vec![]),
                    field("_internal_qp_alias_0", Some("price"), vec![]),
                    field("nick", None, vec![]),
                    field("missing", None, vec![]),
                    field("name", None, vec![]),
                ],
            ),
            on(
                "User",
                vec![
                    field("id", None, vec![]),
                    field(
                        "address",
                        None,
                        vec![
                            field("city", None, vec![]),
                            field("geo", None, vec![field("lat", None, vec![])]),
                        ],
                    ),
                    field(
                        "tags",
                        None,
                        vec![
                            field("label", None, vec![]),
                            field("__typename", None, vec![]),
                        ],
                    ),
                    field(
                        "address",
                        Some("home"),
                        vec![
                            field("__typename", None, vec![]),
                            field("zip", None, vec![]),
                        ],
                    ),
                    field(
                        "pets",
                        None,
                        vec![
                            field("name", None, vec![]),
                            Selection::InlineFragment {
                                type_condition: "Dog".into(),
                                selections: vec![field("bark", None, vec![])],
                            },
                        ],
                    ),
                ],
            ),
            vec![field("id", None, vec![])],
        ];
        for requires in &cases {
            let built = representation(&entity, requires, &Exact).expect("applies");
            let mut out = Vec::new();
            let mut top = Vec::new();
            assert_eq!(
                write_representation(&entity, requires, &Exact, &mut out, &mut top),
                Written::Done
            );
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                serde_json::to_string(&built).expect("json"),
                "{requires:?}"
            );
            let object = built.as_object().expect("object");
            assert_eq!(
                top.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
                object.keys().map(|k| k.as_str()).collect::<Vec<_>>()
            );
            for (key, non_null) in &top {
                assert_eq!(*non_null, lookup(object, key).is_some_and(|v| !v.is_null()));
            }
        }
        // No applicable fragment: nothing written.
        let mut out = b"keep".to_vec();
        let mut top = Vec::new();
        assert_eq!(
            write_representation(
                &entity,
                &on("Post", vec![field("id", None, vec![])]),
                &Exact,
                &mut out,
                &mut top
            ),
            Written::NotApplicable
        );
        assert_eq!(out, b"keep");
        // A key selected twice (by two fragments) needs merging: left to `representation`.
        let twice = [
            on(
                "User",
                vec![
                    field("__typename", None, vec![]),
                    field("address", None, vec![field("city", None, vec![])]),
                ],
            ),
            on(
                "Node",
                vec![field("address", None, vec![field("zip", None, vec![])])],
            ),
        ]
        .concat();
        let mut out = b"keep".to_vec();
        assert_eq!(
            write_representation(&entity, &twice, &Exact, &mut out, &mut Vec::new()),
            Written::NeedsMerge
        );
        assert_eq!(out, b"keep");
        assert!(representation(&entity, &twice, &Exact).is_some());
    }

    #[test]
    fn deduplicates_representations_and_remembers_every_entity() {
        let mut reprs = Representations::default();
        let a = json(serde_json::json!({"__typename": "User", "id": "1"}));
        let b = json(serde_json::json!({"__typename": "User", "id": "2"}));
        reprs.push(Some(&a));
        reprs.push(Some(&b));
        reprs.push(None);
        reprs.push(Some(&a));
        assert_eq!(
            reprs.unique().collect::<Vec<_>>(),
            vec![
                r#"{"__typename":"User","id":"1"}"#,
                r#"{"__typename":"User","id":"2"}"#
            ]
        );
        assert_eq!(reprs.len(), 2);
        assert_eq!(reprs.get(2), None);
        assert_eq!(reprs.slots, vec![Some(0), Some(1), None, Some(0)]);
        assert_eq!(reprs.uses(), vec![2, 1]);
        // Different representations with one hash stay apart.
        let mut reprs = Representations::default();
        assert_eq!(reprs.intern_hashed("a", 7), 0);
        assert_eq!(reprs.intern_hashed("b", 7), 1);
        assert_eq!(reprs.intern_hashed("c", 7), 2);
        assert_eq!(reprs.intern_hashed("b", 7), 1);
        assert_eq!(reprs.intern_hashed("c", 7), 2);
        assert_eq!(reprs.intern_hashed("a", 7), 0);
        assert_eq!(reprs.intern_hashed("d", 8), 3);
        assert_eq!(reprs.unique().collect::<Vec<_>>(), vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn rewrites_set_typename_and_rename_keys() {
        let mut repr = json(serde_json::json!({"__typename": "User", "id": "1"}));
        let setter = Rewrite::SetValue {
            path: vec![
                RewriteStep::TypenameIs(vec!["Node".into()]),
                RewriteStep::Key("__typename".into()),
            ],
            value: "Node".into(),
        };
        apply_rewrites(&mut repr, &[setter], &Exact);
        assert_eq!(
            repr.as_object()
                .and_then(|o| lookup(o, "__typename"))
                .and_then(|t| t.as_str()),
            Some("Node")
        );

        let mut out = json(serde_json::json!([{"__typename": "User", "_internal_qp_alias_0": 1}]));
        let renamer = Rewrite::RenameKey {
            path: vec![
                RewriteStep::TypenameIs(vec!["User".into()]),
                RewriteStep::Key("_internal_qp_alias_0".into()),
            ],
            to: "price".into(),
        };
        apply_rewrites(&mut out, &[renamer], &Exact);
        assert_eq!(
            serde_json::to_value(&out).expect("json"),
            serde_json::json!([{"__typename": "User", "price": 1}])
        );
    }
}
