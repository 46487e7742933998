//! The [`JobStore`]: creating jobs (idempotently or not), reading them, and every change a job
//! goes through, each written as the next state with `PutMode::Create`.

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt as _;
use jiff::Timestamp;
use object_store::path::Path;
use object_store::{ObjectStoreExt as _, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::JobError;
use super::clock::{Clock, SystemClock};
use super::id::JobId;
use super::record::{
    Callback, CallbackAttempt, Job, JobRequest, JobResult, JobStatus, Progress, rfc3339,
};
use crate::problem::Problem;
use crate::stores::Bucket;

/// How many lost races an operation that re-reads and retries accepts before giving up with
/// [`JobError::Conflict`]. Each loss means another writer made progress, so this is only hit
/// under pathological contention.
const MAX_RACES: usize = 16;

/// Timing policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSettings {
    /// How long a claim or renewal holds a job; a worker renews well within it.
    pub lease: Duration,
    /// How long a job may stay queued before the periodic scan treats it as dropped (its
    /// accepting replica died before a worker took it) and offers it to [`JobStore::recover`].
    pub queued_grace: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            queued_grace: Duration::from_secs(60),
        }
    }
}

/// What a new job is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The authenticated caller id.
    pub caller: String,
    /// The request to run.
    pub request: JobRequest,
    /// Where to call back when it ends; `attempts` should be empty.
    pub callback: Option<Callback>,
}

impl NewJob {
    /// A job for `caller` running `request`, without a callback.
    pub fn new(caller: impl Into<String>, request: JobRequest) -> Self {
        Self {
            caller: caller.into(),
            request,
            callback: None,
        }
    }
}

/// What [`JobStore::create_idempotent`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// The key was new: this job was created.
    New(Job),
    /// The key was already used by this caller: this is the job it created (which may run a
    /// different request; comparing `request` is the caller's business).
    Existing(Job),
}

impl Created {
    /// The job, new or existing.
    pub fn job(&self) -> &Job {
        match self {
            Self::New(job) | Self::Existing(job) => job,
        }
    }

    /// The job, new or existing.
    pub fn into_job(self) -> Job {
        match self {
            Self::New(job) | Self::Existing(job) => job,
        }
    }
}

/// How a job ended, for [`JobStore::finish`].
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    /// The result is stored; the job becomes `succeeded`.
    Succeeded(JobResult),
    /// The job becomes `failed` with this problem.
    Failed(Problem),
}

/// One page of [`JobStore::list`].
#[derive(Debug, Clone, PartialEq)]
pub struct JobPage {
    /// The caller's jobs on this page, in ascending id order.
    pub jobs: Vec<Job>,
    /// Pass this to get the next page; `None` on the last page. A token can lead to an empty
    /// last page.
    pub next_page_token: Option<String>,
}

/// What `idempotency/{hash}` holds: the job an `Idempotency-Key` created.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct IdempotencyClaim {
    pub(super) job_id: JobId,
    pub(super) caller: String,
    #[serde(with = "rfc3339")]
    pub(super) created_at: Timestamp,
}

/// The durable job store. Holds no job state itself: every call reads the bucket, so any
/// replica can serve any job.
#[derive(Debug, Clone)]
pub struct JobStore {
    pub(super) bucket: Bucket,
    pub(super) replica: String,
    pub(super) settings: JobSettings,
    pub(super) clock: Arc<dyn Clock>,
}

