//! Trusted documents and automatic persisted queries (APQ).
//!
//! - **Trusted documents**: a manifest, loaded from a file at start, maps ids
//!   to documents. Two formats: Apollo's persisted query list
//!   (`{"format": "apollo-persisted-query-manifest", "version": 1,
//!   "operations": [{"id", "body", "name", "type"}]}`) and a plain
//!   `{"<id>": "<document>"}` map. A request names one by
//!   `extensions.persistedQuery.sha256Hash` or by a top-level `documentId`.
//!   `mode` decides what happens to other documents: `allow_any` runs them,
//!   `safelist` refuses them (`PERSISTED_QUERY_NOT_IN_LIST`) unless their
//!   text is a manifest document (exactly, or up to whitespace), `log_unknown`
//!   runs them and logs each one.
//! - **APQ** (the Apollo protocol): a request with only the hash is answered
//!   from the store, or with `PERSISTED_QUERY_NOT_FOUND`; the client then
//!   sends the query with its hash, which is checked (SHA-256 of the text)
//!   and stored with a TTL, in memory or in Redis ([`crate::redis`]). In
//!   `safelist` mode nothing can be registered.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the router does with documents that are not in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersistedMode {
    /// Run any document (the manifest only saves clients sending the text).
    #[default]
    AllowAny,
    /// Run only manifest documents.
    Safelist,
    /// Run any document, and log those not in the manifest.
    LogUnknown,
}

/// `persisted_documents`: the trusted-documents manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersistedDocumentsConfig {
    /// The manifest file (unset: no trusted documents).
    pub manifest: Option<PathBuf>,
    /// `allow_any` (default), `safelist` or `log_unknown`.
    pub mode: PersistedMode,
}

/// `apq`: automatic persisted queries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApqConfig {
    /// Off by default: a client can then only send full documents (or
    /// manifest ids).
    pub enabled: bool,
    /// How long a registered document is kept, in seconds.
    pub ttl_secs: u64,
    /// Most documents kept in memory (Redis keeps them by TTL only).
    pub cache_size: u64,
}

impl Default for ApqConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            ttl_secs: 24 * 3600,
            cache_size: 10_000,
        }
    }
}

impl ApqConfig {
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_secs.max(1))
    }
}

/// Why a manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read the persisted documents manifest {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error(
        "the persisted documents manifest {path} is neither an Apollo persisted query list nor an {{id: document}} map: {reason}"
    )]
    Format { path: PathBuf, reason: String },
}

/// The trusted documents, by id, plus their normalized texts (for safelisting
/// requests that send the text).
#[derive(Debug, Default)]
pub struct Manifest {
    by_id: HashMap<String, String>,
    /// Canonical (parsed and printed) texts of every document.
    texts: std::collections::HashSet<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApolloManifest {
    format: String,
    version: u32,
    operations: Vec<ApolloOperation>,
}

#[derive(Deserialize)]
struct ApolloOperation {
    id: String,
    body: String,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::parse(&text).map_err(|reason| ManifestError::Format {
            path: path.to_owned(),
            reason,
        })
    }

