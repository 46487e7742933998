//! Regular expressions written in rules (`pathRegex`, `pattern`, `regex`, `redactions`…),
//! compiled once at load time so a bad one is a located validation error, never a runtime one.
//!
//! psoxy's regexes are Java's. A pattern is first rewritten from Java's spelling
//! ([`crate::java_regex`]), then compiled with the `regex` crate (linear time, no backtracking)
//! whenever that crate accepts it; only a pattern it refuses — look-around, back-references,
//! possessive quantifiers, atomic groups — is compiled with `fancy-regex`, a backtracking engine
//! that still hands the parts without such constructs to `regex`. The backtracking engine is
//! bounded: at most [`BACKTRACK_LIMIT`] steps per search and [`SIZE_LIMIT`] bytes of compiled
//! program, so a pattern that could backtrack without end fails the one search, with
//! [`RegexLimitError`], instead of hanging a request. Callers fail closed on that error.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::ErrorCode;
use crate::java_regex;
use crate::located::{deserialize_located_str, located_error};

/// The most backtracking steps the backtracking engine takes in one search before it gives up.
/// A search that starts at every position of a text counts each start, so this also bounds the
/// text such a pattern can be searched through (about a megabyte for a simple pattern).
pub const BACKTRACK_LIMIT: usize = 1_000_000;

/// The most bytes a compiled pattern may take, in either engine (the `regex` crate's default).
pub const SIZE_LIMIT: usize = 10 * (1 << 20);

/// The most instructions a backtracking program may have.
const MAX_PROGRAM: usize = 100_000;

/// A compiled regular expression that remembers the text it was written as.
#[derive(Clone)]
pub struct SpecRegex {
    written: Box<str>,
    /// The pattern in the engines' syntax, for callers that build anchored forms of it.
    translated: Box<str>,
    matcher: Matcher,
}

impl SpecRegex {
    /// Compiles `pattern`. The error says what is wrong and, for Java syntax sluice cannot run,
    /// why.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let translated = java_regex::translate(pattern)
            .map_err(|why| format!("regex `{pattern}` cannot be used: {why}"))?;
        let matcher = Matcher::compile_as(&translated.text, translated.possessive)
            .map_err(|e| format!("regex `{pattern}` {e}"))?;
        Ok(Self {
            written: pattern.into(),
            translated: translated.text.into(),
            matcher,
        })
    }

    /// The compiled expression.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// Compiles `prefix`, this pattern, `suffix` (all in the engines' syntax), choosing the
    /// engine as [`SpecRegex::new`] does: for the anchored forms Java's `matches()` needs.
    pub fn wrapped(&self, prefix: &str, suffix: &str) -> Matcher {
        let text = format!("{prefix}{}{suffix}", self.translated);
        Matcher::compile_as(&text, !self.matcher.is_fast())
            .expect("a pattern that compiled also compiles wrapped")
    }

    /// The pattern in the engines' syntax (as written, less Java-only spellings).
    pub fn translated(&self) -> &str {
        &self.translated
    }

    /// Names of the named capture groups, in order.
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.matcher.capture_names()
    }
}

/// A compiled pattern: the `regex` crate's when it can run it, else the bounded backtracking
/// engine's. Matching through the first costs what calling the `regex` crate directly costs.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// Linear-time automata (`regex`).
    Fast(regex::Regex),
    /// Bounded backtracking (`fancy-regex`), for look-around and back-references.
    Backtracking(fancy_regex::Regex),
}

/// A search the backtracking engine gave up on: the pattern needed more than
/// [`BACKTRACK_LIMIT`] steps on this input (or more stack than allowed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "regex `{pattern}` gave up on this input after {BACKTRACK_LIMIT} backtracking steps \
     (a pattern with nested repetition and look-around can take exponential time); \
     rewrite it so that no part can repeat in more than one way"
)]
pub struct RegexLimitError {
    /// The pattern, in the engines' syntax.
    pub pattern: String,
}

/// One match or capture group: its text and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span<'t> {
    text: &'t str,
    start: usize,
}

impl<'t> Span<'t> {
    /// The matched text.
    pub fn as_str(&self) -> &'t str {
        self.text
    }
    /// Byte offset of the start in the searched text.
    pub fn start(&self) -> usize {
        self.start
    }
    /// Byte offset of the end in the searched text.
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }
    /// The byte range in the searched text.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end()
    }
}

impl<'t> From<regex::Match<'t>> for Span<'t> {
    fn from(m: regex::Match<'t>) -> Self {
        Self {
            text: m.as_str(),
            start: m.start(),
        }
    }
}

