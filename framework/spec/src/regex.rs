//! Regular expressions written in rules (`pathRegex`, `pattern`, `regex`, `redactions`…),
//! compiled once at load time so a bad one is a located validation error, never a runtime one.
//!
//! psoxy's regexes are Java's; sluice compiles them with the `regex` crate, which covers the
//! syntax rules use (classes, groups, named groups `(?<name>…)`, `(?i)`, `\b`, anchors) but not
//! look-around or back-references: those are refused with a message saying so.

use std::fmt;
use std::hash::{Hash, Hasher};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::ErrorCode;
use crate::located::{deserialize_located_str, located_error};

/// A compiled regular expression that remembers the text it was written as.
#[derive(Clone)]
pub struct SpecRegex {
    regex: regex::Regex,
}

impl SpecRegex {
    /// Compiles `pattern`. The error says what is wrong and, for Java-only syntax, that sluice's
    /// engine does not support it.
    pub fn new(pattern: &str) -> Result<Self, String> {
        regex::Regex::new(pattern)
            .map(|regex| Self { regex })
            .map_err(|e| explain(pattern, &e))
    }

    /// The compiled expression.
    pub fn regex(&self) -> &regex::Regex {
        &self.regex
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }

    /// Names of the named capture groups, in order.
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.regex.capture_names().flatten()
    }
}

fn explain(pattern: &str, e: &regex::Error) -> String {
    let detail = e.to_string();
    let unsupported = ["look-around", "backreferences"]
        .iter()
        .any(|w| detail.contains(w));
    // The engine's message is a caret diagram; its `error:` line says what is wrong.
    let detail = detail
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(detail.trim())
        .to_owned();
    if unsupported {
        format!(
            "regex `{pattern}` uses Java syntax sluice's engine does not support ({detail}); \
             rewrite it without look-around or back-references"
        )
    } else {
        format!("regex `{pattern}` does not compile: {detail}")
    }
}

impl PartialEq for SpecRegex {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SpecRegex {}

impl Hash for SpecRegex {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for SpecRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.as_str())
    }
}

impl fmt::Display for SpecRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SpecRegex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SpecRegex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = deserialize_located_str(d)?;
        Self::new(&text.value)
            .map_err(|msg| located_error(text.pos(), ErrorCode::InvalidRegex, &msg))
    }
}

impl JsonSchema for SpecRegex {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Regex".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "regex",
            "description": "A regular expression (Java syntax without look-around or back-references).",
            "examples": ["^[0-9]+$"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_groups_are_listed() {
        let r = SpecRegex::new("^/users/(?<userId>[^/]+)/events/(?<eventId>[^/]+)$").unwrap();
        assert_eq!(r.group_names().collect::<Vec<_>>(), ["userId", "eventId"]);
    }

    #[test]
    fn errors_name_the_pattern_and_the_cause() {
        let e = SpecRegex::new("a(b").unwrap_err();
        assert!(
            e.starts_with("regex `a(b` does not compile:") && e.contains("unclosed"),
            "{e}"
        );
        let e = SpecRegex::new("foo(?=bar)").unwrap_err();
        assert!(e.contains("does not support"), "{e}");
    }
}
