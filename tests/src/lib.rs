//! Helpers for the end-to-end tests: start the real subgraphs on
//! `127.0.0.1:0` over a fresh database, and speak GraphQL over HTTP to them.
//!
//! Backends: SQLite in memory always; PostgreSQL too when
//! `TESSERA_TEST_POSTGRES_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/test`).
//! Each platform gets fresh databases on that server, dropped by
//! [`Platform::shutdown`]. When the URL is set but the server is unreachable,
//! tests fail: they never silently skip PostgreSQL.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tessera_kit::auth::{AuthConfig, JwtIssuer};
use tessera_kit::config::SubgraphConfig;
use tessera_kit::http::RunningServer;

/// Environment variable naming a PostgreSQL server for the tests.
pub const POSTGRES_ENV: &str = "TESSERA_TEST_POSTGRES_URL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// A server URL; each platform creates its own databases there.
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// SQLite, plus PostgreSQL when [`POSTGRES_ENV`] is set.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if let Some(url) = postgres_url() {
        out.push(Backend::Postgres(url));
    }
    out
}

pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty())
}

/// A database created for one test, dropped on [`TestDb::drop_db`].
pub struct TestDb {
    pub url: String,
    admin: Option<(DatabaseConnection, String)>,
}

impl TestDb {
    pub async fn create(backend: &Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb {
                url: tessera_kit::db::SQLITE_MEMORY.to_owned(),
                admin: None,
            },
            Backend::Postgres(server) => {
                static N: AtomicUsize = AtomicUsize::new(0);
                let name = format!(
                    "tessera_t_{}_{}_{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed),
                    uuid::Uuid::new_v4().simple()
                );
                let admin = Database::connect(server.as_str())
                    .await
                    .unwrap_or_else(|e| {
                        panic!("{POSTGRES_ENV} is set but PostgreSQL is unreachable: {e}")
                    });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap();
                TestDb {
                    url: replace_db_name(server, &name),
                    admin: Some((admin, name)),
                }
            }
        }
    }

    pub async fn drop_db(self) {
        if let Some((admin, name)) = self.admin {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            let _ = admin.close().await;
        }
    }
}

/// `postgres://u@h:p/db?x` with `db` replaced.
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// One running subgraph, its database handle and its test database.
pub struct Subgraph {
    pub server: RunningServer,
    pub db: DatabaseConnection,
    pub test_db: TestDb,
}

impl Subgraph {
    pub fn url(&self) -> String {
        self.server.graphql_url()
    }
}

/// Counts SQL statements run on a connection (only through the handle it
/// was attached to and its later clones: the background consumers get
/// handles cloned before, so what they do is not counted).
#[derive(Clone, Default)]
pub struct StatementCounter(Arc<AtomicUsize>);

impl StatementCounter {
    pub fn attach(&self, db: &mut DatabaseConnection) {
        let counter = self.0.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    }

