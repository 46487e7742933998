//! The HTTP side of asynchronous request-reply: accepting a request as a job (`202 Accepted`
//! with `Location` and `Operation-Location`), the status monitor `GET /_sluice/jobs/{id}`, the
//! result `GET /_sluice/jobs/{id}/result`, cancellation `DELETE /_sluice/jobs/{id}`, the
//! caller's list `GET /_sluice/jobs`, and the `echo` location mode (a repeat of the original
//! request is answered from the stored result).
//!
//! One monitor serves both families of polling clients (docs/decisions.md, "One monitor, two
//! kinds of poller"). At its plain URL, the `Location`, it answers `202` while the job runs and
//! `303 See Other` to the result once it ended, whatever the outcome: the result is what the
//! original request would have answered (the sanitized body, or the failure's problem), so
//! redirect followers and Azure's `Location` strategy get the answer itself. With `?view=status`,
//! the `Operation-Location`, it always answers `200` with the job, whose `status` uses Azure's
//! words (`notStarted`, `running`, `succeeded`, `failed`, `canceled`) and, once succeeded,
//! `resourceLocation`: what Azure's operation-resource strategy and other status pollers read.
//! Every URL is absolute (see [`crate::origin`]).
//!
//! Every job route authenticates the caller and shows only its own jobs: another caller's job
//! is a 404, the same as one that never existed. Polling is rate-limited per caller.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, StreamBody};
use object_store::{ObjectStoreExt as _, PutPayload};
use serde_json::{Value, json};
use sluice_spec::connector::ResultLocation;

use crate::auth::Caller;
use crate::connector::{CallerResponse, Connector, Hooks};
use crate::jobs::run::{
    self, Finished, JobHost, Jobs, QueueRefusal, QueueSlot, Start, echo_key, location_key,
    read_object,
};
use crate::jobs::{Callback, Created, Job, JobId, JobRequest, JobStatus, NewJob};
use crate::metrics::Metrics;
use crate::origin::PeerAddr;
use crate::prefer::AsyncPreference;
use crate::problem::{CONTENT_TYPE as PROBLEM_JSON, Problem, ProblemType};

use super::{Admitted, Body, Proxy, full_body, problem_response};

/// The header carrying a caller's idempotency key.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// How long a caller is asked to wait between polls of a job that is not done.
const POLL_AFTER_SECONDS: u64 = 1;
/// Most jobs on one page of `GET /_sluice/jobs`.
const MAX_PAGE: usize = 500;
/// The header naming a job's status resource (Azure's long-running-operation convention).
pub(crate) const OPERATION_LOCATION: &str = "operation-location";

/// A job's status in the API's words (Azure's long-running-operation vocabulary; the stored
/// record says `queued` where the API says `notStarted`).
pub(crate) fn api_status(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "notStarted",
        JobStatus::Running => "running",
        JobStatus::Succeeded => "succeeded",
        JobStatus::Failed => "failed",
        JobStatus::Canceled => "canceled",
    }
}

/// `path` made absolute against `origin` (`scheme://host[:port]`), if there is one.
fn absolute(origin: Option<&str>, path: &str) -> String {
    match origin {
        Some(origin) => format!("{origin}{path}"),
        None => path.to_owned(),
    }
}

/// The caller's `Idempotency-Key`, if it sent a usable one.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .ok()
        .map(|v| {
            let v = v.trim();
            let v = v.strip_prefix('"').unwrap_or(v);
            v.strip_suffix('"').unwrap_or(v)
        })
        .filter(|v| {
            (1..=255).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic() && b != b'"')
        })
        .ok_or_else(|| {
            Problem::new(
                ProblemType::BadAsyncRequest,
                "the `Idempotency-Key` header must be 1 to 255 visible ASCII characters other \
                 than `\"`, optionally in double quotes, like `Idempotency-Key: nightly-2026-12-08`",
            )
        })?;
    Ok(Some(text.to_owned()))
}

