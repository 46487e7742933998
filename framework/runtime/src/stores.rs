//! Opening buckets: a destination URL from the spec (`s3://`, `gs://`, `az://`, `file://`,
//! `memory://`) becomes an object store, a key prefix inside it and, where the store can presign
//! URLs, its signer; local directories and the files in them are private to the proxy's user.
//! Cloud credentials come from each provider's standard environment variables
//! (`AWS_*`, `GOOGLE_*`, `AZURE_*`), read by the provider's own client.

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::signer::{Method, Signer};
use sluice_spec::destination::{Destination, StoreKind};

use crate::config::ConfigProblem;

/// An opened bucket: the store, the prefix keys go under, and the store's signer if it can
/// presign URLs.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// Key prefix (no leading or trailing `/`).
    pub prefix: Path,
    /// The destination URL, for messages and labels.
    pub url: String,
    /// The same store as a URL signer; `None` for stores that have no URL to sign (a local
    /// directory, memory).
    pub signer: Option<Arc<dyn Signer>>,
    /// For a local directory, the directory the store's keys live under, so hot paths can
    /// write files without a blocking-thread hand-off per object.
    pub local_root: Option<std::path::PathBuf>,
}

/// Makes every file and directory this process creates from now on private to its user
/// (umask `077`, added to the bits the process's umask already masks): files 0600, directories
/// 0700. Local buckets hold job records, results and side outputs, which are personal data;
/// object_store's local directory creates its files (through a staging file and a rename) with
/// the process's umask and takes no mode, so the umask is the one setting that covers every file
/// it writes. The umask is process-wide: the proxy sets it once at start-up, before it opens any
/// bucket (see docs/decisions.md).
pub fn private_new_files() {
    use rustix::fs::Mode;
    let private = Mode::from_raw_mode(0o077);
    let before = rustix::process::umask(private);
    rustix::process::umask(before | private);
}

/// Creates `dir` and its missing parents with mode 0700 (whatever the umask).
pub(crate) fn private_dir_all(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Why [`Bucket::presign_get`] gave no URL.
#[derive(Debug, thiserror::Error)]
pub enum PresignError {
    /// The bucket's store cannot presign URLs.
    #[error(
        "the bucket {url} cannot presign URLs: local directories and memory stores have no URL \
         a client could fetch; use an s3://, gs:// or az:// bucket, or serve the object through \
         the proxy"
    )]
    Unsupported {
        /// The bucket's URL.
        url: String,
    },
    /// The store refused to sign (e.g. its credentials cannot sign).
    #[error("cannot presign `{key}` in {url}: {source}")]
    Store {
        /// The key.
        key: String,
        /// The bucket's URL.
        url: String,
        /// The store's error.
        #[source]
        source: Box<object_store::Error>,
    },
}

impl Bucket {
    /// A bucket over `store` that cannot presign URLs.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        prefix: impl Into<Path>,
        url: impl Into<String>,
    ) -> Self {
        Self {
            store,
            prefix: prefix.into(),
            url: url.into(),
            signer: None,
            local_root: None,
        }
    }

    /// A bucket over `store` that presigns URLs with the same store (one client, one set of
    /// credentials for both).
    pub fn with_signer<S: ObjectStore + Signer>(
        store: Arc<S>,
        prefix: impl Into<Path>,
        url: impl Into<String>,
    ) -> Self {
        Self {
            store: store.clone(),
            prefix: prefix.into(),
            url: url.into(),
            signer: Some(store),
            local_root: None,
        }
    }

    /// Opens `destination`. A local directory is created if missing. Opening makes no network
    /// call: cloud credentials are fetched on first use.
    pub fn open(destination: &Destination) -> Result<Self, ConfigProblem> {
        let url = destination.as_str().to_owned();
        let fail =
            |e: &dyn std::fmt::Display| ConfigProblem(format!("cannot open the bucket {url}: {e}"));
        let bucket_name = || destination.bucket().unwrap_or_default();
        let prefix = destination.prefix();
        Ok(match destination.kind() {
            StoreKind::LocalDirectory => {
                private_dir_all(std::path::Path::new(prefix)).map_err(|e| fail(&e))?;
                let store = LocalFileSystem::new_with_prefix(prefix).map_err(|e| fail(&e))?;
                let root = std::fs::canonicalize(prefix).map_err(|e| fail(&e))?;
                Self {
                    local_root: Some(root),
                    ..Self::new(Arc::new(store), Path::ROOT, url)
                }
            }
            StoreKind::Memory => Self::new(Arc::new(InMemory::new()), prefix, url),
            StoreKind::S3 => {
                let store = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket_name())
                    .build()
                    .map_err(|e| fail(&e))?;
                Self::with_signer(Arc::new(store), prefix, url)
            }
            StoreKind::Gcs => {
                let store = GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(bucket_name())
                    .build()
                    .map_err(|e| fail(&e))?;
                Self::with_signer(Arc::new(store), prefix, url)
            }
            StoreKind::Azure => {
                let store = MicrosoftAzureBuilder::from_env()
                    .with_container_name(bucket_name())
                    .build()
                    .map_err(|e| fail(&e))?;
                Self::with_signer(Arc::new(store), prefix, url)
            }
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

    /// Whether [`presign_get`](Self::presign_get) can give URLs for this bucket.
    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    /// A URL anyone can GET `key` (a full key, as [`key`](Self::key) makes it) with, without
    /// credentials, for `expires_in`.
    pub async fn presign_get(
        &self,
        key: &Path,
        expires_in: Duration,
    ) -> Result<url::Url, PresignError> {
        let signer = self
            .signer
            .as_ref()
            .ok_or_else(|| PresignError::Unsupported {
                url: self.url.clone(),
            })?;
        signer
            .signed_url(Method::GET, key, expires_in)
            .await
            .map_err(|source| PresignError::Store {
                key: key.to_string(),
                url: self.url.clone(),
                source: Box::new(source),
            })
    }
}
