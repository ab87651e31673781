//! The Federation auth directives, enforced at the router before planning:
//! `@authenticated`, `@requiresScopes(scopes: [[Scope]])` and
//! `@policy(policies: [[Policy]])` on fields, objects, interfaces, scalars and
//! enums (<https://specs.apollo.dev/authenticated/v0.1>,
//! `requiresScopes/v0.1`, `policy/v0.1`).
//!
//! A field is authorized when every rule that applies to it holds: the rules
//! on its definition, on the type it returns, and, for a field selected on an
//! interface, on that field in every object implementing it (any of them may
//! answer). A fragment whose type condition is protected makes its fields
//! follow that type's rules too. `@requiresScopes` / `@policy` hold when one
//! inner list is satisfied entirely (outer list: OR, inner: AND).
//!
//! Unauthorized fields are taken out of what the planner sees (no subgraph is
//! ever asked for them); projection writes them as `null` (a non-null one
//! propagates), and each gets one error, `UNAUTHORIZED_FIELD_OR_TYPE`, at its
//! response path (list positions are not known before execution, so the path
//! names the field, not each item).

use std::collections::{BTreeMap, HashSet};

use apollo_compiler::ast::{self, Value};
use apollo_compiler::collections::HashMap;
use apollo_compiler::executable::{self, ExecutableDocument, Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Name, Node, Schema};
use serde::{Deserialize, Serialize};
use tessera_schema::Supergraph;

use super::Claims;
use crate::error::{ErrorCode, GraphQLError, Location, PathSegment};

/// `authorization`: how the auth directives are applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorizationConfig {
    /// Enforce the directives found in the supergraph (on by default: a
    /// supergraph that declares them expects them enforced).
    pub enabled: bool,
    /// Refuse the whole request when any field is unauthorized, instead of
    /// answering the rest.
    pub reject_unauthorized: bool,
    /// The claim holding the caller's scopes: a space-separated string or an
    /// array of strings.
    pub scope_claim: String,
    /// `@policy` names and the rule deciding each; a policy not listed here is
    /// never granted.
    pub policies: BTreeMap<String, PolicyRule>,
}

impl Default for AuthorizationConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            reject_unauthorized: false,
            scope_claim: "scope".to_owned(),
            policies: BTreeMap::new(),
        }
    }
}

/// When a policy is granted: every condition given holds (a rule with none
/// holds for any authenticated caller).
///
/// ```yaml
/// policies:
///   admin:
///     claims: { role: admin }          # claim equals, or array claim contains
///   support:
///     any:                             # at least one sub-rule holds
///       - claims: { "realm.roles": support }   # dots reach nested claims
///       - scopes: [support:read]
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyRule {
    /// Claim (dotted path) → required value. A claim that is an array must
    /// contain the value (every value, if the value is an array too).
    pub claims: BTreeMap<String, serde_json::Value>,
    /// Scopes the caller must all hold.
    pub scopes: Vec<String>,
    /// Sub-rules, one of which must hold (ignored when empty).
    pub any: Vec<PolicyRule>,
}

impl PolicyRule {
    fn holds(&self, claims: &Claims, scopes: &HashSet<&str>) -> bool {
        self.claims
            .iter()
            .all(|(path, wanted)| claim_matches(claim(claims, path), wanted))
            && self.scopes.iter().all(|s| scopes.contains(s.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|rule| rule.holds(claims, scopes)))
    }
}

fn claim<'a>(claims: &'a Claims, path: &str) -> Option<&'a serde_json::Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

fn claim_matches(found: Option<&serde_json::Value>, wanted: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (found, wanted) {
        (None, _) => false,
        (Some(V::Array(items)), V::Array(wanted)) => wanted.iter().all(|w| items.contains(w)),
        (Some(V::Array(items)), wanted) => items.contains(wanted),
        (Some(found), wanted) => found == wanted,
    }
}

/// One rule from a directive.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Authenticated,
    /// Outer: any of; inner: all of.
    Scopes(Vec<Vec<String>>),
    Policies(Vec<Vec<String>>),
}

/// The caller, as the rules see it.
pub struct Caller<'a> {
    claims: Option<&'a Claims>,
    scopes: HashSet<&'a str>,
    config: &'a AuthorizationConfig,
}

