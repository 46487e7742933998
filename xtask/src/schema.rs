//! `cargo xtask schema [--check]`: the JSON Schemas of connector specs and rules files, written
//! into `specs/` from the spec model.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// Writes `specs/connector.schema.json` and `specs/rules.schema.json` under `root`; with `check`,
/// writes nothing and fails naming each stale file.
pub fn run(root: &Path, check: bool) -> Result<()> {
    let specs = root.join("specs");
    let files = [
        (
            specs.join("connector.schema.json"),
            sluice_spec::schema::connector_schema(),
        ),
        (
            specs.join("rules.schema.json"),
            sluice_spec::schema::rules_schema(),
        ),
    ];
    let mut stale = Vec::new();
    for (path, contents) in &files {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current == *contents {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else {
            std::fs::write(path, contents)
                .with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if !stale.is_empty() {
        bail!("stale, run `cargo xtask schema`: {}", stale.join(", "));
    }
    Ok(())
}
