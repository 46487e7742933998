//! Real proxy processes. Asynchronous jobs across replicas sharing one local-directory store: a
//! job accepted by one replica is answered by another, and a job whose replica is killed with
//! SIGKILL mid-request is finished (or failed as interrupted) by another after its lease lapses.
//! And a process told to stop (SIGTERM) finishes the requests its serving threads are answering
//! and the jobs it is running, and HTTP/2 (h2c) callers are served like HTTP/1.1 ones.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

#[path = "../../runtime/tests/s3server/mod.rs"]
mod s3server;

const KEY: &str = "replica-test-key";

/// A stand-in upstream: `/members` answers at once, `/slow` after 2 s; counts calls per path.
struct Upstream {
    addr: SocketAddr,
    members: Arc<AtomicUsize>,
    slow: Arc<AtomicUsize>,
}

async fn upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let members = Arc::new(AtomicUsize::new(0));
    let slow = Arc::new(AtomicUsize::new(0));
    let (m, s) = (members.clone(), slow.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (m, s) = (m.clone(), s.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (m, s) = (m.clone(), s.clone());
                    async move {
                        if req.uri().path() == "/slow" {
                            s.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_secs(2)).await;
                        } else {
                            m.fetch_add(1, Ordering::SeqCst);
                        }
                        let body = r#"[{"login":"octocat","id":1}]"#;
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(body.as_bytes())))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        members,
        slow,
    }
}

fn write_spec(dir: &Path, store: &str, location: &str) -> std::path::PathBuf {
    let spec = format!(
        r#"name: replicas
target_host: api.example.com
enable_async_processing: true
async_output_destination: "{store}"
async: {{ location: {location} }}
rules:
  endpoints:
    - pathTemplate: /members
      transforms:
        - !<pseudonymize>
          jsonPaths: ['$[*].login']
    - pathTemplate: /slow
      allowedMethods: [GET, POST]
"#,
    );
    let path = dir.join("replicas.yaml");
    std::fs::write(&path, spec).unwrap();
    path
}

