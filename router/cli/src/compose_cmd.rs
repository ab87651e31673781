//! `tessera compose`: subgraph SDLs (files, or `_service { sdl }` of running subgraphs)
//! → a standard supergraph SDL. The composition itself is [`tessera_schema::compose`];
//! this module is the IO around it, shared with `tessera check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tessera_schema::{SubgraphSdl, compose};

/// Routing URLs of our own subgraphs when composed from files (the ports `tessera dev`
/// and the subgraph binaries use). The single place these defaults live.
pub const DEFAULT_ROUTING_URLS: &[(&str, &str)] = &[
    ("users", "http://127.0.0.1:4001/graphql"),
    ("orders", "http://127.0.0.1:4002/graphql"),
    ("inventory", "http://127.0.0.1:4003/graphql"),
    ("notifications", "http://127.0.0.1:4004/graphql"),
];

/// Where the golden subgraph SDL files live, relative to the working directory.
pub const DEFAULT_SUBGRAPHS_DIR: &str = "schema/subgraphs";

/// Exit code for usage and IO errors (composition failures exit with 1).
pub const EXIT_USAGE: u8 = 2;

/// Which subgraphs to compose; shared by `compose` and `check`.
#[derive(Debug, Clone, clap::Args)]
pub struct SubgraphInputs {
    /// A subgraph as `name=path/to/schema.graphql` or `name=http(s)://host/graphql`
    /// (fetches `{ _service { sdl } }`). Repeatable. Without any, every
    /// `<subgraphs-dir>/*.graphql` is used, named after its file stem.
    #[arg(long = "subgraph", value_name = "NAME=PATH|URL")]
    pub subgraphs: Vec<String>,
    /// Routing URL for a subgraph read from a file, as `name=URL`. Repeatable. Defaults:
    /// users/orders/inventory on 127.0.0.1:4001-4003.
    #[arg(long = "url", value_name = "NAME=URL")]
    pub urls: Vec<String>,
    /// Directory of golden subgraph SDL files, used when no `--subgraph` is given.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_SUBGRAPHS_DIR)]
    pub subgraphs_dir: PathBuf,
}

/// Arguments of `tessera compose`.
#[derive(Debug, Clone, clap::Args)]
pub struct ComposeArgs {
    #[command(flatten)]
    pub inputs: SubgraphInputs,
    /// Write the supergraph here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the API schema (what clients see: no federation machinery, no
    /// `@inaccessible` elements) instead of the supergraph; what frontend code
    /// generators read (`schema/api.graphql`).
    #[arg(long)]
    pub api: bool,
}

/// The API schema of a composed supergraph, printed.
pub fn api_sdl(supergraph_sdl: &str) -> Result<String, String> {
    let supergraph =
        tessera_schema::Supergraph::parse(supergraph_sdl).map_err(|e| e.to_string())?;
    let api = tessera_schema::api_schema(&supergraph).map_err(|e| e.to_string())?;
    Ok(format!(
        "# The API schema of schema/supergraph.graphql: what clients and code\n\
         # generators see. Generated: cargo run -p tessera-cli -- compose --api --out schema/api.graphql\n\n{api}"
    ))
}

