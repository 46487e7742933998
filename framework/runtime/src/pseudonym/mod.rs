//! Pseudonyms, byte-compatible with Worklytics psoxy (0.5 generation): the same salt and
//! encryption key give the same `t~`/`p~` tokens and JSON identities.
//!
//! * hash = base64url-no-pad(SHA-256(canonical(value) ‖ salt)); canonical = the text unchanged,
//!   Java `Number.toString()` for numbers, and for emails the lowercased local part cut at `+`
//!   (dots removed with [`EmailCanonicalization::IgnoreDots`]) `@` the lowercased domain;
//! * reversible = `hash ‖ AES-256-CBC/PKCS7(original)` with IV = `hash[..16]` and key =
//!   PBKDF2-HMAC-SHA256(secret, salt, 65536, 256 bits), derived once in
//!   [`PseudonymizerBuilder::build`]; opened only when `hash` is the pseudonym of what it
//!   decrypts to;
//! * encodings: `t~<hash>[@domain]`, `p~<b64url(hash‖ct)>[@domain]`, the bare hash, and a
//!   compact JSON string (see [`PseudonymizedIdentity`]).
//!
//! The value-level functions ([`Pseudonymizer::pseudonymize`],
//! [`Pseudonymizer::pseudonymize_email_header`], [`Pseudonymizer::pseudonymize_regex_matches`],
//! [`Pseudonymizer::tokenize`], [`Pseudonymizer::hash_ip`], [`Pseudonymizer::encrypt_ip`]) take
//! and return [`serde_json::Value`]s and keep psoxy's null / blank / wrong-type behaviour; where
//! psoxy throws they return a [`PseudonymError`]. The request side reverses tokens with
//! [`Pseudonymizer::decrypt_token`] and [`Pseudonymizer::reverse_tokens_in`], which accept only
//! authentic tokens (see `open.rs`).
//!
//! No configuration is read from the environment here.

mod email;
mod error;
mod hash;
mod identity;
mod ip;
mod java;
mod keys;
mod open;
mod token;
mod value;

pub use error::{PseudonymError, TokenError};
pub use hash::HASH_LEN;
pub use identity::PseudonymizedIdentity;
pub use keys::{Keys, PBKDF2_ITERATIONS};
pub use sluice_spec::transform::Encoding;
pub use token::{ENCRYPTED_DOMAIN_PREFIX, HASH_PREFIX, HASHED_DOMAIN_PREFIX, REVERSIBLE_PREFIX};
pub use value::{PseudonymizeOptions, full_match_regex};

/// How email local parts are canonicalized before hashing (psoxy `EMAIL_CANONICALIZATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EmailCanonicalization {
    /// Lowercase, drop the `+sub-address`; dots are kept. psoxy's default.
    #[default]
    Strict,
    /// As `Strict`, and every `.` of the local part is removed (`a.b@x.com` = `ab@x.com`).
    IgnoreDots,
}

/// What an email pseudonym says about the domain (psoxy `EMAIL_DOMAIN_HANDLING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EmailDomainHandling {
    /// The domain as written (not lowercased): `t~…@Acme.com`. psoxy's default.
    #[default]
    Preserve,
    /// No domain.
    Redact,
    /// `e~` + base64url(hash(domain) ‖ AES(domain)); needs the encryption key.
    Encrypt,
    /// `h~` + base64url(SHA-256(domain ‖ salt)). Some psoxy versions call this `TOKENIZE`.
    Hash,
}

/// Why a [`PseudonymizerBuilder`] refused its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The salt is empty; psoxy (and sluice) refuse to run without one.
    #[error("the pseudonymization salt is empty")]
    EmptySalt,
    /// An encryption secret is configured but empty.
    #[error("the encryption key is set but empty")]
    EmptyEncryptionKey,
}

/// Computes pseudonyms and reverses tokens for one configuration. Cheap to share (`&self`
/// everywhere); build it once, since building derives keys with 65536 PBKDF2 rounds.
#[derive(Debug, Clone)]
pub struct Pseudonymizer {
    keys: Keys,
    ip_keys: Keys,
    email_canonicalization: EmailCanonicalization,
    email_domain_handling: EmailDomainHandling,
}

