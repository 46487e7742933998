//! Response-schema filtering, psoxy's way: a JSON Schema used as a filter, not a validator.
//! What the schema does not name is removed; values of the wrong type become `null` (and are
//! dropped from arrays). The rules follow psoxy's `JsonSchemaFilterUtils` (its newest version):
//! `$ref` first; then `oneOf` (first candidate giving a non-null value; `null` stays `null`);
//! then `anyOf` (first candidate that is not a failed `const` wins, even when it gives `null`);
//! a schema without `type` is a leaf (any scalar, containers become `null`), whatever else it
//! holds; with a `type`, `if`/`then`/`else` and `const` come before the type itself. A value that
//! reaches a node whose `type` psoxy does not know makes the whole response fail (psoxy throws):
//! [`UnknownType`] names its JSON pointer. Runs before any transform.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sluice_spec::response_schema::{ResponseSchema, SchemaType};

/// Where `$ref`s resolve: the rules file's `definitions` (psoxy's behaviour), then the endpoint
/// schema's own.
#[derive(Debug, Clone, Copy)]
pub struct Definitions<'a> {
    /// The rules file's top-level `definitions`.
    pub rules: &'a BTreeMap<String, ResponseSchema>,
    /// The endpoint schema's `definitions`, if any.
    pub local: Option<&'a BTreeMap<String, ResponseSchema>>,
    /// Keep every property whose name starts with `+` (and its value, unfiltered): set after
    /// augments ran, whose added properties psoxy passes without a schema entry.
    pub pass_augmented: bool,
}

/// A value reached a schema node whose `type` is none of JSON Schema's (psoxy loads such a
/// rules file and fails the response only when a value reaches the node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownType {
    /// JSON pointer (RFC 6901) of the value in the response.
    pub pointer: String,
    /// The `type` the schema gives there.
    pub type_name: String,
}

impl UnknownType {
    /// The same failure, one level further out: `step` is the key or index of the value.
    pub(crate) fn under(mut self: Box<Self>, step: &str) -> Box<Self> {
        let escaped = step.replace('~', "~0").replace('/', "~1");
        self.pointer.insert_str(0, &format!("/{escaped}"));
        self
    }
}

/// The result of filtering one value: psoxy distinguishes "filtered to this" from "a condition
/// did not match", which makes `anyOf` try the next candidate.
pub(crate) enum Filtered {
    Kept(Value),
    NotMatched,
    /// A value reached a node of unknown type: the response cannot be sanitized.
    Failed(Box<UnknownType>),
}

/// Filters `input` by `schema`; a value no candidate matches becomes `null`.
pub fn filter(
    input: Value,
    schema: &ResponseSchema,
    defs: Definitions<'_>,
) -> Result<Value, Box<UnknownType>> {
    match filter_node(input, schema, defs) {
        Filtered::Kept(v) => Ok(v),
        Filtered::NotMatched => Ok(Value::Null),
        Filtered::Failed(e) => Err(e),
    }
}

pub(crate) fn resolve<'a>(reference: &str, defs: Definitions<'a>) -> Option<&'a ResponseSchema> {
    let name = reference
        .strip_prefix("#/definitions/")
        .or_else(|| reference.strip_prefix("#/$defs/"))?;
    defs.rules
        .get(name)
        .or_else(|| defs.local.and_then(|l| l.get(name)))
}

/// psoxy filters objects and arrays only under an explicit `type`.
pub(crate) fn is_object(s: &ResponseSchema) -> bool {
    s.schema_type == Some(SchemaType::Object)
}

pub(crate) fn is_array(s: &ResponseSchema) -> bool {
    s.schema_type == Some(SchemaType::Array)
}

/// A candidate list that counts: psoxy ignores an empty `oneOf` / `anyOf`.
pub(crate) fn candidates(list: Option<&Vec<ResponseSchema>>) -> Option<&[ResponseSchema]> {
    list.filter(|l| !l.is_empty()).map(Vec::as_slice)
}

/// Whether filtering by `schema` (refs already followed) needs the whole value at once:
/// candidates, conditions and constants compare before they keep anything.
pub(crate) fn needs_whole_value(schema: &ResponseSchema) -> bool {
    candidates(schema.one_of.as_ref()).is_some()
        || candidates(schema.any_of.as_ref()).is_some()
        || (schema.schema_type.is_some()
            && (schema.if_schema.is_some() || schema.constant.is_some()))
}

