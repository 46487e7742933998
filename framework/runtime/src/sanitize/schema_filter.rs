//! Response-schema filtering, psoxy's way: a JSON Schema used as a filter, not a validator.
//! What the schema does not name is removed; values of the wrong type become `null` (and are
//! dropped from arrays); `anyOf` keeps the first alternative that matches; `if`/`then`/`else` and
//! `const` select which properties to keep. Runs before any transform.

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

/// The result of filtering one value: psoxy distinguishes "filtered to this" from "a condition
/// did not match", which makes `anyOf` try the next alternative.
pub(crate) enum Filtered {
    Kept(Value),
    NotMatched,
}

/// Filters `input` by `schema`; a value no alternative matches becomes `null`.
pub fn filter(input: Value, schema: &ResponseSchema, defs: Definitions<'_>) -> Value {
    match filter_node(input, schema, defs) {
        Filtered::Kept(v) => v,
        Filtered::NotMatched => Value::Null,
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

pub(crate) fn is_object(s: &ResponseSchema) -> bool {
    s.schema_type == Some(SchemaType::Object) || (untyped(s) && s.properties.is_some())
}

pub(crate) fn is_array(s: &ResponseSchema) -> bool {
    s.schema_type == Some(SchemaType::Array) || (untyped(s) && s.items.is_some())
}

/// No `type`, or one psoxy loads but does not know (filtered as if absent, for now).
fn untyped(s: &ResponseSchema) -> bool {
    matches!(s.schema_type, None | Some(SchemaType::Unknown(_)))
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
    if let Some(alternatives) = schema.one_of.as_ref().or(schema.any_of.as_ref()) {
        return first_match(input, alternatives, defs);
    }
    if let Some(condition) = &schema.if_schema {
        let mut result = filter_condition(&input, condition, defs);
        if matches!(result, Filtered::NotMatched)
            && let Some(otherwise) = &schema.else_schema
        {
            result = filter_condition(&input, otherwise, defs);
        }
        return match (result, &schema.then_schema) {
            (Filtered::NotMatched, _) => Filtered::NotMatched,
            (_, Some(then)) => filter_then(input, then, defs),
            (kept, None) => kept,
        };
    }
    if let Some(constant) = &schema.constant {
        return if as_text(&input) == as_text(constant) {
            Filtered::Kept(Value::String(String::new()))
        } else {
            Filtered::NotMatched
        };
    }
    if is_object(schema) {
        return filter_object(input, schema.properties.as_ref(), defs);
    }
    if is_array(schema) {
        let Value::Array(items) = input else {
            return Filtered::Kept(Value::Null);
        };
        let any = ResponseSchema::default();
        let item_schema = schema.items.as_deref().unwrap_or(&any);
        let kept = items
            .into_iter()
            .filter_map(|item| match filter_node(item, item_schema, defs) {
                Filtered::Kept(Value::Null) | Filtered::NotMatched => None,
                Filtered::Kept(v) => Some(v),
            })
            .collect();
        return Filtered::Kept(Value::Array(kept));
    }
    Filtered::Kept(match schema.schema_type {
        Some(SchemaType::String) => match input {
            Value::String(s) => Value::String(s),
            _ => Value::Null,
        },
        Some(SchemaType::Integer) => integer(&input),
        Some(SchemaType::Number) => match input {
            Value::Number(n) => Value::Number(n),
            _ => Value::Null,
        },
        Some(SchemaType::Boolean) => match input {
            Value::Bool(b) => Value::Bool(b),
            Value::Null => Value::Bool(false),
            _ => Value::Null,
        },
        Some(SchemaType::Null) => Value::Null,
        Some(SchemaType::Object | SchemaType::Array | SchemaType::Unknown(_)) | None => {
            return filter_leaf(input);
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

fn first_match(input: Value, alternatives: &[ResponseSchema], defs: Definitions<'_>) -> Filtered {
    for alternative in alternatives {
        if let Filtered::Kept(v) = filter_node(input.clone(), alternative, defs) {
            return Filtered::Kept(v);
        }
    }
    Filtered::Kept(Value::Null)
}

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
    for (key, value) in map.iter_mut() {
        let Some(property) = properties.get(key) else {
            continue; // an augment's property, kept as the augment made it
        };
        match filter_node(std::mem::take(value), property, defs) {
            Filtered::Kept(v) => *value = v,
            Filtered::NotMatched => return Filtered::NotMatched,
        }
    }
    Filtered::Kept(Value::Object(map))
}

/// An `if`/`else` condition: its first property's schema applied to that property's value.
fn filter_condition(input: &Value, condition: &ResponseSchema, defs: Definitions<'_>) -> Filtered {
    let Some((key, sub)) = condition.properties.as_ref().and_then(|p| p.iter().next()) else {
        return Filtered::NotMatched;
    };
    match input.get(key) {
        Some(value) => filter_node(value.clone(), sub, defs),
        None => Filtered::NotMatched,
    }
}

/// A `then` schema keeps the listed properties of the input object, each filtered.
fn filter_then(input: Value, then: &ResponseSchema, defs: Definitions<'_>) -> Filtered {
    filter_object(
        input,
        Some(then.properties.as_ref().unwrap_or(&BTreeMap::new())),
        defs,
    )
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

/// psoxy's integer coercion: JSON null becomes 0 and decimals are truncated (Jackson's
/// `intValue`/`longValue`); anything else non-numeric becomes null.
fn integer(input: &Value) -> Value {
    match input {
        Value::Null => Value::from(0),
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

    fn run(input: Value, s: Value) -> Value {
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
            json!({"n": "text", "list": ["a", 1, null, "b"], "flag": null, "count": 3.7}),
            json!({"properties": {
                "n": {"type": "integer"},
                "list": {"items": {"type": "string"}},
                "flag": {"type": "boolean"},
                "count": {"type": "integer"}
            }}),
        );
        assert_eq!(
            out,
            json!({"n": null, "list": ["a", "b"], "flag": false, "count": 3})
        );
    }

    #[test]
    fn refs_resolve_in_the_rules_definitions_and_recurse() {
        let mut defs = BTreeMap::new();
        defs.insert(
            "Part".to_owned(),
            schema(json!({"properties": {"id": {"type": "string"}, "parts": {"items": {"$ref": "#/definitions/Part"}}}})),
        );
        let out = filter(
            json!({"id": "1", "body": "secret", "parts": [{"id": "2", "body": "x", "parts": []}]}),
            &schema(json!({"$ref": "#/definitions/Part"})),
            Definitions {
                rules: &defs,
                local: None,
                pass_augmented: false,
            },
        );
        assert_eq!(out, json!({"id": "1", "parts": [{"id": "2", "parts": []}]}));
    }

    #[test]
    fn any_of_with_if_then_keeps_per_kind_properties() {
        let kind = |k: &str, keep: Value| {
            json!({"type": "object", "properties": {},
                   "if": {"properties": {"type": {"type": "string", "const": k}}},
                   "then": {"properties": keep}})
        };
        let s = json!({"items": {"anyOf": [
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
}
