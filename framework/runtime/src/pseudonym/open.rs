//! Opening the reversible (`p~`) tokens callers send back, so the upstream gets the original.
//!
//! The token format is psoxy's and carries no MAC: `hash ‖ AES-256-CBC(value)` with the IV taken
//! from the hash. Trusting whatever decrypts (as psoxy does) gives two attacks: a padding oracle
//! (each "bad padding" answer leaks a byte's worth of plaintext) and forgery (flipping bits of the
//! IV, i.e. of the hash, makes the first block decrypt to any chosen value). Both are closed
//! without changing the format: the hash *is* an authenticator, because it is the salted
//! SHA-256 of the value and the salt is secret. A token is accepted only when the pseudonym of
//! the value it decrypts to equals its own 32-byte prefix; a forger would need the salt to make
//! them agree.
//!
//! Every failure that depends on the key (padding, UTF-8, prefix) is decided after all of the
//! checks have run, with constant-time comparisons, and reported as one error whose kind only the
//! server's log sees. Failures the sender can see for itself (base64, length, block size) return
//! early: they depend on nothing secret.

use std::sync::LazyLock;

use regex::Regex;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater};

use super::error::TokenError;
use super::hash::{HASH_LEN, b64url_decode, salted_hash, salted_hash_bytes};
use super::keys::{DecryptFailure, IV_LEN, Keys};
use super::token::REVERSIBLE_PREFIX;
use super::{Pseudonymizer, email::parse_mailbox};

/// psoxy's request-side pattern: a `p~` token of at least 43 base64url characters (greedy),
/// with an optional `@domain` suffix that is replaced together with the token.
static TOKEN_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"p~([A-Za-z0-9_-]{43,})(@[A-Za-z0-9.-]+)?")
        .unwrap_or_else(|e| panic!("token regex: {e}"))
});

impl Pseudonymizer {
    /// Opens the base64url body of a `p~` token (the text between `p~` and any `@`) with `keys`
    /// (the main keys, or the IP keys for `encryptIp` tokens).
    pub(crate) fn open_body(
        &self,
        keys: &Keys,
        body: &str,
        position: usize,
    ) -> Result<String, TokenError> {
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
        let (prefix, ciphertext) = bytes.split_at(HASH_LEN);
        let mut iv = [0u8; IV_LEN];
        iv.copy_from_slice(&prefix[..IV_LEN]);
        let plain = keys.decrypt_blocks(&iv, ciphertext).map_err(|f| match f {
            DecryptFailure::NoKey => TokenError::NoEncryptionKey,
            DecryptFailure::BlockSize => TokenError::BlockSize { position },
        })?;

        // From here on every outcome depends on the key: all checks run, whatever the earlier
        // ones found, and are combined at the end.
        let (padding_ok, len) = pkcs7_unpadded_len(&plain);
        let message = &plain[..len];
        let utf8 = std::str::from_utf8(message);
        let utf8_ok = Choice::from(u8::from(utf8.is_ok()));
        let text = String::from_utf8_lossy(message);
        let authentic = self.is_pseudonym_of(keys.salt(), &text, prefix);
        if bool::from(padding_ok & utf8_ok & authentic) {
            return Ok(text.into_owned());
        }
        // The reason is for the server's log only; the caller gets one answer for all of them.
        Err(if !bool::from(padding_ok) {
            TokenError::BadPadding { position }
        } else if !bool::from(utf8_ok) {
            TokenError::NotUtf8 { position }
        } else {
            TokenError::NotAuthentic { position }
        })
    }

    /// Whether `prefix` is the pseudonym hash of `value` as some transform would have made it:
    /// the value hashed as it is (`tokenize`, non-email `pseudonymize`, `encryptIp`'s canonical
    /// IP) or, for an RFC 2822 mailbox, its canonical email (`pseudonymize` of an email).
    /// Both candidates are computed and compared in constant time.
    fn is_pseudonym_of(&self, salt: &str, value: &str, prefix: &[u8]) -> Choice {
        let plain = salted_hash(value, salt);
        let email = match parse_mailbox(value) {
            Some(mailbox) => salted_hash(&self.canonical_email(&mailbox), salt),
            // The same work either way: a second hash of something that cannot match.
            None => salted_hash_bytes(&plain, salt),
        };
        plain.ct_eq(prefix) | email.ct_eq(prefix)
    }

