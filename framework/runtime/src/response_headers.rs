//! The caller's response headers: which of the upstream's headers pass back, and what each may
//! carry. A header passes only when the endpoint's `allowedResponseHeaders` (else the rules',
//! else [`DEFAULT_ALLOWED`]) names it; a header sluice knows is then checked against its grammar
//! and re-emitted in a canonical form, or dropped when it does not parse:
//!
//! - `Last-Modified`, `Expires`: an HTTP date, re-emitted as an IMF-fixdate;
//! - `Retry-After`: whole seconds or an HTTP date; `X-RateLimit-*`: a whole number;
//! - `ETag`: an entity tag, replaced by a keyed hash of itself (the weakness kept), so the
//!   caller can make conditional requests that the proxy answers itself ([`Conditional`]);
//! - `Content-Type`: `type/subtype` and a `charset`, nothing else;
//! - `Cache-Control`: known directives with well-formed arguments, field-name lists removed;
//! - `Link`: only links to the upstream's own host whose path and query the rules allow, with a
//!   registered `rel` and no other parameter, rewritten to point at the proxy.
//!
//! Any other listed header passes only when its value is visible ASCII: the spec author vouches
//! for what it carries. Framing headers never pass, whatever the list says: the proxy decodes
//! and re-serializes the body, so the upstream's framing does not describe it.

use hmac::{Hmac, KeyInit as _, Mac as _};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use sha2::Sha256;
use sluice_spec::rules::Rules;

use crate::policy::RequestPolicy;

/// The headers passed when neither the endpoint nor the rules list any.
pub const DEFAULT_ALLOWED: [&str; 8] = [
    "content-type",
    "cache-control",
    "etag",
    "link",
    "expires",
    "last-modified",
    "retry-after",
    "x-ratelimit-*",
];

/// Headers that describe the upstream's message, not the proxy's: never passed.
const FRAMING: [&str; 10] = [
    "connection",
    "content-encoding",
    "content-length",
    "keep-alive",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Longest header value considered; a longer one is dropped unread.
const MAX_VALUE: usize = 8 * 1024;
/// Most links kept from one `Link` value.
const MAX_LINKS: usize = 64;

/// The derivation label of the ETag key, so the key is used for nothing else.
const ETAG_KEY_LABEL: &[u8] = b"sluice response ETag key v1";

/// The response header policy of one connector, compiled from its rules.
pub struct ResponseHeaders {
    rules_level: Allowlist,
    endpoints: Vec<Option<Allowlist>>,
    etag_key: [u8; 32],
}

impl std::fmt::Debug for ResponseHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseHeaders")
            .field("rules_level", &self.rules_level)
            .field("endpoints", &self.endpoints)
            .field("etag_key", &"<redacted>")
            .finish()
    }
}

/// Where links may point and where they are rewritten to.
#[derive(Clone, Copy)]
pub struct LinkTarget<'a> {
    /// The upstream URL the answer came from (relative references resolve against it).
    pub request: &'a http::Uri,
    /// The upstream's configured base URL: a kept link has its scheme and authority, and starts
    /// with its path.
    pub base: &'a http::Uri,
    /// The rules' request policy: a kept link is one a caller could `GET` through the proxy.
    pub policy: &'a RequestPolicy,
    /// The proxy's public base URL (`SLUICE_PUBLIC_BASE_URL`), else links become `/path?query`.
    pub public_base: Option<&'a str>,
    /// A value's reversible token (`tokenize`), for link values the rules accept only as
    /// reversible pseudonyms; `None` without an encryption key.
    pub tokenize: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

/// Header names, exact or `prefix*`, lowercased.
#[derive(Debug, Clone)]
struct Allowlist(Vec<String>);

impl Allowlist {
    fn new<S: AsRef<str>>(names: &[S]) -> Self {
        Self(
            names
                .iter()
                .map(|n| n.as_ref().trim().to_ascii_lowercase())
                .collect(),
        )
    }

    fn allows(&self, name: &str) -> bool {
        self.0.iter().any(|n| match n.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => n == name,
        })
    }
}

