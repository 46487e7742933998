//! The connector spec: one YAML file per upstream API naming the upstream, how to authenticate to
//! it, where async results and side outputs go, and which psoxy-format rules apply.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::destination::Destination;
use crate::duration::SpecDuration;
use crate::located::Located;
use crate::rules::Rules;

/// A connector spec: everything sluice needs to build and run one sanitizing proxy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "sluice connector spec",
    example = example_spec()
)]
pub struct ConnectorSpec {
    /// The connector's name, `[a-z0-9-]+`. The generated crate is `sluice-connector-<name>` and its
    /// binary `<name>-proxy`.
    #[schemars(regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"), example = &"github")]
    pub name: Located<String>,

    /// What the connector is for, in a sentence; shown in generated docs and `--help`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"GitHub REST API: org members, repos, issues")]
    pub description: Option<String>,

    /// The upstream host callers' requests are forwarded to (no scheme, optional port).
    /// `--upstream URL` or `SLUICE_UPSTREAM` override it at run time (for tests and mirrors).
    #[schemars(example = &"api.github.com")]
    pub target_host: Located<String>,

    /// How the proxy authenticates to the upstream. Absent means `{ kind: none }`.
    #[serde(default, skip_serializing_if = "SourceAuth::is_none")]
    pub source_auth: SourceAuth,

    /// Whether callers may ask for asynchronous processing with `Prefer: respond-async`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(example = true)]
    pub enable_async_processing: bool,

    /// Where async results are written. `ASYNC_OUTPUT_DESTINATION` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub async_output_destination: Option<Located<Destination>>,

    /// How async results are handed back, and how long they are kept.
    #[serde(
        rename = "async",
        default,
        skip_serializing_if = "AsyncSettings::is_default"
    )]
    #[schemars(example = serde_json::json!({"location": "proxy", "retention": "24h"}))]
    pub async_settings: AsyncSettings,

    /// Extra copies of responses (original and/or sanitized) written to buckets, for every
    /// proxied request, sync and async alike. `SIDE_OUTPUT_ORIGINAL` / `SIDE_OUTPUT_SANITIZED`
    /// override them per deployment (a destination, or `none`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = serde_json::json!([{"content": "sanitized", "destination": "file://./var/side/sanitized"}]))]
    pub side_outputs: Vec<SideOutput>,

    /// A psoxy-format rules file, relative to this spec's directory. Exactly one of `rules_file`
    /// and `rules` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"rules/github.yaml")]
    pub rules_file: Option<Located<String>>,

    /// The rules, inline, in psoxy's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"endpoints": [{"pathTemplate": "/users/{user}", "transforms": [{"method": "redact", "jsonPaths": ["$.bio"]}]}]}))]
    pub rules: Option<Rules>,
}

/// How the proxy authenticates to the upstream. Secrets are never in the spec: each is named by
/// an environment variable (`*_env`) or a file (`*_file`) read at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceAuth {
    /// No upstream credentials. (A struct variant, so that unknown keys beside `kind: none` are
    /// refused like anywhere else.)
    None {},
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// Environment variable holding the token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(example = &"GITHUB_TOKEN")]
        token_env: Option<String>,
        /// File holding the token (trailing newline trimmed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(example = &"/run/secrets/github-token")]
        token_file: Option<String>,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// Environment variable holding the user name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(example = &"JIRA_EMAIL")]
        username_env: Option<String>,
        /// File holding the user name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(example = &"/run/secrets/jira-email")]
        username_file: Option<String>,
        /// Environment variable holding the password or API token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(example = &"JIRA_API_TOKEN")]
        password_env: Option<String>,
        /// File holding the password or API token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(example = &"/run/secrets/jira-api-token")]
        password_file: Option<String>,
    },
    /// An API key in a request header of the upstream's choosing.
    ApiKeyHeader {
        /// The header name, such as `X-Api-Key`.
        #[schemars(example = &"X-Api-Key")]
        header: String,
        /// Environment variable holding the key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(example = &"UPSTREAM_API_KEY")]
        key_env: Option<String>,
        /// File holding the key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(example = &"/run/secrets/api-key")]
        key_file: Option<String>,
    },
    /// OAuth 2.0 client-credentials grant; the access token is cached and refreshed before expiry.
    Oauth2ClientCredentials {
        /// Token endpoint; `${VAR}` is replaced from the environment at start-up.
        #[schemars(example = &"https://login.microsoftonline.com/${MSFT_TENANT_ID}/oauth2/v2.0/token")]
        token_url: String,
        /// Environment variable holding the client id.
        #[schemars(example = &"CLIENT_ID")]
        client_id_env: String,
        /// Environment variable holding the client secret.
        #[schemars(example = &"CLIENT_SECRET")]
        client_secret_env: String,
        /// Scopes to request.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[schemars(example = vec!["https://graph.microsoft.com/.default"])]
        scopes: Vec<String>,
    },
    /// OAuth 2.0 refresh-token grant; the access token is cached and refreshed before expiry.
    Oauth2RefreshToken {
        /// Token endpoint; `${VAR}` is replaced from the environment at start-up.
        #[schemars(example = &"https://login.microsoftonline.com/${MSFT_TENANT_ID}/oauth2/v2.0/token")]
        token_url: String,
        /// Environment variable holding the client id.
        #[schemars(example = &"CLIENT_ID")]
        client_id_env: String,
        /// Environment variable holding the client secret.
        #[schemars(example = &"CLIENT_SECRET")]
        client_secret_env: String,
        /// Environment variable holding the refresh token.
        #[schemars(example = &"REFRESH_TOKEN")]
        refresh_token_env: String,
        /// Scopes to request.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[schemars(example = vec!["https://graph.microsoft.com/.default"])]
        scopes: Vec<String>,
    },
}