/// Configuration of a [`Pseudonymizer`]; see [`Pseudonymizer::builder`].
#[derive(Clone)]
pub struct PseudonymizerBuilder {
    salt: String,
    encryption_key: Option<String>,
    ip_salt: Option<String>,
    ip_encryption_key: Option<String>,
    email_canonicalization: EmailCanonicalization,
    email_domain_handling: EmailDomainHandling,
}

impl std::fmt::Debug for PseudonymizerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PseudonymizerBuilder")
            .field(
                "encryption_key",
                &self.encryption_key.as_ref().map(|_| "<redacted>"),
            )
            .field("ip_salt", &self.ip_salt.as_ref().map(|_| "<redacted>"))
            .field(
                "ip_encryption_key",
                &self.ip_encryption_key.as_ref().map(|_| "<redacted>"),
            )
            .field("email_canonicalization", &self.email_canonicalization)
            .field("email_domain_handling", &self.email_domain_handling)
            .finish_non_exhaustive()
    }
}

impl PseudonymizerBuilder {
    /// The encryption secret (psoxy `PSOXY_ENCRYPTION_KEY`, a password, not a raw key). Without
    /// it, reversible output (`p~`, `tokenize`, `encryptIp`) is an error.
    pub fn encryption_key(mut self, secret: impl Into<String>) -> Self {
        self.encryption_key = Some(secret.into());
        self
    }

    /// A separate salt for `hashIp` / `encryptIp` (psoxy `SALT_IP`); defaults to the main salt.
    pub fn ip_salt(mut self, salt: impl Into<String>) -> Self {
        self.ip_salt = Some(salt.into());
        self
    }

    /// A separate secret for `encryptIp` (psoxy `ENCRYPTION_KEY_IP`); defaults to the main one.
    pub fn ip_encryption_key(mut self, secret: impl Into<String>) -> Self {
        self.ip_encryption_key = Some(secret.into());
        self
    }

    /// Email canonicalization (default [`EmailCanonicalization::Strict`]).
    pub fn email_canonicalization(mut self, c: EmailCanonicalization) -> Self {
        self.email_canonicalization = c;
        self
    }

    /// Email domain handling (default [`EmailDomainHandling::Preserve`]).
    pub fn email_domain_handling(mut self, h: EmailDomainHandling) -> Self {
        self.email_domain_handling = h;
        self
    }

    /// Validates the configuration and starts deriving the keys (one or two PBKDF2 runs of 65536
    /// rounds each, in the background; the IP keys reuse the main key when salt and secret are
    /// the same).
    pub fn build(self) -> Result<Pseudonymizer, ConfigError> {
        if self.salt.is_empty() || self.ip_salt.as_deref() == Some("") {
            return Err(ConfigError::EmptySalt);
        }
        if self.encryption_key.as_deref() == Some("")
            || self.ip_encryption_key.as_deref() == Some("")
        {
            return Err(ConfigError::EmptyEncryptionKey);
        }
        let keys = Keys::new(self.salt.clone(), self.encryption_key.as_deref());
        let ip_salt = self.ip_salt.unwrap_or_else(|| self.salt.clone());
        let ip_secret = self
            .ip_encryption_key
            .or_else(|| self.encryption_key.clone());
        let ip_keys = if ip_salt == self.salt && ip_secret == self.encryption_key {
            keys.clone()
        } else {
            Keys::new(ip_salt, ip_secret.as_deref())
        };
        Ok(Pseudonymizer {
            keys,
            ip_keys,
            email_canonicalization: self.email_canonicalization,
            email_domain_handling: self.email_domain_handling,
        })
    }
}

impl Pseudonymizer {
    /// Starts a configuration with the (required) salt, psoxy's `PSOXY_SALT`.
    pub fn builder(salt: impl Into<String>) -> PseudonymizerBuilder {
        PseudonymizerBuilder {
            salt: salt.into(),
            encryption_key: None,
            ip_salt: None,
            ip_encryption_key: None,
            email_canonicalization: EmailCanonicalization::default(),
            email_domain_handling: EmailDomainHandling::default(),
        }
    }

    /// Whether both keys are derived already.
    pub fn is_derived(&self) -> bool {
        self.keys.is_derived() && self.ip_keys.is_derived()
    }

