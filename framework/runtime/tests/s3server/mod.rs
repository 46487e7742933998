//! A real S3-protocol server for tests: `s3s-fs` on 127.0.0.1 over a tempdir, one per
//! [`start`], with fixed credentials; or, when `SLUICE_TEST_S3_BUCKET` is set, that bucket on
//! AWS (or whatever the standard `AWS_*` variables point at), under a prefix unique to the run.
//!
//! Clients reach s3s-fs through [`gate::Gate`], which makes its conditional PUTs atomic as they
//! are on S3.
//!
//! Without `s3s-fs` the callers skip (a note goes to stderr) unless `SLUICE_REQUIRE_S3=1`, in
//! which case they fail, saying how to install it.

#![allow(dead_code, unreachable_pub)]

mod gate;

use std::fs::File;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, RetryConfig};
use sluice::stores::Bucket;

/// The bucket created in every s3s-fs root.
pub const BUCKET: &str = "sluice-test";
/// The access key s3s-fs accepts.
pub const ACCESS_KEY: &str = "sluice-test-access";
/// The secret key s3s-fs accepts.
pub const SECRET_KEY: &str = "sluice-test-secret-0123456789";
/// The region requests are signed for (s3s-fs accepts any).
pub const REGION: &str = "us-east-1";

const INSTALL: &str = "cargo install s3s-fs@0.14.1 --features binary --locked";

/// A running S3 endpoint with a bucket, and a key prefix that belongs to this value alone.
pub struct S3Server {
    backend: Backend,
    /// The bucket every [`bucket`](Self::bucket) opens.
    bucket_name: String,
    /// Everything this value's buckets write is under this prefix.
    run_prefix: String,
    /// One client for every bucket handed out.
    store: Arc<AmazonS3>,
}

enum Backend {
    /// An s3s-fs child process, the tempdir holding its root and log, and the front clients
    /// reach it through.
    Local {
        child: Child,
        dir: tempfile::TempDir,
        gate: gate::Gate,
        endpoint: String,
    },
    /// A bucket configured by `SLUICE_TEST_S3_BUCKET` and `AWS_*`.
    External,
}

/// Starts s3s-fs (or connects to the external bucket). `None` when s3s-fs is not installed and
/// `SLUICE_REQUIRE_S3` is not `1`: the caller returns early.
pub fn start() -> Option<S3Server> {
    if let Some(bucket) = std::env::var("SLUICE_TEST_S3_BUCKET")
        .ok()
        .filter(|b| !b.is_empty())
    {
        return Some(S3Server::external(bucket));
    }
    let Some(binary) = find_s3s_fs() else {
        if std::env::var("SLUICE_REQUIRE_S3").as_deref() == Ok("1") {
            panic!(
                "SLUICE_REQUIRE_S3=1 but s3s-fs is not on PATH nor in ~/.cargo/bin; install it \
                 with `{INSTALL}`, or unset SLUICE_REQUIRE_S3 to skip the S3 tests"
            );
        }
        static NOTE: Once = Once::new();
        // Straight to the process's stderr: the test harness hides what `eprintln!` prints in
        // a passing test, and this note is for whoever wonders why the tests were so quick.
        NOTE.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "note: s3s-fs is not installed, so the S3 tests are skipped; install it with \
                 `{INSTALL}` (or set SLUICE_TEST_S3_BUCKET to run them against AWS S3)"
            );
        });
        return None;
    };
    Some(S3Server::local(&binary))
}

impl S3Server {
    fn local(binary: &std::path::Path) -> Self {
        let dir = tempfile::tempdir().expect("a tempdir for s3s-fs");
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join(BUCKET)).expect("the bucket directory");
        // Another process may take the free port between our probe and s3s-fs binding it;
        // then s3s-fs exits and we try another.
        let mut failures = Vec::new();
        for attempt in 0..3 {
            let addr = free_addr();
            let log_path = dir.path().join(format!("s3s-fs-{attempt}.log"));
            let log = File::create(&log_path).expect("the s3s-fs log");
            let mut child = Command::new(binary)
                .arg("--host")
                .arg(addr.ip().to_string())
                .arg("--port")
                .arg(addr.port().to_string())
                .arg("--access-key")
                .arg(ACCESS_KEY)
                .arg("--secret-key")
                .arg(SECRET_KEY)
                .arg(&root)
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("the s3s-fs log"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
            match wait_until_listening(&mut child, addr) {
                Ok(()) => {
                    let gate = gate::Gate::start(addr);
                    let endpoint = format!("http://{}", gate.addr);
                    let store = AmazonS3Builder::new()
                        .with_endpoint(&endpoint)
                        .with_allow_http(true)
                        .with_virtual_hosted_style_request(false)
                        .with_region(REGION)
                        .with_bucket_name(BUCKET)
                        .with_access_key_id(ACCESS_KEY)
                        .with_secret_access_key(SECRET_KEY)
                        .with_retry(quick_retries())
                        .build()
                        .expect("an S3 client for s3s-fs");
                    return Self {
                        backend: Backend::Local {
                            child,
                            dir,
                            gate,
                            endpoint,
                        },
                        bucket_name: BUCKET.to_owned(),
                        run_prefix: unique_prefix(),
                        store: Arc::new(store),
                    };
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    failures.push(format!("on {addr}: {why}\n{log}"));
                }
            }
        }
        panic!("s3s-fs did not start:\n{}", failures.join("\n"));
    }

