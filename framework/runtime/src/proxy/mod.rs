//! The life of a proxied request, phase by phase: caller authentication, routing against the
//! rules, the upstream request (only allowed headers, tokens decrypted, upstream credentials),
//! the upstream's answer (decompressed), sanitizing, the caller's response (only allowlisted
//! headers, each sanitized by [`crate::response_headers`]), side outputs. [`Hooks`] let a team
//! act between phases. Every refusal or failure is an RFC 9457 problem with the request id.

mod control;
mod jobs_api;

use std::io::Read as _;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body as _;
use sluice_spec::connector::ResultLocation;

use crate::auth::{Caller, CallerAuth};
use crate::connector::{CallerResponse, Connector, Hooks, UpstreamRequest, UpstreamResponse};
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::outputs::{Record, SideOutputs};
use crate::policy::upstream_target;
use crate::prefer::AsyncPreference;
use crate::problem::{CONTENT_TYPE as PROBLEM_JSON, Problem, ProblemType};
use crate::pseudonym::{Pseudonymizer, REVERSIBLE_PREFIX};
use crate::response_headers::{Conditional, LinkTarget, ResponseHeaders};
use crate::token_failures::TokenFailures;
use crate::upstream::{Upstream, UpstreamError};

/// The header carrying the request id, both ways.
pub const REQUEST_ID: &str = "x-request-id";
/// The header warning that a side output failed.
pub const SIDE_OUTPUT_WARNING: &str = "sluice-warning";

