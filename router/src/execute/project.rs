//! Projecting merged subgraph data onto exactly the client's selection set.
//!
//! The merged data holds everything the fetches returned (keys, `__typename`,
//! fields other fetches needed). The client's operation is executed against it per
//! spec §6.3 "Executing Selection Sets": field collection with fragments and
//! `@skip`/`@include`, result coercion of leaves, and null propagation (§6.4.4
//! "Handling Field Errors").
//!
//! The hot path ([`Projector`]) writes the response `data` straight to JSON bytes:
//! no response tree is built, field collection is planned once per operation
//! and object type ([`super::collect`]), and a null that must propagate truncates the output back to the
//! nearest nullable position. Operations selecting `__schema`/`__type` run through
//! apollo-compiler's spec executor instead (introspection is rare and not hot);
//! its messages and error shapes are the reference the fast path follows.

use apollo_compiler::collections::HashMap;
use apollo_compiler::executable::{ExecutableDocument, Field, Selection};
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue, ResponseDataPathSegment};
use apollo_compiler::schema::{ExtendedType, Implementers, ObjectType, Type};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};

use super::collect::{CollectedField, Collector, Group, Sets};
use super::store::{Object, Value};
use crate::error::{GraphQLError, Location, PathSegment};
use crate::validate::ValidOperation;

/// The API schema and its precomputed implementers map.
pub struct ProjectionSchema<'a> {
    pub schema: &'a Valid<Schema>,
    pub implementers: &'a HashMap<Name, Implementers>,
    /// See [`interface_stand_ins`].
    pub stand_ins: &'a HashMap<Name, ObjectType>,
}

/// What projection derives from the API schema once (owned, e.g. by the
/// gateway): its implementers map and the interfaces' stand-ins.
pub struct ProjectionTypes {
    implementers: HashMap<Name, Implementers>,
    stand_ins: HashMap<Name, ObjectType>,
}

impl ProjectionTypes {
    pub fn new(schema: &Schema) -> ProjectionTypes {
        let implementers = schema.implementers_map();
        let stand_ins = interface_stand_ins(schema, &implementers);
        ProjectionTypes {
            implementers,
            stand_ins,
        }
    }

    /// The projection schema of `schema` (the one these types came from).
    pub fn with<'a>(&'a self, schema: &'a Valid<Schema>) -> ProjectionSchema<'a> {
        ProjectionSchema {
            schema,
            implementers: &self.implementers,
            stand_ins: &self.stand_ins,
        }
    }
}

/// For each interface without any object implementation in the API schema (an
/// entity interface whose implementations live only behind `@interfaceObject`s
/// and non-resolvable keys), an object type with its name and fields: a value of
/// that interface is projected through it (its fields and fragments on the
/// interface apply; no concrete type could).
fn interface_stand_ins(
    schema: &Schema,
    implementers: &HashMap<Name, Implementers>,
) -> HashMap<Name, ObjectType> {
    schema
        .types
        .iter()
        .filter_map(|(name, ty)| match ty {
            ExtendedType::Interface(def)
                if implementers
                    .get(name)
                    .is_none_or(|found| found.objects.is_empty()) =>
            {
                let mut implements = def.implements_interfaces.clone();
                implements.insert(name.clone().into());
                Some((
                    name.clone(),
                    ObjectType {
                        description: None,
                        name: name.clone(),
                        implements_interfaces: implements,
                        directives: Default::default(),
                        fields: def.fields.clone(),
                    },
                ))
            }
            _ => None,
        })
        .collect()
}

/// Runs the client's operation over `data`. Returns the response `data` as a
/// serialized JSON object (`None` when null propagated to the root) and the
/// errors raised on the way. `introspection` answers `__schema`/`__type` from the
/// API schema.
pub fn project(
    ctx: &ProjectionSchema<'_>,
    operation: &ValidOperation,
    data: &Value,
    introspection: bool,
) -> (Option<Vec<u8>>, Vec<GraphQLError>) {
    project_authorized(ctx, operation, data, introspection, None)
}

