//! The value-level functions the sanitizer calls, one per psoxy transform, with psoxy's
//! handling of nulls, blanks and unexpected JSON types.

use serde_json::Value;
use sluice_spec::regex::{Captures, Matcher};

use super::email::parse_address_list;
use super::error::json_kind;
use super::hash::salted_hash;
use super::ip::canonical_ip;
use super::java::{is_blank, number_to_java_string};
use super::token::{HASH_PREFIX, REVERSIBLE_PREFIX, encode, reversible_bytes};
use super::{Encoding, PseudonymError, Pseudonymizer};

/// Options of `pseudonymize` (psoxy `Transform.Pseudonymize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PseudonymizeOptions {
    /// Add the original value (`includeOriginal`; only visible in the `JSON` encoding).
    pub include_original: bool,
    /// Add a reversible token (`includeReversible` / `includeEncrypted`); needs the key.
    pub include_reversible: bool,
    /// The output form.
    pub encoding: Encoding,
}

/// Compiles `pattern` for Java `Matcher.matches()` semantics: wrapped as `^(?:pattern)$`, so
/// the whole input must match and alternations prefer a full match. Use it for the regex given
/// to [`Pseudonymizer::tokenize`] (and to [`Pseudonymizer::pseudonymize_regex_matches`] to
/// require the whole string, which otherwise searches).
/// The pattern is Java's, as in rules; the error says why it cannot be compiled.
pub fn full_match_regex(pattern: &str) -> Result<Matcher, String> {
    sluice_spec::regex::SpecRegex::new(pattern).map(|r| r.wrapped("^(?:", ")$"))
}

/// The captures of `regex` when it matches all of `text` (Java `matches()`); exact when `regex`
/// comes from [`full_match_regex`].
fn full_match<'t>(regex: &Matcher, text: &'t str) -> Result<Option<Captures<'t>>, PseudonymError> {
    Ok(regex.captures(text)?.filter(|c| {
        c.get(0)
            .is_some_and(|m| m.start() == 0 && m.end() == text.len())
    }))
}

impl Pseudonymizer {
    /// psoxy `pseudonymize`.
    ///
    /// * string or number → its pseudonym in `options.encoding`: `t~…[@domain]` (or the `p~`
    ///   token with `include_reversible`), the bare hash, or a **string** holding compact JSON
    ///   (`"{\"domain\":…,\"hash\":…}"`);
    /// * null or blank string → no identity: JSON null for `URL_SAFE_TOKEN`, the 4-character
    ///   string `"null"` for `JSON` (psoxy serializes the null identity), and an error for
    ///   `URL_SAFE_HASH_ONLY` (psoxy fails on it);
    /// * boolean, array, object → [`PseudonymError::UnsupportedValue`].
    pub fn pseudonymize(
        &self,
        value: &Value,
        options: &PseudonymizeOptions,
    ) -> Result<Value, PseudonymError> {
        const T: &str = "pseudonymize";
        // Token and hash-only pseudonyms without extra parts (the common rules) are written
        // directly, without building the identity first.
        let hash_only = match options.encoding {
            Encoding::UrlSafeToken => Some(false),
            Encoding::UrlSafeHashOnly => Some(true),
            Encoding::Json => None,
        };
        if let Some(hash_only) = hash_only
            && !options.include_original
            && !options.include_reversible
        {
            let token = match value {
                Value::String(s) => self.token_of(s, true, hash_only, T)?,
                Value::Number(n) => {
                    self.token_of(&number_to_java_string(n), false, hash_only, T)?
                }
                Value::Null => None,
                other => {
                    return Err(PseudonymError::UnsupportedValue {
                        transform: T,
                        kind: json_kind(other),
                        expected: "a string or a number",
                    });
                }
            };
            return match token {
                Some(token) => Ok(Value::String(token)),
                None if hash_only => Err(PseudonymError::NothingToPseudonymize {
                    transform: T,
                    detail: "URL_SAFE_HASH_ONLY cannot encode a null or blank value",
                }),
                None => Ok(Value::Null),
            };
        }
        let identity = match value {
            Value::Null => None,
            Value::String(s) => self.identity_of(
                s,
                true,
                options.include_original,
                options.include_reversible,
                T,
            )?,
            Value::Number(n) => self.identity_of(
                &number_to_java_string(n),
                false,
                options.include_original,
                options.include_reversible,
                T,
            )?,
            other => {
                return Err(PseudonymError::UnsupportedValue {
                    transform: T,
                    kind: json_kind(other),
                    expected: "a string or a number",
                });
            }
        };
        encoded(options.encoding, identity, T)
    }

