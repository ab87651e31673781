//! Reservations learn when their order was confirmed (its `OrderPlaced`
//! event arrived): an unconfirmed reservation older than the reservation
//! timeout belongs to an order that was never recorded and is released.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reservations::Table)
                    .add_column(timestamp_with_time_zone_null(Reservations::ConfirmedAt))
                    .to_owned(),
            )
            .await?;
        // The sweeper looks for old unconfirmed reservations.
        manager
            .create_index(
                Index::create()
                    .name("idx_reservations_unconfirmed")
                    .table(Reservations::Table)
                    .col(Reservations::Status)
                    .col(Reservations::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_reservations_unconfirmed")
                    .table(Reservations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Reservations::Table)
                    .drop_column(Reservations::ConfirmedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Status,
    CreatedAt,
    ConfirmedAt,
}
