//! Configuration, resolved once and in one place: the spec's settings, then the environment,
//! then command-line flags, into typed structs. Nothing else in sluice reads environment
//! variables.
//!
//! sluice reads its own names first and psoxy's as a fallback, so a psoxy deployment's
//! environment works unchanged.

use std::collections::HashMap;

use crate::pseudonym::{ConfigError, EmailCanonicalization, EmailDomainHandling, Pseudonymizer};

/// Where settings come from besides flags: the process environment, or a map in tests.
pub trait Env {
    /// The value of `name`, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;

    /// The first of `names` that is set.
    fn first(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.var(n))
    }
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// No salt anywhere: the proxy refuses to start without one.
    #[error(
        "no pseudonymization salt: set SLUICE_SALT (or psoxy's PSOXY_SALT), or pass --salt; \
         it must stay the same for pseudonyms to stay stable"
    )]
    NoSalt,
    /// A setting has a value outside its choices.
    #[error("{name}={value} is not valid; expected one of: {expected}")]
    Invalid {
        /// The variable or flag.
        name: &'static str,
        /// The value given.
        value: String,
        /// The accepted values.
        expected: &'static str,
    },
    /// The pseudonymizer refused the settings.
    #[error(transparent)]
    Pseudonym(#[from] ConfigError),
}

/// Everything pseudonyms depend on.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymSettings {
    salt: String,
    encryption_key: Option<String>,
    ip_salt: Option<String>,
    ip_encryption_key: Option<String>,
    email_domain_handling: EmailDomainHandling,
    email_canonicalization: EmailCanonicalization,
}

impl std::fmt::Debug for PseudonymSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PseudonymSettings")
            .field("salt", &"<redacted>")
            .field(
                "encryption_key",
                &self.encryption_key.as_ref().map(|_| "<redacted>"),
            )
            .field("email_domain_handling", &self.email_domain_handling)
            .field("email_canonicalization", &self.email_canonicalization)
            .finish_non_exhaustive()
    }
}

impl PseudonymSettings {
    /// Resolves the settings: a flag wins over `SLUICE_*`, which wins over psoxy's names
    /// (`PSOXY_SALT`, `PSOXY_ENCRYPTION_KEY`, `SALT_IP`, `ENCRYPTION_KEY_IP`,
    /// `EMAIL_DOMAIN_HANDLING`, `EMAIL_CANONICALIZATION`).
    pub fn resolve(
        env: &impl Env,
        salt_flag: Option<String>,
        key_flag: Option<String>,
    ) -> Result<Self, SettingsError> {
        let salt = salt_flag
            .or_else(|| env.first(&["SLUICE_SALT", "PSOXY_SALT"]))
            .ok_or(SettingsError::NoSalt)?;
        let encryption_key =
            key_flag.or_else(|| env.first(&["SLUICE_ENCRYPTION_KEY", "PSOXY_ENCRYPTION_KEY"]));
        let email_domain_handling =
            match env.first(&["SLUICE_EMAIL_DOMAIN_HANDLING", "EMAIL_DOMAIN_HANDLING"]) {
                None => EmailDomainHandling::default(),
                Some(v) => match v.to_ascii_uppercase().as_str() {
                    "PRESERVE" => EmailDomainHandling::Preserve,
                    "REDACT" => EmailDomainHandling::Redact,
                    "ENCRYPT" => EmailDomainHandling::Encrypt,
                    "HASH" | "TOKENIZE" => EmailDomainHandling::Hash,
                    _ => {
                        return Err(SettingsError::Invalid {
                            name: "EMAIL_DOMAIN_HANDLING",
                            value: v,
                            expected: "PRESERVE, REDACT, ENCRYPT, HASH",
                        });
                    }
                },
            };
        let email_canonicalization =
            match env.first(&["SLUICE_EMAIL_CANONICALIZATION", "EMAIL_CANONICALIZATION"]) {
                None => EmailCanonicalization::default(),
                Some(v) => match v.to_ascii_uppercase().as_str() {
                    "STRICT" => EmailCanonicalization::Strict,
                    "IGNORE_DOTS" => EmailCanonicalization::IgnoreDots,
                    _ => {
                        return Err(SettingsError::Invalid {
                            name: "EMAIL_CANONICALIZATION",
                            value: v,
                            expected: "STRICT, IGNORE_DOTS",
                        });
                    }
                },
            };
        Ok(Self {
            salt,
            encryption_key,
            ip_salt: env.first(&["SLUICE_IP_SALT", "SALT_IP"]),
            ip_encryption_key: env.first(&["SLUICE_IP_ENCRYPTION_KEY", "ENCRYPTION_KEY_IP"]),
            email_domain_handling,
            email_canonicalization,
        })
    }

    /// The same settings with other email options (conformance rows set them per row).
    pub fn with_email(
        mut self,
        domain: EmailDomainHandling,
        canonicalization: EmailCanonicalization,
    ) -> Self {
        self.email_domain_handling = domain;
        self.email_canonicalization = canonicalization;
        self
    }

    /// Builds the pseudonymizer (derives the keys: slow, do it once).
    pub fn pseudonymizer(&self) -> Result<Pseudonymizer, SettingsError> {
        let mut b = Pseudonymizer::builder(self.salt.clone())
            .email_domain_handling(self.email_domain_handling)
            .email_canonicalization(self.email_canonicalization);
        if let Some(k) = &self.encryption_key {
            b = b.encryption_key(k.clone());
        }
        if let Some(s) = &self.ip_salt {
            b = b.ip_salt(s.clone());
        }
        if let Some(k) = &self.ip_encryption_key {
            b = b.ip_encryption_key(k.clone());
        }
        Ok(b.build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn flags_win_over_sluice_names_which_win_over_psoxy_names() {
        let e = env(&[
            ("SLUICE_SALT", "s1"),
            ("PSOXY_SALT", "s2"),
            ("PSOXY_ENCRYPTION_KEY", "k"),
        ]);
        let s = PseudonymSettings::resolve(&e, None, None).unwrap();
        assert_eq!(
            (s.salt.as_str(), s.encryption_key.as_deref()),
            ("s1", Some("k"))
        );
        let s = PseudonymSettings::resolve(&e, Some("flag".into()), None).unwrap();
        assert_eq!(s.salt, "flag");
    }

    #[test]
    fn no_salt_is_refused_with_what_to_set() {
        let err = PseudonymSettings::resolve(&env(&[]), None, None).unwrap_err();
        assert!(err.to_string().contains("SLUICE_SALT"), "{err}");
        assert!(
            !format!(
                "{:?}",
                PseudonymSettings::resolve(&env(&[("PSOXY_SALT", "hush")]), None, None).unwrap()
            )
            .contains("hush")
        );
    }

    #[test]
    fn bad_choices_name_the_variable_and_the_choices() {
        let err = PseudonymSettings::resolve(
            &env(&[("PSOXY_SALT", "s"), ("EMAIL_DOMAIN_HANDLING", "drop")]),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "EMAIL_DOMAIN_HANDLING=drop is not valid; expected one of: PRESERVE, REDACT, ENCRYPT, HASH"
        );
    }
}
