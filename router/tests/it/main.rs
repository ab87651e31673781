//! The router's integration tests, one binary (one link instead of one per
//! file): each module is a capability, tested over HTTP against real
//! processes on `127.0.0.1:0`. `common` starts the `tessera-stack` suite
//! on the kit (the federation every HTTP module runs on); `federation_kit`
//! builds spec-validating test subgraphs and composes scenarios.
//!
//! `cargo test -p tessera-router --test it <module>` runs one module.

mod common;
mod federation_kit;

mod authentication;
mod authorization;
mod cors;
mod deduplication;
mod federation_audit_operations;
mod graphql_over_http;
mod http2;
mod http_errors;
mod interface_object;
mod observability;
mod one_of;
mod operations;
mod oracle;
mod playground;
mod scenarios;
mod security;
mod subgraph_failures;
mod supergraph_loading;
mod trusted_documents;
