//! Where the CLI gets the salt and encryption key: a flag, else `SLUICE_SALT` /
//! `SLUICE_ENCRYPTION_KEY`, else psoxy's `PSOXY_SALT` / `PSOXY_ENCRYPTION_KEY`. The one place the
//! CLI reads the environment.

use anyhow::{Result, bail};

/// Salt and key flags shared by `sanitize` and `conformance`.
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
    /// The salt (required) and the key (optional).
    pub(crate) fn resolve(&self) -> Result<(String, Option<String>)> {
        let env = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        };
        let Some(salt) = self
            .salt
            .clone()
            .or_else(|| env(["SLUICE_SALT", "PSOXY_SALT"]))
        else {
            bail!("no salt: pass --salt or set SLUICE_SALT (PSOXY_SALT is read too)");
        };
        let key = self
            .key
            .clone()
            .or_else(|| env(["SLUICE_ENCRYPTION_KEY", "PSOXY_ENCRYPTION_KEY"]));
        Ok((salt, key))
    }
}
