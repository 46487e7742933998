//! Names derived from a spec: crate and binary names, and Rust identifiers for endpoints.

use sluice_spec::path_template::{PathTemplate, Piece};

/// `github` → `sluice-connector-github`.
pub fn crate_name(connector: &str) -> String {
    format!("sluice-connector-{connector}")
}

/// `github` → `github-proxy`.
pub fn binary_name(connector: &str) -> String {
    format!("{connector}-proxy")
}

/// An UpperCamelCase type name for an endpoint: `GET /repos/{owner}/{repo}/issues` →
/// `ReposOwnerRepoIssues`. Non-alphanumerics split words; a leading digit gets a prefix.
pub fn endpoint_type_name(template: &PathTemplate) -> String {
    let mut words = Vec::new();
    for piece in template.segments().iter().flatten() {
        let text = match piece {
            Piece::Literal(t) | Piece::Param(t) => t,
        };
        words.extend(split_words(text));
    }
    let mut name: String = words.iter().map(|w| capitalize(w)).collect();
    if name.is_empty() {
        name.push_str("Root");
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "Path");
    }
    if name == "Self" {
        name.push_str("Endpoint");
    }
    name
}

/// A type name for a `pathRegex` endpoint, from the literal path at the regex's start:
/// `^/v1\.0/users(/[^/]+)?$` → `V10Users`.
pub fn regex_type_name(pattern: &str) -> String {
    let mut literal = String::new();
    // Leading inline flags such as `(?i)` are not part of the path.
    let mut rest = pattern;
    while let Some(after) = rest
        .strip_prefix("(?")
        .and_then(|r| r.split_once(')'))
        .map(|(_, a)| a)
    {
        rest = after;
    }
    let mut chars = rest.trim_start_matches('^').chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if !e.is_ascii_alphanumeric() => literal.push(e),
                _ => break,
            },
            '(' | '[' | '?' | '*' | '+' | '{' | '|' | '$' | '.' => break,
            c => literal.push(c),
        }
    }
    let words: Vec<String> = literal.split('/').flat_map(split_words).collect();
    let name: String = words.iter().map(|w| capitalize(w)).collect();
    if name.is_empty() {
        "PathRegex".to_owned()
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Path{name}")
    } else {
        name
    }
}

/// Splits on anything not alphanumeric and on lower→upper case changes (`callRecords`).
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() {
            prev_lower = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn capitalize(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|f| f.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_name(t: &str) -> String {
        endpoint_type_name(&PathTemplate::parse(t).unwrap())
    }

    #[test]
    fn endpoint_names_read_like_the_path() {
        assert_eq!(
            type_name("/repos/{owner}/{repo}/issues"),
            "ReposOwnerRepoIssues"
        );
        assert_eq!(
            type_name("/api/conversations.history"),
            "ApiConversationsHistory"
        );
        assert_eq!(
            type_name("/v1.0/users/{userId}/calendarView"),
            "V10UsersUserIdCalendarView"
        );
        assert_eq!(type_name("/"), "Root");
        assert_eq!(type_name("/2/tweets"), "Path2Tweets");
        assert_eq!(type_name("/self"), "SelfEndpoint");
    }

    #[test]
    fn regex_endpoints_are_named_after_their_literal_prefix() {
        assert_eq!(regex_type_name(r"^/v1\.0/users(/[^/]+)?$"), "V10Users");
        assert_eq!(regex_type_name(r"^/api/(?<x>.*)$"), "Api");
        assert_eq!(regex_type_name(r"(?i)^/x$"), "X");
        assert_eq!(regex_type_name(r"(?i)^(?:[?]|$)"), "PathRegex");
    }

    #[test]
    fn crate_and_binary_names_follow_the_spec_name() {
        assert_eq!(
            crate_name("google-calendar"),
            "sluice-connector-google-calendar"
        );
        assert_eq!(binary_name("google-calendar"), "google-calendar-proxy");
    }
}
