//! Tessera's router: serves a Federation v2 supergraph over HTTP. The
//! `tessera` command-line tool that runs it is `tessera-cli` (`router/cli`);
//! this crate knows nothing of the domain subgraphs.
//!
//! Pipeline, one private module per stage: `http` → `parse` → `validate` →
//! `plan` → `execute`, tied together by the [`Gateway`]; [`start`] / [`serve`]
//! run it on a listener, [`build_app`] gives the axum app to nest elsewhere.
//! Everything an embedder configures is in [`config`]; what clients see
//! (codes, statuses) in [`error`].
//!
//! Start one in-process:
//!
//! ```no_run
//! # async fn demo(sdl: &str) -> Result<(), tessera_router::ServeError> {
//! let mut config = tessera_router::RouterConfig::default();
//! config.listen = "127.0.0.1:0".parse().expect("address");
//! let router = tessera_router::start(config, sdl).await?;
//! println!("GraphQL at {}", router.graphql_url());
//! router.shutdown().await?;
//! # Ok(()) }
//! ```

// The public API: configuration, the gateway and its request/response
// types, serving, errors, and the trusted-documents helpers the CLI uses.
pub mod config;
pub mod error;
pub mod persisted;

pub use config::RouterConfig;
pub use gateway::{Data, Gateway, GatewayError, GraphQLRequest, GraphQLResponse, RequestContext};
pub use http::{PeerAddr, app};
pub use serve::{RunningRouter, ServeError, build_app, serve, start, start_on};

// Internals: the pipeline stages and their helpers.
mod auth;
mod cost;
mod execute;
mod gateway;
mod http;
mod metrics;
mod parse;
mod plan;
mod playground;
mod rate_limit;
mod redis_store;
mod serve;
mod validate;

/// Internals for the crate's own benchmarks and integration tests, which
/// measure or probe single stages. Not an API: no stability, no docs.
#[doc(hidden)]
pub mod internals {
    pub use crate::execute::fetch::{SubgraphClient, SubgraphResponse};
    pub use crate::execute::merge::deep_merge;
    pub use crate::execute::project::{ProjectionTypes, project};
    pub use crate::execute::store::{Value, parse as parse_json};
    pub use crate::parse::parse;
    pub use crate::plan::QueryPlanner;
    pub use crate::playground::is_bundled;
    pub use crate::validate::validate;
}
