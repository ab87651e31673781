//! The inventory subgraph's GraphQL schema. Resolvers call [`crate::service`].

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, ID, InputObject, Object, Result, SimpleObject};
use sea_orm::DatabaseConnection;
use tessera_kit::ApiError;
use tessera_kit::context::{db, viewer};
use tessera_kit::error::loader_error;
use tessera_kit::pagination::{PageInfo, PageRequest, encode_cursor};
use tessera_kit::sdl::authenticated;

use crate::service::{self, ProductFilter as Filter, ReserveLine};

/// Scope needed to change stock levels and read stock history.
pub const INVENTORY_WRITE_SCOPE: &str = "inventory:write";
/// Scope needed to read revenue figures.
pub const ANALYTICS_READ_SCOPE: &str = "analytics:read";
/// How many recent restocks `User.restocks` shows.
pub const RECENT_RESTOCKS: u64 = 20;

pub type InventorySchema = async_graphql::Schema<Query, Mutation, async_graphql::EmptySubscription>;

pub struct ProductLoader(pub DatabaseConnection);

impl Loader<String> for ProductLoader {
    type Value = service::Product;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        service::products_by_ids(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}

/// Loads by SKU. A separate key type from ids, so both loaders batch on their own.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Sku(pub String);

impl Loader<Sku> for ProductLoader {
    type Value = service::Product;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[Sku]) -> Result<HashMap<Sku, Self::Value>, Self::Error> {
        let skus: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let found = service::products_by_skus(&self.0, &skus)
            .await
            .map_err(Arc::new)?;
        Ok(found.into_iter().map(|(k, v)| (Sku(k), v)).collect())
    }
}

pub struct SalesLoader(pub DatabaseConnection);

impl Loader<String> for SalesLoader {
    type Value = crate::analytics::Sales;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        crate::analytics::sales_of(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}

async fn sales(ctx: &Context<'_>, id: &str) -> Result<crate::analytics::Sales> {
    Ok(ctx
        .data::<DataLoader<SalesLoader>>()?
        .load_one(id.to_owned())
        .await
        .map_err(loader_error)?
        .unwrap_or_default())
}

pub struct RestockLoader(pub DatabaseConnection);

impl Loader<String> for RestockLoader {
    type Value = Vec<service::Restock>;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        service::restocks_by_users(&self.0, keys, RECENT_RESTOCKS)
            .await
            .map_err(Arc::new)
    }
}

async fn load_product(ctx: &Context<'_>, id: &str) -> Result<Option<Product>> {
    Ok(ctx
        .data::<DataLoader<ProductLoader>>()?
        .load_one(id.to_owned())
        .await
        .map_err(loader_error)?
        .map(Product))
}

/// An item in the catalogue.
pub struct Product(pub service::Product);

#[Object(tag = "storefront")]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Stock-keeping unit, unique.
    async fn sku(&self) -> &str {
        &self.0.sku
    }

    #[graphql(shareable)]
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Unit price in cents.
    async fn price_cents(&self) -> i64 {
        self.0.price_cents
    }

    /// Shipping weight in grams.
    async fn weight_grams(&self) -> i32 {
        self.0.weight_grams
    }

    /// The warehouse that ships it; internal, used by other subgraphs only.
    #[graphql(inaccessible)]
    async fn warehouse_zone(&self) -> &str {
        &self.0.warehouse_zone
    }

    /// Units available to order.
    async fn stock(&self) -> i32 {
        self.0.stock
    }

    async fn in_stock(&self) -> bool {
        self.0.stock > 0
    }

    /// Legacy flat-rate estimate; the orders subgraph now owns this field.
    async fn shipping_estimate_cents(&self) -> i64 {
        service::legacy_shipping_estimate_cents(self.0.weight_grams)
    }

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// Units sold in orders not cancelled (from the order events; updated
    /// moments after an order).
    async fn units_sold(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(sales(ctx, &self.0.id).await?.units_sold)
    }

    /// Revenue of the units sold, in cents. Needs the `analytics:read` scope
    /// (nullable: without it the rest of the product still reads).
    #[graphql(requires_scopes = "analytics:read")]
    async fn revenue_cents(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        viewer(ctx).require_scope(ANALYTICS_READ_SCOPE)?;
        Ok(Some(sales(ctx, &self.0.id).await?.revenue_cents))
    }
}

