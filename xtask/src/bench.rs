//! `cargo xtask bench proxy`: the proxy's load benchmark. One local upstream (nginx serving fixed
//! 1 KB and 100 KB JSON), and the same load generator (wrk) driving, in one run:
//! (a) the upstream directly, (b) nginx `proxy_pass` in front of it, (c) `github-proxy` on a
//! pass-through endpoint (`/rate_limit`), (d) `github-proxy` on `/orgs/{org}/members` with its
//! sanitizing rules. (c) and (d) run the connector with its side outputs turned off
//! (`SIDE_OUTPUT_ORIGINAL=none`, `SIDE_OUTPUT_SANITIZED=none`), so they measure the proxy as
//! nginx is measured; (c+) and (d+) run it as shipped, writing two side outputs to local
//! directories on every request, to show what those copies cost. Also measures github-proxy's
//! start-up time to its first answered request and its idle RSS. nginx and wrk come from
//! Debian's packages and are installed if missing. Every row runs `--runs` times (default 3), one
//! run of all rows after another, and the report gives each figure's median.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::process::{Running, cargo, free_port, http_get, target_dir};

pub(crate) const API_KEY: &str = "bench-key";
const CONNECTIONS: u32 = 32;

/// Options of the run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seconds per measurement.
    pub seconds: u32,
    /// Runs of every measurement; each figure reported is the median over the runs.
    pub runs: u32,
}

/// One measurement.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured.
    pub target: &'static str,
    /// Payload size label.
    pub size: &'static str,
    /// Requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
}

/// Runs the benchmark and returns the report as Markdown.
pub fn proxy(root: &Path, options: &Options) -> Result<String> {
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
    let proxy_bin = target_dir(root).join("release/github-proxy");

    let work = tempfile::tempdir()?;
    write_payloads(work.path())?;
    let upstream_port = free_port()?;
    let nginx_port = free_port()?;
    let _upstream = nginx(
        work.path(),
        "upstream",
        &upstream_conf(work.path(), upstream_port),
    )?;
    let _nginx = nginx(
        work.path(),
        "proxy",
        &proxy_conf(work.path(), nginx_port, upstream_port),
    )?;
    wait_listening(upstream_port)?;
    wait_listening(nginx_port)?;

    let mut runs = Vec::new();
    for run in 1..=options.runs {
        println!("==> run {run} of {}", options.runs);
        runs.push(measure_all(
            &proxy_bin,
            work.path(),
            upstream_port,
            nginx_port,
            options,
        )?);
    }
    let rows = medians(&runs);

    let (startup, rss_mib) = startup_and_rss(&proxy_bin, work.path(), upstream_port)?;
    Ok(report(&rows, &startup, rss_mib, options))
}

/// Every row, once: (a) to (d+) on both payloads.
fn measure_all(
    proxy_bin: &Path,
    dir: &Path,
    upstream_port: u16,
    nginx_port: u16,
    options: &Options,
) -> Result<Vec<Row>> {
    let no_side_outputs = [
        ("SIDE_OUTPUT_ORIGINAL", "none".to_owned()),
        ("SIDE_OUTPUT_SANITIZED", "none".to_owned()),
    ];
    let mut rows = Vec::new();
    for size in ["1k", "100k"] {
        let members = format!("/{size}/orgs/acme/members");
        rows.push(measure(
            "(a) upstream directly",
            size,
            upstream_port,
            &members,
            false,
            options,
        )?);
        rows.push(measure(
            "(b) nginx proxy_pass",
            size,
            nginx_port,
            &members,
            false,
            options,
        )?);
        let upstream = format!("http://127.0.0.1:{upstream_port}/{size}");
        let proxy = |port| start_proxy_with(proxy_bin, dir, port, &upstream, &no_side_outputs);
        rows.extend(measure_proxy(
            [
                "(c) github-proxy pass-through",
                "(d) github-proxy members rules",
            ],
            size,
            proxy,
            options,
        )?);
        let proxy = |port| start_proxy(proxy_bin, dir, port, &upstream);
        rows.extend(measure_proxy(
            [
                "(c+) pass-through, 2 local side outputs",
                "(d+) members rules, 2 local side outputs",
            ],
            size,
            proxy,
            options,
        )?);
    }
    Ok(rows)
}

