//! The identity computation: canonical form, salted hash, domain, and the optional reversible
//! token, plus psoxy's JSON form of the result (`PseudonymizedIdentity`).

use serde::Serialize;

use super::email::{Mailbox, parse_mailbox, parse_mailbox_general, plain_address_parts};
use super::hash::{B64_HASH_LEN, HASH_LEN, b64url, b64url_into, salted_hash, salted_hash_bytes};
use super::keys::Keys;
use super::token::{
    ENCRYPTED_DOMAIN_PREFIX, HASH_PREFIX, HASHED_DOMAIN_PREFIX, REVERSIBLE_PREFIX, encode,
    reversible_bytes,
};
use super::{EmailCanonicalization, EmailDomainHandling, PseudonymError, Pseudonymizer};

/// A pseudonymized value: psoxy's `PseudonymizedIdentity` (0.5 generation, no `scope`).
///
/// Serializes compactly with the fields in psoxy's order — `domain` (if any), `hash`, `original`
/// (if asked for), `reversible` (if asked for) — e.g.
/// `{"domain":"acme.com","hash":"UFdK…yyMk"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PseudonymizedIdentity {
    /// The email domain as configured by [`EmailDomainHandling`]; `None` for non-emails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// base64url (no padding) of SHA-256(canonical ‖ salt): 43 characters.
    pub hash: String,
    /// The value as text (Java `toString`), when `includeOriginal` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    /// The full `p~…[@domain]` token, when `includeReversible` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversible: Option<String>,
}

impl PseudonymizedIdentity {
    /// The `URL_SAFE_TOKEN` form: the reversible token when there is one, else
    /// `t~<hash>[@domain]`.
    pub fn to_token(&self) -> String {
        if let Some(r) = &self.reversible {
            return r.clone();
        }
        let mut out = format!("{HASH_PREFIX}{}", self.hash);
        if let Some(d) = &self.domain {
            out.push('@');
            out.push_str(d);
        }
        out
    }

    /// The `t~<hash>[@domain]` form, ignoring any reversible token (what
    /// `pseudonymizeEmailHeader` emits).
    pub fn to_hash_token(&self) -> String {
        Self {
            reversible: None,
            ..self.clone()
        }
        .to_token()
    }

    /// The `JSON` form: compact JSON text, fields in psoxy's order.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| unreachable!("identity serializes: {e}"))
    }

    /// The `JSON` form as a [`serde_json::Value`] object (for arrays of identities).
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(|e| unreachable!("identity serializes: {e}"))
    }
}

impl Pseudonymizer {
    /// The identity of `text` (a string, or a number already turned into its Java text).
    ///
    /// `None` for a blank string (psoxy's "no identity"). Strings that are RFC 2822 mailboxes
    /// are canonicalized as emails and get a domain; numbers (`may_be_email = false`) never do.
    /// The reversible token encrypts `text` itself, not its canonical form.
    pub(crate) fn identity_of(
        &self,
        text: &str,
        may_be_email: bool,
        include_original: bool,
        include_reversible: bool,
        transform: &'static str,
    ) -> Result<Option<PseudonymizedIdentity>, PseudonymError> {
        if super::java::is_blank(text) {
            return Ok(None);
        }
        let keys = &self.keys;
        let mailbox = if may_be_email {
            parse_mailbox(text)
        } else {
            None
        };
        let (canonical, domain) = match &mailbox {
            Some(mb) => (
                self.canonical_email(mb),
                self.domain_output(&mb.domain, transform)?,
            ),
            None => (text.to_string(), None),
        };
        let hash = salted_hash(&canonical, keys.salt());
        let reversible = if include_reversible {
            let bytes = reversible_bytes(keys, &hash, text)
                .ok_or(PseudonymError::NoEncryptionKey { transform })?;
            Some(encode(REVERSIBLE_PREFIX, &bytes, domain.as_deref()))
        } else {
            None
        };
        Ok(Some(PseudonymizedIdentity {
            domain,
            hash: b64url(&hash),
            original: include_original.then(|| text.to_string()),
            reversible,
        }))
    }