    /// psoxy `pseudonymizeEmailHeader`: an RFC 2822 address list (display names and groups
    /// allowed), each mailbox pseudonymized with default options after reformatting as
    /// `"Name" <local@domain>`: a `t~…@domain` token for `URL_SAFE_TOKEN` (never reversible), an
    /// identity object otherwise. One mailbox gives a string holding its pseudonym alone (the
    /// token, or the identity's compact JSON); none or several give a **string holding a JSON
    /// array** of them.
    ///
    /// Null → null; blank → `""`; not a valid list → null (psoxy logs a warning); not a string →
    /// [`PseudonymError::UnsupportedValue`].
    pub fn pseudonymize_email_header(
        &self,
        value: &Value,
        encoding: Encoding,
    ) -> Result<Value, PseudonymError> {
        const T: &str = "pseudonymizeEmailHeader";
        let text = match value {
            Value::Null => return Ok(Value::Null),
            Value::String(s) => s,
            other => {
                return Err(PseudonymError::UnsupportedValue {
                    transform: T,
                    kind: json_kind(other),
                    expected: "a string",
                });
            }
        };
        if is_blank(text) {
            return Ok(Value::String(String::new()));
        }
        let Some(mailboxes) = parse_address_list(text) else {
            return Ok(Value::Null);
        };
        let mut entries = Vec::with_capacity(mailboxes.len());
        for mb in mailboxes {
            let entry = match self.identity_of(&mb.formatted(), true, false, false, T)? {
                None => Value::Null,
                Some(id) if encoding == Encoding::UrlSafeToken => Value::String(id.to_hash_token()),
                Some(id) => id.to_json_value(),
            };
            entries.push(entry);
        }
        Ok(Value::String(match <[Value; 1]>::try_from(entries) {
            // One address: its pseudonym alone, as psoxy's current releases write it.
            Ok([Value::String(token)]) => token,
            Ok([one]) => one.to_string(),
            Err(entries) => Value::Array(entries).to_string(),
        }))
    }

    /// psoxy `pseudonymizeRegexMatches`. `regex` is searched for (Java `find()`, as psoxy's
    /// current sanitizer does: its GitLab rules pseudonymize `@([\w.-]+)` inside a longer note);
    /// anchor it (`^…$`) to require the whole string. `has_group` says whether it has a capture
    /// group (Java `groupCount() > 0`).
    ///
    /// At the first match, the part to pseudonymize is group 1 (with a group) or the match; it
    /// gets a `URL_SAFE_TOKEN` pseudonym (`p~` with `include_reversible`, email detection
    /// applies). With a group, every occurrence of group 1's text in the string is replaced by
    /// the token; without, the token is the result. No match → null.
    ///
    /// Errors where psoxy throws: a non-string or null value, a blank or non-participating
    /// group 1, reversible output without a key.
    pub fn pseudonymize_regex_matches(
        &self,
        value: &Value,
        regex: &Matcher,
        has_group: bool,
        include_reversible: bool,
    ) -> Result<Value, PseudonymError> {
        const T: &str = "pseudonymizeRegexMatches";
        let Value::String(text) = value else {
            return Err(PseudonymError::UnsupportedValue {
                transform: T,
                kind: json_kind(value),
                expected: "a string",
            });
        };
        let Some(caps) = regex.captures(text)? else {
            return Ok(Value::Null);
        };
        let part = if has_group { caps.get(1) } else { caps.get(0) };
        let Some(part) = part.map(|m| m.as_str()) else {
            return Err(PseudonymError::NothingToPseudonymize {
                transform: T,
                detail: "capture group 1 did not match",
            });
        };
        let Some(id) = self.identity_of(part, true, false, include_reversible, T)? else {
            return Err(PseudonymError::NothingToPseudonymize {
                transform: T,
                detail: "the matched text is blank",
            });
        };
        let token = id.to_token();
        Ok(Value::String(if has_group {
            text.replace(part, &token)
        } else {
            token
        }))
    }

    /// psoxy `tokenize`: a reversible `p~` token of the string itself (no email detection, no
    /// domain). With `regex` (from [`full_match_regex`], with a group 1): if the whole string
    /// matches, every occurrence of group 1's text is replaced by its token, else the value is
    /// unchanged.
    ///
    /// Non-strings (numbers, booleans, objects, arrays) → null; null → null; blank → unchanged.
    /// Errors without an encryption key, or when group 1 does not participate in the match.
    pub fn tokenize(
        &self,
        value: &Value,
        regex: Option<&Matcher>,
    ) -> Result<Value, PseudonymError> {
        const T: &str = "tokenize";
        let Value::String(text) = value else {
            return Ok(Value::Null);
        };
        if is_blank(text) {
            return Ok(value.clone());
        }
        let token_of = |s: &str| -> Result<String, PseudonymError> {
            let hash = salted_hash(s, self.keys.salt());
            let bytes = reversible_bytes(&self.keys, &hash, s)
                .ok_or(PseudonymError::NoEncryptionKey { transform: T })?;
            Ok(encode(REVERSIBLE_PREFIX, &bytes, None))
        };
        let Some(regex) = regex else {
            return Ok(Value::String(token_of(text)?));
        };
        let Some(caps) = full_match(regex, text)? else {
            return Ok(value.clone());
        };
        let Some(group) = caps.get(1) else {
            return Err(PseudonymError::NothingToPseudonymize {
                transform: T,
                detail: "capture group 1 did not match",
            });
        };
        Ok(Value::String(
            text.replace(group.as_str(), &token_of(group.as_str())?),
        ))
    }

