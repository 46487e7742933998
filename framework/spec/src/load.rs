//! Reading spec and rules files: YAML text to the typed model, with every error turned into a
//! [`Diagnostic`] at the offending node's `line:col`.
//!
//! serde-saphyr stops at the first structural error (bad YAML, unknown key, wrong type, bad
//! value); semantic checks that need the whole document then run in [`crate::validate`] and
//! report every problem they find. Warnings (what loads, as in psoxy, but is likely a mistake)
//! come from [`crate::lint`] and travel with the loaded value, or with the errors when there
//! are any.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::de::IgnoredAny;

use crate::connector::ConnectorSpec;
use crate::diagnostic::{Diagnostic, Diagnostics, ErrorCode, Pos};
use crate::lint;
use crate::located::parse_located_error;
use crate::rules::Rules;
use crate::suggest::did_you_mean;
use crate::transform::UNKNOWN_TAG_PREFIX;
use crate::validate;

/// A connector spec loaded and validated, with its rules resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedSpec {
    /// The spec file.
    pub path: PathBuf,
    /// The spec.
    pub spec: ConnectorSpec,
    /// The rules, from `rules:` or `rules_file:`.
    pub rules: Rules,
    /// The rules file, when the rules came from one.
    pub rules_path: Option<PathBuf>,
    /// The rules' source text (the rules file, or the spec itself for inline rules); its SHA-256
    /// identifies the rules in side-output metadata.
    pub rules_source: String,
    /// What loaded but is likely a mistake, in the spec and its rules file, in position order.
    pub warnings: Vec<Diagnostic>,
}

/// What a YAML file holds, as far as `sluice validate` is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A connector spec (has `name:` / `target_host:`), with its rules.
    Connector(Box<LoadedSpec>),
    /// A bare psoxy rules file (has `endpoints:` and no `name:`).
    Rules(Rules),
}

/// Loads and validates a connector spec and its rules file.
pub fn load_spec(path: &Path) -> Result<LoadedSpec, Diagnostics> {
    let src = read(path)?;
    parse_spec(path, &src)
}

/// Parses and validates a connector spec from `src`; `path` names it in errors and anchors
/// a relative `rules_file`.
pub fn parse_spec(path: &Path, src: &str) -> Result<LoadedSpec, Diagnostics> {
    let mut warnings = lint::spec(path, src);
    let spec: ConnectorSpec = parse_yaml(path, src).map_err(|e| with_warnings(e, &warnings))?;
    let mut errors = validate::connector(path, &spec);
    let (rules, rules_path, rules_source) = match (&spec.rules, &spec.rules_file) {
        (Some(rules), None) => (Some(rules.clone()), None, src.to_owned()),
        (None, Some(file)) => {
            let rules_path = path.parent().unwrap_or(Path::new("")).join(&file.value);
            match read(&rules_path) {
                Ok(rules_src) => match parse_rules_with_warnings(&rules_path, &rules_src) {
                    Ok((rules, rules_warnings)) => {
                        warnings.extend(rules_warnings);
                        (Some(rules), Some(rules_path), rules_src)
                    }
                    Err(e) => {
                        errors.extend(e.into_vec());
                        (None, Some(rules_path), rules_src)
                    }
                },
                Err(_) => {
                    errors.push(Diagnostic::new(
                        path,
                        Some(file.pos()),
                        ErrorCode::Io,
                        format!(
                            "rules_file `{}` cannot be read at {} (paths are relative to the \
                             spec's directory)",
                            file.value,
                            rules_path.display()
                        ),
                    ));
                    (None, Some(rules_path), String::new())
                }
            }
        }
        // `validate::connector` has reported both or neither.
        _ => (None, None, String::new()),
    };
    if let Some(rules) = &spec.rules {
        errors.extend(validate::rules(path, rules));
        warnings.extend(validate::augment_warnings(path, rules));
    }
    if let Some(rules) = &rules {
        errors.extend(validate::async_required(path, &spec, rules));
    }
    match rules {
        Some(rules) if errors.is_empty() => Ok(LoadedSpec {
            path: path.to_path_buf(),
            spec,
            rules,
            rules_path,
            rules_source,
            warnings: Diagnostics::sorted(warnings),
        }),
        _ => Err(Diagnostics::new(
            errors.into_iter().chain(warnings).collect(),
        )),
    }
}

