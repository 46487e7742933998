//! The quick way through [`super::passthrough`]: most upstream answers are already nearly in
//! psoxy's form (integers, strings with only the escapes Jackson writes itself, perhaps some
//! whitespace), so the body is checked and copied in runs of bytes instead of being parsed into
//! tokens and written again. What differs from psoxy's form is mended on the way: whitespace
//! between tokens is dropped, and a decimal number, a long integer or a string with another
//! escape (`\/`, `\u00e9`) is written exactly as the token-by-token copy writes it. Anything
//! else (a repeated name, several values in one body, deep nesting, anything the parser would
//! refuse) is left to the token-by-token copy, which then gives its usual answer or error.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use super::output::{first_escape, write_str};
use super::passthrough::{Copied, copy_tokens};

/// Deeper documents are left to the parser, which refuses them past 128 levels.
const MAX_DEPTH: usize = 100;

/// Objects with more names than this are checked for repeats through a hash table, smaller ones
/// by comparing fingerprints.
const LINEAR_NAMES: usize = 32;

/// Appends `text`, a whole body, to `out` in psoxy's form and returns true; or returns false,
/// leaving `out` as it was, when the body needs the token-by-token copy.
pub(super) fn copy(text: &str, out: &mut Vec<u8>) -> bool {
    let mark = out.len();
    let mut copy = Compact {
        text,
        b: text.as_bytes(),
        i: 0,
        flushed: 0,
        out,
        names: Vec::new(),
        many: HashTable::new(),
        many_names: Vec::new(),
        objects: 0,
        scratch: Vec::new(),
    };
    if copy.document().is_some() {
        copy.flush_to(copy.b.len());
        true
    } else {
        out.truncate(mark);
        false
    }
}

/// `None`: the body is left to the token-by-token copy.
type Step = Option<()>;

struct Compact<'a, 'o> {
    text: &'a str,
    b: &'a [u8],
    /// The next byte to read.
    i: usize,
    /// The input before this is in `out` already, or dropped.
    flushed: usize,
    out: &'o mut Vec<u8>,
    /// The names of the objects being read, outermost first (fingerprint, start, end): each
    /// object's names are one segment at the end, removed when the object ends.
    names: Vec<(u64, usize, usize)>,
    /// The names of objects with many, each tagged with its object's serial number (object,
    /// fingerprint, start, end): one list for the whole document ...
    many_names: Vec<(u32, u64, usize, usize)>,
    /// ... and a hash table of their positions in it: four bytes a name to probe, the name's
    /// entry read only when its hash tag matches.
    many: HashTable<u32>,
    /// Objects begun so far.
    objects: u32,
    /// A mended token, before it is compared with the input.
    scratch: Vec<u8>,
}

impl Compact<'_, '_> {
    fn document(&mut self) -> Step {
        self.value(0)?;
        self.whitespace();
        (self.i == self.b.len()).then_some(())
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// The next byte that is not whitespace; whitespace before it is dropped. Bodies in
    /// psoxy's form have none, so this is one comparison on the way to each token.
    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        if byte > b' ' {
            return Some(byte);
        }
        self.whitespace();
        self.peek()
    }

    /// Copies the input up to `end` to the output.
    fn flush_to(&mut self, end: usize) {
        self.out.extend_from_slice(&self.b[self.flushed..end]);
        self.flushed = end;
    }

    /// Replaces the input from `start` to the current position with `scratch`, unless they
    /// are the same bytes.
    fn mend(&mut self, start: usize) {
        if self.scratch != self.b[start..self.i] {
            self.flush_to(start);
            self.out.extend_from_slice(&self.scratch);
            self.flushed = self.i;
        }
    }

    /// Skips whitespace, which psoxy's form has none of.
    fn whitespace(&mut self) {
        let is_space = |b: Option<u8>| matches!(b, Some(b' ' | b'\n' | b'\t' | b'\r'));
        if !is_space(self.peek()) {
            return;
        }
        self.flush_to(self.i);
        while is_space(self.peek()) {
            self.i += 1;
        }
        self.flushed = self.i;
    }

