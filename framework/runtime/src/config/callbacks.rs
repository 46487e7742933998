//! Callback delivery's settings: the signing secret (`SLUICE_WEBHOOK_SECRET`), retries, the
//! networks callbacks may reach, and the per-attempt timeout. The sender itself is
//! [`crate::callback`]; it signs with [`WebhookSecret`] and guards with the networks read here.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use ipnet::IpNet;
use std::net::IpAddr;

use super::{ConfigProblem, Env};

/// The variable that allowlists networks; named in every refusal.
pub(crate) const ALLOW_VARIABLE: &str = "SLUICE_CALLBACK_ALLOW_NETWORKS";

/// The prefix Standard Webhooks puts before a symmetric secret.
const PREFIX: &str = "whsec_";
/// The spec asks for at least 24 random bytes and allows at most 64.
const MIN_KEY: usize = 24;
const MAX_KEY: usize = 64;

/// How callbacks are sent.
#[derive(Debug, Clone)]
pub struct CallbackSettings {
    /// The signing secret (`SLUICE_WEBHOOK_SECRET`, `whsec_<base64>`); `None` sends unsigned.
    pub secret: Option<WebhookSecret>,
    /// The wait before the first retry (`SLUICE_CALLBACK_BACKOFF`, default 5 s); later waits
    /// double from it.
    pub first_delay: Duration,
    /// The most attempts per message, the first included (`SLUICE_CALLBACK_ATTEMPTS`, default 8,
    /// at least 1).
    pub max_attempts: u32,
    /// Networks callbacks may reach although they are not public (`SLUICE_CALLBACK_ALLOW_NETWORKS`,
    /// comma-separated CIDRs).
    pub allow_networks: Vec<ipnet::IpNet>,
    /// How long one attempt may take, connecting included (`SLUICE_CALLBACK_TIMEOUT`, default
    /// 10 s).
    pub timeout: Duration,
}

impl Default for CallbackSettings {
    fn default() -> Self {
        Self {
            secret: None,
            first_delay: Duration::from_secs(5),
            max_attempts: 8,
            allow_networks: Vec::new(),
            timeout: Duration::from_secs(10),
        }
    }
}

impl CallbackSettings {
    /// Reads `SLUICE_WEBHOOK_SECRET`, `SLUICE_CALLBACK_BACKOFF`, `SLUICE_CALLBACK_ATTEMPTS`,
    /// `SLUICE_CALLBACK_ALLOW_NETWORKS` and `SLUICE_CALLBACK_TIMEOUT`; unset ones keep their
    /// defaults. Errors name the variable and what it expects.
    pub fn resolve(env: &impl Env) -> Result<Self, ConfigProblem> {
        let defaults = Self::default();
        let secret = env
            .var("SLUICE_WEBHOOK_SECRET")
            .map(|text| WebhookSecret::parse(&text))
            .transpose()
            .map_err(|e| ConfigProblem(e.to_string()))?;
        let duration = |var: &str, default: Duration| match env.var(var) {
            None => Ok(default),
            Some(text) => sluice_spec::duration::SpecDuration::parse(&text)
                .map(|d| d.get())
                .map_err(|e| ConfigProblem(format!("{var}: {e}"))),
        };
        let first_delay = duration("SLUICE_CALLBACK_BACKOFF", defaults.first_delay)?;
        let timeout = duration("SLUICE_CALLBACK_TIMEOUT", defaults.timeout)?;
        let max_attempts = match env.var("SLUICE_CALLBACK_ATTEMPTS") {
            None => defaults.max_attempts,
            Some(text) => text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    ConfigProblem(format!(
                        "SLUICE_CALLBACK_ATTEMPTS={text}: expected a whole number of attempts, 1 \
                         or more (the default is {})",
                        defaults.max_attempts
                    ))
                })?,
        };
        let allow_networks = env
            .var(ALLOW_VARIABLE)
            .map(|text| parse_allow_networks(&text))
            .transpose()
            .map_err(ConfigProblem)?
            .unwrap_or_default();
        Ok(Self {
            secret,
            first_delay,
            max_attempts,
            allow_networks,
            timeout,
        })
    }
}

/// A symmetric signing secret. Its `Debug` form never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSecret(<{} bytes, redacted>)", self.key.len())
    }
}

/// Why `SLUICE_WEBHOOK_SECRET` cannot be used. The message never repeats the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "SLUICE_WEBHOOK_SECRET {problem}; expected `whsec_` followed by the base64 of a random key of \
     {MIN_KEY} to {MAX_KEY} bytes (Standard Webhooks), like whsec_ and the output of \
     `openssl rand -base64 32`"
)]
pub struct SecretError {
    problem: String,
}

impl WebhookSecret {
    /// Parses `whsec_<base64>`; the key is the decoded part.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let fail = |problem: String| SecretError { problem };
        let encoded = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(|| fail("does not start with `whsec_`".into()))?;
        let key = STANDARD_PAD_INDIFFERENT
            .decode(encoded)
            .map_err(|e| fail(format!("is not base64 after `whsec_` ({e})")))?;
        if !(MIN_KEY..=MAX_KEY).contains(&key.len()) {
            return Err(fail(format!("holds a key of {} bytes", key.len())));
        }
        Ok(Self { key })
    }

    /// The secret for a raw `key` (tests and tools that generate keys).
    pub fn from_key(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// The secret in its `whsec_` form, to hand to a receiver.
    pub fn to_whsec(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.key))
    }

    /// The raw key, for signing.
    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }
}

/// Parses `SLUICE_CALLBACK_ALLOW_NETWORKS`: comma-separated CIDRs; a bare address stands for
/// itself alone.
pub(crate) fn parse_allow_networks(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "{ALLOW_VARIABLE}: `{entry}` is not a network; expected comma-separated \
                         CIDRs like 10.20.0.0/16,fd00:1::/64 (a bare address means just itself)"
                    )
                })
        })
        .collect()
}