    /// The `URL_SAFE_TOKEN` form of [`Self::identity_of`] without original or reversible part
    /// (`t~<hash>[@domain]`), or with `hash_only` the bare hash (`URL_SAFE_HASH_ONLY`): the same
    /// text as building the identity and encoding it, written into one string. The parts of a
    /// plain address are borrowed from `text` and its canonical form is hashed from the stack.
    /// `None` for a blank string.
    pub(crate) fn token_of(
        &self,
        text: &str,
        may_be_email: bool,
        hash_only: bool,
        transform: &'static str,
    ) -> Result<Option<String>, PseudonymError> {
        if super::java::is_blank(text) {
            return Ok(None);
        }
        let general;
        let parts = if may_be_email {
            match plain_address_parts(text) {
                Some(parts) => Some(parts),
                None => {
                    general = parse_mailbox_general(text);
                    general
                        .as_ref()
                        .map(|mb| (mb.local.as_str(), mb.domain.as_str()))
                }
            }
        } else {
            None
        };
        let hash = match parts {
            Some((local, domain)) => self.canonical_email_hash(local, domain),
            None => salted_hash(text, self.keys.salt()),
        };
        if hash_only {
            return Ok(Some(b64url(&hash)));
        }
        let domain = parts.map(|(_, domain)| domain);
        let mut out = String::with_capacity(
            HASH_PREFIX.len() + B64_HASH_LEN + domain.map_or(0, |d| 1 + d.len()),
        );
        out.push_str(HASH_PREFIX);
        b64url_into(&hash, &mut out);
        if let Some(domain) = domain {
            match self.email_domain_handling {
                EmailDomainHandling::Preserve => {
                    out.push('@');
                    out.push_str(domain);
                }
                EmailDomainHandling::Redact => {}
                EmailDomainHandling::Hash | EmailDomainHandling::Encrypt => {
                    if let Some(d) = self.domain_output(domain, transform)? {
                        out.push('@');
                        out.push_str(&d);
                    }
                }
            }
        }
        Ok(Some(out))
    }

    /// `salted_hash(canonical_email(local@domain))`, with an ASCII canonical form of up to
    /// 128 bytes built on the stack.
    fn canonical_email_hash(&self, local: &str, domain: &str) -> [u8; HASH_LEN] {
        let mut buf = [0u8; 128];
        if local.is_ascii() && domain.is_ascii() && local.len() + 1 + domain.len() <= buf.len() {
            let ignore_dots = self.email_canonicalization == EmailCanonicalization::IgnoreDots;
            let mut n = 0;
            for b in local.bytes() {
                match b {
                    b'+' => break,
                    b'.' if ignore_dots => {}
                    b => {
                        buf[n] = b.to_ascii_lowercase();
                        n += 1;
                    }
                }
            }
            buf[n] = b'@';
            n += 1;
            for b in domain.bytes() {
                buf[n] = b.to_ascii_lowercase();
                n += 1;
            }
            return salted_hash_bytes(&buf[..n], self.keys.salt());
        }
        let mb = Mailbox {
            personal: None,
            local: local.to_owned(),
            domain: domain.to_owned(),
        };
        salted_hash(&self.canonical_email(&mb), self.keys.salt())
    }

    /// `local` lowercased, cut at the first `+`, dots removed with `IGNORE_DOTS`, then `@` and
    /// the lowercased domain.
    pub(super) fn canonical_email(&self, mb: &Mailbox) -> String {
        if !(mb.local.is_ascii() && mb.domain.is_ascii()) {
            return self.canonical_email_general(mb);
        }
        // ASCII: lowercasing is per byte, so the whole form is written in one pass.
        let ignore_dots = self.email_canonicalization == EmailCanonicalization::IgnoreDots;
        let mut out = String::with_capacity(mb.local.len() + 1 + mb.domain.len());
        for c in mb.local.chars() {
            match c {
                '+' => break,
                '.' if ignore_dots => {}
                c => out.push(c.to_ascii_lowercase()),
            }
        }
        out.push('@');
        out.extend(mb.domain.chars().map(|c| c.to_ascii_lowercase()));
        out
    }

