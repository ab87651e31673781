//! The planner boundary: turns a validated operation into a [`QueryPlan`] of
//! fetch / entity fetch / batch / sequence / parallel / condition nodes.
//!
//! Backed by `hive-router-query-planner`, whose plans are lowered into
//! Tessera's own types ([`nodes`]) once per cached plan; its types do not
//! leave this module, so the planner can be replaced. With Redis configured
//! the cache has a second level there, shared by every router instance on the
//! same supergraph (see [`QueryPlanner::with_shared_cache`]). Plans are cached (moka,
//! bounded) by the printed operation and the operation name, and for supergraphs
//! with progressive `@override` labels by the set of labels active for the request.

use std::hash::{BuildHasher, RandomState};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hive_router_query_planner::ast::normalization::normalize_operation;
use hive_router_query_planner::graph::{PERCENTAGE_SCALE_FACTOR, PlannerOverrideContext};
use hive_router_query_planner::planner::{Planner, QueryPlannerOptions};
use hive_router_query_planner::utils::cancellation::CancellationToken;
use hive_router_query_planner::utils::parsing::{safe_parse_operation, safe_parse_schema};

pub use self::nodes::{
    BatchFetch, EntityFetch, Fetch, FlattenSegment, PlanNode, QueryPlan, Rewrite, RewriteStep,
    Selection, SubgraphOperation,
};

use crate::config::PlannerConfig;
use crate::metrics::Metrics;
use crate::persisted::sha256_hex;
use crate::redis_store::{Purpose, RedisStore};

mod check;
mod lower;
mod nodes;

/// Why planning failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlanError {
    #[error("the planner cannot read the supergraph: {0}")]
    SupergraphSyntax(String),
    #[error("the planner cannot load the supergraph: {0}")]
    Supergraph(String),
    #[error("the planner crashed while loading the supergraph")]
    SupergraphPanicked,
    #[error("the planner cannot read the operation: {0}")]
    OperationSyntax(String),
    #[error("cannot normalize the operation: {0}")]
    Normalize(String),
    #[error("cannot plan the operation: {0}")]
    Plan(String),
    /// The planner's plan reads a field from a subgraph that cannot resolve
    /// it there (see `check`): refused rather than executed into nulls.
    #[error("the planner's plan is unsound: {0}")]
    Unsound(String),
    #[error("the planner crashed on this operation")]
    Panicked,
    #[error("planning took longer than {0:?}")]
    TimedOut(Duration),
}

/// A planning outcome as cached: failures are cached too, so an operation
/// that cannot be planned (or took too long) costs nothing when resent.
type Planned = Result<Arc<QueryPlan>, PlanError>;

/// Plans operations against one supergraph, with a bounded cache.
pub struct QueryPlanner {
    planner: Arc<Planner>,
    resolvability: Arc<check::Resolvability>,
    cache: moka::future::Cache<String, Planned>,
    timeout: Duration,
    overrides: ProgressiveOverrides,
    metrics: Option<Arc<Metrics>>,
    /// A hex hash of the supergraph SDL: plans are only shared between
    /// routers on the same supergraph.
    supergraph_hash: Arc<str>,
    shared: Option<SharedPlans>,
}

/// The plan cache's second level.
#[derive(Clone)]
struct SharedPlans {
    store: RedisStore,
    ttl: Duration,
}

/// Bumped whenever the serialized plan format changes: routers of different
/// versions on one Redis then do not read each other's plans.
const SHARED_FORMAT: &str = "plan-v1";

/// A percentage as the planner stores it (scaled by [`PERCENTAGE_SCALE_FACTOR`]).
type Percentage = u64;

/// Progressive override (`@join__field(overrideLabel: "percent(p)")`): every
/// request draws a value in [0, 100); the labels whose percentage is above it are
/// active. Requests that activate the same labels share one cached plan.
/// Flag labels (`overrideLabel: "my_flag"`) are never active.
#[derive(Debug, Default)]
struct ProgressiveOverrides {
    /// Distinct label percentages (scaled like the planner's), ascending.
    thresholds: Vec<Percentage>,
    random: RandomState,
    counter: AtomicU64,
}

impl ProgressiveOverrides {
    fn from_sdl(sdl: &str) -> Self {
        let mut thresholds: Vec<Percentage> = sdl
            .match_indices("overrideLabel")
            .filter_map(|(at, _)| {
                let rest = sdl[at + "overrideLabel".len()..].trim_start();
                let rest = rest.strip_prefix(':')?.trim_start();
                let rest = rest.strip_prefix("\"percent(")?;
                let value: f64 = rest[..rest.find(')')?].trim().parse().ok()?;
                (0.0..=100.0)
                    .contains(&value)
                    .then_some((value * PERCENTAGE_SCALE_FACTOR as f64) as Percentage)
            })
            .collect();
        thresholds.sort_unstable();
        thresholds.dedup();
        ProgressiveOverrides {
            thresholds,
            ..ProgressiveOverrides::default()
        }
    }

