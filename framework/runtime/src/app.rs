//! The command line of every connector binary (`github-proxy`, …): generated `main`s call
//! [`main`] with their connector. Subcommands: `routes` lists what the rules allow, and
//! `sanitize` dry-runs one response through the compiled router and sanitizer.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{ProcessEnv, PseudonymSettings};
use crate::connector::Connector;
use crate::engine::{Engine, Outcome};

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the endpoints the rules allow: methods, path, query parameters, transforms.
    Routes,
    /// Sanitize one upstream response (stdin) as the proxy would for a request; print it.
    Sanitize {
        /// The request's HTTP method.
        #[arg(long, default_value = "GET")]
        method: String,
        /// The request path and query, e.g. `/orgs/acme/members?per_page=5`.
        #[arg(long)]
        url: String,
        /// Pseudonymization salt [env: SLUICE_SALT, or PSOXY_SALT].
        #[arg(long)]
        salt: Option<String>,
        /// Encryption key for reversible tokens [env: SLUICE_ENCRYPTION_KEY].
        #[arg(long)]
        key: Option<String>,
    },
}

/// Runs a connector binary's command line.
pub fn main<C: Connector>(connector: C) -> ExitCode {
    let spec = connector.spec();
    let name = format!("{}-proxy", spec.name.value);
    let about = spec
        .description
        .clone()
        .unwrap_or_else(|| format!("sluice sanitizing proxy for {}", spec.target_host.value));
    let matches = Cli::command().name(name).about(about).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(connector, cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run<C: Connector>(
    connector: C,
    command: Command,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match command {
        Command::Routes => {
            print_routes(&connector)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sanitize {
            method,
            url,
            salt,
            key,
        } => {
            let settings = PseudonymSettings::resolve(&ProcessEnv, salt, key)?;
            let engine = Engine::new(connector, Arc::new(settings.pseudonymizer()?));
            let (path, query) = url
                .split_once('?')
                .map_or((url.as_str(), None), |(p, q)| (p, Some(q)));
            let mut body = Vec::new();
            std::io::stdin().read_to_end(&mut body)?;
            match engine.run(&method, path, query, &body) {
                Outcome::Sanitized { body, .. } => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&body)?;
                    out.write_all(b"\n")?;
                    Ok(ExitCode::SUCCESS)
                }
                Outcome::Refused(p) => {
                    eprintln!("refused ({}): {}", p.status, p.detail);
                    Ok(ExitCode::FAILURE)
                }
                Outcome::Failed(e) => {
                    eprintln!("cannot sanitize: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

fn print_routes<C: Connector>(connector: &C) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} → https://{}",
        connector.spec().name,
        connector.spec().target_host
    )?;
    for endpoint in &connector.rules().endpoints {
        let path = endpoint
            .path_template
            .as_ref()
            .map(|t| t.value.clone())
            .or_else(|| {
                endpoint
                    .path_regex
                    .as_ref()
                    .map(|r| format!("~{}", r.as_str()))
            })
            .unwrap_or_default();
        let methods = endpoint
            .allowed_methods
            .as_ref()
            .map_or("*".to_owned(), |m| {
                m.iter()
                    .map(|m| m.value.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            });
        let query = endpoint
            .allowed_query_params
            .as_ref()
            .map_or("any".to_owned(), |q| q.join(","));
        let transforms: Vec<&str> = endpoint
            .transforms
            .iter()
            .map(|t| t.kind().name())
            .collect();
        writeln!(
            out,
            "{methods:<8} {path}  query: {query}  transforms: {}",
            transforms.join(", ")
        )?;
    }
    Ok(())
}