impl Default for SourceAuth {
    fn default() -> Self {
        Self::None {}
    }
}

impl SourceAuth {
    fn is_none(&self) -> bool {
        matches!(self, Self::None {})
    }
}

/// Async result settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AsyncSettings {
    /// How the caller reaches a finished result.
    #[serde(default)]
    pub location: ResultLocation,
    /// How long job records and results are kept.
    #[serde(default = "default_retention")]
    pub retention: SpecDuration,
    /// Endpoints that answer only asynchronously, each named by its `pathTemplate` (or
    /// `pathRegex`) exactly as the rules write it. A call to one without
    /// `Prefer: respond-async` gets a 400 problem telling the caller to resend with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = vec!["/repos/{owner}/{repo}/issues"])]
    pub required: Vec<Located<String>>,
}

impl Default for AsyncSettings {
    fn default() -> Self {
        Self {
            location: ResultLocation::default(),
            retention: default_retention(),
            required: Vec::new(),
        }
    }
}

impl AsyncSettings {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

fn default_retention() -> SpecDuration {
    SpecDuration::parse("24h").expect("the default retention parses")
}

/// How a finished async result is handed to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultLocation {
    /// The proxy serves the result from the bucket at `/_sluice/jobs/{id}/result`.
    #[default]
    Proxy,
    /// The status monitor redirects to a presigned https URL of the result object.
    Presigned,
    /// The Location is the original request URL; repeating the request returns the stored result.
    Echo,
}

/// One side output: a copy of every response written to a bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SideOutput {
    /// Which body to write: the upstream's `original` or the `sanitized` one.
    pub content: SideOutputContent,
    /// Where to write it; keys are `<prefix>/<yyyymmdd>/<request-id>`.
    pub destination: Located<Destination>,
    /// When true, a failed write fails the caller's request; otherwise it only warns.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(example = false)]
    pub required: bool,
    /// Gzip the object before writing it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(example = true)]
    pub gzip: bool,
}

/// Which response body a side output records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SideOutputContent {
    /// The upstream's response, before sanitizing. Holds personal data: protect the bucket.
    Original,
    /// The response as the caller receives it.
    Sanitized,
}

/// The example shown at the top of the connector schema.
fn example_spec() -> serde_json::Value {
    serde_json::json!({
        "name": "github",
        "description": "GitHub REST API: org members, repos, issues",
        "target_host": "api.github.com",
        "source_auth": { "kind": "bearer", "token_env": "GITHUB_TOKEN" },
        "enable_async_processing": true,
        "async_output_destination": "file://./var/github/async",
        "async": { "location": "proxy", "retention": "24h" },
        "side_outputs": [
            { "content": "sanitized", "destination": "s3://acme-sluice/github/sanitized/" }
        ],
        "rules_file": "rules/github.yaml"
    })
}
