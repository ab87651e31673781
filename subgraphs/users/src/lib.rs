//! The users subgraph: accounts, sign-up and log-in (argon2id), JWT issuing
//! (HS256 by default, RS256 with a configured key and its JWKS), `me`, user
//! lookups and cursor pagination, wishlists of product references.
//!
//! Owns `User @key(fields: "id")`. Layers: [`graphql`] resolvers call
//! [`service`], the only module that touches the database through [`entity`].

pub mod catalogue;
mod entity;
pub mod graphql;
pub mod seed;
pub mod service;
pub mod throttle;

use async_graphql::EmptySubscription;
use async_graphql::dataloader::DataLoader;
use axum::Router;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tessera_kit::auth::{JwtIssuer, JwtVerifier};
use tessera_kit::config::SubgraphConfig;
use tessera_kit::http::{RunningServer, graphql_router};
pub use tessera_kit::start::StartError;

pub use graphql::UsersSchema;

/// The subgraph's name in the supergraph.
pub const NAME: &str = "users";
/// Port of the standalone binary.
pub const DEFAULT_PORT: u16 = 4001;

/// Connects to the database and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    tessera_kit::db::connect_migrated::<tessera_users_migration::Migrator>(url).await
}

/// The users subgraph's settings: the shared ones and where the catalogue
/// (the inventory subgraph) answers, to check product references.
#[derive(Debug, Clone)]
pub struct UsersConfig {
    pub subgraph: SubgraphConfig,
    pub inventory_url: String,
}

impl UsersConfig {
    /// `subgraph` with the catalogue at `inventory_url`.
    pub fn new(subgraph: SubgraphConfig, inventory_url: impl Into<String>) -> Self {
        Self {
            subgraph,
            inventory_url: inventory_url.into(),
        }
    }

    /// Defaults overridden by the environment (`TESSERA_INVENTORY_URL` and
    /// everything [`SubgraphConfig::from_env`] reads).
    pub fn from_env() -> Result<Self, tessera_kit::config::ConfigError> {
        Ok(Self::new(
            SubgraphConfig::from_env(NAME, DEFAULT_PORT)?,
            std::env::var("TESSERA_INVENTORY_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:4003/graphql".to_owned()),
        ))
    }
}

/// The GraphQL schema over a migrated database.
pub fn build_schema(
    db: DatabaseConnection,
    issuer: JwtIssuer,
    catalogue: catalogue::Catalogue,
) -> UsersSchema {
    let builder =
        async_graphql::Schema::build(graphql::Query, graphql::Mutation, EmptySubscription)
            .data(DataLoader::new(
                graphql::UserLoader(db.clone()),
                tokio::spawn,
            ))
            .data(DataLoader::new(
                graphql::WishlistLoader(db.clone()),
                tokio::spawn,
            ))
            .data(issuer)
            .data(throttle::LoginThrottle::default())
            .data(catalogue)
            .data(db);
    tessera_kit::configure_schema(builder).finish()
}

/// The HTTP app: `/graphql`, `/health` and `/.well-known/jwks.json`.
pub fn app(db: DatabaseConnection, config: &UsersConfig) -> Result<Router, StartError> {
    let auth = &config.subgraph.auth;
    let issuer = JwtIssuer::from_config(auth)?;
    let verifier = JwtVerifier::from_config(auth)?;
    let jwks = issuer.jwks();
    let catalogue = catalogue::Catalogue::new(config.inventory_url.clone());
    let schema = build_schema(db.clone(), issuer, catalogue);
    Ok(
        graphql_router(schema, verifier, db, config.subgraph.introspection).route(
            "/.well-known/jwks.json",
            get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        ),
    )
}

/// Starts the subgraph in the background on `config.subgraph.listen`.
pub async fn spawn(
    config: &UsersConfig,
) -> Result<(RunningServer, DatabaseConnection), StartError> {
    tessera_kit::start::spawn_publishing::<tessera_users_migration::Migrator>(
        NAME,
        &config.subgraph,
        |db| app(db, config),
    )
    .await
}

/// Runs the standalone process until Ctrl-C / SIGTERM.
pub async fn run(config: UsersConfig) -> Result<(), StartError> {
    tessera_kit::start::run_publishing::<tessera_users_migration::Migrator>(
        NAME,
        &config.subgraph,
        |db| app(db, &config),
    )
    .await
}
