//! Schema diff: two API schemas → a list of [`Change`]s, each classified
//! [`Criticality::Breaking`] / [`Criticality::Dangerous`] / [`Criticality::Safe`] with a
//! stable rule name.
//!
//! Rule names and classifications follow graphql-inspector's vocabulary
//! (<https://the-guild.dev/graphql/inspector/docs/essentials/diff>), so CI output reads
//! the same as there. Type changes follow its safety rules: on output fields, making a
//! type stricter (`String` → `String!`) is safe; on inputs and arguments, making it
//! looser (`String!` → `String`) is safe; anything else is breaking.

use std::collections::BTreeSet;
use std::fmt;

use apollo_compiler::Schema;
use apollo_compiler::ast::{self, DirectiveList, Type};
use apollo_compiler::schema::{Component, ExtendedType};
use apollo_compiler::{Name, Node};
use serde::Serialize;

/// How much a change can hurt existing clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Criticality {
    /// Existing operations may stop working.
    Breaking,
    /// Existing operations keep validating but may behave differently (e.g. a new enum
    /// value a client's exhaustive `switch` does not handle).
    Dangerous,
    /// Backwards compatible.
    Safe,
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Criticality::Breaking => "breaking",
            Criticality::Dangerous => "dangerous",
            Criticality::Safe => "safe",
        })
    }
}

macro_rules! change_kinds {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// The rule a change falls under; [`ChangeKind::code`] is its stable name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum ChangeKind {
            $( $(#[$doc])* $variant, )*
        }

        impl ChangeKind {
            /// The stable rule name, e.g. `FIELD_REMOVED`.
            pub fn code(self) -> &'static str {
                match self { $( ChangeKind::$variant => $code, )* }
            }

            /// Every kind, for documentation and tests.
            pub const ALL: &'static [ChangeKind] = &[ $( ChangeKind::$variant, )* ];
        }
    };
}

