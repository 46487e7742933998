//! The scheme and host callers reach this proxy at, for the absolute URLs it writes (a job's
//! `Location`, `Operation-Location`, the URLs in job JSON): the configured public base URL
//! (`--public-base-url`, `SLUICE_PUBLIC_BASE_URL`), else `http://` and the request's `Host`.
//! `X-Forwarded-Proto` and `X-Forwarded-Host` are believed only from a peer whose address
//! `SLUICE_TRUST_FORWARDED` names: anyone else could send them to point a caller's redirects
//! at another host.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use http::uri::Authority;
use ipnet::IpNet;

/// The longest `Host` (or trusted `X-Forwarded-Host`) used for URLs.
const MAX_HOST: usize = 300;

/// The address of the peer that sent a request, put in the request's extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// How a request's origin is found.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    public_base_url: Option<String>,
    trusted: Vec<IpNet>,
}

impl Origins {
    /// `public_base_url` without a trailing `/`; `trusted` the proxies whose forwarding headers
    /// are believed.
    pub fn new(public_base_url: Option<String>, trusted: Vec<IpNet>) -> Self {
        Self {
            public_base_url,
            trusted,
        }
    }

    /// `scheme://host[:port]` for a request with these headers from `peer`; `None` when it
    /// names no usable host (the proxy then writes relative URLs).
    pub fn of(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<String> {
        if let Some(base) = &self.public_base_url {
            return Some(base.clone());
        }
        let trusted = peer.is_some_and(|ip| self.trusted.iter().any(|net| net.contains(&ip)));
        let forwarded = |name: &str| {
            trusted
                .then(|| headers.get(name)?.to_str().ok())
                .flatten()
                // A list (one entry per proxy): the first is what the caller used.
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        };
        let scheme = match forwarded("x-forwarded-proto") {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        let host = forwarded("x-forwarded-host")
            .or_else(|| headers.get(http::header::HOST)?.to_str().ok())
            .and_then(host_only)?;
        Some(format!("{scheme}://{host}"))
    }
}

/// `text` if it is a host with an optional port and nothing else: no user information, path,
/// query or spaces that would let a crafted `Host` turn a redirect into something else.
fn host_only(text: &str) -> Option<&str> {
    let text = text.trim();
    // A DNS name is at most 253 characters; with a port, an IPv6 literal or both, 300 is ample.
    // Longer, it is not a host, and it would be copied into every URL and job record.
    if text.len() > MAX_HOST {
        return None;
    }
    let authority: Authority = text.parse().ok()?;
    let plain = !text.contains('@') && !authority.host().is_empty();
    plain.then_some(text)
}

/// Parses `SLUICE_TRUST_FORWARDED`: addresses or networks (`10.0.0.0/8`, `127.0.0.1`, `::1`)
/// separated by commas or spaces.
pub fn parse_trusted(text: &str) -> Result<Vec<IpNet>, String> {
    text.split([',', ' '])
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let part = part.trim();
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "`{part}` is not an IP address or network; write addresses like \
                         10.0.0.7 or networks like 10.0.0.0/8, separated by commas"
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const PROXY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7));
    const STRANGER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

    #[test]
    fn the_host_the_caller_used() {
        let origins = Origins::default();
        let h = headers(&[("host", "proxy.internal:8080")]);
        assert_eq!(
            origins.of(&h, Some(STRANGER)).as_deref(),
            Some("http://proxy.internal:8080")
        );
        assert_eq!(
            origins
                .of(&headers(&[("host", "[::1]:9")]), None)
                .as_deref(),
            Some("http://[::1]:9")
        );
    }

    #[test]
    fn a_configured_base_wins() {
        let origins = Origins::new(Some("https://proxy.example".into()), vec![]);
        let h = headers(&[("host", "elsewhere"), ("x-forwarded-host", "evil")]);
        assert_eq!(
            origins.of(&h, Some(PROXY)).as_deref(),
            Some("https://proxy.example")
        );
    }

    #[test]
    fn forwarding_headers_only_from_trusted_peers() {
        let origins = Origins::new(None, parse_trusted("10.0.0.0/8, ::1").unwrap());
        let h = headers(&[
            ("host", "backend:8080"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "api.example, backend"),
        ]);
        assert_eq!(
            origins.of(&h, Some(PROXY)).as_deref(),
            Some("https://api.example")
        );
        assert_eq!(
            origins.of(&h, Some(STRANGER)).as_deref(),
            Some("http://backend:8080")
        );
        assert_eq!(origins.of(&h, None).as_deref(), Some("http://backend:8080"));
        // A trusted proxy that says the caller used plain http: http, not https.
        let plain = headers(&[("host", "backend"), ("x-forwarded-proto", "http")]);
        assert_eq!(
            origins.of(&plain, Some(PROXY)).as_deref(),
            Some("http://backend")
        );
    }

    #[test]
    fn a_host_that_is_not_a_host_gives_relative_urls() {
        let origins = Origins::default();
        for bad in ["user@evil.example", "evil.example/path", "a b", ""] {
            assert_eq!(origins.of(&headers(&[("host", bad)]), None), None, "{bad}");
        }
        assert_eq!(origins.of(&HeaderMap::new(), None), None);
        let long = format!("{}.example", "a".repeat(MAX_HOST));
        assert_eq!(origins.of(&headers(&[("host", &long)]), None), None);
        let longest = format!("{}:8080", "a".repeat(MAX_HOST - 5));
        assert!(origins.of(&headers(&[("host", &longest)]), None).is_some());
        let trusting = Origins::new(None, parse_trusted("10.0.0.7").unwrap());
        let h = headers(&[("host", "backend"), ("x-forwarded-host", "x@evil")]);
        assert_eq!(trusting.of(&h, Some(PROXY)), None);
    }

    #[test]
    fn trusted_lists_name_their_mistakes() {
        assert_eq!(parse_trusted("").unwrap(), vec![]);
        assert_eq!(parse_trusted("127.0.0.1,::1").unwrap().len(), 2);
        let e = parse_trusted("10.0.0.0/8,proxy.local").unwrap_err();
        assert!(e.contains("`proxy.local`"), "{e}");
    }
}
