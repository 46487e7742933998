//! Typed views of a request for a team's own code: an `Endpoint` enum with one variant per rule
//! endpoint carrying its path parameters, and a query struct per endpoint that lists its
//! allowed query parameters with their types.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use sluice_spec::param::ParamType;
use sluice_spec::path_template::PathTemplate;
use sluice_spec::rules::Endpoint;

use crate::naming;

/// A Rust identifier for a field named `name` in the spec (`per_page`, `$top`, `maxResults`).
fn field_ident(name: &str) -> Ident {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
            prev_lower = false;
        }
    }
    let mut out = out.trim_end_matches('_').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "p_");
    }
    // `crate`, `self`, `super` and `Self` cannot be raw identifiers.
    if matches!(out.as_str(), "crate" | "self" | "super") {
        out.push('_');
    }
    if syn_reserved(&out) {
        return Ident::new_raw(&out, Span::call_site());
    }
    Ident::new(&out, Span::call_site())
}

fn syn_reserved(word: &str) -> bool {
    matches!(
        word,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "static"
            | "struct"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
    )
}

/// Field identifiers for `names`, unique even when two spec names convert to the same Rust name
/// (`userId` and `user_id`): later ones get `_2`, `_3`….
fn unique_fields(names: &[String]) -> Vec<Ident> {
    let mut seen: Vec<String> = Vec::new();
    names
        .iter()
        .map(|name| {
            let base = field_ident(name).to_string();
            let mut candidate = base.clone();
            let mut n = 2;
            while seen.contains(&candidate) {
                candidate = format!("{base}_{n}");
                n += 1;
            }
            seen.push(candidate.clone());
            match candidate.strip_prefix("r#") {
                Some(raw) => Ident::new_raw(raw, Span::call_site()),
                None => Ident::new(&candidate, Span::call_site()),
            }
        })
        .collect()
}

