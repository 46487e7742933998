//! Augments: rules that add a value derived from a selected field beside it, instead of
//! replacing it (psoxy's `augments:` on an endpoint, `com.avaulta.gateway.rules.augments`).
//!
//! An augment is written like a transform, with a YAML tag (`!<textDigest>`) or psoxy's JSON
//! `method:` key. For every value its `jsonPaths` select, it adds a property named
//! `+<field>:<method>` to the object holding the value (`+self:<method>` on a selected object).
//! Augments run before the response schema and the transforms, so transforms may then redact the
//! original. Options that do not belong to the chosen kind are refused at their own line.

use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::{ErrorCode, Pos};
use crate::jsonpath::JsonPath;
use crate::located::{Located, located_error};
use crate::regex::SpecRegex;

/// The augment kinds, by their psoxy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AugmentMethod {
    /// `!<textDigest>`: length (UTF-16 units), word count and keyword counts of a string.
    TextDigest,
    /// `!<sentenceMetadata>`: sentence structure from OpenNLP models (not shipped; see
    /// [`AugmentMethod::is_computed_locally`]).
    SentenceMetadata,
    /// `!<genMetadata>`: structured metadata from a generative model backend.
    GenMetadata,
    /// `!<classify>`: one of `classes`, chosen by a generative model backend.
    Classify,
    /// `!<regexExtract>`: named values extracted from text by ordered regex rules.
    RegexExtract,
}

impl AugmentMethod {
    /// Every kind, in the order error messages list them.
    pub const ALL: [AugmentMethod; 5] = [
        Self::TextDigest,
        Self::SentenceMetadata,
        Self::GenMetadata,
        Self::Classify,
        Self::RegexExtract,
    ];

