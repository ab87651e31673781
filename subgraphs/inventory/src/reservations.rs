//! Reservation safety: no stock stays reserved for an order that does not
//! exist.
//!
//! Placing an order reserves stock here first and records the order in the
//! orders service second. If the orders service stops in between, the
//! reservation belongs to no order. A consumer of the orders stream confirms
//! each reservation when its `OrderPlaced` arrives and releases what an
//! `OrderCancelled` leaves reserved; a sweeper releases reservations that
//! stayed unconfirmed longer than the reservation timeout.
//!
//! The sweeper only runs while the consumer keeps up (it found nothing left
//! to apply within the last few seconds): while the event source is down or
//! behind, an unconfirmed reservation may well have its `OrderPlaced` waiting,
//! so nothing is released. An `OrderPlaced` that still arrives after its
//! reservation was released (the orders relay was stalled longer than the
//! timeout) takes the stock again when there is enough, and is logged when
//! there is not.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};
use tessera_kit::consume::{Consumer, ConsumerHandle, ConsumerStatus, EventSource, Handler};
use tessera_kit::events::Event;

use crate::service;

/// The consumer's name (its applied-events records).
pub const CONSUMER: &str = "inventory-reservations";

/// The orders stream's consumer group on Redis.
pub const GROUP: &str = "inventory-reservations";

/// What each orders event does to reservations.
pub fn handler() -> Handler {
    Arc::new(|txn, _envelope, event| {
        Box::pin(async move {
            let failed = |e: tessera_kit::ApiError| DbErr::Custom(e.message);
            match event {
                Event::OrderPlaced { order_id, .. } => {
                    service::confirm(txn, &order_id).await.map_err(failed)?;
                }
                Event::OrderCancelled { order_id, .. } => {
                    service::release_cancelled(txn, &order_id)
                        .await
                        .map_err(failed)?;
                }
                _ => {}
            }
            Ok(())
        })
    })
}

/// The running consumer and sweeper; dropping it stops both.
pub struct ReservationSafety {
    consumer: ConsumerHandle,
    sweeper: tokio::task::JoinHandle<()>,
}

impl ReservationSafety {
    /// How the consumer is doing.
    pub fn status(&self) -> Arc<ConsumerStatus> {
        Arc::clone(&self.consumer.status)
    }
}

impl Drop for ReservationSafety {
    fn drop(&mut self) {
        self.sweeper.abort();
    }
}

/// Starts the consumer (reading `source`) and the sweeper for reservations
/// older than `timeout`.
pub fn start(
    db: DatabaseConnection,
    source: Arc<dyn EventSource>,
    timeout: Duration,
) -> ReservationSafety {
    let consumer = Consumer::new(CONSUMER, db.clone(), source, handler());
    // The consumer counts as keeping up when a read found nothing new this
    // recently (a read waits at most `block` for new events).
    let fresh = (consumer.block * 4).max(Duration::from_secs(5));
    let consumer = consumer.spawn();
    let status = Arc::clone(&consumer.status);
    let every = (timeout / 4).clamp(Duration::from_millis(200), Duration::from_secs(60));
    let sweeper = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if !status.caught_up_within(fresh) {
                continue;
            }
            let cutoff = chrono::Utc::now()
                - chrono::Duration::from_std(timeout).unwrap_or(chrono::Duration::MAX);
            match service::release_expired(&db, cutoff).await {
                Ok(released) if !released.is_empty() => {
                    tracing::warn!(
                        orders = ?released,
                        "released stock reserved for orders that were never recorded"
                    );
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %error.message, "releasing expired reservations failed")
                }
            }
        }
    });
    ReservationSafety { consumer, sweeper }
}
