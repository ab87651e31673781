//! The `tessera` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use tessera_router::RouterConfig;

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: a GraphQL federation platform"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole platform locally: the three domain subgraphs on SQLite
    /// files under `--data-dir`, seeded with demo data on first start.
    Dev(DevArgs),
    /// Serve a Federation v2 supergraph (router only).
    Serve(ServeArgs),
    /// Compose subgraph SDLs into a supergraph (exit 1 on composition errors).
    Compose(crate::compose_cmd::ComposeArgs),
    /// Check proposed subgraphs against the checked-in supergraph and the frontend's
    /// operations (exit 1 when an operation breaks or composition fails).
    Check(crate::check_cmd::CheckArgs),
    /// Write the trusted-documents manifest (Apollo persisted query list) of
    /// operation files, for the router's `persisted_documents.manifest`.
    Manifest(crate::manifest_cmd::ManifestArgs),
    /// Follow the event streams, or replay past events to one consumer.
    Events(crate::events_cmd::EventsArgs),
}

/// Arguments of `tessera dev`.
#[derive(Debug, clap::Args)]
pub struct DevArgs {
    /// Directory for the SQLite database files.
    #[arg(long, default_value = "data", env = "TESSERA_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Do not seed demo data into empty databases.
    #[arg(long)]
    pub no_seed: bool,
}

/// Arguments of `tessera serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Path of the supergraph SDL file.
    #[arg(long)]
    pub supergraph: PathBuf,
    /// Address to listen on (overrides the config file and TESSERA_LISTEN).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Path of a YAML config file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::Dev(args) => run_async(crate::dev::run(crate::dev::DevOptions {
            data_dir: args.data_dir,
            seed: !args.no_seed,
            ..crate::dev::DevOptions::default()
        })),
        Command::Serve(args) => run_async(serve(args)),
        Command::Compose(args) => return crate::compose_cmd::run(args),
        Command::Check(args) => return crate::check_cmd::run(args),
        Command::Manifest(args) => return crate::manifest_cmd::run(args),
        Command::Events(args) => run_async(crate::events_cmd::run(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

fn run_async(future: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .build()
        .context("cannot start the tokio runtime")?
        .block_on(future)
}

/// `tessera serve`: load config and supergraph, serve until Ctrl-C.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = RouterConfig::load(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let sdl = std::fs::read_to_string(&args.supergraph)
        .with_context(|| format!("cannot read supergraph {}", args.supergraph.display()))?;
    let addr = config.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tessera_router::serve(config, &sdl, listener, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM (the kit's, shared with the
/// subgraphs' binaries).
pub async fn shutdown_signal() {
    tessera_kit::http::shutdown_signal().await;
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_takes_a_supergraph_and_optional_listen_and_config() {
        let cli = Cli::try_parse_from([
            "tessera",
            "serve",
            "--supergraph",
            "s.graphql",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "r.yaml",
        ])
        .expect("valid arguments");
        let Command::Serve(args) = cli.command else {
            panic!("expected the serve command");
        };
        assert_eq!(args.supergraph, PathBuf::from("s.graphql"));
        assert_eq!(args.listen.map(|a| a.port()), Some(0));
        assert!(args.config.is_some());
        assert!(Cli::try_parse_from(["tessera", "serve"]).is_err());
        assert!(
            Cli::try_parse_from(["tessera", "serve", "--supergraph", "s", "--listen", "x"])
                .is_err()
        );
    }
}
