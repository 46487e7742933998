//! Java regex syntax rewritten into the syntax sluice's engines read (the `regex` crate, and
//! `fancy-regex` for look-around and back-references), or refused with the reason.
//!
//! psoxy compiles rules regexes with `java.util.regex.Pattern`. Most of its syntax means the same
//! in Rust's engines; this pass handles the spellings that do not:
//!
//! * `(?)` and other flag groups: Java's flags `i m s x` are kept; `d` (UNIX_LINES), `u`
//!   (UNICODE_CASE) and `U` (UNICODE_CHARACTER_CLASS) are dropped, since Rust's engines already
//!   behave so (`.` stops at `\n` only, case folding and classes are Unicode) — and Rust's own
//!   `U` would mean "swap greed"; a group left empty disappears.
//! * `\d`, `\s`, `\w` (and `\D`, `\S`, `\W`) are ASCII classes in Java unless
//!   UNICODE_CHARACTER_CLASS (`(?U)`) is on, and Unicode in Rust: they are written out as
//!   Java's ASCII classes (`[0-9]`, `[ \t\n\x0B\x0C\r]`, `[0-9A-Za-z_]`), unless the pattern
//!   turns `U` on. `\b` stays: Java's word boundary already looks at Unicode letters and digits.
//! * `\Q…\E` quoting becomes escaped literals.
//! * `\p{Lower}` and the other POSIX names are ASCII classes in Java (Unicode in Rust), and
//!   `\p{javaLowerCase}`-style names are `java.lang.Character` predicates: both are written out
//!   as classes; `\p{IsX}` drops its `Is`.
//! * Escapes whose letter means something else in Rust (`\h`, `\v`, `\R`, `\Z`, `\e`, `\cX`,
//!   `\0octal`, `\<`, `\>`) are written out; those with no equivalent (`\G`, `\X`, `\N{…}`,
//!   `\b{…}`, Unicode blocks `\p{InX}`) and letters Java itself rejects are refused.
//!
//! Possessive quantifiers (`a*+`), atomic groups `(?>…)`, look-around and back-references
//! (`\1`, `\k<name>`) pass through: the `regex` crate refuses them and `fancy-regex` runs them.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Java's line terminators, as class contents.
const LINE_TERMINATORS: &str = r"\n\x0B\x0C\r\x{85}\x{2028}\x{2029}";
/// Java's `\s` (without UNICODE_CHARACTER_CLASS), as class contents.
const JAVA_SPACE: &str = r" \t\n\x0B\x0C\r";
/// Java's `\h`, as class contents.
const HORIZONTAL_SPACE: &str = r" \t\xA0\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}";

/// A pattern rewritten for sluice's engines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Translated<'p> {
    /// The pattern in the engines' syntax.
    pub(crate) text: Cow<'p, str>,
    /// Whether it has a possessive quantifier (`a*+`): the `regex` crate would read that as a
    /// repeated repetition, `(?:a*)+`, and match what Java does not, so only the backtracking
    /// engine may run it.
    pub(crate) possessive: bool,
}

