//! Token encodings (`t~`, `p~`) and, for the request side, their reversal.
//!
//! * `t~<b64url(hash)>[@domain]`: hash only, not reversible;
//! * `p~<b64url(hash ‖ AES-256-CBC(original))>[@domain]`: reversible with the key. Because the
//!   hash comes first, the first 42 characters after the prefix equal the `t~` form's.

use std::sync::LazyLock;

use regex::Regex;

use super::error::TokenError;
use super::hash::{HASH_LEN, b64url, b64url_decode};
use super::keys::{DecryptFailure, IV_LEN, Keys};

/// Prefix of hash-only tokens.
pub const HASH_PREFIX: &str = "t~";
/// Prefix of reversible tokens.
pub const REVERSIBLE_PREFIX: &str = "p~";
/// Prefix of an encrypted domain (`EmailDomainHandling::Encrypt`).
pub const ENCRYPTED_DOMAIN_PREFIX: &str = "e~";
/// Prefix of a hashed domain (`EmailDomainHandling::Hash`).
pub const HASHED_DOMAIN_PREFIX: &str = "h~";

/// psoxy's request-side pattern: a `p~` token of at least 43 base64url characters (greedy),
/// with an optional `@domain` suffix that is replaced together with the token.
static TOKEN_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"p~([A-Za-z0-9_-]{43,})(@[A-Za-z0-9.-]+)?")
        .unwrap_or_else(|e| panic!("token regex: {e}"))
});

/// `prefix + b64url(bytes)` plus `@domain` when there is one.
pub(crate) fn encode(prefix: &str, bytes: &[u8], domain: Option<&str>) -> String {
    let mut out = format!("{prefix}{}", b64url(bytes));
    if let Some(d) = domain {
        out.push('@');
        out.push_str(d);
    }
    out
}

/// The reversible token bytes `hash ‖ AES-256-CBC(original)`, IV = `hash[..16]`; `None` without
/// an encryption key.
pub(crate) fn reversible_bytes(
    keys: &Keys,
    hash: &[u8; HASH_LEN],
    original: &str,
) -> Option<Vec<u8>> {
    let iv: [u8; IV_LEN] = first_iv(hash);
    let ct = keys.encrypt(&iv, original.as_bytes())?;
    let mut bytes = Vec::with_capacity(HASH_LEN + ct.len());
    bytes.extend_from_slice(hash);
    bytes.extend_from_slice(&ct);
    Some(bytes)
}

fn first_iv(bytes: &[u8]) -> [u8; IV_LEN] {
    let mut iv = [0u8; IV_LEN];
    iv.copy_from_slice(&bytes[..IV_LEN]);
    iv
}

/// Decrypts the base64url body of a `p~` token (text between `p~` and any `@`).
pub(crate) fn decrypt_body(keys: &Keys, body: &str, position: usize) -> Result<String, TokenError> {
    if !keys.can_encrypt() {
        return Err(TokenError::NoEncryptionKey);
    }
    let bytes = b64url_decode(body).map_err(|e| TokenError::Base64 {
        position,
        reason: e.to_string(),
    })?;
    if bytes.len() < HASH_LEN + IV_LEN {
        return Err(TokenError::TooShort {
            position,
            len: bytes.len(),
        });
    }
    // No integrity check, as psoxy: the hash prefix is not compared with the decrypted value.
    let plain = keys
        .decrypt(&first_iv(&bytes), &bytes[HASH_LEN..])
        .map_err(|f| match f {
            DecryptFailure::NoKey => TokenError::NoEncryptionKey,
            DecryptFailure::BlockSize => TokenError::BlockSize { position },
            DecryptFailure::Padding => TokenError::BadPadding { position },
        })?;
    String::from_utf8(plain).map_err(|_| TokenError::NotUtf8 { position })
}

/// Decrypts one `p~` token, optionally followed by `@domain` (ignored).
pub(crate) fn decrypt_token(keys: &Keys, token: &str) -> Result<String, TokenError> {
    let body = token
        .strip_prefix(REVERSIBLE_PREFIX)
        .ok_or(TokenError::NotReversible { position: 0 })?;
    let body = body.split_once('@').map_or(body, |(b, _)| b);
    decrypt_body(keys, body, 0)
}

/// Replaces every `p~` token (with its `@domain`, if any) in `text` by `encode(original)`.
pub(crate) fn reverse_tokens_in(
    keys: &Keys,
    text: &str,
    encode: impl Fn(&str) -> String,
) -> Result<String, TokenError> {
    if !text.contains("p~") {
        // Most paths and queries hold no token: no regex search for them.
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in TOKEN_IN_TEXT.captures_iter(text) {
        let (Some(whole), Some(body)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        out.push_str(&text[last..whole.start()]);
        out.push_str(&encode(&decrypt_body(keys, body.as_str(), whole.start())?));
        last = whole.end();
    }
    out.push_str(&text[last..]);
    Ok(out)
}