/// The `type` of a schema node when it is none psoxy knows (refs already followed).
pub(crate) fn unknown_type(schema: &ResponseSchema) -> Option<&str> {
    match &schema.schema_type {
        Some(SchemaType::Unknown(name)) => Some(name),
        _ => None,
    }
}

pub(crate) fn filter_node(
    input: Value,
    schema: &ResponseSchema,
    defs: Definitions<'_>,
) -> Filtered {
    if let Some(reference) = &schema.reference {
        // `#` alone names the synthetic root psoxy builds from the definitions: a leaf.
        return match resolve(reference, defs) {
            Some(target) => filter_node(input, target, defs),
            None => filter_leaf(input),
        };
    }
    if let Some(list) = candidates(schema.one_of.as_ref()) {
        return one_of(input, list, defs);
    }
    if let Some(list) = candidates(schema.any_of.as_ref()) {
        return any_of(input, list, defs);
    }
    let Some(schema_type) = &schema.schema_type else {
        return filter_leaf(input);
    };
    if let Some(condition) = &schema.if_schema {
        let mut result = filter_condition(&input, condition, defs);
        if matches!(result, Filtered::NotMatched)
            && let Some(otherwise) = &schema.else_schema
        {
            result = filter_condition(&input, otherwise, defs);
        }
        return match (result, &schema.then_schema) {
            (Filtered::Kept(_), Some(then)) => filter_then(input, then, defs),
            (result, _) => result,
        };
    }
    if let Some(constant) = &schema.constant {
        return if as_text(&input) == as_text(constant) {
            Filtered::Kept(Value::String(String::new()))
        } else {
            Filtered::NotMatched
        };
    }
    filter_typed(input, schema, schema_type, defs)
}

/// A schema with a `type`, past its conditions.
fn filter_typed(
    input: Value,
    schema: &ResponseSchema,
    schema_type: &SchemaType,
    defs: Definitions<'_>,
) -> Filtered {
    Filtered::Kept(match schema_type {
        SchemaType::String => match input {
            Value::String(s) => Value::String(s),
            _ => Value::Null,
        },
        SchemaType::Integer => integer(&input),
        // psoxy keeps `null` under `number` (Jackson's `numberValue` of a null node is null).
        SchemaType::Number => match input {
            Value::Number(n) => Value::Number(n),
            _ => Value::Null,
        },
        SchemaType::Boolean => match input {
            Value::Bool(b) => Value::Bool(b),
            Value::Null => Value::Bool(false),
            _ => Value::Null,
        },
        SchemaType::Object => return filter_object(input, schema.properties.as_ref(), defs),
        SchemaType::Array => return filter_array(input, schema.items.as_deref(), defs),
        SchemaType::Null => Value::Null,
        SchemaType::Unknown(name) => {
            return Filtered::Failed(Box::new(UnknownType {
                pointer: String::new(),
                type_name: name.clone(),
            }));
        }
    })
}

/// `{}`: any scalar passes, containers do not.
fn filter_leaf(input: Value) -> Filtered {
    Filtered::Kept(match input {
        Value::Object(_) | Value::Array(_) => Value::Null,
        scalar => scalar,
    })
}

/// psoxy's `oneOf` (deprecated there): the first candidate giving a non-null value; a `null`
/// input stays `null` at the first candidate that keeps it so.
fn one_of(input: Value, list: &[ResponseSchema], defs: Definitions<'_>) -> Filtered {
    for candidate in list {
        match filter_node(input.clone(), candidate, defs) {
            Filtered::Kept(Value::Null) if input.is_null() => return Filtered::Kept(Value::Null),
            Filtered::Kept(Value::Null) | Filtered::NotMatched => {}
            decided => return decided,
        }
    }
    Filtered::Kept(Value::Null)
}

/// psoxy's `anyOf`: the first candidate that is not a failed condition wins, even with `null`.
fn any_of(input: Value, list: &[ResponseSchema], defs: Definitions<'_>) -> Filtered {
    for candidate in list {
        match filter_node(input.clone(), candidate, defs) {
            Filtered::NotMatched => {}
            decided => return decided,
        }
    }
    Filtered::Kept(Value::Null)
}