    /// For a drawn value: how many labels are inactive (the cache bucket) and a
    /// value that activates exactly the same labels (what the planner sees).
    fn bucket(&self, draw: Percentage) -> (usize, Percentage) {
        let inactive = self.thresholds.partition_point(|t| *t <= draw);
        let representative = match inactive {
            0 => 0,
            n => self.thresholds.get(n - 1).copied().unwrap_or(0),
        };
        (inactive, representative)
    }

    /// This request's bucket and planner value; `None` without percentage labels.
    fn draw(&self) -> Option<(usize, Percentage)> {
        if self.thresholds.is_empty() {
            return None;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let draw = self.random.hash_one(n) % (100 * PERCENTAGE_SCALE_FACTOR);
        Some(self.bucket(draw))
    }
}

impl std::fmt::Debug for QueryPlanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryPlanner")
            .field("cached_plans", &self.cache.entry_count())
            .finish()
    }
}

impl QueryPlanner {
    /// Builds the planner's graph from a supergraph SDL that `tessera_schema`
    /// already accepted. Panics inside the planner become [`PlanError::SupergraphPanicked`].
    pub fn new(supergraph_sdl: &str, config: &PlannerConfig) -> Result<Self, PlanError> {
        let document = safe_parse_schema(supergraph_sdl)
            .map_err(|e| PlanError::SupergraphSyntax(e.to_string()))?;
        let planner = catch_unwind(AssertUnwindSafe(|| {
            Planner::new_from_supergraph(&document, QueryPlannerOptions::default())
        }))
        .map_err(|_| PlanError::SupergraphPanicked)?
        .map_err(|e| PlanError::Supergraph(e.to_string()))?;
        Ok(QueryPlanner {
            planner: Arc::new(planner),
            resolvability: Arc::new(check::Resolvability::from_sdl(supergraph_sdl)),
            cache: moka::future::Cache::new(config.cache_size),
            timeout: Duration::from_millis(config.timeout_ms),
            overrides: ProgressiveOverrides::from_sdl(supergraph_sdl),
            metrics: None,
            supergraph_hash: sha256_hex(supergraph_sdl).into(),
            shared: None,
        })
    }

    /// Keeps plans in `store` too (for `ttl`; no second level when zero). A
    /// plan found there is used as if built here; one that cannot be read is
    /// planned again and overwritten. Failed plans stay local.
    pub fn with_shared_cache(mut self, store: Option<RedisStore>, ttl: Duration) -> Self {
        self.shared = store
            .filter(|_| !ttl.is_zero())
            .map(|store| SharedPlans { store, ttl });
        self
    }

    /// Counts and times every plan built (cache misses) in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Plans `source` (one printed operation), from the cache when possible.
    /// Planning runs on a blocking thread and panics are contained; a request
    /// waits at most the planner timeout (the planner's own cancellation stops
    /// the search; this bounds what it does not cover). Failures are cached.
    pub async fn plan(
        &self,
        source: String,
        operation_name: Option<String>,
    ) -> Result<Arc<QueryPlan>, PlanError> {
        let override_value = self.overrides.draw();
        let key = cache_key(override_value, operation_name.as_deref(), &source);
        let planner = Arc::clone(&self.planner);
        let resolvability = Arc::clone(&self.resolvability);
        let timeout = self.timeout;
        let metrics = self.metrics.clone();
        let shared = self
            .shared
            .clone()
            .map(|shared| (shared, Arc::clone(&self.supergraph_hash)));
        self.cache
            .get_with(key, async move {
                // Only on a miss: the shared key hashes the whole operation.
                let shared = shared.map(|(shared, supergraph)| {
                    let key = cache_key(override_value, operation_name.as_deref(), &source);
                    (
                        shared,
                        sha256_hex(&format!("{SHARED_FORMAT}\n{supergraph}\n{key}")),
                    )
                });
                if let Some((shared, key)) = &shared
                    && let Some(bytes) = shared.store.get(Purpose::Plan, key).await
                {
                    match QueryPlan::from_json(&bytes) {
                        Ok(plan) => {
                            if let Some(metrics) = &metrics {
                                metrics.plan_shared();
                            }
                            return Ok(Arc::new(plan));
                        }
                        Err(error) => {
                            tracing::warn!(%error, "unreadable plan in Redis; planning again")
                        }
                    }
                }
                let planned = Self::plan_blocking(
                    planner,
                    resolvability,
                    source,
                    operation_name,
                    override_value,
                    timeout,
                    metrics,
                )
                .await;
                if let (Ok(plan), Some((shared, key))) = (&planned, shared)
                    && let Ok(bytes) = serde_json::to_vec(plan.as_ref())
                {
                    // Stored in the background: the request does not wait.
                    tokio::spawn(async move {
                        shared
                            .store
                            .set(Purpose::Plan, &key, &bytes, shared.ttl)
                            .await;
                    });
                }
                planned
            })
            .await
    }

