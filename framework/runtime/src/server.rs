//! The HTTP server: HTTP/1.1 and HTTP/2 (h2c) on one port, and a graceful shutdown that stops
//! accepting, lets in-flight requests finish, then returns.
//!
//! [`serve_threads`] is what the binaries run: one thread per core, each with its own
//! single-threaded event loop. The calling runtime accepts connections and hands each one to a
//! serving thread in turn; from then on the connection, its requests and their upstream calls stay
//! on that thread (the upstream client keeps a connection pool per serving thread, see
//! [`crate::shard`]), so a request never waits for a wake-up on another core. Async jobs recovered from
//! other replicas are handed to the serving threads too, leaving the accepting runtime free.
//! [`serve`] serves on the calling runtime instead, for embedding and tests.
//!
//! Both keep callers' connections within the limits of [`crate::connections`]: a header
//! timeout, an idle timeout and a cap on open connections (at which the longest-idle make
//! room), with failed accepts backed off; and at most `h2_max_streams` requests at once on one
//! HTTP/2 connection.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::ConnectionSettings;
use crate::connections::{Counted, Ending, Registered, Registry, Tracked};
use crate::connector::{Connector, Hooks};
use crate::proxy::Proxy;
use crate::shard;

/// Serves `proxy` on `listener` from the calling runtime until `shutdown` completes, then
/// drains in-flight requests for at most `drain` before returning.
pub async fn serve<C: Connector, H: Hooks>(
    proxy: Arc<Proxy<C, H>>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> std::io::Result<()> {
    let settings = proxy.connections;
    let registry = Registry::new(settings);
    let scope = Scope::new();
    let builder = builder(&settings);
    accept_until(
        &listener,
        &registry,
        shutdown,
        |stream, peer, registered| {
            spawn_connection(&proxy, &builder, &scope, stream, peer, registered);
        },
    )
    .await;
    drop(listener);
    tracing::info!(
        open = scope.open(),
        "shutting down: draining in-flight requests"
    );
    let draining = Instant::now();
    scope.drain(drain).await;
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
    let mut serving = Vec::with_capacity(threads.max(1));
    for index in 1..=threads.max(1) {
        serving.push(ServingThread::start(index, proxy.clone(), drain)?);
    }
    if let Some(jobs) = &proxy.jobs {
        // Jobs found by the recovery scan run on the serving threads too, not on this runtime,
        // which must stay free to accept connections.
        jobs.run_on(serving.iter().map(|t| t.runtime.clone()).collect());
    }
    // One registry for all threads: the cap is on the process's descriptors.
    let registry = Registry::new(proxy.connections);
    let mut next = 0;
    accept_until(
        &listener,
        &registry,
        shutdown,
        |stream, peer, registered| {
            // Round robin: with keep-alive callers, connections are few and long-lived.
            let thread = &serving[next % serving.len()];
            next += 1;
            match stream.into_std() {
                Ok(stream) => thread.hand(stream, peer, registered),
                Err(e) => tracing::warn!(%peer, error = %e, "cannot hand a connection over"),
            }
        },
    )
    .await;
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    let mut stopped = Vec::with_capacity(serving.len());
    for thread in serving {
        stopped.push(thread.stop());
    }
    for done in stopped {
        let _ = done.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The connection builder: HTTP/1.1 and h2c, at most `h2_max_streams` requests at once on one
/// HTTP/2 connection. (hyper's own HTTP/1 header-read timeout is not used: it runs whenever the
/// connection waits for a head, idle keep-alive time included, so it would cut every idle
/// connection at the header timeout; [`Activity::check`](crate::connections::Activity::check)
/// times heads from their first byte instead, for both protocols.)
fn builder(settings: &ConnectionSettings) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http2()
        .max_concurrent_streams(settings.h2_max_streams);
    builder
}

/// The first wait after a failed accept; each failure in a row doubles it, up to
/// [`MAX_ACCEPT_BACKOFF`].
const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Accepts connections, registers each in `registry` (closing it at once when the cap is
/// reached and no connection is idle) and gives it to `dispatch`, until `shutdown` completes.
async fn accept_until(
    listener: &TcpListener,
    registry: &Arc<Registry>,
    shutdown: impl Future<Output = ()>,
    mut dispatch: impl FnMut(TcpStream, SocketAddr, Registered),
) {
    tokio::pin!(shutdown);
    let mut backoff = Duration::ZERO;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, peer)) => {
                        backoff = Duration::ZERO;
                        let Some(registered) = registry.admit() else {
                            continue;
                        };
                        let _ = stream.set_nodelay(true);
                        dispatch(stream, peer, registered);
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: free some if it is that, wait a
                        // little longer each time in a row (the listener would report the same
                        // error at once), and keep serving the others.
                        let shed = if crate::connections::out_of_descriptors(&e) {
                            registry.shed_idle()
                        } else {
                            0
                        };
                        backoff = (backoff * 2).clamp(MIN_ACCEPT_BACKOFF, MAX_ACCEPT_BACKOFF);
                        tracing::warn!(error = %e, closed_idle = shed, retry_in = ?backoff, "accept failed");
                        tokio::time::sleep(backoff).await;
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
}

/// Serves one connection on the current runtime, within `scope`, until it ends, is closed to
/// make room, times out (see [`crate::connections`]), or the scope drains.
fn spawn_connection<C: Connector, H: Hooks>(
    proxy: &Arc<Proxy<C, H>>,
    builder: &auto::Builder<TokioExecutor>,
    scope: &Arc<Scope>,
    stream: TcpStream,
    peer: SocketAddr,
    registered: Registered,
) {
    let settings = proxy.connections;
    let activity = registered.activity().clone();
    let proxy = proxy.clone();
    let counting = activity.clone();
    let service = service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
        request
            .extensions_mut()
            .insert(crate::origin::PeerAddr(peer));
        let proxy = proxy.clone();
        let (handling, open) = counting.begin();
        async move {
            let response = proxy.handle(request).await;
            drop(handling);
            Ok::<_, Infallible>(response.map(|body| Counted::new(body, open)))
        }
    });
    let connection = builder
        .serve_connection(
            TokioIo::new(Tracked::new(stream, activity.clone())),
            service,
        )
        .into_owned();
    let member = scope.join();
    let mut stop = scope.stop.subscribe();
    tokio::spawn(async move {
        let _member = member;
        let _registered = registered;
        tokio::pin!(connection);
        let timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(timer);
        let graceful_within = loop {
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(e) = ended {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = activity.evicted() => {
                    tracing::debug!(%peer, "connection closed to make room for another");
                    return;
                }
                () = &mut timer => match activity.check(&settings) {
                    Ok(next) => timer.as_mut().reset(next.into()),
                    Err(Ending::HeadTimeout) => {
                        tracing::debug!(%peer, "connection closed: no complete request head within the header timeout");
                        return;
                    }
                    Err(Ending::Idle) => {
                        tracing::debug!(%peer, "connection closed: idle");
                        break Some(settings.header_timeout);
                    }
                },
                _ = stop.wait_for(|stopping| *stopping) => break None,
            }
        };
        // Ask the caller to go (HTTP/2 GOAWAY; HTTP/1 closes once idle), letting open requests
        // finish: for ever on shutdown (the scope bounds the drain), briefly when idle.
        connection.as_mut().graceful_shutdown();
        match graceful_within {
            Some(within) => {
                let _ = tokio::time::timeout(within, connection).await;
            }
            None => {
                let _ = connection.await;
            }
        }
    });
}

