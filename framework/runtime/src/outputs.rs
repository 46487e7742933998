//! Side outputs: a copy of every proxied response, the upstream's original and/or the sanitized
//! one, written to the spec's buckets under `<prefix>/<yyyymmdd>/<request-id>`, optionally
//! gzipped, with the exchange's metadata. A failed write is reported (warning header, metric,
//! log) and, unless the output is `required`, does not fail the caller's request.
//!
//! Metadata goes into the object's attributes where the store supports them; stores that do not
//! (a local directory) get it as a `<key>.meta.json` object beside the body.
//!
//! Local directories are written directly, all of an exchange's files in one blocking task (not
//! one object-store call, and blocking-thread hand-off, per file), in the layout the object
//! store reads: each file staged as `<name>#<n>` and renamed into place, the metadata before the
//! body, so a body that can be seen has its metadata. Files are 0600, directories 0700.

use std::cell::RefCell;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use object_store::{Attribute, Attributes, ObjectStoreExt as _, PutOptions, PutPayload};
use serde::Serialize;
use sluice_spec::connector::{SideOutput, SideOutputContent};

use crate::config::ConfigProblem;
use crate::stores::Bucket;

/// One configured side output.
#[derive(Debug, Clone)]
struct Target {
    content: SideOutputContent,
    bucket: Bucket,
    required: bool,
    gzip: bool,
    /// Cleared once the store answers that it keeps no attributes, so later writes go straight
    /// to body + sidecar instead of trying attributes first every time.
    attributes: Arc<AtomicBool>,
}

/// All side outputs of a connector.
#[derive(Debug, Clone, Default)]
pub struct SideOutputs {
    targets: Vec<Target>,
}

/// What an exchange leaves for side outputs.
#[derive(Debug, Clone, Serialize)]
pub struct Record<'a> {
    /// Request id, also the object's name.
    pub request_id: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// Request path.
    pub path: &'a str,
    /// Request query, if any.
    pub query: Option<&'a str>,
    /// Upstream status code.
    pub upstream_status: u16,
    /// Upstream content type.
    pub content_type: Option<&'a str>,
    /// SHA-256 of the rules.
    pub rules_sha256: &'a str,
    /// `yyyymmdd` (UTC) of the exchange.
    #[serde(skip)]
    pub date: &'a str,
    /// The upstream's body, decompressed, before sanitizing.
    #[serde(skip)]
    pub original: &'a [u8],
    /// The body sent to the caller.
    #[serde(skip)]
    pub sanitized: &'a [u8],
}

/// The outcome of writing side outputs for one exchange.
#[derive(Debug, Default)]
pub struct Report {
    /// Outputs that failed: destination URL and why.
    pub failures: Vec<(String, String)>,
    /// Whether a `required` output failed (the request must fail).
    pub required_failed: bool,
}

impl SideOutputs {
    /// Opens every side output of the spec.
    pub fn open(outputs: &[SideOutput]) -> Result<Self, ConfigProblem> {
        let targets = outputs
            .iter()
            .map(|o| {
                Ok(Target {
                    content: o.content,
                    bucket: Bucket::open(&o.destination.value)?,
                    required: o.required,
                    gzip: o.gzip,
                    attributes: Arc::new(AtomicBool::new(true)),
                })
            })
            .collect::<Result<_, ConfigProblem>>()?;
        Ok(Self { targets })
    }

    /// Whether any output is configured.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Whether any output must succeed for the request to succeed.
    pub fn any_required(&self) -> bool {
        self.targets.iter().any(|t| t.required)
    }

    /// The buckets, for readiness checks.
    pub fn buckets(&self) -> impl Iterator<Item = &Bucket> {
        self.targets.iter().map(|t| &t.bucket)
    }

    /// Writes every output for `record`, concurrently.
    pub async fn write(&self, record: &Record<'_>) -> Report {
        let mut local = Vec::new();
        let mut remote = Vec::new();
        for (index, target) in self.targets.iter().enumerate() {
            match &target.bucket.local_root {
                Some(root) => local.push((index, LocalWrite::new(target, root, record))),
                None => remote.push(async move { (index, write_one(target, record).await) }),
            }
        }
        let local = async move {
            if local.is_empty() {
                return Vec::new();
            }
            let indices: Vec<usize> = local.iter().map(|(index, _)| *index).collect();
            let failed = |why: &str| -> Vec<(usize, Result<(), String>)> {
                indices.iter().map(|i| (*i, Err(why.to_owned()))).collect()
            };
            let (done, written) = tokio::sync::oneshot::channel();
            let sent = local_writer().send(Box::new(move || {
                let results = local
                    .into_iter()
                    .map(|(index, write)| (index, write.run()))
                    .collect();
                let _ = done.send(results);
            }));
            if sent.is_err() {
                return failed("the side-output writer thread has stopped");
            }
            written
                .await
                .unwrap_or_else(|_| failed("the side-output writer thread failed"))
        };
        let (local, remote) = futures::future::join(local, futures::future::join_all(remote)).await;
        let mut report = Report::default();
        for (index, result) in local.into_iter().chain(remote) {
            if let Err(e) = result {
                let target = &self.targets[index];
                report.required_failed |= target.required;
                report.failures.push((target.bucket.url.clone(), e));
            }
        }
        report
    }
}

