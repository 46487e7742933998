//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>, symmetric scheme): the
//! secret (`whsec_<base64 key>`), signing a message, and checking a signature the way a
//! receiver does.
//!
//! The signed content is `{webhook-id}.{webhook-timestamp}.{body}` and the signature is
//! `v1,<base64(HMAC-SHA256(key, content))>`. The `webhook-signature` header is a space-separated
//! list of such signatures, so a receiver can accept old and new keys during a rotation.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use crate::config::callbacks::WebhookSecret;

/// The header holding the message id, the same on every retry of one message.
pub const WEBHOOK_ID: &str = "webhook-id";
/// The header holding the attempt's time, in whole seconds since the Unix epoch.
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// The header holding the space-separated `v1,<base64>` signatures.
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";

type HmacSha256 = Hmac<Sha256>;

impl WebhookSecret {
    /// The `webhook-signature` value (`v1,<base64>`) of `body` sent as message `id` at
    /// `timestamp` (Unix seconds).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self
            .mac(id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(self.key()).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// Why a received message does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A webhook header is absent or not text.
    #[error("the `{0}` header is missing or not text")]
    MissingHeader(&'static str),
    /// No `v1` signature in the header matches.
    #[error("no v1 signature in `webhook-signature` matches the message")]
    Mismatch,
}

/// Checks a received message as a receiver would: some `v1` signature in `webhook-signature`
/// must be the HMAC of `{webhook-id}.{webhook-timestamp}.{body}` (compared in constant time).
///
/// It does not judge the timestamp's age; a receiver should also refuse old timestamps (the spec
/// suggests a tolerance of a few minutes) so a captured message cannot be replayed.
pub fn verify(
    secret: &WebhookSecret,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<(), VerifyError> {
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(VerifyError::MissingHeader(name))
    };
    let id = header(WEBHOOK_ID)?;
    let timestamp = header(WEBHOOK_TIMESTAMP)?;
    let signatures = header(WEBHOOK_SIGNATURE)?;
    let matches = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|tag| secret.mac(id, timestamp, body).verify_slice(&tag).is_ok());
    if matches {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected signatures computed independently with Python's hmac module:
    // base64.b64encode(hmac.new(key, f"{id}.{ts}.".encode() + body, hashlib.sha256).digest())

    #[test]
    fn signs_a_known_vector() {
        let secret = WebhookSecret::parse("whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=")
            .expect("a valid secret");
        assert_eq!(
            secret,
            WebhookSecret::from_key((1..=32).collect::<Vec<u8>>())
        );
        assert_eq!(
            secret.sign(
                "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
                1674087231,
                br#"{"job":"done","n":1}"#
            ),
            "v1,CspHCtcRnsvM4NdyBJZWnSM985T2p6Sre6BkQpTRF6A="
        );
    }

    #[test]
    fn signs_the_reference_libraries_vector() {
        // The vector the Standard Webhooks reference libraries test with (a 24-byte key).
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    fn headers(id: &str, ts: &str, sig: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(WEBHOOK_ID, id.parse().unwrap());
        h.insert(WEBHOOK_TIMESTAMP, ts.parse().unwrap());
        h.insert(WEBHOOK_SIGNATURE, sig.parse().unwrap());
        h
    }

    #[test]
    fn verify_accepts_any_matching_signature_and_refuses_tampering() {
        let secret = WebhookSecret::from_key([7u8; 32]);
        let body = b"{}";
        let good = secret.sign("msg_1", 1700000000, body);
        let old = WebhookSecret::from_key([8u8; 32]).sign("msg_1", 1700000000, body);
        let rotated = format!("{old} {good}");
        assert_eq!(
            verify(&secret, &headers("msg_1", "1700000000", &rotated), body),
            Ok(())
        );
        assert_eq!(
            verify(&secret, &headers("msg_1", "1700000000", &good), b"{ }"),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&secret, &headers("msg_2", "1700000000", &good), body),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&secret, &headers("msg_1", "1700000001", &good), body),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&secret, &http::HeaderMap::new(), body),
            Err(VerifyError::MissingHeader(WEBHOOK_ID))
        );
    }

    #[test]
    fn bad_secrets_name_the_variable_without_echoing_the_secret() {
        for (text, says) in [
            (
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "does not start with `whsec_`",
            ),
            ("whsec_not*base64!", "is not base64"),
            ("whsec_c2hvcnQ=", "holds a key of 5 bytes"),
        ] {
            let message = WebhookSecret::parse(text).unwrap_err().to_string();
            assert!(message.starts_with("SLUICE_WEBHOOK_SECRET "), "{message}");
            assert!(message.contains(says), "{message}");
            assert!(message.contains("whsec_"), "{message}");
            assert!(!message.contains(text), "{message}");
        }
    }

    #[test]
    fn the_whsec_form_round_trips() {
        let secret = WebhookSecret::from_key([42u8; 24]);
        assert_eq!(WebhookSecret::parse(&secret.to_whsec()), Ok(secret));
        assert!(!format!("{:?}", WebhookSecret::from_key([42u8; 24])).contains("42"));
    }
}