impl<'a> Caller<'a> {
    pub fn new(claims: Option<&'a Claims>, config: &'a AuthorizationConfig) -> Self {
        let scopes = claims
            .and_then(|c| c.get(&config.scope_claim))
            .map(|value| match value {
                serde_json::Value::String(s) => s.split_whitespace().collect(),
                serde_json::Value::Array(items) => {
                    items.iter().filter_map(|v| v.as_str()).collect()
                }
                _ => HashSet::new(),
            })
            .unwrap_or_default();
        Self {
            claims,
            scopes,
            config,
        }
    }

    fn satisfies(&self, rule: &Rule) -> bool {
        let Some(claims) = self.claims else {
            return false;
        };
        match rule {
            Rule::Authenticated => true,
            Rule::Scopes(any) => any
                .iter()
                .any(|all| all.iter().all(|s| self.scopes.contains(s.as_str()))),
            Rule::Policies(any) => any.iter().any(|all| {
                all.iter().all(|name| {
                    self.config
                        .policies
                        .get(name)
                        .is_some_and(|rule| rule.holds(claims, &self.scopes))
                })
            }),
        }
    }
}

/// The auth rules of one supergraph, read once.
#[derive(Debug, Default)]
pub struct AuthorizationModel {
    /// Rules on field definitions, by (type, field).
    fields: HashMap<(Name, Name), Vec<Rule>>,
    /// Rules on types (objects, interfaces, scalars, enums).
    types: HashMap<Name, Vec<Rule>>,
    /// Objects implementing each interface (for interface fields).
    implementers: HashMap<Name, Vec<Name>>,
    /// The object types an interface or union value can be.
    possible: HashMap<Name, Vec<Name>>,
    /// Every policy name the supergraph uses.
    policies: Vec<String>,
}

/// What authorization decided for one operation and caller.
#[derive(Debug, Default)]
pub struct Decision {
    /// Addresses of the unauthorized `Field` nodes of the document.
    pub denied: HashSet<usize>,
    /// One error per unauthorized field, at its response path.
    pub errors: Vec<GraphQLError>,
}

impl Decision {
    pub fn is_empty(&self) -> bool {
        self.denied.is_empty()
    }
}

/// A field node's identity (its address; clones of the document share it).
pub fn field_id(field: &executable::Field) -> usize {
    std::ptr::from_ref(field) as usize
}

impl AuthorizationModel {
    /// Reads the directives from the supergraph (`None`: it uses none of them,
    /// so there is nothing to enforce).
    pub fn new(supergraph: &Supergraph) -> Option<Self> {
        let name = |spec: &str, directive: &str| {
            supergraph
                .link(&format!("https://specs.apollo.dev/{spec}"))
                .map(|link| link.directive_name(directive))
        };
        let names = Names {
            authenticated: name("authenticated", "authenticated"),
            scopes: name("requiresScopes", "requiresScopes"),
            policy: name("policy", "policy"),
        };
        if names.authenticated.is_none() && names.scopes.is_none() && names.policy.is_none() {
            return None;
        }
        let schema = supergraph.schema();
        let mut model = AuthorizationModel::default();
        for (type_name, ty) in &schema.types {
            let rules = names.rules(ty.directives().iter().map(|d| -> &ast::Directive { d }));
            if !rules.is_empty() {
                model.types.insert(type_name.clone(), rules);
            }
            let fields = match ty {
                ExtendedType::Object(object) => &object.fields,
                ExtendedType::Interface(interface) => &interface.fields,
                _ => continue,
            };
            for (field_name, field) in fields {
                let rules = names.rules(field.directives.iter().map(|d| -> &ast::Directive { d }));
                if !rules.is_empty() {
                    model
                        .fields
                        .insert((type_name.clone(), field_name.clone()), rules);
                }
            }
        }
        for (interface, found) in schema.implementers_map() {
            model
                .implementers
                .insert(interface, found.objects.into_iter().collect());
        }
        for (name, ty) in &schema.types {
            if let ExtendedType::Union(union_) = ty {
                model.possible.insert(
                    name.clone(),
                    union_.members.iter().map(|m| m.name.clone()).collect(),
                );
            }
        }
        for (interface, objects) in &model.implementers {
            model.possible.insert(interface.clone(), objects.clone());
        }
        let mut policies: Vec<String> = model
            .types
            .values()
            .chain(model.fields.values())
            .flatten()
            .filter_map(|rule| match rule {
                Rule::Policies(any) => Some(any.iter().flatten().cloned()),
                _ => None,
            })
            .flatten()
            .collect();
        policies.sort();
        policies.dedup();
        model.policies = policies;
        Some(model)
    }

