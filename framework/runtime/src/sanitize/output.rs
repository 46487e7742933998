//! Writing sanitized JSON exactly as psoxy does (Jackson's defaults), so the same rules give the
//! same bytes: compact, key order kept, decimals in Java's `Double.toString` form, control
//! characters escaped with uppercase hex, everything else (`/`, non-ASCII) written raw.

use std::io;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CharEscape, Formatter, Serializer};

/// A serde_json formatter with Jackson's output conventions.
#[derive(Debug, Clone, Copy, Default)]
pub struct JacksonFormatter;

impl Formatter for JacksonFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(java_double(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let short: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let bytes = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xF)],
                ];
                return writer.write_all(&bytes);
            }
        };
        writer.write_all(short)
    }
}

/// Appends `value` to `out` as psoxy would write it.
pub fn write_json(out: &mut Vec<u8>, value: &Value) {
    let mut serializer = Serializer::with_formatter(out, JacksonFormatter);
    value
        .serialize(&mut serializer)
        .expect("serializing a Value into memory cannot fail");
}

/// `value` as psoxy would write it.
pub fn to_json_string(value: &Value) -> String {
    let mut out = Vec::new();
    write_json(&mut out, value);
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Java's `Double.toString`: the shortest digits that round-trip, written as `123.45` when
/// 10^-3 ≤ |v| < 10^7 and as `1.2345E10` otherwise, always with a digit after the point.
pub fn java_double(value: f64) -> String {
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    if !value.is_finite() {
        // JSON has no such numbers; serde_json never hands us one.
        return "null".into();
    }
    let magnitude = value.abs();
    if (1e-3..1e7).contains(&magnitude) {
        let plain = format!("{value}");
        return if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        };
    }
    // Rust's `{:e}` gives the same shortest digits: `1.2345e10`, `1e-7`.
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` has an exponent");
    let mantissa = if mantissa.contains('.') {
        mantissa.to_owned()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn doubles_follow_java() {
        for (v, java) in [
            (1.1, "1.1"),
            (100.0, "100.0"),
            (1e-7, "1.0E-7"),
            (1.0e20, "1.0E20"),
            (12_345_678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (9_999_999.0, "9999999.0"),
        ] {
            assert_eq!(java_double(v), java, "{v}");
        }
    }

    #[test]
    fn output_is_compact_ordered_and_escaped_like_jackson() {
        let doc: Value =
            serde_json::from_str(r#"{"z":1,"a":[1.10,1e2,-7],"s":"é/\u0001\t\"","n":null}"#)
                .unwrap();
        assert_eq!(
            to_json_string(&doc),
            "{\"z\":1,\"a\":[1.1,100.0,-7],\"s\":\"é/\\u0001\\t\\\"\",\"n\":null}"
        );
        assert_eq!(
            to_json_string(&json!({"u": "\u{1f}"})),
            "{\"u\":\"\\u001F\"}"
        );
    }
}