impl<C: Connector, H: Hooks> Proxy<C, H> {
    /// Accepts an admitted request as a job: `202 Accepted` with the job, or the answer itself
    /// when `wait=N` was asked for and the job ended in time.
    pub(crate) async fn accept(
        self: &Arc<Self>,
        admitted: Admitted,
        preference: AsyncPreference,
        idempotency_key: Option<String>,
        request_id: &str,
        origin: Option<String>,
    ) -> Result<Response<Body>, Problem> {
        let jobs = self.jobs_or_internal()?;
        if admitted.body.len() > jobs.config.max_job_body {
            return Err(Problem::new(
                ProblemType::PayloadTooLarge,
                format!(
                    "an asynchronous request's body is kept with its job and may be at most {} \
                     bytes (SLUICE_JOB_MAX_BODY_BYTES); this one has {}",
                    jobs.config.max_job_body,
                    admitted.body.len()
                ),
            ));
        }
        let callback = match &preference.callback {
            Some(requested) => {
                let url = jobs.callbacks.check_url(&requested.url)?;
                Some(Callback {
                    url: url.to_string(),
                    mode: requested.mode,
                    attempts: Vec::new(),
                })
            }
            None => None,
        };
        let slot = match jobs.caller_queue_slot(&admitted.caller.id) {
            Ok(slot) => slot,
            Err(refusal) => {
                let problem = match refusal {
                    QueueRefusal::Full => Problem::new(
                        ProblemType::QueueFull,
                        format!(
                            "this replica already holds {} jobs; retry later",
                            jobs.config.queue_capacity
                        ),
                    ),
                    QueueRefusal::CallerShare => Problem::new(
                        ProblemType::TooManyRequests,
                        format!(
                            "you already have {} jobs queued or running on this replica, your \
                             share of its queue (SLUICE_JOB_QUEUE_PER_CALLER); retry when one \
                             has finished",
                            jobs.config.queue_per_caller
                        ),
                    ),
                };
                return Ok(problem_response(problem.with_retry_after(5), request_id));
            }
        };
        let mut request = JobRequest::new(
            admitted.method.as_str(),
            admitted.path.clone(),
            admitted.query.clone(),
            admitted.endpoint,
        );
        request.headers = admitted
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some([name.as_str().to_owned(), value.to_str().ok()?.to_owned()])
            })
            .collect();
        if !admitted.body.is_empty() {
            request.body = Some(base64::engine::general_purpose::STANDARD.encode(&admitted.body));
        }
        request.origin.clone_from(&origin);
        let new = NewJob {
            caller: admitted.caller.id.clone(),
            request,
            callback,
        };
        let (job, fresh) = match &idempotency_key {
            Some(key) => match jobs
                .store
                .create_idempotent(new, key)
                .await
                .map_err(store_problem)?
            {
                Created::New(job) => (job, true),
                Created::Existing(job) => (job, false),
            },
            None => (jobs.store.create(new).await.map_err(store_problem)?, true),
        };
        if !fresh {
            let same = job.request.method == admitted.method.as_str()
                && job.request.path == admitted.path
                && job.request.query == admitted.query;
            if !same {
                return Err(Problem::new(
                    ProblemType::BadAsyncRequest,
                    format!(
                        "this Idempotency-Key already created job {} for {} {}; use a new key \
                         for a different request",
                        job.id, job.request.method, job.request.path
                    ),
                )
                .with_status(422));
            }
            // A repeat of an earlier request: the job it created, which runs (or ran) already.
            return Ok(self.accepted(&job, &admitted, false, origin.as_deref()));
        }
        if jobs.config.location == ResultLocation::Echo {
            let key = echo_key(
                jobs,
                &admitted.caller,
                &admitted.method,
                &admitted.path,
                admitted.query.as_deref(),
            );
            if let Err(e) = jobs
                .results
                .store
                .put(&key, PutPayload::from(job.id.to_string().into_bytes()))
                .await
            {
                tracing::warn!(job = %job.id, error = %e, "cannot index a job for echo");
            }
        }
        let wait = preference
            .wait
            .map(|seconds| Duration::from_secs(seconds).min(self.total_timeout));
        let (done, answer) = match wait {
            Some(_) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        self.metrics.jobs_accepted.inc();
        self.spawn_job(Start::Fresh(job.id.clone()), slot, done);
        if let (Some(wait), Some(answer)) = (wait, answer)
            && let Ok(Ok(finished)) = tokio::time::timeout(wait, answer).await
        {
            let response = match finished {
                Ok(answer) => {
                    let mut response = Response::new(full_body(answer.body.clone()));
                    *response.status_mut() = answer.status;
                    *response.headers_mut() = answer.headers.clone();
                    response
                }
                Err(problem) => problem_response(problem, request_id),
            };
            return Ok(response);
        }
        Ok(self.accepted(&job, &admitted, true, origin.as_deref()))
    }

    /// The `202 Accepted` answer for `job`.
    fn accepted(
        &self,
        job: &Job,
        admitted: &Admitted,
        fresh: bool,
        origin: Option<&str>,
    ) -> Response<Body> {
        let location = match self.jobs.as_ref().map(|j| j.config.location) {
            Some(ResultLocation::Echo) => absolute(
                origin,
                &original_url(&admitted.path, admitted.query.as_deref()),
            ),
            _ => absolute(origin, &format!("/_sluice/jobs/{}", job.id)),
        };
        let status_url = absolute(origin, &format!("/_sluice/jobs/{}?view=status", job.id));
        let mut response = self.json(StatusCode::ACCEPTED, &self.job_view(job, origin));
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&location) {
            headers.insert(header::LOCATION, value);
        }
        if let Ok(value) = HeaderValue::from_str(&status_url) {
            headers.insert(OPERATION_LOCATION, value);
        }
        headers.insert(header::RETRY_AFTER, HeaderValue::from(POLL_AFTER_SECONDS));
        headers.insert(
            "preference-applied",
            HeaderValue::from_static("respond-async"),
        );
        if !fresh {
            headers.insert("sluice-idempotent-replay", HeaderValue::from_static("true"));
        }
        response
    }

    /// In `echo` mode, a request without `Prefer` that repeats an earlier async one of the same
    /// caller is answered from that job: its stored result once succeeded, `202` while it runs,
    /// its problem if it failed. `None` when there is no such job (the request goes upstream).
    pub(crate) async fn echo_answer(
        &self,
        admitted: &Admitted,
        request_id: &str,
        origin: Option<&str>,
    ) -> Result<Option<Response<Body>>, Problem> {
        let jobs = self.jobs_or_internal()?;
        let key = echo_key(
            jobs,
            &admitted.caller,
            &admitted.method,
            &admitted.path,
            admitted.query.as_deref(),
        );
        let Some(id) = read_object(&jobs.results, &key).await.map_err(|e| {
            Problem::new(
                ProblemType::Internal,
                format!("cannot read the echo index: {e}"),
            )
        })?
        else {
            return Ok(None);
        };
        let Ok(id) = JobId::parse(&String::from_utf8_lossy(&id)) else {
            return Ok(None);
        };
        let Some(job) = jobs
            .store
            .get_for(&admitted.caller.id, &id)
            .await
            .map_err(store_problem)?
        else {
            return Ok(None);
        };
        match job.status {
            JobStatus::Queued | JobStatus::Running => {
                Ok(Some(self.accepted(&job, admitted, false, origin)))
            }
            JobStatus::Succeeded => self.result_response(&job, request_id).await.map(Some),
            JobStatus::Failed => Ok(Some(self.failed_response(&job, request_id, origin))),
            JobStatus::Canceled => Ok(None),
        }
    }

    /// Answers `/_sluice/jobs…`.
    pub(crate) async fn job_route<B>(
        self: &Arc<Self>,
        route: &str,
        request: Request<B>,
        request_id: &str,
    ) -> Response<Body> {
        let path = request.uri().path().to_owned();
        match self.job_route_inner(route, &request, request_id).await {
            Ok(response) => response,
            Err(problem) => problem_response(problem.at(path), request_id),
        }
    }

    async fn job_route_inner<B>(
        self: &Arc<Self>,
        route: &str,
        request: &Request<B>,
        request_id: &str,
    ) -> Result<Response<Body>, Problem> {
        let Some(jobs) = &self.jobs else {
            return Err(Problem::new(
                ProblemType::JobNotFound,
                "asynchronous processing is not enabled on this proxy, so it has no jobs",
            ));
        };
        let method = request.method();
        let parts: Vec<&str> = route.trim_end_matches('/').split('/').collect();
        let allow = match parts.as_slice() {
            ["jobs"] | ["jobs", _, "result"] => "GET, HEAD",
            ["jobs", _] => "GET, HEAD, DELETE",
            _ => {
                return Err(Problem::new(
                    ProblemType::JobNotFound,
                    "job routes are /_sluice/jobs, /_sluice/jobs/{id} and /_sluice/jobs/{id}/result",
                ));
            }
        };
        let answered = method == Method::GET
            || method == Method::HEAD
            || (method == Method::DELETE && allow.ends_with("DELETE"));
        if !answered {
            return Err(Problem::new(
                ProblemType::MethodNotAllowed,
                format!("{method} is not a method of this job route; it answers {allow}"),
            )
            .with_allow(allow));
        }
        let authorization = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let caller = self.auth_check(authorization)?;
        if jobs.polls.check_key(&caller.id).is_err() {
            return Err(Problem::new(
                ProblemType::TooManyRequests,
                format!(
                    "this caller polls more than {} times a second; wait for the Retry-After",
                    jobs.config.poll_rate
                ),
            )
            .with_retry_after(POLL_AFTER_SECONDS));
        }
        let origin = self.origin_of(request);
        let origin = origin.as_deref();
        match (method, parts.as_slice()) {
            (&Method::DELETE, ["jobs", id]) => {
                let id = parse_id(id)?;
                let job = jobs
                    .store
                    .cancel(&caller.id, &id)
                    .await
                    .map_err(store_problem)?
                    .ok_or_else(|| not_found(&id))?;
                jobs.stop_local(&id);
                Ok(self.json(StatusCode::OK, &self.job_view(&job, origin)))
            }
            (_, ["jobs"]) => {
                self.list(jobs, &caller, request.uri().query(), origin)
                    .await
            }
            (_, ["jobs", id]) => {
                let status_view = monitor_view(request.uri().query())?;
                let job = self.caller_job(jobs, &caller, id).await?;
                if status_view {
                    return Ok(self.json(StatusCode::OK, &self.job_view(&job, origin)));
                }
                self.monitor(&job, origin).await
            }
            (_, [.., id, "result"]) => {
                let job = self.caller_job(jobs, &caller, id).await?;
                match job.status {
                    JobStatus::Succeeded if jobs.config.location == ResultLocation::Presigned => {
                        self.see_result(&job, origin).await
                    }
                    JobStatus::Succeeded => self.result_response(&job, request_id).await,
                    JobStatus::Failed => Ok(self.failed_response(&job, request_id, origin)),
                    status => Err(Problem::new(
                        ProblemType::NoResult,
                        format!(
                            "job {} is {} and has no result; {}",
                            job.id,
                            api_status(status),
                            if status == JobStatus::Canceled {
                                "it was canceled before it finished"
                            } else {
                                "poll its monitor until it has ended"
                            }
                        ),
                    )),
                }
            }
            _ => Err(Problem::new(
                ProblemType::Internal,
                "a job route was matched but not answered",
            )),
        }
    }

    /// The URL a caller used to reach the proxy, for absolute URLs (see [`crate::origin`]).
    pub(crate) fn origin_of<B>(&self, request: &Request<B>) -> Option<String> {
        let peer = request.extensions().get::<PeerAddr>().map(|p| p.0.ip());
        self.origins.of(request.headers(), peer)
    }

    /// The caller's job `id`; not found once it is past its retention, even before the sweep
    /// purges it.
    async fn caller_job(&self, jobs: &Jobs, caller: &Caller, id: &str) -> Result<Job, Problem> {
        let id = parse_id(id)?;
        let job = jobs
            .store
            .get_for(&caller.id, &id)
            .await
            .map_err(store_problem)?
            .ok_or_else(|| not_found(&id))?;
        let retention = jiff::SignedDuration::try_from(jobs.config.retention)
            .unwrap_or(jiff::SignedDuration::MAX);
        let expired = job
            .updated_at
            .checked_add(retention)
            .is_ok_and(|end| end <= jobs.store.now());
        if expired {
            Err(not_found(&id))
        } else {
            Ok(job)
        }
    }

    /// The monitor at its plain URL: `202` with the job while it has not ended, then `303 See
    /// Other` to its outcome: the stored result, or the failure's problem (the result route).
    async fn monitor(&self, job: &Job, origin: Option<&str>) -> Result<Response<Body>, Problem> {
        match job.status {
            JobStatus::Queued | JobStatus::Running => {
                let mut response = self.json(StatusCode::ACCEPTED, &self.job_view(job, origin));
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(POLL_AFTER_SECONDS));
                Ok(response)
            }
            JobStatus::Succeeded => self.see_result(job, origin).await,
            JobStatus::Failed | JobStatus::Canceled => Ok(self.see_other(
                job,
                origin,
                &absolute(origin, &format!("/_sluice/jobs/{}/result", job.id)),
            )),
        }
    }

    /// `303 See Other` to a succeeded job's result, with the job as the body.
    async fn see_result(&self, job: &Job, origin: Option<&str>) -> Result<Response<Body>, Problem> {
        let location = self.result_url(job, origin).await?;
        Ok(self.see_other(job, origin, &location))
    }

    /// `303 See Other` to `location`, with the job as the body.
    fn see_other(&self, job: &Job, origin: Option<&str>, location: &str) -> Response<Body> {
        let mut response = self.json(StatusCode::SEE_OTHER, &self.job_view(job, origin));
        if let Ok(value) = HeaderValue::from_str(location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    }

    /// A failed job's problem, with the job as the extension member `job`.
    fn failed_response(&self, job: &Job, request_id: &str, origin: Option<&str>) -> Response<Body> {
        let mut problem = job.error.clone().unwrap_or_else(|| json!({}));
        if let Some(map) = problem.as_object_mut() {
            map.entry("request_id").or_insert_with(|| request_id.into());
            map.insert("job".into(), self.job_view(job, origin));
        }
        let status = problem
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::BAD_GATEWAY);
        let mut response =
            Response::new(full_body(serde_json::to_vec(&problem).unwrap_or_default()));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }

    /// Where a succeeded job's result is fetched, by the location mode.
    async fn result_url(&self, job: &Job, origin: Option<&str>) -> Result<String, Problem> {
        let jobs = self.jobs_or_internal()?;
        match jobs.config.location {
            ResultLocation::Proxy => Ok(absolute(
                origin,
                &format!("/_sluice/jobs/{}/result", job.id),
            )),
            ResultLocation::Echo => Ok(absolute(
                origin,
                &original_url(&job.request.path, job.request.query.as_deref()),
            )),
            ResultLocation::Presigned => {
                let result = job.result.as_ref().ok_or_else(|| not_found(&job.id))?;
                let key = location_key(&jobs.results, &result.location);
                let left = result
                    .expires_at
                    .duration_since(jobs.store.now())
                    .try_into()
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_secs(1), Duration::from_secs(3600));
                jobs.results
                    .presign_get(&key, left)
                    .await
                    .map(|url| url.to_string())
                    .map_err(|e| Problem::new(ProblemType::Internal, e.to_string()))
            }
        }
    }

    /// A succeeded job's stored result, streamed from the bucket.
    async fn result_response(
        &self,
        job: &Job,
        request_id: &str,
    ) -> Result<Response<Body>, Problem> {
        let jobs = self.jobs_or_internal()?;
        let Some(result) = &job.result else {
            return Err(not_found(&job.id));
        };
        if result.expires_at <= jobs.store.now() {
            return Err(not_found(&job.id));
        }
        let key = location_key(&jobs.results, &result.location);
        let got = match jobs.results.store.get(&key).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Err(not_found(&job.id)),
            Err(e) => {
                return Err(Problem::new(
                    ProblemType::Internal,
                    format!("the result of job {} could not be read: {e}", job.id),
                ));
            }
        };
        let stream = got
            .into_stream()
            .map_ok(hyper::body::Frame::data)
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
        let mut response = Response::new(StreamBody::new(stream.boxed()).boxed_unsync());
        *response.status_mut() =
            StatusCode::from_u16(result.upstream_status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&result.content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(result.size));
        let expires = result
            .expires_at
            .strftime("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        if let Ok(value) = HeaderValue::from_str(&expires) {
            headers.insert(header::EXPIRES, value);
        }
        if let Ok(value) = HeaderValue::from_str(job.id.as_str()) {
            headers.insert("sluice-job", value);
        }
        let _ = request_id;
        Ok(response)
    }

    /// `GET /_sluice/jobs?page_size=N&page_token=T`.
    async fn list(
        &self,
        jobs: &Jobs,
        caller: &Caller,
        query: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Response<Body>, Problem> {
        let mut page_size = 50;
        let mut page_token = None;
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "page_size" => {
                    page_size = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_PAGE).contains(n))
                        .ok_or_else(|| {
                            Problem::new(
                                ProblemType::InvalidParameter,
                                format!(
                                    "page_size={value}: expected a number from 1 to {MAX_PAGE}"
                                ),
                            )
                            .with_status(400)
                        })?;
                }
                "page_token" => page_token = Some(value.into_owned()),
                other => {
                    return Err(Problem::new(
                        ProblemType::InvalidParameter,
                        format!("`{other}` is not a parameter of the job list; use page_size and page_token"),
                    )
                    .with_status(400));
                }
            }
        }
        let page = jobs
            .store
            .list(&caller.id, page_size, page_token.as_deref())
            .await
            .map_err(|e| match e {
                crate::jobs::JobError::InvalidPageToken(_) => {
                    Problem::new(ProblemType::InvalidParameter, e.to_string()).with_status(400)
                }
                e => store_problem(e),
            })?;
        let body = json!({
            "jobs": page.jobs.iter().map(|job| self.job_view(job, origin)).collect::<Vec<_>>(),
            "next_page_token": page.next_page_token,
        });
        let mut response = self.json(StatusCode::OK, &body);
        if let Some(token) = &page.next_page_token {
            let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
            let next = absolute(
                origin,
                &format!("/_sluice/jobs?page_size={page_size}&page_token={token}"),
            );
            if let Ok(value) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
                response.headers_mut().insert(header::LINK, value);
            }
        }
        Ok(response)
    }

    /// What a caller sees of a job: the record without the caller's identity, the lease owner
    /// or the stored request headers and body. URLs are made absolute against `origin`, else
    /// against the origin the job was submitted to (callbacks); `resourceLocation` (once
    /// succeeded) is where the result is fetched, and a failure's problem also carries `code`
    /// and `message`, the members Azure's and OData's clients read.
    pub(crate) fn job_view(&self, job: &Job, origin: Option<&str>) -> Value {
        let origin = origin.or(job.request.origin.as_deref());
        let mode = self.jobs.as_ref().map(|j| j.config.location);
        let result_location = || match mode {
            Some(ResultLocation::Echo) => absolute(
                origin,
                &original_url(&job.request.path, job.request.query.as_deref()),
            ),
            // Presigned URLs are minted per status request; the monitor redirects to one.
            Some(ResultLocation::Presigned) => {
                absolute(origin, &format!("/_sluice/jobs/{}", job.id))
            }
            _ => absolute(origin, &format!("/_sluice/jobs/{}/result", job.id)),
        };
        // Written once, used for `result.location` and `resourceLocation`.
        let location = job.result.as_ref().map(|_| result_location());
        let result = job.result.as_ref().map(|r| {
            json!({
                "location": location,
                "size": r.size,
                "content_type": r.content_type,
                "upstream_status": r.upstream_status,
                "expires_at": r.expires_at.to_string(),
            })
        });
        let error = job.error.as_ref().map(|problem| {
            let mut problem = problem.clone();
            if let Some(map) = problem.as_object_mut() {
                let code = map
                    .get("type")
                    .and_then(Value::as_str)
                    .and_then(|t| t.rsplit('/').next())
                    .map(str::to_owned);
                let message = map.get("detail").cloned();
                if let Some(code) = code {
                    map.entry("code").or_insert(code.into());
                }
                if let Some(message) = message {
                    map.entry("message").or_insert(message);
                }
            }
            problem
        });
        let mut view = json!({
            "id": job.id,
            "status": api_status(job.status),
            "created_at": job.created_at.to_string(),
            "updated_at": job.updated_at.to_string(),
            "request": {
                "method": job.request.method,
                "path": job.request.path,
                "query": job.request.query,
            },
            "progress": job.progress,
            "result": result,
            "error": error,
            "callback": job.callback,
            "idempotency_key": job.idempotency_key,
        });
        if job.status == JobStatus::Succeeded
            && let Some(map) = view.as_object_mut()
        {
            let location = location.unwrap_or_else(result_location);
            map.insert("resourceLocation".into(), location.into());
        }
        view
    }

    fn json(&self, status: StatusCode, value: &Value) -> Response<Body> {
        let mut response = Response::new(full_body(serde_json::to_vec(value).unwrap_or_default()));
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }

    fn jobs_or_internal(&self) -> Result<&Arc<Jobs>, Problem> {
        self.jobs.as_ref().ok_or_else(|| {
            Problem::new(
                ProblemType::Internal,
                "asynchronous processing is not enabled",
            )
        })
    }
}

