//! The text transforms (`redactRegexMatches`, `redactExceptPhrases`,
//! `redactExceptSubstringsMatchingRegexes`, `filterTokenByRegex`, `textDigest`) with psoxy's
//! semantics, including where Java's regex engine differs from ours.
//!
//! psoxy's patterns are Java's: `matches()` must match the whole text, `.` stops at any line
//! terminator (`\n`, `\r`, U+0085, U+2028, U+2029) and `\s` is ASCII whitespace. Patterns this
//! module builds itself spell those out; patterns from rules are anchored with `^(?:…)$` for
//! full-match uses.

use std::collections::BTreeMap;

use regex::{Regex, RegexSet};
use serde_json::Value;
use sluice_spec::regex::{Matcher, RegexLimitError, SpecRegex};

use super::output::to_json_string;

/// Java's `.`: anything but a line terminator.
const JAVA_DOT: &str = r"[^\n\r\u{85}\u{2028}\u{2029}]";

/// A rule's regex anchored for Java's `matches()`.
pub(crate) fn full_match(regex: &SpecRegex) -> Matcher {
    regex.wrapped("^(?:", ")$")
}

/// Commons-lang `isBlank`: empty or only Java whitespace.
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars().all(is_java_whitespace)
}

/// Java's `Character.isWhitespace`.
fn is_java_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{1C}'..='\u{1F}'
    ) || (c.is_whitespace() && !matches!(c, '\u{A0}' | '\u{2007}' | '\u{202F}' | '\u{85}'))
}

/// Java's `String.trim`: strips characters up to U+0020 from both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// `redactRegexMatches`: every match of every pattern, in order, is removed.
pub(crate) fn redact_regex_matches(
    text: &str,
    patterns: &[Matcher],
) -> Result<String, RegexLimitError> {
    let mut out = text.to_owned();
    for pattern in patterns {
        out = pattern.replace_all(&out, "")?.into_owned();
    }
    Ok(out)
}

/// `redactExceptPhrases`: the phrases found (as whole words, case-insensitively), as written in
/// the text, joined with `,`; `""` when none is.
#[derive(Debug, Clone)]
pub(crate) struct Phrases(Vec<Regex>);

impl Phrases {
    pub(crate) fn new(phrases: &[String]) -> Self {
        Self(
            phrases
                .iter()
                .map(|p| {
                    let pattern = format!(
                        r"(?i)^{JAVA_DOT}*?\b({}){JAVA_SPACE_OR_COLON}*\b{JAVA_DOT}*?$",
                        regex::escape(p),
                        JAVA_SPACE_OR_COLON = "[ \\t\\n\\x0B\\f\\r:]"
                    );
                    Regex::new(&pattern).expect("an escaped phrase compiles")
                })
                .collect(),
        )
    }

    pub(crate) fn apply(&self, text: &str) -> String {
        self.0
            .iter()
            .filter_map(|re| re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str()))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// `redactExceptSubstringsMatchingRegexes`: the longest substring matching one of the
/// exceptions (the first listed on a tie); `""` when none matches.
///
/// Each exception is wrapped as `^.*?(E).*?$` (Java's `.`), which needs a capture search over the
/// whole text. A wrapped pattern can only match where `E` itself matches somewhere in the text
/// (the group holds exactly `E`, and assertions such as `\b` see the same text), so one set
/// search of the bare exceptions first says which wrapped patterns are worth running at all:
/// most titles match none.
#[derive(Debug, Clone)]
pub(crate) struct Exceptions {
    wrapped: Vec<Matcher>,
    /// The bare exceptions, when the linear engine runs them all.
    prefilter: Option<RegexSet>,
}

impl Exceptions {
    pub(crate) fn new(exceptions: &[SpecRegex]) -> Self {
        Self {
            wrapped: exceptions
                .iter()
                .map(|e| e.wrapped(&format!("^{JAVA_DOT}*?("), &format!("){JAVA_DOT}*?$")))
                .collect(),
            // Only when the linear engine reads every one as Java does.
            prefilter: exceptions
                .iter()
                .all(|e| e.matcher().is_fast())
                .then(|| RegexSet::new(exceptions.iter().map(SpecRegex::translated)).ok())
                .flatten(),
        }
    }

