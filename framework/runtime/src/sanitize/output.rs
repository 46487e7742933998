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

/// Appends `value` to `out` as psoxy would write it: the same bytes as serde_json's serializer
/// with [`JacksonFormatter`], written by hand because nearly all the output is strings, whose
/// bytes this copies in runs, checking eight at a time for what needs escaping.
pub fn write_json(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            // Numbers through the formatter itself: integers as serde_json writes them,
            // decimals as Java does.
            let mut serializer = Serializer::with_formatter(&mut *out, JacksonFormatter);
            n.serialize(&mut serializer)
                .expect("serializing a number into memory cannot fail");
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, key);
                out.push(b':');
                write_json(out, item);
            }
            out.push(b'}');
        }
    }
}

/// A JSON string as serde_json escapes it (`"`, backslash, and the controls below U+0020, as
/// [`JacksonFormatter`] writes them), everything else copied as it is.
pub(super) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Eight bytes at a time to the next byte to escape (the last few bytes one by one), so
    // a string is copied in runs between its escapes.
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(group) = bytes.get(i..i + 8) {
            match first_escape(u64::from_le_bytes(group.try_into().expect("eight bytes"))) {
                Some(at) => i += at,
                None => {
                    i += 8;
                    continue;
                }
            }
        }
        if let Some(escape) = escape_of(bytes[i]) {
            out.extend_from_slice(&bytes[start..i]);
            JacksonFormatter
                .write_char_escape(out, escape)
                .expect("writing into memory cannot fail");
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The index of the first byte of `word` (in memory order, little-endian) that is below 0x20,
/// `"` or a backslash, if any.
pub(super) fn first_escape(word: u64) -> Option<usize> {
    match escape_mask(word) {
        0 => None,
        mask => Some(mask.trailing_zeros() as usize / 8),
    }
}

/// The high bit of each byte of `word` that is below 0x20, `"` or a backslash, and perhaps of
/// some bytes after the first such byte; never of a byte before it. Each test is the classic
/// "has a zero byte" / "has a byte less than n" bit trick, which never misses and can only
/// report false bytes above a true one (a borrow runs upwards).
fn escape_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x;
    (below_space | has_zero(quote) | has_zero(backslash)) & HIGHS
}

/// How serde_json escapes byte `b`, if it does.
fn escape_of(b: u8) -> Option<CharEscape> {
    Some(match b {
        b'"' => CharEscape::Quote,
        b'\\' => CharEscape::ReverseSolidus,
        0x08 => CharEscape::Backspace,
        0x0C => CharEscape::FormFeed,
        b'\n' => CharEscape::LineFeed,
        b'\r' => CharEscape::CarriageReturn,
        b'\t' => CharEscape::Tab,
        0x00..=0x1F => CharEscape::AsciiControl(b),
        _ => return None,
    })
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
    use proptest::prelude::*;
    use serde_json::json;

    /// The writer as first written: serde_json's serializer with the Jackson formatter.
    fn by_serializer(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        let mut serializer = Serializer::with_formatter(&mut out, JacksonFormatter);
        value.serialize(&mut serializer).unwrap();
        out
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let text = prop_oneof![
            "\\PC{0,20}",
            "[a-z\"\\\\/\u{0}-\u{1f}\u{7f}é€😀 ]{0,24}",
            "[a-z]{0,30}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            text.clone().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((text.clone(), inner), 0..5)
                    .prop_map(|kvs| Value::Object(kvs.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_first_byte_to_escape_is_found_exactly(
            bytes in prop::array::uniform8(prop_oneof![Just(b'"'), Just(b'\\'), Just(0u8), Just(0x1F), Just(0x20), Just(0x21), Just(0x7F), Just(0x80), Just(0xFF), any::<u8>()]),
        ) {
            let expected = bytes.iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\');
            let word = u64::from_le_bytes(bytes);
            prop_assert_eq!(first_escape(word), expected);
        }

        #[test]
        fn the_writer_writes_what_the_serializer_writes(value in arb_json()) {
            let mut out = Vec::new();
            write_json(&mut out, &value);
            prop_assert_eq!(String::from_utf8(out).unwrap(), String::from_utf8(by_serializer(&value)).unwrap());
        }
    }

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
