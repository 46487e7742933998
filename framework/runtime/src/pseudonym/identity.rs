//! The identity computation: canonical form, salted hash, domain, and the optional reversible
//! token, plus psoxy's JSON form of the result (`PseudonymizedIdentity`).

use serde::Serialize;

use super::email::{Mailbox, parse_mailbox};
use super::hash::{b64url, salted_hash};
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

    /// `local` lowercased, cut at the first `+`, dots removed with `IGNORE_DOTS`, then `@` and
    /// the lowercased domain.
    fn canonical_email(&self, mb: &Mailbox) -> String {
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
    }
}
