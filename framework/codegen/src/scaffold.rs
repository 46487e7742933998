//! The per-connector crate `cargo xtask gen` writes under `connectors/<name>/`: `Cargo.toml`,
//! `src/main.rs` and `README.md` from the tera templates in `framework/codegen/templates/`,
//! `src/generated.rs` from the generator, and `openapi.json` from [`crate::openapi`].
//!
//! Everything here is a pure function of the loaded spec (same spec, same bytes), so `gen`,
//! `gen --check` and the freshness test all compare against the same output. [`workspace_files`]
//! and [`stale_files`] are the whole of `gen`'s logic over a workspace root, so a test can point
//! them at a copy.
//!
//! `src/main.rs` is the one file a team may take over, to pass its own `sluice::Hooks` to the
//! runtime: once its `@generated` first line is deleted, `gen` neither rewrites nor checks it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;
use sluice_spec::connector::{ResultLocation, SideOutputContent, SourceAuth};
use sluice_spec::param::{ParamType, ParameterSchema};
use sluice_spec::rules::Endpoint;
use sluice_spec::transform::{Encoding, Transform};
use sluice_spec::{Diagnostics, LoadedSpec};

use crate::{naming, openapi, render_file};

/// The marker every generated file carries on its first line.
pub const GENERATED_MARKER: &str = "@generated";

const CARGO_TOML: &str = include_str!("../templates/Cargo.toml.tera");
const MAIN_RS: &str = include_str!("../templates/main.rs.tera");
const README_MD: &str = include_str!("../templates/README.md.tera");

/// The templates, parsed once per process.
fn templates() -> &'static tera::Tera {
    static TERA: OnceLock<tera::Tera> = OnceLock::new();
    TERA.get_or_init(|| {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(Vec::new());
        tera.add_raw_templates([
            ("Cargo.toml", CARGO_TOML),
            ("main.rs", MAIN_RS),
            ("README.md", README_MD),
        ])
        .expect("the embedded templates parse");
        tera
    })
}

fn render(template: &str, context: &impl Serialize) -> String {
    let context = tera::Context::from_serialize(context).expect("template contexts are structs");
    templates()
        .render(template, &context)
        .unwrap_or_else(|e| panic!("template {template} renders: {e:?}"))
}

/// The connector crate's directory, relative to the workspace root: `connectors/<name>`.
pub fn crate_dir(spec: &LoadedSpec) -> PathBuf {
    Path::new("connectors").join(&spec.spec.name.value)
}

/// The files of a connector's crate, as (path relative to `connectors/<name>/`, contents), in a
/// fixed order.
pub fn crate_files(spec: &LoadedSpec) -> Vec<(PathBuf, String)> {
    let context = Context::new(spec);
    vec![
        ("Cargo.toml".into(), render("Cargo.toml", &context)),
        ("src/main.rs".into(), render("main.rs", &context)),
        ("src/generated.rs".into(), render_file(spec)),
        ("README.md".into(), render("README.md", &context)),
        ("openapi.json".into(), openapi::render(spec)),
    ]
}

/// Why `gen` cannot run: specs that do not load, or two specs naming the same connector.
#[derive(Debug)]
pub enum GenError {
    /// The `specs/` directory cannot be listed.
    Io(PathBuf, std::io::Error),
    /// Specs that do not load, each with its located diagnostics.
    Specs(Vec<Diagnostics>),
    /// Two spec files with the same `name:`.
    DuplicateName {
        /// The connector name.
        name: String,
        /// The first spec that uses it.
        first: PathBuf,
        /// The second.
        second: PathBuf,
    },
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(path, e) => write!(f, "cannot list {}: {e}", path.display()),
            Self::Specs(all) => {
                for (i, d) in all.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{d}")?;
                }
                Ok(())
            }
            Self::DuplicateName {
                name,
                first,
                second,
            } => write!(
                f,
                "{} and {} both name the connector `{name}`; each spec needs its own name",
                first.display(),
                second.display()
            ),
        }
    }
}

impl std::error::Error for GenError {}

