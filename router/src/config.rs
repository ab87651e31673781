//! The router's configuration: one YAML document, defaults in code, a few
//! environment overrides. Tests build [`RouterConfig`] directly.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::auth::AuthenticationConfig;
pub use crate::auth::directives::{AuthorizationConfig, PolicyRule};
pub use crate::auth::jwt::{JwtConfig, JwtIssuerConfig, MIN_SECRET_BYTES, PUBLIC_SECRETS};
pub use crate::persisted::{ApqConfig, PersistedDocumentsConfig, PersistedMode};
pub use crate::rate_limit::{ClientKey, FieldLimit, RateLimitConfig};
pub use crate::redis_store::RedisConfig;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: String,
        source: Box<serde_saphyr::Error>,
    },
    #[error("invalid value {value:?} for environment variable {name}: {reason}")]
    Env {
        name: &'static str,
        value: String,
        reason: String,
    },
}

/// Everything the router can be told. Every field has a default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouterConfig {
    /// Address to listen on (env `TESSERA_LISTEN`).
    pub listen: SocketAddr,
    /// The threads `tessera serve` serves connections on (env
    /// `TESSERA_WORKERS`): see [`Workers`].
    pub workers: Workers,
    /// Request limits.
    pub limits: LimitsConfig,
    /// Answer `__schema` / `__type` from the API schema (env
    /// `TESSERA_INTROSPECTION`). Off by default: a production router does not
    /// hand out its schema; `tessera dev` turns it on for the playground.
    pub introspection: bool,
    /// Return the query plan in `extensions.queryPlan` when a request carries the
    /// header `tessera-include-query-plan: true` (env `TESSERA_EXPOSE_QUERY_PLAN`).
    pub expose_query_plan: bool,
    /// Query planning.
    pub planner: PlannerConfig,
    /// Calls to subgraphs.
    pub subgraphs: SubgraphsConfig,
    /// Client headers passed on to subgraphs.
    pub headers: HeadersConfig,
    /// Cross-origin requests from browsers.
    pub cors: CorsConfig,
    /// Serve Prometheus metrics at `/metrics` (env `TESSERA_METRICS`).
    pub metrics: bool,
    /// Demand control: the static cost of each operation.
    pub demand_control: DemandControlConfig,
    /// Who the caller is: JWT verification (off unless configured).
    pub authentication: crate::auth::AuthenticationConfig,
    /// `@authenticated` / `@requiresScopes` / `@policy` enforcement.
    pub authorization: crate::auth::directives::AuthorizationConfig,
    /// Trusted documents (a manifest) and safelisting.
    pub persisted_documents: crate::persisted::PersistedDocumentsConfig,
    /// Automatic persisted queries.
    pub apq: crate::persisted::ApqConfig,
    /// Redis for the APQ store and the rate-limit counters (env
    /// `TESSERA_REDIS_URL`).
    pub redis: crate::redis_store::RedisConfig,
    /// Per-client rate limiting.
    pub rate_limit: crate::rate_limit::RateLimitConfig,
    /// Cross-site request forgery protection.
    pub csrf: CsrfConfig,
    /// Directories of static files served under a path (a web frontend built
    /// as a static export next to its API: same origin, no CORS).
    pub static_files: Vec<StaticFiles>,
}

/// One `static_files` mount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticFiles {
    /// Where, e.g. `/store` (a directory's `index.html` answers for it;
    /// `404.html` for a file that is not there).
    pub path: String,
    pub dir: std::path::PathBuf,
}

/// CSRF protection for browser requests.
///
/// Always on: POSTs must be `application/json` (a type browsers cannot send
/// cross-site without a CORS preflight) and mutations are refused over GET.
/// `required_headers` adds Apollo Router's rule for GET: a GET request must
/// carry one of these headers (any value), which a cross-site page cannot set
/// without a preflight. Off by default, so plain GET stays GraphQL-over-HTTP
/// conformant; turn it on when browsers with cookies call the router.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CsrfConfig {
    /// e.g. `[x-apollo-operation-name, apollo-require-preflight]`; empty: off.
    pub required_headers: Vec<String>,
}

