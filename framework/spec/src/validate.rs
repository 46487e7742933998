//! Semantic checks that need more than one value at a time: endpoints that can never match,
//! schemas for parameters that do not exist, settings that contradict each other. Every check
//! reports at the position of the value to change, and all problems are reported, not the first.

use std::path::Path;

use crate::connector::{ConnectorSpec, ResultLocation};
use crate::destination::StoreKind;
use crate::diagnostic::{Diagnostic, ErrorCode, Pos};
use crate::path_template::PathTemplate;
use crate::response_schema::{ResponseSchema, SchemaType};
use crate::rules::{Endpoint, Rules};
use crate::suggest::did_you_mean;

/// HTTP methods an endpoint may allow.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Checks a connector spec's own settings (its rules are checked by [`rules`]).
pub fn connector(file: &Path, spec: &ConnectorSpec) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut error =
        |pos: Pos, code, msg: String| out.push(Diagnostic::new(file, Some(pos), code, msg));

    let name = &spec.name;
    let name_ok = !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !name_ok {
        error(
            name.pos(),
            ErrorCode::InvalidValue,
            format!(
                "invalid name `{}`: use lowercase letters, digits and single `-` between them \
                 (it becomes the crate sluice-connector-<name> and binary <name>-proxy)",
                name.value
            ),
        );
    }

    let host = &spec.target_host;
    if let Some(problem) = host_problem(&host.value) {
        error(
            host.pos(),
            ErrorCode::InvalidValue,
            format!("invalid target_host `{}`: {problem}", host.value),
        );
    }

    match (&spec.rules, &spec.rules_file) {
        (Some(_), Some(file)) => error(
            file.pos(),
            ErrorCode::InvalidValue,
            "both `rules:` and `rules_file:` are given; keep one".to_owned(),
        ),
        (None, None) => error(
            name.pos(),
            ErrorCode::MissingField,
            "no rules: add `rules_file: rules/<name>.yaml` (a psoxy rules file) or inline `rules:`"
                .to_owned(),
        ),
        _ => {}
    }

    if spec.enable_async_processing
        && spec.async_settings.location == ResultLocation::Presigned
        && let Some(dest) = &spec.async_output_destination
        && matches!(dest.kind(), StoreKind::LocalDirectory | StoreKind::Memory)
    {
        error(
            dest.pos(),
            ErrorCode::InvalidDestination,
            format!(
                "`async.location: presigned` needs a store that can sign URLs (s3://, gs://, \
                 az://); `{}` cannot",
                dest.value
            ),
        );
    }
    out
}

/// Checks `async.required`: each entry names an endpoint of `rules` (by its `pathTemplate` or
/// `pathRegex` as written), and async processing is enabled.
pub fn async_required(file: &Path, spec: &ConnectorSpec, rules: &Rules) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let names: Vec<String> = rules
        .endpoints
        .iter()
        .filter_map(|e| {
            e.path_template
                .as_ref()
                .map(|t| t.value.clone())
                .or_else(|| e.path_regex.as_ref().map(|r| r.as_str().to_owned()))
        })
        .collect();
    for entry in &spec.async_settings.required {
        if !spec.enable_async_processing {
            out.push(Diagnostic::new(
                file,
                Some(entry.pos()),
                ErrorCode::InvalidValue,
                "`async.required` lists endpoints that answer only asynchronously, but \
                 `enable_async_processing` is not true; set it, or remove the list"
                    .to_owned(),
            ));
            break;
        }
        if !names.contains(&entry.value) {
            let hint = did_you_mean(&entry.value, names.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            out.push(Diagnostic::new(
                file,
                Some(entry.pos()),
                ErrorCode::InvalidValue,
                format!(
                    "`async.required` names `{}`, which is no endpoint's pathTemplate or \
                     pathRegex in the rules{hint}; write one exactly as the rules do",
                    entry.value
                ),
            ));
        }
    }
    out
}

