//! Inventory domain logic. The only module that touches the database.
//!
//! Stock invariants: stock never goes negative (a guarded `UPDATE ... WHERE
//! stock >= n` per line, inside one transaction per reservation, plus a CHECK
//! constraint in the schema), and a reservation either takes every line or
//! none.
//!
//! Each change writes its events (`StockReserved`, `StockReleased`,
//! `ProductRestocked`, `StockLow`) to the outbox in the same transaction
//! (`tessera_kit::events`).

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use tessera_kit::events::Event;
use tessera_kit::ids::{new_id, parse_id};
use tessera_kit::pagination::{Page, PageRequest};
use tessera_kit::{ApiError, ApiResult, ErrorCode};

use crate::entity::{product, reservation, restock};

/// Most units one restock may add.
pub const MAX_RESTOCK: i32 = 100_000;
/// A reservation that takes a product's stock below this many units emits
/// `StockLow` (once per crossing).
pub const LOW_STOCK_THRESHOLD: i32 = 5;
/// Most units of one product one order may reserve.
pub const MAX_LINE_QUANTITY: i32 = 1_000;
/// Most distinct products in one reservation.
pub const MAX_LINES: usize = 50;
/// Longest `nameContains` filter.
pub const MAX_FILTER_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub weight_grams: i32,
    pub warehouse_zone: String,
    pub stock: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<product::Model> for Product {
    fn from(m: product::Model) -> Self {
        Self {
            id: m.id,
            sku: m.sku,
            name: m.name,
            description: m.description,
            price_cents: m.price_cents,
            weight_grams: m.weight_grams,
            warehouse_zone: m.warehouse_zone,
            stock: m.stock,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restock {
    pub id: String,
    pub product_id: String,
    pub user_id: String,
    pub quantity: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<restock::Model> for Restock {
    fn from(m: restock::Model) -> Self {
        Self {
            id: m.id,
            product_id: m.product_id,
            user_id: m.user_id,
            quantity: m.quantity,
            created_at: m.created_at,
        }
    }
}

/// Catalogue filter; every part optional, all parts must hold.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub name_contains: Option<String>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
    pub in_stock: Option<bool>,
}

/// One line of a reservation request.
#[derive(Debug, Clone)]
pub struct ReserveLine {
    pub product_id: String,
    pub quantity: i32,
}

/// One reserved line, with the catalogue facts at reservation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedLine {
    pub product_id: String,
    pub product_name: String,
    pub unit_price_cents: i64,
    pub quantity: i32,
}

pub async fn products_by_ids(
    db: &DatabaseConnection,
    ids: &[String],
) -> ApiResult<HashMap<String, Product>> {
    let valid: Vec<String> = ids.iter().filter_map(|id| parse_id(id)).collect();
    if valid.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = product::Entity::find()
        .filter(product::Column::Id.is_in(valid))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| (m.id.clone(), Product::from(m)))
        .collect())
}

pub async fn products_by_skus(
    db: &DatabaseConnection,
    skus: &[String],
) -> ApiResult<HashMap<String, Product>> {
    let valid: Vec<&String> = skus.iter().filter(|s| s.len() <= 64).collect();
    if valid.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = product::Entity::find()
        .filter(product::Column::Sku.is_in(valid.into_iter().cloned()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| (m.sku.clone(), Product::from(m)))
        .collect())
}