/// The body of every answer: buffered, or streamed from a bucket (async results).
pub type Body = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// A buffered answer body.
pub fn full_body(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A request the rules allowed, ready to go upstream (now, or later as a job).
#[derive(Debug, Clone)]
pub(crate) struct Admitted {
    /// Who sent it.
    pub(crate) caller: Caller,
    /// The endpoint it matched.
    pub(crate) endpoint: usize,
    /// Its method.
    pub(crate) method: Method,
    /// Its path as the caller sent it (reversible tokens still in).
    pub(crate) path: String,
    /// Its query as the caller sent it.
    pub(crate) query: Option<String>,
    /// The upstream path and query, tokens decrypted.
    pub(crate) path_and_query: String,
    /// The caller's headers the rules forward.
    pub(crate) headers: HeaderMap,
    /// The request body.
    pub(crate) body: Bytes,
}

/// Everything a request needs, shared by all connections.
pub struct Proxy<C, H> {
    engine: Engine<C>,
    hooks: H,
    auth: CallerAuth,
    upstream: Upstream,
    outputs: SideOutputs,
    response_headers: ResponseHeaders,
    /// The metrics, also served at `/_sluice/metrics`.
    pub metrics: Metrics,
    pub(crate) total_timeout: std::time::Duration,
    max_body: usize,
    ready: control::Readiness,
    /// Callers' refused reversible tokens, to throttle those who keep sending them.
    token_failures: TokenFailures,
    /// The proxy's URL as callers reach it (links in `Link` headers are rewritten to it).
    public_base_url: Option<String>,
    /// How the URL a caller used is found, for absolute job URLs.
    pub(crate) origins: crate::origin::Origins,
    /// Asynchronous processing, when enabled.
    pub(crate) jobs: Option<Arc<crate::jobs::Jobs>>,
    /// Upstream calls in flight per caller (synchronous requests).
    callers: crate::caller_limits::CallerLimits,
    /// Limits on callers' connections, applied by the server.
    pub(crate) connections: crate::config::ConnectionSettings,
}

/// The parts of a [`Proxy`], assembled by the caller.
pub struct Parts<C, H> {
    /// The connector.
    pub connector: C,
    /// The team's hooks.
    pub hooks: H,
    /// Pseudonymization keys.
    pub pseudonymizer: Arc<Pseudonymizer>,
    /// Caller authentication.
    pub auth: CallerAuth,
    /// The upstream client.
    pub upstream: Upstream,
    /// Side outputs.
    pub outputs: SideOutputs,
    /// Whole-request time limit.
    pub total_timeout: std::time::Duration,
    /// Largest request body accepted.
    pub max_body: usize,
    /// Refused reversible tokens a caller may send per minute (see [`TokenFailures`]).
    pub token_failure_limit: u32,
    /// The proxy's URL as callers reach it, for links rewritten to the proxy.
    pub public_base_url: Option<String>,
    /// Proxies whose `X-Forwarded-Proto`/`-Host` are believed (see [`crate::origin`]).
    pub trust_forwarded: Vec<ipnet::IpNet>,
    /// Asynchronous processing, when enabled.
    pub jobs: Option<crate::jobs::Jobs>,
    /// Upstream calls one caller may have in flight at once (synchronous requests).
    pub caller_concurrency: usize,
    /// Limits on callers' connections, applied by the server.
    pub connections: crate::config::ConnectionSettings,
}

impl<C: Connector, H: Hooks> Proxy<C, H> {
    /// Assembles a proxy.
    pub fn new(parts: Parts<C, H>) -> Self {
        let mut buckets: Vec<_> = parts.outputs.buckets().cloned().collect();
        if let Some(jobs) = &parts.jobs {
            buckets.push(jobs.results.clone());
        }
        let ready = control::Readiness::new(buckets);
        let endpoints = parts.connector.rules().endpoints.len();
        let metrics =
            Metrics::with_endpoints((0..endpoints).map(|e| endpoint_label_of(&parts.connector, e)));
        let response_headers =
            ResponseHeaders::new(parts.connector.rules(), parts.pseudonymizer.keys().salt());
        Self {
            response_headers,
            engine: Engine::new(parts.connector, parts.pseudonymizer),
            hooks: parts.hooks,
            auth: parts.auth,
            upstream: parts.upstream,
            outputs: parts.outputs,
            metrics,
            total_timeout: parts.total_timeout,
            max_body: parts.max_body,
            ready,
            token_failures: TokenFailures::new(parts.token_failure_limit),
            origins: crate::origin::Origins::new(
                parts.public_base_url.clone(),
                parts.trust_forwarded,
            ),
            public_base_url: parts.public_base_url,
            jobs: parts.jobs.map(Arc::new),
            callers: crate::caller_limits::CallerLimits::new(parts.caller_concurrency),
            connections: parts.connections,
        }
    }

    /// The connector.
    pub fn connector(&self) -> &C {
        self.engine.connector()
    }

    /// Answers one request.
    pub async fn handle<B>(self: &Arc<Self>, request: Request<B>) -> Response<Body>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let started = Instant::now();
        let request_id = request_id(request.headers());
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let mut endpoint = None;
        let outcome = tokio::time::timeout(
            self.total_timeout,
            self.process(request, &request_id, &mut endpoint),
        )
        .await;
        let mut response = outcome.unwrap_or_else(|_| {
            problem_response(
                Problem::new(
                    ProblemType::Timeout,
                    format!(
                        "the request took longer than the proxy's limit of {:?}",
                        self.total_timeout
                    ),
                )
                .at(path.clone()),
                &request_id,
            )
        });
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        let endpoint_label = endpoint.map_or("-", |e| endpoint_label_of(self.connector(), e));
        let series = self.metrics.endpoint(endpoint);
        series.count_answer(status);
        series.request_seconds.observe(elapsed.as_secs_f64());
        let size = response.body().size_hint().exact().unwrap_or_default();
        self.metrics.response_bytes.inc_by(size);
        // The query is not logged: it can hold personal data.
        tracing::info!(
            request_id = %request_id,
            method = %method,
            path = %path,
            endpoint = %endpoint_label,
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
        response
    }

    async fn process<B>(
        self: &Arc<Self>,
        request: Request<B>,
        request_id: &str,
        endpoint: &mut Option<usize>,
    ) -> Response<Body>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let path = request.uri().path().to_owned();
        if let Some(route) = path.strip_prefix("/_sluice/") {
            if route == "jobs" || route.starts_with("jobs/") {
                return self.job_route(route, request, request_id).await;
            }
            return control::answer(self, route, &request, request_id).await;
        }
        let mut response = match self.proxied(request, request_id, endpoint).await {
            Ok(response) => response,
            Err(problem) if problem.instance.is_some() => problem_response(problem, request_id),
            Err(problem) => problem_response(problem.at(path), request_id),
        };
        if self.jobs.is_some() {
            // The answer depends on whether the caller asked for async processing.
            response
                .headers_mut()
                .append(header::VARY, HeaderValue::from_static("Prefer"));
        }
        response
    }

    async fn proxied<B>(
        self: &Arc<Self>,
        request: Request<B>,
        request_id: &str,
        endpoint: &mut Option<usize>,
    ) -> Result<Response<Body>, Problem>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        // With async processing off, Prefer and Accept-Asynchronous are ignored.
        let preference = match &self.jobs {
            Some(_) => AsyncPreference::from_headers(request.headers())?,
            None => AsyncPreference::default(),
        };
        let idempotency_key = jobs_api::idempotency_key(request.headers())?;
        // Only an async request or an echo answer writes URLs: no per-request allocation else.
        let origin = match &self.jobs {
            Some(jobs)
                if preference.respond_async || jobs.config.location == ResultLocation::Echo =>
            {
                self.origin_of(&request)
            }
            _ => None,
        };
        let conditional = Conditional::from_request(request.method(), request.headers());
        let admitted = self.admit(request, endpoint).await?;
        if let Some(jobs) = &self.jobs {
            if preference.respond_async {
                return self
                    .accept(admitted, preference, idempotency_key, request_id, origin)
                    .await;
            }
            if jobs.config.required_endpoints.contains(&admitted.endpoint) {
                return Err(Problem::new(
                    ProblemType::AsyncRequired,
                    format!(
                        "{} {} answers only asynchronously: resend it with the header \
                         `Prefer: respond-async`, then poll the job at the `Location` of the \
                         202 answer",
                        admitted.method, admitted.path
                    ),
                ));
            }
            if jobs.config.location == ResultLocation::Echo
                && let Some(answer) = self
                    .echo_answer(&admitted, request_id, origin.as_deref())
                    .await?
            {
                return Ok(answer);
            }
        }
        let Some(_slot) = self.callers.enter(&admitted.caller.id) else {
            return Err(Problem::new(
                ProblemType::TooManyRequests,
                format!(
                    "this caller already has {} requests in flight upstream; retry after one \
                     has been answered",
                    self.callers.limit()
                ),
            )
            .with_retry_after(1));
        };
        let answer = self.execute(admitted, request_id).await?;
        if let Some(headers) = conditional.not_modified(answer.status, &answer.headers) {
            let mut response = Response::new(full_body(Bytes::new()));
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            *response.headers_mut() = headers;
            return Ok(response);
        }
        let mut response = Response::new(full_body(Bytes::from(answer.body)));
        *response.status_mut() = answer.status;
        *response.headers_mut() = answer.headers;
        Ok(response)
    }

    /// Phases 1 and 2: who is calling, and whether the rules allow the request. Reads the body
    /// (GET and HEAD have none).
    async fn admit<B>(
        &self,
        request: Request<B>,
        endpoint: &mut Option<usize>,
    ) -> Result<Admitted, Problem>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let authorization = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let caller: Caller = self.auth.check(authorization)?;
        // Tokens in the request are decrypted, and responses pseudonymized, with the key.
        self.keys_derived().await;
        let (parts, body) = request.into_parts();
        let mut admitted = self.allow(
            caller,
            parts.method.clone(),
            parts.uri.path(),
            parts.uri.query(),
            &parts.headers,
            endpoint,
        )?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            admitted.body = Limited::new(body, self.max_body)
                .collect()
                .await
                .map(|c| c.to_bytes())
                .map_err(|e| {
                    Problem::new(
                        ProblemType::PayloadTooLarge,
                        format!("the request body could not be read: {e}"),
                    )
                })?;
        }
        Ok(admitted)
    }

    /// Routes a request against the rules and prepares its upstream target and the headers the
    /// rules forward. Used when a request arrives and when a job runs on any replica.
    pub(crate) fn allow(
        &self,
        caller: Caller,
        method: Method,
        path: &str,
        query: Option<&str>,
        caller_headers: &HeaderMap,
        matched: &mut Option<usize>,
    ) -> Result<Admitted, Problem> {
        let connector = self.engine.connector();
        crate::policy::check_path(path)?;
        let allowed = connector.route(self.engine.policy(), method.as_str(), path, query)?;
        let endpoint = allowed.endpoint;
        *matched = Some(endpoint);
        let carries_tokens = path.contains(REVERSIBLE_PREFIX)
            || query.is_some_and(|q| q.contains(REVERSIBLE_PREFIX));
        if carries_tokens {
            self.token_failures.admit(&caller.id)?;
        }
        let (upstream_path, upstream_query) =
            upstream_target(self.engine.pseudonymizer(), path, query)
                .map_err(|e| self.refuse_token(&caller, path, &e))?;
        let mut headers = HeaderMap::new();
        for name in allowed.forward_headers {
            if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                for value in caller_headers.get_all(&name) {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
        let path_and_query = match &upstream_query {
            Some(q) => format!("{upstream_path}?{q}"),
            None => upstream_path,
        };
        Ok(Admitted {
            caller,
            endpoint,
            method,
            path: path.to_owned(),
            query: query.map(str::to_owned),
            path_and_query,
            headers,
            body: Bytes::new(),
        })
    }

    /// The one answer for every reversible token the proxy will not open, whatever the reason
    /// (logged here, never sent): the same status, type and detail, and for its `instance` the
    /// path with each token masked, so two refused requests differ in nothing but their ids.
    fn refuse_token(
        &self,
        caller: &Caller,
        path: &str,
        reason: &crate::pseudonym::TokenError,
    ) -> Problem {
        tracing::warn!(caller = %caller.id, error = %reason, "reversible token refused");
        self.metrics
            .invalid_tokens
            .get_or_create(&crate::metrics::CallerLabels {
                caller: caller.id.clone(),
            })
            .inc();
        self.token_failures.record(&caller.id);
        Problem::new(
            ProblemType::InvalidToken,
            "the request holds a reversible token (p~…) this proxy does not accept: tokens are \
             valid only as this deployment issued them, unaltered; fetch it again",
        )
        .at(mask_tokens(path))
    }

    /// Phases 3 to 6: the upstream call, sanitizing, side outputs. The same for a sync request
    /// and for a job.
    pub(crate) async fn execute(
        &self,
        admitted: Admitted,
        request_id: &str,
    ) -> Result<CallerResponse, Problem> {
        let Admitted {
            endpoint,
            method,
            path,
            query,
            path_and_query,
            mut headers,
            body,
            ..
        } = admitted;
        let connector = self.engine.connector();
        headers
            .entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br"),
        );
        // The caller holds hashed tags the upstream cannot recognise; the proxy evaluates them
        // (see `Conditional`).
        headers.remove(header::IF_NONE_MATCH);
        let mut upstream_request = UpstreamRequest {
            endpoint,
            method: method.clone(),
            path_and_query,
            headers,
        };
        self.hooks.before_upstream(&mut upstream_request)?;

        // Phase 4: the upstream's answer.
        let upstream_uri = self.upstream.uri(&upstream_request.path_and_query);
        let mut builder = Request::builder()
            .method(upstream_request.method.clone())
            .uri(upstream_uri.clone());
        if let Some(h) = builder.headers_mut() {
            *h = upstream_request.headers;
        }
        let outgoing = builder.body(Full::new(body)).map_err(|e| {
            Problem::new(
                ProblemType::Internal,
                format!("cannot build the upstream request: {e}"),
            )
        })?;
        let sent = Instant::now();
        let answer = self
            .upstream
            .send(outgoing)
            .await
            .map_err(upstream_problem)?;
        self.metrics
            .endpoint(Some(endpoint))
            .upstream_seconds
            .observe(sent.elapsed().as_secs_f64());
        let decoded = decode(&answer.headers, answer.body, self.upstream.max_body())?;
        self.metrics.upstream_bytes.inc_by(decoded.len() as u64);
        let mut upstream_response = UpstreamResponse {
            endpoint,
            status: answer.status,
            headers: answer.headers,
            body: decoded,
        };
        self.hooks.after_upstream(&mut upstream_response)?;

        // Phase 5: sanitize. Upstream errors are sanitized too, or withheld.
        let status = upstream_response.status;
        let sanitized = match self
            .engine
            .sanitizer()
            .sanitize(endpoint, &upstream_response.body)
        {
            Ok(body) => body,
            Err(e) if status.is_success() => {
                return Err(Problem::new(
                    ProblemType::UnsanitizableResponse,
                    format!("the upstream's answer was withheld: {e}"),
                ));
            }
            Err(_) => {
                return Err(Problem::new(
                    ProblemType::UpstreamError,
                    format!("the upstream answered {status} with a body that cannot be sanitized; it was withheld"),
                )
                .with_status(status.as_u16()));
            }
        };
        let pseudonymizer = self.engine.pseudonymizer();
        let tokenize = |value: &str| {
            let token = pseudonymizer
                .tokenize(&serde_json::Value::from(value), None)
                .ok()?;
            token.as_str().map(str::to_owned)
        };
        let links = LinkTarget {
            request: &upstream_uri,
            base: self.upstream.base(),
            policy: self.engine.policy(),
            public_base: self.public_base_url.as_deref(),
            tokenize: &tokenize,
        };
        let headers = self
            .response_headers
            .filter(endpoint, &upstream_response.headers, &links);
        let mut caller_response = CallerResponse {
            endpoint,
            status,
            headers,
            body: sanitized,
        };
        self.hooks.before_respond(&mut caller_response)?;

        // Phase 6: side outputs, then the answer.
        if !self.outputs.is_empty() {
            let date = jiff::Timestamp::now().strftime("%Y%m%d").to_string();
            let content_type = upstream_response
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            let record = Record {
                request_id,
                method: method.as_str(),
                path: &path,
                query: query.as_deref(),
                upstream_status: status.as_u16(),
                content_type,
                rules_sha256: connector.rules_sha256(),
                date: &date,
                original: &upstream_response.body,
                sanitized: &caller_response.body,
            };
            let report = self.outputs.write(&record).await;
            for (destination, error) in &report.failures {
                tracing::warn!(request_id, destination = %destination, error = %error, "side output failed");
                self.metrics
                    .side_output_failures
                    .get_or_create(&crate::metrics::DestinationLabels {
                        destination: destination.clone(),
                    })
                    .inc();
                let warning = format!("side output to {destination} failed");
                if let Ok(v) = HeaderValue::from_str(&warning) {
                    caller_response.headers.append(SIDE_OUTPUT_WARNING, v);
                }
            }
            if report.required_failed {
                return Err(Problem::new(
                    ProblemType::SideOutputFailed,
                    "a required side output could not be written, so the response is withheld",
                ));
            }
        }
        Ok(caller_response)
    }

    /// Who is calling, by the configured caller authentication.
    pub(crate) fn auth_check(&self, authorization: Option<&str>) -> Result<Caller, Problem> {
        self.auth.check(authorization)
    }

    /// Readiness of the stores and configuration.
    pub(crate) fn readiness(&self) -> &control::Readiness {
        &self.ready
    }

    /// Whether the encryption key has been derived (in the background, from start-up).
    pub(crate) fn keys_are_derived(&self) -> bool {
        self.engine.pseudonymizer().is_derived()
    }

    /// Waits until the encryption key has been derived; see [`Engine::keys_derived`].
    pub(crate) async fn keys_derived(&self) {
        self.engine.keys_derived().await;
    }
}

