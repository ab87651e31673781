//! Projecting merged subgraph data onto exactly the client's selection set.
//!
//! The merged data holds everything the fetches returned (keys, `__typename`,
//! fields other fetches needed). The client's operation is executed against it with
//! apollo-compiler's spec executor (spec §6.3 "Executing Selection Sets"): field
//! collection with fragments and `@skip`/`@include`, result coercion, null
//! propagation (§6.4.4 "Handling Field Errors") and the introspection meta-fields.

use apollo_compiler::collections::HashMap;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue, ResponseDataPathSegment};
use apollo_compiler::schema::{ExtendedType, Implementers, Type};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};

use crate::error::{GraphQLError, Location, PathSegment};
use crate::validate::ValidOperation;

/// The API schema and its precomputed implementers map.
pub struct ProjectionSchema<'a> {
    pub schema: &'a Valid<Schema>,
    pub implementers: &'a HashMap<Name, Implementers>,
}

/// Runs the client's operation over `data`. Returns the response `data`
/// (`None` when null propagated to the root) and the errors raised on the way.
/// `introspection` answers `__schema`/`__type` from the API schema.
pub fn project(
    ctx: &ProjectionSchema<'_>,
    operation: &ValidOperation,
    data: &JsonValue,
    introspection: bool,
) -> (Option<JsonMap>, Vec<GraphQLError>) {
    let Some(op) = operation.operation() else {
        return (None, Vec::new());
    };
    let empty = JsonMap::new();
    let root = DataObject {
        ctx,
        map: data.as_object().unwrap_or(&empty),
        type_name: op.object_type().as_str(),
    };
    let result = Execution::new(ctx.schema, &operation.document)
        .operation(op)
        .implementers_map(ctx.implementers)
        .coerced_variable_values(&operation.variables)
        .enable_schema_introspection(introspection)
        .execute_sync(&root);
    match result {
        Ok(response) => (
            response.data,
            response.errors.into_iter().map(convert_error).collect(),
        ),
        Err(error) => (
            None,
            vec![GraphQLError::new(
                error.message().to_string(),
                crate::error::ErrorCode::InternalServerError,
            )],
        ),
    }
}

fn convert_error(error: apollo_compiler::response::GraphQLError) -> GraphQLError {
    let message = client_message(error.message);
    GraphQLError {
        message,
        locations: error
            .locations
            .into_iter()
            .map(|l| Location {
                line: l.line,
                column: l.column,
            })
            .collect(),
        path: (!error.path.is_empty()).then(|| {
            error
                .path
                .into_iter()
                .map(|segment| match segment {
                    ResponseDataPathSegment::Field(name) => PathSegment::Key(name.to_string()),
                    ResponseDataPathSegment::ListIndex(index) => PathSegment::Index(index),
                })
                .collect()
        }),
        extensions: error.extensions,
    }
}

/// Result-coercion messages that would echo what clients must not see: a type
/// that is `@inaccessible` or known only to a subgraph.
fn client_message(message: String) -> String {
    if let Some(rest) = message.strip_prefix("resolver returned an object of type ")
        && rest.ends_with("not defined in the schema")
    {
        return "the subgraph returned an object of a type that is not part of the schema".into();
    }
    match message.strip_prefix("resolver error: ") {
        Some(rest) => rest.to_string(),
        None => message,
    }
}

struct DataObject<'a> {
    ctx: &'a ProjectionSchema<'a>,
    map: &'a JsonMap,
    type_name: &'a str,
}

fn resolve<'a>(
    ctx: &'a ProjectionSchema<'a>,
    value: Option<&'a JsonValue>,
    ty: &'a Type,
) -> Result<ResolvedValue<'a>, FieldError> {
    Ok(match value {
        None | Some(JsonValue::Null) => ResolvedValue::null(),
        Some(JsonValue::Array(items)) if ty.is_list() => {
            let item_type = ty.item_type();
            ResolvedValue::List(Box::new(
                items
                    .iter()
                    .map(move |item| resolve(ctx, Some(item), item_type)),
            ))
        }
        Some(JsonValue::Object(map)) if is_composite(ctx, ty.inner_named_type()) => {
            ResolvedValue::Object(Box::new(DataObject {
                ctx,
                map,
                type_name: concrete_type(ctx, map, ty.inner_named_type()),
            }))
        }
        Some(leaf) => {
            // An enum value clients cannot see (`@inaccessible`, or known only to
            // the subgraph) must not leak: it reads as null, silently (as the
            // federation gateway audit expects); a non-null position then
            // propagates with the usual error.
            if let Some(ExtendedType::Enum(enum_)) = ctx.schema.types.get(ty.inner_named_type())
                && !leaf.as_str().is_some_and(|v| enum_.values.contains_key(v))
            {
                return Ok(ResolvedValue::null());
            }
            // Float result coercion (spec §3.5.2) accepts whole numbers: a
            // JavaScript subgraph prints `100.0` as `100`.
            if ty.inner_named_type() == "Float"
                && let JsonValue::Number(n) = leaf
                && !n.is_f64()
                && let Some(f) = n.as_f64().and_then(serde_json::Number::from_f64)
            {
                return Ok(ResolvedValue::Leaf(JsonValue::Number(f)));
            }
            ResolvedValue::Leaf(leaf.clone())
        }
    })
}