/// Loads and validates a psoxy rules file.
pub fn load_rules(path: &Path) -> Result<Rules, Diagnostics> {
    let src = read(path)?;
    parse_rules(path, &src)
}

/// Parses and validates psoxy rules from `src`; `path` names it in errors. Warnings are dropped;
/// [`parse_rules_with_warnings`] keeps them.
pub fn parse_rules(path: &Path, src: &str) -> Result<Rules, Diagnostics> {
    parse_rules_with_warnings(path, src).map(|(rules, _)| rules)
}

/// Parses and validates psoxy rules from `src`, with the warnings about what loaded but is
/// likely a mistake (in position order). Errors come with the warnings found beside them.
pub fn parse_rules_with_warnings(
    path: &Path,
    src: &str,
) -> Result<(Rules, Vec<Diagnostic>), Diagnostics> {
    let mut warnings = lint::rules(path, src);
    let rules: Rules = parse_yaml(path, src).map_err(|e| with_warnings(e, &warnings))?;
    warnings.extend(validate::augment_warnings(path, &rules));
    let errors = validate::rules(path, &rules);
    if errors.is_empty() {
        Ok((rules, Diagnostics::sorted(warnings)))
    } else {
        Err(Diagnostics::new(
            errors.into_iter().chain(warnings).collect(),
        ))
    }
}

/// Errors with the warnings found beside them, all in position order.
fn with_warnings(errors: Diagnostics, warnings: &[Diagnostic]) -> Diagnostics {
    Diagnostics::new(
        errors
            .into_vec()
            .into_iter()
            .chain(warnings.iter().cloned())
            .collect(),
    )
}

/// Loads a file as a connector spec or as a bare rules file, whichever it is.
pub fn load_document(path: &Path) -> Result<Document, Diagnostics> {
    load_document_with_warnings(path).map(|(document, _)| document)
}

/// Loads a file as a connector spec or as a bare rules file, with the warnings about what
/// loaded but is likely a mistake (for a connector, the same as [`LoadedSpec::warnings`]).
pub fn load_document_with_warnings(
    path: &Path,
) -> Result<(Document, Vec<Diagnostic>), Diagnostics> {
    let src = read(path)?;
    let top: Option<std::collections::BTreeMap<String, IgnoredAny>> =
        serde_saphyr::from_str(&src).ok();
    let is_rules = top.is_some_and(|keys| {
        !keys.contains_key("name")
            && !keys.contains_key("target_host")
            && (keys.contains_key("endpoints") || keys.contains_key("allowAllEndpoints"))
    });
    if is_rules {
        parse_rules_with_warnings(path, &src)
            .map(|(rules, warnings)| (Document::Rules(rules), warnings))
    } else {
        parse_spec(path, &src).map(|s| {
            let warnings = s.warnings.clone();
            (Document::Connector(Box::new(s)), warnings)
        })
    }
}

fn read(path: &Path) -> Result<String, Diagnostics> {
    std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::new(
            path,
            None,
            ErrorCode::Io,
            format!("cannot read the file: {e}"),
        )
        .into()
    })
}

/// Deserializes `src`, turning serde-saphyr's first error into a located diagnostic.
pub(crate) fn parse_yaml<T: DeserializeOwned>(path: &Path, src: &str) -> Result<T, Diagnostics> {
    serde_saphyr::from_str::<T>(src).map_err(|e| diagnostic_from_yaml(path, src, &e).into())
}

fn diagnostic_from_yaml(path: &Path, src: &str, err: &serde_saphyr::Error) -> Diagnostic {
    let pos = err.location().map(|l| {
        Pos::new(
            u32::try_from(l.line()).unwrap_or(u32::MAX),
            u32::try_from(l.column()).unwrap_or(u32::MAX),
        )
    });
    let text = bare_message(err);

    if let Some((code, at, message)) = parse_located_error(&text) {
        let code = code_from_name(code);
        let at = if code == ErrorCode::UnknownTransform && message.starts_with(UNKNOWN_TAG_PREFIX) {
            tag_position(src, at, message).unwrap_or(at)
        } else {
            at
        };
        return Diagnostic::new(path, Some(at), code, message);
    }

    let (code, message) = classify(&text);
    Diagnostic::new(path, pos.filter(|p| p.line > 0), code, message)
}

