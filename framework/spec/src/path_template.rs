//! Path templates (`/repos/{owner}/{repo}/issues`): parsed into segments once, so routers match a
//! request path segment by segment and validation can compare templates structurally.

use std::fmt;

/// One piece of a segment: fixed text or a named parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Piece {
    /// Text that must appear as written.
    Literal(String),
    /// `{name}`: one or more characters other than `/`.
    Param(String),
}

/// A parsed path template: segments between `/`, each a sequence of pieces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathTemplate {
    segments: Vec<Vec<Piece>>,
}

/// Why a template does not parse: a message and the character offset it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Character offset in the template.
    pub offset: usize,
    /// What is wrong and what would be right.
    pub message: String,
}

impl PathTemplate {
    /// Parses a template. It must start with `/`; parameters are `{name}` with `name` made of
    /// letters, digits and `_`, used once each, and a segment may not hold two parameters in a
    /// row (nothing would tell where one ends).
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let err = |offset, message: String| Err(TemplateError { offset, message });
        if !text.starts_with('/') {
            return err(0, format!("path template `{text}` must start with `/`"));
        }
        let mut segments = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut offset = 1;
        for raw in text[1..].split('/') {
            let mut pieces = Vec::new();
            let mut chars = raw.char_indices().peekable();
            let mut literal = String::new();
            while let Some((i, c)) = chars.next() {
                match c {
                    '{' => {
                        let close = raw[i..].find('}').map(|j| i + j);
                        let Some(close) = close else {
                            return err(
                                offset + i,
                                format!(
                                    "`{{` at offset {} is never closed; write `{{name}}`",
                                    offset + i
                                ),
                            );
                        };
                        let name = &raw[i + 1..close];
                        let valid = !name.is_empty()
                            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                        if !valid {
                            return err(
                                offset + i,
                                format!(
                                    "invalid parameter name `{{{name}}}`: use letters, digits and `_`"
                                ),
                            );
                        }
                        if names.iter().any(|n| n == name) {
                            return err(
                                offset + i,
                                format!("parameter `{{{name}}}` appears twice"),
                            );
                        }
                        if !literal.is_empty() {
                            pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                        }
                        if matches!(pieces.last(), Some(Piece::Param(_))) {
                            return err(
                                offset + i,
                                format!(
                                    "parameter `{{{name}}}` directly follows another; separate them with text"
                                ),
                            );
                        }
                        names.push(name.to_owned());
                        pieces.push(Piece::Param(name.to_owned()));
                        while chars.peek().is_some_and(|(j, _)| *j <= close) {
                            chars.next();
                        }
                    }
                    '}' => return err(offset + i, "`}` without a matching `{`".to_owned()),
                    c => literal.push(c),
                }
            }
            if !literal.is_empty() {
                pieces.push(Piece::Literal(literal));
            }
            offset += raw.chars().count() + 1;
            segments.push(pieces);
        }
        Ok(Self { segments })
    }

    /// The segments, each a list of pieces; an empty list is an empty segment (trailing `/`).
    pub fn segments(&self) -> &[Vec<Piece>] {
        &self.segments
    }

    /// The parameter names, in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().flatten().filter_map(|p| match p {
            Piece::Param(name) => Some(name.as_str()),
            Piece::Literal(_) => None,
        })
    }

    /// The template with parameter names erased: two templates with the same shape match the
    /// same paths.
    pub fn shape(&self) -> String {
        let mut out = String::new();
        for seg in &self.segments {
            out.push('/');
            for piece in seg {
                match piece {
                    Piece::Literal(text) => out.push_str(text),
                    Piece::Param(_) => out.push_str("{}"),
                }
            }
        }
        out
    }

    /// Whether every path `other` matches is also matched by `self`.
    pub fn covers(&self, other: &PathTemplate) -> bool {
        self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|(mine, theirs)| match mine.as_slice() {
                    [Piece::Param(_)] => !theirs.is_empty(),
                    _ => {
                        mine.len() == theirs.len()
                            && mine.iter().zip(theirs).all(|(a, b)| match (a, b) {
                                (Piece::Literal(a), Piece::Literal(b)) => a == b,
                                (Piece::Param(_), Piece::Param(_)) => true,
                                _ => false,
                            })
                    }
                })
    }

    /// Matches a request path (already split from its query), returning the parameter values.
    /// Literal text compares ASCII-case-insensitively, as psoxy's matching does.
    pub fn matches<'p>(&self, path: &'p str) -> Option<Vec<(&str, &'p str)>> {
        let rest = path.strip_prefix('/')?;
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut values = Vec::new();
        for (pieces, part) in self.segments.iter().zip(parts) {
            match_segment(pieces, part, &mut values)?;
        }
        Some(values)
    }
}

