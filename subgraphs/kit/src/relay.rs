//! Publishing the outbox: a relay per service moves unpublished outbox rows
//! to a broker, in id order (so in order per aggregate), and marks each one
//! published only after the broker took it. A crash between publishing and
//! marking publishes that event again on the next run: delivery is
//! at-least-once, and consumers deduplicate by event id.
//!
//! Brokers sit behind [`Broker`]: [`RedisStreams`] (one stream per domain,
//! `XADD … MAXLEN ~ n`, so streams stay bounded) when a Redis URL is
//! configured, [`InProcess`] (a broadcast channel) for one process. Another
//! log (Kafka, NATS JetStream) is one more implementation; beyond one machine
//! a log with retention per consumer group is the recommended choice (Redis
//! Streams keeps what `MAXLEN` leaves, in memory).

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::events::{Envelope, outbox};

/// A broker refused or did not answer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("broker: {0}")]
pub struct BrokerError(pub String);

/// Where a relay publishes.
#[async_trait::async_trait]
pub trait Broker: Send + Sync + 'static {
    /// Appends `event` to `stream`; `Ok` once the broker holds it.
    async fn publish(&self, stream: &str, event: &Envelope) -> Result<(), BrokerError>;
}

/// A broker inside one process: every subscriber receives every event.
#[derive(Clone)]
pub struct InProcess {
    sender: tokio::sync::broadcast::Sender<(String, Envelope)>,
}

impl InProcess {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = tokio::sync::broadcast::channel(capacity.max(1));
        Self { sender }
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<(String, Envelope)> {
        self.sender.subscribe()
    }
}

#[async_trait::async_trait]
impl Broker for InProcess {
    async fn publish(&self, stream: &str, event: &Envelope) -> Result<(), BrokerError> {
        // No subscriber is not a failure: the event is in the outbox.
        let _ = self.sender.send((stream.to_owned(), event.clone()));
        Ok(())
    }
}

/// Redis Streams: `XADD <prefix><stream> MAXLEN ~ <max_len> * type <type> event <json>`.
#[derive(Clone)]
pub struct RedisStreams {
    manager: redis::aio::ConnectionManager,
    prefix: String,
    max_len: usize,
    timeout: Duration,
}

impl RedisStreams {
    /// A lazily connecting publisher (a router or service starts while Redis
    /// is down; the relay retries).
    pub fn new(url: &str, prefix: &str, max_len: usize) -> Result<Self, BrokerError> {
        let client = redis::Client::open(url).map_err(|e| BrokerError(e.to_string()))?;
        let timeout = Duration::from_secs(2);
        let manager = redis::aio::ConnectionManager::new_lazy_with_config(
            client,
            redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(1),
        )
        .map_err(|e| BrokerError(e.to_string()))?;
        Ok(Self {
            manager,
            prefix: prefix.to_owned(),
            max_len: max_len.max(1),
            timeout,
        })
    }

    /// The Redis key of `stream`.
    pub fn key(&self, stream: &str) -> String {
        format!("{}{stream}", self.prefix)
    }
}

#[async_trait::async_trait]
impl Broker for RedisStreams {
    async fn publish(&self, stream: &str, event: &Envelope) -> Result<(), BrokerError> {
        let json = serde_json::to_string(event).map_err(|e| BrokerError(e.to_string()))?;
        let mut connection = self.manager.clone();
        let mut command = redis::cmd("XADD");
        command
            .arg(self.key(stream))
            .arg("MAXLEN")
            .arg("~")
            .arg(self.max_len)
            .arg("*")
            .arg("type")
            .arg(&event.event_type)
            .arg("event")
            .arg(json);
        let add = command.query_async::<String>(&mut connection);
        match tokio::time::timeout(self.timeout, add).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(BrokerError(e.to_string())),
            Err(_) => Err(BrokerError("Redis did not answer in time".into())),
        }
    }
}

/// Why a relay run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

/// Publishes one service's outbox to one stream.
#[derive(Clone)]
pub struct Relay {
    db: DatabaseConnection,
    broker: Arc<dyn Broker>,
    stream: String,
    batch: u64,
}

impl Relay {
    pub fn new(db: DatabaseConnection, broker: Arc<dyn Broker>, stream: &str) -> Self {
        Self {
            db,
            broker,
            stream: stream.to_owned(),
            batch: 100,
        }
    }

