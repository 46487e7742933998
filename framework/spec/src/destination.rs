//! Bucket destinations (`s3://bucket/prefix/`, `file://./var/async`…): the object-store URL
//! forms sluice accepts, checked at load time so a typo fails validation, not the first request.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::ErrorCode;
use crate::located::{deserialize_located_str, located_error};

/// The kind of object store a destination names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// A directory on local disk (`file://`), relative to the working directory or absolute.
    LocalDirectory,
    /// A process-local in-memory store (`memory://`), for tests and dry runs.
    Memory,
    /// Amazon S3 or any S3-protocol server (`s3://`, `s3a://`).
    S3,
    /// Google Cloud Storage (`gs://`).
    Gcs,
    /// Azure Blob Storage (`az://`, `azure://`, `abfs://`, `abfss://`, `adl://`).
    Azure,
}

/// The URL schemes accepted, with the store each names.
const SCHEMES: &[(&str, StoreKind)] = &[
    ("file", StoreKind::LocalDirectory),
    ("memory", StoreKind::Memory),
    ("s3", StoreKind::S3),
    ("s3a", StoreKind::S3),
    ("gs", StoreKind::Gcs),
    ("az", StoreKind::Azure),
    ("azure", StoreKind::Azure),
    ("abfs", StoreKind::Azure),
    ("abfss", StoreKind::Azure),
    ("adl", StoreKind::Azure),
];

/// A parsed destination URL: which store, which bucket (container), and the key prefix in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Destination {
    text: String,
    kind: StoreKind,
    bucket: Option<String>,
    prefix: String,
}

impl Destination {
    /// Parses a destination URL, explaining what is accepted when it is not one.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(format!(
                "invalid destination `{text}`: expected a URL such as s3://bucket/prefix/, \
                 gs://bucket/prefix/, az://container/prefix/, file://./var/dir or memory://"
            ));
        };
        let Some(&(_, kind)) = SCHEMES.iter().find(|(s, _)| s.eq_ignore_ascii_case(scheme)) else {
            return Err(format!(
                "unsupported destination scheme `{scheme}://` in `{text}`; use one of {}",
                SCHEMES
                    .iter()
                    .map(|(s, _)| format!("{s}://"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let (bucket, prefix) = match kind {
            StoreKind::LocalDirectory => {
                if rest.is_empty() {
                    return Err(format!(
                        "destination `{text}` names no directory; write file://./var/dir \
                         (relative) or file:///srv/sluice (absolute)"
                    ));
                }
                (None, rest.to_owned())
            }
            StoreKind::Memory => (None, rest.trim_start_matches('/').to_owned()),
            StoreKind::S3 | StoreKind::Gcs | StoreKind::Azure => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(format!(
                        "destination `{text}` names no bucket; write {scheme}://BUCKET/prefix/"
                    ));
                }
                if let Some(bad) = bucket
                    .chars()
                    .find(|c| c.is_whitespace() || "?#\\".contains(*c))
                {
                    return Err(format!(
                        "destination `{text}`: bucket name `{bucket}` contains `{bad}`"
                    ));
                }
                (Some(bucket.to_owned()), prefix.to_owned())
            }
        };
        Ok(Self {
            text: text.to_owned(),
            kind,
            bucket,
            prefix,
        })
    }

    /// The store this destination names.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// The bucket or container, for cloud stores.
    pub fn bucket(&self) -> Option<&str> {
        self.bucket.as_deref()
    }

    /// The key prefix inside the bucket (for `file://`, the directory path).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Destination {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Destination {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = deserialize_located_str(d)?;
        Self::parse(&text.value)
            .map_err(|msg| located_error(text.pos(), ErrorCode::InvalidDestination, &msg))
    }
}

impl JsonSchema for Destination {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Destination".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An object-store URL: s3://bucket/prefix/, gs://bucket/prefix/, \
                az://container/prefix/, file://./relative/dir or file:///absolute/dir, memory://",
            "pattern": "^(file|memory|s3|s3a|gs|az|azure|abfs|abfss|adl)://",
            "examples": ["s3://acme-sluice/github/", "file://./var/async"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_destinations_split_bucket_and_prefix() {
        let d = Destination::parse("s3://acme-data/github/original/").unwrap();
        assert_eq!(
            (d.kind(), d.bucket(), d.prefix()),
            (StoreKind::S3, Some("acme-data"), "github/original/")
        );
        let d = Destination::parse("gs://b").unwrap();
        assert_eq!(
            (d.kind(), d.bucket(), d.prefix()),
            (StoreKind::Gcs, Some("b"), "")
        );
    }

    #[test]
    fn local_destinations_keep_relative_paths() {
        let d = Destination::parse("file://./var/async").unwrap();
        assert_eq!(
            (d.kind(), d.prefix()),
            (StoreKind::LocalDirectory, "./var/async")
        );
        let d = Destination::parse("file:///srv/sluice").unwrap();
        assert_eq!(d.prefix(), "/srv/sluice");
    }

    #[test]
    fn errors_name_the_problem_and_the_accepted_forms() {
        let e = Destination::parse("ftp://host/x").unwrap_err();
        assert!(e.contains("`ftp://`") && e.contains("s3://"), "{e}");
        assert!(
            Destination::parse("s3:///prefix")
                .unwrap_err()
                .contains("names no bucket")
        );
        assert!(
            Destination::parse("bucket/prefix")
                .unwrap_err()
                .contains("expected a URL")
        );
        assert!(
            Destination::parse("file://")
                .unwrap_err()
                .contains("names no directory")
        );
    }
}