fn is_composite(ctx: &ProjectionSchema<'_>, name: &str) -> bool {
    matches!(
        ctx.schema.types.get(name),
        Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_))
    )
}

/// The concrete object type of `map`: its `__typename` when that names an object
/// type, else the declared type when it is one, else some implementation of the
/// abstract type (an `@interfaceObject` answer carries the interface's name).
/// An object whose `__typename` clients cannot see (an `@inaccessible` type, or
/// one only a subgraph knows) keeps that name: execution then nulls it with a
/// field error (see [`client_message`]).
fn concrete_type<'a>(ctx: &ProjectionSchema<'a>, map: &'a JsonMap, declared: &'a Name) -> &'a str {
    let schema: &'a Valid<Schema> = ctx.schema;
    let reported = map.get("__typename").and_then(|t| t.as_str());
    if let Some(t) = reported
        && schema.get_object(t).is_some()
    {
        return t;
    }
    if schema.get_object(declared).is_some() {
        return declared.as_str();
    }
    if let Some(t) = reported
        && !schema.types.contains_key(t)
    {
        return t;
    }
    let abstract_name = reported.unwrap_or(declared.as_str());
    if let Some(ExtendedType::Union(union_)) = schema.types.get(abstract_name)
        && let Some(first) = union_.members.first()
    {
        return first.name.as_str();
    }
    let implementers: &'a HashMap<Name, Implementers> = ctx.implementers;
    implementers
        .get(abstract_name)
        .and_then(|i| i.objects.first())
        .map(|n| n.as_str())
        .unwrap_or(declared.as_str())
}

impl ObjectValue for DataObject<'_> {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let Some(field) = info.field_selections().first() else {
            return Ok(ResolvedValue::null());
        };
        let value = self.map.get(field.response_key().as_str());
        resolve(self.ctx, value, &info.field_definition().ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LimitsConfig;

    const SDL: &str = r#"
        type Query { me: User, users: [User!]!, node: Node, strict: User! }
        interface Node { id: ID! }
        type User implements Node { id: ID!, name: String!, nick: String, friends: [User!] }
        type Bot implements Node { id: ID!, model: String }
    "#;

    fn run(query: &str, data: serde_json::Value) -> serde_json::Value {
        let schema = Schema::parse_and_validate(SDL, "s.graphql").expect("schema");
        let implementers = schema.implementers_map();
        let ctx = ProjectionSchema {
            schema: &schema,
            implementers: &implementers,
        };
        let limits = LimitsConfig::default();
        let ast = crate::parse::parse(query, &limits).expect("parse");
        let op = crate::validate::validate(&schema, ast, None, &JsonMap::new(), &limits, true)
            .expect("valid");
        let data: JsonValue = serde_json::from_value(data).expect("json");
        let (data, errors) = project(&ctx, &op, &data, true);
        serde_json::json!({
            "data": data,
            "paths": errors.iter().map(|e| serde_json::to_value(&e.path).unwrap_or_default()).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn keeps_exactly_the_client_selection_with_aliases() {
        let out = run(
            "{ me { who: name id } }",
            serde_json::json!({"me": {"__typename": "User", "id": "1", "who": "Ada", "name": "x", "nick": "secret"}}),
        );
        assert_eq!(
            out["data"],
            serde_json::json!({"me": {"who": "Ada", "id": "1"}})
        );
    }

    #[test]
    fn null_in_non_null_field_bubbles_to_nearest_nullable_parent() {
        let out = run(
            "{ me { id name } users { id name } }",
            serde_json::json!({
                "me": {"id": "1", "name": null},
                "users": [{"id": "2", "name": "B"}]
            }),
        );
        assert_eq!(out["data"]["me"], serde_json::Value::Null);
        assert_eq!(out["data"]["users"][0]["name"], "B");
        assert_eq!(out["paths"], serde_json::json!([["me", "name"]]));

        let out = run(
            "{ users { id name } }",
            serde_json::json!({"users": [{"id": "2", "name": null}]}),
        );
        // users: [User!]! — the list item is non-null, the list is non-null: data is null.
        assert_eq!(out["data"], serde_json::Value::Null);
    }

    #[test]
    fn fragments_on_abstract_types_follow_typename() {
        let out = run(
            "{ node { id ... on User { name } ... on Bot { model } } }",
            serde_json::json!({"node": {"__typename": "Bot", "id": "b", "model": "T1000"}}),
        );
        assert_eq!(
            out["data"],
            serde_json::json!({"node": {"id": "b", "model": "T1000"}})
        );
        let out = run(
            "{ node { __typename } }",
            serde_json::json!({"node": {"__typename": "User", "id": "u"}}),
        );
        assert_eq!(
            out["data"],
            serde_json::json!({"node": {"__typename": "User"}})
        );
    }

    #[test]
    fn answers_introspection_and_typename() {
        let out = run(
            "{ __typename __type(name: \"User\") { name fields { name } } }",
            serde_json::json!({}),
        );
        assert_eq!(out["data"]["__typename"], "Query");
        assert_eq!(out["data"]["__type"]["name"], "User");
    }
}
