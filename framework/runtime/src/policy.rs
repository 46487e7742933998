//! The request policy: which endpoint of the rules a request is for, and whether the rules allow
//! it (method, query parameters and their schemas, path parameter schemas). Nothing a caller
//! sends reaches the upstream unless an endpoint allows it.
//!
//! Matching follows psoxy: endpoints in file order, the first that matches wins; a `pathTemplate`
//! matches the raw path (ASCII case-insensitively), a `pathRegex` the raw path plus `?query`
//! (case-insensitively, whole string); an endpoint whose path matches but whose query does not
//! validate does not match, and the search goes on. When nothing matches, the refusal explains
//! the first near miss, or that no endpoint has this path.

use sluice_spec::param::{ParamType, ParameterSchema};
use sluice_spec::path_template::PathTemplate;
use sluice_spec::regex::{Matcher, SpecRegex};
use sluice_spec::rules::{Endpoint, Rules};

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::problem::{Problem, ProblemType};
use crate::pseudonym::{Pseudonymizer, TokenError};

/// Characters encoded when a decrypted value is put into a path segment: anything that would
/// end or restructure the segment.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\');
/// Characters encoded when a decrypted value is put into a query string.
const QUERY_VALUE: &AsciiSet = &PATH_SEGMENT.add(b'&').add(b'=').add(b'+').add(b';');

/// The path and query to send upstream: the caller's, with every reversible `p~` token replaced
/// by its original. An original is data, never structure: one that is empty, `.` or `..`, or
/// holds `/`, `\`, `?`, `#` or a control character (and, in a query, `&`, `=` or `;`) is refused
/// rather than encoded, since an upstream or an intermediary may decode it again; the rest is
/// percent-encoded for where it lands. A token that does not open, or whose original is refused,
/// refuses the request (the error says why, for the log): it is never forwarded.
pub fn upstream_target(
    pseudonymizer: &Pseudonymizer,
    path: &str,
    query: Option<&str>,
) -> Result<(String, Option<String>), TokenError> {
    let path = pseudonymizer.reverse_tokens_with(path, |v| {
        (is_data(v, PATH_DELIMITERS) && !is_dot_segment(v))
            .then(|| utf8_percent_encode(v, PATH_SEGMENT).to_string())
    })?;
    let query = query
        .map(|q| {
            pseudonymizer.reverse_tokens_with(q, |v| {
                is_data(v, QUERY_DELIMITERS)
                    .then(|| utf8_percent_encode(v, QUERY_VALUE).to_string())
            })
        })
        .transpose()?;
    Ok((path, query))
}

/// Characters a decrypted value may not hold in a path segment.
const PATH_DELIMITERS: &[char] = &['/', '\\', '?', '#'];
/// Characters a decrypted value may not hold in a query value.
const QUERY_DELIMITERS: &[char] = &['/', '\\', '?', '#', '&', '=', ';'];

/// Whether a decrypted value can stand in a URL as data: not empty, no control character, none
/// of `delimiters`.
fn is_data(value: &str, delimiters: &[char]) -> bool {
    !value.is_empty() && !value.contains(|c: char| c.is_control() || delimiters.contains(&c))
}

/// `.` or `..`: a segment a URL resolver removes together with its neighbours.
fn is_dot_segment(segment: &str) -> bool {
    matches!(segment, "." | "..")
}

/// Refuses request paths that some upstream, proxy or framework would resolve to another
/// resource than the one the rules checked: `.` and `..` segments (raw, percent-encoded, or
/// encoded twice), encoded separators (`%2F`, `%5C`, also encoded twice) and backslashes.
/// Runs before matching, so no rule ever sees such a path.
pub fn check_path(path: &str) -> Result<(), Problem> {
    let refuse = |why: &str| {
        Err(Problem::new(
            ProblemType::InvalidPath,
            format!(
                "the request path {why}; send the path of the resource itself, without dot \
                 segments or encoded separators"
            ),
        ))
    };
    if path.contains('\\') {
        return refuse("holds a backslash");
    }
    for segment in path.split('/') {
        // Decoded twice: an intermediary that decodes once more must not see a separator or a
        // dot segment either.
        let once = percent_decode_str(segment).decode_utf8_lossy();
        let twice = percent_decode_str(&once).decode_utf8_lossy();
        if [&*once, &*twice].iter().any(|s| s.contains(['/', '\\'])) {
            return refuse("holds an encoded `/` or `\\`");
        }
        if is_dot_segment(segment) || is_dot_segment(&once) || is_dot_segment(&twice) {
            return refuse("holds a `.` or `..` segment");
        }
    }
    Ok(())
}

/// The rules' request side, compiled once.
#[derive(Debug, Clone)]
pub struct RequestPolicy {
    endpoints: Vec<EndpointPolicy>,
}

