//! The engine a connector runs on: request policy plus sanitizer, built once from a connector's
//! rules and the pseudonymization keys. The proxy, `sluice sanitize` and `sluice conformance`
//! all go through it, so an offline dry run routes and sanitizes as the proxy does.
//!
//! A dry run ([`Engine::run`]) makes no upstream call, so it does not open the reversible
//! (`p~`) tokens a request URL holds: it selects the endpoint from the URL as written, as psoxy's
//! example tests do with URLs holding tokens minted under other keys. The proxy opens them
//! (and refuses bad ones) on its way upstream.

use std::sync::Arc;

use crate::connector::Routing;
use crate::policy::{RequestPolicy, check_path};
use crate::problem::Problem;
use crate::pseudonym::Pseudonymizer;
use crate::sanitize::{SanitizeError, Sanitizer};

/// Policy and sanitizer for one connector.
pub struct Engine<C> {
    connector: C,
    policy: RequestPolicy,
    sanitizer: Sanitizer,
    pseudonymizer: Arc<Pseudonymizer>,
}

/// What the proxy does with one exchange, offline.
#[derive(Debug)]
pub enum Answer {
    /// The sanitized response body.
    Sanitized {
        /// The sanitized body.
        body: Vec<u8>,
    },
    /// The request was refused with this problem.
    Refused(Problem),
    /// The response could not be sanitized (the proxy answers 502).
    Failed(SanitizeError),
}

impl<C: Routing> Engine<C> {
    /// Compiles `connector`'s rules for `pseudonymizer`.
    pub fn new(connector: C, pseudonymizer: Arc<Pseudonymizer>) -> Self {
        let policy = RequestPolicy::new(connector.rules());
        let sanitizer = Sanitizer::new(connector.rules(), pseudonymizer.clone());
        Self {
            connector,
            policy,
            sanitizer,
            pseudonymizer,
        }
    }

    /// The connector.
    pub fn connector(&self) -> &C {
        &self.connector
    }

    /// The request policy.
    pub fn policy(&self) -> &RequestPolicy {
        &self.policy
    }

    /// The sanitizer.
    pub fn sanitizer(&self) -> &Sanitizer {
        &self.sanitizer
    }

    /// The pseudonymizer (for reversing tokens in requests).
    pub fn pseudonymizer(&self) -> &Pseudonymizer {
        &self.pseudonymizer
    }

    /// Waits until the pseudonymizer's keys are derived (they are, in the background, from
    /// start-up), on tokio's blocking pool so that the calling thread's other work goes on.
    pub async fn keys_derived(&self) {
        if self.pseudonymizer.is_derived() {
            return;
        }
        let pseudonymizer = Arc::clone(&self.pseudonymizer);
        // A panic there would be PBKDF2's; the first use of the key would then meet it again.
        let _ = tokio::task::spawn_blocking(move || pseudonymizer.wait_until_derived()).await;
    }

    /// Runs `method path?query` offline with `body` as the upstream's answer. The URL is routed
    /// as written: reversible tokens in it are checked for their form where a parameter schema
    /// asks for one, never decrypted (there is no upstream call to make).
    pub fn run(&self, method: &str, path: &str, query: Option<&str>, body: &[u8]) -> Answer {
        let allowed = match check_path(path)
            .and_then(|()| self.connector.route(&self.policy, method, path, query))
        {
            Ok(allowed) => allowed,
            Err(problem) => return Answer::Refused(problem),
        };
        match self.sanitizer.sanitize(allowed.endpoint, body) {
            Ok(body) => Answer::Sanitized { body },
            Err(e) => Answer::Failed(e),
        }
    }
}