fn escape_like(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    out.push('%');
    for c in raw.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A page of the catalogue, in id (creation) order.
pub async fn list_products(
    db: &DatabaseConnection,
    filter: &ProductFilter,
    page: &PageRequest,
) -> ApiResult<Page<Product>> {
    let mut cond = Condition::all();
    if let Some(name) = &filter.name_contains {
        if name.chars().count() > MAX_FILTER_LEN {
            return Err(ApiError::bad_input(format!(
                "`nameContains` must be at most {MAX_FILTER_LEN} characters"
            )));
        }
        cond = cond.add(
            Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(
                product::Column::Name,
            )))
            .like(LikeExpr::new(escape_like(name)).escape('\\')),
        );
    }
    match (filter.min_price_cents, filter.max_price_cents) {
        (Some(min), Some(max)) if min > max => {
            return Err(ApiError::bad_input(
                "`minPriceCents` must not exceed `maxPriceCents`",
            ));
        }
        (Some(p), _) | (_, Some(p)) if p < 0 => {
            return Err(ApiError::bad_input("prices must not be negative"));
        }
        _ => {}
    }
    if let Some(min) = filter.min_price_cents {
        cond = cond.add(product::Column::PriceCents.gte(min));
    }
    if let Some(max) = filter.max_price_cents {
        cond = cond.add(product::Column::PriceCents.lte(max));
    }
    match filter.in_stock {
        Some(true) => cond = cond.add(product::Column::Stock.gt(0)),
        Some(false) => cond = cond.add(product::Column::Stock.eq(0)),
        None => {}
    }
    if let Some(after) = &page.after {
        cond = cond.add(product::Column::Id.gt(after.as_str()));
    }
    let rows = product::Entity::find()
        .filter(cond)
        .order_by_asc(product::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, page).map(Product::from))
}

/// A new catalogue entry, unvalidated.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub weight_grams: i32,
    pub warehouse_zone: String,
    pub stock: i32,
}

/// The warehouses products ship from.
pub const WAREHOUSE_ZONES: [&str; 3] = ["EU-1", "EU-2", "US-1"];