    #[inline(always)]
    fn value(&mut self, depth: usize) -> Step {
        match self.next()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string(false).map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Step {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// A number: an integer of up to 18 digits is written as it is; any other (a decimal, an
    /// exponent, a longer integer, `-0`) as the parser reads it and the formatter writes it.
    #[inline(always)]
    fn number(&mut self) -> Step {
        // Most numbers are short non-negative integers: their digits end inside the next sixteen
        // bytes, with no leading zero, and no fraction or exponent follows. Anything else, and
        // a number closer than eight bytes to the end of the body, takes `any_number`.
        let b = self.b;
        let start = self.i;
        let mut j = start;
        // Up to 15 digits this way (Unix times in milliseconds have 13).
        for _ in 0..2 {
            let Some(group) = b.get(j..j + 8) else {
                break;
            };
            let run = digit_run(u64::from_le_bytes(group.try_into().expect("eight bytes")));
            j += run;
            if run < 8 {
                if j > start
                    && (j == start + 1 || b[start] != b'0')
                    && !matches!(b[j], b'.' | b'e' | b'E')
                {
                    self.i = j;
                    return Some(());
                }
                break;
            }
        }
        self.any_number()
    }

    /// [`Self::number`] of any spelling.
    #[inline(never)]
    fn any_number(&mut self) -> Step {
        let b = self.b;
        let start = self.i;
        // Past the digits from `j`, eight bytes at a time.
        let digits = |mut j: usize| {
            while let Some(group) = b.get(j..j + 8) {
                let run = digit_run(u64::from_le_bytes(group.try_into().expect("eight bytes")));
                j += run;
                if run < 8 {
                    return j;
                }
            }
            while matches!(b.get(j), Some(b'0'..=b'9')) {
                j += 1;
            }
            j
        };
        let mut j = start + usize::from(b[start] == b'-');
        let integer = j;
        j = match b.get(j)? {
            b'0' => j + 1,
            b'1'..=b'9' => digits(j + 1),
            _ => return None,
        };
        let integer_digits = j - integer;
        let mut plain = true;
        if b.get(j) == Some(&b'.') {
            plain = false;
            let fraction = j + 1;
            j = digits(fraction);
            if j == fraction {
                return None;
            }
        }
        if matches!(b.get(j), Some(b'e' | b'E')) {
            plain = false;
            j += 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            let exponent = j;
            j = digits(exponent);
            if j == exponent {
                return None;
            }
        }
        self.i = j;
        let negative_zero = b[start] == b'-' && &b[integer..j] == b"0";
        if plain && integer_digits <= 18 && !negative_zero {
            return Some(());
        }
        self.scratch.clear();
        match copy_tokens(&self.text[start..j], &mut self.scratch) {
            Ok(Copied::Done) => {}
            _ => return None,
        }
        self.mend(start);
        Some(())
    }

    /// A string; gives the span of its contents. A string with an escape Jackson would not
    /// write is written again from its text, unless it is a member `name`: names must stay as
    /// they are so that repeats can be found by comparing bytes.
    #[inline(always)]
    fn string(&mut self, name: bool) -> Option<(usize, usize)> {
        // Most strings are short and have no escape: their closing quote is the first byte to
        // stop at within the next sixteen. Anything else, and a string closer than eight bytes
        // to the end of the body, takes `any_string`.
        let b = self.b;
        let start = self.i;
        let mut j = start + 1;
        for _ in 0..2 {
            let Some(group) = b.get(j..j + 8) else {
                break;
            };
            match first_escape(u64::from_le_bytes(group.try_into().expect("eight bytes"))) {
                None => j += 8,
                Some(at) => {
                    if b[j + at] == b'"' {
                        self.i = j + at + 1;
                        return Some((start + 1, j + at));
                    }
                    break;
                }
            }
        }
        self.any_string(name)
    }

    /// [`Self::string`] of any spelling.
    #[inline(never)]
    fn any_string(&mut self, name: bool) -> Option<(usize, usize)> {
        let b = self.b;
        let start = self.i;
        let mut j = start + 1;
        let mut mended = false;
        loop {
            // Eight bytes at a time up to a quote, a backslash or a control character.
            while let Some(group) = b.get(j..j + 8) {
                let word = u64::from_le_bytes(group.try_into().expect("eight bytes"));
                if let Some(at) = first_escape(word) {
                    j += at;
                    break;
                }
                j += 8;
            }
            match *b.get(j)? {
                b'"' => break,
                b'\\' => {
                    j += match *b.get(j + 1)? {
                        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        b'u' => {
                            let hex = b.get(j + 2..j + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            mended |= !is_jackson_control_escape(hex);
                            6
                        }
                        b'/' => {
                            mended = true;
                            2
                        }
                        _ => return None,
                    };
                }
                0x00..=0x1F => return None,
                _ => j += 1,
            }
        }
        self.i = j + 1;
        if mended {
            if name {
                return None;
            }
            let text: String = serde_json::from_str(&self.text[start..self.i]).ok()?;
            self.scratch.clear();
            write_str(&mut self.scratch, &text);
            self.mend(start);
        }
        Some((start + 1, j))
    }

    fn array(&mut self, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            return None;
        }
        if self.open(b']')? {
            return Some(());
        }
        loop {
            self.value(depth)?;
            if self.after_member(b']')? {
                return Some(());
            }
        }
    }

    fn object(&mut self, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            return None;
        }
        if self.open(b'}')? {
            return Some(());
        }
        let first = self.names.len();
        self.objects += 1;
        let object = self.objects;
        let mut large = false;
        loop {
            if self.next()? != b'"' {
                return None;
            }
            let (start, end) = self.string(true)?;
            if self.repeats(object, first, &mut large, start, end) {
                return None;
            }
            if self.next()? != b':' {
                return None;
            }
            self.i += 1;
            self.value(depth)?;
            if self.after_member(b'}')? {
                self.names.truncate(first);
                return Some(());
            }
        }
    }

    /// Steps past an array's or object's opening byte; true if `close` follows at once.
    #[inline(always)]
    fn open(&mut self, close: u8) -> Option<bool> {
        self.i += 1;
        let empty = self.next()? == close;
        self.i += usize::from(empty);
        Some(empty)
    }

    /// Steps past the `,` before the next member (false) or the `close` that ends the array or
    /// object (true).
    #[inline(always)]
    fn after_member(&mut self, close: u8) -> Option<bool> {
        match self.next()? {
            b',' => {
                self.i += 1;
                Some(false)
            }
            byte if byte == close => {
                self.i += 1;
                Some(true)
            }
            _ => None,
        }
    }

    /// Whether the name at `start..end` repeats one of those of object number `object`, whose
    /// names begin at `names[first]` (or, once `large`, are in the hash table under its
    /// number); records it.
    #[inline(always)]
    fn repeats(
        &mut self,
        object: u32,
        first: usize,
        large: &mut bool,
        start: usize,
        end: usize,
    ) -> bool {
        let b = self.b;
        let bytes = &b[start..end];
        let print = fingerprint(bytes);
        if *large {
            return self.insert_many(object, print, start, end);
        }
        let repeated = self.names[first..]
            .iter()
            .any(|&(p, s, e)| p == print && b[s..e] == *bytes);
        self.names.push((print, start, end));
        if self.names.len() - first > LINEAR_NAMES {
            *large = true;
            if self.many.capacity() == 0 {
                // One allocation for most documents: room for a name per 64 bytes of body, more
                // than the objects of the APIs we ship hold (both grow if more come).
                let expected = self.b.len() / 64;
                self.many.reserve(expected, |_| 0);
                self.many_names.reserve(expected);
            }
            let names = std::mem::take(&mut self.names);
            for &(print, s, e) in &names[first..] {
                self.insert_many(object, print, s, e);
            }
            self.names = names;
            self.names.truncate(first);
        }
        repeated
    }

    /// Records a name of large object number `object`; true if the object had it already.
    #[inline(always)]
    fn insert_many(&mut self, object: u32, print: u64, start: usize, end: usize) -> bool {
        let (b, names) = (self.b, &self.many_names);
        let hash = mix(print ^ u64::from(object));
        let same = |&i: &u32| {
            let (o, p, s, e) = names[i as usize];
            o == object && p == print && b[s..e] == b[start..end]
        };
        let rehash = |&i: &u32| {
            let (o, p, _, _) = names[i as usize];
            mix(p ^ u64::from(o))
        };
        match self.many.entry(hash, same, rehash) {
            Entry::Occupied(_) => true,
            Entry::Vacant(slot) => match u32::try_from(self.many_names.len()) {
                Ok(index) => {
                    slot.insert(index);
                    self.many_names.push((object, print, start, end));
                    false
                }
                // Past 4 Gi names, the token-by-token copy takes the body.
                Err(_) => true,
            },
        }
    }
}

/// How many of the eight bytes of `word` (in memory order, little-endian) are ASCII digits
/// before the first that is not. A byte is a digit when its high nibble is 3 and stays 3 with 6
/// added; an addition can carry only out of a byte that is not a digit, into the bytes after it.
fn digit_run(word: u64) -> usize {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    let not_digit = ((word & HIGH_NIBBLES) ^ THREES)
        | ((word.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) ^ THREES);
    // The high bit of each byte of `not_digit` that is not zero (no carries between bytes).
    let nonzero = (((not_digit & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | not_digit)
        & 0x8080_8080_8080_8080;
    nonzero.trailing_zeros() as usize / 8
}

/// Whether the four hex digits of a `\u` escape are the ones Jackson writes: a control
/// character without a short escape, in uppercase hex.
fn is_jackson_control_escape(hex: &[u8]) -> bool {
    let upper = |d: &u8| d.is_ascii_digit() || d.is_ascii_uppercase();
    hex[..2] == *b"00"
        && matches!(hex[2], b'0' | b'1')
        && upper(&hex[3])
        && !matches!(&hex[2..], b"08" | b"09" | b"0A" | b"0C" | b"0D")
}

/// A cheap fingerprint of a name (its length and its first and last bytes, up to eight each):
/// equal names have equal fingerprints; names with equal fingerprints are then compared.
fn fingerprint(name: &[u8]) -> u64 {
    let len = name.len();
    let word = |bytes: &[u8]| -> u64 {
        match bytes.len() {
            8 => u64::from_le_bytes(bytes.try_into().expect("eight bytes")),
            4 => u64::from(u32::from_le_bytes(bytes.try_into().expect("four bytes"))),
            _ => bytes.iter().fold(0, |x, &b| (x << 8) | u64::from(b)),
        }
    };
    // The two windows overlap for short names, so every byte counts.
    let (head, tail) = match len {
        8.. => (word(&name[..8]), word(&name[len - 8..])),
        4..8 => (word(&name[..4]), word(&name[len - 4..])),
        _ => (word(name), 0),
    };
    head ^ tail.rotate_left(29) ^ (len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Spreads every bit of `x` over the whole word (MurmurHash3's finalizer).
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The compact copy, or `None` when it leaves the body to the token-by-token copy.
    fn compact(text: &str) -> Option<String> {
        let mut out = b"kept".to_vec();
        let copied = copy(text, &mut out);
        assert!(out.starts_with(b"kept"), "what was in the output stays");
        if !copied {
            assert_eq!(out, b"kept", "a body left to the parser adds nothing");
            return None;
        }
        Some(String::from_utf8(out.split_off(4)).unwrap())
    }

    fn tokens(text: &str) -> Option<String> {
        let mut out = Vec::new();
        match copy_tokens(text, &mut out) {
            Ok(Copied::Done) => Some(String::from_utf8(out).unwrap()),
            _ => None,
        }
    }

    #[test]
    fn mends_what_psoxy_writes_otherwise() {
        for (body, expected) in [
            (r#"{"a":[1,-2,"x"],"b":{}}"#, r#"{"a":[1,-2,"x"],"b":{}}"#),
            (
                "\n{ \"a\" :\t[ 1 , 2 ] ,\r\n \"b\" : [ ] }\n",
                r#"{"a":[1,2],"b":[]}"#,
            ),
            (
                r#"["\/", "\u00e9\u00E9", "\u001f\u001F", "\u000a\n", "\"\\\b\f\r\t"]"#,
                r#"["/","éé","\u001F\u001F","\n\n","\"\\\b\f\r\t"]"#,
            ),
            (
                "[1.50,1e2,-0,0,-0.0,123456789012345678,1234567890123456789,-12E-1]",
                "[1.5,100.0,-0.0,0,-0.0,123456789012345678,1234567890123456789,-1.2]",
            ),
            (r#""é \u0007""#, r#""é \u0007""#),
        ] {
            assert_eq!(compact(body).as_deref(), Some(expected), "{body}");
            assert_eq!(tokens(body).as_deref(), Some(expected), "{body}");
        }
    }

    #[test]
    fn leaves_the_rest_to_the_parser() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        for body in [
            r#"{"a":1,"b":2,"a":3}"#,
            r#"{"\u0061":1}"#,
            "1 2",
            "{}{}",
            "[1,]",
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            "\"\\ud800\"",
            "\"\\x\"",
            "\"a\u{1}\"",
            "01",
            "-",
            "1.",
            "1e+",
            "tru",
            "nul",
            "\u{feff}{}",
            "",
            &deep,
        ] {
            assert_eq!(compact(body), None, "{body:?}");
        }
        let nested = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(compact(&nested), tokens(&nested));
    }

    #[test]
    fn short_numbers_and_strings_in_long_bodies_take_the_quick_path_alike() {
        // With eight bytes or more after a token, short numbers and strings are checked a word
        // at a time; what they must not let through is what the parser refuses or mends.
        let pad = r#","padding-padding""#;
        for body in [
            "[12345678,123456789012345,1234567890123456,7,0,-1]",
            "[0.5,10e5,1E5,1e-7,-0,-0.0,100000000000000000000]",
            r#"["","abcdefg","abcdefgh","abcdefghijklmno","abcdefghijklmnop","abcdefghijklmnopq"]"#,
            r#"["abcdefg\/","abcdefgh\u00e9x","abcdefghijklmno\"","a\tb","\u001f"]"#,
            r#"{"abcdefghijklmno":1,"abcdefghijklmnop":{"x":12345678901}}"#,
        ] {
            let body = format!("[{body}{pad}]");
            let expected = tokens(&body);
            assert!(expected.is_some(), "{body}");
            assert_eq!(compact(&body), expected, "{body}");
        }
        for body in [
            "[01,2345678]",
            "[00000000000000001]",
            "[-01234567,1]",
            "[\"a\u{1}bcdefgh\"]",
            "[1.,12345678]",
        ] {
            let body = format!("[{body}{pad}]");
            assert_eq!(compact(&body), None, "{body}");
            assert_eq!(tokens(&body), None, "{body}");
        }
    }

    #[test]
    fn many_names_are_checked_for_repeats_too() {
        let many: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
        assert_eq!(compact(&format!("{{{many}\"k39\":0}}")), None);
        // A nested object between the names does not hide a repeat.
        assert_eq!(
            compact(&format!("{{{many}\"x\":{{\"y\":1}},\"k0\":2}}")),
            None
        );
        let distinct = format!("{{{many}\"k40\":{{\"k0\":1}}}}");
        assert_eq!(compact(&distinct), tokens(&distinct));
        assert!(compact(&distinct).is_some());
        // Names that share a fingerprint but differ are not repeats.
        let body = r#"{"abcdefgh-1-abcdefgh":1,"abcdefgh-2-abcdefgh":2}"#;
        assert_eq!(
            fingerprint(b"abcdefgh-1-abcdefgh"),
            fingerprint(b"abcdefgh-2-abcdefgh")
        );
        assert_eq!(compact(body).as_deref(), Some(body));
    }

    /// Documents whose strings hold what needs escaping, or may be spelled with escapes.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        super::super::passthrough::documents("[a\"\\\\/é\u{1}\u{8}\n\u{1f}\u{7f}\u{2028}😀 ]{0,12}")
    }

    /// Writes `doc` as JSON with whitespace and string escapes chosen by `choices`, so the
    /// same document comes in many spellings.
    fn spell(doc: &serde_json::Value, choices: &mut impl Iterator<Item = u8>, out: &mut String) {
        let space = |out: &mut String, c: u8| {
            out.push_str([" ", "", "\n  ", "", "\t", ""][usize::from(c % 6)])
        };
        match doc {
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    space(out, choices.next().unwrap_or(0));
                    spell(item, choices, out);
                    space(out, choices.next().unwrap_or(1));
                }
                out.push(']');
            }
            serde_json::Value::Object(map) => {
                out.push('{');
                for (i, (name, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    space(out, choices.next().unwrap_or(1));
                    out.push_str(&serde_json::to_string(name).unwrap());
                    space(out, choices.next().unwrap_or(1));
                    out.push(':');
                    spell(item, choices, out);
                }
                out.push('}');
            }
            serde_json::Value::String(s) => {
                out.push('"');
                for c in s.chars() {
                    let how = choices.next().unwrap_or(0) % 4;
                    match (c, how) {
                        ('"' | '\\', _) => out.push_str(if c == '"' { "\\\"" } else { "\\\\" }),
                        ('/', 1) => out.push_str("\\/"),
                        ('\n', 0 | 1) => out.push_str("\\n"),
                        ('\u{8}', 0 | 1) => out.push_str("\\b"),
                        (c, 2) => {
                            let mut units = [0u16; 2];
                            for unit in c.encode_utf16(&mut units) {
                                out.push_str(&format!("\\u{unit:04x}"));
                            }
                        }
                        (c, _) if u32::from(c) < 0x20 => {
                            out.push_str(&format!("\\u{:04X}", u32::from(c)))
                        }
                        (c, _) => out.push(c),
                    }
                }
                out.push('"');
            }
            other => out.push_str(&serde_json::to_string(other).unwrap()),
        }
    }

    proptest! {
        #[test]
        fn digit_runs_are_counted_exactly(
            bytes in prop::array::uniform8(prop_oneof![(b'0'..=b'9'), Just(b'/'), Just(b':'), Just(0xFA), Just(0xFF), Just(0x39 + 0x80), any::<u8>()]),
        ) {
            let expected = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            prop_assert_eq!(digit_run(u64::from_le_bytes(bytes)), expected);
        }

        #[test]
        fn copies_any_spelling_as_the_tokens_do(
            doc in json_value(),
            choices in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut text = String::new();
            spell(&doc, &mut choices.into_iter(), &mut text);
            let expected = tokens(&text);
            prop_assert!(expected.is_some(), "{}", text);
            // The generator makes no repeated names (a map keeps one of each).
            prop_assert_eq!(compact(&text), expected, "{}", text);
        }

        #[test]
        fn damaged_bodies_are_copied_as_the_tokens_do_or_left_to_them(
            doc in json_value(),
            cut in any::<prop::sample::Index>(),
            insert in prop::sample::select(vec!["", ",", "]", "}", "\"", "\\", " ", "x", "0", "-", ".", "{", "[", "\u{1}"]),
        ) {
            let mut text = serde_json::to_string(&doc).unwrap();
            let at = cut.index(text.len() + 1);
            if text.is_char_boundary(at) {
                text.insert_str(at, insert);
            }
            if let Some(out) = compact(&text) {
                prop_assert_eq!(Some(out), tokens(&text), "{}", text);
            }
        }
    }
}