impl ResponseHeaders {
    /// Compiles the rules' lists; the ETag key is derived from the pseudonymization `salt`.
    pub fn new(rules: &Rules, salt: &str) -> Self {
        let rules_level = match &rules.allowed_response_headers {
            Some(names) => Allowlist::new(names),
            None => Allowlist::new(&DEFAULT_ALLOWED),
        };
        let endpoints = rules
            .endpoints
            .iter()
            .map(|e| e.allowed_response_headers.as_deref().map(Allowlist::new))
            .collect();
        let mut mac =
            Hmac::<Sha256>::new_from_slice(salt.as_bytes()).expect("HMAC takes keys of any length");
        mac.update(ETAG_KEY_LABEL);
        Self {
            rules_level,
            endpoints,
            etag_key: mac.finalize().into_bytes().into(),
        }
    }

    /// The headers the caller gets for endpoint `endpoint`'s answer with `upstream` headers.
    pub fn filter(
        &self,
        endpoint: usize,
        upstream: &HeaderMap,
        links: &LinkTarget<'_>,
    ) -> HeaderMap {
        let allowed = self
            .endpoints
            .get(endpoint)
            .and_then(Option::as_ref)
            .unwrap_or(&self.rules_level);
        let mut out = HeaderMap::new();
        for (name, value) in upstream {
            let n = name.as_str();
            if FRAMING.contains(&n) || !allowed.allows(n) || value.len() > MAX_VALUE {
                continue;
            }
            if let Some(value) = self.sanitize(name, value, links) {
                out.append(name.clone(), value);
            }
        }
        out
    }

    /// One header value checked against its name's grammar and rewritten; `None` drops it.
    fn sanitize(
        &self,
        name: &HeaderName,
        value: &HeaderValue,
        links: &LinkTarget<'_>,
    ) -> Option<HeaderValue> {
        let bytes = value.as_bytes();
        if *name == header::ETAG {
            return self.etag(bytes);
        }
        let text = value.to_str().ok()?;
        let text = if *name == header::LAST_MODIFIED || *name == header::EXPIRES {
            http_date(text)?
        } else if *name == header::RETRY_AFTER {
            whole_number(text).or_else(|| http_date(text))?
        } else if *name == "x-ratelimit-resource" {
            // GitHub's name of the limit that applies (`core`, `search`, `code_scanning_upload`).
            rate_limit_resource(text)?
        } else if name.as_str().starts_with("x-ratelimit-") {
            whole_number(text)?
        } else if *name == header::CONTENT_TYPE {
            content_type(text)?
        } else if *name == header::CACHE_CONTROL {
            cache_control(text)?
        } else if *name == header::LINK {
            link(text, links)?
        } else if bytes.iter().all(|b| (b' '..=b'~').contains(b)) {
            text.to_owned()
        } else {
            return None;
        };
        HeaderValue::from_str(&text).ok()
    }

    /// An entity tag replaced by the keyed hash of its opaque tag, `W/` kept.
    fn etag(&self, value: &[u8]) -> Option<HeaderValue> {
        let tag = EntityTag::parse(value)?;
        HeaderValue::from_str(&self.hashed(tag).to_string()).ok()
    }

    fn hashed(&self, tag: EntityTag<'_>) -> HashedTag {
        use base64::Engine as _;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.etag_key).expect("HMAC takes keys of any length");
        mac.update(tag.opaque);
        HashedTag {
            weak: tag.weak,
            opaque: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(mac.finalize().into_bytes()),
        }
    }
}

/// A caller's `If-None-Match`, evaluated by the proxy against the hashed ETag of the fresh
/// answer: the upstream never sees it, since it could not recognise the hashed tags.
#[derive(Debug, Clone, Default)]
pub struct Conditional {
    values: Vec<HeaderValue>,
}

impl Conditional {
    /// The caller's `If-None-Match` fields, when the method is `GET` or `HEAD` (the only ones
    /// a proxy can answer `304` for after the upstream call).
    pub fn from_request(method: &http::Method, headers: &HeaderMap) -> Self {
        if !matches!(*method, http::Method::GET | http::Method::HEAD) {
            return Self::default();
        }
        Self {
            values: headers
                .get_all(header::IF_NONE_MATCH)
                .iter()
                .cloned()
                .collect(),
        }
    }

