//! What resolvers read from the GraphQL context.

use std::sync::OnceLock;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::auth::Viewer;

/// The caller (anonymous when the request carried no token).
pub fn viewer<'a>(ctx: &'a Context<'_>) -> &'a Viewer {
    static ANONYMOUS: OnceLock<Viewer> = OnceLock::new();
    ctx.data_opt::<Viewer>()
        .unwrap_or_else(|| ANONYMOUS.get_or_init(Viewer::default))
}

/// The subgraph's database.
pub fn db<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
}
