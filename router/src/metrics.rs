//! Prometheus metrics, served at `/metrics` in the text exposition format.
//!
//! What a router operator watches: client requests (by HTTP status) and their
//! latency, subgraph calls (by subgraph and outcome) and their latency, and
//! query planning (cache misses run the planner) and its latency. Counted
//! where the work happens: `http` for client requests, the subgraph client for
//! each HTTP call it really makes (a shared in-flight call counts once), the
//! planner for each plan it builds.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Latency buckets in seconds: 0.5 ms to ~16 s, doubling.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubgraphLabels {
    subgraph: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubgraphName {
    subgraph: String,
}

/// How a subgraph call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A GraphQL response came back (it may carry errors).
    Ok,
    /// No usable response: transport failure, bad status, or not GraphQL.
    Error,
    /// The per-subgraph timeout ran out.
    Timeout,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
        }
    }
}

/// One subgraph's call counters and latency histogram.
#[derive(Clone, Debug)]
pub struct SubgraphMetrics {
    ok: Counter,
    error: Counter,
    timeout: Counter,
    seconds: Histogram,
}

impl SubgraphMetrics {
    /// One HTTP call that ended with `outcome` after `elapsed`.
    pub fn call(&self, outcome: Outcome, elapsed: Duration) {
        match outcome {
            Outcome::Ok => &self.ok,
            Outcome::Error => &self.error,
            Outcome::Timeout => &self.timeout,
        }
        .inc();
        self.seconds.observe(elapsed.as_secs_f64());
    }
}

/// The router's metrics; cheap to update from any task.
pub struct Metrics {
    registry: Registry,
    requests: Family<StatusLabels, Counter>,
    request_seconds: Histogram,
    subgraph_requests: Family<SubgraphLabels, Counter>,
    subgraph_seconds: Family<SubgraphName, Histogram, fn() -> Histogram>,
    plans: Counter,
    shared_plans: Counter,
    planning_seconds: Histogram,
    unknown_documents: Counter,
    redis_failures: Family<RedisLabels, Counter>,
    rate_limited: Counter,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RedisLabels {
    /// What Redis was asked for: `apq`, `rate_limit`.
    purpose: &'static str,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tessera");
        let requests = Family::<StatusLabels, Counter>::default();
        registry.register(
            "http_requests",
            "GraphQL requests answered, by HTTP status",
            requests.clone(),
        );
        let request_seconds = latency();
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a GraphQL request",
            request_seconds.clone(),
        );
        let subgraph_requests = Family::<SubgraphLabels, Counter>::default();
        registry.register(
            "subgraph_requests",
            "HTTP calls to subgraphs, by subgraph and outcome (ok, error, timeout)",
            subgraph_requests.clone(),
        );
        let subgraph_seconds =
            Family::<SubgraphName, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        registry.register(
            "subgraph_request_duration_seconds",
            "Time of an HTTP call to a subgraph, response parsed",
            subgraph_seconds.clone(),
        );
        let plans = Counter::default();
        registry.register(
            "query_plans",
            "Query plans built (plan cache misses)",
            plans.clone(),
        );
        let shared_plans = Counter::default();
        registry.register(
            "query_plans_shared",
            "Query plans read from Redis (built by another router instance on this supergraph)",
            shared_plans.clone(),
        );
        let planning_seconds = latency();
        registry.register(
            "query_planning_duration_seconds",
            "Time to build a query plan",
            planning_seconds.clone(),
        );
        let unknown_documents = Counter::default();
        registry.register(
            "unknown_documents",
            "Documents not in the trusted manifest that ran (persisted_documents.mode: log_unknown)",
            unknown_documents.clone(),
        );
        let redis_failures = Family::<RedisLabels, Counter>::default();
        registry.register(
            "redis_failures",
            "Redis calls that failed or timed out (the router fell back to memory), by purpose",
            redis_failures.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "rate_limited_requests",
            "Requests refused by the rate limit (429)",
            rate_limited.clone(),
        );
        Metrics {
            unknown_documents,
            redis_failures,
            rate_limited,
            registry,
            requests,
            request_seconds,
            subgraph_requests,
            subgraph_seconds,
            plans,
            shared_plans,
            planning_seconds,
        }
    }
}

impl Metrics {
    /// A document outside the trusted manifest ran.
    pub fn unknown_document(&self) {
        self.unknown_documents.inc();
    }

    /// A Redis call for `purpose` failed or timed out.
    pub fn redis_failure(&self, purpose: &'static str) {
        self.redis_failures
            .get_or_create(&RedisLabels { purpose })
            .inc();
    }

    /// A request was refused by the rate limit.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// A GraphQL request answered with `status` after `elapsed`.
    pub fn request(&self, status: u16, elapsed: Duration) {
        self.requests.get_or_create(&StatusLabels { status }).inc();
        self.request_seconds.observe(elapsed.as_secs_f64());
    }

    /// The series of one subgraph, resolved once (label lookups stay off the
    /// request path).
    pub fn subgraph(&self, subgraph: &str) -> SubgraphMetrics {
        let calls = |outcome: Outcome| {
            self.subgraph_requests
                .get_or_create(&SubgraphLabels {
                    subgraph: subgraph.to_string(),
                    outcome: outcome.label(),
                })
                .clone()
        };
        SubgraphMetrics {
            ok: calls(Outcome::Ok),
            error: calls(Outcome::Error),
            timeout: calls(Outcome::Timeout),
            seconds: self
                .subgraph_seconds
                .get_or_create(&SubgraphName {
                    subgraph: subgraph.to_string(),
                })
                .clone(),
        }
    }

    /// A plan cache miss answered by the plan cache in Redis.
    pub fn plan_shared(&self) {
        self.shared_plans.inc();
    }

    /// One query plan built in `elapsed`.
    pub fn plan_built(&self, elapsed: Duration) {
        self.plans.inc();
        self.planning_seconds.observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_was_recorded() {
        let metrics = Metrics::default();
        metrics.request(200, Duration::from_millis(3));
        metrics.request(200, Duration::from_millis(4));
        metrics.request(400, Duration::from_millis(1));
        let users = metrics.subgraph("users");
        users.call(Outcome::Ok, Duration::from_millis(2));
        users.call(Outcome::Timeout, Duration::from_secs(5));
        metrics.plan_built(Duration::from_micros(300));
        metrics.plan_shared();
        let text = metrics.render();
        for line in [
            "tessera_http_requests_total{status=\"200\"} 2",
            "tessera_http_requests_total{status=\"400\"} 1",
            "tessera_http_request_duration_seconds_count 3",
            "tessera_subgraph_requests_total{subgraph=\"users\",outcome=\"ok\"} 1",
            "tessera_subgraph_requests_total{subgraph=\"users\",outcome=\"timeout\"} 1",
            "tessera_subgraph_request_duration_seconds_count{subgraph=\"users\"} 2",
            "tessera_query_plans_total 1",
            "tessera_query_plans_shared_total 1",
            "# TYPE tessera_query_planning_duration_seconds histogram",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