change_kinds! {
    /// A type was removed (breaking).
    TypeRemoved = "TYPE_REMOVED",
    /// A type was added (safe).
    TypeAdded = "TYPE_ADDED",
    /// A type changed kind, e.g. object → interface (breaking).
    TypeKindChanged = "TYPE_KIND_CHANGED",
    /// A type's description changed (safe).
    TypeDescriptionChanged = "TYPE_DESCRIPTION_CHANGED",
    /// An object or interface field was removed (breaking).
    FieldRemoved = "FIELD_REMOVED",
    /// An object or interface field was added (safe).
    FieldAdded = "FIELD_ADDED",
    /// An output field's type changed (breaking unless only made non-null).
    FieldTypeChanged = "FIELD_TYPE_CHANGED",
    /// A field's description changed (safe).
    FieldDescriptionChanged = "FIELD_DESCRIPTION_CHANGED",
    /// A field was deprecated (safe).
    FieldDeprecationAdded = "FIELD_DEPRECATION_ADDED",
    /// A field's deprecation was lifted (safe).
    FieldDeprecationRemoved = "FIELD_DEPRECATION_REMOVED",
    /// A field's deprecation reason changed (safe).
    FieldDeprecationReasonChanged = "FIELD_DEPRECATION_REASON_CHANGED",
    /// An argument was added (breaking when required, dangerous otherwise).
    FieldArgumentAdded = "FIELD_ARGUMENT_ADDED",
    /// An argument was removed (breaking).
    FieldArgumentRemoved = "FIELD_ARGUMENT_REMOVED",
    /// An argument's type changed (breaking unless only made nullable).
    FieldArgumentTypeChanged = "FIELD_ARGUMENT_TYPE_CHANGED",
    /// An argument's default value changed (dangerous).
    FieldArgumentDefaultChanged = "FIELD_ARGUMENT_DEFAULT_CHANGED",
    /// An argument's description changed (safe).
    FieldArgumentDescriptionChanged = "FIELD_ARGUMENT_DESCRIPTION_CHANGED",
    /// An input field was removed (breaking).
    InputFieldRemoved = "INPUT_FIELD_REMOVED",
    /// An input field was added (breaking when required, safe otherwise).
    InputFieldAdded = "INPUT_FIELD_ADDED",
    /// An input field's type changed (breaking unless only made nullable).
    InputFieldTypeChanged = "INPUT_FIELD_TYPE_CHANGED",
    /// An input field's default value changed (dangerous).
    InputFieldDefaultValueChanged = "INPUT_FIELD_DEFAULT_VALUE_CHANGED",
    /// An input field's description changed (safe).
    InputFieldDescriptionChanged = "INPUT_FIELD_DESCRIPTION_CHANGED",
    /// An enum value was removed (breaking).
    EnumValueRemoved = "ENUM_VALUE_REMOVED",
    /// An enum value was added (dangerous).
    EnumValueAdded = "ENUM_VALUE_ADDED",
    /// An enum value was deprecated (safe).
    EnumValueDeprecationAdded = "ENUM_VALUE_DEPRECATION_REASON_ADDED",
    /// An enum value's deprecation was lifted (safe).
    EnumValueDeprecationRemoved = "ENUM_VALUE_DEPRECATION_REASON_REMOVED",
    /// An enum value's description changed (safe).
    EnumValueDescriptionChanged = "ENUM_VALUE_DESCRIPTION_CHANGED",
    /// A union member was removed (breaking).
    UnionMemberRemoved = "UNION_MEMBER_REMOVED",
    /// A union member was added (dangerous).
    UnionMemberAdded = "UNION_MEMBER_ADDED",
    /// An object or interface stopped implementing an interface (breaking).
    ObjectTypeInterfaceRemoved = "OBJECT_TYPE_INTERFACE_REMOVED",
    /// An object or interface started implementing an interface (dangerous).
    ObjectTypeInterfaceAdded = "OBJECT_TYPE_INTERFACE_ADDED",
    /// A directive was removed (breaking).
    DirectiveRemoved = "DIRECTIVE_REMOVED",
    /// A directive was added (safe).
    DirectiveAdded = "DIRECTIVE_ADDED",
    /// A directive location was removed (breaking).
    DirectiveLocationRemoved = "DIRECTIVE_LOCATION_REMOVED",
    /// A directive location was added (safe).
    DirectiveLocationAdded = "DIRECTIVE_LOCATION_ADDED",
    /// A directive argument was added (breaking when required, safe otherwise).
    DirectiveArgumentAdded = "DIRECTIVE_ARGUMENT_ADDED",
    /// A directive argument was removed (breaking).
    DirectiveArgumentRemoved = "DIRECTIVE_ARGUMENT_REMOVED",
    /// A directive argument's type changed (breaking unless only made nullable).
    DirectiveArgumentTypeChanged = "DIRECTIVE_ARGUMENT_TYPE_CHANGED",
    /// A directive argument's default value changed (dangerous).
    DirectiveArgumentDefaultValueChanged = "DIRECTIVE_ARGUMENT_DEFAULT_VALUE_CHANGED",
    /// A directive became non-repeatable (breaking).
    DirectiveRepeatableRemoved = "DIRECTIVE_REPEATABLE_REMOVED",
    /// A directive became repeatable (safe).
    DirectiveRepeatableAdded = "DIRECTIVE_REPEATABLE_ADDED",
    /// The query root type changed (breaking).
    SchemaQueryTypeChanged = "SCHEMA_QUERY_TYPE_CHANGED",
    /// The mutation root type changed (breaking).
    SchemaMutationTypeChanged = "SCHEMA_MUTATION_TYPE_CHANGED",
    /// The subscription root type changed (breaking).
    SchemaSubscriptionTypeChanged = "SCHEMA_SUBSCRIPTION_TYPE_CHANGED",
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for ChangeKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// One difference between two schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The rule (stable name via [`ChangeKind::code`]).
    pub kind: ChangeKind,
    /// Breaking, dangerous or safe.
    pub criticality: Criticality,
    /// The schema coordinate changed: `Type`, `Type.field`, `Type.field(arg:)`,
    /// `Enum.VALUE`, `Input.field`, `@directive`, `@directive(arg:)`; for a union member
    /// `Union.Member`, for an interface `Type.Interface`.
    pub path: String,
    /// Human-readable message.
    pub message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<9} {} {}: {}",
            self.criticality, self.kind, self.path, self.message
        )
    }
}

