//! `tessera-orders`: the orders subgraph as its own deployable process.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_kit::telemetry::init();
    tessera_orders::run(tessera_orders::OrdersConfig::from_env()?).await?;
    Ok(())
}