#[derive(Debug, Clone)]
struct EndpointPolicy {
    path: PathMatcher,
    methods: Option<Vec<String>>,
    allowed_query: Option<Vec<String>>,
    query_schemas: Vec<(String, ParamCheck)>,
    path_schemas: Vec<(String, ParamCheck)>,
    forward_headers: Vec<String>,
}

#[derive(Debug, Clone)]
enum PathMatcher {
    Template(PathTemplate),
    /// Anchored, case-insensitive; matched against `path[?query]`.
    Regex(Matcher),
}

/// A request the rules allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed<'p> {
    /// Index of the endpoint in the rules.
    pub endpoint: usize,
    /// The path parameters, by name, as they appear in the (raw) path.
    pub path_params: Vec<(String, String)>,
    /// Lowercased names of the request headers that may be forwarded.
    pub forward_headers: &'p [String],
}

impl RequestPolicy {
    /// Compiles the request side of `rules`.
    pub fn new(rules: &Rules) -> Self {
        let shared: Vec<String> = rules
            .allowed_request_headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let endpoints = rules
            .endpoints
            .iter()
            .map(|e| EndpointPolicy::new(e, &shared))
            .collect();
        Self { endpoints }
    }

    /// Checks a request: `path` is the raw (percent-encoded) path, `query` the raw query string.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Result<Allowed<'_>, Problem> {
        let mut near_miss = NearMiss::default();
        for (index, endpoint) in self.endpoints.iter().enumerate() {
            let Some(path_values) = endpoint.path.matches(path, query)? else {
                continue;
            };
            match self.check_endpoint(index, method, path_values, query) {
                Ok(allowed) => return Ok(allowed),
                Err(problem) => near_miss.note(self, index, problem),
            }
        }
        Err(Self::refusal(method, path, near_miss))
    }

    /// Checks a request whose path already matched endpoint `index` (with these path parameter
    /// values): path parameter schemas, query parameters, method. Generated routers call this.
    pub fn check_endpoint(
        &self,
        index: usize,
        method: &str,
        path_params: Vec<(String, String)>,
        query: Option<&str>,
    ) -> Result<Allowed<'_>, Problem> {
        let endpoint = &self.endpoints[index];
        // The method first: an endpoint that does not take it refuses for that reason alone,
        // so a refusal can tell "no such method on this path" (405) from a bad parameter.
        endpoint.check_method(method)?;
        let params = query.map(parse_query).unwrap_or_default();
        endpoint.check_path_params(&path_params)?;
        endpoint.check_query(&params)?;
        endpoint.check_query_separators(query)?;
        Ok(Allowed {
            endpoint: index,
            path_params,
            forward_headers: &endpoint.forward_headers,
        })
    }

    /// `GET path?query` (raw) made acceptable to the rules by replacing each path parameter or
    /// query value that the matching endpoint takes only as a reversible pseudonym (its schema
    /// has `format: reversible-pseudonym`, possibly among `or` alternatives) by
    /// `tokenize(value)`; `None` when no endpoint then allows it. Links in upstream headers go
    /// through this, so a caller can follow them through the proxy without seeing the value.
    pub fn with_reversible_tokens(
        &self,
        path: &str,
        query: Option<&str>,
        tokenize: &dyn Fn(&str) -> Option<String>,
    ) -> Option<(String, Option<String>)> {
        let token_for = |raw: &str| {
            let value = percent_decode_str(raw).decode_utf8().ok()?;
            tokenize(&value)
        };
        for endpoint in &self.endpoints {
            let PathMatcher::Template(template) = &endpoint.path else {
                continue;
            };
            let Some(values) = template.matches(path) else {
                continue;
            };
            let mut new_path = path.to_owned();
            // Replaced back to front, so earlier offsets stay valid.
            for (name, value) in values.iter().rev() {
                let wants = endpoint.path_schemas.iter().any(|(n, check)| {
                    n == name && check.wants_token() && check.validate(value).is_err()
                });
                if wants {
                    let start = value.as_ptr() as usize - path.as_ptr() as usize;
                    new_path.replace_range(start..start + value.len(), &token_for(value)?);
                }
            }
            let new_query = match query {
                None => None,
                Some(q) => {
                    let mut pairs = Vec::new();
                    for pair in q.split('&') {
                        let (raw_name, raw_value) = match pair.split_once('=') {
                            Some((n, v)) => (n, Some(v)),
                            None => (pair, None),
                        };
                        let name = parse_query(raw_name).pop().map(|(n, _)| n);
                        let wants = |value: &str| {
                            endpoint.query_schemas.iter().any(|(n, check)| {
                                Some(n) == name.as_ref()
                                    && check.wants_token()
                                    && percent_decode_str(value)
                                        .decode_utf8()
                                        .is_ok_and(|v| check.validate(&v).is_err())
                            })
                        };
                        pairs.push(match raw_value {
                            Some(v) if wants(v) => format!("{raw_name}={}", token_for(v)?),
                            _ => pair.to_owned(),
                        });
                    }
                    Some(pairs.join("&"))
                }
            };
            if self.check("GET", &new_path, new_query.as_deref()).is_ok() {
                return Some((new_path, new_query));
            }
        }
        None
    }

    /// The refusal for a request no endpoint allowed: the first near miss of an endpoint that
    /// takes the method; else, when endpoints have this path but none takes the method, 405
    /// with `Allow` naming the methods they take (RFC 9110 §15.5.6); else "no endpoint".
    pub fn refusal(method: &str, path: &str, near_miss: NearMiss) -> Problem {
        let problem = match near_miss.problem {
            Some(problem) => problem,
            None if !near_miss.allow.is_empty() => {
                let allow = near_miss.allow.join(", ");
                Problem::new(
                    ProblemType::MethodNotAllowed,
                    format!("method {method} is not allowed on this path; allowed: {allow}"),
                )
                .with_allow(allow)
            }
            None => Problem::new(
                ProblemType::BlockedByRules,
                format!("no endpoint of this connector's rules matches `{method} {path}`"),
            ),
        };
        problem.at(path.to_owned())
    }
}

