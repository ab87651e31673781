//! The notifications subgraph's GraphQL schema: `User.notifications`.
//! Resolvers call [`crate::service`].

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, Enum, ID, Object, Result, SimpleObject};
use sea_orm::DatabaseConnection;
use tessera_kit::ApiError;
use tessera_kit::context::viewer;
use tessera_kit::error::loader_error;
use tessera_kit::pagination::{Page, PageInfo, PageRequest, encode_cursor};
use tessera_kit::sdl::authenticated;

use crate::service::{self, UserNotificationsKey};

pub type NotificationsSchema =
    async_graphql::Schema<Query, async_graphql::EmptyMutation, async_graphql::EmptySubscription>;

pub struct UserNotificationsLoader(pub DatabaseConnection);

impl Loader<UserNotificationsKey> for UserNotificationsLoader {
    type Value = Vec<service::Notification>;
    type Error = Arc<ApiError>;

    async fn load(
        &self,
        keys: &[UserNotificationsKey],
    ) -> Result<HashMap<UserNotificationsKey, Self::Value>, Self::Error> {
        service::notifications_of_users(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}

/// What a notification is about.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    OrderPlaced,
    OrderCancelled,
    /// A product on the user's wishlist can be ordered again.
    BackInStock,
}

impl From<service::Kind> for NotificationKind {
    fn from(kind: service::Kind) -> Self {
        match kind {
            service::Kind::OrderPlaced => Self::OrderPlaced,
            service::Kind::OrderCancelled => Self::OrderCancelled,
            service::Kind::BackInStock => Self::BackInStock,
        }
    }
}

/// Something that happened to the user's orders.
pub struct Notification(pub service::Notification);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn kind(&self) -> NotificationKind {
        self.0.kind.into()
    }

    /// A sentence for the user.
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// The order it is about (resolved by the orders subgraph).
    async fn order(&self) -> Option<Order> {
        self.0.order_id.clone().map(|id| Order { id: ID(id) })
    }

    /// The product it is about (resolved by the inventory subgraph).
    async fn product(&self) -> Option<Product> {
        self.0.product_id.clone().map(|id| Product { id: ID(id) })
    }

    /// When the event happened.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// An order, resolved by the orders subgraph.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct Order {
    pub id: ID,
}

/// A product, resolved by the inventory subgraph.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct Product {
    pub id: ID,
}

/// A user, as notifications sees them.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct NotificationEdge {
    pub cursor: String,
    pub node: Notification,
}

#[derive(SimpleObject)]
pub struct NotificationConnection {
    pub edges: Vec<NotificationEdge>,
    pub page_info: PageInfo,
}

#[ComplexObject]
impl User {
    /// The user's notifications, newest first; only the user themself may
    /// see them.
    #[graphql(directive = authenticated::apply())]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<NotificationConnection> {
        let claims = viewer(ctx).require_user()?;
        if claims.sub != self.id.as_str() {
            return Err(
                ApiError::forbidden("only the user themself can see their notifications").into(),
            );
        }
        let page = PageRequest::new(first, after.as_deref())?;
        let rows = ctx
            .data::<DataLoader<UserNotificationsLoader>>()?
            .load_one(UserNotificationsKey {
                user_id: self.id.to_string(),
                limit: page.fetch_limit(),
                after: page.after.clone(),
            })
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        let page = Page::from_rows(rows, &page);
        let page_info = page.page_info(|n| n.id.clone());
        Ok(NotificationConnection {
            edges: page
                .items
                .into_iter()
                .map(|n| NotificationEdge {
                    cursor: encode_cursor(&n.id),
                    node: Notification(n),
                })
                .collect(),
            page_info,
        })
    }
}

pub struct Query;

#[Object]
impl Query {
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }
}
