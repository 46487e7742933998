//! The job record: what one state object `jobs/{id}/{seq}` holds, and what the status monitor
//! shows a caller. Field names are a user-visible contract (they are the body of a `202` and of
//! `GET /_sluice/jobs/{id}`); add fields, never rename them.
//!
//! ```json
//! {
//!   "id": "6f1c0a7e2b9d4c58a3e1f0b2c4d6e8fa",
//!   "caller": "analytics",
//!   "status": "succeeded",
//!   "created_at": "2025-01-02T03:04:05Z",
//!   "updated_at": "2025-01-02T03:04:09.5Z",
//!   "request": { "method": "GET", "path": "/orgs/acme/members", "query": "per_page=50",
//!                "endpoint": 3, "idempotent": true },
//!   "progress": null,
//!   "result": { "location": "results/20250102/6f1c…", "size": 5120,
//!               "content_type": "application/json", "upstream_status": 200,
//!               "expires_at": "2025-01-03T03:04:09.5Z" },
//!   "error": null,
//!   "lease": null,
//!   "callback": { "url": "https://collector.example/done", "mode": "notify",
//!                 "attempts": [ { "at": "2025-01-02T03:04:10Z", "status": 204 } ] },
//!   "idempotency_key": "nightly-2025-01-02",
//!   "seq": 3
//! }
//! ```
//!
//! Every top-level field is always present (`null` when absent), so clients see one shape.
//! Times are RFC 3339 in UTC.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::id::JobId;

/// One state of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The job's id.
    pub id: JobId,
    /// The authenticated caller that created the job; only it can see or cancel the job.
    pub caller: String,
    /// Where the job is in its life.
    pub status: JobStatus,
    /// When the job was accepted.
    #[serde(with = "rfc3339")]
    pub created_at: Timestamp,
    /// When this state was written.
    #[serde(with = "rfc3339")]
    pub updated_at: Timestamp,
    /// The proxied request the job runs.
    pub request: JobRequest,
    /// How far a running job has got, as its worker reports it.
    #[serde(default)]
    pub progress: Option<Progress>,
    /// Where the sanitized answer is, once the job succeeded.
    #[serde(default)]
    pub result: Option<JobResult>,
    /// Why the job failed: an RFC 9457 problem document (`type`, `title`, `status`, `detail`, …).
    #[serde(default)]
    pub error: Option<serde_json::Value>,
    /// Which replica is running the job, and until when it may without renewing.
    #[serde(default)]
    pub lease: Option<Lease>,
    /// Where to tell the caller the job ended, and how that went.
    #[serde(default)]
    pub callback: Option<Callback>,
    /// The caller's `Idempotency-Key`, if the job was created with one.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// The state's number: 0 when created, one more at every change.
    pub seq: u64,
}

impl Job {
    /// Whether `caller` may see this job.
    pub fn belongs_to(&self, caller: &str) -> bool {
        self.caller == caller
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Accepted, waiting for a worker.
    Queued,
    /// A worker holds a lease on it and is calling the upstream.
    Running,
    /// Done; the result is stored.
    Succeeded,
    /// Done; `error` says why it failed.
    Failed,
    /// The caller canceled it before it finished.
    Canceled,
}

impl JobStatus {
    /// Whether the job has ended: nothing but callback bookkeeping changes it any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// The status as it is written in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The proxied request a job runs (its body, if any, is not part of the record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// Request path, as the caller sent it.
    pub path: String,
    /// Query string without the `?`, if any.
    #[serde(default)]
    pub query: Option<String>,
    /// Index of the matched endpoint in the connector's rules.
    pub endpoint: usize,
    /// Whether the method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS): an interrupted job is
    /// re-run only if it is.
    pub idempotent: bool,
    /// The request headers the rules forward upstream, as `[name, value]` pairs, so that any
    /// replica can run the job. Not shown to callers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<[String; 2]>,
    /// The request body, base64 (standard alphabet), if there is one. Not shown to callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `scheme://host[:port]` the caller reached the proxy at (see [`crate::origin`]), for the
    /// absolute URLs in the job's callback; `None` when the request named no usable host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl JobRequest {
    /// A request; `idempotent` follows from the method (RFC 9110 §9.2.2).
    pub fn new(
        method: impl Into<String>,
        path: impl Into<String>,
        query: Option<String>,
        endpoint: usize,
    ) -> Self {
        let method = method.into().to_ascii_uppercase();
        let idempotent = matches!(
            method.as_str(),
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS"
        );
        Self {
            method,
            path: path.into(),
            query,
            endpoint,
            idempotent,
            headers: Vec::new(),
            body: None,
            origin: None,
        }
    }
}

/// How far a running job has got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// What the worker is doing, for people.
    #[serde(default)]
    pub message: Option<String>,
    /// Percent done, 0 to 100, when the worker can tell.
    #[serde(default)]
    pub percent: Option<u8>,
}

/// Where a succeeded job's sanitized answer is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobResult {
    /// Object key of the result, relative to the results bucket's prefix
    /// (`results/{yyyymmdd}/{id}`, see [`result_key`](super::result_key)).
    pub location: String,
    /// Size of the stored body in bytes.
    pub size: u64,
    /// Media type of the body.
    pub content_type: String,
    /// The status the upstream answered with.
    pub upstream_status: u16,
    /// When the result is purged; the proxy answers 404 for it after that.
    #[serde(with = "rfc3339")]
    pub expires_at: Timestamp,
}

/// A replica's hold on a running job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The replica id of the holder.
    pub owner: String,
    /// When the hold lapses unless renewed; after that any replica may take the job over.
    #[serde(with = "rfc3339")]
    pub expires_at: Timestamp,
}

/// Where and how to tell the caller a job ended (RFC 7240 `Accept-Asynchronous`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// The caller's `Asynchronous-End-Point`.
    pub url: String,
    /// What is POSTed there.
    pub mode: CallbackMode,
    /// Every delivery attempt so far, oldest first.
    #[serde(default)]
    pub attempts: Vec<CallbackAttempt>,
}

/// What a callback POSTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallbackMode {
    /// The job record.
    Notify,
    /// The result body.
    Response,
}

/// One callback delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAttempt {
    /// When the attempt was made.
    #[serde(with = "rfc3339")]
    pub at: Timestamp,
    /// How it ended: `{"status": 204}` or `{"error": "connection refused"}`.
    #[serde(flatten)]
    pub outcome: CallbackOutcome,
}

/// How a callback attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CallbackOutcome {
    /// The endpoint answered with this HTTP status.
    Answered {
        /// The status.
        status: u16,
    },
    /// No answer: connection, TLS or timeout error.
    Unreachable {
        /// What went wrong.
        error: String,
    },
}

/// RFC 3339 text for timestamps (jiff's `serde` feature is not enabled in this workspace).
pub(super) mod rfc3339 {
    use jiff::Timestamp;
    use serde::{Deserialize as _, Deserializer, Serializer, de::Error as _};

    pub(in crate::jobs) fn serialize<S: Serializer>(
        at: &Timestamp,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(at)
    }

    pub(in crate::jobs) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e| D::Error::custom(format!("`{text}` is not an RFC 3339 time: {e}")))
    }
}