    /// Publishes the oldest unpublished events, in order, without marking
    /// them (what a relay that crashes before marking has done). Stops at the
    /// first one the broker refuses, so no later event overtakes it.
    pub async fn publish_pending(&self) -> Result<Vec<String>, RelayError> {
        let pending = crate::events::unpublished(&self.db, self.batch).await?;
        let mut published = Vec::with_capacity(pending.len());
        for event in &pending {
            if let Err(error) = self.broker.publish(&self.stream, event).await {
                if published.is_empty() {
                    return Err(error.into());
                }
                break;
            }
            published.push(event.id.clone());
        }
        Ok(published)
    }

    /// Marks `ids` published.
    pub async fn mark(&self, ids: &[String]) -> Result<(), RelayError> {
        if ids.is_empty() {
            return Ok(());
        }
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::PublishedAt,
                Expr::value(Some(chrono::Utc::now())),
            )
            .filter(outbox::Column::Id.is_in(ids.iter().cloned()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// One pass: publish what is pending, then mark it. Returns how many.
    pub async fn run_once(&self) -> Result<usize, RelayError> {
        let published = self.publish_pending().await?;
        self.mark(&published).await?;
        Ok(published.len())
    }

    /// Events not yet published (the outbox lag).
    pub async fn lag(&self) -> Result<u64, RelayError> {
        Ok(crate::events::unpublished_count(&self.db).await?)
    }

    /// Runs passes every `interval` (sooner while there is more to publish)
    /// until the returned handle is dropped or stopped.
    pub fn spawn(self, interval: Duration) -> RelayHandle {
        let task = tokio::spawn(async move {
            loop {
                let wait = match self.run_once().await {
                    Ok(n) if n as u64 >= self.batch => Duration::ZERO,
                    Ok(_) => interval,
                    Err(error) => {
                        tracing::warn!(stream = %self.stream, %error, "outbox relay: will retry");
                        interval
                    }
                };
                tokio::time::sleep(wait).await;
            }
        });
        RelayHandle { task }
    }
}

/// A running relay; dropping it stops it.
pub struct RelayHandle {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RelayHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The prefix of every event stream's key (`tessera:events:orders`, ...).
pub const STREAM_PREFIX: &str = "tessera:events:";

/// The relay a service runs: to Redis Streams (stream = the service's name)
/// when `redis_url` is set, none otherwise (the events wait in the outbox
/// for in-process consumers).
pub fn start(
    name: &str,
    db: &DatabaseConnection,
    redis_url: Option<&str>,
    max_len: usize,
) -> Result<Option<RelayHandle>, BrokerError> {
    let Some(url) = redis_url else {
        return Ok(None);
    };
    let broker = RedisStreams::new(url, STREAM_PREFIX, max_len)?;
    let relay = Relay::new(db.clone(), Arc::new(broker), name);
    tracing::info!(stream = name, "outbox relay publishing to Redis Streams");
    Ok(Some(relay.spawn(Duration::from_millis(200))))
}

/// The longest a [`RedisConsumer::next`] waits on the server for new entries.
pub const MAX_BLOCK: Duration = Duration::from_secs(30);

/// One member of a consumer group on a Redis stream: reads new entries,
/// takes over entries another member left pending longer than `claim_idle`
/// (it died before acknowledging), and acknowledges what it applied.
#[derive(Clone)]
pub struct RedisConsumer {
    manager: redis::aio::ConnectionManager,
    key: String,
    group: String,
    consumer: String,
    claim_idle: Duration,
}

/// One delivered entry: the stream's entry id (to acknowledge) and the event.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub entry_id: String,
    pub event: Envelope,
}

impl RedisConsumer {
    /// Joins (creating if needed) consumer group `group` on stream `key`.
    pub async fn join(
        url: &str,
        key: &str,
        group: &str,
        consumer: &str,
        claim_idle: Duration,
    ) -> Result<Self, BrokerError> {
        let client = redis::Client::open(url).map_err(|e| BrokerError(e.to_string()))?;
        // Reads block on the server for up to `MAX_BLOCK`: the client must
        // wait longer than that for an answer (its default gives up after
        // 500 ms, failing every blocking read that finds nothing).
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(MAX_BLOCK + Duration::from_secs(5)));
        let mut manager = redis::aio::ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| BrokerError(e.to_string()))?;
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(key)
            .arg(group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut manager)
            .await;
        match created {
            Ok(()) => {}
            // The group exists already: join it.
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(BrokerError(e.to_string())),
        }
        Ok(Self {
            manager,
            key: key.to_owned(),
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            claim_idle,
        })
    }

