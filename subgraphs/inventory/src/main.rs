//! `tessera-inventory`: the inventory subgraph as its own deployable process.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_kit::telemetry::init();
    let config = tessera_kit::config::SubgraphConfig::from_env(
        "inventory",
        tessera_inventory::DEFAULT_PORT,
    )?;
    tessera_inventory::run(config).await?;
    Ok(())
}
