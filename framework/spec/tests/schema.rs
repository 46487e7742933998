//! The JSON Schemas in `specs/` are generated from the model: they must be fresh, and every field
//! must carry a description and an example (editors show both).

use std::path::Path;

use serde_json::Value;
use sluice_spec::schema::{connector_schema, rules_schema};

fn specs_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs"))
}

/// rust-analyzer's `ensure_file_contents`: a stale file fails the test, naming the file and the
/// command that regenerates it.
fn ensure_fresh(name: &str, expected: &str) {
    let path = specs_dir().join(name);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "specs/{name} is stale: run `cargo xtask schema` and commit the result"
    );
}

#[test]
fn committed_schemas_are_fresh() {
    ensure_fresh("connector.schema.json", &connector_schema());
    ensure_fresh("rules.schema.json", &rules_schema());
}

/// Walks every schema node and reports fields without a description or an example.
fn undocumented(schema: &Value) -> Vec<String> {
    let defs = schema.get("definitions").cloned().unwrap_or(Value::Null);
    let mut missing = Vec::new();
    let mut stack = vec![("#".to_owned(), schema)];
    while let Some((at, node)) = stack.pop() {
        let Value::Object(map) = node else { continue };
        if let Some(Value::Object(props)) = map.get("properties") {
            for (name, prop) in props {
                let target = resolve(prop, &defs);
                let has = |key: &str| {
                    prop.get(key).is_some() || target.is_some_and(|t| t.get(key).is_some())
                };
                // A tag discriminator (`kind: bearer`) is described by its variant.
                if !has("description") && !has("const") {
                    missing.push(format!("{at}/{name}: no description"));
                }
                if !has("examples") && !has("enum") && !has("const") && !has("oneOf") {
                    missing.push(format!("{at}/{name}: no example"));
                }
                stack.push((format!("{at}/{name}"), prop));
            }
        }
        for key in ["definitions", "items", "additionalProperties"] {
            match map.get(key) {
                Some(Value::Object(children)) if key == "definitions" => {
                    stack.extend(children.iter().map(|(k, v)| (format!("{at}/{k}"), v)));
                }
                Some(child) => stack.push((format!("{at}/{key}"), child)),
                None => {}
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for (i, child) in map
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                stack.push((format!("{at}/{key}/{i}"), child));
            }
        }
    }
    missing.sort();
    missing
}

/// The definition a property refers to, directly or through `allOf: [{$ref}]`.
fn resolve<'a>(prop: &'a Value, defs: &'a Value) -> Option<&'a Value> {
    let reference = prop
        .get("$ref")
        .or_else(|| prop.get("allOf")?.get(0)?.get("$ref"))
        .or_else(|| prop.get("anyOf")?.get(0)?.get("$ref"))
        .or_else(|| prop.get("items")?.get("$ref"))
        .or_else(|| prop.get("additionalProperties")?.get("$ref"))?;
    defs.get(reference.as_str()?.strip_prefix("#/definitions/")?)
}

#[test]
fn every_field_has_a_description_and_an_example() {
    for (name, schema) in [("connector", connector_schema()), ("rules", rules_schema())] {
        let schema: Value = serde_json::from_str(&schema).unwrap();
        let missing = undocumented(&schema);
        assert!(missing.is_empty(), "{name} schema:\n{}", missing.join("\n"));
    }
}