    /// Up to `count` entries: first those other members left pending too
    /// long, then new ones (waiting at most `block`, itself at most
    /// [`MAX_BLOCK`]).
    pub async fn next(&self, count: usize, block: Duration) -> Result<Vec<Delivery>, BrokerError> {
        use redis::streams::{
            StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadOptions, StreamReadReply,
        };
        let block = block.min(MAX_BLOCK);
        let mut connection = self.manager.clone();
        let read = |id: &'static str, options: StreamReadOptions| {
            let mut connection = self.manager.clone();
            let key = self.key.clone();
            async move {
                let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
                    .arg(&options)
                    .arg("STREAMS")
                    .arg(&key)
                    .arg(id)
                    .query_async(&mut connection)
                    .await
                    .map_err(|e| BrokerError(e.to_string()))?;
                Ok::<_, BrokerError>(
                    reply
                        .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect::<Vec<_>>())
                        .unwrap_or_default(),
                )
            }
        };
        // First what this member was given and did not acknowledge (an event
        // that failed): nothing newer overtakes it.
        let mut entries = read(
            "0",
            StreamReadOptions::default()
                .group(&self.group, &self.consumer)
                .count(count),
        )
        .await?;
        if entries.is_empty() {
            // Then what other members left pending too long.
            let claimed: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(&self.key)
                .arg(&self.group)
                .arg(&self.consumer)
                .arg(u64::try_from(self.claim_idle.as_millis()).unwrap_or(u64::MAX))
                .arg("0-0")
                .arg(StreamAutoClaimOptions::default().count(count))
                .query_async(&mut connection)
                .await
                .map_err(|e| BrokerError(e.to_string()))?;
            entries = claimed.claimed;
        }
        if entries.is_empty() {
            // Then new entries, waiting at most `block`.
            entries = read(
                ">",
                StreamReadOptions::default()
                    .group(&self.group, &self.consumer)
                    .count(count)
                    .block(usize::try_from(block.as_millis()).unwrap_or(usize::MAX)),
            )
            .await?;
        }
        let mut unreadable = Vec::new();
        let deliveries = entries
            .into_iter()
            .filter_map(|entry| {
                let event = entry
                    .get::<String>("event")
                    .and_then(|json| serde_json::from_str(&json).ok());
                match event {
                    Some(event) => Some(Delivery {
                        entry_id: entry.id,
                        event,
                    }),
                    None => {
                        // Trimmed away or not an event of ours: acknowledged,
                        // so it is not read again forever.
                        unreadable.push(entry.id);
                        None
                    }
                }
            })
            .collect();
        self.ack(&unreadable).await?;
        Ok(deliveries)
    }

    /// The group's lag (entries not yet delivered to it) and pending count
    /// (delivered, not acknowledged), from `XINFO GROUPS`.
    pub async fn backlog(&self) -> Result<crate::consume::Backlog, BrokerError> {
        let mut connection = self.manager.clone();
        let reply: redis::streams::StreamInfoGroupsReply = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&self.key)
            .query_async(&mut connection)
            .await
            .map_err(|e| BrokerError(e.to_string()))?;
        let group = reply.groups.into_iter().find(|g| g.name == self.group);
        Ok(crate::consume::Backlog {
            lag: group.as_ref().and_then(|g| g.lag).map(|n| n as u64),
            pending: group.map(|g| g.pending as u64),
        })
    }

    /// Acknowledges applied entries (they leave the group's pending list).
    pub async fn ack(&self, entry_ids: &[String]) -> Result<(), BrokerError> {
        if entry_ids.is_empty() {
            return Ok(());
        }
        let mut connection = self.manager.clone();
        redis::cmd("XACK")
            .arg(&self.key)
            .arg(&self.group)
            .arg(entry_ids)
            .query_async::<i64>(&mut connection)
            .await
            .map(|_| ())
            .map_err(|e| BrokerError(e.to_string()))
    }
}
