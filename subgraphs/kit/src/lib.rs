//! Shared plumbing for Tessera's domain subgraphs (users, orders, inventory).
//!
//! What lives here is what every subgraph needs in the same shape: the HTTP
//! surface ([`http`]), JWT verification and issuing ([`auth`]), client-visible
//! errors with stable codes ([`error`]), cursor pagination ([`pagination`]),
//! database connections ([`db`]), the federation SDL post-processing
//! ([`sdl`]) and domain events with the transactional outbox ([`events`]). Domain logic never lives here, and this crate never depends on the
//! router.

pub mod auth;
pub mod client;
pub mod config;
pub mod consume;
pub mod context;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod pagination;
pub mod relay;
pub mod sdl;
pub mod start;
pub mod telemetry;

pub use error::{ApiError, ApiResult, ErrorCode};

/// The schema settings every subgraph shares: federation on, the SDL fix-up,
/// and limits on depth and recursion.
pub fn configure_schema<Q, M, S>(
    builder: async_graphql::SchemaBuilder<Q, M, S>,
) -> async_graphql::SchemaBuilder<Q, M, S> {
    builder
        .enable_federation()
        .extension(sdl::SdlFixup)
        .limit_depth(32)
        .limit_recursive_depth(64)
}
