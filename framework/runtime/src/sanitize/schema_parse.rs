//! Parsing a response straight through its response schema: what the schema does not name is
//! skipped while parsing (never allocated, never freed), kept values are filtered as they are
//! read. The result is exactly what parsing the whole document and then filtering it
//! ([`super::schema_filter`]) gives; schemas whose outcome depends on a whole value (`anyOf`,
//! `oneOf`, and under a `type`, `if`/`then`/`else` and `const`) parse that value in full and
//! filter it as before. A value reaching a node of unknown type is skipped and fails the
//! response; the rest of the document is then only checked for syntax.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use sluice_spec::response_schema::{ResponseSchema, SchemaType};

use super::schema_filter::{
    Definitions, Filtered, UnknownType, filter_node, is_array, is_object, needs_whole_value,
    resolve, unknown_type,
};

/// Deserializes one value filtered by `schema`.
#[derive(Clone, Copy)]
pub(crate) struct SchemaSeed<'a> {
    pub(crate) schema: &'a ResponseSchema,
    pub(crate) defs: Definitions<'a>,
}

/// `{}`: the schema used for array items when `items` is absent.
static ANY: std::sync::LazyLock<ResponseSchema> = std::sync::LazyLock::new(ResponseSchema::default);

impl<'de> DeserializeSeed<'de> for SchemaSeed<'_> {
    type Value = Filtered;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Filtered, D::Error> {
        let mut schema = self.schema;
        // Follow `$ref`s as the filter does; an unresolvable one is the empty (leaf) schema.
        while let Some(reference) = &schema.reference {
            schema = resolve(reference, self.defs).unwrap_or(&ANY);
            if std::ptr::eq(schema, &*ANY) {
                break;
            }
        }
        if needs_whole_value(schema) {
            let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
            return Ok(filter_node(value, schema, self.defs));
        }
        if let Some(type_name) = unknown_type(schema) {
            IgnoredAny::deserialize(deserializer)?;
            return Ok(Filtered::Failed(Box::new(UnknownType {
                pointer: String::new(),
                type_name: type_name.to_owned(),
            })));
        }
        deserializer.deserialize_any(SchemaVisitor {
            schema,
            defs: self.defs,
        })
    }
}

/// An object key, borrowed from the input unless it had to be unescaped.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct SchemaVisitor<'a> {
    schema: &'a ResponseSchema,
    defs: Definitions<'a>,
}

impl SchemaVisitor<'_> {
    /// A scalar goes through the filter's own rules (type coercions and all).
    fn scalar(&self, value: Value) -> Filtered {
        filter_node(value, self.schema, self.defs)
    }
}