/// A proxy process.
struct Replica {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn replica(spec: &Path, upstream: SocketAddr) -> Replica {
    replica_with(spec, upstream, &[]).await
}

async fn replica_with(spec: &Path, upstream: SocketAddr, env: &[(&str, String)]) -> Replica {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command
        .args(["serve", "--spec"])
        .arg(spec)
        .args(["--listen", &addr.to_string()])
        .args(["--upstream", &format!("http://{upstream}")])
        .env("SLUICE_SALT", "salt")
        .env("SLUICE_API_KEYS", KEY)
        .env("SLUICE_JOB_LEASE", "2s")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sluice starts");
    let replica = Replica { child, addr };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok((200, _, _)) = call(&replica, "GET", "/_sluice/healthz", &[]).await {
            return replica;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("replica on {addr} did not start");
}

async fn call(
    replica: &Replica,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, http::HeaderMap, serde_json::Value), hyper_util::client::legacy::Error> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    // A URL one replica wrote (absolute, with its own host) is asked of `replica`.
    let path = match path.strip_prefix("http://") {
        Some(rest) => &rest[rest.find('/').unwrap_or(rest.len())..],
        None => path,
    };
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", replica.addr))
        .header("authorization", format!("Bearer {KEY}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::new())).unwrap())
        .await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    Ok((status, headers, json))
}

/// Polls `location` on `replica` until the job has ended (the monitor answers 202 until then).
async fn settle(replica: &Replica, location: &str, within: Duration) -> (u16, serde_json::Value) {
    let deadline = Instant::now() + within;
    loop {
        let (status, _, body) = call(replica, "GET", location, &[]).await.unwrap();
        let open =
            status == 202 && matches!(body["status"].as_str(), Some("notStarted" | "running"));
        if !open {
            return (status, body);
        }
        assert!(Instant::now() < deadline, "job at {location} still {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_accepts_and_another_answers_status_and_result() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(
        dir.path(),
        &format!("file://{}/store", dir.path().display()),
        "proxy",
    );
    let up = upstream().await;
    let a = replica(&spec, up.addr).await;
    let b = replica(&spec, up.addr).await;

    let (status, headers, job) = call(&a, "GET", "/members", &[("prefer", "respond-async")])
        .await
        .unwrap();
    assert_eq!(status, 202, "{job}");
    let location = headers["location"].to_str().unwrap().to_owned();
    let (status, body) = settle(&b, &location, Duration::from_secs(10)).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(body["id"], job["id"]);
    let (status, _, result) = call(&b, "GET", &format!("{location}/result"), &[])
        .await
        .unwrap();
    assert_eq!(status, 200);
    let login = result[0]["login"].as_str().unwrap();
    assert!(
        login.starts_with("t~") || login.contains("hash"),
        "{result}"
    );
    assert_eq!(up.members.load(Ordering::SeqCst), 1);

    // Cancel through the replica that did not accept the job.
    let (_, headers, _) = call(&a, "GET", "/slow", &[("prefer", "respond-async")])
        .await
        .unwrap();
    let slow = headers["location"].to_str().unwrap().to_owned();
    let (status, _, canceled) = call(&b, "DELETE", &slow, &[]).await.unwrap();
    assert_eq!(
        (status, canceled["status"].as_str()),
        (200, Some("canceled"))
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, _, after) = call(&a, "GET", &slow, &[]).await.unwrap();
    assert_eq!(after["status"], "canceled");
    assert!(after["result"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_a_killed_replica_is_finished_by_another_after_its_lease() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(
        dir.path(),
        &format!("file://{}/store", dir.path().display()),
        "proxy",
    );
    let up = upstream().await;
    let mut a = replica(&spec, up.addr).await;
    let b = replica(&spec, up.addr).await;

    let (status, headers, _) = call(&a, "GET", "/slow", &[("prefer", "respond-async")])
        .await
        .unwrap();
    assert_eq!(status, 202);
    let get_job = headers["location"].to_str().unwrap().to_owned();
    let (status, headers, _) = call(&a, "POST", "/slow", &[("prefer", "respond-async")])
        .await
        .unwrap();
    assert_eq!(status, 202);
    let post_job = headers["location"].to_str().unwrap().to_owned();

    // Wait until A is mid-request for both, then kill it without a chance to clean up.
    let deadline = Instant::now() + Duration::from_secs(5);
    while up.slow.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "A never called the upstream");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, _, running) = call(&b, "GET", &get_job, &[]).await.unwrap();
    assert_eq!(running["status"], "running");
    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();

    // B's recovery scan re-runs the GET (idempotent) once the lease lapsed...
    let (status, body) = settle(&b, &get_job, Duration::from_secs(20)).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(body["status"], "succeeded");
    // ...and fails the POST as interrupted instead of repeating it behind the caller's back.
    let (status, job) = settle(&b, &post_job, Duration::from_secs(20)).await;
    assert_eq!(status, 303, "{job}");
    assert_eq!(job["status"], "failed");
    assert_eq!(job["error"]["code"], "job-interrupted");
    let (status, _, problem) = call(&b, "GET", &format!("{post_job}/result"), &[])
        .await
        .unwrap();
    assert_eq!(status, 500, "{problem}");
    assert_eq!(problem["type"], "/_sluice/problems/job-interrupted");
    assert_eq!(problem["job"]["status"], "failed");
    assert_eq!(
        up.slow.load(Ordering::SeqCst),
        3,
        "the GET ran twice, the POST once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_replicas_share_jobs_and_presigned_results_are_fetched_by_plain_http() {
    let Some(s3) = s3server::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = s3.bucket("replicas").url;
    let spec = write_spec(dir.path(), &store, "presigned");
    let mut env = Vec::new();
    if let Some(endpoint) = s3.endpoint() {
        env.extend([
            ("AWS_ENDPOINT", endpoint.to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
            ("AWS_ACCESS_KEY_ID", s3server::ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", s3server::SECRET_KEY.to_owned()),
            ("AWS_REGION", s3server::REGION.to_owned()),
            ("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false".to_owned()),
        ]);
    }
    let up = upstream().await;
    let a = replica_with(&spec, up.addr, &env).await;
    let b = replica_with(&spec, up.addr, &env).await;
    let (status, headers, job) = call(&a, "GET", "/members", &[("prefer", "respond-async")])
        .await
        .unwrap();
    assert_eq!(status, 202, "{job}");
    let location = headers["location"].to_str().unwrap().to_owned();
    let (status, body) = settle(&b, &location, Duration::from_secs(20)).await;
    assert_eq!(status, 303, "{body}");

    // The 303 from B points straight at the bucket: a presigned URL any HTTP client can GET.
    let (_, headers, _) = call(&b, "GET", &location, &[]).await.unwrap();
    let presigned = headers["location"].to_str().unwrap().to_owned();
    assert!(presigned.contains("X-Amz-Signature="), "{presigned}");
    let (status, headers, _) = call(&a, "GET", &format!("{location}/result"), &[])
        .await
        .unwrap();
    assert_eq!(status, 303);
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .contains("X-Amz-Signature=")
    );
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let fetched = client.get(presigned.parse().unwrap()).await.unwrap();
    assert_eq!(fetched.status(), 200);
    let bytes = fetched.into_body().collect().await.unwrap().to_bytes();
    let result: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(result[0]["id"], 1);
    assert_ne!(
        result[0]["login"], "octocat",
        "the stored result is sanitized"
    );
    // Without the signature the bucket refuses.
    let unsigned = presigned.split('?').next().unwrap().to_owned();
    let refused = client.get(unsigned.parse().unwrap()).await.unwrap();
    assert_eq!(refused.status(), 403);
}

/// A replica with two serving threads and its store in `dir`.
async fn two_thread_replica(dir: &Path, upstream: SocketAddr) -> Replica {
    let spec = write_spec(dir, &format!("file://{}", dir.display()), "proxy");
    replica_with(&spec, upstream, &[("SLUICE_THREADS", "2".into())]).await
}

/// Waits (up to 5 s) until the upstream has seen `n` calls to `/slow`.
async fn slow_calls(up: &Upstream, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while up.slow.load(Ordering::SeqCst) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends SIGTERM to the replica's process.
fn sigterm(replica: &Replica) {
    let pid = replica.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
}

/// Waits (up to 10 s) for the replica's process to exit, and checks it exited with success.
async fn stopped(replica: &mut Replica) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = replica.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the process did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_the_requests_in_flight_on_every_serving_thread() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = two_thread_replica(dir.path(), up.addr).await;
    let proxy = Arc::new(proxy);
    // Four slow requests on four connections: both serving threads hold some.
    let in_flight: Vec<_> = (0..4)
        .map(|_| {
            let proxy = proxy.clone();
            tokio::spawn(async move { call(&proxy, "GET", "/slow", &[]).await })
        })
        .collect();
    slow_calls(&up, 4).await;
    assert_eq!(
        up.slow.load(Ordering::SeqCst),
        4,
        "all four reached the upstream"
    );
    sigterm(&proxy);
    for answer in in_flight {
        let (status, _, body) = answer.await.unwrap().expect("answered, not cut off");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body[0]["id"], 1);
    }
    let mut proxy = Arc::into_inner(proxy).expect("the requests are done");
    stopped(&mut proxy).await;
    assert!(
        call(&proxy, "GET", "/_sluice/healthz", &[]).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_running_job_finish_before_the_process_exits() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = two_thread_replica(dir.path(), up.addr).await;
    let (status, headers, _) = call(&a, "GET", "/slow", &[("prefer", "respond-async")])
        .await
        .unwrap();
    assert_eq!(status, 202);
    let location = headers["location"].to_str().unwrap().to_owned();
    slow_calls(&up, 1).await;
    assert_eq!(up.slow.load(Ordering::SeqCst), 1, "the job is running");
    sigterm(&a);
    stopped(&mut a).await;
    // The job ended before the process did: a new replica on the same store finds it done at
    // once, with no second upstream call (an interrupted job would still be `running`, and be
    // run again after its lease).
    let b = two_thread_replica(dir.path(), up.addr).await;
    let (status, _, job) = call(&b, "GET", &location, &[]).await.unwrap();
    assert_eq!(status, 303, "{job}");
    let (status, _, result) = call(&b, "GET", &format!("{location}/result"), &[])
        .await
        .unwrap();
    assert_eq!(status, 200, "{result}");
    assert_eq!(result[0]["id"], 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(up.slow.load(Ordering::SeqCst), 1, "not run again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_callers_get_the_same_sanitized_answers_on_every_serving_thread() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = two_thread_replica(dir.path(), up.addr).await;
    let (_, _, http1) = call(&proxy, "GET", "/members", &[]).await.unwrap();
    // HTTP/2 with prior knowledge (h2c), several connections so both serving threads get some.
    for _ in 0..4 {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
            .http2_only(true)
            .build_http();
        let request = Request::get(format!("http://{}/members", proxy.addr))
            .header("authorization", format!("Bearer {KEY}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let answer = client.request(request).await.unwrap();
        assert_eq!(answer.version(), http::Version::HTTP_2);
        assert_eq!(answer.status(), 200);
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json, http1,
            "HTTP/2 and HTTP/1.1 callers get the same answer"
        );
        assert_ne!(json[0]["login"], "octocat");
    }
}
