//! Running asynchronous jobs on this replica: the bounded queue, the worker pool, the lease a
//! running job holds (renewed while it runs, and watched for cancellation by any replica),
//! writing results, the periodic recovery scan that takes over jobs of replicas that died, and
//! the retention sweep. Job state itself lives only in the [`JobStore`]; this module keeps
//! nothing about a job that another replica would need.
//!
//! The runner knows the proxy only as a [`JobHost`], the small trait the proxy implements to run
//! a job's request through its own pipeline; it never names the proxy's modules.
//!
//! A job's life here: [`spawn_job`] takes a queue slot (the caller got 503 if there was
//! none, 429 if it already held its share of the queue) and waits for a worker slot; the worker claims the job (a conditional write, so of
//! several replicas exactly one runs it), runs the request through the same pipeline as a sync
//! request (upstream call, sanitizing, side outputs), stores the result, finishes the job, then
//! hands it to the callback sender.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::TryStreamExt as _;
use governor::{DefaultKeyedRateLimiter, Quota};
use http::HeaderMap;
use http::Method;
use http::header::CONTENT_TYPE;
use object_store::{ObjectStoreExt as _, PutPayload};
use sha2::{Digest as _, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio_util::sync::CancellationToken;

use super::callback::Callbacks;
use super::{
    CallbackMode, Claim, Job, JobEnd, JobError, JobId, JobResult, JobSettings, JobStatus, JobStore,
    Recovery, result_key,
};
use crate::auth::Caller;
use crate::config::{AsyncConfig, ConfigProblem};
use crate::connector::CallerResponse;
use crate::metrics::Metrics;
use crate::problem::{Problem, ProblemType};
use crate::stores::Bucket;

/// A job's sanitized answer. The body is shared, not copied, between the result object, the
/// callback and a caller still waiting (`Prefer: wait=N`).
pub(crate) struct JobAnswer {
    /// The upstream's status.
    pub(crate) status: http::StatusCode,
    /// The headers a sync caller would have got.
    pub(crate) headers: HeaderMap,
    /// The sanitized body.
    pub(crate) body: Bytes,
}

/// How a finished job answered, for a caller still waiting on it (`Prefer: wait=N`).
pub(crate) type Finished = Result<Arc<JobAnswer>, Problem>;

/// This replica's asynchronous processing: settings, the store, and the local queue.
pub struct Jobs {
    /// The job records.
    pub(crate) store: JobStore,
    /// Where results are written (the same bucket as the records, under `results/`).
    pub(crate) results: Bucket,
    /// The settings.
    pub(crate) config: AsyncConfig,
    /// Slots for jobs accepted here and not yet finished.
    queue: Arc<Semaphore>,
    /// How many of those each caller holds (only callers holding some), for the per-caller share.
    held: Arc<Mutex<HashMap<String, usize>>>,
    /// Slots for jobs running here.
    workers: Arc<Semaphore>,
    /// Jobs running here, to stop them when a caller cancels through this replica.
    running: Mutex<HashMap<JobId, CancellationToken>>,
    /// Jobs queued here, which the recovery scan leaves alone.
    queued: Mutex<HashSet<JobId>>,
    /// Callback delivery.
    pub(crate) callbacks: Callbacks,
    /// Per-caller limit on status, result and list requests.
    pub(crate) polls: DefaultKeyedRateLimiter<String>,
    /// The serving threads' runtimes, when the server runs a thread per core: jobs the
    /// recovery scan finds run there, not on the runtime that accepts connections.
    serving: OnceLock<Vec<tokio::runtime::Handle>>,
    /// Round-robin position over `serving`.
    next_serving: AtomicUsize,
    /// Set at shutdown: jobs not yet started stay queued in the store for any replica.
    closing: AtomicBool,
}

impl Jobs {
    /// Opens the job store and results bucket named by `config`.
    pub fn open(config: AsyncConfig) -> Result<Self, ConfigProblem> {
        let bucket = Bucket::open(&config.destination)?;
        if config.location == sluice_spec::connector::ResultLocation::Presigned
            && !bucket.can_sign()
        {
            return Err(ConfigProblem(format!(
                "`async.location: presigned` needs a results bucket that can presign URLs \
                 (s3://, gs://, az://); {} cannot. Use `location: proxy`, or another \
                 ASYNC_OUTPUT_DESTINATION",
                bucket.url
            )));
        }
        let settings = JobSettings {
            lease: config.lease,
            ..JobSettings::default()
        };
        let store = JobStore::new(bucket.clone(), config.replica.clone(), settings);
        let per_second = NonZeroU32::new(config.poll_rate).unwrap_or(NonZeroU32::MIN);
        let burst = per_second.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        let polls = governor::RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst));
        Ok(Self {
            store,
            results: bucket,
            queue: Arc::new(Semaphore::new(config.queue_capacity)),
            held: Arc::new(Mutex::new(HashMap::new())),
            workers: Arc::new(Semaphore::new(config.workers)),
            running: Mutex::new(HashMap::new()),
            queued: Mutex::new(HashSet::new()),
            callbacks: Callbacks::new(config.callbacks.clone()),
            polls,
            config,
            serving: OnceLock::new(),
            next_serving: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
        })
    }

    /// Runs jobs started off the serving threads (recovered jobs) on `runtimes` from now on.
    pub(crate) fn run_on(&self, runtimes: Vec<tokio::runtime::Handle>) {
        let _ = self.serving.set(runtimes);
    }

    /// Where a job started on this thread should run: on a serving thread when this thread is
    /// not one and the server has them; `None` for the current runtime.
    fn runtime_for_job(&self) -> Option<tokio::runtime::Handle> {
        if crate::shard::current() != 0 {
            return None;
        }
        let runtimes = self.serving.get().filter(|r| !r.is_empty())?;
        let next = self.next_serving.fetch_add(1, Ordering::Relaxed);
        Some(runtimes[next % runtimes.len()].clone())
    }

    /// At shutdown: lets the jobs running here finish, and leaves those queued here and not
    /// yet started queued in the store, where any replica's recovery scan finds them (this one's
    /// after a restart). Completes once no job is left here; the caller bounds the wait.
    pub async fn wind_down(&self) {
        self.closing.store(true, Ordering::SeqCst);
        let all = u32::try_from(self.config.queue_capacity).unwrap_or(u32::MAX);
        // Every job here holds a queue slot until it ends.
        drop(self.queue.acquire_many(all).await);
    }

    fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// A queue slot for a recovered job, if the queue has room. Recovered jobs were accepted by
    /// another replica and count against no caller's share here.
    pub(crate) fn queue_slot(&self) -> Option<QueueSlot> {
        let permit = self.queue.clone().try_acquire_owned().ok()?;
        Some(QueueSlot {
            _permit: permit,
            _share: None,
        })
    }

    /// A queue slot for a job `caller` is submitting: refused when the queue is full, or when
    /// the caller already holds its share of it (`SLUICE_JOB_QUEUE_PER_CALLER`).
    pub(crate) fn caller_queue_slot(&self, caller: &str) -> Result<QueueSlot, QueueRefusal> {
        let mut held = lock(&self.held);
        let permit = self
            .queue
            .clone()
            .try_acquire_owned()
            .map_err(|_| QueueRefusal::Full)?;
        let count = held.get(caller).copied().unwrap_or(0);
        if count >= self.config.queue_per_caller {
            return Err(QueueRefusal::CallerShare);
        }
        held.insert(caller.to_owned(), count + 1);
        Ok(QueueSlot {
            _permit: permit,
            _share: Some(CallerShare {
                held: self.held.clone(),
                caller: caller.to_owned(),
            }),
        })
    }

    /// Stops job `id` if it runs on this replica (a cancel through another replica reaches it
    /// through the store within a poll interval).
    pub(crate) fn stop_local(&self, id: &JobId) {
        if let Some(token) = lock(&self.running).get(id) {
            token.cancel();
        }
    }

    /// The replica id written into leases.
    pub fn replica(&self) -> &str {
        self.store.replica()
    }
}

