//! What a connector is to the runtime: its spec, its rules, and how a request finds its
//! endpoint. Generated connectors implement [`Connector`] with a router compiled from their
//! path templates; [`LoadedConnector`] implements it for a spec read at run time
//! (`sluice serve --spec`). Both go through the same [`RequestPolicy`] and sanitizer, so they
//! behave the same.
//!
//! [`Hooks`] is where a team wraps a generated connector with its own code, one method per
//! phase of a request's life, each with a default that does nothing.

use std::path::Path;

use sha2::{Digest, Sha256};
use sluice_spec::{ConnectorSpec, Diagnostics, LoadedSpec, Rules};

use crate::policy::{Allowed, RequestPolicy};
use crate::problem::Problem;

/// Rules and how a request finds its endpoint in them: all an offline dry run needs.
pub trait Routing: Send + Sync + 'static {
    /// The rules, in psoxy's model.
    fn rules(&self) -> &Rules;

    /// Finds the endpoint for a request (raw path and query) and checks it against the rules.
    /// Generated connectors match paths with compiled code; the default asks the policy.
    fn route<'p>(
        &self,
        policy: &'p RequestPolicy,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Result<Allowed<'p>, Problem> {
        policy.check(method, path, query)
    }
}

/// A connector: routing plus its spec.
pub trait Connector: Routing {
    /// The connector spec (identity, upstream, auth, async and output settings).
    fn spec(&self) -> &ConnectorSpec;

    /// SHA-256 (hex) of the rules' source text; identifies the rules in outputs and logs.
    fn rules_sha256(&self) -> &str;
}

/// Bare psoxy rules (no connector spec), for dry runs such as `sluice sanitize --rules`.
#[derive(Debug, Clone)]
pub struct RulesOnly(pub Rules);

impl Routing for RulesOnly {
    fn rules(&self) -> &Rules {
        &self.0
    }
}

/// A connector whose spec was loaded at run time.
#[derive(Debug, Clone)]
pub struct LoadedConnector {
    loaded: LoadedSpec,
    rules_sha256: String,
}

impl LoadedConnector {
    /// Loads and validates the spec at `path` (and its rules file).
    pub fn load(path: &Path) -> Result<Self, Diagnostics> {
        sluice_spec::load_spec(path).map(Self::new)
    }

    /// Wraps an already loaded spec.
    pub fn new(loaded: LoadedSpec) -> Self {
        let rules_sha256 = sha256_hex(loaded.rules_source.as_bytes());
        Self {
            loaded,
            rules_sha256,
        }
    }
}

impl Routing for LoadedConnector {
    fn rules(&self) -> &Rules {
        &self.loaded.rules
    }
}

impl Connector for LoadedConnector {
    fn spec(&self) -> &ConnectorSpec {
        &self.loaded.spec
    }

    fn rules_sha256(&self) -> &str {
        &self.rules_sha256
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The request as the proxy is about to send it upstream; hooks may change it.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    /// The endpoint's index in the rules.
    pub endpoint: usize,
    /// HTTP method.
    pub method: http::Method,
    /// Path and query, tokens decrypted.
    pub path_and_query: String,
    /// Headers that will be sent (only those the rules allow, plus upstream auth).
    pub headers: http::HeaderMap,
}

/// The upstream's response before sanitizing; hooks may inspect or change it.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    /// The endpoint's index in the rules.
    pub endpoint: usize,
    /// Upstream status.
    pub status: http::StatusCode,
    /// Upstream headers.
    pub headers: http::HeaderMap,
    /// Upstream body, decompressed.
    pub body: Vec<u8>,
}

/// The response about to go to the caller, already sanitized; hooks may change it.
#[derive(Debug, Clone)]
pub struct CallerResponse {
    /// The endpoint's index in the rules.
    pub endpoint: usize,
    /// Status sent to the caller.
    pub status: http::StatusCode,
    /// Headers sent to the caller.
    pub headers: http::HeaderMap,
    /// The sanitized body.
    pub body: Vec<u8>,
}

/// A team's own code around a connector's phases. Every method defaults to doing nothing; an
/// error becomes the caller's response instead.
pub trait Hooks: Send + Sync + 'static {
    /// Before the request goes upstream (after the rules allowed it).
    fn before_upstream(&self, request: &mut UpstreamRequest) -> Result<(), Problem> {
        let _ = request;
        Ok(())
    }

    /// After the upstream answered, before sanitizing.
    fn after_upstream(&self, response: &mut UpstreamResponse) -> Result<(), Problem> {
        let _ = response;
        Ok(())
    }

    /// After sanitizing, before the response goes to the caller (and to side outputs).
    fn before_respond(&self, response: &mut CallerResponse) -> Result<(), Problem> {
        let _ = response;
        Ok(())
    }
}

/// Hooks that do nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {}
