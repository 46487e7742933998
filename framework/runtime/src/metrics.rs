//! Prometheus metrics, served as text at `/_sluice/metrics`: requests by endpoint and status,
//! latency of requests and of upstream calls, bytes in and out, side-output failures.

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
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
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
        let mut registry = Registry::with_prefix("sluice");
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
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}
