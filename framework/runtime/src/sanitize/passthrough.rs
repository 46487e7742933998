//! Copying a document no rule changes (an endpoint without `responseSchema` and transforms):
//! parsed and written again in psoxy's form, token by token, without building a tree. The
//! output is the tree path's byte for byte (same parser, same [`JacksonFormatter`]), except for
//! an object with a repeated name, where the tree keeps the last value at the first position; such
//! a document makes [`copy`] give up ([`Copied::RepeatedName`]) so the caller can take the tree
//! path.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::ser::Formatter as _;

use super::output::{JacksonFormatter, write_str};

/// What [`copy`] did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Copied {
    /// The body was written to `out`.
    Done,
    /// An object repeats a name; `out` holds a partial copy to be discarded.
    RepeatedName,
}

/// Writes `body` (one or more concatenated JSON values, joined with `\n` as the tree path does)
/// to `out`. A body that is not JSON is an error, as on the tree path.
pub(super) fn copy(body: &[u8], out: &mut Vec<u8>) -> Result<Copied, serde_json::Error> {
    // As on the tree path: valid UTF-8 as a whole (nearly always), the parser need not check
    // string by string; otherwise the bytes are parsed as they are, with the same errors.
    // Most bodies are nearly in psoxy's form already and are copied in runs of bytes
    // ([`super::compact`]); the rest token by token.
    match std::str::from_utf8(body) {
        Ok(text) if super::compact::copy(text, out) => Ok(Copied::Done),
        Ok(text) => copy_tokens(text, out),
        Err(_) => copy_from(&mut serde_json::Deserializer::from_slice(body), out),
    }
}

/// [`copy`] of a text, token by token.
pub(super) fn copy_tokens(text: &str, out: &mut Vec<u8>) -> Result<Copied, serde_json::Error> {
    copy_from(&mut serde_json::Deserializer::from_str(text), out)
}

fn copy_from<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    out: &mut Vec<u8>,
) -> Result<Copied, serde_json::Error> {
    let shared = Shared::default();
    loop {
        let lead = (!out.is_empty()).then_some(b'\n');
        let value = Value {
            out: &mut *out,
            lead,
            shared: &shared,
        };
        match value.deserialize(&mut *de) {
            Ok(()) => {}
            Err(_) if shared.repeated.get() => return Ok(Copied::RepeatedName),
            Err(e) => return Err(e),
        }
        if de.end().is_ok() {
            return Ok(Copied::Done);
        }
    }
}

/// Objects with more names than this are checked for repeats with a hash set, smaller ones by
/// comparing names.
const LINEAR_NAMES: usize = 16;

/// What the whole copy shares.
#[derive(Default)]
struct Shared<'de> {
    /// Set when an object repeats a name (the parse then stops with an error).
    repeated: Cell<bool>,
    /// The names of the objects being copied, outermost first: each object's names are one
    /// segment at the end, removed when the object ends (one buffer for the whole document, not
    /// an allocation per object).
    names: RefCell<Vec<Name<'de>>>,
}

/// One JSON value, written to `out` (after `lead`, a separator) as it is parsed.
struct Value<'o, 'de> {
    out: &'o mut Vec<u8>,
    lead: Option<u8>,
    shared: &'o Shared<'de>,
}

impl<'o> Value<'o, '_> {
    /// Writes the separator; gives the output for the value itself.
    fn lead(self) -> &'o mut Vec<u8> {
        if let Some(byte) = self.lead {
            self.out.push(byte);
        }
        self.out
    }
}

impl<'de> DeserializeSeed<'de> for Value<'_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Writing into a `Vec` cannot fail; serde_json's formatter API is `io::Result` all the same.
fn infallible(result: std::io::Result<()>) {
    debug_assert!(result.is_ok());
}

impl<'de> Visitor<'de> for Value<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        let out = self.lead();
        infallible(JacksonFormatter.write_null(out));
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        infallible(JacksonFormatter.write_bool(self.lead(), v));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        infallible(JacksonFormatter.write_u64(self.lead(), v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        infallible(JacksonFormatter.write_i64(self.lead(), v));
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // As `serde_json::Value` keeps it: a non-finite number (which the parser never gives)
        // would be null.
        let out = self.lead();
        if v.is_finite() {
            infallible(JacksonFormatter.write_f64(out, v));
        } else {
            infallible(JacksonFormatter.write_null(out));
        }
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        write_str(self.lead(), v);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let shared = self.shared;
        let out = self.lead();
        out.push(b'[');
        let mut lead = None;
        while seq
            .next_element_seed(Value {
                out: &mut *out,
                lead,
                shared,
            })?
            .is_some()
        {
            lead = Some(b',');
        }
        out.push(b']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let shared = self.shared;
        let out = self.lead();
        // This object's names: `names[start..]`, or the set once there are many.
        let start = shared.names.borrow().len();
        let mut many: Option<HashSet<Name<'de>>> = None;
        out.push(b'{');
        let mut first = true;
        while let Some(name) = map.next_key::<Name<'de>>()? {
            if !first {
                out.push(b',');
            }
            first = false;
            write_str(out, name.as_str());
            let is_repeat = match &mut many {
                Some(set) => !set.insert(name),
                None => {
                    let mut names = shared.names.borrow_mut();
                    let is_repeat = names[start..].contains(&name);
                    names.push(name);
                    if names.len() - start > LINEAR_NAMES {
                        many = Some(names.drain(start..).collect());
                    }
                    is_repeat
                }
            };
            if is_repeat {
                shared.repeated.set(true);
                return Err(de::Error::custom("an object repeats a name"));
            }
            map.next_value_seed(Value {
                out: &mut *out,
                lead: Some(b':'),
                shared,
            })?;
        }
        shared.names.borrow_mut().truncate(start);
        out.push(b'}');
        Ok(())
    }
}

