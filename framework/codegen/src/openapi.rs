//! OpenAPI 3.1 description of a connector: every endpoint its rules allow, as a caller sees it
//! through the proxy, and the proxy's own `/_sluice/` control routes.
//!
//! Endpoints written as `pathTemplate` map one to one onto OpenAPI paths. A `pathRegex` has no
//! OpenAPI form, so it is described on synthetic paths: the regex is expanded into the plain
//! paths it matches where it is simple enough (literals, named groups as `{params}`, optional
//! groups, a trailing query-string group), otherwise into its literal prefix followed by a
//! `{pathRemainder}` parameter. Either way the path item carries the regex itself as
//! `x-sluice-path-regex`, and that regex is what the proxy matches.

use serde_json::{Map, Value, json};
use sluice_spec::LoadedSpec;
use sluice_spec::param::{ParamType, ParameterSchema};
use sluice_spec::path_template::PathTemplate;
use sluice_spec::rules::Endpoint;

use crate::{endpoints, naming};

/// Where a proxy listens unless told otherwise.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Methods OpenAPI has an operation field for.
const OPENAPI_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Request headers OpenAPI says to ignore as header parameters (they have their own fields).
const RESERVED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// The OpenAPI 3.1 document for a connector.
pub fn openapi(spec: &LoadedSpec) -> Value {
    let connector = &spec.spec;
    let name = &connector.name.value;
    let async_enabled = connector.enable_async_processing;
    let mut description = String::new();
    if let Some(d) = &connector.description {
        description.push_str(d);
        description.push_str("\n\n");
    }
    description.push_str(&format!(
        "The `{binary}` sanitizing proxy (sluice) in front of `https://{host}`. Callers use the \
         upstream's paths and query parameters unchanged; the proxy adds the upstream \
         credentials, refuses anything its rules do not allow (403, or 405 with `Allow` for a \
         method no endpoint of the path allows; `application/problem+json`) and returns only sanitized responses. Generated from \
         `specs/{file}` by `cargo xtask gen`.",
        binary = naming::binary_name(name),
        host = connector.target_host.value,
        file = spec_file_name(spec),
    ));
    if async_enabled {
        description.push_str(
            "\n\nAsynchronous processing is enabled: send `Prefer: respond-async` to get `202 \
             Accepted` at once and collect the result from `/_sluice/jobs/{id}`.",
        );
    }

    let mut paths = Map::new();
    let mut schemas = Map::new();
    let mut operation_ids: Vec<String> = Vec::new();
    for (name, definition) in &spec.rules.definitions {
        schemas.insert(
            name.clone(),
            response_schema_value(definition, None, &spec.rules),
        );
    }
    let names = endpoints::variant_names(&spec.rules.endpoints);
    for (index, (endpoint, type_name)) in spec.rules.endpoints.iter().zip(&names).enumerate() {
        let response_schema = endpoint.response_schema.as_ref().map(|schema| {
            let component = format!("{type_name}Response");
            schemas.insert(
                component.clone(),
                response_schema_value(schema, Some(&component), &spec.rules),
            );
            json!({ "$ref": format!("#/components/schemas/{component}") })
        });
        for shape in endpoint_paths(endpoint) {
            let op_base = match &shape.regex {
                None => type_name.clone(),
                Some(_) => PathTemplate::parse(&shape.path)
                    .map(|t| naming::endpoint_type_name(&t))
                    .unwrap_or_else(|_| type_name.clone()),
            };
            let item = paths
                .entry(shape.path.clone())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("path items are objects");
            if let Some(regex) = &shape.regex {
                item.entry("x-sluice-path-regex")
                    .or_insert_with(|| Value::String(regex.clone()));
            }
            let (methods, any_method) = match &endpoint.allowed_methods {
                Some(m) => (
                    m.iter().map(|m| m.value.to_ascii_lowercase()).collect(),
                    false,
                ),
                None => (vec!["get".to_owned()], true),
            };
            for method in methods {
                // The first endpoint that matches a request wins, as in the proxy.
                let key = if OPENAPI_METHODS.contains(&method.as_str()) {
                    method.clone()
                } else {
                    format!("x-sluice-method-{method}")
                };
                if item.contains_key(&key) {
                    continue;
                }
                let mut operation_id = format!("{method}{op_base}");
                let mut n = 2;
                while operation_ids.contains(&operation_id) {
                    operation_id = format!("{method}{op_base}{n}");
                    n += 1;
                }
                operation_ids.push(operation_id.clone());
                let operation = Operation {
                    spec,
                    endpoint,
                    index,
                    shape: &shape,
                    operation_id,
                    method: method.clone(),
                    any_method,
                    response_schema: response_schema.clone(),
                };
                item.insert(key, operation.to_json());
            }
        }
    }
    control_routes(&mut paths, async_enabled);

    schemas.insert("Problem".to_owned(), problem_schema());
    schemas.insert("Job".to_owned(), job_schema());
    schemas.insert("JobList".to_owned(), job_list_schema());

    let mut components = Map::new();
    components.insert("schemas".to_owned(), Value::Object(schemas));
    components.insert("responses".to_owned(), problem_responses(async_enabled));
    components.insert(
        "securitySchemes".to_owned(),
        json!({"callerBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "The caller's credential: one of the proxy's API keys (`SLUICE_API_KEYS`) or a JWT it accepts. Not the upstream's credentials, which the proxy adds itself.",
        }}),
    );
    if async_enabled {
        components.insert("parameters".to_owned(), async_parameters());
    }

    let mut info = Map::new();
    info.insert(
        "title".to_owned(),
        json!(format!("{name} sanitizing proxy (sluice)")),
    );
    info.insert("description".to_owned(), json!(description));
    info.insert("version".to_owned(), json!(env!("CARGO_PKG_VERSION")));
    info.insert("x-sluice-connector".to_owned(), json!(name));
    info.insert(
        "x-sluice-target-host".to_owned(),
        json!(connector.target_host.value),
    );
    info.insert(
        "x-sluice-rules-sha256".to_owned(),
        json!(crate::rules_sha256(spec)),
    );
    // Only names of variables and files, token URLs and scopes are in the spec: no secrets.
    info.insert(
        "x-sluice-source-auth".to_owned(),
        serde_json::to_value(&connector.source_auth).unwrap_or(Value::Null),
    );

    json!({
        "openapi": "3.1.0",
        "info": info,
        "security": [{"callerBearer": []}],
        "servers": [{
            "url": DEFAULT_SERVER,
            "description": "The proxy's default listen address; the upstream is reached through it",
        }],
        "paths": paths,
        "components": components,
    })
}