/// A job's place in this replica's queue, held until the job ends here.
pub(crate) struct QueueSlot {
    _permit: OwnedSemaphorePermit,
    _share: Option<CallerShare>,
}

/// One job counted against its caller's share of the queue; gives it back when dropped.
struct CallerShare {
    held: Arc<Mutex<HashMap<String, usize>>>,
    caller: String,
}

impl Drop for CallerShare {
    fn drop(&mut self) {
        let mut held = lock(&self.held);
        if let Some(count) = held.get_mut(&self.caller) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.caller);
            }
        }
    }
}

/// Why a caller's job got no queue slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueRefusal {
    /// The queue is full (503).
    Full,
    /// The caller holds its share of the queue already (429).
    CallerShare,
}

/// How a queued job starts.
pub(crate) enum Start {
    /// Accepted here: claim it.
    Fresh(JobId),
    /// Found by the recovery scan: recover it (re-run or fail as interrupted).
    Recover(JobId),
}

/// What the runner needs from whoever accepts jobs (the proxy, which implements it): the runner
/// calls back through this trait, never into the proxy's own modules.
pub(crate) trait JobHost: Send + Sync + 'static {
    /// This replica's asynchronous processing, when enabled.
    fn jobs(&self) -> Option<&Arc<Jobs>>;
    /// The metrics the runner counts jobs in.
    fn metrics(&self) -> &Metrics;
    /// How long a job's request may take in all.
    fn total_timeout(&self) -> Duration;
    /// Runs a job's request through the same phases as a synchronous one.
    fn run_request(
        &self,
        job: &Job,
        request_id: &str,
    ) -> impl Future<Output = Result<CallerResponse, Problem>> + Send;
    /// The job as its status route shows it (a callback's body when the caller asked for the
    /// job rather than the response).
    fn callback_view(&self, job: &Job) -> serde_json::Value;
}

