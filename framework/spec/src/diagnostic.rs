//! Located, user-facing errors and warnings: what was wrong, where (`file:line:col`), and what
//! would be right.
//!
//! Every error the spec loader and the validator can report is a [`Diagnostic`] with a stable
//! [`ErrorCode`], so tools (`sluice validate --format json`, editors, CI annotations) can rely on
//! the code while the wording stays free to improve. A [`Severity::Warning`] marks what loads
//! anyway (psoxy tolerates it) but is likely a mistake.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A position in a source file: 1-based line and 1-based character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl Pos {
    /// A position at `line`:`column` (both 1-based).
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }

    /// The position `chars` characters to the right on the same line.
    pub fn shifted(self, chars: usize) -> Self {
        let chars = u32::try_from(chars).unwrap_or(u32::MAX);
        Self {
            line: self.line,
            column: self.column.saturating_add(chars),
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// How bad a diagnostic is. The lowercase name is part of the JSON output and stays stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file does not load.
    #[default]
    Error,
    /// The file loads, as it does in psoxy, but something in it is likely a mistake.
    Warning,
}

/// The class of an error or warning. The kebab-case name is part of the JSON output and stays
/// stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The file could not be read.
    Io,
    /// The text is not well-formed YAML.
    YamlSyntax,
    /// A mapping has a key the format does not define.
    UnknownField,
    /// A required key is missing.
    MissingField,
    /// A value has the wrong type (a list where a string belongs, a word where a number belongs…).
    InvalidType,
    /// A value has the right type but is not one of the accepted values.
    InvalidValue,
    /// A transform is tagged with a name that is not a transform.
    UnknownTransform,
    /// A JSONPath does not parse in the Jayway dialect.
    InvalidJsonPath,
    /// A regular expression does not compile.
    InvalidRegex,
    /// Two endpoints declare the same path template.
    DuplicatePath,
    /// An endpoint can never match because an earlier one matches every path it would.
    ShadowedPath,
    /// A destination URL has a scheme no object store supports, or is malformed.
    InvalidDestination,
    /// A duration is not of the form `30s`, `15m`, `24h`, `7d`.
    InvalidDuration,
    /// (A warning.) An augment needs a backend sluice does not have; it adds nothing.
    UnsupportedAugment,
    /// (Warning) A response schema's `type` is not one of JSON Schema's seven type names.
    UnknownSchemaType,
}

impl ErrorCode {
    /// The stable kebab-case name of this code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Io => "io",
            Self::YamlSyntax => "yaml-syntax",
            Self::UnknownField => "unknown-field",
            Self::MissingField => "missing-field",
            Self::InvalidType => "invalid-type",
            Self::InvalidValue => "invalid-value",
            Self::UnknownTransform => "unknown-transform",
            Self::InvalidJsonPath => "invalid-jsonpath",
            Self::InvalidRegex => "invalid-regex",
            Self::DuplicatePath => "duplicate-path",
            Self::ShadowedPath => "shadowed-path",
            Self::InvalidDestination => "invalid-destination",
            Self::InvalidDuration => "invalid-duration",
            Self::UnsupportedAugment => "unsupported-augment",
            Self::UnknownSchemaType => "unknown-schema-type",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error (or warning) in one file, with its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Whether the file fails to load because of it.
    pub severity: Severity,
    /// The file, as the user named it.
    pub file: PathBuf,
    /// Where in the file; `None` only for errors about the file as a whole (it cannot be read).
    #[serde(flatten)]
    pub pos: Option<Pos>,
    /// The class of the error.
    pub code: ErrorCode,
    /// What was wrong and what would be right, in one line.
    pub message: String,
}

impl Diagnostic {
    /// An error at `pos` in `file`.
    pub fn new(file: &Path, pos: Option<Pos>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_path_buf(),
            pos,
            code,
            message: one_line(message.into()),
        }
    }

    /// A warning at `pos` in `file`: the file loads, but this is likely a mistake.
    pub fn warning(file: &Path, pos: Pos, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::new(file, Some(pos), code, message)
        }
    }

    /// Whether this is a warning (the file loads despite it).
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}

/// Messages are printed one per line; a multi-line message from a dependency is folded.
fn one_line(message: String) -> String {
    if message.contains('\n') {
        message
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        message
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `file:line:col: warning: …`, as compilers mark theirs; errors keep the bare form.
        let marker = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        match self.pos {
            Some(pos) => write!(
                f,
                "{}:{}: {marker}{}",
                self.file.display(),
                pos,
                self.message
            ),
            None => write!(f, "{}: {marker}{}", self.file.display(), self.message),
        }
    }
}

/// All the errors found in one load, with any warnings found beside them. Never empty, and
/// holds at least one error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Wraps a non-empty list, sorted by file and position.
    ///
    /// # Panics
    /// If `list` is empty: a load either succeeds or says why not.
    pub fn new(list: Vec<Diagnostic>) -> Self {
        assert!(!list.is_empty(), "Diagnostics must hold at least one error");
        Self(Self::sorted(list))
    }

    /// `list` (warnings, say) in file and position order, the order [`Diagnostics::new`] keeps.
    pub fn sorted(mut list: Vec<Diagnostic>) -> Vec<Diagnostic> {
        list.sort_by(|a, b| (&a.file, a.pos).cmp(&(&b.file, b.pos)));
        list
    }

    /// The errors, in file and position order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// The errors, owned.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self(vec![d])
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_file_line_col_message() {
        let d = Diagnostic::new(
            Path::new("specs/x.yaml"),
            Some(Pos::new(7, 9)),
            ErrorCode::UnknownTransform,
            "unknown transform",
        );
        assert_eq!(d.to_string(), "specs/x.yaml:7:9: unknown transform");
    }

    #[test]
    fn warnings_are_marked_after_the_position() {
        let d = Diagnostic::warning(
            Path::new("rules.yaml"),
            Pos::new(12, 23),
            ErrorCode::UnknownSchemaType,
            "odd type",
        );
        assert_eq!(d.to_string(), "rules.yaml:12:23: warning: odd type");
        assert!(d.is_warning());
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["severity"], "warning");
        assert_eq!(json["code"], "unknown-schema-type");
    }

    #[test]
    fn multi_line_messages_are_folded_to_one_line() {
        let d = Diagnostic::new(
            Path::new("a"),
            None,
            ErrorCode::YamlSyntax,
            "first\n  second\n",
        );
        assert_eq!(d.to_string(), "a: first; second");
    }

    #[test]
    fn diagnostics_are_sorted_by_position() {
        let at = |l| Diagnostic::new(Path::new("a"), Some(Pos::new(l, 1)), ErrorCode::Io, "x");
        let all = Diagnostics::new(vec![at(9), at(2), at(5)]);
        let lines: Vec<u32> = all.iter().map(|d| d.pos.unwrap().line).collect();
        assert_eq!(lines, [2, 5, 9]);
    }
}