/// The document as written to `openapi.json`: pretty-printed, with a trailing newline.
pub fn render(spec: &LoadedSpec) -> String {
    let mut text =
        serde_json::to_string_pretty(&openapi(spec)).expect("a JSON value always serializes");
    text.push('\n');
    text
}

fn spec_file_name(spec: &LoadedSpec) -> String {
    spec.path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One OpenAPI path an endpoint is described on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PathShape {
    /// The OpenAPI path.
    pub(crate) path: String,
    /// Path parameters in order, with the regex fragment they match (for `pathRegex`).
    pub(crate) params: Params,
    /// The endpoint's `pathRegex`, when the path is synthetic.
    pub(crate) regex: Option<String>,
    /// Whether the path ends in a parameter standing for the rest of a regex that could not be
    /// expanded.
    pub(crate) remainder: bool,
}

/// Path parameters in order, each with the regex fragment it matches (for `pathRegex`).
type Params = Vec<(String, Option<String>)>;

/// The name of the parameter standing for the part of a `pathRegex` that has no path form.
const REMAINDER: &str = "pathRemainder";

/// The OpenAPI paths an endpoint is described on: its template, or its regex's expansion.
pub(crate) fn endpoint_paths(endpoint: &Endpoint) -> Vec<PathShape> {
    if let Some(template) = &endpoint.path_template {
        let params = PathTemplate::parse(&template.value)
            .map(|t| t.params().map(|p| (p.to_owned(), None)).collect())
            .unwrap_or_default();
        return vec![PathShape {
            path: template.value.clone(),
            params,
            regex: None,
            remainder: false,
        }];
    }
    let Some(regex) = &endpoint.path_regex else {
        return Vec::new();
    };
    let source = regex.as_str();
    match regex_paths(source) {
        Some(paths) => paths
            .into_iter()
            .map(|(path, params)| PathShape {
                path,
                params,
                regex: Some(source.to_owned()),
                remainder: false,
            })
            .collect(),
        None => {
            let (prefix, params) = regex_prefix(source);
            let mut params = params;
            params.push((REMAINDER.to_owned(), None));
            vec![PathShape {
                path: format!("{prefix}{{{REMAINDER}}}"),
                params,
                regex: Some(source.to_owned()),
                remainder: true,
            }]
        }
    }
}

/// A piece of a simple path regex.
#[derive(Debug, Clone)]
enum RegexPiece {
    Literal(String),
    Param(String, String),
    Optional(Vec<RegexPiece>),
    Choice(Vec<String>),
}

/// Expands a regex into the paths it matches, when it is made of literals, named groups (each a
/// parameter), optional groups, alternations of literals and a trailing query-string group.
/// At most 16 paths; `None` when the regex is anything else.
fn regex_paths(source: &str) -> Option<Vec<(String, Params)>> {
    let body = source.strip_prefix('^')?;
    let body = body.strip_suffix('$').unwrap_or(body);
    let chars: Vec<char> = body.chars().collect();
    let mut at = 0;
    let pieces = parse_sequence(&chars, &mut at)?;
    if at != chars.len() {
        return None;
    }
    let mut out: Vec<(String, Params)> = vec![(String::new(), Vec::new())];
    expand(&pieces, &mut out)?;
    out.retain(|(p, _)| !p.is_empty());
    if out.is_empty()
        || out
            .iter()
            .any(|(p, _)| !p.starts_with('/') || p.contains("//"))
    {
        return None;
    }
    Some(out)
}

fn expand(pieces: &[RegexPiece], out: &mut Vec<(String, Params)>) -> Option<()> {
    for piece in pieces {
        match piece {
            RegexPiece::Literal(text) => out.iter_mut().for_each(|(p, _)| p.push_str(text)),
            RegexPiece::Param(name, pattern) => out.iter_mut().for_each(|(p, params)| {
                p.push('{');
                p.push_str(name);
                p.push('}');
                params.push((name.clone(), Some(pattern.clone())));
            }),
            RegexPiece::Optional(inner) => {
                let mut with = out.clone();
                expand(inner, &mut with)?;
                out.extend(with);
            }
            RegexPiece::Choice(options) => {
                let base = std::mem::take(out);
                for option in options {
                    out.extend(
                        base.iter()
                            .map(|(p, params)| (format!("{p}{option}"), params.clone())),
                    );
                }
            }
        }
        if out.len() > 16 {
            return None;
        }
    }
    Some(())
}

/// Parses a sequence up to an unmatched `)` or the end.
fn parse_sequence(chars: &[char], at: &mut usize) -> Option<Vec<RegexPiece>> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    while let Some(&c) = chars.get(*at) {
        match c {
            ')' => break,
            '\\' => {
                let escaped = *chars.get(*at + 1)?;
                if escaped.is_ascii_alphanumeric() {
                    return None;
                }
                literal.push(escaped);
                *at += 2;
            }
            '(' => {
                if !literal.is_empty() {
                    pieces.push(RegexPiece::Literal(std::mem::take(&mut literal)));
                }
                pieces.extend(parse_group(chars, at)?);
            }
            '.' | '[' | ']' | '*' | '+' | '?' | '{' | '}' | '|' | '^' | '$' => return None,
            c => {
                literal.push(c);
                *at += 1;
            }
        }
    }
    if !literal.is_empty() {
        pieces.push(RegexPiece::Literal(literal));
    }
    Some(pieces)
}