impl JobStore {
    /// A store over `bucket`, acting as replica `replica` (the lease owner it writes; unique per
    /// running process), on the system clock.
    pub fn new(bucket: Bucket, replica: impl Into<String>, settings: JobSettings) -> Self {
        Self {
            bucket,
            replica: replica.into(),
            settings,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same store reading time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// This replica's id.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// The timing policy.
    pub fn settings(&self) -> &JobSettings {
        &self.settings
    }

    /// Now, by this store's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Creates a queued job (state 0).
    pub async fn create(&self, new: NewJob) -> Result<Job, JobError> {
        let job = self.first_state(JobId::random(), new, None);
        // 128 random bits do not collide; if they ever did, Create keeps the other job intact.
        self.put_state(&job).await?;
        Ok(job)
    }

    /// Creates a queued job unless `caller` already created one with `key`, in which case that
    /// job is returned instead.
    ///
    /// The key is claimed first (`idempotency/{sha256(caller "\n" key)}`, written with
    /// `PutMode::Create`, naming a fresh job id); then state 0 of the named job is written with
    /// `PutMode::Create`. Whoever holds the claim, by winning it or by reading it, writes that
    /// same state 0, so a creator that dies between the two writes leaves no stuck key, and
    /// exactly one job exists per key however many replicas race.
    pub async fn create_idempotent(&self, new: NewJob, key: &str) -> Result<Created, JobError> {
        let claim_key = self.key(&["idempotency", &idempotency_hash(&new.caller, key)]);
        let mut last = None;
        for _ in 0..MAX_RACES {
            let claim = IdempotencyClaim {
                job_id: JobId::random(),
                caller: new.caller.clone(),
                created_at: self.now(),
            };
            let id = if self.put_create(&claim_key, encode(&claim)?).await? {
                claim.job_id
            } else {
                let existing = self
                    .read_json::<IdempotencyClaim>(&claim_key, "idempotency claim")
                    .await?;
                match existing {
                    Some(existing) => existing.job_id,
                    // Swept between our write and our read: claim again.
                    None => continue,
                }
            };
            // The claimant may have died before writing state 0, so whoever reads the claim
            // writes it too; Create lets exactly one of them succeed.
            let job = self.first_state(id.clone(), new.clone(), Some(key.to_owned()));
            if self
                .put_create(&self.state_key(&id, 0), encode(&job)?)
                .await?
            {
                return Ok(Created::New(job));
            }
            if let Some(existing) = self.get(&id).await? {
                return Ok(Created::Existing(existing));
            }
            // State 0 vanished (swept) right after it was written: start over.
            last = Some(id);
        }
        Err(JobError::Conflict {
            id: last.unwrap_or_else(JobId::random),
            seq: 0,
        })
    }

    /// The job `id`, or `None` if it does not exist. Lists `jobs/{id}/` and reads the newest
    /// state: one LIST and one GET.
    pub async fn get(&self, id: &JobId) -> Result<Option<Job>, JobError> {
        for _ in 0..MAX_RACES {
            let Some(seq) = self.latest_seq(id).await? else {
                return Ok(None);
            };
            if let Some(job) = self.read_state(id, seq).await? {
                return Ok(Some(job));
            }
            // The state was deleted between LIST and GET (a sweep): look again.
        }
        Ok(None)
    }

    /// The job `id` if it belongs to `caller`; `None` otherwise, so a caller cannot tell another
    /// caller's job from one that does not exist.
    pub async fn get_for(&self, caller: &str, id: &JobId) -> Result<Option<Job>, JobError> {
        Ok(self.get(id).await?.filter(|job| job.belongs_to(caller)))
    }

    /// Writes state `expected_seq + 1` of job `id`: state `expected_seq` changed by `change`.
    ///
    /// `id`, `caller`, `created_at` and `seq` are kept whatever `change` does; `updated_at` is
    /// set to now (never earlier than the previous state's). Fails with [`JobError::Conflict`]
    /// if another writer wrote that state first, and [`JobError::NotFound`] if state
    /// `expected_seq` does not exist.
    pub async fn transition<F>(
        &self,
        id: &JobId,
        expected_seq: u64,
        change: F,
    ) -> Result<Job, JobError>
    where
        F: FnOnce(&mut Job),
    {
        let current = self
            .read_state(id, expected_seq)
            .await?
            .ok_or_else(|| JobError::NotFound { id: id.clone() })?;
        let mut next = current.clone();
        change(&mut next);
        self.write_next(&current, next).await
    }

    /// Cancels `caller`'s job `id`. Idempotent: a job that already ended (canceled, succeeded or
    /// failed) is returned unchanged. `None` if there is no such job of this caller.
    ///
    /// Cancel wins over a worker still running the job: its later [`finish`](Self::finish) fails
    /// with [`JobError::Ended`] and leaves the job canceled.
    pub async fn cancel(&self, caller: &str, id: &JobId) -> Result<Option<Job>, JobError> {
        if self.get_for(caller, id).await?.is_none() {
            return Ok(None);
        }
        let (job, _) = self
            .update(id, |job| {
                if job.status.is_terminal() {
                    return Ok(None);
                }
                let mut next = job.clone();
                next.status = JobStatus::Canceled;
                next.lease = None;
                next.progress = None;
                Ok(Some(next))
            })
            .await?;
        Ok(Some(job))
    }

    /// Ends job `id`, which this replica must be running under its lease, as succeeded or
    /// failed; the lease and progress are cleared.
    ///
    /// A job that already ended (canceled meanwhile, or finished by another replica that took
    /// it over) is not overwritten: the answer is [`JobError::Ended`], and the worker should
    /// delete the result it stored. A job leased to another replica gives
    /// [`JobError::NotOwner`].
    pub async fn finish(&self, id: &JobId, outcome: JobEnd) -> Result<Job, JobError> {
        let (result, error, status) = match outcome {
            JobEnd::Succeeded(result) => (Some(result), None, JobStatus::Succeeded),
            JobEnd::Failed(problem) => (
                None,
                Some(serde_json::to_value(&problem).map_err(JobError::Encode)?),
                JobStatus::Failed,
            ),
        };
        let (job, _) = self
            .update(id, |job| {
                self.check_owner(job)?;
                let mut next = job.clone();
                next.status = status;
                next.result = result.clone();
                next.error = error.clone();
                next.lease = None;
                next.progress = None;
                Ok(Some(next))
            })
            .await?;
        Ok(job)
    }

    /// Records how far job `id`, which this replica is running, has got.
    pub async fn set_progress(&self, id: &JobId, progress: Progress) -> Result<Job, JobError> {
        let (job, _) = self
            .update(id, |job| {
                self.check_owner(job)?;
                let mut next = job.clone();
                next.progress = Some(progress.clone());
                Ok(Some(next))
            })
            .await?;
        Ok(job)
    }

    /// Appends a callback delivery attempt to job `id` (in any status; callbacks follow the end).
    pub async fn record_callback_attempt(
        &self,
        id: &JobId,
        attempt: CallbackAttempt,
    ) -> Result<Job, JobError> {
        let (job, _) = self
            .update(id, |job| {
                let mut next = job.clone();
                let callback = next
                    .callback
                    .as_mut()
                    .ok_or_else(|| JobError::NoCallback { id: id.clone() })?;
                callback.attempts.push(attempt.clone());
                Ok(Some(next))
            })
            .await?;
        Ok(job)
    }

    /// One page of `caller`'s jobs, in ascending id order (ids are random, so this order is
    /// stable under concurrent creation but unrelated to time).
    ///
    /// Cost: one delimited LIST of `jobs/` (every job of every caller, paged by the store) plus a
    /// LIST and a GET per job examined, until `page_size` of the caller's jobs are found. Fine
    /// for thousands of jobs within retention; beyond that a per-caller index would be needed.
    pub async fn list(
        &self,
        caller: &str,
        page_size: usize,
        page_token: Option<&str>,
    ) -> Result<JobPage, JobError> {
        let after = page_token
            .map(JobId::parse)
            .transpose()
            .map_err(JobError::InvalidPageToken)?;
        let page_size = page_size.max(1);
        let ids: Vec<JobId> = self
            .all_ids()
            .await?
            .into_iter()
            .filter(|id| after.as_ref().is_none_or(|after| id > after))
            .collect();
        let mut jobs = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if let Some(job) = self.get_for(caller, id).await? {
                jobs.push(job);
                if jobs.len() == page_size {
                    let more = i + 1 < ids.len();
                    let next_page_token = more.then(|| id.to_string());
                    return Ok(JobPage {
                        jobs,
                        next_page_token,
                    });
                }
            }
        }
        Ok(JobPage {
            jobs,
            next_page_token: None,
        })
    }

    // ---- shared by the other files of this module ----

    /// Reads the job, lets `decide` choose its next state (`None`: leave it), writes that, and
    /// on a lost race re-reads and decides again. Returns the job as it now is and whether this
    /// call wrote it.
    pub(super) async fn update<F>(&self, id: &JobId, mut decide: F) -> Result<(Job, bool), JobError>
    where
        F: FnMut(&Job) -> Result<Option<Job>, JobError>,
    {
        let mut seq = 0;
        for _ in 0..MAX_RACES {
            let current = self
                .get(id)
                .await?
                .ok_or_else(|| JobError::NotFound { id: id.clone() })?;
            let Some(next) = decide(&current)? else {
                return Ok((current, false));
            };
            match self.write_next(&current, next).await {
                Ok(job) => return Ok((job, true)),
                Err(JobError::Conflict { seq: lost, .. }) => seq = lost,
                Err(e) => return Err(e),
            }
        }
        Err(JobError::Conflict {
            id: id.clone(),
            seq,
        })
    }

    /// Fails unless `job` is running under this replica's lease.
    pub(super) fn check_owner(&self, job: &Job) -> Result<(), JobError> {
        if job.status.is_terminal() {
            return Err(JobError::Ended {
                id: job.id.clone(),
                status: job.status,
            });
        }
        let owner = job.lease.as_ref().map(|lease| lease.owner.clone());
        if job.status == JobStatus::Running && owner.as_deref() == Some(self.replica.as_str()) {
            Ok(())
        } else {
            Err(JobError::NotOwner {
                id: job.id.clone(),
                status: job.status,
                owner,
                replica: self.replica.clone(),
            })
        }
    }

    /// Every job id in the bucket, ascending.
    pub(super) async fn all_ids(&self) -> Result<Vec<JobId>, JobError> {
        let prefix = self.key(&["jobs"]);
        let listing = self
            .bucket
            .store
            .list_with_delimiter(Some(&prefix))
            .await
            .map_err(|e| self.store_error("list", &prefix, e))?;
        let mut ids: Vec<JobId> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().and_then(|name| JobId::parse(name).ok()))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The seqs of job `id`'s states, ascending.
    pub(super) async fn seqs(&self, id: &JobId) -> Result<Vec<u64>, JobError> {
        let prefix = self.job_prefix(id);
        let metas: Vec<_> = self
            .bucket
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| self.store_error("list", &prefix, e))?;
        let mut seqs: Vec<u64> = metas
            .iter()
            .filter_map(|meta| meta.location.filename().and_then(parse_seq))
            .collect();
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// `parts` under the jobs bucket's prefix.
    pub(super) fn key(&self, parts: &[&str]) -> Path {
        self.bucket.key(parts)
    }

    /// `jobs/{id}`.
    pub(super) fn job_prefix(&self, id: &JobId) -> Path {
        self.key(&["jobs", id.as_str()])
    }

    /// `jobs/{id}/{seq}`.
    pub(super) fn state_key(&self, id: &JobId, seq: u64) -> Path {
        self.key(&["jobs", id.as_str(), &format!("{seq:020}")])
    }

    /// Reads and decodes `key`; `None` if it does not exist.
    pub(super) async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &Path,
        what: &'static str,
    ) -> Result<Option<T>, JobError> {
        read_json(&self.bucket, key, what).await
    }