/// The error's message without serde-saphyr's location prefix and source snippet.
fn bare_message(err: &serde_saphyr::Error) -> String {
    let rendered = err.without_snippet().to_string();
    let first = rendered.lines().next().unwrap_or_default().trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // "line 7 column 9: message"
    let message = match first.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((_, message)) => message,
        None => first,
    };
    // "… at line 7, column 9"
    let message = match message.rsplit_once(" at line ") {
        Some((text, at)) if at.contains(", column ") => text,
        _ => message,
    };
    message.to_owned()
}

/// Sorts a serde message into an error class, adding a suggestion where one helps.
fn classify(text: &str) -> (ErrorCode, String) {
    if let Some((word, expected)) = unknown_and_expected(text, "unknown field `") {
        let hint = did_you_mean(word, expected.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        return (
            ErrorCode::UnknownField,
            format!(
                "unknown field `{word}`; {hint}valid fields here: {}",
                expected.join(", ")
            ),
        );
    }
    if let Some((word, expected)) = unknown_and_expected(text, "unknown variant `") {
        let hint = did_you_mean(word, expected.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        return (
            ErrorCode::InvalidValue,
            format!(
                "invalid value `{word}`; {hint}expected one of: {}",
                expected.join(", ")
            ),
        );
    }
    if text.starts_with("missing field") {
        return (ErrorCode::MissingField, text.to_owned());
    }
    if text.starts_with("invalid type")
        || text.starts_with("invalid value")
        || text.starts_with("invalid length")
        || text.starts_with("expected ")
        || text.starts_with("invalid ")
    {
        return (ErrorCode::InvalidType, text.to_owned());
    }
    (ErrorCode::YamlSyntax, text.to_owned())
}

/// Splits "unknown field `x`, expected one of `a`, `b`" into (`x`, [a, b]).
fn unknown_and_expected<'t>(text: &'t str, prefix: &str) -> Option<(&'t str, Vec<&'t str>)> {
    let rest = text.strip_prefix(prefix)?;
    let (word, rest) = rest.split_once('`')?;
    let expected = rest
        .split_once("expected ")
        .map(|(_, list)| {
            let list = list.strip_prefix("one of ").unwrap_or(list);
            list.split(',')
                .map(|s| s.trim().trim_matches('`'))
                .filter(|s| !s.is_empty() && *s != "there are no fields" && *s != "no fields")
                .collect()
        })
        .unwrap_or_default();
    Some((word, expected))
}

fn code_from_name(name: &str) -> ErrorCode {
    [
        ErrorCode::UnknownField,
        ErrorCode::MissingField,
        ErrorCode::InvalidType,
        ErrorCode::InvalidValue,
        ErrorCode::UnknownTransform,
        ErrorCode::InvalidJsonPath,
        ErrorCode::InvalidRegex,
        ErrorCode::InvalidDestination,
        ErrorCode::InvalidDuration,
    ]
    .into_iter()
    .find(|c| c.as_str() == name)
    .unwrap_or(ErrorCode::InvalidValue)
}

/// serde-saphyr places a tagged mapping at its first key; the tag itself stands before it.
/// Finds the nearest spelling of the tag (`!<name>` or `!name`) before `node`.
fn tag_position(src: &str, node: Pos, message: &str) -> Option<Pos> {
    let tag = message
        .strip_prefix(UNKNOWN_TAG_PREFIX)?
        .strip_prefix("`!<")?
        .split_once(">`")?
        .0;
    let node_offset = byte_offset(src, node)?;
    let before = &src[..node_offset];
    let found = [format!("!<{tag}>"), format!("!{tag}")]
        .iter()
        .filter_map(|spelling| before.rfind(spelling.as_str()))
        .max()?;
    Some(pos_of_byte(src, found))
}

fn byte_offset(src: &str, pos: Pos) -> Option<usize> {
    let line_start = if pos.line <= 1 {
        0
    } else {
        src.match_indices('\n')
            .nth(usize::try_from(pos.line).ok()? - 2)?
            .0
            + 1
    };
    let column = usize::try_from(pos.column.saturating_sub(1)).ok()?;
    let in_line = src[line_start..]
        .char_indices()
        .nth(column)
        .map_or(src.len() - line_start, |c| c.0);
    Some(line_start + in_line)
}

fn pos_of_byte(src: &str, offset: usize) -> Pos {
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = src[line_start..offset].chars().count() + 1;
    Pos::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}
