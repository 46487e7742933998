//! Loading what `sluice sanitize` and `sluice conformance` run: a psoxy rules file or a connector
//! spec, on the runtime's [`Engine`] — the same policy and sanitizer the proxy uses.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use sluice::engine::Engine;
use sluice::pseudonym::Pseudonymizer;
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

/// Loads `rules` (a psoxy rules file or a connector spec) onto an engine.
pub(crate) fn load(rules: &Path, pseudonymizer: Arc<Pseudonymizer>) -> Result<Engine<Loaded>> {
    let loaded = match load_document(rules) {
        Ok(Document::Rules(rules)) => Loaded::Rules(RulesOnly(rules)),
        Ok(Document::Connector(spec)) => Loaded::Connector(Box::new(LoadedConnector::new(*spec))),
        Err(errors) => bail!("{errors}"),
    };
    Ok(Engine::new(loaded, pseudonymizer))
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
