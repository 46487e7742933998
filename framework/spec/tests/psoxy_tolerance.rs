//! Rules files load where psoxy's loader loads them, and refuse what it refuses: a schema `type`
//! that is not a JSON Schema name loads with a warning at its `line:col`; an unknown key or an
//! unknown transform still refuses the file, as psoxy's Jackson mapper does.

use std::path::Path;

use sluice_spec::response_schema::SchemaType;
use sluice_spec::{
    Diagnostic, ErrorCode, Pos, Severity, parse_rules, parse_rules_with_warnings, parse_spec,
};

fn rules_warnings(src: &str) -> Vec<Diagnostic> {
    let (_, warnings) = parse_rules_with_warnings(Path::new("rules.yaml"), src)
        .unwrap_or_else(|e| panic!("the rules should load:\n{e}"));
    warnings
}

fn at(d: &Diagnostic) -> (u32, u32) {
    let pos = d.pos.expect("a warning has a position");
    (pos.line, pos.column)
}

/// Shaped like psoxy's GitHub GraphQL rules: a deep `responseSchema` under `data`, with a
/// misspelt type five levels down, and one in a shared definition.
const GRAPHQL: &str = r##"allowedRequestHeaders: [Accept]
endpoints:
  - pathTemplate: /graphql
    allowedMethods: [POST]
    responseSchema:
      type: object
      properties:
        data:
          type: object
          properties:
            organization:
              type: object
              properties:
                auditLog:
                  type: object
                  properties:
                    nodes:
                      type: array
                      items:
                        type: object
                        properties:
                          actorLogin:
                            type: string
                          onBehalfOf:
                            type: "onBehalfOf"
                          createdAt:
                            type: string
                            format: date-time
                          user:
                            $ref: "#/definitions/User"
definitions:
  User:
    type: object
    properties:
      login:
        type: strng
"##;

#[test]
fn a_misspelt_type_deep_in_a_graphql_schema_loads_with_a_warning_at_its_value() {
    let (rules, warnings) = parse_rules_with_warnings(Path::new("rules.yaml"), GRAPHQL)
        .unwrap_or_else(|e| panic!("{e}"));
    let node = &rules.endpoints[0].response_schema.as_ref().unwrap();
    let on_behalf_of = &node.properties.as_ref().unwrap()["data"]
        .properties
        .as_ref()
        .unwrap()["organization"]
        .properties
        .as_ref()
        .unwrap()["auditLog"]
        .properties
        .as_ref()
        .unwrap()["nodes"]
        .items
        .as_ref()
        .unwrap()
        .properties
        .as_ref()
        .unwrap()["onBehalfOf"];
    assert_eq!(
        on_behalf_of.schema_type,
        Some(SchemaType::Unknown("onBehalfOf".into()))
    );

    // In position order, as `sluice validate` prints them; a quoted value is placed at its quote.
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(at(&warnings[0]), (25, 35), "{}", warnings[0]);
    assert_eq!(at(&warnings[1]), (36, 15), "{}", warnings[1]);
    for w in &warnings {
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(w.code, ErrorCode::UnknownSchemaType);
        assert!(
            w.message
                .contains("expected one of: object, array, string, number, integer, boolean, null"),
            "{w}"
        );
    }
    assert!(
        warnings[0].message.starts_with("schema type `onBehalfOf`"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1]
            .to_string()
            .starts_with("rules.yaml:36:15: warning: schema type `strng` is not a JSON Schema type; did you mean `string`?"),
        "{}",
        warnings[1]
    );
}

#[test]
fn every_nesting_of_a_schema_is_checked() {
    let src = r#"endpoints:
  - pathTemplate: /a
    responseSchema:
      anyOf:
        - type: nul
      oneOf:
        - { type: objekt }
      if: { type: arrray }
      then: { type: numbr }
      else:
        $defs:
          X: { type: bool }
"#;
    let warnings = rules_warnings(src);
    let found: Vec<(u32, u32)> = warnings.iter().map(at).collect();
    assert_eq!(
        found,
        [(5, 17), (7, 19), (8, 19), (9, 21), (12, 22)],
        "{warnings:?}"
    );
    let names: Vec<&str> = warnings
        .iter()
        .map(|w| w.message.split('`').nth(1).unwrap())
        .collect();
    assert_eq!(names, ["nul", "objekt", "arrray", "numbr", "bool"]);
}

