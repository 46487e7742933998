//! Placeholder until the Jayway JSONPath parser lands (being written in parallel).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonPath {
    src: String,
}

/// Why a JSONPath does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPathError {
    /// Character offset.
    pub offset: usize,
    /// Message.
    pub message: String,
}

impl JsonPath {
    /// Parses.
    pub fn parse(src: &str) -> Result<Self, JsonPathError> {
        if src.starts_with('$') {
            Ok(Self {
                src: src.to_owned(),
            })
        } else {
            Err(JsonPathError {
                offset: 0,
                message: "expected `$`".into(),
            })
        }
    }
    /// Source.
    pub fn as_str(&self) -> &str {
        &self.src
    }
}

impl Serialize for JsonPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.src)
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl schemars::JsonSchema for JsonPath {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JsonPath".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string"})
    }
}
