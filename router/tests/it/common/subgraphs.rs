//! Four small federation subgraphs (async-graphql) matching
//! `tests/fixtures/supergraph.graphql`.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ID, Interface, Object, Result, Schema, Union,
};

/// A log shared by the mutation fields of two subgraphs: proves execution order.
#[derive(Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, entry: String) -> Vec<String> {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        log.push(entry);
        log.clone()
    }
}

// ---------------------------------------------------------------- accounts

#[derive(Clone)]
pub struct User {
    id: &'static str,
    name: &'static str,
    username: &'static str,
}

const USERS: [User; 3] = [
    User {
        id: "u1",
        name: "Ada Lovelace",
        username: "ada",
    },
    User {
        id: "u2",
        name: "Grace Hopper",
        username: "grace",
    },
    User {
        id: "u3",
        name: "Broken",
        username: "broken",
    },
];

fn user(id: &str) -> Option<User> {
    USERS.iter().find(|u| u.id == id).cloned()
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    /// Fails for `u3`, to exercise null propagation across subgraphs.
    async fn name(&self) -> Result<&str> {
        if self.id == "u3" {
            Err("the name service is down for u3".into())
        } else {
            Ok(self.name)
        }
    }
    #[graphql(shareable)]
    async fn username(&self) -> &str {
        self.username
    }
    async fn internal_note(&self) -> &str {
        "not for clients"
    }
}

pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    async fn me(&self) -> Option<User> {
        user("u1")
    }
    async fn user(&self, id: ID) -> Option<User> {
        user(&id)
    }
    async fn users(&self) -> Vec<User> {
        USERS.to_vec()
    }
    #[graphql(shareable)]
    async fn version(&self) -> &str {
        "accounts-1"
    }
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> Option<User> {
        user(&id)
    }
}

pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    async fn log_accounts(&self, ctx: &Context<'_>, entry: String) -> Result<Vec<String>> {
        Ok(ctx.data::<Log>()?.push(entry))
    }
}

pub fn accounts(log: Log) -> Schema<AccountsQuery, AccountsMutation, EmptySubscription> {
    Schema::build(AccountsQuery, AccountsMutation, EmptySubscription)
        .data(log)
        .finish()
}

// ---------------------------------------------------------------- products

#[derive(Clone)]
pub struct Product {
    upc: &'static str,
    sku: &'static str,
    name: &'static str,
    price: i32,
    weight: i32,
    region: &'static str,
}

const PRODUCTS: [Product; 3] = [
    Product {
        upc: "1",
        sku: "S1",
        name: "Table",
        price: 899,
        weight: 100,
        region: "eu",
    },
    Product {
        upc: "2",
        sku: "S2",
        name: "Couch",
        price: 1299,
        weight: 1000,
        region: "eu",
    },
    Product {
        upc: "3",
        sku: "S3",
        name: "Chair",
        price: 54,
        weight: 50,
        region: "us",
    },
];

#[derive(Clone)]
pub struct Warehouse {
    region: &'static str,
    code: &'static str,
}

#[Object]
impl Warehouse {
    async fn region(&self) -> &str {
        self.region
    }
    async fn code(&self) -> &str {
        self.code
    }
}

#[Object]
impl Product {
    async fn upc(&self) -> &str {
        self.upc
    }
    async fn sku(&self) -> &str {
        self.sku
    }
    async fn name(&self) -> &str {
        self.name
    }
    async fn price(&self) -> i32 {
        self.price
    }
    async fn weight(&self) -> i32 {
        self.weight
    }
    async fn warehouse(&self) -> Warehouse {
        Warehouse {
            region: self.region,
            code: "A1",
        }
    }
    /// Overridden by the reviews subgraph: must never be used.
    async fn review_count(&self) -> i32 {
        -1
    }
}

pub struct Category {
    name: String,
}

#[Object]
impl Category {
    async fn name(&self) -> &str {
        &self.name
    }
}

#[derive(Union)]
pub enum SearchResult {
    Product(Product),
    Category(Category),
}

#[derive(Interface)]
#[graphql(field(name = "price", ty = "i32"))]
pub enum Priced {
    Product(Product),
}

pub struct ProductsQuery;

#[Object]
impl ProductsQuery {
    async fn top_products(&self, #[graphql(default = 5)] first: i32) -> Vec<Product> {
        PRODUCTS
            .iter()
            .take(first.max(0) as usize)
            .cloned()
            .collect()
    }
    async fn product(&self, upc: String) -> Option<Product> {
        PRODUCTS.iter().find(|p| p.upc == upc).cloned()
    }
    async fn product_by_sku(&self, sku: String) -> Option<Product> {
        PRODUCTS.iter().find(|p| p.sku == sku).cloned()
    }
    async fn search(&self, term: String) -> Vec<SearchResult> {
        let mut out: Vec<SearchResult> = PRODUCTS
            .iter()
            .filter(|p| p.name.to_lowercase().contains(&term.to_lowercase()))
            .cloned()
            .map(SearchResult::Product)
            .collect();
        out.push(SearchResult::Category(Category { name: term }));
        out
    }
    async fn deals(&self) -> Vec<Priced> {
        vec![
            Priced::Product(PRODUCTS[0].clone()),
            Priced::Product(PRODUCTS[2].clone()),
        ]
    }
    #[graphql(shareable)]
    async fn version(&self) -> &str {
        "products-1"
    }
    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> Option<Product> {
        PRODUCTS.iter().find(|p| p.upc == upc).cloned()
    }
    #[graphql(entity)]
    async fn find_product_by_sku(&self, sku: String) -> Option<Product> {
        PRODUCTS.iter().find(|p| p.sku == sku).cloned()
    }
}