/// What the endpoints whose path matched a refused request said: the first refusal of one that
/// takes the method, and the methods those that do not take it allow. Generated routers fill it.
#[derive(Debug, Default)]
pub struct NearMiss {
    problem: Option<Problem>,
    allow: Vec<String>,
}

impl NearMiss {
    /// Endpoint `index` of `policy` matched the path and refused the request with `problem`.
    pub fn note(&mut self, policy: &RequestPolicy, index: usize, problem: Problem) {
        let refused_method = problem.type_uri == ProblemType::MethodNotAllowed.uri();
        match (&policy.endpoints[index].methods, refused_method) {
            (Some(methods), true) => {
                for m in methods {
                    if !self.allow.contains(m) {
                        self.allow.push(m.clone());
                    }
                }
            }
            _ => {
                self.problem.get_or_insert(problem);
            }
        }
    }
}

impl EndpointPolicy {
    fn new(endpoint: &Endpoint, shared_headers: &[String]) -> Self {
        let path = match (&endpoint.path_template, &endpoint.path_regex) {
            (Some(t), _) => PathMatcher::Template(
                PathTemplate::parse(&t.value).expect("validated when the rules were loaded"),
            ),
            (None, Some(r)) => PathMatcher::Regex(anchored_path_regex(&r.value)),
            (None, None) => unreachable!("validated: every endpoint has a path"),
        };
        let checks = |schemas: &std::collections::BTreeMap<
            sluice_spec::Located<String>,
            ParameterSchema,
        >| {
            schemas
                .iter()
                .map(|(name, s)| (name.value.clone(), ParamCheck::new(s)))
                .collect()
        };
        let mut forward_headers = shared_headers.to_vec();
        forward_headers.extend(
            endpoint
                .allowed_request_headers
                .iter()
                .flatten()
                .map(|h| h.to_ascii_lowercase()),
        );
        Self {
            path,
            methods: endpoint
                .allowed_methods
                .as_ref()
                .map(|m| m.iter().map(|m| m.value.to_ascii_uppercase()).collect()),
            allowed_query: endpoint.allowed_query_params.clone(),
            query_schemas: checks(&endpoint.query_param_schemas),
            // psoxy checks path parameter schemas on template endpoints only.
            path_schemas: if endpoint.path_template.is_some() {
                checks(&endpoint.path_parameter_schemas)
            } else {
                Vec::new()
            },
            forward_headers,
        }
    }

    fn check_path_params(&self, values: &[(String, String)]) -> Result<(), Problem> {
        // `check_path` refuses such paths before routing; this holds for any router.
        if let Some((name, value)) = values.iter().find(|(_, v)| {
            is_dot_segment(v) || is_dot_segment(&percent_decode_str(v).decode_utf8_lossy())
        }) {
            return Err(Problem::new(
                ProblemType::InvalidPath,
                format!(
                    "path parameter `{name}` = `{value}` is a dot segment, which never names a resource"
                ),
            ));
        }
        for (name, check) in &self.path_schemas {
            if let Some((_, value)) = values.iter().find(|(n, _)| n == name) {
                check.validate(value).map_err(|why| {
                    Problem::new(
                        ProblemType::InvalidParameter,
                        format!("path parameter `{name}` = `{value}` {why}"),
                    )
                })?;
            }
        }
        Ok(())
    }

