//! Rust expressions that rebuild the spec model: the generated connector constructs its spec and
//! rules with plain code, so nothing is parsed at start-up (no YAML, no JSONPath). Regexes are
//! compiled once when the connector is built; they were checked when the code was generated.
//!
//! Every path is written through `::sluice::spec` so generated crates depend on `sluice` alone.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;
use sluice_spec::augment::{Augment, AugmentKind, ExtractionRule};
use sluice_spec::connector::{
    AsyncSettings, ConnectorSpec, ResultLocation, SideOutput, SideOutputContent, SourceAuth,
};
use sluice_spec::jsonpath::{
    CompareOp, FilterExpr, FilterPath, JsonPath, Literal, Operand, PathFunction, PathRoot, Segment,
    Selector,
};
use sluice_spec::param::{ParamType, ParameterSchema};
use sluice_spec::regex::SpecRegex;
use sluice_spec::response_schema::{ResponseSchema, SchemaType};
use sluice_spec::rules::{Endpoint, Rules};
use sluice_spec::transform::{Encoding, Selection, Transform};
use sluice_spec::{Located, destination::Destination, duration::SpecDuration};

/// A value that can be written as a Rust expression building it.
pub trait ToRust {
    /// The expression.
    fn to_rust(&self) -> TokenStream;
}

