//! Snapshots of the generated code for every shipped spec (`specs/*.yaml`) and for the edge-case
//! specs in `tests/specs/`, which together use every path shape, transform, option, schema
//! keyword and connector setting the spec format has. A change to the generator shows up here as
//! a diff to review like code (`cargo insta review`).
//!
//! Beyond the snapshots: every generated file parses as Rust, and generating twice gives the same
//! bytes. Whether the code also compiles is checked by the `sluice-macros` trybuild pass cases,
//! which expand the same specs through `sluice::connector!`.

use std::path::{Path, PathBuf};

use sluice_spec::LoadedSpec;

/// The shipped connector specs.
fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

/// The edge-case specs.
fn edge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs")
}

/// The `*.yaml` files directly in `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no specs in {}", dir.display());
    files
}

fn load(path: &Path) -> LoadedSpec {
    sluice_spec::load_spec(path)
        .unwrap_or_else(|e| panic!("{} does not load:\n{e}", path.display()))
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// Every spec a snapshot is taken of: (snapshot name, path).
fn all_specs() -> Vec<(String, PathBuf)> {
    let shipped = yaml_files(&shipped_dir())
        .into_iter()
        .map(|p| (format!("shipped-{}", stem(&p)), p));
    let edge = yaml_files(&edge_dir())
        .into_iter()
        .map(|p| (format!("edge-{}", stem(&p)), p));
    shipped.chain(edge).collect()
}

#[test]
fn generated_code_matches_the_snapshots() {
    for (name, path) in all_specs() {
        let source = sluice_codegen::render_file(&load(&path));
        insta::with_settings!({
            description => format!("sluice_codegen::render_file of {}", path.file_name().unwrap_or_default().to_string_lossy()),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, source);
        });
    }
}

#[test]
fn every_generated_file_parses_as_rust() {
    for (name, path) in all_specs() {
        let source = sluice_codegen::render_file(&load(&path));
        if let Err(e) = syn::parse_file(&source) {
            panic!("{name}: generated code does not parse: {e}\n{source}");
        }
    }
}

#[test]
fn generation_is_deterministic() {
    for (name, path) in all_specs() {
        let first = sluice_codegen::render_file(&load(&path));
        // A fresh load, so nothing is shared between the two runs but the file.
        let second = sluice_codegen::render_file(&load(&path));
        assert!(first == second, "{name}: two generations differ");
        assert_eq!(
            sluice_codegen::generate(&load(&path)).to_string(),
            sluice_codegen::generate(&load(&path)).to_string(),
            "{name}: two token streams differ"
        );
    }
}
