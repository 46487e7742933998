//! Which serving thread the current thread is: 0 for any thread that is not one (the accepting
//! runtime, background work, tests), 1..=N for the N serving threads. Per-thread resources (the
//! upstream connection pools) are indexed by it. The server marks its threads; the upstream
//! client and the job runner read the mark; this module knows neither.

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
