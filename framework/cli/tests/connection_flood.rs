//! Real proxy processes under a small open-file limit (`ulimit -n 128`), flooded with idle
//! connections: `/_sluice/healthz` keeps answering, whether the connection cap derived from the
//! limit keeps the process below it, or (with the cap set too high) accepts fail with "too many
//! open files" and the server closes idle connections to recover.

#![cfg(unix)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A proxy process; killed when dropped.
struct Proxy {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sluice serve` with at most 128 open files and the extra environment `env`.
async fn proxy(dir: &Path, env: &[(&str, &str)]) -> Proxy {
    let spec = dir.join("flood.yaml");
    std::fs::write(
        &spec,
        "name: flood\ntarget_host: api.example.com\nrules:\n  endpoints:\n    - pathTemplate: /members\n",
    )
    .unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"ulimit -n 128 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--spec"])
        .arg(&spec)
        .args(["--listen", &addr.to_string()])
        .args(["--upstream", "http://127.0.0.1:9", "--threads", "2"])
        .env("SLUICE_SALT", "salt")
        .env("SLUICE_API_KEYS", "flood-key")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (name, value) in env {
        command.env(name, value);
    }
    let proxy = Proxy {
        child: command.spawn().expect("sluice starts"),
        addr,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if healthz(addr, Duration::from_secs(1)).await == Some(200) {
            return proxy;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the proxy on {addr} did not start");
}

/// The status of `GET /_sluice/healthz` on a new connection, if it comes within `within`.
async fn healthz(addr: SocketAddr, within: Duration) -> Option<u16> {
    let ask = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream
            .write_all(b"GET /_sluice/healthz HTTP/1.1\r\nhost: proxy\r\nconnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        let text = String::from_utf8_lossy(&answer);
        text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    };
    tokio::time::timeout(within, ask).await.ok().flatten()
}

/// Opens `n` connections that send nothing (those the listener no longer takes are skipped).
async fn flood(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        if let Ok(Ok(stream)) =
            tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await
        {
            idle.push(stream);
        }
    }
    // Let the server take them in.
    tokio::time::sleep(Duration::from_millis(300)).await;
    idle
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_cap_keeps_healthz_answering_under_an_idle_connection_flood() {
    let dir = tempfile::tempdir().unwrap();
    // No SLUICE_MAX_CONNECTIONS: the cap is half the open-file limit, 64.
    let proxy = proxy(dir.path(), &[]).await;
    let _idle = flood(proxy.addr, 300).await;
    let started = Instant::now();
    assert_eq!(healthz(proxy.addr, Duration::from_secs(1)).await, Some(200));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_descriptors_run_out_idle_connections_are_closed_to_recover() {
    let dir = tempfile::tempdir().unwrap();
    // A cap above the open-file limit: accepts fail with EMFILE before it is reached.
    let proxy = proxy(dir.path(), &[("SLUICE_MAX_CONNECTIONS", "100000")]).await;
    let _idle = flood(proxy.addr, 300).await;
    let started = Instant::now();
    assert_eq!(
        healthz(proxy.addr, Duration::from_secs(3)).await,
        Some(200),
        "healthz did not answer within 3 s of the flood"
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "healthz took {took:?}");
}
