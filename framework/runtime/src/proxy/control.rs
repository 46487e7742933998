//! The control routes under `/_sluice/`: liveness (`healthz`), readiness (`readyz`: the
//! encryption key derived and every bucket reachable), and Prometheus `metrics`. They need no
//! caller credentials and reveal no data.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use object_store::path::Path;

use super::{Body, Proxy, full_body, problem_response};
use crate::connector::{Connector, Hooks};
use crate::problem::{Problem, ProblemType};
use crate::stores::Bucket;

/// What readiness depends on.
pub(crate) struct Readiness {
    buckets: Vec<Bucket>,
}

impl Readiness {
    /// Readiness over these buckets.
    pub(crate) fn new(buckets: Vec<Bucket>) -> Self {
        Self { buckets }
    }

    /// `Ok` when every bucket answers a listing of its top level; else the first that does
    /// not, and why. Only the top level: a recursive listing of a local directory walks every
    /// object in it (a day's side outputs can be hundreds of thousands of files).
    pub(crate) async fn check(&self) -> Result<(), String> {
        for bucket in &self.buckets {
            let prefix: Option<&Path> = if bucket.prefix.as_ref().is_empty() {
                None
            } else {
                Some(&bucket.prefix)
            };
            if let Err(e) = bucket.store.list_with_delimiter(prefix).await {
                return Err(format!("{} is not reachable: {e}", bucket.url));
            }
        }
        Ok(())
    }
}

/// Answers `/_sluice/<route>`.
pub(crate) async fn answer<C: Connector, H: Hooks, B>(
    proxy: &Proxy<C, H>,
    route: &str,
    request: &Request<B>,
    request_id: &str,
) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return problem_response(
            Problem::new(
                ProblemType::MethodNotAllowed,
                format!("/_sluice/{route} answers GET and HEAD only"),
            )
            .with_allow("GET, HEAD")
            .at(request.uri().path().to_owned()),
            request_id,
        );
    }
    match route {
        "healthz" => json(StatusCode::OK, r#"{"status":"ok"}"#),
        "readyz" => match ready(proxy).await {
            Ok(()) => json(StatusCode::OK, r#"{"status":"ready"}"#),
            Err(why) => {
                let mut response = problem_response(
                    Problem::new(ProblemType::Internal, format!("not ready: {why}"))
                        .at("/_sluice/readyz".to_owned()),
                    request_id,
                );
                *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                response
            }
        },
        "metrics" => {
            let mut response = Response::new(full_body(proxy.metrics.render()));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            response
        }
        other => problem_response(
            Problem::new(
                ProblemType::BlockedByRules,
                format!(
                    "/_sluice/{other} is not a control route; there are healthz, readyz and metrics"
                ),
            )
            .with_status(404)
            .at(request.uri().path().to_owned()),
            request_id,
        ),
    }
}

/// `Ok` when the encryption key is derived and every bucket answers; else why not.
async fn ready<C: Connector, H: Hooks>(proxy: &Proxy<C, H>) -> Result<(), String> {
    if !proxy.keys_are_derived() {
        return Err(
            "the encryption key is still being derived (PBKDF2, some milliseconds after start-up)"
                .to_owned(),
        );
    }
    proxy.readiness().check().await
}

fn json(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(full_body(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
