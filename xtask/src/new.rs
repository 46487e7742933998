//! `cargo xtask new <name>`: a commented starting point for a connector spec and its rules,
//! `specs/<name>.yaml` and `specs/rules/<name>.yaml`, that `sluice validate` accepts as is.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

const SPEC: &str = include_str!("../templates/new-spec.yaml");
const RULES: &str = include_str!("../templates/new-rules.yaml");

/// Whether `name` is a valid connector name: `[a-z0-9]+(-[a-z0-9]+)*`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Writes the two files under `root` and returns their paths relative to it; refuses an invalid name and
/// existing files.
pub fn run(root: &Path, name: &str) -> Result<Vec<PathBuf>> {
    if !valid_name(name) {
        bail!(
            "`{name}` is not a valid connector name: use lowercase letters, digits and single \
             `-` between words (such as `github` or `google-calendar`); it becomes the crate \
             `sluice-connector-<name>` and the binary `<name>-proxy`"
        );
    }
    let spec = root.join("specs").join(format!("{name}.yaml"));
    let rules = root
        .join("specs")
        .join("rules")
        .join(format!("{name}.yaml"));
    for path in [&spec, &rules] {
        if path.exists() {
            bail!(
                "{} already exists; `cargo xtask new` never overwrites a file (pick another name, \
                 or edit that one)",
                path.display()
            );
        }
    }
    let env = name.to_ascii_uppercase().replace('-', "_");
    let fill = |template: &str| template.replace("{{name}}", name).replace("{{env}}", &env);
    std::fs::create_dir_all(root.join("specs").join("rules")).context("creating specs/rules")?;
    for (path, template) in [(&spec, SPEC), (&rules, RULES)] {
        // `create_new`: a file that appeared since the check above is still not overwritten.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        file.write_all(fill(template).as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(vec![
        Path::new("specs").join(format!("{name}.yaml")),
        Path::new("specs/rules").join(format!("{name}.yaml")),
    ])
}
