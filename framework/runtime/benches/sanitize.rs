//! Sanitizer throughput: `cargo bench -p sluice --bench sanitize`.
//!
//! For GitHub org members, Google Calendar events and Slack channel history, at about 1 KB,
//! 100 KB and 20 MB, this measures `Sanitizer::sanitize` under the shipped connector's rules
//! (endpoint chosen by `RequestPolicy` for a realistic request) against a `serde_json::Value`
//! parse-then-serialize of the same bytes, the floor any parse-transform-write sanitizer pays.
//! Results and analysis: `docs/benchmarks.md`, section "Sanitizer throughput".
//!
//! `SLUICE_BENCH_QUICK=1` shrinks the payloads (the large one becomes 1 MB) and the measurement
//! times for a smoke run; `-- --test` runs every benchmark once.

// Not `benches/payloads.rs`: Cargo would take every `benches/*.rs` for a benchmark target.
#[path = "support/payloads.rs"]
mod payloads;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use serde_json::Value;
use sluice::policy::RequestPolicy;
use sluice::pseudonym::Pseudonymizer;
use sluice::sanitize::Sanitizer;

// What the binaries run with, so the numbers are theirs.
#[global_allocator]
static ALLOCATOR: sluice::Allocator = sluice::Allocator;

/// One connector endpoint under test.
struct Api {
    /// Benchmark group prefix.
    name: &'static str,
    /// Spec file under `specs/`.
    spec: &'static str,
    /// The request the payload answers: path and raw query.
    path: &'static str,
    query: &'static str,
    /// Generates a response of about the given size.
    generate: fn(usize) -> Vec<u8>,
    /// Values of the input that the rules must not let through verbatim.
    needles: fn(&Value) -> Vec<String>,
}

/// One payload size.
struct Size {
    label: &'static str,
    bytes: usize,
    sample_size: usize,
    warm_up: Duration,
    measurement: Duration,
    flat: bool,
}

fn sizes(quick: bool) -> Vec<Size> {
    if quick {
        let quick = |label, bytes| Size {
            label,
            bytes,
            sample_size: 10,
            warm_up: Duration::from_millis(200),
            measurement: Duration::from_millis(500),
            flat: true,
        };
        return vec![
            quick("1KB", 1_000),
            quick("100KB", 100_000),
            quick("1MB", 1_000_000),
        ];
    }
    vec![
        Size {
            label: "1KB",
            bytes: 1_000,
            sample_size: 100,
            warm_up: Duration::from_secs(1),
            measurement: Duration::from_secs(3),
            flat: false,
        },
        Size {
            label: "100KB",
            bytes: 100_000,
            sample_size: 50,
            warm_up: Duration::from_secs(1),
            measurement: Duration::from_secs(4),
            flat: false,
        },
        Size {
            label: "20MB",
            bytes: 20_000_000,
            sample_size: 10,
            warm_up: Duration::from_secs(2),
            measurement: Duration::from_secs(12),
            flat: true,
        },
    ]
}

fn str_at(doc: &Value, pointer: &str) -> String {
    doc.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("generated payload has no string at {pointer}"))
        .to_owned()
}

fn apis() -> [Api; 3] {
    [
        Api {
            name: "github-members",
            spec: "github.yaml",
            path: "/orgs/acme/members",
            query: "per_page=100",
            generate: payloads::github_members,
            needles: |doc| vec![str_at(doc, "/0/login"), str_at(doc, "/0/avatar_url")],
        },
        Api {
            name: "gcal-events",
            spec: "google-calendar.yaml",
            path: "/calendar/v3/calendars/primary/events",
            query: "singleEvents=true&orderBy=startTime&timeMin=2024-01-01T00%3A00%3A00Z\
                    &timeMax=2024-04-01T00%3A00%3A00Z&maxResults=2500",
            generate: payloads::calendar_events,
            needles: |doc| {
                let mut needles = vec![
                    payloads::CALENDAR_OWNER.to_owned(),
                    "Agenda:".to_owned(),
                    "pwd=".to_owned(),
                ];
                let guest = doc["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|e| e["attendees"].as_array().into_iter().flatten())
                    .filter_map(|a| a["email"].as_str())
                    .find(|e| *e != payloads::CALENDAR_OWNER);
                needles.extend(guest.map(str::to_owned));
                needles
            },
        },
        Api {
            name: "slack-history",
            spec: "slack.yaml",
            path: "/api/conversations.history",
            query: "channel=C123&limit=200",
            generate: payloads::slack_history,
            needles: |doc| {
                let messages = doc["messages"].as_array().expect("messages");
                let first = messages
                    .iter()
                    .find(|m| m.get("user").is_some())
                    .expect("a user message");
                let mut needles = vec![
                    first["user"].as_str().unwrap().to_owned(),
                    first["text"].as_str().unwrap().to_owned(),
                ];
                let mention = messages
                    .iter()
                    .flat_map(|m| m["blocks"].as_array().into_iter().flatten())
                    .flat_map(|b| b["elements"].as_array().into_iter().flatten())
                    .flat_map(|s| s["elements"].as_array().into_iter().flatten())
                    .find(|e| e["type"] == "user");
                needles.extend(mention.map(|e| e["user_id"].as_str().unwrap().to_owned()));
                needles
            },
        },
    ]
}

fn spec_path(file: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "..", "..", "specs", file]
        .iter()
        .collect()
}

