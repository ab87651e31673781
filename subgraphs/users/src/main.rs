//! `tessera-users`: the users subgraph as its own deployable process.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_kit::telemetry::init();
    let config =
        tessera_kit::config::SubgraphConfig::from_env("users", tessera_users::DEFAULT_PORT)?;
    tessera_users::run(config).await?;
    Ok(())
}