    /// [`Self::canonical_email`] for any text (Unicode lowercasing).
    fn canonical_email_general(&self, mb: &Mailbox) -> String {
        let lower = mb.local.to_lowercase();
        let mut local = lower
            .split_once('+')
            .map_or(lower.as_str(), |(l, _)| l)
            .to_string();
        if self.email_canonicalization == EmailCanonicalization::IgnoreDots {
            local.retain(|c| c != '.');
        }
        format!("{local}@{}", mb.domain.to_lowercase())
    }

    /// The domain as it appears in the output, per [`EmailDomainHandling`].
    fn domain_output(
        &self,
        domain: &str,
        transform: &'static str,
    ) -> Result<Option<String>, PseudonymError> {
        let keys: &Keys = &self.keys;
        Ok(match self.email_domain_handling {
            EmailDomainHandling::Preserve => Some(domain.to_string()),
            EmailDomainHandling::Redact => None,
            EmailDomainHandling::Hash => Some(encode(
                HASHED_DOMAIN_PREFIX,
                &salted_hash(domain, keys.salt()),
                None,
            )),
            EmailDomainHandling::Encrypt => {
                let hash = salted_hash(domain, keys.salt());
                let bytes = reversible_bytes(keys, &hash, domain)
                    .ok_or(PseudonymError::NoEncryptionKey { transform })?;
                Some(encode(ENCRYPTED_DOMAIN_PREFIX, &bytes, None))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One pseudonymizer per domain handling and canonicalization (built once: key derivation
    /// is slow).
    static CONFIGURED: std::sync::LazyLock<Vec<Pseudonymizer>> = std::sync::LazyLock::new(|| {
        let mut out = Vec::new();
        for handling in [
            EmailDomainHandling::Preserve,
            EmailDomainHandling::Redact,
            EmailDomainHandling::Hash,
            EmailDomainHandling::Encrypt,
        ] {
            for c in [
                EmailCanonicalization::Strict,
                EmailCanonicalization::IgnoreDots,
            ] {
                out.push(
                    Pseudonymizer::builder("salt")
                        .encryption_key("secret")
                        .email_canonicalization(c)
                        .email_domain_handling(handling)
                        .build()
                        .unwrap(),
                );
            }
        }
        out
    });

    proptest! {
        #[test]
        fn canonical_email_agrees_with_the_general_form(
            local in "[a-zA-Z0-9.+_'é\"()\\\\ -]{0,10}",
            domain in "[a-zA-Z0-9.-]{0,10}",
            ignore_dots in any::<bool>(),
        ) {
            let c = if ignore_dots {
                EmailCanonicalization::IgnoreDots
            } else {
                EmailCanonicalization::Strict
            };
            let p = Pseudonymizer::builder("salt").email_canonicalization(c).build().unwrap();
            let mb = Mailbox { personal: None, local, domain };
            prop_assert_eq!(p.canonical_email(&mb), p.canonical_email_general(&mb));
        }

        #[test]
        fn tokens_written_directly_equal_the_identity_encoded(
            text in prop_oneof![
                "[a-zA-Z0-9.+_'\\-]{1,8}@[a-zA-Z0-9-]{1,6}\\.[a-zA-Z]{2,4}",
                "\"[a-zA-Z ]{0,6}\" <[a-zA-Z0-9.+é]{1,8}@[a-zA-Z0-9.-]{1,8}\\.[a-z]{2,3}>",
                "[0-9]{1,22}",
                "[ a-zA-Z0-9.@<>()\"+é\t-]{0,16}",
                "[a-zA-Z0-9.+_-]{60,80}@[a-z]{60,70}\\.com",
            ],
            may_be_email in any::<bool>(),
            ignore_dots in any::<bool>(),
            domains in 0usize..4,
        ) {
            let p = &CONFIGURED[domains * 2 + usize::from(ignore_dots)];
            let id = p.identity_of(&text, may_be_email, false, false, "t").unwrap();
            prop_assert_eq!(
                p.token_of(&text, may_be_email, false, "t").unwrap(),
                id.as_ref().map(PseudonymizedIdentity::to_token)
            );
            prop_assert_eq!(
                p.token_of(&text, may_be_email, true, "t").unwrap(),
                id.map(|id| id.hash)
            );
        }
    }
}