    /// psoxy's name, as written in tags, `method:` and the added property's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::TextDigest => "textDigest",
            Self::SentenceMetadata => "sentenceMetadata",
            Self::GenMetadata => "genMetadata",
            Self::Classify => "classify",
            Self::RegexExtract => "regexExtract",
        }
    }

    /// The kind named `name` (exact, case-sensitive, as psoxy).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The options this kind takes besides `jsonPaths`, `innerJsonPath` and `outputSchema`.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Self::TextDigest => &["keywords"],
            Self::SentenceMetadata => &["taxonomy", "hedgeWords", "constraintWords"],
            Self::GenMetadata => &["prompt", "maxOutputTokens", "maxInputTokens"],
            Self::Classify => &["prompt", "classes", "maxInputTokens"],
            Self::RegexExtract => &["extractions", "sourceFields"],
        }
    }

    /// Whether sluice computes this kind itself. The others need what psoxy loads from its
    /// deployment (OpenNLP model files, a Bedrock/Vertex model); sluice has none, so, as psoxy
    /// without them, such an augment adds nothing (see docs/decisions.md).
    pub fn is_computed_locally(self) -> bool {
        matches!(self, Self::TextDigest | Self::RegexExtract)
    }

    fn valid_tags() -> String {
        Self::ALL
            .iter()
            .map(|k| format!("!<{}>", k.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for AugmentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One rule of a `regexExtract` field: the first rule that matches gives the field's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExtractionRule {
    /// The pattern searched for in the text.
    #[schemars(example = &"Co-Authored-By: (Cursor|Claude)")]
    pub regex: SpecRegex,
    /// When set (and not blank), a match gives this literal instead of a capture group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"feature")]
    pub value: Option<String>,
    /// The capture group a match gives (1-based; default 1); a group the pattern lacks gives
    /// the whole match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 1)]
    pub group: Option<u32>,
}

/// What an augment computes, with that kind's options.
#[derive(Debug, Clone, PartialEq)]
pub enum AugmentKind {
    /// See [`AugmentMethod::TextDigest`].
    TextDigest {
        /// Words counted in the digest (case-insensitive); blank ones are ignored.
        keywords: Vec<String>,
    },
    /// See [`AugmentMethod::SentenceMetadata`].
    SentenceMetadata {
        /// Noun categories, by category name.
        taxonomy: BTreeMap<String, Vec<String>>,
        /// Hedge words besides psoxy's defaults.
        hedge_words: Vec<String>,
        /// Constraint words besides psoxy's defaults.
        constraint_words: Vec<String>,
    },
    /// See [`AugmentMethod::GenMetadata`].
    GenMetadata {
        /// The task given to the model.
        prompt: String,
        /// Cap on generated tokens.
        max_output_tokens: Option<u32>,
        /// Cap on input tokens.
        max_input_tokens: Option<u32>,
    },
    /// See [`AugmentMethod::Classify`].
    Classify {
        /// The task given to the model.
        prompt: String,
        /// The allowed answers.
        classes: Vec<String>,
        /// Cap on input tokens.
        max_input_tokens: Option<u32>,
    },
    /// See [`AugmentMethod::RegexExtract`].
    RegexExtract {
        /// Output field name → ordered rules; the first rule that matches wins.
        extractions: BTreeMap<String, Vec<ExtractionRule>>,
        /// For a selected object: these of its string fields, joined by `\n`, are the text.
        source_fields: Vec<String>,
    },
}

/// One augment.
#[derive(Debug, Clone, PartialEq)]
pub struct Augment {
    /// What it computes.
    pub kind: AugmentKind,
    /// The values it is computed from, each giving its own added property.
    pub json_paths: Vec<Located<JsonPath>>,
    /// When set, a selected string is parsed as JSON and the values this path selects inside
    /// it are digested in place; the re-serialized JSON is the added property's value.
    pub inner_json_path: Option<Located<JsonPath>>,
    /// A JSON Schema the computed value must satisfy; a value that does not is left out.
    pub output_schema: Option<serde_json::Value>,
}

impl Augment {
    /// The kind of augment.
    pub fn method(&self) -> AugmentMethod {
        match self.kind {
            AugmentKind::TextDigest { .. } => AugmentMethod::TextDigest,
            AugmentKind::SentenceMetadata { .. } => AugmentMethod::SentenceMetadata,
            AugmentKind::GenMetadata { .. } => AugmentMethod::GenMetadata,
            AugmentKind::Classify { .. } => AugmentMethod::Classify,
            AugmentKind::RegexExtract { .. } => AugmentMethod::RegexExtract,
        }
    }
}

/// The written form of an augment: every option any augment takes, each with its position.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(
    title = "Augment",
    description = "An augment, written with a YAML tag (`!<textDigest>`) or with `method:`; it \
                   adds `+<field>:<method>` beside each selected value."
)]
struct WrittenAugment {
    /// The augment, when not given as a YAML tag (psoxy's JSON form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<AugmentMethodName>")]
    method: Option<Located<String>>,
    /// JSONPaths (Jayway dialect) selecting the values to compute from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["$..body.content"])]
    json_paths: Option<Located<Vec<Located<JsonPath>>>>,
    /// A selected string is JSON: the values this path selects inside it are digested in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"$..text")]
    inner_json_path: Option<Located<JsonPath>>,
    /// A JSON Schema the computed value must satisfy, or it is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"type": "object", "properties": {"length": {"type": "integer"}}}))]
    output_schema: Option<Located<serde_json::Value>>,
    /// textDigest: words to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["summarize"])]
    keywords: Option<Located<Vec<String>>>,
    /// sentenceMetadata: noun categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"document": ["report", "memo"]}))]
    taxonomy: Option<Located<BTreeMap<String, Vec<String>>>>,
    /// sentenceMetadata: extra hedge words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["likely"])]
    hedge_words: Option<Located<Vec<String>>>,
    /// sentenceMetadata: extra constraint words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["mandatory"])]
    constraint_words: Option<Located<Vec<String>>>,
    /// genMetadata, classify: the task given to the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"Classify this pull request")]
    prompt: Option<Located<String>>,
    /// genMetadata: cap on generated tokens (psoxy also reads `maxTokens`).
    #[serde(default, alias = "maxTokens", skip_serializing_if = "Option::is_none")]
    #[schemars(example = 200)]
    max_output_tokens: Option<Located<i64>>,
    /// genMetadata, classify: cap on input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 256)]
    max_input_tokens: Option<Located<i64>>,
    /// classify: the allowed answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["Feature", "Bugfix"])]
    classes: Option<Located<Vec<String>>>,
    /// regexExtract: output field → ordered rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = serde_json::json!({"commitType": [{"regex": "^(feat|fix)\\b", "group": 1}]}))]
    extractions: Option<Located<BTreeMap<String, Vec<Located<ExtractionRule>>>>>,
    /// regexExtract: fields of a selected object joined into the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = vec!["title", "body"])]
    source_fields: Option<Located<Vec<String>>>,
}

/// The augment names, for the schema of `method`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // only its schema is used
enum AugmentMethodName {
    TextDigest,
    SentenceMetadata,
    GenMetadata,
    Classify,
    RegexExtract,
}

