use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    // The event's id, or `<event id>.<user id>` for an event
                    // that notifies several users: sorts by time either way.
                    .col(string_len(Notifications::Id, 80).primary_key())
                    .col(string_len(Notifications::UserId, 36))
                    .col(string_len(Notifications::Kind, 32))
                    .col(text(Notifications::Message))
                    .col(string_len_null(Notifications::OrderId, 36))
                    .col(string_len_null(Notifications::ProductId, 36))
                    // The event that caused it.
                    .col(string_len(Notifications::EventId, 36))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Who wishlisted what (from the users events): whom to tell when a
        // product is back in stock.
        manager
            .create_table(
                Table::create()
                    .table(Wishlists::Table)
                    .if_not_exists()
                    .col(string_len(Wishlists::UserId, 36))
                    .col(string_len(Wishlists::ProductId, 36))
                    .primary_key(
                        Index::create()
                            .col(Wishlists::UserId)
                            .col(Wishlists::ProductId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_wishlists_product")
                    .table(Wishlists::Table)
                    .col(Wishlists::ProductId)
                    .to_owned(),
            )
            .await?;
        // A user's notifications, newest first (keyset pagination by id).
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_user")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Wishlists::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Wishlists {
    Table,
    UserId,
    ProductId,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Message,
    OrderId,
    ProductId,
    EventId,
    CreatedAt,
}
