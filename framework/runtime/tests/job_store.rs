//! The durable job store over real stores: every behaviour test runs against a local directory
//! (LocalFileSystem in a tempdir), against InMemory (under a key prefix) and against a real
//! S3-protocol server (s3s-fs on 127.0.0.1, or the bucket named by `SLUICE_TEST_S3_BUCKET`; see
//! `s3server`), with a manual clock so leases and retention pass without sleeping.

mod s3server;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use sluice::jobs::{
    Callback, CallbackAttempt, CallbackMode, CallbackOutcome, Claim, Created, JobEnd, JobError,
    JobId, JobRequest, JobResult, JobSettings, JobStatus, JobStore, ManualClock, NewJob, Recovery,
    result_key,
};
use sluice::problem::{Problem, ProblemType};
use sluice::stores::Bucket;

const LEASE: Duration = Duration::from_secs(30);
const GRACE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// One store under test, its clock, and what must outlive it (a tempdir, an S3 server).
struct Env {
    jobs: Bucket,
    results: Bucket,
    clock: Arc<ManualClock>,
    _dir: Option<tempfile::TempDir>,
    _server: Option<s3server::S3Server>,
}

impl Env {
    fn replica(&self, name: &str) -> JobStore {
        let settings = JobSettings {
            lease: LEASE,
            queued_grace: GRACE,
        };
        JobStore::new(self.jobs.clone(), name, settings).with_clock(self.clock.clone())
    }
}

fn clock() -> Arc<ManualClock> {
    let start = "2025-01-02T03:04:05Z".parse().expect("a valid time");
    Arc::new(ManualClock::new(start))
}

fn local() -> Env {
    let dir = tempfile::tempdir().expect("a tempdir");
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("a local store"));
    Env {
        jobs: Bucket::new(store.clone(), "", "file://jobs"),
        results: Bucket::new(store, "async-results", "file://jobs/async-results"),
        clock: clock(),
        _dir: Some(dir),
        _server: None,
    }
}

fn memory() -> Env {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    Env {
        jobs: Bucket::new(store.clone(), "tenant/state", "memory://tenant/state"),
        results: Bucket::new(store, "tenant/results", "memory://tenant/results"),
        clock: clock(),
        _dir: None,
        _server: None,
    }
}

/// A fresh prefix on an S3 server; `None` (the test is skipped) without one.
fn s3() -> Option<Env> {
    let server = s3server::start()?;
    Some(Env {
        jobs: server.bucket("state"),
        results: server.bucket("results"),
        clock: clock(),
        _dir: None,
        _server: Some(server),
    })
}

/// Each listed test body runs as `local::<name>`, `memory::<name>` and `s3::<name>`.
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::local()).await;
                }
            )*
        }
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::memory()).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if let Some(env) = super::s3() {
                        super::$name(env).await;
                    }
                }
            )*
        }
    };
}

on_every_store!(
    create_get_and_caller_scope,
    idempotent_create_returns_the_same_job,
    concurrent_transitions_on_one_seq_have_one_winner,
    racing_claims_have_one_owner,
    a_lapsed_lease_is_taken_over_and_the_old_owner_is_shut_out,
    renew_by_a_non_owner_fails,
    cancel_is_idempotent_and_wins_over_a_later_finish,
    list_pages_through_the_callers_jobs_only,
    sweep_removes_old_jobs_and_results_and_keeps_fresh_ones,
    recovery_reruns_idempotent_jobs_and_fails_the_others,
    callback_attempts_are_appended,
);

fn get(path: &str) -> JobRequest {
    JobRequest::new("get", path, Some("per_page=50".to_owned()), 3)
}

fn post(path: &str) -> JobRequest {
    JobRequest::new("POST", path, None, 1)
}

async fn create_get_and_caller_scope(env: Env) {
    let store = env.replica("a");
    let job = store
        .create(NewJob::new("alice", get("/orgs/acme/members")))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.seq, 0);
    assert_eq!(job.request.method, "GET");
    assert!(job.request.idempotent);
    assert!(!post("/x").idempotent);

    // Another replica, sharing nothing but the bucket, sees the same job.
    let other = env.replica("b");
    assert_eq!(other.get(&job.id).await.unwrap(), Some(job.clone()));
    assert_eq!(
        other.get_for("alice", &job.id).await.unwrap(),
        Some(job.clone())
    );
    assert_eq!(other.get_for("bob", &job.id).await.unwrap(), None);
    assert_eq!(other.get(&JobId::random()).await.unwrap(), None);
}