impl<'t> From<fancy_regex::Match<'t>> for Span<'t> {
    fn from(m: fancy_regex::Match<'t>) -> Self {
        Self {
            text: m.as_str(),
            start: m.start(),
        }
    }
}

/// The capture groups of one match.
#[derive(Debug)]
pub enum Captures<'t> {
    /// From the `regex` crate.
    Fast(regex::Captures<'t>),
    /// From the backtracking engine.
    Backtracking(fancy_regex::Captures<'t, str>),
}

impl<'t> Captures<'t> {
    /// Group `i` (0 is the whole match), if it took part.
    pub fn get(&self, i: usize) -> Option<Span<'t>> {
        match self {
            Self::Fast(c) => c.get(i).map(Span::from),
            Self::Backtracking(c) => c.get(i).map(Span::from),
        }
    }

    /// The named group `name`, if it took part.
    pub fn name(&self, name: &str) -> Option<Span<'t>> {
        match self {
            Self::Fast(c) => c.name(name).map(Span::from),
            Self::Backtracking(c) => c.name(name).map(Span::from),
        }
    }
}

impl Matcher {
    /// Compiles `pattern` (in the engines' syntax) with the `regex` crate, or, when that crate
    /// refuses it or `backtracking` asks, with the bounded backtracking engine. The error
    /// follows "regex `…` ".
    fn compile_as(pattern: &str, backtracking: bool) -> Result<Self, String> {
        let fast_error = match regex::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
        {
            Ok(regex) if !backtracking => return Ok(Self::Fast(regex)),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        let compiled = fancy_regex::RegexBuilder::new(pattern)
            .backtrack_limit(BACKTRACK_LIMIT)
            .delegate_size_limit(SIZE_LIMIT)
            .max_prog_size(MAX_PROGRAM)
            .build();
        match compiled {
            Ok(regex) => Ok(Self::Backtracking(regex)),
            Err(e) => Err(explain(fast_error.as_ref(), &e)),
        }
    }

    /// Whether the linear-time engine runs this pattern.
    pub fn is_fast(&self) -> bool {
        matches!(self, Self::Fast(_))
    }

    /// The pattern compiled (in the engines' syntax).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Fast(r) => r.as_str(),
            Self::Backtracking(r) => r.as_str(),
        }
    }

    fn limit_error(&self) -> RegexLimitError {
        RegexLimitError {
            pattern: self.as_str().to_owned(),
        }
    }

    /// Whether the pattern matches somewhere in `text`.
    #[inline]
    pub fn is_match(&self, text: &str) -> Result<bool, RegexLimitError> {
        match self {
            Self::Fast(r) => Ok(r.is_match(text)),
            Self::Backtracking(r) => r.is_match(text).map_err(|_| self.limit_error()),
        }
    }

    /// The capture groups of the first match in `text`.
    #[inline]
    pub fn captures<'t>(&self, text: &'t str) -> Result<Option<Captures<'t>>, RegexLimitError> {
        match self {
            Self::Fast(r) => Ok(r.captures(text).map(Captures::Fast)),
            Self::Backtracking(r) => r
                .captures(text)
                .map(|c| c.map(Captures::Backtracking))
                .map_err(|_| self.limit_error()),
        }
    }

    /// Calls `f` with the range of every successive non-overlapping match in `text`.
    pub fn for_each_match(
        &self,
        text: &str,
        mut f: impl FnMut(Range<usize>),
    ) -> Result<(), RegexLimitError> {
        match self {
            Self::Fast(r) => r.find_iter(text).for_each(|m| f(m.range())),
            Self::Backtracking(r) => {
                for m in r.find_iter(text) {
                    f(m.map_err(|_| self.limit_error())?.range());
                }
            }
        }
        Ok(())
    }

    /// `text` with every non-overlapping match replaced by `with` (taken literally).
    pub fn replace_all<'t>(
        &self,
        text: &'t str,
        with: &str,
    ) -> Result<Cow<'t, str>, RegexLimitError> {
        match self {
            Self::Fast(r) => Ok(r.replace_all(text, regex::NoExpand(with))),
            Self::Backtracking(r) => r
                .try_replacen(text, 0, fancy_regex::NoExpand(with))
                .map_err(|_| self.limit_error()),
        }
    }

    /// The number of groups, the whole match included.
    pub fn captures_len(&self) -> usize {
        match self {
            Self::Fast(r) => r.captures_len(),
            Self::Backtracking(r) => r.captures_len(),
        }
    }

    /// Names of the named capture groups, in order.
    pub fn capture_names(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            Self::Fast(r) => Box::new(r.capture_names().flatten()),
            Self::Backtracking(r) => Box::new(r.capture_names().flatten()),
        }
    }
}

