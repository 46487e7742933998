//! Transforms: what a rule does to the values its JSONPaths select (psoxy's `Transform` family).
//!
//! A transform is written with a YAML tag (`!<pseudonymize>`) or, in psoxy's JSON form, with a
//! `method:` key; both load to the same [`Transform`]. Options that do not belong to the chosen
//! transform are refused at their own line, so a misplaced `regex:` is not silently ignored.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::ErrorCode;
use crate::jsonpath::JsonPath;
use crate::located::{Located, located_error};
use crate::regex::SpecRegex;

/// The transform kinds, by their psoxy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransformKind {
    /// `!<redact>`: removes the selected values.
    Redact,
    /// `!<redactRegexMatches>`: removes the parts of strings matching any of `redactions`.
    RedactRegexMatches,
    /// `!<redactExceptPhrases>`: keeps only the `allowedPhrases` found in a string.
    RedactExceptPhrases,
    /// `!<redactExceptSubstringsMatchingRegexes>`: keeps only substrings matching `exceptions`.
    RedactExceptSubstringsMatchingRegexes,
    /// `!<pseudonymize>`: replaces values by their pseudonyms.
    Pseudonymize,
    /// `!<pseudonymizeEmailHeader>`: pseudonymizes each address in an email header value.
    PseudonymizeEmailHeader,
    /// `!<pseudonymizeRegexMatches>`: pseudonymizes the part of a string matched by `regex`.
    PseudonymizeRegexMatches,
    /// `!<filterTokenByRegex>`: keeps only the tokens matching one of `filters`.
    FilterTokenByRegex,
    /// `!<tokenize>`: replaces values (or the part matched by `regex`) by reversible tokens.
    Tokenize,
    /// `!<textDigest>`: replaces text by its length, word count and keyword counts.
    TextDigest,
    /// `!<hashIp>`: replaces IP addresses by a format-preserving hash.
    HashIp,
    /// `!<encryptIp>`: replaces IP addresses by a reversible encryption.
    EncryptIp,
}

impl TransformKind {
    /// Every kind, in the order error messages list them.
    pub const ALL: [TransformKind; 12] = [
        Self::Redact,
        Self::RedactRegexMatches,
        Self::RedactExceptPhrases,
        Self::RedactExceptSubstringsMatchingRegexes,
        Self::Pseudonymize,
        Self::PseudonymizeEmailHeader,
        Self::PseudonymizeRegexMatches,
        Self::FilterTokenByRegex,
        Self::Tokenize,
        Self::TextDigest,
        Self::HashIp,
        Self::EncryptIp,
    ];

