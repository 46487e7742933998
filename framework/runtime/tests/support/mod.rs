//! Test support: a real upstream on 127.0.0.1 (recorded answers, gzip, a slow route, an OAuth2
//! token endpoint that counts its calls, a record of what it received), a proxy built from an
//! inline spec, and a plain HTTP client.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// GitHub-shaped members, with data the rules must remove.
pub const MEMBERS: &str = r#"[{"login":"octocat","id":583231,"avatar_url":"https://avatars.example/u/583231","type":"User"},{"login":"hubot","id":1,"avatar_url":"https://avatars.example/u/1","type":"Bot"}]"#;

/// What the upstream saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: HashMap<String, String>,
}

/// A running upstream.
pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub token_calls: Arc<AtomicUsize>,
}

impl Upstream {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("the upstream saw a request")
    }
}

/// Starts the upstream. Routes: `/members`, `/paged/members` (members with GitHub-like
/// `Link`, `ETag`, dates and a custom header), `/gzip/members`, `/gzip/large` (1 MiB once decoded), `/slow` (1.5 s), `/error` (500 with
/// an HTML body), `/token` (POST: `tok-N`, expiring in 2 s).
pub async fn upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let token_calls = Arc::new(AtomicUsize::new(0));
    let (s, t) = (seen.clone(), token_calls.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (seen, tokens) = (s.clone(), t.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (seen, tokens) = (seen.clone(), tokens.clone());
                    async move { Ok::<_, Infallible>(answer(req, &seen, &tokens).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        token_calls,
    }
}

async fn answer(
    req: Request<hyper::body::Incoming>,
    seen: &Mutex<Vec<Seen>>,
    tokens: &AtomicUsize,
) -> Response<Full<Bytes>> {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    seen.lock().unwrap().push(Seen {
        method: req.method().to_string(),
        path_and_query: path_and_query.clone(),
        headers,
    });
    let json = |status: StatusCode, body: Vec<u8>| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-ratelimit-remaining", "4999")
            .header("set-cookie", "session=upstream-secret")
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    };
    match req.uri().path() {
        "/members" => json(StatusCode::OK, MEMBERS.as_bytes().to_vec()),
        "/gzip/members" => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(MEMBERS.as_bytes()).unwrap();
            let mut response = json(StatusCode::OK, gz.finish().unwrap());
            response
                .headers_mut()
                .insert("content-encoding", "gzip".parse().unwrap());
            response
        }
        "/gzip/large" => {
            // A megabyte of JSON that compresses to about a kilobyte.
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(format!("[{}]", " ".repeat(1 << 20)).as_bytes())
                .unwrap();
            let mut response = json(StatusCode::OK, gz.finish().unwrap());
            response
                .headers_mut()
                .insert("content-encoding", "gzip".parse().unwrap());
            response
        }
        "/paged/members" => {
            // What a GitHub-like upstream puts in its headers: ids, emails, other hosts.
            let host = req
                .headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let mut response = json(StatusCode::OK, MEMBERS.as_bytes().to_vec());
            let headers = response.headers_mut();
            let link = format!(
                "<http://{host}/paged/members?page=2>; rel=\"next\"; title=\"octocat\", \
                 <http://{host}/paged/members?page=9&email=octocat%40acme.com>; rel=\"last\", \
                 <https://evil.example/paged/members?page=1>; rel=\"first\""
            );
            headers.insert("link", link.parse().unwrap());
            headers.insert("etag", "W/\"583231-octocat\"".parse().unwrap());
            headers.insert("last-modified", "last Tuesday, octocat".parse().unwrap());
            headers.insert("expires", "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
            headers.insert(
                "content-type",
                "application/json; charset=utf-8; user=583231"
                    .parse()
                    .unwrap(),
            );
            headers.insert("x-github-request-id", "C0FF:EE".parse().unwrap());
            response
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            json(StatusCode::OK, MEMBERS.as_bytes().to_vec())
        }
        "/error" => Response::builder()
            .status(500)
            .header("content-type", "text/html")
            .body(Full::new(Bytes::from_static(
                b"<html>stack trace with octocat@acme.com</html>",
            )))
            .unwrap(),
        "/token" => {
            let n = tokens.fetch_add(1, Ordering::SeqCst) + 1;
            let body =
                format!(r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":2}}"#);
            json(StatusCode::OK, body.into_bytes())
        }
        _ => json(
            StatusCode::NOT_FOUND,
            br#"{"message":"Not Found"}"#.to_vec(),
        ),
    }
}

/// The test connector's spec: OAuth2 client credentials against the upstream's `/token`, both
/// side outputs in `dir`.
pub fn spec_yaml(token_url: &str, dir: &std::path::Path) -> String {
    format!(
        r#"name: testapi
target_host: api.example.com
source_auth: {{ kind: oauth2_client_credentials, token_url: "{token_url}", client_id_env: TEST_CLIENT_ID, client_secret_env: TEST_CLIENT_SECRET }}
side_outputs:
  - {{ content: original, destination: "file://{dir}/original" }}
  - {{ content: sanitized, destination: "file://{dir}/sanitized" }}
rules:
  endpoints:
    - pathTemplate: /members
      allowedQueryParams: [per_page]
      transforms:
        - !<pseudonymize>
          jsonPaths: ['$[*].login']
        - !<redact>
          jsonPaths: ['$[*].avatar_url']
    - pathTemplate: /gzip/members
      transforms:
        - !<pseudonymize>
          jsonPaths: ['$[*].login']
        - !<redact>
          jsonPaths: ['$[*].avatar_url']
    - pathTemplate: /gzip/large
    - pathTemplate: /slow
    - pathTemplate: /error
"#,
        dir = dir.display()
    )
}

/// A running proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    pub shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Proxy {
    /// `path` on this proxy; an absolute URL (as the proxy writes in `Location`) as it is.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") {
            return path.to_owned();
        }
        format!("http://{}{path}", self.addr)
    }
}