/// Parses a group at `(` into the pieces it stands for; none for a trailing query-string group
/// such as `([?].*)?`.
fn parse_group(chars: &[char], at: &mut usize) -> Option<Vec<RegexPiece>> {
    let close = matching_paren(chars, *at)?;
    let inner: String = chars[*at + 1..close].iter().collect();
    let optional = chars.get(close + 1) == Some(&'?');
    let end = if optional { close + 2 } else { close + 1 };

    // psoxy matches regexes against path and query, so rules end in `([?].*)?`.
    let query_tail = ["[?].*", "\\?.*", "?:[?].*", "?:\\?.*"];
    if optional && query_tail.contains(&inner.as_str()) && end == chars.len() {
        *at = end;
        return Some(Vec::new());
    }

    let sequence = if let Some(rest) = inner
        .strip_prefix("?<")
        .or_else(|| inner.strip_prefix("?P<"))
    {
        let (name, pattern) = rest.split_once('>')?;
        vec![RegexPiece::Param(name.to_owned(), pattern.to_owned())]
    } else {
        let body = inner.strip_prefix("?:").unwrap_or(&inner);
        if body.starts_with('?') {
            return None;
        }
        let alternatives = split_alternatives(body);
        if alternatives.len() > 1 {
            let literals = alternatives
                .iter()
                .map(|a| plain_literal(a))
                .collect::<Option<Vec<_>>>()?;
            vec![RegexPiece::Choice(literals)]
        } else {
            let body_chars: Vec<char> = body.chars().collect();
            let mut inner_at = 0;
            let sequence = parse_sequence(&body_chars, &mut inner_at)?;
            if inner_at != body_chars.len() {
                return None;
            }
            sequence
        }
    };
    *at = end;
    Some(if optional {
        vec![RegexPiece::Optional(sequence)]
    } else {
        sequence
    })
}

/// Text with only escaped punctuation and plain characters, unescaped; `None` otherwise.
fn plain_literal(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next()?;
                if e.is_ascii_alphanumeric() {
                    return None;
                }
                out.push(e);
            }
            '.' | '[' | ']' | '*' | '+' | '?' | '{' | '}' | '|' | '^' | '$' | '(' | ')' => {
                return None;
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Splits a regex on its top-level `|` (not inside a group or a class).
fn split_alternatives(body: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut in_class, mut escaped, mut start) = (0usize, false, false, 0);
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth = depth.saturating_sub(1),
            '|' if !in_class && depth == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts
}

fn matching_paren(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_class = false;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The literal start of a regex, with top-level named groups before the first other construct
/// turned into `{params}`: the fallback synthetic path.
fn regex_prefix(source: &str) -> (String, Params) {
    let chars: Vec<char> = source.trim_start_matches('^').chars().collect();
    let mut path = String::new();
    let mut params = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => match chars.get(i + 1) {
                Some(e) if !e.is_ascii_alphanumeric() => {
                    path.push(*e);
                    i += 2;
                }
                _ => break,
            },
            '(' => {
                let Some(close) = matching_paren(&chars, i) else {
                    break;
                };
                let inner: String = chars[i + 1..close].iter().collect();
                let Some((name, pattern)) = inner
                    .strip_prefix("?<")
                    .or_else(|| inner.strip_prefix("?P<"))
                    .and_then(|r| r.split_once('>'))
                else {
                    break;
                };
                if matches!(chars.get(close + 1), Some('?' | '*' | '+' | '{')) {
                    break;
                }
                path.push_str(&format!("{{{name}}}"));
                params.push((name.to_owned(), Some(pattern.to_owned())));
                i = close + 1;
            }
            '.' | '[' | '*' | '+' | '?' | '{' | '|' | '$' => break,
            c => {
                path.push(c);
                i += 1;
            }
        }
    }
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    (path, params)
}

/// An operation: one method on one path of one endpoint.
struct Operation<'a> {
    spec: &'a LoadedSpec,
    endpoint: &'a Endpoint,
    index: usize,
    shape: &'a PathShape,
    operation_id: String,
    /// The method, lowercase.
    method: String,
    any_method: bool,
    response_schema: Option<Value>,
}

impl Operation<'_> {
    fn to_json(&self) -> Value {
        let endpoint = self.endpoint;
        let mut parameters = Vec::new();

        for (name, pattern) in &self.shape.params {
            let written = endpoint
                .path_parameter_schemas
                .iter()
                .find(|(k, _)| k.value == *name)
                .map(|(_, s)| s);
            let (schema, description) = if name == REMAINDER && self.shape.remainder {
                (
                    json!({"type": "string"}),
                    "The rest of the path (it may contain `/`); together with what precedes \
                     it, the path must match `x-sluice-path-regex`."
                        .to_owned(),
                )
            } else if let Some(written) = written {
                (param_schema(written), param_description(written, true))
            } else if let Some(pattern) = pattern {
                (
                    json!({"type": "string", "pattern": format!("^(?:{pattern})$")}),
                    "A named group of the endpoint's path regex.".to_owned(),
                )
            } else {
                (json!({"type": "string"}), String::new())
            };
            let mut p = Map::new();
            p.insert("name".to_owned(), json!(name));
            p.insert("in".to_owned(), json!("path"));
            p.insert("required".to_owned(), json!(true));
            if !description.is_empty() {
                p.insert("description".to_owned(), json!(description));
            }
            p.insert("schema".to_owned(), schema);
            parameters.push(Value::Object(p));
        }

        let query_names: Vec<String> = match &endpoint.allowed_query_params {
            Some(allowed) => allowed.clone(),
            None => endpoint
                .query_param_schemas
                .keys()
                .map(|k| k.value.clone())
                .collect(),
        };
        for name in &query_names {
            let written = endpoint
                .query_param_schemas
                .iter()
                .find(|(k, _)| k.value == *name)
                .map(|(_, s)| s);
            let mut p = Map::new();
            p.insert("name".to_owned(), json!(name));
            p.insert("in".to_owned(), json!("query"));
            p.insert(
                "required".to_owned(),
                json!(written.and_then(|w| w.required).unwrap_or(false)),
            );
            match written {
                Some(w) => {
                    let description = param_description(w, false);
                    if !description.is_empty() {
                        p.insert("description".to_owned(), json!(description));
                    }
                    p.insert("schema".to_owned(), param_schema(w));
                }
                None => {
                    p.insert("schema".to_owned(), json!({"type": "string"}));
                }
            }
            parameters.push(Value::Object(p));
        }

        let headers = allowed_headers(self.spec, endpoint);
        for header in &headers {
            if RESERVED_HEADERS.contains(&header.to_ascii_lowercase().as_str()) {
                continue;
            }
            parameters.push(json!({
                "name": header,
                "in": "header",
                "required": false,
                "description": "Forwarded to the upstream unchanged.",
                "schema": {"type": "string"},
            }));
        }
        let async_enabled = self.spec.spec.enable_async_processing;
        if async_enabled {
            parameters.push(json!({"$ref": "#/components/parameters/Prefer"}));
            parameters.push(json!({"$ref": "#/components/parameters/AcceptAsynchronous"}));
            parameters.push(json!({"$ref": "#/components/parameters/AsynchronousEndPoint"}));
            parameters.push(json!({"$ref": "#/components/parameters/IdempotencyKey"}));
        }

        let mut description = Vec::new();
        if let Some(regex) = &self.shape.regex {
            description.push(format!(
                "Synthetic path: the rules match this endpoint with the regular expression \
                 `{regex}` (psoxy `pathRegex`, tried against the path and query), given as \
                 `x-sluice-path-regex`."
            ));
        }
        if self.any_method {
            description.push(
                "The rules name no `allowedMethods`, so the proxy forwards any method; only GET \
                 is described here."
                    .to_owned(),
            );
        }
        match &endpoint.allowed_query_params {
            Some(q) if q.is_empty() => {
                description.push("No query parameters are allowed.".to_owned());
            }
            Some(_) => description
                .push("Any query parameter not listed here is refused with 403.".to_owned()),
            None => description.push(
                "The rules do not restrict query parameters: any is forwarded, those listed \
                 here are checked."
                    .to_owned(),
            ),
        }
        if headers.is_empty() {
            description.push("No caller request headers are forwarded upstream.".to_owned());
        }

        let mut ok = Map::new();
        ok.insert(
            "description".to_owned(),
            json!(format!(
                "The upstream's response, sanitized.\n\n{}",
                crate::scaffold::sanitization_summary(endpoint)
            )),
        );
        let schema = self.response_schema.clone().unwrap_or_else(|| json!({}));
        ok.insert(
            "content".to_owned(),
            json!({"application/json": {"schema": schema}}),
        );

        let method = self.method.as_str();
        let responses = operation_responses(
            Value::Object(ok),
            async_enabled,
            !matches!(method, "get" | "head"),
        );

        let transforms = serde_json::to_value(
            endpoint
                .transforms
                .iter()
                .map(|t| &t.value)
                .collect::<Vec<_>>(),
        )
        .unwrap_or(Value::Null);

        let mut op = Map::new();
        op.insert("operationId".to_owned(), json!(self.operation_id));
        op.insert(
            "summary".to_owned(),
            json!(match (&endpoint.path_template, &endpoint.path_regex) {
                (Some(t), _) => t.value.clone(),
                (None, Some(r)) => format!("~{}", r.as_str()),
                (None, None) => String::new(),
            }),
        );
        op.insert("description".to_owned(), json!(description.join("\n\n")));
        op.insert("parameters".to_owned(), Value::Array(parameters));
        op.insert("responses".to_owned(), responses);
        op.insert("x-sluice-endpoint-index".to_owned(), json!(self.index));
        if !headers.is_empty() {
            op.insert("x-sluice-forwarded-headers".to_owned(), json!(headers));
        }
        if !endpoint.transforms.is_empty() {
            op.insert("x-sluice-transforms".to_owned(), transforms);
        }
        Value::Object(op)
    }
}