/// Orders placed on one day (UTC), cancelled ones not counted.
#[derive(SimpleObject)]
pub struct DailyOrders {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub orders: i64,
    pub revenue_cents: i64,
}

/// A user as inventory sees them: whoever restocked products.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
}

#[ComplexObject]
impl User {
    /// The user's most recent restocks (newest first, at most 20).
    #[graphql(requires_scopes = "inventory:write")]
    async fn restocks(&self, ctx: &Context<'_>) -> Result<Vec<Restock>> {
        viewer(ctx).require_scope(INVENTORY_WRITE_SCOPE)?;
        Ok(ctx
            .data::<DataLoader<RestockLoader>>()?
            .load_one(self.id.to_string())
            .await
            .map_err(loader_error)?
            .unwrap_or_default()
            .into_iter()
            .map(Restock)
            .collect())
    }
}

/// Units added to a product's stock.
pub struct Restock(pub service::Restock);

#[Object]
impl Restock {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    async fn restocked_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        load_product(ctx, &self.0.product_id).await
    }

    async fn restocked_by(&self) -> User {
        User {
            id: ID(self.0.user_id.clone()),
        }
    }
}

#[derive(SimpleObject)]
pub struct ProductEdge {
    pub cursor: String,
    pub node: Product,
}

#[derive(SimpleObject)]
pub struct ProductConnection {
    pub edges: Vec<ProductEdge>,
    pub page_info: PageInfo,
}

#[derive(InputObject, Default)]
pub struct ProductFilter {
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
    pub in_stock: Option<bool>,
}

/// Stock held for an order (service-to-service; hidden from the public API).
#[derive(SimpleObject)]
#[graphql(inaccessible)]
pub struct Reservation {
    pub order_id: ID,
    pub lines: Vec<ReservedLine>,
}

#[derive(SimpleObject)]
#[graphql(inaccessible)]
pub struct ReservedLine {
    pub product_id: ID,
    pub product_name: String,
    pub unit_price_cents: i64,
    pub quantity: i32,
}

#[derive(InputObject)]
#[graphql(inaccessible)]
pub struct ReservationLineInput {
    pub product_id: ID,
    pub quantity: i32,
}

pub struct Query;

#[Object]
impl Query {
    /// A product by id; `null` and a `NOT_FOUND` error when there is none.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        match load_product(ctx, &id).await? {
            Some(p) => Ok(Some(p)),
            None => Err(ApiError::not_found("product", &id).into()),
        }
    }

    /// A product by SKU; `null` and a `NOT_FOUND` error when there is none.
    async fn product_by_sku(&self, ctx: &Context<'_>, sku: String) -> Result<Option<Product>> {
        match find_by_sku(ctx, sku.clone()).await? {
            Some(p) => Ok(Some(p)),
            None => Err(ApiError::not_found("product", &sku).into()),
        }
    }

    /// Orders per day, newest day first, for the last `days` days with
    /// orders (at most 366). Needs the `analytics:read` scope.
    #[graphql(requires_scopes = "analytics:read")]
    async fn orders_per_day(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 7)] days: i32,
    ) -> Result<Vec<DailyOrders>> {
        viewer(ctx).require_scope(ANALYTICS_READ_SCOPE)?;
        if !(1..=366).contains(&days) {
            return Err(ApiError::bad_input("`days` must be between 1 and 366").into());
        }
        Ok(crate::analytics::orders_per_day(db(ctx)?, days as u64)
            .await?
            .into_iter()
            .map(|d| DailyOrders {
                day: d.day,
                orders: d.orders,
                revenue_cents: d.revenue_cents,
            })
            .collect())
    }

    /// The catalogue in creation order; `first` is at most 100.
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ProductFilter>,
    ) -> Result<ProductConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = Filter {
            name_contains: f.name_contains,
            min_price_cents: f.min_price_cents,
            max_price_cents: f.max_price_cents,
            in_stock: f.in_stock,
        };
        let products = service::list_products(db(ctx)?, &filter, &page).await?;
        let page_info = products.page_info(|p| p.id.clone());
        Ok(ProductConnection {
            edges: products
                .items
                .into_iter()
                .map(|p| ProductEdge {
                    cursor: encode_cursor(&p.id),
                    node: Product(p),
                })
                .collect(),
            page_info,
        })
    }

    #[graphql(entity)]
    async fn find_product_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        load_product(ctx, &id).await
    }

    #[graphql(entity)]
    async fn find_product_by_sku(&self, ctx: &Context<'_>, sku: String) -> Result<Option<Product>> {
        find_by_sku(ctx, sku).await
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }
}

