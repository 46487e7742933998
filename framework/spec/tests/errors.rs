//! Every class of error a spec author can make is reported at the offending node, with a message
//! that says what would be right. Each case is a small document and the exact `line:col`.

use std::path::Path;

use sluice_spec::{Diagnostic, ErrorCode, Pos, parse_rules, parse_spec};

fn rules_errors(src: &str) -> Vec<Diagnostic> {
    parse_rules(Path::new("rules.yaml"), src)
        .expect_err("the rules should be refused")
        .into_vec()
}

fn spec_errors(src: &str) -> Vec<Diagnostic> {
    parse_spec(Path::new("spec.yaml"), src)
        .expect_err("the spec should be refused")
        .into_vec()
}

#[track_caller]
fn assert_one(errors: &[Diagnostic], line: u32, column: u32, code: ErrorCode, fragment: &str) {
    assert!(
        errors.iter().any(|e| e.pos == Some(Pos::new(line, column))
            && e.code == code
            && e.message.contains(fragment)),
        "expected {code} at {line}:{column} containing {fragment:?}, got:\n{}",
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

const SPEC_HEAD: &str = "name: github\ntarget_host: api.github.com\n";

#[test]
fn yaml_syntax_errors_point_at_the_broken_text() {
    let errors = rules_errors("endpoints:\n  - pathTemplate: /a\n   transforms: []\n");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, ErrorCode::YamlSyntax);
    assert_eq!(errors[0].pos.map(|p| p.line), Some(3));

    let errors = rules_errors("endpoints: [ { pathTemplate: /a }\n");
    assert_eq!(errors[0].code, ErrorCode::YamlSyntax);
}

#[test]
fn unknown_fields_are_refused_with_the_nearest_valid_name() {
    let errors = rules_errors("endpoints:\n  - pathTemplat: /orgs/{org}/members\n");
    assert_one(
        &errors,
        2,
        5,
        ErrorCode::UnknownField,
        "did you mean `pathTemplate`?",
    );

    let errors = spec_errors(&format!(
        "{SPEC_HEAD}side_output:\n  - {{ content: original }}\n"
    ));
    assert_one(
        &errors,
        3,
        1,
        ErrorCode::UnknownField,
        "did you mean `side_outputs`?",
    );
}

#[test]
fn options_of_another_transform_are_refused_at_their_line() {
    let src = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - !<redact>\n        jsonPaths: ['$.a']\n        encoding: JSON\n";
    let errors = rules_errors(src);
    assert_one(
        &errors,
        6,
        19,
        ErrorCode::UnknownField,
        "`encoding` is not an option of `!<redact>`",
    );
}

#[test]
fn bad_types_say_what_was_expected() {
    let errors =
        rules_errors("endpoints:\n  - pathTemplate: /a\n    allowedQueryParams: per_page\n");
    assert_one(&errors, 3, 25, ErrorCode::InvalidType, "");

    let errors = spec_errors(&format!(
        "{SPEC_HEAD}enable_async_processing: sometimes\nrules: {{}}\n"
    ));
    assert_one(&errors, 3, 26, ErrorCode::InvalidType, "");
}

#[test]
fn unknown_enum_values_list_the_valid_ones() {
    let errors = spec_errors(&format!(
        "{SPEC_HEAD}source_auth: {{ kind: beare, token_env: T }}\nrules: {{}}\n"
    ));
    // serde reports an unknown `kind` at the `kind:` key of the mapping it selects a variant of.
    assert_one(
        &errors,
        3,
        16,
        ErrorCode::InvalidValue,
        "did you mean `bearer`?",
    );

    let errors = spec_errors(&format!(
        "{SPEC_HEAD}async: {{ location: presign }}\nrules: {{}}\n"
    ));
    assert_one(
        &errors,
        3,
        20,
        ErrorCode::InvalidValue,
        "expected one of: proxy, presigned, echo",
    );
}

#[test]
fn unknown_transform_tags_are_reported_at_the_tag() {
    let src = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - !<pseudonymize>\n        jsonPaths: ['$.a']\n      # a comment between\n      - !<redcat>\n        jsonPaths: ['$.b']\n";
    let errors = rules_errors(src);
    assert_one(
        &errors,
        7,
        9,
        ErrorCode::UnknownTransform,
        "did you mean `!<redact>`?",
    );
    assert!(
        errors[0].message.contains("!<pseudonymizeEmailHeader>"),
        "lists the valid tags"
    );

    let src = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - { method: pseudonymise, jsonPaths: ['$.a'] }\n";
    assert_one(
        &rules_errors(src),
        4,
        19,
        ErrorCode::UnknownTransform,
        "did you mean `pseudonymize`?",
    );
}

#[test]
fn malformed_jsonpaths_are_reported_at_the_offending_character() {
    // The `.` after `*` (column 22) is where a `]` was expected.
    let src = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - !<redact>\n        jsonPaths:\n          - $.items[*.email\n";
    assert_one(
        &rules_errors(src),
        6,
        22,
        ErrorCode::InvalidJsonPath,
        "expected `]`",
    );

    // Inside a quoted scalar, the column accounts for the quote: `=>` starts at column 36.
    let src = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - !<redact>\n        jsonPaths: ['$.a']\n        applyOnlyWhen: \"$[?(@.type => 'x')]\"\n";
    assert_one(&rules_errors(src), 6, 36, ErrorCode::InvalidJsonPath, "=>");
}

#[test]
fn regexes_that_do_not_compile_are_refused() {
    let src = "endpoints:\n  - pathRegex: '^/users/(?<id>[^/]+$'\n";
    assert_one(
        &rules_errors(src),
        2,
        16,
        ErrorCode::InvalidRegex,
        "unclosed group",
    );

    let src = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - !<redactRegexMatches>\n        jsonPaths: ['$.a']\n        redactions: ['ok', 'a\\Gb']\n";
    assert_one(
        &rules_errors(src),
        6,
        28,
        ErrorCode::InvalidRegex,
        "no equivalent",
    );

    let src = "endpoints:\n  - pathTemplate: /a\n    queryParamSchemas:\n      since: { pattern: '[0-9' }\n";
    assert_one(
        &rules_errors(src),
        4,
        25,
        ErrorCode::InvalidRegex,
        "does not compile",
    );
}

#[test]
fn duplicate_and_shadowed_path_templates_are_refused() {
    let src =
        "endpoints:\n  - pathTemplate: /orgs/{org}/members\n  - pathTemplate: /orgs/{o}/members\n";
    assert_one(
        &rules_errors(src),
        3,
        19,
        ErrorCode::DuplicatePath,
        "line 2",
    );

    let src = "endpoints:\n  - pathTemplate: /repos/{owner}/{repo}\n  - pathTemplate: /repos/acme/{repo}\n";
    assert_one(
        &rules_errors(src),
        3,
        19,
        ErrorCode::ShadowedPath,
        "`/repos/{owner}/{repo}` at line 2",
    );

    // Same path for different methods is two endpoints, not a duplicate.
    let ok = "endpoints:\n  - pathTemplate: /a\n    allowedMethods: [GET]\n  - pathTemplate: /a\n    allowedMethods: [POST]\n";
    parse_rules(Path::new("rules.yaml"), ok).expect("method-disjoint endpoints are fine");

    // A specific path listed before the general one is reachable.
    let ok = "endpoints:\n  - pathTemplate: /repos/acme/{repo}\n  - pathTemplate: /repos/{owner}/{repo}\n";
    parse_rules(Path::new("rules.yaml"), ok).expect("specific-first order is fine");
}

#[test]
fn all_semantic_errors_are_reported_together() {
    let src = "endpoints:\n  - pathTemplate: /a/{id}\n    allowedMethods: [GTE]\n    pathParameterSchemas:\n      ids: { type: integer }\n  - pathTemplate: /a/{x}\n";
    let errors = rules_errors(src);
    assert_one(
        &errors,
        3,
        22,
        ErrorCode::InvalidValue,
        "did you mean `GET`?",
    );
    assert_one(&errors, 5, 7, ErrorCode::InvalidValue, "did you mean `id`?");
    assert_one(&errors, 6, 19, ErrorCode::DuplicatePath, "");
    assert_eq!(errors.len(), 3);
}

#[test]
fn bad_path_templates_point_into_the_template() {
    let src = "endpoints:\n  - pathTemplate: /orgs/{org/members\n";
    assert_one(
        &rules_errors(src),
        2,
        25,
        ErrorCode::InvalidValue,
        "never closed",
    );
}

#[test]
fn bad_destination_urls_name_the_supported_schemes() {
    let errors = spec_errors(&format!(
        "{SPEC_HEAD}async_output_destination: ftp://host/x\nrules: {{}}\n"
    ));
    assert_one(&errors, 3, 27, ErrorCode::InvalidDestination, "s3://");

    let errors = spec_errors(&format!(
        "{SPEC_HEAD}side_outputs:\n  - content: original\n    destination: s3:///no-bucket\nrules: {{}}\n"
    ));
    assert_one(
        &errors,
        5,
        18,
        ErrorCode::InvalidDestination,
        "names no bucket",
    );

    let errors = spec_errors(&format!(
        "{SPEC_HEAD}enable_async_processing: true\nasync_output_destination: file://./var\nasync: {{ location: presigned }}\nrules: {{}}\n"
    ));
    assert_one(&errors, 4, 27, ErrorCode::InvalidDestination, "can sign");
}

#[test]
fn unknown_keys_beside_kind_none_are_refused() {
    let errors = spec_errors(&format!(
        "{SPEC_HEAD}source_auth: {{ kind: none, token_env: T }}\nrules: {{}}\n"
    ));
    assert!(
        errors
            .iter()
            .any(|e| e.code == ErrorCode::UnknownField && e.message.contains("token_env")),
        "{errors:?}"
    );
}

#[test]
fn bad_durations_show_the_expected_form() {
    let errors = spec_errors(&format!(
        "{SPEC_HEAD}async: {{ retention: forever }}\nrules: {{}}\n"
    ));
    assert_one(
        &errors,
        3,
        21,
        ErrorCode::InvalidDuration,
        "like 30s, 15m, 24h or 7d",
    );
}

#[test]
fn spec_level_checks_cover_name_host_and_rules() {
    let errors = spec_errors("name: GitHub_Proxy\ntarget_host: https://api.github.com/v3\n");
    assert_one(&errors, 1, 7, ErrorCode::InvalidValue, "lowercase letters");
    assert_one(&errors, 2, 14, ErrorCode::InvalidValue, "without a scheme");
    assert_one(&errors, 1, 7, ErrorCode::MissingField, "rules_file");
}

#[test]
fn a_missing_rules_file_is_named_with_where_it_was_looked_for() {
    let errors = spec_errors(&format!("{SPEC_HEAD}rules_file: rules/nope.yaml\n"));
    assert_one(&errors, 3, 13, ErrorCode::Io, "rules/nope.yaml");
}

#[test]
fn allow_all_endpoints_is_refused() {
    let errors = rules_errors("allowAllEndpoints: true\nendpoints: []\n");
    assert!(errors[0].message.contains("unsanitized"), "{}", errors[0]);
}

#[test]
fn async_required_names_endpoints_of_the_rules() {
    let rules = "rules:\n  endpoints:\n    - pathTemplate: /orgs/{org}/members\n";
    let errors = spec_errors(&format!(
        "{SPEC_HEAD}enable_async_processing: true\nasync:\n  required:\n    - /orgs/{{org}}/member\n{rules}"
    ));
    assert_one(
        &errors,
        6,
        7,
        ErrorCode::InvalidValue,
        "did you mean `/orgs/{org}/members`?",
    );
    let errors = spec_errors(&format!(
        "{SPEC_HEAD}async: {{ required: [\"/orgs/{{org}}/members\"] }}\n{rules}"
    ));
    assert_one(
        &errors,
        3,
        21,
        ErrorCode::InvalidValue,
        "`enable_async_processing` is not true",
    );
}