/// The median of `values` (not empty).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        f64::midpoint(values[middle - 1], values[middle])
    } else {
        values[middle]
    }
}

/// Each row's median req/s, p50 and p99 over `runs` (each figure on its own).
fn medians(runs: &[Vec<Row>]) -> Vec<Row> {
    runs[0]
        .iter()
        .enumerate()
        .map(|(i, first)| {
            let figure = |f: fn(&Row) -> f64| median(runs.iter().map(|run| f(&run[i])).collect());
            Row {
                rps: figure(|r| r.rps),
                p50_ms: figure(|r| r.p50_ms),
                p99_ms: figure(|r| r.p99_ms),
                ..first.clone()
            }
        })
        .collect()
}

/// Starts a proxy with `start` on a free port and measures its pass-through endpoint and its
/// members endpoint, labelled `labels`.
fn measure_proxy(
    labels: [&'static str; 2],
    size: &'static str,
    start: impl FnOnce(u16) -> Result<Running>,
    options: &Options,
) -> Result<[Row; 2]> {
    let port = free_port()?;
    let proxy = start(port)?;
    wait_healthy(port)?;
    let pass_through = measure(labels[0], size, port, "/rate_limit", true, options)?;
    let members = measure(
        labels[1],
        size,
        port,
        "/orgs/acme/members?per_page=100",
        true,
        options,
    )?;
    proxy.stop()?;
    Ok([pass_through, members])
}

pub(crate) fn ensure_tools() -> Result<()> {
    let missing: Vec<&str> = ["nginx", "wrk"]
        .into_iter()
        .filter(|tool| {
            Command::new("sh")
                .args([
                    "-c",
                    &format!("command -v {tool} || test -x /usr/sbin/{tool}"),
                ])
                .output()
                .map_or(true, |o| !o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!(
        "==> installing {} from Debian's packages",
        missing.join(", ")
    );
    let status = Command::new("sh")
        .args(["-c", &format!("(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {} >/dev/null", missing.join(" "))])
        .status()?;
    if !status.success() {
        bail!(
            "could not install {}; install them and run again",
            missing.join(", ")
        );
    }
    Ok(())
}

/// GitHub-shaped members and a rate-limit document, padded to about `bytes`.
pub(crate) fn write_payloads(dir: &Path) -> Result<()> {
    for (label, bytes) in [("1k", 1_000usize), ("100k", 100_000)] {
        let mut members = Vec::new();
        let mut i = 0;
        while serde_json::to_string(&members)?.len() < bytes {
            members.push(serde_json::json!({
                "login": format!("user{i}"), "id": 1_000_000 + i, "node_id": format!("MDQ6VXNlcj{i:08}"),
                "avatar_url": format!("https://avatars.githubusercontent.com/u/{i}?v=4"), "gravatar_id": "",
                "url": format!("https://api.github.com/users/user{i}"), "type": "User", "site_admin": false
            }));
            i += 1;
        }
        let members_dir = dir.join("www").join(label).join("orgs/acme");
        std::fs::create_dir_all(&members_dir)?;
        std::fs::write(members_dir.join("members"), serde_json::to_vec(&members)?)?;
        let mut resources = serde_json::Map::new();
        let mut j = 0;
        while serde_json::to_string(&resources)?.len() < bytes {
            resources.insert(format!("resource_{j}"), serde_json::json!({"limit": 5000, "used": j, "remaining": 5000 - j, "reset": 1_700_000_000 + j}));
            j += 1;
        }
        std::fs::write(
            dir.join("www").join(label).join("rate_limit"),
            serde_json::to_vec(&serde_json::json!({"resources": resources}))?,
        )?;
    }
    Ok(())
}

pub(crate) fn upstream_conf(dir: &Path, port: u16) -> String {
    format!(
        "worker_processes 1;\npid {pid};\nerror_log {dir}/upstream-error.log;\nevents {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  default_type application/json;\n  keepalive_requests 100000;\n  \
         server {{ listen 127.0.0.1:{port}; root {dir}/www; location / {{ try_files $uri =404; }} }}\n}}\n",
        pid = dir.join("upstream.pid").display(),
        dir = dir.display()
    )
}

fn proxy_conf(dir: &Path, port: u16, upstream: u16) -> String {
    format!(
        "worker_processes 1;\npid {pid};\nerror_log {dir}/proxy-error.log;\nevents {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  upstream up {{ server 127.0.0.1:{upstream}; keepalive 64; }}\n  \
         server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }}\n}}\n",
        pid = dir.join("proxy.pid").display(),
        dir = dir.display()
    )
}

pub(crate) fn nginx(dir: &Path, name: &str, conf: &str) -> Result<Running> {
    let path = dir.join(format!("{name}.conf"));
    std::fs::write(&path, conf)?;
    let bin = if Path::new("/usr/sbin/nginx").exists() {
        PathBuf::from("/usr/sbin/nginx")
    } else {
        PathBuf::from("nginx")
    };
    Running::spawn(
        Command::new(bin)
            .args([
                "-e",
                &dir.join(format!("{name}-stderr.log")).display().to_string(),
                "-c",
            ])
            .arg(&path)
            .args(["-g", "daemon off;"]),
    )
}

fn start_proxy(bin: &Path, dir: &Path, port: u16, upstream: &str) -> Result<Running> {
    start_proxy_with(bin, dir, port, upstream, &[])
}

/// Starts `github-proxy` on `port` in front of `upstream`, with bench credentials and `env`.
pub(crate) fn start_proxy_with(
    bin: &Path,
    dir: &Path,
    port: u16,
    upstream: &str,
    env: &[(&str, String)],
) -> Result<Running> {
    let mut command = Command::new(bin);
    command
        .current_dir(dir)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--upstream",
            upstream,
        ])
        .env("SLUICE_SALT", "bench-salt")
        .env("SLUICE_ENCRYPTION_KEY", "bench-key-material")
        .env("SLUICE_API_KEYS", API_KEY)
        .env("GITHUB_TOKEN", "bench-token")
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::null());
    // The rows decide where side outputs go, not the environment the bench was started in.
    for name in [
        "SLUICE_SIDE_OUTPUT_ORIGINAL",
        "SLUICE_SIDE_OUTPUT_SANITIZED",
        "SIDE_OUTPUT_ORIGINAL",
        "SIDE_OUTPUT_SANITIZED",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    Running::spawn(&mut command)
}

/// The resident memory of process `pid`, in MiB.
pub(crate) fn rss_mib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .context("no VmRSS")
}

/// `<cores> cores (<CPU model>)`, for reports.
pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores ({cpu})")
}