    fn external(bucket: String) -> Self {
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(&bucket)
            .build()
            .unwrap_or_else(|e| {
                panic!("SLUICE_TEST_S3_BUCKET={bucket}: cannot configure S3 from AWS_*: {e}")
            });
        Self {
            backend: Backend::External,
            bucket_name: bucket,
            run_prefix: unique_prefix(),
            store: Arc::new(store),
        }
    }

    /// A signing bucket for `prefix` under this server's own prefix.
    pub fn bucket(&self, prefix: &str) -> Bucket {
        let prefix = Path::from(format!("{}/{prefix}", self.run_prefix));
        let url = format!("s3://{}/{prefix}/", self.bucket_name);
        Bucket::with_signer(self.store.clone(), prefix, url)
    }

    /// The S3 client every bucket shares.
    pub fn store(&self) -> Arc<AmazonS3> {
        self.store.clone()
    }

    /// `http://127.0.0.1:port` (the front of s3s-fs); `None` for an external bucket.
    pub fn endpoint(&self) -> Option<&str> {
        match &self.backend {
            Backend::Local { endpoint, .. } => Some(endpoint),
            Backend::External => None,
        }
    }

    /// The directory s3s-fs stores objects in; `None` for an external bucket.
    pub fn root(&self) -> Option<PathBuf> {
        match &self.backend {
            Backend::Local { dir, .. } => Some(dir.path().join("root")),
            Backend::External => None,
        }
    }

    /// Whether this is a bucket on an external S3 rather than a local s3s-fs.
    pub fn is_external(&self) -> bool {
        matches!(self.backend, Backend::External)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        match &mut self.backend {
            Backend::Local { child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
            // Objects cost money: delete what this run wrote. Drop cannot await and may run
            // inside a runtime, so a thread of its own runs a small runtime.
            Backend::External => {
                let store = self.store.clone();
                let prefix = Path::from(self.run_prefix.as_str());
                let cleaned = std::thread::spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?
                        .block_on(delete_under(store, prefix))
                })
                .join();
                if let Ok(Err(e)) = cleaned {
                    eprintln!(
                        "warning: could not delete s3://{}/{}/ after the test: {e}",
                        self.bucket_name, self.run_prefix
                    );
                }
            }
        }
    }
}

async fn delete_under(store: Arc<AmazonS3>, prefix: Path) -> Result<(), String> {
    let keys = store
        .list(Some(&prefix))
        .map_ok(|meta| meta.location)
        .boxed();
    store
        .delete_stream(keys)
        .try_collect::<Vec<_>>()
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// `s3s-fs` on `PATH`, else in `$CARGO_HOME/bin` or `~/.cargo/bin`.
fn find_s3s_fs() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let cargo_bins = [
        std::env::var_os("CARGO_HOME").map(|home| PathBuf::from(home).join("bin")),
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo/bin")),
    ];
    on_path
        .into_iter()
        .chain(cargo_bins.into_iter().flatten())
        .map(|dir| dir.join("s3s-fs"))
        .find(|candidate| candidate.is_file())
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
}

fn wait_until_listening(child: &mut Child, addr: SocketAddr) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("s3s-fs exited: {status}"));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("s3s-fs is not listening after 10 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A server that is gone should fail a test in seconds, not after object_store's default
/// three minutes of retries.
fn quick_retries() -> RetryConfig {
    RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(10),
        ..RetryConfig::default()
    }
}

/// `sluice-test/{utc time}-{random}`: unique per server, sortable, easy to find and delete.
fn unique_prefix() -> String {
    let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("sluice-test/{now}-{}", &random[..12])
}
