//! RFC 9457 problem details: the one place every HTTP error sluice returns is defined, each with
//! a stable `type` a client can branch on.
//!
//! The `type` URIs are relative references under `/_sluice/problems/`, so they resolve against
//! the proxy that sent them.

use serde::Serialize;

/// The media type of a problem body.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// Every cause of an error response, each with its status and stable `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemType {
    /// The request matches no endpoint of the rules.
    BlockedByRules,
    /// The endpoint exists but does not allow this HTTP method.
    MethodNotAllowed,
    /// A query parameter is not in the endpoint's `allowedQueryParams`.
    QueryParamNotAllowed,
    /// A path or query parameter fails its schema.
    InvalidParameter,
    /// A `p~` token in the request is not one this proxy issued (or stands for a value that
    /// cannot go where it stands); every such token gets the same answer.
    InvalidToken,
    /// The request path has dot segments, encoded separators or backslashes.
    InvalidPath,
    /// The `Asynchronous-End-Point` of an async request is not a URL sluice can call back.
    InvalidCallback,
    /// No or a bad caller credential.
    Unauthorized,
    /// The upstream could not be reached.
    UpstreamUnreachable,
    /// The upstream did not answer in time.
    UpstreamTimeout,
    /// The upstream's answer could not be sanitized (not JSON, or a rule could not apply).
    UnsanitizableResponse,
    /// The upstream answered with an error whose body could not be sanitized; it was withheld.
    UpstreamError,
    /// A side output marked `required` could not be written.
    SideOutputFailed,
    /// The request body is larger than the proxy accepts.
    PayloadTooLarge,
    /// The proxy's whole-request time limit passed.
    Timeout,
    /// Something failed inside the proxy.
    Internal,
    /// `Accept-Asynchronous` or `Prefer` asked for something the proxy cannot do as written.
    BadAsyncRequest,
    /// The endpoint answers only asynchronously; the caller must resend with `Prefer: respond-async`.
    AsyncRequired,
    /// No such job for this caller (never created, another caller's, or past retention).
    JobNotFound,
    /// The job's result was asked for, but the job is still running or was canceled.
    NoResult,
    /// The caller polls faster than the proxy allows.
    TooManyRequests,
    /// The proxy's job queue is full.
    QueueFull,
    /// A rules regex gave up on this request (too many backtracking steps), so the rules could
    /// not decide it; it is refused rather than forwarded.
    RegexLimitExceeded,
    /// The replica running a job stopped, and the job could not safely be re-run.
    JobInterrupted,
}

