//! A subgraph whose behaviour is data: the generic resolver behind the
//! scenario files (`router/tests/scenarios/README.md` describes the format).
//!
//! - root fields answer from `query` / `mutation` (JSON objects);
//! - `_entities` finds, per representation, the row of the type's table whose
//!   key fields (from the SDL's `@key`s, or `entities.<Type>.keys`) match;
//! - `fields."Type.field"` declares a field's resolver: a constant, an error, a
//!   default, a row lookup by parent fields or arguments, a string template, a
//!   product, a small computation (`compute`: `$not`, `$gt`, `$lt`, `$eq`,
//!   `$count`), a choice among specs by a value (`switch`); `requires` makes it
//!   fail when the listed parent fields are absent, `assert` unless a
//!   computation holds;
//! - `{"$ref": "Table", …}` anywhere in the data stands for the row of `Table`
//!   matching the other keys (resolved when the field is read, so data may be
//!   circular);
//! - a suite's **state** (`state.json`): tables shared by all its subgraphs and
//!   changed by `insert` / `update` / `delete` fields and `take` entities
//!   ([`SharedTables`]); every other table is the subgraph's own and fixed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use apollo_compiler::ast::{self, Definition};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, Subgraph};

/// The JSON data file of one subgraph.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubgraphData {
    #[serde(default)]
    pub query: Option<Value>,
    #[serde(default)]
    pub mutation: Option<Value>,
    /// Rows per table (a table is usually named after its type).
    #[serde(default)]
    pub tables: HashMap<String, Vec<Value>>,
    /// How `_entities` answers per `__typename` (default: the table named
    /// after the type, matched by the SDL's keys).
    #[serde(default)]
    pub entities: HashMap<String, EntitySpec>,
    /// Field resolvers by `Type.field`.
    #[serde(default)]
    pub fields: HashMap<String, FieldSpec>,
    /// `false`: the subgraph reports its errors without `path` and
    /// `locations` (as some servers do).
    #[serde(rename = "errorPaths", default)]
    pub error_paths: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySpec {
    /// The table holding the rows (default: the `__typename`).
    pub table: Option<String>,
    /// Alternative keys as field sets (`"id"`, `"id name"`, `"upc"`); the first
    /// whose top-level fields the representation has is matched.
    pub keys: Option<Vec<String>>,
    /// The row's fields the answer keeps (default: all).
    pub select: Option<Vec<String>>,
    /// Every representation of this type fails with this message.
    pub error: Option<String>,
    /// `false`: answer the row alone, without the representation's fields.
    pub merge: Option<bool>,
    /// `true`: the row answered is removed from its (state) table, so a
    /// second fetch of the same entity finds nothing.
    pub take: Option<bool>,
    /// The row answered (with the representation's fields) when none matches.
    pub otherwise: Option<Value>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Parent fields that must be present and non-null (`@requires`).
    #[serde(default)]
    pub requires: Vec<String>,
    /// The error when a `requires` field is missing.
    pub missing: Option<String>,
    /// Always this value.
    pub value: Option<Value>,
    /// Always this error (`CODE: message` sets `extensions.code`).
    pub error: Option<String>,
    /// The parent's value when it has the field, else this.
    pub default: Option<Value>,
    /// The first row of this table matching `where` (null if none).
    pub row: Option<String>,
    /// Every row of this table matching `where`.
    pub rows: Option<String>,
    /// Column → expression (`$parent.f`, `$args.a`, or a literal).
    #[serde(rename = "where", default)]
    pub where_: Map<String, Value>,
    /// Of the row(s) found, only this field.
    pub field: Option<String>,
    /// Of the row(s) found, only these fields.
    pub select: Option<Vec<String>>,
    /// At most this many rows (an expression).
    pub limit: Option<Value>,
    /// Of the rows matching `where`, those for which this expression is
    /// `true` (`$row.f` reads the row).
    pub filter: Option<Value>,
    /// A list expression: the rest of the spec is resolved once per item
    /// (`$item` in expressions), the non-null results in order.
    pub each: Option<Value>,
    /// A string with `{f}` replaced by the parent's field `f` (its own value,
    /// else its declared resolver, so it may be computed itself) and
    /// `{$args.a}` by an argument.
    pub format: Option<String>,
    /// The product of these numbers (expressions).
    pub multiply: Option<Vec<Value>>,
    /// The value of this expression (`{"$not": e}`, `{"$gt": [a, b]}`, …).
    pub compute: Option<Value>,
    /// An expression that must be `true` (else the field fails with `missing`).
    #[serde(rename = "assert")]
    pub assert_: Option<Value>,
    /// Chooses the resolver by this expression's value, among `cases` (keyed by
    /// the value as a string) or else `otherwise` (else `null`).
    pub switch: Option<Value>,
    #[serde(default)]
    pub cases: HashMap<String, FieldSpec>,
    /// With `switch`: the spec for any other value. With `row`, `update` or
    /// `delete`: the spec answering when no row matches.
    pub otherwise: Option<Box<FieldSpec>>,
    /// Appends a row to this state table: `values` (column → expression,
    /// `$table` the rows before) and answers it; `unique` columns may not
    /// repeat (else the error `conflict`).
    pub insert: Option<String>,
    #[serde(default)]
    pub values: Map<String, Value>,
    #[serde(default)]
    pub unique: Vec<String>,
    pub conflict: Option<String>,
    /// Changes the first row of this state table matching `where`: each `set`
    /// column becomes its expression (`$row` the row before); answers the
    /// row after. No row: with `upsert` (column → expression) one is appended
    /// first (the `where` columns and these), else `otherwise`.
    pub update: Option<String>,
    #[serde(default)]
    pub set: Map<String, Value>,
    pub upsert: Option<Map<String, Value>>,
    /// Removes the first row of this state table matching `where` and answers
    /// it (no row: `otherwise`).
    pub delete: Option<String>,
}