    pub(crate) fn apply(&self, text: &str) -> Result<String, RegexLimitError> {
        let mut best: Option<&str> = None;
        let mut consider = |re: &Matcher| -> Result<(), RegexLimitError> {
            if let Some(m) = re.captures(text)?.and_then(|c| c.get(1))
                && best.is_none_or(|b| m.as_str().chars().count() > b.chars().count())
            {
                best = Some(m.as_str());
            }
            Ok(())
        };
        match &self.prefilter {
            // `matches` lists the candidates in rule order, which keeps the tie rule.
            Some(set) => {
                for i in set.matches(text).iter() {
                    consider(&self.wrapped[i])?;
                }
            }
            None => {
                for re in &self.wrapped {
                    consider(re)?;
                }
            }
        }
        Ok(best.unwrap_or_default().to_owned())
    }
}

/// `filterTokenByRegex`: splits on the delimiter (Java's `split`), keeps tokens that fully match
/// a filter, joins them with a space; `None` (null) when nothing is kept. `filters` holds the
/// anchored filters: a token is kept when any of them matches it.
pub(crate) fn filter_tokens(
    text: &str,
    delimiter: &Delimiter,
    filters: &FullMatchSet,
) -> Result<Option<String>, RegexLimitError> {
    let mut joined = String::new();
    let mut first = true;
    for token in java_split(text, delimiter)? {
        if filters.is_match(token)? {
            if !first {
                joined.push(' ');
            }
            first = false;
            joined.push_str(token);
        }
    }
    let trimmed = java_trim(&joined);
    Ok(if trimmed.len() == joined.len() {
        (!joined.is_empty()).then_some(joined)
    } else {
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    })
}

/// The anchored (`^(?:…)$`) forms of some patterns, for Java `matches()` against any: one set
/// when the linear engine runs them all, else each in turn.
#[derive(Debug, Clone)]
pub(crate) enum FullMatchSet {
    Set(RegexSet),
    Each(Vec<Matcher>),
}

impl FullMatchSet {
    pub(crate) fn new(patterns: &[SpecRegex]) -> Self {
        if patterns.iter().all(|p| p.matcher().is_fast()) {
            Self::Set(
                RegexSet::new(patterns.iter().map(|p| format!("^(?:{})$", p.translated())))
                    .expect("patterns that compiled also compile anchored"),
            )
        } else {
            Self::Each(patterns.iter().map(full_match).collect())
        }
    }

    fn is_match(&self, text: &str) -> Result<bool, RegexLimitError> {
        match self {
            Self::Set(set) => Ok(set.is_match(text)),
            Self::Each(each) => {
                for m in each {
                    if m.is_match(text)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
}

/// Java's `String.split(regex)`: trailing empty strings dropped; a zero-width match at the start
/// yields no leading empty string.
fn java_split<'t>(text: &'t str, delimiter: &Delimiter) -> Result<Vec<&'t str>, RegexLimitError> {
    Ok(match delimiter {
        Delimiter::Whitespace => java_split_at(text, whitespace_runs(text)),
        Delimiter::Regex(Matcher::Fast(re)) => {
            java_split_at(text, re.find_iter(text).map(|m| m.range()))
        }
        Delimiter::Regex(re) => {
            let mut ranges = Vec::new();
            re.for_each_match(text, |r| ranges.push(r))?;
            java_split_at(text, ranges.into_iter())
        }
    })
}

/// `java_split` given the delimiter's matches, in order.
fn java_split_at(text: &str, matches: impl Iterator<Item = std::ops::Range<usize>>) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut last = 0;
    for m in matches {
        if m.start == 0 && m.end == 0 {
            continue;
        }
        if m.start == m.end && m.start == text.len() {
            break;
        }
        pieces.push(&text[last..m.start]);
        last = m.end;
    }
    pieces.push(&text[last..]);
    while pieces.last() == Some(&"") && pieces.len() > 1 {
        pieces.pop();
    }
    if pieces == [""] && !text.is_empty() {
        pieces.clear();
    }
    pieces
}

/// The matches of Java's regex `\s+` (ASCII whitespace: space, `\t`, `\n`, `\x0B`, `\f`,
/// `\r`): every maximal run of it.
fn whitespace_runs(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + bytes[at..].iter().position(is_space)?;
        let end = bytes[start..]
            .iter()
            .position(|b| !is_space(b))
            .map_or(bytes.len(), |n| start + n);
        at = end;
        Some(start..end)
    })
}

