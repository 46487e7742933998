//! Callers that keep sending reversible tokens the proxy refuses. Every refused token gets the
//! same answer, so nothing is learnt from one; this bounds how many a caller can try: after
//! `limit` refusals (`SLUICE_TOKEN_FAILURE_LIMIT`, default [`DEFAULT_LIMIT`]) within [`WINDOW`],
//! that caller's requests carrying tokens are refused with 429 until the window ends, before any
//! token is opened. Counts are per replica, in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::problem::{Problem, ProblemType};

/// Refused tokens a caller may send within [`WINDOW`], unless configured otherwise. A caller
/// with stale tokens (after a key rotation) meets it quickly, and every further token would be
/// refused anyway; someone probing needs thousands.
pub const DEFAULT_LIMIT: u32 = 10;
/// The window over which refusals are counted.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Callers tracked before expired windows are dropped.
const PRUNE_AT: usize = 10_000;

/// Refusals per caller, in fixed windows.
#[derive(Debug)]
pub struct TokenFailures {
    limit: u32,
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    refused: u32,
}

impl TokenFailures {
    /// Allows `limit` refusals per caller and window.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            windows: Mutex::default(),
        }
    }

    /// `Err(429)` when `caller` has had `limit` tokens refused in the current window.
    pub fn admit(&self, caller: &str) -> Result<(), Problem> {
        self.admit_at(caller, Instant::now())
    }

    /// Counts one refused token of `caller`.
    pub fn record(&self, caller: &str) {
        self.record_at(caller, Instant::now());
    }

    fn admit_at(&self, caller: &str, now: Instant) -> Result<(), Problem> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let Some(window) = windows.get(caller) else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(window.started);
        if elapsed >= WINDOW || window.refused < self.limit {
            return Ok(());
        }
        let wait = (WINDOW - elapsed).as_secs().max(1);
        Err(Problem::new(
            ProblemType::TooManyRequests,
            format!(
                "this caller sent {} reversible tokens the proxy could not accept within {}s; \
                 requests with tokens are refused for {wait}s",
                self.limit,
                WINDOW.as_secs()
            ),
        )
        .with_retry_after(wait))
    }

    fn record_at(&self, caller: &str, now: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= PRUNE_AT {
            windows.retain(|_, w| now.saturating_duration_since(w.started) < WINDOW);
        }
        let window = windows.entry(caller.to_owned()).or_insert(Window {
            started: now,
            refused: 0,
        });
        if now.saturating_duration_since(window.started) >= WINDOW {
            *window = Window {
                started: now,
                refused: 0,
            };
        }
        window.refused = window.refused.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_is_refused_after_the_limit_until_the_window_ends() {
        let failures = TokenFailures::new(DEFAULT_LIMIT);
        let t0 = Instant::now();
        for _ in 0..DEFAULT_LIMIT - 1 {
            failures.record_at("key:a", t0);
        }
        assert!(failures.admit_at("key:a", t0).is_ok(), "below the limit");
        failures.record_at("key:a", t0);
        let refused = failures.admit_at("key:a", t0).unwrap_err();
        assert_eq!(refused.status, 429);
        assert_eq!(
            refused.retry_after.map(|s| u64::from(s.get())),
            Some(WINDOW.as_secs())
        );
        let later = t0 + WINDOW - Duration::from_secs(5);
        let wait = failures.admit_at("key:a", later).unwrap_err().retry_after;
        assert_eq!(wait.map(|s| s.get()), Some(5));
        assert!(failures.admit_at("key:b", t0).is_ok(), "other callers");
        assert!(
            failures.admit_at("key:a", t0 + WINDOW).is_ok(),
            "window over"
        );
        failures.record_at("key:a", t0 + WINDOW);
        assert!(
            failures.admit_at("key:a", t0 + WINDOW).is_ok(),
            "a new window starts counting from one"
        );
    }
}