/// Why two SDLs could not be diffed.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// One side is not a valid schema.
    #[error("the {side} schema is invalid:\n{errors}")]
    InvalidSchema {
        /// `old` or `new`.
        side: &'static str,
        /// The validation errors.
        errors: String,
    },
}

/// Diffs two API schema SDLs (parsed and validated with apollo-compiler).
pub fn diff_sdl(old_sdl: &str, new_sdl: &str) -> Result<Vec<Change>, DiffError> {
    let old = Schema::parse_and_validate(old_sdl, "old.graphql").map_err(|e| {
        DiffError::InvalidSchema {
            side: "old",
            errors: e.errors.to_string(),
        }
    })?;
    let new = Schema::parse_and_validate(new_sdl, "new.graphql").map_err(|e| {
        DiffError::InvalidSchema {
            side: "new",
            errors: e.errors.to_string(),
        }
    })?;
    Ok(diff(&old, &new))
}

/// Diffs two schemas. Changes come in a stable order: schema roots, then types by
/// name (removed, changed, added), then directives by name.
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut d = Differ::default();
    d.roots(old, new);

    let names: BTreeSet<&Name> = old
        .types
        .keys()
        .chain(new.types.keys())
        .filter(|n| !n.starts_with("__"))
        .collect();
    for name in names {
        match (old.types.get(name), new.types.get(name)) {
            (Some(o), None) if !o.is_built_in() => d.push(
                ChangeKind::TypeRemoved,
                Criticality::Breaking,
                name.to_string(),
                format!("type `{name}` was removed"),
            ),
            (None, Some(n)) if !n.is_built_in() => d.push(
                ChangeKind::TypeAdded,
                Criticality::Safe,
                name.to_string(),
                format!("type `{name}` was added"),
            ),
            (Some(o), Some(n)) => d.ty(name, o, n),
            _ => {}
        }
    }

    let directives: BTreeSet<&Name> = old
        .directive_definitions
        .keys()
        .chain(new.directive_definitions.keys())
        .collect();
    for name in directives {
        match (
            old.directive_definitions.get(name),
            new.directive_definitions.get(name),
        ) {
            (Some(_), None) => d.push(
                ChangeKind::DirectiveRemoved,
                Criticality::Breaking,
                format!("@{name}"),
                format!("directive `@{name}` was removed"),
            ),
            (None, Some(_)) => d.push(
                ChangeKind::DirectiveAdded,
                Criticality::Safe,
                format!("@{name}"),
                format!("directive `@{name}` was added"),
            ),
            (Some(o), Some(n)) => d.directive(name, o, n),
            (None, None) => {}
        }
    }
    d.changes
}

/// The rule names and criticality [`Differ::arguments`] reports with.
struct ArgumentKinds {
    removed: ChangeKind,
    added: ChangeKind,
    optional_added: Criticality,
    /// Type changed, default changed, description changed.
    changed: [ChangeKind; 3],
}

#[derive(Default)]
struct Differ {
    changes: Vec<Change>,
}

impl Differ {
    fn push(&mut self, kind: ChangeKind, criticality: Criticality, path: String, message: String) {
        self.changes.push(Change {
            kind,
            criticality,
            path,
            message,
        });
    }

    fn roots(&mut self, old: &Schema, new: &Schema) {
        let pairs = [
            (
                ast::OperationType::Query,
                ChangeKind::SchemaQueryTypeChanged,
            ),
            (
                ast::OperationType::Mutation,
                ChangeKind::SchemaMutationTypeChanged,
            ),
            (
                ast::OperationType::Subscription,
                ChangeKind::SchemaSubscriptionTypeChanged,
            ),
        ];
        for (operation, kind) in pairs {
            let o = old.root_operation(operation).map(|n| n.to_string());
            let n = new.root_operation(operation).map(|n| n.to_string());
            if o != n {
                // A root appearing where there was none is an addition, not a break.
                let criticality = if o.is_none() {
                    Criticality::Safe
                } else {
                    Criticality::Breaking
                };
                let show = |t: &Option<String>| t.clone().unwrap_or_else(|| "(none)".into());
                self.push(
                    kind,
                    criticality,
                    "schema".into(),
                    format!(
                        "{} root type changed from `{}` to `{}`",
                        operation.name(),
                        show(&o),
                        show(&n)
                    ),
                );
            }
        }
    }

