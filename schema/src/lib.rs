//! Everything about schemas as a pure library: no IO, no tokio, no HTTP, no SQL.
//!
//! Today this crate knows how to:
//!
//! * load a standard Federation v2 supergraph SDL ([`Supergraph::parse`]): validate it,
//!   detect the `@link`ed spec versions (link v1.x, join v0.3+) and reject Federation 1
//!   supergraphs with a clear message, and list the subgraphs (`join__Graph`);
//! * derive the **API schema** ([`api_schema`]): the supergraph minus the
//!   join/link machinery and every `@inaccessible` element, which is what clients see
//!   and what operations are validated against.
//!
//! * **compose** subgraph SDLs into a standard supergraph ([`compose()`], on top of
//!   `graphql-composition`), errors naming subgraph, coordinate and rule;
//! * **diff** two API schemas into breaking / dangerous / safe changes ([`diff()`]);
//! * **check** operations against a proposed schema ([`check_operations`],
//!   [`check_subgraphs`]);
//! * derive **contracts**: API schemas filtered by `@tag` rules ([`contract_schema`]).
//!
//! It is not for IO: reading files and fetching SDL over HTTP is the `tessera` CLI's job.
//!
//! Also home of the checked-in SDL files: `schema/subgraphs/*.graphql` (the golden
//! SDL each subgraph exports) and `schema/supergraph.graphql` (their composition).

pub mod api_schema;
pub mod check;
pub mod compose;
pub mod contracts;
pub mod diff;
pub mod supergraph;

pub use api_schema::{ApiSchemaError, api_schema};
pub use check::{
    CheckError, CheckReport, OperationDocument, OperationReport, ValidationIssue, check_operations,
    check_subgraphs,
};
pub use compose::{
    Composed, CompositionDiagnostic, CompositionErrors, CompositionRule, SubgraphSdl, compose,
};
pub use contracts::{ContractError, ContractRules, contract_schema, contract_supergraph_sdl};
pub use diff::{Change, ChangeKind, Criticality, DiffError, diff, diff_sdl};
pub use supergraph::{Link, LinkVersion, SubgraphInfo, Supergraph, SupergraphError};
