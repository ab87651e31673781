//! Contracts: a filtered API schema derived from the supergraph by `@tag` rules.
//!
//! Rules (the same as Apollo's contracts, <https://www.apollographql.com/docs/graphos/platform/schema-management/delivery/contracts/overview>):
//!
//! * **exclude**: every element (type, field, argument, enum value, input field)
//!   tagged with an excluded tag is hidden. Exclusion wins over inclusion.
//! * **include** (when not empty): a field of an object or interface type (root types
//!   included) is kept only if it, or its parent type, is tagged with an included tag.
//!   Arguments, enum values and input fields are not filtered by inclusion.
//! * Hiding is done by marking elements `@inaccessible` and deriving the API schema
//!   with [`crate::api_schema`], so whatever that removes in cascade (types left without
//!   fields, fields whose type is gone) goes too.
//! * Optionally, types no longer reachable from a root type are removed.

use std::collections::{BTreeSet, HashSet};

use apollo_compiler::ast::{self, DirectiveList};
use apollo_compiler::schema::{Component, ExtendedType};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema};

use crate::supergraph::{INACCESSIBLE_IDENTITY, Supergraph};
use crate::{ApiSchemaError, api_schema};

/// The tag rules of a contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractRules {
    /// Keep only fields tagged (or whose parent type is tagged) with one of these; empty
    /// means keep everything.
    pub include: Vec<String>,
    /// Hide everything tagged with one of these.
    pub exclude: Vec<String>,
    /// Also remove types no longer reachable from a root operation type.
    pub remove_unreachable_types: bool,
}

/// Why a contract could not be derived.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The filtered supergraph is not valid, or its API schema cannot be derived (for
    /// example every `Query` field was filtered out).
    #[error("the contract schema is invalid: {0}")]
    Invalid(String),
    /// Deriving the API schema failed.
    #[error(transparent)]
    ApiSchema(#[from] ApiSchemaError),
}

/// The supergraph with contract-hidden elements marked `@inaccessible` (what a router
/// serving the contract would load), as SDL.
pub fn contract_supergraph_sdl(
    supergraph: &Supergraph,
    rules: &ContractRules,
) -> Result<String, ContractError> {
    let tag = supergraph
        .link("https://specs.apollo.dev/tag")
        .map(|l| l.directive_name("tag"))
        .unwrap_or_else(|| "tag".to_string());
    let inaccessible = supergraph
        .link(INACCESSIBLE_IDENTITY)
        .map(|l| l.directive_name("inaccessible"))
        .ok_or_else(|| {
            ContractError::Invalid(
                "the supergraph does not link the inaccessible spec, so nothing can be hidden"
                    .into(),
            )
        })?;
    let inaccessible = Name::new(&inaccessible)
        .map_err(|e| ContractError::Invalid(format!("bad directive name: {e}")))?;
    let filter = Filter {
        tag,
        include: rules.include.iter().cloned().collect(),
        exclude: rules.exclude.iter().cloned().collect(),
    };

    let mut schema: Schema = supergraph.schema().clone().into_inner();
    let hide = || {
        Component::new(ast::Directive {
            name: inaccessible.clone(),
            arguments: Vec::new(),
        })
    };
    let hide_ast = || {
        Node::new(ast::Directive {
            name: inaccessible.clone(),
            arguments: Vec::new(),
        })
    };
    let already = |d: &DirectiveList| d.get(inaccessible.as_str()).is_some();

    for ty in schema.types.values_mut() {
        if ty.is_built_in() {
            continue;
        }
        let type_tags = filter.tags_of(ty.directives());
        let type_excluded = filter.excluded(&type_tags);
        let type_included = filter.included(&type_tags);
        match ty {
            ExtendedType::Object(o) => {
                let o = o.make_mut();
                if type_excluded && o.directives.get(inaccessible.as_str()).is_none() {
                    o.directives.push(hide());
                }
                for field in o.fields.values_mut() {
                    filter.field(field.make_mut(), type_included, &hide_ast, &already);
                }
            }
            ExtendedType::Interface(i) => {
                let i = i.make_mut();
                if type_excluded && i.directives.get(inaccessible.as_str()).is_none() {
                    i.directives.push(hide());
                }
                for field in i.fields.values_mut() {
                    filter.field(field.make_mut(), type_included, &hide_ast, &already);
                }
            }
            ExtendedType::Union(u) => {
                let u = u.make_mut();
                if type_excluded && u.directives.get(inaccessible.as_str()).is_none() {
                    u.directives.push(hide());
                }
            }
            ExtendedType::Scalar(s) => {
                let s = s.make_mut();
                if type_excluded && s.directives.get(inaccessible.as_str()).is_none() {
                    s.directives.push(hide());
                }
            }
            ExtendedType::Enum(e) => {
                let e = e.make_mut();
                if type_excluded && e.directives.get(inaccessible.as_str()).is_none() {
                    e.directives.push(hide());
                }
                for value in e.values.values_mut() {
                    let value = value.make_mut();
                    if filter.excluded(&filter.tags_of_ast(&value.directives))
                        && !already(&value.directives)
                    {
                        value.directives.0.push(hide_ast());
                    }
                }
            }
            ExtendedType::InputObject(i) => {
                let i = i.make_mut();
                if type_excluded && i.directives.get(inaccessible.as_str()).is_none() {
                    i.directives.push(hide());
                }
                for field in i.fields.values_mut() {
                    let field = field.make_mut();
                    if filter.excluded(&filter.tags_of_ast(&field.directives))
                        && !already(&field.directives)
                    {
                        field.directives.0.push(hide_ast());
                    }
                }
            }
        }
    }
    Ok(schema.to_string())
}