/// A pseudonymizer with the salt and key [`proxy`] gives its proxies.
pub fn proxy_pseudonymizer() -> sluice::pseudonym::Pseudonymizer {
    sluice::pseudonym::Pseudonymizer::builder("salt")
        .encryption_key("secret")
        .build()
        .unwrap()
}

/// A `p~` token for `value` as `p` issues it.
pub fn issued_by(p: &sluice::pseudonym::Pseudonymizer, value: &str) -> String {
    let options = sluice::pseudonym::PseudonymizeOptions {
        include_reversible: true,
        ..Default::default()
    };
    p.pseudonymize(&serde_json::Value::from(value), &options)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// Starts a proxy for `spec` with extra environment `env` (the salt, key and API key are set).
pub async fn proxy(spec: &str, env: &[(&str, &str)]) -> Proxy {
    let loaded =
        sluice_spec::parse_spec("testapi.yaml".as_ref(), spec).unwrap_or_else(|e| panic!("{e}"));
    let connector = sluice::LoadedConnector::new(loaded);
    let mut vars: HashMap<String, String> = [
        ("SLUICE_SALT", "salt"),
        ("SLUICE_ENCRYPTION_KEY", "secret"),
        ("SLUICE_API_KEYS", "test-key"),
        ("TEST_CLIENT_ID", "client"),
        ("TEST_CLIENT_SECRET", "client-secret"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = sluice::config::ServeConfig::resolve(
        sluice::Connector::spec(&connector),
        sluice::Routing::rules(&connector),
        &vars,
        Default::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let proxy = sluice::app::build_proxy(connector, sluice::NoHooks, &config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let proxy = Arc::new(proxy);
    proxy.start_background();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(sluice::server::serve(
        proxy,
        listener,
        async move {
            let _ = rx.await;
        },
        Duration::from_secs(5),
    ));
    Proxy {
        addr,
        shutdown: Some(tx),
        task,
    }
}

/// A caller's answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// GETs `url`, with `key` as the bearer API key when given.
pub async fn get(url: &str, key: Option<&str>) -> Answer {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut request = Request::get(url);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let response = client
        .request(request.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

/// Sends `method url` with `headers`, and the bearer API `key` when given.
pub async fn send(method: &str, url: &str, key: Option<&str>, headers: &[(&str, &str)]) -> Answer {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut request = Request::builder().method(method).uri(url);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

impl Answer {
    /// The value of header `name`, or "" when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// What a callback receiver got.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// A webhook receiver on 127.0.0.1 answering the `statuses` in turn (the last one repeats).
pub struct Receiver {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Delivered>>>,
}

pub async fn receiver(statuses: &[u16]) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let statuses = Arc::new(statuses.to_vec());
    let s = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (seen, statuses) = (s.clone(), statuses.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (seen, statuses) = (seen.clone(), statuses.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let n = {
                            let mut seen = seen.lock().unwrap();
                            seen.push(Delivered {
                                headers: parts.headers,
                                body,
                            });
                            seen.len()
                        };
                        let status = statuses
                            .get(n - 1)
                            .or(statuses.last())
                            .copied()
                            .unwrap_or(204);
                        let mut response = Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = StatusCode::from_u16(status).unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Receiver { addr, seen }
}
