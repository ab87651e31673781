//! Federation SDL details async-graphql does not cover.
//!
//! async-graphql 7.2 exports a fixed `@link` to federation v2.5 whose import
//! list lacks `@authenticated`, and has no attribute for it. We declare
//! [`authenticated`] as a custom type directive (so resolvers can be annotated
//! in Rust) and rewrite the exported SDL so that `@authenticated` is imported
//! from the federation spec instead of defined locally. [`SdlFixup`] applies the
//! same rewrite to `_service { sdl }`, so composition sees the standard form.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, TypeDirective, Value};

// `@authenticated` (federation v2.5): the field needs a signed-in user. The
// resolver still checks it itself; this only declares it for composition and
// the router. (A plain comment: a doc comment would be exported as the
// directive's description, left behind when the definition is removed.)
#[TypeDirective(location = "FieldDefinition", location = "Object")]
pub fn authenticated() {}

const IMPORT_TAIL: &str = "\"@requiresScopes\"]";

/// Rewrites async-graphql's federation SDL into the standard form.
pub fn fix_federation_sdl(sdl: &str) -> String {
    let mut out = String::with_capacity(sdl.len() + 32);
    for line in sdl.lines() {
        if line.trim_start().starts_with("directive @authenticated ") {
            continue;
        }
        if line.contains("import: [") && line.trim_end().ends_with(IMPORT_TAIL) {
            out.push_str(line.trim_end().trim_end_matches(']'));
            out.push_str(", \"@authenticated\"]");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    // Collapse the blank lines left behind by removed definitions.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out
}

/// Applies [`fix_federation_sdl`] to `Query._service.sdl`.
pub struct SdlFixup;

impl ExtensionFactory for SdlFixup {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SdlFixupExtension)
    }
}

struct SdlFixupExtension;

#[async_trait::async_trait]
impl Extension for SdlFixupExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let is_service = info.name == "_service";
        let value = next.run(ctx, info).await?;
        if !is_service {
            return Ok(value);
        }
        Ok(value.map(|v| match v {
            Value::Object(mut fields) => {
                for field in fields.values_mut() {
                    if let Value::String(sdl) = field {
                        *sdl = fix_federation_sdl(sdl);
                    }
                }
                Value::Object(fields)
            }
            other => other,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_authenticated_and_drops_local_definition() {
        let sdl = "type Query {\n\tme: User @authenticated\n}\n\n\ndirective @authenticated on FIELD_DEFINITION | OBJECT\n\nextend schema @link(\n\turl: \"https://specs.apollo.dev/federation/v2.5\",\n\timport: [\"@key\", \"@requiresScopes\"]\n)\n";
        let fixed = fix_federation_sdl(sdl);
        assert!(fixed.contains("import: [\"@key\", \"@requiresScopes\", \"@authenticated\"]"));
        assert!(!fixed.contains("directive @authenticated"));
        assert!(fixed.contains("me: User @authenticated"));
        assert!(!fixed.contains("\n\n\n"));
    }
}
