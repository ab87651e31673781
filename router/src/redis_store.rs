//! Redis, shared by every router instance pointed at it: the APQ store, the
//! rate-limit counters and the second level of the query-plan cache.
//!
//! Redis is a cache here, never a dependency of a request: every call has a
//! bounded timeout (`redis.timeout_ms`), and a failed or slow call is
//! answered from memory instead (a miss, or the local counter), counted in
//! `tessera_redis_failures_total{purpose}` and logged (at most once every ten
//! seconds). The connection is made lazily and re-made by the connection
//! manager, so a router starts while Redis is down and uses it once it is up.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;

/// `redis`: where the shared caches live.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// `redis://host:port/db` (env `TESSERA_REDIS_URL`). Unset: everything
    /// stays in this router's memory.
    pub url: Option<String>,
    /// Longest wait for one Redis call, in milliseconds, before the router
    /// goes on without it.
    pub timeout_ms: u64,
    /// Prefix of every key the router writes.
    pub key_prefix: String,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: None,
            timeout_ms: 250,
            key_prefix: "tessera:".to_owned(),
        }
    }
}

/// What a Redis call is for (the metric's label).
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Apq,
    RateLimit,
    Plan,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Apq => "apq",
            Purpose::RateLimit => "rate_limit",
            Purpose::Plan => "plan",
        }
    }
}

/// A shared Redis connection with bounded calls.
#[derive(Clone)]
pub struct RedisStore {
    manager: ConnectionManager,
    timeout: Duration,
    prefix: String,
    metrics: Arc<Metrics>,
    last_warning: Arc<Mutex<Option<Instant>>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A lazily connecting store for `config.url` (`None` when unset).
    pub fn new(
        config: &RedisConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Option<Self>, redis::RedisError> {
        let Some(url) = &config.url else {
            return Ok(None);
        };
        let client = redis::Client::open(url.as_str())?;
        let timeout = Duration::from_millis(config.timeout_ms.max(1));
        let manager = ConnectionManager::new_lazy_with_config(
            client,
            ConnectionManagerConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(1)
                .set_max_delay(Duration::from_millis(100)),
        )?;
        Ok(Some(Self {
            manager,
            timeout,
            prefix: config.key_prefix.clone(),
            metrics,
            last_warning: Arc::default(),
        }))
    }

    fn key(&self, purpose: Purpose, key: &str) -> String {
        format!("{}{}:{key}", self.prefix, purpose.label())
    }

    /// Runs one call within the timeout; `None` (counted and logged) when it
    /// failed or took too long.
    async fn bounded<T>(
        &self,
        purpose: Purpose,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        let error = match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => return Some(value),
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no answer within {} ms", self.timeout.as_millis()),
        };
        self.metrics.redis_failure(purpose.label());
        let now = Instant::now();
        let mut last = self.last_warning.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(10)) {
            *last = Some(now);
            tracing::warn!(purpose = purpose.label(), %error, "Redis is unavailable; serving from memory");
        }
        None
    }

    /// The value at `key`, if Redis has it and answers in time.
    pub async fn get(&self, purpose: Purpose, key: &str) -> Option<Vec<u8>> {
        let mut connection = self.manager.clone();
        let key = self.key(purpose, key);
        self.bounded(purpose, async move {
            connection.get::<_, Option<Vec<u8>>>(key).await
        })
        .await
        .flatten()
    }

    /// Stores `value` at `key` for `ttl` (best effort).
    pub async fn set(&self, purpose: Purpose, key: &str, value: &[u8], ttl: Duration) {
        let mut connection = self.manager.clone();
        let key = self.key(purpose, key);
        let seconds = ttl.as_secs().max(1);
        self.bounded(purpose, async move {
            connection.set_ex::<_, _, ()>(key, value, seconds).await
        })
        .await;
    }

    /// Adds `n` to the counter at `key` (created to expire after `ttl`) and
    /// returns it with the counter at `previous` (both in one round trip).
    pub async fn count(
        &self,
        key: &str,
        previous: &str,
        n: u64,
        ttl: Duration,
    ) -> Option<(u64, u64)> {
        let mut connection = self.manager.clone();
        let key = self.key(Purpose::RateLimit, key);
        let previous = self.key(Purpose::RateLimit, previous);
        let seconds = i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX);
        self.bounded(Purpose::RateLimit, async move {
            let (current, _, before): (u64, (), Option<u64>) = redis::pipe()
                .atomic()
                .incr(&key, n)
                .expire(&key, seconds)
                .get(&previous)
                .query_async(&mut connection)
                .await?;
            Ok((current, before.unwrap_or(0)))
        })
        .await
    }
}
