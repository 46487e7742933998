//! Prometheus metrics, served as text at `/_sluice/metrics`: requests by endpoint and status,
//! latency of requests and of upstream calls, bytes in and out, side-output failures, refused
//! reversible tokens.
//!
//! The per-endpoint series are found once, when the proxy starts ([`Metrics::with_endpoints`]),
//! so a request neither builds label strings nor hashes them nor takes the families' locks.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of request metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// The endpoint's path template (or `-` when no endpoint matched).
    pub endpoint: String,
    /// The HTTP status sent to the caller.
    pub status: u16,
}

/// Labels carrying an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct EndpointLabels {
    /// The endpoint's path template.
    pub endpoint: String,
}

/// Labels carrying a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DestinationLabels {
    /// The destination URL.
    pub destination: String,
}

/// Labels carrying a caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CallerLabels {
    /// The caller's non-secret id (`key:<digest prefix>`, `jwt:<sub>`, `anonymous`).
    pub caller: String,
}

/// Labels carrying how a job ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct JobStatusLabels {
    /// `succeeded`, `failed` or `canceled`.
    pub status: String,
}

/// The proxy's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by endpoint and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Whole-request latency, by endpoint.
    pub request_seconds: Family<EndpointLabels, Histogram>,
    /// Upstream call latency, by endpoint.
    pub upstream_seconds: Family<EndpointLabels, Histogram>,
    /// Bytes received from the upstream (decompressed).
    pub upstream_bytes: Counter,
    /// Bytes sent to callers.
    pub response_bytes: Counter,
    /// Side-output writes that failed, by destination.
    pub side_output_failures: Family<DestinationLabels, Counter>,
    /// Async jobs accepted by this replica.
    pub jobs_accepted: Counter,
    /// Async jobs this replica ran to an end, by how they ended.
    pub jobs_finished: Family<JobStatusLabels, Counter>,
    /// Async jobs accepted by this replica and not yet ended (queued or running).
    pub jobs_in_queue: Gauge,
    /// Reversible tokens refused, by caller (damaged, stale, forged or misplaced).
    pub invalid_tokens: Family<CallerLabels, Counter>,
    /// Each endpoint's series: index 0 for requests no endpoint matched (label `-`), then one per
    /// endpoint of the rules.
    endpoints: Vec<EndpointSeries>,
}

/// HTTP statuses are 100 to 599.
const STATUSES: std::ops::RangeInclusive<u16> = 100..=599;

/// One endpoint's series, shared with the families that render them.
#[derive(Debug)]
pub struct EndpointSeries {
    label: String,
    requests: Family<RequestLabels, Counter>,
    /// Requests answered, by status (index: status − 100), found on first use.
    answered: Box<[OnceLock<Counter>]>,
    /// Whole-request latency.
    pub request_seconds: Histogram,
    /// Upstream call latency.
    pub upstream_seconds: Histogram,
}

impl EndpointSeries {
    /// Counts a request to this endpoint answered with `status`.
    pub fn count_answer(&self, status: u16) {
        let labels = || RequestLabels {
            endpoint: self.label.clone(),
            status,
        };
        if !STATUSES.contains(&status) {
            self.requests.get_or_create(&labels()).inc();
            return;
        }
        self.answered[usize::from(status - STATUSES.start())]
            .get_or_init(|| self.requests.get_or_create(&labels()).clone())
            .inc();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric, for a proxy whose requests match no endpoint.
    pub fn new() -> Self {
        Self::with_endpoints([])
    }

    fn registered() -> Self {
        let latency = || Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds = Family::<EndpointLabels, Histogram>::new_with_constructor(latency);
        let upstream_seconds = Family::<EndpointLabels, Histogram>::new_with_constructor(latency);
        let upstream_bytes = Counter::default();
        let response_bytes = Counter::default();
        let side_output_failures = Family::<DestinationLabels, Counter>::default();
        let jobs_accepted = Counter::default();
        let jobs_finished = Family::<JobStatusLabels, Counter>::default();
        let jobs_in_queue = Gauge::default();
        let invalid_tokens = Family::<CallerLabels, Counter>::default();
        let mut registry = Registry::with_prefix("sluice");
        registry.register(
            "invalid_tokens",
            "Reversible tokens refused, by caller",
            invalid_tokens.clone(),
        );
        registry.register(
            "jobs_accepted",
            "Async jobs accepted by this replica",
            jobs_accepted.clone(),
        );
        registry.register(
            "jobs_finished",
            "Async jobs this replica ran to an end, by how they ended",
            jobs_finished.clone(),
        );
        registry.register(
            "jobs_in_queue",
            "Async jobs held by this replica, queued or running",
            jobs_in_queue.clone(),
        );
        registry.register(
            "requests",
            "Requests answered, by endpoint and status",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a request",
            request_seconds.clone(),
        );
        registry.register(
            "upstream_duration_seconds",
            "Time the upstream took to answer",
            upstream_seconds.clone(),
        );
        registry.register(
            "upstream_bytes",
            "Bytes received from the upstream",
            upstream_bytes.clone(),
        );
        registry.register(
            "response_bytes",
            "Bytes sent to callers",
            response_bytes.clone(),
        );
        registry.register(
            "side_output_failures",
            "Side-output writes that failed",
            side_output_failures.clone(),
        );
        Self {
            registry,
            requests,
            request_seconds,
            upstream_seconds,
            upstream_bytes,
            response_bytes,
            side_output_failures,
            jobs_accepted,
            jobs_finished,
            jobs_in_queue,
            invalid_tokens,
            endpoints: Vec::new(),
        }
    }

    /// The metrics of a proxy whose rules have endpoints labelled `labels` (path templates or
    /// regexes, in order).
    pub fn with_endpoints<'a>(labels: impl IntoIterator<Item = &'a str>) -> Self {
        let mut metrics = Self::registered();
        metrics.endpoints = std::iter::once("-")
            .chain(labels)
            .map(|label| {
                let labels = EndpointLabels {
                    endpoint: label.to_owned(),
                };
                EndpointSeries {
                    label: label.to_owned(),
                    requests: metrics.requests.clone(),
                    answered: STATUSES.map(|_| OnceLock::new()).collect(),
                    request_seconds: metrics.request_seconds.get_or_create(&labels).clone(),
                    upstream_seconds: metrics.upstream_seconds.get_or_create(&labels).clone(),
                }
            })
            .collect();
        metrics
    }

    /// The series of endpoint number `endpoint`; `None` (no endpoint matched) or an endpoint the
    /// metrics were not made for gives the `-` series.
    pub fn endpoint(&self, endpoint: Option<usize>) -> &EndpointSeries {
        let index = endpoint.map_or(0, |e| e + 1);
        // `with_endpoints` always makes the `-` series first.
        self.endpoints.get(index).unwrap_or(&self.endpoints[0])
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}
