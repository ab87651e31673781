//! `tessera check`: compose the proposed subgraphs, diff the API schema against the
//! checked-in supergraph, check the frontend's operations. The logic is
//! [`tessera_schema::check_subgraphs`]; this module reads files and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use tessera_schema::{CheckReport, OperationDocument, check_subgraphs};

use crate::compose_cmd::{EXIT_USAGE, SubgraphInputs, load_subgraphs};

/// Output format of `tessera check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable report.
    Human,
    /// One JSON object (for CI).
    Json,
}

/// Arguments of `tessera check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub inputs: SubgraphInputs,
    /// The baseline supergraph the proposed subgraphs are compared with.
    #[arg(long, value_name = "FILE", default_value = "schema/supergraph.graphql")]
    pub against: PathBuf,
    /// Operation files, as a path or a glob (`*`, `?`, `**`). Repeatable.
    #[arg(
        long = "operations",
        value_name = "GLOB",
        default_value = "frontend-contract/**/*.graphql"
    )]
    pub operations: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    passed: bool,
    #[serde(flatten)]
    report: &'a CheckReport,
}

/// `tessera check`. Exit codes: 0 safe, 1 an operation breaks or composition fails,
/// 2 usage/IO error.
pub fn run(args: CheckArgs) -> ExitCode {
    let usage_error = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(EXIT_USAGE)
    };
    let (subgraphs, _) = match load_subgraphs(&args.inputs) {
        Ok(loaded) => loaded,
        Err(error) => return usage_error(error.to_string()),
    };
    let baseline = match std::fs::read_to_string(&args.against) {
        Ok(sdl) => sdl,
        Err(e) => {
            return usage_error(format!(
                "cannot read the baseline supergraph {}: {e} (create it with `tessera \
                 compose --out {}`)",
                args.against.display(),
                args.against.display()
            ));
        }
    };
    let mut files = Vec::new();
    for pattern in &args.operations {
        match expand_glob(pattern) {
            Ok(found) => {
                if found.is_empty() {
                    eprintln!("warning: no operation file matches {pattern:?}");
                }
                files.extend(found);
            }
            Err(message) => return usage_error(message),
        }
    }
    files.sort();
    files.dedup();
    let mut documents = Vec::new();
    for file in &files {
        match std::fs::read_to_string(file) {
            Ok(source) if is_schema_document(&source) => {
                eprintln!(
                    "note: skipping {}: it holds type definitions, not operations",
                    file.display()
                );
            }
            Ok(source) => documents.push(OperationDocument {
                path: file.display().to_string(),
                source,
            }),
            Err(e) => return usage_error(format!("cannot read {}: {e}", file.display())),
        }
    }

    let report = match check_subgraphs(&subgraphs, Some(&baseline), &documents) {
        Ok(report) => report,
        Err(error) => return usage_error(format!("{error} ({})", args.against.display())),
    };
    match args.format {
        Format::Human => print!("{}", report.to_human()),
        Format::Json => {
            let json = JsonReport {
                passed: report.passed(),
                report: &report,
            };
            match serde_json::to_string_pretty(&json) {
                Ok(s) => println!("{s}"),
                Err(e) => return usage_error(format!("cannot serialize the report: {e}")),
            }
        }
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A file of type-system definitions only (e.g. a schema copy kept for codegen), which
/// a glob such as `frontend-contract/**/*.graphql` may pick up.
fn is_schema_document(source: &str) -> bool {
    let Ok(doc) = apollo_compiler::ast::Document::parse(source, "operations.graphql") else {
        return false;
    };
    !doc.definitions.is_empty()
        && doc.definitions.iter().all(|d| {
            !matches!(
                d,
                apollo_compiler::ast::Definition::OperationDefinition(_)
                    | apollo_compiler::ast::Definition::FragmentDefinition(_)
            )
        })
}

/// Expands a path pattern (the `glob` crate: `*` and `?` within one path
/// component, `**` for any number of directories, `[...]` classes). A pattern
/// without wildcards names one file, which must exist, or a directory, which
/// stands for every `.graphql` file under it.
pub fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let has_wildcard = |s: &str| s.contains(['*', '?', '[']);
    if !has_wildcard(pattern) {
        let path = PathBuf::from(pattern);
        return if path.is_file() {
            Ok(vec![path])
        } else if path.is_dir() {
            expand_glob(&format!("{}/**/*.graphql", pattern.trim_end_matches('/')))
        } else {
            Err(format!("operation file {pattern:?} does not exist"))
        };
    }
    let paths = glob::glob(pattern).map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?;
    let mut found: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_files_are_not_operations() {
        assert!(is_schema_document("type Query { a: Int }"));
        assert!(!is_schema_document("query A { a }"));
        assert!(!is_schema_document("fragment F on Query { a }"));
        assert!(!is_schema_document("query {"));
        assert!(!is_schema_document(""));
    }

    #[test]
    fn globs_walk_directories() {
        let dir = std::env::temp_dir().join(format!("tessera-glob-{}", std::process::id()));
        let nested = dir.join("a/b");
        std::fs::create_dir_all(&nested).expect("temp dir");
        for file in [
            "top.graphql",
            "a/one.graphql",
            "a/b/two.graphql",
            "a/b/no.txt",
        ] {
            std::fs::write(dir.join(file), "{ a }").expect("write");
        }
        let pattern = format!("{}/**/*.graphql", dir.display());
        let found = expand_glob(&pattern).expect("glob");
        assert_eq!(found.len(), 3, "{found:?}");
        let only_a = expand_glob(&format!("{}/a/*.graphql", dir.display())).expect("glob");
        assert_eq!(only_a, vec![dir.join("a/one.graphql")]);
        let one = expand_glob(&format!("{}/a/?ne.graphql", dir.display())).expect("glob");
        assert_eq!(one, vec![dir.join("a/one.graphql")]);
        assert_eq!(
            expand_glob(&format!("{}/a", dir.display()))
                .expect("dir")
                .len(),
            2
        );
        assert!(expand_glob(&format!("{}/missing.graphql", dir.display())).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
