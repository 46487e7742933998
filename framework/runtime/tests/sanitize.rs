//! The sanitizer end to end: rules text in, response bytes in, the bytes a caller would receive
//! out — compared with psoxy's documented output.

use std::sync::Arc;

use sluice::pseudonym::Pseudonymizer;
use sluice::sanitize::{SanitizeError, Sanitizer};

fn sanitizer(rules: &str) -> Sanitizer {
    let rules =
        sluice_spec::parse_rules("rules.yaml".as_ref(), rules).unwrap_or_else(|e| panic!("{e}"));
    let p = Pseudonymizer::builder("salt")
        .encryption_key("secret")
        .build()
        .unwrap();
    Sanitizer::new(&rules, Arc::new(p))
}

fn run(rules: &str, body: &str) -> String {
    String::from_utf8(sanitizer(rules).sanitize(0, body.as_bytes()).unwrap()).unwrap()
}

#[test]
fn the_three_reference_vectors() {
    let rules = r#"
endpoints:
  - pathTemplate: /users/{user}
    transforms:
      - !<pseudonymize>
        jsonPaths: ['$.login', '$.id']
      - !<pseudonymize>
        jsonPaths: ['$.node_id']
        includeReversible: true
"#;
    assert_eq!(
        run(
            rules,
            r#"{"login":"octocat","id":123456,"node_id":"octocat"}"#
        ),
        r#"{"login":"t~IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbM","id":"t~5NL5SaQBwE6c0L1BDjHW-BtBOXQVH8RYwY0tGGw3khk","node_id":"p~IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbN_fPDYrPH3aBnAoR5-ec6f"}"#
    );
}

#[test]
fn github_members_lose_everything_but_pseudonyms_and_structure() {
    let spec = sluice_spec::load_spec(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/github.yaml").as_ref(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let policy = sluice::policy::RequestPolicy::new(&spec.rules);
    let endpoint = policy
        .check("GET", "/orgs/acme/members", Some("per_page=2"))
        .unwrap()
        .endpoint;
    let p = Pseudonymizer::builder("salt")
        .encryption_key("secret")
        .build()
        .unwrap();
    let s = Sanitizer::new(&spec.rules, Arc::new(p));
    let body = r#"[{"login":"octocat","id":583231,"node_id":"MDQ6VXNlcjU4MzIzMQ==","avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","gravatar_id":"","url":"https://api.github.com/users/octocat","html_url":"https://github.com/octocat","type":"User","site_admin":false}]"#;
    let out = String::from_utf8(s.sanitize(endpoint, body.as_bytes()).unwrap()).unwrap();
    for secret in ["octocat", "583231", "avatars.githubusercontent.com"] {
        assert!(!out.contains(secret), "{secret} leaked: {out}");
    }
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc[0]["type"], "User",
        "structure the analytics need is kept: {out}"
    );
}

#[test]
fn a_filter_after_a_transform_sees_the_transformed_document() {
    // psoxy applies transforms one after the other: once `type` is pseudonymized, the filter of
    // the second transform no longer matches "bot", so nothing is redacted.
    let rules = r#"
endpoints:
  - pathTemplate: /a
    transforms:
      - !<pseudonymize>
        jsonPaths: ['$.items[*].type']
      - !<redact>
        jsonPaths: ["$.items[?(@.type == 'bot')]"]
"#;
    let out = run(rules, r#"{"items":[{"type":"bot"},{"type":"user"}]}"#);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["items"].as_array().unwrap().len(), 2, "{out}");
}

#[test]
fn apply_only_when_gates_a_transform_on_the_document() {
    let rules = r#"
endpoints:
  - pathTemplate: /a
    transforms:
      - !<redact>
        jsonPaths: ['$.name']
        applyOnlyWhen: "$[?(@.kind == 'person')]"
"#;
    assert_eq!(
        run(rules, r#"{"kind":"person","name":"Ada"}"#),
        r#"{"kind":"person"}"#
    );
    assert_eq!(
        run(rules, r#"{"kind":"room","name":"Blue"}"#),
        r#"{"kind":"room","name":"Blue"}"#
    );
}

#[test]
fn the_response_schema_filters_before_transforms_run() {
    let rules = r#"
endpoints:
  - pathTemplate: /a
    responseSchema:
      type: object
      properties:
        email: { type: string }
        count: { type: integer }
    transforms:
      - !<pseudonymize>
        jsonPaths: ['$.email']
        encoding: URL_SAFE_HASH_ONLY
"#;
    assert_eq!(
        run(
            rules,
            r#"{"secret":"x","count":2.0,"email":"Alice@Acme.com"}"#
        ),
        r#"{"count":2,"email":"UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk"}"#
    );
}

#[test]
fn ndjson_values_are_sanitized_one_by_one_and_empty_bodies_pass() {
    let rules = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - !<redact>\n        jsonPaths: ['$.x']\n";
    assert_eq!(
        run(rules, "{\"x\":1,\"y\":2}\n{\"x\":3}\n"),
        "{\"y\":2}\n{}"
    );
    assert_eq!(run(rules, ""), "");
}

#[test]
fn what_cannot_be_sanitized_fails_closed_with_the_place() {
    let rules = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - !<pseudonymize>\n        jsonPaths: ['$..user']\n";
    let err = sanitizer(rules)
        .sanitize(0, br#"{"items":[{"user":{"id":1}}]}"#)
        .unwrap_err();
    match &err {
        SanitizeError::Transform { index, pointer, .. } => {
            assert_eq!((*index, pointer.as_str()), (1, "/items/0/user"), "{err}");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("object"), "{err}");
    assert!(matches!(
        sanitizer(rules).sanitize(0, b"<html>"),
        Err(SanitizeError::NotJson(_))
    ));
}
