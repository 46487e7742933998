//! `cargo xtask demo`: the README's first command. Builds the GitHub connector, starts a local
//! stand-in for api.github.com that answers with recorded responses (`sluice replay`), starts
//! `github-proxy` in front of it on embedded defaults (a salt, an API key, local buckets under
//! `./var/`), shows a caller's requests and what they get back, then stops both.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::process::{Running, cargo, free_port, http_get, http_get_with, target_dir};

const API_KEY: &str = "demo-caller-key";

/// Runs the demo.
pub fn run(root: &Path) -> Result<()> {
    println!("==> building the sluice CLI and the GitHub connector (github-proxy)");
    cargo(
        root,
        &[
            "build",
            "--quiet",
            "-p",
            "sluice-cli",
            "-p",
            "sluice-connector-github",
        ],
    )?;
    let bin = target_dir(root).join("debug");

    let upstream_port = free_port()?;
    let proxy_port = free_port()?;
    let recordings = root.join("examples/recordings/github");
    println!(
        "==> starting a stand-in for api.github.com on 127.0.0.1:{upstream_port} (recorded responses)"
    );
    let upstream = Running::spawn(
        std::process::Command::new(bin.join("sluice"))
            .args(["replay", "--dir"])
            .arg(&recordings)
            .args(["--listen", &format!("127.0.0.1:{upstream_port}")]),
    )?;
    wait_until_listening(upstream_port)?;

    println!("==> starting github-proxy on 127.0.0.1:{proxy_port} with embedded defaults");
    let started = Instant::now();
    let proxy = Running::spawn(
        std::process::Command::new(bin.join("github-proxy"))
            .current_dir(root)
            .args(["--listen", &format!("127.0.0.1:{proxy_port}")])
            .args(["--upstream", &format!("http://127.0.0.1:{upstream_port}")])
            .env("SLUICE_SALT", "demo-salt")
            .env("SLUICE_ENCRYPTION_KEY", "demo-encryption-key")
            .env("SLUICE_API_KEYS", API_KEY)
            .env("GITHUB_TOKEN", "demo-token-not-a-secret")
            .env("RUST_LOG", "warn"),
    )?;
    wait_for_health(proxy_port)?;
    println!(
        "    ready in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    let path = "/orgs/acme/members?per_page=2";
    let original = std::fs::read_to_string(recordings.join("orgs/acme/members.json"))?;
    println!(
        "\n--- what api.github.com returns for GET {path} (recorded):\n{}",
        original.trim()
    );
    let answer = http_get(proxy_port, path, Some(API_KEY))?;
    println!(
        "\n--- what the caller receives through github-proxy (HTTP {}):",
        answer.status
    );
    println!("{}", pretty(&answer.body));
    println!(
        "    logins are reversible pseudonyms (p~…), ids are hashes, avatars and URLs are gone"
    );

    let refused = http_get(proxy_port, "/orgs/acme/members?q=octocat", Some(API_KEY))?;
    println!(
        "\n--- a request the rules do not allow (HTTP {}):\n{}",
        refused.status,
        pretty(&refused.body)
    );
    let unauthenticated = http_get(proxy_port, path, None)?;
    println!(
        "\n--- a caller without an API key (HTTP {}):\n{}",
        unauthenticated.status,
        pretty(&unauthenticated.body)
    );

    println!("\n--- the same request, asynchronously (`Prefer: respond-async`):");
    let accepted = http_get_with(
        proxy_port,
        path,
        Some(API_KEY),
        &[("Prefer", "respond-async")],
    )?;
    let location = accepted.header("location").unwrap_or_default().to_owned();
    println!(
        "HTTP {}  Location: {location}\n{}",
        accepted.status,
        pretty(&accepted.body)
    );
    let mut monitor = http_get(proxy_port, &location, Some(API_KEY))?;
    for _ in 0..100 {
        if monitor.status != 202 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        monitor = http_get(proxy_port, &location, Some(API_KEY))?;
    }
    let result_url = monitor.header("location").unwrap_or_default().to_owned();
    println!(
        "\n--- polling {location}: HTTP {}  Location: {result_url}",
        monitor.status
    );
    let result = http_get(proxy_port, &result_url, Some(API_KEY))?;
    println!(
        "\n--- the result, from the async bucket (HTTP {}): the same sanitized answer as above",
        result.status
    );
    let same = result.body == answer.body;

    let side = root.join("var/github/side");
    println!(
        "\n==> side outputs: original (gzipped) and sanitized copies are under {}",
        side.display()
    );

    if answer.status != 200
        || refused.status != 403
        || unauthenticated.status != 401
        || accepted.status != 202
        || monitor.status != 303
        || !same
    {
        bail!(
            "the demo did not behave as expected (statuses {}, {}, {}, {}, {}; async result equal: {same})",
            answer.status,
            refused.status,
            unauthenticated.status,
            accepted.status,
            monitor.status
        );
    }
    println!("\n==> stopping github-proxy and the stand-in upstream");
    proxy.stop()?;
    upstream.stop()?;
    println!("done");
    Ok(())
}

fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| body.to_owned())
}

fn wait_until_listening(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on 127.0.0.1:{port} after 15 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn wait_for_health(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(answer) = http_get(port, "/_sluice/healthz", None)
            && answer.status == 200
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(anyhow::anyhow!("github-proxy did not become healthy"))
                .context("see its log above");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
