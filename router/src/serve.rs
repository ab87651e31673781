//! Running the router: build the app for a supergraph and serve it on a listener
//! with graceful shutdown. Usable in-process (tests, `tessera dev`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{RouterConfig, Workers};
use crate::gateway::{Gateway, GatewayError};

/// Why the router could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot load the supergraph: {0}")]
    Gateway(#[from] GatewayError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    #[error("the server task failed")]
    Task,
}

/// Builds the axum application serving `supergraph_sdl` with `config`.
pub fn build_app(config: RouterConfig, supergraph_sdl: &str) -> Result<axum::Router, ServeError> {
    Ok(build(on_callers_runtime(config), supergraph_sdl)?.1)
}

/// `config` for a router served on the caller's runtime (nested in another
/// app, or started in process): `workers: shared`, so the subgraph client
/// does not build connection pools for worker threads that never run.
fn on_callers_runtime(mut config: RouterConfig) -> RouterConfig {
    config.workers = Workers::Shared;
    config
}

fn build(
    config: RouterConfig,
    supergraph_sdl: &str,
) -> Result<(Arc<Gateway>, axum::Router), ServeError> {
    let gateway = Arc::new(Gateway::new(config, supergraph_sdl)?);
    for (name, url) in gateway.subgraph_urls() {
        tracing::info!(subgraph = %name, %url, "subgraph");
    }
    Ok((gateway.clone(), crate::http::app(gateway)))
}

/// `shutdown`, then the gateway marked as draining (`/ready` answers 503
/// while in-flight requests finish).
async fn draining(gateway: Arc<Gateway>, shutdown: impl Future<Output = ()> + Send + 'static) {
    shutdown.await;
    gateway.begin_draining();
}

/// Serves until `shutdown` resolves, then drains in-flight requests: on the
/// worker threads `config.workers` names (see
/// [`crate::config::Workers`]), or on the current runtime with `shared`.
pub async fn serve(
    config: RouterConfig,
    supergraph_sdl: &str,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (gateway, app) = build(config, supergraph_sdl)?;
    gateway.warm_up().await;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "router listening; GraphQL at /graphql");
    }
    let timeout = gateway.config().limits.header_read_timeout();
    match gateway.config().workers.threads() {
        Some(workers) => {
            tracing::info!(workers, "serving thread per core");
            let shutdown = draining(gateway, shutdown);
            serve_per_core(listener, app, timeout, workers, shutdown).await?;
        }
        None => serve_connections(listener, app, timeout, draining(gateway, shutdown)).await?,
    }
    Ok(())
}

/// A router running in the background of the current tokio runtime.
#[derive(Debug)]
pub struct RunningRouter {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl RunningRouter {
    /// The bound address (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>/graphql`.
    pub fn graphql_url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Stops accepting, drains in-flight requests, and waits for the server.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.map_err(|_| ServeError::Task)?
    }
}

/// Starts the router on `listener` in the background. The supergraph is loaded
/// (and rejected if unservable) before this returns, so the router is ready.
pub async fn start_on(
    listener: TcpListener,
    config: RouterConfig,
    supergraph_sdl: &str,
) -> Result<RunningRouter, ServeError> {
    let addr = listener.local_addr()?;
    let (gateway, app) = build(on_callers_runtime(config), supergraph_sdl)?;
    gateway.warm_up().await;
    let (stop, stopped) = oneshot::channel::<()>();
    let timeout = gateway.config().limits.header_read_timeout();
    let task = tokio::spawn(async move {
        let shutdown = draining(gateway, async move {
            let _ = stopped.await;
        });
        serve_connections(listener, app, timeout, shutdown)
            .await
            .map_err(ServeError::from)
    });
    Ok(RunningRouter {
        addr,
        stop: Some(stop),
        task,
    })
}

/// Binds `config.listen` (port 0 picks a free port) and starts the router.
pub async fn start(
    config: RouterConfig,
    supergraph_sdl: &str,
) -> Result<RunningRouter, ServeError> {
    let addr = config.listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    start_on(listener, config, supergraph_sdl).await
}

/// The accept loop with header-read timeouts, shared with the subgraphs.
use tessera_graphql_http::server::{serve_connections, serve_per_core};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_process_routers_serve_on_the_callers_runtime() {
        for workers in [Workers::Auto, Workers::Shared] {
            let config = RouterConfig {
                workers,
                ..RouterConfig::default()
            };
            assert_eq!(on_callers_runtime(config).workers, Workers::Shared);
        }
    }
}