/// Checks, outside any measurement, that sanitizing `body` does real work: the output is JSON,
/// differs from the input, and none of the targeted input values survive verbatim.
fn check(api: &Api, sanitizer: &Sanitizer, endpoint: usize, body: &[u8]) {
    let input: Value = serde_json::from_slice(body).expect("generated payload is JSON");
    let output = sanitizer
        .sanitize(endpoint, body)
        .unwrap_or_else(|e| panic!("{}: sanitize failed: {e}", api.name));
    let parsed: Value = serde_json::from_slice(&output).expect("sanitized output is JSON");
    assert_ne!(parsed, input, "{}: sanitizing changed nothing", api.name);
    assert_ne!(
        output,
        serde_json::to_vec(&input).unwrap(),
        "{}: sanitizing changed nothing",
        api.name
    );
    let needles = (api.needles)(&input);
    assert!(needles.len() >= 2, "{}: too few sample values", api.name);
    let text = String::from_utf8(output).expect("sanitized output is UTF-8");
    for needle in needles {
        assert!(
            !text.contains(&needle),
            "{}: `{needle}` left the sanitizer verbatim",
            api.name
        );
    }
}

// The GitHub connector as the code generator compiles it: rules built by generated code, no
// YAML or JSONPath parsed, for the "generated plan" row.
mod github {
    sluice::connector!("../../specs/github.yaml");
}

fn main() {
    let quick = std::env::var("SLUICE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let mut criterion = Criterion::default().configure_from_args();
    // Key derivation (PBKDF2) is slow and done once per process, never per request.
    let pseudonymizer = Arc::new(
        Pseudonymizer::builder("salt")
            .encryption_key("secret")
            .build()
            .expect("pseudonymizer"),
    );
    let sizes = sizes(quick);
    // An endpoint without responseSchema or transforms: the body is only parsed and written
    // again in psoxy's form (what a proxy's pass-through endpoint costs).
    let pass_through = Sanitizer::new(
        &sluice_spec::parse_rules(
            "pass-through.yaml".as_ref(),
            "endpoints:\n  - pathRegex: ^/.*$\n",
        )
        .expect("pass-through rules"),
        Arc::clone(&pseudonymizer),
    );
    for api in apis() {
        let loaded = sluice_spec::load_spec(&spec_path(api.spec))
            .unwrap_or_else(|e| panic!("{}: {e:?}", api.spec));
        let policy = RequestPolicy::new(&loaded.rules);
        let endpoint = policy
            .check("GET", api.path, Some(api.query))
            .unwrap_or_else(|p| panic!("{}: request refused: {p:?}", api.name))
            .endpoint;
        let sanitizer = Sanitizer::new(&loaded.rules, Arc::clone(&pseudonymizer));
        // For GitHub, also the plan compiled from the generated connector's rules.
        let generated = (api.spec == "github.yaml")
            .then(|| Sanitizer::new(&github::rules(), Arc::clone(&pseudonymizer)));
        for size in &sizes {
            let body = (api.generate)(size.bytes);
            check(&api, &sanitizer, endpoint, &body);
            let mut group = criterion.benchmark_group(format!("{}/{}", api.name, size.label));
            configure(&mut group, size, &body);
            group.bench_function("sanitize", |b| {
                b.iter(|| sanitizer.sanitize(endpoint, black_box(&body)).unwrap());
            });
            if let Some(generated) = &generated {
                assert_eq!(
                    generated.sanitize(endpoint, &body).unwrap(),
                    sanitizer.sanitize(endpoint, &body).unwrap(),
                    "the generated and the loaded plans sanitize alike"
                );
                group.bench_function("sanitize-generated", |b| {
                    b.iter(|| generated.sanitize(endpoint, black_box(&body)).unwrap());
                });
            }
            pass_through_rows(&mut group, &pass_through, &body);
            group.finish();
            eprintln!("{}/{}: {} bytes", api.name, size.label, body.len());
        }
    }
    // The proxy bench's pass-through body: integers and many names rather than strings.
    for size in &sizes {
        let body = payloads::github_rate_limit(size.bytes);
        let mut group = criterion.benchmark_group(format!("github-rate-limit/{}", size.label));
        configure(&mut group, size, &body);
        pass_through_rows(&mut group, &pass_through, &body);
        group.finish();
    }
    criterion.final_summary();
}

fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    size: &Size,
    body: &[u8],
) {
    group
        .throughput(Throughput::Bytes(body.len() as u64))
        .sample_size(size.sample_size)
        .warm_up_time(size.warm_up)
        .measurement_time(size.measurement)
        .sampling_mode(if size.flat {
            SamplingMode::Flat
        } else {
            SamplingMode::Auto
        });
}

/// The pass-through copy (checked first against the tree's output) and the DOM round trip.
fn pass_through_rows(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    pass_through: &Sanitizer,
    body: &[u8],
) {
    let copied = pass_through.sanitize(0, body).expect("pass-through");
    let reparsed: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        copied,
        sluice::sanitize::output::to_json_string(&reparsed).into_bytes(),
        "the pass-through copy writes what the tree would"
    );
    group.bench_function("pass-through", |b| {
        b.iter(|| pass_through.sanitize(0, black_box(body)).unwrap());
    });
    group.bench_function("roundtrip", |b| {
        b.iter(|| {
            let value: Value = serde_json::from_slice(black_box(body)).unwrap();
            serde_json::to_vec(&value).unwrap()
        });
    });
}