/// A batch of local writes, run on the writer thread.
type LocalBatch = Box<dyn FnOnce() + Send>;

/// The thread that writes every side output to local directories, one exchange after another.
/// One thread, not a pool: files created at once in the same directory contend for the
/// directory's lock, and the kernel spins waiting for it; one after another they do not.
fn local_writer() -> &'static std::sync::mpsc::Sender<LocalBatch> {
    static WRITER: std::sync::OnceLock<std::sync::mpsc::Sender<LocalBatch>> =
        std::sync::OnceLock::new();
    WRITER.get_or_init(|| {
        let (batches, incoming) = std::sync::mpsc::channel::<LocalBatch>();
        let spawned = std::thread::Builder::new()
            .name("sluice-side-outputs".into())
            .spawn(move || {
                while let Ok(batch) = incoming.recv() {
                    batch();
                }
            });
        if let Err(e) = spawned {
            // Sends then fail, and every local side output reports the failure.
            tracing::error!(error = %e, "cannot start the side-output writer thread");
        }
        batches
    })
}

/// One output to a local directory, with everything it needs to be written off the event loop.
struct LocalWrite {
    body: Vec<u8>,
    gzip: bool,
    path: PathBuf,
    meta_path: PathBuf,
    meta: Vec<u8>,
}

impl LocalWrite {
    fn new(target: &Target, root: &Path, record: &Record<'_>) -> Self {
        let body = match target.content {
            SideOutputContent::Original => record.original,
            SideOutputContent::Sanitized => record.sanitized,
        };
        let dir = root.join(target.bucket.prefix.as_ref()).join(record.date);
        Self {
            body: body.to_vec(),
            gzip: target.gzip,
            path: dir.join(record.request_id),
            meta_path: dir.join(format!("{}.meta.json", record.request_id)),
            meta: metadata_json(record, target),
        }
    }

    fn run(self) -> Result<(), String> {
        let body = if self.gzip {
            gzip(&self.body).map_err(|e| format!("cannot gzip the body: {e}"))?
        } else {
            self.body
        };
        write_file(&self.meta_path, &self.meta)
            .and_then(|()| write_file(&self.path, &body))
            .map_err(|(path, e)| format!("cannot write {}: {e}", path.display()))
    }
}

/// Writes `bytes` to `path` atomically: staged as `<path>#<n>` (the form the object store's
/// listings skip), then renamed. The file is 0600 and missing directories are created 0700:
/// side outputs are personal data, readable by the proxy's user only.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), (PathBuf, std::io::Error)> {
    static STAGE: AtomicU64 = AtomicU64::new(1);
    let mut attempts = 0;
    loop {
        let mut staging = path.as_os_str().to_owned();
        staging.push(format!("#{}", STAGE.fetch_add(1, Ordering::Relaxed)));
        let staging = PathBuf::from(staging);
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&staging);
        let mut file = match opened {
            Ok(file) => file,
            Err(e) if attempts < 3 && e.kind() == std::io::ErrorKind::NotFound => {
                attempts += 1;
                if let Some(dir) = path.parent() {
                    crate::stores::private_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
                }
                continue;
            }
            Err(e) if attempts < 3 && e.kind() == std::io::ErrorKind::AlreadyExists => {
                attempts += 1;
                continue;
            }
            Err(e) => return Err((staging, e)),
        };
        let written = file
            .write_all(bytes)
            .and_then(|()| std::fs::rename(&staging, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&staging);
            return Err((path.to_path_buf(), e));
        }
        return Ok(());
    }
}

