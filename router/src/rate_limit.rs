//! Per-client rate limiting: a sliding window of `window_secs`, `requests`
//! per window per client, answered 429 with `Retry-After` once used up.
//!
//! The window is approximated from two fixed windows (the current one and the
//! one before, weighted by how much of it still overlaps), which needs only
//! two counters per client, in memory or in Redis. With Redis every router
//! instance shares the same counters, so the limit holds for the fleet; when
//! Redis does not answer, this instance's own counters decide.
//!
//! The client is whom `key` names: a JWT claim (`sub` by default for
//! signed-in callers), a header (an API key), or the peer address; a
//! request without that claim or header is counted by its peer address.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::auth::Claims;
use crate::redis_store::RedisStore;

/// Who a client is, for counting. In YAML: `peer`, `{header: x-api-key}` or
/// `{claim: sub}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "KeyRepr", into = "KeyRepr")]
pub enum ClientKey {
    /// The TCP peer address (its IP; all ports of a host count as one).
    Peer,
    /// A request header (e.g. an API key), or the peer without it.
    Header(String),
    /// A verified JWT claim (e.g. `sub`), or the peer without a token.
    Claim(String),
}

impl ClientKey {
    /// The key of a request's client.
    pub fn of(
        &self,
        headers: &http::HeaderMap,
        claims: Option<&Claims>,
        peer: Option<SocketAddr>,
    ) -> String {
        let peer = || match peer {
            Some(addr) => format!("ip:{}", addr.ip()),
            None => "ip:unknown".to_owned(),
        };
        match self {
            ClientKey::Peer => peer(),
            ClientKey::Header(name) => headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .map(|v| format!("header:{}", crate::persisted::sha256_hex(v)))
                .unwrap_or_else(peer),
            // Keyed by issuer and the claim's JSON (so `"5"` and `5`, or the
            // same `sub` from two issuers, are different clients).
            ClientKey::Claim(name) => claims
                .and_then(|c| c.get(name).map(|v| (c.get("iss"), v)))
                .map(|(iss, v)| {
                    let iss = iss.and_then(|i| i.as_str()).unwrap_or_default();
                    crate::persisted::sha256_hex(&format!("{iss}\n{name}\n{v}"))
                })
                .map(|digest| format!("claim:{digest}"))
                .unwrap_or_else(peer),
        }
    }
}

/// How [`ClientKey`] is written in config.
#[derive(Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum KeyRepr {
    Name(String),
    Header { header: String },
    Claim { claim: String },
}

impl TryFrom<KeyRepr> for ClientKey {
    type Error = String;

    fn try_from(repr: KeyRepr) -> Result<Self, String> {
        match repr {
            KeyRepr::Name(name) if name == "peer" => Ok(ClientKey::Peer),
            KeyRepr::Name(other) => Err(format!(
                "unknown client key {other:?}: use peer, {{header: NAME}} or {{claim: NAME}}"
            )),
            KeyRepr::Header { header } => Ok(ClientKey::Header(header)),
            KeyRepr::Claim { claim } => Ok(ClientKey::Claim(claim)),
        }
    }
}

impl From<ClientKey> for KeyRepr {
    fn from(key: ClientKey) -> Self {
        match key {
            ClientKey::Peer => KeyRepr::Name("peer".to_owned()),
            ClientKey::Header(header) => KeyRepr::Header { header },
            ClientKey::Claim(claim) => KeyRepr::Claim { claim },
        }
    }
}

/// `rate_limit`: off unless configured.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Requests allowed per client per window.
    pub requests: u64,
    /// The window, in seconds.
    pub window_secs: u64,
    /// `peer`, `{header: name}` or `{claim: name}`.
    pub key: ClientKey,
    /// Limits on single root fields, by `Type.field` (e.g. `Mutation.logIn`):
    /// every selection counts (aliases too), per client and window. Apply
    /// whether or not `enabled` is set.
    pub fields: std::collections::BTreeMap<String, FieldLimit>,
}

/// The limit on one root field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldLimit {
    /// Selections allowed per client per window.
    pub requests: u64,
    /// The window, in seconds.
    pub window_secs: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            requests: 600,
            window_secs: 60,
            key: ClientKey::Peer,
            fields: std::collections::BTreeMap::new(),
        }
    }
}

/// A refused request: when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after_secs: u64,
}

