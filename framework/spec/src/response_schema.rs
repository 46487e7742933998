//! Response schemas (psoxy's `JsonSchemaFilter`): a JSON Schema used as a *filter*. Whatever the
//! schema does not name is removed from the response before any transform runs.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A JSON Schema node, in the subset psoxy filters with.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseSchema {
    /// `object`, `array`, `string`, `number`, `integer`, `boolean` or `null`; a value of another
    /// type is removed. Absent with `properties` means object, with `items` array.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"object")]
    pub schema_type: Option<SchemaType>,

    /// A reference to a definition: `#/definitions/<name>` (or `#/$defs/<name>`).
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"#/definitions/User")]
    pub reference: Option<String>,

    /// For strings, a format such as `date-time` or `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"date-time")]
    pub format: Option<String>,

    /// For objects: the properties kept, each filtered by its own schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"login": {"type": "string"}}))]
    pub properties: Option<BTreeMap<String, ResponseSchema>>,

    /// For arrays: the schema each item is filtered by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"type": "string"}))]
    pub items: Option<Box<ResponseSchema>>,

    /// Named schemas `$ref` can point at (root schema only).
    #[serde(default, alias = "$defs", skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"User": {"properties": {"login": {"type": "string"}}}}))]
    pub definitions: Option<BTreeMap<String, ResponseSchema>>,

    /// The value passes if it matches any of these; it is filtered by the first that matches.
    #[serde(rename = "anyOf", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!([{"type": "string"}, {"type": "integer"}]))]
    pub any_of: Option<Vec<ResponseSchema>>,

    /// Deprecated in psoxy, read as `anyOf`.
    #[serde(rename = "oneOf", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!([{"type": "string"}, {"type": "null"}]))]
    pub one_of: Option<Vec<ResponseSchema>>,

    /// A condition: when the value matches it, `then` applies, otherwise `else`.
    #[serde(rename = "if", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"properties": {"type": {"const": "user"}}}))]
    pub if_schema: Option<Box<ResponseSchema>>,

    /// The schema applied when `if` matches.
    #[serde(rename = "then", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"properties": {"login": {"type": "string"}}}))]
    pub then_schema: Option<Box<ResponseSchema>>,

    /// The schema applied when `if` does not match.
    #[serde(rename = "else", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"properties": {"name": {"type": "string"}}}))]
    pub else_schema: Option<Box<ResponseSchema>>,

    /// The value must equal this constant (used in `if` conditions).
    #[serde(rename = "const", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"user")]
    pub constant: Option<serde_json::Value>,

    /// Properties a condition requires (used in `if`); ignored when filtering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["type"])]
    pub required: Option<Vec<String>>,

    /// Accepted and ignored, as in psoxy: filtering always drops unnamed properties.
    #[serde(
        rename = "additionalProperties",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(example = false)]
    pub additional_properties: Option<serde_json::Value>,

    /// Documentation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"Member")]
    pub title: Option<String>,

    /// Documentation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"An organization member")]
    pub description: Option<String>,

    /// The JSON Schema dialect; ignored.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"http://json-schema.org/draft-07/schema#")]
    pub dialect: Option<String>,
}

/// JSON Schema's primitive types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SchemaType {
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// A JSON string.
    String,
    /// Any JSON number.
    Number,
    /// A JSON number without a fractional part.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// `null`.
    Null,
}