fn host_problem(host: &str) -> Option<&'static str> {
    if host.is_empty() {
        return Some("it is empty; write the upstream host, such as api.github.com");
    }
    if host.contains("://") {
        return Some("write the host only, without a scheme (https:// is implied)");
    }
    if host.contains('/') || host.contains('?') {
        return Some("write the host only, without a path or query");
    }
    let (name, port) = host
        .rsplit_once(':')
        .map_or((host, None), |(h, p)| (h, Some(p)));
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Some("the port after `:` must be a number from 0 to 65535");
    }
    let valid = name.split('.').all(|label| {
        !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    (!valid).then_some("a host name is dot-separated labels of letters, digits and `-`")
}

/// Checks rules: every endpoint well-formed, none unreachable, every reference resolvable.
pub fn rules(file: &Path, rules: &Rules) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if rules.allow_all_endpoints {
        out.push(Diagnostic::new(
            file,
            None,
            ErrorCode::InvalidValue,
            "`allowAllEndpoints: true` would forward unsanitized responses; sluice refuses it. \
             List the endpoints callers need instead",
        ));
    }
    let mut seen: Vec<(PathTemplate, Option<Vec<String>>, Pos)> = Vec::new();
    for endpoint in &rules.endpoints {
        let template = endpoint_path(file, endpoint, &mut out);
        check_methods(file, endpoint, &mut out);
        check_query_params(file, endpoint, &mut out);
        if let Some(schema) = &endpoint.response_schema {
            let defs = Definitions {
                rules: &rules.definitions,
                schema: schema.definitions.as_ref(),
            };
            check_refs(file, endpoint_pos(endpoint), &defs, schema, &mut out);
        }
        let Some((template, pos)) = template else {
            continue;
        };
        check_path_params(
            file,
            endpoint,
            template.params().map(str::to_owned).collect(),
            &mut out,
        );
        let methods = methods_of(endpoint);
        for (earlier, earlier_methods, earlier_pos) in &seen {
            if !methods_overlap(earlier_methods.as_deref(), methods.as_deref()) {
                continue;
            }
            if earlier.shape() == template.shape() {
                out.push(Diagnostic::new(
                    file,
                    Some(pos),
                    ErrorCode::DuplicatePath,
                    format!(
                        "pathTemplate `{template}` duplicates the endpoint at line {} for the \
                         same methods; merge the two endpoints",
                        earlier_pos.line
                    ),
                ));
                break;
            }
            if earlier.covers(&template)
                && methods_subset(methods.as_deref(), earlier_methods.as_deref())
            {
                out.push(Diagnostic::new(
                    file,
                    Some(pos),
                    ErrorCode::ShadowedPath,
                    format!(
                        "pathTemplate `{template}` can never match: `{earlier}` at line {} comes \
                         first and matches every such path; move this endpoint above it",
                        earlier_pos.line
                    ),
                ));
                break;
            }
        }
        if endpoint.path_template.is_some() {
            seen.push((template, methods, pos));
        }
    }
    out
}

/// Warnings, not errors: augments that load but that sluice cannot compute (they need OpenNLP
/// models or a generative-model backend, which psoxy loads from its deployment). psoxy without
/// them adds nothing for such an augment and answers the rest; so does sluice.
pub fn augment_warnings(file: &Path, rules: &Rules) -> Vec<Diagnostic> {
    rules
        .endpoints
        .iter()
        .flat_map(|e| &e.augments)
        .filter(|a| !a.method().is_computed_locally())
        .map(|a| {
            let method = a.method();
            Diagnostic::warning(
                file,
                a.pos(),
                ErrorCode::UnsupportedAugment,
                format!(
                    "`!<{method}>` is not supported: it needs {}, which sluice does not have; \
                     responses get no `+…:{method}` property (as psoxy without one). Use \
                     `!<textDigest>` or `!<regexExtract>`, or remove it",
                    if method == crate::augment::AugmentMethod::SentenceMetadata {
                        "OpenNLP model files"
                    } else {
                        "a generative-model backend (Bedrock/Vertex)"
                    }
                ),
            )
        })
        .collect()
}