    /// psoxy's name, as written in tags and `method:`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Redact => "redact",
            Self::RedactRegexMatches => "redactRegexMatches",
            Self::RedactExceptPhrases => "redactExceptPhrases",
            Self::RedactExceptSubstringsMatchingRegexes => "redactExceptSubstringsMatchingRegexes",
            Self::Pseudonymize => "pseudonymize",
            Self::PseudonymizeEmailHeader => "pseudonymizeEmailHeader",
            Self::PseudonymizeRegexMatches => "pseudonymizeRegexMatches",
            Self::FilterTokenByRegex => "filterTokenByRegex",
            Self::Tokenize => "tokenize",
            Self::TextDigest => "textDigest",
            Self::HashIp => "hashIp",
            Self::EncryptIp => "encryptIp",
        }
    }

    /// The kind named `name` (exact, case-sensitive, as psoxy).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The options this kind takes besides `jsonPaths`, `applyOnlyWhen` and `fields`.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Self::Redact | Self::HashIp | Self::EncryptIp => &[],
            Self::RedactRegexMatches => &["redactions"],
            Self::RedactExceptPhrases => &["allowedPhrases"],
            Self::RedactExceptSubstringsMatchingRegexes => &["exceptions"],
            Self::Pseudonymize => &[
                "encoding",
                "includeOriginal",
                "includeReversible",
                "onlyIfRegex",
            ],
            Self::PseudonymizeEmailHeader => &["encoding"],
            Self::PseudonymizeRegexMatches => &["regex", "includeReversible"],
            Self::FilterTokenByRegex => &["delimiter", "filters"],
            Self::Tokenize => &["regex"],
            Self::TextDigest => &["isJsonEscaped", "jsonPathToProcessWhenEscaped", "keywords"],
        }
    }

    /// The valid tags, for error messages: `!<redact>, !<pseudonymize>, …`.
    pub fn valid_tags() -> String {
        Self::ALL
            .iter()
            .map(|k| format!("!<{}>", k.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for TransformKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a pseudonym is written into the output (psoxy's `PseudonymEncoder.Implementations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Encoding {
    /// A JSON object: `{"hash": …}`, plus `domain`, `original`, `reversible` as configured.
    Json,
    /// A string token: `t~<hash>`, or `p~<hash+ciphertext>` when reversible.
    #[default]
    UrlSafeToken,
    /// The bare base64url hash, without prefix.
    UrlSafeHashOnly,
}

/// What every transform has: the values it applies to and an optional condition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    /// The JSONPaths whose matches the transform is applied to.
    pub json_paths: Vec<Located<JsonPath>>,
    /// When present, the transform applies only to documents in which this path matches.
    pub apply_only_when: Option<Located<JsonPath>>,
    /// psoxy's deprecated CSV field names; kept so old files load, not used for JSON.
    pub fields: Vec<String>,
}

/// One transform with its options.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// See [`TransformKind::Redact`].
    Redact {
        /// Which values.
        selection: Selection,
    },
    /// See [`TransformKind::RedactRegexMatches`].
    RedactRegexMatches {
        /// Which values.
        selection: Selection,
        /// Parts of strings matching any of these are removed.
        redactions: Vec<SpecRegex>,
    },
    /// See [`TransformKind::RedactExceptPhrases`].
    RedactExceptPhrases {
        /// Which values.
        selection: Selection,
        /// Phrases kept when present (case-insensitive); everything else is removed.
        allowed_phrases: Vec<String>,
    },
    /// See [`TransformKind::RedactExceptSubstringsMatchingRegexes`].
    RedactExceptSubstringsMatchingRegexes {
        /// Which values.
        selection: Selection,
        /// Substrings matching one of these are kept; the rest is removed.
        exceptions: Vec<SpecRegex>,
    },
    /// See [`TransformKind::Pseudonymize`].
    Pseudonymize {
        /// Which values.
        selection: Selection,
        /// How the pseudonym is written.
        encoding: Encoding,
        /// Keep the original value beside its pseudonym (JSON encoding only).
        include_original: bool,
        /// Add a reversible form (`p~` token / `reversible` field).
        include_reversible: bool,
        /// Only values matching this are pseudonymized; with a capture group, only the group.
        only_if_regex: Option<SpecRegex>,
    },
    /// See [`TransformKind::PseudonymizeEmailHeader`].
    PseudonymizeEmailHeader {
        /// Which values.
        selection: Selection,
        /// How each pseudonym is written.
        encoding: Encoding,
    },
    /// See [`TransformKind::PseudonymizeRegexMatches`].
    PseudonymizeRegexMatches {
        /// Which values.
        selection: Selection,
        /// The part matched (or its first capture group) is pseudonymized; no match redacts.
        regex: SpecRegex,
        /// Use a reversible token.
        include_reversible: bool,
    },
    /// See [`TransformKind::FilterTokenByRegex`].
    FilterTokenByRegex {
        /// Which values.
        selection: Selection,
        /// Splits a string into tokens (a regex; default whitespace).
        delimiter: SpecRegex,
        /// Tokens matching one of these are kept.
        filters: Vec<SpecRegex>,
    },
    /// See [`TransformKind::Tokenize`].
    Tokenize {
        /// Which values.
        selection: Selection,
        /// When present, only the first capture group of the match is tokenized.
        regex: Option<SpecRegex>,
    },
    /// See [`TransformKind::TextDigest`].
    TextDigest {
        /// Which values.
        selection: Selection,
        /// The value is itself a JSON-encoded string to parse first.
        is_json_escaped: bool,
        /// With `isJsonEscaped`: the path inside the decoded JSON to digest.
        json_path_to_process_when_escaped: Option<Located<JsonPath>>,
        /// Words counted in the digest (case-insensitive).
        keywords: Vec<String>,
    },
    /// See [`TransformKind::HashIp`].
    HashIp {
        /// Which values.
        selection: Selection,
    },
    /// See [`TransformKind::EncryptIp`].
    EncryptIp {
        /// Which values.
        selection: Selection,
    },
}

impl Transform {
    /// The kind of transform.
    pub fn kind(&self) -> TransformKind {
        match self {
            Self::Redact { .. } => TransformKind::Redact,
            Self::RedactRegexMatches { .. } => TransformKind::RedactRegexMatches,
            Self::RedactExceptPhrases { .. } => TransformKind::RedactExceptPhrases,
            Self::RedactExceptSubstringsMatchingRegexes { .. } => {
                TransformKind::RedactExceptSubstringsMatchingRegexes
            }
            Self::Pseudonymize { .. } => TransformKind::Pseudonymize,
            Self::PseudonymizeEmailHeader { .. } => TransformKind::PseudonymizeEmailHeader,
            Self::PseudonymizeRegexMatches { .. } => TransformKind::PseudonymizeRegexMatches,
            Self::FilterTokenByRegex { .. } => TransformKind::FilterTokenByRegex,
            Self::Tokenize { .. } => TransformKind::Tokenize,
            Self::TextDigest { .. } => TransformKind::TextDigest,
            Self::HashIp { .. } => TransformKind::HashIp,
            Self::EncryptIp { .. } => TransformKind::EncryptIp,
        }
    }

    /// The values the transform applies to.
    pub fn selection(&self) -> &Selection {
        match self {
            Self::Redact { selection }
            | Self::RedactRegexMatches { selection, .. }
            | Self::RedactExceptPhrases { selection, .. }
            | Self::RedactExceptSubstringsMatchingRegexes { selection, .. }
            | Self::Pseudonymize { selection, .. }
            | Self::PseudonymizeEmailHeader { selection, .. }
            | Self::PseudonymizeRegexMatches { selection, .. }
            | Self::FilterTokenByRegex { selection, .. }
            | Self::Tokenize { selection, .. }
            | Self::TextDigest { selection, .. }
            | Self::HashIp { selection }
            | Self::EncryptIp { selection } => selection,
        }
    }
}

/// The written form of a transform: every option any transform takes, each with its position.
/// [`Transform`]'s `Deserialize` reads this, then checks the options against the kind.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(
    title = "Transform",
    description = "A transform, written with a YAML tag (`!<pseudonymize>`) or with `method:`."
)]
struct WrittenTransform {
    /// The transform, when not given as a YAML tag (psoxy's JSON form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<MethodName>")]
    method: Option<Located<String>>,
    /// JSONPaths (Jayway dialect) selecting the values to transform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["$..email"])]
    json_paths: Option<Located<Vec<Located<JsonPath>>>>,
    /// Deprecated psoxy CSV field names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["email"])]
    fields: Option<Located<Vec<String>>>,
    /// A JSONPath; the transform applies only to documents where it matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"$[?(@.type == 'user')]")]
    apply_only_when: Option<Located<JsonPath>>,
    /// pseudonymize, pseudonymizeEmailHeader: `JSON`, `URL_SAFE_TOKEN` (default) or
    /// `URL_SAFE_HASH_ONLY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"URL_SAFE_TOKEN")]
    encoding: Option<Located<Encoding>>,
    /// pseudonymize: keep the original beside the pseudonym (JSON encoding only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = true)]
    include_original: Option<Located<bool>>,
    /// pseudonymize, pseudonymizeRegexMatches: add a reversible `p~` form.
    #[serde(
        default,
        alias = "includeEncrypted",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(example = true)]
    include_reversible: Option<Located<bool>>,
    /// pseudonymize: only values matching this regex are pseudonymized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"^smtp:(.*)$")]
    only_if_regex: Option<Located<SpecRegex>>,
    /// pseudonymizeRegexMatches (required), tokenize: the regex whose match (or first group) is
    /// transformed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"^(?i)smtp:(.*)$")]
    regex: Option<Located<SpecRegex>>,
    /// redactRegexMatches: regexes whose matches are removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["(?i)pwd=[^&]*"])]
    redactions: Option<Located<Vec<SpecRegex>>>,
    /// redactExceptPhrases: phrases kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["Focus Time", "1:1"])]
    allowed_phrases: Option<Located<Vec<String>>>,
    /// redactExceptSubstringsMatchingRegexes: regexes whose matches are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["(?i)focus time"])]
    exceptions: Option<Located<Vec<SpecRegex>>>,
    /// filterTokenByRegex: token delimiter regex (default `\s+`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"\\s+")]
    delimiter: Option<Located<SpecRegex>>,
    /// filterTokenByRegex: tokens matching one of these are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["https://[^.]+\\.zoom\\.us/.*"])]
    filters: Option<Located<Vec<SpecRegex>>>,
    /// textDigest: the value is a JSON-encoded string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = true)]
    is_json_escaped: Option<Located<bool>>,
    /// textDigest: with isJsonEscaped, the path inside the decoded JSON to digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"$..text")]
    json_path_to_process_when_escaped: Option<Located<JsonPath>>,
    /// textDigest: words to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["urgent"])]
    keywords: Option<Located<Vec<String>>>,
}