pub(crate) fn wait_listening(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on 127.0.0.1:{port}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

pub(crate) fn wait_healthy(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if http_get(port, "/_sluice/healthz", None).is_ok_and(|a| a.status == 200) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("github-proxy did not become healthy");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn measure(
    target: &'static str,
    size: &'static str,
    port: u16,
    path: &str,
    auth: bool,
    options: &Options,
) -> Result<Row> {
    // Check the route answers 200 before loading it.
    let check = http_get(port, path, auth.then_some(API_KEY))?;
    if check.status != 200 {
        bail!("{target} {path} answered {}: {}", check.status, check.body);
    }
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{CONNECTIONS}"),
        &format!("-d{}s", options.seconds),
        "--latency",
    ]);
    if auth {
        command.args(["-H", &format!("Authorization: Bearer {API_KEY}")]);
    }
    let output = command
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        bail!("{target}: wrk saw non-2xx answers:\n{text}");
    }
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let percentile = |p: &str| {
        text.lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(p)
                    .map(|v| parse_duration_ms(v.trim()))
            })
            .flatten()
            .with_context(|| format!("no {p} latency in wrk's output"))
    };
    let row = Row {
        target,
        size,
        rps,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
    };
    println!(
        "    {:<34} {:>5}  {:>10.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms",
        row.target, row.size, row.rps, row.p50_ms, row.p99_ms
    );
    Ok(row)
}

pub(crate) fn parse_duration_ms(text: &str) -> Option<f64> {
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic())?);
    let value: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        _ => return None,
    })
}

/// Times from a proxy's launch, in ms (medians of 5 launches).
struct Startup {
    /// To the first answer of `/_sluice/healthz` (liveness).
    live: f64,
    /// To the first `200` of `/_sluice/readyz` (the encryption key derived, stores reachable).
    ready: f64,
    /// To the first proxied answer (`/rate_limit`, asked once ready).
    proxied: f64,
}