/// A `filterTokenByRegex` delimiter: the default `\s+` is scanned by hand (most rules use it, and
/// a regex search per token costs more than the token), anything else is a regex.
#[derive(Debug, Clone)]
pub(crate) enum Delimiter {
    /// `\s+`.
    Whitespace,
    /// Any other pattern.
    Regex(Matcher),
}

impl Delimiter {
    /// Recognises `\s+` as written in the rules (its compiled form is Java's ASCII class).
    pub(crate) fn new(regex: &SpecRegex) -> Self {
        if regex.as_str() == r"\s+" {
            Self::Whitespace
        } else {
            Self::Regex(regex.matcher().clone())
        }
    }
}

/// `textDigest`: `{"keywords"?:{…},"length":…,"word_count":…}` as a compact JSON string;
/// `length` counts UTF-16 code units, as Java does.
pub(crate) fn text_digest(text: &str, keywords: &[String]) -> String {
    if keywords.is_empty() {
        // The common case, written directly: the same bytes as the map below gives.
        let (length, words) = if text.is_empty() {
            (0, 0)
        } else {
            (
                text.encode_utf16().count(),
                java_word_count(java_trim(text)),
            )
        };
        return format!(r#"{{"length":{length},"word_count":{words}}}"#);
    }
    to_json_string(&text_digest_value(text, keywords))
}

/// `textDigest` as a JSON object, keys in psoxy's (`TreeMap`) order: `keywords` (only when one
/// was found), `length` (UTF-16 code units), `word_count` (Java's `trim().split("\\s+")`).
/// Blank keywords never match, as psoxy drops them.
pub(crate) fn text_digest_value(text: &str, keywords: &[String]) -> Value {
    let mut digest = serde_json::Map::new();
    if text.is_empty() {
        digest.insert("length".into(), Value::from(0));
        digest.insert("word_count".into(), Value::from(0));
        return Value::Object(digest);
    }
    if !keywords.is_empty() {
        let wanted: Vec<String> = keywords.iter().map(|k| k.to_lowercase()).collect();
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let lower = text.to_lowercase();
        for token in lower.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if !token.is_empty() && wanted.iter().any(|w| w == token) {
                *counts.entry(token.to_owned()).or_default() += 1;
            }
        }
        if !counts.is_empty() {
            let counts = counts
                .into_iter()
                .map(|(k, n)| (k, Value::from(n)))
                .collect();
            digest.insert("keywords".into(), Value::Object(counts));
        }
    }
    digest.insert("length".into(), Value::from(text.encode_utf16().count()));
    digest.insert(
        "word_count".into(),
        Value::from(java_word_count(java_trim(text))),
    );
    Value::Object(digest)
}

