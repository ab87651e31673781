//! The inventory subgraph: the product catalogue (price, weight, stock), stock
//! reservations for orders, and restocking (needs `inventory:write`).
//!
//! Owns `Product @key(fields: "id") @key(fields: "sku")`; extends `User` with
//! the restocks they made. Layers: [`graphql`] resolvers call [`service`], the
//! only module that touches the database through [`entity`].

pub mod analytics;
mod entity;
pub mod graphql;
pub mod reservations;
pub mod seed;
pub mod service;

use async_graphql::EmptySubscription;
use async_graphql::dataloader::DataLoader;
use axum::Router;
use sea_orm::DatabaseConnection;
use tessera_kit::auth::JwtVerifier;
use tessera_kit::config::SubgraphConfig;
use tessera_kit::http::{RunningServer, graphql_router};
pub use tessera_kit::start::StartError;

pub use graphql::InventorySchema;

/// The subgraph's name in the supergraph.
pub const NAME: &str = "inventory";
/// Port of the standalone binary.
pub const DEFAULT_PORT: u16 = 4003;

/// Connects to the database and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    tessera_kit::db::connect_migrated::<tessera_inventory_migration::Migrator>(url).await
}

/// The GraphQL schema over a migrated database.
pub fn build_schema(db: DatabaseConnection) -> InventorySchema {
    let builder =
        async_graphql::Schema::build(graphql::Query, graphql::Mutation, EmptySubscription)
            .data(DataLoader::new(
                graphql::ProductLoader(db.clone()),
                tokio::spawn,
            ))
            .data(DataLoader::new(
                graphql::RestockLoader(db.clone()),
                tokio::spawn,
            ))
            .data(DataLoader::new(
                graphql::SalesLoader(db.clone()),
                tokio::spawn,
            ))
            .data(db);
    tessera_kit::configure_schema(builder).finish()
}

/// The HTTP app: `/graphql` and `/health`.
pub fn app(db: DatabaseConnection, config: &SubgraphConfig) -> Result<Router, StartError> {
    let verifier = JwtVerifier::from_config(&config.auth)?;
    Ok(graphql_router(
        build_schema(db.clone()),
        verifier,
        db,
        config.introspection,
    ))
}

/// Starts the subgraph in the background on `config.listen`. With
/// `config.redis_url`, reservation safety reads the orders stream there;
/// without, the caller wires a source ([`reservations::start`]; `tessera dev`
/// reads the orders outbox directly).
pub async fn spawn(
    config: &SubgraphConfig,
) -> Result<(RunningServer, DatabaseConnection), StartError> {
    let (server, db) =
        tessera_kit::start::spawn_publishing::<tessera_inventory_migration::Migrator>(
            NAME,
            config,
            |db| app(db, config),
        )
        .await?;
    let server = match &config.redis_url {
        Some(url) => {
            let source =
                tessera_kit::consume::redis_source(url, "orders", reservations::GROUP).await?;
            let analytics_source =
                tessera_kit::consume::redis_source(url, "orders", analytics::CONSUMER).await?;
            let safety = reservations::start(
                db.clone(),
                source.clone(),
                std::time::Duration::from_secs(config.reservation_timeout_secs),
            );
            let analytics = analytics::consume(db.clone(), analytics_source.clone());
            server
                .with_consumer(reservations::CONSUMER, safety.status(), source, safety)
                .with_consumer(
                    analytics::CONSUMER,
                    analytics.status.clone(),
                    analytics_source,
                    analytics,
                )
        }
        None => server,
    };
    Ok((server, db))
}

/// Runs the standalone process until Ctrl-C / SIGTERM, with its relay and,
/// given a Redis URL, reservation safety.
pub async fn run(config: SubgraphConfig) -> Result<(), StartError> {
    let (server, _db) = spawn(&config).await?;
    tracing::info!(subgraph = NAME, addr = %server.addr, "listening");
    if config.redis_url.is_none() {
        tracing::warn!(
            "no TESSERA_REDIS_URL: reservations of orders that were never recorded are not released"
        );
    }
    tessera_kit::http::shutdown_signal().await;
    server.stop().await?;
    Ok(())
}
