//! The orders subgraph's GraphQL schema. Resolvers call [`crate::service`].

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use sea_orm::DatabaseConnection;
use tessera_kit::ApiError;
use tessera_kit::context::{db, viewer};
use tessera_kit::error::loader_error;
use tessera_kit::pagination::{Page, PageInfo, PageRequest, encode_cursor};
use tessera_kit::sdl::authenticated;

use crate::inventory_client::{InventoryClient, LineRequest};
use crate::service::{self, UserOrdersKey};

pub type OrdersSchema = async_graphql::Schema<Query, Mutation, async_graphql::EmptySubscription>;

pub struct OrderLoader(pub DatabaseConnection);

impl Loader<String> for OrderLoader {
    type Value = service::Order;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        service::orders_by_ids(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}

pub struct LinesLoader(pub DatabaseConnection);

impl Loader<String> for LinesLoader {
    type Value = Vec<service::OrderLine>;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        service::lines_by_orders(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}

pub struct UserOrdersLoader(pub DatabaseConnection);

impl Loader<UserOrdersKey> for UserOrdersLoader {
    type Value = Vec<service::Order>;
    type Error = Arc<ApiError>;

    async fn load(
        &self,
        keys: &[UserOrdersKey],
    ) -> Result<HashMap<UserOrdersKey, Self::Value>, Self::Error> {
        service::orders_of_users(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}

/// The token to forward to inventory, and whose user it is.
fn caller(ctx: &Context<'_>) -> Result<(String, String)> {
    let viewer = viewer(ctx);
    let claims = viewer.require_user()?;
    let authorization = viewer
        .authorization
        .clone()
        .ok_or_else(ApiError::unauthenticated)?;
    Ok((claims.sub.clone(), authorization))
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Placed,
    Cancelled,
}

impl From<service::Status> for OrderStatus {
    fn from(s: service::Status) -> Self {
        match s {
            service::Status::Placed => Self::Placed,
            service::Status::Cancelled => Self::Cancelled,
        }
    }
}

/// A customer's order.
pub struct Order(pub service::Order);

#[Object(tag = "storefront")]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }

    /// Sum of the lines at the prices when ordered, in cents.
    async fn total_cents(&self) -> i64 {
        self.0.total_cents
    }

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    async fn buyer(&self) -> User {
        User {
            id: ID(self.0.user_id.clone()),
        }
    }

    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<OrderLine>> {
        Ok(ctx
            .data::<DataLoader<LinesLoader>>()?
            .load_one(self.0.id.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default()
            .into_iter()
            .map(OrderLine)
            .collect())
    }
}

pub struct OrderLine(pub service::OrderLine);

#[Object]
impl OrderLine {
    /// The product; its `name` as it was when ordered comes from here.
    #[graphql(provides = "name")]
    async fn product(&self) -> Product {
        Product {
            id: ID(self.0.product_id.clone()),
            name: self.0.product_name.clone(),
            weight_grams: None,
            warehouse_zone: None,
        }
    }

    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// Unit price when ordered, in cents.
    async fn unit_price_cents(&self) -> i64 {
        self.0.unit_price_cents
    }

    async fn subtotal_cents(&self) -> i64 {
        self.0
            .unit_price_cents
            .saturating_mul(i64::from(self.0.quantity))
    }
}

/// A product, as far as orders knows it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    pub id: ID,
    #[graphql(external)]
    pub name: String,
    #[graphql(skip)]
    pub weight_grams: Option<i32>,
    #[graphql(skip)]
    pub warehouse_zone: Option<String>,
}

#[ComplexObject]
impl Product {
    #[graphql(external, name = "weightGrams")]
    async fn external_weight_grams(&self) -> Result<i32> {
        self.weight_grams
            .ok_or_else(|| missing_external("weightGrams"))
    }

    #[graphql(external, inaccessible, name = "warehouseZone")]
    async fn external_warehouse_zone(&self) -> Result<&str> {
        self.warehouse_zone
            .as_deref()
            .ok_or_else(|| missing_external("warehouseZone"))
    }

