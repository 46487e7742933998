//! `sluice validate FILE...`: loads each file as a connector spec or a bare rules file and prints
//! one line per error (`file:line:col: message`), or a JSON report with `--format json`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use sluice_spec::{Diagnostic, Document, load_document};

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
    /// What loads but will not work as written (an augment sluice cannot compute).
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
    match load_document(&file) {
        Ok(Document::Connector(spec)) => FileReport {
            warnings: sluice_spec::validate::augment_warnings(
                spec.rules_path.as_deref().unwrap_or(&file),
                &spec.rules,
            ),
            file,
            valid: true,
            kind: Some("connector"),
            endpoints: Some(spec.rules.endpoints.len()),
            errors: Vec::new(),
        },
        Ok(Document::Rules(rules)) => FileReport {
            warnings: sluice_spec::validate::augment_warnings(&file, &rules),
            file,
            valid: true,
            kind: Some("rules"),
            endpoints: Some(rules.endpoints.len()),
            errors: Vec::new(),
        },
        Err(errors) => FileReport {
            file,
            valid: false,
            kind: None,
            endpoints: None,
            errors: errors.into_vec(),
            warnings: Vec::new(),
        },
    }
}

fn print_text(out: &mut impl Write, report: &FileReport) -> std::io::Result<()> {
    for warning in &report.warnings {
        writeln!(out, "warning: {warning}")?;
    }
    if report.valid {
        writeln!(
            out,
            "{}: ok ({} with {} endpoints)",
            report.file.display(),
            report.kind.unwrap_or("file"),
            report.endpoints.unwrap_or(0)
        )
    } else {
        report.errors.iter().try_for_each(|e| writeln!(out, "{e}"))
    }
}