async fn idempotent_create_returns_the_same_job(env: Env) {
    let store = env.replica("a");
    let first = store
        .create_idempotent(NewJob::new("alice", post("/issues")), "key-1")
        .await
        .unwrap();
    let Created::New(first) = first else {
        panic!("the first use of a key creates a job: {first:?}")
    };
    assert_eq!(first.idempotency_key.as_deref(), Some("key-1"));
    let again = env
        .replica("b")
        .create_idempotent(NewJob::new("alice", post("/issues")), "key-1")
        .await
        .unwrap();
    assert_eq!(again, Created::Existing(first.clone()));

    // Keys are scoped to the caller.
    let bobs = store
        .create_idempotent(NewJob::new("bob", post("/issues")), "key-1")
        .await
        .unwrap();
    assert!(matches!(&bobs, Created::New(job) if job.id != first.id));

    // Many replicas racing with a fresh key: one job, created once.
    for round in 0..10 {
        let key = format!("race-{round}");
        let tasks: Vec<_> = (0..6)
            .map(|r| {
                let store = env.replica(&format!("r{r}"));
                let key = key.clone();
                tokio::spawn(async move {
                    store
                        .create_idempotent(NewJob::new("alice", post("/issues")), &key)
                        .await
                })
            })
            .collect();
        let mut ids = HashSet::new();
        let mut created = 0;
        for task in tasks {
            let outcome = task.await.unwrap().unwrap();
            created += usize::from(matches!(outcome, Created::New(_)));
            ids.insert(outcome.into_job().id);
        }
        assert_eq!(ids.len(), 1, "round {round}: {ids:?}");
        assert_eq!(created, 1, "round {round}");
    }
}