/// The transform names, for the schema of `method`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // only its schema is used
enum MethodName {
    Redact,
    RedactRegexMatches,
    RedactExceptPhrases,
    RedactExceptSubstringsMatchingRegexes,
    Pseudonymize,
    PseudonymizeEmailHeader,
    PseudonymizeRegexMatches,
    FilterTokenByRegex,
    Tokenize,
    TextDigest,
    HashIp,
    EncryptIp,
}

impl WrittenTransform {
    /// Names and positions of the options present, besides the common ones.
    fn options_present(&self) -> Vec<(&'static str, crate::diagnostic::Pos)> {
        let mut present = Vec::new();
        let mut note = |name: &'static str, pos: Option<crate::diagnostic::Pos>| {
            if let Some(pos) = pos {
                present.push((name, pos));
            }
        };
        note("encoding", self.encoding.as_ref().map(Located::pos));
        note(
            "includeOriginal",
            self.include_original.as_ref().map(Located::pos),
        );
        note(
            "includeReversible",
            self.include_reversible.as_ref().map(Located::pos),
        );
        note("onlyIfRegex", self.only_if_regex.as_ref().map(Located::pos));
        note("regex", self.regex.as_ref().map(Located::pos));
        note("redactions", self.redactions.as_ref().map(Located::pos));
        note(
            "allowedPhrases",
            self.allowed_phrases.as_ref().map(Located::pos),
        );
        note("exceptions", self.exceptions.as_ref().map(Located::pos));
        note("delimiter", self.delimiter.as_ref().map(Located::pos));
        note("filters", self.filters.as_ref().map(Located::pos));
        note(
            "isJsonEscaped",
            self.is_json_escaped.as_ref().map(Located::pos),
        );
        note(
            "jsonPathToProcessWhenEscaped",
            self.json_path_to_process_when_escaped
                .as_ref()
                .map(Located::pos),
        );
        note("keywords", self.keywords.as_ref().map(Located::pos));
        present
    }

    fn into_transform(self, kind: TransformKind) -> Transform {
        let flag = |b: Option<Located<bool>>| b.is_some_and(|b| b.value);
        let list = |l: Option<Located<Vec<SpecRegex>>>| l.map(|l| l.value).unwrap_or_default();
        let selection = Selection {
            json_paths: self.json_paths.map(|p| p.value).unwrap_or_default(),
            apply_only_when: self.apply_only_when,
            fields: self.fields.map(|f| f.value).unwrap_or_default(),
        };
        let encoding = self.encoding.map(|e| e.value).unwrap_or_default();
        match kind {
            TransformKind::Redact => Transform::Redact { selection },
            TransformKind::HashIp => Transform::HashIp { selection },
            TransformKind::EncryptIp => Transform::EncryptIp { selection },
            TransformKind::RedactRegexMatches => Transform::RedactRegexMatches {
                selection,
                redactions: list(self.redactions),
            },
            TransformKind::RedactExceptPhrases => Transform::RedactExceptPhrases {
                selection,
                allowed_phrases: self.allowed_phrases.map(|l| l.value).unwrap_or_default(),
            },
            TransformKind::RedactExceptSubstringsMatchingRegexes => {
                Transform::RedactExceptSubstringsMatchingRegexes {
                    selection,
                    exceptions: list(self.exceptions),
                }
            }
            TransformKind::Pseudonymize => Transform::Pseudonymize {
                selection,
                encoding,
                include_original: flag(self.include_original),
                include_reversible: flag(self.include_reversible),
                only_if_regex: self.only_if_regex.map(|r| r.value),
            },
            TransformKind::PseudonymizeEmailHeader => Transform::PseudonymizeEmailHeader {
                selection,
                encoding,
            },
            TransformKind::PseudonymizeRegexMatches => Transform::PseudonymizeRegexMatches {
                selection,
                regex: self.regex.expect("checked before conversion").value,
                include_reversible: flag(self.include_reversible),
            },
            TransformKind::FilterTokenByRegex => Transform::FilterTokenByRegex {
                selection,
                delimiter: self
                    .delimiter
                    .map(|d| d.value)
                    .unwrap_or_else(default_delimiter),
                filters: list(self.filters),
            },
            TransformKind::Tokenize => Transform::Tokenize {
                selection,
                regex: self.regex.map(|r| r.value),
            },
            TransformKind::TextDigest => Transform::TextDigest {
                selection,
                is_json_escaped: flag(self.is_json_escaped),
                json_path_to_process_when_escaped: self.json_path_to_process_when_escaped,
                keywords: self.keywords.map(|k| k.value).unwrap_or_default(),
            },
        }
    }
}

