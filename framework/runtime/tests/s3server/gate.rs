//! A forwarding front for s3s-fs that makes conditional PUTs atomic.
//!
//! s3s-fs 0.14.1 checks `If-None-Match: *` by looking for the file, then streams the body to a
//! temporary file and renames it into place (`put_object` in its `s3.rs`). Two creates of one
//! key that overlap both pass the check and both answer 200, and the last rename wins. AWS S3
//! (and GCS, Azure, LocalFileSystem, InMemory) let exactly one of them succeed, which is what
//! the job store's leases rely on. This front runs one conditional PUT at a time, so s3s-fs
//! answers the others 412 as S3 would; every other request passes through concurrently and
//! unchanged (the `Host` header included, so signatures still verify).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{CONNECTION, HeaderMap, IF_MATCH, IF_NONE_MATCH, TRANSFER_ENCODING};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::{Mutex, oneshot};

/// A running front; stops when dropped.
pub struct Gate {
    /// Where clients connect.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Upstream = Client<HttpConnector, Full<Bytes>>;

impl Gate {
    /// Forwards 127.0.0.1:(a free port) to `backend`. Runs on a thread and runtime of its own,
    /// so it outlives whichever test runtime started it until it is dropped.
    pub fn start(backend: SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port for the gate");
        let addr = listener.local_addr().expect("the gate's address");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the gate")
                .block_on(serve(listener, backend, stopped));
        });
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    backend: SocketAddr,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    // Without TCP_NODELAY a request written in two parts (head, then body) waits out the peer's
    // delayed ACK: 40 ms a request on Linux.
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Upstream = Client::builder(TokioExecutor::new()).build(connector);
    let one_at_a_time = Arc::new(Mutex::new(()));
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    stream
                }
                Err(_) => continue,
            },
        };
        let (client, lock) = (client.clone(), one_at_a_time.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let (client, lock) = (client.clone(), lock.clone());
                async move {
                    let conditional = request.method() == Method::PUT
                        && (request.headers().contains_key(IF_NONE_MATCH)
                            || request.headers().contains_key(IF_MATCH));
                    let _turn = if conditional {
                        Some(lock.lock().await)
                    } else {
                        None
                    };
                    Ok::<_, Infallible>(forward(&client, backend, request).await)
                }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Sends `request` to `backend` as it came and returns the whole answer.
async fn forward(
    client: &Upstream,
    backend: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (mut parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return bad_gateway(format!("reading the request body: {e}")),
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    parts.uri = match format!("http://{backend}{path}").parse() {
        Ok(uri) => uri,
        Err(e) => return bad_gateway(format!("{path}: {e}")),
    };
    strip_hop_by_hop(&mut parts.headers);
    let answer = match client
        .request(Request::from_parts(parts, Full::new(body)))
        .await
    {
        Ok(answer) => answer,
        Err(e) => return bad_gateway(format!("s3s-fs: {e}")),
    };
    let (mut parts, body) = answer.into_parts();
    let body = match body.collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return bad_gateway(format!("reading the answer of s3s-fs: {e}")),
    };
    strip_hop_by_hop(&mut parts.headers);
    Response::from_parts(parts, Full::new(body))
}

/// Bodies are forwarded whole, so how they were framed on the other connection does not apply.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    headers.remove(CONNECTION);
    headers.remove(TRANSFER_ENCODING);
    headers.remove("keep-alive");
}

fn bad_gateway(why: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(why)));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}
