//! `sluice conformance`: runs a table of (rules, request, original response, expected response)
//! examples through the sanitizer and reports every row whose output differs from the expected
//! JSON. A psoxy user checks a migration by pointing it at their own files.
//!
//! The manifest is TSV with a header row naming at least `rules method url original expected`.
//! Optional columns: `name` (a label for reports), `email_domain` (`preserve`, `redact`,
//! `encrypt`, `hash`: psoxy's `EMAIL_DOMAIN_HANDLING`) and `email_canonicalization` (`strict`,
//! `ignore_dots`); others are ignored. Paths are relative to `--root`. A refused request's output is its problem document (RFC 9457), so refusals are
//! checked like any other row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use sluice::config::PseudonymSettings;
use sluice::pseudonym::{EmailCanonicalization, EmailDomainHandling};

use sluice::engine::{Answer, Engine};

use crate::engine::{Loaded, load, split_url};
use crate::secrets::SecretArgs;

/// Arguments of `sluice conformance`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The TSV manifest.
    #[arg(long, value_name = "FILE.tsv")]
    manifest: PathBuf,
    /// The directory the manifest's paths are relative to (default: the manifest's directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(flatten)]
    secrets: SecretArgs,
}

const REQUIRED: [&str; 5] = ["rules", "method", "url", "original", "expected"];

