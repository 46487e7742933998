//! The offline sanitizing engine shared by `sluice sanitize` and `sluice conformance`: the same
//! request policy and sanitizer the proxy runs, applied to a request line and a response body.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use sluice::policy::RequestPolicy;
use sluice::problem::Problem;
use sluice::pseudonym::{EmailCanonicalization, EmailDomainHandling, Pseudonymizer};
use sluice::sanitize::{SanitizeError, Sanitizer};
use sluice_spec::{Document, load_document};

/// A rules file (or connector spec) compiled for offline runs.
pub(crate) struct Engine {
    policy: RequestPolicy,
    sanitizer: Sanitizer,
}

/// What a proxy would have done with one exchange.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The sanitized response body.
    Sanitized(Vec<u8>),
    /// The request was refused with this problem.
    Refused(Problem),
    /// The response could not be sanitized (the proxy would answer 502).
    Failed(SanitizeError),
}

impl Engine {
    /// Loads `rules` (a psoxy rules file or a connector spec) for `pseudonymizer`.
    pub(crate) fn load(rules: &Path, pseudonymizer: Arc<Pseudonymizer>) -> Result<Self> {
        let rules = match load_document(rules) {
            Ok(Document::Rules(rules)) => rules,
            Ok(Document::Connector(spec)) => spec.rules,
            Err(errors) => bail!("{errors}"),
        };
        Ok(Self {
            policy: RequestPolicy::new(&rules),
            sanitizer: Sanitizer::new(&rules, pseudonymizer),
        })
    }

    /// Runs `method url` with `body` as the upstream's response. `url` may be absolute
    /// (`https://api.github.com/orgs/acme/members?per_page=5`) or a path with a query.
    pub(crate) fn run(&self, method: &str, url: &str, body: &[u8]) -> Result<Outcome> {
        let (path, query) = split_url(url)?;
        let allowed = match self.policy.check(method, &path, query.as_deref()) {
            Ok(allowed) => allowed,
            Err(problem) => return Ok(Outcome::Refused(problem)),
        };
        Ok(match self.sanitizer.sanitize(allowed.endpoint, body) {
            Ok(out) => Outcome::Sanitized(out),
            Err(e) => Outcome::Failed(e),
        })
    }
}

/// The raw path and query of a URL or of a `/path?query` reference.
fn split_url(url: &str) -> Result<(String, Option<String>)> {
    if url.starts_with('/') {
        let (path, query) = url
            .split_once('?')
            .map_or((url, None), |(p, q)| (p, Some(q)));
        return Ok((path.to_owned(), query.map(str::to_owned)));
    }
    let parsed = url::Url::parse(url).with_context(|| {
        format!("`{url}` is neither an absolute URL nor a path starting with `/`")
    })?;
    Ok((parsed.path().to_owned(), parsed.query().map(str::to_owned)))
}

/// Builds the pseudonymizer from the salt, optional key and email options.
pub(crate) fn pseudonymizer(
    salt: &str,
    key: Option<&str>,
    domain: EmailDomainHandling,
    canonicalization: EmailCanonicalization,
) -> Result<Arc<Pseudonymizer>> {
    let mut builder = Pseudonymizer::builder(salt)
        .email_domain_handling(domain)
        .email_canonicalization(canonicalization);
    if let Some(key) = key {
        builder = builder.encryption_key(key);
    }
    Ok(Arc::new(
        builder
            .build()
            .context("invalid pseudonymization settings")?,
    ))
}