impl<C: Connector, H: Hooks> Proxy<C, H> {
    /// Queues a job on this replica (see [`run::spawn_job`]).
    pub(crate) fn spawn_job(
        self: &Arc<Self>,
        start: Start,
        slot: QueueSlot,
        done: Option<tokio::sync::oneshot::Sender<Finished>>,
    ) {
        run::spawn_job(self, start, slot, done);
    }

    /// Starts the periodic recovery scan and retention sweep; they run until the runtime stops.
    pub fn start_background(self: &Arc<Self>) {
        run::start_background(self);
    }
}

impl<C: Connector, H: Hooks> JobHost for Proxy<C, H> {
    fn jobs(&self) -> Option<&Arc<Jobs>> {
        self.jobs.as_ref()
    }

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn total_timeout(&self) -> Duration {
        self.total_timeout
    }

    fn callback_view(&self, job: &Job) -> Value {
        self.job_view(job, None)
    }

    /// Runs a job's request: admitted again from its record (so any replica can run it), then
    /// the same phases as a sync request.
    async fn run_request(&self, job: &Job, request_id: &str) -> Result<CallerResponse, Problem> {
        let method = Method::from_bytes(job.request.method.as_bytes()).map_err(|_| {
            Problem::new(
                ProblemType::Internal,
                format!("the job's method `{}` is not valid", job.request.method),
            )
        })?;
        let mut headers = HeaderMap::new();
        for [name, value] in &job.request.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        let caller = Caller {
            id: job.caller.clone(),
        };
        self.keys_derived().await;
        let mut matched = None;
        let mut admitted = self.allow(
            caller,
            method,
            &job.request.path,
            job.request.query.as_deref(),
            &headers,
            &mut matched,
        )?;
        if let Some(body) = &job.request.body {
            admitted.body = base64::engine::general_purpose::STANDARD
                .decode(body)
                .map(Bytes::from)
                .map_err(|e| {
                    Problem::new(
                        ProblemType::Internal,
                        format!("the job's stored request body does not decode: {e}"),
                    )
                })?;
        }
        self.execute(admitted, request_id).await
    }
}

