//! Leases: a worker claims a job by writing `running` with a lease naming its replica, renews it
//! while it works, and a job whose lease lapsed (its replica died) is recovered by another
//! replica's periodic scan: re-run if its request is idempotent, failed otherwise.

use jiff::Timestamp;

use super::JobError;
use super::clock::later;
use super::id::JobId;
use super::record::{Job, JobStatus, Lease};
use super::store::JobStore;
use crate::problem::{Problem, ProblemType};

/// What [`JobStore::claim`] got.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This replica now runs the job, under the lease in `job.lease`.
    Owned(Job),
    /// Another claim holds the job (possibly an earlier one of this replica): leave it.
    Held {
        /// The replica holding it.
        owner: String,
        /// Until when, unless renewed.
        until: Timestamp,
    },
    /// The job has ended; there is nothing to run.
    Ended(Job),
}

/// What to do with a job whose replica stopped while running it.
#[derive(Debug, Clone, PartialEq)]
pub enum Interruption {
    /// Run it again: the request is idempotent, so a second upstream call is harmless.
    Rerun,
    /// Fail it with this problem: the request may have had effects upstream and must not be
    /// repeated behind the caller's back.
    Fail(Problem),
}

/// What [`JobStore::recover`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recovery {
    /// This replica claimed the job and must run it now.
    Claimed(Job),
    /// The job was interrupted and could not be re-run; it is now failed (send its callback).
    Failed(Job),
    /// Nothing to do any more: another replica has it, or it ended or progressed meanwhile.
    Skipped(Job),
}

/// The policy for a job found `running` with a lapsed lease: re-run if its method is
/// idempotent, else fail with a problem saying it was interrupted.
pub fn interruption(job: &Job) -> Interruption {
    if job.request.idempotent {
        return Interruption::Rerun;
    }
    let detail = format!(
        "the proxy replica running this job stopped before it finished, and a {} request is \
         not idempotent, so it was not re-run; check the upstream's state and resend the \
         request if repeating it is safe",
        job.request.method
    );
    Interruption::Fail(
        Problem::new(ProblemType::JobInterrupted, detail).at(job.request.path.clone()),
    )
}

impl JobStore {
    /// Takes job `id` for this replica: a queued job, or a running one whose lease lapsed, becomes
    /// running under a lease of [`JobSettings::lease`](super::JobSettings::lease).
    ///
    /// Of replicas racing for the same job exactly one gets [`Claim::Owned`]; the others get
    /// [`Claim::Held`]. Taking over a lapsed job re-runs it whatever its method:
    /// [`recover`](Self::recover) is the scan's entry point that applies [`interruption`] first.
    pub async fn claim(&self, id: &JobId) -> Result<Claim, JobError> {
        let (job, wrote) = self
            .update(id, |job| {
                let now = self.now();
                Ok(claimable(job, now).then(|| self.leased(job, now)))
            })
            .await?;
        Ok(self.claim_result(job, wrote))
    }

    /// Extends this replica's lease on job `id` to now + [`JobSettings::lease`](super::JobSettings::lease).
    ///
    /// Fails with [`JobError::NotOwner`] if another replica took the job over (or it is not
    /// running), and with [`JobError::Ended`] if it was canceled: the worker should stop.
    /// A lapsed lease can still be renewed as long as no one else took the job.
    pub async fn renew(&self, id: &JobId) -> Result<Job, JobError> {
        let (job, _) = self
            .update(id, |job| {
                self.check_owner(job)?;
                Ok(Some(self.leased(job, self.now())))
            })
            .await?;
        Ok(job)
    }

    /// Jobs the periodic scan should pass to [`recover`](Self::recover): `running` with a lease
    /// in the past (its replica stopped renewing), or `queued` for longer than
    /// [`JobSettings::queued_grace`](super::JobSettings::queued_grace) (its accepting replica
    /// died before a worker took it).
    ///
    /// Cost: like [`list`](Self::list) over every job, a LIST and a GET per job.
    pub async fn recoverable(&self) -> Result<Vec<Job>, JobError> {
        let now = self.now();
        let mut found = Vec::new();
        for id in self.all_ids().await? {
            let Some(job) = self.get(&id).await? else {
                continue;
            };
            let stale = match job.status {
                JobStatus::Running => lease_lapsed(&job, now),
                JobStatus::Queued => later(job.updated_at, self.settings.queued_grace) <= now,
                _ => false,
            };
            if stale {
                found.push(job);
            }
        }
        Ok(found)
    }

    /// Recovers job `id` as the scan found it: a queued job is claimed; a running job whose lease
    /// lapsed is claimed if [`interruption`] says re-run, or marked failed with its problem. The
    /// job is re-read first, so a job that moved on meanwhile is [`Recovery::Skipped`].
    pub async fn recover(&self, id: &JobId) -> Result<Recovery, JobError> {
        let mut failing = false;
        let (job, wrote) = self
            .update(id, |job| {
                let now = self.now();
                failing = false;
                if !claimable(job, now) {
                    return Ok(None);
                }
                if job.status == JobStatus::Running
                    && let Interruption::Fail(problem) = interruption(job)
                {
                    failing = true;
                    let mut next = job.clone();
                    next.status = JobStatus::Failed;
                    next.error = Some(serde_json::to_value(&problem).map_err(JobError::Encode)?);
                    next.lease = None;
                    next.progress = None;
                    return Ok(Some(next));
                }
                Ok(Some(self.leased(job, now)))
            })
            .await?;
        Ok(match (wrote, failing) {
            (true, true) => Recovery::Failed(job),
            (true, false) => Recovery::Claimed(job),
            (false, _) => Recovery::Skipped(job),
        })
    }

    /// `job` running under a fresh lease of this replica.
    fn leased(&self, job: &Job, now: Timestamp) -> Job {
        let mut next = job.clone();
        next.status = JobStatus::Running;
        next.lease = Some(Lease {
            owner: self.replica.clone(),
            expires_at: later(now, self.settings.lease),
        });
        next
    }

    fn claim_result(&self, job: Job, wrote: bool) -> Claim {
        if wrote {
            return Claim::Owned(job);
        }
        if job.status.is_terminal() {
            return Claim::Ended(job);
        }
        match job.lease {
            Some(lease) => Claim::Held {
                owner: lease.owner,
                until: lease.expires_at,
            },
            // Not claimable yet not leased cannot happen (a queued job is claimable); report
            // it as held by no one rather than invent an owner.
            None => Claim::Held {
                owner: String::new(),
                until: job.updated_at,
            },
        }
    }
}

/// Whether a claim may take `job` at `now`.
fn claimable(job: &Job, now: Timestamp) -> bool {
    match job.status {
        JobStatus::Queued => true,
        JobStatus::Running => lease_lapsed(job, now),
        _ => false,
    }
}

/// Whether a running job's lease is over (a running job without one counts as lapsed).
fn lease_lapsed(job: &Job, now: Timestamp) -> bool {
    job.lease
        .as_ref()
        .is_none_or(|lease| lease.expires_at <= now)
}
