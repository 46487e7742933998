//! Limits on what one caller or one connection can hold, over real sockets with the real
//! serving threads: the connection cap (the longest-idle connections make room, so healthz
//! answers while more idle connections than the cap are open), the header and idle timeouts,
//! the HTTP/2 stream limit, and the per-caller limit on concurrent upstream calls.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const SPEC: &str = "name: limits\ntarget_host: api.example.com\nrules:\n  endpoints:\n    - pathTemplate: /members\n";

/// A proxy served by `sluice::server::serve_threads` (two threads) with extra environment `env`.
async fn serving_threads(env: &[(&str, &str)]) -> SocketAddr {
    let loaded = sluice_spec::parse_spec("limits.yaml".as_ref(), SPEC).unwrap();
    let connector = sluice::LoadedConnector::new(loaded);
    let mut vars: HashMap<String, String> = [("SLUICE_SALT", "salt"), ("SLUICE_API_KEYS", "k")]
        .iter()
        .chain(env)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    vars.insert("SLUICE_UPSTREAM".into(), "http://127.0.0.1:9".into());
    let config = sluice::config::ServeConfig::resolve(
        sluice::Connector::spec(&connector),
        sluice::Routing::rules(&connector),
        &vars,
        Default::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let proxy = Arc::new(
        sluice::app::build_proxy(connector, sluice::NoHooks, &config)
            .await
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sluice::server::serve_threads(
        proxy,
        listener,
        2,
        std::future::pending(),
        Duration::from_secs(1),
    ));
    addr
}

/// The status of `GET path` sent on a new connection, and how long the answer took.
async fn status_of(addr: SocketAddr, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nhost: proxy\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, started.elapsed())
}

/// Whether the server closes `stream` within `within` (a read returns end of file or an error).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(within, stream.read(&mut byte)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) | Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_while_more_idle_connections_than_the_cap_are_open() {
    let addr = serving_threads(&[("SLUICE_MAX_CONNECTIONS", "64")]).await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    // Let the server accept them all.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, took) = status_of(addr, "/_sluice/healthz").await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "healthz took {took:?}");
    // The server closed the longest-idle ones to make room: at most the cap is still open.
    let closed = futures::future::join_all(
        idle.iter_mut()
            .map(|s| closed_within(s, Duration::from_millis(500))),
    )
    .await;
    let still_open = closed.iter().filter(|c| !**c).count();
    assert!(still_open <= 64, "{still_open} idle connections still open");
    // And the newest were kept, the oldest closed.
    assert!(closed[0] && !closed[199], "{closed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let addr = serving_threads(&[("SLUICE_IDLE_TIMEOUT", "1s")]).await;
    // A keep-alive connection, answered once, then silent.
    let mut answered = TcpStream::connect(addr).await.unwrap();
    answered
        .write_all(b"GET /_sluice/healthz HTTP/1.1\r\nhost: proxy\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = answered.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    assert!(!closed_within(&mut answered, Duration::from_millis(600)).await);
    assert!(closed_within(&mut answered, Duration::from_secs(2)).await);
    assert!(closed_within(&mut silent, Duration::from_secs(1)).await);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "closed after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_sent_slowly_or_not_at_all_is_cut_at_the_header_timeout() {
    let addr = serving_threads(&[("SLUICE_HEADER_TIMEOUT", "1s")]).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut slowloris = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let head = b"GET /_sluice/healthz HTTP/1.1\r\nhost: proxy\r\nx-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut cut = false;
    for byte in head {
        if slowloris.write_all(&[*byte]).await.is_err()
            || closed_within(&mut slowloris, Duration::from_millis(100)).await
        {
            cut = true;
            break;
        }
    }
    let took = started.elapsed();
    assert!(cut, "a head trickled over {took:?} was still being read");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
        "cut after {took:?}"
    );
    assert!(closed_within(&mut silent, Duration::from_millis(100)).await);
    // A prompt caller on the same server is answered.
    assert_eq!(status_of(addr, "/_sluice/healthz").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_connections_allow_100_concurrent_streams() {
    let addr = serving_threads(&[]).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The client preface and an empty SETTINGS frame; the server's first frame is its SETTINGS.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let mut header = [0u8; 9];
    stream.read_exact(&mut header).await.unwrap();
    assert_eq!(header[3], 4, "a SETTINGS frame");
    let length =
        usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).await.unwrap();
    let settings: HashMap<u16, u32> = payload
        .chunks_exact(6)
        .map(|s| {
            (
                u16::from_be_bytes([s[0], s[1]]),
                u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
            )
        })
        .collect();
    // SETTINGS_MAX_CONCURRENT_STREAMS
    assert_eq!(settings.get(&3), Some(&100), "{settings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_over_its_concurrent_upstream_calls_gets_429_and_others_still_pass() {
    let upstream = support::upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = support::spec_yaml(&format!("{}/token", upstream.url()), dir.path());
    let proxy = support::proxy(
        &spec,
        &[
            ("SLUICE_UPSTREAM", upstream.url().as_str()),
            ("SLUICE_API_KEYS", "test-key,other-key"),
            ("SLUICE_CALLER_CONCURRENCY", "2"),
        ],
    )
    .await;
    let url = proxy.url("/slow");
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { support::get(&url, Some("test-key")).await })
        })
        .collect();
    // Once the upstream has seen both, they hold the caller's two slots for 1.5 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    let slow_seen = || {
        upstream
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path_and_query == "/slow")
            .count()
    };
    while slow_seen() < 2 {
        assert!(
            Instant::now() < deadline,
            "the upstream never saw both calls"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let third = support::get(&url, Some("test-key")).await;
    assert_eq!(third.status, 429, "{}", third.body);
    assert_eq!(third.header("retry-after"), "1");
    assert_eq!(third.json()["type"], "/_sluice/problems/too-many-requests");
    let other = support::get(&url, Some("other-key")).await;
    assert_eq!(other.status, 200, "{}", other.body);
    for call in busy {
        assert_eq!(call.await.unwrap().status, 200);
    }
    // Their calls are done: the caller may call again.
    assert_eq!(support::get(&url, Some("test-key")).await.status, 200);
}