    fn ty(&mut self, name: &Name, old: &ExtendedType, new: &ExtendedType) {
        if kind_name(old) != kind_name(new) {
            self.push(
                ChangeKind::TypeKindChanged,
                Criticality::Breaking,
                name.to_string(),
                format!(
                    "`{name}` changed from {} to {}",
                    kind_name(old),
                    kind_name(new)
                ),
            );
            return;
        }
        if description(old.description()) != description(new.description()) {
            self.push(
                ChangeKind::TypeDescriptionChanged,
                Criticality::Safe,
                name.to_string(),
                format!("description of `{name}` changed"),
            );
        }
        match (old, new) {
            (ExtendedType::Object(o), ExtendedType::Object(n)) => {
                self.interfaces(name, &o.implements_interfaces, &n.implements_interfaces);
                self.fields(name, &o.fields, &n.fields);
            }
            (ExtendedType::Interface(o), ExtendedType::Interface(n)) => {
                self.interfaces(name, &o.implements_interfaces, &n.implements_interfaces);
                self.fields(name, &o.fields, &n.fields);
            }
            (ExtendedType::Union(o), ExtendedType::Union(n)) => {
                for member in o.members.iter().filter(|m| !n.members.contains(*m)) {
                    self.push(
                        ChangeKind::UnionMemberRemoved,
                        Criticality::Breaking,
                        format!("{name}.{}", member.name),
                        format!("`{}` was removed from union `{name}`", member.name),
                    );
                }
                for member in n.members.iter().filter(|m| !o.members.contains(*m)) {
                    self.push(
                        ChangeKind::UnionMemberAdded,
                        Criticality::Dangerous,
                        format!("{name}.{}", member.name),
                        format!("`{}` was added to union `{name}`", member.name),
                    );
                }
            }
            (ExtendedType::Enum(o), ExtendedType::Enum(n)) => {
                for (value, def) in &o.values {
                    let path = format!("{name}.{value}");
                    let Some(new_def) = n.values.get(value) else {
                        self.push(
                            ChangeKind::EnumValueRemoved,
                            Criticality::Breaking,
                            path,
                            format!("enum value `{value}` was removed from `{name}`"),
                        );
                        continue;
                    };
                    if description(def.description.as_ref())
                        != description(new_def.description.as_ref())
                    {
                        self.push(
                            ChangeKind::EnumValueDescriptionChanged,
                            Criticality::Safe,
                            path.clone(),
                            format!("description of `{path}` changed"),
                        );
                    }
                    match (
                        deprecation(&def.directives),
                        deprecation(&new_def.directives),
                    ) {
                        (None, Some(_)) => self.push(
                            ChangeKind::EnumValueDeprecationAdded,
                            Criticality::Safe,
                            path.clone(),
                            format!("`{path}` was deprecated"),
                        ),
                        (Some(_), None) => self.push(
                            ChangeKind::EnumValueDeprecationRemoved,
                            Criticality::Safe,
                            path.clone(),
                            format!("`{path}` is no longer deprecated"),
                        ),
                        _ => {}
                    }
                }
                for value in n.values.keys().filter(|v| !o.values.contains_key(*v)) {
                    self.push(
                        ChangeKind::EnumValueAdded,
                        Criticality::Dangerous,
                        format!("{name}.{value}"),
                        format!("enum value `{value}` was added to `{name}`"),
                    );
                }
            }
            (ExtendedType::InputObject(o), ExtendedType::InputObject(n)) => {
                for (field, def) in &o.fields {
                    let path = format!("{name}.{field}");
                    match n.fields.get(field) {
                        None => self.push(
                            ChangeKind::InputFieldRemoved,
                            Criticality::Breaking,
                            path,
                            format!("input field `{field}` was removed from `{name}`"),
                        ),
                        Some(new_def) => self.input_value(
                            &path,
                            def,
                            new_def,
                            [
                                ChangeKind::InputFieldTypeChanged,
                                ChangeKind::InputFieldDefaultValueChanged,
                                ChangeKind::InputFieldDescriptionChanged,
                            ],
                        ),
                    }
                }
                for (field, def) in n.fields.iter().filter(|(f, _)| !o.fields.contains_key(*f)) {
                    let required = is_required(def);
                    self.push(
                        ChangeKind::InputFieldAdded,
                        if required {
                            Criticality::Breaking
                        } else {
                            Criticality::Safe
                        },
                        format!("{name}.{field}"),
                        format!(
                            "{} input field `{field}` was added to `{name}`",
                            if required { "required" } else { "optional" }
                        ),
                    );
                }
            }
            _ => {}
        }
    }

