//! The per-caller limit on concurrent upstream calls of synchronous requests, so that one
//! caller (one HTTP/2 connection can carry a hundred requests at once) cannot take every
//! upstream connection and the upstream's rate limit from the others.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// How many upstream calls each caller has in flight, and how many it may.
#[derive(Debug)]
pub(crate) struct CallerLimits {
    limit: usize,
    /// In-flight calls per caller id; a caller with none has no entry, so the map holds only
    /// the callers being served right now.
    in_flight: Mutex<HashMap<String, usize>>,
}

/// One upstream call of a caller, counted until dropped.
#[derive(Debug)]
pub(crate) struct Slot<'a> {
    limits: &'a CallerLimits,
    caller: String,
}

impl CallerLimits {
    /// Allows each caller `limit` calls at once.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The most calls a caller may have in flight.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Counts a call of `caller`, or `None` when it already has `limit` in flight.
    pub(crate) fn enter(&self, caller: &str) -> Option<Slot<'_>> {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match in_flight.get_mut(caller) {
            Some(n) if *n >= self.limit => return None,
            Some(n) => *n += 1,
            None => {
                in_flight.insert(caller.to_owned(), 1);
            }
        }
        Some(Slot {
            limits: self,
            caller: caller.to_owned(),
        })
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut in_flight = self
            .limits
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = in_flight.get_mut(&self.caller) {
            *n -= 1;
            if *n == 0 {
                in_flight.remove(&self.caller);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_its_limit_and_others_are_not_affected() {
        let limits = CallerLimits::new(2);
        let a1 = limits.enter("key:a").unwrap();
        let _a2 = limits.enter("key:a").unwrap();
        assert!(
            limits.enter("key:a").is_none(),
            "a third call of one caller"
        );
        let _b = limits
            .enter("key:b")
            .expect("another caller still gets through");
        drop(a1);
        let _a3 = limits
            .enter("key:a")
            .expect("a finished call frees its slot");
    }

    #[test]
    fn callers_with_nothing_in_flight_are_forgotten() {
        let limits = CallerLimits::new(1);
        drop(limits.enter("key:a"));
        assert!(limits.in_flight.lock().unwrap().is_empty());
    }
}
