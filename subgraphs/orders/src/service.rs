//! Orders domain logic. The only module that touches the database.
//!
//! Placing an order reserves stock in the inventory subgraph first (all lines
//! or none, atomically there), then writes the order and its lines in one
//! transaction here; if that write fails, the reservation is released again.
//! So a failed order leaves no rows behind in either database.
//!
//! Each change writes its event (`OrderPlaced`, `OrderCancelled`) to the
//! outbox in the same transaction (`tessera_kit::events`).

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use tessera_kit::events::Event;
use tessera_kit::ids::{new_id, parse_id};
use tessera_kit::{ApiError, ApiResult, ErrorCode};

use crate::entity::{order, order_line};
use crate::inventory_client::{InventoryClient, LineRequest};

/// Most lines one order may carry.
pub const MAX_LINES: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Placed,
    Cancelled,
}

impl Status {
    fn from_db(s: &str) -> Self {
        if s == order::CANCELLED {
            Self::Cancelled
        } else {
            Self::Placed
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub status: Status,
    pub total_cents: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<order::Model> for Order {
    fn from(m: order::Model) -> Self {
        Self {
            status: Status::from_db(&m.status),
            id: m.id,
            user_id: m.user_id,
            total_cents: m.total_cents,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product_id: String,
    pub product_name: String,
    pub unit_price_cents: i64,
    pub quantity: i32,
}

impl From<order_line::Model> for OrderLine {
    fn from(m: order_line::Model) -> Self {
        Self {
            product_id: m.product_id,
            product_name: m.product_name,
            unit_price_cents: m.unit_price_cents,
            quantity: m.quantity,
        }
    }
}

/// Key of one page of one user's orders (the DataLoader key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserOrdersKey {
    pub user_id: String,
    pub limit: u64,
    pub after: Option<String>,
}

pub async fn orders_by_ids(
    db: &DatabaseConnection,
    ids: &[String],
) -> ApiResult<HashMap<String, Order>> {
    let valid: Vec<String> = ids.iter().filter_map(|id| parse_id(id)).collect();
    if valid.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = order::Entity::find()
        .filter(order::Column::Id.is_in(valid))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| (m.id.clone(), Order::from(m)))
        .collect())
}

pub async fn lines_by_orders(
    db: &DatabaseConnection,
    order_ids: &[String],
) -> ApiResult<HashMap<String, Vec<OrderLine>>> {
    let rows = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(order_ids.iter().cloned()))
        .order_by_asc(order_line::Column::OrderId)
        .order_by_asc(order_line::Column::Position)
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<OrderLine>> = HashMap::new();
    for row in rows {
        out.entry(row.order_id.clone())
            .or_default()
            .push(row.into());
    }
    Ok(out)
}

/// Pages of several users' orders, newest first. One statement per distinct
/// (page size, cursor) pair, however many users and orders.
pub async fn orders_of_users(
    db: &DatabaseConnection,
    keys: &[UserOrdersKey],
) -> ApiResult<HashMap<UserOrdersKey, Vec<Order>>> {
    let pages = tessera_kit::db::pages_per_group::<order::Entity, _>(
        db,
        "orders",
        "user_id",
        "id",
        keys,
        |k| tessera_kit::db::GroupPage {
            group: &k.user_id,
            limit: k.limit,
            after: k.after.as_deref(),
        },
        |row| &row.user_id,
    )
    .await?;
    Ok(pages
        .into_iter()
        .map(|(key, rows)| (key, rows.into_iter().map(Order::from).collect()))
        .collect())
}

/// Places an order for `user_id`: reserve in inventory, then record here.
pub async fn place_order(
    db: &DatabaseConnection,
    inventory: &InventoryClient,
    authorization: &str,
    user_id: &str,
    lines: Vec<LineRequest>,
) -> ApiResult<Order> {
    if lines.is_empty() {
        return Err(ApiError::bad_input("an order needs at least one line"));
    }
    if lines.len() > MAX_LINES {
        return Err(ApiError::bad_input(format!(
            "an order holds at most {MAX_LINES} lines"
        )));
    }
    let order_id = new_id();
    let reserved = match inventory.reserve(authorization, &order_id, &lines).await {
        Ok(reserved) => reserved,
        Err(e) => {
            // The reservation may have been taken even though its answer was
            // lost (timeout, dropped connection): release it, idempotently.
            if e.code == ErrorCode::ServiceUnavailable {
                let _ = inventory.release(authorization, &order_id).await;
            }
            return Err(e);
        }
    };
    match record_order(db, &order_id, user_id, &reserved).await {
        Ok(order) => Ok(order),
        Err(e) => {
            // Compensate: the stock must not stay reserved for an order that does not exist.
            if let Err(release) = inventory.release(authorization, &order_id).await {
                tracing::error!(
                    order_id,
                    code = release.code.as_str(),
                    "could not release stock after a failed order"
                );
            }
            Err(e)
        }
    }
}

async fn record_order(
    db: &DatabaseConnection,
    order_id: &str,
    user_id: &str,
    reserved: &[crate::inventory_client::ReservedLine],
) -> ApiResult<Order> {
    if reserved.is_empty() {
        return Err(ApiError::internal("inventory reserved no lines"));
    }
    let total: i64 = reserved
        .iter()
        .map(|l| l.unit_price_cents.saturating_mul(i64::from(l.quantity)))
        .fold(0i64, i64::saturating_add);
    let now = chrono::Utc::now();
    let txn = db.begin().await?;
    let model = order::Entity::insert(order::ActiveModel {
        id: Set(order_id.to_owned()),
        user_id: Set(user_id.to_owned()),
        status: Set(order::PLACED.to_owned()),
        total_cents: Set(total),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await?;
    order_line::Entity::insert_many(reserved.iter().enumerate().map(|(i, l)| {
        order_line::ActiveModel {
            order_id: Set(order_id.to_owned()),
            position: Set(i as i32),
            product_id: Set(l.product_id.clone()),
            product_name: Set(l.product_name.clone()),
            unit_price_cents: Set(l.unit_price_cents),
            quantity: Set(l.quantity),
        }
    }))
    .exec(&txn)
    .await?;
    tessera_kit::events::record(
        &txn,
        &Event::OrderPlaced {
            order_id: order_id.to_owned(),
            user_id: user_id.to_owned(),
            lines: reserved
                .iter()
                .map(|l| tessera_kit::events::OrderLine {
                    product_id: l.product_id.clone(),
                    quantity: l.quantity,
                    unit_price_cents: l.unit_price_cents,
                })
                .collect(),
            total_cents: total,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// Cancels a placed order of `user_id` and returns its stock.
pub async fn cancel_order(
    db: &DatabaseConnection,
    inventory: &InventoryClient,
    authorization: &str,
    user_id: &str,
    order_id: &str,
) -> ApiResult<Order> {
    let order = owned_order(db, user_id, order_id).await?;
    if order.status != Status::Placed {
        return Err(ApiError::new(
            ErrorCode::InvalidOrderState,
            "only a placed order can be cancelled",
        ));
    }
    // Release first: it is idempotent, so a retry after a failure below is safe.
    inventory.release(authorization, &order.id).await?;
    let now = chrono::Utc::now();
    let txn = db.begin().await?;
    let updated = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(order::CANCELLED))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(order.id.as_str()))
        .filter(order::Column::Status.eq(order::PLACED))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::new(
            ErrorCode::InvalidOrderState,
            "only a placed order can be cancelled",
        ));
    }
    tessera_kit::events::record(
        &txn,
        &Event::OrderCancelled {
            order_id: order.id.clone(),
            user_id: user_id.to_owned(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Order {
        status: Status::Cancelled,
        updated_at: now,
        ..order
    })
}

/// The order, if it exists and belongs to `user_id`; `NOT_FOUND` otherwise
/// (so other users' order ids are not even confirmed to exist).
pub async fn owned_order(
    db: &DatabaseConnection,
    user_id: &str,
    order_id: &str,
) -> ApiResult<Order> {
    let not_found = || ApiError::not_found("order", order_id);
    let id = parse_id(order_id).ok_or_else(not_found)?;
    let order = order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if order.user_id != user_id {
        return Err(not_found());
    }
    Ok(order.into())
}

/// The zone-aware shipping estimate (supersedes inventory's flat rate).
pub fn shipping_estimate_cents(weight_grams: i32, warehouse_zone: &str) -> i64 {
    let base = match warehouse_zone {
        "EU-1" => 399,
        "EU-2" => 449,
        "US-1" => 699,
        _ => 799,
    };
    base + i64::from(Ord::max(weight_grams, 0)) / 100 * 12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipping_by_zone_and_weight() {
        assert_eq!(shipping_estimate_cents(0, "EU-1"), 399);
        assert_eq!(shipping_estimate_cents(1_000, "US-1"), 699 + 120);
        assert_eq!(shipping_estimate_cents(-5, "??"), 799);
    }
}
