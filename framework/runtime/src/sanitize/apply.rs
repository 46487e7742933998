//! Transforms compiled for application: regexes anchored and built once, options resolved; and
//! the [`Applier`](super::plan::Applier) that applies them to matched values with psoxy's
//! handling of nulls, blanks and unexpected types.

use serde_json::Value;
use sluice_spec::jsonpath::JsonPath;
use sluice_spec::regex::Matcher;
use sluice_spec::transform::{Encoding, Transform, TransformKind};

use super::SanitizeError;
use super::output::to_json_string;
use super::plan::{self, Effect};
use super::text::{self, Exceptions, FullMatchSet, Phrases, full_match, is_blank};
use crate::pseudonym::{PseudonymizeOptions, Pseudonymizer};

/// An endpoint's transforms, compiled, in rule order.
#[derive(Debug, Clone)]
pub(super) struct Transforms(pub(super) Vec<Compiled>);

/// One transform, ready to apply.
#[derive(Debug, Clone)]
pub(super) enum Compiled {
    Redact,
    RedactRegexMatches(Vec<Matcher>),
    RedactExceptPhrases(Phrases),
    RedactExceptSubstrings(Exceptions),
    Pseudonymize(PseudonymizeOptions),
    PseudonymizeEmailHeader(Encoding),
    PseudonymizeRegexMatches {
        regex: Matcher,
        has_group: bool,
        include_reversible: bool,
    },
    FilterTokenByRegex {
        delimiter: text::Delimiter,
        filters: FullMatchSet,
    },
    Tokenize(Option<Matcher>),
    TextDigest {
        inner: Option<Option<JsonPath>>,
        keywords: Vec<String>,
    },
    HashIp,
    EncryptIp,
}

impl Compiled {
    pub(super) fn new(transform: &Transform) -> Self {
        match transform {
            Transform::Redact { .. } => Self::Redact,
            Transform::RedactRegexMatches { redactions, .. } => {
                Self::RedactRegexMatches(redactions.iter().map(|r| r.matcher().clone()).collect())
            }
            Transform::RedactExceptPhrases {
                allowed_phrases, ..
            } => Self::RedactExceptPhrases(Phrases::new(allowed_phrases)),
            Transform::RedactExceptSubstringsMatchingRegexes { exceptions, .. } => {
                Self::RedactExceptSubstrings(Exceptions::new(exceptions))
            }
            // psoxy declares `onlyIfRegex` but never applies it; neither do we, for parity.
            Transform::Pseudonymize {
                encoding,
                include_original,
                include_reversible,
                ..
            } => Self::Pseudonymize(PseudonymizeOptions {
                include_original: *include_original,
                include_reversible: *include_reversible,
                encoding: *encoding,
            }),
            Transform::PseudonymizeEmailHeader { encoding, .. } => {
                Self::PseudonymizeEmailHeader(*encoding)
            }
            Transform::PseudonymizeRegexMatches {
                regex,
                include_reversible,
                ..
            } => Self::PseudonymizeRegexMatches {
                // Searched, not matched whole: psoxy's current rules depend on it (GitLab's
                // `@([\w.-]+)` on "@jdoe approved this merge request").
                regex: regex.matcher().clone(),
                has_group: regex.matcher().captures_len() > 1,
                include_reversible: *include_reversible,
            },
            Transform::FilterTokenByRegex {
                delimiter, filters, ..
            } => Self::FilterTokenByRegex {
                delimiter: text::Delimiter::new(delimiter),
                filters: FullMatchSet::new(filters),
            },
            Transform::Tokenize { regex, .. } => Self::Tokenize(regex.as_ref().map(full_match)),
            Transform::TextDigest {
                is_json_escaped,
                json_path_to_process_when_escaped,
                keywords,
                ..
            } => Self::TextDigest {
                inner: is_json_escaped.then(|| {
                    json_path_to_process_when_escaped
                        .as_ref()
                        .map(|p| p.value.clone())
                }),
                keywords: keywords.clone(),
            },
            Transform::HashIp { .. } => Self::HashIp,
            Transform::EncryptIp { .. } => Self::EncryptIp,
        }
    }

    fn kind(&self) -> TransformKind {
        match self {
            Self::Redact => TransformKind::Redact,
            Self::RedactRegexMatches(_) => TransformKind::RedactRegexMatches,
            Self::RedactExceptPhrases(_) => TransformKind::RedactExceptPhrases,
            Self::RedactExceptSubstrings(_) => TransformKind::RedactExceptSubstringsMatchingRegexes,
            Self::Pseudonymize(_) => TransformKind::Pseudonymize,
            Self::PseudonymizeEmailHeader(_) => TransformKind::PseudonymizeEmailHeader,
            Self::PseudonymizeRegexMatches { .. } => TransformKind::PseudonymizeRegexMatches,
            Self::FilterTokenByRegex { .. } => TransformKind::FilterTokenByRegex,
            Self::Tokenize(_) => TransformKind::Tokenize,
            Self::TextDigest { .. } => TransformKind::TextDigest,
            Self::HashIp => TransformKind::HashIp,
            Self::EncryptIp => TransformKind::EncryptIp,
        }
    }
}

