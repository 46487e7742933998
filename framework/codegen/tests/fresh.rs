//! The committed connector crates under `connectors/` are exactly what `cargo xtask gen` writes
//! for the specs under `specs/` (rust-analyzer's `ensure_file_contents`: regenerate in memory,
//! compare, name the stale file). Nothing here writes into the workspace.

use std::path::{Path, PathBuf};

use sluice_codegen::scaffold::{self, Stale};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("framework/codegen is two levels below the root")
        .to_path_buf()
}

fn describe(stale: &[Stale]) -> String {
    stale
        .iter()
        .map(|s| format!("  {s}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn committed_connector_crates_are_fresh() {
    let root = workspace_root();
    let files = scaffold::workspace_files(&root).unwrap_or_else(|e| panic!("{e}"));
    let stale = scaffold::stale_files(&root, &files);
    assert!(
        stale.is_empty(),
        "generated files are out of date; run `cargo xtask gen` and commit the result:\n{}",
        describe(&stale)
    );
}

#[test]
fn every_spec_has_a_crate_whose_generated_module_is_the_generators_output() {
    let root = workspace_root();
    for spec in scaffold::load_specs(&root).unwrap_or_else(|e| panic!("{e}")) {
        let files = scaffold::crate_files(&spec);
        let generated = files
            .iter()
            .find(|(p, _)| p == Path::new("src/generated.rs"))
            .map(|(_, c)| c);
        assert_eq!(
            generated,
            Some(&sluice_codegen::render_file(&spec)),
            "{}",
            spec.path.display()
        );
        let name = &spec.spec.name.value;
        let cargo = &files[0].1;
        assert!(
            cargo.contains(&format!("name = \"{name}-proxy\"")),
            "{cargo}"
        );
    }
}

#[test]
fn github_openapi_lists_org_members_and_the_control_routes() {
    let root = workspace_root();
    let spec = sluice_spec::load_spec(&root.join("specs/github.yaml")).unwrap();
    let doc = sluice_codegen::openapi::openapi(&spec);
    assert_eq!(doc["openapi"], "3.1.0");
    let members = &doc["paths"]["/orgs/{org}/members"]["get"];
    assert!(members.is_object(), "{:#}", doc["paths"]);
    let params = members["parameters"].as_array().unwrap();
    let org = params.iter().find(|p| p["name"] == "org").unwrap();
    assert_eq!(org["in"], "path");
    assert_eq!(
        org["schema"]["pattern"],
        "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$"
    );
    let role = params.iter().find(|p| p["name"] == "role").unwrap();
    assert_eq!(
        role["schema"]["enum"],
        serde_json::json!(["all", "admin", "member"])
    );
    assert_eq!(
        members["responses"]["403"]["$ref"],
        "#/components/responses/Forbidden"
    );
    assert!(members["responses"]["202"].is_object(), "async is enabled");
    for route in [
        "/_sluice/healthz",
        "/_sluice/readyz",
        "/_sluice/metrics",
        "/_sluice/jobs",
        "/_sluice/jobs/{id}",
        "/_sluice/jobs/{id}/result",
    ] {
        assert!(doc["paths"][route].is_object(), "{route} missing");
    }
    // The comments regex is described on the two plain paths it matches.
    for path in [
        "/repos/{owner}/{repo}/issues/comments",
        "/repos/{owner}/{repo}/issues/{issueNumber}/comments",
    ] {
        assert!(
            doc["paths"][path]["x-sluice-path-regex"].is_string(),
            "{path}"
        );
    }
}

/// A scratch copy of the workspace's `specs/` and `connectors/`, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sluice-fresh-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = workspace_root();
        for sub in ["specs", "connectors"] {
            copy_dir(&root.join(sub), &dir.join(sub));
        }
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

#[test]
fn a_spec_edit_makes_its_crate_stale_until_regenerated() {
    let scratch = Scratch::new("edit");
    let root = &scratch.0;
    let fresh = scaffold::workspace_files(root).unwrap();
    assert_eq!(scaffold::stale_files(root, &fresh), []);

    let spec = root.join("specs/github.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("retention: 24h", "retention: 48h")).unwrap();
    let rules = root.join("specs/rules/slack.yaml");
    let text = std::fs::read_to_string(&rules).unwrap();
    std::fs::write(
        &rules,
        format!("{text}\n# a comment changes the rules digest\n"),
    )
    .unwrap();

    let files = scaffold::workspace_files(root).unwrap();
    let stale: Vec<String> = scaffold::stale_files(root, &files)
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    assert!(
        stale.contains(&"connectors/github/src/generated.rs".to_owned())
            && stale.contains(&"connectors/github/README.md".to_owned())
            && stale.contains(&"connectors/slack/src/generated.rs".to_owned())
            && stale.contains(&"connectors/slack/openapi.json".to_owned()),
        "{stale:?}"
    );
    assert!(
        stale
            .iter()
            .all(|s| s.starts_with("connectors/github/") || s.starts_with("connectors/slack/")),
        "only the edited connectors are stale: {stale:?}"
    );

    for (path, contents) in &files {
        std::fs::write(root.join(path), contents).unwrap();
    }
    assert_eq!(scaffold::stale_files(root, &files), []);
}

#[test]
fn a_broken_spec_fails_with_its_located_diagnostics() {
    let scratch = Scratch::new("broken");
    let root = &scratch.0;
    let spec = root.join("specs/zoom.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("target_host:", "target_hots:")).unwrap();
    let error = scaffold::workspace_files(root).unwrap_err().to_string();
    assert!(error.contains("zoom.yaml:"), "{error}");
    assert!(error.contains("target_hots"), "{error}");
}
