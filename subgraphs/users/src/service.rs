//! Users domain logic. The only module that touches the database.

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr, TransactionTrait,
};
use tessera_kit::ids::{new_id, parse_id};
use tessera_kit::pagination::{Page, PageRequest};
use tessera_kit::{ApiError, ApiResult, ErrorCode};

use crate::entity::{user, wishlist_item};

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 128;
pub const MAX_NAME_LEN: usize = 100;
pub const MAX_EMAIL_LEN: usize = 254;
pub const MAX_WISHLIST: usize = 100;

/// A user as the domain sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            name: m.name,
            scopes: m.scopes.split_whitespace().map(str::to_owned).collect(),
            created_at: m.created_at,
        }
    }
}

/// Sign-up input, unvalidated.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub name: String,
    pub scopes: Vec<String>,
}

/// Normalizes and checks an email address: one `@`, a non-empty local part, a
/// dotted domain, no whitespace, at most 254 characters.
pub fn normalize_email(raw: &str) -> ApiResult<String> {
    let email = raw.trim().to_ascii_lowercase();
    let invalid = || ApiError::bad_input("`email` is not a valid email address");
    if email.len() > MAX_EMAIL_LEN || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

fn validate_password(password: &str) -> ApiResult<()> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(ApiError::bad_input(format!(
            "`password` must be at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(ApiError::bad_input(format!(
            "`password` must be at most {MAX_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

fn validate_name(raw: &str) -> ApiResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control)
    {
        return Err(ApiError::bad_input(format!(
            "`name` must be 1 to {MAX_NAME_LEN} printable characters"
        )));
    }
    Ok(name.to_owned())
}

/// Argon2id hashing is CPU-heavy: keep it off the async worker threads.
async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

async fn verify_password(password: String, hash: String) -> ApiResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(ApiError::internal)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(ApiError::internal)?
}

/// A hash of a random password, checked against when the email is unknown so
/// that log-in takes as long for unknown emails as for wrong passwords.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn dummy_hash() -> ApiResult<String> {
    if let Some(h) = DUMMY_HASH.get() {
        return Ok(h.clone());
    }
    let h = hash_password(new_id()).await?;
    Ok(DUMMY_HASH.get_or_init(|| h).clone())
}

/// Creates an account. Nothing is written unless every input is valid and the
/// email is free.
pub async fn sign_up(db: &DatabaseConnection, input: NewUser) -> ApiResult<User> {
    let email = normalize_email(&input.email)?;
    validate_password(&input.password)?;
    let name = validate_name(&input.name)?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
        .is_some()
    {
        return Err(email_taken());
    }
    let password_hash = hash_password(input.password).await?;
    let model = user::ActiveModel {
        id: Set(new_id()),
        email: Set(email),
        name: Set(name),
        password_hash: Set(password_hash),
        scopes: Set(input.scopes.join(" ")),
        created_at: Set(chrono::Utc::now()),
    };
    match user::Entity::insert(model).exec_with_returning(db).await {
        Ok(m) => Ok(m.into()),
        // Lost a race with a concurrent sign-up for the same email.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(email_taken())
        }
        Err(e) => Err(e.into()),
    }
}

fn email_taken() -> ApiError {
    ApiError::new(
        ErrorCode::EmailTaken,
        "an account with this email already exists",
    )
}

/// Checks credentials. Unknown email and wrong password are indistinguishable.
pub async fn log_in(db: &DatabaseConnection, email: &str, password: &str) -> ApiResult<User> {
    let invalid = || ApiError::new(ErrorCode::InvalidCredentials, "wrong email or password");
    let Ok(email) = normalize_email(email) else {
        return Err(invalid());
    };
    if password.chars().count() > MAX_PASSWORD_LEN {
        return Err(invalid());
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?;
    match found {
        Some(m) => {
            if verify_password(password.to_owned(), m.password_hash.clone()).await? {
                Ok(m.into())
            } else {
                Err(invalid())
            }
        }
        None => {
            let _ = verify_password(password.to_owned(), dummy_hash().await?).await?;
            Err(invalid())
        }
    }
}

/// Users by id, in one statement (the DataLoader's batch).
pub async fn users_by_ids(
    db: &DatabaseConnection,
    ids: &[String],
) -> ApiResult<HashMap<String, User>> {
    let valid: Vec<String> = ids.iter().filter_map(|id| parse_id(id)).collect();
    if valid.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = user::Entity::find()
        .filter(user::Column::Id.is_in(valid))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| (m.id.clone(), User::from(m)))
        .collect())
}

