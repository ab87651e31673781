//! Demo data for the dev command: loaded once, on an empty database.
//!
//! The demo orders' stock is already accounted for in the demo catalogue, so
//! seeding writes no reservations.

use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait};
use tessera_kit::demo;

use crate::entity::{order, order_line};

/// Seeds the demo orders unless the database already has orders.
/// Returns whether it seeded.
pub async fn seed_demo_data(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    if order::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let products = demo::products();
    let now = chrono::Utc::now();
    for o in demo::orders() {
        let lines: Vec<_> = o
            .lines
            .iter()
            .filter_map(|(i, q)| products.get(*i).map(|p| (p, *q)))
            .collect();
        let total = lines
            .iter()
            .map(|(p, q)| p.price_cents * i64::from(*q))
            .sum();
        order::Entity::insert(order::ActiveModel {
            id: Set(o.id.clone()),
            user_id: Set(o.user_id.clone()),
            status: Set(order::PLACED.to_owned()),
            total_cents: Set(total),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(db)
        .await?;
        order_line::Entity::insert_many(lines.iter().enumerate().map(|(pos, (p, q))| {
            order_line::ActiveModel {
                order_id: Set(o.id.clone()),
                position: Set(pos as i32),
                product_id: Set(p.id.clone()),
                product_name: Set(p.name.clone()),
                unit_price_cents: Set(p.price_cents),
                quantity: Set(*q),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(true)
}
