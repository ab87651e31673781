//! Demo data for the dev command: loaded once, on an empty database.

use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait};
use tessera_kit::demo;

use crate::entity::product;

/// Seeds the demo catalogue unless the database already has products.
/// Returns whether it seeded.
pub async fn seed_demo_data(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    if product::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let now = chrono::Utc::now();
    product::Entity::insert_many(demo::products().into_iter().map(|p| product::ActiveModel {
        id: Set(p.id),
        sku: Set(p.sku),
        name: Set(p.name),
        description: Set(p.description),
        price_cents: Set(p.price_cents),
        weight_grams: Set(p.weight_grams),
        warehouse_zone: Set(p.warehouse_zone.to_owned()),
        stock: Set(p.stock),
        created_at: Set(now),
        updated_at: Set(now),
    }))
    .exec(db)
    .await?;
    Ok(true)
}
