//! Migrations for the inventory subgraph's database. Each runs on SQLite and
//! PostgreSQL; a migration's name is its file name.

// `async_trait` cannot take `SchemaManager<'_>` in the trait methods.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_products;
mod m20261201_000002_confirm_reservations;
mod m20261201_000003_create_analytics;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_products::Migration),
            Box::new(tessera_kit::events::migration::CreateOutbox),
            Box::new(tessera_kit::events::migration::CreateAppliedEvents),
            Box::new(m20261201_000002_confirm_reservations::Migration),
            Box::new(m20261201_000003_create_analytics::Migration),
        ]
    }
}
