//! The accept loop both the router and the subgraphs serve with.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

/// The TCP peer of a request, put in its extensions by [`serve_connections`].
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub std::net::SocketAddr);

/// Serves `app` on `listener` until `shutdown` resolves, then waits for the
/// open connections to finish their requests.
///
/// In place of `axum::serve`, which gives hyper no timer: without one,
/// hyper's header-read timeout never fires and a client that opens
/// connections and sends nothing (or half a request head) holds them forever.
/// Here every HTTP/1 connection must deliver a request head within
/// `header_read_timeout`, and HTTP/2 connections are pinged so dead peers are
/// dropped.
pub async fn serve_connections(
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
                    app.clone().layer(axum::Extension(PeerAddr(peer))),
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
