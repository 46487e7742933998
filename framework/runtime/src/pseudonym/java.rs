//! Small emulations of Java library behaviour that psoxy's output depends on: `StringUtils.isBlank`,
//! `String.trim`, and `Number.toString` of a parsed JSON number.

use serde_json::Number;

/// Java `Character.isWhitespace`: Unicode space separators other than the no-break spaces, plus
/// the ASCII controls `\t \n \u000B \f \r` and `\u001C`–`\u001F`.
fn is_java_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{1680}'
            | '\u{2000}'..='\u{2006}'
            | '\u{2008}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

/// commons-lang `StringUtils.isBlank`: empty, or only Java whitespace.
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars().all(is_java_whitespace)
}

/// Java `String.trim`: strips leading and trailing chars `<= U+0020`.
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// The text Java's `Number.toString()` gives for the value Jackson parses from this JSON number:
/// integers keep their digits (Integer / Long / BigInteger), anything with a fraction or an
/// exponent is a `Double` and gets `Double.toString`.
///
/// Without serde_json's `arbitrary_precision` feature, integers beyond the `u64`/`i64` range
/// already arrive as `f64`, so they come out in double form where Java would print a
/// `BigInteger`'s digits.
pub(crate) fn number_to_java_string(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let text = n.to_string();
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // An integer literal beyond the 64-bit range (only with `arbitrary_precision`):
        // BigInteger prints its canonical digits.
        let trimmed = digits.trim_start_matches('0');
        let body = if trimmed.is_empty() { "0" } else { trimmed };
        return if text.starts_with('-') && body != "0" {
            format!("-{body}")
        } else {
            body.to_string()
        };
    }
    match n.as_f64() {
        Some(f) => java_double_to_string(f),
        None => text,
    }
}

/// Java `Double.toString` for a finite double, using the shortest round-tripping digits (as JDK
/// 19+ does; older JDKs print a longer form for a few rare values).
pub(crate) fn java_double_to_string(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let abs = f.abs();
    if abs == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` gives the shortest round-trip digits as `d.ddde<exp>`.
    let sci = format!("{abs:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (1e-3..1e7).contains(&abs) {
        // Plain decimal with at least one fractional digit.
        let point = exp + 1; // digits before the decimal point
        let (int_part, frac_part) = if point <= 0 {
            (
                "0".to_string(),
                format!("{}{}", "0".repeat(point.unsigned_abs() as usize), digits),
            )
        } else {
            let p = point as usize;
            if digits.len() <= p {
                (
                    format!("{digits}{}", "0".repeat(p - digits.len())),
                    String::new(),
                )
            } else {
                (digits[..p].to_string(), digits[p..].to_string())
            }
        };
        let frac = if frac_part.is_empty() {
            "0".to_string()
        } else {
            frac_part
        };
        format!("{sign}{int_part}.{frac}")
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_follows_java_is_whitespace() {
        assert!(is_blank(""));
        assert!(is_blank(" \t\r\n\u{1F}\u{3000}"));
        assert!(!is_blank("\u{A0}"));
        assert!(!is_blank("\u{85}"));
        assert!(!is_blank(" a "));
    }

    #[test]
    fn doubles_print_like_java() {
        for (f, s) in [
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e20, "1.0E20"),
            (1e-7, "1.0E-7"),
            (-0.0, "-0.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1234567.0, "1234567.0"),
            (12345678.0, "1.2345678E7"),
            (1.1, "1.1"),
            (123.456, "123.456"),
            (-2.5e-5, "-2.5E-5"),
        ] {
            assert_eq!(java_double_to_string(f), s, "{f}");
        }
    }

    #[test]
    fn numbers_print_like_jackson_parsed_java_numbers() {
        let n = |t: &str| serde_json::from_str::<Number>(t).unwrap();
        assert_eq!(number_to_java_string(&n("123456")), "123456");
        assert_eq!(number_to_java_string(&n("-42")), "-42");
        assert_eq!(number_to_java_string(&n("1.10")), "1.1");
        assert_eq!(number_to_java_string(&n("1e2")), "100.0");
        assert_eq!(number_to_java_string(&n("1.0")), "1.0");
        assert_eq!(
            number_to_java_string(&n("18446744073709551615")),
            "18446744073709551615"
        );
    }
}
