//! `cargo xtask bench async`: how fast `github-proxy` accepts and completes asynchronous jobs
//! against a fast local upstream (nginx serving a fixed 1 KB members page) with the embedded
//! default store (a local directory), and its resident memory with 10,000 jobs queued.
//!
//! 1. Accept rate: wrk drives `GET /orgs/acme/members` with `Prefer: respond-async` for N seconds;
//!    every answer must be a 202. Completion: from wrk's start until the proxy's
//!    `sluice_jobs_finished` counter reaches `sluice_jobs_accepted` (jobs keep completing after
//!    wrk stops), jobs completed per second.
//! 2. Memory: a proxy with one worker whose upstream never answers (a socket that is never
//!    accepted from) is sent 10,000 async requests one after another on one keep-alive
//!    connection; its VmRSS is read once all are accepted and queued.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::{
    API_KEY, ensure_tools, machine, nginx, rss_mib, start_proxy_with, upstream_conf, wait_healthy,
    wait_listening, write_payloads,
};
use crate::process::{Running, cargo, free_port, http_get, target_dir};

const CONNECTIONS: u32 = 32;
const QUEUED: usize = 10_000;
const MEMBERS: &str = "/orgs/acme/members?per_page=100";

/// Runs the benchmark for `seconds` of accepting; returns the report as Markdown.
pub fn run(root: &Path, seconds: u32) -> Result<String> {
    ensure_tools()?;
    println!("==> building github-proxy (release)");
    cargo(
        root,
        &[
            "build",
            "--release",
            "--quiet",
            "-p",
            "sluice-connector-github",
        ],
    )?;
    let bin = target_dir(root).join("release/github-proxy");
    let work = tempfile::tempdir()?;
    write_payloads(work.path())?;
    let upstream_port = free_port()?;
    let _upstream = nginx(
        work.path(),
        "upstream",
        &upstream_conf(work.path(), upstream_port),
    )?;
    wait_listening(upstream_port)?;

    // 1. Accepted and completed jobs per second.
    let port = free_port()?;
    let proxy = start(
        &bin,
        work.path(),
        port,
        &format!("http://127.0.0.1:{upstream_port}/1k"),
        &[
            ("SLUICE_JOB_QUEUE", "10000000"),
            ("SLUICE_JOB_WORKERS", "64"),
        ],
    )?;
    wait_healthy(port)?;
    println!("==> accepting jobs for {seconds}s (wrk -t2 -c{CONNECTIONS})");
    let started = Instant::now();
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{seconds}s"),
            "-H",
            &format!("Authorization: Bearer {API_KEY}"),
            "-H",
            "Prefer: respond-async",
        ])
        .arg(format!("http://127.0.0.1:{port}{MEMBERS}"))
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        bail!("wrk saw answers other than 202:\n{text}");
    }
    let accept_rps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let accepted = metric(port, "sluice_jobs_accepted_total")?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let finished = loop {
        let finished = metric(port, "sluice_jobs_finished_total")?;
        if finished >= accepted {
            break finished;
        }
        if Instant::now() > deadline {
            bail!("only {finished} of {accepted} jobs finished within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let drained = started.elapsed().as_secs_f64();
    let succeeded = metric_labelled(port, "sluice_jobs_finished_total", "status=\"succeeded\"")?;
    if succeeded < accepted {
        bail!("{accepted} jobs accepted but only {succeeded} succeeded");
    }
    let complete_rps = finished / drained;
    println!(
        "    accepted {accepted:.0} jobs at {accept_rps:.0}/s; all completed after {drained:.1}s: {complete_rps:.0}/s"
    );
    proxy.stop()?;

    // 2. RSS with 10,000 jobs queued behind an upstream that never answers.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0")?;
    let hole = black_hole.local_addr()?.port();
    let port = free_port()?;
    let proxy = start(
        &bin,
        work.path(),
        port,
        &format!("http://127.0.0.1:{hole}"),
        &[
            ("SLUICE_JOB_WORKERS", "1"),
            ("SLUICE_UPSTREAM_TIMEOUT", "600s"),
            ("SLUICE_TOTAL_TIMEOUT", "600s"),
        ],
    )?;
    wait_healthy(port)?;
    let idle_rss = rss_mib(proxy.pid())?;
    println!("==> queueing {QUEUED} jobs");
    let queued_at = Instant::now();
    submit(port, QUEUED)?;
    let submit_secs = queued_at.elapsed().as_secs_f64();
    let in_queue = metric(port, "sluice_jobs_in_queue")?;
    if in_queue < QUEUED as f64 {
        bail!("expected {QUEUED} jobs held, the proxy reports {in_queue}");
    }
    std::thread::sleep(Duration::from_secs(1));
    let queued_rss = rss_mib(proxy.pid())?;
    println!("    RSS idle {idle_rss:.1} MiB, with {QUEUED} queued {queued_rss:.1} MiB");
    proxy.stop()?;
    drop(black_hole);

    let machine = machine();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Measured with `cargo xtask bench async --seconds {seconds}` on {machine}; \
         github-proxy (release) with its embedded local-directory store and side outputs, nginx \
         serving a 1 KB members page as the upstream, wrk -t2 -c{CONNECTIONS} sending \
         `Prefer: respond-async`; all on one machine.\n"
    );
    let _ = writeln!(out, "| figure | value | target |\n|---|---:|---|");
    let _ = writeln!(
        out,
        "| accepted jobs/s (202 answers) | {accept_rps:.0} | ≥ 2,000 |"
    );
    let _ = writeln!(
        out,
        "| completed jobs/s ({accepted:.0} jobs, wrk start to last job done) | {complete_rps:.0} | |"
    );
    let _ = writeln!(out, "| RSS idle | {idle_rss:.1} MiB | |");
    let _ = writeln!(
        out,
        "| RSS with {QUEUED} jobs queued | {queued_rss:.1} MiB | ≤ 64 MB |"
    );
    let _ = writeln!(
        out,
        "| time to queue {QUEUED} jobs on one connection | {submit_secs:.1} s | |"
    );
    Ok(out)
}

fn start(
    bin: &Path,
    dir: &Path,
    port: u16,
    upstream: &str,
    env: &[(&str, &str)],
) -> Result<Running> {
    let store = format!("file://{}", dir.join(format!("async-{port}")).display());
    let mut all = vec![("ASYNC_OUTPUT_DESTINATION", store)];
    all.extend(env.iter().map(|(k, v)| (*k, (*v).to_owned())));
    start_proxy_with(bin, dir, port, upstream, &all)
}

/// Sends `count` async requests one after another on one keep-alive connection; each must be
/// answered 202.
fn submit(port: u16, count: usize) -> Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET {MEMBERS} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {API_KEY}\r\nPrefer: respond-async\r\n\r\n"
    );
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    for i in 0..count {
        // One write per request: split writes would wait on delayed ACKs.
        writer.write_all(request.as_bytes())?;
        let mut status_line = String::new();
        reader.read_line(&mut status_line)?;
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        if !status_line.contains(" 202 ") {
            bail!(
                "request {i} answered {}: {}",
                status_line.trim(),
                String::from_utf8_lossy(&body)
            );
        }
    }
    Ok(())
}

/// The sum of a metric's samples in the proxy's Prometheus text.
fn metric(port: u16, name: &str) -> Result<f64> {
    metric_labelled(port, name, "")
}

/// The sum of a metric's samples whose labels contain `label`.
fn metric_labelled(port: u16, name: &str, label: &str) -> Result<f64> {
    let answer = http_get(port, "/_sluice/metrics", None)?;
    let mut sum = 0.0;
    let mut seen = false;
    for line in answer.body.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        if !(rest.starts_with(' ') || rest.starts_with('{')) || !rest.contains(label) {
            continue;
        }
        if let Some(value) = rest.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) {
            sum += value;
            seen = true;
        }
    }
    if !seen && label.is_empty() {
        bail!("no metric {name} at /_sluice/metrics");
    }
    Ok(sum)
}