/// Where the rules' response schemas name a `type` JSON Schema does not have, as
/// (`where`, `type`): `where` is the endpoint's path (or `definitions/<name>`) and the schema
/// path below it. For start-up logs, which have no source positions for compiled-in rules;
/// `sluice validate` reports the same with `line:col`.
pub fn unknown_schema_types(rules: &Rules) -> Vec<(String, String)> {
    fn walk(schema: &ResponseSchema, at: String, out: &mut Vec<(String, String)>) {
        if let Some(SchemaType::Unknown(name)) = &schema.schema_type {
            out.push((at.clone(), name.clone()));
        }
        for (key, child) in schema.properties.iter().flatten() {
            walk(child, format!("{at}/properties/{key}"), out);
        }
        for (key, child) in schema.definitions.iter().flatten() {
            walk(child, format!("{at}/definitions/{key}"), out);
        }
        if let Some(items) = &schema.items {
            walk(items, format!("{at}/items"), out);
        }
        for (list, name) in [(&schema.any_of, "anyOf"), (&schema.one_of, "oneOf")] {
            for (i, child) in list.iter().flatten().enumerate() {
                walk(child, format!("{at}/{name}/{i}"), out);
            }
        }
        for (child, name) in [
            (&schema.if_schema, "if"),
            (&schema.then_schema, "then"),
            (&schema.else_schema, "else"),
        ] {
            if let Some(child) = child {
                walk(child, format!("{at}/{name}"), out);
            }
        }
    }
    let mut out = Vec::new();
    for (name, schema) in &rules.definitions {
        walk(schema, format!("definitions/{name}"), &mut out);
    }
    for endpoint in &rules.endpoints {
        if let Some(schema) = &endpoint.response_schema {
            let path = endpoint
                .path_template
                .as_ref()
                .map(|t| t.value.clone())
                .or_else(|| {
                    endpoint
                        .path_regex
                        .as_ref()
                        .map(|r| r.value.as_str().to_owned())
                })
                .unwrap_or_default();
            walk(
                schema,
                format!("endpoint `{path}` responseSchema"),
                &mut out,
            );
        }
    }
    out
}

/// The endpoint's path template (for a `pathRegex` endpoint, only its group names matter).
fn endpoint_path(
    file: &Path,
    endpoint: &Endpoint,
    out: &mut Vec<Diagnostic>,
) -> Option<(PathTemplate, Pos)> {
    match (&endpoint.path_template, &endpoint.path_regex) {
        (Some(t), None) => match PathTemplate::parse(&t.value) {
            Ok(template) => Some((template, t.pos())),
            Err(e) => {
                out.push(Diagnostic::new(
                    file,
                    Some(t.span.pos_of_char(e.offset)),
                    ErrorCode::InvalidValue,
                    e.message,
                ));
                None
            }
        },
        (None, Some(r)) => {
            let names: Vec<String> = r.group_names().map(str::to_owned).collect();
            check_path_params(file, endpoint, names, out);
            None
        }
        (Some(t), Some(_)) => {
            out.push(Diagnostic::new(
                file,
                Some(t.pos()),
                ErrorCode::InvalidValue,
                "an endpoint takes `pathTemplate` or `pathRegex`, not both",
            ));
            None
        }
        (None, None) => {
            out.push(Diagnostic::new(
                file,
                Some(endpoint_pos(endpoint)),
                ErrorCode::MissingField,
                "endpoint has no path: add `pathTemplate: /path/{param}` (or `pathRegex:`)",
            ));
            None
        }
    }
}

/// The best position for an endpoint-wide error: its first located value.
fn endpoint_pos(endpoint: &Endpoint) -> Pos {
    endpoint
        .path_template
        .as_ref()
        .map(|t| t.pos())
        .or(endpoint.path_regex.as_ref().map(|r| r.pos()))
        .or(endpoint.transforms.first().map(|t| t.pos()))
        .unwrap_or_default()
}