/// The named properties of an object, each filtered, in the input's order. A property that is a
/// failed condition makes the object one too; a value of unknown type fails the response (it
/// wins over a failed condition, whatever the order, so the streaming filter can stop at once).
fn filter_object(
    input: Value,
    properties: Option<&BTreeMap<String, ResponseSchema>>,
    defs: Definitions<'_>,
) -> Filtered {
    let Value::Object(mut map) = input else {
        return Filtered::Kept(Value::Null);
    };
    let none = BTreeMap::new();
    let properties = match properties {
        Some(properties) => properties,
        None if defs.pass_augmented => &none,
        None => return Filtered::Kept(Value::Object(Map::new())),
    };
    // In place: unnamed keys go, kept values are filtered where they are (order unchanged).
    map.retain(|key, _| {
        properties.contains_key(key) || (defs.pass_augmented && key.starts_with('+'))
    });
    let mut not_matched = false;
    for (key, value) in map.iter_mut() {
        let Some(property) = properties.get(key) else {
            continue; // an augment's property, kept as the augment made it
        };
        match filter_node(std::mem::take(value), property, defs) {
            Filtered::Kept(v) => *value = v,
            Filtered::NotMatched => not_matched = true,
            Filtered::Failed(e) => return Filtered::Failed(e.under(key)),
        }
    }
    if not_matched {
        Filtered::NotMatched
    } else {
        Filtered::Kept(Value::Object(map))
    }
}

/// Each item filtered (by `{}` when `items` is absent); items that become `null` are dropped.
fn filter_array(input: Value, items: Option<&ResponseSchema>, defs: Definitions<'_>) -> Filtered {
    let Value::Array(list) = input else {
        return Filtered::Kept(Value::Null);
    };
    let any = ResponseSchema::default();
    let item_schema = items.unwrap_or(&any);
    let mut kept = Vec::with_capacity(list.len());
    for (index, item) in list.into_iter().enumerate() {
        match filter_node(item, item_schema, defs) {
            Filtered::Kept(Value::Null) | Filtered::NotMatched => {}
            Filtered::Kept(v) => kept.push(v),
            Filtered::Failed(e) => return Filtered::Failed(e.under(&index.to_string())),
        }
    }
    Filtered::Kept(Value::Array(kept))
}

/// An `if`/`else` condition: a `$ref` or candidate list applies to the whole value; otherwise
/// the condition's first property (in name order, as psoxy's sorted map gives it) is filtered by
/// its schema. psoxy fails on a value without that property; here it is a condition not met.
fn filter_condition(input: &Value, condition: &ResponseSchema, defs: Definitions<'_>) -> Filtered {
    if condition.reference.is_some()
        || candidates(condition.one_of.as_ref()).is_some()
        || candidates(condition.any_of.as_ref()).is_some()
    {
        return filter_node(input.clone(), condition, defs);
    }
    let Some((key, sub)) = condition.properties.as_ref().and_then(|p| p.iter().next()) else {
        return Filtered::NotMatched;
    };
    match input.get(key) {
        Some(value) => match filter_node(value.clone(), sub, defs) {
            Filtered::Failed(e) => Filtered::Failed(e.under(key)),
            other => other,
        },
        None => Filtered::NotMatched,
    }
}

/// A `then` schema keeps the listed properties of the input, each filtered (a non-object gives
/// `{}`); unlike an object schema, a failed condition inside it is only a `null` value.
fn filter_then(input: Value, then: &ResponseSchema, defs: Definitions<'_>) -> Filtered {
    if then.reference.is_some()
        || candidates(then.one_of.as_ref()).is_some()
        || candidates(then.any_of.as_ref()).is_some()
    {
        return filter_node(input, then, defs);
    }
    let Value::Object(mut map) = input else {
        return Filtered::Kept(Value::Object(Map::new()));
    };
    let none = BTreeMap::new();
    let properties = then.properties.as_ref().unwrap_or(&none);
    map.retain(|key, _| properties.contains_key(key));
    for (key, value) in map.iter_mut() {
        match filter_node(std::mem::take(value), &properties[key], defs) {
            Filtered::Kept(v) => *value = v,
            Filtered::NotMatched => *value = Value::Null,
            Filtered::Failed(e) => return Filtered::Failed(e.under(key)),
        }
    }
    Filtered::Kept(Value::Object(map))
}

/// Jackson's `asText`: strings as they are, numbers and booleans as written, `null` as "null".
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Object(_) | Value::Array(_) => String::new(),
    }
}

