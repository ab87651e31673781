//! The analytics read model, built from the orders events: units sold and
//! revenue per product, orders and revenue per day, and the lines of every
//! order seen (a cancellation subtracts them).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductSales::Table)
                    .if_not_exists()
                    .col(string_len(ProductSales::ProductId, 36).primary_key())
                    .col(big_integer(ProductSales::UnitsSold).default(0))
                    .col(big_integer(ProductSales::RevenueCents).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DailyOrders::Table)
                    .if_not_exists()
                    .col(string_len(DailyOrders::Day, 10).primary_key())
                    .col(big_integer(DailyOrders::Orders).default(0))
                    .col(big_integer(DailyOrders::RevenueCents).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnalyticsOrders::Table)
                    .if_not_exists()
                    .col(string_len(AnalyticsOrders::OrderId, 36).primary_key())
                    .col(string_len(AnalyticsOrders::Day, 10))
                    .col(text(AnalyticsOrders::Lines))
                    .col(big_integer(AnalyticsOrders::TotalCents))
                    .col(boolean(AnalyticsOrders::Cancelled).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AnalyticsOrders::Table.into_iden(),
            DailyOrders::Table.into_iden(),
            ProductSales::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ProductSales {
    Table,
    ProductId,
    UnitsSold,
    RevenueCents,
}

#[derive(DeriveIden)]
enum DailyOrders {
    Table,
    Day,
    Orders,
    RevenueCents,
}

#[derive(DeriveIden)]
enum AnalyticsOrders {
    Table,
    OrderId,
    Day,
    Lines,
    TotalCents,
    Cancelled,
}
