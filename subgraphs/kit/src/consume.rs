//! Consuming events: a consumer reads deliveries from an [`EventSource`],
//! applies each one at most once ([`crate::events::apply_once`]: the event id
//! is recorded in the transaction of the effect) and acknowledges it after.
//!
//! Two sources: a Redis consumer group ([`crate::relay::RedisConsumer`]) when
//! the services share a Redis, and another service's outbox read directly
//! ([`OutboxSource`]) when they run in one process on the embedded default
//! (`tessera dev` without Redis). A consumer that fails to apply an event
//! does not acknowledge it, and gets it again: from Redis once it sat idle
//! (reclaimed), from an outbox on the next read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::events::{Effect, Envelope, Event, outbox};
use crate::relay::{BrokerError, Delivery, RedisConsumer};

/// Where a consumer's events come from.
#[async_trait::async_trait]
pub trait EventSource: Send + Sync + 'static {
    /// Up to `count` deliveries, waiting at most about `block` for the first.
    async fn next(&self, count: usize, block: Duration) -> Result<Vec<Delivery>, BrokerError>;
    /// Acknowledges applied deliveries, in delivery order.
    async fn ack(&self, entry_ids: &[String]) -> Result<(), BrokerError>;
    /// How far behind the consumer is, when the source can tell.
    async fn backlog(&self) -> Result<Backlog, BrokerError> {
        Ok(Backlog::default())
    }
}

/// A consumer's backlog at its source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Events in the source not yet delivered to the consumer.
    pub lag: Option<u64>,
    /// Events delivered but not acknowledged yet.
    pub pending: Option<u64>,
}

#[async_trait::async_trait]
impl EventSource for RedisConsumer {
    async fn next(&self, count: usize, block: Duration) -> Result<Vec<Delivery>, BrokerError> {
        RedisConsumer::next(self, count, block).await
    }

    async fn ack(&self, entry_ids: &[String]) -> Result<(), BrokerError> {
        RedisConsumer::ack(self, entry_ids).await
    }

    async fn backlog(&self) -> Result<Backlog, BrokerError> {
        RedisConsumer::backlog(self).await
    }
}

/// A member of consumer group `group` on the Redis stream of the service
/// `stream` (`tessera:events:<stream>`); entries another member left pending
/// for 30 s are taken over.
pub async fn redis_source(
    url: &str,
    stream: &str,
    group: &str,
) -> Result<Arc<dyn EventSource>, BrokerError> {
    let member = format!("{group}-{}", crate::ids::new_id());
    let consumer = RedisConsumer::join(
        url,
        &format!("{}{stream}", crate::relay::STREAM_PREFIX),
        group,
        &member,
        Duration::from_secs(30),
    )
    .await?;
    Ok(Arc::new(consumer))
}

/// Another service's outbox, read in id order from its database (one
/// process, no broker). Reading starts at the beginning (consumers skip what
/// they applied before).
///
/// Ids are UUIDv7 (time-ordered), but transactions commit in any order: an
/// event can become visible after a later one was read. So the source does
/// not simply read past the newest acknowledged id: it keeps the ids it
/// delivered and saw acknowledged within the last [`SETTLE`], re-reads that
/// window (skipping them), and moves its position only over acknowledged
/// events older than that — a transaction commits within it.
pub struct OutboxSource {
    db: DatabaseConnection,
    position: Mutex<Position>,
}

/// How long after an event's id was made its transaction has committed.
pub const SETTLE: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct Position {
    /// Every visible event up to this id was acknowledged, and is older
    /// than [`SETTLE`].
    settled: Option<String>,
    /// Acknowledged events past `settled`.
    acked: std::collections::BTreeSet<String>,
}

/// When a UUIDv7 id was made (`None` for another kind of id).
fn id_time(id: &str) -> Option<std::time::SystemTime> {
    let (seconds, nanos) = uuid::Uuid::parse_str(id).ok()?.get_timestamp()?.to_unix();
    Some(std::time::UNIX_EPOCH + Duration::new(seconds, nanos))
}