/// `pattern` in the syntax sluice's engines read, or why it cannot be.
pub(crate) fn translate(pattern: &str) -> Result<Translated<'_>, String> {
    if !pattern.contains(['\\', '(', '[', '+']) {
        return Ok(Translated {
            text: Cow::Borrowed(pattern),
            possessive: false,
        });
    }
    let mut possessive = false;
    // `(?U)` (UNICODE_CHARACTER_CLASS) anywhere keeps `\d \s \w` Unicode, as Rust's are.
    let unicode_classes = has_unicode_class_flag(pattern);
    let mut out = String::with_capacity(pattern.len() + 8);
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    // Nesting depth of character classes (Java nests them as unions, as Rust does).
    let mut class_depth = 0usize;
    let mut quoting = false;
    while i < chars.len() {
        let c = chars[i];
        if quoting {
            if c == '\\' && chars.get(i + 1) == Some(&'E') {
                quoting = false;
                i += 2;
            } else {
                out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
                i += 1;
            }
            continue;
        }
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err("it ends with a lone `\\`".into());
                };
                i += 2;
                let in_class = class_depth > 0;
                match next {
                    'Q' => quoting = true,
                    'E' => {}                    // Java ignores a `\E` that closes nothing.
                    '<' | '>' => out.push(next), // Java: an escaped symbol is the symbol.
                    'e' => out.push_str(r"\x1B"),
                    'c' => {
                        let Some(&x) = chars.get(i) else {
                            return Err("`\\c` needs a control letter after it".into());
                        };
                        i += 1;
                        let _ = write!(out, r"\x{{{:X}}}", (x as u32) ^ 64);
                    }
                    '0' => {
                        // Java octal: \0n, \0nn, \0mnn (m ≤ 3).
                        let mut value = 0u32;
                        let mut digits = 0;
                        while digits < 3
                            && let Some(d) = chars.get(i).and_then(|d| d.to_digit(8))
                        {
                            if digits == 2 && value > 0o37 {
                                break;
                            }
                            value = value * 8 + d;
                            digits += 1;
                            i += 1;
                        }
                        if digits == 0 {
                            return Err("`\\0` must be followed by octal digits".into());
                        }
                        let _ = write!(out, r"\x{{{value:X}}}");
                    }
                    'h' => push_class(&mut out, HORIZONTAL_SPACE, false),
                    'H' => push_class(&mut out, HORIZONTAL_SPACE, true),
                    'v' => push_class(&mut out, LINE_TERMINATORS, false),
                    'V' => push_class(&mut out, LINE_TERMINATORS, true),
                    'R' if !in_class => {
                        let _ = write!(out, r"(?:\r\n|[{LINE_TERMINATORS}])");
                    }
                    'Z' if !in_class => {
                        out.push_str(r"(?=(?:\r\n|[\n\r\x{85}\x{2028}\x{2029}])?\z)");
                    }
                    'p' | 'P' => {
                        let (name, used) = property_name(&chars[i..])?;
                        i += used;
                        push_property(&mut out, &name, next == 'P')?;
                    }
                    'b' | 'B' if chars.get(i) == Some(&'{') => {
                        return Err(format!(
                            "`\\{next}{{…}}` (grapheme boundaries) has no equivalent in sluice's engines"
                        ));
                    }
                    'G' | 'X' | 'N' => {
                        return Err(format!(
                            "`\\{next}` has no equivalent in sluice's engines; rewrite it without"
                        ));
                    }
                    'd' | 'D' | 's' | 'S' | 'w' | 'W' if !unicode_classes => {
                        // Java's shorthand classes are ASCII unless UNICODE_CHARACTER_CLASS is on.
                        let contents = match next.to_ascii_lowercase() {
                            'd' => "0-9",
                            'w' => "0-9A-Za-z_",
                            _ => JAVA_SPACE,
                        };
                        push_class(&mut out, contents, next.is_ascii_uppercase());
                    }
                    'd' | 'D' | 's' | 'S' | 'w' | 'W' | 'b' | 'B' | 'A' | 'z' | 't' | 'n' | 'r'
                    | 'f' | 'a' | 'u' | 'x' | 'k' => {
                        out.push('\\');
                        out.push(next);
                    }
                    d if d.is_ascii_digit() => {
                        out.push('\\');
                        out.push(d);
                    }
                    l if l.is_ascii_alphabetic() => {
                        return Err(format!("`\\{l}` is not an escape Java knows"));
                    }
                    other => {
                        // Any other escaped symbol is that symbol, in Java and in Rust.
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A `]` first in a class is a literal (Rust reads it so too).
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
                i += 1;
            }
            '(' if class_depth == 0 && chars.get(i + 1) == Some(&'?') => {
                let flags_start = i + 2;
                let mut end = flags_start;
                while chars
                    .get(end)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == '-')
                {
                    end += 1;
                }
                match chars.get(end) {
                    Some(&close @ (')' | ':')) => {
                        let flags: String = chars[flags_start..end].iter().collect();
                        push_flag_group(&mut out, &flags, close)?;
                        i = end + 1;
                    }
                    _ => {
                        out.push_str("(?");
                        i += 2;
                    }
                }
            }
            _ => {
                if class_depth == 0
                    && matches!(c, '*' | '+' | '?' | '}')
                    && chars.get(i + 1) == Some(&'+')
                {
                    possessive = true;
                    out.push(c);
                    out.push('+');
                    i += 2;
                    continue;
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(Translated {
        text: Cow::Owned(out),
        possessive,
    })
}

/// Writes `(?flags)` / `(?flags:` with Java's flags mapped to Rust's.
fn push_flag_group(out: &mut String, flags: &str, close: char) -> Result<(), String> {
    let (on, off) = flags.split_once('-').unwrap_or((flags, ""));
    let keep = |set: &str| -> Result<String, String> {
        let mut kept = String::new();
        for f in set.chars() {
            match f {
                'i' | 'm' | 's' | 'x' => kept.push(f),
                // Rust's engines already behave as these ask (see the module doc).
                'd' | 'u' | 'U' => {}
                '-' => return Err("a flag group has two `-`".into()),
                other => {
                    return Err(format!(
                        "`{other}` is not a Java regex flag (i d m s u x U)"
                    ));
                }
            }
        }
        Ok(kept)
    };
    let (on, off) = (keep(on)?, keep(off)?);
    match (on.is_empty(), off.is_empty(), close) {
        (true, true, ')') => {}
        (true, true, _) => out.push_str("(?:"),
        (_, true, _) => {
            let _ = write!(out, "(?{on}{close}");
        }
        _ => {
            let _ = write!(out, "(?{on}-{off}{close}");
        }
    }
    Ok(())
}

/// The name after `\p` / `\P` (`{Name}` or one letter) and how many characters it took.
fn property_name(rest: &[char]) -> Result<(String, usize), String> {
    match rest.first() {
        Some('{') => {
            let Some(close) = rest.iter().position(|c| *c == '}') else {
                return Err("`\\p{` is not closed".into());
            };
            Ok((rest[1..close].iter().collect(), close + 1))
        }
        Some(c) if c.is_ascii_alphabetic() => Ok((c.to_string(), 1)),
        _ => Err("`\\p` needs a property name".into()),
    }
}

/// Writes Java's `\p{name}` (negated for `\P`) in Rust's syntax.
fn push_property(out: &mut String, name: &str, negated: bool) -> Result<(), String> {
    let class = match name {
        // POSIX classes are US-ASCII only in Java.
        "Lower" => Some("a-z"),
        "Upper" => Some("A-Z"),
        "ASCII" => Some(r"\x00-\x7F"),
        "Alpha" => Some("a-zA-Z"),
        "Digit" => Some("0-9"),
        "Alnum" => Some("a-zA-Z0-9"),
        "Punct" => Some(r"!-/:-@\[-`{-~"),
        "Graph" => Some("!-~"),
        "Print" => Some(" -~"),
        "Blank" => Some(r" \t"),
        "Cntrl" => Some(r"\x00-\x1F\x7F"),
        "XDigit" => Some("0-9a-fA-F"),
        "Space" => Some(r" \t\n\x0B\x0C\r"),
        // java.lang.Character predicates.
        "javaLowerCase" => Some(r"\p{Lowercase}"),
        "javaUpperCase" => Some(r"\p{Uppercase}"),
        "javaAlphabetic" => Some(r"\p{Alphabetic}"),
        "javaIdeographic" => Some(r"\p{Ideographic}"),
        "javaTitleCase" => Some(r"\p{Lt}"),
        "javaDigit" => Some(r"\p{Nd}"),
        "javaLetter" => Some(r"\p{L}"),
        "javaLetterOrDigit" => Some(r"\p{L}\p{Nd}"),
        "javaSpaceChar" => Some(r"\p{Zs}\p{Zl}\p{Zp}"),
        "javaISOControl" => Some(r"\x00-\x1F\x7F-\x{9F}"),
        "javaWhitespace" => Some(
            r"\t-\r\x1C-\x1F \x{1680}\x{2000}-\x{2006}\x{2008}-\x{200A}\x{2028}\x{2029}\x{205F}\x{3000}",
        ),
        _ => None,
    };
    if let Some(class) = class {
        push_class(out, class, negated);
        return Ok(());
    }
    if name.starts_with("java") {
        return Err(format!(
            "`\\p{{{name}}}` has no equivalent in sluice's engines; write the class out"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if name.starts_with("In") || lower.starts_with("block=") || lower.starts_with("blk=") {
        return Err(format!(
            "`\\p{{{name}}}` names a Unicode block, which sluice's engines do not know; use a \
             script (`\\p{{IsLatin}}`) or a range"
        ));
    }
    let name = name.strip_prefix("Is").unwrap_or(name);
    let _ = write!(out, "\\{}{{{name}}}", if negated { 'P' } else { 'p' });
    Ok(())
}

/// Whether a flag group in `pattern` turns on Java's UNICODE_CHARACTER_CLASS (`U`).
fn has_unicode_class_flag(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(at, _)| {
        pattern[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .take_while(|c| *c != '-')
            .any(|c| c == 'U')
    })
}

/// Writes a class with these contents; nested in a class, it is a union member in both Java
/// and Rust.
fn push_class(out: &mut String, contents: &str, negated: bool) {
    out.push('[');
    if negated {
        out.push('^');
    }
    out.push_str(contents);
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn t(p: &str) -> String {
        translate(p).unwrap().text.into_owned()
    }

    #[test]
    fn possessive_quantifiers_are_flagged() {
        for p in ["a*+b", "a++", "(ab)?+", "a{2,3}+"] {
            assert!(translate(p).unwrap().possessive, "{p}");
        }
        for p in ["a*b+", r"a\++", "[a*+]", "a+?"] {
            assert!(!translate(p).unwrap().possessive, "{p}");
        }
    }

    #[test]
    fn empty_and_java_only_flag_groups_are_rewritten() {
        assert_eq!(
            t("calendar/calendarView(?)[^/]*"),
            "calendar/calendarView[^/]*"
        );
        assert_eq!(t("(?iu)abc"), "(?i)abc");
        assert_eq!(t("(?U)\\w+"), "\\w+");
        assert_eq!(t("(?d:a.b)"), "(?:a.b)");
        assert_eq!(t("(?i-d)x"), "(?i)x");
        assert_eq!(t("(?-i)x"), "(?-i)x");
        // Look-around and named groups are not flag groups.
        assert_eq!(t("(?!a)(?<n>b)(?<=c)"), "(?!a)(?<n>b)(?<=c)");
        // Inside a class, `(?)` is three literals.
        assert_eq!(t("[(?)]"), "[(?)]");
        assert!(
            translate("(?q)x")
                .unwrap_err()
                .contains("not a Java regex flag")
        );
    }

    #[test]
    fn quoting_and_escapes_become_rust_syntax() {
        assert_eq!(t(r"\Qa.b*\Ec"), r"a\.b\*c");
        assert_eq!(t(r"\Qtail."), r"tail\.");
        assert_eq!(t(r"\<b\>"), "<b>");
        assert_eq!(t(r"\e\cA\011"), r"\x1B\x{1}\x{9}");
        assert_eq!(t(r"a\h"), format!("a[{}]", super::HORIZONTAL_SPACE));
        assert_eq!(t(r"\d+\.\w"), r"[0-9]+\.[0-9A-Za-z_]");
        assert!(translate(r"\G").unwrap_err().contains("no equivalent"));
        assert!(
            translate(r"\y")
                .unwrap_err()
                .contains("not an escape Java knows")
        );
    }

    #[test]
    fn shorthand_classes_are_ascii_as_in_java() {
        assert_eq!(t(r"@([\w.-]+)"), r"@([[0-9A-Za-z_].-]+)");
        assert_eq!(t(r"\D\S\W"), r"[^0-9][^ \t\n\x0B\x0C\r][^0-9A-Za-z_]");
        assert_eq!(t(r"\s"), r"[ \t\n\x0B\x0C\r]");
        // UNICODE_CHARACTER_CLASS keeps them Unicode (the flag itself is dropped).
        assert_eq!(t(r"(?U)\w+"), r"\w+");
        assert_eq!(t(r"(?iU:\d)"), r"(?i:\d)");
        // Word boundaries stay: Java's `\b` already looks at Unicode letters and digits.
        assert_eq!(t(r"\bx\b"), r"\bx\b");
    }

    #[test]
    fn properties_take_their_java_meaning() {
        assert_eq!(t(r"\p{Lower}+"), "[a-z]+");
        assert_eq!(t(r"[\P{Digit}_]"), "[[^0-9]_]");
        assert_eq!(t(r"\p{javaLowerCase}"), r"[\p{Lowercase}]");
        assert_eq!(t(r"\p{IsLatin}\pL"), r"\p{Latin}\p{L}");
        assert!(translate(r"\p{InGreek}").unwrap_err().contains("block"));
        assert!(
            translate(r"\p{javaMirrored}")
                .unwrap_err()
                .contains("write the class")
        );
    }
}