impl<'de> Visitor<'de> for SchemaVisitor<'_> {
    type Value = Filtered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Filtered, E> {
        Ok(self.scalar(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Filtered, E> {
        Ok(self.scalar(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Filtered, E> {
        Ok(self.scalar(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Filtered, E> {
        Ok(self.scalar(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Filtered, E> {
        // `type: string` (no `$ref` or condition is left here) keeps a string as it is.
        if self.schema.schema_type == Some(SchemaType::String) {
            return Ok(Filtered::Kept(Value::String(v.to_owned())));
        }
        Ok(self.scalar(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Filtered, E> {
        Ok(self.scalar(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Filtered, E> {
        Ok(self.scalar(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Filtered, E> {
        Ok(self.scalar(Value::Null))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Filtered, A::Error> {
        let properties = self
            .schema
            .properties
            .as_ref()
            .filter(|_| is_object(self.schema));
        let Some(properties) = properties else {
            // Not an object schema (or one naming nothing): skip the whole object.
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Filtered::Kept(if is_object(self.schema) {
                Value::Object(Map::new())
            } else {
                Value::Null
            }));
        };
        // Not sized for the schema's properties: that saves a few rehashes on large objects
        // but costs more on many small ones (Slack's blocks name five properties and keep one
        // or two; sized maps made Slack ~7 % slower, Calendar no faster).
        let mut out = Map::new();
        // Keys whose (last) value did not match: the object then does not match either.
        let mut not_matched: HashSet<String> = HashSet::new();
        // Keys are borrowed from the input where possible: skipped ones are never allocated.
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let Some(property) = properties.get(&*key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match map.next_value_seed(SchemaSeed {
                schema: property,
                defs: self.defs,
            })? {
                Filtered::Kept(value) => {
                    if !not_matched.is_empty() {
                        not_matched.remove(&*key);
                    }
                    out.insert(key.into_owned(), value);
                }
                Filtered::NotMatched => {
                    not_matched.insert(key.into_owned());
                }
                Filtered::Failed(e) => {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    return Ok(Filtered::Failed(e.under(&key)));
                }
            }
        }
        Ok(if not_matched.is_empty() {
            Filtered::Kept(Value::Object(out))
        } else {
            Filtered::NotMatched
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Filtered, A::Error> {
        if !is_array(self.schema) {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Filtered::Kept(Value::Null));
        }
        let items = self.schema.items.as_deref().unwrap_or(&ANY);
        let mut out = Vec::new();
        let mut index = 0usize;
        while let Some(item) = seq.next_element_seed(SchemaSeed {
            schema: items,
            defs: self.defs,
        })? {
            match item {
                Filtered::Kept(Value::Null) | Filtered::NotMatched => {}
                Filtered::Kept(v) => out.push(v),
                Filtered::Failed(e) => {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(Filtered::Failed(e.under(&index.to_string())));
                }
            }
            index += 1;
        }
        Ok(Filtered::Kept(Value::Array(out)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::sanitize::schema_filter::filter;

    fn schemas() -> Vec<(ResponseSchema, BTreeMap<String, ResponseSchema>)> {
        let s = |v: Value| serde_json::from_value::<ResponseSchema>(v).unwrap();
        let defs: BTreeMap<String, ResponseSchema> = [(
            "Node".to_owned(),
            s(
                json!({"type": "object", "properties": {"id": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/definitions/Node"}}}}),
            ),
        )]
        .into();
        let plain = |v: Value| (s(v), BTreeMap::new());
        vec![
            plain(
                json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}),
            ),
            plain(
                json!({"type": "array", "items": {"type": "object", "properties": {"a": {"type": "boolean"}, "c": {}}}}),
            ),
            (s(json!({"$ref": "#/definitions/Node"})), defs.clone()),
            plain(
                json!({"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"a": {"type": "string"}}}]}}),
            ),
            plain(
                json!({"type": "array", "items": {"type": "object", "properties": {},
                "if": {"properties": {"a": {"type": "string", "const": "x"}}},
                "else": {"properties": {"b": {"type": "integer", "const": "1"}}},
                "then": {"properties": {"a": {"type": "string"}, "b": {}}}}}),
            ),
            plain(
                json!({"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "number"}}}, "id": {"type": "null"}}}),
            ),
            plain(json!({})),
            // No `type`: a leaf, though it names properties and items.
            plain(json!({"properties": {"a": {"type": "string"}}, "items": {}})),
            plain(
                json!({"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "boolean"}, {"type": "object", "properties": {"id": {}}}]}}),
            ),
            // Nulls under every type.
            plain(
                json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"},
                "c": {"type": "string"}, "id": {"type": "number"}, "kids": {"type": "array"}}}),
            ),
            // A misspelt type: responses whose values reach it fail, the rest filter.
            plain(
                json!({"type": "object", "properties": {"a": {"type": "string"},
                "kids": {"type": "array", "items": {"type": "object",
                    "properties": {"b": {"type": "onBehalfOf"}, "c": {}}}}}}),
            ),
            // anyOf of conditions on a nested object, as Salesforce/GraphQL rules have them.
            plain(
                json!({"type": "object", "properties": {"kids": {"type": "array", "items": {"anyOf": [
                    {"type": "object", "properties": {},
                     "if": {"properties": {"a": {"type": "object", "properties": {"b": {"type": "string", "const": "y"}}}}},
                     "then": {"properties": {"a": {"type": "object", "properties": {"b": {}}}, "id": {"type": "integer"}}}},
                    {"type": "object", "properties": {"c": {"type": "boolean"}}}
                ]}}}}),
            ),
        ]
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (-3i64..5).prop_map(Value::from),
            (-2.5f64..2.5).prop_map(Value::from),
            prop::sample::select(vec!["x", "y", ""]).prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop::sample::select(vec!["a", "b", "c", "id", "kids"]),
                        inner
                    ),
                    0..5
                )
                .prop_map(|kvs| Value::Object(
                    kvs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    proptest! {
        #[test]
        fn parsing_through_the_schema_equals_parsing_then_filtering(doc in arb_json(), which in 0usize..12) {
            let (schema, defs) = &schemas()[which];
            let defs = Definitions { rules: defs, local: schema.definitions.as_ref(), pass_augmented: false };
            let bytes = serde_json::to_vec(&doc).unwrap();
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let streamed = match (SchemaSeed { schema, defs }).deserialize(&mut de).unwrap() {
                Filtered::Kept(v) => Ok(v),
                Filtered::NotMatched => Ok(Value::Null),
                Filtered::Failed(e) => Err(e),
            };
            // Compared with the same bytes parsed into a `Value` (serde_json's default float
            // parsing does not always give back the generated `f64`).
            let reparsed: Value = serde_json::from_slice(&bytes).unwrap();
            let filtered = filter(reparsed, schema, defs);
            let text = |r: Result<Value, Box<UnknownType>>| r.map(|v| serde_json::to_string(&v).unwrap());
            prop_assert_eq!(text(streamed), text(filtered));
        }
    }

    #[test]
    fn duplicate_keys_keep_the_first_position_and_the_last_value() {
        let schema: ResponseSchema = serde_json::from_value(
            json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {}}}),
        )
        .unwrap();
        let none = BTreeMap::new();
        let defs = Definitions {
            rules: &none,
            local: None,
            pass_augmented: false,
        };
        let bytes = br#"{"a":1,"b":2,"a":3}"#;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let Filtered::Kept(v) = (SchemaSeed {
            schema: &schema,
            defs,
        })
        .deserialize(&mut de)
        .unwrap() else {
            panic!()
        };
        let dom: Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            serde_json::to_string(&filter(dom, &schema, defs).unwrap()).unwrap()
        );
    }
}
