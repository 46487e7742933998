//! Callback delivery over real sockets: receivers are hyper servers on 127.0.0.1, the job store
//! is an in-memory object store, and the SSRF guard refuses loopback unless it is allowlisted.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use object_store::memory::InMemory;
use object_store::path::Path;
use sluice::callback::{CallbackSettings, Callbacks, Delivery, WebhookSecret, verify};
use sluice::jobs::{
    Callback, CallbackAttempt, CallbackMode, CallbackOutcome, Job, JobId, JobRequest, JobSettings,
    JobStore, NewJob,
};
use sluice::stores::Bucket;
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"id":"job","status":"succeeded"}"#;

/// One request a receiver got.
struct Seen {
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

/// A webhook receiver on 127.0.0.1.
struct Receiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
}

impl Receiver {
    fn url(&self) -> String {
        format!("http://{}/hooks/sluice", self.addr)
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Vec<Seen>> {
        self.seen.lock().unwrap()
    }
}

/// A receiver answering `statuses` in turn (the last one again once they run out), or never
/// answering when `statuses` is empty.
async fn receiver(statuses: &[u16]) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let statuses: Arc<Vec<u16>> = Arc::new(statuses.to_vec());
    let (s, c) = (seen.clone(), connections.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            c.fetch_add(1, Ordering::SeqCst);
            let (seen, statuses) = (s.clone(), statuses.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (seen, statuses) = (seen.clone(), statuses.clone());
                    async move {
                        let at = Instant::now();
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let n = {
                            let mut seen = seen.lock().unwrap();
                            seen.push(Seen {
                                at,
                                headers: parts.headers,
                                body,
                            });
                            seen.len()
                        };
                        let Some(last) = statuses.last() else {
                            let never: Infallible = std::future::pending().await;
                            match never {}
                        };
                        let status = statuses.get(n - 1).unwrap_or(last);
                        let mut response = Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = StatusCode::from_u16(*status).unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Receiver {
        addr,
        seen,
        connections,
    }
}

fn loopback_allowed(settings: CallbackSettings) -> CallbackSettings {
    CallbackSettings {
        allow_networks: vec!["127.0.0.1/32".parse().unwrap()],
        ..settings
    }
}

fn store() -> JobStore {
    let bucket = Bucket::new(Arc::new(InMemory::new()), Path::from("t"), "memory://t");
    JobStore::new(bucket, "r1", JobSettings::default())
}

/// A job with a callback to `url`, in a fresh store.
async fn job(url: &str) -> (JobStore, Job) {
    let store = store();
    let mut new = NewJob::new(
        "analytics",
        JobRequest::new("GET", "/orgs/acme/members", None, 0),
    );
    new.callback = Some(Callback {
        url: url.to_owned(),
        mode: CallbackMode::Notify,
        attempts: Vec::new(),
    });
    let job = store.create(new).await.unwrap();
    (store, job)
}

async fn attempts(store: &JobStore, id: &JobId) -> Vec<CallbackAttempt> {
    let job = store.get(id).await.unwrap().expect("the job exists");
    job.callback.expect("the job has a callback").attempts
}

async fn send(callbacks: &Callbacks, store: &JobStore, job: &Job, url: &str) -> Delivery {
    let url = url.parse().expect("a URI");
    callbacks
        .deliver(
            store,
            &job.id,
            &url,
            "msg_job",
            Bytes::from_static(BODY),
            "application/json",
        )
        .await
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_signed_id_until_a_2xx() {
    let rx = receiver(&[503, 503, 204]).await;
    let secret = WebhookSecret::from_key([9u8; 32]);
    let callbacks = Callbacks::new(loopback_allowed(CallbackSettings {
        secret: Some(secret.clone()),
        first_delay: Duration::from_millis(50),
        max_attempts: 5,
        ..CallbackSettings::default()
    }));
    let url = callbacks.check_url(&rx.url()).expect("an acceptable URL");
    let (store, job) = job(&rx.url()).await;

    let delivery = send(&callbacks, &store, &job, &url.to_string()).await;

    assert_eq!(
        delivery,
        Delivery::Delivered {
            attempts: 3,
            status: 204
        }
    );
    {
        let seen = rx.seen();
        assert_eq!(seen.len(), 3);
        for request in seen.iter() {
            assert_eq!(request.headers["webhook-id"], "msg_job");
            assert_eq!(request.body, BODY);
            assert_eq!(verify(&secret, &request.headers, &request.body), Ok(()));
            assert_eq!(request.headers["content-type"], "application/json");
            let agent = request.headers["user-agent"].to_str().unwrap();
            assert!(agent.starts_with("sluice/"), "{agent}");
            let mut names: Vec<&str> = request.headers.keys().map(|k| k.as_str()).collect();
            names.sort_unstable();
            assert_eq!(
                names,
                [
                    "content-length",
                    "content-type",
                    "host",
                    "user-agent",
                    "webhook-id",
                    "webhook-signature",
                    "webhook-timestamp"
                ]
            );
        }
        // The first retry waits at least the first delay, the second at least twice that.
        assert!(seen[1].at - seen[0].at >= Duration::from_millis(50));
        assert!(seen[2].at - seen[1].at >= Duration::from_millis(100));
    }

    let recorded: Vec<CallbackOutcome> = attempts(&store, &job.id)
        .await
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(
        recorded,
        [503, 503, 204].map(|status| CallbackOutcome::Answered { status })
    );
}

#[tokio::test]
async fn loopback_is_refused_at_connect_time_without_the_allowlist() {
    let rx = receiver(&[204]).await;
    let callbacks = Callbacks::new(CallbackSettings {
        first_delay: Duration::from_millis(10),
        ..CallbackSettings::default()
    });
    let port = rx.port();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        // A name: refused on the addresses it resolves to.
        format!("http://localhost:{port}/hook"),
        // IPv4-mapped IPv6: the same loopback in disguise.
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
    ] {
        let (store, job) = job(&url).await;

        let delivery = send(&callbacks, &store, &job, &url).await;

        let Delivery::Refused { reason } = delivery else {
            panic!("{url}: {delivery:?}");
        };
        assert!(reason.contains("127.0.0.1"), "{reason}");
        assert!(
            reason.contains("SLUICE_CALLBACK_ALLOW_NETWORKS=127.0.0.1/32"),
            "{reason}"
        );
        assert_eq!(
            attempts(&store, &job.id)
                .await
                .into_iter()
                .map(|a| a.outcome)
                .collect::<Vec<_>>(),
            [CallbackOutcome::Unreachable { error: reason }],
            "{url}"
        );
    }
    assert_eq!(rx.connections(), 0, "the receiver got no connection");
}

#[tokio::test]
async fn ip_literals_in_refused_ranges_are_refused_when_the_job_is_accepted() {
    let callbacks = Callbacks::new(CallbackSettings::default());
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/hook",
    ] {
        let problem = callbacks.check_url(url).unwrap_err();
        assert_eq!(problem.status, 400, "{url}");
        assert!(problem.detail.contains("in "), "{}", problem.detail);
    }
    // A name is only judged when connecting: it may resolve differently by then.
    assert!(callbacks.check_url("http://localhost:8080/hook").is_ok());
    let allowed = Callbacks::new(loopback_allowed(CallbackSettings::default()));
    assert!(allowed.check_url("http://127.0.0.1:8080/hook").is_ok());
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let rx = receiver(&[400]).await;
    let callbacks = Callbacks::new(loopback_allowed(CallbackSettings {
        first_delay: Duration::from_millis(10),
        ..CallbackSettings::default()
    }));
    let (store, job) = job(&rx.url()).await;

    let delivery = send(&callbacks, &store, &job, &rx.url()).await;

    assert_eq!(
        delivery,
        Delivery::GaveUp {
            attempts: 1,
            last: "answered 400 Bad Request; not retried".into()
        }
    );
    assert_eq!(rx.seen().len(), 1);
    assert_eq!(attempts(&store, &job.id).await.len(), 1);
}

#[tokio::test]
async fn a_silent_receiver_times_out_on_every_attempt_up_to_the_limit() {
    let rx = receiver(&[]).await;
    let callbacks = Callbacks::new(loopback_allowed(CallbackSettings {
        first_delay: Duration::from_millis(20),
        max_attempts: 3,
        timeout: Duration::from_millis(200),
        ..CallbackSettings::default()
    }));
    let (store, job) = job(&rx.url()).await;
    let started = Instant::now();

    let delivery = send(&callbacks, &store, &job, &rx.url()).await;

    assert_eq!(
        delivery,
        Delivery::GaveUp {
            attempts: 3,
            last: "no answer within 200ms".into()
        }
    );
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(rx.seen().len(), 3);
    let recorded = attempts(&store, &job.id).await;
    assert_eq!(recorded.len(), 3);
    assert!(recorded.iter().all(|a| a.outcome
        == CallbackOutcome::Unreachable {
            error: "no answer within 200ms".into()
        }));
}

#[tokio::test]
async fn a_closed_port_is_retried_and_the_error_recorded() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    let callbacks = Callbacks::new(loopback_allowed(CallbackSettings {
        first_delay: Duration::from_millis(10),
        max_attempts: 2,
        ..CallbackSettings::default()
    }));
    let (store, job) = job(&url).await;

    let delivery = send(&callbacks, &store, &job, &url).await;

    let Delivery::GaveUp { attempts: 2, last } = delivery else {
        panic!("{delivery:?}");
    };
    assert!(last.to_lowercase().contains("connect"), "{last}");
    assert_eq!(attempts(&store, &job.id).await.len(), 2);
}

#[tokio::test]
async fn a_failure_to_record_does_not_stop_delivery() {
    let rx = receiver(&[200]).await;
    let callbacks = Callbacks::new(loopback_allowed(CallbackSettings::default()));
    let url = rx.url().parse().unwrap();

    // No such job: recording fails, the message is delivered all the same.
    let delivery = callbacks
        .deliver(
            &store(),
            &JobId::random(),
            &url,
            "msg_x",
            Bytes::from_static(b"done"),
            "text/plain",
        )
        .await;

    assert_eq!(
        delivery,
        Delivery::Delivered {
            attempts: 1,
            status: 200
        }
    );
    // Unsigned without a secret: no signature header.
    assert!(!rx.seen()[0].headers.contains_key("webhook-signature"));
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn settings_come_from_the_environment() {
    let defaults = CallbackSettings::resolve(&env(&[])).unwrap();
    assert_eq!(defaults.first_delay, Duration::from_secs(5));
    assert_eq!(defaults.max_attempts, 8);
    assert_eq!(defaults.timeout, Duration::from_secs(10));
    assert!(defaults.secret.is_none() && defaults.allow_networks.is_empty());

    let set = CallbackSettings::resolve(&env(&[
        (
            "SLUICE_WEBHOOK_SECRET",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        ("SLUICE_CALLBACK_BACKOFF", "200ms"),
        ("SLUICE_CALLBACK_ATTEMPTS", "3"),
        (
            "SLUICE_CALLBACK_ALLOW_NETWORKS",
            "10.20.0.0/16, fd00::/8,127.0.0.1",
        ),
        ("SLUICE_CALLBACK_TIMEOUT", "30s"),
    ]))
    .unwrap();
    assert!(set.secret.is_some());
    assert_eq!(set.first_delay, Duration::from_millis(200));
    assert_eq!(set.max_attempts, 3);
    assert_eq!(set.timeout, Duration::from_secs(30));
    assert_eq!(
        set.allow_networks,
        ["10.20.0.0/16", "fd00::/8", "127.0.0.1/32"].map(|n| n.parse().unwrap())
    );
}

#[test]
fn bad_settings_name_the_variable() {
    for (name, value, says) in [
        ("SLUICE_WEBHOOK_SECRET", "hunter2", "whsec_"),
        ("SLUICE_WEBHOOK_SECRET", "whsec_%%%", "base64"),
        (
            "SLUICE_CALLBACK_ALLOW_NETWORKS",
            "10.0.0.0/8,bogus",
            "`bogus` is not a network",
        ),
        ("SLUICE_CALLBACK_BACKOFF", "soon", "like 30s"),
        ("SLUICE_CALLBACK_TIMEOUT", "0s", "longer than zero"),
        ("SLUICE_CALLBACK_ATTEMPTS", "0", "1 or more"),
        ("SLUICE_CALLBACK_ATTEMPTS", "many", "whole number"),
    ] {
        let problem = CallbackSettings::resolve(&env(&[(name, value)])).unwrap_err();
        let message = problem.to_string();
        assert!(message.contains(name), "{message}");
        assert!(message.contains(says), "{message}");
        if name == "SLUICE_WEBHOOK_SECRET" {
            assert!(!message.contains(value), "the secret is echoed: {message}");
        }
    }
}

#[test]
fn callback_urls_must_be_absolute_http_without_credentials() {
    let callbacks = Callbacks::new(CallbackSettings::default());
    for (url, says) in [
        ("ftp://x", "the scheme `ftp`"),
        ("/jobs/done", "not an absolute URL"),
        ("collector.example/done", "not an absolute URL"),
        ("http://user:pw@collector.example/", "user name or password"),
        ("http:// bad", "not an absolute URL"),
    ] {
        let problem = callbacks.check_url(url).unwrap_err();
        assert_eq!(problem.status, 400, "{url}");
        assert_eq!(problem.type_uri, "/_sluice/problems/invalid-callback");
        assert!(
            problem.detail.starts_with("Asynchronous-End-Point "),
            "{}",
            problem.detail
        );
        assert!(problem.detail.contains(says), "{}", problem.detail);
        assert!(
            problem.detail.contains("https://"),
            "says what is expected: {}",
            problem.detail
        );
        assert!(!problem.detail.contains("pw@"), "{}", problem.detail);
    }
    let uri = callbacks
        .check_url("HTTPS://Collector.example/jobs/done?tenant=1")
        .unwrap();
    assert_eq!(uri.scheme_str(), Some("https"));
    assert_eq!(uri.path_and_query().unwrap(), "/jobs/done?tenant=1");
    assert!(callbacks.check_url("http://collector.example").is_ok());
}