    /// The headers of a `304 Not Modified` when the caller already holds the answer, that is
    /// when a successful answer's (hashed) `ETag` weakly matches one of the caller's tags or the
    /// caller sent `*`; `None` when the full answer must go back.
    pub fn not_modified(&self, status: http::StatusCode, headers: &HeaderMap) -> Option<HeaderMap> {
        if self.values.is_empty() || !status.is_success() {
            return None;
        }
        let current = headers
            .get(header::ETAG)
            .and_then(|v| EntityTag::parse(v.as_bytes()));
        let matched = self.values.iter().any(|field| {
            let field = field.as_bytes();
            if trim(field) == b"*" {
                return true;
            }
            let Some(current) = current else {
                return false;
            };
            let mut rest = field;
            while !rest.is_empty() {
                rest = trim_start(rest);
                if let Some(after) = rest.strip_prefix(b",") {
                    rest = after;
                    continue;
                }
                let Some((tag, after)) = EntityTag::parse_prefix(rest) else {
                    return false;
                };
                if tag.opaque == current.opaque {
                    return true;
                }
                rest = after;
            }
            false
        });
        if !matched {
            return None;
        }
        let mut out = HeaderMap::new();
        for name in [header::ETAG, header::CACHE_CONTROL, header::EXPIRES] {
            for value in headers.get_all(&name) {
                out.append(name.clone(), value.clone());
            }
        }
        Some(out)
    }
}

// ---------------------------------------------------------------- grammars

/// RFC 9110 `entity-tag`: `[W/] "etagc*"`, etagc being `!`, `#`-`~` or obs-text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a [u8],
}

impl<'a> EntityTag<'a> {
    fn parse(value: &'a [u8]) -> Option<Self> {
        match Self::parse_prefix(trim(value)) {
            Some((tag, [])) => Some(tag),
            _ => None,
        }
    }

    /// An entity tag at the start of `value`, and what follows it.
    fn parse_prefix(value: &'a [u8]) -> Option<(Self, &'a [u8])> {
        let (weak, rest) = match value.strip_prefix(b"W/") {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let rest = rest.strip_prefix(b"\"")?;
        let end = rest.iter().position(|&b| b == b'"')?;
        let opaque = &rest[..end];
        let etagc = |b: &u8| *b == 0x21 || (0x23..=0x7e).contains(b) || *b >= 0x80;
        opaque
            .iter()
            .all(etagc)
            .then_some((Self { weak, opaque }, &rest[end + 1..]))
    }
}

/// A hashed entity tag as the caller sees it.
struct HashedTag {
    weak: bool,
    opaque: String,
}

impl std::fmt::Display for HashedTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let weak = if self.weak { "W/" } else { "" };
        write!(f, "{weak}\"{}\"", self.opaque)
    }
}

/// An HTTP date (IMF-fixdate, or the obsolete RFC 850 and asctime forms) as an IMF-fixdate.
fn http_date(text: &str) -> Option<String> {
    httpdate::parse_http_date(text.trim())
        .ok()
        .map(httpdate::fmt_http_date)
}

/// A whole number of at most 19 digits (it fits an `i64`), without sign or spaces inside.
fn whole_number(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.to_owned())
}