/// Queues a job on this replica, holding `slot` until it ends; `done` hears how it ended.
pub(crate) fn spawn_job<P: JobHost>(
    host: &Arc<P>,
    start: Start,
    slot: QueueSlot,
    done: Option<oneshot::Sender<Finished>>,
) {
    let Some(jobs) = host.jobs().cloned() else {
        return;
    };
    let host = host.clone();
    host.metrics().jobs_in_queue.inc();
    let queued_id = match &start {
        Start::Fresh(id) | Start::Recover(id) => id.clone(),
    };
    lock(&jobs.queued).insert(queued_id.clone());
    let runtime = jobs.runtime_for_job();
    // A queued job is this small task waiting for a worker slot; the run itself (upstream
    // call, sanitizing, storing) is a much larger future, boxed only once a worker starts
    // it, so thousands of queued jobs cost little memory.
    let task = async move {
        let _slot = slot;
        let worker = jobs.workers.clone().acquire_owned().await;
        lock(&jobs.queued).remove(&queued_id);
        if jobs.is_closing() {
            tracing::info!(job = %queued_id, "shutting down: job left queued for any replica");
        } else if let Ok(_worker) = worker {
            Box::pin(run_job(host.clone(), start, done)).await;
        }
        host.metrics().jobs_in_queue.dec();
    };
    match runtime {
        Some(runtime) => drop(runtime.spawn(task)),
        None => drop(tokio::spawn(task)),
    }
}

