//! The analytics read model: units sold and revenue per product, orders and
//! revenue per day — built only from the orders events (a consumer, each
//! event applied once), so it can be rebuilt exactly by replaying them into a
//! reset consumer (`tessera events replay --consumer inventory-analytics
//! --reset`). A cancelled order's lines are subtracted again.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use tessera_kit::ApiResult;
use tessera_kit::consume::{Consumer, ConsumerHandle, EventSource, Handler};
use tessera_kit::events::{Event, OrderLine};

use crate::entity::{analytics_order, daily_orders, product_sales};

/// The consumer's name (its applied-events records) and its Redis group.
pub const CONSUMER: &str = "inventory-analytics";

/// A product's sales.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sales {
    pub units_sold: i64,
    pub revenue_cents: i64,
}

/// One day's orders (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub day: String,
    pub orders: i64,
    pub revenue_cents: i64,
}

/// What each orders event does to the read model.
pub fn handler() -> Handler {
    Arc::new(|txn, envelope, event| {
        let day = envelope.occurred_at.format("%Y-%m-%d").to_string();
        Box::pin(async move {
            match event {
                Event::OrderPlaced {
                    order_id,
                    lines,
                    total_cents,
                    ..
                } => placed(txn, &order_id, &day, &lines, total_cents).await,
                Event::OrderCancelled { order_id, .. } => cancelled(txn, &order_id, &day).await,
                _ => Ok(()),
            }
        })
    })
}

/// Starts the consumer over `source`.
pub fn consume(db: DatabaseConnection, source: Arc<dyn EventSource>) -> ConsumerHandle {
    Consumer::new(CONSUMER, db, source, handler()).spawn()
}

async fn placed(
    txn: &DatabaseTransaction,
    order_id: &str,
    day: &str,
    lines: &[OrderLine],
    total_cents: i64,
) -> Result<(), DbErr> {
    let seen = analytics_order::Entity::find_by_id(order_id.to_owned())
        .one(txn)
        .await?;
    if seen.is_some() {
        return Ok(());
    }
    analytics_order::Entity::insert(analytics_order::ActiveModel {
        order_id: Set(order_id.to_owned()),
        day: Set(day.to_owned()),
        lines: Set(serde_json::to_string(lines).unwrap_or_else(|_| "[]".into())),
        total_cents: Set(total_cents),
        cancelled: Set(false),
    })
    .exec_without_returning(txn)
    .await?;
    add_lines(txn, lines, 1).await?;
    add_day(txn, day, 1, total_cents).await
}

async fn cancelled(txn: &DatabaseTransaction, order_id: &str, day: &str) -> Result<(), DbErr> {
    let Some(order) = analytics_order::Entity::find_by_id(order_id.to_owned())
        .one(txn)
        .await?
    else {
        // Cancelled before its placement arrived (events out of order): a
        // tombstone, so that the placement, when it comes, counts nothing.
        analytics_order::Entity::insert(analytics_order::ActiveModel {
            order_id: Set(order_id.to_owned()),
            day: Set(day.to_owned()),
            lines: Set("[]".to_owned()),
            total_cents: Set(0),
            cancelled: Set(true),
        })
        .exec_without_returning(txn)
        .await?;
        return Ok(());
    };
    if order.cancelled {
        return Ok(());
    }
    let lines: Vec<OrderLine> = serde_json::from_str(&order.lines).unwrap_or_default();
    add_lines(txn, &lines, -1).await?;
    add_day(txn, &order.day, -1, -order.total_cents).await?;
    analytics_order::Entity::update_many()
        .col_expr(analytics_order::Column::Cancelled, Expr::value(true))
        .filter(analytics_order::Column::OrderId.eq(order_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Adds (`sign` 1) or subtracts (-1) each line's units and revenue.
async fn add_lines(txn: &DatabaseTransaction, lines: &[OrderLine], sign: i64) -> Result<(), DbErr> {
    let mut per_product: HashMap<&str, (i64, i64)> = HashMap::new();
    for line in lines {
        let entry = per_product.entry(line.product_id.as_str()).or_default();
        let units = i64::from(line.quantity);
        entry.0 += sign * units;
        entry.1 += sign * units.saturating_mul(line.unit_price_cents);
    }
    for (product_id, (units, revenue)) in per_product {
        let updated = product_sales::Entity::update_many()
            .col_expr(
                product_sales::Column::UnitsSold,
                Expr::col(product_sales::Column::UnitsSold).add(units),
            )
            .col_expr(
                product_sales::Column::RevenueCents,
                Expr::col(product_sales::Column::RevenueCents).add(revenue),
            )
            .filter(product_sales::Column::ProductId.eq(product_id))
            .exec(txn)
            .await?;
        if updated.rows_affected == 0 {
            product_sales::Entity::insert(product_sales::ActiveModel {
                product_id: Set(product_id.to_owned()),
                units_sold: Set(units),
                revenue_cents: Set(revenue),
            })
            .exec_without_returning(txn)
            .await?;
        }
    }
    Ok(())
}

async fn add_day(
    txn: &DatabaseTransaction,
    day: &str,
    orders: i64,
    revenue: i64,
) -> Result<(), DbErr> {
    let updated = daily_orders::Entity::update_many()
        .col_expr(
            daily_orders::Column::Orders,
            Expr::col(daily_orders::Column::Orders).add(orders),
        )
        .col_expr(
            daily_orders::Column::RevenueCents,
            Expr::col(daily_orders::Column::RevenueCents).add(revenue),
        )
        .filter(daily_orders::Column::Day.eq(day))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        daily_orders::Entity::insert(daily_orders::ActiveModel {
            day: Set(day.to_owned()),
            orders: Set(orders),
            revenue_cents: Set(revenue),
        })
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Sales of each product in `ids` (zero for a product never sold).
pub async fn sales_of(
    db: &DatabaseConnection,
    ids: &[String],
) -> ApiResult<HashMap<String, Sales>> {
    let rows = product_sales::Entity::find()
        .filter(product_sales::Column::ProductId.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    let mut out: HashMap<String, Sales> = ids
        .iter()
        .map(|id| (id.clone(), Sales::default()))
        .collect();
    for row in rows {
        out.insert(
            row.product_id,
            Sales {
                units_sold: row.units_sold,
                revenue_cents: row.revenue_cents,
            },
        );
    }
    Ok(out)
}

/// The last `days` days that had orders, newest first.
pub async fn orders_per_day(db: &DatabaseConnection, days: u64) -> ApiResult<Vec<Day>> {
    use sea_orm::QuerySelect;
    let rows = daily_orders::Entity::find()
        .order_by_desc(daily_orders::Column::Day)
        .limit(days)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Day {
            day: r.day,
            orders: r.orders,
            revenue_cents: r.revenue_cents,
        })
        .collect())
}

/// Empties the read model and the consumer's applied-events records, so that
/// a replay from the first event rebuilds it exactly.
pub async fn reset(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    product_sales::Entity::delete_many().exec(&txn).await?;
    daily_orders::Entity::delete_many().exec(&txn).await?;
    analytics_order::Entity::delete_many().exec(&txn).await?;
    tessera_kit::events::applied::Entity::delete_many()
        .filter(tessera_kit::events::applied::Column::Consumer.eq(CONSUMER))
        .exec(&txn)
        .await?;
    txn.commit().await
}
