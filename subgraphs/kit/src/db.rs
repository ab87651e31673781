//! Database connections: SQLite by default, PostgreSQL when a URL says so.

use std::path::Path;
use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// The default SQLite URL for a subgraph's database file under `data_dir`
/// (`mode=rwc` creates the file on first start).
pub fn sqlite_file_url(data_dir: &Path, name: &str) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join(format!("{name}.db")).display()
    )
}

/// An in-memory SQLite database (tests). One connection, so every statement sees
/// the same database.
pub const SQLITE_MEMORY: &str = "sqlite::memory:";

/// Connects to `url`. SQLite gets a single connection (writes serialize there
/// anyway, and an in-memory database exists once per connection) with foreign
/// keys on; PostgreSQL gets a small pool.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options.max_connections(1).min_connections(1);
    } else {
        options.max_connections(10).min_connections(1);
    }
    let db = Database::connect(options).await?;
    if url.starts_with("sqlite:") {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
        if !url.contains(":memory:") {
            db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
        }
    }
    Ok(db)
}

/// A page request of one group's rows: the group (e.g. a user id), the page
/// size and the keyset cursor.
pub struct GroupPage<'a> {
    pub group: &'a str,
    pub limit: u64,
    pub after: Option<&'a str>,
}

/// Pages of several groups' rows of `E` (newest first by `order_col`), as a
/// paginated one-to-many DataLoader needs: `page` says what each key asks
/// for, `group_of` which group a row belongs to. One statement per distinct
/// (page size, cursor), however many groups and rows ([`top_n_per_group`]).
pub async fn pages_per_group<E, K>(
    db: &DatabaseConnection,
    table: &'static str,
    group_col: &'static str,
    order_col: &'static str,
    keys: &[K],
    page: impl Fn(&K) -> GroupPage<'_>,
    group_of: impl Fn(&E::Model) -> &str,
) -> Result<std::collections::HashMap<K, Vec<E::Model>>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: Clone,
    K: Clone + Eq + std::hash::Hash,
{
    use std::collections::HashMap;
    let mut by_page: HashMap<(u64, Option<&str>), Vec<&K>> = HashMap::new();
    for key in keys {
        let p = page(key);
        by_page.entry((p.limit, p.after)).or_default().push(key);
    }
    let mut out = HashMap::new();
    for ((limit, after), keys) in by_page {
        let groups: Vec<String> = keys.iter().map(|k| page(k).group.to_owned()).collect();
        let stmt = top_n_per_group(table, group_col, order_col, groups, true, after, limit);
        let rows = E::find()
            .from_raw_sql(db.get_database_backend().build(&stmt))
            .all(db)
            .await?;
        let mut grouped: HashMap<&str, Vec<E::Model>> = HashMap::new();
        for row in &rows {
            grouped.entry(group_of(row)).or_default().push(row.clone());
        }
        for key in keys {
            out.insert(
                key.clone(),
                grouped.get(page(key).group).cloned().unwrap_or_default(),
            );
        }
    }
    Ok(out)
}

/// For each group key, the first `limit` rows of `table` ordered by
/// `order_col` (newest first when `descending`), optionally only rows strictly
/// past the keyset cursor `after`. One statement for any number of groups: the
/// batch query behind paginated one-to-many DataLoaders. Works on SQLite (3.25+)
/// and PostgreSQL.
pub fn top_n_per_group(
    table: &'static str,
    group_col: &'static str,
    order_col: &'static str,
    groups: Vec<String>,
    descending: bool,
    after: Option<&str>,
    limit: u64,
) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Order, Query, WindowStatement};
    let order = if descending { Order::Desc } else { Order::Asc };
    let mut inner = Query::select();
    inner
        .column(Asterisk)
        .expr_window_as(
            Expr::cust("ROW_NUMBER()"),
            WindowStatement::partition_by(Alias::new(group_col))
                .order_by(Alias::new(order_col), order.clone())
                .to_owned(),
            Alias::new("tessera_rn"),
        )
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(group_col)).is_in(groups));
    if let Some(after) = after {
        let col = Expr::col(Alias::new(order_col));
        inner.and_where(if descending {
            col.lt(after)
        } else {
            col.gt(after)
        });
    }
    Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("tessera_rn")).lte(limit))
        .order_by(Alias::new(group_col), Order::Asc)
        .order_by(Alias::new(order_col), order)
        .to_owned()
}

/// Connects to `url` and applies every pending migration of `M`.
pub async fn connect_migrated<M: sea_orm_migration::MigratorTrait>(
    url: &str,
) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    M::up(&db, None).await?;
    Ok(db)
}
