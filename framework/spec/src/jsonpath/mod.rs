//! Jayway JsonPath (the dialect of the Java library `com.jayway.jsonpath`,
//! which psoxy rules use) for sluice: parsing with located errors, and the
//! reference evaluation against `serde_json::Value` that the sanitizer must
//! follow.
//!
//! This module owns the public API ([`JsonPath`], [`JsonPathError`], and the
//! AST in [`Segment`], [`Selector`], [`FilterExpr`] ...). Parsing lives in
//! `parse.rs`, evaluation in `eval.rs`.
//!
//! # Grammar
//!
//! Offsets in errors are 0-based *character* offsets into the text as given
//! (leading and trailing whitespace is ignored, as Jayway trims).
//!
//! ```text
//! path        = ( "$" | "@" ) segment*          (* `@` at top level means the document *)
//!             | implicit segment*               (* Jayway prefixes `$.`: `a.b` = `$.a.b` *)
//! implicit    = name | "*" | bracket            (* what may follow `$.` *)
//! segment     = "." ( name | "*" | bracket )    (* `$.[0]` is allowed, as in Jayway *)
//!             | ".." ( name | "*" | bracket )   (* deep scan *)
//!             | bracket
//! name        = 1*( any char except whitespace . [ ] ( ) ' " )
//!                                               (* in filters also not < > = ! ~ & | , *)
//! bracket     = "[" ws ( names | "*" | indices | slice | filter ) ws "]"
//! names       = string ( ws "," ws string )*    (* one name = Name, more = Names *)
//! indices     = int ( ws "," ws int )*          (* one = Index, more = Indices *)
//! slice       = [ int ] ws ":" ws [ int ]       (* at least one bound; no step *)
//! int         = [ "-" ] digit+                  (* fits a Java int *)
//! string      = "'" chars "'" | '"' chars '"'   (* escapes \\ \' \" \/ \b \f \n \r \t \uXXXX *)
//! filter      = "?" ws "(" or ")"
//! or          = and ( "||" and )*
//! and         = unary ( "&&" unary )*
//! unary       = "!" ws fpath                    (* not-exists *)
//!             | "!" unary | "(" or ")" | relation
//! relation    = operand [ op operand ]          (* without op the operand must be a path: exists *)
//! operand     = fpath | string | number | "true" | "false" | "null"
//!             | json                            (* [..] or {..}, single or double quotes *)
//!             | "/" regex "/" flags             (* flags from d i m s u x U *)
//! fpath       = ( "@" | "$" ) segment* [ "." ( "length" | "size" ) "()" ]
//! op          = "==" | "!=" | "===" | "!==" | "<" | "<=" | ">" | ">=" | "=~"
//!             | ( "in" | "nin" | "subsetof" | "anyof" | "noneof" | "size" | "empty"
//!               | "contains" ) whitespace       (* word operators are case-insensitive *)
//! number      = [ "-" ] ( digits [ "." digits ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ]
//! ```
//!
//! Whitespace is allowed inside brackets and filters, not between segments.
//!
//! # Evaluation (Jayway's rules, checked against its source)
//!
//! * A missing property, an index out of range or a selector applied to the
//!   wrong kind of node selects nothing. `[-1]` is the last element.
//! * Slices: `[a:]` and `[:b]` count negative bounds from the end; `[a:b]` does
//!   not normalise negative bounds (Jayway's `sliceBetween`), so `[1:-1]` is
//!   empty while `[-2:3]` visits indices -2,-1,0,1,2 (negatives wrapped once).
//! * A filter on an **array** tests each element; on an **object** it tests the
//!   object itself and passes it on unchanged (so `$.organizer[?(@.self)]`
//!   selects the organizer object). On other values it selects nothing.
//! * `..sel` (`ScanPathToken`) visits the node and every object and array
//!   below it, pre-order. At each *object* it applies `sel` when `sel`
//!   "matches" it (a name: the object has that key; a wildcard: always; a
//!   filter: the filter accepts the object; index/slice: never). At each
//!   *array* it applies `sel` when it matches (index/slice: always; wildcard:
//!   always; filter: when the filter accepts the array itself; a name: never)
//!   — but if `sel` is not the last step, Jayway then applies the *rest* of
//!   the path to every element, bypassing `sel`. So `$..[0].name` picks `name`
//!   from every element of every array, and `$..[?(!@.x)].y` picks `y` from
//!   every element of any array (an array has no `x`). We reproduce this.
//! * [`JsonPath::select_pointers`] returns each matched location once, sorted
//!   in document order (Jayway can reach a node twice through `..` and returns
//!   matches in evaluation order; a sanitizer only needs the set).
//! * Filter operands: a definite path (names and single indices only) gives
//!   its value or *undefined*; any other path gives the JSON array of its
//!   matches. A bare path tests existence (`null` values exist); for an
//!   indefinite path existence is true unless a property is missing.
//! * `==`: numbers by value; strings exactly; **a string and a number are
//!   compared through text** (Jayway: `@.id == 5` is true for `"5"`, and
//!   `@.id == '5'` is true for `5`); arrays/objects structurally when the
//!   left side comes from the document; otherwise different kinds are not
//!   equal. `!=` is the negation, so **`@.missing != 'x'` is true**. `===` /
//!   `!==` also require the same kind.
//! * `<`, `<=`, `>`, `>=`: numbers numerically, strings lexicographically
//!   (UTF-16 order, as Java), a string against a number through the number's
//!   text; anything else (including missing) is false.
//! * `=~` is a **full** match (Java `matches()`); the input is a string, a
//!   number's text, `true`/`false`, or `""` for anything else (so
//!   `@.missing =~ /.*/` is true); against an array, any element matching.
//! * `in`/`nin`/`subsetof`/`anyof`/`noneof`/`contains`/`size`/`empty` follow
//!   `EvaluatorFactory`; `nin` is `!in` (true for a missing value). Where
//!   Jayway throws during a filter (e.g. `in` against a non-list, a list
//!   holding nested lists) the whole filter is false for that node.
//!
//! # Not supported (and why)
//!
//! * Path functions (`$.a.length()`, `min()`, `keys()`, ...) outside filters:
//!   they compute values rather than select fields, so a sanitizer rule
//!   cannot redact them (error). Inside filters only a trailing `length()` /
//!   `size()` after a definite path is supported.
//! * `[?]` placeholders (they need Java `Predicate` objects) and filter
//!   operators `all`, `type`, `matches` (Jayway parses them from strings but
//!   they always fail at evaluation): errors.
//! * Slice steps `[a:b:c]`: Jayway silently ignores the step; we reject it.
//! * Spellings Jayway accepts with surprising meaning are rejected with an
//!   explanation: a leading `.` (Jayway reads `.a` as `$..a`), `!` before a
//!   compared path (`!@.a == 1` is `@.a == 1` in Jayway), `&&`/`||` glued to a
//!   path (`@.a&&@.b` is one property name), a property glued after a bracket
//!   or wildcard (`$['a']b`, `$.*a`), quotes or brackets inside dot names,
//!   unquoted words in filters and JSON lists, unknown regex flags (Jayway
//!   ignores them) and `=~` without a regex.
//! * Regexes use the Rust `regex` crate: no look-around or back-references
//!   (a parse error), `\w`/`\d`/case folding are Unicode-aware (Java's are
//!   ASCII unless `u`/`U`); flags `d`, `u`, `U` are accepted and ignored.
//! * Number text for string/number comparisons approximates Java's
//!   `BigDecimal.toString()`; numbers compare as `f64`, not `BigDecimal`.
//! * Jayway `Option`s (`DEFAULT_PATH_LEAF_TO_NULL`, `REQUIRE_PROPERTIES`,
//!   `SUPPRESS_EXCEPTIONS`, `FILTER_SLICE_AS_ARRAY`) are not modelled: the
//!   default configuration is. Where Jayway would throw at evaluation (e.g.
//!   `$.a.b` with `a` a string) we select nothing.

