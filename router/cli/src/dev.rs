//! `tessera dev`: the whole platform in one process on the embedded defaults:
//! the three domain subgraphs on SQLite files under a data directory, demo data
//! seeded on first start (never twice), and the router with the playground,
//! serving the supergraph composed live from the subgraphs' `_service { sdl }`,
//! and the storefront (built by `build.rs`) at `/store/`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use tessera_kit::config::SubgraphConfig;
use tessera_kit::http::RunningServer;

/// Where and how `tessera dev` runs.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Directory for the SQLite files.
    pub data_dir: PathBuf,
    pub host: IpAddr,
    pub users_port: u16,
    pub orders_port: u16,
    pub inventory_port: u16,
    pub notifications_port: u16,
    pub router_port: u16,
    /// Seed demo data into empty databases.
    pub seed: bool,
    /// Redis for the event streams (default: `TESSERA_REDIS_URL`): the
    /// relays publish there and the consumers join its groups; without, the
    /// consumers read the other services' outboxes in this process.
    pub redis_url: Option<String>,
    /// The storefront's static export and its trusted-documents manifest
    /// (default: the build's, when npm built it).
    pub storefront: Option<Storefront>,
}

impl DevOptions {
    /// The defaults with every service on a free port and the data in
    /// `data_dir` (tests start several platforms side by side).
    pub fn on_free_ports(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            users_port: 0,
            orders_port: 0,
            inventory_port: 0,
            notifications_port: 0,
            router_port: 0,
            ..Self::default()
        }
    }
}

/// A built storefront: served at `/store/`, its documents trusted by hash.
#[derive(Debug, Clone)]
pub struct Storefront {
    /// The static export (`index.html` at its root).
    pub site: PathBuf,
    /// `{hash: document}` of every operation the storefront sends.
    pub manifest: PathBuf,
}

/// Why this build has no storefront (empty when it has one).
const STOREFRONT_MISSING: &str = include_str!(concat!(env!("OUT_DIR"), "/storefront-missing.txt"));

impl Storefront {
    /// The storefront `build.rs` built into this binary's build directory.
    pub fn built() -> Result<Storefront, String> {
        if !STOREFRONT_MISSING.is_empty() {
            return Err(STOREFRONT_MISSING.to_owned());
        }
        let dir = PathBuf::from(env!("TESSERA_STOREFRONT_DIR"));
        let storefront = Storefront {
            site: dir.join("site"),
            manifest: dir.join("persisted-documents.json"),
        };
        if storefront.site.join("index.html").is_file() && storefront.manifest.is_file() {
            Ok(storefront)
        } else {
            Err(format!("{} is gone (rebuild tessera)", dir.display()))
        }
    }
}

impl Default for DevOptions {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            users_port: tessera_users::DEFAULT_PORT,
            orders_port: tessera_orders::DEFAULT_PORT,
            inventory_port: tessera_inventory::DEFAULT_PORT,
            notifications_port: tessera_notifications::DEFAULT_PORT,
            router_port: 4000,
            seed: true,
            redis_url: std::env::var("TESSERA_REDIS_URL")
                .ok()
                .filter(|url| !url.trim().is_empty()),
            storefront: Storefront::built().ok(),
        }
    }
}

