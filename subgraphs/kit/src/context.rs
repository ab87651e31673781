//! What resolvers read from the GraphQL context.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

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

/// Per-request bookkeeping: which once-per-request operations already ran.
/// The HTTP layer puts a fresh one in every request.
#[derive(Debug, Default)]
pub struct PerRequest(Mutex<HashSet<&'static str>>);

impl PerRequest {
    /// `true` the first time `key` is claimed in this request.
    pub fn first(&self, key: &'static str) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key)
    }
}

/// Claims `key` for this request: `false` when something already did (a
/// request outside the HTTP layer has no bookkeeping and always gets `true`).
pub fn once_per_request(ctx: &Context<'_>, key: &'static str) -> bool {
    ctx.data_opt::<PerRequest>().is_none_or(|p| p.first(key))
}
