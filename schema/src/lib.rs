//! Everything about schemas as a pure library: no IO, no tokio, no HTTP, no SQL.
//!
//! Also home of the checked-in SDL files: `schema/subgraphs/*.graphql` (the golden
//! SDL each subgraph exports) and, once composition lands, `schema/supergraph.graphql`.
