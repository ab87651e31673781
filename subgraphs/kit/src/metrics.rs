//! `/metrics` of a subgraph (Prometheus text): its outbox lag (events
//! recorded, not yet published) when it publishes events, and per consumer
//! the events applied, skipped as duplicates and failed, its lag at the
//! source (events not delivered yet) and its pending count (delivered, not
//! acknowledged). Values are read when scraped.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;

use crate::consume::{ConsumerStatus, EventSource};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConsumerLabels {
    consumer: String,
}

struct Watched {
    name: String,
    status: Arc<ConsumerStatus>,
    source: Arc<dyn EventSource>,
}

/// What a subgraph's `/metrics` reports.
pub struct ServiceMetrics {
    /// The service's database, when it has an outbox.
    outbox: Option<DatabaseConnection>,
    consumers: Mutex<Vec<Watched>>,
}

impl ServiceMetrics {
    /// Metrics for a service; `outbox` is its database when it publishes events.
    pub fn new(outbox: Option<DatabaseConnection>) -> Arc<Self> {
        Arc::new(Self {
            outbox,
            consumers: Mutex::new(Vec::new()),
        })
    }

    /// Reports consumer `name` (its counters and its backlog at `source`).
    pub fn watch(&self, name: &str, status: Arc<ConsumerStatus>, source: Arc<dyn EventSource>) {
        self.consumers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Watched {
                name: name.to_owned(),
                status,
                source,
            });
    }

    /// The Prometheus text exposition of the current values.
    pub async fn render(&self) -> String {
        let mut registry = Registry::with_prefix("tessera");
        if let Some(db) = &self.outbox {
            let unpublished = Gauge::<i64>::default();
            let count = crate::events::unpublished_count(db).await;
            unpublished.set(count.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)));
            registry.register(
                "outbox_unpublished",
                "Events recorded in the outbox and not yet published (-1: unknown)",
                unpublished,
            );
        }
        let watched: Vec<(String, Arc<ConsumerStatus>, Arc<dyn EventSource>)> = self
            .consumers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|w| (w.name.clone(), Arc::clone(&w.status), Arc::clone(&w.source)))
            .collect();
        let applied = Family::<ConsumerLabels, Counter>::default();
        let duplicates = Family::<ConsumerLabels, Counter>::default();
        let failures = Family::<ConsumerLabels, Counter>::default();
        let lag = Family::<ConsumerLabels, Gauge<i64>>::default();
        let pending = Family::<ConsumerLabels, Gauge<i64>>::default();
        for (name, status, source) in watched {
            let labels = ConsumerLabels { consumer: name };
            applied.get_or_create(&labels).inc_by(status.applied());
            duplicates
                .get_or_create(&labels)
                .inc_by(status.duplicates());
            failures.get_or_create(&labels).inc_by(status.failures());
            let backlog = source.backlog().await.unwrap_or_default();
            let value = |n: Option<u64>| n.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
            lag.get_or_create(&labels).set(value(backlog.lag));
            pending.get_or_create(&labels).set(value(backlog.pending));
        }
        registry.register(
            "consumer_events_applied",
            "Events a consumer applied",
            applied,
        );
        registry.register(
            "consumer_events_duplicate",
            "Deliveries a consumer skipped: applied before (redelivery, replay)",
            duplicates,
        );
        registry.register(
            "consumer_failures",
            "Reads or applications that failed and are retried",
            failures,
        );
        registry.register(
            "consumer_lag",
            "Events at the source not yet delivered to the consumer (-1: unknown)",
            lag,
        );
        registry.register(
            "consumer_pending",
            "Events delivered to the consumer and not acknowledged (-1: unknown)",
            pending,
        );
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &registry).is_err() {
            text.clear();
        }
        text
    }
}

/// `GET /metrics`.
pub async fn handler(State(metrics): State<Arc<ServiceMetrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render().await,
    )
}

/// `router` with `/metrics` answered from `metrics`.
pub fn route(router: axum::Router, metrics: Arc<ServiceMetrics>) -> axum::Router {
    router.route("/metrics", axum::routing::get(handler).with_state(metrics))
}