impl ToRust for String {
    fn to_rust(&self) -> TokenStream {
        quote! { #self.to_owned() }
    }
}

impl ToRust for bool {
    fn to_rust(&self) -> TokenStream {
        quote! { #self }
    }
}

impl<T: ToRust> ToRust for Option<T> {
    fn to_rust(&self) -> TokenStream {
        match self {
            Some(v) => {
                let v = v.to_rust();
                quote! { ::core::option::Option::Some(#v) }
            }
            None => quote! { ::core::option::Option::None },
        }
    }
}

impl<T: ToRust> ToRust for Vec<T> {
    /// `Vec::from([…])` rather than `vec![…]`: prettyplease lays out function calls, not the
    /// insides of macros, so the generated rules stay readable.
    fn to_rust(&self) -> TokenStream {
        if self.is_empty() {
            return quote! { ::std::vec::Vec::new() };
        }
        let items = self.iter().map(ToRust::to_rust);
        quote! { ::std::vec::Vec::from([#(#items),*]) }
    }
}

impl<T: ToRust> ToRust for Box<T> {
    fn to_rust(&self) -> TokenStream {
        let inner = (**self).to_rust();
        quote! { ::std::boxed::Box::new(#inner) }
    }
}

impl<K: ToRust, V: ToRust> ToRust for BTreeMap<K, V> {
    fn to_rust(&self) -> TokenStream {
        let entries = self.iter().map(|(k, v)| {
            let (k, v) = (k.to_rust(), v.to_rust());
            quote! { (#k, #v) }
        });
        quote! { ::std::collections::BTreeMap::from([#(#entries),*]) }
    }
}

impl<T: ToRust> ToRust for Located<T> {
    fn to_rust(&self) -> TokenStream {
        let v = self.value.to_rust();
        quote! { ::sluice::spec::Located::unlocated(#v) }
    }
}

impl ToRust for Value {
    fn to_rust(&self) -> TokenStream {
        match self {
            Value::Null => quote! { ::sluice::serde_json::Value::Null },
            Value::Bool(b) => quote! { ::sluice::serde_json::Value::Bool(#b) },
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    quote! { ::sluice::serde_json::Value::from(#i) }
                } else if let Some(u) = n.as_u64() {
                    quote! { ::sluice::serde_json::Value::from(#u) }
                } else {
                    let f = n.as_f64().unwrap_or_default();
                    quote! { ::sluice::serde_json::Value::from(#f) }
                }
            }
            Value::String(s) => quote! { ::sluice::serde_json::Value::String(#s.to_owned()) },
            Value::Array(items) => {
                let items = items.iter().map(ToRust::to_rust);
                quote! { ::sluice::serde_json::Value::Array(::std::vec::Vec::from([#(#items),*])) }
            }
            Value::Object(map) => {
                let entries = map.iter().map(|(k, v)| {
                    let v = v.to_rust();
                    quote! { (#k.to_owned(), #v) }
                });
                quote! {
                    ::sluice::serde_json::Value::Object(::core::iter::IntoIterator::into_iter([#(#entries),*]).collect())
                }
            }
        }
    }
}

impl ToRust for SpecRegex {
    fn to_rust(&self) -> TokenStream {
        let pattern = self.as_str();
        quote! { ::sluice::spec::regex::SpecRegex::new(#pattern).expect("checked by cargo xtask gen") }
    }
}

impl ToRust for Destination {
    fn to_rust(&self) -> TokenStream {
        let text = self.as_str();
        quote! { ::sluice::spec::destination::Destination::parse(#text).expect("checked by cargo xtask gen") }
    }
}

impl ToRust for SpecDuration {
    fn to_rust(&self) -> TokenStream {
        let text = self.as_str();
        quote! { ::sluice::spec::duration::SpecDuration::parse(#text).expect("checked by cargo xtask gen") }
    }
}

// ---------------------------------------------------------------- JSONPath

impl ToRust for JsonPath {
    fn to_rust(&self) -> TokenStream {
        let source = self.as_str();
        let segments = self.segments().to_vec().to_rust();
        quote! { ::sluice::spec::jsonpath::JsonPath::from_parts(#source, #segments) }
    }
}

impl ToRust for Segment {
    fn to_rust(&self) -> TokenStream {
        match self {
            Segment::Child(s) => {
                let s = s.to_rust();
                quote! { ::sluice::spec::jsonpath::Segment::Child(#s) }
            }
            Segment::Descendant(s) => {
                let s = s.to_rust();
                quote! { ::sluice::spec::jsonpath::Segment::Descendant(#s) }
            }
        }
    }
}

impl ToRust for Selector {
    fn to_rust(&self) -> TokenStream {
        let path = quote! { ::sluice::spec::jsonpath::Selector };
        match self {
            Selector::Name(n) => quote! { #path::Name(#n.to_owned()) },
            Selector::Names(ns) => {
                let ns = ns.to_rust();
                quote! { #path::Names(#ns) }
            }
            Selector::Wildcard => quote! { #path::Wildcard },
            Selector::Index(i) => quote! { #path::Index(#i) },
            Selector::Indices(is) => quote! { #path::Indices(::std::vec::Vec::from([#(#is),*])) },
            Selector::Slice { start, end } => {
                let (start, end) = (opt_i64(*start), opt_i64(*end));
                quote! { #path::Slice { start: #start, end: #end } }
            }
            Selector::Filter(f) => {
                let f = f.to_rust();
                quote! { #path::Filter(#f) }
            }
        }
    }
}

fn opt_i64(v: Option<i64>) -> TokenStream {
    match v {
        Some(i) => quote! { ::core::option::Option::Some(#i) },
        None => quote! { ::core::option::Option::None },
    }
}

impl ToRust for FilterExpr {
    fn to_rust(&self) -> TokenStream {
        let path = quote! { ::sluice::spec::jsonpath::FilterExpr };
        match self {
            FilterExpr::Or(list) => {
                let list = list.to_rust();
                quote! { #path::Or(#list) }
            }
            FilterExpr::And(list) => {
                let list = list.to_rust();
                quote! { #path::And(#list) }
            }
            FilterExpr::Not(inner) => {
                let inner = inner.to_rust();
                quote! { #path::Not(#inner) }
            }
            FilterExpr::Exists(p) => {
                let p = p.to_rust();
                quote! { #path::Exists(#p) }
            }
            FilterExpr::Compare { left, op, right } => {
                let (left, op, right) = (left.to_rust(), op.to_rust(), right.to_rust());
                quote! { #path::Compare { left: #left, op: #op, right: #right } }
            }
        }
    }
}

impl ToRust for FilterPath {
    fn to_rust(&self) -> TokenStream {
        let root = match self.root {
            PathRoot::Current => quote! { ::sluice::spec::jsonpath::PathRoot::Current },
            PathRoot::Root => quote! { ::sluice::spec::jsonpath::PathRoot::Root },
        };
        let segments = self.segments.to_rust();
        let function = match self.function {
            Some(PathFunction::Length) => {
                quote! { ::core::option::Option::Some(::sluice::spec::jsonpath::PathFunction::Length) }
            }
            None => quote! { ::core::option::Option::None },
        };
        quote! {
            ::sluice::spec::jsonpath::FilterPath { root: #root, segments: #segments, function: #function }
        }
    }
}

impl ToRust for Operand {
    fn to_rust(&self) -> TokenStream {
        let path = quote! { ::sluice::spec::jsonpath::Operand };
        match self {
            Operand::Path(p) => {
                let p = p.to_rust();
                quote! { #path::Path(#p) }
            }
            Operand::Literal(l) => {
                let l = l.to_rust();
                quote! { #path::Literal(#l) }
            }
            Operand::Regex(r) => {
                let (pattern, flags) = (&r.pattern, &r.flags);
                quote! {
                    #path::Regex(::sluice::spec::jsonpath::RegexLiteral::new(#pattern, #flags)
                        .expect("checked by cargo xtask gen"))
                }
            }
        }
    }
}

impl ToRust for Literal {
    fn to_rust(&self) -> TokenStream {
        let path = quote! { ::sluice::spec::jsonpath::Literal };
        match self {
            Literal::Null => quote! { #path::Null },
            Literal::Bool(b) => quote! { #path::Bool(#b) },
            Literal::Number(n) => {
                let (value, text) = (n.value, &n.text);
                quote! {
                    #path::Number(::sluice::spec::jsonpath::NumberLiteral { value: #value, text: #text.to_owned() })
                }
            }
            Literal::String(s) => quote! { #path::String(#s.to_owned()) },
            Literal::Json(v) => {
                let v = v.to_rust();
                quote! { #path::Json(#v) }
            }
        }
    }
}

impl ToRust for CompareOp {
    fn to_rust(&self) -> TokenStream {
        let variant = proc_macro2::Ident::new(&format!("{self:?}"), proc_macro2::Span::call_site());
        quote! { ::sluice::spec::jsonpath::CompareOp::#variant }
    }
}

// ---------------------------------------------------------------- rules

impl ToRust for Rules {
    fn to_rust(&self) -> TokenStream {
        let default_scope = self.default_scope_id_for_source.to_rust();
        let allow_all = self.allow_all_endpoints;
        let headers = self.allowed_request_headers.to_rust();
        let response_headers = self.allowed_response_headers.to_rust();
        let definitions = self.definitions.to_rust();
        let endpoints = self.endpoints.to_rust();
        quote! {
            ::sluice::spec::rules::Rules {
                default_scope_id_for_source: #default_scope,
                allow_all_endpoints: #allow_all,
                allowed_request_headers: #headers,
                allowed_response_headers: #response_headers,
                definitions: #definitions,
                endpoints: #endpoints,
            }
        }
    }
}

impl ToRust for Endpoint {
    fn to_rust(&self) -> TokenStream {
        let Endpoint {
            path_template,
            path_regex,
            path_parameter_schemas,
            allowed_query_params,
            query_param_schemas,
            allowed_methods,
            allowed_request_headers,
            allowed_response_headers,
            request_body,
            response_schema,
            augments,
            transforms,
        } = self;
        let fields = [
            ("path_template", path_template.to_rust()),
            ("path_regex", path_regex.to_rust()),
            ("path_parameter_schemas", path_parameter_schemas.to_rust()),
            ("allowed_query_params", allowed_query_params.to_rust()),
            ("query_param_schemas", query_param_schemas.to_rust()),
            ("allowed_methods", allowed_methods.to_rust()),
            ("allowed_request_headers", allowed_request_headers.to_rust()),
            (
                "allowed_response_headers",
                allowed_response_headers.to_rust(),
            ),
            ("request_body", request_body.to_rust()),
            ("response_schema", response_schema.to_rust()),
            ("augments", augments.to_rust()),
            ("transforms", transforms.to_rust()),
        ];
        structure(quote! { ::sluice::spec::rules::Endpoint }, &fields)
    }
}

/// `Path { a: .., b: .. }`.
fn structure(path: TokenStream, fields: &[(&str, TokenStream)]) -> TokenStream {
    let fields = fields.iter().map(|(name, value)| {
        let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
        quote! { #name: #value }
    });
    quote! { #path { #(#fields),* } }
}

/// `Path { a: .., ..Default::default() }` with only the fields that differ from the default.
fn sparse(path: TokenStream, fields: &[(&str, bool, TokenStream)]) -> TokenStream {
    let set: Vec<(&str, TokenStream)> = fields
        .iter()
        .filter(|(_, present, _)| *present)
        .map(|(n, _, v)| (*n, v.clone()))
        .collect();
    if set.len() == fields.len() {
        let all: Vec<(&str, TokenStream)> = set;
        return structure(path, &all);
    }
    let fields = set.iter().map(|(name, value)| {
        let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
        quote! { #name: #value }
    });
    quote! { #path { #(#fields,)* ..::core::default::Default::default() } }
}

impl ToRust for ParameterSchema {
    fn to_rust(&self) -> TokenStream {
        let value_type = self.value_type.map(|t| match t {
            ParamType::String => quote! { ::sluice::spec::param::ParamType::String },
            ParamType::Integer => quote! { ::sluice::spec::param::ParamType::Integer },
            ParamType::Number => quote! { ::sluice::spec::param::ParamType::Number },
        });
        let value_type_tokens = match &value_type {
            Some(t) => quote! { ::core::option::Option::Some(#t) },
            None => quote! { ::core::option::Option::None },
        };
        sparse(
            quote! { ::sluice::spec::param::ParameterSchema },
            &[
                ("value_type", value_type.is_some(), value_type_tokens),
                ("format", self.format.is_some(), self.format.to_rust()),
                ("pattern", self.pattern.is_some(), self.pattern.to_rust()),
                (
                    "enum_values",
                    self.enum_values.is_some(),
                    self.enum_values.to_rust(),
                ),
                ("ors", !self.ors.is_empty(), self.ors.to_rust()),
                ("any_of", !self.any_of.is_empty(), self.any_of.to_rust()),
                ("constant", self.constant.is_some(), self.constant.to_rust()),
                ("required", self.required.is_some(), self.required.to_rust()),
            ],
        )
    }
}

impl ToRust for SchemaType {
    fn to_rust(&self) -> TokenStream {
        if let SchemaType::Unknown(name) = self {
            return quote! { ::sluice::spec::response_schema::SchemaType::Unknown(#name.to_owned()) };
        }
        let variant = proc_macro2::Ident::new(&format!("{self:?}"), proc_macro2::Span::call_site());
        quote! { ::sluice::spec::response_schema::SchemaType::#variant }
    }
}

impl ToRust for ResponseSchema {
    fn to_rust(&self) -> TokenStream {
        let s = self;
        sparse(
            quote! { ::sluice::spec::response_schema::ResponseSchema },
            &[
                (
                    "schema_type",
                    s.schema_type.is_some(),
                    s.schema_type.to_rust(),
                ),
                ("reference", s.reference.is_some(), s.reference.to_rust()),
                ("format", s.format.is_some(), s.format.to_rust()),
                ("properties", s.properties.is_some(), s.properties.to_rust()),
                ("items", s.items.is_some(), s.items.to_rust()),
                (
                    "definitions",
                    s.definitions.is_some(),
                    s.definitions.to_rust(),
                ),
                ("any_of", s.any_of.is_some(), s.any_of.to_rust()),
                ("one_of", s.one_of.is_some(), s.one_of.to_rust()),
                ("if_schema", s.if_schema.is_some(), s.if_schema.to_rust()),
                (
                    "then_schema",
                    s.then_schema.is_some(),
                    s.then_schema.to_rust(),
                ),
                (
                    "else_schema",
                    s.else_schema.is_some(),
                    s.else_schema.to_rust(),
                ),
                ("constant", s.constant.is_some(), s.constant.to_rust()),
                ("required", s.required.is_some(), s.required.to_rust()),
                (
                    "additional_properties",
                    s.additional_properties.is_some(),
                    s.additional_properties.to_rust(),
                ),
                ("title", s.title.is_some(), s.title.to_rust()),
                (
                    "description",
                    s.description.is_some(),
                    s.description.to_rust(),
                ),
                ("dialect", s.dialect.is_some(), s.dialect.to_rust()),
            ],
        )
    }
}

impl ToRust for Encoding {
    fn to_rust(&self) -> TokenStream {
        let variant = proc_macro2::Ident::new(&format!("{self:?}"), proc_macro2::Span::call_site());
        quote! { ::sluice::spec::transform::Encoding::#variant }
    }
}

impl ToRust for Selection {
    fn to_rust(&self) -> TokenStream {
        let paths = self.json_paths.to_rust();
        let when = self.apply_only_when.to_rust();
        let fields = self.fields.to_rust();
        quote! {
            ::sluice::spec::transform::Selection { json_paths: #paths, apply_only_when: #when, fields: #fields }
        }
    }
}

impl ToRust for Transform {
    fn to_rust(&self) -> TokenStream {
        let t = quote! { ::sluice::spec::transform::Transform };
        let sel = self.selection().to_rust();
        match self {
            Transform::Redact { .. } => quote! { #t::Redact { selection: #sel } },
            Transform::HashIp { .. } => quote! { #t::HashIp { selection: #sel } },
            Transform::EncryptIp { .. } => quote! { #t::EncryptIp { selection: #sel } },
            Transform::RedactRegexMatches { redactions, .. } => {
                let r = redactions.to_rust();
                quote! { #t::RedactRegexMatches { selection: #sel, redactions: #r } }
            }
            Transform::RedactExceptPhrases {
                allowed_phrases, ..
            } => {
                let p = allowed_phrases.to_rust();
                quote! { #t::RedactExceptPhrases { selection: #sel, allowed_phrases: #p } }
            }
            Transform::RedactExceptSubstringsMatchingRegexes { exceptions, .. } => {
                let e = exceptions.to_rust();
                quote! { #t::RedactExceptSubstringsMatchingRegexes { selection: #sel, exceptions: #e } }
            }
            Transform::Pseudonymize {
                encoding,
                include_original,
                include_reversible,
                only_if_regex,
                ..
            } => {
                let (e, r) = (encoding.to_rust(), only_if_regex.to_rust());
                quote! {
                    #t::Pseudonymize {
                        selection: #sel, encoding: #e, include_original: #include_original,
                        include_reversible: #include_reversible, only_if_regex: #r,
                    }
                }
            }
            Transform::PseudonymizeEmailHeader { encoding, .. } => {
                let e = encoding.to_rust();
                quote! { #t::PseudonymizeEmailHeader { selection: #sel, encoding: #e } }
            }
            Transform::PseudonymizeRegexMatches {
                regex,
                include_reversible,
                ..
            } => {
                let r = regex.to_rust();
                quote! {
                    #t::PseudonymizeRegexMatches { selection: #sel, regex: #r, include_reversible: #include_reversible }
                }
            }
            Transform::FilterTokenByRegex {
                delimiter, filters, ..
            } => {
                let (d, f) = (delimiter.to_rust(), filters.to_rust());
                quote! { #t::FilterTokenByRegex { selection: #sel, delimiter: #d, filters: #f } }
            }
            Transform::Tokenize { regex, .. } => {
                let r = regex.to_rust();
                quote! { #t::Tokenize { selection: #sel, regex: #r } }
            }
            Transform::TextDigest {
                is_json_escaped,
                json_path_to_process_when_escaped,
                keywords,
                ..
            } => {
                let (p, k) = (
                    json_path_to_process_when_escaped.to_rust(),
                    keywords.to_rust(),
                );
                quote! {
                    #t::TextDigest {
                        selection: #sel, is_json_escaped: #is_json_escaped,
                        json_path_to_process_when_escaped: #p, keywords: #k,
                    }
                }
            }
        }
    }
}

impl ToRust for u32 {
    fn to_rust(&self) -> TokenStream {
        quote! { #self }
    }
}

impl ToRust for ExtractionRule {
    fn to_rust(&self) -> TokenStream {
        let (regex, value, group) = (
            self.regex.to_rust(),
            self.value.to_rust(),
            self.group.to_rust(),
        );
        quote! {
            ::sluice::spec::augment::ExtractionRule { regex: #regex, value: #value, group: #group }
        }
    }
}

impl ToRust for Augment {
    fn to_rust(&self) -> TokenStream {
        let k = quote! { ::sluice::spec::augment::AugmentKind };
        let kind = match &self.kind {
            AugmentKind::TextDigest { keywords } => {
                let keywords = keywords.to_rust();
                quote! { #k::TextDigest { keywords: #keywords } }
            }
            AugmentKind::SentenceMetadata {
                taxonomy,
                hedge_words,
                constraint_words,
            } => {
                let (t, h, c) = (
                    taxonomy.to_rust(),
                    hedge_words.to_rust(),
                    constraint_words.to_rust(),
                );
                quote! { #k::SentenceMetadata { taxonomy: #t, hedge_words: #h, constraint_words: #c } }
            }
            AugmentKind::GenMetadata {
                prompt,
                max_output_tokens,
                max_input_tokens,
            } => {
                let (p, o, i) = (
                    prompt.to_rust(),
                    max_output_tokens.to_rust(),
                    max_input_tokens.to_rust(),
                );
                quote! { #k::GenMetadata { prompt: #p, max_output_tokens: #o, max_input_tokens: #i } }
            }
            AugmentKind::Classify {
                prompt,
                classes,
                max_input_tokens,
            } => {
                let (p, c, i) = (
                    prompt.to_rust(),
                    classes.to_rust(),
                    max_input_tokens.to_rust(),
                );
                quote! { #k::Classify { prompt: #p, classes: #c, max_input_tokens: #i } }
            }
            AugmentKind::RegexExtract {
                extractions,
                source_fields,
            } => {
                let (e, f) = (extractions.to_rust(), source_fields.to_rust());
                quote! { #k::RegexExtract { extractions: #e, source_fields: #f } }
            }
        };
        let (paths, inner, schema) = (
            self.json_paths.to_rust(),
            self.inner_json_path.to_rust(),
            self.output_schema.to_rust(),
        );
        quote! {
            ::sluice::spec::augment::Augment {
                kind: #kind, json_paths: #paths, inner_json_path: #inner, output_schema: #schema,
            }
        }
    }
}

// ---------------------------------------------------------------- connector spec

impl ToRust for ConnectorSpec {
    fn to_rust(&self) -> TokenStream {
        let name = self.name.to_rust();
        let description = self.description.to_rust();
        let target_host = self.target_host.to_rust();
        let source_auth = self.source_auth.to_rust();
        let enable_async = self.enable_async_processing;
        let destination = self.async_output_destination.to_rust();
        let async_settings = self.async_settings.to_rust();
        let side_outputs = self.side_outputs.to_rust();
        let rules_file = self.rules_file.to_rust();
        quote! {
            ::sluice::spec::ConnectorSpec {
                name: #name,
                description: #description,
                target_host: #target_host,
                source_auth: #source_auth,
                enable_async_processing: #enable_async,
                async_output_destination: #destination,
                async_settings: #async_settings,
                side_outputs: #side_outputs,
                rules_file: #rules_file,
                // The rules are built by `rules()`, not kept twice.
                rules: ::core::option::Option::None,
            }
        }
    }
}

impl ToRust for SourceAuth {
    fn to_rust(&self) -> TokenStream {
        let a = quote! { ::sluice::spec::connector::SourceAuth };
        match self {
            SourceAuth::None {} => quote! { #a::None {} },
            SourceAuth::Bearer {
                token_env,
                token_file,
            } => {
                let (e, f) = (token_env.to_rust(), token_file.to_rust());
                quote! { #a::Bearer { token_env: #e, token_file: #f } }
            }
            SourceAuth::Basic {
                username_env,
                username_file,
                password_env,
                password_file,
            } => {
                let (ue, uf, pe, pf) = (
                    username_env.to_rust(),
                    username_file.to_rust(),
                    password_env.to_rust(),
                    password_file.to_rust(),
                );
                quote! { #a::Basic { username_env: #ue, username_file: #uf, password_env: #pe, password_file: #pf } }
            }
            SourceAuth::ApiKeyHeader {
                header,
                key_env,
                key_file,
            } => {
                let (h, e, f) = (header.to_rust(), key_env.to_rust(), key_file.to_rust());
                quote! { #a::ApiKeyHeader { header: #h, key_env: #e, key_file: #f } }
            }
            SourceAuth::Oauth2ClientCredentials {
                token_url,
                client_id_env,
                client_secret_env,
                scopes,
            } => {
                let (u, i, s, sc) = (
                    token_url.to_rust(),
                    client_id_env.to_rust(),
                    client_secret_env.to_rust(),
                    scopes.to_rust(),
                );
                quote! {
                    #a::Oauth2ClientCredentials { token_url: #u, client_id_env: #i, client_secret_env: #s, scopes: #sc }
                }
            }
            SourceAuth::Oauth2RefreshToken {
                token_url,
                client_id_env,
                client_secret_env,
                refresh_token_env,
                scopes,
            } => {
                let (u, i, s, r, sc) = (
                    token_url.to_rust(),
                    client_id_env.to_rust(),
                    client_secret_env.to_rust(),
                    refresh_token_env.to_rust(),
                    scopes.to_rust(),
                );
                quote! {
                    #a::Oauth2RefreshToken {
                        token_url: #u, client_id_env: #i, client_secret_env: #s,
                        refresh_token_env: #r, scopes: #sc,
                    }
                }
            }
        }
    }
}

impl ToRust for AsyncSettings {
    fn to_rust(&self) -> TokenStream {
        let location = match self.location {
            ResultLocation::Proxy => quote! { ::sluice::spec::connector::ResultLocation::Proxy },
            ResultLocation::Presigned => {
                quote! { ::sluice::spec::connector::ResultLocation::Presigned }
            }
            ResultLocation::Echo => quote! { ::sluice::spec::connector::ResultLocation::Echo },
        };
        let retention = self.retention.to_rust();
        let required = self.required.iter().map(ToRust::to_rust);
        quote! {
            ::sluice::spec::connector::AsyncSettings {
                location: #location,
                retention: #retention,
                required: ::std::vec![#(#required),*],
            }
        }
    }
}

impl ToRust for SideOutput {
    fn to_rust(&self) -> TokenStream {
        let content = match self.content {
            SideOutputContent::Original => {
                quote! { ::sluice::spec::connector::SideOutputContent::Original }
            }
            SideOutputContent::Sanitized => {
                quote! { ::sluice::spec::connector::SideOutputContent::Sanitized }
            }
        };
        let destination = self.destination.to_rust();
        let (required, gzip) = (self.required, self.gzip);
        quote! {
            ::sluice::spec::connector::SideOutput { content: #content, destination: #destination, required: #required, gzip: #gzip }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_type_psoxy_tolerates_is_emitted_as_written() {
        let known = SchemaType::Integer.to_rust().to_string();
        assert_eq!(
            known,
            ":: sluice :: spec :: response_schema :: SchemaType :: Integer"
        );
        let unknown = SchemaType::Unknown("onBehalfOf".into())
            .to_rust()
            .to_string();
        assert_eq!(
            unknown,
            ":: sluice :: spec :: response_schema :: SchemaType :: Unknown (\"onBehalfOf\" . to_owned ())"
        );
    }
}
