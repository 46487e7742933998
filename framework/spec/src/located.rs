//! [`Located`] values: a spec value together with where it was written, so that errors found after
//! parsing (a duplicate path, a bad regex) can still point at the exact line and column.
//!
//! Also the one place that turns a located error raised *inside* deserialization into a serde
//! error the loader can put back at its true position (see [`located_error`]).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};

use crate::diagnostic::{ErrorCode, Pos};

/// Where a value sits in its source: the position of its first character and, for scalars, how
/// the text maps to the value (so a character offset inside the value maps to a column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Position of the node's first character (the opening quote of a quoted scalar).
    pub start: Pos,
    /// Characters between the node start and the first character of the value: 1 for a simple
    /// quoted scalar, 0 for a plain one, `None` when the text does not map to the value
    /// character for character (escapes, folded lines).
    pub(crate) value_shift: Option<u8>,
}

impl Span {
    /// A span starting at `start`, whose text maps to the value character for character.
    pub const fn at(start: Pos) -> Self {
        Self {
            start,
            value_shift: Some(0),
        }
    }

    /// The position of the value's `chars`-th character, or of the node when the text does not
    /// map to the value character for character.
    pub fn pos_of_char(&self, chars: usize) -> Pos {
        match self.value_shift {
            Some(shift) => self.start.shifted(usize::from(shift) + chars),
            None => self.start,
        }
    }
}

/// A value and where it was written. Compares, hashes and serializes as the bare value.
#[derive(Clone)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written; the default span (0:0) for values built in code.
    pub span: Span,
}

impl<T> Located<T> {
    /// A value with no source position (built in code, not loaded).
    pub fn unlocated(value: T) -> Self {
        Self {
            value,
            span: Span::default(),
        }
    }

    /// The position of the value in its file.
    pub fn pos(&self) -> Pos {
        self.span.start
    }

    /// Applies `f` to the value, keeping the span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Located<U> {
        Located {
            value: f(self.value),
            span: self.span,
        }
    }
}

impl<T> Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Located<T> {}

impl<T: PartialOrd> PartialOrd for Located<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord> Ord for Located<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<T: Hash> Hash for Located<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(d)?;
        Ok(Self {
            value: spanned.value,
            span: span_of(&spanned.referenced, None),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// The span of a node from serde-saphyr's location. `text_chars` is the number of characters of
/// the scalar value when known, used to tell plain from simply-quoted scalars.
pub(crate) fn span_of(loc: &serde_saphyr::Location, text_chars: Option<usize>) -> Span {
    let start = Pos::new(
        u32::try_from(loc.line()).unwrap_or(u32::MAX),
        u32::try_from(loc.column()).unwrap_or(u32::MAX),
    );
    let node_chars = usize::try_from(loc.span().len()).ok();
    let value_shift = match (text_chars, node_chars) {
        (Some(v), Some(n)) if n == v => Some(0),
        (Some(v), Some(n)) if n == v + 2 => Some(1),
        (Some(_), _) => None,
        (None, _) => Some(0),
    };
    Span { start, value_shift }
}

/// A string scalar and its span, with the span able to locate characters inside the string.
pub(crate) fn deserialize_located_str<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Located<String>, D::Error> {
    let spanned = serde_saphyr::Spanned::<String>::deserialize(d)?;
    let chars = spanned.value.chars().count();
    Ok(Located {
        span: span_of(&spanned.referenced, Some(chars)),
        value: spanned.value,
    })
}

/// Brackets the position and code in a serde error message; see [`located_error`]. Printable,
/// because serde-saphyr escapes control characters in messages.
const OPEN: &str = "@@sluice:";
const CLOSE: &str = "@@ ";

/// A serde error for a problem found while deserializing a value whose position is known better
/// than serde-saphyr's (which reports the position it has reached, often the next key).
/// The loader recognises the marker and reports `message` at `pos` with `code`.
pub(crate) fn located_error<E: serde::de::Error>(pos: Pos, code: ErrorCode, message: &str) -> E {
    if pos == Pos::default() {
        // Not read from YAML (e.g. serde_json in tests): no position to carry.
        return E::custom(message);
    }
    E::custom(format_args!(
        "{OPEN}{}:{}:{}{CLOSE}{message}",
        code.as_str(),
        pos.line,
        pos.column
    ))
}

/// Reads back what [`located_error`] wrote: `(code name, pos, message)`.
pub(crate) fn parse_located_error(msg: &str) -> Option<(&str, Pos, &str)> {
    let start = msg.find(OPEN)?;
    let rest = &msg[start + OPEN.len()..];
    let end = rest.find(CLOSE)?;
    let mut parts = rest[..end].splitn(3, ':');
    let code = parts.next()?;
    let line = parts.next()?.parse().ok()?;
    let column = parts.next()?.parse().ok()?;
    Some((code, Pos::new(line, column), &rest[end + CLOSE.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_error_round_trips_through_a_serde_message() {
        let e: serde_json::Error =
            located_error(Pos::new(7, 11), ErrorCode::InvalidRegex, "bad: (unclosed");
        let text = e.to_string();
        let (code, pos, msg) = parse_located_error(&text).unwrap();
        assert_eq!(
            (code, pos, msg),
            ("invalid-regex", Pos::new(7, 11), "bad: (unclosed")
        );
    }

    #[test]
    fn char_positions_inside_quoted_and_plain_scalars() {
        let plain = Span {
            start: Pos::new(3, 10),
            value_shift: Some(0),
        };
        let quoted = Span {
            start: Pos::new(3, 10),
            value_shift: Some(1),
        };
        let escaped = Span {
            start: Pos::new(3, 10),
            value_shift: None,
        };
        assert_eq!(plain.pos_of_char(4), Pos::new(3, 14));
        assert_eq!(quoted.pos_of_char(4), Pos::new(3, 15));
        assert_eq!(escaped.pos_of_char(4), Pos::new(3, 10));
    }

    #[test]
    fn located_values_compare_by_value_only() {
        let a = Located {
            value: 1,
            span: Span::at(Pos::new(1, 1)),
        };
        let b = Located {
            value: 1,
            span: Span::at(Pos::new(9, 9)),
        };
        assert_eq!(a, b);
    }
}