    /// A store error about `key` in this bucket.
    pub(super) fn store_error(
        &self,
        action: &'static str,
        key: &Path,
        source: object_store::Error,
    ) -> JobError {
        store_error(&self.bucket, action, key, source)
    }

    // ---- private ----

    fn first_state(&self, id: JobId, new: NewJob, idempotency_key: Option<String>) -> Job {
        let now = self.now();
        Job {
            id,
            caller: new.caller,
            status: JobStatus::Queued,
            created_at: now,
            updated_at: now,
            request: new.request,
            progress: None,
            result: None,
            error: None,
            lease: None,
            callback: new.callback,
            idempotency_key,
            seq: 0,
        }
    }

    async fn latest_seq(&self, id: &JobId) -> Result<Option<u64>, JobError> {
        Ok(self.seqs(id).await?.last().copied())
    }

    async fn read_state(&self, id: &JobId, seq: u64) -> Result<Option<Job>, JobError> {
        let key = self.state_key(id, seq);
        let Some(mut job) = self.read_json::<Job>(&key, "job record").await? else {
            return Ok(None);
        };
        // The key is the truth: a record copied to another key must not speak for that job.
        if job.id != *id {
            return Err(JobError::Corrupt {
                key: key.to_string(),
                bucket: self.bucket.url.clone(),
                what: "job record",
                source: serde::de::Error::custom(format!("it names job {}", job.id)),
            });
        }
        job.seq = seq;
        Ok(Some(job))
    }

