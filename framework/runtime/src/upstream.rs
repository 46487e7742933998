//! The upstream side: credentials from the spec's `source_auth` (secrets read once from the
//! environment or files, never logged), and the pooled HTTPS client that sends allowed requests
//! with them. OAuth 2.0 access tokens are cached and refreshed before they expire, one refresh
//! at a time however many requests wait for it.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Mutex;

pub use crate::config::credentials::{Credentials, OAuth2Grant};

/// Why the upstream exchange failed; each maps to a problem the caller receives.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The upstream could not be reached (DNS, connect, TLS, reset).
    #[error("cannot reach the upstream: {0}")]
    Unreachable(String),
    /// The upstream did not answer in time.
    #[error("the upstream did not answer within {0:?}")]
    Timeout(Duration),
    /// The upstream's body is larger than the proxy accepts.
    #[error("the upstream's body is larger than {0} bytes")]
    TooLarge(usize),
    /// The token endpoint refused or failed.
    #[error("cannot get an access token from the upstream's token endpoint: {0}")]
    Token(String),
}

/// A buffered upstream response.
#[derive(Debug)]
pub struct Buffered {
    /// Status.
    pub status: http::StatusCode,
    /// Headers.
    pub headers: http::HeaderMap,
    /// The whole body, still encoded.
    pub body: Vec<u8>,
}

type Pool = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The pooled upstream client with the source's credentials. It keeps one connection pool per
/// serving thread ([`crate::shard`]), so a request and its upstream connection are
/// served by the same thread.
pub struct Upstream {
    pools: Vec<Pool>,
    base: Uri,
    credentials: Credentials,
    token: Mutex<Option<AccessToken>>,
    timeout: Duration,
    max_body: usize,
}

#[derive(Clone)]
struct AccessToken {
    header: HeaderValue,
    refresh_after: Instant,
}

impl Upstream {
    /// A client for `base` (scheme, host, port, optional path prefix).
    pub fn new(base: Uri, credentials: Credentials, timeout: Duration, max_body: usize) -> Self {
        Self {
            pools: vec![pool()],
            base,
            credentials,
            token: Mutex::new(None),
            timeout,
            max_body,
        }
    }

    /// Gives the client `count` connection pools, one per [`crate::shard`] (serving
    /// threads + 1), instead of one shared by all threads.
    #[must_use]
    pub fn pools(mut self, count: usize) -> Self {
        self.pools.resize_with(count.max(1), pool);
        self
    }

    /// The largest upstream body accepted, in bytes, also once decoded.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// The upstream's base URL (scheme, authority, optional path prefix).
    pub fn base(&self) -> &Uri {
        &self.base
    }

    /// The URI for `path_and_query` on this upstream.
    pub fn uri(&self, path_and_query: &str) -> Uri {
        let prefix = self.base.path().trim_end_matches('/');
        let joined = if prefix.is_empty() {
            http::uri::PathAndQuery::try_from(path_and_query)
        } else {
            http::uri::PathAndQuery::try_from(format!("{prefix}{path_and_query}"))
        };
        let mut parts = self.base.clone().into_parts();
        match joined {
            Ok(joined) => parts.path_and_query = Some(joined),
            Err(_) => return self.base.clone(),
        }
        Uri::from_parts(parts).unwrap_or_else(|_| self.base.clone())
    }