/// psoxy's default token delimiter for `filterTokenByRegex`: runs of whitespace.
pub fn default_delimiter() -> SpecRegex {
    SpecRegex::new(r"\s+").expect("the default delimiter compiles")
}

/// The prefix of the message of an unknown-tag error; the loader moves such errors onto the tag.
pub(crate) const UNKNOWN_TAG_PREFIX: &str = "unknown transform tag ";

impl<'de> Deserialize<'de> for Transform {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let node = serde_saphyr::Spanned::<serde_saphyr::Tagged<WrittenTransform>>::deserialize(d)?;
        let start = crate::located::span_of(&node.referenced, None).start;
        let serde_saphyr::Tagged(written, tag) = node.value;

        let tag_name = tag.as_deref().map(|t| {
            let t = t
                .strip_prefix("!<")
                .and_then(|t| t.strip_suffix('>'))
                .unwrap_or(t);
            t.trim_start_matches('!')
        });
        let kind = match (tag_name, &written.method) {
            (Some(tag), method) => {
                let kind = TransformKind::from_name(tag).ok_or_else(|| {
                    let hint = crate::suggest::did_you_mean(
                        tag,
                        TransformKind::ALL.iter().map(|k| k.name()),
                    )
                    .map(|s| format!("did you mean `!<{s}>`? "))
                    .unwrap_or_default();
                    located_error(
                        start,
                        ErrorCode::UnknownTransform,
                        &format!(
                            "{UNKNOWN_TAG_PREFIX}`!<{tag}>`; {hint}valid tags: {}",
                            TransformKind::valid_tags()
                        ),
                    )
                })?;
                if let Some(method) = method.as_ref().filter(|m| m.value != tag) {
                    return Err(located_error(
                        method.pos(),
                        ErrorCode::InvalidValue,
                        &format!(
                            "`method: {}` contradicts the tag `!<{tag}>`; keep one of the two",
                            method.value
                        ),
                    ));
                }
                kind
            }
            (None, Some(method)) => TransformKind::from_name(&method.value).ok_or_else(|| {
                let hint = crate::suggest::did_you_mean(
                    &method.value,
                    TransformKind::ALL.iter().map(|k| k.name()),
                )
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
                located_error(
                    method.pos(),
                    ErrorCode::UnknownTransform,
                    &format!(
                        "unknown transform `method: {}`; {hint}valid methods: {}",
                        method.value,
                        TransformKind::ALL.map(|k| k.name()).join(", ")
                    ),
                )
            })?,
            (None, None) => {
                return Err(located_error(
                    start,
                    ErrorCode::MissingField,
                    &format!(
                        "transform has no type: tag it (one of {}) or add `method:`",
                        TransformKind::valid_tags()
                    ),
                ));
            }
        };

