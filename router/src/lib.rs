//! Tessera's router: serves a Federation v2 supergraph over HTTP and hosts the
//! `tessera` command-line tool (`dev`, `serve`, ...).

pub mod cli;
