//! The deterministic part of a pseudonym: SHA-256 of the canonical value followed by the salt,
//! and the base64url (no padding) text form psoxy uses everywhere.

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use sha2::{Digest, Sha256};

/// Length in bytes of a pseudonym hash (SHA-256).
pub const HASH_LEN: usize = 32;

/// Length of a hash in base64url without padding.
pub(crate) const B64_HASH_LEN: usize = (HASH_LEN * 4).div_ceil(3);

/// `SHA-256(UTF-8(canonical ‖ salt))`: plain concatenation, the salt last, no separator.
pub(crate) fn salted_hash(canonical: &str, salt: &str) -> [u8; HASH_LEN] {
    salted_hash_bytes(canonical.as_bytes(), salt)
}

/// [`salted_hash`] of a canonical form given as UTF-8 bytes.
pub(crate) fn salted_hash_bytes(canonical: &[u8], salt: &str) -> [u8; HASH_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(canonical);
    hasher.update(salt.as_bytes());
    hasher.finalize().into()
}

/// base64url without padding (Java `Base64.getUrlEncoder().withoutPadding()`).
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// [`b64url`], appended to `out`.
pub(crate) fn b64url_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// A decoder as lenient as Java's URL decoder: padding optional, unused trailing bits ignored.
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes base64url, with or without padding.
pub(crate) fn b64url_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    LENIENT_URL_SAFE.decode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_salt_last() {
        assert_eq!(
            b64url(&salted_hash("octocat", "salt")),
            "IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbM"
        );
    }

    #[test]
    fn decoder_accepts_padding_and_rejects_bad_length() {
        assert_eq!(b64url_decode("YQ").unwrap(), b"a");
        assert_eq!(b64url_decode("YQ==").unwrap(), b"a");
        assert!(b64url_decode("YWJjZ").is_err());
        assert!(b64url_decode("a+b/").is_err());
    }
}
