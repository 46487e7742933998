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

    /// The value must equal this constant (used in `if` conditions and `anyOf` candidates).
    /// psoxy's own name for it, `constant`, is accepted too (its Microsoft Teams rules use it).
    #[serde(
        rename = "const",
        alias = "constant",
        default,
        skip_serializing_if = "Option::is_none"
    )]
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

/// A schema node's `type`: one of JSON Schema's seven type names, or any other string.
///
/// psoxy reads `type` as a plain string, so a rules file with a misspelt name (psoxy's own GitHub
/// rules have `type: "onBehalfOf"` deep in a GraphQL schema) loads there; it loads here too, as
/// [`SchemaType::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Any other name, kept as written.
    Unknown(String),
}

impl SchemaType {
    /// The seven names JSON Schema defines, in the order editors offer them.
    pub const KNOWN: [&'static str; 7] = [
        "object", "array", "string", "number", "integer", "boolean", "null",
    ];

    /// The type named `name`: a known type, or [`SchemaType::Unknown`] holding `name`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "object" => Self::Object,
            "array" => Self::Array,
            "string" => Self::String,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "boolean" => Self::Boolean,
            "null" => Self::Null,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The name as written in a rules file.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Object => "object",
            Self::Array => "array",
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Null => "null",
            Self::Unknown(name) => name,
        }
    }
}

impl Serialize for SchemaType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SchemaType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = SchemaType;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a type name such as `object` or `string`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SchemaType, E> {
                Ok(SchemaType::from_name(v))
            }
        }
        deserializer.deserialize_str(Name)
    }
}

impl JsonSchema for SchemaType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SchemaType".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // The known names first, so editors complete them; any other string still validates,
        // because psoxy loads it.
        schemars::json_schema!({
            "description": "JSON Schema's type names. Any other string loads too, as psoxy's loader accepts it.",
            "anyOf": [
                {
                    "oneOf": [
                        { "description": "A JSON object.", "type": "string", "const": "object" },
                        { "description": "A JSON array.", "type": "string", "const": "array" },
                        { "description": "A JSON string.", "type": "string", "const": "string" },
                        { "description": "Any JSON number.", "type": "string", "const": "number" },
                        { "description": "A JSON number without a fractional part.", "type": "string", "const": "integer" },
                        { "description": "`true` or `false`.", "type": "string", "const": "boolean" },
                        { "description": "`null`.", "type": "string", "const": "null" }
                    ]
                },
                { "description": "Another name, kept as written (likely a typo).", "type": "string" }
            ]
        })
    }
}

#[cfg(test)]
mod schema_type_tests {
    use super::*;

    #[test]
    fn any_type_name_loads_and_round_trips_as_written() {
        let s: ResponseSchema = serde_json::from_str(
            r#"{"properties": {"a": {"type": "onBehalfOf"}, "b": {"type": "integer"}}}"#,
        )
        .unwrap();
        let props = s.properties.as_ref().unwrap();
        assert_eq!(
            props["a"].schema_type,
            Some(SchemaType::Unknown("onBehalfOf".into()))
        );
        assert_eq!(props["b"].schema_type, Some(SchemaType::Integer));
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["properties"]["a"]["type"], "onBehalfOf");
        assert_eq!(back["properties"]["b"]["type"], "integer");
    }

    #[test]
    fn every_known_name_parses_to_its_variant() {
        for name in SchemaType::KNOWN {
            let t = SchemaType::from_name(name);
            assert!(!matches!(t, SchemaType::Unknown(_)), "{name}");
            assert_eq!(t.as_str(), name);
        }
    }
}

#[cfg(test)]
mod constant_tests {
    use super::*;

    #[test]
    fn psoxys_constant_key_is_read_as_const() {
        let yaml = "type: object\nproperties:\n  '@odata.type':\n    type: string\n    constant: \"#microsoft.graph.callEndedEventMessageDetail\"\n";
        let s: ResponseSchema = serde_saphyr::from_str(yaml).unwrap();
        let odata = &s.properties.as_ref().unwrap()["@odata.type"];
        assert_eq!(
            odata.constant,
            Some(serde_json::json!(
                "#microsoft.graph.callEndedEventMessageDetail"
            ))
        );
        // Written back under JSON Schema's own name.
        assert_eq!(
            serde_json::to_value(odata).unwrap()["const"],
            "#microsoft.graph.callEndedEventMessageDetail"
        );
    }
}
