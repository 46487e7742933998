//! Parsing a response straight through its response schema: what the schema does not name is
//! skipped while parsing (never allocated, never freed), kept values are filtered as they are
//! read. The result is exactly what parsing the whole document and then filtering it
//! ([`super::schema_filter`]) gives; schemas whose outcome depends on a whole value (`anyOf`,
//! `oneOf`, `if`/`then`/`else`, `const`) parse that value in full and filter it as before.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use sluice_spec::response_schema::{ResponseSchema, SchemaType};

use super::schema_filter::{Definitions, Filtered, filter_node, is_array, is_object, resolve};

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
        let whole_value = schema.one_of.is_some()
            || schema.any_of.is_some()
            || schema.if_schema.is_some()
            || schema.constant.is_some();
        if whole_value {
            let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
            return Ok(filter_node(value, schema, self.defs));
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
        while let Some(item) = seq.next_element_seed(SchemaSeed {
            schema: items,
            defs: self.defs,
        })? {
            match item {
                Filtered::Kept(Value::Null) | Filtered::NotMatched => {}
                Filtered::Kept(v) => out.push(v),
            }
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
            s(json!({"properties": {"id": {"type": "integer"}, "kids": {"items": {"$ref": "#/definitions/Node"}}}})),
        )]
        .into();
        vec![
            (
                s(
                    json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}),
                ),
                BTreeMap::new(),
            ),
            (
                s(json!({"items": {"properties": {"a": {"type": "boolean"}, "c": {}}}})),
                BTreeMap::new(),
            ),
            (s(json!({"$ref": "#/definitions/Node"})), defs.clone()),
            (
                s(
                    json!({"items": {"anyOf": [{"type": "integer"}, {"properties": {"a": {"type": "string"}}}]}}),
                ),
                BTreeMap::new(),
            ),
            (
                s(json!({"items": {"type": "object", "properties": {},
                    "if": {"properties": {"a": {"type": "string", "const": "x"}}},
                    "then": {"properties": {"a": {"type": "string"}, "b": {}}}}})),
                BTreeMap::new(),
            ),
            (
                s(
                    json!({"properties": {"a": {"properties": {"b": {"type": "number"}}}, "id": {"type": "null"}}}),
                ),
                BTreeMap::new(),
            ),
            (s(json!({})), BTreeMap::new()),
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
        fn parsing_through_the_schema_equals_parsing_then_filtering(doc in arb_json(), which in 0usize..7) {
            let (schema, defs) = &schemas()[which];
            let defs = Definitions { rules: defs, local: schema.definitions.as_ref(), pass_augmented: false };
            let bytes = serde_json::to_vec(&doc).unwrap();
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let streamed = match (SchemaSeed { schema, defs }).deserialize(&mut de).unwrap() {
                Filtered::Kept(v) => v,
                Filtered::NotMatched => Value::Null,
            };
            // Compared with the same bytes parsed into a `Value` (serde_json's default float
            // parsing does not always give back the generated `f64`).
            let reparsed: Value = serde_json::from_slice(&bytes).unwrap();
            let filtered = filter(reparsed, schema, defs);
            prop_assert_eq!(serde_json::to_string(&streamed).unwrap(), serde_json::to_string(&filtered).unwrap());
        }
    }

    #[test]
    fn duplicate_keys_keep_the_first_position_and_the_last_value() {
        let schema: ResponseSchema =
            serde_json::from_value(json!({"properties": {"a": {"type": "integer"}, "b": {}}}))
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
            serde_json::to_string(&filter(dom, &schema, defs)).unwrap()
        );
    }
}
