//! The sender: one message to one endpoint, signed, retried on the schedule documented in
//! [`callback`](super), every attempt appended to the job record.

use std::time::Duration;

use backon::{BackoffBuilder as _, ExponentialBuilder};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, USER_AGENT};
use http::{Request, Uri};
use http_body_util::Full;

use super::guard::find_refused;
use super::sign::{WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP};
use super::{Callbacks, MAX_DELAY};
use crate::jobs::{CallbackAttempt, CallbackOutcome, JobId, JobStore};

const AGENT: &str = concat!("sluice/", env!("CARGO_PKG_VERSION"));

/// How delivering one message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The endpoint answered `2xx`.
    Delivered {
        /// Attempts made, the successful one included.
        attempts: u32,
        /// The `2xx` status.
        status: u16,
    },
    /// Every attempt allowed failed, or the endpoint answered a status that is not retried.
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// What the last attempt got.
        last: String,
    },
    /// The SSRF guard refused the target; nothing was sent.
    Refused {
        /// Which address was refused, in which range, and how an operator would allow it.
        reason: String,
    },
}

/// What one attempt got.
enum Attempt {
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    Unreachable(String),
    Refused(String),
}

/// The waits between attempts: `max_attempts - 1` of them, see the module docs of `callback`.
pub(super) fn schedule(first_delay: Duration, max_attempts: u32) -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(first_delay)
        .with_factor(2.0)
        .with_max_delay(MAX_DELAY.max(first_delay))
        .with_max_times(max_attempts.saturating_sub(1) as usize)
        .with_jitter()
        .build()
}

impl Callbacks {
    /// Delivers one message: POSTs `body` as `content_type` to `url`, signed, as webhook
    /// `message_id` (the same on every retry). Retries connection errors, timeouts, `429` and
    /// `5xx` on the schedule in the module docs, up to `max_attempts` attempts; `2xx` is
    /// success, any other status ends delivery. Every attempt is appended to job `job_id`'s
    /// record; a failure to record is logged and delivery goes on. A target the SSRF guard
    /// refuses is recorded as an unreachable attempt and not retried.
    ///
    /// `message_id` must be a valid header value without `.` (Standard Webhooks signs
    /// `{id}.{timestamp}.{body}`); if it is not, or `content_type` is not a valid header value,
    /// nothing is sent and the answer is `GaveUp` after 0 attempts.
    pub async fn deliver(
        &self,
        store: &JobStore,
        job_id: &JobId,
        url: &Uri,
        message_id: &str,
        body: Bytes,
        content_type: &str,
    ) -> Delivery {
        let (id, content_type) = match (
            HeaderValue::from_str(message_id)
                .ok()
                .filter(|_| !message_id.is_empty() && !message_id.contains('.')),
            HeaderValue::from_str(content_type).ok(),
        ) {
            (Some(id), Some(content_type)) => (id, content_type),
            _ => {
                let last = format!(
                    "not sent: the message id `{}` must be non-empty header text without `.`, \
                     and the content type `{}` header text",
                    message_id.escape_default(),
                    content_type.escape_default()
                );
                tracing::error!(job = %job_id, "{last}");
                return Delivery::GaveUp { attempts: 0, last };
            }
        };
        let host = url.host().unwrap_or_default();
        let mut waits = schedule(self.settings.first_delay, self.settings.max_attempts);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let at = store.now();
            let attempt = self
                .attempt(url, message_id, &id, &body, &content_type)
                .await;
            let outcome = match &attempt {
                Attempt::Answered { status, .. } => CallbackOutcome::Answered { status: *status },
                Attempt::Unreachable(error) | Attempt::Refused(error) => {
                    CallbackOutcome::Unreachable {
                        error: error.clone(),
                    }
                }
            };
            tracing::info!(job = %job_id, host, attempt = attempts, outcome = ?outcome, "callback attempt");
            if let Err(e) = store
                .record_callback_attempt(job_id, CallbackAttempt { at, outcome })
                .await
            {
                tracing::warn!(job = %job_id, error = %e, "callback attempt not recorded");
            }
            let (last, retry_after) = match attempt {
                Attempt::Answered { status, .. } if (200..300).contains(&status) => {
                    return Delivery::Delivered { attempts, status };
                }
                Attempt::Refused(reason) => {
                    tracing::warn!(job = %job_id, "{reason}");
                    return Delivery::Refused { reason };
                }
                Attempt::Answered {
                    status,
                    retry_after,
                } if status == 429 || status >= 500 => (answered(status), retry_after),
                Attempt::Answered { status, .. } => {
                    return Delivery::GaveUp {
                        attempts,
                        last: format!("{}; not retried", answered(status)),
                    };
                }
                Attempt::Unreachable(error) => (error, None),
            };
            let Some(wait) = waits.next() else {
                tracing::warn!(job = %job_id, host, attempts, last, "callback given up");
                return Delivery::GaveUp { attempts, last };
            };
            let wait = retry_after.map_or(wait, |asked| wait.max(asked.min(MAX_DELAY)));
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        url: &Uri,
        message_id: &str,
        id: &HeaderValue,
        body: &Bytes,
        content_type: &HeaderValue,
    ) -> Attempt {
        let timestamp = jiff::Timestamp::now().as_second();
        let mut request = Request::post(url.clone())
            .header(CONTENT_TYPE, content_type)
            .header(USER_AGENT, AGENT)
            .header(WEBHOOK_ID, id)
            .header(WEBHOOK_TIMESTAMP, timestamp);
        if let Some(secret) = &self.settings.secret {
            request = request.header(WEBHOOK_SIGNATURE, secret.sign(message_id, timestamp, body));
        }
        let request = match request.body(Full::new(body.clone())) {
            Ok(request) => request,
            Err(e) => return Attempt::Unreachable(format!("cannot build the request: {e}")),
        };
        let timeout = self.settings.timeout;
        match tokio::time::timeout(timeout, self.client.request(request)).await {
            Err(_) => Attempt::Unreachable(format!("no answer within {timeout:?}")),
            Ok(Err(e)) => match find_refused(&e) {
                Some(refused) => Attempt::Refused(refused.to_string()),
                None => Attempt::Unreachable(crate::upstream::error_chain(&e)),
            },
            Ok(Ok(response)) => Attempt::Answered {
                status: response.status().as_u16(),
                retry_after: response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
            },
        }
    }
}

fn answered(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("answered {status} {reason}").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_up_to_as_much_again_of_jitter_and_are_capped() {
        let d = Duration::from_secs(5);
        for _ in 0..50 {
            let waits: Vec<Duration> = schedule(d, 8).collect();
            assert_eq!(waits.len(), 7);
            for (n, wait) in waits.iter().enumerate() {
                let base = (d * 2u32.pow(n as u32)).min(MAX_DELAY);
                // backon computes in f32: allow a millisecond of rounding.
                let slack = Duration::from_millis(1);
                assert!(
                    *wait + slack >= base && *wait < base * 2 + slack,
                    "wait {n}: {wait:?}"
                );
            }
        }
        assert_eq!(schedule(d, 1).count(), 0);
    }

    #[test]
    fn a_first_delay_above_the_cap_is_kept() {
        let d = Duration::from_secs(600);
        assert!(schedule(d, 3).all(|w| w + Duration::from_millis(1) >= d));
    }

    #[test]
    fn answers_read_like_http() {
        assert_eq!(answered(503), "answered 503 Service Unavailable");
        assert_eq!(answered(599), "answered 599");
    }
}
