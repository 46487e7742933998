//! `sluice replay --dir DIR`: a stand-in upstream that answers each GET with a recorded
//! response, `DIR/<path>.json` (the query is ignored). For demos and for trying a connector
//! against recorded data without credentials or network.

use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// Arguments of `sluice replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory of recorded responses: `GET /orgs/acme/members` answers `DIR/orgs/acme/members.json`.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9080")]
    listen: String,
}

pub(crate) fn run(args: &Args) -> Result<std::process::ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args.dir.clone(), &args.listen))?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn serve(dir: PathBuf, listen: &str) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    eprintln!(
        "replaying {} on http://{}",
        dir.display(),
        listener.local_addr()?
    );
    let dir = std::sync::Arc::new(dir);
    loop {
        let (stream, _) = listener.accept().await?;
        let dir = dir.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let dir = dir.clone();
                async move { Ok::<_, Infallible>(answer(&dir, request.uri().path())) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The recorded file for `path`, refusing anything that would leave `dir`.
fn recording(dir: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = dir.join(relative);
    let with_json = file.with_file_name(format!("{}.json", file.file_name()?.to_string_lossy()));
    [with_json, file].into_iter().find(|f| f.is_file())
}

fn answer(dir: &Path, path: &str) -> Response<Full<Bytes>> {
    let (status, body) = match recording(dir, path).and_then(|f| std::fs::read(f).ok()) {
        Some(body) => (StatusCode::OK, body),
        None => (
            StatusCode::NOT_FOUND,
            br#"{"message":"Not Found"}"#.to_vec(),
        ),
    };
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ratelimit-remaining", "4999")
        .body(Full::new(Bytes::from(body)))
        .expect("a response from fixed parts")
}