/// Matches one segment; a parameter takes the shortest text up to the next literal (or the rest).
fn match_segment<'t, 'p>(
    pieces: &'t [Piece],
    mut part: &'p str,
    values: &mut Vec<(&'t str, &'p str)>,
) -> Option<()> {
    let mut i = 0;
    while i < pieces.len() {
        match &pieces[i] {
            Piece::Literal(text) => part = strip_prefix_ignore_case(part, text)?,
            Piece::Param(name) => {
                let end = match pieces.get(i + 1) {
                    Some(Piece::Literal(next)) => find_ignore_case(part.get(1..)?, next)? + 1,
                    _ => part.len(),
                };
                if end == 0 {
                    return None;
                }
                values.push((name.as_str(), &part[..end]));
                part = &part[end..];
            }
        }
        i += 1;
    }
    part.is_empty().then_some(())
}

fn strip_prefix_ignore_case<'p>(text: &'p str, prefix: &str) -> Option<&'p str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn find_ignore_case(text: &str, needle: &str) -> Option<usize> {
    text.char_indices().map(|(i, _)| i).find(|&i| {
        text.get(i..i + needle.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(needle))
    })
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for seg in &self.segments {
            f.write_str("/")?;
            for piece in seg {
                match piece {
                    Piece::Literal(text) => f.write_str(text)?,
                    Piece::Param(name) => write!(f, "{{{name}}}")?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_segment_by_segment() {
        let t = PathTemplate::parse("/repos/{owner}/{repo}/issues").unwrap();
        assert_eq!(
            t.matches("/repos/acme/web/issues"),
            Some(vec![("owner", "acme"), ("repo", "web")])
        );
        assert_eq!(t.matches("/repos/acme/issues"), None);
        assert_eq!(t.matches("/repos/acme/web/issues/1"), None);
        assert_eq!(t.matches("/repos//web/issues"), None);
        assert_eq!(
            t.matches("/Repos/acme/web/ISSUES"),
            Some(vec![("owner", "acme"), ("repo", "web")])
        );
    }

    #[test]
    fn parameters_may_share_a_segment_with_text() {
        let t = PathTemplate::parse("/files/{name}.json").unwrap();
        assert_eq!(
            t.matches("/files/report.v2.json"),
            Some(vec![("name", "report.v2")])
        );
        assert_eq!(t.matches("/files/.json"), None);
    }

    #[test]
    fn shape_and_cover_compare_structure_not_names() {
        let a = PathTemplate::parse("/orgs/{org}/members").unwrap();
        let b = PathTemplate::parse("/orgs/{o}/members").unwrap();
        let c = PathTemplate::parse("/orgs/acme/members").unwrap();
        assert_eq!(a.shape(), b.shape());
        assert!(a.covers(&c) && !c.covers(&a));
    }

    #[test]
    fn malformed_templates_are_refused_at_the_offending_character() {
        let e = PathTemplate::parse("/orgs/{org/members").unwrap_err();
        assert_eq!(e.offset, 6);
        let e = PathTemplate::parse("/a/{x}/{x}").unwrap_err();
        assert!(e.message.contains("appears twice"), "{}", e.message);
        assert_eq!(PathTemplate::parse("orgs").unwrap_err().offset, 0);
        assert!(
            PathTemplate::parse("/a/{x}{y}")
                .unwrap_err()
                .message
                .contains("directly follows")
        );
    }
}