/// The request headers forwarded for an endpoint: the rules' global ones, then its own.
pub(crate) fn allowed_headers(spec: &LoadedSpec, endpoint: &Endpoint) -> Vec<String> {
    let mut headers: Vec<String> = Vec::new();
    for h in spec
        .rules
        .allowed_request_headers
        .iter()
        .chain(endpoint.allowed_request_headers.iter().flatten())
    {
        if !headers.iter().any(|k| k.eq_ignore_ascii_case(h)) {
            headers.push(h.clone());
        }
    }
    headers
}

fn is_token(schema: &ParameterSchema) -> bool {
    schema.format.as_deref() == Some("reversible-pseudonym")
        || schema.ors.iter().any(is_token)
        || schema.any_of.iter().any(is_token)
}

/// A parameter schema as JSON Schema.
pub(crate) fn param_schema(schema: &ParameterSchema) -> Value {
    let mut out = Map::new();
    if let Some(t) = schema.value_type {
        out.insert(
            "type".to_owned(),
            json!(match t {
                ParamType::String => "string",
                ParamType::Integer => "integer",
                ParamType::Number => "number",
            }),
        );
    }
    if let Some(f) = &schema.format {
        out.insert("format".to_owned(), json!(f));
    }
    if schema.value_type == Some(ParamType::Integer) {
        // The proxy takes ASCII digits only: no sign.
        out.insert("minimum".to_owned(), json!(0));
    }
    match (&schema.pattern, schema.format.as_deref()) {
        (Some(p), _) => {
            out.insert("pattern".to_owned(), json!(anchored(p.as_str())));
        }
        (None, Some("reversible-pseudonym")) => {
            out.insert("pattern".to_owned(), json!(REVERSIBLE_TOKEN_PATTERN));
        }
        _ => {}
    }
    if let Some(e) = &schema.enum_values {
        out.insert("enum".to_owned(), json!(e));
    }
    if let Some(c) = &schema.constant {
        out.insert("const".to_owned(), json!(c));
    }
    let any_of = |list: &[ParameterSchema]| Value::Array(list.iter().map(param_schema).collect());
    match (schema.ors.is_empty(), schema.any_of.is_empty()) {
        (true, true) => {}
        (false, true) => {
            out.insert("anyOf".to_owned(), any_of(&schema.ors));
        }
        (true, false) => {
            out.insert("anyOf".to_owned(), any_of(&schema.any_of));
        }
        (false, false) => {
            out.insert(
                "allOf".to_owned(),
                json!([{"anyOf": any_of(&schema.ors)}, {"anyOf": any_of(&schema.any_of)}]),
            );
        }
    }
    if out.is_empty() {
        out.insert("type".to_owned(), json!("string"));
    }
    Value::Object(out)
}

/// What a reversible pseudonym looks like: `p~` and at least 43 URL-safe base64 characters.
/// A value of this shape that this proxy did not issue is refused with 409.
pub const REVERSIBLE_TOKEN_PATTERN: &str = "^p~[A-Za-z0-9_-]{43,}$";

/// A parameter pattern as the proxy applies it: to the whole value (JSON Schema patterns match
/// anywhere, so one not anchored at both ends is wrapped).
fn anchored(pattern: &str) -> String {
    let whole = pattern.starts_with('^')
        && pattern.ends_with('$')
        && !pattern.ends_with("\\$")
        && split_alternatives(pattern).len() == 1;
    if whole {
        pattern.to_owned()
    } else {
        format!("^(?:{pattern})$")
    }
}