async fn run_job<P: JobHost>(host: Arc<P>, start: Start, done: Option<oneshot::Sender<Finished>>) {
    let Some(jobs) = host.jobs().cloned() else {
        return;
    };
    let job = match start {
        Start::Fresh(id) => match jobs.store.claim(&id).await {
            Ok(Claim::Owned(job)) => job,
            Ok(Claim::Held { owner, .. }) => {
                tracing::debug!(job = %id, owner, "job already taken by another worker");
                return;
            }
            Ok(Claim::Ended(_)) => return,
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "cannot claim a job");
                return;
            }
        },
        Start::Recover(id) => match jobs.store.recover(&id).await {
            Ok(Recovery::Claimed(job)) => {
                tracing::info!(job = %id, "re-running a job whose replica stopped");
                job
            }
            Ok(Recovery::Failed(job)) => {
                tracing::info!(job = %id, "failed a job whose replica stopped mid-request");
                after_end(&*host, &jobs, job, None).await;
                return;
            }
            Ok(Recovery::Skipped(_)) => return,
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "cannot recover a job");
                return;
            }
        },
    };
    let token = CancellationToken::new();
    lock(&jobs.running).insert(job.id.clone(), token.clone());
    let keeper = tokio::spawn(keep_lease(jobs.clone(), job.id.clone(), token.clone()));
    let request_id = job.id.to_string();
    let answer = tokio::select! {
        biased;
        () = token.cancelled() => None,
        answer = tokio::time::timeout(host.total_timeout(), host.run_request(&job, &request_id)) => {
            Some(answer.unwrap_or_else(|_| Err(Problem::new(
                ProblemType::Timeout,
                format!("the job took longer than the proxy's limit of {:?}", host.total_timeout()),
            ))))
        }
    };
    keeper.abort();
    lock(&jobs.running).remove(&job.id);
    let Some(answer) = answer else {
        tracing::info!(job = %job.id, "job stopped: canceled, or taken over by another replica");
        return;
    };
    let answer = answer.map(|r| {
        Arc::new(JobAnswer {
            status: r.status,
            headers: r.headers,
            body: Bytes::from(r.body),
        })
    });
    let ended = record_outcome(&*host, &jobs, &job, &answer).await;
    let body = answer.as_ref().ok().map(|r| r.body.clone());
    if let Some(done) = done {
        let _ = done.send(answer);
    }
    if let Some(job) = ended {
        after_end(&*host, &jobs, job, body).await;
    }
}

/// Stores the result and ends the job; the job as ended, or `None` if it ended otherwise
/// meanwhile (canceled) or the store failed.
async fn record_outcome(
    host: &impl JobHost,
    jobs: &Jobs,
    job: &Job,
    answer: &Finished,
) -> Option<Job> {
    let outcome = match answer {
        Ok(response) if response.status.is_success() => {
            match store_result(jobs, &job.id, response).await {
                Ok(result) => JobEnd::Succeeded(result),
                Err(problem) => JobEnd::Failed(problem),
            }
        }
        Ok(response) => JobEnd::Failed(upstream_error(&job.request.path, response)),
        Err(problem) => JobEnd::Failed(problem.clone().at(job.request.path.clone())),
    };
    let stored = match &outcome {
        JobEnd::Succeeded(result) => Some(result.location.clone()),
        JobEnd::Failed(_) => None,
    };
    match jobs.store.finish(&job.id, outcome).await {
        Ok(job) => {
            tracing::info!(job = %job.id, status = %job.status, "job ended");
            host.metrics()
                .jobs_finished
                .get_or_create(&crate::metrics::JobStatusLabels {
                    status: job.status.to_string(),
                })
                .inc();
            Some(job)
        }
        Err(e) => {
            tracing::info!(job = %job.id, error = %e, "job result not recorded");
            if let Some(location) = stored {
                let key = location_key(&jobs.results, &location);
                let _ = jobs.results.store.delete(&key).await;
            }
            None
        }
    }
}

