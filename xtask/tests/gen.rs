//! `cargo xtask gen --check` and `cargo xtask new` against a scratch copy of the workspace.

use std::path::Path;

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A scratch workspace holding copies of `specs/` and `connectors/`.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["specs", "connectors"] {
        copy_dir(&workspace_root().join(sub), &dir.path().join(sub));
    }
    dir
}

#[test]
fn check_fails_after_a_spec_edit_and_passes_once_regenerated() {
    let dir = scratch();
    let root = dir.path();
    xtask::generate::check(root).expect("the committed crates are fresh");

    let spec = root.join("specs/jira.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("retention: 2h", "retention: 3h")).unwrap();
    let error = format!("{:#}", xtask::generate::check(root).unwrap_err());
    assert!(error.contains("run `cargo xtask gen`"), "{error}");
    assert!(
        error.contains("connectors/jira/src/generated.rs"),
        "{error}"
    );
    assert!(error.contains("connectors/jira/README.md"), "{error}");
    assert!(!error.contains("connectors/github"), "{error}");

    let report = xtask::generate::run(root).unwrap();
    assert!(!report.written.is_empty());
    xtask::generate::check(root).expect("fresh after gen");
    assert_eq!(
        xtask::generate::run(root).unwrap().written,
        Vec::<std::path::PathBuf>::new()
    );
}

#[test]
fn check_names_missing_files() {
    let dir = scratch();
    let root = dir.path();
    std::fs::remove_file(root.join("connectors/zoom/openapi.json")).unwrap();
    let error = format!("{:#}", xtask::generate::check(root).unwrap_err());
    assert!(
        error.contains("connectors/zoom/openapi.json (missing)"),
        "{error}"
    );
}

#[test]
fn new_writes_a_valid_commented_spec_that_gen_turns_into_a_crate() {
    let dir = scratch();
    let root = dir.path();
    let written = xtask::new::run(root, "acme-crm").unwrap();
    assert_eq!(written.len(), 2);
    let spec_text = std::fs::read_to_string(root.join("specs/acme-crm.yaml")).unwrap();
    assert_eq!(
        spec_text.lines().next(),
        Some("# yaml-language-server: $schema=connector.schema.json")
    );
    let spec =
        sluice_spec::load_spec(&root.join("specs/acme-crm.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.spec.name.value, "acme-crm");
    assert!(!spec.rules.endpoints.is_empty());

    let again = format!("{:#}", xtask::new::run(root, "acme-crm").unwrap_err());
    assert!(again.contains("already exists"), "{again}");

    xtask::generate::run(root).unwrap();
    assert!(root.join("connectors/acme-crm/src/generated.rs").is_file());
    xtask::generate::check(root).unwrap();
}

#[test]
fn new_refuses_invalid_names() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["Acme", "acme_crm", "-acme", "acme--crm", "", "acme/../x"] {
        let error = format!("{:#}", xtask::new::run(dir.path(), name).unwrap_err());
        assert!(
            error.contains("not a valid connector name"),
            "{name}: {error}"
        );
    }
    assert!(!dir.path().join("specs").exists());
}

#[test]
fn a_main_rs_taken_over_for_hooks_is_left_alone() {
    let dir = scratch();
    let root = dir.path();
    let main = root.join("connectors/github/src/main.rs");
    let generated = std::fs::read_to_string(&main).unwrap();
    let owned = generated
        .lines()
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n")
        .replace("mod generated;", "mod generated;\nmod hooks;");
    std::fs::write(&main, &owned).unwrap();
    xtask::generate::check(root).expect("a taken-over main.rs is not stale");
    xtask::generate::run(root).unwrap();
    assert_eq!(std::fs::read_to_string(&main).unwrap(), owned);

    // Any other edit to a generated file is stale.
    let readme = root.join("connectors/github/README.md");
    std::fs::write(&readme, "edited\n").unwrap();
    let error = format!("{:#}", xtask::generate::check(root).unwrap_err());
    assert!(
        error.contains("connectors/github/README.md (stale)"),
        "{error}"
    );
}