fn param_description(schema: &ParameterSchema, path: bool) -> String {
    if schema.format.as_deref() == Some("reversible-pseudonym") {
        let what = if path { "path segment" } else { "value" };
        return format!(
            "A reversible pseudonym (`p~…`) taken from an earlier response; the proxy decrypts \
             it before calling the upstream. A plain {what} is refused (403), a token this \
             proxy did not issue too (409)."
        );
    }
    if is_token(schema) {
        return "A reversible pseudonym (`p~…`) taken from an earlier response, which the proxy \
                decrypts before calling the upstream, or one of the other forms below."
            .to_owned();
    }
    String::new()
}

/// A response schema as JSON Schema, its `$ref`s pointing into `components`.
fn response_schema_value(
    schema: &sluice_spec::response_schema::ResponseSchema,
    component: Option<&str>,
    rules: &sluice_spec::Rules,
) -> Value {
    let mut value = serde_json::to_value(schema).unwrap_or(Value::Null);
    let local: Vec<String> = schema
        .definitions
        .as_ref()
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    if let Value::Object(map) = &mut value
        && let Some(defs) = map.remove("definitions")
    {
        map.insert("$defs".to_owned(), defs);
    }
    rewrite_refs(&mut value, &|name: &str| match component {
        Some(c) if local.iter().any(|l| l == name) => {
            format!("#/components/schemas/{c}/$defs/{name}")
        }
        _ if rules.definitions.contains_key(name) => format!("#/components/schemas/{name}"),
        Some(c) => format!("#/components/schemas/{c}/$defs/{name}"),
        None => format!("#/components/schemas/{name}"),
    });
    value
}

fn rewrite_refs(value: &mut Value, target: &dyn Fn(&str) -> String) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                let name = r
                    .strip_prefix("#/definitions/")
                    .or_else(|| r.strip_prefix("#/$defs/"));
                if let Some(name) = name {
                    *r = target(name);
                }
            }
            for v in map.values_mut() {
                rewrite_refs(v, target);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, target)),
        _ => {}
    }
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "An RFC 9457 problem details document. `type` is stable per cause (`/_sluice/problems/blocked-by-rules`, `…/invalid-parameter`, `…/upstream-timeout`, …); branch on it, not on `title` or `detail`.",
        "properties": {
            "type": {"type": "string", "format": "uri-reference", "examples": ["/_sluice/problems/blocked-by-rules"]},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "request_id": {"type": "string"},
        },
        "required": ["type", "title", "status"],
        "additionalProperties": true,
    })
}

fn job_schema() -> Value {
    json!({
        "type": "object",
        "description": "An asynchronous job, as the status monitor reports it. `status` uses the vocabulary of Azure long-running operations.",
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["notStarted", "running", "succeeded", "failed", "canceled"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "request": {
                "type": "object",
                "properties": {
                    "method": {"type": "string"},
                    "path": {"type": "string"},
                    "query": {"type": ["string", "null"]},
                },
                "required": ["method", "path"],
            },
            "progress": {"type": ["object", "null"]},
            "result": {
                "description": "Where the sanitized result is, once the job succeeded.",
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "properties": {
                            "location": {"type": "string", "format": "uri"},
                            "size": {"type": "integer", "minimum": 0},
                            "content_type": {"type": "string"},
                            "upstream_status": {"type": "integer"},
                            "expires_at": {"type": "string", "format": "date-time"},
                        },
                    },
                ],
            },
            "resourceLocation": {"type": "string", "format": "uri", "description": "Present once the job succeeded: where its result is fetched."},
            "error": {
                "description": "The job's problem once it failed, with `code` (the problem's slug, e.g. `upstream-error`) and `message` (its detail) for Azure and OData clients.",
                "oneOf": [
                    {"type": "null"},
                    {"allOf": [
                        {"$ref": "#/components/schemas/Problem"},
                        {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
                    ]},
                ],
            },
            "callback": {"type": ["object", "null"]},
            "idempotency_key": {"type": ["string", "null"]},
        },
        "required": ["id", "status"],
        "additionalProperties": true,
    })
}

fn job_list_schema() -> Value {
    json!({
        "type": "object",
        "description": "A page of the caller's jobs, newest first.",
        "properties": {
            "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
            "next_page_token": {"type": ["string", "null"], "description": "Pass as `page_token` for the next page; null on the last."},
        },
        "required": ["jobs", "next_page_token"],
    })
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    })
}

/// A problem response that carries `header` (required), e.g. `Allow` with a 405.
fn problem_response_with(description: &str, header: &str, about: &str, schema: Value) -> Value {
    let mut response = problem_response(description);
    response["headers"] =
        json!({header: {"description": about, "required": true, "schema": schema}});
    response
}

fn retry_after() -> Value {
    json!({"type": "integer", "minimum": 1})
}

