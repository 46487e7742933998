//! The parsed form of a Jayway JsonPath: segments, selectors and the filter
//! expression tree. This module owns only data types; parsing lives in
//! `parse.rs` and evaluation in `eval.rs`.

use std::fmt;
use std::sync::Arc;

use regex::Regex;
use serde_json::Value;

/// One step of a path: either a child step (`.a`, `[0]`, `[?(...)]`) or a
/// deep scan (`..a`, `..[0]`, `..*`, `..[?(...)]`).
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// Apply the selector to the current node.
    Child(Selector),
    /// Jayway's `..`: apply the selector to the current node and to every
    /// object and array below it (see the module docs for the exact rules).
    Descendant(Selector),
}

impl Segment {
    /// The selector of this segment, whichever kind it is.
    pub fn selector(&self) -> &Selector {
        match self {
            Segment::Child(s) | Segment::Descendant(s) => s,
        }
    }
}

/// What a segment selects from the node it is applied to.
#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    /// A single property: `.a`, `['a']`, `["a"]`.
    Name(String),
    /// Two or more properties: `['a','b']`.
    Names(Vec<String>),
    /// Every member of an object or element of an array: `.*`, `[*]`.
    Wildcard,
    /// One array index; negative counts from the end: `[0]`, `[-1]`.
    Index(i64),
    /// Two or more array indices: `[0,2]`.
    Indices(Vec<i64>),
    /// An array slice `[start:end]` (no step: Jayway has none).
    Slice {
        /// Inclusive start; `None` when omitted (`[:2]`).
        start: Option<i64>,
        /// Exclusive end; `None` when omitted (`[1:]`).
        end: Option<i64>,
    },
    /// A filter `[?(...)]`: tests each element of an array, or an object itself.
    Filter(Box<FilterExpr>),
}

impl Selector {
    /// Whether Jayway treats this selector as "definite" (selecting at most
    /// one node). `is_leaf` matters for `['a','b']`, which Jayway merges into
    /// one result when it is the last token.
    pub(crate) fn is_definite(&self, is_leaf: bool) -> bool {
        match self {
            Selector::Name(_) | Selector::Index(_) => true,
            Selector::Names(_) => is_leaf,
            _ => false,
        }
    }
}

/// A boolean filter expression, the inside of `[?( ... )]`.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterExpr {
    /// `a || b || ...` (two or more operands).
    Or(Vec<FilterExpr>),
    /// `a && b && ...` (two or more operands).
    And(Vec<FilterExpr>),
    /// `!a`; `!@.x` is `Not(Exists(@.x))`.
    Not(Box<FilterExpr>),
    /// A bare path such as `@.a`: true when the path resolves.
    Exists(FilterPath),
    /// A binary comparison `left op right`.
    Compare {
        /// Left operand.
        left: Operand,
        /// The operator.
        op: CompareOp,
        /// Right operand.
        right: Operand,
    },
}

/// An operand of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A path relative to the current node (`@...`) or the document root (`$...`).
    Path(FilterPath),
    /// A literal value.
    Literal(Literal),
    /// A regular expression `/pattern/flags` (only meaningful with `=~`).
    Regex(RegexLiteral),
}

/// Where a path inside a filter starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathRoot {
    /// `@`: the node under test.
    Current,
    /// `$`: the document root.
    Root,
}

/// A path used inside a filter, e.g. `@.a.b`, `@['x'][0]`, `$.config.domain`,
/// optionally ending in `.length()` / `.size()`.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterPath {
    /// `@` or `$`.
    pub root: PathRoot,
    /// The steps after the root.
    pub segments: Vec<Segment>,
    /// A trailing function call, if any.
    pub function: Option<PathFunction>,
}

/// A function that may end a path inside a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathFunction {
    /// `length()` (alias `size()`): number of elements of an array or members
    /// of an object; `null` for anything else.
    Length,
}

/// A literal value in a filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number such as `3`, `-1`, `2.5`.
    Number(NumberLiteral),
    /// A quoted string, escapes resolved.
    String(String),
    /// A JSON array or object literal such as `['a','b']` (single quotes allowed).
    Json(Value),
}

/// A numeric literal, kept both as value and as (Java `BigDecimal`-style) text,
/// because Jayway compares numbers with strings through their text.
#[derive(Clone, Debug, PartialEq)]
pub struct NumberLiteral {
    /// The numeric value.
    pub value: f64,
    /// The canonical text used when compared with a string.
    pub text: String,
}