    fn interfaces(
        &mut self,
        name: &Name,
        old: &apollo_compiler::collections::IndexSet<apollo_compiler::schema::ComponentName>,
        new: &apollo_compiler::collections::IndexSet<apollo_compiler::schema::ComponentName>,
    ) {
        for i in old.iter().filter(|i| !new.contains(*i)) {
            self.push(
                ChangeKind::ObjectTypeInterfaceRemoved,
                Criticality::Breaking,
                format!("{name}.{}", i.name),
                format!("`{name}` no longer implements interface `{}`", i.name),
            );
        }
        for i in new.iter().filter(|i| !old.contains(*i)) {
            self.push(
                ChangeKind::ObjectTypeInterfaceAdded,
                Criticality::Dangerous,
                format!("{name}.{}", i.name),
                format!("`{name}` now implements interface `{}`", i.name),
            );
        }
    }

    fn fields(
        &mut self,
        type_name: &Name,
        old: &apollo_compiler::collections::IndexMap<Name, Component<ast::FieldDefinition>>,
        new: &apollo_compiler::collections::IndexMap<Name, Component<ast::FieldDefinition>>,
    ) {
        for (name, o) in old {
            let path = format!("{type_name}.{name}");
            let Some(n) = new.get(name) else {
                let deprecated = if deprecation(&o.directives).is_some() {
                    " (it was deprecated)"
                } else {
                    ""
                };
                self.push(
                    ChangeKind::FieldRemoved,
                    Criticality::Breaking,
                    path,
                    format!("field `{name}` was removed from `{type_name}`{deprecated}"),
                );
                continue;
            };
            if o.ty != n.ty {
                let safe = is_safe_output_change(&o.ty, &n.ty);
                self.push(
                    ChangeKind::FieldTypeChanged,
                    if safe {
                        Criticality::Safe
                    } else {
                        Criticality::Breaking
                    },
                    path.clone(),
                    format!("`{path}` changed type from `{}` to `{}`", o.ty, n.ty),
                );
            }
            if description(o.description.as_ref()) != description(n.description.as_ref()) {
                self.push(
                    ChangeKind::FieldDescriptionChanged,
                    Criticality::Safe,
                    path.clone(),
                    format!("description of `{path}` changed"),
                );
            }
            match (deprecation(&o.directives), deprecation(&n.directives)) {
                (None, Some(_)) => self.push(
                    ChangeKind::FieldDeprecationAdded,
                    Criticality::Safe,
                    path.clone(),
                    format!("`{path}` was deprecated"),
                ),
                (Some(_), None) => self.push(
                    ChangeKind::FieldDeprecationRemoved,
                    Criticality::Safe,
                    path.clone(),
                    format!("`{path}` is no longer deprecated"),
                ),
                (Some(a), Some(b)) if a != b => self.push(
                    ChangeKind::FieldDeprecationReasonChanged,
                    Criticality::Safe,
                    path.clone(),
                    format!("deprecation reason of `{path}` changed"),
                ),
                _ => {}
            }
            self.arguments(
                &path,
                &o.arguments,
                &n.arguments,
                ArgumentKinds {
                    removed: ChangeKind::FieldArgumentRemoved,
                    added: ChangeKind::FieldArgumentAdded,
                    optional_added: Criticality::Dangerous,
                    changed: [
                        ChangeKind::FieldArgumentTypeChanged,
                        ChangeKind::FieldArgumentDefaultChanged,
                        ChangeKind::FieldArgumentDescriptionChanged,
                    ],
                },
            );
        }
        for name in new.keys().filter(|n| !old.contains_key(*n)) {
            self.push(
                ChangeKind::FieldAdded,
                Criticality::Safe,
                format!("{type_name}.{name}"),
                format!("field `{name}` was added to `{type_name}`"),
            );
        }
    }

