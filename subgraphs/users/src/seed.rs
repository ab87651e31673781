//! Demo data for the dev command: loaded once, on an empty database.

use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait};
use tessera_kit::demo;

use crate::entity::{user, wishlist_item};

/// Seeds the demo users (and a wishlist) unless the database already has users.
/// Returns whether it seeded.
pub async fn seed_demo_data(db: &DatabaseConnection) -> anyhow::Result<bool> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let hash = {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2::Argon2::default()
            .hash_password(demo::DEMO_PASSWORD.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?
            .to_string()
    };
    let now = chrono::Utc::now();
    let users = demo::users();
    user::Entity::insert_many(users.iter().map(|u| user::ActiveModel {
        id: Set(u.id.clone()),
        email: Set(u.email.to_owned()),
        name: Set(u.name.to_owned()),
        password_hash: Set(hash.clone()),
        scopes: Set(u.scopes.join(" ")),
        created_at: Set(now),
    }))
    .exec(db)
    .await?;
    let products = demo::products();
    wishlist_item::Entity::insert_many([1usize, 5, 9].iter().map(|&i| {
        wishlist_item::ActiveModel {
            user_id: Set(users[1].id.clone()),
            product_id: Set(products[i].id.clone()),
            added_at: Set(now),
        }
    }))
    .exec(db)
    .await?;
    Ok(true)
}
