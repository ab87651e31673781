use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(string_len(Products::Id, 36).primary_key())
                    .col(string_len_uniq(Products::Sku, 64))
                    .col(string_len(Products::Name, 200))
                    .col(text(Products::Description).default(""))
                    .col(big_integer(Products::PriceCents))
                    .col(integer(Products::WeightGrams))
                    .col(string_len(Products::WarehouseZone, 16))
                    // The database itself refuses negative stock, whatever the code does.
                    .col(integer(Products::Stock).check(Expr::col(Products::Stock).gte(0)))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reservations::Table)
                    .if_not_exists()
                    .col(string_len(Reservations::OrderId, 36))
                    .col(string_len(Reservations::ProductId, 36))
                    .col(string_len(Reservations::UserId, 36))
                    .col(integer(Reservations::Quantity))
                    .col(string_len(Reservations::Status, 16))
                    .col(timestamp_with_time_zone(Reservations::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Reservations::OrderId)
                            .col(Reservations::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reservations::Table, Reservations::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Restocks::Table)
                    .if_not_exists()
                    .col(string_len(Restocks::Id, 36).primary_key())
                    .col(string_len(Restocks::ProductId, 36))
                    .col(string_len(Restocks::UserId, 36))
                    .col(integer(Restocks::Quantity))
                    .col(timestamp_with_time_zone(Restocks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Restocks::Table, Restocks::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_restocks_user")
                    .table(Restocks::Table)
                    .col(Restocks::UserId)
                    .col(Restocks::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Restocks::Table.into_iden(),
            Reservations::Table.into_iden(),
            Products::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    Description,
    PriceCents,
    WeightGrams,
    WarehouseZone,
    Stock,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    OrderId,
    ProductId,
    UserId,
    Quantity,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Restocks {
    Table,
    Id,
    ProductId,
    UserId,
    Quantity,
    CreatedAt,
}