/// `trimmed.split("\\s+").length` in Java, for text already trimmed: one more than the number of
/// runs of ASCII whitespace (an empty text still splits into one empty string).
fn java_word_count(trimmed: &str) -> usize {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
    let mut runs = 0;
    let mut in_space = false;
    for &b in trimmed.as_bytes() {
        let space = is_space(b);
        if space && !in_space {
            runs += 1;
        }
        in_space = space;
    }
    runs + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(patterns: &[&str]) -> Vec<SpecRegex> {
        patterns
            .iter()
            .map(|p| SpecRegex::new(p).unwrap())
            .collect()
    }

    fn matcher(pattern: &str) -> Matcher {
        spec(pattern).matcher().clone()
    }

    fn spec(pattern: &str) -> SpecRegex {
        SpecRegex::new(pattern).unwrap()
    }

    #[test]
    fn phrases_keep_whole_words_as_written() {
        let p = Phrases::new(&["phrase1".into(), "phrase2 2".into(), "Phrase3".into()]);
        for (input, out) in [
            ("phrase1", "phrase1"),
            ("Phrase1", "Phrase1"),
            ("phrase2 2", "phrase2 2"),
            ("phrase3", "phrase3"),
            ("phrase4", ""),
            ("blah phrase1", "phrase1"),
            ("blah phrase1: blah", "phrase1"),
            ("line one\nphrase1", ""),
        ] {
            assert_eq!(p.apply(input), out, "{input:?}");
        }
    }

    #[test]
    fn exceptions_keep_the_longest_match() {
        let e = Exceptions::new(&rules(&["(?i)focus time", "(?i)focus time block"]));
        assert_eq!(
            e.apply("My Focus Time Block today").unwrap(),
            "Focus Time Block"
        );
        assert_eq!(e.apply("lunch").unwrap(), "");
        assert_eq!(e.apply("focus time\nsecond line").unwrap(), "");
    }

    #[test]
    fn look_ahead_exceptions_run_on_the_backtracking_engine() {
        let e = Exceptions::new(&rules(&[r"(?i)\bfocus(?! group)\b"]));
        assert!(e.prefilter.is_none());
        assert_eq!(e.apply("Focus time").unwrap(), "Focus");
        assert_eq!(e.apply("focus group").unwrap(), "");
        let filters = FullMatchSet::new(&rules(&[r"https://(?!evil\.)[^.]+\.zoom\.us/.*"]));
        let ws = Delimiter::new(&spec(r"\s+"));
        assert_eq!(
            filter_tokens(
                "a https://acme.zoom.us/j/1 https://evil.zoom.us/j/2",
                &ws,
                &filters
            )
            .unwrap()
            .as_deref(),
            Some("https://acme.zoom.us/j/1")
        );
    }

    #[test]
    fn text_transforms_fail_when_a_regex_gives_up() {
        let catastrophic = "^((?!b)a+)+c$";
        let text = format!("{}b", "a".repeat(29));
        assert!(redact_regex_matches(&text, &[matcher(catastrophic)]).is_err());
        assert!(
            Exceptions::new(&rules(&[catastrophic]))
                .apply(&text)
                .is_err()
        );
        let ws = Delimiter::new(&spec(r"\s+"));
        assert!(filter_tokens(&text, &ws, &FullMatchSet::new(&rules(&[catastrophic]))).is_err());
        assert!(
            filter_tokens(
                &text,
                &Delimiter::new(&spec(catastrophic)),
                &FullMatchSet::new(&rules(&["a"]))
            )
            .is_err()
        );
    }

    #[test]
    fn tokens_are_filtered_like_psoxy() {
        let delimiter = Delimiter::new(&spec(r"\s+"));
        let zoom = FullMatchSet::new(&rules(&[r"https://[^.]+\.zoom\.us/.*"]));
        assert_eq!(
            filter_tokens(
                "come to my zoom meeting! \r\n https://acme.zoom.us/12312345?pwd=1234asAf",
                &delimiter,
                &zoom
            )
            .unwrap()
            .as_deref(),
            Some("https://acme.zoom.us/12312345?pwd=1234asAf")
        );
        assert_eq!(
            filter_tokens(" https://acme.meet.us/x", &delimiter, &zoom).unwrap(),
            None
        );
    }

    /// The implementations the prefiltered ones replaced, kept as the reference.
    fn exceptions_reference(exceptions: &[&str], text: &str) -> String {
        let mut best: Option<&str> = None;
        for e in exceptions {
            let re = Regex::new(&format!("^{JAVA_DOT}*?({e}){JAVA_DOT}*?$")).unwrap();
            if let Some(m) = re.captures(text).and_then(|c| c.get(1))
                && best.is_none_or(|b| m.as_str().chars().count() > b.chars().count())
            {
                best = Some(m.as_str());
            }
        }
        best.unwrap_or_default().to_owned()
    }

    fn filter_tokens_reference(text: &str, delimiter: &Regex, filters: &[&str]) -> Option<String> {
        let filters: Vec<Regex> = filters
            .iter()
            // As Java reads them (its `\S` is ASCII): the translated pattern.
            .map(|f| Regex::new(&format!("^(?:{})$", spec(f).translated())).unwrap())
            .collect();
        let kept: Vec<&str> = java_split(text, &Delimiter::Regex(Matcher::Fast(delimiter.clone())))
            .unwrap()
            .into_iter()
            .filter(|token| filters.iter().any(|f| f.is_match(token)))
            .collect();
        let joined = kept.join(" ");
        let trimmed = java_trim(&joined);
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    const EXCEPTIONS: &[&str] = &[
        r"(?i)\bfocus(\s|-)?time\b",
        r"(?i)\bno(\s|-)meetings?\b",
        r"(?i)\b(OOO|out of office)\b",
        r"(?i)\b1\s?(:|on|-on-)\s?1\b",
        r"(?i)\bstand\s?-?up\b",
        r"(?i)\binterview\b",
        r"^a",
        r"b$",
        r"a|ab",
        r"(?m)^x$",
        r"x*",
        r"é+",
    ];

    const FILTERS: &[&str] = &[
        r"https://([a-z0-9-]+\.)?zoom\.us/[jw]/[0-9]+\S*",
        r"^https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}\S*$",
        r"x|xy",
        r"",
    ];

    fn arb_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pieces = prop::sample::select(vec![
            "focus",
            "Focus",
            " ",
            "-",
            "time",
            "no",
            "meeting",
            "meetings",
            "OOO",
            "out of office",
            "1",
            ":",
            "on",
            "-on-",
            "stand",
            "up",
            "interview",
            "a",
            "ab",
            "b",
            "x",
            "xy",
            "é",
            "\n",
            "\r",
            "\u{85}",
            "\u{2028}",
            "\t",
            "  ",
            "https://acme.zoom.us/j/123?pwd=z",
            "https://meet.google.com/abc-defg-hij",
            "zoom.us/j/1",
            "\u{a0}",
        ]);
        prop::collection::vec(pieces, 0..12).prop_map(|p| p.concat())
    }

    proptest::proptest! {
        #[test]
        fn prefiltered_exceptions_equal_the_wrapped_regexes(
            text in arb_text(),
            picks in proptest::collection::vec(0..EXCEPTIONS.len(), 1..5),
        ) {
            let chosen: Vec<&str> = picks.iter().map(|&i| EXCEPTIONS[i]).collect();
            proptest::prop_assert_eq!(
                Exceptions::new(&rules(&chosen)).apply(&text).unwrap(),
                exceptions_reference(&chosen, &text)
            );
        }

        #[test]
        fn whitespace_runs_are_the_matches_of_backslash_s_plus(text in arb_text(), any in ".*") {
            // Java's `\s` is ASCII, and so is its translation.
            let re = Regex::new(spec(r"\s+").translated()).unwrap();
            for t in [&text, &any] {
                let expected: Vec<_> = re.find_iter(t).map(|m| m.range()).collect();
                proptest::prop_assert_eq!(whitespace_runs(t).collect::<Vec<_>>(), expected);
            }
        }

        #[test]
        fn token_filter_sets_equal_any_of_the_filters(
            text in arb_text(),
            picks in proptest::collection::vec(0..FILTERS.len(), 1..4),
            delimiter in proptest::sample::select(vec![r"\s+", " ", "o", "x*"]),
        ) {
            let chosen: Vec<&str> = picks.iter().map(|&i| FILTERS[i]).collect();
            let written = spec(delimiter);
            let delimiter = Regex::new(written.translated()).unwrap();
            proptest::prop_assert_eq!(
                filter_tokens(
                    &text,
                    &Delimiter::new(&written),
                    &FullMatchSet::new(&rules(&chosen))
                )
                .unwrap(),
                filter_tokens_reference(&text, &delimiter, &chosen)
            );
        }
    }

    #[test]
    fn java_split_drops_trailing_empties_and_keeps_a_leading_one() {
        let comma = Delimiter::new(&spec(","));
        assert_eq!(java_split("a,b,,", &comma).unwrap(), ["a", "b"]);
        assert_eq!(java_split(",a", &comma).unwrap(), ["", "a"]);
        assert_eq!(java_split("", &comma).unwrap(), [""]);
    }

    #[test]
    fn digests_count_utf16_units_words_and_keywords() {
        assert_eq!(
            text_digest("Hello world", &[]),
            r#"{"length":11,"word_count":2}"#
        );
        assert_eq!(text_digest("", &[]), r#"{"length":0,"word_count":0}"#);
        assert_eq!(text_digest("   ", &[]), r#"{"length":3,"word_count":1}"#);
        assert_eq!(text_digest("😀", &[]), r#"{"length":2,"word_count":1}"#);
        assert_eq!(
            text_digest(
                "Urgent: the deploy is urgent!",
                &["URGENT".into(), "deploy".into()]
            ),
            r#"{"keywords":{"deploy":1,"urgent":2},"length":29,"word_count":5}"#
        );
    }

    #[test]
    fn regex_matches_are_removed_everywhere() {
        let pwd = [matcher("(?i)pwd=[^&]*")];
        assert_eq!(
            redact_regex_matches("https://z.us/j/1?PWD=abc&x=1", &pwd).unwrap(),
            "https://z.us/j/1?&x=1"
        );
    }
}
