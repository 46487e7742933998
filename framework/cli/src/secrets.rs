//! The salt and key flags shared by `sanitize` and `conformance`, resolved with the runtime's
//! one configuration path (flag, then `SLUICE_*`, then psoxy's variable names).

use anyhow::Result;
use sluice::config::{ProcessEnv, PseudonymSettings};

/// Salt and key flags.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SecretArgs {
    /// Pseudonymization salt [env: SLUICE_SALT, or PSOXY_SALT].
    #[arg(long)]
    salt: Option<String>,
    /// Encryption key for reversible tokens [env: SLUICE_ENCRYPTION_KEY, or PSOXY_ENCRYPTION_KEY].
    #[arg(long)]
    key: Option<String>,
}

impl SecretArgs {
    /// The pseudonymization settings these flags and the environment give.
    pub(crate) fn resolve(&self) -> Result<PseudonymSettings> {
        Ok(PseudonymSettings::resolve(
            &ProcessEnv,
            self.salt.clone(),
            self.key.clone(),
        )?)
    }
}