impl ProblemType {
    /// The slug the `type` URI ends with.
    pub fn slug(self) -> &'static str {
        match self {
            Self::BlockedByRules => "blocked-by-rules",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::QueryParamNotAllowed => "query-param-not-allowed",
            Self::InvalidParameter => "invalid-parameter",
            Self::InvalidToken => "invalid-token",
            Self::InvalidPath => "invalid-path",
            Self::InvalidCallback => "invalid-callback",
            Self::Unauthorized => "unauthorized",
            Self::UpstreamUnreachable => "upstream-unreachable",
            Self::UpstreamTimeout => "upstream-timeout",
            Self::UnsanitizableResponse => "unsanitizable-response",
            Self::UpstreamError => "upstream-error",
            Self::SideOutputFailed => "side-output-failed",
            Self::PayloadTooLarge => "payload-too-large",
            Self::Timeout => "timeout",
            Self::Internal => "internal",
            Self::BadAsyncRequest => "bad-async-request",
            Self::AsyncRequired => "async-required",
            Self::JobNotFound => "job-not-found",
            Self::NoResult => "no-result",
            Self::TooManyRequests => "too-many-requests",
            Self::QueueFull => "queue-full",
            Self::JobInterrupted => "job-interrupted",
            Self::RegexLimitExceeded => "regex-limit-exceeded",
        }
    }

    /// The HTTP status the problem is sent with.
    pub fn status(self) -> u16 {
        match self {
            Self::MethodNotAllowed => 405,
            Self::BlockedByRules
            | Self::QueryParamNotAllowed
            | Self::InvalidParameter
            | Self::RegexLimitExceeded => 403,
            // psoxy answers 409 for a stale or foreign reversible token; callers rely on it.
            Self::InvalidToken => 409,
            Self::InvalidCallback | Self::InvalidPath => 400,
            Self::Unauthorized => 401,
            Self::UpstreamUnreachable => 502,
            Self::UpstreamTimeout | Self::Timeout => 504,
            Self::UnsanitizableResponse | Self::UpstreamError => 502,
            Self::PayloadTooLarge => 413,
            Self::SideOutputFailed | Self::Internal | Self::JobInterrupted => 500,
            Self::BadAsyncRequest | Self::AsyncRequired => 400,
            Self::JobNotFound => 404,
            Self::NoResult => 409,
            Self::TooManyRequests => 429,
            Self::QueueFull => 503,
        }
    }

    /// A short, fixed summary of the problem type (RFC 9457 `title`).
    pub fn title(self) -> &'static str {
        match self {
            Self::BlockedByRules => "Blocked by the connector's rules",
            Self::MethodNotAllowed => "Method not allowed for this endpoint",
            Self::QueryParamNotAllowed => "Query parameter not allowed",
            Self::InvalidParameter => "Invalid parameter value",
            Self::InvalidToken => "Invalid reversible token",
            Self::InvalidPath => "Path not accepted",
            Self::InvalidCallback => "Invalid callback endpoint",
            Self::Unauthorized => "Missing or invalid credentials",
            Self::UpstreamUnreachable => "Upstream unreachable",
            Self::UpstreamTimeout => "Upstream timed out",
            Self::UnsanitizableResponse => "Upstream response cannot be sanitized",
            Self::UpstreamError => "Upstream error withheld",
            Self::SideOutputFailed => "Required side output failed",
            Self::PayloadTooLarge => "Request body too large",
            Self::Timeout => "Request timed out",
            Self::Internal => "Internal error",
            Self::BadAsyncRequest => "Asynchronous request not understood",
            Self::AsyncRequired => "This endpoint answers asynchronously only",
            Self::JobNotFound => "No such job",
            Self::NoResult => "The job has no result",
            Self::TooManyRequests => "Too many requests",
            Self::QueueFull => "Job queue full",
            Self::JobInterrupted => "Job interrupted",
            Self::RegexLimitExceeded => "A rules regex gave up on this request",
        }
    }

    /// The `type` URI: `/_sluice/problems/<slug>`.
    pub fn uri(self) -> &'static str {
        match self {
            Self::BlockedByRules => "/_sluice/problems/blocked-by-rules",
            Self::MethodNotAllowed => "/_sluice/problems/method-not-allowed",
            Self::QueryParamNotAllowed => "/_sluice/problems/query-param-not-allowed",
            Self::InvalidParameter => "/_sluice/problems/invalid-parameter",
            Self::InvalidToken => "/_sluice/problems/invalid-token",
            Self::InvalidPath => "/_sluice/problems/invalid-path",
            Self::Unauthorized => "/_sluice/problems/unauthorized",
            Self::UpstreamUnreachable => "/_sluice/problems/upstream-unreachable",
            Self::UpstreamTimeout => "/_sluice/problems/upstream-timeout",
            Self::UnsanitizableResponse => "/_sluice/problems/unsanitizable-response",
            Self::UpstreamError => "/_sluice/problems/upstream-error",
            Self::SideOutputFailed => "/_sluice/problems/side-output-failed",
            Self::PayloadTooLarge => "/_sluice/problems/payload-too-large",
            Self::Timeout => "/_sluice/problems/timeout",
            Self::Internal => "/_sluice/problems/internal",
            Self::BadAsyncRequest => "/_sluice/problems/bad-async-request",
            Self::AsyncRequired => "/_sluice/problems/async-required",
            Self::JobNotFound => "/_sluice/problems/job-not-found",
            Self::NoResult => "/_sluice/problems/no-result",
            Self::TooManyRequests => "/_sluice/problems/too-many-requests",
            Self::QueueFull => "/_sluice/problems/queue-full",
            Self::JobInterrupted => "/_sluice/problems/job-interrupted",
            Self::InvalidCallback => "/_sluice/problems/invalid-callback",
            Self::RegexLimitExceeded => "/_sluice/problems/regex-limit-exceeded",
        }
    }
}

/// A set of the standard HTTP methods (RFC 9110 §9, and PATCH), as an `Allow` header lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodSet(std::num::NonZeroU16);