        for (option, pos) in written.options_present() {
            if !kind.options().contains(&option) {
                let takes = ["jsonPaths", "applyOnlyWhen"]
                    .iter()
                    .chain(kind.options())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(located_error(
                    pos,
                    ErrorCode::UnknownField,
                    &format!("`{option}` is not an option of `!<{kind}>`, which takes: {takes}"),
                ));
            }
        }
        if kind == TransformKind::PseudonymizeRegexMatches && written.regex.is_none() {
            return Err(located_error(
                start,
                ErrorCode::MissingField,
                "`!<pseudonymizeRegexMatches>` needs `regex:`, the pattern whose match is \
                 pseudonymized",
            ));
        }
        if written
            .json_paths
            .as_ref()
            .is_none_or(|p| p.value.is_empty())
            && written.fields.as_ref().is_none_or(|f| f.value.is_empty())
        {
            return Err(located_error(
                start,
                ErrorCode::MissingField,
                &format!("`!<{kind}>` needs `jsonPaths:`, the values it applies to"),
            ));
        }
        if let Some(original) = &written.include_original
            && original.value
            && written
                .encoding
                .as_ref()
                .map(|e| e.value)
                .unwrap_or_default()
                != Encoding::Json
        {
            return Err(located_error(
                original.pos(),
                ErrorCode::InvalidValue,
                "`includeOriginal: true` needs `encoding: JSON` (a token cannot carry the original)",
            ));
        }
        Ok(written.into_transform(kind))
    }
}