/// [`project`], with the fields in `denied` (node addresses, see
/// [`crate::auth::directives::field_id`]) written as null: the caller may not
/// see them (their errors are raised before execution).
pub fn project_authorized(
    ctx: &ProjectionSchema<'_>,
    operation: &ValidOperation,
    data: &Value,
    introspection: bool,
    denied: Option<&std::collections::HashSet<usize>>,
) -> (Option<Vec<u8>>, Vec<GraphQLError>) {
    let empty = Object::new();
    let map = data.as_object().unwrap_or(&empty);
    if operation.has_schema_introspection {
        // Rare and not hot: apollo-compiler's executor over the JSON tree.
        let map = map.to_json();
        let (data, errors) = project_with_executor(ctx, operation, &map, introspection);
        let bytes = data.and_then(|d| serde_json::to_vec(&d).ok());
        return (bytes, errors);
    }
    let Some(op) = operation.operation() else {
        return (None, Vec::new());
    };
    let Some(root_type) = ctx.schema.get_object(op.object_type()) else {
        return (None, Vec::new());
    };
    // Field collection planned once per operation (and condition values).
    let plan = operation
        .collection
        .root(&operation.document, &operation.variables);
    let mut projector = Projector {
        schema: ctx.schema,
        implementers: ctx.implementers,
        stand_ins: ctx.stand_ins,
        document: &operation.document,
        collector: Collector {
            schema: ctx.schema,
            document: &operation.document,
            variables: &operation.variables,
        },
        out: Vec::with_capacity(4096),
        errors: Vec::new(),
        path: Vec::new(),
        denied: denied.filter(|d| !d.is_empty()),
    };
    let result = projector.object(root_type, map, &plan, Sets::Root(&op.selection_set));
    let Projector { out, errors, .. } = projector;
    (result.ok().map(|()| out), errors)
}

/// apollo-compiler's spec executor over `data` (used for introspection).
fn project_with_executor(
    ctx: &ProjectionSchema<'_>,
    operation: &ValidOperation,
    map: &JsonMap,
    introspection: bool,
) -> (Option<JsonMap>, Vec<GraphQLError>) {
    // `__Type.isOneOf`, which apollo-compiler's introspection lacks, is
    // answered around it.
    let rewritten = super::one_of_introspection::rewrite(ctx.schema, &operation.document);
    let document = rewritten.as_ref().unwrap_or(&operation.document);
    let Some(op) = operation.operation().and_then(|op| {
        document
            .operations
            .get(op.name.as_ref().map(|n| n.as_str()))
            .ok()
    }) else {
        return (None, Vec::new());
    };
    let root = DataObject {
        ctx,
        map,
        type_name: op.object_type().as_str(),
    };
    let result = Execution::new(ctx.schema, document)
        .operation(op)
        .implementers_map(ctx.implementers)
        .coerced_variable_values(&operation.variables)
        .enable_schema_introspection(introspection)
        .execute_sync(&root);
    match result {
        Ok(mut response) => {
            if rewritten.is_some()
                && let Some(data) = response.data.as_mut()
            {
                super::one_of_introspection::restore(ctx.schema, data);
            }
            (
                response.data,
                response.errors.into_iter().map(convert_error).collect(),
            )
        }
        Err(error) => (
            None,
            vec![GraphQLError::new(
                error.message().to_string(),
                crate::error::ErrorCode::InternalServerError,
            )],
        ),
    }
}

/// A null that must propagate to the nearest nullable position (spec §6.4.4).
struct PropagateNull;

/// A response path segment borrowed from the operation.
#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

struct Projector<'a> {
    schema: &'a Valid<Schema>,
    implementers: &'a HashMap<Name, Implementers>,
    stand_ins: &'a HashMap<Name, ObjectType>,
    document: &'a Valid<ExecutableDocument>,
    collector: Collector<'a>,
    out: Vec<u8>,
    errors: Vec<GraphQLError>,
    path: Vec<Segment<'a>>,
    denied: Option<&'a std::collections::HashSet<usize>>,
}