impl WrittenAugment {
    fn options_present(&self) -> Vec<(&'static str, Pos)> {
        let mut present = Vec::new();
        let mut note = |name: &'static str, pos: Option<Pos>| {
            if let Some(pos) = pos {
                present.push((name, pos));
            }
        };
        note("keywords", self.keywords.as_ref().map(Located::pos));
        note("taxonomy", self.taxonomy.as_ref().map(Located::pos));
        note("hedgeWords", self.hedge_words.as_ref().map(Located::pos));
        note(
            "constraintWords",
            self.constraint_words.as_ref().map(Located::pos),
        );
        note("prompt", self.prompt.as_ref().map(Located::pos));
        note(
            "maxOutputTokens",
            self.max_output_tokens.as_ref().map(Located::pos),
        );
        note(
            "maxInputTokens",
            self.max_input_tokens.as_ref().map(Located::pos),
        );
        note("classes", self.classes.as_ref().map(Located::pos));
        note("extractions", self.extractions.as_ref().map(Located::pos));
        note(
            "sourceFields",
            self.source_fields.as_ref().map(Located::pos),
        );
        present
    }
}

/// Checks psoxy's load-time rules (`AugmentValidation`) and builds the augment.
fn build<E: serde::de::Error>(
    w: WrittenAugment,
    method: AugmentMethod,
    start: Pos,
) -> Result<Augment, E> {
    let missing = |what: &str| located_error(start, ErrorCode::MissingField, what);
    let json_paths = w.json_paths.map(|p| p.value).unwrap_or_default();
    let needs_paths = !matches!(
        method,
        AugmentMethod::TextDigest | AugmentMethod::SentenceMetadata
    );
    if needs_paths && json_paths.is_empty() {
        return Err(missing(&format!(
            "`!<{method}>` needs `jsonPaths:`, the values it is computed from"
        )));
    }
    let positive = |n: Option<Located<i64>>, name: &str| -> Result<Option<u32>, E> {
        match n {
            None => Ok(None),
            Some(n) => u32::try_from(n.value)
                .ok()
                .filter(|v| *v >= 1)
                .map(Some)
                .ok_or_else(|| {
                    located_error(
                        n.pos(),
                        ErrorCode::InvalidValue,
                        &format!("`{name}` must be a positive integer, not {}", n.value),
                    )
                }),
        }
    };
    let prompt = |p: Option<Located<String>>| -> Result<String, E> {
        match p {
            Some(p) if !p.value.trim().is_empty() => Ok(p.value),
            Some(p) => Err(located_error(
                p.pos(),
                ErrorCode::InvalidValue,
                &format!("`!<{method}>` needs a non-blank `prompt`"),
            )),
            None => Err(missing(&format!(
                "`!<{method}>` needs `prompt:`, the task given to the model"
            ))),
        }
    };
    let kind = match method {
        AugmentMethod::TextDigest => AugmentKind::TextDigest {
            keywords: w.keywords.map(|k| k.value).unwrap_or_default(),
        },
        AugmentMethod::SentenceMetadata => AugmentKind::SentenceMetadata {
            taxonomy: w.taxonomy.map(|t| t.value).unwrap_or_default(),
            hedge_words: w.hedge_words.map(|t| t.value).unwrap_or_default(),
            constraint_words: w.constraint_words.map(|t| t.value).unwrap_or_default(),
        },
        AugmentMethod::GenMetadata => {
            if w.output_schema.is_none() {
                return Err(missing(
                    "`!<genMetadata>` needs `outputSchema:`, the shape of the metadata",
                ));
            }
            AugmentKind::GenMetadata {
                prompt: prompt(w.prompt)?,
                max_output_tokens: positive(w.max_output_tokens, "maxOutputTokens")?,
                max_input_tokens: positive(w.max_input_tokens, "maxInputTokens")?,
            }
        }
        AugmentMethod::Classify => {
            let prompt = prompt(w.prompt)?;
            let classes = w.classes.map(|c| c.value).unwrap_or_default();
            if classes.iter().all(|c| c.trim().is_empty()) {
                return Err(missing(
                    "`!<classify>` needs `classes:` with at least one non-blank class",
                ));
            }
            AugmentKind::Classify {
                prompt,
                classes,
                max_input_tokens: positive(w.max_input_tokens, "maxInputTokens")?,
            }
        }
        AugmentMethod::RegexExtract => {
            let Some(extractions) = w.extractions.filter(|e| !e.value.is_empty()) else {
                return Err(missing(
                    "`!<regexExtract>` needs `extractions:`, output field names with their rules",
                ));
            };
            let at = extractions.pos();
            let mut out = BTreeMap::new();
            for (field, rules) in extractions.value {
                if field.trim().is_empty() {
                    return Err(located_error(
                        at,
                        ErrorCode::InvalidValue,
                        "regexExtract extraction field names must not be blank",
                    ));
                }
                if rules.is_empty() {
                    return Err(located_error(
                        at,
                        ErrorCode::MissingField,
                        &format!("regexExtract field `{field}` needs at least one rule"),
                    ));
                }
                let mut kept = Vec::with_capacity(rules.len());
                for rule in rules {
                    if rule.value.regex.as_str().trim().is_empty() {
                        return Err(located_error(
                            rule.pos(),
                            ErrorCode::InvalidValue,
                            &format!("regexExtract field `{field}` has a rule with a blank regex"),
                        ));
                    }
                    if rule.value.group == Some(0) {
                        return Err(located_error(
                            rule.pos(),
                            ErrorCode::InvalidValue,
                            &format!("regexExtract field `{field}`: `group` must be 1 or more"),
                        ));
                    }
                    kept.push(rule.value);
                }
                out.insert(field, kept);
            }
            AugmentKind::RegexExtract {
                extractions: out,
                source_fields: w.source_fields.map(|s| s.value).unwrap_or_default(),
            }
        }
    };
    Ok(Augment {
        kind,
        json_paths,
        inner_json_path: w.inner_json_path,
        output_schema: w.output_schema.map(|s| s.value),
    })
}

