//! `tessera events`: the event flows from the command line.
//!
//! - `tessera events tail --stream orders` prints events as they are
//!   published, one JSON envelope per line: from the Redis stream with
//!   `--redis-url` (or `TESSERA_REDIS_URL`), else from the service's outbox.
//! - `tessera events replay --consumer <name>` re-delivers the orders events
//!   (from the orders outbox, optionally from an event id or a time) to one
//!   consumer. Consumers apply each event once, so a replay is safe; with
//!   `--reset` the consumer's read model and applied records are emptied
//!   first, and the replay rebuilds it from the events.
//!
//! Databases are the services' own: their SQLite files in `--data-dir` (what
//! `tessera dev` uses) or `--<service>-database-url`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::DatabaseConnection;
use tessera_kit::consume::{Consumer, ConsumerStatus, EventSource, OutboxSource};
use tessera_kit::events::Envelope;
use tessera_kit::relay::{BrokerError, Delivery};

/// Arguments of `tessera events`.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum EventsCommand {
    /// Print events as they are published (one JSON envelope per line).
    Tail(TailArgs),
    /// Re-deliver past orders events to one consumer.
    Replay(ReplayArgs),
}

/// Where the services' databases are.
#[derive(Debug, Clone, clap::Args)]
pub struct Databases {
    /// Directory of the services' SQLite files (as `tessera dev` writes them).
    #[arg(long, default_value = "data", env = "TESSERA_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The orders database (default: `<data-dir>/orders.db`).
    #[arg(long, env = "TESSERA_ORDERS_DATABASE_URL")]
    pub orders_database_url: Option<String>,
    /// The inventory database (default: `<data-dir>/inventory.db`).
    #[arg(long, env = "TESSERA_INVENTORY_DATABASE_URL")]
    pub inventory_database_url: Option<String>,
    /// The notifications database (default: `<data-dir>/notifications.db`).
    #[arg(long, env = "TESSERA_NOTIFICATIONS_DATABASE_URL")]
    pub notifications_database_url: Option<String>,
}

impl Databases {
    fn url(&self, service: &str) -> String {
        let given = match service {
            "orders" => &self.orders_database_url,
            "inventory" => &self.inventory_database_url,
            "notifications" => &self.notifications_database_url,
            _ => &None,
        };
        given
            .clone()
            .unwrap_or_else(|| tessera_kit::db::sqlite_file_url(&self.data_dir, service))
    }

    async fn open(&self, service: &str) -> anyhow::Result<DatabaseConnection> {
        let url = self.url(service);
        if url.starts_with("sqlite://") {
            let path = self.data_dir.join(format!("{service}.db"));
            if self.url_is_default(service) && !path.is_file() {
                bail!(
                    "no {} (run `tessera dev` first, or pass --{service}-database-url)",
                    path.display()
                );
            }
        }
        tessera_kit::db::connect(&url)
            .await
            .with_context(|| format!("cannot open the {service} database"))
    }