fn problem_responses(async_enabled: bool) -> Value {
    let mut responses = json!({
        "BadRequest": problem_response("The request cannot be taken as written: a path with dot segments or encoded separators (`invalid-path`), or, on a connector with asynchronous processing, a malformed `Accept-Asynchronous`, `Asynchronous-End-Point` or `Idempotency-Key` (`bad-async-request`), a callback URL the proxy refuses to call (`invalid-callback`), or a synchronous call to an endpoint that answers only asynchronously (`async-required`)."),
        "Unauthorized": problem_response("The caller's credentials are missing or invalid."),
        "Forbidden": problem_response("The connector's rules do not allow this request: unknown path, a query parameter not allowed, or a parameter value that fails its schema (`blocked-by-rules`, `query-param-not-allowed`, `invalid-parameter`, `regex-limit-exceeded`)."),
        "MethodNotAllowed": problem_response_with(
            "No endpoint with this path allows this method (`method-not-allowed`).",
            "Allow",
            "The methods the endpoints with this path allow.",
            json!({"type": "string"}),
        ),
        "InvalidToken": problem_response("A reversible pseudonym (`p~…`) in the path or query does not decrypt with this proxy's key, or stands for a value that cannot go where it stands (`invalid-token`)."),
        "PayloadTooLarge": problem_response("The request body is larger than the proxy accepts (`payload-too-large`)."),
        "TooManyRequests": problem_response_with(
            "The caller has too many requests in flight upstream, sent too many refused reversible tokens, or polls jobs faster than the proxy allows (`too-many-requests`).",
            "Retry-After",
            "Seconds to wait before trying again.",
            retry_after(),
        ),
        "NotFound": problem_response("No such job for this caller: never created, another caller's, or past retention (`job-not-found`)."),
        "BadGateway": problem_response("The upstream could not be reached, answered with an error whose body cannot be sanitized (withheld), or sent a response that cannot be sanitized."),
        "InternalError": problem_response("The proxy failed, or a side output marked `required` could not be written."),
        "GatewayTimeout": problem_response("The upstream did not answer in time, or the request took longer than the proxy's limit."),
        "UpstreamClientError": {
            "description": "The upstream's own error answer (its status), sanitized by the endpoint's rules; or, when its body cannot be sanitized, a problem (`upstream-error`) with the upstream's status.",
            "content": {
                "application/json": {"schema": {}},
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
            },
        },
        "UpstreamServerError": {
            "description": "The upstream's own server error (its status), sanitized by the endpoint's rules; or a problem (`upstream-error`) with that status when its body cannot be sanitized.",
            "content": {
                "application/json": {"schema": {}},
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
            },
        },
    });
    if async_enabled {
        let extra = json!({
            "Accepted": {
                "description": "Accepted for asynchronous processing (`Prefer: respond-async` or `Accept-Asynchronous`). Poll `Location` (202 while pending, then 303 to the result) or `Operation-Location` (200 with the job's status).",
                "headers": {
                    "Location": {"description": "The job's status monitor, `{base}/_sluice/jobs/{id}` (absolute), or, when results are echoed, the original request URL.", "required": true, "schema": {"type": "string", "format": "uri"}},
                    "Operation-Location": {"description": "The job's status resource, `{base}/_sluice/jobs/{id}?view=status` (absolute).", "required": true, "schema": {"type": "string", "format": "uri"}},
                    "Retry-After": {"description": "Seconds to wait before polling.", "required": true, "schema": retry_after()},
                    "Preference-Applied": {"required": true, "schema": {"type": "string", "const": "respond-async"}},
                    "Vary": {"schema": {"type": "string"}},
                },
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}},
            },
            "IdempotencyConflict": problem_response("The `Idempotency-Key` was already used by this caller for another request."),
            "QueueFull": problem_response_with(
                "The proxy's job queue is full (`queue-full`).",
                "Retry-After",
                "Seconds to wait before trying again.",
                retry_after(),
            ),
        });
        if let (Value::Object(all), Value::Object(extra)) = (&mut responses, extra) {
            all.extend(extra);
        }
    }
    responses
}

/// The responses of an upstream operation: its sanitized answer, and every status the proxy
/// itself can answer.
fn operation_responses(ok: Value, async_enabled: bool, body: bool) -> Value {
    let r = |name: &str| json!({"$ref": format!("#/components/responses/{name}")});
    let mut responses = Map::new();
    responses.insert("200".to_owned(), ok);
    if async_enabled {
        responses.insert("202".to_owned(), r("Accepted"));
    }
    responses.insert(
        "304".to_owned(),
        json!({"description": "Not modified: `If-None-Match` names the entity tag the proxy gave this sanitized answer."}),
    );
    responses.insert("400".to_owned(), r("BadRequest"));
    responses.insert("401".to_owned(), r("Unauthorized"));
    responses.insert("403".to_owned(), r("Forbidden"));
    responses.insert("405".to_owned(), r("MethodNotAllowed"));
    responses.insert("409".to_owned(), r("InvalidToken"));
    if body || async_enabled {
        responses.insert("413".to_owned(), r("PayloadTooLarge"));
    }
    if async_enabled {
        responses.insert("422".to_owned(), r("IdempotencyConflict"));
    }
    responses.insert("429".to_owned(), r("TooManyRequests"));
    responses.insert("500".to_owned(), r("InternalError"));
    responses.insert("502".to_owned(), r("BadGateway"));
    if async_enabled {
        responses.insert("503".to_owned(), r("QueueFull"));
    }
    responses.insert("504".to_owned(), r("GatewayTimeout"));
    responses.insert("4XX".to_owned(), r("UpstreamClientError"));
    responses.insert("5XX".to_owned(), r("UpstreamServerError"));
    Value::Object(responses)
}

fn async_parameters() -> Value {
    json!({
        "Prefer": {
            "name": "Prefer",
            "in": "header",
            "required": false,
            "description": "`respond-async` answers `202 Accepted` at once with a job (RFC 7240); `respond-async, wait=N` answers synchronously if the result is ready within N seconds. Other preferences are ignored.",
            "schema": {"type": "string", "examples": ["respond-async", "respond-async, wait=5"]},
        },
        "AcceptAsynchronous": {
            "name": "Accept-Asynchronous",
            "in": "header",
            "required": false,
            "description": "Asks for asynchronous processing, like `Prefer: respond-async` (case-insensitive). `polling`: no callback, poll the job. `notify` POSTs the job's metadata to `Asynchronous-End-Point` when it ends, `response` POSTs the sanitized result; both need `Asynchronous-End-Point` (without it: 400 `bad-async-request`). Callbacks are signed per Standard Webhooks and retried with backoff.",
            "schema": {"type": "string", "enum": ["polling", "notify", "response"]},
        },
        "AsynchronousEndPoint": {
            "name": "Asynchronous-End-Point",
            "in": "header",
            "required": false,
            "description": "The callback URL, required with `Accept-Asynchronous: notify` or `response` and ignored otherwise: an absolute `https://` (or `http://`) URL with a host and no user name or password. A host that is not public (loopback, private, link-local) is refused (400 `invalid-callback`) unless `SLUICE_CALLBACK_ALLOW_NETWORKS` allows it.",
            "schema": {"type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@]+"},
        },
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Makes an asynchronous request safe to resend: the same key from the same caller for the same request answers the job already accepted; for another request, 422. 1 to 255 visible ASCII characters other than `\"`, which may be written in double quotes (a Structured Fields string).",
            "schema": {"type": "string", "pattern": "^\"?[!#-~]{1,255}\"?$"},
        },
    })
}

