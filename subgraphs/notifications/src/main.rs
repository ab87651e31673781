//! `tessera-notifications`: the notifications subgraph as its own deployable process.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_kit::telemetry::init();
    let config = tessera_kit::config::SubgraphConfig::from_env(
        tessera_notifications::NAME,
        tessera_notifications::DEFAULT_PORT,
    )?;
    tessera_notifications::run(config).await?;
    Ok(())
}