    pub fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

/// The three subgraphs, started on `127.0.0.1:0`.
pub struct Platform {
    pub backend: Backend,
    pub users: Subgraph,
    pub inventory: Subgraph,
    pub orders: Subgraph,
    pub notifications: Subgraph,
    pub counters: Counters,
    pub http: reqwest::Client,
}

/// Statement counters per subgraph.
#[derive(Clone, Default)]
pub struct Counters {
    pub users: StatementCounter,
    pub inventory: StatementCounter,
    pub orders: StatementCounter,
}

pub fn test_config(db_url: &str) -> SubgraphConfig {
    SubgraphConfig::for_test(db_url)
}

impl Platform {
    pub async fn start(backend: &Backend) -> Platform {
        let counters = Counters::default();

        let inventory_db = TestDb::create(backend).await;
        let config = test_config(&inventory_db.url);
        let mut db = tessera_inventory::connect(&inventory_db.url).await.unwrap();
        let inventory_background = db.clone();
        counters.inventory.attach(&mut db);
        let app = tessera_inventory::app(db.clone(), &config).unwrap();
        let mut inventory = Subgraph {
            server: tessera_kit::http::spawn_app(&config, app).await.unwrap(),
            db,
            test_db: inventory_db,
        };

        let users_db = TestDb::create(backend).await;
        let config = tessera_users::UsersConfig::new(test_config(&users_db.url), inventory.url());
        let mut db = tessera_users::connect(&users_db.url).await.unwrap();
        let users_background = db.clone();
        counters.users.attach(&mut db);
        let app = tessera_users::app(db.clone(), &config).unwrap();
        let users = Subgraph {
            server: tessera_kit::http::spawn_app(&config.subgraph, app)
                .await
                .unwrap(),
            db,
            test_db: users_db,
        };

        let orders_db = TestDb::create(backend).await;
        let config = tessera_orders::OrdersConfig {
            subgraph: test_config(&orders_db.url),
            inventory_url: inventory.url(),
        };
        let mut db = tessera_orders::connect(&orders_db.url).await.unwrap();
        let orders_background = db.clone();
        counters.orders.attach(&mut db);
        let app = tessera_orders::app(db.clone(), &config).unwrap();
        let orders = Subgraph {
            server: tessera_kit::http::spawn_app(&config.subgraph, app)
                .await
                .unwrap(),
            db,
            test_db: orders_db,
        };
        // The analytics read model from the orders outbox, read in-process.
        inventory.server = inventory
            .server
            .with_background(tessera_inventory::analytics::consume(
                inventory_background.clone(),
                Arc::new(tessera_kit::consume::OutboxSource::new(
                    orders_background.clone(),
                )),
            ));
        // Notifications from the orders, users and inventory outboxes, read
        // in-process.
        let notifications_db = TestDb::create(backend).await;
        let config = test_config(&notifications_db.url);
        let db = tessera_notifications::connect(&notifications_db.url)
            .await
            .unwrap();
        let app = tessera_notifications::app(db.clone(), &config).unwrap();
        let notifications = Subgraph {
            server: tessera_kit::http::spawn_app(&config, app)
                .await
                .unwrap()
                .with_background(tessera_notifications::consume(
                    db.clone(),
                    Arc::new(tessera_kit::consume::OutboxSource::new(
                        orders_background.clone(),
                    )),
                ))
                .with_background(tessera_notifications::consume_as(
                    tessera_notifications::WISHLISTS_CONSUMER,
                    db.clone(),
                    Arc::new(tessera_kit::consume::OutboxSource::new(users_background)),
                ))
                .with_background(tessera_notifications::consume_as(
                    tessera_notifications::RESTOCKS_CONSUMER,
                    db.clone(),
                    Arc::new(tessera_kit::consume::OutboxSource::new(
                        inventory_background,
                    )),
                )),
            db,
            test_db: notifications_db,
        };
        counters.users.take();
        counters.inventory.take();
        counters.orders.take();

        Platform {
            backend: backend.clone(),
            users,
            inventory,
            orders,
            notifications,
            counters,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the servers and drops the test databases.
    pub async fn shutdown(self) {
        for sg in [self.notifications, self.orders, self.users, self.inventory] {
            let _ = sg.server.stop().await;
            let _ = sg.db.close().await;
            sg.test_db.drop_db().await;
        }
    }

    /// Seeds the demo catalogue, users and orders.
    pub async fn seed_demo(&self) {
        tessera_inventory::seed::seed_demo_data(&self.inventory.db)
            .await
            .unwrap();
        tessera_users::seed::seed_demo_data(&self.users.db)
            .await
            .unwrap();
        tessera_orders::seed::seed_demo_data(&self.orders.db)
            .await
            .unwrap();
    }

    /// Signs up a fresh user through the API; returns (token, user id).
    pub async fn sign_up(&self, name: &str) -> (String, String) {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let r = gql(
            &self.http,
            &self.users.url(),
            "mutation($i: SignUpInput!) { signUp(input: $i) { token user { id } } }",
            json!({"i": {"email": email, "password": "correct horse", "name": name}}),
            None,
        )
        .await;
        assert_no_errors(&r);
        (
            r.body["data"]["signUp"]["token"]
                .as_str()
                .unwrap()
                .to_owned(),
            r.body["data"]["signUp"]["user"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    }

    /// Creates a product through the API as an inventory admin; returns its id.
    /// The router over the checked-in `schema/supergraph.graphql`, in front
    /// of this platform's subgraphs, guarded with the users subgraph's keys as
    /// `tessera dev` is.
    pub async fn router(&self) -> tessera_router::RunningRouter {
        let sdl = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../schema/supergraph.graphql"
        ))
        .unwrap();
        let mut config = tessera_router::RouterConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        };
        for (name, url) in [
            ("users", self.users.url()),
            ("orders", self.orders.url()),
            ("inventory", self.inventory.url()),
            ("notifications", self.notifications.url()),
        ] {
            config.subgraphs.overrides.insert(
                name.to_owned(),
                tessera_router::config::SubgraphOverride {
                    url: Some(url),
                    ..Default::default()
                },
            );
        }
        config.authentication.jwt = Some(tessera_cli::dev::router_jwt(&AuthConfig::development()));
        tessera_router::start(config, &sdl).await.unwrap()
    }

    pub async fn create_product(
        &self,
        sku: &str,
        name: &str,
        price_cents: i64,
        stock: i32,
    ) -> String {
        let r = gql(
            &self.http,
            &self.inventory.url(),
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({"i": {"sku": sku, "name": name, "priceCents": price_cents, "weightGrams": 1200, "stock": stock}}),
            Some(&admin_token()),
        )
        .await;
        assert_no_errors(&r);
        r.body["data"]["createProduct"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A token for a user with the `inventory:write` scope.
pub fn admin_token() -> String {
    token_for(
        &tessera_kit::demo::demo_id(1, 1),
        &["inventory:write", "users:read", "analytics:read"],
    )
}

/// Mints a token with the dev secret (tests only), e.g. for scopes sign-up does not grant.
pub fn token_for(user_id: &str, scopes: &[&str]) -> String {
    let issuer = JwtIssuer::from_config(&AuthConfig::development()).unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    issuer.issue(user_id, &scopes).unwrap().0
}

/// An HTTP response: status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// `extensions.code` of the first error.
    pub fn code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
}

/// POSTs a GraphQL request.
pub async fn gql(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
    token: Option<&str>,
) -> Reply {
    let mut req = http
        .post(url)
        .json(&json!({"query": query, "variables": variables}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    Reply { status, body }
}

pub fn assert_no_errors(r: &Reply) {
    assert!(
        r.body.get("errors").is_none(),
        "unexpected errors ({}): {}",
        r.status,
        r.body
    );
}

/// Asserts the first error's code and that no other error hides behind it.
pub fn assert_code(r: &Reply, code: &str) {
    assert_eq!(
        r.code(),
        Some(code),
        "expected {code}, got ({}): {}",
        r.status,
        r.body
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_database_name() {
        assert_eq!(
            replace_db_name("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_db_name("postgres://h/test?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(replace_db_name("postgres://h", "x"), "postgres://h/x");
    }
}