/// psoxy's integer coercion: decimals are truncated (Jackson's `intValue`/`longValue`), `null`
/// stays `null` (as psoxy's current outputs show), anything else non-numeric becomes `null`.
fn integer(input: &Value) -> Value {
    match input {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite() && f.abs() < 9.2e18) {
                #[allow(clippy::cast_possible_truncation)] // truncation is the point
                Value::from(f.trunc() as i64)
            } else {
                Value::Null
            }
        }
        _ => Value::Null,
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> ResponseSchema {
        serde_json::from_value(v).unwrap()
    }

    fn try_run(input: Value, s: Value) -> Result<Value, Box<UnknownType>> {
        let none = BTreeMap::new();
        filter(
            input,
            &schema(s),
            Definitions {
                pass_augmented: false,
                rules: &none,
                local: None,
            },
        )
    }

    fn run(input: Value, s: Value) -> Value {
        try_run(input, s).unwrap()
    }

    #[test]
    fn unnamed_properties_are_removed_and_order_is_the_inputs() {
        let out = run(
            json!({"b": 2, "secret": "x", "a": "1"}),
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}),
        );
        assert_eq!(serde_json::to_string(&out).unwrap(), r#"{"b":2,"a":"1"}"#);
    }

    #[test]
    fn wrong_types_become_null_and_drop_out_of_arrays() {
        let out = run(
            json!({"n": "text", "list": ["a", 1, null, "b"], "flag": "yes", "count": 3.7}),
            json!({"type": "object", "properties": {
                "n": {"type": "integer"},
                "list": {"type": "array", "items": {"type": "string"}},
                "flag": {"type": "boolean"},
                "count": {"type": "integer"}
            }}),
        );
        assert_eq!(
            out,
            json!({"n": null, "list": ["a", "b"], "flag": null, "count": 3})
        );
    }

    #[test]
    fn null_stays_null_except_under_boolean() {
        let typed = |t: &str| json!({"type": t});
        let s = json!({"type": "object", "properties": {
            "i": typed("integer"), "n": typed("number"), "b": typed("boolean"),
            "s": typed("string"), "o": {"type": "object", "properties": {"x": {}}},
            "a": {"type": "array", "items": {}}, "z": typed("null"), "leaf": {}
        }});
        let input = json!({"i": null, "n": null, "b": null, "s": null, "o": null, "a": null,
                           "z": null, "leaf": null});
        let out = run(input, s);
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"i":null,"n":null,"b":false,"s":null,"o":null,"a":null,"z":null,"leaf":null}"#
        );
    }

    #[test]
    fn a_schema_without_type_is_a_leaf_whatever_else_it_names() {
        let out = run(
            json!({"obj": {"a": 1}, "list": [1], "flag": "x", "n": 5}),
            json!({"type": "object", "properties": {
                "obj": {"properties": {"a": {"type": "integer"}}},
                "list": {"items": {"type": "integer"}},
                "flag": {"const": "y"},
                "n": {"if": {"properties": {"a": {"type": "string", "const": "q"}}}}
            }}),
        );
        assert_eq!(out, json!({"obj": null, "list": null, "flag": "x", "n": 5}));
    }

    #[test]
    fn refs_resolve_in_the_rules_definitions_and_recurse() {
        let mut defs = BTreeMap::new();
        defs.insert(
            "Part".to_owned(),
            schema(
                json!({"type": "object", "properties": {"id": {"type": "string"},
                "parts": {"type": "array", "items": {"$ref": "#/definitions/Part"}}}}),
            ),
        );
        let out = filter(
            json!({"id": "1", "body": "secret", "parts": [{"id": "2", "body": "x", "parts": []}]}),
            &schema(json!({"$ref": "#/definitions/Part"})),
            Definitions {
                rules: &defs,
                local: None,
                pass_augmented: false,
            },
        )
        .unwrap();
        assert_eq!(out, json!({"id": "1", "parts": [{"id": "2", "parts": []}]}));
    }

    fn kind(k: &str, keep: Value) -> Value {
        json!({"type": "object", "properties": {},
               "if": {"properties": {"type": {"type": "string", "const": k}}},
               "then": {"properties": keep}})
    }

    #[test]
    fn any_of_with_if_then_keeps_per_kind_properties() {
        let s = json!({"type": "array", "items": {"anyOf": [
            kind("User", json!({"type": {"type": "string"}, "id": {"type": "string"}})),
            kind("Group", json!({"type": {"type": "string"}, "size": {"type": "integer"}}))
        ]}});
        let out = run(
            json!([
                {"type": "User", "id": "u1", "email": "a@b.c"},
                {"type": "Group", "size": 3, "name": "x"},
                {"type": "Bot", "id": "b"}
            ]),
            s,
        );
        assert_eq!(
            out,
            json!([{"type": "User", "id": "u1"}, {"type": "Group", "size": 3}])
        );
    }

    #[test]
    fn any_of_takes_the_first_candidate_that_is_not_a_failed_condition_even_if_null() {
        // The first candidate is a plain type: it decides, though it gives null for a number.
        let s = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(run(json!(7), s.clone()), Value::Null);
        assert_eq!(run(json!("x"), s), json!("x"));
    }

    #[test]
    fn one_of_takes_the_first_candidate_giving_a_value_and_keeps_null_as_null() {
        let s = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(run(json!(7), s.clone()), json!(7));
        assert_eq!(run(json!("x"), s.clone()), json!("x"));
        assert_eq!(run(json!(null), s.clone()), Value::Null);
        assert_eq!(run(json!(true), s), Value::Null);
        // A boolean candidate turns null into false, but null input stops at the first null.
        let s = json!({"oneOf": [{"type": "string"}, {"type": "boolean"}]});
        assert_eq!(run(json!(null), s), Value::Null);
    }

    #[test]
    fn else_is_a_second_condition_and_then_applies_when_either_holds() {
        let s = json!({"type": "object", "properties": {},
            "if": {"properties": {"kind": {"type": "string", "const": "a"}}},
            "else": {"properties": {"kind": {"type": "string", "const": "b"}}},
            "then": {"properties": {"kind": {"type": "string"}, "n": {"type": "integer"}}}});
        let s = json!({"type": "array", "items": {"anyOf": [s]}});
        let out = run(
            json!([{"kind": "a", "n": 1, "x": 1}, {"kind": "b", "n": 2}, {"kind": "c", "n": 3}]),
            s,
        );
        assert_eq!(out, json!([{"kind": "a", "n": 1}, {"kind": "b", "n": 2}]));
    }

    #[test]
    fn const_compares_as_text() {
        let s = |c: Value| {
            json!({"type": "object", "properties": {},
            "if": {"properties": {"v": {"type": "string", "const": c}}},
            "then": {"properties": {"v": {}}}})
        };
        assert_eq!(run(json!({"v": 5}), s(json!("5"))), json!({"v": 5}));
        assert_eq!(
            run(json!({"v": true}), s(json!("true"))),
            json!({"v": true})
        );
        assert_eq!(run(json!({"v": "6"}), s(json!("5"))), Value::Null);
    }

    #[test]
    fn a_value_reaching_an_unknown_type_fails_the_response_naming_its_pointer() {
        let s = json!({"type": "object", "properties": {"data": {"type": "object", "properties": {
            "nodes": {"type": "array", "items": {"type": "object", "properties": {
                "actor": {"type": "onBehalfOf"}, "id": {"type": "string"}}}}}}}});
        let e = try_run(
            json!({"data": {"nodes": [{"id": "a"}, {"id": "b", "actor": {"login": "x"}}]}}),
            s.clone(),
        )
        .unwrap_err();
        assert_eq!(e.pointer, "/data/nodes/1/actor");
        assert_eq!(e.type_name, "onBehalfOf");
        // No value reaches the node: the response is filtered as usual.
        assert_eq!(
            run(json!({"data": {"nodes": [{"id": "a", "x": 1}]}}), s),
            json!({"data": {"nodes": [{"id": "a"}]}})
        );
    }

    #[test]
    fn an_unknown_type_fails_inside_candidates_but_not_under_const() {
        let s = json!({"anyOf": [{"type": "object", "properties": {"k/~": {"type": "oops"}}}]});
        let e = try_run(json!({"k/~": null}), s).unwrap_err();
        assert_eq!(e.pointer, "/k~1~0");
        // psoxy compares `const` before looking at the type.
        let s = json!({"type": "object", "properties": {},
            "if": {"properties": {"t": {"type": "oops", "const": "x"}}},
            "then": {"properties": {"t": {}}}});
        assert_eq!(run(json!({"t": "x", "u": 1}), s), json!({"t": "x"}));
    }
}