/// The `/_sluice/` control routes, and for a connector with asynchronous processing its job
/// routes (the asynchronous contract in docs/decisions.md).
fn control_routes(paths: &mut Map<String, Value>, async_enabled: bool) {
    let r = |name: &str| json!({"$ref": format!("#/components/responses/{name}")});
    let job = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}});
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}});
    // Every job route: authentication, unknown jobs, the per-caller poll rate, 405 (+ Allow).
    let job_errors = |with_not_found: bool| {
        let mut map = Map::new();
        map.insert(
            "400".to_owned(),
            problem_response(
                "A query parameter this route does not take, or a bad value (`invalid-parameter`).",
            ),
        );
        map.insert("401".to_owned(), r("Unauthorized"));
        if with_not_found {
            map.insert("404".to_owned(), r("NotFound"));
        }
        map.insert("405".to_owned(), r("MethodNotAllowed"));
        map.insert("429".to_owned(), r("TooManyRequests"));
        map
    };
    let with = |mut base: Map<String, Value>, extra: Value| {
        if let Value::Object(extra) = extra {
            base.extend(extra);
        }
        Value::Object(base)
    };
    let monitor_responses = with(
        job_errors(true),
        json!({
            "200": {"description": "With `view=status`: the job, whatever its status (Azure's `Operation-Location` form).", "content": job},
            "202": {"description": "Without `view`: the job is `notStarted` or `running`; poll again after `Retry-After`.", "headers": {"Retry-After": {"required": true, "schema": retry_after()}}, "content": job},
            "303": {"description": "Without `view`: the job ended (`succeeded`, `failed` or `canceled`); `Location` is its result (`{base}/_sluice/jobs/{id}/result`; with echoed results the original request URL; with presigned results a presigned object URL for a succeeded job).", "headers": {"Location": {"required": true, "schema": {"type": "string", "format": "uri"}}}, "content": job},
        }),
    );
    let view = json!({"name": "view", "in": "query", "required": false, "description": "`status` answers 200 with the job whatever its status (the `Operation-Location` of a 202); without it the route answers 202 while pending and 303 once ended.", "schema": {"type": "string", "enum": ["status"]}});
    let result_responses = with(
        job_errors(true),
        json!({
            "200": {
                "description": "The stored sanitized result, with the upstream's content type (and its own 2xx status), `Content-Length`, `Expires` and `Sluice-Job`.",
                "headers": {"Sluice-Job": {"schema": {"type": "string"}}, "Expires": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {}}},
            },
            "2XX": {"description": "The upstream's own 2xx status, with the stored sanitized result.", "content": {"application/json": {"schema": {}}}},
            "303": {"description": "With presigned results: a presigned URL of the result object.", "headers": {"Location": {"required": true, "schema": {"type": "string", "format": "uri"}}}},
            "409": problem_response("The job has no result: it is still `notStarted` or `running`, or was canceled (`no-result`)."),
            "4XX": problem_response("The job failed: its problem, with its status (the upstream's own error status for `upstream-error`)."),
            "5XX": problem_response("The job failed: its problem, with its status (502 or 504 for an upstream that failed, 500 for the proxy)."),
        }),
    );
    let list_responses = with(
        job_errors(!async_enabled),
        json!({
            "200": {
                "description": "A page of the caller's jobs; `Link: <…>; rel=\"next\"` when there are more.",
                "headers": {"Link": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobList"}}},
            },
        }),
    );
    let not_allowed = |allow: &str| {
        json!({"405": problem_response_with(
            "Any other method (`method-not-allowed`).",
            "Allow",
            "The methods this route answers.",
            json!({"type": "string", "const": allow}),
        )})
    };
    let control = |operation_id: &str, summary: &str, description: &str, ok: Value| {
        json!({
            "operationId": operation_id,
            "summary": summary,
            "tags": ["sluice"],
            "security": [],
            "description": description,
            "responses": with(ok.as_object().cloned().unwrap_or_default(), not_allowed("GET, HEAD")),
        })
    };
    // Control routes need no caller credentials (`security: []`) and answer GET and HEAD.
    let routes = json!({
        "/_sluice/healthz": {"get": control(
            "sluiceHealthz",
            "Liveness",
            "200 while the process runs.",
            json!({"200": {"description": "The proxy is alive.", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ok"}}}}}}}),
        )},
        "/_sluice/readyz": {"get": control(
            "sluiceReadyz",
            "Readiness",
            "200 when the encryption key is derived and every bucket the proxy writes to (async results, side outputs) answers.",
            json!({
                "200": {"description": "Ready.", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ready"}}}}}},
                "503": problem_response("Not ready; `detail` names the bucket that does not answer."),
            }),
        )},
        "/_sluice/metrics": {"get": control(
            "sluiceMetrics",
            "Prometheus metrics",
            "The proxy's metrics.",
            json!({"200": {"description": "Metrics in the OpenMetrics text format, which Prometheus scrapes.", "content": {"application/openmetrics-text; version=1.0.0; charset=utf-8": {"schema": {"type": "string"}}}}}),
        )},
        "/_sluice/jobs": {"get": {
            "operationId": "sluiceListJobs",
            "summary": "Asynchronous jobs",
            "tags": ["sluice"],
            "description": format!("The caller's jobs within retention, a page at a time. Other methods: 405 with `Allow: GET, HEAD`."),
            "parameters": [
                {"name": "page_size", "in": "query", "required": false, "description": "Jobs per page (default 100).", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                {"name": "page_token", "in": "query", "required": false, "description": "The `next_page_token` of the previous page.", "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
            ],
            "responses": list_responses,
        }},
        "/_sluice/jobs/{id}": {
            "parameters": [id],
            "get": {
                "operationId": "sluiceGetJob",
                "summary": "Job status monitor",
                "tags": ["sluice"],
                "description": format!("The `Location` of a 202: 202 with the job while it is `notStarted` or `running`, 303 to its result once it ended. With `?view=status` (the `Operation-Location` of a 202): 200 with the job whatever its status; a failed job carries its problem in `error`, a succeeded one its `resourceLocation`. 404 for a job that does not exist or is not the caller's. Other methods than GET, HEAD and DELETE: 405."),
                "parameters": [view],
                "responses": monitor_responses,
            },
            "delete": {
                "operationId": "sluiceCancelJob",
                "summary": "Cancel a job",
                "tags": ["sluice"],
                "description": format!("Cancels a `notStarted` or `running` job; a job that already ended keeps its status."),
                "responses": with(job_errors(true), json!({
                    "200": {"description": "The job: `canceled`, or its terminal status if it had already ended.", "content": job},
                })),
            },
        },
        "/_sluice/jobs/{id}/result": {
            "parameters": [id],
            "get": {
                "operationId": "sluiceGetJobResult",
                "summary": "Job result",
                "tags": ["sluice"],
                "description": format!("The sanitized result of a succeeded job, served from the store (or a 303 to a presigned URL); a failed job's problem with its status; 409 `no-result` while the job is pending or once canceled. Other methods: 405 with `Allow: GET, HEAD`."),
                "responses": result_responses,
            },
        },
    });
    if let Value::Object(routes) = routes {
        // Without asynchronous processing there are no jobs, and no job routes to describe.
        paths.extend(
            routes
                .into_iter()
                .filter(|(path, _)| async_enabled || !path.starts_with("/_sluice/jobs")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(regex: &str) -> Vec<String> {
        let endpoint = Endpoint {
            path_regex: Some(sluice_spec::Located::unlocated(
                sluice_spec::regex::SpecRegex::new(regex).unwrap(),
            )),
            ..Endpoint::default()
        };
        endpoint_paths(&endpoint)
            .into_iter()
            .map(|s| s.path)
            .collect()
    }

    #[test]
    fn simple_regexes_expand_to_the_paths_they_match() {
        assert_eq!(
            paths(r"^/repos/(?<owner>[^/]+)/issues(/(?<n>[0-9]+))?/comments([?].*)?$"),
            [
                "/repos/{owner}/issues/comments",
                "/repos/{owner}/issues/{n}/comments"
            ]
        );
        assert_eq!(
            paths(r"^/v1\.0/(users|groups)$"),
            ["/v1.0/users", "/v1.0/groups"]
        );
        assert_eq!(
            paths(r"^/v1\.0/users/(?<id>[^/]+)(/mailFolders/(?<f>a|b))?/messages$"),
            [
                "/v1.0/users/{id}/messages",
                "/v1.0/users/{id}/mailFolders/{f}/messages"
            ]
        );
    }

    fn document(async_enabled: bool) -> Value {
        let yaml = format!(
            "name: demo\ntarget_host: api.example.com\nenable_async_processing: {async_enabled}\n\
             rules:\n  endpoints:\n    - pathTemplate: /users/{{user}}\n      allowedMethods: [GET]\n\
             \x20     allowedQueryParams: [owner, page, q]\n      pathParameterSchemas:\n\
             \x20       user: {{ format: reversible-pseudonym }}\n      queryParamSchemas:\n\
             \x20       owner: {{ or: [ {{ format: reversible-pseudonym }}, {{ enum: [me] }} ] }}\n\
             \x20       page: {{ type: integer }}\n        q: {{ pattern: \"[a-z]+\" }}\n"
        );
        openapi(&sluice_spec::parse_spec("specs/demo.yaml".as_ref(), &yaml).unwrap())
    }

    #[test]
    fn parameters_say_what_the_policy_accepts() {
        let doc = document(false);
        let params = doc["paths"]["/users/{user}"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let schema =
            |name: &str| params.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
        assert_eq!(schema("user")["pattern"], REVERSIBLE_TOKEN_PATTERN);
        assert_eq!(
            schema("owner")["anyOf"][0]["pattern"],
            REVERSIBLE_TOKEN_PATTERN
        );
        assert_eq!(schema("owner")["anyOf"][1]["enum"], json!(["me"]));
        // Patterns apply to the whole value, so the empty value is refused as the proxy does.
        assert_eq!(schema("q")["pattern"], "^(?:[a-z]+)$");
        assert_eq!(schema("page")["minimum"], 0);
        assert_eq!(anchored("^[a-z]+$"), "^[a-z]+$");
        assert_eq!(anchored("^a|b$"), "^(?:^a|b$)$");
    }

    #[test]
    fn every_operation_lists_the_statuses_the_proxy_answers() {
        for async_enabled in [false, true] {
            let doc = document(async_enabled);
            let responses = &doc["paths"]["/users/{user}"]["get"]["responses"];
            for status in [
                "200", "400", "401", "403", "405", "409", "429", "502", "504", "4XX", "5XX",
            ] {
                assert!(responses[status].is_object(), "{status} ({async_enabled})");
            }
            assert_eq!(responses["202"].is_object(), async_enabled);
            let not_allowed = &doc["components"]["responses"]["MethodNotAllowed"];
            assert_eq!(not_allowed["headers"]["Allow"]["required"], true);
            let too_many = &doc["components"]["responses"]["TooManyRequests"];
            assert_eq!(too_many["headers"]["Retry-After"]["required"], true);
        }
    }

    #[test]
    fn job_and_control_routes_follow_the_async_contract() {
        let doc = document(true);
        let paths = &doc["paths"];
        for (path, methods) in [
            ("/_sluice/jobs", &["get"][..]),
            ("/_sluice/jobs/{id}", &["get", "delete"][..]),
            ("/_sluice/jobs/{id}/result", &["get"][..]),
            ("/_sluice/healthz", &["get"][..]),
            ("/_sluice/readyz", &["get"][..]),
            ("/_sluice/metrics", &["get"][..]),
        ] {
            for method in methods {
                let responses = &paths[path][method]["responses"];
                assert!(responses["405"].is_object(), "{method} {path}");
                if path.starts_with("/_sluice/jobs") {
                    assert!(responses["429"].is_object(), "{method} {path}");
                    assert!(responses["401"].is_object(), "{method} {path}");
                }
            }
        }
        let monitor = &paths["/_sluice/jobs/{id}"]["get"];
        assert_eq!(
            monitor["parameters"][0]["schema"]["enum"],
            json!(["status"])
        );
        for status in ["200", "202", "303", "404"] {
            assert!(monitor["responses"][status].is_object(), "{status}");
        }
        let result = &paths["/_sluice/jobs/{id}/result"]["get"]["responses"];
        assert!(
            result["409"].is_object() && result["4XX"].is_object() && result["5XX"].is_object()
        );
        let list = &doc["components"]["schemas"]["JobList"];
        assert_eq!(list["required"], json!(["jobs", "next_page_token"]));
        let accept = &doc["components"]["parameters"]["AcceptAsynchronous"]["schema"];
        assert_eq!(accept["enum"], json!(["polling", "notify", "response"]));
        let accepted = &doc["components"]["responses"]["Accepted"]["headers"];
        for header in [
            "Location",
            "Operation-Location",
            "Retry-After",
            "Preference-Applied",
        ] {
            assert!(accepted[header].is_object(), "{header}");
        }
    }

    #[test]
    fn other_regexes_get_their_literal_prefix_and_a_remainder_parameter() {
        assert_eq!(
            paths(r"^/api/(?<x>[a-z]+)/.*$"),
            ["/api/{x}/{pathRemainder}"]
        );
        assert_eq!(paths(r"(?i)^/x$"), ["/{pathRemainder}"]);
    }
}