/// What the router does with an operation's estimated cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandControlMode {
    /// Refuse operations over `max_cost` with `COST_ESTIMATED_TOO_EXPENSIVE`
    /// before anything is planned or fetched.
    Enforce,
    /// Run everything; report the cost in `extensions.cost`.
    Measure,
    /// Compute nothing.
    Off,
}

/// Demand control by the `@cost` / `@listSize` directives (IBM GraphQL cost
/// specification; see `router::cost` for the rules).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemandControlConfig {
    /// `enforce` (the default), `measure` or `off`.
    pub mode: DemandControlMode,
    /// Largest estimated cost an operation may have in `enforce` mode.
    pub max_cost: u64,
    /// Size assumed for a list field without `@listSize` or slicing argument.
    pub list_size: u64,
    /// Arguments that size a field without `@listSize` (a list directly, or a
    /// connection's `edges` / `nodes`).
    pub slicing_arguments: Vec<String>,
}

impl Default for DemandControlConfig {
    fn default() -> Self {
        Self {
            mode: DemandControlMode::Enforce,
            // The public gateway benchmark's nested query costs 22,315 with
            // the default list size; a page of orders whose buyers' pages of
            // orders are fetched again (the probe's 280k orders) is far over.
            max_cost: 50_000,
            list_size: 10,
            slicing_arguments: vec!["first".to_owned(), "last".to_owned()],
        }
    }
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            workers: Workers::default(),
            limits: LimitsConfig::default(),
            introspection: false,
            expose_query_plan: false,
            planner: PlannerConfig::default(),
            subgraphs: SubgraphsConfig::default(),
            headers: HeadersConfig::default(),
            cors: CorsConfig::default(),
            metrics: true,
            demand_control: DemandControlConfig::default(),
            authentication: crate::auth::AuthenticationConfig::default(),
            authorization: crate::auth::directives::AuthorizationConfig::default(),
            persisted_documents: crate::persisted::PersistedDocumentsConfig::default(),
            apq: crate::persisted::ApqConfig::default(),
            redis: crate::redis_store::RedisConfig::default(),
            rate_limit: crate::rate_limit::RateLimitConfig::default(),
            csrf: CsrfConfig::default(),
            static_files: Vec::new(),
        }
    }
}

/// The threads serving connections.
///
/// `auto` (the default) and a number: thread per core, that many worker
/// threads (`auto`: one per CPU core), each running its own single-threaded
/// event loop with its own subgraph connection pools; each connection is
/// handed to the worker serving the fewest and all its requests run there
/// start to end, so a request's data stays in one core's caches. `shared`:
/// every connection on one multi-threaded runtime that moves tasks between
/// cores (what routers started in-process, by tests or `tessera dev`, always
/// use: they serve on the caller's runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Workers {
    #[default]
    Auto,
    Count(std::num::NonZeroUsize),
    Shared,
}

impl Workers {
    /// The worker threads to start; `None` for `shared`.
    pub fn threads(self) -> Option<usize> {
        match self {
            Workers::Auto => Some(std::thread::available_parallelism().map_or(1, |n| n.get())),
            Workers::Count(n) => Some(n.get()),
            Workers::Shared => None,
        }
    }
}

impl std::str::FromStr for Workers {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.trim() {
            "auto" => Ok(Workers::Auto),
            "shared" => Ok(Workers::Shared),
            number => number
                .parse::<std::num::NonZeroUsize>()
                .map(Workers::Count)
                .map_err(|_| "expected auto, shared or a number of threads (1 or more)".into()),
        }
    }
}

impl std::fmt::Display for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Workers::Auto => f.write_str("auto"),
            Workers::Count(n) => write!(f, "{n}"),
            Workers::Shared => f.write_str("shared"),
        }
    }
}

