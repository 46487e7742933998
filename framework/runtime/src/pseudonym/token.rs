//! Token encodings (`t~`, `p~`); opening them on the request side is `open.rs`'s.
//!
//! * `t~<b64url(hash)>[@domain]`: hash only, not reversible;
//! * `p~<b64url(hash ‖ AES-256-CBC(original))>[@domain]`: reversible with the key. Because the
//!   hash comes first, the first 42 characters after the prefix equal the `t~` form's.

use super::hash::{HASH_LEN, b64url};
use super::keys::{IV_LEN, Keys};

/// Prefix of hash-only tokens.
pub const HASH_PREFIX: &str = "t~";
/// Prefix of reversible tokens.
pub const REVERSIBLE_PREFIX: &str = "p~";
/// Prefix of an encrypted domain (`EmailDomainHandling::Encrypt`).
pub const ENCRYPTED_DOMAIN_PREFIX: &str = "e~";
/// Prefix of a hashed domain (`EmailDomainHandling::Hash`).
pub const HASHED_DOMAIN_PREFIX: &str = "h~";

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
