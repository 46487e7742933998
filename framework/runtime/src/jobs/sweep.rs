//! Retention: purging jobs whose last change is older than the retention, their results, whole
//! days of results past it, and idempotency claims that outlived their job.

use std::time::Duration;

use futures::{StreamExt as _, TryStreamExt as _};
use object_store::path::Path;

use super::JobError;
use super::clock::earlier;
use super::record::Job;
use super::store::{IdempotencyClaim, JobStore, idempotency_hash, store_error};
use crate::stores::Bucket;

/// What a [`JobStore::sweep`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Jobs purged (all their states).
    pub jobs: usize,
    /// Result objects deleted, by their job or with their whole day.
    pub results: usize,
    /// Idempotency claims deleted.
    pub idempotency_claims: usize,
}

impl JobStore {
    /// Purges what is past `retention`:
    ///
    /// - every job whose `updated_at` is older than now − `retention`: its idempotency claim,
    ///   its result (in `results`), then its states, oldest first and the newest last, so a
    ///   sweep that dies halfway never leaves an older state posing as the job;
    /// - in `results`, every `results/{yyyymmdd}/` day that ended before now − `retention`
    ///   (results whose job record was never updated, e.g. a worker died after storing one);
    /// - idempotency claims older than the retention whose job no longer exists.
    ///
    /// Cost: a LIST and a GET per job and per idempotency claim, a LIST per result day, and
    /// the deletes. Run it from one periodic task; concurrent sweeps are safe but wasteful.
    pub async fn sweep(
        &self,
        retention: Duration,
        results: &Bucket,
    ) -> Result<SweepReport, JobError> {
        let cutoff = earlier(self.now(), retention);
        let mut report = SweepReport::default();

        for id in self.all_ids().await? {
            let Some(job) = self.get(&id).await? else {
                continue;
            };
            if job.updated_at < cutoff {
                self.purge(&job, results, &mut report).await?;
            }
        }

        let days_prefix = results.key(&["results"]);
        let days = results
            .store
            .list_with_delimiter(Some(&days_prefix))
            .await
            .map_err(|e| store_error(results, "list", &days_prefix, e))?;
        let cutoff_day = cutoff.strftime("%Y%m%d").to_string();
        for day in days.common_prefixes {
            let expired = day
                .filename()
                .is_some_and(|name| is_day(name) && *name < *cutoff_day);
            if expired {
                let keys: Vec<Path> = results
                    .store
                    .list(Some(&day))
                    .map_ok(|meta| meta.location)
                    .try_collect()
                    .await
                    .map_err(|e| store_error(results, "list", &day, e))?;
                report.results += delete_all(results, keys).await?;
            }
        }

        let claims_prefix = self.key(&["idempotency"]);
        let claims: Vec<Path> = self
            .bucket
            .store
            .list(Some(&claims_prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(|e| self.store_error("list", &claims_prefix, e))?;
        for key in claims {
            let Some(claim) = self
                .read_json::<IdempotencyClaim>(&key, "idempotency claim")
                .await?
            else {
                continue;
            };
            if claim.created_at < cutoff && self.get(&claim.job_id).await?.is_none() {
                report.idempotency_claims += delete_all(&self.bucket, vec![key]).await?;
            }
        }
        Ok(report)
    }

    async fn purge(
        &self,
        job: &Job,
        results: &Bucket,
        report: &mut SweepReport,
    ) -> Result<(), JobError> {
        // The claim goes first: a claim without its job is harmless (the next request with the
        // key re-creates the job), a job without its claim could be created twice.
        if let Some(key) = &job.idempotency_key {
            let claim_key = self.key(&["idempotency", &idempotency_hash(&job.caller, key)]);
            let claim = self
                .read_json::<IdempotencyClaim>(&claim_key, "idempotency claim")
                .await?;
            if claim.is_some_and(|claim| claim.job_id == job.id) {
                report.idempotency_claims += delete_all(&self.bucket, vec![claim_key]).await?;
            }
        }
        if let Some(result) = &job.result {
            let key = result_path(results, &result.location);
            report.results += delete_all(results, vec![key]).await?;
        }
        let mut states: Vec<Path> = self
            .seqs(&job.id)
            .await?
            .into_iter()
            .map(|seq| self.state_key(&job.id, seq))
            .collect();
        if let Some(newest) = states.pop() {
            delete_all(&self.bucket, states).await?;
            delete_all(&self.bucket, vec![newest]).await?;
            report.jobs += 1;
        }
        tracing::debug!(job = %job.id, "purged a job past its retention");
        Ok(())
    }
}

/// `location` (a key relative to the results bucket's prefix) as a full key.
fn result_path(results: &Bucket, location: &str) -> Path {
    let parts: Vec<&str> = location.split('/').filter(|p| !p.is_empty()).collect();
    results.key(&parts)
}

/// Whether a `results/` sub-prefix is a `yyyymmdd` day.
fn is_day(name: &str) -> bool {
    name.len() == 8 && name.bytes().all(|b| b.is_ascii_digit())
}

/// Deletes `keys` (already gone counts as deleted) and returns how many there were.
async fn delete_all(bucket: &Bucket, keys: Vec<Path>) -> Result<usize, JobError> {
    let count = keys.len();
    let Some(first) = keys.first().cloned() else {
        return Ok(0);
    };
    let mut deleted = bucket
        .store
        .delete_stream(futures::stream::iter(keys.into_iter().map(Ok)).boxed());
    while let Some(outcome) = deleted.next().await {
        match outcome {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            // The store's error names the key that failed; `first` places the batch.
            Err(e) => return Err(store_error(bucket, "delete", &first, e)),
        }
    }
    Ok(count)
}
