//! Domain events and the transactional outbox.
//!
//! A service that changes state writes the events describing the change into
//! its own database's `outbox` table **in the same transaction** as the
//! change ([`record`]): the change and its events commit together or not at
//! all, so no event is lost and none describes a change that did not happen.
//! A relay (next step) publishes unpublished rows in order and marks them.
//!
//! Every event travels in one envelope ([`Envelope`]): id (UUIDv7, so ids
//! sort by time), type, schema version, aggregate type and id, when it
//! happened, and a payload whose shape the type names. The JSON Schema of
//! each payload is checked in under `schema/events/` and validated in tests.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

/// Version of every payload shape below; bumped for incompatible changes.
pub const SCHEMA_VERSION: i32 = 1;

/// One line of an order, as events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub product_id: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

/// Units of one product, as stock events carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockLine {
    pub product_id: String,
    pub quantity: i32,
}

/// What happened. The variant is the envelope's `type`; its fields are the
/// payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum Event {
    /// Orders: an order was recorded (its stock is reserved in inventory).
    #[serde(rename_all = "camelCase")]
    OrderPlaced {
        order_id: String,
        user_id: String,
        lines: Vec<OrderLine>,
        total_cents: i64,
    },
    /// Orders: a placed order was cancelled (its stock is released).
    #[serde(rename_all = "camelCase")]
    OrderCancelled { order_id: String, user_id: String },
    /// Inventory: stock was set aside for an order.
    #[serde(rename_all = "camelCase")]
    StockReserved {
        order_id: String,
        user_id: String,
        lines: Vec<StockLine>,
    },
    /// Inventory: an order's reserved stock was returned.
    #[serde(rename_all = "camelCase")]
    StockReleased {
        order_id: String,
        user_id: String,
        lines: Vec<StockLine>,
    },
    /// Inventory: units were added to a product.
    #[serde(rename_all = "camelCase")]
    ProductRestocked {
        product_id: String,
        quantity: i32,
        stock: i32,
    },
    /// Inventory: a product's stock fell below the low-stock threshold.
    #[serde(rename_all = "camelCase")]
    StockLow {
        product_id: String,
        stock: i32,
        threshold: i32,
    },
    /// Users: a product was saved to a user's wishlist.
    #[serde(rename_all = "camelCase")]
    WishlistItemAdded { user_id: String, product_id: String },
    /// Users: a product was taken off a user's wishlist.
    #[serde(rename_all = "camelCase")]
    WishlistItemRemoved { user_id: String, product_id: String },
}

impl Event {
    /// The envelope's `type`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::OrderPlaced { .. } => "OrderPlaced",
            Event::OrderCancelled { .. } => "OrderCancelled",
            Event::StockReserved { .. } => "StockReserved",
            Event::StockReleased { .. } => "StockReleased",
            Event::ProductRestocked { .. } => "ProductRestocked",
            Event::StockLow { .. } => "StockLow",
            Event::WishlistItemAdded { .. } => "WishlistItemAdded",
            Event::WishlistItemRemoved { .. } => "WishlistItemRemoved",
        }
    }

    /// The aggregate the event belongs to (events are ordered per aggregate).
    pub fn aggregate(&self) -> (&'static str, &str) {
        match self {
            Event::OrderPlaced { order_id, .. } | Event::OrderCancelled { order_id, .. } => {
                ("Order", order_id)
            }
            Event::StockReserved { order_id, .. } | Event::StockReleased { order_id, .. } => {
                ("Reservation", order_id)
            }
            Event::ProductRestocked { product_id, .. } | Event::StockLow { product_id, .. } => {
                ("Product", product_id)
            }
            Event::WishlistItemAdded { user_id, .. }
            | Event::WishlistItemRemoved { user_id, .. } => ("User", user_id),
        }
    }

    /// The payload alone, as JSON.
    pub fn payload(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.remove("payload").unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }
}

/// An event with its metadata, as stored and published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: i32,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub occurred_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

impl Envelope {
    /// The typed event, if the envelope holds one this version knows.
    pub fn event(&self) -> Option<Event> {
        serde_json::from_value(serde_json::json!({
            "type": self.event_type,
            "payload": self.payload,
        }))
        .ok()
    }
}

/// The `outbox` table every publishing service has.
pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub event_type: String,
        pub schema_version: i32,
        pub aggregate_type: String,
        pub aggregate_id: String,
        pub occurred_at: DateTimeUtc,
        /// The payload, as JSON text.
        pub payload: String,
        /// When the relay published it (`None`: not yet).
        pub published_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl From<outbox::Model> for Envelope {
    fn from(row: outbox::Model) -> Self {
        Envelope {
            id: row.id,
            event_type: row.event_type,
            schema_version: row.schema_version,
            aggregate_type: row.aggregate_type,
            aggregate_id: row.aggregate_id,
            occurred_at: row.occurred_at,
            payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Writes `event` to the outbox on `conn` — pass the transaction of the
/// change it describes.
pub async fn record(conn: &impl ConnectionTrait, event: &Event) -> Result<Envelope, DbErr> {
    let (aggregate_type, aggregate_id) = event.aggregate();
    let envelope = Envelope {
        id: crate::ids::new_id(),
        event_type: event.event_type().to_owned(),
        schema_version: SCHEMA_VERSION,
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        occurred_at: Utc::now(),
        payload: event.payload(),
    };
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(envelope.id.clone()),
        event_type: Set(envelope.event_type.clone()),
        schema_version: Set(envelope.schema_version),
        aggregate_type: Set(envelope.aggregate_type.clone()),
        aggregate_id: Set(envelope.aggregate_id.clone()),
        occurred_at: Set(envelope.occurred_at),
        payload: Set(envelope.payload.to_string()),
        published_at: Set(None),
    })
    .exec(conn)
    .await?;
    Ok(envelope)
}

/// Up to `limit` events not yet published, oldest first (ids are UUIDv7: by
/// time, so per aggregate in the order they were recorded).
pub async fn unpublished(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<Envelope>, DbErr> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::PublishedAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(Envelope::from).collect())
}

