//! Job ids: 128 random bits written as 32 lowercase hex digits, and the one parser that turns
//! untrusted text (a URL segment, a page token, a key in the store) into an id.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A job id: a random (UUID v4) 128-bit value in its 32-hex-digit simple form.
///
/// Ids appear in object keys (`jobs/{id}/…`), so the only way to get one from text is
/// [`JobId::parse`], which accepts exactly 32 lowercase hex digits and nothing that could
/// traverse or widen a key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(String);

/// Text that is not a job id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{shown}` is not a job id: expected 32 lowercase hex digits, as in the `Location` of a 202"
)]
pub struct InvalidJobId {
    shown: String,
}

impl JobId {
    /// A new random id.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Parses an id from untrusted text, refusing anything but 32 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Self, InvalidJobId> {
        let valid = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            // Cap what is echoed back: the text came from a caller.
            let shown: String = text.chars().take(64).collect();
            Err(InvalidJobId { shown })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for JobId {
    type Err = InvalidJobId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for JobId {
    type Error = InvalidJobId;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<JobId> for String {
    fn from(id: JobId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_parse_back() {
        let id = JobId::random();
        assert_eq!(JobId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "../../etc/passwd",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef/123456789abcdef",
            "01234567-89ab-cdef-0123-456789abcdef",
        ] {
            assert!(JobId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