impl MethodSet {
    const NAMES: [&'static str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    ];

    /// The standard methods named in `list` (separated by commas or spaces, any case); `None`
    /// when it names none. Other names are left out: `Allow` lists what a client can send.
    pub fn parse(list: &str) -> Option<Self> {
        let bits = list
            .split([',', ' '])
            .filter_map(|name| {
                Self::NAMES
                    .iter()
                    .position(|known| known.eq_ignore_ascii_case(name.trim()))
            })
            .fold(0u16, |bits, i| bits | 1 << i);
        std::num::NonZeroU16::new(bits).map(Self)
    }

    /// The `Allow` header value: the methods in a fixed order, `GET, HEAD, DELETE`.
    pub fn header_value(self) -> String {
        Self::NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0.get() & (1 << i) != 0)
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A problem details document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The problem type URI.
    #[serde(rename = "type")]
    pub type_uri: &'static str,
    /// The type's fixed summary.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request and what would be right.
    pub detail: String,
    /// The request path the problem is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id, for matching logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Extension members (RFC 9457 §3.2), such as an upstream error's status and sanitized body.
    /// (Boxed: most problems have none, and a problem travels in every `Result` of a request.)
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    /// Seconds after which the caller may try again, sent as `Retry-After` (not in the body).
    /// (32 bits: it shares a word with `status`, keeping a problem small.)
    #[serde(skip)]
    pub retry_after: Option<std::num::NonZeroU32>,
    /// The methods the resource answers, sent as `Allow` with a 405 (not in the body).
    /// (A set of the standard methods, two bytes: it shares the word of `status`.)
    #[serde(skip)]
    pub allow: Option<MethodSet>,
}

impl Problem {
    /// A problem of `kind` with a request-specific `detail`.
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self {
            type_uri: kind.uri(),
            title: kind.title(),
            status: kind.status(),
            detail: detail.into(),
            instance: None,
            request_id: None,
            extensions: None,
            retry_after: None,
            allow: None,
        }
    }

    /// The same problem, telling the caller which methods the resource answers (`Allow`,
    /// e.g. `"GET, HEAD"`); a 405 always carries it (RFC 9110 §15.5.6).
    pub fn with_allow(mut self, methods: impl AsRef<str>) -> Self {
        self.allow = MethodSet::parse(methods.as_ref());
        self
    }

    /// The same problem, telling the caller to wait `seconds` before trying again.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        let seconds = u32::try_from(seconds).unwrap_or(u32::MAX).max(1);
        self.retry_after = std::num::NonZeroU32::new(seconds);
        self
    }

    /// The same problem with the extension member `name`.
    pub fn with_extension(mut self, name: &str, value: serde_json::Value) -> Self {
        self.extensions
            .get_or_insert_with(Box::default)
            .insert(name.to_owned(), value);
        self
    }

    /// The same problem, about the request path `instance`.
    pub fn at(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// The same problem with another HTTP status (an upstream error keeps the upstream's).
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same problem tagged with the request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a problem serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_serialize_as_rfc9457_members() {
        let p = Problem::new(ProblemType::QueryParamNotAllowed, "`q` is not allowed here")
            .at("/orgs/acme/members");
        let json: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(json["type"], "/_sluice/problems/query-param-not-allowed");
        assert_eq!(json["status"], 403);
        assert_eq!(json["instance"], "/orgs/acme/members");
        assert!(json.get("request_id").is_none());
    }

    #[test]
    fn allow_lists_the_standard_methods_named() {
        let p = Problem::new(ProblemType::MethodNotAllowed, "no").with_allow("delete, GET,HEAD");
        assert_eq!(p.status, 405);
        assert_eq!(
            p.allow.map(MethodSet::header_value).unwrap(),
            "GET, HEAD, DELETE"
        );
        assert_eq!(MethodSet::parse("PROPFIND"), None);
        assert_eq!(
            MethodSet::parse("patch PROPFIND").unwrap().header_value(),
            "PATCH"
        );
    }

    #[test]
    fn every_type_has_a_distinct_slug() {
        let all = [
            ProblemType::BlockedByRules,
            ProblemType::MethodNotAllowed,
            ProblemType::QueryParamNotAllowed,
            ProblemType::InvalidParameter,
            ProblemType::InvalidToken,
            ProblemType::InvalidPath,
            ProblemType::InvalidCallback,
            ProblemType::Unauthorized,
            ProblemType::UpstreamUnreachable,
            ProblemType::UpstreamTimeout,
            ProblemType::UnsanitizableResponse,
            ProblemType::UpstreamError,
            ProblemType::SideOutputFailed,
            ProblemType::PayloadTooLarge,
            ProblemType::Timeout,
            ProblemType::Internal,
            ProblemType::BadAsyncRequest,
            ProblemType::AsyncRequired,
            ProblemType::JobNotFound,
            ProblemType::NoResult,
            ProblemType::TooManyRequests,
            ProblemType::QueueFull,
            ProblemType::JobInterrupted,
            ProblemType::RegexLimitExceeded,
        ];
        let slugs: std::collections::HashSet<_> = all.iter().map(|t| t.slug()).collect();
        assert_eq!(slugs.len(), all.len());
        for kind in all {
            assert_eq!(kind.uri(), format!("/_sluice/problems/{}", kind.slug()));
        }
    }
}