impl OutboxSource {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            position: Mutex::new(Position::default()),
        }
    }

    /// A source that starts after event `id` (everything up to it counts as
    /// read), e.g. to follow only new events.
    pub fn starting_after(db: DatabaseConnection, id: &str) -> Self {
        Self {
            db,
            position: Mutex::new(Position {
                settled: Some(id.to_owned()),
                acked: Default::default(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Position> {
        self.position
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The rows past the settled position, oldest first.
    async fn rows_past(&self, limit: u64) -> Result<Vec<outbox::Model>, BrokerError> {
        let settled = self.lock().settled.clone();
        let mut query = outbox::Entity::find().order_by_asc(outbox::Column::Id);
        if let Some(settled) = settled {
            query = query.filter(outbox::Column::Id.gt(settled));
        }
        query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(|e| BrokerError(e.to_string()))
    }
}

#[async_trait::async_trait]
impl EventSource for OutboxSource {
    async fn next(&self, count: usize, block: Duration) -> Result<Vec<Delivery>, BrokerError> {
        let started = Instant::now();
        loop {
            let window = self.lock().acked.len();
            let rows = self.rows_past((count + window + 1) as u64).await?;
            let deliveries: Vec<Delivery> = {
                let mut position = self.lock();
                // Move the position over the acknowledged, settled prefix.
                let horizon = std::time::SystemTime::now()
                    .checked_sub(SETTLE)
                    .unwrap_or(std::time::UNIX_EPOCH);
                for row in &rows {
                    let old = id_time(&row.id).is_none_or(|t| t < horizon);
                    if !(old && position.acked.contains(&row.id)) {
                        break;
                    }
                    position.acked.remove(&row.id);
                    position.settled = Some(row.id.clone());
                }
                if let Some(settled) = position.settled.clone() {
                    position.acked.retain(|id| *id > settled);
                }
                rows.into_iter()
                    .filter(|row| !position.acked.contains(&row.id))
                    .filter(|row| position.settled.as_ref().is_none_or(|s| row.id > *s))
                    .take(count)
                    .map(|row| {
                        let event = Envelope::from(row);
                        Delivery {
                            entry_id: event.id.clone(),
                            event,
                        }
                    })
                    .collect()
            };
            if !deliveries.is_empty() || started.elapsed() >= block {
                return Ok(deliveries);
            }
            tokio::time::sleep(Duration::from_millis(50).min(block)).await;
        }
    }

    async fn backlog(&self) -> Result<Backlog, BrokerError> {
        use sea_orm::PaginatorTrait;
        let (settled, acked) = {
            let position = self.lock();
            (position.settled.clone(), position.acked.len() as u64)
        };
        let mut query = outbox::Entity::find();
        if let Some(settled) = settled {
            query = query.filter(outbox::Column::Id.gt(settled));
        }
        let past = query
            .count(&self.db)
            .await
            .map_err(|e| BrokerError(e.to_string()))?;
        Ok(Backlog {
            lag: Some(past.saturating_sub(acked)),
            pending: Some(0),
        })
    }

    async fn ack(&self, entry_ids: &[String]) -> Result<(), BrokerError> {
        let mut position = self.lock();
        for id in entry_ids {
            if position.settled.as_ref().is_none_or(|s| id > s) {
                position.acked.insert(id.clone());
            }
        }
        Ok(())
    }
}

/// The effect of an event (with its envelope: id, time) on a consumer's
/// database, inside the transaction that records it as applied.
pub type Handler = Arc<
    dyn for<'t> Fn(&'t sea_orm::DatabaseTransaction, &Envelope, Event) -> Effect<'t> + Send + Sync,
>;

/// How a consumer is doing, for its service (health, metrics, the reservation
/// sweeper, which only runs while the consumer keeps up).
#[derive(Debug, Default)]
pub struct ConsumerStatus {
    /// When a read last found nothing left to apply.
    caught_up_at: Mutex<Option<Instant>>,
    applied: AtomicU64,
    duplicates: AtomicU64,
    failures: AtomicU64,
}

impl ConsumerStatus {
    /// Whether the consumer had applied everything its source had within `within`.
    pub fn caught_up_within(&self, within: Duration) -> bool {
        self.caught_up_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() <= within)
    }

    /// Events applied (a duplicate is not counted).
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }

    /// Deliveries skipped because the event was applied before.
    pub fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::Relaxed)
    }

    /// Reads or applications that failed (retried).
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    fn set_caught_up(&self, yes: bool) {
        *self
            .caught_up_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = yes.then(Instant::now);
    }
}

