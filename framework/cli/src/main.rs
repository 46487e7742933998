//! `sluice`: the command for spec authors and operators.
//!
//! `validate` checks connector specs and psoxy rules files; later subcommands (`sanitize`,
//! `conformance`, `serve`) build on the same loader.
#![forbid(unsafe_code)]

mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// sluice: declarative, sanitizing API proxies.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check connector specs and psoxy rules files; exit 1 and print located errors if any is
    /// invalid.
    Validate(validate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(&args),
    }
}