fn check_path_params(
    file: &Path,
    endpoint: &Endpoint,
    params: Vec<String>,
    out: &mut Vec<Diagnostic>,
) {
    for name in endpoint.path_parameter_schemas.keys() {
        if !params.contains(&name.value) {
            let hint = did_you_mean(&name.value, params.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            out.push(Diagnostic::new(
                file,
                Some(name.pos()),
                ErrorCode::InvalidValue,
                format!(
                    "pathParameterSchemas names `{}`, which the path does not have; {hint}path \
                     parameters: {}",
                    name.value,
                    if params.is_empty() {
                        "none".to_owned()
                    } else {
                        params.join(", ")
                    }
                ),
            ));
        }
    }
}

fn check_query_params(file: &Path, endpoint: &Endpoint, out: &mut Vec<Diagnostic>) {
    let Some(allowed) = &endpoint.allowed_query_params else {
        return;
    };
    for name in endpoint.query_param_schemas.keys() {
        if !allowed.contains(&name.value) {
            out.push(Diagnostic::new(
                file,
                Some(name.pos()),
                ErrorCode::InvalidValue,
                format!(
                    "queryParamSchemas names `{}`, which allowedQueryParams does not allow; add \
                     it there or remove the schema",
                    name.value
                ),
            ));
        }
    }
}

fn check_methods(file: &Path, endpoint: &Endpoint, out: &mut Vec<Diagnostic>) {
    for method in endpoint.allowed_methods.iter().flatten() {
        if !METHODS.contains(&method.value.as_str()) {
            let hint = did_you_mean(&method.value, METHODS)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            out.push(Diagnostic::new(
                file,
                Some(method.pos()),
                ErrorCode::InvalidValue,
                format!(
                    "unknown HTTP method `{}`; {hint}use one of {}",
                    method.value,
                    METHODS.join(", ")
                ),
            ));
        }
    }
}

fn methods_of(endpoint: &Endpoint) -> Option<Vec<String>> {
    endpoint
        .allowed_methods
        .as_ref()
        .map(|m| m.iter().map(|m| m.value.to_uppercase()).collect())
}

/// `None` is every method.
fn methods_overlap(a: Option<&[String]>, b: Option<&[String]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.iter().any(|m| b.contains(m)),
        _ => true,
    }
}

fn methods_subset(inner: Option<&[String]>, outer: Option<&[String]>) -> bool {
    match (inner, outer) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(inner), Some(outer)) => inner.iter().all(|m| outer.contains(m)),
    }
}

/// Where a `$ref` may point: the rules file's `definitions` (psoxy resolves there) or the
/// endpoint schema's own.
struct Definitions<'a> {
    rules: &'a std::collections::BTreeMap<String, ResponseSchema>,
    schema: Option<&'a std::collections::BTreeMap<String, ResponseSchema>>,
}

impl Definitions<'_> {
    fn contains(&self, name: &str) -> bool {
        self.rules.contains_key(name) || self.schema.is_some_and(|d| d.contains_key(name))
    }

    fn names(&self) -> Vec<&str> {
        self.rules
            .keys()
            .chain(self.schema.into_iter().flat_map(|d| d.keys()))
            .map(String::as_str)
            .collect()
    }
}

/// Every `$ref` must name a definition.
fn check_refs(
    file: &Path,
    pos: Pos,
    defs: &Definitions<'_>,
    node: &ResponseSchema,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(reference) = &node.reference {
        let name = reference
            .strip_prefix("#/definitions/")
            .or_else(|| reference.strip_prefix("#/$defs/"));
        if !name.is_some_and(|n| defs.contains(n)) {
            let known = defs.names();
            out.push(Diagnostic::new(
                file,
                Some(pos),
                ErrorCode::InvalidValue,
                format!(
                    "responseSchema `$ref: {reference}` names no definition; write \
                     `#/definitions/<name>` with one of: {}",
                    if known.is_empty() {
                        "(no definitions)".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
    }
    let children = node
        .properties
        .iter()
        .flat_map(|p| p.values())
        .chain(node.items.as_deref())
        .chain(node.definitions.iter().flat_map(|d| d.values()))
        .chain(node.any_of.iter().flatten())
        .chain(node.one_of.iter().flatten())
        .chain(node.if_schema.as_deref())
        .chain(node.then_schema.as_deref())
        .chain(node.else_schema.as_deref());
    for child in children {
        check_refs(file, pos, defs, child, out);
    }
}