/// A suite's state: tables shared by every subgraph of the suite and changed
/// by its fields (`insert`, `update`, `delete`) and entities (`take`), reset
/// when the suite's subgraphs start (`router/tests/scenarios/README.md`).
pub type SharedTables = Arc<Mutex<HashMap<String, Vec<Value>>>>;

fn lock(tables: &SharedTables) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Value>>> {
    tables.lock().unwrap_or_else(|e| e.into_inner())
}

/// The data-driven resolver of one subgraph.
pub struct Resolver {
    data: SubgraphData,
    /// Top-level key fields per entity type, from the SDL.
    keys: HashMap<String, Vec<Vec<String>>>,
    /// The suite's state, if it has one.
    shared: Option<SharedTables>,
}

/// A subgraph from its federation SDL and its data.
pub fn subgraph(name: &'static str, federation_sdl: &str, data: SubgraphData) -> Subgraph {
    subgraph_with_state(name, federation_sdl, data, None)
}

/// [`subgraph`] that also reads and changes the suite's state `shared`.
pub fn subgraph_with_state(
    name: &'static str,
    federation_sdl: &str,
    data: SubgraphData,
    shared: Option<SharedTables>,
) -> Subgraph {
    let query = data.query.clone().unwrap_or_else(|| json!({}));
    let mutation = data.mutation.clone().unwrap_or_else(|| json!({}));
    let without_paths = data.error_paths == Some(false);
    let resolver = Arc::new(Resolver::with_state(federation_sdl, data, shared));
    let fields = resolver.clone();
    let subgraph = Subgraph::federated(name, federation_sdl)
        .query(query)
        .mutation(mutation)
        .resolve(move |call| fields.resolve(call))
        .entity(move |repr| resolver.entity(repr));
    if without_paths {
        subgraph.hook(|response| {
            for error in response["errors"].as_array_mut().into_iter().flatten() {
                if let Some(error) = error.as_object_mut() {
                    error.remove("path");
                    error.remove("locations");
                }
            }
        })
    } else {
        subgraph
    }
}

/// Top-level field names of a field set (`"id organization { id }"` →
/// `id`, `organization`).
fn top_level(fields: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let spaced = fields.replace('{', " { ").replace('}', " } ");
    for token in spaced.split_whitespace() {
        match token {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            name if depth == 0 => out.push(name.to_string()),
            _ => {}
        }
    }
    out
}

fn sdl_keys(federation_sdl: &str) -> HashMap<String, Vec<Vec<String>>> {
    let mut keys: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    let Ok(doc) = ast::Document::parse(federation_sdl, "subgraph.graphql") else {
        return keys;
    };
    for definition in &doc.definitions {
        let (name, directives) = match definition {
            Definition::ObjectTypeDefinition(d) => (&d.name, &d.directives),
            Definition::ObjectTypeExtension(d) => (&d.name, &d.directives),
            Definition::InterfaceTypeDefinition(d) => (&d.name, &d.directives),
            Definition::InterfaceTypeExtension(d) => (&d.name, &d.directives),
            _ => continue,
        };
        for directive in directives.iter() {
            if directive.name != "key" && directive.name != "federation__key" {
                continue;
            }
            if let Some(fields) = directive
                .specified_argument_by_name("fields")
                .and_then(|v| v.as_str())
            {
                keys.entry(name.to_string())
                    .or_default()
                    .push(top_level(fields));
            }
        }
    }
    keys
}

