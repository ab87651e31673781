//! In-memory subgraphs shaped like the public federation gateways benchmark:
//! accounts, inventory, products and reviews. Used by `router/bench/run.sh`.
//!
//! `cargo run --release --example bench_subgraphs -- [BASE_PORT]` serves
//! accounts on BASE_PORT (default 4201), inventory +1, products +2, reviews +3,
//! each at `/graphql`, and prints each subgraph's SDL to `bench/sdl/<name>.graphql`
//! when `--write-sdl DIR` is given.
//!
//! Each subgraph counts the GraphQL POST requests it receives; `GET /counts` on
//! the accounts port returns the totals since start as
//! `{"accounts":N,"inventory":N,"products":N,"reviews":N}` (the bench script
//! reads them around a load run for the subgraph fetches per client request).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::{
    ComplexObject, Context, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject,
};
use async_graphql_axum::GraphQL;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post_service};
use axum::serve::ListenerExt;
use axum::{Json, Router};

/// Same allocator as the router, so the subgraphs take as little of the shared
/// CPU as they can (in the public benchmark they run on their own machines).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USERS: usize = 10;
const PRODUCTS: usize = 9;
const REVIEWS_PER_PRODUCT: usize = 3;

fn username(i: usize) -> String {
    format!("user{i}")
}

fn upc(i: usize) -> String {
    format!("{}", i + 1)
}

fn price(i: usize) -> i32 {
    100 + (i as i32) * 37
}

fn weight(i: usize) -> i32 {
    10 + (i as i32) * 5
}

// ---- accounts --------------------------------------------------------------

mod accounts {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct User {
        pub id: ID,
        pub name: String,
        #[graphql(shareable)]
        pub username: String,
        pub birthday: i32,
    }

    pub fn user(i: usize) -> User {
        User {
            id: ID(format!("{}", i + 1)),
            name: format!("User {}", i + 1),
            username: username(i),
            birthday: 1_000_000 + i as i32,
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn me(&self) -> User {
            user(0)
        }

        async fn users(&self) -> Vec<User> {
            (0..USERS).map(user).collect()
        }

        async fn user(&self, id: ID) -> Option<User> {
            let i: usize = id.parse().ok()?;
            (1..=USERS).contains(&i).then(|| user(i - 1))
        }

        #[graphql(entity)]
        async fn find_user_by_id(&self, id: ID) -> Option<User> {
            let i: usize = id.parse().ok()?;
            (1..=USERS).contains(&i).then(|| user(i - 1))
        }
    }
}

// ---- products --------------------------------------------------------------

mod products {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Product {
        pub upc: String,
        pub name: String,
        pub price: i32,
        pub weight: i32,
    }

    pub fn product(i: usize) -> Product {
        Product {
            upc: upc(i),
            name: format!("Product {}", i + 1),
            price: price(i),
            weight: weight(i),
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn top_products(&self, #[graphql(default = 5)] first: i32) -> Vec<Product> {
            (0..PRODUCTS.min(first.max(0) as usize))
                .map(product)
                .collect()
        }

        #[graphql(entity)]
        async fn find_product_by_upc(&self, upc: String) -> Option<Product> {
            let i: usize = upc.parse().ok()?;
            (1..=PRODUCTS).contains(&i).then(|| product(i - 1))
        }
    }
}

// ---- inventory -------------------------------------------------------------

mod inventory {
    use super::*;

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: String,
        #[graphql(external)]
        pub weight: i32,
        #[graphql(external)]
        pub price: i32,
        pub in_stock: bool,
    }

    #[ComplexObject]
    impl Product {
        #[graphql(requires = "price weight")]
        async fn shipping_estimate(&self) -> i32 {
            // Free for expensive items, otherwise by weight.
            if self.price > 1000 {
                0
            } else {
                self.weight / 2
            }
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_product_by_upc(
            &self,
            #[graphql(key)] upc: String,
            price: Option<i32>,
            weight: Option<i32>,
        ) -> Product {
            let in_stock = upc.parse::<usize>().map(|i| i % 2 == 1).unwrap_or(false);
            Product {
                upc,
                weight: weight.unwrap_or_default(),
                price: price.unwrap_or_default(),
                in_stock,
            }
        }
    }
}

// ---- reviews ---------------------------------------------------------------

mod reviews {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Review {
        pub id: ID,
        pub body: String,
        #[graphql(provides = "username")]
        pub author: User,
        pub product: Product,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct User {
        pub id: ID,
        #[graphql(external)]
        pub username: String,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: String,
    }

    fn all_reviews() -> Vec<Review> {
        let mut out = Vec::new();
        for p in 0..PRODUCTS {
            for r in 0..REVIEWS_PER_PRODUCT {
                let n = p * REVIEWS_PER_PRODUCT + r;
                let author = n % USERS;
                out.push(Review {
                    id: ID(format!("{}", n + 1)),
                    body: format!("Review {} of product {}", r + 1, p + 1),
                    author: User {
                        id: ID(format!("{}", author + 1)),
                        username: username(author),
                    },
                    product: Product { upc: upc(p) },
                });
            }
        }
        out
    }

