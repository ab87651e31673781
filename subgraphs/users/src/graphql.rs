//! The users subgraph's GraphQL schema. Resolvers validate nothing themselves
//! and touch no database: they call [`crate::service`].

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use sea_orm::DatabaseConnection;
use tessera_kit::auth::JwtIssuer;
use tessera_kit::context::{db, viewer};
use tessera_kit::error::loader_error;
use tessera_kit::pagination::{PageInfo, PageRequest, encode_cursor};
use tessera_kit::sdl::authenticated;
use tessera_kit::{ApiError, ErrorCode};

use crate::service::{self, NewUser};

/// Scope that lets a caller read other users' email addresses.
pub const USERS_READ_SCOPE: &str = "users:read";

pub type UsersSchema = async_graphql::Schema<Query, Mutation, async_graphql::EmptySubscription>;

/// Loads users by id in batches.
pub struct UserLoader(pub DatabaseConnection);

impl Loader<String> for UserLoader {
    type Value = service::User;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        service::users_by_ids(&self.0, keys).await.map_err(Arc::new)
    }
}

/// Loads wishlists by user id in batches.
pub struct WishlistLoader(pub DatabaseConnection);

impl Loader<String> for WishlistLoader {
    type Value = Vec<String>;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        service::wishlists(&self.0, keys).await.map_err(Arc::new)
    }
}

/// A Tessera account.
pub struct User {
    user: service::User,
    /// Set on the account a sign-up or log-in just authenticated: its email is
    /// visible in that response although the request carried no token.
    just_authenticated: bool,
}

impl User {
    fn new(user: service::User) -> Self {
        Self {
            user,
            just_authenticated: false,
        }
    }
}

#[Object(tag = "storefront")]
impl User {
    async fn id(&self) -> ID {
        ID(self.user.id.clone())
    }

    /// The email address; only the user themself (or a caller with the
    /// `users:read` scope) sees it, everyone else gets `null`.
    async fn email(&self, ctx: &Context<'_>) -> Option<String> {
        if self.just_authenticated {
            return Some(self.user.email.clone());
        }
        let claims = viewer(ctx).claims.as_ref()?;
        (claims.sub == self.user.id || claims.has_scope(USERS_READ_SCOPE))
            .then(|| self.user.email.clone())
    }

    /// Display name.
    #[graphql(shareable)]
    async fn name(&self) -> &str {
        &self.user.name
    }

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.user.created_at
    }

    /// Products the user saved for later, oldest first. An entry whose
    /// product the catalogue no longer has reads `null` (with an error at its
    /// path) instead of nulling everything around it.
    async fn wishlist(&self, ctx: &Context<'_>) -> Result<Vec<Option<Product>>> {
        let ids = ctx
            .data::<DataLoader<WishlistLoader>>()?
            .load_one(self.user.id.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        Ok(ids
            .into_iter()
            .map(|id| Some(Product { id: ID(id) }))
            .collect())
    }
}

/// A product from the inventory subgraph; users only holds references to it.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct Product {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct UserEdge {
    pub cursor: String,
    pub node: User,
}

#[derive(SimpleObject)]
pub struct UserConnection {
    pub edges: Vec<UserEdge>,
    pub page_info: PageInfo,
}

/// A signed-in session: the bearer token to send as `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: User,
}

#[derive(InputObject)]
pub struct SignUpInput {
    pub email: String,
    /// 8 to 128 characters.
    pub password: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct LogInInput {
    pub email: String,
    pub password: String,
}

pub struct Query;

#[Object]
impl Query {
    /// The signed-in user.
    #[graphql(directive = authenticated::apply())]
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let claims = viewer(ctx).require_user()?;
        load_user(ctx, &claims.sub).await
    }

    /// A user by id; `null` and a `NOT_FOUND` error when there is none.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        match load_user(ctx, &id).await? {
            Some(u) => Ok(Some(u)),
            None => Err(ApiError::not_found("user", &id).into()),
        }
    }

    /// All users, oldest first. `first` is at most 100.
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let users = service::list_users(db(ctx)?, &page).await?;
        let page_info = users.page_info(|u| u.id.clone());
        Ok(UserConnection {
            edges: users
                .items
                .into_iter()
                .map(|u| UserEdge {
                    cursor: encode_cursor(&u.id),
                    node: User::new(u),
                })
                .collect(),
            page_info,
        })
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        load_user(ctx, &id).await
    }
}

async fn load_user(ctx: &Context<'_>, id: &str) -> Result<Option<User>> {
    Ok(ctx
        .data::<DataLoader<UserLoader>>()?
        .load_one(id.to_owned())
        .await
        .map_err(loader_error)?
        .map(User::new))
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Creates an account and signs it in.
    async fn sign_up(&self, ctx: &Context<'_>, input: SignUpInput) -> Result<AuthPayload> {
        let user = service::sign_up(
            db(ctx)?,
            NewUser {
                email: input.email,
                password: input.password,
                name: input.name,
                scopes: Vec::new(),
            },
        )
        .await?;
        issue(ctx, user)
    }

    /// Signs in with email and password.
    async fn log_in(&self, ctx: &Context<'_>, input: LogInInput) -> Result<AuthPayload> {
        // One password guess per request (64 aliased logIns used to try 64),
        // and a lock on accounts that failed too often.
        if !tessera_kit::context::once_per_request(ctx, "logIn") {
            return Err(ApiError::bad_input("only one `logIn` per request").into());
        }
        let throttle = ctx.data::<crate::throttle::LoginThrottle>()?;
        let account = service::normalize_email(&input.email).unwrap_or_default();
        throttle.check(&account)?;
        match service::log_in(db(ctx)?, &input.email, &input.password).await {
            Ok(user) => {
                throttle.succeeded(&account);
                issue(ctx, user)
            }
            Err(e) => {
                if e.code == ErrorCode::InvalidCredentials {
                    throttle.failed(&account);
                }
                Err(e.into())
            }
        }
    }

    /// Saves a product to the signed-in user's wishlist.
    #[graphql(directive = authenticated::apply())]
    async fn add_to_wishlist(&self, ctx: &Context<'_>, product_id: ID) -> Result<User> {
        let claims = viewer(ctx).require_user()?;
        let catalogue = ctx.data::<crate::catalogue::Catalogue>()?;
        service::add_to_wishlist(db(ctx)?, catalogue, &claims.sub, &product_id).await?;
        fresh_user(ctx, &claims.sub).await
    }

    /// Removes a product from the signed-in user's wishlist.
    #[graphql(directive = authenticated::apply())]
    async fn remove_from_wishlist(&self, ctx: &Context<'_>, product_id: ID) -> Result<User> {
        let claims = viewer(ctx).require_user()?;
        service::remove_from_wishlist(db(ctx)?, &claims.sub, &product_id).await?;
        fresh_user(ctx, &claims.sub).await
    }
}

async fn fresh_user(ctx: &Context<'_>, id: &str) -> Result<User> {
    let mut users = service::users_by_ids(db(ctx)?, &[id.to_owned()]).await?;
    users
        .remove(id)
        .map(User::new)
        // The token names a user that no longer exists.
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidToken,
                "the signed-in user no longer exists",
            )
            .into()
        })
}

fn issue(ctx: &Context<'_>, user: service::User) -> Result<AuthPayload> {
    let (token, claims) = ctx.data::<JwtIssuer>()?.issue(&user.id, &user.scopes)?;
    let expires_at =
        chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    Ok(AuthPayload {
        token,
        expires_at,
        user: User {
            user,
            just_authenticated: true,
        },
    })
}