/// RFC 9110 `tchar`.
/// A rate-limit resource name: lowercase letters and `_`, at most 32.
fn rate_limit_resource(text: &str) -> Option<String> {
    let ok =
        (1..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    ok.then(|| text.to_owned())
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_ows(b))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn trim(bytes: &[u8]) -> &[u8] {
    let bytes = trim_start(bytes);
    let end = bytes.iter().rposition(|&b| !is_ows(b)).map_or(0, |e| e + 1);
    &bytes[..end]
}

/// A cursor over a header value, for the list grammars (RFC 9110 §5.6).
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn done(&self) -> bool {
        self.at == self.text.len()
    }

    fn skip_ows(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    fn eat(&mut self, c: char) -> bool {
        let eaten = self.rest().starts_with(c);
        if eaten {
            self.at += c.len_utf8();
        }
        eaten
    }

    fn token(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let len = rest.bytes().take_while(|&b| is_tchar(b)).count();
        self.at += len;
        (len > 0).then(|| &rest[..len])
    }

    /// A quoted-string's content, unescaped; `None` when it is not closed or holds controls.
    fn quoted(&mut self) -> Option<String> {
        let rest = self.rest();
        let mut chars = rest.char_indices();
        if chars.next()?.1 != '"' {
            return None;
        }
        let mut out = String::new();
        let mut escaped = false;
        for (i, c) in chars {
            let allowed = c == '\t' || (' '..='~').contains(&c) || !c.is_ascii();
            if !allowed {
                return None;
            }
            if escaped {
                out.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                self.at += i + 1;
                return Some(out);
            } else {
                out.push(c);
            }
        }
        None
    }

    /// A parameter or directive value: a token or a quoted-string, and whether it was quoted.
    fn value(&mut self) -> Option<(String, bool)> {
        if self.rest().starts_with('"') {
            self.quoted().map(|v| (v, true))
        } else {
            self.token().map(|v| (v.to_owned(), false))
        }
    }
}

/// `type/subtype` and a `charset` parameter with a token value, lowercased; other parameters
/// removed. Malformed (even in a parameter that is removed): `None`.
fn content_type(text: &str) -> Option<String> {
    let mut c = Cursor::new(text);
    c.skip_ows();
    let kind = c.token()?;
    if !c.eat('/') {
        return None;
    }
    let subtype = c.token()?;
    let mut out = format!("{kind}/{subtype}").to_ascii_lowercase();
    let mut charset = None;
    loop {
        c.skip_ows();
        if c.done() {
            break;
        }
        if !c.eat(';') {
            return None;
        }
        c.skip_ows();
        if c.done() {
            break;
        }
        let name = c.token()?;
        if !c.eat('=') {
            return None;
        }
        let (value, _) = c.value()?;
        if name.eq_ignore_ascii_case("charset") && charset.is_none() {
            charset = is_token(&value).then(|| value.to_ascii_lowercase());
        }
    }
    if let Some(charset) = charset {
        out.push_str("; charset=");
        out.push_str(&charset);
    }
    Some(out)
}

/// Cache-Control directives sluice passes, and what argument each takes.
fn directive_argument(name: &str) -> Option<Argument> {
    Some(match name {
        "max-age" | "s-maxage" | "stale-while-revalidate" | "stale-if-error" => Argument::Seconds,
        "no-cache" | "private" => Argument::FieldNamesDropped,
        "no-store" | "public" | "must-revalidate" | "no-transform" | "proxy-revalidate"
        | "immutable" => Argument::None,
        _ => return None,
    })
}

enum Argument {
    /// `delta-seconds`, required.
    Seconds,
    /// An optional field-name list, removed (the directive without it is stricter).
    FieldNamesDropped,
    /// No argument.
    None,
}

/// The known, well-formed directives of a `Cache-Control` value; `None` when the value does not
/// parse or no directive is left.
fn cache_control(text: &str) -> Option<String> {
    let mut c = Cursor::new(text);
    let mut kept: Vec<String> = Vec::new();
    loop {
        c.skip_ows();
        if c.done() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        let name = c.token()?.to_ascii_lowercase();
        c.skip_ows();
        let argument = if c.eat('=') {
            c.skip_ows();
            Some(c.value()?.0)
        } else {
            None
        };
        c.skip_ows();
        if !c.done() && !c.eat(',') {
            return None;
        }
        let directive = match (directive_argument(&name), argument) {
            (Some(Argument::Seconds), Some(seconds)) => {
                whole_number(&seconds).map(|s| format!("{name}={s}"))
            }
            (Some(Argument::FieldNamesDropped | Argument::None), None)
            | (Some(Argument::FieldNamesDropped), Some(_)) => Some(name),
            _ => None,
        };
        if let Some(directive) = directive
            && !kept.contains(&directive)
        {
            kept.push(directive);
        }
    }
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// RFC 8288 `Link`: each link kept only when it points at the upstream and a caller could `GET`
/// it through the proxy, rewritten to the proxy, with its registered relation types and no other
/// parameter. `None` when the value does not parse or no link is left.
fn link(text: &str, target: &LinkTarget<'_>) -> Option<String> {
    let mut c = Cursor::new(text);
    let mut kept = Vec::new();
    let mut seen = 0;
    loop {
        c.skip_ows();
        if c.done() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        seen += 1;
        if seen > MAX_LINKS || !c.eat('<') {
            return None;
        }
        let reference_len = c.rest().find('>')?;
        let reference = &c.rest()[..reference_len];
        c.at += reference_len + 1;
        let mut rel = None;
        loop {
            c.skip_ows();
            if !c.eat(';') {
                break;
            }
            c.skip_ows();
            let name = c.token()?;
            c.skip_ows();
            let value = if c.eat('=') {
                c.skip_ows();
                Some(c.value()?.0)
            } else {
                None
            };
            // Only the first `rel` counts (RFC 8288 §3.3).
            if name.eq_ignore_ascii_case("rel") && rel.is_none() {
                rel = Some(value.unwrap_or_default());
            }
        }
        c.skip_ows();
        if !c.done() && !c.eat(',') {
            return None;
        }
        let rel = rel.as_deref().and_then(relation_types);
        if let (Some(rel), Some(url)) = (rel, proxied_url(reference, target)) {
            kept.push(format!("<{url}>; rel=\"{rel}\""));
        }
    }
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// Registered relation types (`next`, `prev`, `last`, ...), lowercased; extension relation
/// types are URIs and could carry anything, so a `rel` holding one is refused.
fn relation_types(rel: &str) -> Option<String> {
    let types: Vec<String> = rel
        .split([' ', '\t'])
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let registered = |t: &String| {
        t.starts_with(|c: char| c.is_ascii_lowercase())
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    };
    (!types.is_empty() && types.iter().all(registered)).then(|| types.join(" "))
}

/// The proxy's URL for a link to the upstream, when the link is to the upstream's scheme,
/// authority and base path, without user info or fragment, and the rules allow `GET` on it.
fn proxied_url(reference: &str, target: &LinkTarget<'_>) -> Option<String> {
    let request = url::Url::parse(&target.request.to_string()).ok()?;
    let url = request.join(reference).ok()?;
    let base = target.base;
    let same_origin = Some(url.scheme()) == base.scheme_str()
        && url.host_str()?.eq_ignore_ascii_case(base.host()?)
        && url.port_or_known_default() == base.port_u16().or(default_port(base.scheme_str()))
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none();
    if !same_origin {
        return None;
    }
    let prefix = base.path().trim_end_matches('/');
    let path = url.path().strip_prefix(prefix)?;
    if !path.starts_with('/') {
        return None;
    }
    let query = url.query();
    crate::policy::check_path(path).ok()?;
    let (path, query) = match target.policy.check("GET", path, query) {
        Ok(_) => (path.to_owned(), query.map(str::to_owned)),
        // Values the rules take only as reversible pseudonyms get one, as the body's do.
        Err(_) => target
            .policy
            .with_reversible_tokens(path, query, target.tokenize)?,
    };
    let mut out = target.public_base.unwrap_or_default().to_owned();
    out.push_str(&path);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&query);
    }
    Some(out)
}

fn default_port(scheme: Option<&str>) -> Option<u16> {
    match scheme? {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> Rules {
        sluice_spec::parse_rules("rules.yaml".as_ref(), yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    const RULES: &str = "endpoints:\n  - pathTemplate: /orgs/{org}/members\n    allowedQueryParams: [page, per_page]\n";

    struct Fixture {
        headers: ResponseHeaders,
        policy: RequestPolicy,
        base: http::Uri,
        request: http::Uri,
    }

    impl Fixture {
        fn new(yaml: &str) -> Self {
            let rules = rules(yaml);
            Self {
                headers: ResponseHeaders::new(&rules, "salt"),
                policy: RequestPolicy::new(&rules),
                base: "http://api.example:8080".parse().unwrap(),
                request: "http://api.example:8080/orgs/acme/members?page=1"
                    .parse()
                    .unwrap(),
            }
        }

        fn target(&self) -> LinkTarget<'_> {
            LinkTarget {
                request: &self.request,
                base: &self.base,
                policy: &self.policy,
                public_base: None,
                tokenize: &|_| None,
            }
        }

        /// The caller's value of `name` for one upstream value.
        fn one(&self, name: &str, value: &[u8]) -> Option<String> {
            let mut upstream = HeaderMap::new();
            upstream.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
            let out = self.headers.filter(0, &upstream, &self.target());
            out.get(name).map(|v| v.to_str().unwrap().to_owned())
        }
    }

    fn one(name: &str, value: &str) -> Option<String> {
        Fixture::new(RULES).one(name, value.as_bytes())
    }

    #[test]
    fn dates_are_reemitted_as_imf_fixdates_or_dropped() {
        let imf = "Sun, 06 Nov 1994 08:49:37 GMT";
        for good in [
            imf,
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(one("last-modified", good).as_deref(), Some(imf), "{good}");
            assert_eq!(one("expires", good).as_deref(), Some(imf), "{good}");
        }
        for bad in [
            "",
            "0",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 GMT octocat@acme.com",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            &"Sun, 06 Nov 1994 08:49:37 GMT ".repeat(1000),
        ] {
            assert_eq!(one("last-modified", bad), None, "{bad}");
            assert_eq!(one("expires", bad), None, "{bad}");
        }
    }

    #[test]
    fn rate_limits_and_retry_after_are_whole_numbers() {
        assert_eq!(
            one("x-ratelimit-remaining", "4999").as_deref(),
            Some("4999")
        );
        assert_eq!(
            one("x-ratelimit-reset", " 1700000000 ").as_deref(),
            Some("1700000000")
        );
        assert_eq!(one("retry-after", "120").as_deref(), Some("120"));
        assert_eq!(
            one("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT").as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        for bad in [
            "",
            "-1",
            "+5",
            "1.5",
            "12 34",
            "core",
            "0x10",
            "user=583231",
            &"9".repeat(20),
        ] {
            assert_eq!(one("x-ratelimit-remaining", bad), None, "{bad}");
            assert_eq!(one("retry-after", bad), None, "{bad}");
        }
    }

    #[test]
    fn etags_are_keyed_hashes_that_keep_weakness_and_equality() {
        let strong = one("etag", "\"583231-octocat\"").unwrap();
        let weak = one("etag", "W/\"583231-octocat\"").unwrap();
        assert!(
            !strong.contains("583231") && !strong.contains("octocat"),
            "{strong}"
        );
        assert!(
            strong.starts_with('"') && strong.ends_with('"') && strong.len() == 45,
            "{strong}"
        );
        assert_eq!(weak, format!("W/{strong}"));
        assert_eq!(
            one("etag", "\"583231-octocat\"").unwrap(),
            strong,
            "deterministic"
        );
        assert_ne!(one("etag", "\"583232-octocat\"").unwrap(), strong);
        // Another salt, another tag: the hash is keyed.
        let other = ResponseHeaders::new(&rules(RULES), "pepper");
        let mut upstream = HeaderMap::new();
        upstream.insert(header::ETAG, HeaderValue::from_static("\"583231-octocat\""));
        let f = Fixture::new(RULES);
        assert_ne!(
            other.filter(0, &upstream, &f.target())["etag"],
            strong.as_str()
        );
        assert_eq!(one("etag", "\"\"").map(|t| t.len()), Some(45));
        for bad in [
            "583231",
            "\"open",
            "W/583231",
            "w/\"a\"",
            "\"a\" \"b\"",
            "\"a\"b",
            "\"a b\"",
            "\"a\\\"b\"",
            &format!("\"{}\"", "a".repeat(MAX_VALUE)),
        ] {
            assert_eq!(one("etag", bad), None, "{bad}");
        }
    }

    #[test]
    fn content_type_keeps_type_subtype_and_charset() {
        let ok = |v: &str| one("content-type", v);
        assert_eq!(ok("application/json").as_deref(), Some("application/json"));
        assert_eq!(
            ok("Application/JSON; charset=UTF-8; profile=\"https://x/u/583231\"; boundary=x")
                .as_deref(),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            ok("text/plain;charset=\"utf-8\"").as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            ok("text/plain; charset=\"a b\"").as_deref(),
            Some("text/plain")
        );
        for bad in [
            "",
            "json",
            "application/",
            "/json",
            "application/json octocat",
            "application/json; charset",
            "application/json; name=\"unterminated",
            "application/json; @=1",
            "application/json,text/html",
            &format!("text/plain; a={}", "b".repeat(MAX_VALUE)),
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }

    #[test]
    fn cache_control_keeps_known_well_formed_directives() {
        let cc = |v: &str| one("cache-control", v);
        assert_eq!(
            cc("private, max-age=60, s-maxage=60").as_deref(),
            Some("private, max-age=60, s-maxage=60")
        );
        assert_eq!(
            cc("Public, MAX-AGE=\"30\", x-user=583231, no-transform").as_deref(),
            Some("public, max-age=30, no-transform")
        );
        assert_eq!(
            cc("private=\"X-User-583231\", no-cache=\"Set-Cookie, X-Email\"").as_deref(),
            Some("private, no-cache")
        );
        assert_eq!(
            cc("max-age=-1, immutable=yes, max-age=abc, no-store").as_deref(),
            Some("no-store")
        );
        for bad in [
            "",
            "x-user=583231",
            "max-age=1 2",
            "private=\"open",
            "a=b=c",
            ",,,",
        ] {
            assert_eq!(cc(bad), None, "{bad}");
        }
    }

    #[test]
    fn links_keep_only_allowed_upstream_urls_rewritten_to_the_proxy() {
        let link = |v: &str| one("link", v);
        assert_eq!(
            link("<http://api.example:8080/orgs/acme/members?page=2>; rel=\"next\"").as_deref(),
            Some("</orgs/acme/members?page=2>; rel=\"next\"")
        );
        assert_eq!(
            link("</orgs/acme/members?page=2>; rel=next; title=\"octocat's\", <https://evil.example/orgs/acme/members?page=3>; rel=\"last\", <http://api.example:8080/orgs/acme/members?page=4&email=octocat%40acme.com>; rel=\"last\", <?page=5>; rel=\"prev first\"").as_deref(),
            Some("</orgs/acme/members?page=2>; rel=\"next\", </orgs/acme/members?page=5>; rel=\"prev first\"")
        );
        for dropped in [
            // Off-host, another port, another scheme, user info, a fragment.
            "<https://evil.example/orgs/acme/members?page=2>; rel=next",
            "<http://api.example:9090/orgs/acme/members?page=2>; rel=next",
            "<https://api.example:8080/orgs/acme/members?page=2>; rel=next",
            "<http://octocat@api.example:8080/orgs/acme/members?page=2>; rel=next",
            "<http://api.example:8080/orgs/acme/members?page=2#octocat>; rel=next",
            // A path or query parameter the rules do not allow.
            "<http://api.example:8080/user/583231/followers?page=2>; rel=next",
            "</orgs/acme/members?page=2&email=octocat@acme.com>; rel=next",
            // No rel, or an extension relation type (a URI, anything could be in it).
            "</orgs/acme/members?page=2>",
            "</orgs/acme/members?page=2>; rel=\"https://x.example/u/583231\"",
            // Malformed.
            "</orgs/acme/members?page=2; rel=next",
            "/orgs/acme/members?page=2; rel=next",
            "</orgs/acme/members?page=2>; rel=\"next",
            "</orgs/acme/members?page=2>; rel=next junk",
        ] {
            assert_eq!(link(dropped), None, "{dropped}");
        }
        let many = vec!["</orgs/acme/members?page=2>; rel=next"; MAX_LINKS + 1].join(", ");
        assert_eq!(link(&many), None);
    }

    #[test]
    fn link_values_the_rules_take_as_reversible_pseudonyms_become_tokens() {
        let f = Fixture::new(
            "endpoints:\n  - pathTemplate: /user/{id}/followers\n    allowedQueryParams: [page]\n    pathParameterSchemas:\n      id: { format: reversible-pseudonym }\n",
        );
        // A stand-in of a real token's shape: `p~` and 43 base64url characters.
        let tokenize = |v: &str| Some(format!("p~{v:A<43}"));
        let target = LinkTarget {
            tokenize: &tokenize,
            ..f.target()
        };
        let value = b"<http://api.example:8080/user/583231/followers?page=2>; rel=next, </user/..%2F/followers>; rel=last";
        let mut upstream = HeaderMap::new();
        upstream.insert(header::LINK, HeaderValue::from_bytes(value).unwrap());
        let out = f.headers.filter(0, &upstream, &target);
        assert_eq!(
            out.get(header::LINK).unwrap(),
            "</user/p~583231AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/followers?page=2>; rel=\"next\""
        );
        // Without a key there is no token, and the link is dropped.
        assert!(
            f.headers
                .filter(0, &upstream, &f.target())
                .get(header::LINK)
                .is_none()
        );
    }

    #[test]
    fn links_use_the_public_base_url_and_the_upstream_base_path() {
        let f = Fixture::new(RULES);
        let base: http::Uri = "https://ghe.example/api/v3/".parse().unwrap();
        let request = "https://ghe.example/api/v3/orgs/acme/members"
            .parse()
            .unwrap();
        let target = LinkTarget {
            request: &request,
            base: &base,
            policy: &f.policy,
            public_base: Some("https://proxy.example"),
            tokenize: &|_| None,
        };
        let out = |v: &'static str| {
            let mut upstream = HeaderMap::new();
            upstream.insert(header::LINK, HeaderValue::from_static(v));
            f.headers.filter(0, &upstream, &target).get("link").cloned()
        };
        assert_eq!(
            out("<https://ghe.example/api/v3/orgs/acme/members?page=2>; rel=\"next\"").unwrap(),
            "<https://proxy.example/orgs/acme/members?page=2>; rel=\"next\""
        );
        assert_eq!(
            out("<https://ghe.example/orgs/acme/members?page=2>; rel=next"),
            None
        );
        assert_eq!(
            out("<https://ghe.example:443/api/v3x/orgs/acme/members>; rel=next"),
            None
        );
    }

    #[test]
    fn other_headers_pass_only_when_listed_and_visible_ascii() {
        let yaml = "allowedResponseHeaders: [Content-Type, X-Request-Trace, Content-Length, X-Custom-*]\nendpoints:\n  - pathTemplate: /a\n  - pathTemplate: /b\n    allowedResponseHeaders: [ETag]\n";
        let f = Fixture::new(yaml);
        let mut upstream = HeaderMap::new();
        for (name, value) in [
            ("content-type", &b"application/json"[..]),
            ("x-request-trace", b"abc-123 def"),
            ("x-custom-a", b"caf\xc3\xa9"),
            ("x-custom-b", b"one\ttab"),
            ("x-custom-c", b"ok"),
            ("content-length", b"12"),
            ("x-ratelimit-remaining", b"10"),
            ("etag", b"\"v1\""),
            ("set-cookie", b"session=secret"),
        ] {
            upstream.insert(
                HeaderName::from_static(name),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        let names = |endpoint| {
            let out = f.headers.filter(endpoint, &upstream, &f.target());
            let mut names: Vec<String> = out.keys().map(|k| k.as_str().to_owned()).collect();
            names.sort();
            names
        };
        assert_eq!(names(0), ["content-type", "x-custom-c", "x-request-trace"]);
        assert_eq!(names(1), ["etag"]);
        let out = f.headers.filter(0, &upstream, &f.target());
        assert_eq!(out["x-request-trace"], "abc-123 def");
        // Without any list, the default one.
        let f = Fixture::new(RULES);
        let out = f.headers.filter(0, &upstream, &f.target());
        let mut names: Vec<&str> = out.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "etag", "x-ratelimit-remaining"]);
    }

    #[test]
    fn if_none_match_matches_the_hashed_tag_weakly() {
        let f = Fixture::new(RULES);
        let mut upstream = HeaderMap::new();
        upstream.insert(header::ETAG, HeaderValue::from_static("\"v1\""));
        upstream.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        upstream.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=60"),
        );
        let answer = f.headers.filter(0, &upstream, &f.target());
        let hashed = answer["etag"].to_str().unwrap().to_owned();
        let ask = |method: http::Method, field: &str| {
            let mut request = HeaderMap::new();
            request.insert(header::IF_NONE_MATCH, HeaderValue::from_str(field).unwrap());
            Conditional::from_request(&method, &request).not_modified(http::StatusCode::OK, &answer)
        };
        let headers = ask(http::Method::GET, &hashed).expect("304");
        assert_eq!(headers["etag"], hashed.as_str());
        assert_eq!(headers["cache-control"], "max-age=60");
        assert!(headers.get("content-type").is_none());
        assert!(ask(http::Method::GET, &format!("\"x\", W/{hashed}")).is_some());
        assert!(ask(http::Method::HEAD, "*").is_some());
        // The upstream's own tag is not ours; nor is a near miss; POST is not evaluated.
        assert!(ask(http::Method::GET, "\"v1\"").is_none());
        assert!(ask(http::Method::GET, &hashed[..hashed.len() - 2]).is_none());
        assert!(ask(http::Method::POST, &hashed).is_none());
        let mut request = HeaderMap::new();
        request.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&hashed).unwrap(),
        );
        let conditional = Conditional::from_request(&http::Method::GET, &request);
        assert!(
            conditional
                .not_modified(http::StatusCode::NOT_FOUND, &answer)
                .is_none()
        );
    }
}
