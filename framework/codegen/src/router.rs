//! The generated router: one `if` per endpoint, in rule order, matching the path segment by
//! segment with plain comparisons (ASCII case-insensitive, as psoxy). `pathRegex` endpoints use
//! a regex compiled once; templates with text and a parameter in one segment (`{id}.json`) use
//! the template matcher. Every path match then goes through the shared request policy, so a
//! generated connector allows exactly what the run-time-loaded spec allows.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use sluice_spec::path_template::{PathTemplate, Piece};
use sluice_spec::rules::Endpoint;

/// The `route` function.
pub(crate) fn route_fn(endpoints: &[Endpoint]) -> TokenStream {
    let mut statics = Vec::new();
    let arms = endpoints.iter().enumerate().map(|(index, endpoint)| {
        let matched = match (&endpoint.path_template, &endpoint.path_regex) {
            (Some(template), _) => {
                let template = PathTemplate::parse(&template.value).expect("validated spec");
                template_match(index, &template, &mut statics)
            }
            (None, Some(regex)) => {
                let name = format_ident!("PATH_REGEX_{}", index);
                let pattern = regex.as_str();
                statics.push(quote! {
                    static #name: ::std::sync::LazyLock<::sluice::spec::regex::Matcher> =
                        ::std::sync::LazyLock::new(|| {
                            ::sluice::policy::compile_path_regex(#pattern).expect("checked by cargo xtask gen")
                        });
                });
                quote! { ::sluice::policy::match_path_regex(&#name, path, query)? }
            }
            (None, None) => unreachable!("validated: every endpoint has a path"),
        };
        quote! {
            if let ::core::option::Option::Some(params) = #matched {
                match policy.check_endpoint(#index, method, params, query) {
                    ::core::result::Result::Ok(allowed) => return ::core::result::Result::Ok(allowed),
                    ::core::result::Result::Err(problem) => near_miss.note(policy, #index, problem),
                }
            }
        }
    });
    let arms: Vec<TokenStream> = arms.collect();
    quote! {
        #(#statics)*

        /// Finds the endpoint of a request and checks it against the rules, in rule order.
        fn route<'p>(
            policy: &'p ::sluice::policy::RequestPolicy,
            method: &str,
            path: &str,
            query: ::core::option::Option<&str>,
        ) -> ::core::result::Result<::sluice::policy::Allowed<'p>, ::sluice::problem::Problem> {
            let segments: ::std::vec::Vec<&str> = match path.strip_prefix('/') {
                ::core::option::Option::Some(rest) => rest.split('/').collect(),
                ::core::option::Option::None => ::std::vec::Vec::new(),
            };
            let mut near_miss = ::sluice::policy::NearMiss::default();
            #(#arms)*
            let _ = &segments;
            ::core::result::Result::Err(::sluice::policy::RequestPolicy::refusal(method, path, near_miss))
        }
    }
}

/// An expression of type `Option<Vec<(String, String)>>`: the template's parameters if it
/// matches `segments`.
fn template_match(
    index: usize,
    template: &PathTemplate,
    statics: &mut Vec<TokenStream>,
) -> TokenStream {
    let simple = template.segments().iter().all(|pieces| pieces.len() <= 1);
    if !simple {
        let name = format_ident!("PATH_TEMPLATE_{}", index);
        let text = template.to_string();
        statics.push(quote! {
            static #name: ::std::sync::LazyLock<::sluice::spec::path_template::PathTemplate> =
                ::std::sync::LazyLock::new(|| {
                    ::sluice::spec::path_template::PathTemplate::parse(#text).expect("checked by cargo xtask gen")
                });
        });
        return quote! {
            #name.matches(path).map(|values| {
                values.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<::std::vec::Vec<_>>()
            })
        };
    }
    let bindings: Vec<Ident> = (0..template.segments().len())
        .map(|j| Ident::new(&format!("s{j}"), Span::call_site()))
        .collect();
    let mut guards = Vec::new();
    let mut params = Vec::new();
    for (pieces, binding) in template.segments().iter().zip(&bindings) {
        match pieces.as_slice() {
            [] => guards.push(quote! { #binding.is_empty() }),
            [Piece::Literal(text)] => guards.push(quote! { #binding.eq_ignore_ascii_case(#text) }),
            [Piece::Param(name)] => {
                guards.push(quote! { !#binding.is_empty() });
                params.push(quote! { (#name.to_owned(), (*#binding).to_owned()) });
            }
            _ => unreachable!("simple segments only"),
        }
    }
    let guard = match guards.split_first() {
        Some((first, rest)) => quote! { if #first #(&& #rest)* },
        None => quote! {},
    };
    quote! {
        match segments.as_slice() {
            [#(#bindings),*] #guard => {
                ::core::option::Option::Some(::std::vec![#(#params),*])
            }
            _ => ::core::option::Option::None,
        }
    }
}