    /// psoxy `hashIp`: `t~` + base64url(SHA-256(canonical IP ‖ IP salt)). Non-strings and null →
    /// null; blank → unchanged; not an IP address → null.
    pub fn hash_ip(&self, value: &Value) -> Value {
        let Value::String(text) = value else {
            return Value::Null;
        };
        if is_blank(text) {
            return value.clone();
        }
        match canonical_ip(text) {
            Some(ip) => Value::String(encode(
                HASH_PREFIX,
                &salted_hash(&ip, self.ip_keys.salt()),
                None,
            )),
            None => Value::Null,
        }
    }

    /// psoxy `encryptIp`: `p~` + base64url(hash(canonical IP) ‖ AES(canonical IP)) with the IP
    /// salt and key. Same value handling as [`Pseudonymizer::hash_ip`]; errors without a key.
    pub fn encrypt_ip(&self, value: &Value) -> Result<Value, PseudonymError> {
        let Value::String(text) = value else {
            return Ok(Value::Null);
        };
        if is_blank(text) {
            return Ok(value.clone());
        }
        let Some(ip) = canonical_ip(text) else {
            return Ok(Value::Null);
        };
        let hash = salted_hash(&ip, self.ip_keys.salt());
        let bytes =
            reversible_bytes(&self.ip_keys, &hash, &ip).ok_or(PseudonymError::NoEncryptionKey {
                transform: "encryptIp",
            })?;
        Ok(Value::String(encode(REVERSIBLE_PREFIX, &bytes, None)))
    }

    /// The identity of a string or number with the given options, `None` for null or blank
    /// (the building block of `pseudonymize`, for callers that need the parts).
    pub fn identity(
        &self,
        value: &Value,
        include_original: bool,
        include_reversible: bool,
    ) -> Result<Option<super::PseudonymizedIdentity>, PseudonymError> {
        const T: &str = "pseudonymize";
        match value {
            Value::Null => Ok(None),
            Value::String(s) => self.identity_of(s, true, include_original, include_reversible, T),
            Value::Number(n) => self.identity_of(
                &number_to_java_string(n),
                false,
                include_original,
                include_reversible,
                T,
            ),
            other => Err(PseudonymError::UnsupportedValue {
                transform: T,
                kind: json_kind(other),
                expected: "a string or a number",
            }),
        }
    }
}

/// An identity (or none, for a null or blank value) in `encoding`, as psoxy writes it.
fn encoded(
    encoding: Encoding,
    identity: Option<super::PseudonymizedIdentity>,
    transform: &'static str,
) -> Result<Value, PseudonymError> {
    Ok(match (encoding, identity) {
        (Encoding::Json, None) => Value::String("null".to_string()),
        (Encoding::Json, Some(id)) => Value::String(id.to_json_string()),
        (Encoding::UrlSafeToken, None) => Value::Null,
        (Encoding::UrlSafeToken, Some(id)) => Value::String(id.to_token()),
        (Encoding::UrlSafeHashOnly, Some(id)) => Value::String(id.hash),
        (Encoding::UrlSafeHashOnly, None) => {
            return Err(PseudonymError::NothingToPseudonymize {
                transform,
                detail: "URL_SAFE_HASH_ONLY cannot encode a null or blank value",
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// `pseudonymize` as first written: the identity, then its encoding.
    fn by_identity(
        p: &Pseudonymizer,
        value: &Value,
        options: &PseudonymizeOptions,
    ) -> Result<Value, PseudonymError> {
        let id = p.identity(value, options.include_original, options.include_reversible)?;
        encoded(options.encoding, id, "pseudonymize")
    }

    /// Built once: key derivation is slow.
    static PSEUDONYMIZER: std::sync::LazyLock<Pseudonymizer> = std::sync::LazyLock::new(|| {
        Pseudonymizer::builder("salt")
            .encryption_key("secret")
            .build()
            .unwrap()
    });

    proptest! {
        #[test]
        fn pseudonymize_equals_the_identity_encoded(
            value in prop_oneof![
                "[a-zA-Z0-9.+_-]{1,8}@[a-z0-9-]{1,6}\\.[a-zA-Z]{2,4}".prop_map(Value::from),
                "[ a-zA-Z0-9.@<>()\"+é\t-]{0,16}".prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                (-1e9f64..1e9).prop_map(Value::from),
                Just(Value::Null),
                Just(json!(true)),
                Just(json!({"a": 1})),
            ],
            encoding in prop::sample::select(vec![
                Encoding::UrlSafeToken,
                Encoding::UrlSafeHashOnly,
                Encoding::Json,
            ]),
            include_original in any::<bool>(),
            include_reversible in any::<bool>(),
        ) {
            let p = &*PSEUDONYMIZER;
            let options = PseudonymizeOptions { include_original, include_reversible, encoding };
            prop_assert_eq!(
                p.pseudonymize(&value, &options).map_err(|e| e.to_string()),
                by_identity(p, &value, &options).map_err(|e| e.to_string())
            );
        }
    }
}