    /// Arguments of a field or directive at `path`: removed, added (breaking when
    /// required, `kinds.optional_added` otherwise) and changed.
    fn arguments(
        &mut self,
        path: &str,
        old: &[Node<ast::InputValueDefinition>],
        new: &[Node<ast::InputValueDefinition>],
        kinds: ArgumentKinds,
    ) {
        for arg in old {
            let arg_path = format!("{path}({}:)", arg.name);
            match new.iter().find(|a| a.name == arg.name) {
                None => self.push(
                    kinds.removed,
                    Criticality::Breaking,
                    arg_path,
                    format!("argument `{}` was removed from `{path}`", arg.name),
                ),
                Some(new_arg) => self.input_value(&arg_path, arg, new_arg, kinds.changed),
            }
        }
        for arg in new.iter().filter(|a| !old.iter().any(|o| o.name == a.name)) {
            let required = is_required(arg);
            self.push(
                kinds.added,
                if required {
                    Criticality::Breaking
                } else {
                    kinds.optional_added
                },
                format!("{path}({}:)", arg.name),
                format!(
                    "{} argument `{}` was added to `{path}`",
                    if required { "required" } else { "optional" },
                    arg.name
                ),
            );
        }
    }

    /// An argument or input field present on both sides. `kinds`: type changed,
    /// default changed, description changed.
    fn input_value(
        &mut self,
        path: &str,
        old: &ast::InputValueDefinition,
        new: &ast::InputValueDefinition,
        kinds: [ChangeKind; 3],
    ) {
        if old.ty != new.ty {
            let safe = is_safe_input_change(&old.ty, &new.ty);
            self.push(
                kinds[0],
                if safe {
                    Criticality::Safe
                } else {
                    Criticality::Breaking
                },
                path.to_string(),
                format!("`{path}` changed type from `{}` to `{}`", old.ty, new.ty),
            );
        }
        let show = |v: &Option<Node<ast::Value>>| v.as_ref().map(|v| v.to_string());
        let (o, n) = (show(&old.default_value), show(&new.default_value));
        if o != n {
            let show = |v: Option<String>| v.unwrap_or_else(|| "none".into());
            self.push(
                kinds[1],
                Criticality::Dangerous,
                path.to_string(),
                format!(
                    "default value of `{path}` changed from {} to {}",
                    show(o),
                    show(n)
                ),
            );
        }
        if description(old.description.as_ref()) != description(new.description.as_ref()) {
            self.push(
                kinds[2],
                Criticality::Safe,
                path.to_string(),
                format!("description of `{path}` changed"),
            );
        }
    }

