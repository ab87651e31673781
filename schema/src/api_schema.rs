//! API-schema derivation: the supergraph as clients see it.
//!
//! Removes every definition and application that belongs to a `@link`ed spec (join,
//! link, inaccessible, tag, ...) and every element marked `@inaccessible`
//! (inaccessible spec v0.2, "Removing inaccessible elements"), then re-validates.
//! Executable directives (those usable in operations) are kept.

use std::collections::HashSet;

use apollo_compiler::Schema;
use apollo_compiler::ast::DirectiveLocation;
use apollo_compiler::collections::IndexMap;
use apollo_compiler::schema::{Component, ExtendedType, FieldDefinition, Name, Type};
use apollo_compiler::validation::Valid;

use crate::supergraph::{INACCESSIBLE_IDENTITY, Link, Supergraph};

/// Why an API schema could not be derived.
#[derive(Debug, thiserror::Error)]
pub enum ApiSchemaError {
    /// Removing inaccessible elements left an invalid schema (for example a field
    /// whose type is inaccessible but the field itself is not).
    #[error("the API schema derived from the supergraph is invalid:\n{0}")]
    Invalid(String),
    /// Every root query field is inaccessible.
    #[error("the API schema has no accessible Query field")]
    NoQueryFields,
}

/// Derives the API schema of a supergraph. Print it with `to_string()` to get SDL.
pub fn api_schema(supergraph: &Supergraph) -> Result<Valid<Schema>, ApiSchemaError> {
    let mut schema: Schema = supergraph.schema().clone().into_inner();
    let links: &[Link] = supergraph.links();
    let inaccessible = supergraph
        .link(INACCESSIBLE_IDENTITY)
        .map(|l| l.directive_name("inaccessible"))
        .unwrap_or_else(|| "inaccessible".to_string());

    let is_feature_directive = |name: &str| links.iter().any(|l| l.owns(name, true));

    // 1. Directive definitions owned by a linked spec go, unless usable in operations.
    schema.directive_definitions.retain(|name, def| {
        !is_feature_directive(name) || def.locations.iter().any(is_executable_location)
    });
    let kept_directives: HashSet<String> = schema
        .directive_definitions
        .keys()
        .map(|n| n.to_string())
        .collect();
    let keep_directive = |name: &str| kept_directives.contains(name);

    // 2. Types: spec-owned and inaccessible ones go.
    let mut removed: HashSet<String> = HashSet::new();
    for (name, ty) in &schema.types {
        if ty.is_built_in() {
            continue;
        }
        let owned = links.iter().any(|l| l.owns(name, false));
        if owned || is_federation_internal(name) || ty.directives().get(&inaccessible).is_some() {
            removed.insert(name.to_string());
        }
    }

    // Repeat until stable: removing a type may leave an object with no field, which
    // must then go too (and fields of its type with it).
    loop {
        schema
            .types
            .retain(|name, _| !removed.contains(name.as_str()));
        let mut newly_removed = Vec::new();
        for (name, ty) in schema.types.iter_mut() {
            if ty.is_built_in() {
                continue;
            }
            let is_gone = |t: &Type| removed.contains(t.inner_named_type().as_str());
            // Object and interface fields: inaccessible ones and those whose type
            // went; the rest lose spec directives, on them and their arguments.
            let prune_fields = |fields: &mut IndexMap<Name, Component<FieldDefinition>>| {
                fields.retain(|_, f| f.directives.get(&inaccessible).is_none() && !is_gone(&f.ty));
                for field in fields.values_mut() {
                    let field = field.make_mut();
                    field.directives.retain(|d| keep_directive(&d.name));
                    field
                        .arguments
                        .retain(|a| a.directives.get(&inaccessible).is_none() && !is_gone(&a.ty));
                    for arg in field.arguments.iter_mut() {
                        arg.make_mut()
                            .directives
                            .retain(|d| keep_directive(&d.name));
                    }
                }
            };
            match ty {
                ExtendedType::Object(obj) => {
                    let obj = obj.make_mut();
                    obj.directives.retain(|d| keep_directive(&d.name));
                    obj.implements_interfaces
                        .retain(|i| !removed.contains(i.name.as_str()));
                    prune_fields(&mut obj.fields);
                    if obj.fields.is_empty() {
                        newly_removed.push(name.to_string());
                    }
                }
                ExtendedType::Interface(iface) => {
                    let iface = iface.make_mut();
                    iface.directives.retain(|d| keep_directive(&d.name));
                    iface
                        .implements_interfaces
                        .retain(|i| !removed.contains(i.name.as_str()));
                    prune_fields(&mut iface.fields);
                    if iface.fields.is_empty() {
                        newly_removed.push(name.to_string());
                    }
                }
                ExtendedType::Union(union_) => {
                    let union_ = union_.make_mut();
                    union_.directives.retain(|d| keep_directive(&d.name));
                    union_
                        .members
                        .retain(|m| !removed.contains(m.name.as_str()));
                    if union_.members.is_empty() {
                        newly_removed.push(name.to_string());
                    }
                }
                ExtendedType::Enum(enum_) => {
                    let enum_ = enum_.make_mut();
                    enum_.directives.retain(|d| keep_directive(&d.name));
                    enum_
                        .values
                        .retain(|_, v| v.directives.get(&inaccessible).is_none());
                    for value in enum_.values.values_mut() {
                        value
                            .make_mut()
                            .directives
                            .retain(|d| keep_directive(&d.name));
                    }
                    if enum_.values.is_empty() {
                        newly_removed.push(name.to_string());
                    }
                }
                ExtendedType::InputObject(input) => {
                    let input = input.make_mut();
                    input.directives.retain(|d| keep_directive(&d.name));
                    input.fields.retain(|_, f| {
                        f.directives.get(&inaccessible).is_none() && !is_gone(&f.ty)
                    });
                    for field in input.fields.values_mut() {
                        field
                            .make_mut()
                            .directives
                            .retain(|d| keep_directive(&d.name));
                    }
                    if input.fields.is_empty() {
                        newly_removed.push(name.to_string());
                    }
                }
                ExtendedType::Scalar(scalar) => {
                    scalar
                        .make_mut()
                        .directives
                        .retain(|d| keep_directive(&d.name));
                }
            }
        }
        if newly_removed.is_empty() {
            break;
        }
        removed.extend(newly_removed);
    }

    // 3. The schema definition: no @link, and root types that still exist.
    let definition = schema.schema_definition.make_mut();
    definition.directives.retain(|d| keep_directive(&d.name));
    let exists = |n: &Option<apollo_compiler::schema::ComponentName>| {
        n.as_ref()
            .is_some_and(|n| schema.types.contains_key(n.name.as_str()))
    };
    if !exists(&definition.query) {
        return Err(ApiSchemaError::NoQueryFields);
    }
    if !exists(&definition.mutation) {
        definition.mutation = None;
    }
    if !exists(&definition.subscription) {
        definition.subscription = None;
    }

    schema
        .validate()
        .map_err(|with_errors| ApiSchemaError::Invalid(with_errors.errors.to_string()))
}