impl Serialize for Workers {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Workers::Count(n) => serializer.serialize_u64(n.get() as u64),
            other => serializer.collect_str(other),
        }
    }
}

impl<'de> Deserialize<'de> for Workers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(u64),
            Name(String),
        }
        match Written::deserialize(deserializer)? {
            Written::Number(n) => n.to_string().parse(),
            Written::Name(name) => name.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// CORS: which browser origins may call the router.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Allowed origins, e.g. `http://localhost:3000`; `*` allows any origin.
    /// Empty (the default): no CORS headers, so only same-origin pages (such as
    /// the playground) can read responses.
    pub allow_origins: Vec<String>,
    /// Extra request headers browsers may send (`content-type`,
    /// `authorization` and the query-plan header are always allowed).
    pub allow_headers: Vec<String>,
}

/// Which client request headers every subgraph request carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeadersConfig {
    /// Header names (case-insensitive) copied from the client request to each
    /// subgraph request. `authorization` by default, so subgraphs see the
    /// caller's bearer token and authorize it themselves.
    pub propagate: Vec<String>,
}

impl Default for HeadersConfig {
    fn default() -> Self {
        Self {
            propagate: vec!["authorization".to_owned()],
        }
    }
}

/// Limits applied to every request before planning.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Maximum request body size in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Maximum nesting of fields in an operation (fragments inlined).
    pub max_depth: usize,
    /// Maximum number of aliased fields in a document.
    pub max_aliases: usize,
    /// Maximum number of root fields in the executed operation.
    pub max_root_fields: usize,
    /// Maximum number of fields in the executed operation once every fragment
    /// spread is expanded (what the planner and the executor work through), so
    /// a small document whose fragments spread each other many times is
    /// refused before planning.
    pub max_fields: usize,
    /// Maximum number of lexical tokens in a document.
    pub max_tokens: usize,
    /// Maximum total size, in bytes, of the client headers passed on to
    /// subgraphs (`headers.propagate`); larger requests get 431.
    pub max_forwarded_header_bytes: usize,
    /// An HTTP/1 connection that has not sent a complete request head within
    /// this many milliseconds is closed (idle and half-open connections
    /// cannot pile up).
    pub header_read_timeout_ms: u64,
}

impl LimitsConfig {
    /// `header_read_timeout_ms` as a duration (at least 1 ms).
    pub fn header_read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.header_read_timeout_ms.max(1))
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            max_depth: 100,
            max_aliases: 200,
            max_root_fields: 64,
            max_fields: 2_000,
            max_tokens: 15_000,
            max_forwarded_header_bytes: 8 * 1024,
            header_read_timeout_ms: 10_000,
        }
    }
}

/// Query planning and the plan cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlannerConfig {
    /// Maximum number of plans kept in memory.
    pub cache_size: u64,
    /// Give up planning one operation after this many milliseconds.
    pub timeout_ms: u64,
    /// With `redis.url`: plans are also kept in Redis for this many seconds,
    /// keyed by a hash of the supergraph and the operation, so that router
    /// instances on one supergraph plan each operation once. `0`: memory only.
    pub shared_ttl_secs: u64,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self {
            cache_size: 1024,
            timeout_ms: 10_000,
            shared_ttl_secs: 86_400,
        }
    }
}

/// Calls to subgraphs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubgraphsConfig {
    /// Timeout of one subgraph request, in milliseconds, unless overridden.
    pub timeout_ms: u64,
    /// Share one in-flight request between identical concurrent subgraph queries
    /// (never for mutations).
    pub deduplicate_requests: bool,
    /// Largest subgraph response body accepted, in bytes.
    pub max_response_bytes: usize,
    /// Speak HTTP/2 to plain-`http://` subgraphs without negotiation (h2c
    /// prior knowledge): one multiplexed connection instead of a pool. Only for
    /// subgraphs known to speak HTTP/2 (our async-graphql/axum subgraphs do).
    /// `https://` subgraphs negotiate HTTP/2 by ALPN either way.
    pub http2_prior_knowledge: bool,
    /// Per-subgraph overrides, by subgraph name (`@join__graph(name:)`).
    pub overrides: BTreeMap<String, SubgraphOverride>,
}