    /// Plans on a blocking thread, within the timeout, panics contained.
    async fn plan_blocking(
        planner: Arc<Planner>,
        resolvability: Arc<check::Resolvability>,
        source: String,
        operation_name: Option<String>,
        override_value: Option<(usize, Percentage)>,
        timeout: Duration,
        metrics: Option<Arc<Metrics>>,
    ) -> Planned {
        let planning = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let plan = catch_unwind(AssertUnwindSafe(|| {
                plan_now(
                    &planner,
                    &resolvability,
                    &source,
                    operation_name.as_deref(),
                    override_value.map(|(_, value)| value),
                    timeout,
                )
            }))
            .unwrap_or(Err(PlanError::Panicked));
            if let Some(metrics) = metrics {
                metrics.plan_built(started.elapsed());
            }
            plan
        });
        match tokio::time::timeout(timeout, planning).await {
            Ok(joined) => joined.unwrap_or(Err(PlanError::Panicked)).map(Arc::new),
            Err(_) => Err(PlanError::TimedOut(timeout)),
        }
    }
}

/// The in-memory cache key: override bucket (when there are percentage
/// labels), operation name and printed operation.
fn cache_key(
    override_value: Option<(usize, Percentage)>,
    operation_name: Option<&str>,
    source: &str,
) -> String {
    let name = operation_name.unwrap_or("");
    match override_value {
        None => format!("{name}\n{source}"),
        Some((bucket, _)) => format!("{bucket}\n{name}\n{source}"),
    }
}