impl<'de> Deserialize<'de> for Augment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let node = serde_saphyr::Spanned::<serde_saphyr::Tagged<WrittenAugment>>::deserialize(d)?;
        let start = crate::located::span_of(&node.referenced, None).start;
        let serde_saphyr::Tagged(written, tag) = node.value;
        let tag_name = tag.as_deref().map(|t| {
            let t = t
                .strip_prefix("!<")
                .and_then(|t| t.strip_suffix('>'))
                .unwrap_or(t);
            t.trim_start_matches('!')
        });
        let unknown = |name: &str, pos: Pos, tagged: bool| {
            let hint =
                crate::suggest::did_you_mean(name, AugmentMethod::ALL.iter().map(|k| k.name()))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
            let written = if tagged {
                format!("`!<{name}>`")
            } else {
                format!("`method: {name}`")
            };
            located_error(
                pos,
                ErrorCode::UnknownTransform,
                &format!(
                    "unknown augment {written}; {hint}valid augments: {}",
                    AugmentMethod::valid_tags()
                ),
            )
        };
        let method = match (tag_name, &written.method) {
            (Some(tag), method) => {
                let kind =
                    AugmentMethod::from_name(tag).ok_or_else(|| unknown(tag, start, true))?;
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
            (None, Some(method)) => AugmentMethod::from_name(&method.value)
                .ok_or_else(|| unknown(&method.value, method.pos(), false))?,
            (None, None) => {
                return Err(located_error(
                    start,
                    ErrorCode::MissingField,
                    &format!(
                        "augment has no type: tag it (one of {}) or add `method:`",
                        AugmentMethod::valid_tags()
                    ),
                ));
            }
        };
        for (option, pos) in written.options_present() {
            if !method.options().contains(&option) {
                let takes = ["jsonPaths", "innerJsonPath", "outputSchema"]
                    .iter()
                    .chain(method.options())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(located_error(
                    pos,
                    ErrorCode::UnknownField,
                    &format!("`{option}` is not an option of `!<{method}>`, which takes: {takes}"),
                ));
            }
        }
        build(written, method, start)
    }
}

impl Serialize for Augment {
    /// psoxy's JSON form: `method` first, then the options that are set.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("method", self.method().name())?;
        if !self.json_paths.is_empty() {
            map.serialize_entry("jsonPaths", &self.json_paths)?;
        }
        if let Some(p) = &self.inner_json_path {
            map.serialize_entry("innerJsonPath", p)?;
        }
        if let Some(schema) = &self.output_schema {
            map.serialize_entry("outputSchema", schema)?;
        }
        match &self.kind {
            AugmentKind::TextDigest { keywords } => {
                if !keywords.is_empty() {
                    map.serialize_entry("keywords", keywords)?;
                }
            }
            AugmentKind::SentenceMetadata {
                taxonomy,
                hedge_words,
                constraint_words,
            } => {
                if !taxonomy.is_empty() {
                    map.serialize_entry("taxonomy", taxonomy)?;
                }
                if !hedge_words.is_empty() {
                    map.serialize_entry("hedgeWords", hedge_words)?;
                }
                if !constraint_words.is_empty() {
                    map.serialize_entry("constraintWords", constraint_words)?;
                }
            }
            AugmentKind::GenMetadata {
                prompt,
                max_output_tokens,
                max_input_tokens,
            } => {
                map.serialize_entry("prompt", prompt)?;
                if let Some(n) = max_output_tokens {
                    map.serialize_entry("maxOutputTokens", n)?;
                }
                if let Some(n) = max_input_tokens {
                    map.serialize_entry("maxInputTokens", n)?;
                }
            }
            AugmentKind::Classify {
                prompt,
                classes,
                max_input_tokens,
            } => {
                map.serialize_entry("prompt", prompt)?;
                map.serialize_entry("classes", classes)?;
                if let Some(n) = max_input_tokens {
                    map.serialize_entry("maxInputTokens", n)?;
                }
            }
            AugmentKind::RegexExtract {
                extractions,
                source_fields,
            } => {
                map.serialize_entry("extractions", extractions)?;
                if !source_fields.is_empty() {
                    map.serialize_entry("sourceFields", source_fields)?;
                }
            }
        }
        map.end()
    }
}

