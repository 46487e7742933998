//! `cargo xtask`: project automation as plain Rust, so it runs the same on every machine.
//!
//! - `cargo xtask schema [--check]`: writes `specs/connector.schema.json` and
//!   `specs/rules.schema.json` from the spec model (with `--check`, fails if they are stale).
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "sluice project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the JSON Schemas of connector specs and rules files into specs/.
    Schema {
        /// Do not write; exit non-zero naming each stale file.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Schema { check } => schema(check),
    }
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .into()
}

fn schema(check: bool) -> Result<()> {
    let specs = workspace_root().join("specs");
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
