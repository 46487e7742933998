//! Asynchronous request-reply end to end, over real sockets: a real upstream on 127.0.0.1, the
//! proxy with a local-directory job store, and a plain HTTP client. Covers accepting (202 and its
//! headers, `wait=N`, `Accept-Asynchronous`, `Idempotency-Key`, async-required endpoints), the
//! status monitor (202 while running, 303 to the outcome, the `?view=status` form, 404), absolute
//! URLs from the caller's host, results (proxy and echo modes), cancellation, the caller's list,
//! per-caller scoping, 405s with `Allow`, polling limits, the bounded queue and retention.

mod support;

use std::time::Duration;

use support::{Answer, send, upstream};

const KEY: &str = "test-key";
const OTHER_KEY: &str = "other-key";

/// A spec with async processing into `dir`, plus `extra` top-level YAML.
fn async_spec(dir: &std::path::Path, extra: &str) -> String {
    format!(
        r#"name: testapi
target_host: api.example.com
enable_async_processing: true
async_output_destination: "file://{dir}/async"
side_outputs:
  - {{ content: sanitized, destination: "file://{dir}/sanitized" }}
{extra}
rules:
  endpoints:
    - pathTemplate: /members
      allowedQueryParams: [per_page]
      transforms:
        - !<pseudonymize>
          jsonPaths: ['$[*].login']
        - !<redact>
          jsonPaths: ['$[*].avatar_url']
    - pathTemplate: /slow
    - pathTemplate: /error
    - pathTemplate: /missing
"#,
        dir = dir.display()
    )
}

async fn start(spec: &str, env: &[(&str, &str)]) -> (support::Upstream, support::Proxy) {
    let up = upstream().await;
    let url = up.url();
    let mut vars: Vec<(&str, &str)> = vec![
        ("SLUICE_UPSTREAM", url.as_str()),
        ("SLUICE_API_KEYS", "test-key,other-key"),
    ];
    vars.extend_from_slice(env);
    let proxy = support::proxy(spec, &vars).await;
    (up, proxy)
}

async fn accept(proxy: &support::Proxy, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut all = vec![("prefer", "respond-async")];
    all.extend_from_slice(headers);
    send("GET", &proxy.url(path), Some(KEY), &all).await
}

