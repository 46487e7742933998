//! Augments at run time (psoxy's `AugmentProcessor`): for each value an augment's `jsonPaths`
//! select in the upstream document, the derived value is added beside it as `+<field>:<method>`
//! (or on a selected object itself as `+self:<method>`), before the response schema and the
//! transforms run.
//!
//! psoxy's rules, kept here: a document that already holds a property whose name starts with
//! `+` anywhere gets no augment at all (its own `+` properties are then ordinary data); an
//! augment that cannot compute a value (a non-string, a kind whose backend is not configured,
//! an output its `outputSchema` refuses, embedded JSON that does not parse) adds nothing and
//! never fails the response. The added property is appended to its object (Java's
//! `LinkedHashMap.put`); a second value for the same name replaces the first in place.

use serde_json::{Map, Value};
use sluice_spec::augment::{Augment, AugmentKind, ExtractionRule};

use super::output::to_json_string;
use super::text;

/// Whether augments ran on a document: the response schema then passes their `+` properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The augments ran (they may have added nothing).
    Applied,
    /// The upstream document already had a `+` property; no augment ran.
    Conflict,
}

/// Applies `augments`, in order, to `doc`.
pub(crate) fn apply(augments: &[Augment], doc: &mut Value) -> Outcome {
    if has_plus_property(doc) {
        tracing::warn!(
            "the response already has a property starting with `+`; its augments are skipped"
        );
        return Outcome::Conflict;
    }
    for augment in augments {
        for path in &augment.json_paths {
            // Each path is resolved on the document as the augments before it left it.
            for pointer in path.value.select_pointers(doc) {
                apply_at(augment, doc, &pointer);
            }
        }
    }
    Outcome::Applied
}

fn has_plus_property(v: &Value) -> bool {
    match v {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.starts_with('+') || has_plus_property(v)),
        Value::Array(items) => items.iter().any(has_plus_property),
        _ => false,
    }
}

/// One step of a resolved pointer: an object member or an array element.
enum Step {
    Name(String),
    Index(usize),
}

/// The steps of `pointer` in `doc`, told apart by the container they step into (a pointer alone
/// cannot tell the member `"0"` from the element 0).
fn steps(doc: &Value, pointer: &str) -> Option<Vec<Step>> {
    let mut node = doc;
    let mut out = Vec::new();
    for raw in pointer.split('/').skip(1) {
        let token = raw.replace("~1", "/").replace("~0", "~");
        match node {
            Value::Object(map) => {
                node = map.get(&token)?;
                out.push(Step::Name(token));
            }
            Value::Array(items) => {
                let i: usize = token.parse().ok()?;
                node = items.get(i)?;
                out.push(Step::Index(i));
            }
            _ => return None,
        }
    }
    Some(out)
}

