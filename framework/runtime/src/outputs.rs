//! Side outputs: a copy of every proxied response, the upstream's original and/or the sanitized
//! one, written to the spec's buckets under `<prefix>/<yyyymmdd>/<request-id>`, optionally
//! gzipped, with the exchange's metadata. A failed write is reported (warning header, metric,
//! log) and, unless the output is `required`, does not fail the caller's request.
//!
//! Metadata goes into the object's attributes where the store supports them; stores that do not
//! (a local directory) get it as a `<key>.meta.json` object beside the body.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
        let writes = self
            .targets
            .iter()
            .map(|t| async move { (t, write_one(t, record).await) });
        let mut report = Report::default();
        for (target, result) in futures::future::join_all(writes).await {
            if let Err(e) = result {
                report.required_failed |= target.required;
                report.failures.push((target.bucket.url.clone(), e));
            }
        }
        report
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
    let meta: serde_json::Map<String, serde_json::Value> = metadata
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    let meta_key = target
        .bucket
        .key(&[record.date, &format!("{}.meta.json", record.request_id)]);
    let bytes = serde_json::to_vec(&meta).map_err(|e| e.to_string())?;
    let (body, meta) = futures::future::join(
        store.put(&key, payload),
        store.put(&meta_key, PutPayload::from(bytes)),
    )
    .await;
    body.and(meta).map(|_| ()).map_err(|e| e.to_string())
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

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    // Level 1: side outputs are written on the request path, and the fastest level still
    // shrinks JSON several times.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}
