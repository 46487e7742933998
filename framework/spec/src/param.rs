//! Schemas for path and query parameter values (psoxy's `ParameterSchema`): a small subset of
//! JSON Schema that a request's parameters are checked against before anything goes upstream.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::regex::SpecRegex;

/// Constraints on one parameter's value. Every constraint given must hold; `or` and `anyOf`
/// hold when any of their schemas does.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterSchema {
    /// The value's type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"integer")]
    pub value_type: Option<ParamType>,

    /// A string format. `reversible-pseudonym` requires a `p~` token, which the proxy decrypts
    /// before forwarding; other formats are accepted and not checked (as in psoxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = "reversible-pseudonym")]
    pub format: Option<String>,

    /// A regular expression the whole value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub pattern: Option<SpecRegex>,

    /// The value must be one of these.
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["asc", "desc"])]
    pub enum_values: Option<Vec<String>>,

    /// The value is valid when it satisfies any of these schemas.
    #[serde(rename = "or", default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = serde_json::json!([{"enum": ["all"]}, {"type": "integer"}]))]
    pub ors: Vec<ParameterSchema>,

    /// The value is valid when it satisfies any of these schemas (JSON Schema's spelling of
    /// `or`, as psoxy's Microsoft 365 and Gemini rules write it). A `format:
    /// reversible-pseudonym` candidate takes `p~` tokens, which the proxy decrypts.
    #[serde(rename = "anyOf", default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = serde_json::json!([{"type": "string", "format": "reversible-pseudonym"}]))]
    pub any_of: Vec<ParameterSchema>,

    /// The value must be exactly this.
    #[serde(rename = "const", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"me")]
    pub constant: Option<String>,

    /// For query parameters: whether the parameter must be present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = true)]
    pub required: Option<bool>,
}

/// The value types a parameter schema can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// Any text.
    String,
    /// An optionally signed whole number.
    Integer,
    /// A decimal number.
    Number,
}