mod ast;
mod eval;
mod java_number;
mod parse;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

pub use ast::{
    CompareOp, FilterExpr, FilterPath, Literal, NumberLiteral, Operand, PathFunction, PathRoot,
    RegexLiteral, Segment, Selector,
};

/// A parsed Jayway JsonPath.
///
/// Equality and hashing use the **source text** exactly as written, so
/// `$.a` and `$['a']` are different values even though they select the same
/// nodes; compare [`JsonPath::segments`] for structural equality.
#[derive(Clone, Debug)]
pub struct JsonPath {
    source: String,
    segments: Vec<Segment>,
}

/// A syntax error in a JsonPath, located by character offset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid JsonPath at offset {offset}: {message}")]
pub struct JsonPathError {
    /// 0-based offset, in characters (not bytes), of the offending character
    /// in the source text (the text's length when the path ended too early).
    pub offset: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

impl JsonPathError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        JsonPathError {
            offset,
            message: message.into(),
        }
    }
}

impl JsonPath {
    /// Parses Jayway JsonPath text.
    pub fn parse(src: &str) -> Result<JsonPath, JsonPathError> {
        let segments = parse::parse_path(src)?;
        Ok(JsonPath {
            source: src.to_string(),
            segments,
        })
    }

    /// A path from already-parsed parts, for generated code that must not parse at start-up.
    /// `segments` must be what [`JsonPath::parse`] gives for `source`; the code generator's
    /// tests check that for every path it emits.
    pub fn from_parts(source: &str, segments: Vec<Segment>) -> JsonPath {
        JsonPath {
            source: source.to_owned(),
            segments,
        }
    }

