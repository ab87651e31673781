//! `tessera manifest`: the trusted-documents manifest of a set of operation
//! files, in Apollo's persisted query list format, which the router loads
//! (`persisted_documents.manifest`). One entry per operation: its body is the
//! operation's text followed by the fragments it uses (transitively, in the
//! file's order), as a client sends it; its id is the SHA-256 of that body
//! (what APQ clients compute).

use std::path::PathBuf;
use std::process::ExitCode;

use apollo_compiler::ast::{Definition, OperationType};
use serde::Serialize;

use crate::compose_cmd::EXIT_USAGE;

/// Arguments of `tessera manifest`.
#[derive(Debug, Clone, clap::Args)]
pub struct ManifestArgs {
    /// Operation files, as a path or a glob (`*`, `?`, `**`). Repeatable.
    #[arg(
        long = "operations",
        value_name = "GLOB",
        default_value = "frontend-contract/operations/*.graphql"
    )]
    pub operations: Vec<String>,
    /// Where to write the manifest (`-`: standard output).
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub out: String,
}

/// Apollo's persisted query list.
#[derive(Debug, Serialize)]
pub struct Manifest {
    format: &'static str,
    version: u32,
    operations: Vec<Operation>,
}

#[derive(Debug, Serialize)]
struct Operation {
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    body: String,
}

/// The manifest of `files` (name, text): every named operation in them.
pub fn manifest(files: &[(String, String)]) -> Result<Manifest, String> {
    let mut operations: Vec<Operation> = Vec::new();
    for (file, text) in files {
        let document = apollo_compiler::ast::Document::parse(text.as_str(), file.as_str())
            .map_err(|e| format!("{file}: {}", e.errors))?;
        let source = |node: Option<apollo_compiler::parser::SourceSpan>| {
            node.and_then(|span| text.get(span.offset()..span.end_offset()))
        };
        let fragments: Vec<_> = document
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::FragmentDefinition(f) => Some(f),
                _ => None,
            })
            .collect();
        for definition in &document.definitions {
            let Definition::OperationDefinition(operation) = definition else {
                continue;
            };
            let name = operation
                .name
                .as_ref()
                .ok_or_else(|| format!("{file}: every operation needs a name"))?;
            // The fragments this operation reaches, in the file's order.
            let mut used: Vec<&str> = Vec::new();
            let mut pending = spreads(&operation.selection_set);
            while let Some(spread) = pending.pop() {
                if used.contains(&spread) {
                    continue;
                }
                used.push(spread);
                if let Some(fragment) = fragments.iter().find(|f| f.name == spread) {
                    pending.extend(spreads(&fragment.selection_set));
                }
            }
            let mut parts = vec![
                source(operation.location())
                    .ok_or_else(|| format!("{file}: no source for operation {name}"))?,
            ];
            for fragment in &fragments {
                if used.contains(&fragment.name.as_str()) {
                    parts.push(
                        source(fragment.location())
                            .ok_or_else(|| format!("{file}: no source for a fragment"))?,
                    );
                }
            }
            let body = parts.join("\n\n");
            if operations.iter().any(|op| op.name == name.as_str()) {
                return Err(format!("{file}: operation {name} is defined twice"));
            }
            operations.push(Operation {
                id: tessera_router::persisted::sha256_hex(&body),
                name: name.to_string(),
                kind: match operation.operation_type {
                    OperationType::Query => "query",
                    OperationType::Mutation => "mutation",
                    OperationType::Subscription => "subscription",
                },
                body,
            });
        }
    }
    operations.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Manifest {
        format: "apollo-persisted-query-manifest",
        version: 1,
        operations,
    })
}

/// Names of the fragments spread directly in `set` (inline fragments looked through).
fn spreads(set: &[apollo_compiler::ast::Selection]) -> Vec<&str> {
    use apollo_compiler::ast::Selection;
    let mut found = Vec::new();
    for selection in set {
        match selection {
            Selection::Field(field) => found.extend(spreads(&field.selection_set)),
            Selection::FragmentSpread(spread) => found.push(spread.fragment_name.as_str()),
            Selection::InlineFragment(inline) => found.extend(spreads(&inline.selection_set)),
        }
    }
    found
}

/// `tessera manifest`. Exit codes: 0 written, 1 an operation file is not a
/// trusted document, 2 usage/IO error.
pub fn run(args: ManifestArgs) -> ExitCode {
    let usage_error = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(EXIT_USAGE)
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for pattern in &args.operations {
        match crate::check_cmd::expand_glob(pattern) {
            Ok(found) => paths.extend(found),
            Err(error) => return usage_error(error),
        }
    }
    let mut files = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((path.display().to_string(), text)),
            Err(error) => return usage_error(format!("cannot read {}: {error}", path.display())),
        }
    }
    let manifest = match manifest(&files) {
        Ok(manifest) => manifest,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let json = match serde_json::to_string_pretty(&manifest) {
        Ok(json) => json + "\n",
        Err(error) => return usage_error(error.to_string()),
    };
    let written = if args.out == "-" {
        print!("{json}");
        Ok(())
    } else {
        std::fs::write(&args.out, json)
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => usage_error(format!("cannot write {}: {error}", args.out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .expect("workspace root")
            .to_path_buf()
    }

    /// `frontend-contract/persisted-documents.json` is the manifest of the
    /// storefront's operations, and the router loads it. Regenerate:
    /// `UPDATE_EXPECT=1 cargo test -p tessera-cli manifest` (or `cargo run --
    /// manifest --out frontend-contract/persisted-documents.json`).
    #[test]
    fn the_frontend_contract_manifest_is_current() {
        let root = repo();
        let pattern = root.join("frontend-contract/operations/*.graphql");
        let files: Vec<(String, String)> =
            crate::check_cmd::expand_glob(&pattern.to_string_lossy())
                .expect("operations")
                .into_iter()
                .map(|path| {
                    let text = std::fs::read_to_string(&path).expect("read");
                    (path.display().to_string(), text)
                })
                .collect();
        assert!(!files.is_empty());
        let json = serde_json::to_string_pretty(&manifest(&files).expect("manifest"))
            .expect("json")
            + "\n";
        let path = root.join("frontend-contract/persisted-documents.json");
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&path, &json).expect("write");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == json,
            "frontend-contract/persisted-documents.json drifted; rerun with UPDATE_EXPECT=1"
        );
        let loaded =
            tessera_router::persisted::Manifest::parse(&committed).expect("router loads it");
        assert!(loaded.len() >= files.len());
    }

    #[test]
    fn each_operation_carries_the_fragments_it_uses() {
        let text = "query A { a { ...F } }\nquery B { b }\nfragment G on T { g }\nfragment F on T { f ...G }\nfragment H on T { h }";
        let built = manifest(&[("ops.graphql".to_owned(), text.to_owned())]).expect("manifest");
        let a = &built.operations[0];
        assert_eq!(a.name, "A");
        assert_eq!(
            a.body,
            "query A { a { ...F } }\n\nfragment G on T { g }\n\nfragment F on T { f ...G }"
        );
        assert_eq!(a.id, tessera_router::persisted::sha256_hex(&a.body));
        assert_eq!(built.operations[1].body, "query B { b }");
        let anonymous = ("anon.graphql".to_owned(), "{ a }".to_owned());
        assert!(manifest(&[anonymous]).is_err());
        let twice = (
            "x.graphql".to_owned(),
            "query A { a } query A { b }".to_owned(),
        );
        assert!(manifest(&[twice]).is_err());
    }
}