fn node_mut<'v>(doc: &'v mut Value, steps: &[Step]) -> Option<&'v mut Value> {
    let mut node = doc;
    for step in steps {
        node = match (step, node) {
            (Step::Name(n), Value::Object(map)) => map.get_mut(n)?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn apply_at(augment: &Augment, doc: &mut Value, pointer: &str) {
    let Some(steps) = steps(doc, pointer) else {
        return;
    };
    let Some(source) = node_mut(doc, &steps) else {
        return;
    };
    let method = augment.method().name();
    match source {
        Value::Null => {}
        // A selected object is both the input and where the result goes.
        Value::Object(_) if augment.inner_json_path.is_none() => {
            if let Some(v) = compute(augment, source)
                && let Value::Object(map) = source
            {
                map.insert(format!("+self:{method}"), v);
            }
        }
        _ => {
            // psoxy names the property after the last member name on the path and puts it on
            // the object holding that member; a path ending in array indices (`$.a[0]`) thus
            // puts `+a:<method>` beside `a`. A path with no member name adds nothing.
            let Some(last) = steps.iter().rposition(|s| matches!(s, Step::Name(_))) else {
                return;
            };
            let Step::Name(leaf) = &steps[last] else {
                return;
            };
            let name = format!("+{leaf}:{method}");
            let value = match (&augment.inner_json_path, &*source) {
                (Some(inner), Value::String(s)) if !s.is_empty() => {
                    inner_digest(augment, &inner.value, s)
                }
                _ => compute(augment, source),
            };
            if let Some(value) = value
                && let Some(Value::Object(parent)) = node_mut(doc, &steps[..last])
            {
                parent.insert(name, value);
            }
        }
    }
}

/// `innerJsonPath`: the string is JSON; each value the inner path selects is replaced by its
/// augment (serialized), and the whole is written back as a string. Nothing when no inner value
/// gives a result, or the string is not JSON.
fn inner_digest(
    augment: &Augment,
    inner_path: &sluice_spec::jsonpath::JsonPath,
    s: &str,
) -> Option<Value> {
    let mut inner: Value = serde_json::from_str(s).ok()?;
    let mut applied = false;
    for pointer in inner_path.select_pointers(&inner) {
        let Some(slot) = inner.pointer_mut(&pointer) else {
            continue;
        };
        if let Some(v) = compute(augment, slot) {
            *slot = Value::String(to_json_string(&v));
            applied = true;
        }
    }
    applied.then(|| Value::String(to_json_string(&inner)))
}

/// The augment's value for one input, if it has one and its `outputSchema` accepts it.
fn compute(augment: &Augment, input: &Value) -> Option<Value> {
    let value = match (&augment.kind, input) {
        (AugmentKind::TextDigest { keywords }, Value::String(s)) => {
            Some(text::text_digest_value(s, keywords))
        }
        (
            AugmentKind::RegexExtract {
                extractions,
                source_fields,
            },
            _,
        ) => regex_extract(extractions, source_fields, input),
        (
            AugmentKind::SentenceMetadata { .. }
            | AugmentKind::GenMetadata { .. }
            | AugmentKind::Classify { .. },
            _,
        ) => {
            // psoxy without OpenNLP models / a model backend: no value, the response goes on.
            tracing::warn!(
                augment = augment.method().name(),
                "augment needs a backend sluice does not have; nothing added"
            );
            None
        }
        (AugmentKind::TextDigest { .. }, _) => None,
    }?;
    match &augment.output_schema {
        Some(schema) if !satisfies(&value, schema) => {
            tracing::warn!(
                augment = augment.method().name(),
                "augment output does not satisfy its outputSchema; left out"
            );
            None
        }
        _ => Some(value),
    }
}

/// `regexExtract`: per output field (in name order), the first rule that matches gives the
/// value; a field no rule matches is left out, and no field at all gives nothing.
fn regex_extract(
    extractions: &std::collections::BTreeMap<String, Vec<ExtractionRule>>,
    source_fields: &[String],
    input: &Value,
) -> Option<Value> {
    let text = match input {
        Value::String(s) => s.clone(),
        Value::Object(map) if !source_fields.is_empty() => {
            let parts: Vec<&str> = source_fields
                .iter()
                .filter(|f| !f.trim().is_empty())
                .filter_map(|f| map.get(f).and_then(Value::as_str))
                .filter(|s| !s.is_empty())
                .collect();
            parts.join("\n")
        }
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    let mut out = Map::new();
    for (field, rules) in extractions {
        if let Some(found) = rules
            .iter()
            .filter_map(|r| extract(r, &text))
            .find(|s| !s.is_empty())
        {
            out.insert(field.clone(), Value::String(found));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// One rule on `text`: its literal `value` on a match, else the capture group (trimmed), or the
/// whole match when the pattern has no such group. A pattern that gives up (the backtracking
/// engine's limit) extracts nothing: an augment only adds, so adding nothing leaks nothing.
fn extract(rule: &ExtractionRule, text: &str) -> Option<String> {
    let regex = rule.regex.matcher();
    let caps = regex.captures(text).ok()??;
    if let Some(v) = rule.value.as_ref().filter(|v| !v.trim().is_empty()) {
        return Some(v.clone());
    }
    let group = rule.group.unwrap_or(1) as usize;
    if group >= regex.captures_len() {
        return Some(caps.get(0)?.as_str().to_owned());
    }
    caps.get(group).map(|m| m.as_str().trim().to_owned())
}

/// Whether `value` satisfies the JSON Schema `schema`, for the keywords augment outputs need:
/// `type`, `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`. Other
/// keywords do not constrain (as in JSON Schema, unknown keywords are ignored).
pub(crate) fn satisfies(value: &Value, schema: &Value) -> bool {
    let Value::Object(s) = schema else {
        // `true` accepts everything, `false` nothing.
        return schema.as_bool().unwrap_or(true);
    };
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => has_type(value, t),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| has_type(value, t)),
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    if let Some(Value::Array(options)) = s.get("enum")
        && !options.contains(value)
    {
        return false;
    }
    if let Some(c) = s.get("const")
        && c != value
    {
        return false;
    }
    if let Value::Object(map) = value {
        if let Some(Value::Array(required)) = s.get("required")
            && required
                .iter()
                .filter_map(Value::as_str)
                .any(|r| !map.contains_key(r))
        {
            return false;
        }
        let properties = s.get("properties").and_then(Value::as_object);
        for (k, v) in map {
            match properties.and_then(|p| p.get(k)) {
                Some(sub) => {
                    if !satisfies(v, sub) {
                        return false;
                    }
                }
                None => {
                    if let Some(extra) = s.get("additionalProperties")
                        && !satisfies(v, extra)
                    {
                        return false;
                    }
                }
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, s.get("items"))
        && !items.iter().all(|i| satisfies(i, item_schema))
    {
        return false;
    }
    true
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Augments written as YAML list items, loaded as an endpoint's `augments:`.
    fn augments(yaml: &str) -> Vec<Augment> {
        let indented: String = yaml.lines().map(|l| format!("      {l}\n")).collect();
        let src = format!("endpoints:\n  - pathTemplate: /x\n    augments:\n{indented}");
        let rules = sluice_spec::parse_rules("t.yaml".as_ref(), &src).unwrap();
        rules.endpoints[0]
            .augments
            .iter()
            .map(|a| a.value.clone())
            .collect()
    }

    fn run(yaml: &str, mut doc: Value) -> (Outcome, Value) {
        let outcome = apply(&augments(yaml), &mut doc);
        (outcome, doc)
    }

    #[test]
    fn text_digest_is_added_beside_the_original_at_the_end_of_its_object() {
        let (outcome, doc) = run(
            "- !<textDigest>\n  jsonPaths: ['$..body.content']\n",
            json!({"value": [{"body": {"content": "Hello world this is a test", "contentType": "text"}}]}),
        );
        assert_eq!(outcome, Outcome::Applied);
        assert_eq!(
            to_json_string(&doc),
            r#"{"value":[{"body":{"content":"Hello world this is a test","contentType":"text","+content:textDigest":{"length":26,"word_count":6}}}]}"#
        );
    }

    #[test]
    fn digests_count_utf16_units_java_words_and_keywords() {
        let digest = |text: &str, keywords: &[&str]| {
            let keywords: Vec<String> = keywords.iter().map(|k| (*k).to_owned()).collect();
            to_json_string(&text::text_digest_value(text, &keywords))
        };
        // Astral characters count two (Java `String.length()`), accents one each.
        assert_eq!(digest("😀 héllo", &[]), r#"{"length":8,"word_count":2}"#);
        // Empty: zeros; blank: Java's `"".split(..)` still gives one (empty) word.
        assert_eq!(digest("", &[]), r#"{"length":0,"word_count":0}"#);
        assert_eq!(digest(" \t\n", &[]), r#"{"length":3,"word_count":1}"#);
        // Only ASCII whitespace separates words: a no-break space does not.
        assert_eq!(digest("a\u{a0}b c", &[]), r#"{"length":5,"word_count":2}"#);
        // Keywords: case-insensitive whole tokens of word characters; a phrase never matches,
        // nor does a blank keyword; the map comes first, by keyword.
        assert_eq!(
            digest(
                "Write code, WRITE tests; code_review",
                &["write", "code", "generate image", " "]
            ),
            r#"{"keywords":{"code":1,"write":2},"length":36,"word_count":5}"#
        );
        assert_eq!(
            digest("nothing here", &["write"]),
            r#"{"length":12,"word_count":2}"#
        );
    }

    #[test]
    fn non_strings_nulls_and_missing_values_add_nothing() {
        let (_, doc) = run(
            "- !<textDigest>\n  jsonPaths: ['$[*].content']\n",
            json!([{"content": null}, {"content": 42}, {"content": ["a"]}, {"other": "x"}, {"content": ""}]),
        );
        assert_eq!(
            doc,
            json!([{"content": null}, {"content": 42}, {"content": ["a"]}, {"other": "x"},
                   {"content": "", "+content:textDigest": {"length": 0, "word_count": 0}}])
        );
    }

    #[test]
    fn a_document_with_a_plus_property_gets_no_augment() {
        let (outcome, doc) = run(
            "- !<textDigest>\n  jsonPaths: ['$..content']\n",
            json!({"a": {"content": "x"}, "b": [{"+mine": 1}]}),
        );
        assert_eq!(outcome, Outcome::Conflict);
        assert_eq!(doc, json!({"a": {"content": "x"}, "b": [{"+mine": 1}]}));
    }

    #[test]
    fn selected_objects_get_self_and_index_paths_name_the_array() {
        // textDigest computes nothing from an object; regexExtract with sourceFields does.
        let (_, doc) = run(
            "- !<textDigest>\n  jsonPaths: ['$[*]']\n\
             - !<regexExtract>\n  jsonPaths: ['$[*]']\n  sourceFields: [title, body]\n  extractions:\n    kind:\n      - regex: '^(feat|fix)'\n",
            json!([{"title": "feat: x", "body": "y"}]),
        );
        assert_eq!(
            doc,
            json!([{"title": "feat: x", "body": "y", "+self:regexExtract": {"kind": "feat"}}])
        );
        // `$.tags[*]` ends in an index: the property is named after `tags`, beside it, and the
        // last element's value wins.
        let (_, doc) = run(
            "- !<textDigest>\n  jsonPaths: ['$.tags[*]']\n",
            json!({"tags": ["a b", "c"]}),
        );
        assert_eq!(
            to_json_string(&doc),
            r#"{"tags":["a b","c"],"+tags:textDigest":{"length":1,"word_count":1}}"#
        );
    }

    #[test]
    fn inner_json_path_digests_inside_embedded_json() {
        let card =
            r#"{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"Hi there"},{"text":7}]}"#;
        let (_, doc) = run(
            "- !<textDigest>\n  jsonPaths: ['$..attachments[*].content']\n  innerJsonPath: '$..text'\n",
            json!({"attachments": [{"content": card}, {"content": "not json"}, {"content": ""}]}),
        );
        assert_eq!(
            doc["attachments"][0]["+content:textDigest"],
            json!(
                r#"{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"{\"length\":8,\"word_count\":2}"},{"text":7}]}"#
            )
        );
        assert_eq!(doc["attachments"][0]["content"], json!(card));
        assert!(doc["attachments"][1].get("+content:textDigest").is_none());
        // An empty string is digested as it is (psoxy skips the inner path for it).
        assert_eq!(
            doc["attachments"][2]["+content:textDigest"],
            json!({"length": 0, "word_count": 0})
        );
    }

    #[test]
    fn backend_kinds_and_refused_outputs_add_nothing() {
        let (outcome, doc) = run(
            "- !<classify>\n  jsonPaths: ['$.title']\n  prompt: Pick\n  classes: [a, b]\n\
             - !<sentenceMetadata>\n  jsonPaths: ['$.title']\n\
             - !<textDigest>\n  jsonPaths: ['$.title']\n  outputSchema: {type: object, required: [category]}\n",
            json!({"title": "t"}),
        );
        assert_eq!(outcome, Outcome::Applied);
        assert_eq!(doc, json!({"title": "t"}));
    }

    #[test]
    fn output_schema_checks_types_properties_and_required() {
        let schema = json!({"type": "object", "properties": {"length": {"type": "integer"},
                            "word_count": {"type": "integer"}}, "required": ["length"]});
        assert!(satisfies(&json!({"length": 3, "word_count": 1}), &schema));
        assert!(!satisfies(&json!({"word_count": 1}), &schema));
        assert!(!satisfies(&json!({"length": "3"}), &schema));
        assert!(!satisfies(&json!("x"), &schema));
        assert!(satisfies(&json!("b"), &json!({"enum": ["a", "b"]})));
        assert!(!satisfies(&json!(1), &json!({"type": "object"})));
        assert!(!satisfies(
            &json!({"x": 1}),
            &json!({"additionalProperties": false})
        ));
    }
}