impl<'a> Projector<'a> {
    /// Writes the object `map` of type `object_type` with the fields selected by
    /// `sets` (the merged sub-selections of every field under one response
    /// key), collected at `group`.
    fn object(
        &mut self,
        object_type: &'a ObjectType,
        map: &'a Object,
        group: &'a Group,
        sets: Sets<'a>,
    ) -> Result<(), PropagateNull> {
        let collected = group.collected(&self.collector, object_type, sets);
        self.out.push(b'{');
        for (i, field) in collected.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            // Response keys are GraphQL names: nothing to escape.
            self.out.push(b'"');
            self.out.extend_from_slice(field.key.as_bytes());
            self.out.extend_from_slice(b"\":");
            if field.is_typename {
                write_json_str(&mut self.out, object_type.name.as_str());
                continue;
            }
            if let Some(denied) = self.denied
                && field
                    .fields
                    .iter()
                    .all(|f| denied.contains(&crate::auth::directives::field_id(f.as_ref())))
            {
                if field.def_ty.is_non_null() {
                    return Err(PropagateNull);
                }
                self.out.extend_from_slice(b"null");
                continue;
            }
            self.path.push(Segment::Key(field.key.as_str()));
            let start = self.out.len();
            let result = self.complete(
                &field.ty,
                field.named.as_ref(),
                super::merge::lookup(map, field.key.as_str()),
                field,
            );
            let result = self.nullify(&field.def_ty, start, result);
            self.path.pop();
            result?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// Turns a propagating null into `null` at a nullable position (truncating
    /// what was written since `start`); a non-null position propagates further.
    fn nullify(
        &mut self,
        ty: &Type,
        start: usize,
        result: Result<(), PropagateNull>,
    ) -> Result<(), PropagateNull> {
        match result {
            Err(PropagateNull) if !ty.is_non_null() => {
                self.out.truncate(start);
                self.out.extend_from_slice(b"null");
                Ok(())
            }
            other => other,
        }
    }

    /// Records a field error at the current path and starts null propagation.
    fn field_error(&mut self, message: String, field: &Field) -> PropagateNull {
        let location = field
            .name
            .location()
            .and_then(|span| span.line_column(&self.document.sources))
            .map(|lc| Location {
                line: lc.line,
                column: lc.column,
            });
        let path = self
            .path
            .iter()
            .map(|segment| match segment {
                Segment::Key(key) => PathSegment::Key((*key).to_string()),
                Segment::Index(index) => PathSegment::Index(*index),
            })
            .collect();
        self.errors.push(GraphQLError {
            message: client_message(message),
            locations: location.into_iter().collect(),
            path: Some(path),
            extensions: JsonMap::new(),
        });
        PropagateNull
    }

    /// CompleteValue (spec §6.4.3) of `value` for type `ty`, written to the output.
    fn complete(
        &mut self,
        ty: &'a Type,
        named: Option<&'a ExtendedType>,
        value: Option<&'a Value>,
        collected: &'a CollectedField,
    ) -> Result<(), PropagateNull> {
        let Some(field) = collected.fields.first() else {
            self.out.extend_from_slice(b"null");
            return Ok(());
        };
        let value = match value {
            Some(Value::Null) | None => None,
            Some(value) => Some(value),
        };
        let Some(value) = value else {
            if ty.is_non_null() {
                return Err(self.field_error(format!("non-null type {ty} resolved to null"), field));
            }
            self.out.extend_from_slice(b"null");
            return Ok(());
        };
        if let Value::Array(items) = value
            && ty.is_list()
        {
            let item_type = ty.item_type();
            let list_start = self.out.len();
            self.out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    self.out.push(b',');
                }
                self.path.push(Segment::Index(index));
                let start = self.out.len();
                let result = self.complete(item_type, named, Some(item), collected);
                let result = self.nullify(item_type, start, result);
                self.path.pop();
                if result.is_err() {
                    // A non-null item failed: the whole list is null (or propagates).
                    self.out.truncate(list_start);
                    return Err(PropagateNull);
                }
            }
            self.out.push(b']');
            return Ok(());
        }
        let ty_name = match ty {
            Type::List(_) | Type::NonNullList(_) => {
                return Err(
                    self.field_error(format!("list type {ty} resolved to an object"), field)
                );
            }
            Type::Named(name) | Type::NonNullNamed(name) => name,
        };
        let Some(ty_def) = named else {
            return Err(self.field_error(format!("undefined type {ty_name}"), field));
        };
        match (value, ty_def) {
            (
                Value::Object(map),
                ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_),
            ) => {
                let sets = Sets::Fields(&collected.fields);
                // Only looked for where `__typename` does not already name an
                // object type (it then wins: see `concrete_type`); this runs
                // per object.
                let known = super::merge::lookup(map, "__typename")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| self.schema.get_object(t).is_some());
                let aliased = if known {
                    None
                } else {
                    aliased_typename(sets, map, self.document)
                };
                let object_type = self.object_type(map, ty_name, ty_def, field, aliased)?;
                self.object(object_type, map, &collected.child, sets)
            }
            (leaf, _) => self.leaf(leaf, ty_name, ty_def, field),
        }
    }

    /// The concrete object type for `map` at a field of type `ty_name`, checked
    /// against that type as apollo-compiler's executor does.
    fn object_type(
        &mut self,
        map: &'a Object,
        ty_name: &'a Name,
        ty_def: &'a ExtendedType,
        field: &Field,
        aliased: Option<&'a str>,
    ) -> Result<&'a ObjectType, PropagateNull> {
        let resolved = concrete_type(
            self.schema,
            self.implementers,
            super::merge::lookup(map, "__typename").and_then(|t| t.as_str()),
            ty_name,
            aliased,
        );
        match ty_def {
            ExtendedType::Interface(_) | ExtendedType::Union(_) => {
                if resolved == ty_name.as_str()
                    && let Some(stand_in) = self.stand_ins.get(ty_name)
                {
                    return Ok(stand_in);
                }
                let Some(object_def) = self.schema.get_object(resolved) else {
                    return Err(self.field_error(
                        format!("resolver returned an object of type {resolved} not defined in the schema"),
                        field,
                    ));
                };
                if let ExtendedType::Union(union_def) = ty_def {
                    if !union_def.members.contains(resolved) {
                        return Err(self.field_error(
                            format!("resolver returned an object of type {resolved}, expected a member of union type {ty_name}"),
                            field,
                        ));
                    }
                } else if !object_def.implements_interfaces.contains(ty_name.as_str()) {
                    return Err(self.field_error(
                        format!("resolver returned an object of type {resolved} which does not implement interface {ty_name}"),
                        field,
                    ));
                }
                Ok(object_def)
            }
            ExtendedType::Object(def) if resolved == ty_name.as_str() => Ok(def),
            _ => Err(self.field_error(
                format!("resolver returned an object of type {resolved}, expected {ty_name}"),
                field,
            )),
        }
    }

    /// Result coercion of a leaf (spec §3.5 "Result Coercion" per scalar, §3.9 enums).
    fn leaf(
        &mut self,
        value: &'a Value,
        ty_name: &Name,
        ty_def: &ExtendedType,
        field: &Field,
    ) -> Result<(), PropagateNull> {
        let problem = match ty_def {
            ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_) => Some(
                format!("resolver returned a leaf value but expected an object for type {ty_name}"),
            ),
            ExtendedType::InputObject(_) => Some(format!("field with input object type {ty_name}")),
            // An enum value clients cannot see (`@inaccessible`, or known only
            // to the subgraph) is a field error (§3.9 result coercion: "raise
            // a field error"), and its name is not repeated to the client.
            ExtendedType::Enum(enum_def) => (!value
                .as_str()
                .is_some_and(|s| enum_def.values.contains_key(s)))
            .then(|| hidden_enum_message(ty_name)),
            ExtendedType::Scalar(_) => match ty_name.as_str() {
                "Int" => match value.as_i64() {
                    Some(int) if i32::try_from(int).is_ok() => None,
                    Some(_) => Some(format!("resolver returned {value} which overflows Int")),
                    None => Some(format!("resolver returned {value}, expected Int")),
                },
                // Integers are valid Floats (spec §3.5.2 result coercion): many
                // subgraphs (JavaScript's among them) write `1.0` as `1`.
                "Float" if !value.is_number() => {
                    Some(format!("resolver returned {value}, expected Float"))
                }
                "String" if !value.is_string() => {
                    Some(format!("resolver returned {value}, expected String"))
                }
                "Boolean" if !value.is_boolean() => {
                    Some(format!("resolver returned {value}, expected Boolean"))
                }
                "ID" if !(value.is_string() || value.is_i64()) => {
                    Some(format!("resolver returned {value}, expected ID"))
                }
                // Custom scalars pass through as any JSON value.
                _ => None,
            },
        };
        if let Some(message) = problem {
            return Err(self.field_error(message, field));
        }
        // A whole-number Float is written as a float (`100.0`), as the executor
        // path does.
        if ty_name == "Float"
            && !value.is_f64()
            && let Some(float) = value.as_f64()
        {
            if serde_json::to_writer(&mut self.out, &float).is_err() {
                self.out.extend_from_slice(b"null");
            }
            return Ok(());
        }
        value.write(&mut self.out);
        Ok(())
    }
}

