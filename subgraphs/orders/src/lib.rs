//! The orders subgraph: orders with their lines, status, totals and
//! timestamps; placing an order reserves stock in inventory (all or nothing),
//! cancelling returns it.
//!
//! Owns `Order @key(fields: "id")`; extends `User` with `orders` and `Product`
//! with a zone-aware `shippingEstimateCents` (`@requires` inventory's weight and
//! warehouse zone, `@override` of inventory's legacy estimate); order lines
//! `@provides` the product name as it was when ordered. Layers: [`graphql`]
//! resolvers call [`service`], the only module that touches the database.

mod entity;
pub mod graphql;
pub mod inventory_client;
pub mod seed;
pub mod service;

use async_graphql::EmptySubscription;
use async_graphql::dataloader::DataLoader;
use axum::Router;
use sea_orm::DatabaseConnection;
use tessera_kit::auth::{JwtVerifier, ServiceSigner};
use tessera_kit::config::SubgraphConfig;
use tessera_kit::http::{RunningServer, graphql_router};
pub use tessera_kit::start::StartError;

pub use graphql::OrdersSchema;
use inventory_client::InventoryClient;

/// The subgraph's name in the supergraph.
pub const NAME: &str = "orders";
/// Port of the standalone binary.
pub const DEFAULT_PORT: u16 = 4002;

/// The orders subgraph's settings.
#[derive(Debug, Clone)]
pub struct OrdersConfig {
    pub subgraph: SubgraphConfig,
    /// The inventory subgraph's GraphQL endpoint (stock reservations).
    pub inventory_url: String,
}

impl OrdersConfig {
    /// Defaults overridden by the environment (`TESSERA_INVENTORY_URL` and
    /// everything [`SubgraphConfig::from_env`] reads).
    pub fn from_env() -> Result<Self, tessera_kit::config::ConfigError> {
        Ok(Self {
            subgraph: SubgraphConfig::from_env(NAME, DEFAULT_PORT)?,
            inventory_url: std::env::var("TESSERA_INVENTORY_URL")
                .unwrap_or_else(|_| format!("http://127.0.0.1:{}/graphql", 4003)),
        })
    }
}

/// Connects to the database and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    tessera_kit::db::connect_migrated::<tessera_orders_migration::Migrator>(url).await
}

/// The GraphQL schema over a migrated database.
pub fn build_schema(db: DatabaseConnection, inventory: InventoryClient) -> OrdersSchema {
    let builder =
        async_graphql::Schema::build(graphql::Query, graphql::Mutation, EmptySubscription)
            .data(DataLoader::new(
                graphql::OrderLoader(db.clone()),
                tokio::spawn,
            ))
            .data(DataLoader::new(
                graphql::LinesLoader(db.clone()),
                tokio::spawn,
            ))
            .data(DataLoader::new(
                graphql::UserOrdersLoader(db.clone()),
                tokio::spawn,
            ))
            .data(inventory)
            .data(db);
    tessera_kit::configure_schema(builder).finish()
}

/// The HTTP app: `/graphql` and `/health`.
pub fn app(db: DatabaseConnection, config: &OrdersConfig) -> Result<Router, StartError> {
    let verifier = JwtVerifier::from_config(&config.subgraph.auth)?;
    let signer = ServiceSigner::from_config(NAME, &config.subgraph.auth)?;
    let inventory = InventoryClient::new(config.inventory_url.clone(), signer);
    Ok(graphql_router(
        build_schema(db.clone(), inventory),
        verifier,
        db,
        config.subgraph.introspection,
    ))
}

/// Starts the subgraph in the background on `config.subgraph.listen`.
pub async fn spawn(
    config: &OrdersConfig,
) -> Result<(RunningServer, DatabaseConnection), StartError> {
    tessera_kit::start::spawn_publishing::<tessera_orders_migration::Migrator>(
        NAME,
        &config.subgraph,
        |db| app(db, config),
    )
    .await
}

/// Runs the standalone process until Ctrl-C / SIGTERM.
pub async fn run(config: OrdersConfig) -> Result<(), StartError> {
    tessera_kit::start::run_publishing::<tessera_orders_migration::Migrator>(
        NAME,
        &config.subgraph,
        |db| app(db, &config),
    )
    .await
}