/// `wanted` is contained in `have`: equal leaves, every key of an object (but
/// `__typename`, which the router adds to nested objects of a key).
fn contains(have: &Value, wanted: &Value) -> bool {
    match (have, wanted) {
        (Value::Object(h), Value::Object(w)) => w.iter().all(|(k, v)| {
            k == "__typename" && h.get(k).is_none() || h.get(k).is_some_and(|hv| contains(hv, v))
        }),
        (Value::Array(h), Value::Array(w)) => {
            h.len() == w.len() && h.iter().zip(w).all(|(a, b)| contains(a, b))
        }
        _ => have == wanted,
    }
}

fn select(row: &Value, fields: &Option<Vec<String>>) -> Value {
    match (fields, row) {
        (Some(fields), Value::Object(map)) => {
            let mut out = Map::new();
            for f in fields
                .iter()
                .chain(std::iter::once(&"__typename".to_string()))
            {
                if let Some(v) = map.get(f) {
                    out.insert(f.clone(), v.clone());
                }
            }
            Value::Object(out)
        }
        _ => row.clone(),
    }
}

/// `a.b`, `a.2` (a list item), `a.@.b` (`b` of every item of the list `a`).
fn path(value: &Value, path: &str) -> Value {
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    walk(value, &parts)
}

fn walk(value: &Value, parts: &[&str]) -> Value {
    let Some((part, rest)) = parts.split_first() else {
        return value.clone();
    };
    match (value, *part) {
        (Value::Array(items), "@") => Value::Array(items.iter().map(|i| walk(i, rest)).collect()),
        (Value::Array(items), index) => match index.parse::<usize>() {
            Ok(i) => items.get(i).map_or(Value::Null, |v| walk(v, rest)),
            Err(_) => Value::Null,
        },
        (Value::Object(map), name) => map.get(name).map_or(Value::Null, |v| walk(v, rest)),
        _ => Value::Null,
    }
}

/// Non-null leaves of `value` (lists are counted through).
fn count(value: &Value) -> usize {
    match value {
        Value::Null => 0,
        Value::Array(items) => items.iter().map(count).sum(),
        _ => 1,
    }
}