/// The field error for a value that is not one of the API schema's values of
/// the enum `ty_name` (the value itself may be `@inaccessible`: not named).
fn hidden_enum_message(ty_name: &str) -> String {
    format!("the subgraph returned a value that is not a valid {ty_name}")
}

/// Writes `s` as a JSON string.
fn write_json_str(out: &mut Vec<u8>, s: &str) {
    super::store::write_str(out, s);
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
        Some(JsonValue::Object(map)) if is_composite(ctx.schema, ty.inner_named_type()) => {
            ResolvedValue::Object(Box::new(DataObject {
                ctx,
                map,
                type_name: concrete_type(
                    ctx.schema,
                    ctx.implementers,
                    map.get("__typename").and_then(|t| t.as_str()),
                    ty.inner_named_type(),
                    None,
                ),
            }))
        }
        Some(leaf) => {
            // As in the fast path: a field error that does not name the value.
            if let Some(ExtendedType::Enum(enum_)) = ctx.schema.types.get(ty.inner_named_type())
                && !leaf.as_str().is_some_and(|v| enum_.values.contains_key(v))
            {
                return Err(FieldError {
                    message: hidden_enum_message(ty.inner_named_type()),
                });
            }
            // Integers are valid Floats (as in the fast path); the executor wants f64.
            if ty.inner_named_type() == "Float"
                && !leaf.is_f64()
                && let Some(float) = leaf.as_f64()
            {
                return Ok(ResolvedValue::Leaf(JsonValue::from(float)));
            }
            ResolvedValue::Leaf(leaf.clone())
        }
    })
}