/// After a job ended: its callback, if the caller asked for one.
async fn after_end(host: &impl JobHost, jobs: &Arc<Jobs>, job: Job, body: Option<Bytes>) {
    let Some(callback) = job.callback.clone() else {
        return;
    };
    let (payload, content_type) = match (callback.mode, body) {
        (CallbackMode::Response, Some(body)) if job.status == JobStatus::Succeeded => (
            body,
            job.result
                .as_ref()
                .map_or("application/json".to_owned(), |r| r.content_type.clone()),
        ),
        (CallbackMode::Response, _) if job.error.is_some() => (
            Bytes::from(serde_json::to_vec(&job.error).unwrap_or_default()),
            crate::problem::CONTENT_TYPE.to_owned(),
        ),
        _ => (
            Bytes::from(serde_json::to_vec(&host.callback_view(&job)).unwrap_or_default()),
            "application/json".to_owned(),
        ),
    };
    let Ok(url) = callback.url.parse::<http::Uri>() else {
        return;
    };
    let jobs = jobs.clone();
    let message_id = format!("msg_{}_{}", job.id, job.status);
    tokio::spawn(async move {
        let delivery = jobs
            .callbacks
            .deliver(
                &jobs.store,
                &job.id,
                &url,
                &message_id,
                payload,
                &content_type,
            )
            .await;
        if let super::callback::Delivery::Refused { reason } = &delivery {
            tracing::warn!(job = %job.id, reason, "callback refused");
        }
    });
}

/// Starts the periodic recovery scan and retention sweep; they run until the runtime stops.
pub(crate) fn start_background<P: JobHost>(host: &Arc<P>) {
    let Some(jobs) = host.jobs().cloned() else {
        return;
    };
    let host = host.clone();
    let lease = jobs.config.lease;
    tokio::spawn(async move {
        loop {
            recovery_scan(&host).await;
            // Spread replicas' scans apart.
            let jitter = lease.mul_f64(rand_fraction() * 0.2);
            tokio::time::sleep(lease + jitter).await;
        }
    });
    let sweeper = jobs.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(sweeper.config.sweep_interval).await;
            match sweeper
                .store
                .sweep(sweeper.config.retention, &sweeper.results)
                .await
            {
                Ok(report) => tracing::debug!(?report, "retention sweep"),
                Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
            }
            if let Err(e) = sweep_echo_index(&sweeper).await {
                tracing::warn!(error = %e, "echo index sweep failed");
            }
        }
    });
}

/// Offers every job whose replica stopped (lease lapsed, or queued too long) to this
/// replica's workers, as far as the queue has room.
async fn recovery_scan<P: JobHost>(host: &Arc<P>) {
    let Some(jobs) = host.jobs().cloned() else {
        return;
    };
    if jobs.is_closing() {
        return;
    }
    let found = match jobs.store.recoverable().await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "recovery scan failed");
            return;
        }
    };
    for job in found {
        let mine =
            lock(&jobs.queued).contains(&job.id) || lock(&jobs.running).contains_key(&job.id);
        if mine {
            continue;
        }
        let Some(slot) = jobs.queue_slot() else {
            break;
        };
        spawn_job(host, Start::Recover(job.id), slot, None);
    }
}