    /// The steps of the path after the root `$`.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The original text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// RFC 6901 JSON pointers of every node the path selects in `root`, in
    /// document order, each once. `$` alone gives `""` (the root).
    pub fn select_pointers(&self, root: &Value) -> Vec<String> {
        eval::select_pointers(&self.segments, root)
    }
}

impl Selector {
    /// Whether a deep scan (`..sel`) applies this selector at `node` (Jayway's
    /// `ScanPathToken` predicates): a name when the object has it; names when
    /// the object has all of them (or, not as the last step, any object); an
    /// index or slice at an array; a wildcard anywhere; a filter when it
    /// accepts the node. `leaf` says whether the selector is the path's last.
    pub fn scan_matches(&self, node: &Value, root: &Value, leaf: bool) -> bool {
        match self {
            Selector::Name(n) => node.as_object().is_some_and(|m| m.contains_key(n)),
            Selector::Names(ns) => node
                .as_object()
                .is_some_and(|m| !leaf || ns.iter().all(|n| m.contains_key(n))),
            Selector::Index(_) | Selector::Indices(_) | Selector::Slice { .. } => node.is_array(),
            Selector::Wildcard => true,
            Selector::Filter(f) => f.matches(node, root),
        }
    }
}

impl FilterExpr {
    /// Whether the filter accepts `node` (`@`), with `root` as `$`. Jayway
    /// evaluation errors count as "no".
    pub fn matches(&self, node: &Value, root: &Value) -> bool {
        eval::accept(self, node, root)
    }
}

impl PartialEq for JsonPath {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for JsonPath {}

impl Hash for JsonPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

impl FromStr for JsonPath {
    type Err = JsonPathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JsonPath::parse(s)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Serialize for JsonPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    /// Parses the string; an error is reported at the offending character of the YAML source.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = crate::located::deserialize_located_str(deserializer)?;
        JsonPath::parse(&text.value).map_err(|e| {
            crate::located::located_error(
                text.span.pos_of_char(e.offset),
                crate::diagnostic::ErrorCode::InvalidJsonPath,
                &format!("invalid JSONPath `{}`: {}", text.value, e.message),
            )
        })
    }
}

impl schemars::JsonSchema for JsonPath {
    fn schema_name() -> Cow<'static, str> {
        "JsonPath".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A JSONPath in the Jayway JsonPath dialect (com.jayway.jsonpath, as used by psoxy rules), e.g. `$.items[*].attendees[*].email` or `$..[?(@.type == 'mention')].user_id`.",
            "examples": ["$..email", "$.items[*].organizer.email"]
        })
    }
}