fn original_url(path: &str, query: Option<&str>) -> String {
    match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    }
}

/// Whether the monitor was asked for its status view (`?view=status`, the `Operation-Location`);
/// any other parameter is refused rather than ignored.
fn monitor_view(query: Option<&str>) -> Result<bool, Problem> {
    let mut status = false;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match (name.as_ref(), value.as_ref()) {
            ("view", "status") => status = true,
            ("view", other) => {
                return Err(Problem::new(
                    ProblemType::InvalidParameter,
                    format!(
                        "view={other}: the monitor has one view, `status` (200 with the job, \
                         for status pollers); leave it out to be redirected to the result"
                    ),
                )
                .with_status(400));
            }
            (other, _) => {
                return Err(Problem::new(
                    ProblemType::InvalidParameter,
                    format!(
                        "`{other}` is not a parameter of a job's monitor; it takes `view=status`"
                    ),
                )
                .with_status(400));
            }
        }
    }
    Ok(status)
}

fn parse_id(text: &str) -> Result<JobId, Problem> {
    JobId::parse(text).map_err(|e| {
        Problem::new(
            ProblemType::JobNotFound,
            format!("there is no job `{text}`: {e}"),
        )
    })
}

fn not_found(id: &JobId) -> Problem {
    Problem::new(
        ProblemType::JobNotFound,
        format!(
            "there is no job {id} for this caller (never created, another caller's, or past its retention)"
        ),
    )
}

