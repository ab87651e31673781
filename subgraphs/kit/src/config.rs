//! Configuration every subgraph shares. Defaults in code, then environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::auth::AuthConfig;

/// One subgraph's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubgraphConfig {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Database URL (`sqlite://...` or `postgres://...`). When unset, a SQLite
    /// file `<data_dir>/<subgraph>.db`.
    pub database_url: Option<String>,
    /// Directory for the default SQLite files.
    pub data_dir: PathBuf,
    /// JWT verification (and, for users, issuing).
    pub auth: AuthConfig,
    /// Answer `__schema` / `__type` (env `TESSERA_INTROSPECTION`). Off by
    /// default: the router reads `_service { sdl }`, not introspection.
    #[serde(default)]
    pub introspection: bool,
    /// Redis for publishing events (env `TESSERA_REDIS_URL`): services with
    /// an outbox relay it to Redis Streams. Unset: events wait in the outbox.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// An HTTP/1 connection that sends no complete request head within this
    /// many milliseconds is closed (idle and half-open connections cannot
    /// pile up). Default 10 s.
    #[serde(default = "default_header_read_timeout_ms")]
    pub header_read_timeout_ms: u64,
    /// Inventory: a stock reservation that no `OrderPlaced` event confirms
    /// within this many seconds is released (env
    /// `TESSERA_RESERVATION_TIMEOUT_SECS`, default 900).
    #[serde(default = "default_reservation_timeout_secs")]
    pub reservation_timeout_secs: u64,
    /// Entries a Redis event stream keeps, about (`XADD MAXLEN ~`; env
    /// `TESSERA_EVENTS_MAX_LEN`, default 100000): older ones are trimmed, so
    /// a consumer down for longer than that many events loses them from the
    /// stream (they stay in the outbox, for a replay).
    #[serde(default = "default_events_max_len")]
    pub events_max_len: usize,
}

fn default_events_max_len() -> usize {
    100_000
}

fn default_header_read_timeout_ms() -> u64 {
    10_000
}

fn default_reservation_timeout_secs() -> u64 {
    900
}

/// A malformed environment variable.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {detail}")]
pub struct ConfigError {
    pub name: String,
    pub detail: String,
}