    /// Either manifest format.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let entries: Vec<(String, String)> = if value.get("operations").is_some() {
            let manifest: ApolloManifest =
                serde_json::from_value(value).map_err(|e| e.to_string())?;
            if manifest.format != "apollo-persisted-query-manifest" || manifest.version != 1 {
                return Err(format!(
                    "unknown format {:?} version {}",
                    manifest.format, manifest.version
                ));
            }
            manifest
                .operations
                .into_iter()
                .map(|op| (op.id, op.body))
                .collect()
        } else {
            let map: HashMap<String, String> =
                serde_json::from_value(value).map_err(|e| e.to_string())?;
            map.into_iter().collect()
        };
        let mut manifest = Manifest::default();
        for (id, body) in entries {
            if let Some(canonical) = normalize(&body) {
                manifest.texts.insert(canonical);
            }
            manifest.by_id.insert(id, body);
        }
        Ok(manifest)
    }

    pub fn get(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(String::as_str)
    }

    /// Whether `document` is one of the manifest's, up to whitespace, commas
    /// and comments.
    pub fn contains_text(&self, document: &str) -> bool {
        normalize(document).is_some_and(|canonical| self.texts.contains(&canonical))
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// `document` in canonical form: parsed and printed again (apollo-compiler's
/// AST printer), so whitespace, commas and comments do not matter but every
/// token does — a comment cannot hide a field, and a block string keeps its
/// value. `None` when the text does not parse (it is then in no list).
fn normalize(document: &str) -> Option<String> {
    apollo_compiler::ast::Document::parse(document, "document.graphql")
        .ok()
        .map(|doc| doc.to_string())
}

/// The lowercase hex SHA-256 of `text` (what APQ hashes are).
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// The persisted-query hash a request names (`extensions.persistedQuery`),
/// if any, after checking the protocol version.
pub fn requested_hash(
    extensions: &apollo_compiler::response::JsonMap,
) -> Result<Option<String>, &'static str> {
    let Some(persisted) = extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let persisted = persisted
        .as_object()
        .ok_or("`extensions.persistedQuery` must be an object")?;
    if let Some(version) = persisted.get("version")
        && version.as_i64() != Some(1)
    {
        return Err("unsupported persisted query version (only 1 is)");
    }
    let hash = persisted
        .get("sha256Hash")
        .and_then(|h| h.as_str())
        .ok_or("`extensions.persistedQuery.sha256Hash` must be a string")?;
    Ok(Some(hash.to_owned()))
}

/// Whether `hash` could be a SHA-256 in hex (anything else is refused before
/// a store is asked).
pub fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_manifest_formats() {
        let apollo = r#"{"format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{"id": "abc", "body": "query A { a }", "name": "A", "type": "query"}]}"#;
        let manifest = Manifest::parse(apollo).expect("apollo manifest");
        assert_eq!(manifest.get("abc"), Some("query A { a }"));
        assert!(manifest.contains_text("query  A {\n  a\n}"));
        assert!(!manifest.contains_text("query A { b }"));
        let map = Manifest::parse(r#"{"x1": "{ b }"}"#).expect("map");
        assert_eq!(map.get("x1"), Some("{ b }"));
        assert!(Manifest::parse(r#"{"format": "other", "version": 1, "operations": []}"#).is_err());
        assert!(Manifest::parse("[1]").is_err());
    }

    /// Regression: a whitespace-only normalization let a comment in a
    /// manifest document hide a field a client could then select.
    #[test]
    fn only_formatting_is_ignored() {
        let manifest =
            Manifest::parse(r#"{"a": "{ me { name # TODO add email\n } }"}"#).expect("map");
        assert!(manifest.contains_text("{me{name}}"));
        assert!(manifest.contains_text("query { me { name, } }"));
        assert!(!manifest.contains_text("{ me { name # TODO add\nemail } }"));
        let strings = Manifest::parse(r#"{"b": "{ a(s: \"x  y\") }"}"#).expect("map");
        assert!(strings.contains_text("{a(s:\"x  y\")}"));
        assert!(!strings.contains_text("{a(s:\"x y\")}"));
        assert!(!strings.contains_text("{ a("));
    }

    #[test]
    fn hashes_and_versions() {
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(is_sha256_hex(&sha256_hex("x")));
        assert!(!is_sha256_hex("xyz"));
        let mut ext = apollo_compiler::response::JsonMap::new();
        assert_eq!(requested_hash(&ext), Ok(None));
        ext.insert(
            "persistedQuery",
            serde_json::from_str(r#"{"version": 1, "sha256Hash": "ab"}"#).expect("json"),
        );
        assert_eq!(requested_hash(&ext), Ok(Some("ab".to_owned())));
        ext.insert(
            "persistedQuery",
            serde_json::from_str(r#"{"version": 2, "sha256Hash": "ab"}"#).expect("json"),
        );
        assert!(requested_hash(&ext).is_err());
    }
}
