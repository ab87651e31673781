//! Notifications: written from order, wishlist and stock events, read per user. The only module
//! that touches the database.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};
use tessera_kit::ApiResult;
use tessera_kit::events::{Envelope, Event};

use crate::entity::{notification, wishlist};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OrderPlaced,
    OrderCancelled,
    BackInStock,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OrderPlaced => "ORDER_PLACED",
            Kind::OrderCancelled => "ORDER_CANCELLED",
            Kind::BackInStock => "BACK_IN_STOCK",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        match text {
            "ORDER_PLACED" => Some(Kind::OrderPlaced),
            "ORDER_CANCELLED" => Some(Kind::OrderCancelled),
            "BACK_IN_STOCK" => Some(Kind::BackInStock),
            _ => None,
        }
    }
}

/// One notification, as resolvers see it.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    pub kind: Kind,
    pub message: String,
    pub order_id: Option<String>,
    pub product_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Notification {
    fn from_model(m: notification::Model) -> Option<Self> {
        Some(Self {
            kind: Kind::parse(&m.kind)?,
            id: m.id,
            user_id: m.user_id,
            message: m.message,
            order_id: m.order_id,
            product_id: m.product_id,
            created_at: m.created_at,
        })
    }
}

/// Formats cents as an amount (`$12.34`), for messages.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}${}.{:02}", cents / 100, cents % 100)
}

/// A notification about to be written.
struct New {
    id: String,
    user_id: String,
    kind: Kind,
    message: String,
    order_id: Option<String>,
    product_id: Option<String>,
}

/// What an event does here (inside the consumer's transaction, which also
/// records the event as applied): an order placed or cancelled notifies its
/// buyer; a wishlist change updates who wants what; a product restocked from
/// zero notifies everyone whose wishlist holds it.
pub async fn notify(
    txn: &DatabaseTransaction,
    envelope_id: &str,
    occurred_at: chrono::DateTime<chrono::Utc>,
    event: Event,
) -> Result<(), DbErr> {
    let notifications = match event {
        Event::OrderPlaced {
            order_id,
            user_id,
            lines,
            total_cents,
        } => {
            let units: i64 = lines.iter().map(|l| i64::from(l.quantity)).sum();
            vec![New {
                id: envelope_id.to_owned(),
                user_id,
                kind: Kind::OrderPlaced,
                message: format!(
                    "Your order of {units} item{} ({}) was placed.",
                    if units == 1 { "" } else { "s" },
                    money(total_cents)
                ),
                order_id: Some(order_id),
                product_id: None,
            }]
        }
        Event::OrderCancelled { order_id, user_id } => vec![New {
            id: envelope_id.to_owned(),
            user_id,
            kind: Kind::OrderCancelled,
            message: "Your order was cancelled and its items returned to stock.".to_owned(),
            order_id: Some(order_id),
            product_id: None,
        }],
        Event::WishlistItemAdded {
            user_id,
            product_id,
        } => {
            wishlist::Entity::insert(wishlist::ActiveModel {
                user_id: Set(user_id),
                product_id: Set(product_id),
            })
            .on_conflict(
                OnConflict::columns([wishlist::Column::UserId, wishlist::Column::ProductId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
            return Ok(());
        }
        Event::WishlistItemRemoved {
            user_id,
            product_id,
        } => {
            wishlist::Entity::delete_many()
                .filter(wishlist::Column::UserId.eq(user_id))
                .filter(wishlist::Column::ProductId.eq(product_id))
                .exec(txn)
                .await?;
            return Ok(());
        }
        Event::ProductRestocked {
            product_id,
            quantity,
            stock,
        } if stock > 0 && stock - quantity <= 0 => {
            let wanting = wishlist::Entity::find()
                .filter(wishlist::Column::ProductId.eq(product_id.as_str()))
                .all(txn)
                .await?;
            wanting
                .into_iter()
                .map(|w| New {
                    id: format!("{envelope_id}.{}", w.user_id),
                    user_id: w.user_id,
                    kind: Kind::BackInStock,
                    message: format!(
                        "A product on your wishlist is back in stock ({stock} available)."
                    ),
                    order_id: None,
                    product_id: Some(product_id.clone()),
                })
                .collect()
        }
        _ => return Ok(()),
    };
    for new in notifications {
        notification::Entity::insert(notification::ActiveModel {
            id: Set(new.id),
            user_id: Set(new.user_id),
            kind: Set(new.kind.as_str().to_owned()),
            message: Set(new.message),
            order_id: Set(new.order_id),
            product_id: Set(new.product_id),
            event_id: Set(envelope_id.to_owned()),
            created_at: Set(occurred_at),
        })
        // Ids come from the event: a replay into a reset consumer cannot
        // write one twice.
        .on_conflict(
            OnConflict::column(notification::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// The handler consumers run: [`notify`] with the envelope's id and time.
pub fn handler() -> tessera_kit::consume::Handler {
    std::sync::Arc::new(|txn, envelope: &Envelope, event| {
        let (id, at) = (envelope.id.clone(), envelope.occurred_at);
        Box::pin(async move { notify(txn, &id, at, event).await })
    })
}

/// Empties the order notifications and the orders consumer's applied
/// records, so that a replay of the orders events from the first rebuilds
/// them exactly.
pub async fn reset(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    notification::Entity::delete_many()
        .filter(
            notification::Column::Kind
                .is_in([Kind::OrderPlaced.as_str(), Kind::OrderCancelled.as_str()]),
        )
        .exec(&txn)
        .await?;
    tessera_kit::events::applied::Entity::delete_many()
        .filter(tessera_kit::events::applied::Column::Consumer.eq(crate::CONSUMER))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Page key of one user's notifications (the DataLoader batches them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserNotificationsKey {
    pub user_id: String,
    pub limit: u64,
    pub after: Option<String>,
}

/// Each user's newest notifications (one statement per distinct page).
pub async fn notifications_of_users(
    db: &DatabaseConnection,
    keys: &[UserNotificationsKey],
) -> ApiResult<HashMap<UserNotificationsKey, Vec<Notification>>> {
    let pages = tessera_kit::db::pages_per_group::<notification::Entity, _>(
        db,
        "notifications",
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
        .map(|(key, rows)| {
            (
                key,
                rows.into_iter()
                    .filter_map(Notification::from_model)
                    .collect(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_dollars_and_cents() {
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(5), "$0.05");
        assert_eq!(money(123_456), "$1234.56");
        assert_eq!(money(-250), "-$2.50");
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [Kind::OrderPlaced, Kind::OrderCancelled, Kind::BackInStock] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("NOPE"), None);
    }
}