    /// Waits until both keys are derived (see [`Keys::wait_until_derived`]).
    pub fn wait_until_derived(&self) {
        self.keys.wait_until_derived();
        self.ip_keys.wait_until_derived();
    }

    /// The main salt and key.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The salt and key used by `hashIp` / `encryptIp`.
    pub fn ip_keys(&self) -> &Keys {
        &self.ip_keys
    }

    /// The configured email canonicalization.
    pub fn email_canonicalization(&self) -> EmailCanonicalization {
        self.email_canonicalization
    }

    /// The configured email domain handling.
    pub fn email_domain_handling(&self) -> EmailDomainHandling {
        self.email_domain_handling
    }

    /// Opens one reversible token, `p~<base64url>` with an optional `@domain` suffix (which is
    /// ignored), to the original value. Unlike psoxy, the token must be authentic: the value it
    /// decrypts to must have the pseudonym the token starts with, so a token altered in any byte
    /// is refused. Which check failed is in the error for the server's log; callers of the
    /// proxy get one answer for all of them.
    ///
    /// Tokens made by `encryptIp` need [`Pseudonymizer::decrypt_ip_token`] when the IP key
    /// differs from the main one.
    pub fn decrypt_token(&self, token: &str) -> Result<String, TokenError> {
        self.open_token(&self.keys, token)
    }

    /// [`Pseudonymizer::decrypt_token`] with the IP keys.
    pub fn decrypt_ip_token(&self, token: &str) -> Result<String, TokenError> {
        self.open_token(&self.ip_keys, token)
    }

    /// Replaces every reversible token in `text` (a URL path, a query string, a header value)
    /// by its original, as psoxy does before calling the upstream.
    ///
    /// Tokens are found with psoxy's pattern `p~[A-Za-z0-9_-]{43,}` (greedy) plus an optional
    /// `@[A-Za-z0-9.-]+`; the whole match, domain included, is replaced. Assumptions, which are
    /// the caller's concern:
    /// * `text` is as received, still percent-encoded: tokens contain only unreserved URL
    ///   characters, so they are never encoded themselves;
    /// * the original is inserted raw, not percent-encoded (an email keeps its `@`), exactly as
    ///   psoxy does; a caller that needs a valid URL uses [`Pseudonymizer::reverse_tokens_with`];
    /// * a token must be followed by a character outside the base64url alphabet, or the greedy
    ///   match swallows it and decryption fails.
    ///
    /// Any token that does not open (see [`Pseudonymizer::decrypt_token`]) is an error naming
    /// its byte position; nothing is passed through silently.
    pub fn reverse_tokens_in(&self, text: &str) -> Result<String, TokenError> {
        self.open_tokens_in(text, |v| Some(v.to_owned()))
    }

    /// [`Pseudonymizer::reverse_tokens_in`], with each original passed through `place` before
    /// it is inserted: the proxy refuses originals that would change the URL's structure and
    /// percent-encodes the rest for the component they land in. `place` returning `None` fails
    /// the whole text with [`TokenError::NotData`].
    pub fn reverse_tokens_with(
        &self,
        text: &str,
        place: impl Fn(&str) -> Option<String>,
    ) -> Result<String, TokenError> {
        self.open_tokens_in(text, place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_validates_and_falls_back() {
        assert_eq!(
            Pseudonymizer::builder("").build().unwrap_err(),
            ConfigError::EmptySalt
        );
        assert_eq!(
            Pseudonymizer::builder("s")
                .encryption_key("")
                .build()
                .unwrap_err(),
            ConfigError::EmptyEncryptionKey
        );
        let p = Pseudonymizer::builder("salt").build().unwrap();
        assert_eq!(p.ip_keys().salt(), "salt");
        assert!(!p.keys().can_encrypt());
        let p = Pseudonymizer::builder("salt")
            .ip_salt("ipsalt")
            .build()
            .unwrap();
        assert_eq!(p.ip_keys().salt(), "ipsalt");
        assert!(
            !format!(
                "{:?}",
                Pseudonymizer::builder("salt").encryption_key("hush")
            )
            .contains("hush")
        );
    }
}