    async fn write_next(&self, current: &Job, mut next: Job) -> Result<Job, JobError> {
        next.id = current.id.clone();
        next.caller = current.caller.clone();
        next.created_at = current.created_at;
        next.seq = current.seq + 1;
        // Replica clocks differ a little; a job's history must not run backwards.
        next.updated_at = self.now().max(current.updated_at);
        let key = self.state_key(&next.id, next.seq);
        if self.put_create(&key, encode(&next)?).await? {
            Ok(next)
        } else {
            Err(JobError::Conflict {
                id: next.id,
                seq: next.seq,
            })
        }
    }

    async fn put_state(&self, job: &Job) -> Result<(), JobError> {
        let key = self.state_key(&job.id, job.seq);
        if self.put_create(&key, encode(job)?).await? {
            Ok(())
        } else {
            Err(JobError::Conflict {
                id: job.id.clone(),
                seq: job.seq,
            })
        }
    }

    /// Writes `key` only if it does not exist: `Ok(false)` if it does.
    async fn put_create(&self, key: &Path, body: Vec<u8>) -> Result<bool, JobError> {
        let options = PutOptions::from(PutMode::Create);
        match self
            .bucket
            .store
            .put_opts(key, PutPayload::from(body), options)
            .await
        {
            Ok(_) => Ok(true),
            // Stores answer an existing key with AlreadyExists or, for if-none-match over HTTP,
            // a failed precondition.
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            Err(e) => Err(self.store_error("write", key, e)),
        }
    }
}

