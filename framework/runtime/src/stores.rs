//! Opening buckets: a destination URL from the spec (`s3://`, `gs://`, `az://`, `file://`,
//! `memory://`) becomes an object store and a key prefix inside it. Cloud credentials come from
//! each provider's standard environment variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`), read by the
//! provider's own client.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use sluice_spec::destination::{Destination, StoreKind};

use crate::config::ConfigProblem;

/// An opened bucket: the store and the prefix keys go under.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// Key prefix (no leading or trailing `/`).
    pub prefix: Path,
    /// The destination URL, for messages and labels.
    pub url: String,
}

impl Bucket {
    /// Opens `destination`. A local directory is created if missing.
    pub fn open(destination: &Destination) -> Result<Self, ConfigProblem> {
        let url = destination.as_str().to_owned();
        let fail =
            |e: &dyn std::fmt::Display| ConfigProblem(format!("cannot open the bucket {url}: {e}"));
        let (store, prefix): (Arc<dyn ObjectStore>, &str) = match destination.kind() {
            StoreKind::LocalDirectory => {
                let dir = destination.prefix();
                std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
                (
                    Arc::new(LocalFileSystem::new_with_prefix(dir).map_err(|e| fail(&e))?),
                    "",
                )
            }
            StoreKind::Memory => (Arc::new(InMemory::new()), destination.prefix()),
            StoreKind::S3 => {
                let bucket = AmazonS3Builder::from_env()
                    .with_bucket_name(destination.bucket().unwrap_or_default())
                    .build()
                    .map_err(|e| fail(&e))?;
                (Arc::new(bucket), destination.prefix())
            }
            StoreKind::Gcs => {
                let bucket = GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(destination.bucket().unwrap_or_default())
                    .build()
                    .map_err(|e| fail(&e))?;
                (Arc::new(bucket), destination.prefix())
            }
            StoreKind::Azure => {
                let bucket = MicrosoftAzureBuilder::from_env()
                    .with_container_name(destination.bucket().unwrap_or_default())
                    .build()
                    .map_err(|e| fail(&e))?;
                (Arc::new(bucket), destination.prefix())
            }
        };
        Ok(Self {
            store,
            prefix: Path::from(prefix.trim_matches('/')),
            url,
        })
    }

    /// The full key of `parts` under this bucket's prefix.
    pub fn key(&self, parts: &[&str]) -> Path {
        let mut key = self.prefix.clone();
        for part in parts {
            key = key.join(*part);
        }
        key
    }
}