async fn write_one(target: &Target, record: &Record<'_>) -> Result<(), String> {
    let body = match target.content {
        SideOutputContent::Original => record.original,
        SideOutputContent::Sanitized => record.sanitized,
    };
    let body = if target.gzip {
        gzip(body).map_err(|e| e.to_string())?
    } else {
        body.to_vec()
    };
    let key = target.bucket.key(&[record.date, record.request_id]);
    let mut attributes = Attributes::new();
    attributes.insert(
        Attribute::ContentType,
        record
            .content_type
            .unwrap_or("application/json")
            .to_owned()
            .into(),
    );
    if target.gzip {
        attributes.insert(Attribute::ContentEncoding, "gzip".into());
    }
    let metadata = metadata(record, target);
    for (name, value) in &metadata {
        attributes.insert(Attribute::Metadata((*name).into()), value.clone().into());
    }
    let store = &target.bucket.store;
    let payload = PutPayload::from(Bytes::from(body));
    if target.attributes.load(Ordering::Relaxed) {
        let with_attributes = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        match store.put_opts(&key, payload.clone(), with_attributes).await {
            Ok(_) => return Ok(()),
            Err(object_store::Error::NotImplemented { .. }) => {
                target.attributes.store(false, Ordering::Relaxed);
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    // The store keeps no attributes: the body plain and the metadata beside it, both at once.
    let meta_key = target
        .bucket
        .key(&[record.date, &format!("{}.meta.json", record.request_id)]);
    let bytes = metadata_json(record, target);
    let (body, meta) = futures::future::join(
        store.put(&key, payload),
        store.put(&meta_key, PutPayload::from(bytes)),
    )
    .await;
    body.and(meta).map(|_| ()).map_err(|e| e.to_string())
}

/// The metadata as the JSON object of a `<key>.meta.json` sidecar.
fn metadata_json(record: &Record<'_>, target: &Target) -> Vec<u8> {
    let meta: serde_json::Map<String, serde_json::Value> = metadata(record, target)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    serde_json::Value::Object(meta).to_string().into_bytes()
}

fn metadata(record: &Record<'_>, target: &Target) -> Vec<(&'static str, String)> {
    let mut m = vec![
        ("request-id", record.request_id.to_owned()),
        ("method", record.method.to_owned()),
        ("path", record.path.to_owned()),
        ("upstream-status", record.upstream_status.to_string()),
        ("rules-sha256", record.rules_sha256.to_owned()),
        (
            "content",
            match target.content {
                SideOutputContent::Original => "original",
                SideOutputContent::Sanitized => "sanitized",
            }
            .to_owned(),
        ),
    ];
    if let Some(q) = record.query {
        m.push(("query", q.to_owned()));
    }
    if let Some(ct) = record.content_type {
        m.push(("content-type", ct.to_owned()));
    }
    if target.gzip {
        m.push(("content-encoding", "gzip".to_owned()));
    }
    m
}

/// Gzips `body` at level 1 (side outputs are written on the request path, and the fastest level
/// still shrinks JSON several times), reusing this thread's compressor: a new one allocates and
/// clears some 300 KiB of tables, more than compressing a small body costs.
fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static DEFLATE: RefCell<flate2::Compress> =
            RefCell::new(flate2::Compress::new(flate2::Compression::fast(), false));
    }
    // RFC 1952: magic, CM = deflate, no flags, no mtime, XFL = fastest, OS = unknown.
    let mut out = Vec::with_capacity(body.len() / 3 + 64);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]);
    DEFLATE.with_borrow_mut(|deflate| -> std::io::Result<()> {
        deflate.reset();
        loop {
            let consumed = usize::try_from(deflate.total_in()).unwrap_or(usize::MAX);
            out.reserve(4096);
            let status = deflate
                .compress_vec(
                    &body[consumed.min(body.len())..],
                    &mut out,
                    flate2::FlushCompress::Finish,
                )
                .map_err(std::io::Error::other)?;
            if status == flate2::Status::StreamEnd {
                return Ok(());
            }
        }
    })?;
    let mut crc = flate2::Crc::new();
    crc.update(body);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the length modulo 2^32.
    #[allow(clippy::cast_possible_truncation)]
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn gzip_output_is_a_gzip_member_of_the_body_and_the_compressor_is_reusable() {
        for body in [&b""[..], b"{}", &b"[{\"login\":\"octocat\"}]".repeat(5000)] {
            let packed = gzip(body).unwrap();
            let mut unpacked = Vec::new();
            flate2::read::GzDecoder::new(&packed[..])
                .read_to_end(&mut unpacked)
                .unwrap();
            assert_eq!(unpacked, body);
        }
    }

    #[test]
    fn files_are_staged_then_renamed_and_directories_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("20261124").join("req-1");
        write_file(&path, b"body").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"body");
        // Private whatever the umask: side outputs are personal data.
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["req-1"], "no staging file left behind");
        // A file where the directory should be: a located error, nothing written.
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, b"").unwrap();
        let (at, _) = write_file(&blocked.join("req-2"), b"body").unwrap_err();
        assert!(at.starts_with(&blocked), "{}", at.display());
    }
}