/// Derives the contract's API schema.
pub fn contract_schema(
    supergraph: &Supergraph,
    rules: &ContractRules,
) -> Result<Valid<Schema>, ContractError> {
    let sdl = contract_supergraph_sdl(supergraph, rules)?;
    let filtered = Supergraph::parse(&sdl).map_err(|e| ContractError::Invalid(e.to_string()))?;
    let api = api_schema(&filtered)?;
    if !rules.remove_unreachable_types {
        return Ok(api);
    }
    let reachable = reachable_types(&api);
    let mut schema = api.into_inner();
    schema
        .types
        .retain(|name, ty| ty.is_built_in() || reachable.contains(name.as_str()));
    schema
        .validate()
        .map_err(|e| ContractError::Invalid(e.errors.to_string()))
}

struct Filter {
    tag: String,
    include: HashSet<String>,
    exclude: HashSet<String>,
}

impl Filter {
    fn tags_of(&self, directives: &apollo_compiler::schema::DirectiveList) -> Vec<String> {
        directives
            .get_all(&self.tag)
            .filter_map(|d| {
                d.specified_argument_by_name("name")
                    .and_then(|v| v.as_str())
            })
            .map(str::to_string)
            .collect()
    }

    fn tags_of_ast(&self, directives: &DirectiveList) -> Vec<String> {
        directives
            .get_all(&self.tag)
            .filter_map(|d| {
                d.specified_argument_by_name("name")
                    .and_then(|v| v.as_str())
            })
            .map(str::to_string)
            .collect()
    }

    fn excluded(&self, tags: &[String]) -> bool {
        tags.iter().any(|t| self.exclude.contains(t))
    }

    fn included(&self, tags: &[String]) -> bool {
        tags.iter().any(|t| self.include.contains(t))
    }

    fn field(
        &self,
        field: &mut ast::FieldDefinition,
        parent_included: bool,
        hide: &dyn Fn() -> Node<ast::Directive>,
        already: &dyn Fn(&DirectiveList) -> bool,
    ) {
        let tags = self.tags_of_ast(&field.directives);
        let kept_by_include = self.include.is_empty() || parent_included || self.included(&tags);
        if (self.excluded(&tags) || !kept_by_include) && !already(&field.directives) {
            field.directives.0.push(hide());
        }
        for argument in field.arguments.iter_mut() {
            if self.excluded(&self.tags_of_ast(&argument.directives))
                && !already(&argument.directives)
            {
                argument.make_mut().directives.0.push(hide());
            }
        }
    }
}

/// Types reachable from the root operation types (through fields, arguments, input
/// fields, union members and interface implementations) or from directive arguments.
fn reachable_types(schema: &Schema) -> HashSet<String> {
    let mut queue: BTreeSet<String> = schema
        .schema_definition
        .iter_root_operations()
        .map(|(_, name)| name.name.to_string())
        .collect();
    for directive in schema.directive_definitions.values() {
        for argument in &directive.arguments {
            queue.insert(argument.ty.inner_named_type().to_string());
        }
    }
    let implementers = schema.implementers_map();
    let mut seen: HashSet<String> = HashSet::new();
    while let Some(name) = queue.pop_first() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(ty) = schema.types.get(name.as_str()) else {
            continue;
        };
        let mut push = |n: &str| {
            if !seen.contains(n) {
                queue.insert(n.to_string());
            }
        };
        match ty {
            ExtendedType::Object(o) => {
                for i in &o.implements_interfaces {
                    push(i.name.as_str());
                }
                for f in o.fields.values() {
                    push(f.ty.inner_named_type().as_str());
                    for a in &f.arguments {
                        push(a.ty.inner_named_type().as_str());
                    }
                }
            }
            ExtendedType::Interface(i) => {
                for f in i.fields.values() {
                    push(f.ty.inner_named_type().as_str());
                    for a in &f.arguments {
                        push(a.ty.inner_named_type().as_str());
                    }
                }
                if let Some(imps) = implementers.get(name.as_str()) {
                    for o in imps.objects.iter().chain(imps.interfaces.iter()) {
                        push(o.as_str());
                    }
                }
            }
            ExtendedType::Union(u) => {
                for m in &u.members {
                    push(m.name.as_str());
                }
            }
            ExtendedType::InputObject(i) => {
                for f in i.fields.values() {
                    push(f.ty.inner_named_type().as_str());
                }
            }
            ExtendedType::Scalar(_) | ExtendedType::Enum(_) => {}
        }
    }
    seen
}