    /// Sends a request (its URI relative to the upstream base) with the source's credentials and
    /// buffers the answer.
    pub async fn send(&self, mut request: Request<Full<Bytes>>) -> Result<Buffered, UpstreamError> {
        if let Some((name, value)) = self.auth_header().await? {
            request.headers_mut().insert(name, value);
        }
        self.exchange(request).await
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> Result<Buffered, UpstreamError> {
        let timeout = self.timeout;
        let max = self.max_body;
        let work = async {
            let pool = &self.pools[crate::shard::current() % self.pools.len()];
            let response: Response<hyper::body::Incoming> = pool
                .request(request)
                .await
                .map_err(|e| UpstreamError::Unreachable(error_chain(&e)))?;
            let (parts, mut body) = response.into_parts();
            // Into one buffer as the frames come (the size announced, if any, reserved at
            // once, up to 8 MiB, so an announced size alone cannot take much memory): the caller
            // keeps it, decoded in place or moved as it is.
            let announced = body.size_hint().exact().unwrap_or(0);
            if announced > max as u64 {
                return Err(UpstreamError::TooLarge(max));
            }
            let reserve = usize::try_from(announced).unwrap_or(0).min(8 << 20);
            let mut buffer = Vec::with_capacity(reserve);
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| UpstreamError::Unreachable(error_chain(&e)))?;
                if let Ok(data) = frame.into_data() {
                    if buffer.len() + data.len() > max {
                        return Err(UpstreamError::TooLarge(max));
                    }
                    buffer.extend_from_slice(&data);
                }
            }
            Ok(Buffered {
                status: parts.status,
                headers: parts.headers,
                body: buffer,
            })
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| UpstreamError::Timeout(timeout))?
    }

    async fn auth_header(&self) -> Result<Option<(HeaderName, HeaderValue)>, UpstreamError> {
        match &self.credentials {
            Credentials::None => Ok(None),
            Credentials::Header { name, value } => Ok(Some((name.clone(), value.clone()))),
            Credentials::OAuth2(grant) => {
                // Holding the lock while refreshing makes concurrent requests wait for one refresh.
                let mut cached = self.token.lock().await;
                if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_after) {
                    return Ok(Some((AUTHORIZATION, token.header.clone())));
                }
                let token = self.fetch_token(grant).await?;
                let header = token.header.clone();
                *cached = Some(token);
                Ok(Some((AUTHORIZATION, header)))
            }
        }
    }

    async fn fetch_token(&self, grant: &OAuth2Grant) -> Result<AccessToken, UpstreamError> {
        // Built in a block so the (non-Send) serializer is gone before the await below.
        let form = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            match &grant.refresh_token {
                Some(refresh) => form
                    .append_pair("grant_type", "refresh_token")
                    .append_pair("refresh_token", refresh),
                None => form.append_pair("grant_type", "client_credentials"),
            };
            form.append_pair("client_id", &grant.client_id)
                .append_pair("client_secret", &grant.client_secret);
            if !grant.scopes.is_empty() {
                form.append_pair("scope", &grant.scopes.join(" "));
            }
            form.finish()
        };
        let request = Request::builder()
            .method(Method::POST)
            .uri(&grant.token_url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| UpstreamError::Token(format!("bad token_url: {e}")))?;
        let response = self
            .exchange(request)
            .await
            .map_err(|e| UpstreamError::Token(e.to_string()))?;
        if !response.status.is_success() {
            return Err(UpstreamError::Token(format!(
                "the token endpoint answered {}",
                response.status
            )));
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            token_type: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let parsed: TokenResponse = serde_json::from_slice(&response.body).map_err(|e| {
            UpstreamError::Token(format!(
                "the token endpoint's answer is not a token response: {e}"
            ))
        })?;
        let kind = parsed
            .token_type
            .filter(|t| !t.eq_ignore_ascii_case("bearer"))
            .unwrap_or_else(|| "Bearer".into());
        let mut header = HeaderValue::from_str(&format!("{kind} {}", parsed.access_token))
            .map_err(|_| {
                UpstreamError::Token("the access token is not a valid header value".into())
            })?;
        header.set_sensitive(true);
        // Refresh a minute early (or at half-life for short-lived tokens).
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        let margin = Duration::from_secs(60).min(lifetime / 2);
        Ok(AccessToken {
            header,
            refresh_after: Instant::now() + lifetime - margin,
        })
    }
}

/// A client with its own connection pool (HTTP/1.1 and HTTP/2, TLS or plain).
fn pool() -> Pool {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    // Requests are small and latency matters more than segment count.
    http.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config())
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector)
}

/// TLS client settings for every outgoing connection (upstream, JWKS, callbacks): the Mozilla
/// roots from webpki-roots, no client certificate.
pub(crate) fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// An error and its sources, joined with `: `.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_uris_keep_the_upstreams_scheme_authority_and_path_prefix() {
        let upstream = |base: &str| {
            Upstream::new(
                base.parse().unwrap(),
                Credentials::None,
                Duration::from_secs(1),
                1,
            )
        };
        let plain = upstream("https://api.github.com");
        assert_eq!(
            plain.uri("/orgs/acme/members?per_page=5").to_string(),
            "https://api.github.com/orgs/acme/members?per_page=5"
        );
        let prefixed = upstream("http://127.0.0.1:9000/v1/");
        assert_eq!(
            prefixed.uri("/rate_limit").to_string(),
            "http://127.0.0.1:9000/v1/rate_limit"
        );
    }
}
