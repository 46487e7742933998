//! Callers' connections as the server keeps track of them, so that idle or slow ones cannot use
//! up the process's file descriptors: when each last moved a byte, whether it is waiting for a
//! request head and since when, how many of its requests are open, and the cap on how many are
//! open at once.
//!
//! A connection with no request open must send a complete request head within the header
//! timeout of its first byte (or of being opened), and is closed after the idle timeout without
//! a byte either way. At the cap, the longest-idle connections (no request open) are closed to
//! make room for a new one, so a caller can still reach `/_sluice/healthz` while someone holds
//! more idle connections than the cap; only when every connection has a request open is the new
//! one closed at once.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

use crate::config::ConnectionSettings;

/// `head_since` when no request head is awaited.
const NOT_WAITING: u64 = u64::MAX;

/// Every open connection of the process (all serving threads share one).
pub(crate) struct Registry {
    settings: ConnectionSettings,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Activity>>>,
    /// When (ms since `epoch`) a refused connection was last logged: at most one line every
    /// ten seconds, since a flood of them is what refusing is about.
    last_refusal_logged: AtomicU64,
}

/// What one connection is doing.
#[derive(Debug)]
pub(crate) struct Activity {
    epoch: Instant,
    /// When (ms since `epoch`) a byte was last read or written.
    last_active: AtomicU64,
    /// When (ms since `epoch`) the connection, with no request open, was opened or received the
    /// first byte of its next request; [`NOT_WAITING`] otherwise.
    head_since: AtomicU64,
    /// Requests begun whose answer has not been sent to the end.
    open_requests: AtomicUsize,
    /// Requests whose answer is being worked out.
    handling: AtomicUsize,
    /// Told when the registry closes the connection to make room.
    evicted: Notify,
}

/// Why a connection is to be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// It took longer than the header timeout to send a request head.
    HeadTimeout,
    /// It had no request open and moved no byte for the idle timeout.
    Idle,
}

/// A connection's place in the registry, given up when dropped.
pub(crate) struct Registered {
    registry: Arc<Registry>,
    id: u64,
    activity: Arc<Activity>,
}

impl Registry {
    pub(crate) fn new(settings: ConnectionSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            last_refusal_logged: AtomicU64::new(0),
        })
    }

    /// Registers a new connection, closing the longest-idle ones if the cap is reached; `None`
    /// when every open connection has a request open, and the new one must be closed.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Registered> {
        let now = millis_since(self.epoch);
        let activity = Arc::new(Activity {
            epoch: self.epoch,
            last_active: AtomicU64::new(now),
            head_since: AtomicU64::new(now),
            open_requests: AtomicUsize::new(0),
            handling: AtomicUsize::new(0),
            evicted: Notify::new(),
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let max = self.settings.max_connections;
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.len() >= max {
            // A batch, so that a flood of connections does not scan the table on every accept.
            let batch = (max / 64).max(open.len() + 1 - max);
            let closed = shed(&mut open, batch);
            tracing::debug!(
                closed,
                "connection cap reached: closed the longest-idle ones"
            );
            if open.len() >= max {
                drop(open);
                self.log_refusal(now);
                return None;
            }
        }
        open.insert(id, activity.clone());
        Some(Registered {
            registry: self.clone(),
            id,
            activity,
        })
    }

    /// Closes a 16th of the open connections (at least 8), the longest-idle first, leaving
    /// those with a request open; returns how many. For when descriptors run out: the accept
    /// loop waits a little after each failure, so each round frees room for several.
    pub(crate) fn shed_idle(&self) -> usize {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = (open.len() / 16).max(8);
        shed(&mut open, batch)
    }

    fn log_refusal(&self, now: u64) {
        let last = self.last_refusal_logged.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= 10_000)
            && self
                .last_refusal_logged
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                max_connections = self.settings.max_connections,
                "connection cap reached and every connection has a request open: new \
                 connections are closed at once (SLUICE_MAX_CONNECTIONS sets the cap)"
            );
        }
    }
}

/// Closes the `n` longest-idle connections of `open` that have no request open.
fn shed(open: &mut HashMap<u64, Arc<Activity>>, n: usize) -> usize {
    let mut idle: Vec<(u64, u64)> = open
        .iter()
        .filter(|(_, a)| a.open_requests.load(Ordering::Acquire) == 0)
        .map(|(id, a)| (a.last_active.load(Ordering::Relaxed), *id))
        .collect();
    if idle.len() > n {
        idle.select_nth_unstable(n);
        idle.truncate(n);
    }
    for (_, id) in &idle {
        if let Some(activity) = open.remove(id) {
            activity.evicted.notify_one();
        }
    }
    idle.len()
}

impl Registered {
    /// What the connection is doing.
    pub(crate) fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

impl Activity {
    fn now(&self) -> u64 {
        millis_since(self.epoch)
    }