/// How many events are not yet published (the outbox lag).
pub async fn unpublished_count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    outbox::Entity::find()
        .filter(outbox::Column::PublishedAt.is_null())
        .count(conn)
        .await
}

/// The id of the newest event in the outbox.
pub async fn newest_id(conn: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    Ok(outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .one(conn)
        .await?
        .map(|row| row.id))
}

/// Every event in the outbox, oldest first (tests, replay).
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Envelope>, DbErr> {
    let rows = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(Envelope::from).collect())
}

/// The `applied_events` table every consuming service has: which events a
/// consumer has applied, written in the transaction of the effect.
pub mod applied {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "applied_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub consumer: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        pub applied_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The effect of one event on a consumer, run inside its transaction.
pub type Effect<'t> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), DbErr>> + Send + 't>>;

/// Applies `event` to `consumer` at most once: records the event id and
/// runs `effect` in one transaction; `false` (and nothing run) when this
/// consumer applied it before — a redelivery or a replay changes nothing.
pub async fn apply_once<F>(
    db: &sea_orm::DatabaseConnection,
    consumer: &str,
    event: &Envelope,
    effect: F,
) -> Result<bool, DbErr>
where
    F: for<'t> FnOnce(&'t sea_orm::DatabaseTransaction) -> Effect<'t>,
{
    use sea_orm::TransactionTrait;
    use sea_orm::sea_query::OnConflict;
    let txn = db.begin().await?;
    let inserted = applied::Entity::insert(applied::ActiveModel {
        consumer: Set(consumer.to_owned()),
        event_id: Set(event.id.clone()),
        applied_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([applied::Column::Consumer, applied::Column::EventId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    effect(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// The migration creating the `outbox` table, shared by every publishing
/// service's migrator.
// `async_trait` cannot take `SchemaManager<'_>` in the trait methods.
#[allow(elided_lifetimes_in_paths)]
pub mod migration {
    use sea_orm_migration::{prelude::*, schema::*};

    pub struct CreateOutbox;

    impl MigrationName for CreateOutbox {
        fn name(&self) -> &str {
            "m20261201_000001_create_outbox"
        }
    }

    #[derive(DeriveIden)]
    enum Outbox {
        Table,
        Id,
        EventType,
        SchemaVersion,
        AggregateType,
        AggregateId,
        OccurredAt,
        Payload,
        PublishedAt,
    }

    pub struct CreateAppliedEvents;

    impl MigrationName for CreateAppliedEvents {
        fn name(&self) -> &str {
            "m20261201_000002_create_applied_events"
        }
    }

    #[derive(DeriveIden)]
    enum AppliedEvents {
        Table,
        Consumer,
        EventId,
        AppliedAt,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateAppliedEvents {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .create_table(
                    Table::create()
                        .table(AppliedEvents::Table)
                        .if_not_exists()
                        .col(string_len(AppliedEvents::Consumer, 64))
                        .col(string_len(AppliedEvents::EventId, 36))
                        .col(timestamp_with_time_zone(AppliedEvents::AppliedAt))
                        .primary_key(
                            Index::create()
                                .col(AppliedEvents::Consumer)
                                .col(AppliedEvents::EventId),
                        )
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(AppliedEvents::Table).to_owned())
                .await
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateOutbox {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .create_table(
                    Table::create()
                        .table(Outbox::Table)
                        .if_not_exists()
                        .col(string_len(Outbox::Id, 36).primary_key())
                        .col(string_len(Outbox::EventType, 64))
                        .col(integer(Outbox::SchemaVersion))
                        .col(string_len(Outbox::AggregateType, 32))
                        .col(string_len(Outbox::AggregateId, 64))
                        .col(timestamp_with_time_zone(Outbox::OccurredAt))
                        .col(text(Outbox::Payload))
                        .col(timestamp_with_time_zone_null(Outbox::PublishedAt))
                        .to_owned(),
                )
                .await?;
            // The relay's query: unpublished rows in id order.
            manager
                .create_index(
                    Index::create()
                        .name("idx_outbox_unpublished")
                        .table(Outbox::Table)
                        .col(Outbox::PublishedAt)
                        .col(Outbox::Id)
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(Outbox::Table).to_owned())
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_to_typed_events() {
        let event = Event::OrderPlaced {
            order_id: "o1".into(),
            user_id: "u1".into(),
            lines: vec![OrderLine {
                product_id: "p1".into(),
                quantity: 2,
                unit_price_cents: 150,
            }],
            total_cents: 300,
        };
        assert_eq!(event.event_type(), "OrderPlaced");
        assert_eq!(event.aggregate(), ("Order", "o1"));
        let payload = event.payload();
        assert_eq!(payload["lines"][0]["unitPriceCents"], 150, "{payload}");
        let envelope = Envelope {
            id: "e1".into(),
            event_type: "OrderPlaced".into(),
            schema_version: SCHEMA_VERSION,
            aggregate_type: "Order".into(),
            aggregate_id: "o1".into(),
            occurred_at: Utc::now(),
            payload,
        };
        assert_eq!(envelope.event(), Some(event));
        let json = serde_json::to_value(&envelope).expect("json");
        assert_eq!(json["type"], "OrderPlaced");
        assert_eq!(json["schemaVersion"], 1);
    }
}