/// The connector specs of a workspace: every `specs/*.yaml`, sorted by file name.
pub fn spec_paths(root: &Path) -> Result<Vec<PathBuf>, GenError> {
    let dir = root.join("specs");
    let entries = std::fs::read_dir(&dir).map_err(|e| GenError::Io(dir.clone(), e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Loads every spec of the workspace at `root`; all load errors are reported together.
pub fn load_specs(root: &Path) -> Result<Vec<LoadedSpec>, GenError> {
    let mut specs: Vec<LoadedSpec> = Vec::new();
    let mut errors = Vec::new();
    for path in spec_paths(root)? {
        match sluice_spec::load_spec(&path) {
            Ok(spec) => {
                if let Some(first) = specs.iter().find(|s| s.spec.name == spec.spec.name) {
                    return Err(GenError::DuplicateName {
                        name: spec.spec.name.value.clone(),
                        first: first.path.clone(),
                        second: path,
                    });
                }
                specs.push(spec);
            }
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(GenError::Specs(errors))
    }
}

/// Every file `gen` writes for the workspace at `root`, as (path relative to `root`, contents).
pub fn workspace_files(root: &Path) -> Result<Vec<(PathBuf, String)>, GenError> {
    Ok(load_specs(root)?
        .iter()
        .flat_map(|spec| {
            let dir = crate_dir(spec);
            crate_files(spec)
                .into_iter()
                .map(move |(path, contents)| (dir.join(path), contents))
        })
        .collect())
}

/// A generated file whose committed copy differs from what `gen` would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The file, relative to the workspace root.
    pub path: PathBuf,
    /// Whether the file is missing (rather than different).
    pub missing: bool,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.missing { "missing" } else { "stale" };
        write!(f, "{} ({what})", self.path.display())
    }
}

/// Generated files a team may take over (to wire in its `Hooks`) by deleting their first,
/// `@generated` line; from then on `gen` leaves them alone.
pub const TEAM_OWNABLE: &[&str] = &["src/main.rs"];

/// Whether `current`, the committed copy of `path`, has been taken over by a team.
pub fn taken_over(path: &Path, current: &[u8]) -> bool {
    TEAM_OWNABLE.iter().any(|f| path.ends_with(f))
        && !current
            .split(|&b| b == b'\n')
            .next()
            .is_some_and(|line| String::from_utf8_lossy(line).contains(GENERATED_MARKER))
}

/// The files under `root` that differ from `files` (as [`workspace_files`] returns them), except
/// files a team has taken over (see [`TEAM_OWNABLE`]).
pub fn stale_files(root: &Path, files: &[(PathBuf, String)]) -> Vec<Stale> {
    files
        .iter()
        .filter_map(|(path, contents)| match std::fs::read(root.join(path)) {
            Ok(current) if current == contents.as_bytes() || taken_over(path, &current) => None,
            Ok(_) => Some(Stale {
                path: path.clone(),
                missing: false,
            }),
            Err(_) => Some(Stale {
                path: path.clone(),
                missing: true,
            }),
        })
        .collect()
}

/// Everything the templates show, computed here so the templates stay simple.
#[derive(Debug, Serialize)]
struct Context {
    name: String,
    crate_name: String,
    binary: String,
    spec_file: String,
    rules_file: Option<String>,
    /// The description as a TOML basic string, quotes included.
    description_toml: String,
    description: Option<String>,
    target_host: String,
    auth: Vec<String>,
    async_enabled: bool,
    async_destination: Option<String>,
    async_location: String,
    async_retention: String,
    side_outputs: Vec<SideOutputRow>,
    endpoints: Vec<EndpointDoc>,
}

#[derive(Debug, Serialize)]
struct SideOutputRow {
    content: &'static str,
    destination: String,
    required: &'static str,
    gzip: &'static str,
}

#[derive(Debug, Serialize)]
struct EndpointDoc {
    number: usize,
    methods: String,
    path: String,
    /// Path, escaped for a table cell.
    path_cell: String,
    query_cell: String,
    schemas_cell: String,
    regex: bool,
    any_method: bool,
    query: String,
    params: Vec<String>,
    headers: String,
    schema_filter: bool,
    transforms: Vec<String>,
    response_schema: Option<String>,
}

impl Context {
    fn new(spec: &LoadedSpec) -> Self {
        let connector = &spec.spec;
        let name = connector.name.value.clone();
        let default_description = format!(
            "sluice sanitizing proxy for {}",
            connector.target_host.value
        );
        let description_toml = serde_json::to_string(
            connector
                .description
                .as_deref()
                .unwrap_or(&default_description),
        )
        .expect("strings serialize");
        Self {
            crate_name: naming::crate_name(&name),
            binary: naming::binary_name(&name),
            spec_file: spec
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rules_file: connector.rules_file.as_ref().map(|f| f.value.clone()),
            description_toml,
            description: connector.description.clone(),
            target_host: connector.target_host.value.clone(),
            auth: auth_lines(&connector.source_auth),
            async_enabled: connector.enable_async_processing,
            async_destination: connector
                .async_output_destination
                .as_ref()
                .map(|d| d.value.as_str().to_owned()),
            async_location: match connector.async_settings.location {
                ResultLocation::Proxy => {
                    "`proxy`: the proxy serves the result at `/_sluice/jobs/{id}/result`"
                }
                ResultLocation::Presigned => {
                    "`presigned`: the status monitor redirects to a presigned URL of the result \
                     object"
                }
                ResultLocation::Echo => {
                    "`echo`: `Location` is the original request URL; repeating the request \
                     without `Prefer` returns the stored result"
                }
            }
            .to_owned(),
            async_retention: connector.async_settings.retention.as_str().to_owned(),
            side_outputs: connector
                .side_outputs
                .iter()
                .map(|s| SideOutputRow {
                    content: match s.content {
                        SideOutputContent::Original => "original (before sanitizing)",
                        SideOutputContent::Sanitized => "sanitized",
                    },
                    destination: s.destination.value.as_str().to_owned(),
                    required: if s.required {
                        "yes: a failed write fails the request"
                    } else {
                        "no: a failed write only warns"
                    },
                    gzip: if s.gzip { "yes" } else { "no" },
                })
                .collect(),
            endpoints: spec
                .rules
                .endpoints
                .iter()
                .enumerate()
                .map(|(i, e)| EndpointDoc::new(spec, i, e))
                .collect(),
            name,
        }
    }
}

impl EndpointDoc {
    fn new(spec: &LoadedSpec, index: usize, endpoint: &Endpoint) -> Self {
        let (path, regex) = match (&endpoint.path_template, &endpoint.path_regex) {
            (Some(t), _) => (t.value.clone(), false),
            (None, Some(r)) => (r.as_str().to_owned(), true),
            (None, None) => (String::new(), false),
        };
        let methods = endpoint
            .allowed_methods
            .as_ref()
            .map_or("any".to_owned(), |m| {
                m.iter()
                    .map(|m| m.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            });
        let query = match &endpoint.allowed_query_params {
            None => "any".to_owned(),
            Some(q) if q.is_empty() => "none".to_owned(),
            Some(q) => code_list(q),
        };
        let mut params = Vec::new();
        let mut cells = Vec::new();
        for (name, schema) in &endpoint.path_parameter_schemas {
            params.push(format!(
                "path `{{{}}}`: {}",
                name.value,
                describe_param(schema)
            ));
            cells.push(format!("`{}`: {}", name.value, short_param(schema)));
        }
        for (name, schema) in &endpoint.query_param_schemas {
            params.push(format!(
                "query `{}`: {}",
                name.value,
                describe_param(schema)
            ));
            cells.push(format!("`{}`: {}", name.value, short_param(schema)));
        }
        let headers = openapi::allowed_headers(spec, endpoint);
        let response_schema = endpoint
            .response_schema
            .as_ref()
            .map(|s| serde_json::to_string_pretty(s).expect("a response schema serializes"));
        Self {
            number: index + 1,
            path_cell: cell(&format!("{}`{path}`", if regex { "regex " } else { "" })),
            query_cell: cell(&query),
            schemas_cell: if cells.is_empty() {
                "—".to_owned()
            } else {
                cell(&cells.join("; "))
            },
            methods,
            path,
            regex,
            any_method: endpoint.allowed_methods.is_none(),
            query,
            params,
            headers: if headers.is_empty() {
                "none".to_owned()
            } else {
                code_list(&headers)
            },
            schema_filter: endpoint.response_schema.is_some(),
            transforms: endpoint
                .transforms
                .iter()
                .map(|t| describe_transform(&t.value))
                .collect(),
            response_schema,
        }
    }
}

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn code_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|i| format!("`{}`", i.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_name(t: ParamType) -> &'static str {
    match t {
        ParamType::String => "string",
        ParamType::Integer => "integer",
        ParamType::Number => "number",
    }
}

/// A parameter schema in a few words, for the endpoint table.
fn short_param(schema: &ParameterSchema) -> String {
    let mut parts = Vec::new();
    if schema.format.as_deref() == Some("reversible-pseudonym") {
        parts.push("`p~` token".to_owned());
    } else if let Some(e) = &schema.enum_values {
        parts.push(format!("one of {}", e.join("/")));
    } else if let Some(p) = &schema.pattern {
        // Long patterns make the table unreadable; the endpoint's section spells them out.
        if p.as_str().chars().count() <= 40 {
            parts.push(format!("`{}`", p.as_str()));
        } else {
            parts.push("pattern (below)".to_owned());
        }
    } else if let Some(t) = schema.value_type {
        parts.push(type_name(t).to_owned());
    } else if let Some(f) = &schema.format {
        parts.push(f.clone());
    }
    if !schema.ors.is_empty() {
        parts.push(
            schema
                .ors
                .iter()
                .map(short_param)
                .collect::<Vec<_>>()
                .join(" or "),
        );
    }
    if schema.required == Some(true) {
        parts.push("required".to_owned());
    }
    if parts.is_empty() {
        "any".to_owned()
    } else {
        parts.join(", ")
    }
}

/// A parameter schema in plain words.
fn describe_param(schema: &ParameterSchema) -> String {
    let mut parts = Vec::new();
    if let Some(t) = schema.value_type {
        parts.push(match t {
            ParamType::String => "a string".to_owned(),
            ParamType::Integer => "an integer".to_owned(),
            ParamType::Number => "a number".to_owned(),
        });
    }
    match schema.format.as_deref() {
        Some("reversible-pseudonym") => parts.push(
            "a reversible pseudonym (`p~…`) from an earlier response, which the proxy decrypts \
             before calling the upstream; a plain value is refused"
                .to_owned(),
        ),
        Some(f) => parts.push(format!("in `{f}` format")),
        None => {}
    }
    if let Some(p) = &schema.pattern {
        parts.push(format!("matching `{}`", p.as_str()));
    }
    if let Some(e) = &schema.enum_values {
        parts.push(format!("one of {}", code_list(e)));
    }
    if !schema.ors.is_empty() {
        parts.push(format!(
            "either {}",
            schema
                .ors
                .iter()
                .map(|o| format!("({})", describe_param(o)))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if schema.required == Some(true) {
        parts.push("required".to_owned());
    }
    if parts.is_empty() {
        "any value".to_owned()
    } else {
        parts.join(", ")
    }
}

fn auth_lines(auth: &SourceAuth) -> Vec<String> {
    let from = |env: &Option<String>, file: &Option<String>| match (env, file) {
        (Some(e), Some(f)) => format!("environment variable `{e}` (or the file `{f}`)"),
        (Some(e), None) => format!("environment variable `{e}`"),
        (None, Some(f)) => format!("the file `{f}`"),
        (None, None) => "(not configured)".to_owned(),
    };
    let scopes = |s: &[String]| {
        if s.is_empty() {
            String::new()
        } else {
            format!(", scopes {}", code_list(s))
        }
    };
    match auth {
        SourceAuth::None {} => vec!["None: requests go upstream without credentials.".to_owned()],
        SourceAuth::Bearer {
            token_env,
            token_file,
        } => vec![format!(
            "Bearer token (`Authorization: Bearer …`) from the {}.",
            from(token_env, token_file)
        )],
        SourceAuth::Basic {
            username_env,
            username_file,
            password_env,
            password_file,
        } => vec![
            "HTTP Basic (`Authorization: Basic …`).".to_owned(),
            format!("User name: {}.", from(username_env, username_file)),
            format!(
                "Password or API token: {}.",
                from(password_env, password_file)
            ),
        ],
        SourceAuth::ApiKeyHeader {
            header,
            key_env,
            key_file,
        } => vec![format!(
            "API key in the `{header}` header, from the {}.",
            from(key_env, key_file)
        )],
        SourceAuth::Oauth2ClientCredentials {
            token_url,
            client_id_env,
            client_secret_env,
            scopes: s,
        } => vec![
            format!(
                "OAuth 2.0 client credentials at `{token_url}`{}; the access token is cached \
                 and refreshed before it expires.",
                scopes(s)
            ),
            format!("Client id: environment variable `{client_id_env}`."),
            format!("Client secret: environment variable `{client_secret_env}`."),
        ],
        SourceAuth::Oauth2RefreshToken {
            token_url,
            client_id_env,
            client_secret_env,
            refresh_token_env,
            scopes: s,
        } => vec![
            format!(
                "OAuth 2.0 refresh token at `{token_url}`{}; the access token is cached and \
                 refreshed before it expires.",
                scopes(s)
            ),
            format!("Client id: environment variable `{client_id_env}`."),
            format!("Client secret: environment variable `{client_secret_env}`."),
            format!("Refresh token: environment variable `{refresh_token_env}`."),
        ],
    }
}

/// The JSONPaths (or psoxy's old field names) a transform selects, as a list of code spans.
fn paths_of(transform: &Transform) -> String {
    let selection = transform.selection();
    if selection.json_paths.is_empty() {
        code_list(&selection.fields)
    } else {
        let paths: Vec<&str> = selection
            .json_paths
            .iter()
            .map(|p| p.value.as_str())
            .collect();
        code_list(&paths)
    }
}

fn encoding_words(encoding: Encoding, reversible: bool) -> &'static str {
    match (encoding, reversible) {
        (Encoding::UrlSafeToken, false) => "`t~` hash tokens",
        (Encoding::UrlSafeToken, true) => {
            "reversible `p~` tokens (a caller may send them back; the proxy decrypts them)"
        }
        (Encoding::UrlSafeHashOnly, false) => "bare hashes (no `t~` prefix)",
        (Encoding::UrlSafeHashOnly, true) => "bare hashes, with a reversible form",
        (Encoding::Json, false) => "JSON pseudonym objects (`{\"hash\": …}`)",
        (Encoding::Json, true) => "JSON pseudonym objects with a `reversible` field",
    }
}

fn regex_list(regexes: &[sluice_spec::regex::SpecRegex]) -> String {
    code_list(&regexes.iter().map(|r| r.as_str()).collect::<Vec<_>>())
}

/// What a transform does, in plain words: one sentence.
pub fn describe_transform(transform: &Transform) -> String {
    let at = paths_of(transform);
    let mut text = match transform {
        Transform::Redact { .. } => format!("Removes {at}"),
        Transform::RedactRegexMatches { redactions, .. } => format!(
            "Removes from {at} every part matching {}",
            regex_list(redactions)
        ),
        Transform::RedactExceptPhrases {
            allowed_phrases, ..
        } => format!(
            "Reduces the text at {at} to whichever of the phrases {} it contains \
             (case-insensitive); everything else is removed",
            code_list(allowed_phrases)
        ),
        Transform::RedactExceptSubstringsMatchingRegexes { exceptions, .. } => format!(
            "Keeps only the parts of {at} matching {}; all other text is removed",
            regex_list(exceptions)
        ),
        Transform::Pseudonymize {
            encoding,
            include_original,
            include_reversible,
            only_if_regex,
            ..
        } => {
            let mut t = format!(
                "Pseudonymizes {at} as {}",
                encoding_words(*encoding, *include_reversible)
            );
            if *include_original {
                t.push_str(", keeping the original value beside the pseudonym");
            }
            if let Some(r) = only_if_regex {
                t.push_str(&format!(
                    "; only values matching `{}` are pseudonymized (with a capture group, only \
                     the group)",
                    r.as_str()
                ));
            }
            t
        }
        Transform::PseudonymizeEmailHeader { encoding, .. } => format!(
            "Pseudonymizes each email address in the header values at {at} as {}, keeping the \
             list structure",
            encoding_words(*encoding, false)
        ),
        Transform::PseudonymizeRegexMatches {
            regex,
            include_reversible,
            ..
        } => format!(
            "Pseudonymizes the part of {at} matching `{}` (its first capture group, if any) as \
             {}; a value that does not match is removed",
            regex.as_str(),
            encoding_words(Encoding::UrlSafeToken, *include_reversible)
        ),
        Transform::FilterTokenByRegex {
            delimiter, filters, ..
        } => format!(
            "Splits {at} on `{}` and keeps only the tokens matching {}",
            delimiter.as_str(),
            regex_list(filters)
        ),
        Transform::Tokenize { regex, .. } => match regex {
            Some(r) => format!(
                "Replaces the part of {at} matching `{}` (its first capture group) with a \
                 reversible token",
                r.as_str()
            ),
            None => format!("Replaces {at} with reversible tokens"),
        },
        Transform::TextDigest {
            is_json_escaped,
            json_path_to_process_when_escaped,
            keywords,
            ..
        } => {
            let mut t =
                format!("Replaces the text at {at} with a digest (its length and word count");
            if !keywords.is_empty() {
                t.push_str(&format!(
                    ", and how often it mentions {}",
                    code_list(keywords)
                ));
            }
            t.push(')');
            if *is_json_escaped {
                t.push_str("; the value is JSON-encoded text, decoded first");
                if let Some(p) = json_path_to_process_when_escaped {
                    t.push_str(&format!(
                        ", and `{}` inside it is digested",
                        p.value.as_str()
                    ));
                }
            }
            t
        }
        Transform::HashIp { .. } => format!("Replaces the IP addresses at {at} with hashes"),
        Transform::EncryptIp { .. } => {
            format!("Replaces the IP addresses at {at} with reversible encryptions")
        }
    };
    if let Some(when) = &transform.selection().apply_only_when {
        text.push_str(&format!(
            ", only in responses where `{}` matches",
            when.value.as_str()
        ));
    }
    text.push('.');
    text
}

/// How an endpoint's responses are sanitized, in plain sentences (for OpenAPI descriptions).
pub fn sanitization_summary(endpoint: &Endpoint) -> String {
    let mut parts = Vec::new();
    if endpoint.response_schema.is_some() {
        parts.push(
            "Only the fields the response schema names are kept; anything else is removed first."
                .to_owned(),
        );
    }
    if !endpoint.transforms.is_empty() {
        parts.push("Then, in order:".to_owned());
        parts.extend(
            endpoint
                .transforms
                .iter()
                .enumerate()
                .map(|(i, t)| format!("{}. {}", i + 1, describe_transform(&t.value))),
        );
    }
    if parts.is_empty() {
        "Returned as the upstream sent it: the rules name no response schema or transform."
            .to_owned()
    } else {
        parts.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> LoadedSpec {
        sluice_spec::parse_spec(
            "specs/demo.yaml".as_ref(),
            "name: demo\ndescription: A \"demo\" API\ntarget_host: api.example.com\n\
             source_auth: { kind: bearer, token_env: DEMO_TOKEN }\n\
             rules:\n  endpoints:\n    - pathTemplate: /a/{id}\n      allowedMethods: [GET]\n\
             \x20     allowedQueryParams: [page]\n      queryParamSchemas:\n        page: { type: integer }\n\
             \x20     transforms:\n        - !<redact>\n          jsonPaths: ['$.secret']\n",
        )
        .unwrap()
    }

    #[test]
    fn crate_files_are_deterministic_and_complete() {
        let files = crate_files(&demo());
        assert_eq!(files, crate_files(&demo()));
        let names: Vec<_> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        assert_eq!(
            names,
            [
                "Cargo.toml",
                "src/main.rs",
                "src/generated.rs",
                "README.md",
                "openapi.json"
            ]
        );
        let cargo = &files[0].1;
        assert!(
            cargo.contains("name = \"sluice-connector-demo\""),
            "{cargo}"
        );
        assert!(cargo.contains("name = \"demo-proxy\""), "{cargo}");
        assert!(
            cargo.contains(r#"description = "A \"demo\" API""#),
            "{cargo}"
        );
    }

    #[test]
    fn readme_says_what_each_transform_does_and_names_secrets_without_values() {
        let files = crate_files(&demo());
        let readme = &files[3].1;
        assert!(readme.contains("Removes `$.secret`."), "{readme}");
        assert!(readme.contains("`DEMO_TOKEN`"), "{readme}");
        assert!(
            readme.contains("| 1 | GET | `/a/{id}` | `page` |"),
            "{readme}"
        );
    }
}