fn is_composite(schema: &Schema, name: &str) -> bool {
    matches!(
        schema.types.get(name),
        Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_))
    )
}

/// The runtime type an object carries under an aliased `__typename` the
/// selection asks for (top level, in inline fragments or in named ones), when
/// the fetch had no unaliased one.
fn aliased_typename<'a>(
    sets: Sets<'a>,
    map: &'a Object,
    document: &'a ExecutableDocument,
) -> Option<&'a str> {
    fn find<'a>(
        selections: &'a [Selection],
        map: &'a Object,
        document: &'a ExecutableDocument,
        depth: usize,
    ) -> Option<&'a str> {
        // Fragments cannot spread themselves (validation); the bound is a
        // second guard.
        if depth > 64 {
            return None;
        }
        selections.iter().find_map(|selection| match selection {
            Selection::Field(field) if field.name == "__typename" => field
                .alias
                .as_ref()
                .and_then(|alias| super::merge::lookup(map, alias.as_str()))
                .and_then(|t| t.as_str()),
            Selection::InlineFragment(fragment) => {
                find(&fragment.selection_set.selections, map, document, depth + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.fragment_name)
                .and_then(|f| find(&f.selection_set.selections, map, document, depth + 1)),
            _ => None,
        })
    }
    sets.iter()
        .find_map(|set| find(&set.selections, map, document, 0))
}

/// The concrete object type of an object whose `__typename` entry is
/// `typename` (a fetch that selected it only under the client's alias, `tn:
/// __typename`, carries it as `aliased`): its `__typename` when that names an object
/// type, else the declared type when it is one, else some implementation of the
/// abstract type (an `@interfaceObject` answer carries the interface's name).
/// An object whose `__typename` clients cannot see (an `@inaccessible` type, or
/// one only a subgraph knows) keeps that name: execution then nulls it with a
/// field error (see [`client_message`]).
fn concrete_type<'a>(
    schema: &'a Schema,
    implementers: &'a HashMap<Name, Implementers>,
    typename: Option<&'a str>,
    declared: &'a Name,
    aliased: Option<&'a str>,
) -> &'a str {
    // An interface object's `__typename` names the interface; the concrete type
    // fetched under an alias wins over it.
    for t in [typename, aliased].into_iter().flatten() {
        if schema.get_object(t).is_some() {
            return t;
        }
    }
    let reported = typename.or(aliased);
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