/// An object's member name: borrowed from the body when it has no escapes. Names compare by
/// their text, however they were spelled.
#[derive(Debug, Clone)]
enum Name<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Name<'_> {
    fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(s) => s,
            Self::Owned(s) => s,
        }
    }
}

impl PartialEq for Name<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name<'_> {}

impl std::hash::Hash for Name<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name::Owned(v.to_owned()))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// Generated JSON documents for property tests: any numbers, strings from the proptest regex
/// `strings`, up to four levels of arrays and objects, names of up to two letters from `a`–`c`
/// (each object keeps one member per name).
#[cfg(test)]
pub(super) fn documents(
    strings: &'static str,
) -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        strings.prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-c]{0,2}", inner), 0..24)
                .prop_map(|members| { serde_json::Value::Object(members.into_iter().collect()) }),
        ]
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::sanitize::output::write_json;

    /// The tree path: parse into `serde_json::Value`, write with the Jackson formatter.
    fn through_tree(body: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let mut de = serde_json::Deserializer::from_slice(body);
        loop {
            let doc: serde_json::Value =
                serde::Deserialize::deserialize(&mut de).map_err(|e| e.to_string())?;
            if !out.is_empty() {
                out.push(b'\n');
            }
            write_json(&mut out, &doc);
            if de.end().is_ok() {
                return Ok(out);
            }
        }
    }

    fn copied(body: &[u8]) -> Result<(Copied, Vec<u8>), String> {
        let mut out = Vec::new();
        copy(body, &mut out)
            .map(|c| (c, out))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn copies_like_the_tree_path() {
        for body in [
            r#"{"z":1,"a":[1.10,1e2,-7,[],{}],"s":"é/\u0001\t\"\/","n":null,"t":true,"f":false}"#,
            "  [ 1 , 2.5e-7 , 12345678.9, -0.0, 18446744073709551615, -9223372036854775808 ] ",
            r#"{"a\"b":{"\u00e9":"x"}}"#,
            "[]",
            "{}\n{\"b\":[{}]}\n3",
            r#""just a string""#,
        ] {
            let (how, out) = copied(body.as_bytes()).unwrap();
            assert_eq!(how, Copied::Done);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(through_tree(body.as_bytes()).unwrap()).unwrap(),
                "{body}"
            );
        }
    }

    #[test]
    fn a_repeated_name_gives_up_and_bad_json_is_an_error() {
        assert_eq!(
            copied(br#"{"a":1,"b":2,"a":3}"#).unwrap().0,
            Copied::RepeatedName
        );
        // Escaped and plain spellings of the same name are the same name.
        assert_eq!(
            copied(br#"[{"k":1,"\u006b":2}]"#).unwrap().0,
            Copied::RepeatedName
        );
        let many: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
        assert_eq!(
            copied(format!("{{{many}\"k39\":0}}").as_bytes()).unwrap().0,
            Copied::RepeatedName
        );
        assert_eq!(
            copied(format!("{{{many}\"k40\":0}}").as_bytes()).unwrap().0,
            Copied::Done
        );
        assert!(copied(b"{\"a\":").is_err());
        assert!(copied(b"<html>").is_err());
        assert!(copied(b"[1,]").is_err());
    }

    proptest! {
        #[test]
        fn any_document_copies_byte_for_byte(doc in documents("\\PC{0,12}"), pretty in any::<bool>()) {
            let body = if pretty {
                serde_json::to_vec_pretty(&doc).unwrap()
            } else {
                serde_json::to_vec(&doc).unwrap()
            };
            let (how, out) = copied(&body).unwrap();
            prop_assert_eq!(how, Copied::Done);
            prop_assert_eq!(out, through_tree(&body).unwrap());
        }

        #[test]
        fn repeated_names_are_always_caught(names in prop::collection::vec("[a-c]", 1..30)) {
            let members: String = names
                .iter()
                .enumerate()
                .map(|(i, n)| format!("\"{n}\":{i}"))
                .collect::<Vec<_>>()
                .join(",");
            let body = format!("{{{members}}}");
            let distinct: std::collections::HashSet<_> = names.iter().collect();
            let (how, out) = copied(body.as_bytes()).unwrap();
            if distinct.len() == names.len() {
                prop_assert_eq!(how, Copied::Done);
                prop_assert_eq!(out, through_tree(body.as_bytes()).unwrap());
            } else {
                prop_assert_eq!(how, Copied::RepeatedName);
            }
        }
    }
}