/// The limiter: local counters, and Redis when configured.
pub struct RateLimiter {
    config: RateLimitConfig,
    /// Namespaces the counters (`requests`, or a field's `Type.field`).
    scope: String,
    local: moka::future::Cache<String, u64>,
    redis: Option<RedisStore>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig, redis: Option<RedisStore>) -> Self {
        Self::scoped("requests", config, redis)
    }

    /// A limiter whose counters are apart from every other scope's.
    pub fn scoped(scope: &str, config: RateLimitConfig, redis: Option<RedisStore>) -> Self {
        let window = Duration::from_secs(config.window_secs.max(1));
        Self {
            scope: scope.to_owned(),
            // Two windows of counters per client, bounded in number.
            local: moka::future::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(window * 2)
                .build(),
            config,
            redis,
        }
    }

    /// Counts one request of `client`; `Err` when over the limit.
    pub async fn check(&self, client: &str) -> Result<(), Limited> {
        self.check_n(client, 1).await
    }

    /// Counts `n` uses by `client` at once; `Err` when that goes over the limit.
    pub async fn check_n(&self, client: &str, n: u64) -> Result<(), Limited> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        self.check_at(client, n, now).await
    }

    async fn check_at(&self, client: &str, n: u64, now_ms: u128) -> Result<(), Limited> {
        let window_ms = u128::from(self.config.window_secs.max(1)) * 1000;
        let index = now_ms / window_ms;
        let into = now_ms % window_ms;
        let key = format!("{}:{client}:{index}", self.scope);
        let previous = format!("{}:{client}:{}", self.scope, index.saturating_sub(1));
        let ttl = Duration::from_millis(u64::try_from(window_ms * 2).unwrap_or(u64::MAX));
        let shared = match &self.redis {
            Some(redis) => redis.count(&key, &previous, n, ttl).await,
            None => None,
        };
        let (current, before) = match shared {
            Some(counts) => counts,
            None => {
                let current = self
                    .local
                    .entry(key)
                    .and_upsert_with(|found| {
                        std::future::ready(found.map_or(0, |e| e.into_value()) + n)
                    })
                    .await
                    .into_value();
                (current, self.local.get(&previous).await.unwrap_or(0))
            }
        };
        // The share of the previous window still inside the sliding one.
        let overlap = (window_ms - into) as f64 / window_ms as f64;
        let estimated = current as f64 + before as f64 * overlap;
        if estimated <= self.config.requests as f64 {
            return Ok(());
        }
        // Until the current window ends the count cannot drop below what it is.
        let retry_after_secs = u64::try_from((window_ms - into).div_ceil(1000))
            .unwrap_or(1)
            .max(1);
        Err(Limited { retry_after_secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u64) -> RateLimiter {
        RateLimiter::new(
            RateLimitConfig {
                enabled: true,
                requests,
                window_secs: 10,
                key: ClientKey::Peer,
                fields: Default::default(),
            },
            None,
        )
    }

    #[tokio::test]
    async fn counts_per_client_and_slides() {
        let limiter = limiter(3);
        let start = 1_000_000u128 * 10_000; // the start of a window
        for _ in 0..3 {
            assert!(limiter.check_at("a", 1, start).await.is_ok());
        }
        let refused = limiter
            .check_at("a", 1, start + 1_000)
            .await
            .expect_err("over");
        assert_eq!(refused.retry_after_secs, 9);
        assert!(
            limiter.check_at("b", 1, start).await.is_ok(),
            "clients are counted apart"
        );
        // Halfway into the next window, half of the previous one still counts:
        // 4 × 0.5 + 1 = 3 ≤ 3.
        assert!(limiter.check_at("a", 1, start + 15_000).await.is_ok());
        assert!(limiter.check_at("a", 1, start + 15_000).await.is_err());
        // Two windows later, nothing is left.
        assert!(limiter.check_at("a", 1, start + 30_000).await.is_ok());
        // Several uses at once count together.
        assert!(limiter.check_at("c", 3, start).await.is_ok());
        assert!(limiter.check_at("c", 1, start).await.is_err());
        assert!(limiter.check_at("d", 4, start).await.is_err());
    }

    #[test]
    fn client_keys() {
        let peer: SocketAddr = "10.0.0.1:5555".parse().expect("addr");
        let mut headers = http::HeaderMap::new();
        let mut claims = Claims::new();
        claims.insert("sub".into(), serde_json::Value::from("u1"));
        let by = |key: ClientKey| key;
        assert_eq!(
            by(ClientKey::Peer).of(&headers, Some(&claims), Some(peer)),
            "ip:10.0.0.1"
        );
        let by_claim = by(ClientKey::Claim("sub".into())).of(&headers, Some(&claims), Some(peer));
        assert!(by_claim.starts_with("claim:"), "{by_claim}");
        let mut other_issuer = claims.clone();
        other_issuer.insert("iss".into(), serde_json::Value::from("elsewhere"));
        assert_ne!(
            by(ClientKey::Claim("sub".into())).of(&headers, Some(&other_issuer), Some(peer)),
            by_claim
        );
        let mut number = claims.clone();
        number.insert("sub".into(), serde_json::Value::from(5));
        let mut text = claims.clone();
        text.insert("sub".into(), serde_json::Value::from("5"));
        assert_ne!(
            by(ClientKey::Claim("sub".into())).of(&headers, Some(&number), Some(peer)),
            by(ClientKey::Claim("sub".into())).of(&headers, Some(&text), Some(peer))
        );
        assert_eq!(
            by(ClientKey::Claim("sub".into())).of(&headers, None, Some(peer)),
            "ip:10.0.0.1"
        );
        let header = by(ClientKey::Header("x-api-key".into()));
        assert_eq!(header.of(&headers, None, Some(peer)), "ip:10.0.0.1");
        headers.insert("x-api-key", "k1".parse().expect("header"));
        assert!(header.of(&headers, None, Some(peer)).starts_with("header:"));
    }
}