fn endpoint_label_of<C: Connector>(connector: &C, endpoint: usize) -> &str {
    let e = &connector.rules().endpoints[endpoint];
    e.path_template
        .as_ref()
        .map(|t| t.value.as_str())
        .or_else(|| e.path_regex.as_ref().map(|r| r.as_str()))
        .unwrap_or_default()
}

/// `path` with every `p~` token (and what follows it up to the next `/`) written as `p~…`.
fn mask_tokens(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.find(REVERSIBLE_PREFIX) {
            Some(at) => format!("{}{REVERSIBLE_PREFIX}…", &segment[..at]),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The caller's request id when it sent a usable one, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

fn upstream_problem(e: UpstreamError) -> Problem {
    match e {
        UpstreamError::Timeout(_) => Problem::new(ProblemType::UpstreamTimeout, e.to_string()),
        UpstreamError::TooLarge(_) | UpstreamError::Unreachable(_) | UpstreamError::Token(_) => {
            Problem::new(ProblemType::UpstreamUnreachable, e.to_string())
        }
    }
}

/// The body with its `Content-Encoding` (gzip, deflate, br) undone, at most `max` bytes once
/// decoded (a small compressed body can expand a thousandfold).
fn decode(headers: &HeaderMap, body: Vec<u8>, max: usize) -> Result<Vec<u8>, Problem> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity");
    let name = encoding.trim().to_ascii_lowercase();
    if matches!(name.as_str(), "" | "identity") {
        return Ok(body);
    }
    let fail = |e: std::io::Error| {
        Problem::new(
            ProblemType::UnsanitizableResponse,
            format!("the upstream's {encoding} body does not decode: {e}"),
        )
    };
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(max));
    let read =
        |decoder: &mut dyn std::io::Read, out: &mut Vec<u8>| decoder.take(limit).read_to_end(out);
    match name.as_str() {
        "gzip" | "x-gzip" => {
            read(&mut flate2::read::MultiGzDecoder::new(&body[..]), &mut out).map_err(fail)?;
        }
        "deflate" => {
            // RFC 9110's deflate is zlib-wrapped; some servers send it raw.
            if read(&mut flate2::read::ZlibDecoder::new(&body[..]), &mut out).is_err() {
                out.clear();
                read(&mut flate2::read::DeflateDecoder::new(&body[..]), &mut out).map_err(fail)?;
            }
        }
        "br" => {
            read(
                &mut brotli_decompressor::Decompressor::new(&body[..], 4096),
                &mut out,
            )
            .map_err(fail)?;
        }
        other => {
            return Err(Problem::new(
                ProblemType::UnsanitizableResponse,
                format!(
                    "the upstream's body uses the content encoding `{other}`, which sluice cannot decode"
                ),
            ));
        }
    }
    if out.len() > max {
        return Err(Problem::new(
            ProblemType::UpstreamUnreachable,
            format!(
                "the upstream's {encoding} body decodes to more than {max} bytes, the proxy's \
                 limit (SLUICE_MAX_BODY_BYTES)"
            ),
        ));
    }
    Ok(out)
}

/// A problem as an HTTP response.
pub fn problem_response(problem: Problem, request_id: &str) -> Response<Body> {
    let problem = problem.with_request_id(request_id);
    let mut response = Response::new(full_body(problem.to_json()));
    *response.status_mut() =
        StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if let Some(seconds) = problem.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.get()));
    }
    if let Some(methods) = problem.allow
        && let Ok(value) = HeaderValue::from_str(&methods.header_value())
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