/// A product or sum as the audit's JavaScript computes it: a whole result of
/// integers (or a whole one that fits) is an integer.
fn js_number(n: f64, whole: bool) -> Value {
    if whole || (n.fract() == 0.0 && n.abs() < 9e15) {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// `$add` / `$multiply` over evaluated operands (`null` unless all are numbers).
fn arithmetic(values: &[Value], multiply: bool) -> Value {
    let mut result = if multiply { 1.0 } else { 0.0 };
    let mut whole = true;
    for value in values {
        let Some(n) = value.as_f64() else {
            return Value::Null;
        };
        whole &= value.is_i64() || value.is_u64();
        result = if multiply { result * n } else { result + n };
    }
    js_number(result, whole)
}

/// Every `(column, value)` of `conditions` is in `row`.
fn row_matches(row: &Value, conditions: &[(String, Value)]) -> bool {
    conditions
        .iter()
        .all(|(k, v)| row.get(k).is_some_and(|have| contains(have, v)))
}

/// A value as a `cases` key (strings bare, anything else as JSON).
fn case_key(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Resolver {
    /// The resolver of a subgraph with this federation SDL and data (the
    /// server behind [`subgraph`], and the oracle's view of that subgraph).
    pub fn new(federation_sdl: &str, data: SubgraphData) -> Resolver {
        Resolver::with_state(federation_sdl, data, None)
    }

    /// [`Resolver::new`] over the suite's state `shared` too.
    pub fn with_state(
        federation_sdl: &str,
        data: SubgraphData,
        shared: Option<SharedTables>,
    ) -> Resolver {
        Resolver {
            keys: sdl_keys(federation_sdl),
            data,
            shared,
        }
    }

    /// The subgraph's root `Query` object.
    pub fn query(&self) -> Value {
        self.data.query.clone().unwrap_or_else(|| json!({}))
    }

    /// Every string in the data (for generated arguments that find something).
    pub fn strings(&self, out: &mut Vec<String>) {
        fn walk(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::String(s) if !s.starts_with('$') => out.push(s.clone()),
                Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
                Value::Object(map) => map.values().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        if let Some(q) = &self.data.query {
            walk(q, out);
        }
        for rows in self.data.tables.values() {
            rows.iter().for_each(|r| walk(r, out));
        }
    }

    /// A table's rows: a state table's as they are now, else the subgraph's own.
    fn table(&self, name: &str) -> Result<Cow<'_, [Value]>, String> {
        if let Some(rows) = self
            .shared
            .as_ref()
            .and_then(|s| lock(s).get(name).cloned())
        {
            return Ok(Cow::Owned(rows));
        }
        self.data
            .tables
            .get(name)
            .map(|rows| Cow::Borrowed(rows.as_slice()))
            .ok_or_else(|| format!("scenario data: no table {name:?}"))
    }

    /// `change` applied to the rows of the state table `name` (only state
    /// tables change), under the state's lock.
    fn change<T>(
        &self,
        name: &str,
        change: impl FnOnce(&mut Vec<Value>) -> T,
    ) -> Result<T, String> {
        let shared = self.shared.as_ref().ok_or_else(|| {
            format!("scenario data: {name:?} changes, but the suite has no state.json")
        })?;
        let mut tables = lock(shared);
        let rows = tables
            .get_mut(name)
            .ok_or_else(|| format!("scenario data: {name:?} is not a table of state.json"))?;
        Ok(change(rows))
    }

    /// An expression: `$parent.f`, `$args.a`, `$row.f` (in a `filter`),
    /// `$item` (under `each`), an operation (`{"$not": e}`, `{"$gt": [a, b]}`,
    /// `{"$lt": [a, b]}`, `{"$eq": [a, b]}`, `{"$count": e}`: non-null leaves,
    /// through lists, `{"$and": [..]}`, `{"$or": [..]}`,
    /// `{"$startsWith": [s, prefix]}`, `{"$add": [..]}`, `{"$multiply": [..]}`
    /// (numbers, else `null`), `{"$concat": [..]}`: strings, numbers as
    /// JSON, `null` if one is), or the literal itself. `$row`, `$item` and
    /// `$table` (an `insert`'s rows) are bound in `args` under those names
    /// (no argument has a `$`).
    fn eval(&self, expr: &Value, parent: &Value, args: &Value) -> Value {
        let eval = |e: &Value| self.eval(e, parent, args);
        let pair = |e: &Value| match e.as_array().map(Vec::as_slice) {
            Some([a, b]) => (eval(a), eval(b)),
            _ => (Value::Null, Value::Null),
        };
        let number = |a: &Value, b: &Value| Some((a.as_f64()?, b.as_f64()?));
        match expr {
            Value::String(s) if s.starts_with("$parent") => path(parent, &s["$parent".len()..]),
            Value::String(s) if s.starts_with("$args") => path(args, &s["$args".len()..]),
            Value::String(s)
                if s.starts_with("$row") || s.starts_with("$item") || s.starts_with("$table") =>
            {
                let (binding, rest) = s.split_at(s.find('.').unwrap_or(s.len()));
                path(&args[binding], rest)
            }
            Value::Object(map) if map.len() == 1 => {
                let (op, operand) = map.iter().next().expect("one key");
                match op.as_str() {
                    "$not" => eval(operand).as_bool().map_or(Value::Null, |b| json!(!b)),
                    "$gt" | "$lt" => {
                        let (a, b) = pair(operand);
                        number(&a, &b).map_or(Value::Null, |(a, b)| {
                            json!(if op == "$gt" { a > b } else { a < b })
                        })
                    }
                    "$eq" => {
                        let (a, b) = pair(operand);
                        json!(a == b)
                    }
                    "$count" => json!(count(&eval(operand))),
                    // In order, stopping at the first `false` (`$and`) or
                    // `true` (`$or`); a non-boolean before that is `null`.
                    "$and" | "$or" => {
                        let decisive = op == "$or";
                        for item in operand.as_array().into_iter().flatten() {
                            match eval(item).as_bool() {
                                Some(b) if b == decisive => return json!(decisive),
                                Some(_) => {}
                                None => return Value::Null,
                            }
                        }
                        json!(!decisive)
                    }
                    "$add" | "$multiply" => {
                        let values: Vec<Value> =
                            operand.as_array().into_iter().flatten().map(eval).collect();
                        arithmetic(&values, op == "$multiply")
                    }
                    "$concat" => {
                        let mut out = String::new();
                        for item in operand.as_array().into_iter().flatten() {
                            match eval(item) {
                                Value::Null => return Value::Null,
                                Value::String(s) => out.push_str(&s),
                                other => out.push_str(&other.to_string()),
                            }
                        }
                        json!(out)
                    }
                    "$startsWith" => {
                        let (a, b) = pair(operand);
                        match (a.as_str(), b.as_str()) {
                            (Some(a), Some(b)) => json!(a.starts_with(b)),
                            _ => Value::Null,
                        }
                    }
                    _ => expr.clone(),
                }
            }
            _ => expr.clone(),
        }
    }

    fn matching<'t>(
        &self,
        table: &'t [Value],
        conditions: &[(String, Value)],
    ) -> impl Iterator<Item = &'t Value> {
        let conditions = conditions.to_vec();
        table
            .iter()
            .filter(move |row| row_matches(row, &conditions))
    }

    /// Replaces `{"$ref": table, …}` (also as list items) by the row it names.
    fn deref(&self, value: Value) -> Result<Value, String> {
        match value {
            Value::Object(map) if map.contains_key("$ref") => {
                let table = map["$ref"].as_str().unwrap_or_default().to_string();
                let conditions: Vec<(String, Value)> = map
                    .into_iter()
                    .filter(|(k, _)| !k.starts_with('$'))
                    .collect();
                let rows = self.table(&table)?;
                let row = self.matching(&rows, &conditions).next();
                Ok(row.cloned().unwrap_or(Value::Null))
            }
            Value::Array(items) => items
                .into_iter()
                .map(|item| self.deref(item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other),
        }
    }

    /// A field of `call.parent` (`None`: no resolver and no such key).
    pub fn resolve(&self, call: &Call<'_>) -> Option<Result<Value, String>> {
        let key = format!("{}.{}", call.type_name, call.field);
        match self.data.fields.get(&key) {
            Some(spec) => {
                Some(self.field(spec, call.type_name, call.field, call.parent, call.args))
            }
            None => {
                let value = call.parent.get(call.field)?;
                Some(self.deref(value.clone()))
            }
        }
    }

    /// The value of `field` of `parent` (declared resolver, or the parent's own).
    fn value_of(&self, type_name: &str, field: &str, parent: &Value) -> Result<Value, String> {
        match self.data.fields.get(&format!("{type_name}.{field}")) {
            Some(spec) => self.field(spec, type_name, field, parent, &json!({})),
            None => Ok(parent.get(field).cloned().unwrap_or(Value::Null)),
        }
    }

    fn field(
        &self,
        spec: &FieldSpec,
        type_name: &str,
        field: &str,
        parent: &Value,
        args: &Value,
    ) -> Result<Value, String> {
        let missing: Vec<&str> = spec
            .requires
            .iter()
            .filter(|f| parent.get(f.as_str()).is_none_or(Value::is_null))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(spec.missing.clone().unwrap_or_else(|| {
                format!("{type_name}.{field}: {} not provided", missing.join(", "))
            }));
        }
        if let Some(check) = &spec.assert_
            && self.eval(check, parent, args) != json!(true)
        {
            return Err(spec
                .missing
                .clone()
                .unwrap_or_else(|| format!("{type_name}.{field}: {check} does not hold")));
        }
        if let Some(list) = &spec.each {
            let items = match self.eval(list, parent, args) {
                Value::Array(items) => items,
                Value::Null => return Ok(Value::Null),
                single => vec![single],
            };
            let rest = FieldSpec {
                each: None,
                ..spec.clone()
            };
            let mut out = Vec::new();
            for item in items {
                let mut bound = args.clone();
                bound["$item"] = item;
                let value = self.field(&rest, type_name, field, parent, &bound)?;
                if !value.is_null() {
                    out.push(value);
                }
            }
            return Ok(Value::Array(out));
        }
        if let Some(chooser) = &spec.switch {
            let key = case_key(&self.eval(chooser, parent, args));
            return match spec.cases.get(&key).or(spec.otherwise.as_deref()) {
                Some(chosen) => self.field(chosen, type_name, field, parent, args),
                None => Ok(Value::Null),
            };
        }
        if let Some(message) = &spec.error {
            return Err(message.clone());
        }
        if let Some(expr) = &spec.compute {
            return self.deref(self.eval(expr, parent, args));
        }
        if let Some(value) = &spec.value {
            return self.deref(value.clone());
        }
        if let Some(default) = &spec.default {
            return self.deref(parent.get(field).unwrap_or(default).clone());
        }
        if let Some(template) = &spec.format {
            let mut out = String::new();
            let mut rest = template.as_str();
            while let Some(start) = rest.find('{') {
                out.push_str(&rest[..start]);
                let end = rest[start..]
                    .find('}')
                    .map(|e| start + e)
                    .ok_or_else(|| format!("scenario data: unclosed {{ in {template:?}"))?;
                let name = &rest[start + 1..end];
                let value = if name.starts_with('$') {
                    self.eval(&json!(name), parent, args)
                } else if let Some(own) = parent.get(name) {
                    own.clone()
                } else {
                    self.value_of(type_name, name, parent)?
                };
                match value {
                    Value::String(s) => out.push_str(&s),
                    Value::Null => return Err(format!("{name} was not provided")),
                    other => out.push_str(&other.to_string()),
                }
                rest = &rest[end + 1..];
            }
            out.push_str(rest);
            return Ok(json!(out));
        }
        if let Some(factors) = &spec.multiply {
            let mut product = 1.0f64;
            let mut whole = true;
            for factor in factors {
                let value = self.eval(factor, parent, args);
                let Some(n) = value.as_f64() else {
                    return Err(format!("{type_name}.{field}: {factor} is not a number"));
                };
                whole &= value.is_i64() || value.is_u64();
                product *= n;
            }
            // Whole products are integers, as in JavaScript (`22 * 0.75 * 10`).
            return Ok(js_number(product, whole));
        }
        if let Some(answer) = self.change_state(spec, type_name, field, parent, args) {
            return answer;
        }
        let (table, many) = match (&spec.row, &spec.rows) {
            (Some(t), None) => (t, false),
            (None, Some(t)) => (t, true),
            // Only `requires`: the parent's own value.
            (None, None) => return self.deref(parent.get(field).cloned().unwrap_or(Value::Null)),
            _ => return Err(format!("scenario data: {type_name}.{field}: row and rows")),
        };
        let conditions: Vec<(String, Value)> = spec
            .where_
            .iter()
            .map(|(k, e)| (k.clone(), self.eval(e, parent, args)))
            .collect();
        let shape = |row: &Value| -> Value {
            match &spec.field {
                Some(f) => row.get(f).cloned().unwrap_or(Value::Null),
                None => select(row, &spec.select),
            }
        };
        let rows = self.table(table)?;
        let found = self.matching(&rows, &conditions).filter(|row| {
            spec.filter.as_ref().is_none_or(|filter| {
                let mut bound = args.clone();
                bound["$row"] = (*row).clone();
                self.eval(filter, parent, &bound) == json!(true)
            })
        });
        if many {
            let limit = spec
                .limit
                .as_ref()
                .and_then(|l| self.eval(l, parent, args).as_u64())
                .map_or(usize::MAX, |l| l as usize);
            self.deref(Value::Array(found.take(limit).map(shape).collect()))
        } else {
            match (found.map(shape).next(), &spec.otherwise) {
                (Some(row), _) => self.deref(row),
                (None, Some(otherwise)) => self.field(otherwise, type_name, field, parent, args),
                (None, None) => Ok(Value::Null),
            }
        }
    }

    /// An `insert`, `update` or `delete` field (`None`: the spec is none).
    fn change_state(
        &self,
        spec: &FieldSpec,
        type_name: &str,
        field: &str,
        parent: &Value,
        args: &Value,
    ) -> Option<Result<Value, String>> {
        let at = format!("{type_name}.{field}");
        let kinds = [
            spec.row.is_some(),
            spec.rows.is_some(),
            spec.insert.is_some(),
            spec.update.is_some(),
            spec.delete.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            return Some(Err(format!(
                "scenario data: {at}: one of row, rows, insert, update, delete"
            )));
        }
        let misplaced = (spec.insert.is_none()
            && (!spec.values.is_empty() || !spec.unique.is_empty() || spec.conflict.is_some()))
            || (spec.update.is_none() && (!spec.set.is_empty() || spec.upsert.is_some()));
        if misplaced {
            return Some(Err(format!(
                "scenario data: {at}: values/unique/conflict go with insert, set/upsert with update"
            )));
        }
        let shape = |row: &Value| -> Value {
            match &spec.field {
                Some(f) => row.get(f).cloned().unwrap_or(Value::Null),
                None => select(row, &spec.select),
            }
        };
        let conditions = || -> Vec<(String, Value)> {
            spec.where_
                .iter()
                .map(|(k, e)| (k.clone(), self.eval(e, parent, args)))
                .collect()
        };
        let answer = |row: Result<Option<Value>, String>| -> Result<Value, String> {
            match (row?, &spec.otherwise) {
                (Some(row), _) => self.deref(shape(&row)),
                (None, Some(otherwise)) => self.field(otherwise, type_name, field, parent, args),
                (None, None) => Ok(Value::Null),
            }
        };
        if let Some(table) = &spec.insert {
            let inserted = self.change(table, |rows| {
                let mut bound = args.clone();
                bound["$table"] = Value::Array(rows.clone());
                let row: Map<String, Value> = spec
                    .values
                    .iter()
                    .map(|(k, e)| (k.clone(), self.eval(e, parent, &bound)))
                    .collect();
                let repeats =
                    |other: &Value| spec.unique.iter().all(|c| other.get(c) == row.get(c));
                if !spec.unique.is_empty() && rows.iter().any(repeats) {
                    return Err(spec.conflict.clone().unwrap_or_else(|| {
                        format!(
                            "{at}: a {table} with this {} exists",
                            spec.unique.join(", ")
                        )
                    }));
                }
                rows.push(Value::Object(row.clone()));
                Ok(Some(Value::Object(row)))
            });
            return Some(answer(inserted.and_then(|r| r)));
        }
        if let Some(table) = &spec.update {
            let conditions = conditions();
            let updated = self.change(table, |rows| {
                let index = match rows.iter().position(|r| row_matches(r, &conditions)) {
                    Some(index) => index,
                    None => {
                        let defaults = spec.upsert.as_ref()?;
                        let mut row: Map<String, Value> = conditions.iter().cloned().collect();
                        for (k, e) in defaults {
                            row.insert(k.clone(), self.eval(e, parent, args));
                        }
                        rows.push(Value::Object(row));
                        rows.len() - 1
                    }
                };
                let mut bound = args.clone();
                bound["$row"] = rows[index].clone();
                for (k, e) in &spec.set {
                    rows[index][k] = self.eval(e, parent, &bound);
                }
                Some(rows[index].clone())
            });
            return Some(answer(updated));
        }
        if let Some(table) = &spec.delete {
            let conditions = conditions();
            let deleted = self.change(table, |rows| {
                let index = rows.iter().position(|r| row_matches(r, &conditions))?;
                Some(rows.remove(index))
            });
            return Some(answer(deleted));
        }
        None
    }

    /// `_entities` for one representation (`null`: not found).
    pub fn entity(&self, repr: &Value) -> Result<Value, String> {
        let type_name = repr["__typename"].as_str().unwrap_or_default();
        let spec = self
            .data
            .entities
            .get(type_name)
            .cloned()
            .unwrap_or_default();
        if let Some(message) = spec.error {
            return Err(message);
        }
        let table = spec.table.as_deref().unwrap_or(type_name);
        let keys: Vec<Vec<String>> = match &spec.keys {
            Some(keys) => keys.iter().map(|k| top_level(k)).collect(),
            None => self
                .keys
                .get(type_name)
                .cloned()
                .unwrap_or_else(|| vec![vec!["id".to_string()]]),
        };
        let Some(key) = keys
            .iter()
            .find(|key| key.iter().all(|f| repr.get(f).is_some()))
        else {
            return Ok(Value::Null);
        };
        let conditions: Vec<(String, Value)> =
            key.iter().map(|f| (f.clone(), repr[f].clone())).collect();
        let found = if spec.take == Some(true) {
            // Taken: removed from the state table.
            self.change(table, |rows| {
                let index = rows.iter().position(|r| row_matches(r, &conditions))?;
                Some(rows.remove(index))
            })?
        } else {
            let rows = self.table(table)?;
            self.matching(&rows, &conditions).next().cloned()
        };
        let Some(row) = found.or(spec.otherwise) else {
            return Ok(Value::Null);
        };
        let row = &row;
        // The row, plus what the router sent (the key and any `@requires`
        // fields, which the subgraph reads from the representation).
        let mut entity = match self.deref(select(row, &spec.select))? {
            Value::Object(map) => map,
            _ => return Ok(Value::Null),
        };
        if let Value::Object(sent) = repr
            && spec.merge != Some(false)
        {
            for (k, v) in sent {
                if k != "__typename" {
                    entity.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(Value::Object(entity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(fields: Value) -> Resolver {
        let data: SubgraphData = serde_json::from_value(json!({
            "tables": {"User": [
                {"id": "u1", "name": "Ada", "role": "ADMIN"},
                {"id": "u2", "name": "Alan", "role": "MEMBER"},
                {"id": "u3", "name": "Bob", "role": "MEMBER"}
            ]},
            "fields": fields
        }))
        .expect("data");
        Resolver::new("type Query { a: Int }", data)
    }

    fn call(resolver: &Resolver, field: &str, args: Value) -> Result<Value, String> {
        let parent = json!({"id": "u1"});
        resolver
            .resolve(&Call {
                type_name: "Query",
                field,
                parent: &parent,
                args: &args,
            })
            .expect("a resolver")
    }

    #[test]
    fn filter_and_each() {
        let r = resolver(json!({
            "Query.users": {"rows": "User", "field": "id", "filter": {"$and": [
                {"$or": [{"$eq": ["$args.role", null]}, {"$eq": ["$row.role", "$args.role"]}]},
                {"$or": [{"$eq": ["$args.prefix", null]}, {"$startsWith": ["$row.name", "$args.prefix"]}]},
                {"$not": {"$eq": ["$row.id", "$parent.id"]}}
            ]}},
            "Query.byIds": {"each": "$args.ids", "row": "User", "where": {"id": "$item"}, "field": "name"}
        }));
        assert_eq!(call(&r, "users", json!({})), Ok(json!(["u2", "u3"])));
        assert_eq!(call(&r, "users", json!({"prefix": "A"})), Ok(json!(["u2"])));
        assert_eq!(
            call(&r, "users", json!({"role": "MEMBER", "prefix": "B"})),
            Ok(json!(["u3"]))
        );
        // In the list's order; an id without a row is left out; a single
        // value is a list of one.
        assert_eq!(
            call(&r, "byIds", json!({"ids": ["u3", "zz", "u1"]})),
            Ok(json!(["Bob", "Ada"]))
        );
        assert_eq!(call(&r, "byIds", json!({"ids": "u2"})), Ok(json!(["Alan"])));
    }

    #[test]
    fn state_changes_are_shared_and_strict() {
        let shared: SharedTables = Arc::new(Mutex::new(HashMap::from([
            ("Item".to_string(), vec![json!({"id": "i1"})]),
            ("Number".to_string(), vec![]),
        ])));
        let data: SubgraphData = serde_json::from_value(json!({
            "tables": {"Fixed": [{"id": "f1"}]},
            "entities": {"Item": {"take": true}},
            "fields": {
                "Query.add": {"insert": "Item", "values": {
                    "id": {"$concat": ["i", {"$add": [{"$count": "$table"}, 1]}]}, "tag": "$args.tag"
                }, "unique": ["tag"], "conflict": "tag taken"},
                "Query.bump": {"update": "Number", "where": {"key": "$args.key"}, "upsert": {"n": 1},
                               "set": {"n": {"$multiply": ["$row.n", 3]}}, "field": "n"},
                "Query.bumpOld": {"update": "Number", "where": {"key": "$args.key"},
                                  "set": {"n": 0}, "otherwise": {"value": -1}},
                "Query.drop": {"delete": "Number", "where": {"key": "$args.key"}, "field": "n",
                               "otherwise": {"value": 0}},
                "Query.fixed": {"insert": "Fixed", "values": {"id": "f2"}}
            }
        }))
        .expect("data");
        let a = Resolver::with_state("type Query { a: Int }", data.clone(), Some(shared.clone()));
        let b = Resolver::with_state("type Query { a: Int }", data, Some(shared.clone()));
        assert_eq!(
            call(&a, "add", json!({"tag": "x"})),
            Ok(json!({"id": "i2", "tag": "x"}))
        );
        assert_eq!(
            call(&b, "add", json!({"tag": "x"})),
            Err("tag taken".to_string())
        );
        assert_eq!(call(&b, "bump", json!({"key": "k"})), Ok(json!(3)));
        assert_eq!(call(&a, "bump", json!({"key": "k"})), Ok(json!(9)));
        assert_eq!(call(&a, "bumpOld", json!({"key": "none"})), Ok(json!(-1)));
        assert_eq!(call(&b, "drop", json!({"key": "k"})), Ok(json!(9)));
        assert_eq!(call(&a, "drop", json!({"key": "k"})), Ok(json!(0)));
        assert!(
            call(&a, "fixed", json!({})).is_err(),
            "only state tables change"
        );
        // Taken by one subgraph: gone for the other.
        let repr = json!({"__typename": "Item", "id": "i1"});
        assert_eq!(b.entity(&repr), Ok(json!({"id": "i1"})));
        assert_eq!(a.entity(&repr), Ok(Value::Null));
        assert_eq!(lock(&shared)["Item"], vec![json!({"id": "i2", "tag": "x"})]);
    }

    #[test]
    fn boolean_operations_are_null_on_non_booleans() {
        let r = resolver(json!({}));
        let eval = |e: Value| r.eval(&e, &json!({"s": "abc"}), &json!({}));
        assert_eq!(eval(json!({"$and": [true, false]})), json!(false));
        assert_eq!(eval(json!({"$or": [false, true]})), json!(true));
        assert_eq!(eval(json!({"$or": [false, 1]})), Value::Null);
        assert_eq!(eval(json!({"$or": [true, 1]})), json!(true));
        assert_eq!(eval(json!({"$and": [false, 1]})), json!(false));
        assert_eq!(eval(json!({"$and": [true, true]})), json!(true));
        assert_eq!(
            eval(json!({"$startsWith": ["$parent.s", "ab"]})),
            json!(true)
        );
        assert_eq!(eval(json!({"$startsWith": ["$parent.s", 1]})), Value::Null);
    }
}