/// `sha256(caller "\n" key)` in hex: the idempotency claim's name. Hashing keeps caller-chosen
/// text out of keys and scopes the key to the caller.
pub(super) fn idempotency_hash(caller: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(caller.as_bytes());
    hasher.update(b"\n");
    hasher.update(key.as_bytes());
    hex::encode(hasher.finalize())
}

/// Reads and decodes `key` in `bucket`; `None` if it does not exist.
async fn read_json<T: serde::de::DeserializeOwned>(
    bucket: &Bucket,
    key: &Path,
    what: &'static str,
) -> Result<Option<T>, JobError> {
    let bytes = match bucket.store.get(key).await {
        Ok(got) => got.bytes().await,
        Err(e) => Err(e),
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(store_error(bucket, "read", key, e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| JobError::Corrupt {
            key: key.to_string(),
            bucket: bucket.url.clone(),
            what,
            source,
        })
}

/// A store error about `key` in `bucket`.
pub(super) fn store_error(
    bucket: &Bucket,
    action: &'static str,
    key: &Path,
    source: object_store::Error,
) -> JobError {
    JobError::Store {
        action,
        key: key.to_string(),
        bucket: bucket.url.clone(),
        source: Box::new(source),
    }
}

/// The JSON of a record.
fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, JobError> {
    serde_json::to_vec(value).map_err(JobError::Encode)
}

/// A state object's seq from its name: exactly 20 digits.
fn parse_seq(name: &str) -> Option<u64> {
    (name.len() == 20 && name.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.parse().ok())
        .flatten()
}
