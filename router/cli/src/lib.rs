//! The `tessera` command-line tool: `serve` (the router), `dev` (the whole
//! platform in one process), `compose` and `check` (schema CI), `manifest`
//! (the trusted-documents manifest of the frontend's operations), `events`
//! (tail the event streams, replay events to a consumer).
//!
//! The router library (`tessera-router`) knows nothing of the domain
//! subgraphs; this crate is where they meet it, for `tessera dev`.

pub mod check_cmd;
pub mod cli;
pub mod compose_cmd;
pub mod dev;
pub mod events_cmd;
pub mod manifest_cmd;