    fn directive(
        &mut self,
        name: &Name,
        old: &ast::DirectiveDefinition,
        new: &ast::DirectiveDefinition,
    ) {
        let path = format!("@{name}");
        for location in old.locations.iter().filter(|l| !new.locations.contains(l)) {
            self.push(
                ChangeKind::DirectiveLocationRemoved,
                Criticality::Breaking,
                path.clone(),
                format!("location {location} was removed from `{path}`"),
            );
        }
        for location in new.locations.iter().filter(|l| !old.locations.contains(l)) {
            self.push(
                ChangeKind::DirectiveLocationAdded,
                Criticality::Safe,
                path.clone(),
                format!("location {location} was added to `{path}`"),
            );
        }
        if old.repeatable && !new.repeatable {
            self.push(
                ChangeKind::DirectiveRepeatableRemoved,
                Criticality::Breaking,
                path.clone(),
                format!("`{path}` is no longer repeatable"),
            );
        } else if !old.repeatable && new.repeatable {
            self.push(
                ChangeKind::DirectiveRepeatableAdded,
                Criticality::Safe,
                path.clone(),
                format!("`{path}` is now repeatable"),
            );
        }
        self.arguments(
            &path,
            &old.arguments,
            &new.arguments,
            ArgumentKinds {
                removed: ChangeKind::DirectiveArgumentRemoved,
                added: ChangeKind::DirectiveArgumentAdded,
                optional_added: Criticality::Safe,
                changed: [
                    ChangeKind::DirectiveArgumentTypeChanged,
                    ChangeKind::DirectiveArgumentDefaultValueChanged,
                    ChangeKind::FieldArgumentDescriptionChanged,
                ],
            },
        );
    }
}

fn kind_name(ty: &ExtendedType) -> &'static str {
    match ty {
        ExtendedType::Scalar(_) => "scalar",
        ExtendedType::Object(_) => "object",
        ExtendedType::Interface(_) => "interface",
        ExtendedType::Union(_) => "union",
        ExtendedType::Enum(_) => "enum",
        ExtendedType::InputObject(_) => "input object",
    }
}

fn description(d: Option<&Node<str>>) -> Option<&str> {
    d.map(|d| d.trim())
}

/// The deprecation reason (default "No longer supported") when `@deprecated`.
fn deprecation(directives: &DirectiveList) -> Option<String> {
    directives.get("deprecated").map(|d| {
        d.specified_argument_by_name("reason")
            .and_then(|v| v.as_str())
            .unwrap_or("No longer supported")
            .to_string()
    })
}

fn is_required(value: &ast::InputValueDefinition) -> bool {
    value.ty.is_non_null() && value.default_value.is_none()
}

/// Output positions: the new type may be stricter (more non-null), nothing else.
fn is_safe_output_change(old: &Type, new: &Type) -> bool {
    match (old, new) {
        (Type::Named(o), Type::Named(n) | Type::NonNullNamed(n)) => o == n,
        (Type::NonNullNamed(o), Type::NonNullNamed(n)) => o == n,
        (Type::List(o), Type::List(n) | Type::NonNullList(n)) => is_safe_output_change(o, n),
        (Type::NonNullList(o), Type::NonNullList(n)) => is_safe_output_change(o, n),
        _ => false,
    }
}

/// Input positions: the new type may be looser (less non-null), nothing else.
fn is_safe_input_change(old: &Type, new: &Type) -> bool {
    match (old, new) {
        (Type::Named(o) | Type::NonNullNamed(o), Type::Named(n)) => o == n,
        (Type::NonNullNamed(o), Type::NonNullNamed(n)) => o == n,
        (Type::List(o) | Type::NonNullList(o), Type::List(n)) => is_safe_input_change(o, n),
        (Type::NonNullList(o), Type::NonNullList(n)) => is_safe_input_change(o, n),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        match Type::parse(s, "t.graphql") {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn output_type_changes_safe_only_when_stricter() {
        assert!(is_safe_output_change(&ty("String"), &ty("String!")));
        assert!(is_safe_output_change(&ty("[String]"), &ty("[String!]!")));
        assert!(!is_safe_output_change(&ty("String!"), &ty("String")));
        assert!(!is_safe_output_change(&ty("String"), &ty("Int")));
        assert!(!is_safe_output_change(&ty("String"), &ty("[String]")));
    }

    #[test]
    fn input_type_changes_safe_only_when_looser() {
        assert!(is_safe_input_change(&ty("String!"), &ty("String")));
        assert!(is_safe_input_change(&ty("[String!]!"), &ty("[String]")));
        assert!(!is_safe_input_change(&ty("String"), &ty("String!")));
        assert!(!is_safe_input_change(&ty("ID"), &ty("String")));
    }

    #[test]
    fn rule_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in ChangeKind::ALL {
            assert!(seen.insert(kind.code()), "duplicate {}", kind.code());
        }
    }
}
