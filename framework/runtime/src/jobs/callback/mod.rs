//! Callbacks: when an async job ends, the proxy POSTs to the caller's `Asynchronous-End-Point`
//! (`Accept-Asynchronous: notify|response`). This module owns the sending: the settings, the
//! check of the URL when a job is accepted, Standard Webhooks signatures ([`WebhookSecret`],
//! [`verify`]), the SSRF guard of the connections, and delivery with retries
//! ([`Callbacks::deliver`]). Which body is sent and when is the job workers' business.
//!
//! Files: `sign` (signatures), `guard` (which addresses may be called), `deliver` (the sender).
//!
//! # What a callback request carries
//!
//! `POST` to the URL with the body, and only these headers besides `host` and
//! `content-length`: `content-type`, `user-agent: sluice/<version>`, `webhook-id` (the message
//! id, the same on every retry, so a receiver can drop duplicates), `webhook-timestamp` (Unix
//! seconds of this attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, absent when no
//! `SLUICE_WEBHOOK_SECRET` is set). Nothing the caller sent is forwarded. Redirects are not
//! followed.
//!
//! # Which answers end delivery
//!
//! Any `2xx` is success. A connection error, a timeout (`SLUICE_CALLBACK_TIMEOUT` per attempt,
//! default 10 s), `429` or `5xx` is retried. Any other status (`3xx`, `4xx`) is permanent: the
//! receiver refused the message and sending it again would not change that. A target the SSRF
//! guard refuses is not retried either. Every attempt is appended to the job record.
//!
//! # Retry schedule
//!
//! With `d` = `SLUICE_CALLBACK_BACKOFF` (default 5 s) and at most `SLUICE_CALLBACK_ATTEMPTS`
//! attempts (default 8), attempt 1 is immediate and the wait before attempt `n + 1` is drawn
//! uniformly from `[b, 2b)`, where `b = min(d · 2^(n−1), 5 min)` (or `d`, if `d` is longer than
//! 5 min). The base doubles and the random part is at most the base, so a retry never comes
//! sooner than the unjittered schedule and each wait's range starts where the previous one's
//! ends. This is AWS's "equal jitter" (half fixed, half random, over an envelope of `2b`), chosen
//! over full jitter (which may retry almost at once) and decorrelated jitter (whose waits may
//! shrink) because a receiver that just failed gets at least `d`, then `2d`, … of rest. When a
//! `429` or `5xx` carries `Retry-After: <seconds>`, the wait is at least that, up to 5 min.
//!
//! With the defaults:
//!
//! | attempt | waits before it | time since the first attempt, at least |
//! |---|---|---|
//! | 1 | — | 0 |
//! | 2 | 5–10 s | 5 s |
//! | 3 | 10–20 s | 15 s |
//! | 4 | 20–40 s | 35 s |
//! | 5 | 40–80 s | 1 min 15 s |
//! | 6 | 80–160 s | 2 min 35 s |
//! | 7 | 160–320 s | 5 min 15 s |
//! | 8 | 300–600 s | 10 min 15 s |
//!
//! so delivery gives up after 10¼ to 20½ minutes of waiting (plus up to 8 × the timeout).

mod deliver;
mod guard;
mod sign;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http::uri::Scheme;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub use deliver::Delivery;
pub use guard::Refused;
pub use sign::{VerifyError, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, verify};

pub use crate::config::callbacks::{CallbackSettings, SecretError, WebhookSecret};

use crate::problem::{Problem, ProblemType};
use guard::{Guard, GuardedConnector};

/// The longest base wait between two attempts (see the retry schedule above).
const MAX_DELAY: Duration = Duration::from_secs(5 * 60);

/// The callback sender: a pooled HTTP(S) client over the SSRF-guarded connector. Build one at
/// start-up and share it.
pub struct Callbacks {
    client: Client<HttpsConnector<GuardedConnector>, Full<Bytes>>,
    guard: Arc<Guard>,
    settings: CallbackSettings,
}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callbacks")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Callbacks {
    /// The sender. Logs a warning when `settings` has no secret: receivers then cannot tell a
    /// callback from a forgery.
    pub fn new(settings: CallbackSettings) -> Self {
        if settings.secret.is_none() {
            tracing::warn!(
                "SLUICE_WEBHOOK_SECRET is not set: callbacks are sent unsigned, so receivers \
                 cannot tell them from forgeries; set it to whsec_ and a base64 key"
            );
        }
        let guard = Arc::new(Guard::new(settings.allow_networks.clone()));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::upstream::tls_config())
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(GuardedConnector::new(guard.clone()));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Self {
            client,
            guard,
            settings,
        }
    }

    /// The settings it sends with.
    pub fn settings(&self) -> &CallbackSettings {
        &self.settings
    }

    /// Checks a caller's `Asynchronous-End-Point` when the job is accepted: an absolute `http`
    /// or `https` URL with a host and no user name or password. A host written as an IP address
    /// the guard would refuse is refused here already; host names are checked when connecting.
    pub fn check_url(&self, url: &str) -> Result<Uri, Problem> {
        let refuse = |what: String| {
            Problem::new(
                ProblemType::InvalidCallback,
                format!(
                    "Asynchronous-End-Point {what}; expected an absolute http:// or https:// URL \
                     with a host and no user name or password, like \
                     https://collector.example/jobs/done"
                ),
            )
        };
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|_| refuse(format!("`{url}` is not an absolute URL")))?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::HTTPS,
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::HTTP,
            Some(s) => return Err(refuse(format!("`{url}` uses the scheme `{s}`"))),
            None => return Err(refuse(format!("`{url}` is not an absolute URL"))),
        };
        let Some(authority) = uri.authority() else {
            return Err(refuse(format!("`{url}` has no host")));
        };
        if authority.as_str().contains('@') {
            // Not echoed: the part before `@` may be a password.
            return Err(refuse("holds a user name or password".into()));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(refuse(format!("`{url}` has no host")));
        }
        let mut parts = uri.into_parts();
        parts.scheme = Some(scheme);
        let uri = Uri::from_parts(parts).map_err(|_| refuse(format!("`{url}` is not a URL")))?;
        self.guard.check_literal(&uri).map_err(|refused| {
            Problem::new(
                ProblemType::InvalidCallback,
                format!("Asynchronous-End-Point `{url}` cannot be called back: {refused}"),
            )
        })?;
        Ok(uri)
    }
}