/// Why neither engine compiles a pattern: the `regex` crate's reason, unless it only refused
/// what the backtracking engine is there for, in which case that engine's.
fn explain(fast: Option<&regex::Error>, backtracking: &fancy_regex::Error) -> String {
    let Some(fast) = fast else {
        return format!("does not compile: {backtracking}");
    };
    let detail = fast.to_string();
    let detail = if ["look-around", "backreferences"]
        .iter()
        .any(|w| detail.contains(w))
    {
        backtracking.to_string()
    } else {
        // The engine's message is a caret diagram; its `error:` line says what is wrong.
        detail
            .lines()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or(detail.trim())
            .to_owned()
    };
    format!("does not compile: {detail}")
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
            "description": "A regular expression in Java syntax (look-around and back-references run on a bounded backtracking engine).",
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
        let e = SpecRegex::new(r"\p{InGreek}").unwrap_err();
        assert!(e.starts_with(r"regex `\p{InGreek}` cannot be used:"), "{e}");
        let e = SpecRegex::new(r"(a)\2").unwrap_err();
        assert!(e.contains("does not compile"), "{e}");
    }

    #[test]
    fn shorthand_classes_match_ascii_as_in_java_on_both_engines() {
        // Java's `\w` does not take `é`; the fast engine and the backtracking one agree.
        let fast = SpecRegex::new(r"@([\w.-]+)").unwrap();
        assert!(fast.matcher().is_fast());
        let caps = fast.matcher().captures("@josé.l").unwrap().unwrap();
        assert_eq!(caps.get(1).unwrap().as_str(), "jos");
        let backtracking = SpecRegex::new(r"(?<=@)[\w.-]+").unwrap();
        assert!(!backtracking.matcher().is_fast());
        let caps = backtracking.matcher().captures("@josé.l").unwrap().unwrap();
        assert_eq!(caps.get(0).unwrap().as_str(), "jos");
        assert!(
            !SpecRegex::new(r"^\d+$")
                .unwrap()
                .matcher()
                .is_match("١٢")
                .unwrap()
        );
        assert!(
            SpecRegex::new(r"(?U)^\d+$")
                .unwrap()
                .matcher()
                .is_match("١٢")
                .unwrap()
        );
    }

    #[test]
    fn ordinary_patterns_run_on_the_linear_engine() {
        for p in [
            r"^/v1\.0/users/[^/]*",
            "(?i)pwd=[^&]*",
            r"\s+",
            "(?<id>[0-9]+)",
            "a(?)b",
        ] {
            let r = SpecRegex::new(p).unwrap();
            assert!(r.matcher().is_fast(), "{p}");
            assert!(r.wrapped("^(?:", ")$").is_fast(), "{p}");
        }
    }

    #[test]
    fn look_around_and_back_references_run_on_the_backtracking_engine() {
        let zoom = SpecRegex::new(r"^/v2/meetings/[^/?]+(?:/(?!meeting_summary)[^/?]+)?$").unwrap();
        assert!(!zoom.matcher().is_fast());
        assert_eq!(
            zoom.matcher().is_match("/v2/meetings/123/recordings"),
            Ok(true)
        );
        assert_eq!(zoom.matcher().is_match("/v2/meetings/123"), Ok(true));
        assert_eq!(
            zoom.matcher().is_match("/v2/meetings/123/meeting_summary"),
            Ok(false)
        );
        let twice = SpecRegex::new(r"^(\w+) \1$").unwrap();
        assert_eq!(twice.matcher().is_match("ab ab"), Ok(true));
        assert_eq!(twice.matcher().is_match("ab ac"), Ok(false));
        let possessive = SpecRegex::new("^a*+a$").unwrap();
        assert_eq!(possessive.matcher().is_match("aaa"), Ok(false));
    }

    #[test]
    fn a_catastrophic_pattern_gives_up_instead_of_hanging() {
        // Nested repetition, with a look-ahead inside so the backtracking engine runs it: on a
        // text that almost matches, the ways to split the `a`s double with each one.
        let r = SpecRegex::new("^((?!b)a+)+c$").unwrap();
        assert!(!r.matcher().is_fast());
        let text = format!("{}b", "a".repeat(29));
        let e = r.matcher().is_match(&text).unwrap_err();
        assert!(e.to_string().contains("gave up on this input"), "{e}");
        assert!(r.matcher().captures(&text).is_err());
        assert!(r.matcher().replace_all(&text, "").is_err());
        assert!(r.matcher().for_each_match(&text, |_| {}).is_err());
        // The same pattern on a text it matches is fine.
        assert_eq!(r.matcher().is_match("aaac"), Ok(true));
    }
}
