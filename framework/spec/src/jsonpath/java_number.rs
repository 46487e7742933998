//! Numbers written as Java writes them, for comparisons where a number meets a string (Jayway
//! compares their texts): used by the parser for literals and by the evaluator for values.

/// `new BigDecimal(Double.toString(v)).toString()`, approximately.
pub(crate) fn java_number_text_f64(v: f64) -> String {
    if v == 0.0 {
        return "0.0".to_string();
    }
    let a = v.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    // Scientific: Double.toString gives d.dddE±n, which BigDecimal re-renders.
    let sci = format!("{a:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let mut digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 1 {
        digits.push('0');
    }
    let len = digits.len() as i64;
    let scale = (len - 1) - exp;
    let sign = if v < 0.0 { "-" } else { "" };
    if scale >= 0 && exp >= -6 {
        let scale = scale as usize;
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        if frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let plus = if exp >= 0 { "+" } else { "" };
        if rest.is_empty() {
            format!("{sign}{first}E{plus}{exp}")
        } else {
            format!("{sign}{first}.{rest}E{plus}{exp}")
        }
    }
}