pub struct ProductsMutation;

#[Object]
impl ProductsMutation {
    async fn log_products(&self, ctx: &Context<'_>, entry: String) -> Result<Vec<String>> {
        Ok(ctx.data::<Log>()?.push(entry))
    }
}

pub fn products(log: Log) -> Schema<ProductsQuery, ProductsMutation, EmptySubscription> {
    Schema::build(ProductsQuery, ProductsMutation, EmptySubscription)
        .data(log)
        .finish()
}

// ---------------------------------------------------------------- inventory

pub struct InventoryProduct {
    upc: String,
    price: Option<i32>,
    weight: Option<i32>,
}

#[Object(name = "Product")]
impl InventoryProduct {
    async fn upc(&self) -> &str {
        &self.upc
    }
    async fn in_stock(&self) -> bool {
        self.upc != "2"
    }
    /// `@requires(fields: "price weight")`: free above 1000, else weight / 10.
    async fn shipping_estimate(&self) -> Result<i32> {
        match (self.price, self.weight) {
            (Some(price), Some(_)) if price > 1000 => Ok(0),
            (Some(_), Some(weight)) => Ok(weight / 10),
            _ => Err("price and weight are required".into()),
        }
    }
}

pub struct InventoryWarehouse {
    region: String,
    code: String,
}

#[Object(name = "Warehouse")]
impl InventoryWarehouse {
    async fn region(&self) -> &str {
        &self.region
    }
    async fn code(&self) -> &str {
        &self.code
    }
    async fn name(&self) -> String {
        format!("{}-{} depot", self.region, self.code)
    }
}

pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    #[graphql(entity)]
    async fn find_product_by_upc(
        &self,
        #[graphql(key)] upc: String,
        price: Option<i32>,
        weight: Option<i32>,
    ) -> InventoryProduct {
        InventoryProduct { upc, price, weight }
    }
    #[graphql(entity)]
    async fn find_warehouse_by_region_and_code(
        &self,
        region: String,
        code: String,
    ) -> InventoryWarehouse {
        InventoryWarehouse { region, code }
    }
}

pub fn inventory() -> Schema<InventoryQuery, EmptyMutation, EmptySubscription> {
    Schema::build(InventoryQuery, EmptyMutation, EmptySubscription).finish()
}

// ---------------------------------------------------------------- reviews

#[derive(Clone)]
pub struct Review {
    id: &'static str,
    body: &'static str,
    author: &'static str,
    product: &'static str,
}

const REVIEWS: [Review; 3] = [
    Review {
        id: "r1",
        body: "Sturdy",
        author: "u1",
        product: "1",
    },
    Review {
        id: "r2",
        body: "Who wrote this?",
        author: "u3",
        product: "2",
    },
    Review {
        id: "r3",
        body: "Comfy",
        author: "u2",
        product: "2",
    },
];

pub struct ReviewUser {
    id: String,
}

#[Object(name = "User")]
impl ReviewUser {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    /// Provided on `Review.author` only.
    #[graphql(external)]
    async fn username(&self) -> String {
        match self.id.as_str() {
            "u1" => "ada".into(),
            "u2" => "grace".into(),
            _ => "broken".into(),
        }
    }
    async fn reviews(&self) -> Vec<Review> {
        REVIEWS
            .iter()
            .filter(|r| r.author == self.id)
            .cloned()
            .collect()
    }
}

pub struct ReviewProduct {
    upc: String,
}

#[Object(name = "Product")]
impl ReviewProduct {
    async fn upc(&self) -> &str {
        &self.upc
    }
    async fn reviews(&self) -> Vec<Review> {
        REVIEWS
            .iter()
            .filter(|r| r.product == self.upc)
            .cloned()
            .collect()
    }
    #[graphql(override_from = "products")]
    async fn review_count(&self) -> i32 {
        REVIEWS.iter().filter(|r| r.product == self.upc).count() as i32
    }
}

#[Object]
impl Review {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn body(&self) -> &str {
        self.body
    }
    #[graphql(provides = "username")]
    async fn author(&self) -> ReviewUser {
        ReviewUser {
            id: self.author.to_string(),
        }
    }
    async fn product(&self) -> ReviewProduct {
        ReviewProduct {
            upc: self.product.to_string(),
        }
    }
}

pub struct ReviewsQuery;

#[Object]
impl ReviewsQuery {
    async fn latest_reviews(&self) -> Vec<Option<Review>> {
        REVIEWS.iter().cloned().map(Some).collect()
    }
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> ReviewUser {
        ReviewUser { id: id.0 }
    }
    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> ReviewProduct {
        ReviewProduct { upc }
    }
}

pub fn reviews() -> Schema<ReviewsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(ReviewsQuery, EmptyMutation, EmptySubscription).finish()
}