    /// Shipping estimate in cents, from weight and the shipping warehouse.
    #[graphql(requires = "weightGrams warehouseZone", override_from = "inventory")]
    async fn shipping_estimate_cents(&self) -> Result<i64> {
        match (self.weight_grams, self.warehouse_zone.as_deref()) {
            (Some(w), Some(z)) => Ok(service::shipping_estimate_cents(w, z)),
            _ => Err(ApiError::bad_input(
                "`weightGrams` and `warehouseZone` are required to estimate shipping",
            )
            .into()),
        }
    }
}

fn missing_external(field: &str) -> async_graphql::Error {
    ApiError::bad_input(format!("`{field}` is resolved by the inventory subgraph")).into()
}

/// A user as orders sees them: a buyer.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct OrderEdge {
    pub cursor: String,
    pub node: Order,
}

#[derive(SimpleObject)]
pub struct OrderConnection {
    pub edges: Vec<OrderEdge>,
    pub page_info: PageInfo,
}

impl OrderConnection {
    fn from_page(page: Page<service::Order>) -> Self {
        let page_info = page.page_info(|o| o.id.clone());
        Self {
            edges: page
                .items
                .into_iter()
                .map(|o| OrderEdge {
                    cursor: encode_cursor(&o.id),
                    node: Order(o),
                })
                .collect(),
            page_info,
        }
    }
}

#[ComplexObject]
impl User {
    /// The user's orders, newest first; only the user themself may see them.
    #[graphql(directive = authenticated::apply())]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let claims = viewer(ctx).require_user()?;
        if claims.sub != self.id.as_str() {
            return Err(ApiError::forbidden("only the user themself can see their orders").into());
        }
        let page = PageRequest::new(first, after.as_deref())?;
        let rows = ctx
            .data::<DataLoader<UserOrdersLoader>>()?
            .load_one(UserOrdersKey {
                user_id: self.id.to_string(),
                limit: page.fetch_limit(),
                after: page.after.clone(),
            })
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        Ok(OrderConnection::from_page(Page::from_rows(rows, &page)))
    }
}

#[derive(InputObject)]
pub struct OrderLineInput {
    pub product_id: ID,
    /// 1 to 1000.
    pub quantity: i32,
}

#[derive(InputObject)]
pub struct PlaceOrderInput {
    pub lines: Vec<OrderLineInput>,
}

pub struct Query;

#[Object]
impl Query {
    /// One of the signed-in user's orders.
    #[graphql(directive = authenticated::apply())]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let claims = viewer(ctx).require_user()?;
        Ok(Some(Order(
            service::owned_order(db(ctx)?, &claims.sub, &id).await?,
        )))
    }

    #[graphql(entity)]
    async fn find_order_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        // Orders are private: an entity call only finds the caller's own.
        let Some(claims) = viewer(ctx).claims.as_ref() else {
            return Ok(None);
        };
        let order = ctx
            .data::<DataLoader<OrderLoader>>()?
            .load_one(id.to_string())
            .await
            .map_err(loader_error)?;
        Ok(order.filter(|o| o.user_id == claims.sub).map(Order))
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }

    #[graphql(entity)]
    async fn find_product_by_id(
        &self,
        #[graphql(key)] id: ID,
        weight_grams: Option<i32>,
        warehouse_zone: Option<String>,
    ) -> Product {
        Product {
            id,
            name: String::new(),
            weight_grams,
            warehouse_zone,
        }
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Places an order for the signed-in user, reserving stock for every line
    /// (all or nothing). Fails with `INSUFFICIENT_STOCK` when a line cannot be met.
    #[graphql(directive = authenticated::apply())]
    async fn place_order(&self, ctx: &Context<'_>, input: PlaceOrderInput) -> Result<Order> {
        let (user_id, authorization) = caller(ctx)?;
        let lines = input
            .lines
            .into_iter()
            .map(|l| LineRequest {
                product_id: l.product_id.0,
                quantity: l.quantity,
            })
            .collect();
        let order = service::place_order(
            db(ctx)?,
            ctx.data::<InventoryClient>()?,
            &authorization,
            &user_id,
            lines,
        )
        .await?;
        Ok(Order(order))
    }

    /// Cancels one of the signed-in user's placed orders and returns its stock.
    #[graphql(directive = authenticated::apply())]
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        let (user_id, authorization) = caller(ctx)?;
        let order = service::cancel_order(
            db(ctx)?,
            ctx.data::<InventoryClient>()?,
            &authorization,
            &user_id,
            &id,
        )
        .await?;
        Ok(Order(order))
    }
}
