//! The HTTP server: HTTP/1.1 and HTTP/2 (h2c) on one port, and a graceful shutdown that stops
//! accepting, lets in-flight requests finish, then returns.
//!
//! [`serve_threads`] is what the binaries run: one thread per core, each with its own
//! single-threaded event loop. The calling runtime accepts connections and hands each one to a
//! serving thread in turn; from then on the connection, its requests and their upstream calls stay
//! on that thread (the upstream client keeps a connection pool per serving thread, see
//! [`shard`]), so a request never waits for a wake-up on another core. Async jobs recovered from
//! other replicas are handed to the serving threads too, leaving the accepting runtime free.
//! [`serve`] serves on the calling runtime instead, for embedding and tests.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::connector::{Connector, Hooks};
use crate::proxy::Proxy;

/// Which serving thread the current thread is: 0 for any thread that is not one (the accepting
/// runtime, background work, tests), 1..=N for the N serving threads. Per-thread resources (the
/// upstream connection pools) are indexed by it.
pub mod shard {
    use std::cell::Cell;

    thread_local! {
        static SHARD: Cell<usize> = const { Cell::new(0) };
    }

    /// The current thread's shard.
    pub fn current() -> usize {
        SHARD.with(Cell::get)
    }

    /// Marks the current thread as serving thread `index` (1-based).
    pub(crate) fn enter(index: usize) {
        SHARD.with(|s| s.set(index));
    }
}

/// Serves `proxy` on `listener` from the calling runtime until `shutdown` completes, then
/// drains in-flight requests for at most `drain` before returning.
pub async fn serve<C: Connector, H: Hooks>(
    proxy: Arc<Proxy<C, H>>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    accept_until(&listener, shutdown, |stream, peer| {
        spawn_connection(&proxy, &builder, &graceful, stream, peer);
    })
    .await;
    drop(listener);
    tracing::info!(
        in_flight = graceful.count(),
        "shutting down: draining in-flight requests"
    );
    let draining = Instant::now();
    drain_connections(graceful, drain).await;
    wind_down_jobs(&proxy, drain.saturating_sub(draining.elapsed())).await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `proxy` on `listener` with `threads` serving threads (see the module documentation)
/// until `shutdown` completes; then every thread drains its in-flight requests for at most
/// `drain`, and this returns once all have stopped.
pub async fn serve_threads<C: Connector, H: Hooks>(
    proxy: Arc<Proxy<C, H>>,
    listener: TcpListener,
    threads: usize,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> std::io::Result<()> {
    let mut workers = Vec::with_capacity(threads.max(1));
    for index in 1..=threads.max(1) {
        workers.push(Worker::start(index, proxy.clone(), drain)?);
    }
    if let Some(jobs) = &proxy.jobs {
        // Jobs found by the recovery scan run on the serving threads too, not on this runtime,
        // which must stay free to accept connections.
        jobs.run_on(workers.iter().map(|w| w.runtime.clone()).collect());
    }
    let mut next = 0;
    accept_until(&listener, shutdown, |stream, peer| {
        // Round robin: with keep-alive callers, connections are few and long-lived.
        let worker = &workers[next % workers.len()];
        next += 1;
        match stream.into_std() {
            Ok(stream) => worker.hand(stream, peer),
            Err(e) => tracing::warn!(%peer, error = %e, "cannot hand a connection over"),
        }
    })
    .await;
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    let mut stopped = Vec::with_capacity(workers.len());
    for worker in workers {
        stopped.push(worker.stop());
    }
    for done in stopped {
        let _ = done.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Accepts connections and gives each to `dispatch` until `shutdown` completes.
async fn accept_until(
    listener: &TcpListener,
    shutdown: impl Future<Output = ()>,
    mut dispatch: impl FnMut(TcpStream, SocketAddr),
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        dispatch(stream, peer);
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: keep serving the others.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
}

/// Serves one connection on the current runtime, watched by `graceful`.
fn spawn_connection<C: Connector, H: Hooks>(
    proxy: &Arc<Proxy<C, H>>,
    builder: &auto::Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    stream: TcpStream,
    peer: SocketAddr,
) {
    let proxy = proxy.clone();
    let service = service_fn(move |request| {
        let proxy = proxy.clone();
        async move { Ok::<_, Infallible>(proxy.handle(request).await) }
    });
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .into_owned();
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
    });
}

/// Lets the connections `graceful` watches finish their requests, for at most `drain`.
async fn drain_connections(graceful: GracefulShutdown, drain: Duration) {
    tracing::debug!(
        in_flight = graceful.count(),
        "shutting down: draining in-flight requests"
    );
    tokio::select! {
        () = graceful.shutdown() => tracing::debug!("drained"),
        () = tokio::time::sleep(drain) => tracing::warn!("drain time ({drain:?}) passed; closing the remaining connections"),
    }
}

/// Lets the asynchronous jobs running on this replica finish, for at most `within`; jobs still
/// running then are interrupted, and another replica (or this one, restarted) takes them over
/// once their lease lapses.
async fn wind_down_jobs<C: Connector, H: Hooks>(proxy: &Proxy<C, H>, within: Duration) {
    let Some(jobs) = &proxy.jobs else {
        return;
    };
    if tokio::time::timeout(within, jobs.wind_down())
        .await
        .is_err()
    {
        tracing::warn!(
            "drain time passed with jobs still running; they are taken over once their lease lapses"
        );
    }
}

/// A serving thread: a single-threaded runtime that serves the connections handed to it.
struct Worker {
    connections: mpsc::UnboundedSender<(std::net::TcpStream, SocketAddr)>,
    stopped: oneshot::Receiver<()>,
    /// The thread's runtime, to run other work there.
    runtime: tokio::runtime::Handle,
}

impl Worker {
    fn start<C: Connector, H: Hooks>(
        index: usize,
        proxy: Arc<Proxy<C, H>>,
        drain: Duration,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (connections, mut incoming) = mpsc::unbounded_channel();
        let (done, stopped) = oneshot::channel();
        std::thread::Builder::new()
            .name(format!("sluice-serve-{index}"))
            .spawn(move || {
                shard::enter(index);
                runtime.block_on(async move {
                    let graceful = GracefulShutdown::new();
                    let builder = auto::Builder::new(TokioExecutor::new());
                    while let Some((stream, peer)) = incoming.recv().await {
                        match TcpStream::from_std(stream) {
                            Ok(stream) => {
                                spawn_connection(&proxy, &builder, &graceful, stream, peer);
                            }
                            Err(e) => {
                                tracing::warn!(%peer, error = %e, "cannot serve a connection")
                            }
                        }
                    }
                    let draining = Instant::now();
                    drain_connections(graceful, drain).await;
                    // Jobs run on the serving threads: each stays up until every job here has
                    // ended (or the drain time has passed).
                    wind_down_jobs(&proxy, drain.saturating_sub(draining.elapsed())).await;
                });
                let _ = done.send(());
            })?;
        Ok(Self {
            connections,
            stopped,
            runtime: handle,
        })
    }

    fn hand(&self, stream: std::net::TcpStream, peer: SocketAddr) {
        if self.connections.send((stream, peer)).is_err() {
            tracing::warn!(%peer, "a serving thread has stopped; connection dropped");
        }
    }

    /// Closes the hand-over channel; the returned receiver completes once the thread drained.
    fn stop(self) -> oneshot::Receiver<()> {
        self.stopped
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