fn plan_now(
    planner: &Planner,
    resolvability: &check::Resolvability,
    source: &str,
    operation_name: Option<&str>,
    override_value: Option<Percentage>,
    timeout: Duration,
) -> Result<QueryPlan, PlanError> {
    let document =
        safe_parse_operation(source).map_err(|e| PlanError::OperationSyntax(e.to_string()))?;
    let normalized = normalize_operation(&planner.supergraph, &document, operation_name)
        .map_err(|e| PlanError::Normalize(e.to_string()))?;
    let plan = planner
        .plan_from_normalized_operation(
            &normalized.operation,
            match override_value {
                Some(value) => PlannerOverrideContext::new(Default::default(), value),
                None => PlannerOverrideContext::default(),
            },
            &CancellationToken::with_timeout(timeout),
        )
        .map_err(|e| PlanError::Plan(e.to_string()))?;
    let mut lowered = lower::lower(&plan);
    resolvability.alias_conflicting_fields(&mut lowered);
    resolvability.alias_shape_conflicts(&mut lowered);
    resolvability.widen_interface_object_requires(&mut lowered);
    resolvability.complete_requires(&mut lowered);
    resolvability
        .repair_requires_arguments(&mut lowered)
        .map_err(PlanError::Unsound)?;
    resolvability.check(&lowered).map_err(PlanError::Unsound)?;
    Ok(lowered)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUPERGRAPH: &str = include_str!("../../tests/fixtures/supergraph.graphql");

    #[tokio::test]
    async fn plans_are_cached_by_operation_and_name() {
        let planner = QueryPlanner::new(SUPERGRAPH, &PlannerConfig::default()).expect("planner");
        let plan = planner
            .plan("{ me { name } }".into(), None)
            .await
            .expect("plan");
        assert!(plan.to_string().contains("accounts"), "{plan}");
        planner
            .plan("{ me { name } }".into(), None)
            .await
            .expect("plan");
        planner
            .plan("query Me { me { name } }".into(), Some("Me".into()))
            .await
            .expect("plan");
        planner.cache.run_pending_tasks().await;
        assert_eq!(planner.cache.entry_count(), 2);
    }

    #[test]
    fn progressive_override_buckets_share_plans_per_set_of_active_labels() {
        let sdl = r#"
            a: Int @join__field(graph: A, overrideLabel: "percent(25)")
                   @join__field(graph: B, override: "a", overrideLabel: "percent(25)")
            b: Int @join__field(graph: B, override: "a", overrideLabel:"percent(75.5)")
            c: Int @join__field(graph: B, override: "a", overrideLabel: "my_flag")
        "#;
        let overrides = ProgressiveOverrides::from_sdl(sdl);
        let scale = PERCENTAGE_SCALE_FACTOR;
        assert_eq!(overrides.thresholds, vec![25 * scale, 7_550_000_000]);
        // Both active, only 75.5 active, none active.
        assert_eq!(overrides.bucket(0), (0, 0));
        assert_eq!(overrides.bucket(25 * scale - 1), (0, 0));
        assert_eq!(overrides.bucket(25 * scale), (1, 25 * scale));
        assert_eq!(overrides.bucket(75 * scale), (1, 25 * scale));
        assert_eq!(overrides.bucket(7_550_000_000), (2, 7_550_000_000));
        assert_eq!(overrides.bucket(100 * scale - 1), (2, 7_550_000_000));
        let drawn: std::collections::BTreeSet<usize> = (0..200)
            .filter_map(|_| overrides.draw())
            .map(|(b, _)| b)
            .collect();
        assert_eq!(drawn.len(), 3, "{drawn:?}");
        assert!(
            ProgressiveOverrides::from_sdl("type Query { a: Int }")
                .draw()
                .is_none()
        );
    }

    #[tokio::test]
    async fn planner_failures_are_errors_not_panics() {
        let planner = QueryPlanner::new(SUPERGRAPH, &PlannerConfig::default()).expect("planner");
        assert!(planner.plan("{ me {".into(), None).await.is_err());
        assert!(
            planner
                .plan("query A { me { id } }".into(), Some("B".into()))
                .await
                .is_err()
        );
        assert!(QueryPlanner::new("type Query {", &PlannerConfig::default()).is_err());
    }

    /// The planner's output lowered: entity fetches carry their path, their
    /// `requires` and a body prefix; root fetches their response keys; the plan
    /// survives a JSON round trip (the shared plan cache) unchanged.
    #[tokio::test]
    async fn plans_are_lowered_into_own_types_that_round_trip() {
        let planner = QueryPlanner::new(SUPERGRAPH, &PlannerConfig::default()).expect("planner");
        let plan = planner
            .plan(
                "query($n: Int) { me { name reviews { body } } topProducts(first: $n) { name } }"
                    .into(),
                None,
            )
            .await
            .expect("plan");
        let mut fetches = Vec::new();
        let mut entities = Vec::new();
        fn walk<'p>(node: &'p PlanNode, f: &mut Vec<&'p Fetch>, e: &mut Vec<&'p EntityFetch>) {
            match node {
                PlanNode::Fetch(fetch) => f.push(fetch),
                PlanNode::Entities(fetch) => e.push(fetch),
                PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
                    nodes.iter().for_each(|n| walk(n, f, e))
                }
                _ => {}
            }
        }
        walk(
            plan.node.as_ref().expect("node"),
            &mut fetches,
            &mut entities,
        );
        let products = fetches
            .iter()
            .find(|f| f.root_keys == ["topProducts"])
            .expect("a root fetch for topProducts");
        assert_eq!(products.operation.variable_usages, ["n"]);
        let prefix: serde_json::Value =
            serde_json::from_str(&format!("{}}}}}", products.operation.body_prefix))
                .expect("the prefix opens a JSON body");
        assert_eq!(prefix["query"], products.operation.operation.as_str());
        let reviews = entities
            .iter()
            .find(|e| e.operation.service_name == "reviews")
            .expect("an entity fetch to reviews");
        assert_eq!(reviews.path, [FlattenSegment::Field("me".into())]);
        assert!(
            matches!(&reviews.requires[..], [Selection::InlineFragment { type_condition, .. }] if type_condition == "User"),
            "{:?}",
            reviews.requires
        );
        let json = serde_json::to_vec(plan.as_ref()).expect("serializes");
        let value: serde_json::Value = serde_json::from_slice(&json).expect("json");
        assert_eq!(value["kind"], "QueryPlan");
        assert!(!String::from_utf8_lossy(&json).contains("bodyPrefix"));
        let back = QueryPlan::from_json(&json).expect("deserializes");
        assert_eq!(&back, plan.as_ref());
        assert_eq!(back.fetch_count(), plan.fetch_count());
        let text = plan.to_string();
        assert!(
            text.contains("Fetch(service: \"accounts\")") && text.contains("service: \"reviews\""),
            "{text}"
        );
    }

    /// Regression: a failed plan was recomputed on every resend.
    #[tokio::test]
    async fn failed_plans_are_cached() {
        let planner = QueryPlanner::new(SUPERGRAPH, &PlannerConfig::default()).expect("planner");
        for _ in 0..3 {
            assert!(
                planner
                    .plan("query A { me { id } }".into(), Some("B".into()))
                    .await
                    .is_err()
            );
        }
        planner.cache.run_pending_tasks().await;
        assert_eq!(planner.cache.entry_count(), 1);
    }
}