    #[ComplexObject]
    impl User {
        async fn reviews(&self, ctx: &Context<'_>) -> Vec<Review> {
            let all = ctx.data_unchecked::<Vec<Review>>();
            all.iter()
                .filter(|r| r.author.id == self.id)
                .cloned()
                .collect()
        }
    }

    #[ComplexObject]
    impl Product {
        async fn reviews(&self, ctx: &Context<'_>) -> Vec<Review> {
            let all = ctx.data_unchecked::<Vec<Review>>();
            all.iter()
                .filter(|r| r.product.upc == self.upc)
                .cloned()
                .collect()
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_user_by_id(&self, id: ID) -> User {
            let username = id
                .parse::<usize>()
                .ok()
                .filter(|i| (1..=USERS).contains(i))
                .map(|i| username(i - 1))
                .unwrap_or_default();
            User { id, username }
        }

        #[graphql(entity)]
        async fn find_product_by_upc(&self, upc: String) -> Product {
            Product { upc }
        }
    }

    pub fn data() -> Vec<Review> {
        all_reviews()
    }
}

const NAMES: [&str; 4] = ["accounts", "inventory", "products", "reviews"];

/// GraphQL POST requests received by each subgraph, in the order of `NAMES`.
type Counts = Arc<[AtomicU64; 4]>;

/// Counts a POST to `/graphql` for the subgraph at `index`, then serves it.
async fn count(
    State((counts, index)): State<(Counts, usize)>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::POST {
        counts[index].fetch_add(1, Ordering::Relaxed);
    }
    next.run(request).await
}

fn app<Q: async_graphql::ObjectType + 'static>(
    schema: Schema<Q, EmptyMutation, EmptySubscription>,
    counts: &Counts,
    index: usize,
) -> Router {
    Router::new()
        .route("/graphql", post_service(GraphQL::new(schema)))
        .route_layer(middleware::from_fn_with_state(
            (counts.clone(), index),
            count,
        ))
}

/// `GET /counts`: the totals since start, by subgraph name.
async fn serve_counts(State(counts): State<Counts>) -> Json<serde_json::Value> {
    let map: serde_json::Map<String, serde_json::Value> = NAMES
        .iter()
        .zip(counts.iter())
        .map(|(name, n)| (name.to_string(), n.load(Ordering::Relaxed).into()))
        .collect();
    Json(map.into())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base: u16 = args.first().and_then(|a| a.parse().ok()).unwrap_or(4201);
    let accounts = Schema::build(accounts::Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish();
    let inventory = Schema::build(inventory::Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish();
    let products = Schema::build(products::Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish();
    let reviews = Schema::build(reviews::Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .data(reviews::data())
        .finish();

    if let Some(i) = args.iter().position(|a| a == "--write-sdl") {
        let dir =
            std::path::PathBuf::from(args.get(i + 1).cloned().unwrap_or_else(|| "sdl".into()));
        std::fs::create_dir_all(&dir)?;
        let opts = async_graphql::SDLExportOptions::new()
            .federation()
            .compose_directive();
        std::fs::write(
            dir.join("accounts.graphql"),
            accounts.sdl_with_options(opts),
        )?;
        std::fs::write(
            dir.join("inventory.graphql"),
            inventory.sdl_with_options(opts),
        )?;
        std::fs::write(
            dir.join("products.graphql"),
            products.sdl_with_options(opts),
        )?;
        std::fs::write(dir.join("reviews.graphql"), reviews.sdl_with_options(opts))?;
        return Ok(());
    }

    let counts: Counts = Arc::new([const { AtomicU64::new(0) }; 4]);
    let apps = [
        app(accounts, &counts, 0).route("/counts", get(serve_counts).with_state(counts.clone())),
        app(inventory, &counts, 1),
        app(products, &counts, 2),
        app(reviews, &counts, 3),
    ];
    let mut tasks = Vec::new();
    for (offset, app) in apps.into_iter().enumerate() {
        let addr = SocketAddr::from(([127, 0, 0, 1], base + offset as u16));
        // TCP_NODELAY as production servers set it (`axum::serve` does
        // not): without it an HTTP/2 response, written as several frames,
        // waits on Nagle's algorithm for the peer's delayed ACK.
        let listener = tokio::net::TcpListener::bind(addr).await?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        println!("bench subgraph {} on http://{addr}/graphql", NAMES[offset]);
        tasks.push(tokio::spawn(
            async move { axum::serve(listener, app).await },
        ));
    }
    for t in tasks {
        let _ = t.await;
    }
    Ok(())
}