/// Types the federation spec reserves for subgraphs' own plumbing, which a
/// composition may carry into the supergraph from subgraph SDL (`_Any`,
/// `_FieldSet`, `_Service`, `_Entity`, `federation__FieldSet`,
/// `federation__Scope`, ...): never part of what clients see.
fn is_federation_internal(name: &str) -> bool {
    matches!(name, "_Any" | "_FieldSet" | "_Service" | "_Entity")
        || name.starts_with("federation__")
}

fn is_executable_location(location: &DirectiveLocation) -> bool {
    matches!(
        location,
        DirectiveLocation::Query
            | DirectiveLocation::Mutation
            | DirectiveLocation::Subscription
            | DirectiveLocation::Field
            | DirectiveLocation::FragmentDefinition
            | DirectiveLocation::FragmentSpread
            | DirectiveLocation::InlineFragment
            | DirectiveLocation::VariableDefinition
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supergraph::tests::SUPERGRAPH;

    #[test]
    fn removes_join_link_and_inaccessible_elements() {
        let supergraph = Supergraph::parse(SUPERGRAPH).expect("valid supergraph");
        let api = api_schema(&supergraph).expect("api schema");
        let sdl = api.to_string();
        for gone in [
            "join__",
            "link__",
            "@link",
            "@inaccessible",
            "@tag",
            "secret",
            "Hidden",
            "hidden",
            "internal",
            "ROOT",
        ] {
            assert!(!sdl.contains(gone), "{gone:?} should be gone from:\n{sdl}");
        }
        for kept in [
            "me: User",
            "search(term: String): [Result!]!",
            "union Result = User",
            "ADMIN",
            "MEMBER",
            "role: Role",
        ] {
            assert!(sdl.contains(kept), "{kept:?} should be kept in:\n{sdl}");
        }
    }

    /// Regression: internal scalars a subgraph's SDL declares leaked into the
    /// API schema of our own compositions.
    #[test]
    fn federation_internal_types_never_reach_clients() {
        let sdl = format!(
            "{SUPERGRAPH}\nscalar _Any\nscalar _FieldSet\nscalar federation__FieldSet\nscalar federation__Scope\n"
        );
        let supergraph = Supergraph::parse(&sdl).expect("parses");
        let api = api_schema(&supergraph).expect("api schema").to_string();
        for internal in [
            "_Any",
            "_FieldSet",
            "federation__FieldSet",
            "federation__Scope",
        ] {
            assert!(!api.contains(internal), "{internal} leaked:\n{api}");
        }
        assert!(api.contains("type Query"), "{api}");
    }

    #[test]
    fn api_schema_sdl_reparses_as_a_valid_schema() {
        let supergraph = Supergraph::parse(SUPERGRAPH).expect("valid supergraph");
        let sdl = api_schema(&supergraph).expect("api schema").to_string();
        Schema::parse_and_validate(&sdl, "api.graphql").expect("printed API schema is valid");
    }
}