/// Deletes echo index entries older than the retention.
pub(crate) async fn sweep_echo_index(jobs: &Jobs) -> Result<usize, object_store::Error> {
    let prefix = jobs.results.key(&["echo"]);
    let cutoff = jobs.store.now().checked_sub(
        jiff::SignedDuration::try_from(jobs.config.retention).unwrap_or(jiff::SignedDuration::MAX),
    );
    let Ok(cutoff) = cutoff else { return Ok(0) };
    let old: Vec<_> = jobs
        .results
        .store
        .list(Some(&prefix))
        .try_filter(|meta| {
            let modified = jiff::Timestamp::from_millisecond(meta.last_modified.timestamp_millis());
            std::future::ready(modified.is_ok_and(|m| m < cutoff))
        })
        .map_ok(|meta| meta.location)
        .try_collect()
        .await?;
    let count = old.len();
    for key in old {
        match jobs.results.store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(count)
}

/// `echo/{sha256(caller, method, path, query)}`: which job answers a repeat of a request.
pub(crate) fn echo_key(
    jobs: &Jobs,
    caller: &Caller,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> object_store::path::Path {
    let mut hasher = Sha256::new();
    for part in [
        caller.id.as_str(),
        method.as_str(),
        path,
        query.unwrap_or_default(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    jobs.results.key(&["echo", &hex::encode(hasher.finalize())])
}

/// Renews the lease of a running job, and stops it (through `token`) when it is canceled or
/// another replica took it over. Polls the store more often than it renews, so a cancel through
/// any replica stops the upstream call within a couple of seconds.
async fn keep_lease(jobs: Arc<Jobs>, id: JobId, token: CancellationToken) {
    let lease = jobs.config.lease;
    let renew_every = lease / 3;
    let poll = (lease / 6).clamp(Duration::from_millis(200), Duration::from_secs(2));
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(poll).await;
        if renewed.elapsed() + poll >= renew_every {
            match jobs.store.renew(&id).await {
                Ok(_) => renewed = Instant::now(),
                Err(
                    JobError::Ended { .. } | JobError::NotOwner { .. } | JobError::NotFound { .. },
                ) => {
                    token.cancel();
                    return;
                }
                Err(e) => tracing::warn!(job = %id, error = %e, "cannot renew a job's lease"),
            }
        } else {
            match jobs.store.get(&id).await {
                Ok(Some(job)) => {
                    let owner = job.lease.as_ref().map(|l| l.owner.as_str());
                    if job.status != JobStatus::Running || owner != Some(jobs.store.replica()) {
                        token.cancel();
                        return;
                    }
                }
                Ok(None) => {
                    token.cancel();
                    return;
                }
                Err(e) => tracing::debug!(job = %id, error = %e, "cannot read a running job"),
            }
        }
    }
}

/// Writes a succeeded job's sanitized body to the results bucket.
async fn store_result(jobs: &Jobs, id: &JobId, response: &JobAnswer) -> Result<JobResult, Problem> {
    let now = jobs.store.now();
    let location = result_key(id, now);
    let key = location_key(&jobs.results, &location);
    jobs.results
        .store
        .put(&key, PutPayload::from(response.body.clone()))
        .await
        .map_err(|e| {
            Problem::new(
                ProblemType::Internal,
                format!(
                    "the result could not be written to {}: {e}",
                    jobs.results.url
                ),
            )
        })?;
    let content_type = response
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    Ok(JobResult {
        location,
        size: response.body.len() as u64,
        content_type,
        upstream_status: response.status.as_u16(),
        expires_at: now
            .checked_add(
                jiff::SignedDuration::try_from(jobs.config.retention)
                    .unwrap_or(jiff::SignedDuration::MAX),
            )
            .unwrap_or(jiff::Timestamp::MAX),
    })
}

/// The problem recorded for a job whose upstream answered with an error: its status and its
/// sanitized body are kept as extension members, so nothing is lost.
fn upstream_error(path: &str, response: &JobAnswer) -> Problem {
    let body = serde_json::from_slice::<serde_json::Value>(&response.body).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&response.body).into_owned())
    });
    Problem::new(
        ProblemType::UpstreamError,
        format!(
            "the upstream answered {}; its sanitized body is in `upstream_body`",
            response.status
        ),
    )
    .with_status(response.status.as_u16())
    .with_extension("upstream_status", response.status.as_u16().into())
    .with_extension("upstream_body", body)
    .at(path.to_owned())
}

/// A result's `location` (relative to the results bucket's prefix) as a full key.
pub(crate) fn location_key(bucket: &Bucket, location: &str) -> object_store::path::Path {
    let parts: Vec<&str> = location.split('/').filter(|p| !p.is_empty()).collect();
    bucket.key(&parts)
}

/// Reads a whole object, for callbacks and echo answers.
pub(crate) async fn read_object(
    bucket: &Bucket,
    key: &object_store::path::Path,
) -> Result<Option<Bytes>, object_store::Error> {
    match bucket.store.get(key).await {
        Ok(got) => got
            .into_stream()
            .try_collect::<Vec<Bytes>>()
            .await
            .map(|chunks| Some(chunks.concat().into())),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A random number in [0, 1).
fn rand_fraction() -> f64 {
    f64::from(uuid::Uuid::new_v4().as_u128() as u32) / f64::from(u32::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
