use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(string_len(Users::Id, 36).primary_key())
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string_len(Users::Name, 100))
                    .col(string(Users::PasswordHash))
                    .col(string(Users::Scopes).default(""))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WishlistItems::Table)
                    .if_not_exists()
                    .col(string_len(WishlistItems::UserId, 36))
                    .col(string_len(WishlistItems::ProductId, 36))
                    .col(timestamp_with_time_zone(WishlistItems::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(WishlistItems::UserId)
                            .col(WishlistItems::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WishlistItems::Table, WishlistItems::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WishlistItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    Scopes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WishlistItems {
    Table,
    UserId,
    ProductId,
    AddedAt,
}