/// The connections one event loop serves, told together to finish when the server stops.
struct Scope {
    stop: watch::Sender<bool>,
    open: watch::Sender<usize>,
}

/// A connection's membership of its [`Scope`].
struct Member(Arc<Scope>);

impl Scope {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            stop: watch::Sender::new(false),
            open: watch::Sender::new(0),
        })
    }

    fn join(self: &Arc<Self>) -> Member {
        self.open.send_modify(|n| *n += 1);
        Member(self.clone())
    }

    fn open(&self) -> usize {
        *self.open.borrow()
    }

    /// Tells every connection to finish its requests and close, and waits until all have, for
    /// at most `drain`.
    async fn drain(&self, drain: Duration) {
        self.stop.send_replace(true);
        let mut open = self.open.subscribe();
        tokio::select! {
            _ = open.wait_for(|n| *n == 0) => tracing::debug!("drained"),
            () = tokio::time::sleep(drain) => tracing::warn!("drain time ({drain:?}) passed; closing the remaining connections"),
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.0.open.send_modify(|n| *n -= 1);
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
struct ServingThread {
    connections: mpsc::UnboundedSender<(std::net::TcpStream, SocketAddr, Registered)>,
    stopped: oneshot::Receiver<()>,
    /// The thread's runtime, to run other work there.
    runtime: tokio::runtime::Handle,
}

impl ServingThread {
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
                    let scope = Scope::new();
                    let builder = builder(&proxy.connections);
                    while let Some((stream, peer, registered)) = incoming.recv().await {
                        match TcpStream::from_std(stream) {
                            Ok(stream) => {
                                spawn_connection(
                                    &proxy, &builder, &scope, stream, peer, registered,
                                );
                            }
                            Err(e) => {
                                tracing::warn!(%peer, error = %e, "cannot serve a connection")
                            }
                        }
                    }
                    let draining = Instant::now();
                    scope.drain(drain).await;
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

    fn hand(&self, stream: std::net::TcpStream, peer: SocketAddr, registered: Registered) {
        if self.connections.send((stream, peer, registered)).is_err() {
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