struct Row {
    line: usize,
    fields: HashMap<String, String>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let settings = args.secrets.resolve()?;
    let root = args.root.clone().unwrap_or_else(|| {
        args.manifest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    let rows = read_manifest(&args.manifest)?;

    let mut engines = Engines {
        settings,
        loaded: HashMap::new(),
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for row in &rows {
        let label = row
            .fields
            .get("name")
            .filter(|n| !n.is_empty())
            .unwrap_or(&row.fields["original"]);
        match check_row(row, &root, &mut engines) {
            Ok(()) => passed += 1,
            Err(why) => {
                failed += 1;
                println!(
                    "{}:{} ({label}): {why:#}",
                    args.manifest.display(),
                    row.line
                );
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read_manifest(path: &Path) -> Result<Vec<Row>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the manifest {}", path.display()))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((_, header)) = lines.next() else {
        bail!("{}: the manifest is empty", path.display())
    };
    let columns: Vec<String> = header.split('\t').map(|c| c.trim().to_owned()).collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| !columns.iter().any(|c| c == r))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}:1: the header row lacks the column(s) {}; it must name at least: {}",
            path.display(),
            missing.join(", "),
            REQUIRED.join(" ")
        );
    }
    lines
        .map(|(index, line)| {
            let values: Vec<&str> = line.split('\t').collect();
            if values.len() < columns.len() {
                bail!(
                    "{}:{}: {} fields where the header has {} columns (fields are tab-separated)",
                    path.display(),
                    index + 1,
                    values.len(),
                    columns.len()
                );
            }
            let fields = columns
                .iter()
                .cloned()
                .zip(values.iter().map(|v| v.trim().to_owned()))
                .collect();
            Ok(Row {
                line: index + 1,
                fields,
            })
        })
        .collect()
}

/// Engines by (rules file, email options), built on first use: the key derivation is slow.
struct Engines {
    settings: PseudonymSettings,
    loaded: HashMap<(String, String, String), Engine<Loaded>>,
}

impl Engines {
    fn get(&mut self, root: &Path, row: &Row) -> Result<&Engine<Loaded>> {
        let option = |c: &str| row.fields.get(c).cloned().unwrap_or_default();
        let id = (
            row.fields["rules"].clone(),
            option("email_domain"),
            option("email_canonicalization"),
        );
        if !self.loaded.contains_key(&id) {
            let domain = match id.1.as_str() {
                "" | "preserve" => EmailDomainHandling::Preserve,
                "redact" => EmailDomainHandling::Redact,
                "encrypt" => EmailDomainHandling::Encrypt,
                "hash" => EmailDomainHandling::Hash,
                other => {
                    bail!("email_domain `{other}`: expected preserve, redact, encrypt or hash")
                }
            };
            let canonicalization = match id.2.as_str() {
                "" | "strict" => EmailCanonicalization::Strict,
                "ignore_dots" => EmailCanonicalization::IgnoreDots,
                other => bail!("email_canonicalization `{other}`: expected strict or ignore_dots"),
            };
            let settings = self.settings.clone().with_email(domain, canonicalization);
            self.loaded
                .insert(id.clone(), load(&root.join(&id.0), &settings)?);
        }
        Ok(&self.loaded[&id])
    }
}

fn check_row(row: &Row, root: &Path, engines: &mut Engines) -> Result<()> {
    let engine = engines.get(root, row)?;
    let read = |column: &str| {
        let path = root.join(&row.fields[column]);
        std::fs::read(&path)
            .with_context(|| format!("cannot read {column} file {}", path.display()))
    };
    let original = read("original")?;
    let expected_bytes = read("expected")?;
    let expected = values(&expected_bytes)
        .with_context(|| format!("expected file {} is not JSON", row.fields["expected"]))?;
    let (path, query) = split_url(&row.fields["url"])?;
    let actual_bytes = match engine.run(&row.fields["method"], &path, query.as_deref(), &original) {
        Answer::Sanitized { body, .. } => body,
        Answer::Refused(problem) => serde_json::to_vec(&problem)?,
        Answer::Failed(e) => bail!("cannot sanitize: {e}"),
    };
    let actual = values(&actual_bytes).context("the sanitized output is not JSON")?;
    if expected.len() != actual.len() {
        bail!(
            "expected {} JSON values (NDJSON), got {}",
            expected.len(),
            actual.len()
        );
    }
    for (i, (e, a)) in expected.iter().zip(&actual).enumerate() {
        if let Some(diff) = first_difference(e, a, String::new()) {
            let which = if expected.len() > 1 {
                format!("value {}: ", i + 1)
            } else {
                String::new()
            };
            bail!("{which}{diff}");
        }
    }
    // An expected file written compactly (as psoxy writes) must also match byte for byte: key
    // order and number formatting are part of the contract.
    let trimmed = expected_bytes.trim_ascii_end();
    let compact: Vec<u8> = expected
        .iter()
        .map(sluice::sanitize::output::to_json_string)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    if trimmed == compact.as_slice() && trimmed != actual_bytes.trim_ascii_end() {
        bail!(
            "same JSON, different bytes (key order or number format):\n  expected {}\n  got      {}",
            String::from_utf8_lossy(trimmed),
            String::from_utf8_lossy(&actual_bytes)
        );
    }
    Ok(())
}

/// Every JSON value in `bytes` (one, or several for NDJSON).
fn values(bytes: &[u8]) -> Result<Vec<Value>> {
    Ok(serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()?)
}

/// The first place two documents differ, as `at <pointer>: expected X, got Y`.
fn first_difference(expected: &Value, actual: &Value, at: String) -> Option<String> {
    let short = |v: &Value| {
        let s = v.to_string();
        if s.chars().count() > 80 {
            format!("{}…", s.chars().take(80).collect::<String>())
        } else {
            s
        }
    };
    let here = if at.is_empty() {
        "/".to_owned()
    } else {
        at.clone()
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => {
                        if let Some(d) = first_difference(ev, av, format!("{at}/{k}")) {
                            return Some(d);
                        }
                    }
                    None => {
                        return Some(format!(
                            "at {at}/{k}: expected {}, but it is missing",
                            short(ev)
                        ));
                    }
                }
            }
            a.keys()
                .find(|k| !e.contains_key(*k))
                .map(|k| format!("at {at}/{k}: unexpected {}", short(&a[k])))
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (ev, av))| first_difference(ev, av, format!("{at}/{i}"))),
        (Value::Array(e), Value::Array(a)) => Some(format!(
            "at {here}: expected {} elements, got {}: {}",
            e.len(),
            a.len(),
            short(actual)
        )),
        _ if expected == actual => None,
        _ => Some(format!(
            "at {here}: expected {}, got {}",
            short(expected),
            short(actual)
        )),
    }
}
