//! `sluice`: the command for spec authors and operators.
//!
//! - `validate`: check connector specs and psoxy rules files;
//! - `sanitize`: dry-run the sanitizer on one response;
//! - `conformance`: run a table of examples, as a psoxy migration check;
//! - `serve --spec`: run the proxy for a spec loaded at run time;
//! - `replay`: serve recorded responses as a stand-in upstream.
#![forbid(unsafe_code)]

mod conformance;
mod engine;
mod replay;
mod sanitize;
mod secrets;
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
    /// Sanitize one upstream response (stdin) as the proxy would for a request; print it.
    Sanitize(sanitize::Args),
    /// Run a TSV table of (rules, method, url, original, expected) examples; report differences.
    Conformance(conformance::Args),
    /// Serve recorded responses as a stand-in upstream (for demos and offline trials).
    Replay(replay::Args),
    /// Run the proxy for a connector spec loaded at run time (no code generation).
    Serve {
        /// The connector spec.
        #[arg(long, value_name = "SPEC.yaml")]
        spec: std::path::PathBuf,
        #[command(flatten)]
        flags: sluice::config::ServeFlags,
    },
}

// The allocator the runtime's `mimalloc` feature picks (on by default): a binary's choice, so
// the library sets none.
#[global_allocator]
static ALLOCATOR: sluice::Allocator = sluice::Allocator;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => Ok(validate::run(&args)),
        Command::Sanitize(args) => sanitize::run(&args),
        Command::Conformance(args) => conformance::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Serve { spec, flags } => match sluice::LoadedConnector::load(&spec) {
            Ok(connector) => return sluice::app::serve_main(connector, flags),
            Err(errors) => Err(anyhow::anyhow!("{errors}")),
        },
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::FAILURE
    })
}
