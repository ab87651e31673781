//! `tessera-users`: the users subgraph as its own deployable process.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tessera_kit::telemetry::init();
    tessera_users::run(tessera_users::UsersConfig::from_env()?).await?;
    Ok(())
}