    fn url_is_default(&self, service: &str) -> bool {
        match service {
            "orders" => self.orders_database_url.is_none(),
            "inventory" => self.inventory_database_url.is_none(),
            "notifications" => self.notifications_database_url.is_none(),
            _ => true,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct TailArgs {
    /// The service whose events to follow (`orders`, `inventory`).
    #[arg(long, default_value = "orders")]
    pub stream: String,
    /// Follow the Redis stream instead of the outbox.
    #[arg(long, env = "TESSERA_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Start from the first event kept, not from now.
    #[arg(long)]
    pub from_start: bool,
    /// Stop after this many events.
    #[arg(long)]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub databases: Databases,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The consumer: `notifications`, `inventory-analytics` or
    /// `inventory-reservations`.
    #[arg(long)]
    pub consumer: String,
    /// Replay from this event id, or from this time (RFC 3339); default: the first event.
    #[arg(long)]
    pub from: Option<String>,
    /// Empty the consumer's read model and applied records first (rebuild).
    #[arg(long)]
    pub reset: bool,
    #[command(flatten)]
    pub databases: Databases,
}

pub async fn run(args: EventsArgs) -> anyhow::Result<()> {
    match args.command {
        EventsCommand::Tail(args) => tail(args).await,
        EventsCommand::Replay(args) => {
            let report = replay(&args).await?;
            println!(
                "replayed {} event(s) to {}: {} applied, {} applied before",
                report.delivered, args.consumer, report.applied, report.duplicates
            );
            Ok(())
        }
    }
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayReport {
    pub delivered: u64,
    pub applied: u64,
    pub duplicates: u64,
}

/// Where a replay starts.
enum ReplayFrom {
    Start,
    Event(String),
    Time(chrono::DateTime<chrono::Utc>),
}

impl ReplayFrom {
    fn parse(text: Option<&str>) -> anyhow::Result<ReplayFrom> {
        let Some(text) = text else {
            return Ok(ReplayFrom::Start);
        };
        if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
            return Ok(ReplayFrom::Time(time.with_timezone(&chrono::Utc)));
        }
        match tessera_kit::ids::parse_id(text) {
            Some(id) => Ok(ReplayFrom::Event(id)),
            None => bail!("--from {text:?} is neither an event id nor an RFC 3339 time"),
        }
    }

    fn includes(&self, event: &Envelope) -> bool {
        match self {
            ReplayFrom::Start => true,
            ReplayFrom::Event(id) => event.id.as_str() >= id.as_str(),
            ReplayFrom::Time(time) => event.occurred_at >= *time,
        }
    }
}

/// An outbox read from the start, without the events before `from`.
struct Since {
    outbox: OutboxSource,
    from: ReplayFrom,
}

#[async_trait::async_trait]
impl EventSource for Since {
    async fn next(&self, count: usize, block: Duration) -> Result<Vec<Delivery>, BrokerError> {
        loop {
            let deliveries = self.outbox.next(count, block).await?;
            if deliveries.is_empty() {
                return Ok(deliveries);
            }
            let (kept, skipped): (Vec<Delivery>, Vec<Delivery>) = deliveries
                .into_iter()
                .partition(|d| self.from.includes(&d.event));
            if !kept.is_empty() {
                return Ok(kept);
            }
            let ids: Vec<String> = skipped.into_iter().map(|d| d.entry_id).collect();
            self.outbox.ack(&ids).await?;
        }
    }

    async fn ack(&self, entry_ids: &[String]) -> Result<(), BrokerError> {
        self.outbox.ack(entry_ids).await
    }
}

/// Replays the orders events to `args.consumer` until it has seen them all.
pub async fn replay(args: &ReplayArgs) -> anyhow::Result<ReplayReport> {
    let from = ReplayFrom::parse(args.from.as_deref())?;
    if args.reset && args.from.is_some() {
        bail!("--reset rebuilds from the first event: leave out --from");
    }
    let (service, handler) = match args.consumer.as_str() {
        tessera_notifications::CONSUMER => {
            ("notifications", tessera_notifications::service::handler())
        }
        tessera_inventory::analytics::CONSUMER => {
            ("inventory", tessera_inventory::analytics::handler())
        }
        tessera_inventory::reservations::CONSUMER => {
            ("inventory", tessera_inventory::reservations::handler())
        }
        other => bail!(
            "unknown consumer {other:?} (notifications, inventory-analytics, inventory-reservations)"
        ),
    };
    let orders = args.databases.open("orders").await?;
    let db = args.databases.open(service).await?;
    if args.reset {
        match args.consumer.as_str() {
            tessera_inventory::analytics::CONSUMER => {
                tessera_inventory::analytics::reset(&db).await?
            }
            tessera_notifications::CONSUMER => tessera_notifications::service::reset(&db).await?,
            _ => bail!(
                "{} has no read model to rebuild: replay it without --reset",
                args.consumer
            ),
        }
    }
    let source = Arc::new(Since {
        outbox: OutboxSource::new(orders),
        from,
    });
    let mut consumer = Consumer::new(&args.consumer, db, source, handler);
    consumer.block = Duration::ZERO;
    let status = ConsumerStatus::default();
    while consumer.run_once(&status).await? > 0 {}
    if status.failures() > 0 {
        bail!(
            "{} event(s) could not be applied (see the log)",
            status.failures()
        );
    }
    Ok(ReplayReport {
        delivered: status.applied() + status.duplicates(),
        applied: status.applied(),
        duplicates: status.duplicates(),
    })
}

async fn tail(args: TailArgs) -> anyhow::Result<()> {
    let mut printed = 0usize;
    let done = |printed: usize| args.limit.is_some_and(|limit| printed >= limit);
    if let Some(url) = &args.redis_url {
        let key = format!("{}{}", tessera_kit::relay::STREAM_PREFIX, args.stream);
        let client = redis::Client::open(url.as_str())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        // A concrete id from the start: `$` on every call would miss what is
        // published between two reads.
        let mut last = if args.from_start {
            "0-0".to_owned()
        } else {
            let newest: Vec<(String, Vec<(String, String)>)> = redis::cmd("XREVRANGE")
                .arg(&key)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1)
                .query_async(&mut connection)
                .await?;
            newest
                .into_iter()
                .next()
                .map(|(id, _)| id)
                .unwrap_or_else(|| "0-0".to_owned())
        };
        while !done(printed) {
            let reply: Option<redis::streams::StreamReadReply> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(100)
                .arg("BLOCK")
                .arg(400)
                .arg("STREAMS")
                .arg(&key)
                .arg(&last)
                .query_async(&mut connection)
                .await?;
            for entry in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
                last = entry.id.clone();
                if let Some(json) = entry.get::<String>("event")
                    && !done(printed)
                {
                    println!("{json}");
                    printed += 1;
                }
            }
        }
        return Ok(());
    }
    let db = args.databases.open(&args.stream).await?;
    let newest = if args.from_start {
        None
    } else {
        tessera_kit::events::newest_id(&db).await?
    };
    // From now: past the newest event recorded.
    let outbox = match newest {
        Some(id) => OutboxSource::starting_after(db.clone(), &id),
        None => OutboxSource::new(db.clone()),
    };
    while !done(printed) {
        let deliveries = outbox.next(100, Duration::from_millis(400)).await?;
        let ids: Vec<String> = deliveries.iter().map(|d| d.entry_id.clone()).collect();
        for delivery in deliveries {
            if done(printed) {
                break;
            }
            println!("{}", serde_json::to_string(&delivery.event)?);
            printed += 1;
        }
        outbox.ack(&ids).await?;
    }
    Ok(())
}
