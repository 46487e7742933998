//! The project's conformance suite (`tests/conformance/`), run through `sluice conformance` as a
//! psoxy user would run it on their own files: every row must pass, and a wrong expected file
//! must be reported with its row and a diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (this crate lives in `framework/cli`).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("framework/cli has a workspace root")
        .to_path_buf()
}

fn conformance(manifest: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("conformance")
        .arg("--manifest")
        .arg(manifest)
        .args(["--salt", "salt", "--key", "secret"])
        .output()
        .expect("sluice runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `N passed, M failed` from the last line of the report.
fn totals(text: &str) -> (usize, usize) {
    let last = text.lines().last().unwrap_or_default();
    let numbers: Vec<usize> = last.split(' ').filter_map(|w| w.parse().ok()).collect();
    assert!(
        numbers.len() == 2 && last.ends_with(" failed"),
        "last line is not `N passed, M failed`: {last:?}\n{text}"
    );
    (numbers[0], numbers[1])
}

#[test]
fn the_conformance_suite_passes() {
    let out = conformance(&repo().join("tests/conformance/manifest.tsv"));
    let text = stdout(&out);
    let (passed, failed) = totals(&text);
    assert_eq!(failed, 0, "{text}");
    assert!(passed >= 70, "only {passed} rows ran:\n{text}");
    assert!(
        out.status.success(),
        "exit {:?}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_wrong_expected_file_fails_with_its_row_and_a_diff() {
    let suite = repo().join("tests/conformance");
    let dir = std::env::temp_dir().join(format!(
        "sluice-conformance-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();

    // A copy of a passing row's expected output with one pseudonym changed.
    let expected = suite.join("cases/github-members-login-token.expected.json");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&expected).unwrap()).unwrap();
    doc[0]["login"] = serde_json::Value::from("t~wrong");
    std::fs::write(dir.join("wrong.expected.json"), doc.to_string()).unwrap();

    let manifest = dir.join("manifest.tsv");
    std::fs::write(
        &manifest,
        format!(
            "name\trules\tmethod\turl\toriginal\texpected\n\
             wrong-login-token\t{rules}\tGET\t/enc/token/orgs/acme/members\t{original}\twrong.expected.json\n",
            rules = suite.join("rules/pseudonymize.yaml").display(),
            original = suite
                .join("cases/github-members-login-token.original.json")
                .display(),
        ),
    )
    .unwrap();

    let out = conformance(&manifest);
    let text = stdout(&out);
    std::fs::remove_dir_all(&dir).ok();

    assert!(
        !out.status.success(),
        "a failing row must fail the run:\n{text}"
    );
    assert_eq!(totals(&text), (0, 1), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("(wrong-login-token)"))
        .unwrap_or_else(|| panic!("the failing row is not named:\n{text}"));
    assert!(row.contains("manifest.tsv:2 "), "{row}");
    assert!(
        row.contains("at /0/login: expected \"t~wrong\", got \"t~IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbM\""),
        "{row}"
    );
}

#[test]
fn rules_that_issue_reversible_tokens_need_a_key_in_dry_runs_too() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("reversible.yaml");
    std::fs::write(
        &rules,
        "endpoints:\n  - pathTemplate: /users\n    transforms:\n      - !<pseudonymize>\n        \
         jsonPaths: ['$..login']\n        includeReversible: true\n",
    )
    .unwrap();
    let sanitize = |key: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
        command
            .args(["sanitize", "--url", "/users", "--salt", "salt", "--rules"])
            .arg(&rules)
            .env_remove("SLUICE_ENCRYPTION_KEY")
            .env_remove("PSOXY_ENCRYPTION_KEY")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(key) = key {
            command.args(["--key", key]);
        }
        let mut child = command.spawn().expect("sluice runs");
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(br#"[{"login":"octocat"}]"#)
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let refused = sanitize(None);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:5:9: `pseudonymize`", rules.display()))
            && stderr.contains("SLUICE_ENCRYPTION_KEY"),
        "{stderr}"
    );
    let sanitized = sanitize(Some("secret"));
    assert!(
        sanitized.status.success(),
        "{}",
        String::from_utf8_lossy(&sanitized.stderr)
    );
    assert!(String::from_utf8_lossy(&sanitized.stdout).contains("p~"));
}
