//! sea-orm entities: the storage shape, never exposed as GraphQL types.

pub mod product {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "products")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        #[sea_orm(unique)]
        pub sku: String,
        pub name: String,
        pub description: String,
        pub price_cents: i64,
        pub weight_grams: i32,
        pub warehouse_zone: String,
        pub stock: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod reservation {
    use sea_orm::entity::prelude::*;

    pub const RESERVED: &str = "RESERVED";
    pub const RELEASED: &str = "RELEASED";
    /// Released by the sweeper: no `OrderPlaced` confirmed it in time.
    pub const EXPIRED: &str = "EXPIRED";

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reservations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: String,
        pub user_id: String,
        pub quantity: i32,
        pub status: String,
        pub created_at: DateTimeUtc,
        /// When the order's `OrderPlaced` arrived; `None` until then.
        pub confirmed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod restock {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "restocks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub product_id: String,
        pub user_id: String,
        pub quantity: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod product_sales {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "product_sales")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: String,
        pub units_sold: i64,
        pub revenue_cents: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod daily_orders {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "daily_orders")]
    pub struct Model {
        /// `YYYY-MM-DD` (UTC).
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        pub orders: i64,
        pub revenue_cents: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod analytics_order {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: String,
        pub day: String,
        /// The order's lines as JSON (`[{productId, quantity, unitPriceCents}]`).
        pub lines: String,
        pub total_cents: i64,
        pub cancelled: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
