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
            "warning: {rules}:54:9: `!<genMetadata>` is not supported"
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("{rules}: ok (rules with 2 endpoints)\n")),
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
