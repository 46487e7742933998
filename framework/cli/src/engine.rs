//! Loading what `sluice sanitize` and `sluice conformance` run: a psoxy rules file or a connector
//! spec, on the runtime's [`Engine`] — the same policy and sanitizer the proxy uses.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use sluice::config::PseudonymSettings;
use sluice::engine::Engine;
use sluice::{LoadedConnector, Routing, RulesOnly};
use sluice_spec::{Document, load_document};

/// Either kind of file, as something the engine can route.
pub(crate) enum Loaded {
    /// A bare rules file.
    Rules(RulesOnly),
    /// A connector spec.
    Connector(Box<LoadedConnector>),
}

impl Routing for Loaded {
    fn rules(&self) -> &sluice_spec::Rules {
        match self {
            Self::Rules(r) => r.rules(),
            Self::Connector(c) => c.rules(),
        }
    }
}

/// Loads `rules` (a psoxy rules file or a connector spec) onto an engine with the keys of
/// `settings`; rules that issue reversible tokens without the key they need are refused here,
/// as the proxy refuses to start with them.
pub(crate) fn load(rules: &Path, settings: &PseudonymSettings) -> Result<Engine<Loaded>> {
    let (loaded, source) = match load_document(rules) {
        Ok(Document::Rules(parsed)) => (
            Loaded::Rules(RulesOnly(parsed)),
            rules.display().to_string(),
        ),
        Ok(Document::Connector(spec)) => {
            let source = spec
                .rules_path
                .as_deref()
                .unwrap_or(rules)
                .display()
                .to_string();
            (
                Loaded::Connector(Box::new(LoadedConnector::new(*spec))),
                source,
            )
        }
        Err(errors) => bail!("{errors}"),
    };
    settings.check_keys_for(loaded.rules(), &source)?;
    Ok(Engine::new(loaded, Arc::new(settings.pseudonymizer()?)))
}

/// The raw path and query of a URL or of a `/path?query` reference.
pub(crate) fn split_url(url: &str) -> Result<(String, Option<String>)> {
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
