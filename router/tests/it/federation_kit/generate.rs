//! Seeded random operations over an API schema, and their shrinking.
//!
//! [`generate`] writes a valid query: random field subsets and nesting,
//! arguments (required ones always, optional ones sometimes; strings taken
//! from the scenario's data so that lookups find something), aliases (also
//! the same field twice under different aliases and arguments), inline and
//! named fragments on the possible types of abstract positions and on the
//! interfaces of objects, `__typename` (aliased or not), `@skip`/`@include`
//! with literals and variables, and arguments passed as variables of every
//! input type. A generated query that does not validate (two fields under one
//! response key that cannot merge) is thrown away and another is drawn.
//!
//! [`shrink`] removes selections, directives and aliases while a predicate
//! (the failure) still holds, so a failing query is printed minimal.

use std::fmt::Write as _;

use apollo_compiler::Schema;
use apollo_compiler::executable::ExecutableDocument;
use apollo_compiler::schema::{ExtendedType, Type};
use apollo_compiler::validation::Valid;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// One selection of a generated query.
#[derive(Clone, Debug)]
pub enum Sel {
    Field {
        alias: Option<String>,
        name: String,
        /// `(argument, GraphQL literal text)`.
        args: Vec<(String, String)>,
        directives: Vec<String>,
        sub: Vec<Sel>,
    },
    Inline {
        on: Option<String>,
        directives: Vec<String>,
        sub: Vec<Sel>,
    },
    Spread {
        name: String,
        directives: Vec<String>,
    },
}

/// A generated operation.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// `(name, type, value)`.
    pub variables: Vec<(String, String, Value)>,
    pub root: Vec<Sel>,
    /// `(name, type condition, selections)`.
    pub fragments: Vec<(String, String, Vec<Sel>)>,
}

fn print_sels(out: &mut String, sels: &[Sel]) {
    out.push_str("{ ");
    for sel in sels {
        match sel {
            Sel::Field {
                alias,
                name,
                args,
                directives,
                sub,
            } => {
                if let Some(a) = alias {
                    let _ = write!(out, "{a}: ");
                }
                out.push_str(name);
                if !args.is_empty() {
                    let list: Vec<String> = args.iter().map(|(n, v)| format!("{n}: {v}")).collect();
                    let _ = write!(out, "({})", list.join(", "));
                }
                for d in directives {
                    let _ = write!(out, " {d}");
                }
                if !sub.is_empty() {
                    out.push(' ');
                    print_sels(out, sub);
                }
            }
            Sel::Inline {
                on,
                directives,
                sub,
            } => {
                out.push_str("...");
                if let Some(on) = on {
                    let _ = write!(out, " on {on}");
                }
                for d in directives {
                    let _ = write!(out, " {d}");
                }
                out.push(' ');
                print_sels(out, sub);
            }
            Sel::Spread { name, directives } => {
                let _ = write!(out, "...{name}");
                for d in directives {
                    let _ = write!(out, " {d}");
                }
            }
        }
        out.push(' ');
    }
    out.push('}');
}

impl Query {
    /// The operation text.
    pub fn text(&self) -> String {
        let mut out = String::from("query");
        let used: Vec<&(String, String, Value)> = self
            .variables
            .iter()
            .filter(|(n, _, _)| self.mentions(&format!("${n}")))
            .collect();
        if !used.is_empty() {
            let list: Vec<String> = used.iter().map(|(n, t, _)| format!("${n}: {t}")).collect();
            let _ = write!(out, "({})", list.join(", "));
        }
        out.push(' ');
        print_sels(&mut out, &self.root);
        for (name, on, sels) in &self.fragments {
            if self.mentions(&format!("...{name}")) {
                let _ = write!(out, "\nfragment {name} on {on} ");
                print_sels(&mut out, sels);
            }
        }
        out
    }