fn store_problem(e: crate::jobs::JobError) -> Problem {
    tracing::warn!(error = %e, "job store failed");
    Problem::new(ProblemType::Internal, format!("the job store failed: {e}")).with_status(503)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(value: &str) -> Result<Option<String>, Problem> {
        let mut headers = HeaderMap::new();
        headers.insert(IDEMPOTENCY_KEY, HeaderValue::from_str(value).unwrap());
        idempotency_key(&headers)
    }

    #[test]
    fn idempotency_keys_are_visible_ascii_optionally_quoted() {
        assert_eq!(key("nightly-1").unwrap().as_deref(), Some("nightly-1"));
        assert_eq!(key("\"nightly-1\"").unwrap().as_deref(), Some("nightly-1"));
        assert_eq!(key(&"k".repeat(255)).unwrap().map(|k| k.len()), Some(255));
        for bad in [
            "",
            "\"\"",
            "\"",
            "two words",
            "tab\there",
            "a\"b",
            &"k".repeat(256),
        ] {
            let problem = key(bad).unwrap_err();
            assert_eq!(problem.status, 400, "{bad:?}");
            assert!(problem.detail.contains("Idempotency-Key"), "{bad:?}");
        }
        assert_eq!(idempotency_key(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn the_monitor_takes_only_its_status_view() {
        assert!(!monitor_view(None).unwrap());
        assert!(monitor_view(Some("view=status")).unwrap());
        for bad in ["view=google", "view=", "page_size=1", "view=status&x=1"] {
            assert_eq!(monitor_view(Some(bad)).unwrap_err().status, 400, "{bad}");
        }
    }

    #[test]
    fn statuses_in_azures_words() {
        assert_eq!(api_status(JobStatus::Queued), "notStarted");
        assert_eq!(api_status(JobStatus::Running), "running");
        assert_eq!(api_status(JobStatus::Succeeded), "succeeded");
        assert_eq!(api_status(JobStatus::Failed), "failed");
        assert_eq!(api_status(JobStatus::Canceled), "canceled");
    }
}