/// A usage or IO problem (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("invalid {flag} {value:?}: expected NAME=VALUE")]
    NotNameValue { flag: &'static str, value: String },
    #[error("subgraph {0:?} is given twice")]
    Duplicate(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("no subgraph SDL files (*.graphql) in {0}")]
    NoSubgraphs(String),
    #[error("cannot fetch the SDL of subgraph {name} from {url}: {message}")]
    Fetch {
        name: String,
        url: String,
        message: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

fn split_name_value(flag: &'static str, value: &str) -> Result<(String, String), InputError> {
    match value.split_once('=') {
        Some((name, rest)) if !name.trim().is_empty() && !rest.trim().is_empty() => {
            Ok((name.trim().to_string(), rest.trim().to_string()))
        }
        _ => Err(InputError::NotNameValue {
            flag,
            value: value.to_string(),
        }),
    }
}

fn routing_url(name: &str, overrides: &[(String, String)]) -> (String, bool) {
    if let Some((_, url)) = overrides.iter().find(|(n, _)| n == name) {
        return (url.clone(), true);
    }
    if let Some((_, url)) = DEFAULT_ROUTING_URLS.iter().find(|(n, _)| *n == name) {
        return (url.to_string(), true);
    }
    // Placeholder: composition needs a URL; `compose` warns so that it gets set.
    (format!("http://127.0.0.1:4000/{name}/graphql"), false)
}

fn read(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|source| InputError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Resolves the inputs into subgraph SDLs, fetching from running subgraphs when given
/// URLs. Returns the subgraphs and the names that got a placeholder routing URL.
pub fn load_subgraphs(
    inputs: &SubgraphInputs,
) -> Result<(Vec<SubgraphSdl>, Vec<String>), InputError> {
    let overrides = inputs
        .urls
        .iter()
        .map(|u| split_name_value("--url", u))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sources: Vec<(String, String)> = Vec::new();
    if inputs.subgraphs.is_empty() {
        let dir = &inputs.subgraphs_dir;
        let entries = std::fs::read_dir(dir).map_err(|source| InputError::Read {
            path: dir.display().to_string(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(InputError::NoSubgraphs(dir.display().to_string()));
        }
        // Our own subgraphs in their canonical order, then the rest by name.
        let rank = |p: &PathBuf| {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            DEFAULT_ROUTING_URLS
                .iter()
                .position(|(n, _)| *n == stem)
                .unwrap_or(usize::MAX)
        };
        files.sort_by_key(rank);
        for file in files {
            let name = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            sources.push((name, file.display().to_string()));
        }
    } else {
        for spec in &inputs.subgraphs {
            sources.push(split_name_value("--subgraph", spec)?);
        }
    }

    let mut subgraphs = Vec::new();
    let mut placeholders = Vec::new();
    for (name, source) in sources {
        if subgraphs.iter().any(|s: &SubgraphSdl| s.name == name) {
            return Err(InputError::Duplicate(name));
        }
        if source.starts_with("http://") || source.starts_with("https://") {
            let sdl = fetch_sdl(&name, &source)?;
            let url = overrides
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, u)| u.clone())
                .unwrap_or_else(|| source.clone());
            subgraphs.push(SubgraphSdl::new(name, url, sdl));
        } else {
            let sdl = read(Path::new(&source))?;
            let (url, known) = routing_url(&name, &overrides);
            if !known {
                placeholders.push(name.clone());
            }
            subgraphs.push(SubgraphSdl::new(name, url, sdl));
        }
    }
    Ok((subgraphs, placeholders))
}

/// `POST {"query": "{ _service { sdl } }"}` to a running subgraph.
fn fetch_sdl(name: &str, url: &str) -> Result<String, InputError> {
    let fail = |message: String| InputError::Fetch {
        name: name.to_string(),
        url: url.to_string(),
        message,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| fail(e.to_string()))?;
        service_sdl(&client, url).await.map_err(fail)
    })
}

/// The federation SDL of the subgraph at `url` (`{ _service { sdl } }`), or
/// why it could not be had. Shared by `tessera compose` and `tessera dev`.
pub(crate) async fn service_sdl(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = client
        .post(url)
        .json(&serde_json::json!({ "query": "{ _service { sdl } }" }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .map_err(|e| format!("HTTP {status}, body is not JSON: {e}"))?;
    match body.pointer("/data/_service/sdl").and_then(|v| v.as_str()) {
        Some(sdl) => Ok(sdl.to_string()),
        None => Err(format!(
            "HTTP {status}, no data._service.sdl in the response (is it a federation \
             subgraph?): {}",
            truncate(&body.to_string(), 300)
        )),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// `tessera compose`. Exit codes: 0 composed, 1 composition errors, 2 usage/IO error.
pub fn run(args: ComposeArgs) -> ExitCode {
    let (subgraphs, placeholders) = match load_subgraphs(&args.inputs) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    for name in &placeholders {
        eprintln!(
            "warning: no routing URL for subgraph {name:?}; using a placeholder (set one with \
             --url {name}=http://...)"
        );
    }
    match compose(&subgraphs) {
        Ok(composed) => {
            for warning in &composed.warnings {
                eprintln!("{warning}");
            }
            let text = if args.api {
                match api_sdl(&composed.supergraph_sdl) {
                    Ok(text) => text,
                    Err(error) => {
                        eprintln!("error: cannot derive the API schema: {error}");
                        return ExitCode::from(1);
                    }
                }
            } else {
                composed.supergraph_sdl.clone()
            };
            match &args.out {
                Some(path) => {
                    if let Err(source) = std::fs::write(path, &text) {
                        eprintln!(
                            "error: {}",
                            InputError::Write {
                                path: path.display().to_string(),
                                source
                            }
                        );
                        return ExitCode::from(EXIT_USAGE);
                    }
                    eprintln!(
                        "composed {} subgraph(s) into {}",
                        subgraphs.len(),
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_value_pairs_are_validated() {
        assert_eq!(
            split_name_value("--subgraph", "users=a/b.graphql").ok(),
            Some(("users".into(), "a/b.graphql".into()))
        );
        assert!(split_name_value("--subgraph", "users").is_err());
        assert!(split_name_value("--subgraph", "=x").is_err());
        assert!(split_name_value("--subgraph", "users=").is_err());
    }

    #[test]
    fn routing_urls_default_for_our_subgraphs_and_can_be_overridden() {
        assert_eq!(
            routing_url("orders", &[]),
            ("http://127.0.0.1:4002/graphql".to_string(), true)
        );
        let overrides = vec![("orders".to_string(), "http://orders:8080/".to_string())];
        assert_eq!(routing_url("orders", &overrides).0, "http://orders:8080/");
        assert!(!routing_url("reviews", &[]).1);
    }
}