    fn mentions(&self, needle: &str) -> bool {
        let mut body = String::new();
        print_sels(&mut body, &self.root);
        for (_, _, sels) in &self.fragments {
            print_sels(&mut body, sels);
        }
        // `$v1` must not match `$v10`.
        body.match_indices(needle).any(|(i, _)| {
            !body[i + needle.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    }

    /// The variables' values (only those the operation declares).
    pub fn variable_values(&self) -> Value {
        let mut out = Map::new();
        for (name, _, value) in &self.variables {
            if self.mentions(&format!("${name}")) {
                out.insert(name.clone(), value.clone());
            }
        }
        Value::Object(out)
    }
}

struct Gen<'s> {
    schema: &'s Schema,
    rng: StdRng,
    strings: Vec<String>,
    query: Query,
    counter: usize,
}

impl Gen<'_> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.rng.gen_range(0..items.len())])
        }
    }

    /// A value of `ty` as JSON (for a variable) — `None` for `null`.
    fn value(&mut self, ty: &Type, depth: usize) -> Value {
        if !ty.is_non_null() && self.chance(0.1) {
            return Value::Null;
        }
        if ty.is_list() {
            let n = self.rng.gen_range(0..=2);
            return Value::Array((0..n).map(|_| self.value(ty.item_type(), depth)).collect());
        }
        let named = ty.inner_named_type().as_str();
        match named {
            "Int" => json!(*self.pick(&[0, 1, 2, 3, 5, 10]).unwrap_or(&1)),
            "Float" => json!(*self.pick(&[0.5, 1.0, 2.5, 10.0]).unwrap_or(&1.0)),
            "Boolean" => json!(self.chance(0.5)),
            _ => match self.schema.types.get(named) {
                Some(ExtendedType::Enum(e)) => {
                    let values: Vec<String> = e.values.keys().map(|k| k.to_string()).collect();
                    json!(self.pick(&values).cloned().unwrap_or_default())
                }
                Some(ExtendedType::InputObject(input)) => {
                    let mut out = Map::new();
                    let fields: Vec<(String, Type, bool)> = input
                        .fields
                        .iter()
                        .map(|(n, f)| (n.to_string(), (*f.ty).clone(), f.default_value.is_some()))
                        .collect();
                    for (name, fty, has_default) in fields {
                        let required = fty.is_non_null() && !has_default;
                        if required || (depth < 3 && self.chance(0.5)) {
                            let v = self.value(&fty, depth + 1);
                            out.insert(name, v);
                        }
                    }
                    Value::Object(out)
                }
                _ => {
                    // String, ID and custom scalars: a string of the data.
                    if self.chance(0.85) && !self.strings.is_empty() {
                        let s = self
                            .pick(&self.strings.clone())
                            .cloned()
                            .unwrap_or_default();
                        json!(s)
                    } else {
                        json!("nothing")
                    }
                }
            },
        }
    }

    /// `value` as a GraphQL literal of `ty`.
    fn literal(&self, value: &Value, ty: &Type) -> String {
        match value {
            Value::Null => "null".into(),
            Value::Array(items) => {
                let list: Vec<String> = items
                    .iter()
                    .map(|i| self.literal(i, ty.item_type()))
                    .collect();
                format!("[{}]", list.join(", "))
            }
            Value::Object(map) => {
                let named = ty.inner_named_type().as_str();
                let list: Vec<String> = map
                    .iter()
                    .map(|(k, v)| {
                        let fty = match self.schema.types.get(named) {
                            Some(ExtendedType::InputObject(i)) => {
                                i.fields.get(k.as_str()).map(|f| (*f.ty).clone())
                            }
                            _ => None,
                        }
                        .unwrap_or_else(|| ty.clone());
                        format!("{k}: {}", self.literal(v, &fty))
                    })
                    .collect();
                format!("{{{}}}", list.join(", "))
            }
            Value::String(s) => {
                let named = ty.inner_named_type().as_str();
                if matches!(self.schema.types.get(named), Some(ExtendedType::Enum(_))) {
                    s.clone()
                } else {
                    Value::String(s.clone()).to_string()
                }
            }
            other => other.to_string(),
        }
    }

    /// An argument: a literal, or (sometimes) a variable.
    fn argument(&mut self, ty: &Type) -> String {
        let value = self.value(ty, 0);
        if self.chance(0.3) {
            let name = self.fresh("v");
            self.query
                .variables
                .push((name.clone(), ty.to_string(), value));
            format!("${name}")
        } else {
            self.literal(&value, ty)
        }
    }

    fn directives(&mut self) -> Vec<String> {
        if !self.chance(0.12) {
            return Vec::new();
        }
        let directive = if self.chance(0.5) { "skip" } else { "include" };
        let condition = if self.chance(0.5) {
            self.chance(0.5).to_string()
        } else {
            let name = self.fresh("b");
            let value = json!(self.chance(0.5));
            self.query
                .variables
                .push((name.clone(), "Boolean!".into(), value));
            format!("${name}")
        };
        vec![format!("@{directive}(if: {condition})")]
    }

    fn possible_types(&self, name: &str) -> Vec<String> {
        match self.schema.types.get(name) {
            Some(ExtendedType::Union(u)) => u.members.iter().map(|m| m.to_string()).collect(),
            Some(ExtendedType::Interface(_)) => self
                .schema
                .types
                .iter()
                .filter_map(|(n, t)| match t {
                    ExtendedType::Object(o)
                        if o.implements_interfaces.iter().any(|i| i.as_str() == name) =>
                    {
                        Some(n.to_string())
                    }
                    _ => None,
                })
                .collect(),
            _ => vec![name.to_string()],
        }
    }

    fn interfaces_of(&self, name: &str) -> Vec<String> {
        match self.schema.types.get(name) {
            Some(ExtendedType::Object(o)) => o
                .implements_interfaces
                .iter()
                .map(|i| i.to_string())
                .collect(),
            Some(ExtendedType::Interface(i)) => i
                .implements_interfaces
                .iter()
                .map(|i| i.to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A selection set on the composite type `name`.
    fn selections(&mut self, name: &str, depth: usize) -> Vec<Sel> {
        let mut out = Vec::new();
        let fields: Vec<(
            String,
            apollo_compiler::Node<apollo_compiler::schema::FieldDefinition>,
        )> = match self.schema.types.get(name) {
            Some(ExtendedType::Object(o)) => o
                .fields
                .iter()
                .map(|(n, f)| (n.to_string(), f.node.clone()))
                .collect(),
            Some(ExtendedType::Interface(i)) => i
                .fields
                .iter()
                .map(|(n, f)| (n.to_string(), f.node.clone()))
                .collect(),
            _ => Vec::new(),
        };
        let abstract_ = !matches!(self.schema.types.get(name), Some(ExtendedType::Object(_)));
        if !fields.is_empty() {
            let n = self.rng.gen_range(1..=3.min(fields.len()).max(1));
            for _ in 0..n {
                let Some((fname, def)) = self.pick(&fields).cloned() else {
                    break;
                };
                let named = def.ty.inner_named_type().to_string();
                let composite = matches!(
                    self.schema.types.get(named.as_str()),
                    Some(
                        ExtendedType::Object(_)
                            | ExtendedType::Interface(_)
                            | ExtendedType::Union(_)
                    )
                );
                if composite && depth >= 4 {
                    continue;
                }
                let copies = if self.chance(0.15) { 2 } else { 1 };
                for copy in 0..copies {
                    let mut args = Vec::new();
                    for arg in &def.arguments {
                        let required = arg.ty.is_non_null() && arg.default_value.is_none();
                        if required || self.chance(0.3) {
                            let v = self.argument(&arg.ty);
                            args.push((arg.name.to_string(), v));
                        }
                    }
                    let alias = if copy > 0 || self.chance(0.2) {
                        Some(self.fresh("a"))
                    } else {
                        None
                    };
                    let sub = if composite {
                        self.selections(&named, depth + 1)
                    } else {
                        Vec::new()
                    };
                    let directives = self.directives();
                    out.push(Sel::Field {
                        alias,
                        name: fname.clone(),
                        args,
                        directives,
                        sub,
                    });
                }
            }
        }
        if self.chance(if abstract_ { 0.5 } else { 0.2 }) {
            let alias = self.chance(0.5).then(|| self.fresh("t"));
            out.push(Sel::Field {
                alias,
                name: "__typename".into(),
                args: Vec::new(),
                directives: Vec::new(),
                sub: Vec::new(),
            });
        }
        // Fragments: on the possible types of an abstract position, on the
        // interfaces of a type, or without a condition.
        let mut conditions = self.possible_types(name);
        conditions.extend(self.interfaces_of(name));
        if abstract_ {
            conditions.push(name.to_string());
        }
        let fragments = if abstract_ {
            self.rng.gen_range(0..=2)
        } else {
            usize::from(self.chance(0.15))
        };
        for _ in 0..fragments {
            if depth >= 4 {
                break;
            }
            let Some(on) = self.pick(&conditions).cloned() else {
                break;
            };
            let sub = self.selections(&on, depth + 1);
            let directives = self.directives();
            if self.chance(0.25) {
                let fname = self.fresh("F");
                self.query.fragments.push((fname.clone(), on, sub));
                out.push(Sel::Spread {
                    name: fname,
                    directives,
                });
            } else {
                let on = if !abstract_ && self.chance(0.3) {
                    None
                } else {
                    Some(on)
                };
                out.push(Sel::Inline {
                    on,
                    directives,
                    sub,
                });
            }
        }
        if out.is_empty() {
            out.push(Sel::Field {
                alias: None,
                name: "__typename".into(),
                args: Vec::new(),
                directives: Vec::new(),
                sub: Vec::new(),
            });
        }
        out
    }
}

fn valid(schema: &Valid<Schema>, text: &str) -> bool {
    ExecutableDocument::parse_and_validate(schema, text, "generated.graphql").is_ok()
}

/// A valid random query over `schema`'s `Query` type, from `seed`.
pub fn generate(schema: &Valid<Schema>, strings: &[String], seed: u64) -> Option<Query> {
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..30 {
        let mut g = Gen {
            schema,
            rng: StdRng::seed_from_u64(rng.r#gen::<u64>()),
            strings: strings.to_vec(),
            query: Query::default(),
            counter: 0,
        };
        let root = g.selections("Query", 0);
        let mut query = g.query;
        query.root = root;
        if valid(schema, &query.text()) {
            return Some(query);
        }
    }
    None
}

/// Every query one step smaller than `query`: a selection removed (where
/// its set stays non-empty), a directive or an alias dropped, a fragment
/// spread inlined away.
fn smaller(query: &Query) -> Vec<Query> {
    fn variants(sels: &[Sel]) -> Vec<Vec<Sel>> {
        let mut out = Vec::new();
        for i in 0..sels.len() {
            if sels.len() > 1 {
                let mut v = sels.to_vec();
                v.remove(i);
                out.push(v);
            }
            let mut simpler = Vec::new();
            match &sels[i] {
                Sel::Field {
                    alias,
                    name,
                    args,
                    directives,
                    sub,
                } => {
                    if !directives.is_empty() {
                        simpler.push(Sel::Field {
                            alias: alias.clone(),
                            name: name.clone(),
                            args: args.clone(),
                            directives: Vec::new(),
                            sub: sub.clone(),
                        });
                    }
                    if alias.is_some() {
                        simpler.push(Sel::Field {
                            alias: None,
                            name: name.clone(),
                            args: args.clone(),
                            directives: directives.clone(),
                            sub: sub.clone(),
                        });
                    }
                    for s in variants(sub) {
                        simpler.push(Sel::Field {
                            alias: alias.clone(),
                            name: name.clone(),
                            args: args.clone(),
                            directives: directives.clone(),
                            sub: s,
                        });
                    }
                }
                Sel::Inline {
                    on,
                    directives,
                    sub,
                } => {
                    if !directives.is_empty() {
                        simpler.push(Sel::Inline {
                            on: on.clone(),
                            directives: Vec::new(),
                            sub: sub.clone(),
                        });
                    }
                    for s in variants(sub) {
                        simpler.push(Sel::Inline {
                            on: on.clone(),
                            directives: directives.clone(),
                            sub: s,
                        });
                    }
                }
                Sel::Spread { name, directives } => {
                    if !directives.is_empty() {
                        simpler.push(Sel::Spread {
                            name: name.clone(),
                            directives: Vec::new(),
                        });
                    }
                }
            }
            for s in simpler {
                let mut v = sels.to_vec();
                v[i] = s;
                out.push(v);
            }
        }
        out
    }
    let mut out: Vec<Query> = variants(&query.root)
        .into_iter()
        .map(|root| Query {
            root,
            ..query.clone()
        })
        .collect();
    for (f, (_, _, sels)) in query.fragments.iter().enumerate() {
        for v in variants(sels) {
            let mut q = query.clone();
            q.fragments[f].2 = v;
            out.push(q);
        }
    }
    out
}

/// Shrinks `query` while `fails` holds (at most `budget` attempts).
pub async fn shrink<F, Fut>(
    schema: &Valid<Schema>,
    mut query: Query,
    mut budget: usize,
    mut fails: F,
) -> Query
where
    F: FnMut(Query) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    'outer: while budget > 0 {
        for candidate in smaller(&query) {
            if budget == 0 {
                break 'outer;
            }
            if !valid(schema, &candidate.text()) {
                continue;
            }
            budget -= 1;
            if fails(candidate.clone()).await {
                query = candidate;
                continue 'outer;
            }
        }
        break;
    }
    query
}
