//! Entity keys per subgraph, from `@join__type(graph:, key:)`: an entity whose
//! every key (for the subgraph a representation goes to) has a null or missing
//! field cannot be found there, so it is not sent.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::store::Value;
use tessera_schema::Supergraph;
use tessera_schema::supergraph::JOIN_IDENTITY;

/// `subgraph → type → keys`, each key being its top-level field names
/// (looked up for every entity a fetch sends: FxHash, not SipHash, over
/// these short names).
#[derive(Debug, Default)]
pub struct EntityKeys {
    keys: FxHashMap<String, FxHashMap<String, Vec<Vec<String>>>>,
}

impl EntityKeys {
    /// Reads every `@join__type(graph:, key:)` of `supergraph` (a key with
    /// `resolvable: false` still identifies the entity, but no fetch targets it).
    pub fn new(supergraph: &Supergraph) -> Self {
        let mut out = EntityKeys::default();
        let Some(join) = supergraph.link(JOIN_IDENTITY) else {
            return out;
        };
        let directive = join.directive_name("type");
        let graph_names: HashMap<&str, &str> = supergraph
            .subgraphs()
            .iter()
            .map(|s| (s.enum_value.as_str(), s.name.as_str()))
            .collect();
        for (type_name, ty) in &supergraph.schema().types {
            for applied in ty.directives().get_all(directive.as_str()) {
                let graph = applied
                    .specified_argument_by_name("graph")
                    .and_then(|v| v.as_enum())
                    .and_then(|g| graph_names.get(g.as_str()));
                let key = applied
                    .specified_argument_by_name("key")
                    .and_then(|v| v.as_str());
                if let (Some(graph), Some(key)) = (graph, key) {
                    out.keys
                        .entry(graph.to_string())
                        .or_default()
                        .entry(type_name.to_string())
                        .or_default()
                        .push(top_level_fields(key));
                }
            }
        }
        out
    }

    /// Whether `representation` (with its `__typename`) can identify an entity in
    /// `subgraph`: true when some key has all its fields present and non-null, or
    /// when no key is known for the type there.
    pub fn is_resolvable(&self, subgraph: &str, representation: &Value) -> bool {
        let Some(object) = representation.as_object() else {
            return false;
        };
        let typename = object.get("__typename").and_then(|t| t.as_str());
        self.has_usable_key(subgraph, typename, |field| {
            object.get(field).is_some_and(|v| !v.is_null())
        })
    }

    /// [`Self::is_resolvable`] for a representation of type `typename` whose
    /// top-level fields are known by `non_null(field)`.
    pub fn has_usable_key(
        &self,
        subgraph: &str,
        typename: Option<&str>,
        non_null: impl Fn(&str) -> bool,
    ) -> bool {
        let Some(keys) = typename.and_then(|t| self.keys.get(subgraph)?.get(t)) else {
            return true;
        };
        keys.iter()
            .any(|key| key.iter().all(|field| non_null(field.as_str())))
    }
}

/// The top-level field names of a field set such as `id org { id }`.
fn top_level_fields(field_set: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut word = String::new();
    let flush = |word: &mut String, depth: usize, out: &mut Vec<String>| {
        if depth == 0 && !word.is_empty() && word != "__typename" {
            out.push(std::mem::take(word));
        }
        word.clear();
    };
    let mut in_args = 0usize;
    for c in field_set.chars() {
        match c {
            '(' => in_args += 1,
            ')' => in_args = in_args.saturating_sub(1),
            _ if in_args > 0 => {}
            '{' => {
                flush(&mut word, depth, &mut out);
                depth += 1;
            }
            '}' => {
                flush(&mut word, depth, &mut out);
                depth = depth.saturating_sub(1);
            }
            c if c.is_alphanumeric() || c == '_' => word.push(c),
            _ => flush(&mut word, depth, &mut out),
        }
    }
    flush(&mut word, depth, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entity_needs_one_complete_non_null_key_of_the_target_subgraph() {
        let sdl = include_str!("../../tests/fixtures/supergraph.graphql");
        let supergraph = Supergraph::parse(sdl).expect("supergraph");
        let keys = EntityKeys::new(&supergraph);
        let repr =
            |value: serde_json::Value| -> Value { serde_json::from_value(value).expect("json") };
        // `products` knows Product by `upc` and by `sku`.
        assert!(keys.is_resolvable(
            "products",
            &repr(serde_json::json!({"__typename": "Product", "upc": "1"}))
        ));
        assert!(keys.is_resolvable(
            "products",
            &repr(serde_json::json!({"__typename": "Product", "upc": null, "sku": "S1"}))
        ));
        assert!(!keys.is_resolvable(
            "products",
            &repr(serde_json::json!({"__typename": "Product", "upc": null}))
        ));
        assert!(!keys.is_resolvable(
            "products",
            &repr(serde_json::json!({"__typename": "Product"}))
        ));
        // Unknown type or subgraph: no opinion.
        assert!(keys.is_resolvable(
            "products",
            &repr(serde_json::json!({"__typename": "Nope", "x": null}))
        ));
        assert!(!keys.is_resolvable("products", &Value::Null));
    }

    #[test]
    fn reads_top_level_key_fields() {
        assert_eq!(top_level_fields("id"), vec!["id"]);
        assert_eq!(
            top_level_fields("id org { id name } upc"),
            vec!["id", "org", "upc"]
        );
        assert_eq!(top_level_fields("a{b{c}}d"), vec!["a", "d"]);
    }
}
