//! `sluice validate FILE...`: loads each file as a connector spec or a bare rules file and prints
//! one line per error (`file:line:col: message`) and per warning (`file:line:col: warning:
//! message`), or a JSON report with `--format json`. Warnings (what loads, as in psoxy, but is
//! likely a mistake) do not fail the run; errors do.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use sluice_spec::{Diagnostic, Document, load_document_with_warnings};

/// Arguments of `sluice validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Connector specs (`specs/*.yaml`) or psoxy rules files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// `text`: one line per error. `json`: one JSON document, for tools.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// The JSON report: one entry per file, in argument order.
#[derive(Debug, Serialize)]
struct Report {
    valid: bool,
    files: Vec<FileReport>,
}

#[derive(Debug, Serialize)]
struct FileReport {
    file: PathBuf,
    valid: bool,
    /// `connector` or `rules`, when the file loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoints: Option<usize>,
    errors: Vec<Diagnostic>,
    /// Present on files that load too, marked `"severity": "warning"`.
    warnings: Vec<Diagnostic>,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let files: Vec<FileReport> = args.files.iter().map(|f| check(f.clone())).collect();
    let valid = files.iter().all(|f| f.valid);
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Json => serde_json::to_writer_pretty(&mut out, &Report { valid, files })
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out)),
        Format::Text => files.iter().try_for_each(|f| print_text(&mut out, f)),
    };
    match (written, valid) {
        (Err(_), _) | (Ok(()), false) => ExitCode::FAILURE,
        (Ok(()), true) => ExitCode::SUCCESS,
    }
}

fn check(file: PathBuf) -> FileReport {
    let loaded = |kind, endpoints, warnings| FileReport {
        file: file.clone(),
        valid: true,
        kind: Some(kind),
        endpoints: Some(endpoints),
        errors: Vec::new(),
        warnings,
    };
    match load_document_with_warnings(&file) {
        Ok((Document::Connector(spec), warnings)) => {
            loaded("connector", spec.rules.endpoints.len(), warnings)
        }
        Ok((Document::Rules(rules), warnings)) => loaded("rules", rules.endpoints.len(), warnings),
        Err(all) => {
            let (warnings, errors) = all.into_vec().into_iter().partition(Diagnostic::is_warning);
            FileReport {
                file,
                valid: false,
                kind: None,
                endpoints: None,
                errors,
                warnings,
            }
        }
    }
}

fn print_text(out: &mut impl Write, report: &FileReport) -> std::io::Result<()> {
    // Errors and warnings of one file together, in position order, as an editor lists them.
    let mut all: Vec<&Diagnostic> = report.errors.iter().chain(&report.warnings).collect();
    all.sort_by_key(|d| d.pos);
    all.iter().try_for_each(|d| writeln!(out, "{d}"))?;
    if !report.valid {
        return Ok(());
    }
    let warnings = match report.warnings.len() {
        0 => String::new(),
        1 => "; 1 warning".to_owned(),
        n => format!("; {n} warnings"),
    };
    writeln!(
        out,
        "{}: ok ({} with {} endpoints{warnings})",
        report.file.display(),
        report.kind.unwrap_or("file"),
        report.endpoints.unwrap_or(0)
    )
}
