//! Migrations for the notifications subgraph's database. Each runs on SQLite
//! and PostgreSQL; a migration's name is its file name.

// `async_trait` cannot take `SchemaManager<'_>` in the trait methods.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::prelude::*;

mod m20261201_000001_create_notifications;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261201_000001_create_notifications::Migration),
            Box::new(tessera_kit::events::migration::CreateAppliedEvents),
        ]
    }
}
