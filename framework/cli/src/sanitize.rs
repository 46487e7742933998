//! `sluice sanitize`: a dry run of the sanitizer. Reads an upstream response on stdin and writes
//! what the proxy would return for `--method --url` under `--rules`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use sluice::engine::Answer;

use crate::engine::{load, split_url};
use crate::secrets::SecretArgs;

/// Arguments of `sluice sanitize`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A psoxy rules file or a sluice connector spec.
    #[arg(long, value_name = "RULES.yaml")]
    rules: PathBuf,
    /// The request's HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// The request URL (absolute, or a path with its query).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    secrets: SecretArgs,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let engine = load(&args.rules, &args.secrets.resolve()?)?;
    let (path, query) = split_url(&args.url)?;
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .context("reading the response from stdin")?;
    match engine.run(&args.method, &path, query.as_deref(), &body) {
        Answer::Sanitized { body: out, .. } => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&out)?;
            stdout.write_all(b"\n")?;
            Ok(ExitCode::SUCCESS)
        }
        Answer::Refused(problem) => {
            eprintln!("refused ({}): {}", problem.status, problem.detail);
            Ok(ExitCode::FAILURE)
        }
        Answer::Failed(e) => {
            eprintln!("cannot sanitize: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
