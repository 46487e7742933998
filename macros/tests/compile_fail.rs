//! The `connector!` macro (which users call as `sluice::connector!`) as a user meets it when a
//! spec is broken, through trybuild: `tests/ui/*.rs` must fail to compile, with the `.stderr`
//! beside each: a broken spec (`tests/ui/specs/`) becomes a compile error naming the YAML file,
//! line and column, with the path as written in the macro call.
//!
//! Specs that compile are expanded and run as the runtime's ordinary tests
//! (`framework/runtime/tests/expanded/`): trybuild builds its cases in a target directory of its
//! own, so passing cases here would build the whole runtime a second time, where compile-fail
//! cases alone only check this crate's few dependencies.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite` and review them like code.

use std::path::{Path, PathBuf};

/// Directories, relative to this crate, that the cases' `connector!` calls read from.
const SPEC_DIRS: &[&str] = &["tests/ui/specs"];

#[test]
fn ui() {
    stage_spec_dirs();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

/// trybuild compiles the cases as binaries of its own project, `<target>/tests/trybuild/<crate>/`,
/// so there `CARGO_MANIFEST_DIR` (which `connector!` paths are relative to) is that project's
/// directory, not this crate's. Copying the spec directories to the same relative places makes
/// every path in the cases resolve as it would in a user's crate, and keeps the paths in the
/// expected errors the ones written in the cases.
fn stage_spec_dirs() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project_dir = target_dir()
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"));
    for dir in SPEC_DIRS {
        let to = project_dir.join(dir);
        // Stale copies would hide a deleted or renamed spec.
        if to.exists() {
            std::fs::remove_dir_all(&to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
        }
        copy_dir(&manifest_dir.join(dir), &to);
    }
}

/// The target directory, as trybuild finds it (`cargo metadata`).
fn target_dir() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version=1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    PathBuf::from(
        metadata["target_directory"]
            .as_str()
            .expect("cargo metadata names the target directory"),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_dir(&source, &target);
        } else {
            std::fs::copy(&source, &target)
                .unwrap_or_else(|e| panic!("{} → {}: {e}", source.display(), target.display()));
        }
    }
}
