//! Running the router: build the app for a supergraph and serve it on a listener
//! with graceful shutdown. Usable in-process (tests, `tessera dev`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::RouterConfig;
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
    Ok(build(config, supergraph_sdl)?.1)
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

/// Serves until `shutdown` resolves, then drains in-flight requests.
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
    serve_connections(listener, app, timeout, draining(gateway, shutdown)).await?;
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
    let (gateway, app) = build(config, supergraph_sdl)?;
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

/// Serves `app` on `listener` until `shutdown` resolves, then waits for the
/// open connections to finish their requests.
///
/// In place of `axum::serve`, which gives hyper no timer: without one,
/// hyper's header-read timeout never fires and a client that opens
/// connections and sends nothing (or half a request head) holds them forever.
/// Here every HTTP/1 connection must deliver a request head within
/// `header_read_timeout`, and HTTP/2 connections are pinged so dead peers are
/// dropped.
async fn serve_connections(
    listener: TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let builder = Arc::clone(&builder);
                let service = TowerToHyperService::new(
                    app.clone().layer(axum::Extension(crate::http::PeerAddr(peer))),
                );
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    // Telling HTTP/1 from HTTP/2 waits for the first bytes, with
                    // no timeout of hyper's: a connection that sends nothing is
                    // dropped here.
                    let mut first = [0u8; 1];
                    match tokio::time::timeout(header_read_timeout, stream.peek(&mut first)).await {
                        Ok(Ok(n)) if n > 0 => {}
                        _ => return,
                    }
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .into_owned();
                    // A client that hung up or timed out: nothing to report.
                    let _ = watcher.watch(connection).await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