    /// Policy names used in the supergraph.
    pub fn policies(&self) -> &[String] {
        &self.policies
    }

    /// Whether any rule exists at all.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.types.is_empty()
    }

    /// Decides every field of `operation` for `caller`.
    pub fn decide(
        &self,
        schema: &Schema,
        document: &ExecutableDocument,
        operation: &executable::Operation,
        caller: &Caller<'_>,
    ) -> Decision {
        let mut walk = Walk {
            model: self,
            schema,
            document,
            caller,
            decision: Decision::default(),
            path: Vec::new(),
            visiting: Vec::new(),
        };
        walk.set(&operation.selection_set, false);
        walk.decision
    }

    /// Whether the rules of type `name` hold for `caller`, and, for an
    /// interface or union, those of every object type it can be (a value of a
    /// protected object must not come through an abstract field).
    fn type_holds(&self, name: &Name, caller: &Caller<'_>) -> bool {
        let holds = |name: &Name| {
            self.types
                .get(name)
                .is_none_or(|rules| rules.iter().all(|rule| caller.satisfies(rule)))
        };
        holds(name)
            && self
                .possible
                .get(name)
                .is_none_or(|objects| objects.iter().all(holds))
    }

    /// Whether `caller` may select `field` on `parent`.
    fn allowed(
        &self,
        schema: &Schema,
        parent: &Name,
        field: &executable::Field,
        caller: &Caller<'_>,
    ) -> bool {
        let holds = |rules: Option<&Vec<Rule>>| {
            rules.is_none_or(|rules| rules.iter().all(|rule| caller.satisfies(rule)))
        };
        if !holds(self.fields.get(&(parent.clone(), field.name.clone()))) {
            return false;
        }
        if !self.type_holds(field.ty().inner_named_type(), caller) {
            return false;
        }
        if matches!(schema.types.get(parent), Some(ExtendedType::Interface(_)))
            && let Some(objects) = self.implementers.get(parent)
        {
            return objects
                .iter()
                .all(|object| holds(self.fields.get(&(object.clone(), field.name.clone()))));
        }
        true
    }
}

/// The directives' local names in one supergraph.
struct Names {
    authenticated: Option<String>,
    scopes: Option<String>,
    policy: Option<String>,
}

impl Names {
    fn rules<'d>(&self, directives: impl IntoIterator<Item = &'d ast::Directive>) -> Vec<Rule> {
        let mut rules = Vec::new();
        for directive in directives {
            let name = directive.name.as_str();
            if self.authenticated.as_deref() == Some(name) {
                rules.push(Rule::Authenticated);
            } else if self.scopes.as_deref() == Some(name) {
                rules.push(Rule::Scopes(nested_strings(
                    directive.specified_argument_by_name("scopes"),
                )));
            } else if self.policy.as_deref() == Some(name) {
                rules.push(Rule::Policies(nested_strings(
                    directive.specified_argument_by_name("policies"),
                )));
            }
        }
        rules
    }
}