impl JsonSchema for Augment {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Augment".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        WrittenAugment::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Vec<Augment>, String> {
        serde_saphyr::from_str::<Vec<Augment>>(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn tagged_and_method_forms_load_alike() {
        let tagged =
            parse("- !<textDigest>\n  jsonPaths: ['$..body.content']\n  keywords: [write]\n")
                .unwrap();
        let method =
            parse("- method: textDigest\n  jsonPaths: ['$..body.content']\n  keywords: [write]\n")
                .unwrap();
        assert_eq!(tagged, method);
        assert_eq!(tagged[0].method(), AugmentMethod::TextDigest);
        assert_eq!(
            tagged[0].kind,
            AugmentKind::TextDigest {
                keywords: vec!["write".into()]
            }
        );
    }

    #[test]
    fn misplaced_options_and_unknown_kinds_are_refused_with_their_position() {
        let err = parse("- !<textDigest>\n  jsonPaths: ['$.a']\n  prompt: hi\n").unwrap_err();
        assert!(
            err.contains("`prompt` is not an option of `!<textDigest>`"),
            "{err}"
        );
        assert!(err.contains("3:"), "{err}");
        let err = parse("- !<textDigst>\n  jsonPaths: ['$.a']\n").unwrap_err();
        assert!(err.contains("did you mean `textDigest`"), "{err}");
        let err = parse("- !<genMetadata>\n  jsonPaths: ['$.a']\n  prompt: p\n").unwrap_err();
        assert!(err.contains("needs `outputSchema:`"), "{err}");
        let err = parse("- !<classify>\n  jsonPaths: ['$.a']\n  prompt: p\n  classes: ['']\n")
            .unwrap_err();
        assert!(err.contains("non-blank class"), "{err}");
    }

    #[test]
    fn backend_kinds_load_and_say_they_are_not_computed_here() {
        let a = parse(
            "- !<classify>\n  jsonPaths: ['$.title']\n  prompt: Pick one\n  classes: [a, b]\n",
        )
        .unwrap();
        assert!(!a[0].method().is_computed_locally());
        assert!(AugmentMethod::TextDigest.is_computed_locally());
    }

    #[test]
    fn a_copilot_shaped_rules_file_with_augments_loads() {
        let src = r#"---
endpoints:
- pathTemplate: "/beta/copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions"
  allowedQueryParams:
  - "$filter"
  augments:
  - !<textDigest>
    jsonPaths:
    - "$..attachments[*].content"
    innerJsonPath: "$..text"
    keywords:
    - "generate image"
    - "python"
  - !<textDigest>
    jsonPaths:
    - "$..body.content"
    outputSchema:
      type: "object"
      properties:
        length:
          type: "integer"
  transforms:
  - !<redact>
    jsonPaths:
    - "$..body.content"
    - "$..attachments[*].content"
  responseSchema:
    type: "object"
    properties:
      value:
        type: "array"
"#;
        let rules = crate::parse_rules("copilot.yaml".as_ref(), src).unwrap();
        let augments = &rules.endpoints[0].augments;
        assert_eq!(augments.len(), 2);
        // A tagged mapping is located at its first key.
        assert_eq!(augments[0].pos().line, 8);
        assert_eq!(
            augments[0].inner_json_path.as_ref().unwrap().value.as_str(),
            "$..text"
        );
        assert!(augments[1].output_schema.is_some());
        // A typo'd option is refused at its line, with what the augment takes.
        let bad = src.replace("    innerJsonPath:", "    innerJsonPth:");
        let err = crate::parse_rules("copilot.yaml".as_ref(), &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("copilot.yaml:10:"), "{err}");
    }
}