/// A consumer: its name (the key of its applied-events records), its own
/// database, where it reads and what each event does.
pub struct Consumer {
    pub name: String,
    pub db: DatabaseConnection,
    pub source: Arc<dyn EventSource>,
    pub handler: Handler,
    /// Deliveries read at once.
    pub batch: usize,
    /// Longest wait for new events in one read.
    pub block: Duration,
}

impl Consumer {
    pub fn new(
        name: &str,
        db: DatabaseConnection,
        source: Arc<dyn EventSource>,
        handler: Handler,
    ) -> Self {
        Self {
            name: name.to_owned(),
            db,
            source,
            handler,
            batch: 32,
            block: Duration::from_millis(500),
        }
    }

    /// Reads one batch and applies it in order; acknowledges what was applied
    /// (or applied before). Stops at the first event that fails, so nothing
    /// overtakes it. Returns how many deliveries were settled.
    pub async fn run_once(&self, status: &ConsumerStatus) -> Result<usize, BrokerError> {
        let deliveries = match self.source.next(self.batch, self.block).await {
            Ok(deliveries) => deliveries,
            Err(error) => {
                status.failures.fetch_add(1, Ordering::Relaxed);
                status.set_caught_up(false);
                return Err(error);
            }
        };
        if deliveries.is_empty() {
            status.set_caught_up(self.nothing_pending().await);
            return Ok(0);
        }
        let mut settled = Vec::with_capacity(deliveries.len());
        let mut failed = None;
        for delivery in &deliveries {
            match self.apply(&delivery.event).await {
                Ok(true) => {
                    status.applied.fetch_add(1, Ordering::Relaxed);
                }
                Ok(false) => {
                    status.duplicates.fetch_add(1, Ordering::Relaxed);
                }
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
            settled.push(delivery.entry_id.clone());
        }
        self.source.ack(&settled).await?;
        if let Some(error) = failed {
            status.failures.fetch_add(1, Ordering::Relaxed);
            status.set_caught_up(false);
            tracing::warn!(consumer = %self.name, %error, "applying an event failed; it will be retried");
        } else if deliveries.len() < self.batch {
            // A short read: everything the source had was applied, unless
            // something is still pending elsewhere (another member's, or one
            // that failed).
            status.set_caught_up(self.nothing_pending().await);
        }
        Ok(settled.len())
    }

    /// Whether the source holds nothing for this consumer that is delivered
    /// but not acknowledged.
    async fn nothing_pending(&self) -> bool {
        match self.source.backlog().await {
            Ok(backlog) => backlog.pending.unwrap_or(0) == 0,
            Err(_) => false,
        }
    }

    /// Applies one event at most once; events this build does not know are
    /// recorded as applied and otherwise ignored.
    async fn apply(&self, envelope: &Envelope) -> Result<bool, DbErr> {
        let handler = Arc::clone(&self.handler);
        let event = envelope.event();
        crate::events::apply_once(&self.db, &self.name, envelope, move |txn| match event {
            Some(event) => handler(txn, envelope, event),
            None => Box::pin(async { Ok(()) }),
        })
        .await
    }

    /// Runs until the handle is dropped; a failing source is retried every
    /// second.
    pub fn spawn(self) -> ConsumerHandle {
        let status = Arc::new(ConsumerStatus::default());
        let shared = Arc::clone(&status);
        let name = self.name.clone();
        let task = tokio::spawn(async move {
            loop {
                let failures = shared.failures();
                if let Err(error) = self.run_once(&shared).await {
                    tracing::warn!(consumer = %name, %error, "reading events failed; retrying");
                }
                // A failed read or a failed event: back off before retrying
                // (an event that keeps failing would otherwise spin).
                if shared.failures() > failures {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
        ConsumerHandle { status, task }
    }
}

/// A running consumer; dropping it stops it.
pub struct ConsumerHandle {
    pub status: Arc<ConsumerStatus>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ConsumerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
