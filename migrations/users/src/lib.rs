//! Migrations for the users subgraph's database. Each runs on SQLite and
//! PostgreSQL; a migration's name is its file name.

// `async_trait` cannot take `SchemaManager<'_>` in the trait methods.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_users;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_users::Migration),
            Box::new(tessera_kit::events::migration::CreateOutbox),
        ]
    }
}