/// Applies compiled transforms to the values the plan matches.
pub(super) struct Applier<'a> {
    pub(super) transforms: &'a Transforms,
    /// Whether each transform's `applyOnlyWhen` holds for this document.
    pub(super) active: &'a [bool],
    pub(super) pseudonymizer: &'a Pseudonymizer,
}

impl plan::Applier for Applier<'_> {
    type Error = SanitizeError;

    fn apply(&self, index: usize, node: &mut Value) -> Result<Effect, SanitizeError> {
        if !self.active[index] {
            return Ok(Effect::Keep);
        }
        let compiled = &self.transforms.0[index];
        let fail = |cause: String| SanitizeError::Transform {
            index: index + 1,
            kind: compiled.kind(),
            pointer: String::new(),
            cause,
        };
        let p = self.pseudonymizer;
        let replacement = match compiled {
            Compiled::Redact => return Ok(Effect::Remove),
            // A regex that gives up fails the transform, and so the response: never passed on
            // with the value unsanitized.
            Compiled::RedactRegexMatches(patterns) => text_only(node, |s| {
                text::redact_regex_matches(s, patterns).map(Value::String)
            })
            .map_err(|e| fail(e.to_string()))?,
            Compiled::RedactExceptPhrases(phrases) => {
                text_only(node, |s| Ok(Value::String(phrases.apply(s)))).map_err(fail)?
            }
            Compiled::RedactExceptSubstrings(exceptions) => {
                text_only(node, |s| exceptions.apply(s).map(Value::String))
                    .map_err(|e| fail(e.to_string()))?
            }
            Compiled::FilterTokenByRegex { delimiter, filters } => text_only(node, |s| {
                text::filter_tokens(s, delimiter, filters)
                    .map(|kept| kept.map_or(Value::Null, Value::String))
            })
            .map_err(|e| fail(e.to_string()))?,
            Compiled::TextDigest { inner, keywords } => match node {
                Value::String(s) => Some(match inner {
                    None => Value::String(text::text_digest(s, keywords)),
                    Some(path) => digest_inside(s, path.as_ref(), keywords).map_err(fail)?,
                }),
                _ => Some(Value::Null),
            },
            Compiled::Pseudonymize(options) => Some(
                p.pseudonymize(node, options)
                    .map_err(|e| fail(e.to_string()))?,
            ),
            Compiled::PseudonymizeEmailHeader(encoding) => Some(
                p.pseudonymize_email_header(node, *encoding)
                    .map_err(|e| fail(e.to_string()))?,
            ),
            Compiled::PseudonymizeRegexMatches {
                regex,
                has_group,
                include_reversible,
            } => Some(
                p.pseudonymize_regex_matches(node, regex, *has_group, *include_reversible)
                    .map_err(|e| fail(e.to_string()))?,
            ),
            Compiled::Tokenize(regex) => Some(
                p.tokenize(node, regex.as_ref())
                    .map_err(|e| fail(e.to_string()))?,
            ),
            Compiled::HashIp => Some(p.hash_ip(node)),
            Compiled::EncryptIp => Some(p.encrypt_ip(node).map_err(|e| fail(e.to_string()))?),
        };
        if let Some(value) = replacement {
            *node = value;
        }
        Ok(Effect::Keep)
    }
}

/// psoxy's string transforms: null stays null, a blank string stays as it is, any other
/// non-string becomes null, and a string is replaced by `f(string)`. `None` means "unchanged".
fn text_only<E>(
    node: &Value,
    f: impl FnOnce(&str) -> Result<Value, E>,
) -> Result<Option<Value>, E> {
    Ok(match node {
        Value::Null => None,
        Value::String(s) if is_blank(s) => None,
        Value::String(s) => Some(f(s)?),
        _ => Some(Value::Null),
    })
}

/// `textDigest` with `isJsonEscaped`: the string is JSON; every value at `path` inside it is
/// replaced by its digest, and the inner JSON is written back as a string.
fn digest_inside(
    text: &str,
    path: Option<&JsonPath>,
    keywords: &[String],
) -> Result<Value, String> {
    let mut inner: Value = serde_json::from_str(text)
        .map_err(|e| format!("isJsonEscaped is set but the value is not JSON: {e}"))?;
    let Some(path) = path else {
        return Ok(Value::String(to_json_string(&inner)));
    };
    for pointer in path.select_pointers(&inner) {
        if let Some(Value::String(s)) = inner.pointer(&pointer).cloned()
            && let Some(slot) = inner.pointer_mut(&pointer)
        {
            *slot = Value::String(text::text_digest(&s, keywords));
        }
    }
    Ok(Value::String(to_json_string(&inner)))
}
