//! Durations written in specs (`retention: 24h`): a number and a unit, parsed once at load time.

use std::fmt;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::ErrorCode;
use crate::located::{deserialize_located_str, located_error};

/// A duration as written in a spec, such as `30s`, `15m`, `24h` or `7d` (units may be combined:
/// `1h30m`). Keeps the text it was written as, so a spec serializes back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpecDuration {
    text: String,
    value: Duration,
}

impl SpecDuration {
    /// Parses `text`, explaining the expected form when it is not a duration.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let value = humantime::parse_duration(trimmed).map_err(|e| {
            format!(
                "invalid duration `{text}` ({e}); write a number and a unit, like 30s, 15m, 24h or 7d"
            )
        })?;
        if value.is_zero() {
            return Err(format!(
                "invalid duration `{text}`: it must be longer than zero"
            ));
        }
        Ok(Self {
            text: trimmed.to_owned(),
            value,
        })
    }

    /// The duration.
    pub fn get(&self) -> Duration {
        self.value
    }

    /// The text it was written as.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for SpecDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for SpecDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for SpecDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = deserialize_located_str(d)?;
        Self::parse(&text.value)
            .map_err(|msg| located_error(text.pos(), ErrorCode::InvalidDuration, &msg))
    }
}

impl JsonSchema for SpecDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration: a number and a unit (s, m, h, d), units may be combined.",
            "pattern": "^\\s*[0-9]+\\s*[a-zA-Z]+(\\s*[0-9]+\\s*[a-zA-Z]+)*\\s*$",
            "examples": ["30s", "15m", "24h", "7d"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_units_parse() {
        assert_eq!(
            SpecDuration::parse("30s").unwrap().get(),
            Duration::from_secs(30)
        );
        assert_eq!(
            SpecDuration::parse("24h").unwrap().get(),
            Duration::from_secs(86_400)
        );
        assert_eq!(
            SpecDuration::parse("7d").unwrap().get(),
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(
            SpecDuration::parse("1h30m").unwrap().get(),
            Duration::from_secs(5_400)
        );
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        for bad in ["24", "a day", "", "0s", "-5m"] {
            let err = SpecDuration::parse(bad).unwrap_err();
            assert!(err.contains(&format!("`{bad}`")), "{err}");
        }
        assert!(
            SpecDuration::parse("24")
                .unwrap_err()
                .contains("like 30s, 15m, 24h or 7d")
        );
    }
}