async fn concurrent_transitions_on_one_seq_have_one_winner(env: Env) {
    for round in 0..40 {
        let job = env
            .replica("a")
            .create(NewJob::new("alice", get("/x")))
            .await
            .unwrap();
        let tasks: Vec<_> = (0..4)
            .map(|writer| {
                let store = env.replica(&format!("w{writer}"));
                let id = job.id.clone();
                tokio::spawn(async move {
                    store
                        .transition(&id, 0, |job| {
                            job.idempotency_key = Some(format!("writer-{writer}"));
                        })
                        .await
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(job) => winners.push(job),
                Err(JobError::Conflict { seq: 1, .. }) => {}
                Err(e) => panic!("round {round}: unexpected {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}");
        let now = env.replica("a").get(&job.id).await.unwrap().unwrap();
        assert_eq!(now, winners[0]);
        assert_eq!(now.seq, 1);
    }
}

async fn racing_claims_have_one_owner(env: Env) {
    for round in 0..30 {
        let job = env
            .replica("a")
            .create(NewJob::new("alice", get("/x")))
            .await
            .unwrap();
        let tasks: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|replica| {
                let store = env.replica(replica);
                let id = job.id.clone();
                tokio::spawn(async move { store.claim(&id).await })
            })
            .collect();
        let mut owners = Vec::new();
        let mut held = Vec::new();
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Claim::Owned(job) => owners.push(job.lease.unwrap().owner),
                Claim::Held { owner, .. } => held.push(owner),
                other => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!(owners.len(), 1, "round {round}: {owners:?}");
        assert_eq!(held, owners, "round {round}: the loser is told who has it");
        let now = env.replica("a").get(&job.id).await.unwrap().unwrap();
        assert_eq!(now.status, JobStatus::Running);
        assert_eq!(now.lease.unwrap().owner, owners[0]);
    }
}

async fn a_lapsed_lease_is_taken_over_and_the_old_owner_is_shut_out(env: Env) {
    let (a, b) = (env.replica("a"), env.replica("b"));
    let job = a.create(NewJob::new("alice", get("/x"))).await.unwrap();
    assert!(matches!(a.claim(&job.id).await.unwrap(), Claim::Owned(_)));
    assert!(matches!(
        b.claim(&job.id).await.unwrap(),
        Claim::Held { owner, .. } if owner == "a"
    ));

    env.clock.advance(LEASE + Duration::from_secs(1));
    let Claim::Owned(taken) = b.claim(&job.id).await.unwrap() else {
        panic!("a lapsed lease can be taken over")
    };
    assert_eq!(taken.lease.as_ref().unwrap().owner, "b");

    assert!(matches!(
        a.renew(&job.id).await,
        Err(JobError::NotOwner { owner: Some(owner), .. }) if owner == "b"
    ));
    assert!(matches!(
        a.finish(
            &job.id,
            JobEnd::Failed(Problem::new(ProblemType::Timeout, "late"))
        )
        .await,
        Err(JobError::NotOwner { .. })
    ));
    let done = b
        .finish(&job.id, JobEnd::Succeeded(result(&job.id, &env)))
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.lease, None);
    assert!(matches!(b.claim(&job.id).await.unwrap(), Claim::Ended(_)));
}

async fn renew_by_a_non_owner_fails(env: Env) {
    let (a, b) = (env.replica("a"), env.replica("b"));
    let job = a.create(NewJob::new("alice", get("/x"))).await.unwrap();
    assert!(matches!(
        a.renew(&job.id).await,
        Err(JobError::NotOwner {
            status: JobStatus::Queued,
            ..
        })
    ));
    let Claim::Owned(claimed) = a.claim(&job.id).await.unwrap() else {
        panic!("a queued job can be claimed")
    };
    assert!(matches!(
        b.renew(&job.id).await,
        Err(JobError::NotOwner { owner: Some(owner), .. }) if owner == "a"
    ));

    env.clock.advance(Duration::from_secs(10));
    let renewed = a.renew(&job.id).await.unwrap();
    let before = claimed.lease.unwrap().expires_at;
    let after = renewed.lease.unwrap().expires_at;
    assert_eq!(
        after.duration_since(before),
        jiff::SignedDuration::from_secs(10)
    );
}

async fn cancel_is_idempotent_and_wins_over_a_later_finish(env: Env) {
    let a = env.replica("a");
    let job = a.create(NewJob::new("alice", get("/x"))).await.unwrap();
    assert!(matches!(a.claim(&job.id).await.unwrap(), Claim::Owned(_)));

    assert_eq!(a.cancel("bob", &job.id).await.unwrap(), None);
    let canceled = env
        .replica("b")
        .cancel("alice", &job.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(canceled.status, JobStatus::Canceled);
    assert_eq!(canceled.lease, None);
    let again = a.cancel("alice", &job.id).await.unwrap().unwrap();
    assert_eq!(again, canceled, "a second cancel changes nothing");

    // The worker that was running it finishes after the cancel: the cancel stands.
    let late = a
        .finish(&job.id, JobEnd::Succeeded(result(&job.id, &env)))
        .await;
    assert!(matches!(
        late,
        Err(JobError::Ended {
            status: JobStatus::Canceled,
            ..
        })
    ));
    assert!(matches!(
        a.renew(&job.id).await,
        Err(JobError::Ended { .. })
    ));
    assert_eq!(a.get(&job.id).await.unwrap(), Some(canceled));

    // Canceling a finished job returns it as it is.
    let other = a.create(NewJob::new("alice", get("/y"))).await.unwrap();
    a.claim(&other.id).await.unwrap();
    let failed = a
        .finish(
            &other.id,
            JobEnd::Failed(Problem::new(
                ProblemType::UpstreamTimeout,
                "no answer in 30s",
            )),
        )
        .await
        .unwrap();
    assert_eq!(
        failed.error.as_ref().unwrap()["type"],
        "/_sluice/problems/upstream-timeout"
    );
    assert_eq!(a.cancel("alice", &other.id).await.unwrap(), Some(failed));
}

async fn list_pages_through_the_callers_jobs_only(env: Env) {
    let a = env.replica("a");
    let mut alices = Vec::new();
    for i in 0..5 {
        alices.push(
            a.create(NewJob::new("alice", get(&format!("/a/{i}"))))
                .await
                .unwrap()
                .id,
        );
        a.create(NewJob::new("bob", get("/b"))).await.unwrap();
    }
    alices.sort();

    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = a.list("alice", 2, token.as_deref()).await.unwrap();
        assert!(page.jobs.len() <= 2);
        assert!(page.jobs.iter().all(|job| job.caller == "alice"));
        seen.extend(page.jobs.into_iter().map(|job| job.id));
        pages += 1;
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(seen, alices, "every job once, in id order");
    assert_eq!(pages, 3);

    assert!(a.list("carol", 10, None).await.unwrap().jobs.is_empty());
    assert!(matches!(
        a.list("alice", 2, Some("../bob")).await,
        Err(JobError::InvalidPageToken(_))
    ));
}

async fn sweep_removes_old_jobs_and_results_and_keeps_fresh_ones(env: Env) {
    let a = env.replica("a");
    let results = &env.results;
    let put = |key: String| async move {
        let parts: Vec<&str> = key.split('/').collect();
        results
            .store
            .put(&results.key(&parts), PutPayload::from_static(b"{}"))
            .await
            .unwrap();
    };
    let exists = |key: String| async move {
        let parts: Vec<&str> = key.split('/').collect();
        results.store.head(&results.key(&parts)).await.is_ok()
    };

    // An old job, finished with a result, created with an idempotency key.
    let old = a
        .create_idempotent(NewJob::new("alice", get("/old")), "nightly")
        .await
        .unwrap()
        .into_job();
    a.claim(&old.id).await.unwrap();
    let old_result = result(&old.id, &env);
    put(old_result.location.clone()).await;
    a.finish(&old.id, JobEnd::Succeeded(old_result.clone()))
        .await
        .unwrap();
    // A result whose job record never heard of it (its worker died after storing it).
    let orphan = format!("results/20241231/{}", JobId::random());
    put(orphan.clone()).await;

    env.clock.advance(2 * DAY);
    let fresh = a.create(NewJob::new("alice", get("/fresh"))).await.unwrap();
    a.claim(&fresh.id).await.unwrap();
    let fresh_result = result(&fresh.id, &env);
    put(fresh_result.location.clone()).await;
    a.finish(&fresh.id, JobEnd::Succeeded(fresh_result.clone()))
        .await
        .unwrap();

    let report = a.sweep(DAY, results).await.unwrap();
    assert_eq!(report.jobs, 1);
    assert_eq!(report.idempotency_claims, 1);
    assert!(report.results >= 2, "{report:?}");

    assert_eq!(a.get(&old.id).await.unwrap(), None);
    assert!(!exists(old_result.location).await);
    assert!(!exists(orphan).await);
    assert!(a.get(&fresh.id).await.unwrap().is_some());
    assert!(exists(fresh_result.location).await);

    // The key is free again once its job is gone.
    let reused = a
        .create_idempotent(NewJob::new("alice", get("/old")), "nightly")
        .await
        .unwrap();
    assert!(matches!(reused, Created::New(job) if job.id != old.id));

    // Nothing left to do.
    let again = a.sweep(DAY, results).await.unwrap();
    assert_eq!(again.jobs, 0);
}

async fn recovery_reruns_idempotent_jobs_and_fails_the_others(env: Env) {
    let (a, b) = (env.replica("a"), env.replica("b"));
    let reading = a.create(NewJob::new("alice", get("/read"))).await.unwrap();
    let writing = a
        .create(NewJob::new("alice", post("/write")))
        .await
        .unwrap();
    a.claim(&reading.id).await.unwrap();
    a.claim(&writing.id).await.unwrap();
    let dropped = a
        .create(NewJob::new("alice", post("/dropped")))
        .await
        .unwrap();
    assert!(b.recoverable().await.unwrap().is_empty(), "all fresh");

    // Replica a dies; the lease and the queued grace pass.
    env.clock.advance(GRACE + Duration::from_secs(1));
    let fresh = a.create(NewJob::new("alice", get("/fresh"))).await.unwrap();
    let found: HashSet<JobId> = b
        .recoverable()
        .await
        .unwrap()
        .into_iter()
        .map(|job| job.id)
        .collect();
    let expected: HashSet<JobId> = [&reading.id, &writing.id, &dropped.id]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(found, expected);
    assert!(!found.contains(&fresh.id));

    let Recovery::Claimed(rerun) = b.recover(&reading.id).await.unwrap() else {
        panic!("an interrupted GET is re-run")
    };
    assert_eq!(rerun.lease.unwrap().owner, "b");
    let Recovery::Failed(failed) = b.recover(&writing.id).await.unwrap() else {
        panic!("an interrupted POST is failed")
    };
    assert_eq!(failed.status, JobStatus::Failed);
    let problem = failed.error.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not idempotent"),
        "{problem}"
    );
    assert_eq!(problem["instance"], "/write");
    // A queued job was never started, so even a POST is safe to run.
    assert!(matches!(
        b.recover(&dropped.id).await.unwrap(),
        Recovery::Claimed(_)
    ));
    // A second scan finds nothing to do for them.
    assert!(matches!(
        b.recover(&writing.id).await.unwrap(),
        Recovery::Skipped(_)
    ));
}

async fn callback_attempts_are_appended(env: Env) {
    let a = env.replica("a");
    let mut new = NewJob::new("alice", get("/x"));
    new.callback = Some(Callback {
        url: "https://collector.example/done".to_owned(),
        mode: CallbackMode::Notify,
        attempts: Vec::new(),
    });
    let job = a.create(new).await.unwrap();
    let first = CallbackAttempt {
        at: a.now(),
        outcome: CallbackOutcome::Unreachable {
            error: "connection refused".to_owned(),
        },
    };
    let second = CallbackAttempt {
        at: a.now(),
        outcome: CallbackOutcome::Answered { status: 204 },
    };
    a.record_callback_attempt(&job.id, first.clone())
        .await
        .unwrap();
    let job = a
        .record_callback_attempt(&job.id, second.clone())
        .await
        .unwrap();
    assert_eq!(job.callback.unwrap().attempts, vec![first.clone(), second]);

    let plain = a.create(NewJob::new("alice", get("/x"))).await.unwrap();
    assert!(matches!(
        a.record_callback_attempt(&plain.id, first).await,
        Err(JobError::NoCallback { .. })
    ));
}

fn result(id: &JobId, env: &Env) -> JobResult {
    let now = env.clock_now();
    JobResult {
        location: result_key(id, now),
        size: 2,
        content_type: "application/json".to_owned(),
        upstream_status: 200,
        expires_at: now + DAY,
    }
}

impl Env {
    fn clock_now(&self) -> jiff::Timestamp {
        use sluice::jobs::Clock as _;
        self.clock.now()
    }
}

#[tokio::test]
async fn ids_that_are_not_ids_are_refused() {
    for bad in [
        "",
        "..",
        "../jobs",
        "6f1c0a7e2b9d4c58a3e1f0b2c4d6e8f",
        "6f1c0a7e2b9d4c58a3e1f0b2c4d6e8fa/0",
        "6F1C0A7E2B9D4C58A3E1F0B2C4D6E8FA",
        "6f1c0a7e-2b9d-4c58-a3e1-f0b2c4d6e8fa",
        "6f1c0a7e2b9d4c58a3e1f0b2c4d6e8fg",
    ] {
        let refused = JobId::parse(bad).expect_err(bad);
        assert!(refused.to_string().contains("is not a job id"), "{refused}");
    }
    assert!(JobId::parse("6f1c0a7e2b9d4c58a3e1f0b2c4d6e8fa").is_ok());

    // A record naming a bad id does not deserialize either.
    let mut record = serde_json::to_value(full_record().await).unwrap();
    record["id"] = "../../etc".into();
    assert!(serde_json::from_value::<sluice::jobs::Job>(record).is_err());
}

/// A job that has been through everything: claimed, finished, called back.
async fn full_record() -> sluice::jobs::Job {
    let env = memory();
    let a = env.replica("replica-1");
    let mut new = NewJob::new("alice", get("/orgs/acme/members"));
    new.callback = Some(Callback {
        url: "https://collector.example/done".to_owned(),
        mode: CallbackMode::Response,
        attempts: Vec::new(),
    });
    let job = a
        .create_idempotent(new, "nightly")
        .await
        .unwrap()
        .into_job();
    a.claim(&job.id).await.unwrap();
    a.set_progress(
        &job.id,
        sluice::jobs::Progress {
            message: Some("calling upstream".to_owned()),
            percent: Some(10),
        },
    )
    .await
    .unwrap();
    a.finish(&job.id, JobEnd::Succeeded(result(&job.id, &env)))
        .await
        .unwrap();
    a.record_callback_attempt(
        &job.id,
        CallbackAttempt {
            at: a.now(),
            outcome: CallbackOutcome::Answered { status: 204 },
        },
    )
    .await
    .unwrap()
}

fn keys(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn the_record_json_has_the_documented_field_names() {
    let job = full_record().await;
    let json = serde_json::to_value(&job).unwrap();
    assert_eq!(
        keys(&json),
        [
            "id",
            "caller",
            "status",
            "created_at",
            "updated_at",
            "request",
            "progress",
            "result",
            "error",
            "lease",
            "callback",
            "idempotency_key",
            "seq",
        ]
    );
    assert_eq!(json["status"], "succeeded");
    assert_eq!(json["created_at"], "2025-01-02T03:04:05Z");
    assert_eq!(json["seq"], 4);
    assert_eq!(
        json["request"],
        serde_json::json!({
            "method": "GET",
            "path": "/orgs/acme/members",
            "query": "per_page=50",
            "endpoint": 3,
            "idempotent": true,
        })
    );
    assert_eq!(
        keys(&json["result"]),
        [
            "location",
            "size",
            "content_type",
            "upstream_status",
            "expires_at"
        ]
    );
    assert_eq!(
        json["result"]["location"],
        format!("results/20250102/{}", job.id)
    );
    assert_eq!(json["result"]["expires_at"], "2025-01-03T03:04:05Z");
    assert_eq!(
        json["progress"],
        serde_json::Value::Null,
        "cleared when finished"
    );
    assert_eq!(
        json["lease"],
        serde_json::Value::Null,
        "released when finished"
    );
    assert_eq!(
        json["callback"],
        serde_json::json!({
            "url": "https://collector.example/done",
            "mode": "response",
            "attempts": [{ "at": "2025-01-02T03:04:05Z", "status": 204 }],
        })
    );
    assert_eq!(json["idempotency_key"], "nightly");

    // A running job shows its lease and progress; a failed one its problem.
    let env = memory();
    let a = env.replica("replica-1");
    let running = a.create(NewJob::new("alice", post("/x"))).await.unwrap();
    a.claim(&running.id).await.unwrap();
    let running = a
        .set_progress(
            &running.id,
            sluice::jobs::Progress {
                message: Some("calling upstream".to_owned()),
                percent: Some(10),
            },
        )
        .await
        .unwrap();
    let json = serde_json::to_value(&running).unwrap();
    assert_eq!(json["status"], "running");
    assert_eq!(
        json["lease"],
        serde_json::json!({ "owner": "replica-1", "expires_at": "2025-01-02T03:04:35Z" })
    );
    assert_eq!(
        json["progress"],
        serde_json::json!({ "message": "calling upstream", "percent": 10 })
    );
    assert_eq!(json["request"]["query"], serde_json::Value::Null);
    let failed = a
        .finish(
            &running.id,
            JobEnd::Failed(Problem::new(
                ProblemType::UpstreamTimeout,
                "no answer in 30s",
            )),
        )
        .await
        .unwrap();
    let json = serde_json::to_value(&failed).unwrap();
    assert_eq!(json["status"], "failed");
    assert_eq!(
        keys(&json["error"]),
        ["type", "title", "status", "detail"],
        "an RFC 9457 problem"
    );

    // And the record reads back as written.
    let back: sluice::jobs::Job = serde_json::from_value(json).unwrap();
    assert_eq!(back, failed);
}