/// `[[String]]` from a directive argument (a bare string or list is wrapped,
/// as input coercion would).
fn nested_strings(value: Option<&Node<Value>>) -> Vec<Vec<String>> {
    let Some(value) = value else {
        return Vec::new();
    };
    let strings = |value: &Value| -> Vec<String> {
        match value {
            Value::List(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            other => other.as_str().map(str::to_owned).into_iter().collect(),
        }
    };
    match value.as_ref() {
        Value::List(items) => items.iter().map(|inner| strings(inner)).collect(),
        other => vec![strings(other)],
    }
}

struct Walk<'a> {
    model: &'a AuthorizationModel,
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    caller: &'a Caller<'a>,
    decision: Decision,
    path: Vec<&'a str>,
    /// Named fragments being expanded (a cycle cannot occur in a valid
    /// document; this only guards the recursion).
    visiting: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    /// `inherited`: a protected fragment type condition denies every field.
    fn set(&mut self, set: &'a SelectionSet, inherited: bool) {
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    let key = field.response_key().as_str();
                    if inherited || !self.model.allowed(self.schema, &set.ty, field, self.caller) {
                        self.deny(field, key);
                        continue;
                    }
                    self.path.push(key);
                    self.set(&field.selection_set, false);
                    self.path.pop();
                }
                Selection::InlineFragment(fragment) => {
                    let denied = inherited
                        || fragment
                            .type_condition
                            .as_ref()
                            .is_some_and(|on| !self.type_allowed(on));
                    self.set(&fragment.selection_set, denied);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    let Some(fragment) = self.document.fragments.get(&spread.fragment_name) else {
                        continue;
                    };
                    if self.visiting.contains(&name) {
                        continue;
                    }
                    let denied = inherited || !self.type_allowed(fragment.type_condition());
                    self.visiting.push(name);
                    self.set(&fragment.selection_set, denied);
                    self.visiting.pop();
                }
            }
        }
    }

    fn type_allowed(&self, name: &Name) -> bool {
        self.model.type_holds(name, self.caller)
    }

    fn deny(&mut self, field: &'a Node<executable::Field>, key: &'a str) {
        if field.name == "__typename" {
            return;
        }
        self.decision.denied.insert(field_id(field));
        let mut path: Vec<PathSegment> = self
            .path
            .iter()
            .map(|k| PathSegment::Key((*k).to_owned()))
            .collect();
        path.push(PathSegment::Key(key.to_owned()));
        if self
            .decision
            .errors
            .iter()
            .any(|e| e.path.as_ref() == Some(&path))
        {
            return;
        }
        let location = field
            .location()
            .and_then(|span| span.line_column(&self.document.sources))
            .map(|lc| Location {
                line: lc.line,
                column: lc.column,
            });
        self.decision.errors.push(
            GraphQLError::new(
                "Unauthorized field or type",
                ErrorCode::UnauthorizedFieldOrType,
            )
            .with_path(path)
            .with_locations(location.into_iter().collect()),
        );
    }
}

/// `document` with the denied fields taken out of `operation_name`'s operation
/// and every fragment; a selection set left empty selects `__typename`, so the
/// document stays valid. Also says whether the selected operation still has a
/// root field to plan.
pub fn without_denied(
    schema: &apollo_compiler::validation::Valid<Schema>,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    denied: &HashSet<usize>,
) -> ExecutableDocument {
    let mut document = document.clone();
    if let Ok(operation) = document.operations.get_mut(operation_name) {
        filter(schema, &mut operation.selection_set, denied);
    }
    for fragment in document.fragments.values_mut() {
        let fragment = fragment.make_mut();
        filter(schema, &mut fragment.selection_set, denied);
    }
    document
}

fn filter(schema: &Schema, set: &mut SelectionSet, denied: &HashSet<usize>) {
    set.selections.retain(|selection| match selection {
        Selection::Field(field) => !denied.contains(&field_id(field)),
        _ => true,
    });
    for selection in &mut set.selections {
        match selection {
            Selection::Field(field) => {
                if !field.selection_set.selections.is_empty() {
                    filter(schema, &mut field.make_mut().selection_set, denied);
                }
            }
            Selection::InlineFragment(fragment) => {
                filter(schema, &mut fragment.make_mut().selection_set, denied);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    if set.selections.is_empty() {
        set.push(executable::Field::new(
            apollo_compiler::name!("__typename"),
            schema
                .type_field(&set.ty, "__typename")
                .map(|c| c.node.clone())
                .unwrap_or_else(|_| typename_definition()),
        ));
    }
}

fn typename_definition() -> Node<apollo_compiler::schema::FieldDefinition> {
    Node::new(apollo_compiler::schema::FieldDefinition {
        description: None,
        name: apollo_compiler::name!("__typename"),
        arguments: Vec::new(),
        ty: apollo_compiler::ty!(String!),
        directives: Default::default(),
    })
}
