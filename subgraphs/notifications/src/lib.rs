//! The notifications subgraph: a notification for the user whenever one of
//! their orders is placed or cancelled, written by a consumer of the orders
//! events (each event once: the event id is recorded with the notification)
//! and read through `User.notifications` (paginated, the user's own only).
//!
//! Extends `User`; references `Order` (resolved by orders). Layers:
//! [`graphql`] resolvers call [`service`], the only module that touches the
//! database.

mod entity;
pub mod graphql;
pub mod service;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription};
use axum::Router;
use sea_orm::DatabaseConnection;
use tessera_kit::auth::JwtVerifier;
use tessera_kit::config::SubgraphConfig;
use tessera_kit::consume::{Consumer, ConsumerHandle, EventSource};
use tessera_kit::http::{RunningServer, graphql_router};
pub use tessera_kit::start::StartError;

pub use graphql::NotificationsSchema;

/// The subgraph's name in the supergraph.
pub const NAME: &str = "notifications";
/// Port of the standalone binary.
pub const DEFAULT_PORT: u16 = 4004;
/// The consumer of the orders events (its applied-events records' name and
/// its Redis group).
pub const CONSUMER: &str = "notifications";
/// The consumer of the users events (wishlists).
pub const WISHLISTS_CONSUMER: &str = "notifications-wishlists";
/// The consumer of the inventory events (restocks).
pub const RESTOCKS_CONSUMER: &str = "notifications-restocks";
/// Each stream this service reads, with its consumer.
pub const STREAMS: [(&str, &str); 3] = [
    ("orders", CONSUMER),
    ("users", WISHLISTS_CONSUMER),
    ("inventory", RESTOCKS_CONSUMER),
];

/// Connects to the database and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    tessera_kit::db::connect_migrated::<tessera_notifications_migration::Migrator>(url).await
}

/// The GraphQL schema over a migrated database.
pub fn build_schema(db: DatabaseConnection) -> NotificationsSchema {
    let builder = async_graphql::Schema::build(graphql::Query, EmptyMutation, EmptySubscription)
        .data(DataLoader::new(
            graphql::UserNotificationsLoader(db.clone()),
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

/// The consumer that writes notifications from the orders events in `source`.
pub fn consume(db: DatabaseConnection, source: Arc<dyn EventSource>) -> ConsumerHandle {
    consume_as(CONSUMER, db, source)
}

/// Consumer `name` (one of [`STREAMS`]) over `source`.
pub fn consume_as(
    name: &str,
    db: DatabaseConnection,
    source: Arc<dyn EventSource>,
) -> ConsumerHandle {
    Consumer::new(name, db, source, service::handler()).spawn()
}

/// Starts the subgraph in the background on `config.listen`. With
/// `config.redis_url` its consumer reads the orders stream there; without,
/// the caller wires a source ([`consume`]; `tessera dev` reads the orders
/// outbox directly).
pub async fn spawn(
    config: &SubgraphConfig,
) -> Result<(RunningServer, DatabaseConnection), StartError> {
    let (server, db) = tessera_kit::start::spawn::<tessera_notifications_migration::Migrator>(
        NAME,
        config,
        |db| app(db, config),
    )
    .await?;
    let mut server = server;
    if let Some(url) = &config.redis_url {
        for (stream, name) in STREAMS {
            let source = tessera_kit::consume::redis_source(url, stream, name).await?;
            let consumer = consume_as(name, db.clone(), source.clone());
            server = server.with_consumer(name, consumer.status.clone(), source, consumer);
        }
    }
    Ok((server, db))
}

/// Runs the standalone process until Ctrl-C / SIGTERM.
pub async fn run(config: SubgraphConfig) -> Result<(), StartError> {
    let (server, _db) = spawn(&config).await?;
    tracing::info!(subgraph = NAME, addr = %server.addr, "listening");
    if config.redis_url.is_none() {
        tracing::warn!("no TESSERA_REDIS_URL: no order events reach this service");
    }
    tessera_kit::http::shutdown_signal().await;
    server.stop().await?;
    Ok(())
}