/// Polls the status monitor until the job is no longer running (a 202 with the job).
async fn settle(proxy: &support::Proxy, location: &str) -> Answer {
    for _ in 0..100 {
        let answer = send("GET", &proxy.url(location), Some(KEY), &[]).await;
        let running = answer.status == 202
            && matches!(
                answer.json()["status"].as_str(),
                Some("notStarted" | "running")
            );
        if !running {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job at {location} did not end");
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn respond_async_gives_202_then_303_to_the_sanitized_result() {
    let dir = tempfile::tempdir().unwrap();
    let (up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;

    let sync = send("GET", &proxy.url("/members?per_page=5"), Some(KEY), &[]).await;
    assert_eq!(sync.status, 200, "{}", sync.body);
    assert_eq!(sync.header("vary"), "Prefer");

    let accepted = accept(&proxy, "/members?per_page=5", &[]).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let location = accepted.header("location").to_owned();
    let job = accepted.json();
    let id = job["id"].as_str().unwrap().to_owned();
    assert_eq!(location, proxy.url(&format!("/_sluice/jobs/{id}")));
    assert_eq!(
        accepted.header("operation-location"),
        proxy.url(&format!("/_sluice/jobs/{id}?view=status"))
    );
    assert!(id.len() >= 32, "ids carry at least 128 random bits: {id}");
    assert_eq!(accepted.header("preference-applied"), "respond-async");
    assert_eq!(accepted.header("vary"), "Prefer");
    assert!(accepted.header("retry-after").parse::<u64>().is_ok());
    assert_eq!(job["request"]["method"], "GET");
    assert_eq!(job["request"]["path"], "/members");
    assert!(
        matches!(job["status"].as_str(), Some("notStarted" | "running")),
        "{job}"
    );
    for hidden in ["caller", "lease"] {
        assert!(
            job.get(hidden).is_none(),
            "`{hidden}` is not shown to callers: {job}"
        );
    }

    let done = settle(&proxy, &location).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let result_url = done.header("location").to_owned();
    assert_eq!(result_url, proxy.url(&format!("/_sluice/jobs/{id}/result")));
    let job = done.json();
    assert_eq!(job["status"], "succeeded");
    assert_eq!(job["result"]["upstream_status"], 200);
    assert_eq!(job["result"]["location"], result_url.as_str());
    assert_eq!(job["resourceLocation"], result_url.as_str());

    let result = send("GET", &proxy.url(&result_url), Some(KEY), &[]).await;
    assert_eq!(result.status, 200);
    assert_eq!(
        result.body, sync.body,
        "the async result is the sync answer"
    );
    assert!(!result.body.contains("octocat") && !result.body.contains("avatars.example"));
    assert_eq!(result.header("content-type"), "application/json");
    assert!(
        result.header("expires").ends_with(" GMT"),
        "{:?}",
        result.headers
    );
    assert_eq!(job["result"]["size"], result.body.len());

    // The job went upstream once, like the sync request, and side outputs recorded both.
    assert_eq!(up.seen.lock().unwrap().len(), 2);
    let side = files_under(&dir.path().join("sanitized"));
    assert!(
        side.iter().any(|p| p.to_string_lossy().contains(&id)),
        "{side:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_and_credentials_are_checked_before_a_job_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let blocked = accept(&proxy, "/admin", &[]).await;
    assert_eq!(blocked.status, 403, "{}", blocked.body);
    let bad_query = accept(&proxy, "/members?secret=1", &[]).await;
    assert_eq!(bad_query.status, 403);
    let anonymous = send(
        "GET",
        &proxy.url("/members"),
        None,
        &[("prefer", "respond-async")],
    )
    .await;
    assert_eq!(anonymous.status, 401);
    let jobs = files_under(&dir.path().join("async"));
    assert!(jobs.is_empty(), "no job for a refused request: {jobs:?}");
    assert!(up.seen.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_answers_synchronously_when_the_job_ends_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let quick = accept(&proxy, "/members", &[("prefer", "wait=5")]).await;
    assert_eq!(quick.status, 200, "{}", quick.body);
    assert!(quick.json().is_array());
    // `wait` in the same header as respond-async, and a job slower than the wait.
    let slow = send(
        "GET",
        &proxy.url("/slow"),
        Some(KEY),
        &[("prefer", "respond-async, wait=1")],
    )
    .await;
    assert_eq!(slow.status, 202, "{}", slow.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_async_enabled_prefer_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let spec = async_spec(dir.path(), "")
        .replace("enable_async_processing: true\n", "")
        .replace(
            &format!(
                "async_output_destination: \"file://{}/async\"\n",
                dir.path().display()
            ),
            "",
        );
    let (_up, proxy) = start(&spec, &[]).await;
    let answer = accept(&proxy, "/members", &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("vary"), "");
    assert_eq!(answer.header("preference-applied"), "");
    // No job routes either.
    let jobs = send("GET", &proxy.url("/_sluice/jobs"), Some(KEY), &[]).await;
    assert_eq!(jobs.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_required_endpoint_refuses_sync_calls() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), "async: { required: [/slow] }"), &[]).await;
    let sync = send("GET", &proxy.url("/slow"), Some(KEY), &[]).await;
    assert_eq!(sync.status, 400);
    let problem = sync.json();
    assert_eq!(problem["type"], "/_sluice/problems/async-required");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Prefer: respond-async")
    );
    assert_eq!(accept(&proxy, "/slow", &[]).await.status, 202);
    // Other endpoints stay sync.
    assert_eq!(
        send("GET", &proxy.url("/members"), Some(KEY), &[])
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_asynchronous_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let polling = send(
        "GET",
        &proxy.url("/members"),
        Some(KEY),
        &[("accept-asynchronous", "polling")],
    )
    .await;
    assert_eq!(polling.status, 202, "{}", polling.body);
    let notify = send(
        "GET",
        &proxy.url("/members"),
        Some(KEY),
        &[("accept-asynchronous", "notify")],
    )
    .await;
    assert_eq!(notify.status, 400);
    assert!(
        notify.json()["detail"]
            .as_str()
            .unwrap()
            .contains("Asynchronous-End-Point")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_return_the_callers_existing_job() {
    let dir = tempfile::tempdir().unwrap();
    let (up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let first = accept(&proxy, "/members", &[("idempotency-key", "nightly-1")]).await;
    let again = accept(&proxy, "/members", &[("idempotency-key", "nightly-1")]).await;
    assert_eq!((first.status, again.status), (202, 202));
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(again.header("sluice-idempotent-replay"), "true");
    let other = send(
        "GET",
        &proxy.url("/members"),
        Some(OTHER_KEY),
        &[
            ("prefer", "respond-async"),
            ("idempotency-key", "nightly-1"),
        ],
    )
    .await;
    assert_ne!(
        other.json()["id"],
        first.json()["id"],
        "keys are scoped to the caller"
    );
    settle(&proxy, first.header("location")).await;
    settle_as(&proxy, other.header("location"), OTHER_KEY).await;
    assert_eq!(
        up.seen.lock().unwrap().len(),
        2,
        "one upstream call per job"
    );
}

async fn settle_as(proxy: &support::Proxy, location: &str, key: &str) {
    for _ in 0..100 {
        let answer = send("GET", &proxy.url(location), Some(key), &[]).await;
        if answer.status != 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_visible_to_their_caller_only_and_listed_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(
            accept(&proxy, "/members", &[]).await.json()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let theirs = send(
        "GET",
        &proxy.url("/members"),
        Some(OTHER_KEY),
        &[("prefer", "respond-async")],
    )
    .await;
    let their_id = theirs.json()["id"].as_str().unwrap().to_owned();

    let peek = send(
        "GET",
        &proxy.url(&format!("/_sluice/jobs/{their_id}")),
        Some(KEY),
        &[],
    )
    .await;
    assert_eq!(peek.status, 404, "another caller's job is not found");
    assert_eq!(peek.header("content-type"), "application/problem+json");
    let result = send(
        "GET",
        &proxy.url(&format!("/_sluice/jobs/{their_id}/result")),
        Some(KEY),
        &[],
    )
    .await;
    assert_eq!(result.status, 404);
    let cancel = send(
        "DELETE",
        &proxy.url(&format!("/_sluice/jobs/{their_id}")),
        Some(KEY),
        &[],
    )
    .await;
    assert_eq!(cancel.status, 404);
    let anonymous = send(
        "GET",
        &proxy.url(&format!("/_sluice/jobs/{their_id}")),
        None,
        &[],
    )
    .await;
    assert_eq!(anonymous.status, 401);
    let unknown = send("GET", &proxy.url("/_sluice/jobs/not-a-job"), Some(KEY), &[]).await;
    assert_eq!(unknown.status, 404);

    let mut listed = Vec::new();
    let mut url = "/_sluice/jobs?page_size=2".to_owned();
    loop {
        let page = send("GET", &proxy.url(&url), Some(KEY), &[]).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let body = page.json();
        let jobs = body["jobs"].as_array().unwrap();
        assert!(jobs.len() <= 2);
        listed.extend(jobs.iter().map(|j| j["id"].as_str().unwrap().to_owned()));
        match body["next_page_token"].as_str() {
            Some(token) => {
                assert!(page.header("link").contains("rel=\"next\""));
                url = format!("/_sluice/jobs?page_size=2&page_token={token}");
            }
            None => break,
        }
    }
    listed.sort();
    mine.sort();
    assert_eq!(listed, mine, "the list holds this caller's jobs, each once");
    let bad = send(
        "GET",
        &proxy.url("/_sluice/jobs?page_size=0"),
        Some(KEY),
        &[],
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_cancels_a_running_job_idempotently_and_no_result_appears() {
    let dir = tempfile::tempdir().unwrap();
    let (up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let accepted = accept(&proxy, "/slow", &[]).await;
    let location = accepted.header("location").to_owned();
    // Let the worker reach the upstream.
    for _ in 0..40 {
        if !up.seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let canceled = send("DELETE", &proxy.url(&location), Some(KEY), &[]).await;
    assert_eq!(canceled.status, 200, "{}", canceled.body);
    assert_eq!(canceled.json()["status"], "canceled");
    let again = send("DELETE", &proxy.url(&location), Some(KEY), &[]).await;
    assert_eq!(
        (again.status, again.json()["status"].as_str()),
        (200, Some("canceled"))
    );
    // Past the upstream's 1.5 s: the job stays canceled and no result was written.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let status = send("GET", &proxy.url(&location), Some(KEY), &[]).await;
    assert_eq!(
        (status.status, status.json()["status"].as_str()),
        (303, Some("canceled")),
        "an ended job's monitor leads to its outcome"
    );
    assert!(status.json()["result"].is_null());
    let outcome = send("GET", &proxy.url(status.header("location")), Some(KEY), &[]).await;
    assert_eq!(outcome.status, 409, "{}", outcome.body);
    assert_eq!(outcome.json()["type"], "/_sluice/problems/no-result");
    assert!(
        outcome.json()["detail"]
            .as_str()
            .unwrap()
            .contains("canceled")
    );
    let view = send(
        "GET",
        &proxy.url(&format!("{location}?view=status")),
        Some(KEY),
        &[],
    )
    .await;
    assert_eq!(
        (view.status, view.json()["status"].as_str()),
        (200, Some("canceled"))
    );
    let results: Vec<_> = files_under(&dir.path().join("async"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/results/"))
        .collect();
    assert!(results.is_empty(), "{results:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_errors_are_recorded_in_the_job_as_problems() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let missing = accept(&proxy, "/missing", &[]).await;
    let ended = settle(&proxy, missing.header("location")).await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert_eq!(ended.json()["status"], "failed");
    assert_eq!(ended.json()["error"]["code"], "upstream-error");
    assert!(ended.json().get("resourceLocation").is_none());
    let failed = send("GET", &proxy.url(ended.header("location")), Some(KEY), &[]).await;
    assert_eq!(failed.status, 404, "{}", failed.body);
    assert_eq!(failed.header("content-type"), "application/problem+json");
    let problem = failed.json();
    assert_eq!(problem["type"], "/_sluice/problems/upstream-error");
    assert_eq!(problem["upstream_status"], 404);
    assert_eq!(problem["upstream_body"]["message"], "Not Found");
    assert_eq!(problem["job"]["status"], "failed");

    let broken = accept(&proxy, "/error", &[]).await;
    let ended = settle(&proxy, broken.header("location")).await;
    let failed = send("GET", &proxy.url(ended.header("location")), Some(KEY), &[]).await;
    let problem = failed.json();
    assert_eq!(problem["job"]["status"], "failed");
    assert!(
        !failed.body.contains("octocat@acme.com"),
        "an unsanitizable body is withheld"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_too_fast_gets_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[("SLUICE_POLL_RATE", "1")]).await;
    let accepted = accept(&proxy, "/members", &[]).await;
    let location = accepted.header("location").to_owned();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = send("GET", &proxy.url(&location), Some(KEY), &[]).await;
        if answer.status == 429 {
            assert!(answer.header("retry-after").parse::<u64>().is_ok());
            assert_eq!(answer.json()["type"], "/_sluice/problems/too-many-requests");
        }
        statuses.push(answer.status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Another caller has its own allowance.
    let other = send("GET", &proxy.url("/_sluice/jobs"), Some(OTHER_KEY), &[]).await;
    assert_eq!(other.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("SLUICE_JOB_QUEUE", "1"), ("SLUICE_JOB_WORKERS", "1")];
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &env).await;
    assert_eq!(accept(&proxy, "/slow", &[]).await.status, 202);
    let full = accept(&proxy, "/slow", &[]).await;
    assert_eq!(full.status, 503, "{}", full.body);
    assert!(full.header("retry-after").parse::<u64>().is_ok());
    assert_eq!(full.json()["type"], "/_sluice/problems/queue-full");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_mode_answers_a_repeat_from_the_stored_result() {
    let dir = tempfile::tempdir().unwrap();
    let (up, proxy) = start(&async_spec(dir.path(), "async: { location: echo }"), &[]).await;
    let accepted = accept(&proxy, "/members?per_page=5", &[]).await;
    assert_eq!(accepted.status, 202);
    assert_eq!(
        accepted.header("location"),
        proxy.url("/members?per_page=5")
    );
    let id = accepted.json()["id"].as_str().unwrap().to_owned();
    settle(&proxy, &format!("/_sluice/jobs/{id}")).await;
    let calls = up.seen.lock().unwrap().len();
    let repeat = send("GET", &proxy.url("/members?per_page=5"), Some(KEY), &[]).await;
    assert_eq!(repeat.status, 200);
    assert_eq!(repeat.header("sluice-job"), id);
    assert!(repeat.json().is_array());
    assert_eq!(
        up.seen.lock().unwrap().len(),
        calls,
        "answered from the bucket"
    );
    // Another caller's identical request goes upstream.
    let other = send(
        "GET",
        &proxy.url("/members?per_page=5"),
        Some(OTHER_KEY),
        &[],
    )
    .await;
    assert_eq!(other.status, 200);
    assert_eq!(other.header("sluice-job"), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locations_are_absolute_with_a_public_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("SLUICE_PUBLIC_BASE_URL", "https://proxy.example/")];
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &env).await;
    let accepted = accept(&proxy, "/members", &[]).await;
    let id = accepted.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        accepted.header("location"),
        format!("https://proxy.example/_sluice/jobs/{id}")
    );
    let done = settle(&proxy, &format!("/_sluice/jobs/{id}")).await;
    assert_eq!(
        done.header("location"),
        format!("https://proxy.example/_sluice/jobs/{id}/result")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_and_results_past_retention_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("SLUICE_SWEEP_INTERVAL", "300ms")];
    let (_up, proxy) = start(&async_spec(dir.path(), "async: { retention: 1s }"), &env).await;
    let accepted = accept(&proxy, "/members", &[]).await;
    let location = accepted.header("location").to_owned();
    let done = settle(&proxy, &location).await;
    assert_eq!(done.status, 303);
    let mut gone = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let answer = send("GET", &proxy.url(&location), Some(KEY), &[]).await;
        if answer.status == 404 {
            gone = Some(answer);
            break;
        }
    }
    let gone = gone.expect("a job past its retention is not found");
    assert_eq!(gone.json()["type"], "/_sluice/problems/job-not-found");
    // The sweep then removes its states and result from the bucket.
    let mut left = Vec::new();
    for _ in 0..40 {
        left = files_under(&dir.path().join("async"))
            .into_iter()
            .filter(|p| {
                let p = p.to_string_lossy();
                p.contains("/results/") || p.contains("/jobs/")
            })
            .collect();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(left.is_empty(), "{left:?}");
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notify_callback_is_signed_and_retried_until_the_receiver_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let hook = support::receiver(&[503, 500, 204]).await;
    let env = [
        ("SLUICE_WEBHOOK_SECRET", SECRET),
        ("SLUICE_CALLBACK_BACKOFF", "50ms"),
        ("SLUICE_CALLBACK_ALLOW_NETWORKS", "127.0.0.1/32"),
    ];
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &env).await;
    let endpoint = format!("http://{}/done", hook.addr);
    let accepted = send(
        "GET",
        &proxy.url("/members"),
        Some(KEY),
        &[
            ("accept-asynchronous", "notify"),
            ("asynchronous-end-point", &endpoint),
        ],
    )
    .await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let location = accepted.header("location").to_owned();

    let mut job = serde_json::Value::Null;
    for _ in 0..100 {
        job = send("GET", &proxy.url(&location), Some(KEY), &[])
            .await
            .json();
        let attempts = job["callback"]["attempts"].as_array().map_or(0, Vec::len);
        if attempts == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let statuses: Vec<_> = job["callback"]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [503, 500, 204], "{job}");

    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    let secret = sluice::callback::WebhookSecret::parse(SECRET).unwrap();
    for delivery in &seen {
        sluice::callback::verify(&secret, &delivery.headers, &delivery.body)
            .expect("each attempt is signed");
        assert_eq!(
            delivery.headers["webhook-id"],
            seen[0].headers["webhook-id"]
        );
        let body: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
        assert_eq!(body["status"], "succeeded");
        assert_eq!(body["id"], job["id"]);
        assert!(body.get("caller").is_none());
        // Absolute, against the host the job was submitted to (kept in its record).
        assert_eq!(
            body["resourceLocation"].as_str().unwrap(),
            proxy.url(&format!(
                "/_sluice/jobs/{}/result",
                job["id"].as_str().unwrap()
            ))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_callback_posts_the_sanitized_body() {
    let dir = tempfile::tempdir().unwrap();
    let hook = support::receiver(&[200]).await;
    let env = [("SLUICE_CALLBACK_ALLOW_NETWORKS", "127.0.0.0/8")];
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &env).await;
    let endpoint = format!("http://{}/result", hook.addr);
    let accepted = send(
        "GET",
        &proxy.url("/members"),
        Some(KEY),
        &[
            ("accept-asynchronous", "response"),
            ("asynchronous-end-point", &endpoint),
        ],
    )
    .await;
    assert_eq!(accepted.status, 202);
    for _ in 0..100 {
        if !hook.seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered = hook.seen.lock().unwrap()[0].clone();
    let body: serde_json::Value = serde_json::from_slice(&delivered.body).unwrap();
    assert!(body.is_array(), "{body}");
    assert!(!String::from_utf8_lossy(&delivered.body).contains("octocat"));
    assert_eq!(delivered.headers["content-type"], "application/json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_to_loopback_are_refused_without_the_allowlist() {
    let dir = tempfile::tempdir().unwrap();
    let hook = support::receiver(&[204]).await;
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    // An address literal is refused when the job is offered.
    let literal = format!("http://{}/done", hook.addr);
    let refused = send(
        "GET",
        &proxy.url("/members"),
        Some(KEY),
        &[
            ("accept-asynchronous", "notify"),
            ("asynchronous-end-point", &literal),
        ],
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["type"], "/_sluice/problems/invalid-callback");
    // A name that resolves to loopback is refused when connecting, and recorded in the job.
    let named = format!("http://localhost:{}/done", hook.addr.port());
    let accepted = send(
        "GET",
        &proxy.url("/members"),
        Some(KEY),
        &[
            ("accept-asynchronous", "notify"),
            ("asynchronous-end-point", &named),
        ],
    )
    .await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let location = accepted.header("location").to_owned();
    let mut job = serde_json::Value::Null;
    for _ in 0..100 {
        job = send("GET", &proxy.url(&location), Some(KEY), &[])
            .await
            .json();
        if job["callback"]["attempts"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let error = job["callback"]["attempts"][0]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("SLUICE_CALLBACK_ALLOW_NETWORKS"), "{job}");
    assert!(
        hook.seen.lock().unwrap().is_empty(),
        "the receiver was never reached"
    );
}

#[tokio::test]
async fn presigned_results_need_a_bucket_that_can_sign() {
    let dir = tempfile::tempdir().unwrap();
    let spec = async_spec(dir.path(), "async: { location: presigned }").replace(
        &format!("\"file://{}/async\"", dir.path().display()),
        "s3://results-bucket/async",
    );
    let loaded = sluice_spec::parse_spec("testapi.yaml".as_ref(), &spec).unwrap();
    let connector = sluice::LoadedConnector::new(loaded);
    let local = format!("file://{}/local", dir.path().display());
    let vars: std::collections::HashMap<String, String> = [
        ("SLUICE_SALT", "salt"),
        ("SLUICE_API_KEYS", KEY),
        ("ASYNC_OUTPUT_DESTINATION", local.as_str()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let config = sluice::config::ServeConfig::resolve(
        sluice::Connector::spec(&connector),
        sluice::Routing::rules(&connector),
        &vars,
        Default::default(),
    )
    .unwrap();
    let Err(error) = sluice::app::build_proxy(connector, sluice::NoHooks, &config).await else {
        panic!("a presigned proxy over a local directory must not start");
    };
    let message = error.to_string();
    assert!(
        message.contains("presign") && message.contains(&local),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_caller_cannot_take_more_than_its_share_of_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SLUICE_JOB_QUEUE", "4"),
        ("SLUICE_JOB_QUEUE_PER_CALLER", "2"),
        ("SLUICE_JOB_WORKERS", "1"),
        ("SLUICE_POLL_RATE", "1000"),
    ];
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &env).await;
    for n in 1..=2 {
        let accepted = accept(&proxy, "/slow", &[]).await;
        assert_eq!(
            accepted.status, 202,
            "caller A's job {n}: {}",
            accepted.body
        );
    }
    let third = accept(&proxy, "/slow", &[]).await;
    assert_eq!(third.status, 429, "{}", third.body);
    assert!(third.header("retry-after").parse::<u64>().is_ok());
    assert_eq!(third.json()["type"], "/_sluice/problems/too-many-requests");
    assert!(
        third.json()["detail"]
            .as_str()
            .unwrap()
            .contains("SLUICE_JOB_QUEUE_PER_CALLER"),
        "{}",
        third.body
    );
    // The queue still has room, and another caller gets it.
    let other = send(
        "GET",
        &proxy.url("/slow"),
        Some(OTHER_KEY),
        &[("prefer", "respond-async")],
    )
    .await;
    assert_eq!(other.status, 202, "{}", other.body);
    // A finished job gives its caller's share back.
    let first = accept(&proxy, "/slow", &[]).await;
    assert_eq!(first.status, 429);
    let listed = send("GET", &proxy.url("/_sluice/jobs"), Some(KEY), &[]).await;
    let ids: Vec<String> = listed.json()["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &ids {
        settle(&proxy, &format!("/_sluice/jobs/{id}")).await;
    }
    // The share is given back as the job's task ends, just after its status is written.
    let mut again = accept(&proxy, "/slow", &[]).await;
    for _ in 0..40 {
        if again.status != 429 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        again = accept(&proxy, "/slow", &[]).await;
    }
    assert_eq!(again.status, 202, "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_in_local_buckets_are_readable_by_the_proxys_user_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let sync = send("GET", &proxy.url("/members?per_page=5"), Some(KEY), &[]).await;
    assert_eq!(sync.status, 200, "{}", sync.body);
    let accepted = accept(&proxy, "/members?per_page=5", &[]).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let done = settle(&proxy, accepted.header("location")).await;
    assert_eq!(done.status, 303, "{}", done.body);

    let files = files_under(dir.path());
    let side = files
        .iter()
        .filter(|f| f.starts_with(dir.path().join("sanitized")));
    let jobs = files
        .iter()
        .filter(|f| f.starts_with(dir.path().join("async")));
    assert!(
        side.count() >= 2,
        "side outputs of both requests: {files:?}"
    );
    assert!(jobs.count() >= 2, "job states and result: {files:?}");
    for file in &files {
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} has mode {mode:o}", file.display());
        let mut parent = file.parent();
        while let Some(d) = parent.filter(|d| *d != dir.path()) {
            let mode = std::fs::metadata(d).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} has mode {mode:o}", d.display());
            parent = d.parent();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_view_answers_200_with_azures_words_until_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let accepted = accept(&proxy, "/slow", &[]).await;
    let status_url = accepted.header("operation-location").to_owned();
    let running = send("GET", &status_url, Some(KEY), &[]).await;
    assert_eq!(running.status, 200, "{}", running.body);
    assert!(matches!(
        running.json()["status"].as_str(),
        Some("notStarted" | "running")
    ));
    assert!(running.json().get("resourceLocation").is_none());
    // A running job has no result yet: 409, not the 404 of a job that does not exist.
    let id = accepted.json()["id"].as_str().unwrap().to_owned();
    let early = send(
        "GET",
        &proxy.url(&format!("/_sluice/jobs/{id}/result")),
        Some(KEY),
        &[],
    )
    .await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert_eq!(early.json()["type"], "/_sluice/problems/no-result");
    let mut done = running;
    for _ in 0..100 {
        done = send("GET", &status_url, Some(KEY), &[]).await;
        if done.json()["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(done.status, 200);
    assert_eq!(done.json()["status"], "succeeded", "{}", done.body);
    let result_url = done.json()["resourceLocation"].as_str().unwrap().to_owned();
    assert_eq!(result_url, proxy.url(&format!("/_sluice/jobs/{id}/result")));
    assert_eq!(
        send("GET", &result_url, Some(KEY), &[]).await.status,
        200,
        "resourceLocation is where the result is"
    );
    for bad in ["?view=google", "?verbose=1"] {
        let refused = send(
            "GET",
            &proxy.url(&format!("/_sluice/jobs/{id}{bad}")),
            Some(KEY),
            &[],
        )
        .await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.body);
        assert_eq!(
            refused.json()["type"],
            "/_sluice/problems/invalid-parameter"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_follow_the_callers_host_and_trusted_proxies_only() {
    let dir = tempfile::tempdir().unwrap();
    let forwarded = [
        ("host", "backend.internal:9000"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "api.example"),
    ];
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let accepted = accept(&proxy, "/members", &forwarded).await;
    let id = accepted.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        accepted.header("location"),
        format!("http://backend.internal:9000/_sluice/jobs/{id}"),
        "forwarding headers from an untrusted peer are ignored"
    );
    let crafted = accept(&proxy, "/members", &[("host", "evil.example@proxy")]).await;
    assert_eq!(crafted.status, 202);
    assert!(
        crafted.header("location").starts_with("/_sluice/jobs/"),
        "a Host that is not a host gives a relative URL: {}",
        crafted.header("location")
    );

    let dir = tempfile::tempdir().unwrap();
    let env = [("SLUICE_TRUST_FORWARDED", "127.0.0.0/8")];
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &env).await;
    let accepted = accept(&proxy, "/members", &forwarded).await;
    let id = accepted.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        accepted.header("location"),
        format!("https://api.example/_sluice/jobs/{id}")
    );
    assert_eq!(
        accepted.header("operation-location"),
        format!("https://api.example/_sluice/jobs/{id}?view=status")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_routes_answer_other_methods_with_405_and_allow() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, proxy) = start(&async_spec(dir.path(), ""), &[]).await;
    let accepted = accept(&proxy, "/members", &[]).await;
    let id = accepted.json()["id"].as_str().unwrap().to_owned();
    for (method, path, allow) in [
        ("TRACE", "/_sluice/jobs".to_owned(), "GET, HEAD"),
        ("POST", "/_sluice/jobs".to_owned(), "GET, HEAD"),
        ("PUT", format!("/_sluice/jobs/{id}"), "GET, HEAD, DELETE"),
        ("TRACE", format!("/_sluice/jobs/{id}"), "GET, HEAD, DELETE"),
        ("DELETE", format!("/_sluice/jobs/{id}/result"), "GET, HEAD"),
    ] {
        // Without credentials too: the method is wrong whoever asks.
        for key in [Some(KEY), None] {
            let answer = send(method, &proxy.url(&path), key, &[]).await;
            assert_eq!(answer.status, 405, "{method} {path}: {}", answer.body);
            assert_eq!(answer.header("allow"), allow, "{method} {path}");
            assert_eq!(
                answer.json()["type"],
                "/_sluice/problems/method-not-allowed"
            );
        }
    }
}
