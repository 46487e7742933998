//! The durable job store behind asynchronous request-reply (`Prefer: respond-async`).
//!
//! All job state lives in an object store, so any replica can answer for any job and nothing is
//! cached between calls. The layout under the jobs [`Bucket`](crate::stores::Bucket)'s prefix:
//!
//! | key | holds |
//! |---|---|
//! | `jobs/{id}/{seq}` | state `seq` of job `id` (a [`Job`] as JSON); `seq` is 20 zero-padded digits, so lexical order is numeric order |
//! | `idempotency/{sha256(caller "\n" key)}` | which job an `Idempotency-Key` created |
//! | `results/{yyyymmdd}/{id}` | the sanitized answer (in the results bucket, which may be another one) |
//!
//! A job is an append-only sequence of states and its newest state is the job. A change writes
//! state N+1 with `PutMode::Create` (if-none-match), the one conditional write every backend
//! supports: two writers that both read state N cannot both write N+1, so the loser gets
//! [`JobError::Conflict`], re-reads and decides again. Leases ([`JobStore::claim`]) are such writes
//! too, which is how a job whose replica died is taken over by another.
//!
//! Files: `id` (ids and their parser), `record` (the record format), `clock`, `store` (create,
//! read, change, cancel, finish, list), `lease` (claim, renew, recovery after a crash), `sweep`
//! (retention), `run` (running jobs on this replica: the queue, workers, leases, recovery),
//! `callback` (delivering their callbacks). The HTTP routes are the proxy's
//! (`proxy/jobs_api.rs`).

pub mod callback;
mod clock;
mod id;
mod lease;
mod record;
pub(crate) mod run;
mod store;
mod sweep;

pub use clock::{Clock, ManualClock, SystemClock};
pub use id::{InvalidJobId, JobId};
pub use lease::{Claim, Interruption, Recovery, interruption};
pub use record::{
    Callback, CallbackAttempt, CallbackMode, CallbackOutcome, Job, JobRequest, JobResult,
    JobStatus, Lease, Progress,
};
pub use run::Jobs;
pub use store::{Created, JobEnd, JobPage, JobSettings, JobStore, NewJob};
pub use sweep::SweepReport;

use jiff::Timestamp;

/// The key of a job's result, relative to the results bucket's prefix: `results/{yyyymmdd}/{id}`,
/// dated (UTC) by `at`, the time the result is written. [`JobStore::sweep`] purges whole days.
pub fn result_key(id: &JobId, at: Timestamp) -> String {
    format!("results/{}/{id}", at.strftime("%Y%m%d"))
}

/// Why a job store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Another writer wrote the next state first.
    #[error(
        "job {id} changed under this writer: state {seq} was written by another one first; \
         re-read the job and decide again"
    )]
    Conflict {
        /// The job.
        id: JobId,
        /// The state this writer tried to write.
        seq: u64,
    },
    /// The job does not exist (never created, or purged after retention).
    #[error("job {id} does not exist (never created, or purged after its retention)")]
    NotFound {
        /// The job.
        id: JobId,
    },
    /// The job is not running under a lease held by this replica.
    #[error(
        "job {id} is {status} and leased to {}, not to this replica ({replica})",
        owner.as_deref().unwrap_or("no one")
    )]
    NotOwner {
        /// The job.
        id: JobId,
        /// Its status.
        status: JobStatus,
        /// The replica holding its lease, if any.
        owner: Option<String>,
        /// This replica.
        replica: String,
    },
    /// The job already ended; it is not changed.
    #[error("job {id} already ended as {status}; it was not changed")]
    Ended {
        /// The job.
        id: JobId,
        /// How it ended.
        status: JobStatus,
    },
    /// A callback attempt was recorded for a job without a callback.
    #[error("job {id} has no callback, so no callback attempt can be recorded for it")]
    NoCallback {
        /// The job.
        id: JobId,
    },
    /// A page token that this store did not hand out.
    #[error("invalid page token: {0}; pass the `next_page_token` of the previous page")]
    InvalidPageToken(#[source] InvalidJobId),
    /// The object store failed.
    #[error("cannot {action} `{key}` in {bucket}: {source}")]
    Store {
        /// What was being done (`read`, `write`, `list`, `delete`).
        action: &'static str,
        /// The key or prefix.
        key: String,
        /// The bucket's URL.
        bucket: String,
        /// The store's error (boxed: it is large, and this path is rare).
        #[source]
        source: Box<object_store::Error>,
    },
    /// An object in the store is not what this version of sluice writes.
    #[error("`{key}` in {bucket} is not a valid {what}: {source}")]
    Corrupt {
        /// The key.
        key: String,
        /// The bucket's URL.
        bucket: String,
        /// What it should have been.
        what: &'static str,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A record or problem document could not be turned into JSON.
    #[error("cannot encode a job record as JSON: {0}")]
    Encode(#[source] serde_json::Error),
}
