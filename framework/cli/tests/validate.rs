//! `sluice validate` as a user runs it: exit codes, one located line per error, JSON for tools.

use std::path::Path;
use std::process::{Command, Output};

fn sluice(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
        .output()
        .expect("sluice runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_unknown_tag_on_line_7_is_reported_at_line_7_with_the_valid_tags() {
    let out = sluice(&["validate", "redcat.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("redcat.yaml:7:9: unknown transform tag `!<redcat>`"),
        "{text}"
    );
    assert!(text.contains("did you mean `!<redact>`?"), "{text}");
    for tag in [
        "!<redact>",
        "!<pseudonymize>",
        "!<tokenize>",
        "!<hashIp>",
        "!<encryptIp>",
    ] {
        assert!(text.contains(tag), "{tag} missing from {text}");
    }
    assert_eq!(text.lines().count(), 1, "one line per error: {text}");
}

#[test]
fn every_semantic_error_gets_its_own_line() {
    let out = sluice(&["validate", "two-problems.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(
            "two-problems.yaml:3:19: pathTemplate `/repos/acme/{repo}` can never match"
        ),
        "{text}"
    );
    assert!(
        lines[1].starts_with("two-problems.yaml:4:22: unknown HTTP method `GTE`"),
        "{text}"
    );
}

#[test]
fn valid_files_pass_and_invalid_ones_fail_the_whole_run() {
    let out = sluice(&["validate", "valid-spec.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "valid-spec.yaml: ok (connector with 1 endpoints)\n"
    );

    let out = sluice(&["validate", "valid-spec.yaml", "redcat.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("valid-spec.yaml: ok"));
}

#[test]
fn json_output_is_one_document_with_codes_and_positions() {
    let out = sluice(&[
        "validate",
        "--format",
        "json",
        "valid-spec.yaml",
        "redcat.yaml",
        "missing.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(report["valid"], false);
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(files[0]["valid"], true);
    assert_eq!(files[0]["kind"], "connector");
    let error = &files[1]["errors"][0];
    assert_eq!(error["code"], "unknown-transform");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(7), Some(9))
    );
    assert_eq!(files[2]["errors"][0]["code"], "io");
}

#[test]
fn a_misspelt_schema_type_deep_in_a_graphql_schema_warns_and_passes() {
    let out = sluice(&["validate", "psoxy-graphql.yaml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "psoxy-graphql.yaml:19:43: warning: schema type `onBehalfOf` is not a JSON Schema type"
        ),
        "{text}"
    );
    assert!(
        lines[1].starts_with(
            "psoxy-graphql.yaml:29:15: warning: schema type `integr` is not a JSON Schema type; \
             did you mean `integer`?"
        ),
        "{text}"
    );
    assert_eq!(
        lines[2],
        "psoxy-graphql.yaml: ok (rules with 1 endpoints; 2 warnings)"
    );

    let out = sluice(&["validate", "--format", "json", "psoxy-graphql.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(report["valid"], true);
    let warning = &report["files"][0]["warnings"][0];
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["code"], "unknown-schema-type");
    assert_eq!(
        (warning["line"].as_u64(), warning["column"].as_u64()),
        (Some(19), Some(43))
    );
}

#[test]
fn an_unknown_endpoint_key_still_fails_as_in_psoxy_and_the_warnings_print_beside_it() {
    let out = sluice(&["validate", "psoxy-graphql-unknown-key.yaml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "psoxy-graphql-unknown-key.yaml:6:5: unknown field `allowedMethod`; did you mean \
             `allowedMethods`?"
        ),
        "{text}"
    );
    assert!(
        lines[1].starts_with("psoxy-graphql-unknown-key.yaml:20:43: warning: "),
        "{text}"
    );
    assert!(
        lines[2].starts_with("psoxy-graphql-unknown-key.yaml:30:15: warning: "),
        "{text}"
    );
}

#[test]
fn no_files_is_a_usage_error() {
    let out = sluice(&["validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FILE"));
}

#[test]
fn augments_load_and_one_sluice_cannot_compute_is_a_located_warning() {
    let rules = "../../../../tests/conformance/rules/augments.yaml";
    let out = sluice(&["validate", rules]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "{rules}:54:9: warning: `!<genMetadata>` is not supported"
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "{rules}: ok (rules with 2 endpoints; 1 warning)\n"
        )),
        "{text}"
    );

    let out = sluice(&["validate", "--format", "json", rules]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(
        report["files"][0]["warnings"][0]["code"],
        "unsupported-augment"
    );
}

/// One rules file with each construct of psoxy's own rules that sluice once refused (an `anyOf`
/// reversible-pseudonym path parameter, `constant`, a look-ahead path regex, Java's `(?)`, a
/// misspelt type in a GraphQL schema, augments): it loads, and only the misspelt type warns.
#[test]
fn a_rules_file_shaped_like_psoxys_real_ones_loads_with_one_warning() {
    let rules = "../../../../tests/conformance/rules/psoxy-shaped.yaml";
    let out = sluice(&["validate", rules]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(&format!("{rules}:60:35: warning: schema type `onBehalfOf`")),
        "{text}"
    );
    assert_eq!(
        lines[1],
        format!("{rules}: ok (rules with 5 endpoints; 1 warning)")
    );
}