/// Comparison operators of Jayway's filter language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `==` (Jayway coerces between strings and numbers).
    Eq,
    /// `!=` (the negation of `==`; true when the left side is missing).
    Ne,
    /// `===`: `==` but only between values of the same kind.
    StrictEq,
    /// `!==`: negation of `===`.
    StrictNe,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `=~`: full match of a regex.
    Regex,
    /// `in`: left is one of the right list.
    In,
    /// `nin`: negation of `in`.
    Nin,
    /// `subsetof`: every element of the left array is in the right list.
    SubsetOf,
    /// `anyof`: some element of the left array is in the right list.
    AnyOf,
    /// `noneof`: no element of the left array is in the right list.
    NoneOf,
    /// `size`: length of a string or array equals the right number.
    Size,
    /// `empty`: emptiness of a string, array or object equals the right boolean.
    Empty,
    /// `contains`: substring, or array membership.
    Contains,
}

impl CompareOp {
    /// The operator as written in a filter.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::StrictEq => "===",
            CompareOp::StrictNe => "!==",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Regex => "=~",
            CompareOp::In => "in",
            CompareOp::Nin => "nin",
            CompareOp::SubsetOf => "subsetof",
            CompareOp::AnyOf => "anyof",
            CompareOp::NoneOf => "noneof",
            CompareOp::Size => "size",
            CompareOp::Empty => "empty",
            CompareOp::Contains => "contains",
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A regex literal `/pattern/flags`, compiled at parse time.
///
/// Matching is a full match (Java's `Matcher.matches()`), so `/acme/` does
/// not match `"x@acme.com"`; write `/.*acme.*/`.
#[derive(Clone)]
pub struct RegexLiteral {
    /// The pattern as written between the slashes.
    pub pattern: String,
    /// The flags as written after the closing slash (subset of `dimsuxU`).
    pub flags: String,
    /// The compiled matcher, type-erased so that a [`JsonPath`](super::JsonPath)
    /// holding it is not an "interior mutable" hash key (`Regex` has caches).
    pub(crate) matcher: Matcher,
}

/// A compiled full-match regex.
pub(crate) type Matcher = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Wraps a compiled regex as a [`Matcher`].
pub(crate) fn matcher(regex: Regex) -> Matcher {
    Arc::new(move |s: &str| regex.is_match(s))
}

impl fmt::Debug for RegexLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegexLiteral")
            .field("pattern", &self.pattern)
            .field("flags", &self.flags)
            .finish_non_exhaustive()
    }
}

impl RegexLiteral {
    /// Compiles `/pattern/flags` for Java `matches()` semantics (the whole input must match);
    /// flags `i`, `m`, `s`, `x` apply, `d`, `u`, `U` are accepted and ignored. The error is the
    /// regex engine's one-line reason.
    pub fn new(pattern: &str, flags: &str) -> Result<Self, String> {
        let inline: String = flags.chars().filter(|c| "imsx".contains(*c)).collect();
        let mut full = String::new();
        if !inline.is_empty() {
            full.push_str(&format!("(?{inline})"));
        }
        full.push_str("\\A(?:");
        // Java's spellings (`(?)`, `\Q…\E`, POSIX classes) read as Java reads them; look-around
        // is refused below, since a filter has no way to fail the response.
        let translated = crate::java_regex::translate(pattern)?;
        if translated.possessive {
            return Err("possessive quantifiers (`a*+`) are not supported in filters".into());
        }
        full.push_str(&translated.text);
        full.push_str(if flags.contains('x') {
            "\n)\\z"
        } else {
            ")\\z"
        });
        match Regex::new(&full) {
            Ok(regex) => Ok(RegexLiteral {
                matcher: matcher(regex),
                pattern: pattern.to_owned(),
                flags: flags.to_owned(),
            }),
            Err(e) => {
                let detail = e.to_string();
                Err(detail.lines().last().unwrap_or_default().trim().to_string())
            }
        }
    }

    /// Whether `input` matches the whole pattern.
    pub fn is_full_match(&self, input: &str) -> bool {
        (self.matcher)(input)
    }
}

impl PartialEq for RegexLiteral {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern && self.flags == other.flags
    }
}