async fn find_by_sku(ctx: &Context<'_>, sku: String) -> Result<Option<Product>> {
    Ok(ctx
        .data::<DataLoader<ProductLoader>>()?
        .load_one(Sku(sku))
        .await
        .map_err(loader_error)?
        .map(Product))
}

#[derive(InputObject)]
pub struct CreateProductInput {
    /// Letters, digits and dashes; stored upper-case; unique.
    pub sku: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub price_cents: i64,
    pub weight_grams: i32,
    /// One of `EU-1`, `EU-2`, `US-1`.
    #[graphql(inaccessible)]
    pub warehouse_zone: Option<String>,
    #[graphql(default)]
    pub stock: i32,
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Adds a product to the catalogue. Needs the `inventory:write` scope.
    #[graphql(requires_scopes = "inventory:write")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> Result<Product> {
        viewer(ctx).require_scope(INVENTORY_WRITE_SCOPE)?;
        let product = service::create_product(
            db(ctx)?,
            service::NewProduct {
                sku: input.sku,
                name: input.name,
                description: input.description,
                price_cents: input.price_cents,
                weight_grams: input.weight_grams,
                warehouse_zone: input
                    .warehouse_zone
                    .unwrap_or_else(|| service::WAREHOUSE_ZONES[0].to_owned()),
                stock: input.stock,
            },
        )
        .await?;
        Ok(Product(product))
    }

    /// Adds units to a product's stock. Needs the `inventory:write` scope.
    #[graphql(requires_scopes = "inventory:write")]
    async fn restock(&self, ctx: &Context<'_>, product_id: ID, quantity: i32) -> Result<Product> {
        let claims = viewer(ctx).require_scope(INVENTORY_WRITE_SCOPE)?;
        Ok(Product(
            service::restock(db(ctx)?, &claims.sub, &product_id, quantity).await?,
        ))
    }

    /// Reserves stock for an order, all lines or none. Internal: only a caller
    /// with a service credential (the orders subgraph, on the buyer's behalf
    /// and with the buyer's token) may call it; users get `FORBIDDEN`.
    #[graphql(inaccessible, directive = authenticated::apply())]
    async fn reserve_stock(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        lines: Vec<ReservationLineInput>,
    ) -> Result<Reservation> {
        viewer(ctx).require_service()?;
        let claims = viewer(ctx).require_user()?;
        let lines: Vec<ReserveLine> = lines
            .into_iter()
            .map(|l| ReserveLine {
                product_id: l.product_id.0,
                quantity: l.quantity,
            })
            .collect();
        let reserved = service::reserve(db(ctx)?, &claims.sub, &order_id, &lines).await?;
        Ok(Reservation {
            order_id,
            lines: reserved
                .into_iter()
                .map(|l| ReservedLine {
                    product_id: ID(l.product_id),
                    product_name: l.product_name,
                    unit_price_cents: l.unit_price_cents,
                    quantity: l.quantity,
                })
                .collect(),
        })
    }

    /// Returns an order's reserved stock; `false` if nothing was reserved.
    /// Internal, like `reserveStock`.
    #[graphql(inaccessible, directive = authenticated::apply())]
    async fn release_stock(&self, ctx: &Context<'_>, order_id: ID) -> Result<bool> {
        viewer(ctx).require_service()?;
        let claims = viewer(ctx).require_user()?;
        Ok(service::release(db(ctx)?, &claims.sub, &order_id).await?)
    }
}