impl SubgraphConfig {
    /// Defaults: `127.0.0.1:<port>`, SQLite under `./data`, no keys (a
    /// production start configures them; see [`SubgraphConfig::development`]).
    pub fn with_port(port: u16) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            database_url: None,
            data_dir: PathBuf::from("data"),
            auth: AuthConfig::default(),
            introspection: false,
            redis_url: None,
            header_read_timeout_ms: default_header_read_timeout_ms(),
            reservation_timeout_secs: default_reservation_timeout_secs(),
            events_max_len: default_events_max_len(),
        }
    }

    /// `tessera dev`: the defaults with the development secrets.
    pub fn development(port: u16) -> Self {
        Self {
            auth: AuthConfig::development(),
            introspection: true,
            ..Self::with_port(port)
        }
    }

    /// For tests: port 0, the given database URL and the development secrets.
    pub fn for_test(database_url: &str) -> Self {
        Self {
            database_url: Some(database_url.to_owned()),
            ..Self::development(0)
        }
    }

    /// `header_read_timeout_ms` as a duration (at least 1 ms).
    pub fn header_read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.header_read_timeout_ms.max(1))
    }

    /// The database URL to use for subgraph `name`.
    pub fn database_url(&self, name: &str) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => crate::db::sqlite_file_url(&self.data_dir, name),
        }
    }

    /// Makes sure the data directory exists when the default SQLite file is used.
    pub fn prepare_data_dir(&self) -> std::io::Result<()> {
        if self.database_url.is_none() {
            std::fs::create_dir_all(&self.data_dir)?;
        }
        Ok(())
    }

    /// Defaults overridden by the environment:
    /// `TESSERA_<NAME>_LISTEN`, `TESSERA_<NAME>_DATABASE_URL`, `TESSERA_DATA_DIR`,
    /// `TESSERA_JWT_SECRET`, `TESSERA_JWKS_FILE`, `TESSERA_RS256_PRIVATE_KEY_FILE`,
    /// `TESSERA_TOKEN_TTL_SECS`, `TESSERA_SERVICE_SECRET`.
    pub fn from_env(name: &str, default_port: u16) -> Result<Self, ConfigError> {
        Self::with_port(default_port).apply_env(name, |k| std::env::var(k).ok())
    }

    /// Applies overrides read through `get` (tests pass a map instead of the process env).
    pub fn apply_env(
        mut self,
        name: &str,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let upper = name.to_ascii_uppercase();
        let listen_key = format!("TESSERA_{upper}_LISTEN");
        if let Some(v) = get(&listen_key) {
            self.listen = v
                .parse()
                .map_err(|e: std::net::AddrParseError| ConfigError {
                    name: listen_key.clone(),
                    detail: e.to_string(),
                })?;
        }
        if let Some(v) = get(&format!("TESSERA_{upper}_DATABASE_URL")).filter(|v| !v.is_empty()) {
            self.database_url = Some(v);
        }
        if let Some(v) = get("TESSERA_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("TESSERA_JWT_SECRET") {
            self.auth.hs256_secret = (!v.is_empty()).then_some(v);
        }
        if let Some(v) = get("TESSERA_REDIS_URL").filter(|v| !v.trim().is_empty()) {
            self.redis_url = Some(v);
        }
        if let Some(v) = get("TESSERA_INTROSPECTION") {
            self.introspection = matches!(v.trim(), "1" | "true" | "on" | "yes");
        }
        if let Some(v) = get("TESSERA_SERVICE_SECRET") {
            self.auth.service_secret = (!v.is_empty()).then_some(v);
        }
        if let Some(v) = get("TESSERA_JWKS_FILE") {
            self.auth.jwks_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("TESSERA_RS256_PRIVATE_KEY_FILE") {
            self.auth.rs256_private_key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("TESSERA_EVENTS_MAX_LEN") {
            self.events_max_len = v
                .parse()
                .map_err(|e: std::num::ParseIntError| ConfigError {
                    name: "TESSERA_EVENTS_MAX_LEN".into(),
                    detail: e.to_string(),
                })?;
        }
        if let Some(v) = get("TESSERA_RESERVATION_TIMEOUT_SECS") {
            self.reservation_timeout_secs =
                v.parse()
                    .map_err(|e: std::num::ParseIntError| ConfigError {
                        name: "TESSERA_RESERVATION_TIMEOUT_SECS".into(),
                        detail: e.to_string(),
                    })?;
        }
        if let Some(v) = get("TESSERA_TOKEN_TTL_SECS") {
            self.auth.token_ttl_secs =
                v.parse()
                    .map_err(|e: std::num::ParseIntError| ConfigError {
                        name: "TESSERA_TOKEN_TTL_SECS".into(),
                        detail: e.to_string(),
                    })?;
        }
        Ok(self)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides() {
        let env = |k: &str| match k {
            "TESSERA_USERS_LISTEN" => Some("127.0.0.1:9999".to_owned()),
            "TESSERA_USERS_DATABASE_URL" => Some("postgres://x/y".to_owned()),
            "TESSERA_EVENTS_MAX_LEN" => Some("5000".to_owned()),
            "TESSERA_RESERVATION_TIMEOUT_SECS" => Some("60".to_owned()),
            _ => None,
        };
        let c = SubgraphConfig::with_port(4001)
            .apply_env("users", env)
            .unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.database_url("users"), "postgres://x/y");
        assert_eq!((c.events_max_len, c.reservation_timeout_secs), (5000, 60));
        for key in [
            "TESSERA_USERS_LISTEN",
            "TESSERA_EVENTS_MAX_LEN",
            "TESSERA_RESERVATION_TIMEOUT_SECS",
        ] {
            let bad = SubgraphConfig::with_port(1)
                .apply_env("users", |k| (k == key).then(|| "nope".to_owned()));
            assert!(bad.is_err(), "{key}");
        }
    }

    /// Regression: a deployment configured for RS256 accepted tokens signed
    /// with the public development HS256 secret.
    #[test]
    fn an_rs256_deployment_accepts_no_development_tokens() {
        let env = |k: &str| (k == "TESSERA_JWKS_FILE").then(|| "/etc/tessera/jwks.json".to_owned());
        let c = SubgraphConfig::with_port(4003)
            .apply_env("inventory", env)
            .unwrap();
        assert_eq!(c.auth.hs256_secret, None);
        assert!(!c.auth.development);
        let c = SubgraphConfig::with_port(4003)
            .apply_env("inventory", |k| {
                (k == "TESSERA_JWT_SECRET").then(|| crate::auth::DEV_HS256_SECRET.to_owned())
            })
            .unwrap();
        assert!(matches!(
            c.auth.check(),
            Err(crate::auth::KeyError::DevelopmentSecret { .. })
        ));
    }

    #[test]
    fn default_database_is_a_sqlite_file() {
        let c = SubgraphConfig::with_port(4001);
        assert_eq!(c.database_url("users"), "sqlite://data/users.db?mode=rwc");
    }
}
