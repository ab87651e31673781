//! Starting a subgraph: connect and migrate its database, build its app, serve.

use axum::Router;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;

use crate::auth::KeyError;
use crate::config::SubgraphConfig;
use crate::http::RunningServer;

/// Why a subgraph could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("keys: {0}")]
    Keys(#[from] KeyError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("events: {0}")]
    Broker(#[from] crate::relay::BrokerError),
}

async fn prepare<M: MigratorTrait>(
    name: &str,
    config: &SubgraphConfig,
) -> Result<DatabaseConnection, StartError> {
    config.prepare_data_dir()?;
    Ok(crate::db::connect_migrated::<M>(&config.database_url(name)).await?)
}

/// Starts subgraph `name` in the background on `config.listen`; returns the
/// server and its database handle.
pub async fn spawn<M: MigratorTrait>(
    name: &str,
    config: &SubgraphConfig,
    app: impl FnOnce(DatabaseConnection) -> Result<Router, StartError>,
) -> Result<(RunningServer, DatabaseConnection), StartError> {
    spawn_serving::<M>(name, config, app, false).await
}

/// [`spawn`], with `/metrics` (the outbox lag too when `publishing`).
async fn spawn_serving<M: MigratorTrait>(
    name: &str,
    config: &SubgraphConfig,
    app: impl FnOnce(DatabaseConnection) -> Result<Router, StartError>,
    publishing: bool,
) -> Result<(RunningServer, DatabaseConnection), StartError> {
    let db = prepare::<M>(name, config).await?;
    let metrics = crate::metrics::ServiceMetrics::new(publishing.then(|| db.clone()));
    let app = crate::metrics::route(app(db.clone())?, metrics.clone());
    let server = crate::http::spawn_app(config, app)
        .await?
        .with_metrics(metrics);
    Ok((server, db))
}

/// [`spawn`] for a service with an outbox: its relay runs while the server
/// does (to Redis Streams when `config.redis_url` is set).
pub async fn spawn_publishing<M: MigratorTrait>(
    name: &str,
    config: &SubgraphConfig,
    app: impl FnOnce(DatabaseConnection) -> Result<Router, StartError>,
) -> Result<(RunningServer, DatabaseConnection), StartError> {
    let (server, db) = spawn_serving::<M>(name, config, app, true).await?;
    let relay = crate::relay::start(
        name,
        &db,
        config.redis_url.as_deref(),
        config.events_max_len,
    )?;
    Ok((server.with_relay(relay), db))
}

/// [`run`] for a service with an outbox, its relay running alongside.
pub async fn run_publishing<M: MigratorTrait>(
    name: &str,
    config: &SubgraphConfig,
    app: impl FnOnce(DatabaseConnection) -> Result<Router, StartError>,
) -> Result<(), StartError> {
    let db = prepare::<M>(name, config).await?;
    let _relay = crate::relay::start(
        name,
        &db,
        config.redis_url.as_deref(),
        config.events_max_len,
    )?;
    crate::http::run_app(name, config, app(db)?).await?;
    Ok(())
}

/// Runs subgraph `name` in the foreground until Ctrl-C / SIGTERM.
pub async fn run<M: MigratorTrait>(
    name: &str,
    config: &SubgraphConfig,
    app: impl FnOnce(DatabaseConnection) -> Result<Router, StartError>,
) -> Result<(), StartError> {
    let db = prepare::<M>(name, config).await?;
    crate::http::run_app(name, config, app(db)?).await?;
    Ok(())
}