impl Serialize for Transform {
    /// psoxy's JSON form: `method` first, then the options that differ from their defaults.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("method", self.kind().name())?;
        let selection = self.selection();
        if !selection.json_paths.is_empty() {
            map.serialize_entry("jsonPaths", &selection.json_paths)?;
        }
        if !selection.fields.is_empty() {
            map.serialize_entry("fields", &selection.fields)?;
        }
        if let Some(when) = &selection.apply_only_when {
            map.serialize_entry("applyOnlyWhen", when)?;
        }
        match self {
            Self::Redact { .. } | Self::HashIp { .. } | Self::EncryptIp { .. } => {}
            Self::RedactRegexMatches { redactions, .. } => {
                map.serialize_entry("redactions", redactions)?;
            }
            Self::RedactExceptPhrases {
                allowed_phrases, ..
            } => {
                map.serialize_entry("allowedPhrases", allowed_phrases)?;
            }
            Self::RedactExceptSubstringsMatchingRegexes { exceptions, .. } => {
                map.serialize_entry("exceptions", exceptions)?;
            }
            Self::Pseudonymize {
                encoding,
                include_original,
                include_reversible,
                only_if_regex,
                ..
            } => {
                if *encoding != Encoding::default() {
                    map.serialize_entry("encoding", encoding)?;
                }
                if *include_original {
                    map.serialize_entry("includeOriginal", &true)?;
                }
                if *include_reversible {
                    map.serialize_entry("includeReversible", &true)?;
                }
                if let Some(r) = only_if_regex {
                    map.serialize_entry("onlyIfRegex", r)?;
                }
            }
            Self::PseudonymizeEmailHeader { encoding, .. } => {
                if *encoding != Encoding::default() {
                    map.serialize_entry("encoding", encoding)?;
                }
            }
            Self::PseudonymizeRegexMatches {
                regex,
                include_reversible,
                ..
            } => {
                map.serialize_entry("regex", regex)?;
                if *include_reversible {
                    map.serialize_entry("includeReversible", &true)?;
                }
            }
            Self::FilterTokenByRegex {
                delimiter, filters, ..
            } => {
                if *delimiter != default_delimiter() {
                    map.serialize_entry("delimiter", delimiter)?;
                }
                map.serialize_entry("filters", filters)?;
            }
            Self::Tokenize { regex, .. } => {
                if let Some(r) = regex {
                    map.serialize_entry("regex", r)?;
                }
            }
            Self::TextDigest {
                is_json_escaped,
                json_path_to_process_when_escaped,
                keywords,
                ..
            } => {
                if *is_json_escaped {
                    map.serialize_entry("isJsonEscaped", &true)?;
                }
                if let Some(p) = json_path_to_process_when_escaped {
                    map.serialize_entry("jsonPathToProcessWhenEscaped", p)?;
                }
                if !keywords.is_empty() {
                    map.serialize_entry("keywords", keywords)?;
                }
            }
        }
        map.end()
    }
}

impl JsonSchema for Transform {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Transform".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        WrittenTransform::json_schema(generator)
    }
}