impl Default for SubgraphsConfig {
    fn default() -> Self {
        Self {
            timeout_ms: 30_000,
            deduplicate_requests: true,
            max_response_bytes: 64 * 1024 * 1024,
            http2_prior_knowledge: false,
            overrides: BTreeMap::new(),
        }
    }
}

/// Settings for one subgraph.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubgraphOverride {
    /// Replaces the URL from `@join__graph(url:)`.
    pub url: Option<String>,
    /// Replaces `subgraphs.timeout_ms` for this subgraph.
    pub timeout_ms: Option<u64>,
    /// Replaces `subgraphs.http2_prior_knowledge` for this subgraph.
    pub http2_prior_knowledge: Option<bool>,
}

impl RouterConfig {
    /// Defaults, then the YAML file (if any), then the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => Self::from_yaml_file(path)?,
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Parses a YAML file; unknown fields are errors.
    pub fn from_yaml_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|source| ConfigError::Parse {
            path: path.display().to_string(),
            source: Box::new(source),
        })
    }

    /// Parses YAML text; unknown fields are errors.
    pub fn from_yaml(text: &str) -> Result<Self, serde_saphyr::Error> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_saphyr::from_str(text)
    }

    /// Applies `TESSERA_LISTEN`, `TESSERA_WORKERS`, `TESSERA_INTROSPECTION`, `TESSERA_EXPOSE_QUERY_PLAN`,
    /// `TESSERA_METRICS`, `TESSERA_REDIS_URL`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(value) = get("TESSERA_LISTEN") {
            self.listen =
                value
                    .parse()
                    .map_err(|e: std::net::AddrParseError| ConfigError::Env {
                        name: "TESSERA_LISTEN",
                        value: value.clone(),
                        reason: e.to_string(),
                    })?;
        }
        if let Some(value) = get("TESSERA_WORKERS") {
            self.workers = value.parse().map_err(|reason| ConfigError::Env {
                name: "TESSERA_WORKERS",
                value: value.clone(),
                reason,
            })?;
        }
        if let Some(url) = get("TESSERA_REDIS_URL").filter(|u| !u.trim().is_empty()) {
            self.redis.url = Some(url);
        }
        for (name, slot) in [
            ("TESSERA_INTROSPECTION", &mut self.introspection),
            ("TESSERA_EXPOSE_QUERY_PLAN", &mut self.expose_query_plan),
            ("TESSERA_METRICS", &mut self.metrics),
        ] {
            if let Some(value) = get(name) {
                *slot = parse_bool(&value).ok_or_else(|| ConfigError::Env {
                    name,
                    value: value.clone(),
                    reason: "expected true or false".into(),
                })?;
            }
        }
        Ok(())
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_overrides_defaults_and_rejects_unknown_fields() {
        let config = RouterConfig::from_yaml(
            "listen: 0.0.0.0:8080\nlimits:\n  max_depth: 7\nsubgraphs:\n  overrides:\n    users:\n      url: http://localhost:1/graphql\n",
        )
        .expect("valid yaml");
        assert_eq!(config.listen.port(), 8080);
        assert_eq!(config.limits.max_depth, 7);
        assert_eq!(config.limits.max_tokens, LimitsConfig::default().max_tokens);
        assert_eq!(
            config.subgraphs.overrides["users"].url.as_deref(),
            Some("http://localhost:1/graphql")
        );
        assert!(RouterConfig::from_yaml("listne: 1.2.3.4:5").is_err());
        assert!(RouterConfig::from_yaml("limits:\n  max_dpth: 3").is_err());
        assert!(RouterConfig::from_yaml("").is_ok());
    }

    #[test]
    fn workers_are_auto_shared_or_a_positive_count() {
        assert_eq!(RouterConfig::default().workers, Workers::Auto);
        let read = |yaml: &str| RouterConfig::from_yaml(yaml).map(|c| c.workers);
        assert_eq!(read("workers: auto").ok(), Some(Workers::Auto));
        assert_eq!(read("workers: shared").ok(), Some(Workers::Shared));
        let three = std::num::NonZeroUsize::new(3).map(Workers::Count);
        assert_eq!(read("workers: 3").ok(), three);
        assert_eq!(three.and_then(Workers::threads), Some(3));
        assert_eq!(Workers::Shared.threads(), None);
        assert!(Workers::Auto.threads().is_some_and(|n| n >= 1));
        for bad in ["workers: 0", "workers: -1", "workers: many", "workers: 1.5"] {
            assert!(read(bad).is_err(), "{bad}");
        }
        let mut config = RouterConfig::default();
        config
            .apply_env(|name| (name == "TESSERA_WORKERS").then(|| "shared".to_string()))
            .expect("valid env");
        assert_eq!(config.workers, Workers::Shared);
        let err = config
            .apply_env(|name| (name == "TESSERA_WORKERS").then(|| "0".to_string()))
            .expect_err("zero workers");
        assert!(err.to_string().contains("TESSERA_WORKERS"), "{err}");
        // Written back as read.
        let written = serde_json::to_value(&config).expect("serializes");
        assert_eq!(written["workers"], "shared");
        config.workers = Workers::Count(std::num::NonZeroUsize::MIN);
        let written = serde_json::to_value(&config).expect("serializes");
        assert_eq!(written["workers"], 1);
    }

    /// Regression: introspection was on by default in `serve` (production).
    #[test]
    fn production_defaults_are_secure() {
        let config = RouterConfig::default();
        assert!(!config.introspection);
        assert_eq!(config.demand_control.mode, DemandControlMode::Enforce);
        let config = RouterConfig::from_yaml("demand_control:\n  mode: measure\n  max_cost: 7")
            .expect("valid");
        assert_eq!(config.demand_control.mode, DemandControlMode::Measure);
        assert_eq!(config.demand_control.max_cost, 7);
    }

    /// The example file in the README parses (and so stays true).
    #[test]
    fn the_example_config_parses() {
        let config = RouterConfig::from_yaml(include_str!("../router.example.yaml"))
            .expect("router.example.yaml is valid");
        assert!(config.authentication.jwt.is_some());
        assert!(config.rate_limit.enabled);
        assert_eq!(
            config.rate_limit.key,
            crate::rate_limit::ClientKey::Claim("sub".into())
        );
        assert_eq!(config.csrf.required_headers.len(), 2);
        for (yaml, key) in [
            (
                "rate_limit:\n  key: peer",
                crate::rate_limit::ClientKey::Peer,
            ),
            (
                "rate_limit:\n  key: {header: x-api-key}",
                crate::rate_limit::ClientKey::Header("x-api-key".into()),
            ),
        ] {
            assert_eq!(
                RouterConfig::from_yaml(yaml).expect(yaml).rate_limit.key,
                key
            );
        }
        assert!(RouterConfig::from_yaml("rate_limit:\n  key: everyone").is_err());
    }

    #[test]
    fn env_overrides_apply_and_reject_garbage() {
        let mut config = RouterConfig::default();
        config
            .apply_env(|name| match name {
                "TESSERA_LISTEN" => Some("127.0.0.1:0".into()),
                "TESSERA_INTROSPECTION" => Some("true".into()),
                "TESSERA_METRICS" => Some("off".into()),
                _ => None,
            })
            .expect("valid env");
        assert_eq!(config.listen.port(), 0);
        assert!(config.introspection);
        assert!(!config.metrics);
        let err = config
            .apply_env(|name| (name == "TESSERA_LISTEN").then(|| "nope".to_string()))
            .expect_err("bad address");
        assert!(err.to_string().contains("TESSERA_LISTEN"));
    }
}