    /// Opens one `p~` token, optionally followed by `@domain` (ignored).
    pub(crate) fn open_token(&self, keys: &Keys, token: &str) -> Result<String, TokenError> {
        let body = token
            .strip_prefix(REVERSIBLE_PREFIX)
            .ok_or(TokenError::NotReversible { position: 0 })?;
        let body = body.split_once('@').map_or(body, |(b, _)| b);
        self.open_body(keys, body, 0)
    }

    /// Replaces every `p~` token (with its `@domain`, if any) in `text` by `place(original)`;
    /// `place` returns `None` for an original that must not go where the token was.
    pub(crate) fn open_tokens_in(
        &self,
        text: &str,
        place: impl Fn(&str) -> Option<String>,
    ) -> Result<String, TokenError> {
        if !text.contains(REVERSIBLE_PREFIX) {
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
            let original = self.open_body(&self.keys, body.as_str(), whole.start())?;
            let placed = place(&original).ok_or(TokenError::NotData {
                position: whole.start(),
            })?;
            out.push_str(&placed);
            last = whole.end();
        }
        out.push_str(&text[last..]);
        Ok(out)
    }
}

/// The length of `plain` without its PKCS7 padding, and whether the padding was valid (when it
/// is not, the whole length). `plain` is one or more 16-byte blocks. Constant time: every one of
/// the last 16 bytes is looked at whatever the padding byte says.
fn pkcs7_unpadded_len(plain: &[u8]) -> (Choice, usize) {
    let n = plain[plain.len() - 1];
    let mut ok = !n.ct_eq(&0) & !n.ct_gt(&(IV_LEN as u8));
    for i in 0..IV_LEN {
        let byte = plain[plain.len() - 1 - i];
        // Position i (from the end) is padding when i < n.
        let in_padding = n.ct_gt(&(i as u8));
        ok &= !in_padding | byte.ct_eq(&n);
    }
    let whole = plain.len() as u64;
    let unpadded = whole.saturating_sub(u64::from(n));
    let len = u64::conditional_select(&whole, &unpadded, ok);
    (ok, usize::try_from(len).unwrap_or(plain.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pseudonym::hash::b64url;

    /// A token made with the salt and key but without PKCS7 padding: its prefix is the pseudonym
    /// of all 16 bytes it decrypts to. Only the padding check refuses it; each check holds on
    /// its own, not just through the prefix.
    #[test]
    fn a_token_whose_prefix_matches_but_whose_padding_is_wrong_is_refused() {
        use cbc::cipher::block_padding::NoPadding;
        use cbc::cipher::{BlockModeEncrypt, KeyIvInit};
        let p = Pseudonymizer::builder("salt")
            .encryption_key("secret")
            .build()
            .unwrap();
        let block = *b"sixteen bytes!!\0";
        let prefix = salted_hash_bytes(&block, "salt");
        let key = pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(b"secret", b"salt", 65_536);
        let iv: [u8; IV_LEN] = prefix[..IV_LEN].try_into().unwrap();
        let ciphertext = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv.into())
            .encrypt_padded_vec::<NoPadding>(&block);
        let token = format!("p~{}", b64url(&[&prefix[..], &ciphertext].concat()));
        assert!(
            matches!(
                p.decrypt_token(&token),
                Err(TokenError::BadPadding { position: 0 })
            ),
            "{:?}",
            p.decrypt_token(&token)
        );
    }

    #[test]
    fn padding_is_checked_byte_by_byte() {
        let mut block = [b'x'; 16];
        block[15] = 1;
        assert_eq!(pkcs7_unpadded_len(&block).1, 15);
        block[14..].copy_from_slice(&[2, 2]);
        assert_eq!(pkcs7_unpadded_len(&block).1, 14);
        let full = [16u8; 16];
        assert_eq!(pkcs7_unpadded_len(&full).1, 0);
        for bad in [[2u8, 3, 3], [0, 0, 0], [17, 17, 17]] {
            let mut block = [17u8; 16];
            block[13..].copy_from_slice(&bad);
            let (ok, len) = pkcs7_unpadded_len(&block);
            assert!(!bool::from(ok), "{bad:?}");
            assert_eq!(len, 16);
        }
        let mut two = [4u8; 32];
        two[29] = 9;
        assert!(!bool::from(pkcs7_unpadded_len(&two).0));
        two[29] = 4;
        assert_eq!(pkcs7_unpadded_len(&two).1, 28);
    }
}