/// Variant names, one per endpoint, unique.
pub(crate) fn variant_names(endpoints: &[Endpoint]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for endpoint in endpoints {
        let base = match (&endpoint.path_template, &endpoint.path_regex) {
            (Some(t), _) => {
                naming::endpoint_type_name(&PathTemplate::parse(&t.value).expect("validated spec"))
            }
            (None, Some(r)) => naming::regex_type_name(r.as_str()),
            (None, None) => "Endpoint".to_owned(),
        };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// Path parameter names of an endpoint, in order.
fn path_params(endpoint: &Endpoint) -> Vec<String> {
    match (&endpoint.path_template, &endpoint.path_regex) {
        (Some(t), _) => PathTemplate::parse(&t.value)
            .expect("validated spec")
            .params()
            .map(str::to_owned)
            .collect(),
        (None, Some(r)) => r.group_names().map(str::to_owned).collect(),
        (None, None) => Vec::new(),
    }
}

/// The `Endpoint` enum and its conversions.
pub(crate) fn endpoint_enum(endpoints: &[Endpoint], names: &[String]) -> TokenStream {
    let variants = endpoints.iter().zip(names).map(|(endpoint, name)| {
        let ident = Ident::new(name, Span::call_site());
        let doc = format!(" {}", describe(endpoint));
        let params = path_params(endpoint);
        if params.is_empty() {
            return quote! { #[doc = #doc] #ident };
        }
        let fields = params.iter().zip(unique_fields(&params)).map(|(p, f)| {
            let doc = format!(" Path parameter `{p}`, as sent (percent-encoded).");
            quote! { #[doc = #doc] #f: ::std::string::String }
        });
        quote! { #[doc = #doc] #ident { #(#fields),* } }
    });
    let from_arms = endpoints
        .iter()
        .zip(names)
        .enumerate()
        .map(|(index, (endpoint, name))| {
            let ident = Ident::new(name, Span::call_site());
            let params = path_params(endpoint);
            if params.is_empty() {
                return quote! { #index => Self::#ident };
            }
            let fields = params
                .iter()
                .zip(unique_fields(&params))
                .map(|(p, f)| quote! { #f: param(#p) });
            quote! { #index => Self::#ident { #(#fields),* } }
        });
    let index_arms = names.iter().enumerate().map(|(index, name)| {
        let ident = Ident::new(name, Span::call_site());
        quote! { Self::#ident { .. } => #index }
    });
    quote! {
        /// The endpoints of the rules, one variant each, with their path parameters.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Endpoint {
            #(#variants),*
        }

        impl Endpoint {
            /// The endpoint a request was routed to.
            pub fn from_allowed(allowed: &::sluice::policy::Allowed<'_>) -> Self {
                let param = |name: &str| {
                    allowed.path_params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
                };
                let _ = &param;
                match allowed.endpoint {
                    #(#from_arms,)*
                    other => ::core::unreachable!("endpoint {other} is not in these rules"),
                }
            }

            /// The endpoint's position in the rules.
            pub fn index(&self) -> usize {
                match *self {
                    #(#index_arms),*
                }
            }
        }
    }
}

fn describe(endpoint: &Endpoint) -> String {
    let methods = endpoint
        .allowed_methods
        .as_ref()
        .map_or("any method".to_owned(), |m| {
            m.iter()
                .map(|m| m.value.clone())
                .collect::<Vec<_>>()
                .join(", ")
        });
    match (&endpoint.path_template, &endpoint.path_regex) {
        (Some(t), _) => format!("`{}` ({methods}).", t.value),
        (None, Some(r)) => format!("Paths matching `{}` ({methods}).", r.as_str()),
        (None, None) => String::new(),
    }
}

/// A query struct per endpoint that lists its allowed query parameters.
pub(crate) fn query_structs(endpoints: &[Endpoint], names: &[String]) -> TokenStream {
    let structs = endpoints.iter().zip(names).filter_map(|(endpoint, name)| {
        let allowed = endpoint.allowed_query_params.as_ref()?;
        let ident = format_ident!("{}Query", name);
        let doc = format!(" The query parameters {name} allows, typed from its `queryParamSchemas`.");
        let mut fields = Vec::new();
        let mut parses = Vec::new();
        for (param, f) in allowed.iter().zip(unique_fields(allowed)) {
            let schema = endpoint.query_param_schemas.iter().find(|(k, _)| k.value == *param).map(|(_, s)| s);
            let (ty, parse) = match schema.and_then(|s| s.value_type) {
                Some(ParamType::Integer) => (quote! { u64 }, quote! { v.trim().parse().ok() }),
                Some(ParamType::Number) => (quote! { f64 }, quote! { v.trim().parse().ok() }),
                _ => (quote! { ::std::string::String }, quote! { ::core::option::Option::Some(v.clone()) }),
            };
            let field_doc = format!(" `{param}`; its first value, when present and well-formed.");
            fields.push(quote! { #[doc = #field_doc] pub #f: ::core::option::Option<#ty> });
            parses.push(quote! {
                #f: pairs.iter().find(|(n, _)| n == #param).and_then(|(_, v)| v.as_ref()).and_then(|v| #parse)
            });
        }
        Some(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq, Default)]
            pub struct #ident {
                #(#fields),*
            }

            impl #ident {
                /// Reads the raw query string (the request policy has already validated it).
                pub fn from_query(query: ::core::option::Option<&str>) -> Self {
                    let pairs = query.map(::sluice::policy::parse_query).unwrap_or_default();
                    let _ = &pairs;
                    Self { #(#parses),* }
                }
            }
        })
    });
    quote! { #(#structs)* }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_names_become_rust_fields() {
        assert_eq!(field_ident("per_page").to_string(), "per_page");
        assert_eq!(field_ident("maxResults").to_string(), "max_results");
        assert_eq!(field_ident("$top").to_string(), "top");
        assert_eq!(field_ident("page[size]").to_string(), "page_size");
        assert_eq!(field_ident("type").to_string(), "r#type");
        assert_eq!(field_ident("2fa").to_string(), "p_2fa");
    }
}