/// Why the dev platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error("{name} subgraph: {source}")]
    Subgraph {
        name: &'static str,
        source: tessera_kit::start::StartError,
    },
    #[error("seeding demo data: {0}")]
    Seed(String),
    #[error("fetching {name}'s SDL: {reason}")]
    Sdl { name: &'static str, reason: String },
    #[error("{0}")]
    Compose(#[from] tessera_schema::compose::CompositionErrors),
    #[error("router: {0}")]
    Router(#[from] tessera_router::ServeError),
}

/// The running platform.
pub struct DevPlatform {
    pub users: RunningServer,
    pub orders: RunningServer,
    pub inventory: RunningServer,
    pub notifications: RunningServer,
    pub router: tessera_router::RunningRouter,
    /// The supergraph the router serves.
    pub supergraph_sdl: String,
}

impl DevPlatform {
    /// Stops every server.
    pub async fn stop(self) {
        let _ = self.router.shutdown().await;
        let _ = self.notifications.stop().await;
        let _ = self.orders.stop().await;
        let _ = self.users.stop().await;
        let _ = self.inventory.stop().await;
    }
}

fn subgraph_config(options: &DevOptions, port: u16) -> SubgraphConfig {
    // The only start that accepts the development secrets shipped in the source.
    let mut config = SubgraphConfig::development(port);
    config.listen = SocketAddr::new(options.host, port);
    config.data_dir = options.data_dir.clone();
    // With a Redis, the services relay their outboxes to it and consume there.
    config.redis_url = options.redis_url.clone();
    config
}

/// Starts the subgraphs (inventory first: orders calls it) and seeds them.
pub async fn start(options: &DevOptions) -> Result<DevPlatform, DevError> {
    let failed = |name: &'static str| move |source| DevError::Subgraph { name, source };
    let (inventory, inventory_db) =
        tessera_inventory::spawn(&subgraph_config(options, options.inventory_port))
            .await
            .map_err(failed(tessera_inventory::NAME))?;
    let users_config = tessera_users::UsersConfig::new(
        subgraph_config(options, options.users_port),
        inventory.graphql_url(),
    );
    let (users, users_db) = tessera_users::spawn(&users_config)
        .await
        .map_err(failed(tessera_users::NAME))?;
    let orders_config = tessera_orders::OrdersConfig {
        subgraph: subgraph_config(options, options.orders_port),
        inventory_url: inventory.graphql_url(),
    };
    let (orders, orders_db) = tessera_orders::spawn(&orders_config)
        .await
        .map_err(failed(tessera_orders::NAME))?;
    // Without Redis the services share this process: reservation safety reads
    // the orders outbox directly (with Redis, inventory joined the stream).
    let (notifications, notifications_db) =
        tessera_notifications::spawn(&subgraph_config(options, options.notifications_port))
            .await
            .map_err(failed(tessera_notifications::NAME))?;
    // Without Redis the services share this process: the consumers of the
    // orders events read its outbox directly (with Redis, they joined the
    // orders stream's consumer groups).
    let (inventory, notifications) = if orders_config.subgraph.redis_url.is_none() {
        let orders_outbox = || -> std::sync::Arc<dyn tessera_kit::consume::EventSource> {
            std::sync::Arc::new(tessera_kit::consume::OutboxSource::new(orders_db.clone()))
        };
        let (reservations_source, analytics_source, notifications_source) =
            (orders_outbox(), orders_outbox(), orders_outbox());
        let safety = tessera_inventory::reservations::start(
            inventory_db.clone(),
            reservations_source.clone(),
            std::time::Duration::from_secs(orders_config.subgraph.reservation_timeout_secs),
        );
        let analytics =
            tessera_inventory::analytics::consume(inventory_db.clone(), analytics_source.clone());
        let notified =
            tessera_notifications::consume(notifications_db.clone(), notifications_source.clone());
        (
            inventory
                .with_consumer(
                    tessera_inventory::reservations::CONSUMER,
                    safety.status(),
                    reservations_source,
                    safety,
                )
                .with_consumer(
                    tessera_inventory::analytics::CONSUMER,
                    analytics.status.clone(),
                    analytics_source,
                    analytics,
                ),
            [
                (tessera_notifications::WISHLISTS_CONSUMER, &users_db),
                (tessera_notifications::RESTOCKS_CONSUMER, &inventory_db),
            ]
            .into_iter()
            .fold(
                notifications.with_consumer(
                    tessera_notifications::CONSUMER,
                    notified.status.clone(),
                    notifications_source,
                    notified,
                ),
                |server, (name, producer)| {
                    let source: std::sync::Arc<dyn tessera_kit::consume::EventSource> =
                        std::sync::Arc::new(tessera_kit::consume::OutboxSource::new(
                            producer.clone(),
                        ));
                    let consumer = tessera_notifications::consume_as(
                        name,
                        notifications_db.clone(),
                        source.clone(),
                    );
                    server.with_consumer(name, consumer.status.clone(), source, consumer)
                },
            ),
        )
    } else {
        (inventory, notifications)
    };
    if options.seed {
        let seeded = [
            tessera_inventory::seed::seed_demo_data(&inventory_db)
                .await
                .map_err(|e| DevError::Seed(e.to_string()))?,
            tessera_users::seed::seed_demo_data(&users_db)
                .await
                .map_err(|e| DevError::Seed(e.to_string()))?,
            tessera_orders::seed::seed_demo_data(&orders_db)
                .await
                .map_err(|e| DevError::Seed(e.to_string()))?,
        ];
        if seeded.iter().any(|s| *s) {
            tracing::info!("seeded demo data");
        }
    }
    let http = reqwest::Client::new();
    let mut subgraphs = Vec::new();
    for (name, server) in [
        (tessera_users::NAME, &users),
        (tessera_orders::NAME, &orders),
        (tessera_inventory::NAME, &inventory),
        (tessera_notifications::NAME, &notifications),
    ] {
        let url = server.graphql_url();
        let sdl = crate::compose_cmd::service_sdl(&http, &url)
            .await
            .map_err(|reason| DevError::Sdl { name, reason })?;
        subgraphs.push(tessera_schema::compose::SubgraphSdl::new(name, url, sdl));
    }
    let composed = tessera_schema::compose::compose(&subgraphs)?;
    let mut config = tessera_router::RouterConfig {
        listen: SocketAddr::new(options.host, options.router_port),
        // The playground needs the schema; a production router keeps it off.
        introspection: true,
        // Local frontends (e.g. a Next.js dev server on another port) may call it.
        cors: tessera_router::config::CorsConfig {
            allow_origins: vec!["*".to_owned()],
            allow_headers: Vec::new(),
        },
        ..tessera_router::RouterConfig::default()
    };
    // Our subgraphs (axum) speak HTTP/2 without TLS: one multiplexed connection each.
    config.subgraphs.http2_prior_knowledge = true;
    // Guarded at the router as a production platform would be: the router
    // verifies the tokens the users subgraph issues, with the same keys.
    config.authentication.jwt = Some(router_jwt(&users_config.subgraph.auth));
    // Password guessing is limited per client at the router too (the users
    // subgraph also locks an account after 5 failures).
    config.rate_limit.fields.insert(
        "Mutation.logIn".to_owned(),
        tessera_router::config::FieldLimit {
            requests: 30,
            window_secs: 60,
        },
    );
    if let Some(storefront) = &options.storefront {
        config
            .static_files
            .push(tessera_router::config::StaticFiles {
                path: STORE_PATH.to_owned(),
                dir: storefront.site.clone(),
            });
        // The storefront sends document hashes; anything else (the playground)
        // still runs.
        config.persisted_documents.manifest = Some(storefront.manifest.clone());
    }
    let router = tessera_router::start(config, &composed.supergraph_sdl).await?;
    Ok(DevPlatform {
        users,
        orders,
        inventory,
        notifications,
        router,
        supergraph_sdl: composed.supergraph_sdl,
    })
}

/// Where the storefront is served.
pub const STORE_PATH: &str = "/store";

/// The router's JWT settings for tokens signed per `auth` (the users
/// subgraph's): its issuer and audience, and its HS256 secret or RS256 keys.
pub fn router_jwt(auth: &tessera_kit::auth::AuthConfig) -> tessera_router::config::JwtConfig {
    use jsonwebtoken::Algorithm;
    let mut algorithms = Vec::new();
    if auth.hs256_secret.is_some() {
        algorithms.push(Algorithm::HS256);
    }
    if auth.jwks_file.is_some() {
        algorithms.extend([Algorithm::RS256, Algorithm::ES256]);
    }
    tessera_router::config::JwtConfig {
        issuers: vec![tessera_router::config::JwtIssuerConfig {
            issuer: auth.issuer.clone(),
            audiences: vec![auth.audience.clone()],
            algorithms,
            secret: auth.hs256_secret.clone(),
            jwks_file: auth.jwks_file.clone(),
            jwks_url: None,
            refresh_interval_secs: 300,
            min_refetch_interval_secs: 10,
            development: auth.development,
        }],
        ..tessera_router::config::JwtConfig::default()
    }
}

/// Runs the dev platform until Ctrl-C / SIGTERM.
pub async fn run(options: DevOptions) -> anyhow::Result<()> {
    let platform = start(&options).await?;
    println!(
        "Tessera dev platform is up (data in {}):",
        options.data_dir.display()
    );
    println!(
        "  router     {}  (playground: http://{}/)",
        platform.router.graphql_url(),
        platform.router.local_addr()
    );
    match &options.storefront {
        Some(_) => println!(
            "  storefront http://{}{STORE_PATH}/",
            platform.router.local_addr()
        ),
        None => println!(
            "  storefront not built: {} (install Node.js 20+ with npm, then `cargo build`)",
            Storefront::built().err().unwrap_or_default()
        ),
    }
    println!("  users      {}", platform.users.graphql_url());
    println!("  orders     {}", platform.orders.graphql_url());
    println!("  inventory  {}", platform.inventory.graphql_url());
    println!("  notifications {}", platform.notifications.graphql_url());
    println!(
        "Demo sign-in: admin@tessera.dev / {} (has inventory:write); Ctrl-C stops.",
        tessera_kit::demo::DEMO_PASSWORD
    );
    tessera_kit::http::shutdown_signal().await;
    platform.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The router refuses the development secrets on its own list (it does
    /// not depend on the kit): the list must name the kit's secrets.
    #[test]
    fn the_router_knows_the_development_secrets() {
        for secret in [
            tessera_kit::auth::DEV_HS256_SECRET,
            tessera_kit::auth::DEV_SERVICE_SECRET,
        ] {
            assert!(tessera_router::config::PUBLIC_SECRETS.contains(&secret));
        }
        assert_eq!(
            tessera_router::config::MIN_SECRET_BYTES,
            tessera_kit::auth::MIN_SECRET_BYTES
        );
    }
}
