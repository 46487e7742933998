//! What a caller asks for about asynchronous processing, read from its request headers:
//! RFC 7240 `Prefer` (`respond-async`, `wait=N`) and the older `Accept-Asynchronous`
//! (`polling`, `notify`, `response`) with its `Asynchronous-End-Point`.
//!
//! `Prefer` parsing follows RFC 7240 §2: preference names are case-insensitive, values may be
//! tokens or quoted strings, parameters after `;` are ignored here, several `Prefer` headers are
//! one list, the first occurrence of a preference wins, and unknown preferences are ignored.

use http::HeaderMap;

use crate::problem::{Problem, ProblemType};

/// The legacy header asking for asynchronous processing.
pub const ACCEPT_ASYNCHRONOUS: &str = "accept-asynchronous";
/// The legacy header naming the callback URL.
pub const ASYNCHRONOUS_END_POINT: &str = "asynchronous-end-point";

/// What the caller asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsyncPreference {
    /// The caller wants a `202` and a job rather than waiting for the answer.
    pub respond_async: bool,
    /// `wait=N`: answer synchronously if the work finishes within N seconds.
    pub wait: Option<u64>,
    /// Where and how to call back when the job ends (`Accept-Asynchronous: notify|response`).
    pub callback: Option<CallbackRequest>,
}

/// A callback the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    /// The `Asynchronous-End-Point` URL, unchecked.
    pub url: String,
    /// What to POST there.
    pub mode: crate::jobs::CallbackMode,
}

impl AsyncPreference {
    /// Reads the caller's preference. A malformed `Accept-Asynchronous` (an unknown mode, or
    /// `notify`/`response` without `Asynchronous-End-Point`) is a 400 problem naming the header;
    /// a malformed `Prefer` is not (RFC 7240 asks servers to ignore what they do not understand).
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, Problem> {
        let mut preference = Self::default();
        let mut seen_async = false;
        let mut seen_wait = false;
        for value in headers.get_all(http::header::HeaderName::from_static("prefer")) {
            let Ok(text) = value.to_str() else { continue };
            for (name, value) in preferences(text) {
                if name.eq_ignore_ascii_case("respond-async") && !seen_async {
                    seen_async = true;
                    preference.respond_async = true;
                } else if name.eq_ignore_ascii_case("wait") && !seen_wait {
                    seen_wait = true;
                    preference.wait = value.and_then(|v| v.parse().ok());
                }
            }
        }
        if let Some(value) = headers.get(ACCEPT_ASYNCHRONOUS) {
            let mode = value
                .to_str()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let endpoint = || {
                headers
                    .get(ASYNCHRONOUS_END_POINT)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        Problem::new(
                            ProblemType::BadAsyncRequest,
                            format!(
                                "`Accept-Asynchronous: {mode}` needs the header \
                                 `Asynchronous-End-Point: <URL>` (https://, or http://) saying where to call back"
                            ),
                        )
                    })
            };
            let callback = match mode.as_str() {
                "polling" => None,
                "notify" => Some(CallbackRequest {
                    url: endpoint()?,
                    mode: crate::jobs::CallbackMode::Notify,
                }),
                "response" => Some(CallbackRequest {
                    url: endpoint()?,
                    mode: crate::jobs::CallbackMode::Response,
                }),
                other => {
                    return Err(Problem::new(
                        ProblemType::BadAsyncRequest,
                        format!(
                            "`Accept-Asynchronous: {other}` is not a mode; use polling, notify \
                             or response"
                        ),
                    ));
                }
            };
            preference.respond_async = true;
            preference.callback = callback;
        }
        Ok(preference)
    }
}

/// The `(name, value)` pairs of one `Prefer` header value, parameters dropped. Commas inside
/// quoted strings do not split.
fn preferences(text: &str) -> Vec<(&str, Option<String>)> {
    split_outside_quotes(text, ',')
        .into_iter()
        .filter_map(|item| {
            let head = split_outside_quotes(item, ';').into_iter().next()?;
            let (name, value) = match head.split_once('=') {
                Some((name, value)) => (name.trim(), Some(unquote(value.trim()))),
                None => (head.trim(), None),
            };
            (!name.is_empty()).then_some((name, value))
        })
        .collect()
}

fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::CallbackMode;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn read(pairs: &[(&str, &str)]) -> AsyncPreference {
        AsyncPreference::from_headers(&headers(pairs)).unwrap()
    }

    #[test]
    fn respond_async_in_any_case_with_or_without_wait() {
        assert!(read(&[("Prefer", "respond-async")]).respond_async);
        assert!(read(&[("prefer", "RESPOND-ASYNC")]).respond_async);
        let p = read(&[("Prefer", "respond-async, wait=10")]);
        assert_eq!((p.respond_async, p.wait), (true, Some(10)));
        let p = read(&[("Prefer", "Wait = \"5\" ; x=1, respond-async")]);
        assert_eq!((p.respond_async, p.wait), (true, Some(5)));
    }

    #[test]
    fn unknown_preferences_are_ignored_and_the_first_occurrence_wins() {
        let p = read(&[("Prefer", "handling=lenient, return=minimal")]);
        assert_eq!(p, AsyncPreference::default());
        let p = read(&[("Prefer", "wait=3"), ("Prefer", "respond-async, wait=100")]);
        assert_eq!((p.respond_async, p.wait), (true, Some(3)));
        // A comma inside a quoted value does not start a new preference.
        let p = read(&[("Prefer", "foo=\"a, respond-async\"")]);
        assert!(!p.respond_async);
        // A bad wait is ignored, not an error.
        assert_eq!(read(&[("Prefer", "respond-async, wait=soon")]).wait, None);
    }

    #[test]
    fn accept_asynchronous_modes() {
        let p = read(&[("Accept-Asynchronous", "polling")]);
        assert!(p.respond_async && p.callback.is_none());
        let p = read(&[
            ("Accept-Asynchronous", "Notify"),
            ("Asynchronous-End-Point", "https://collector.example/done"),
        ]);
        assert_eq!(
            p.callback,
            Some(CallbackRequest {
                url: "https://collector.example/done".into(),
                mode: CallbackMode::Notify
            })
        );
        let p = read(&[
            ("Accept-Asynchronous", "response"),
            ("Asynchronous-End-Point", "https://c.example/"),
        ]);
        assert_eq!(p.callback.unwrap().mode, CallbackMode::Response);
    }

    #[test]
    fn accept_asynchronous_errors_name_the_header() {
        let e = AsyncPreference::from_headers(&headers(&[("Accept-Asynchronous", "notify")]))
            .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.detail.contains("Asynchronous-End-Point"), "{}", e.detail);
        let e = AsyncPreference::from_headers(&headers(&[("Accept-Asynchronous", "email")]))
            .unwrap_err();
        assert!(
            e.detail.contains("polling, notify or response"),
            "{}",
            e.detail
        );
    }
}