/// Adds a product to the catalogue.
pub async fn create_product(db: &DatabaseConnection, input: NewProduct) -> ApiResult<Product> {
    let sku = input.sku.trim().to_ascii_uppercase();
    if sku.is_empty()
        || sku.len() > 64
        || !sku.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ApiError::bad_input(
            "`sku` must be 1 to 64 letters, digits or dashes",
        ));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_input("`name` must be 1 to 200 characters"));
    }
    if input.description.chars().count() > 5_000 {
        return Err(ApiError::bad_input(
            "`description` must be at most 5000 characters",
        ));
    }
    if input.price_cents < 0 || input.weight_grams < 0 || input.stock < 0 {
        return Err(ApiError::bad_input(
            "price, weight and stock must not be negative",
        ));
    }
    if input.stock > MAX_RESTOCK {
        return Err(ApiError::bad_input(format!(
            "initial `stock` must be at most {MAX_RESTOCK}"
        )));
    }
    if !WAREHOUSE_ZONES.contains(&input.warehouse_zone.as_str()) {
        return Err(ApiError::bad_input(format!(
            "`warehouseZone` must be one of {}",
            WAREHOUSE_ZONES.join(", ")
        )));
    }
    let now = chrono::Utc::now();
    let model = product::ActiveModel {
        id: Set(new_id()),
        sku: Set(sku),
        name: Set(name.to_owned()),
        description: Set(input.description),
        price_cents: Set(input.price_cents),
        weight_grams: Set(input.weight_grams),
        warehouse_zone: Set(input.warehouse_zone),
        stock: Set(input.stock),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match product::Entity::insert(model).exec_with_returning(db).await {
        Ok(m) => Ok(m.into()),
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Err(ApiError::new(
                ErrorCode::SkuTaken,
                "a product with this SKU already exists",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds `quantity` units and records who did it, atomically.
pub async fn restock(
    db: &DatabaseConnection,
    user_id: &str,
    product_id: &str,
    quantity: i32,
) -> ApiResult<Product> {
    if !(1..=MAX_RESTOCK).contains(&quantity) {
        return Err(ApiError::bad_input(format!(
            "`quantity` must be between 1 and {MAX_RESTOCK}"
        )));
    }
    let id = parse_id(product_id).ok_or_else(|| ApiError::not_found("product", product_id))?;
    let txn = db.begin().await?;
    let now = chrono::Utc::now();
    let updated = product::Entity::update_many()
        .col_expr(
            product::Column::Stock,
            Expr::col(product::Column::Stock).add(quantity),
        )
        .col_expr(product::Column::UpdatedAt, Expr::value(now))
        .filter(product::Column::Id.eq(&id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::not_found("product", product_id));
    }
    restock::Entity::insert(restock::ActiveModel {
        id: Set(new_id()),
        product_id: Set(id.clone()),
        user_id: Set(user_id.to_owned()),
        quantity: Set(quantity),
        created_at: Set(now),
    })
    .exec(&txn)
    .await?;
    let product = product::Entity::find_by_id(id.clone())
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("product", product_id))?;
    tessera_kit::events::record(
        &txn,
        &Event::ProductRestocked {
            product_id: id.clone(),
            quantity,
            stock: product.stock,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(product.into())
}

/// Reserves stock for an order: every line or none. Idempotent per order id:
/// asking again for an order that holds a reservation returns it unchanged.
pub async fn reserve(
    db: &DatabaseConnection,
    user_id: &str,
    order_id: &str,
    lines: &[ReserveLine],
) -> ApiResult<Vec<ReservedLine>> {
    let order_id =
        parse_id(order_id).ok_or_else(|| ApiError::bad_input("`orderId` is not a valid id"))?;
    let wanted = merge_lines(lines)?;

    let txn = db.begin().await?;
    let existing = reservation::Entity::find()
        .filter(reservation::Column::OrderId.eq(&order_id))
        .all(&txn)
        .await?;
    if !existing.is_empty() {
        if existing.iter().any(|r| r.user_id != user_id) {
            return Err(ApiError::forbidden("this order belongs to another user"));
        }
        let rows: Vec<(String, i32)> = existing
            .iter()
            .map(|r| (r.product_id.clone(), r.quantity))
            .collect();
        let products = products_in(&txn, rows.iter().map(|(id, _)| id.clone()).collect()).await?;
        return Ok(reserved_lines(&rows, &products));
    }

    let now = chrono::Utc::now();
    // Ordered by product id, so concurrent reservations lock rows in one order
    // (no deadlocks on PostgreSQL).
    for (product_id, quantity) in &wanted {
        let updated = product::Entity::update_many()
            .col_expr(
                product::Column::Stock,
                Expr::col(product::Column::Stock).sub(*quantity),
            )
            .col_expr(product::Column::UpdatedAt, Expr::value(now))
            .filter(product::Column::Id.eq(product_id.as_str()))
            .filter(product::Column::Stock.gte(*quantity))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            // Dropping `txn` rolls back the lines already taken.
            let exists = product::Entity::find_by_id(product_id.clone())
                .one(&txn)
                .await?;
            return Err(match exists {
                None => ApiError::not_found("product", product_id),
                Some(p) => ApiError::new(
                    ErrorCode::InsufficientStock,
                    format!(
                        "not enough stock for product `{}`: {} requested, {} available",
                        p.id, quantity, p.stock
                    ),
                ),
            });
        }
    }
    reservation::Entity::insert_many(wanted.iter().map(|(product_id, quantity)| {
        reservation::ActiveModel {
            order_id: Set(order_id.clone()),
            product_id: Set(product_id.clone()),
            user_id: Set(user_id.to_owned()),
            quantity: Set(*quantity),
            status: Set(reservation::RESERVED.to_owned()),
            created_at: Set(now),
            confirmed_at: Set(None),
        }
    }))
    .exec(&txn)
    .await?;
    let rows: Vec<(String, i32)> = wanted.into_iter().collect();
    let products = products_in(&txn, rows.iter().map(|(id, _)| id.clone()).collect()).await?;
    tessera_kit::events::record(
        &txn,
        &Event::StockReserved {
            order_id: order_id.clone(),
            user_id: user_id.to_owned(),
            lines: stock_lines(&rows),
        },
    )
    .await?;
    // A product whose stock this reservation took below the threshold.
    for (product_id, quantity) in &rows {
        if let Some(product) = products.get(product_id)
            && product.stock < LOW_STOCK_THRESHOLD
            && product.stock + quantity >= LOW_STOCK_THRESHOLD
        {
            tessera_kit::events::record(
                &txn,
                &Event::StockLow {
                    product_id: product_id.clone(),
                    stock: product.stock,
                    threshold: LOW_STOCK_THRESHOLD,
                },
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(reserved_lines(&rows, &products))
}

fn stock_lines(rows: &[(String, i32)]) -> Vec<tessera_kit::events::StockLine> {
    rows.iter()
        .map(|(product_id, quantity)| tessera_kit::events::StockLine {
            product_id: product_id.clone(),
            quantity: *quantity,
        })
        .collect()
}

/// Validates lines and merges repeated products (ordered by product id).
fn merge_lines(lines: &[ReserveLine]) -> ApiResult<BTreeMap<String, i32>> {
    if lines.is_empty() {
        return Err(ApiError::bad_input("an order needs at least one line"));
    }
    let mut wanted: BTreeMap<String, i32> = BTreeMap::new();
    for line in lines {
        if !(1..=MAX_LINE_QUANTITY).contains(&line.quantity) {
            return Err(ApiError::bad_input(format!(
                "`quantity` must be between 1 and {MAX_LINE_QUANTITY}"
            )));
        }
        let id = parse_id(&line.product_id)
            .ok_or_else(|| ApiError::not_found("product", &line.product_id))?;
        let total = wanted.entry(id).or_insert(0);
        *total += line.quantity;
        if *total > MAX_LINE_QUANTITY {
            return Err(ApiError::bad_input(format!(
                "at most {MAX_LINE_QUANTITY} units of one product per order"
            )));
        }
    }
    if wanted.len() > MAX_LINES {
        return Err(ApiError::bad_input(format!(
            "an order holds at most {MAX_LINES} distinct products"
        )));
    }
    Ok(wanted)
}

async fn products_in(
    conn: &impl ConnectionTrait,
    ids: Vec<String>,
) -> ApiResult<HashMap<String, product::Model>> {
    let rows = product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|m| (m.id.clone(), m)).collect())
}

fn reserved_lines(
    rows: &[(String, i32)],
    products: &HashMap<String, product::Model>,
) -> Vec<ReservedLine> {
    rows.iter()
        .filter_map(|(id, quantity)| {
            products.get(id).map(|p| ReservedLine {
                product_id: p.id.clone(),
                product_name: p.name.clone(),
                unit_price_cents: p.price_cents,
                quantity: *quantity,
            })
        })
        .collect()
}

/// Returns an order's reserved stock. Idempotent: `false` when nothing was
/// reserved (any more) for this order.
pub async fn release(db: &DatabaseConnection, user_id: &str, order_id: &str) -> ApiResult<bool> {
    let Some(order_id) = parse_id(order_id) else {
        return Ok(false);
    };
    let txn = db.begin().await?;
    let released = release_in(&txn, &order_id, Some(user_id), false).await?;
    if released {
        txn.commit().await?;
    }
    Ok(released)
}

/// [`release`] inside `txn`; `owner` (when given) must be the order's user.
/// Only rows still `RESERVED` are returned, so releasing twice (the order
/// service's call and its `OrderCancelled` event, or the sweeper) returns the
/// stock once. `expiring` (the sweeper) releases only rows no confirmation
/// reached, re-checked by the update itself, and marks them `EXPIRED`.
async fn release_in(
    txn: &DatabaseTransaction,
    order_id: &str,
    owner: Option<&str>,
    expiring: bool,
) -> ApiResult<bool> {
    let mut unconfirmed = reservation::Entity::find()
        .filter(reservation::Column::OrderId.eq(order_id))
        .filter(reservation::Column::Status.eq(reservation::RESERVED));
    if expiring {
        unconfirmed = unconfirmed.filter(reservation::Column::ConfirmedAt.is_null());
    }
    let rows = unconfirmed.all(txn).await?;
    if rows.is_empty() {
        return Ok(false);
    }
    if let Some(owner) = owner
        && rows.iter().any(|r| r.user_id != owner)
    {
        return Err(ApiError::forbidden("this order belongs to another user"));
    }
    // Flipping the status first makes a concurrent release of the same order
    // find nothing to return.
    let mut flip = reservation::Entity::update_many()
        .col_expr(
            reservation::Column::Status,
            Expr::value(if expiring {
                reservation::EXPIRED
            } else {
                reservation::RELEASED
            }),
        )
        .filter(reservation::Column::OrderId.eq(order_id))
        .filter(reservation::Column::Status.eq(reservation::RESERVED));
    if expiring {
        // A confirmation that committed since the rows were read wins.
        flip = flip.filter(reservation::Column::ConfirmedAt.is_null());
    }
    let flipped = flip.exec(txn).await?;
    if flipped.rows_affected == 0 {
        // Released or confirmed meanwhile by someone else.
        return Ok(false);
    }
    if flipped.rows_affected != rows.len() as u64 {
        // Some rows changed under us: the caller's transaction is rolled
        // back, so nothing is returned twice; the next attempt sees them.
        return Err(ApiError::internal(
            "the reservation changed while it was being released",
        ));
    }
    let now = chrono::Utc::now();
    for r in &rows {
        product::Entity::update_many()
            .col_expr(
                product::Column::Stock,
                Expr::col(product::Column::Stock).add(r.quantity),
            )
            .col_expr(product::Column::UpdatedAt, Expr::value(now))
            .filter(product::Column::Id.eq(r.product_id.as_str()))
            .exec(txn)
            .await?;
    }
    let lines: Vec<(String, i32)> = rows
        .iter()
        .map(|r| (r.product_id.clone(), r.quantity))
        .collect();
    tessera_kit::events::record(
        txn,
        &Event::StockReleased {
            order_id: order_id.to_owned(),
            user_id: rows.first().map(|r| r.user_id.clone()).unwrap_or_default(),
            lines: stock_lines(&lines),
        },
    )
    .await?;
    Ok(true)
}

/// What an `OrderPlaced` did to the order's reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The reservation is now confirmed (or was already).
    Confirmed,
    /// It had been released as expired; its stock was taken again.
    Retaken,
    /// It had been released as expired and the stock is gone: the order
    /// exists without its units (logged for someone to resolve).
    Lost,
    /// Nothing was reserved for this order here.
    Unknown,
}

/// Confirms the reservation of a recorded order (its `OrderPlaced` arrived),
/// inside the consumer's transaction. A reservation the sweeper released
/// before the event arrived (the event was late) takes its stock again when
/// there is enough.
pub async fn confirm(txn: &DatabaseTransaction, order_id: &str) -> ApiResult<Confirmation> {
    let rows = reservation::Entity::find()
        .filter(reservation::Column::OrderId.eq(order_id))
        .all(txn)
        .await?;
    if rows.is_empty() {
        return Ok(Confirmation::Unknown);
    }
    let now = chrono::Utc::now();
    if rows.iter().any(|r| r.status == reservation::RESERVED) {
        // Only rows still reserved: the sweeper may have expired them since
        // they were read (then the update finds none, and they are taken
        // again below).
        let confirmed = reservation::Entity::update_many()
            .col_expr(reservation::Column::ConfirmedAt, Expr::value(now))
            .filter(reservation::Column::OrderId.eq(order_id))
            .filter(reservation::Column::Status.eq(reservation::RESERVED))
            .exec(txn)
            .await?;
        if confirmed.rows_affected > 0 {
            return Ok(Confirmation::Confirmed);
        }
    }
    let rows = reservation::Entity::find()
        .filter(reservation::Column::OrderId.eq(order_id))
        .filter(reservation::Column::Status.eq(reservation::EXPIRED))
        .all(txn)
        .await?;
    if rows.is_empty() {
        // Released by a cancellation (or confirmed before): the late event
        // changes nothing.
        return Ok(Confirmation::Confirmed);
    }
    // Released unconfirmed (expired): take the stock again, all or nothing
    // (a savepoint undoes the lines already taken when one cannot be).
    let retake = txn.begin().await?;
    for r in &rows {
        let updated = product::Entity::update_many()
            .col_expr(
                product::Column::Stock,
                Expr::col(product::Column::Stock).sub(r.quantity),
            )
            .col_expr(product::Column::UpdatedAt, Expr::value(now))
            .filter(product::Column::Id.eq(r.product_id.as_str()))
            .filter(product::Column::Stock.gte(r.quantity))
            .exec(&retake)
            .await?;
        if updated.rows_affected == 0 {
            retake.rollback().await?;
            tracing::error!(
                order_id,
                "an order arrived after its reservation expired and its stock is gone"
            );
            return Ok(Confirmation::Lost);
        }
    }
    retake.commit().await?;
    reservation::Entity::update_many()
        .col_expr(
            reservation::Column::Status,
            Expr::value(reservation::RESERVED),
        )
        .col_expr(reservation::Column::ConfirmedAt, Expr::value(now))
        .filter(reservation::Column::OrderId.eq(order_id))
        .filter(reservation::Column::Status.eq(reservation::EXPIRED))
        .exec(txn)
        .await?;
    let lines: Vec<(String, i32)> = rows
        .iter()
        .map(|r| (r.product_id.clone(), r.quantity))
        .collect();
    tessera_kit::events::record(
        txn,
        &Event::StockReserved {
            order_id: order_id.to_owned(),
            user_id: rows.first().map(|r| r.user_id.clone()).unwrap_or_default(),
            lines: stock_lines(&lines),
        },
    )
    .await?;
    Ok(Confirmation::Retaken)
}

/// Releases, inside the consumer's transaction, what an `OrderCancelled`
/// leaves reserved (normally nothing: the order service released it when it
/// cancelled).
pub async fn release_cancelled(txn: &DatabaseTransaction, order_id: &str) -> ApiResult<bool> {
    release_in(txn, order_id, None, false).await
}

/// Releases every reservation still unconfirmed that was made before
/// `cutoff`: its order was never recorded (the order service stopped between
/// reserving and recording). Returns the orders released.
pub async fn release_expired(
    db: &DatabaseConnection,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Vec<String>> {
    let expired: Vec<String> = reservation::Entity::find()
        .select_only()
        .column(reservation::Column::OrderId)
        .distinct()
        .filter(reservation::Column::Status.eq(reservation::RESERVED))
        .filter(reservation::Column::ConfirmedAt.is_null())
        .filter(reservation::Column::CreatedAt.lt(cutoff))
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let mut released = Vec::new();
    for order_id in expired {
        let txn = db.begin().await?;
        // Checked again inside the transaction: the confirmation may just
        // have arrived.
        let still = reservation::Entity::find()
            .filter(reservation::Column::OrderId.eq(order_id.as_str()))
            .filter(reservation::Column::ConfirmedAt.is_not_null())
            .one(&txn)
            .await?
            .is_none();
        if still && release_in(&txn, &order_id, None, true).await? {
            txn.commit().await?;
            released.push(order_id);
        }
    }
    Ok(released)
}

/// The latest `limit` restocks of each user, in one statement.
pub async fn restocks_by_users(
    db: &DatabaseConnection,
    user_ids: &[String],
    limit: u64,
) -> ApiResult<HashMap<String, Vec<Restock>>> {
    let stmt = tessera_kit::db::top_n_per_group(
        "restocks",
        "user_id",
        "id",
        user_ids.to_vec(),
        true,
        None,
        limit,
    );
    let rows = restock::Entity::find()
        .from_raw_sql(db.get_database_backend().build(&stmt))
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<Restock>> = HashMap::new();
    for row in rows {
        out.entry(row.user_id.clone()).or_default().push(row.into());
    }
    Ok(out)
}

/// The legacy shipping estimate (flat rate by weight). Superseded by the
/// orders subgraph's zone-aware estimate through `@override`.
pub fn legacy_shipping_estimate_cents(weight_grams: i32) -> i64 {
    499 + i64::from(Ord::max(weight_grams, 0)) / 100 * 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_validates_lines() {
        let id = new_id();
        let merged = merge_lines(&[
            ReserveLine {
                product_id: id.clone(),
                quantity: 2,
            },
            ReserveLine {
                product_id: id.to_uppercase(),
                quantity: 3,
            },
        ])
        .unwrap();
        assert_eq!(merged.get(&id), Some(&5));
        assert_eq!(merge_lines(&[]).unwrap_err().code, ErrorCode::BadUserInput);
        for q in [0, -1, MAX_LINE_QUANTITY + 1] {
            let e = merge_lines(&[ReserveLine {
                product_id: id.clone(),
                quantity: q,
            }])
            .unwrap_err();
            assert_eq!(e.code, ErrorCode::BadUserInput);
        }
        let e = merge_lines(&[ReserveLine {
            product_id: "nope".into(),
            quantity: 1,
        }])
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_Off\\"), "%50\\%\\_off\\\\%");
    }
}
