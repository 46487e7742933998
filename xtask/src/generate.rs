//! `cargo xtask gen [--check]`: one crate per connector spec under `connectors/<name>/`
//! (`Cargo.toml`, `src/main.rs`, `src/generated.rs`, `README.md`, `openapi.json`), all from
//! `sluice_codegen::scaffold`. `gen` writes only those files and removes nothing; `--check`
//! writes nothing and fails naming each stale or missing file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sluice_codegen::scaffold;

/// What `gen` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Files written (relative to the root), because they were missing or different.
    pub written: Vec<PathBuf>,
    /// Files already up to date.
    pub unchanged: usize,
}

/// Writes every connector crate under `root`; files already up to date are not touched, so
/// their modification times (and Cargo's fingerprints) stay.
pub fn run(root: &Path) -> Result<Report> {
    let files = scaffold::workspace_files(root)?;
    let stale = scaffold::stale_files(root, &files);
    let mut report = Report {
        written: Vec::new(),
        unchanged: files.len() - stale.len(),
    };
    for (path, contents) in &files {
        if !stale.iter().any(|s| &s.path == path) {
            continue;
        }
        let full = root.join(path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&full, contents).with_context(|| format!("writing {}", full.display()))?;
        report.written.push(path.clone());
    }
    Ok(report)
}

/// Fails, naming each file under `root` that `gen` would write differently or create.
pub fn check(root: &Path) -> Result<()> {
    let files = scaffold::workspace_files(root)?;
    let stale = scaffold::stale_files(root, &files);
    if stale.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = stale.iter().map(|s| format!("  {s}")).collect();
    bail!(
        "{} generated file(s) out of date; run `cargo xtask gen`:\n{}",
        stale.len(),
        list.join("\n")
    )
}
