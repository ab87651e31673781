//! The accept loop both the router and the subgraphs serve with.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

/// The TCP peer of a request, put in its extensions by [`serve_connections`].
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub std::net::SocketAddr);

thread_local! {
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The index of the [`serve_per_core`] worker this thread is, if it is one:
/// per-worker resources (the router's subgraph connection pools) are picked
/// by it, so a worker's requests never touch another worker's connections.
pub fn worker_index() -> Option<usize> {
    WORKER.with(Cell::get)
}

/// hyper's connection builder: every HTTP/1 connection must deliver a request
/// head within `header_read_timeout`; HTTP/2 connections are pinged so dead
/// peers are dropped.
fn connection_builder(header_read_timeout: Duration) -> Arc<Builder<TokioExecutor>> {
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
    Arc::new(builder)
}

/// Runs a closure when dropped: at the end of a task, or when it unwinds
/// or is cancelled.
struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

/// Serves one accepted connection in a task of the current runtime; `done`
/// runs when it closes (also if its task panics or is dropped).
fn spawn_connection(
    builder: &Arc<Builder<TokioExecutor>>,
    app: &axum::Router,
    stream: TcpStream,
    peer: SocketAddr,
    header_read_timeout: Duration,
    watcher: Watcher,
    done: impl FnOnce() + Send + 'static,
) {
    let _ = stream.set_nodelay(true);
    let builder = Arc::clone(builder);
    let service = TowerToHyperService::new(app.clone().layer(axum::Extension(PeerAddr(peer))));
    let done = OnDrop(Some(done));
    tokio::spawn(async move {
        let _done = done;
        // Telling HTTP/1 from HTTP/2 waits for the first bytes, with no
        // timeout of hyper's: a connection that sends nothing is dropped here.
        let mut first = [0u8; 1];
        if let Ok(Ok(n)) = tokio::time::timeout(header_read_timeout, stream.peek(&mut first)).await
            && n > 0
        {
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            // A client that hung up or timed out: nothing to report.
            let _ = watcher.watch(connection).await;
        }
    });
}

/// Accepts the next connection; on an error (out of file descriptors and the
/// like) backs off and returns `None`, to keep serving.
async fn accept(listener: &TcpListener) -> Option<(TcpStream, SocketAddr)> {
    match listener.accept().await {
        Ok(accepted) => Some(accepted),
        Err(error) => {
            tracing::warn!(%error, "accepting a connection failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for the
/// open connections to finish their requests. Every connection is a task of
/// the current runtime.
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
    let builder = connection_builder(header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = accept(&listener) => {
                if let Some((stream, peer)) = accepted {
                    spawn_connection(&builder, &app, stream, peer, header_read_timeout, graceful.watcher(), || {});
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// An accepted connection on its way to a worker.
type Handoff = (std::net::TcpStream, SocketAddr);

/// [`serve_connections`] on `workers` threads of their own, each running a
/// single-threaded runtime (thread per core): the current runtime accepts,
/// and hands each connection to the worker serving the fewest, which runs
/// all its requests from start to end, so a request's work and the
/// connections it uses stay on one core's caches ([`worker_index`] names the
/// worker). Tasks a request spawns run on its worker, and so do connections
/// a worker opens first for everyone (a lazily connected Redis, pooled TLS
/// connections, a shared in-flight fetch's timer): workers depend on each
/// other's runtimes, and the current runtime, which ran everything started
/// before, must go on running while this is awaited.
///
/// After `shutdown`, the listener closes and every worker finishes its open
/// connections' requests; a worker that is done keeps its runtime running
/// until all are (at most [`DRAIN_WAIT`] longer), so the others' requests
/// never poll a timer or a connection of a runtime that is gone.
pub async fn serve_per_core(
    listener: TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    workers: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let workers = workers.max(1);
    let builder = connection_builder(header_read_timeout);
    let open: Arc<[AtomicUsize]> = (0..workers).map(|_| AtomicUsize::new(0)).collect();
    let mut handoffs = Vec::with_capacity(workers);
    let mut finished = Vec::with_capacity(workers);
    let drained = Arc::new(tokio::sync::Barrier::new(workers));
    for index in 0..workers {
        let (handoff, mut accepted) = tokio::sync::mpsc::unbounded_channel::<Handoff>();
        let (done, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (app, builder, open) = (app.clone(), Arc::clone(&builder), Arc::clone(&open));
        let drained = Arc::clone(&drained);
        std::thread::Builder::new()
            .name(format!("tessera-worker-{index}"))
            .stack_size(8 * 1024 * 1024)
            .spawn(move || {
                WORKER.with(|worker| worker.set(Some(index)));
                runtime.block_on(async move {
                    let graceful = GracefulShutdown::new();
                    // Ends when the acceptor stops (the sender is dropped).
                    while let Some((stream, peer)) = accepted.recv().await {
                        let stream = match TcpStream::from_std(stream) {
                            Ok(stream) => stream,
                            Err(error) => {
                                tracing::warn!(%error, "a worker cannot take a connection");
                                decrement(&open, index);
                                continue;
                            }
                        };
                        let open = Arc::clone(&open);
                        spawn_connection(
                            &builder,
                            &app,
                            stream,
                            peer,
                            header_read_timeout,
                            graceful.watcher(),
                            move || decrement(&open, index),
                        );
                    }
                    graceful.shutdown().await;
                    // Bounded: a worker whose thread died never arrives.
                    let _ = tokio::time::timeout(DRAIN_WAIT, drained.wait()).await;
                });
                // Dropping the runtime cancels what is left (background
                // tasks of its own); then the acceptor hears of it.
                drop(runtime);
                drop(done);
            })?;
        handoffs.push(handoff);
        finished.push(stopped);
    }
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = accept(&listener) => {
                let Some((stream, peer)) = accepted else { continue };
                let mut handed = match stream.into_std() {
                    Ok(stream) => (stream, peer),
                    Err(error) => {
                        tracing::warn!(%error, "cannot hand a connection to a worker");
                        continue;
                    }
                };
                // A worker whose thread stopped (it cannot, short of a bug)
                // is skipped from then on; with none left, the server fails.
                loop {
                    let Some(index) = pick(&open) else {
                        return Err(std::io::Error::other("every worker thread stopped"));
                    };
                    let (Some(count), Some(worker)) = (open.get(index), handoffs.get(index)) else {
                        break;
                    };
                    count.fetch_add(1, Ordering::Relaxed);
                    match worker.send(handed) {
                        Ok(()) => break,
                        Err(returned) => {
                            tracing::error!(worker = index, "a worker thread stopped; its connections go to the others");
                            count.store(STOPPED, Ordering::Relaxed);
                            handed = returned.0;
                        }
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    drop(handoffs);
    for stopped in finished {
        // An error means the worker's thread is gone: nothing to wait for.
        let _ = stopped.await;
    }
    Ok(())
}

/// How long a drained worker keeps its runtime running for the others.
pub const DRAIN_WAIT: Duration = Duration::from_secs(30);

/// The open-connection count of a worker whose thread stopped.
const STOPPED: usize = usize::MAX;

/// The running worker with the fewest open connections (the first of
/// equals); `None` if none is running.
fn pick(open: &[AtomicUsize]) -> Option<usize> {
    open.iter()
        .map(|count| count.load(Ordering::Relaxed))
        .enumerate()
        .filter(|&(_, count)| count < STOPPED / 2)
        .min_by_key(|&(_, count)| count)
        .map(|(index, _)| index)
}

fn decrement(open: &[AtomicUsize], index: usize) {
    if let Some(count) = open.get(index) {
        let _ = count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_go_to_the_worker_serving_the_fewest() {
        let open: Vec<AtomicUsize> = [2, 1, 1].into_iter().map(AtomicUsize::new).collect();
        assert_eq!(pick(&open), Some(1));
        decrement(&open, 0);
        decrement(&open, 0);
        assert_eq!(pick(&open), Some(0));
        // Never below zero.
        decrement(&open, 0);
        assert_eq!(open[0].load(Ordering::Relaxed), 0);
        decrement(&open, 9);
        // A stopped worker is never picked, however few connections it had.
        open[0].store(STOPPED, Ordering::Relaxed);
        assert_eq!(pick(&open), Some(1));
        decrement(&open, 0); // a late close on the stopped worker
        assert_eq!(pick(&open), Some(1));
        open[1].store(STOPPED, Ordering::Relaxed);
        open[2].store(STOPPED, Ordering::Relaxed);
        assert_eq!(pick(&open), None);
        assert_eq!(pick(&[]), None);
    }

    #[tokio::test]
    async fn a_connection_task_that_panics_still_counts_itself_closed() {
        let open = Arc::new(AtomicUsize::new(1));
        let counted = Arc::clone(&open);
        let guard = OnDrop(Some(move || {
            counted.fetch_sub(1, Ordering::Relaxed);
        }));
        let task = tokio::spawn(async move {
            let _guard = guard;
            panic!("a handler bug");
        });
        assert!(task.await.is_err());
        assert_eq!(open.load(Ordering::Relaxed), 0);
    }

    /// Sends one keep-alive HTTP/1.1 GET on `stream`; the response body.
    async fn get(stream: &mut TcpStream) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("write");
        let mut response = Vec::new();
        let mut chunk = [0u8; 512];
        loop {
            let n = stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed early");
            response.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&response);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .expect("content-length");
                if body.len() >= length {
                    return body.to_string();
                }
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_core_workers_share_connections_out_and_drain_on_shutdown() {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(|| async {
                // Which worker thread ran the request, and that a task it
                // spawns runs on the same one.
                let spawned = tokio::spawn(async { worker_index() }).await.ok().flatten();
                format!("{:?}/{:?}", worker_index(), spawned)
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_per_core(
            listener,
            app,
            Duration::from_secs(5),
            2,
            async move {
                let _ = stopped.await;
            },
        ));
        // Four connections held open: two on each worker, each connection's
        // requests always on its own worker.
        let mut connections = Vec::new();
        let mut seen = Vec::new();
        for _ in 0..4 {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            let first = get(&mut stream).await;
            assert_eq!(get(&mut stream).await, first, "a connection moved workers");
            seen.push(first);
            connections.push(stream);
        }
        seen.sort();
        assert_eq!(
            seen,
            [
                "Some(0)/Some(0)",
                "Some(0)/Some(0)",
                "Some(1)/Some(1)",
                "Some(1)/Some(1)"
            ]
        );
        // The worker thread's index is not visible elsewhere.
        assert_eq!(worker_index(), None);
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("shutdown finishes: idle connections are closed")
            .expect("server task")
            .expect("served");
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the listener is closed"
        );
    }
}