/// A schema ready for projection tests: operations validated against it and
/// projected over JSON data, by the fast path or the spec executor.
#[cfg(test)]
struct Fixture {
    schema: Valid<Schema>,
    types: ProjectionTypes,
}

#[cfg(test)]
impl Fixture {
    fn new(sdl: &str) -> Self {
        let schema = Schema::parse_and_validate(sdl, "schema.graphql").expect("schema");
        let types = ProjectionTypes::new(&schema);
        Fixture { schema, types }
    }

    fn ctx(&self) -> ProjectionSchema<'_> {
        self.types.with(&self.schema)
    }

    fn operation(&self, query: &str) -> ValidOperation {
        let limits = crate::config::LimitsConfig::default();
        let ast = crate::parse::parse(query, &limits).expect("parse");
        crate::validate::validate(&self.schema, ast, None, &JsonMap::new(), &limits, true)
            .expect("valid")
    }

    /// The fast path's `data` (as text) and errors.
    fn project(&self, query: &str, data: &Value) -> (Option<String>, Vec<GraphQLError>) {
        let (out, errors) = project(&self.ctx(), &self.operation(query), data, true);
        let out = out.map(|bytes| String::from_utf8(bytes).expect("utf-8"));
        (out, errors)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::validate::PreparedOperation;

    const SDL: &str = r#"
        type Query { me: User, users: [User!]!, node: Node, strict: User! }
        interface Node { id: ID! }
        type User implements Node { id: ID!, name: String!, nick: String, friends: [User!] }
        type Bot implements Node { id: ID!, model: String }
    "#;

    fn run(query: &str, data: serde_json::Value) -> serde_json::Value {
        let data: Value = serde_json::from_value(data).expect("json");
        let (data, errors) = Fixture::new(SDL).project(query, &data);
        let data: serde_json::Value = data
            .map(|text| serde_json::from_str(&text).expect("projection writes JSON"))
            .unwrap_or_default();
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
    fn an_interface_without_implementations_projects_its_own_fields() {
        const ORPHAN: &str = "type Query { node: Node } interface Node { id: ID! field: String }";
        let fixture = Fixture::new(ORPHAN);
        let data: Value =
            serde_json::from_value(serde_json::json!({"node": {"id": "n1", "field": "f"}}))
                .expect("json");
        for (query, expected) in [
            (
                "{ node { id field } }",
                r#"{"node":{"id":"n1","field":"f"}}"#,
            ),
            ("{ node { ... on Node { id } } }", r#"{"node":{"id":"n1"}}"#),
        ] {
            let (out, errors) = fixture.project(query, &data);
            assert!(errors.is_empty(), "{query}: {errors:?}");
            assert_eq!(out.as_deref(), Some(expected));
        }
    }

    #[test]
    fn integral_floats_are_floats() {
        const FLOATS: &str = "type Query { price: Float, prices: [Float!]! }";
        let fixture = Fixture::new(FLOATS);
        let data: Value =
            serde_json::from_value(serde_json::json!({"price": 1, "prices": [2, 2.5, -3]}))
                .expect("json");
        for query in [
            "{ price prices }",
            "{ price prices __schema { queryType { name } } }",
        ] {
            let (data, errors) = fixture.project(query, &data);
            assert!(errors.is_empty(), "{query}: {errors:?}");
            let data: serde_json::Value = serde_json::from_str(&data.expect("data")).expect("json");
            assert_eq!(data["price"].as_f64(), Some(1.0), "{query}");
            let prices: Vec<Option<f64>> = data["prices"]
                .as_array()
                .expect("list")
                .iter()
                .map(serde_json::Value::as_f64)
                .collect();
            assert_eq!(prices, vec![Some(2.0), Some(2.5), Some(-3.0)], "{query}");
        }
    }

    /// One prepared operation bound to `variables`.
    fn bind(
        fixture: &Fixture,
        prepared: &Arc<PreparedOperation>,
        variables: serde_json::Value,
    ) -> ValidOperation {
        let variables: JsonMap = serde_json::from_value(variables).expect("variables");
        prepared
            .bind(&fixture.schema, &variables)
            .expect("variables bind")
    }

    fn prepare(fixture: &Fixture, query: &str) -> Arc<PreparedOperation> {
        let limits = crate::config::LimitsConfig::default();
        let ast = crate::parse::parse(query, &limits).expect("parse");
        Arc::new(
            crate::validate::prepare(&fixture.schema, ast, None, &limits, true).expect("valid"),
        )
    }

    fn text(fixture: &Fixture, operation: &ValidOperation, data: &Value) -> String {
        let (out, errors) = project(&fixture.ctx(), operation, data, true);
        assert!(errors.is_empty(), "{errors:?}");
        String::from_utf8(out.expect("data")).expect("utf-8")
    }

    #[test]
    fn collection_is_planned_once_per_operation_and_condition_values() {
        let fixture = Fixture::new(SDL);
        let prepared = prepare(
            &fixture,
            "query($full: Boolean!) { users { id name @include(if: $full) friends @skip(if: $full) { id } } }",
        );
        let data: Value = serde_json::from_value(serde_json::json!({
            "users": [
                {"id": "1", "name": "Ada", "friends": [{"id": "2"}]},
                {"id": "2", "name": "Bob", "friends": []},
            ]
        }))
        .expect("json");
        let full = bind(&fixture, &prepared, serde_json::json!({"full": true}));
        let short = bind(&fixture, &prepared, serde_json::json!({"full": false}));
        // Alternating condition values: each request sees its own, however
        // the plans were filled before it.
        for _ in 0..2 {
            assert_eq!(
                text(&fixture, &full, &data),
                r#"{"users":[{"id":"1","name":"Ada"},{"id":"2","name":"Bob"}]}"#
            );
            assert_eq!(
                text(&fixture, &short, &data),
                r#"{"users":[{"id":"1","friends":[{"id":"2"}]},{"id":"2","friends":[]}]}"#
            );
        }
        // One plan per combination, reused by later requests.
        let plan = prepared
            .collection
            .root(&prepared.document, &full.variables);
        assert!(Arc::ptr_eq(
            &plan,
            &prepared
                .collection
                .root(&prepared.document, &full.variables)
        ));
        assert!(!Arc::ptr_eq(
            &plan,
            &prepared
                .collection
                .root(&prepared.document, &short.variables)
        ));
        assert_eq!(plan.types(), 1, "the root collected for Query once");
    }

    #[test]
    fn one_position_collects_each_concrete_type_it_meets() {
        let fixture = Fixture::new(
            "type Query { nodes: [Node!]! } interface Node { id: ID! }
             type User implements Node { id: ID!, name: String }
             type Bot implements Node { id: ID!, model: String }",
        );
        let prepared = prepare(
            &fixture,
            "{ nodes { id ... on User { name } ... on Bot { model } } }",
        );
        let operation = bind(&fixture, &prepared, serde_json::json!({}));
        let data: Value = serde_json::from_value(serde_json::json!({
            "nodes": [
                {"__typename": "User", "id": "1", "name": "Ada"},
                {"__typename": "Bot", "id": "2", "model": "T-1"},
                {"__typename": "User", "id": "3", "name": "Bob"},
            ]
        }))
        .expect("json");
        let expected = r#"{"nodes":[{"id":"1","name":"Ada"},{"id":"2","model":"T-1"},{"id":"3","name":"Bob"}]}"#;
        assert_eq!(text(&fixture, &operation, &data), expected);
        assert_eq!(text(&fixture, &operation, &data), expected);
        let plan = prepared
            .collection
            .root(&prepared.document, &operation.variables);
        let query = fixture.schema.get_object("Query").expect("Query");
        let Some(op) = prepared.operation() else {
            panic!("operation")
        };
        let collector = super::super::collect::Collector {
            schema: &fixture.schema,
            document: &prepared.document,
            variables: &operation.variables,
        };
        let root = plan.collected(&collector, query, Sets::Root(&op.selection_set));
        let nodes = root.first().expect("nodes");
        assert_eq!(nodes.child.types(), 2, "User and Bot, each once");
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

/// The fast projector against apollo-compiler's spec executor: same bytes, same
/// errors (message, path, locations), over a schema and data made to hit every
/// branch of completion.
#[cfg(test)]
mod equivalence {
    use super::*;

    const SDL: &str = r#"
        type Query {
          me: User
          users: [User!]!
          maybeUsers: [User]
          node: Node
          nodes: [Node!]
          strict: User!
          search: [Result!]
          color: Color
          colors: [Color!]
          int: Int
          float: Float
          bool: Boolean
          str: String!
          id: ID
          json: JSON
          matrix: [[Int!]]
        }
        scalar JSON
        enum Color { RED GREEN }
        interface Node { id: ID! }
        union Result = User | Bot
        type User implements Node { id: ID!, name: String!, nick: String, friends: [User!], best: User, color: Color! }
        type Bot implements Node { id: ID!, model: String, owner: User! }
        type Ghost { id: ID }
    "#;

    const DATA: &str = r#"{
        "me": {"__typename": "User", "id": "1", "name": "Ada", "nick": null, "color": "RED",
               "friends": [{"id": "2", "name": "Bob", "color": "BLUE"}, {"id": "3", "name": null, "color": "GREEN"}],
               "best": {"id": "2", "name": null, "color": "RED"}},
        "users": [{"__typename": "User", "id": "1", "name": "Ada", "color": "GREEN"}, {"id": "2", "name": "Bob", "color": "RED", "nick": "b"}],
        "maybeUsers": [{"id": "1", "name": null}, null, {"id": "3", "name": "C", "color": "RED"}],
        "node": {"__typename": "Bot", "id": "b1", "model": "T", "owner": {"id": "1", "name": "Ada", "color": "RED"}},
        "nodes": [{"__typename": "User", "id": "1", "name": "Ada", "color": "RED"}, {"__typename": "Ghost", "id": "g"}, {"__typename": "Bot", "id": "b", "owner": null}],
        "strict": {"id": "9", "name": "Z", "color": "GREEN"},
        "search": [{"__typename": "Bot", "id": "b", "model": "M"}, {"__typename": "User", "id": "1", "name": "N", "color": "RED"}],
        "color": "PURPLE",
        "colors": ["RED", "GREEN"],
        "int": 3000000000,
        "float": "1.5",
        "bool": "yes",
        "str": 5,
        "id": 7,
        "json": {"any": ["thing", 1, null]},
        "matrix": [[1, 2], [3, null], [4]]
    }"#;

    const QUERIES: &[&str] = &[
        "{ me { id name nick color friends { id name color } best { id name } } }",
        "{ users { id name nick color } }",
        "{ maybeUsers { id name } }",
        "{ node { id __typename ... on Bot { model owner { name } } ... on User { name } } }",
        "{ nodes { id ... on User { name } ... on Bot { owner { id } } } }",
        "{ strict { id name } users { id } }",
        "{ search { __typename ... on User { name color } ... on Bot { model } } }",
        "{ color colors int float bool }",
        "{ str }",
        "{ id json matrix }",
        "{ a: me { x: id y: name } b: me { x: id } me { ...F ...F } } fragment F on User { id nick }",
        "{ me { id } me { name friends { id } } me { friends { name } } }",
        "query { me { id @skip(if: true) name @include(if: false) nick ... @include(if: true) { color } } }",
        "{ __typename me { __typename } node { __typename } }",
    ];

    fn both(query: &str) -> (String, String) {
        let fixture = Fixture::new(SDL);
        // The fast path over the store as a subgraph body parses into it; the
        // reference over the JSON tree.
        let data = crate::execute::store::parse(DATA.as_bytes()).expect("json");
        let (fast, fast_errors) = fixture.project(query, &data);
        let json: JsonValue = serde_json::from_str(DATA).expect("json");
        let map = json.as_object().expect("object");
        let (reference, reference_errors) =
            project_with_executor(&fixture.ctx(), &fixture.operation(query), map, true);
        let render = |data: Option<String>, errors: &[GraphQLError]| {
            format!(
                "data: {}\nerrors: {}",
                data.unwrap_or_else(|| "null".into()),
                serde_json::to_string(errors).expect("json")
            )
        };
        (
            render(fast, &fast_errors),
            render(
                reference.map(|m| serde_json::to_string(&m).expect("json")),
                &reference_errors,
            ),
        )
    }

    #[test]
    fn fast_projection_matches_the_spec_executor() {
        for query in QUERIES {
            let (fast, reference) = both(query);
            assert_eq!(fast, reference, "query: {query}");
        }
    }
}