/// Start-up times (see [`Startup`]), and RSS after a second idle.
fn startup_and_rss(bin: &Path, dir: &Path, upstream_port: u16) -> Result<(Startup, f64)> {
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    let mut rss = 0.0;
    for round in 0..5 {
        let port = free_port()?;
        let started = Instant::now();
        let proxy = start_proxy(
            bin,
            dir,
            port,
            &format!("http://127.0.0.1:{upstream_port}/1k"),
        )?;
        for (slot, route) in ["/_sluice/healthz", "/_sluice/readyz"]
            .into_iter()
            .enumerate()
        {
            loop {
                if http_get(port, route, None).is_ok_and(|a| a.status == 200) {
                    break;
                }
                if started.elapsed() > Duration::from_secs(10) {
                    bail!("github-proxy's {route} did not answer 200 within 10 s");
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            times[slot].push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let answer = http_get(port, "/rate_limit", Some(API_KEY))?;
        if answer.status != 200 {
            bail!(
                "github-proxy's first /rate_limit answered {}: {}",
                answer.status,
                answer.body
            );
        }
        times[2].push(started.elapsed().as_secs_f64() * 1000.0);
        if round == 0 {
            std::thread::sleep(Duration::from_secs(1));
            rss = rss_mib(proxy.pid())?;
        }
        proxy.stop()?;
    }
    let [live, ready, proxied] = times.map(median);
    Ok((
        Startup {
            live,
            ready,
            proxied,
        },
        rss,
    ))
}

fn report(rows: &[Row], startup: &Startup, rss_mib: f64, options: &Options) -> String {
    let machine = machine();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Measured with `cargo xtask bench proxy --seconds {} --runs {}` on {machine}; wrk -t2 -c{CONNECTIONS} -d{}s --latency; each figure is the median of {} runs; load generator, upstream, nginx and proxy share the machine.\n",
        options.seconds, options.runs, options.seconds, options.runs
    );
    let _ = writeln!(
        out,
        "| target | payload | req/s | p50 (ms) | p99 (ms) |\n|---|---|---:|---:|---:|"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.3} | {:.3} |",
            r.target, r.size, r.rps, r.p50_ms, r.p99_ms
        );
    }
    let _ = writeln!(
        out,
        "\n| ratio or figure | value | target |\n|---|---:|---|"
    );
    for size in ["1k", "100k"] {
        let find = |prefix: &str| {
            rows.iter()
                .find(|r| r.size == size && r.target.starts_with(prefix))
        };
        for (c_label, d_label) in [("(c)", "(d)"), ("(c+)", "(d+)")] {
            if let (Some(a), Some(b), Some(c), Some(d)) =
                (find("(a)"), find("(b)"), find(c_label), find(d_label))
            {
                let _ = writeln!(
                    out,
                    "| {size}: {c_label} / (b) req/s | {:.2} | ≥ 0.8 |",
                    c.rps / b.rps
                );
                let _ = writeln!(
                    out,
                    "| {size}: {d_label} / (b) req/s | {:.2} | ≥ 0.6 on 1k |",
                    d.rps / b.rps
                );
                let _ = writeln!(
                    out,
                    "| {size}: {c_label} p99 − (a) p99 | {:.3} ms | ≤ 2 ms |",
                    c.p99_ms - a.p99_ms
                );
                let _ = writeln!(
                    out,
                    "| {size}: {d_label} p99 − (a) p99 | {:.3} ms | ≤ 2 ms |",
                    d.p99_ms - a.p99_ms
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "| start-up to first answered request: liveness (`healthz`), median of 5 | {:.1} ms | ≤ 20 ms |",
        startup.live
    );
    let _ = writeln!(
        out,
        "| start-up to ready (`readyz` 200: key derived), median of 5 | {:.1} ms | |",
        startup.ready
    );
    let _ = writeln!(
        out,
        "| start-up to first proxied answer (`/rate_limit`, after ready), median of 5 | {:.1} ms | |",
        startup.proxied
    );
    let _ = writeln!(out, "| idle RSS | {rss_mib:.1} MiB | ≤ 20 MB |");
    out
}
