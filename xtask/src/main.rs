//! `cargo xtask`: project automation as plain Rust, so it runs the same on every machine.
//!
//! - `cargo xtask gen [--check]`: writes one crate per connector spec under `connectors/`
//!   (with `--check`, writes nothing and fails naming each stale file).
//! - `cargo xtask new <name>`: a commented starting spec and rules file for a new connector.
//! - `cargo xtask demo`: the README's first command (github-proxy in front of recorded responses).
//! - `cargo xtask bench proxy [--seconds N] [--runs N]`: the proxy's load benchmark against nginx.
//! - `cargo xtask bench async [--seconds N]`: async jobs accepted and completed per second, and
//!   memory with 10,000 queued.
//! - `cargo xtask schema [--check]`: writes `specs/connector.schema.json` and
//!   `specs/rules.schema.json` from the spec model (with `--check`, fails if they are stale).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use xtask::{bench, bench_async, demo, generate, new, schema, workspace_root};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "sluice project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate connectors/<name>/ (Cargo.toml, src/main.rs, src/generated.rs, README.md,
    /// openapi.json) for every specs/*.yaml.
    Gen {
        /// Do not write; exit non-zero naming each stale or missing file.
        #[arg(long)]
        check: bool,
    },
    /// Start a new connector: write a commented specs/<name>.yaml and specs/rules/<name>.yaml.
    New {
        /// The connector's name: lowercase letters, digits and `-`.
        name: String,
    },
    /// Build github-proxy, run it in front of recorded GitHub responses, show a caller's requests.
    Demo,
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Write the JSON Schemas of connector specs and rules files into specs/.
    Schema {
        /// Do not write; exit non-zero naming each stale file.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Load benchmark: upstream, nginx proxy_pass and github-proxy under wrk.
    Proxy {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// Runs of every measurement, one after the other; the report gives each figure's
        /// median.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
    },
    /// Async jobs: accepted and completed per second, RSS with 10,000 queued.
    Async {
        /// Seconds of accepting.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
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
    let root = workspace_root();
    match cli.command {
        Command::Gen { check: true } => {
            generate::check(&root)?;
            println!("connectors/ is up to date with specs/");
            Ok(())
        }
        Command::Gen { check: false } => {
            let report = generate::run(&root)?;
            for path in &report.written {
                println!("wrote {}", path.display());
            }
            println!(
                "{} file(s) written, {} up to date",
                report.written.len(),
                report.unchanged
            );
            Ok(())
        }
        Command::Demo => demo::run(&root),
        Command::Bench {
            what: BenchCommand::Proxy { seconds, runs },
        } => {
            let report = bench::proxy(&root, &bench::Options { seconds, runs })?;
            println!("\n{report}");
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::Async { seconds },
        } => {
            let report = bench_async::run(&root, seconds)?;
            println!("\n{report}");
            Ok(())
        }
        Command::New { name } => {
            for path in new::run(&root, &name)? {
                println!("wrote {}", path.display());
            }
            println!(
                "next: edit them, check with `cargo run -p sluice-cli -- validate specs/{name}.yaml`, \
                 then run `cargo xtask gen` to create connectors/{name}/"
            );
            Ok(())
        }
        Command::Schema { check } => schema::run(&root, check),
    }
}