#[test]
fn what_psoxy_ignores_loads_without_warnings() {
    // psoxy's JsonSchemaFilter ignores these four keys and Rules2 ignores
    // defaultScopeIdForSource; the seven type names are all fine.
    let src = r#"defaultScopeIdForSource: github
endpoints:
  - pathTemplate: /a
    responseSchema:
      $schema: "http://json-schema.org/draft-07/schema#"
      title: Page
      type: object
      required: [items]
      additionalProperties: false
      properties:
        a: { type: object }
        b: { type: array }
        c: { type: string }
        d: { type: number }
        e: { type: integer }
        f: { type: boolean }
        g: { type: "null" }
"#;
    assert_eq!(rules_warnings(src), []);
}

#[test]
fn an_unknown_endpoint_key_is_still_refused_as_psoxy_refuses_it() {
    let src = "endpoints:\n  - pathTemplate: /a\n    alowedMethods: [GET]\n";
    let errors = parse_rules(Path::new("rules.yaml"), src)
        .expect_err("psoxy's Jackson mapper refuses unknown Endpoint properties")
        .into_vec();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, ErrorCode::UnknownField);
    assert_eq!(errors[0].pos, Some(Pos::new(3, 5)));
    assert!(
        errors[0].message.contains("did you mean `allowedMethods`?"),
        "{}",
        errors[0]
    );
}

#[test]
fn an_unknown_schema_key_is_still_refused() {
    let src = "endpoints:\n  - pathTemplate: /a\n    responseSchema:\n      propertys: {}\n";
    let errors = parse_rules(Path::new("rules.yaml"), src)
        .expect_err(
            "psoxy's JsonSchemaFilter ignores only title, required, additionalProperties, $schema",
        )
        .into_vec();
    assert_eq!(errors[0].code, ErrorCode::UnknownField);
    assert_eq!(errors[0].pos, Some(Pos::new(4, 7)));
    assert!(errors[0].message.contains("did you mean `properties`?"));
}

#[test]
fn an_unknown_transform_method_is_still_refused() {
    // psoxy resolves `method` to a transform class and fails on a name it does not know.
    let src = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - method: redcat\n        jsonPaths: ['$.a']\n";
    let errors = parse_rules(Path::new("rules.yaml"), src)
        .expect_err("an unknown transform method fails in psoxy")
        .into_vec();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, ErrorCode::UnknownTransform, "{}", errors[0]);
    assert!(errors[0].message.contains("redact"), "{}", errors[0]);
}

#[test]
fn errors_come_with_the_warnings_found_beside_them() {
    let src = "endpoints:\n  - pathTemplate: /a\n    responseSchema: { type: strng }\n  - pathTemplate: /b\n    allowedMethods: [GTE]\n";
    let all = parse_rules(Path::new("rules.yaml"), src)
        .expect_err("GTE is not a method")
        .into_vec();
    let summary: Vec<(Severity, (u32, u32))> = all.iter().map(|d| (d.severity, at(d))).collect();
    assert_eq!(
        summary,
        [(Severity::Warning, (3, 29)), (Severity::Error, (5, 22))],
        "{all:?}"
    );
}

#[test]
fn a_connector_spec_carries_the_warnings_of_its_inline_rules() {
    let src = "name: x\ntarget_host: x.example.com\nrules:\n  endpoints:\n    - pathTemplate: /a\n      responseSchema:\n        type: objet\n";
    let loaded = parse_spec(Path::new("spec.yaml"), src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert_eq!(
        loaded.warnings[0].to_string().split(": warning:").next(),
        Some("spec.yaml:7:15")
    );
    assert!(
        loaded.warnings[0]
            .message
            .contains("did you mean `object`?")
    );
}

#[test]
fn a_connector_spec_carries_the_warnings_of_its_rules_file_under_that_file() {
    let dir = std::env::temp_dir().join(format!("sluice-tolerance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("r.yaml"), GRAPHQL).unwrap();
    std::fs::write(
        dir.join("s.yaml"),
        "name: x\ntarget_host: x.example.com\nrules_file: r.yaml\n",
    )
    .unwrap();
    let loaded = sluice_spec::load_spec(&dir.join("s.yaml")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(loaded.warnings.len(), 2);
    assert!(loaded.warnings.iter().all(|w| w.file == dir.join("r.yaml")));
}