    fn check_query(&self, params: &[(String, Option<String>)]) -> Result<(), Problem> {
        if let Some(allowed) = &self.allowed_query
            && let Some((name, _)) = params.iter().find(|(n, _)| !allowed.contains(n))
        {
            let list = if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            };
            return Err(Problem::new(
                ProblemType::QueryParamNotAllowed,
                format!("query parameter `{name}` is not allowed here; allowed: {list}"),
            ));
        }
        for (name, check) in &self.query_schemas {
            let mut present = false;
            for value in params
                .iter()
                .filter(|(n, _)| n == name)
                .filter_map(|(_, v)| v.as_deref())
            {
                present = true;
                check.validate(value).map_err(|why| {
                    Problem::new(
                        ProblemType::InvalidParameter,
                        format!("query parameter `{name}` = `{value}` {why}"),
                    )
                })?;
            }
            if check.required && !present {
                return Err(Problem::new(
                    ProblemType::InvalidParameter,
                    format!("query parameter `{name}` is required here"),
                ));
            }
        }
        Ok(())
    }

    /// Refuses a raw `;` in the query: some upstreams split parameters on it too, which would
    /// smuggle parameters the rules never saw. Allowed only in the value of a parameter whose
    /// schema has a pattern that admits `;` (the value has passed that pattern by now); an
    /// encoded `%3B` is data and always allowed.
    fn check_query_separators(&self, query: Option<&str>) -> Result<(), Problem> {
        for pair in query.unwrap_or_default().split('&') {
            if !pair.contains(';') {
                continue;
            }
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = parse_query(raw_name)
                .pop()
                .map(|(n, _)| n)
                .unwrap_or_default();
            let allowed = !raw_name.contains(';')
                && raw_value.contains(';')
                && self.query_schemas.iter().any(|(n, check)| {
                    *n == name
                        && check
                            .pattern
                            .as_ref()
                            .is_some_and(|(text, _)| text.contains(';'))
                });
            if !allowed {
                return Err(Problem::new(
                    ProblemType::InvalidParameter,
                    format!(
                        "query parameter `{name}` holds a `;`, which some servers read as a \
                         parameter separator; send it encoded as %3B, or give the parameter a \
                         schema whose pattern allows `;`"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_method(&self, method: &str) -> Result<(), Problem> {
        match &self.methods {
            Some(allowed) if !allowed.iter().any(|m| m.eq_ignore_ascii_case(method)) => {
                Err(Problem::new(
                    ProblemType::MethodNotAllowed,
                    format!(
                        "method {method} is not allowed here; allowed: {}",
                        allowed.join(", ")
                    ),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Matches a `pathRegex` endpoint's compiled regex (`(?i)^(?:…)$`) against `path[?query]`,
/// returning its named groups. Generated routers call this. A pattern that gives up on this
/// path (see [`sluice_spec::regex::BACKTRACK_LIMIT`]) refuses the request: it is never
/// forwarded on a match the rules could not decide.
pub fn match_path_regex(
    regex: &Matcher,
    path: &str,
    query: Option<&str>,
) -> Result<Option<Vec<(String, String)>>, Problem> {
    let file = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let captures = match regex.captures(&file) {
        Ok(Some(captures)) => captures,
        Ok(None) => return Ok(None),
        Err(e) => {
            return Err(Problem::new(
                ProblemType::RegexLimitExceeded,
                format!("the request was refused because the rules could not decide it: {e}"),
            )
            .at(path.to_owned()));
        }
    };
    Ok(Some(
        regex
            .capture_names()
            .filter_map(|n| {
                captures
                    .name(n)
                    .map(|m| (n.to_owned(), m.as_str().to_owned()))
            })
            .collect(),
    ))
}

/// Compiles a `pathRegex` as endpoints match it: whole string, case-insensitive. Generated
/// routers call this with the pattern as written in the rules.
pub fn compile_path_regex(pattern: &str) -> Result<Matcher, String> {
    SpecRegex::new(pattern).map(|r| anchored_path_regex(&r))
}

fn anchored_path_regex(regex: &SpecRegex) -> Matcher {
    regex.wrapped("(?i)^(?:", ")$")
}

impl PathMatcher {
    pub(crate) fn matches(
        &self,
        path: &str,
        query: Option<&str>,
    ) -> Result<Option<Vec<(String, String)>>, Problem> {
        match self {
            Self::Template(t) => Ok(t.matches(path).map(|values| {
                values
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            })),
            Self::Regex(re) => match_path_regex(re, path, query),
        }
    }
}

/// A parameter schema, compiled: every constraint given must hold; then, if `or` is present, one
/// of its alternatives must, and if `anyOf` is present, one of its candidates must.
#[derive(Debug, Clone)]
struct ParamCheck {
    value_type: Option<ParamType>,
    reversible_pseudonym: bool,
    /// The pattern as written, and anchored for a whole-value match.
    pattern: Option<(String, Matcher)>,
    enum_values: Option<Vec<String>>,
    ors: Vec<ParamCheck>,
    any_of: Vec<ParamCheck>,
    constant: Option<String>,
    required: bool,
}

impl ParamCheck {
    fn new(schema: &ParameterSchema) -> Self {
        Self {
            value_type: schema.value_type,
            reversible_pseudonym: schema.format.as_deref() == Some("reversible-pseudonym"),
            pattern: schema
                .pattern
                .as_ref()
                .map(|p| (p.as_str().to_owned(), p.wrapped("^(?:", ")$"))),
            enum_values: schema.enum_values.clone(),
            ors: schema.ors.iter().map(ParamCheck::new).collect(),
            any_of: schema.any_of.iter().map(ParamCheck::new).collect(),
            constant: schema.constant.clone(),
            required: schema.required == Some(true),
        }
    }

    /// Whether the schema takes reversible pseudonyms (alone, as one `or` alternative or as one
    /// `anyOf` candidate).
    fn wants_token(&self) -> bool {
        self.reversible_pseudonym
            || self.ors.iter().any(ParamCheck::wants_token)
            || self.any_of.iter().any(ParamCheck::wants_token)
    }

    /// `Ok` or the reason, phrased to follow "parameter `x` = `v` ".
    fn validate(&self, value: &str) -> Result<(), String> {
        match self.value_type {
            Some(ParamType::Integer)
                if value.trim().is_empty() || !value.trim().bytes().all(|b| b.is_ascii_digit()) =>
            {
                return Err("is not a whole number".into());
            }
            Some(ParamType::Number) if !is_java_double(value) => {
                return Err("is not a number".into());
            }
            _ => {}
        }
        if self.reversible_pseudonym && !is_reversible_token(value) {
            return Err("is not a reversible pseudonym (p~…) issued by this proxy".into());
        }
        if let Some((text, pattern)) = &self.pattern {
            match pattern.is_match(value) {
                Ok(true) => {}
                Ok(false) => return Err(format!("does not match the pattern `{text}`")),
                // Fails closed: a value the pattern could not decide is not let through.
                Err(e) => return Err(format!("could not be checked against its pattern: {e}")),
            }
        }
        if let Some(allowed) = &self.enum_values
            && !allowed.iter().any(|a| a == value)
        {
            return Err(format!("is not one of: {}", allowed.join(", ")));
        }
        if let Some(constant) = &self.constant
            && value != constant
        {
            return Err(format!("is not `{constant}`"));
        }
        if !self.ors.is_empty() && !self.ors.iter().any(|o| o.validate(value).is_ok()) {
            return Err("matches none of the allowed forms".into());
        }
        if !self.any_of.is_empty() && !self.any_of.iter().any(|o| o.validate(value).is_ok()) {
            let forms: Vec<String> = self.any_of.iter().map(ParamCheck::describe).collect();
            return Err(format!(
                "matches none of the `anyOf` candidates: {}",
                forms.join("; ")
            ));
        }
        Ok(())
    }
}

impl ParamCheck {
    /// A short description of what the schema takes, for refusals.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        match self.value_type {
            Some(ParamType::Integer) => parts.push("a whole number".to_owned()),
            Some(ParamType::Number) => parts.push("a number".to_owned()),
            Some(ParamType::String) | None => {}
        }
        if self.reversible_pseudonym {
            parts.push("a reversible pseudonym (p~…)".to_owned());
        }
        if let Some((text, _)) = &self.pattern {
            parts.push(format!("matching `{text}`"));
        }
        if let Some(allowed) = &self.enum_values {
            parts.push(format!("one of {}", allowed.join(", ")));
        }
        if let Some(constant) = &self.constant {
            parts.push(format!("`{constant}`"));
        }
        if !self.ors.is_empty() || !self.any_of.is_empty() {
            parts.push("one of several forms".to_owned());
        }
        if parts.is_empty() {
            "any value".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// Java's `Double.parseDouble` accepts surrounding whitespace, `NaN`, `Infinity` and `d`/`f`
/// suffixes.
fn is_java_double(value: &str) -> bool {
    let t = value.trim();
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    matches!(t.trim_start_matches(['+', '-']), "NaN" | "Infinity") || t.parse::<f64>().is_ok()
}

fn is_reversible_token(value: &str) -> bool {
    value.strip_prefix("p~").is_some_and(|rest| {
        rest.len() >= 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// Query pairs, percent-decoded (`+` as space); a name without `=` has no value.
pub fn parse_query(query: &str) -> Vec<(String, Option<String>)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            match pair.split_once('=') {
                Some((name, value)) => (decode(name), Some(decode(value))),
                None => (decode(pair), None),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(yaml: &str) -> RequestPolicy {
        RequestPolicy::new(&sluice_spec::parse_rules("t.yaml".as_ref(), yaml).unwrap())
    }

    const RULES: &str = r#"
endpoints:
  - pathTemplate: /orgs/{org}/members
    allowedMethods: [GET]
    allowedQueryParams: [per_page, page, role]
    queryParamSchemas:
      per_page: { type: integer }
      role: { enum: [all, admin, member] }
  - pathTemplate: /users/{user}
    pathParameterSchemas:
      user: { or: [ { format: reversible-pseudonym }, { pattern: "^[a-z]+$" } ] }
  - pathRegex: ^/v1\.0/users(/[^/?]+)?([?].*)?$
"#;

    #[test]
    fn look_ahead_path_regexes_allow_and_refuse_the_right_paths() {
        let p = policy(
            r#"
endpoints:
  - pathRegex: "^/v2/meetings/[^/?]+(?:/(?!meeting_summary)[^/?]+)?$"
"#,
        );
        assert!(p.check("GET", "/v2/meetings/123", None).is_ok());
        assert!(p.check("GET", "/v2/meetings/123/recordings", None).is_ok());
        let refused = p
            .check("GET", "/v2/meetings/123/meeting_summary", None)
            .unwrap_err();
        assert_eq!(refused.type_uri, ProblemType::BlockedByRules.uri());
    }

    #[test]
    fn a_path_regex_that_gives_up_refuses_the_request() {
        // Nested repetition with a look-ahead inside: exponential on a path that almost matches.
        let p = policy(
            r#"
endpoints:
  - pathRegex: "^/((?!x)a+)+/done$"
  - pathRegex: "^/.*$"
"#,
        );
        let path = format!("/{}b", "a".repeat(29));
        let problem = p.check("GET", &path, None).unwrap_err();
        assert_eq!(problem.type_uri, ProblemType::RegexLimitExceeded.uri());
        assert_eq!(problem.status, 403);
        assert!(problem.detail.contains("gave up"), "{}", problem.detail);
        // The catch-all after it is never consulted: the request is refused, not forwarded.
        assert!(p.check("GET", "/aaa/done", None).is_ok());
    }

    #[test]
    fn a_parameter_pattern_that_gives_up_refuses_the_value() {
        let p = policy(
            r#"
endpoints:
  - pathTemplate: /items
    allowedQueryParams: [q]
    queryParamSchemas:
      q: { pattern: "^((?!x)a+)+c$" }
"#,
        );
        let problem = p
            .check("GET", "/items", Some(&format!("q={}b", "a".repeat(29))))
            .unwrap_err();
        assert_eq!(problem.type_uri, ProblemType::InvalidParameter.uri());
        assert!(
            problem.detail.contains("could not be checked"),
            "{}",
            problem.detail
        );
        assert!(p.check("GET", "/items", Some("q=aac")).is_ok());
    }

    #[test]
    fn allowed_requests_name_their_endpoint() {
        let p = policy(RULES);
        assert_eq!(
            p.check("GET", "/orgs/acme/members", Some("per_page=50&role=admin"))
                .unwrap()
                .endpoint,
            0
        );
        assert_eq!(p.check("GET", "/users/octocat", None).unwrap().endpoint, 1);
        assert_eq!(
            p.check("get", "/V1.0/users/abc", Some("$top=5"))
                .unwrap()
                .endpoint,
            2
        );
    }

    #[test]
    fn refusals_say_why() {
        let p = policy(RULES);
        let e = p
            .check("GET", "/orgs/acme/members", Some("q=secret"))
            .unwrap_err();
        assert_eq!(e.status, 403);
        assert!(
            e.detail.contains("`q` is not allowed") && e.detail.contains("per_page"),
            "{}",
            e.detail
        );

        let e = p
            .check("GET", "/orgs/acme/members", Some("per_page=ten"))
            .unwrap_err();
        assert!(
            e.detail
                .contains("`per_page` = `ten` is not a whole number"),
            "{}",
            e.detail
        );

        let e = p.check("DELETE", "/orgs/acme/members", None).unwrap_err();
        assert!(e.type_uri.ends_with("method-not-allowed"), "{}", e.type_uri);

        let e = p.check("GET", "/users/Bad-Name!", None).unwrap_err();
        assert!(
            e.detail.contains("matches none of the allowed forms"),
            "{}",
            e.detail
        );

        let e = p.check("GET", "/admin", None).unwrap_err();
        assert!(e.type_uri.ends_with("blocked-by-rules"));
        assert_eq!(e.instance.as_deref(), Some("/admin"));
    }

    #[test]
    fn a_method_no_endpoint_of_the_path_allows_is_405_with_their_methods() {
        let p = policy(
            r#"
endpoints:
  - pathTemplate: /items/{id}
    allowedMethods: [GET, HEAD]
    queryParamSchemas:
      page: { type: integer }
  - pathTemplate: /items/{id}
    allowedMethods: [PATCH]
  - pathTemplate: /other
"#,
        );
        for method in ["TRACE", "POST", "QUERY", "delete"] {
            let e = p.check(method, "/items/1", None).unwrap_err();
            assert_eq!(e.status, 405, "{method}");
            assert!(e.type_uri.ends_with("method-not-allowed"), "{method}");
            assert_eq!(
                e.allow
                    .map(crate::problem::MethodSet::header_value)
                    .as_deref(),
                Some("GET, HEAD, PATCH"),
                "{method}"
            );
            assert!(e.detail.contains("GET, HEAD, PATCH"), "{}", e.detail);
        }
        // Even with a bad parameter: the method is what no endpoint of the path takes.
        let e = p.check("PUT", "/items/1", Some("page=x")).unwrap_err();
        assert_eq!(e.status, 405);
        // A method some endpoint of the path takes: that endpoint's refusal, not a 405.
        let e = p.check("GET", "/items/1", Some("page=x")).unwrap_err();
        assert_eq!(e.status, 403);
        assert!(e.allow.is_none());
        assert!(e.detail.contains("`page` = `x`"), "{}", e.detail);
        assert!(p.check("PATCH", "/items/1", Some("page=x")).is_ok());
        // An endpoint without allowedMethods takes any method; an unknown path stays 403.
        assert!(p.check("TRACE", "/other", None).is_ok());
        let e = p.check("TRACE", "/nowhere", None).unwrap_err();
        assert_eq!(e.status, 403);
        assert!(e.allow.is_none());
    }

    #[test]
    fn queries_are_decoded_before_checking() {
        let p = policy(RULES);
        assert!(
            p.check("GET", "/orgs/acme/members", Some("role=%61ll"))
                .is_ok()
        );
        assert!(
            p.check("GET", "/orgs/acme/members", Some("per%5Fpage=1"))
                .is_ok()
        );
    }

    fn reversible(p: &Pseudonymizer, v: &str) -> String {
        let options = crate::pseudonym::PseudonymizeOptions {
            include_reversible: true,
            ..Default::default()
        };
        p.pseudonymize(&serde_json::json!(v), &options)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    static KEYED: std::sync::LazyLock<Pseudonymizer> = std::sync::LazyLock::new(|| {
        Pseudonymizer::builder("salt")
            .encryption_key("secret")
            .build()
            .unwrap()
    });

    #[test]
    fn reversible_tokens_are_decrypted_and_encoded_for_their_place() {
        let p = &*KEYED;
        let (path, query) = upstream_target(
            p,
            &format!("/users/{}/events", reversible(p, "octocat")),
            Some(&format!(
                "q={}&x=1",
                reversible(p, "Ann Lee <ann@acme.com>")
            )),
        )
        .unwrap();
        assert_eq!(path, "/users/octocat/events");
        assert_eq!(
            query.as_deref(),
            Some("q=Ann%20Lee%20%3Cann@acme.com%3E&x=1")
        );

        let other = Pseudonymizer::builder("salt")
            .encryption_key("another")
            .build()
            .unwrap();
        let token = reversible(p, "octocat");
        assert!(upstream_target(&other, &format!("/users/{token}"), None).is_err());
    }

    #[test]
    fn decrypted_values_are_data_never_structure() {
        let p = &*KEYED;
        for value in [
            "..",
            ".",
            "a/b",
            "a\\b",
            "a?b",
            "a#b",
            "a\u{0}b",
            "line\nbreak",
        ] {
            let token = reversible(p, value);
            assert!(
                matches!(
                    upstream_target(p, &format!("/users/{token}"), None),
                    Err(TokenError::NotData { .. })
                ),
                "path segment {value:?}"
            );
        }
        for value in ["a&b", "a=b", "a;b", "a/b", "a#b"] {
            let token = reversible(p, value);
            assert!(
                matches!(
                    upstream_target(p, "/search", Some(&format!("q={token}"))),
                    Err(TokenError::NotData { .. })
                ),
                "query value {value:?}"
            );
        }
        // `=`, `&` and `;` are fine in a path segment; percent-encoded where they need it.
        let token = reversible(p, "a=b&c;d%");
        let (path, _) = upstream_target(p, &format!("/x/{token}"), None).unwrap();
        assert_eq!(path, "/x/a=b&c;d%25");
    }

    #[test]
    fn paths_that_resolve_elsewhere_are_refused_before_matching() {
        for path in [
            "/repos/acme/../issues",
            "/repos/acme/./issues",
            "/repos/acme/%2e%2e/issues",
            "/repos/acme/.%2E/issues",
            "/repos/acme/%252e%252e/issues",
            "/repos/acme/..%2F..%2Fadmin",
            "/repos/acme%2fweb/issues",
            "/repos/acme%5Cweb/issues",
            "/repos/acme%255Cweb/issues",
            "/repos/acme\\web/issues",
            "/..",
        ] {
            let e = check_path(path).unwrap_err();
            assert_eq!(e.status, 400, "{path}");
            assert!(e.type_uri.ends_with("invalid-path"), "{path}");
        }
        for path in [
            "/repos/acme/web/issues",
            "/files/report.v2.json",
            "/a/.b/..c/%2e.x",
            "/",
        ] {
            assert!(check_path(path).is_ok(), "{path}");
        }
    }

    #[test]
    fn a_parameter_never_matches_a_dot_segment() {
        let p = policy(RULES);
        for user in ["..", ".", "%2e%2E", "%2E"] {
            let e = p.check("GET", &format!("/users/{user}"), None).unwrap_err();
            assert!(e.type_uri.ends_with("invalid-path"), "{user}: {}", e.detail);
        }
    }

    #[test]
    fn a_semicolon_in_the_query_needs_a_pattern_that_allows_it() {
        let p = policy(
            r#"
endpoints:
  - pathTemplate: /issues
    allowedQueryParams: [labels, q]
    queryParamSchemas:
      q: { pattern: "^[a-z;]+$" }
"#,
        );
        let e = p
            .check("GET", "/issues", Some("labels=bug;filter=all;state=all"))
            .unwrap_err();
        assert!(e.detail.contains("`labels` holds a `;`"), "{}", e.detail);
        assert!(p.check("GET", "/issues", Some("labels;x=1")).is_err());
        assert!(
            p.check("GET", "/issues", Some("labels=bug%3Bfilter"))
                .is_ok()
        );
        assert!(p.check("GET", "/issues", Some("q=bug;filter")).is_ok());
        assert!(p.check("GET", "/issues", Some("q=bug;FILTER")).is_err());
    }

    #[test]
    fn values_the_rules_take_as_reversible_pseudonyms_get_one() {
        let p = policy(
            r#"
endpoints:
  - pathTemplate: /users/{user}/repos
    allowedQueryParams: [page, owner]
    pathParameterSchemas:
      user: { format: reversible-pseudonym }
    queryParamSchemas:
      page: { type: integer }
      owner: { or: [ { format: reversible-pseudonym }, { enum: [me] } ] }
"#,
        );
        let keyed = &*KEYED;
        let tokenize = |v: &str| {
            keyed
                .tokenize(&serde_json::json!(v), None)
                .ok()?
                .as_str()
                .map(str::to_owned)
        };
        let (path, query) = p
            .with_reversible_tokens(
                "/users/octocat/repos",
                Some("page=2&owner=ann%40acme.com"),
                &tokenize,
            )
            .unwrap();
        let user = tokenize("octocat").unwrap();
        let owner = tokenize("ann@acme.com").unwrap();
        assert_eq!(path, format!("/users/{user}/repos"));
        assert_eq!(query, Some(format!("page=2&owner={owner}")));
        // What a caller sends back opens to the original values.
        let (upstream, q) = upstream_target(keyed, &path, query.as_deref()).unwrap();
        assert_eq!(upstream, "/users/octocat/repos");
        assert_eq!(q.as_deref(), Some("page=2&owner=ann@acme.com"));
        // Values that pass as they are stay; what cannot pass at all is refused.
        assert_eq!(
            p.with_reversible_tokens("/users/octocat/repos", Some("owner=me"), &tokenize)
                .unwrap()
                .1
                .as_deref(),
            Some("owner=me")
        );
        assert!(
            p.with_reversible_tokens("/users/octocat/repos", Some("page=x"), &tokenize)
                .is_none()
        );
        assert!(
            p.with_reversible_tokens("/users/octocat/repos", None, &|_| None)
                .is_none(),
            "no key, no token"
        );
    }

    #[test]
    fn forwarded_headers_join_rule_wide_and_endpoint_lists() {
        let p = policy(
            "allowedRequestHeaders: [Accept]\nendpoints:\n  - pathTemplate: /a\n    allowedRequestHeaders: [X-GitHub-Api-Version]\n",
        );
        let allowed = p.check("GET", "/a", None).unwrap();
        assert_eq!(allowed.forward_headers, ["accept", "x-github-api-version"]);
    }
}