/// A page of users, oldest first.
pub async fn list_users(db: &DatabaseConnection, page: &PageRequest) -> ApiResult<Page<User>> {
    let mut query = user::Entity::find().order_by_asc(user::Column::Id);
    if let Some(after) = &page.after {
        query = query.filter(user::Column::Id.gt(after.as_str()));
    }
    let rows = query.limit(page.fetch_limit()).all(db).await?;
    Ok(Page::from_rows(rows, page).map(User::from))
}

/// Wishlisted product ids per user, in one statement.
pub async fn wishlists(
    db: &DatabaseConnection,
    user_ids: &[String],
) -> ApiResult<HashMap<String, Vec<String>>> {
    let rows = wishlist_item::Entity::find()
        .filter(wishlist_item::Column::UserId.is_in(user_ids.iter().cloned()))
        .order_by_asc(wishlist_item::Column::AddedAt)
        .order_by_asc(wishlist_item::Column::ProductId)
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        out.entry(row.user_id).or_default().push(row.product_id);
    }
    Ok(out)
}

/// Adds a product to a user's wishlist (idempotent).
pub async fn add_to_wishlist(
    db: &DatabaseConnection,
    catalogue: &crate::catalogue::Catalogue,
    user_id: &str,
    product_id: &str,
) -> ApiResult<()> {
    let product_id = parse_id(product_id)
        .ok_or_else(|| ApiError::bad_input("`productId` is not a valid product id"))?;
    // The reference is checked where it is written: a dangling one would read
    // null for every caller who sees this wishlist.
    if !catalogue.has_product(&product_id).await? {
        return Err(ApiError::not_found("product", &product_id));
    }
    let current = wishlists(db, &[user_id.to_owned()]).await?;
    let items = current.get(user_id).map(Vec::len).unwrap_or(0);
    if items >= MAX_WISHLIST {
        return Err(ApiError::bad_input(format!(
            "a wishlist holds at most {MAX_WISHLIST} products"
        )));
    }
    let model = wishlist_item::ActiveModel {
        user_id: Set(user_id.to_owned()),
        product_id: Set(product_id.clone()),
        added_at: Set(chrono::Utc::now()),
    };
    // The change and its event commit together.
    let txn = db.begin().await?;
    let inserted = wishlist_item::Entity::insert(model)
        .on_conflict(
            OnConflict::columns([
                wishlist_item::Column::UserId,
                wishlist_item::Column::ProductId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    if inserted > 0 {
        tessera_kit::events::record(
            &txn,
            &tessera_kit::events::Event::WishlistItemAdded {
                user_id: user_id.to_owned(),
                product_id,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Removes a product from a user's wishlist (idempotent).
pub async fn remove_from_wishlist(
    db: &DatabaseConnection,
    user_id: &str,
    product_id: &str,
) -> ApiResult<()> {
    let Some(product_id) = parse_id(product_id) else {
        return Ok(());
    };
    let txn = db.begin().await?;
    let removed = wishlist_item::Entity::delete_many()
        .filter(wishlist_item::Column::UserId.eq(user_id))
        .filter(wishlist_item::Column::ProductId.eq(product_id.as_str()))
        .exec(&txn)
        .await?;
    if removed.rows_affected > 0 {
        tessera_kit::events::record(
            &txn,
            &tessera_kit::events::Event::WishlistItemRemoved {
                user_id: user_id.to_owned(),
                product_id,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
            "ada@exa_mple.com",
            "ada@.com",
        ] {
            assert_eq!(
                normalize_email(bad).unwrap_err().code,
                ErrorCode::BadUserInput,
                "{bad}"
            );
        }
        assert!(normalize_email(&format!("{}@example.com", "a".repeat(300))).is_err());
    }

    #[test]
    fn password_and_name_rules() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough").is_ok());
        assert!(validate_password(&"x".repeat(129)).is_err());
        assert!(validate_name("   ").is_err());
        assert_eq!(validate_name(" Ada ").unwrap(), "Ada");
    }
}
