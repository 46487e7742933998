//! psoxy-format rules: the endpoints a proxy allows and how each response is sanitized.
//!
//! Field names are psoxy's (camelCase), so a psoxy rules file loads unchanged. Where DESIGN.md
//! uses a shorter name (`allowedRequestHeaders`), it is accepted as an alias.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::augment::Augment;
use crate::located::Located;
use crate::param::ParameterSchema;
use crate::response_schema::ResponseSchema;
use crate::transform::Transform;

/// A psoxy rules file (psoxy's `Rules2`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rules {
    /// Scope given to identifiers from this source that are not email addresses (psoxy's
    /// `defaultScopeIdForSource`); kept for compatibility, it does not change pseudonyms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"github")]
    pub default_scope_id_for_source: Option<String>,

    /// When true, requests to paths no endpoint matches are forwarded and returned unsanitized.
    /// psoxy allows it for development; sluice refuses to load such rules in a proxy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(example = false)]
    pub allow_all_endpoints: bool,

    /// Request headers forwarded to the upstream for every endpoint, besides each endpoint's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = vec!["Accept"])]
    pub allowed_request_headers: Vec<String>,

    /// Response headers passed back to the caller for every endpoint without its own list
    /// (sluice's own field; psoxy has none). When present, it replaces sluice's default list
    /// (`Content-Type`, `Cache-Control`, `ETag`, `Link`, `Expires`, `Last-Modified`,
    /// `Retry-After`, `X-RateLimit-*`): exactly the named headers pass (names are
    /// case-insensitive; `X-RateLimit-*` names the whole family). Headers sluice knows are
    /// checked against their grammar and sanitized (dates re-emitted, `ETag` hashed, `Link`
    /// kept only for URLs the rules allow, rewritten to the proxy). Any other named header
    /// passes only when its value is visible ASCII: the spec author vouches that it carries no
    /// personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["Content-Type", "ETag", "Link", "X-RateLimit-*", "X-GitHub-Request-Id"])]
    pub allowed_response_headers: Option<Vec<String>>,

    /// Named response schemas that any endpoint's `responseSchema` can use with
    /// `$ref: "#/definitions/<name>"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(example = example_definitions())]
    pub definitions: BTreeMap<String, ResponseSchema>,

    /// The endpoints callers may use, matched in file order (the first match wins). A request
    /// that matches none is refused with 403.
    #[serde(default)]
    #[schemars(example = example_endpoints())]
    pub endpoints: Vec<Endpoint>,
}

/// One allowed endpoint: which requests match it and how its responses are sanitized.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Endpoint {
    /// An OpenAPI-style path template, such as `/orgs/{org}/members`; each `{name}` matches one
    /// non-empty path segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"/repos/{owner}/{repo}/issues")]
    pub path_template: Option<Located<String>>,

    /// A regular expression the whole request path must match; named groups are path
    /// parameters. Prefer `pathTemplate` where it can express the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"^/api/v1/users/(?<userId>[^/]+)/events$")]
    pub path_regex: Option<Located<crate::regex::SpecRegex>>,

    /// Schemas the values of path parameters must satisfy, by parameter name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(example = serde_json::json!({"userId": {"type": "string", "pattern": "^[0-9]+$"}}))]
    pub path_parameter_schemas: BTreeMap<Located<String>, ParameterSchema>,

    /// When present, only these query parameters may be sent; any other is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["per_page", "page"])]
    pub allowed_query_params: Option<Vec<String>>,

    /// Schemas the values of query parameters must satisfy, by parameter name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(example = serde_json::json!({"per_page": {"type": "integer"}, "since": {"type": "string", "format": "date-time"}}))]
    pub query_param_schemas: BTreeMap<Located<String>, ParameterSchema>,

    /// When present, only these HTTP methods are allowed; when absent, any method is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["GET", "HEAD"])]
    pub allowed_methods: Option<Vec<Located<String>>>,

    /// Request headers forwarded to the upstream (psoxy's older name,
    /// `allowedRequestHeadersToForward`, is accepted too). No other caller header is forwarded.
    #[serde(
        default,
        alias = "allowedRequestHeadersToForward",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(example = vec!["Accept", "X-GitHub-Api-Version"])]
    pub allowed_request_headers: Option<Vec<String>>,

    /// Response headers passed back to the caller for this endpoint (sluice's own field). When
    /// present, it overrides the rules-level `allowedResponseHeaders` and sluice's default list;
    /// the semantics are the same: exactly these headers pass, known ones checked against their
    /// grammar and sanitized, others only with a visible-ASCII value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["Content-Type", "Link", "X-RateLimit-Remaining"])]
    pub allowed_response_headers: Option<Vec<String>>,

    /// A JSON schema a request body must satisfy (psoxy's `requestBody`); kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"required": true, "content": {"application/json": {"type": "object"}}}))]
    pub request_body: Option<serde_json::Value>,

    /// Filters the response: anything the schema does not name is removed, before transforms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"type": "array", "items": {"type": "object", "properties": {"login": {"type": "string"}, "id": {"type": "integer"}}}}))]
    pub response_schema: Option<ResponseSchema>,

    /// Augments (psoxy's `augments:`): each adds `+<field>:<method>` beside the values its
    /// `jsonPaths` select, computed from the original before the response schema and the
    /// transforms run (so the transforms may redact the original and keep the derived value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = serde_json::json!([{"method": "textDigest", "jsonPaths": ["$..body.content"]}]))]
    pub augments: Vec<Located<Augment>>,

    /// Transforms applied to the response, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = serde_json::json!([{"method": "pseudonymize", "jsonPaths": ["$[*].login"]}, {"method": "redact", "jsonPaths": ["$[*].avatar_url"]}]))]
    pub transforms: Vec<Located<Transform>>,
}

fn example_definitions() -> serde_json::Value {
    serde_json::json!({"User": {"type": "object", "properties": {"login": {"type": "string"}}}})
}

fn example_endpoints() -> serde_json::Value {
    serde_json::json!([{
        "pathTemplate": "/orgs/{org}/members",
        "allowedQueryParams": ["per_page", "page"],
        "transforms": [{"method": "pseudonymize", "jsonPaths": ["$[*].login"]}]
    }])
}
