//! Tessera's router: serves a Federation v2 supergraph over HTTP. The
//! `tessera` command-line tool that runs it is `tessera-cli` (`router/cli`);
//! this crate knows nothing of the domain subgraphs.
//!
//! Pipeline, one module per stage: [`http`] → [`parse`] → [`validate`] → [`plan`]
//! → [`execute`], tied together by [`gateway`]. [`serve`] runs it on a listener.
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

pub mod auth;
pub mod config;
mod cost;
pub mod error;
pub mod execute;
pub mod gateway;
pub mod http;
pub mod metrics;
pub mod parse;
pub mod persisted;
pub mod plan;
pub mod playground;
pub mod rate_limit;
pub mod redis_store;
pub mod serve;
pub mod validate;

pub use config::RouterConfig;
pub use gateway::{Gateway, GatewayError};
pub use serve::{RunningRouter, ServeError, build_app, serve, start, start_on};