    fn read(&self) {
        let now = self.now();
        self.last_active.store(now, Ordering::Relaxed);
        if self.open_requests.load(Ordering::Acquire) == 0
            && self.head_since.load(Ordering::Relaxed) == NOT_WAITING
        {
            self.head_since.store(now, Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        self.last_active.store(self.now(), Ordering::Relaxed);
    }

    /// Counts a request whose head has arrived, until both guards are dropped: the first when
    /// its answer is worked out, the second when the answer has been sent.
    pub(crate) fn begin(self: &Arc<Self>) -> (Handling, OpenRequest) {
        self.open_requests.fetch_add(1, Ordering::AcqRel);
        self.handling.fetch_add(1, Ordering::AcqRel);
        self.head_since.store(NOT_WAITING, Ordering::Relaxed);
        (Handling(self.clone()), OpenRequest(self.clone()))
    }

    /// Completes when the registry has closed this connection to make room for another.
    pub(crate) async fn evicted(&self) {
        self.evicted.notified().await;
    }

    /// When to look again, or why the connection is to be closed now.
    pub(crate) fn check(&self, settings: &ConnectionSettings) -> Result<Instant, Ending> {
        let now = self.now();
        let header = duration_millis(settings.header_timeout);
        let idle = duration_millis(settings.idle_timeout);
        // However long until a deadline below, look again at least this often: a request may
        // end, or a head begin, in the meantime.
        let mut next = now.saturating_add(header.min(idle));
        if self.handling.load(Ordering::Acquire) == 0 {
            if self.open_requests.load(Ordering::Acquire) == 0 {
                let since = self.head_since.load(Ordering::Relaxed);
                if since != NOT_WAITING {
                    let due = since.saturating_add(header);
                    if now >= due {
                        return Err(Ending::HeadTimeout);
                    }
                    next = next.min(due);
                }
            }
            // An answer the caller does not read counts as idle too.
            let due = self
                .last_active
                .load(Ordering::Relaxed)
                .saturating_add(idle);
            if now >= due {
                return Err(Ending::Idle);
            }
            next = next.min(due);
        }
        Ok(self.epoch + Duration::from_millis(next))
    }
}

/// A request's answer being worked out.
pub(crate) struct Handling(Arc<Activity>);

impl Drop for Handling {
    fn drop(&mut self) {
        self.0.handling.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request whose answer has not been sent to the end.
#[derive(Debug)]
pub(crate) struct OpenRequest(Arc<Activity>);

impl Drop for OpenRequest {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .last_active
            .store(activity.now(), Ordering::Relaxed);
        if activity.open_requests.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Bytes read while the answer was sent belong to no head yet.
            activity.head_since.store(NOT_WAITING, Ordering::Relaxed);
        }
    }
}

/// An answer's body, counting its request as open until it has been sent (or dropped).
pub(crate) struct Counted<B> {
    body: B,
    open: Option<OpenRequest>,
}

impl<B> Counted<B> {
    pub(crate) fn new(body: B, open: OpenRequest) -> Self {
        Self {
            body,
            open: Some(open),
        }
    }
}

impl<B: hyper::body::Body<Data = Bytes> + Unpin> hyper::body::Body for Counted<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.open = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// A connection's socket, noting in its [`Activity`] every byte that moves.
pub(crate) struct Tracked<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T> Tracked<T> {
    pub(crate) fn new(io: T, activity: Arc<Activity>) -> Self {
        Self { io, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled
            && n > 0
        {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled
            && n > 0
        {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

fn millis_since(epoch: Instant) -> u64 {
    duration_millis(epoch.elapsed())
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whether an accept error means the process or system is out of file descriptors.
pub(crate) fn out_of_descriptors(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        let code = error.raw_os_error();
        code == Some(Errno::MFILE.raw_os_error()) || code == Some(Errno::NFILE.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(max_connections: usize) -> ConnectionSettings {
        ConnectionSettings {
            max_connections,
            ..ConnectionSettings::default()
        }
    }

    #[test]
    fn at_the_cap_the_longest_idle_connection_makes_room() {
        let registry = Registry::new(settings(2));
        let first = registry.admit().unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let second = registry.admit().unwrap();
        second.activity().read();
        let third = registry.admit().expect("room is made");
        // The first was idle longest: it was told to close and left the table.
        let open = registry.open.lock().unwrap();
        assert!(!open.contains_key(&first.id));
        assert!(open.contains_key(&second.id) && open.contains_key(&third.id));
    }

    #[test]
    fn with_every_connection_busy_the_new_one_is_refused() {
        let registry = Registry::new(settings(2));
        let a = registry.admit().unwrap();
        let b = registry.admit().unwrap();
        let busy_a = a.activity().begin();
        let busy_b = b.activity().begin();
        assert!(registry.admit().is_none());
        drop(busy_b);
        assert!(
            registry.admit().is_some(),
            "once b's answer is sent, b is idle and makes room"
        );
        drop(busy_a);
    }

    #[test]
    fn a_silent_connection_times_out_on_its_head_and_a_busy_one_never() {
        let settings = ConnectionSettings {
            header_timeout: Duration::from_millis(20),
            idle_timeout: Duration::from_secs(60),
            ..settings(10)
        };
        let registry = Registry::new(settings);
        let silent = registry.admit().unwrap();
        let busy = registry.admit().unwrap();
        let guards = busy.activity().begin();
        assert!(silent.activity().check(&settings).is_ok());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(silent.activity().check(&settings), Err(Ending::HeadTimeout));
        assert!(busy.activity().check(&settings).is_ok());
        drop(guards);
        assert!(
            busy.activity().check(&settings).is_ok(),
            "an answered connection waits for its next request, not a head"
        );
    }
}
