//! # sluice-codegen
//!
//! The one generator behind both `sluice::connector!` and `cargo xtask gen`: a loaded spec in,
//! Rust tokens out. Output is deterministic: the same spec gives the same bytes.
//!
//! Today it emits the connector's identity (name, upstream, endpoints, rules digest inputs);
//! typed endpoints, routers and compiled sanitizer plans are next (see `naming` for the
//! identifiers they will use).
#![forbid(unsafe_code)]

pub mod naming;

use proc_macro2::TokenStream;
use quote::quote;
use sluice_spec::LoadedSpec;

/// Files whose contents the generated code depends on; the macro `include_str!`s them so Cargo
/// rebuilds when they change.
pub fn inputs(spec: &LoadedSpec) -> Vec<&std::path::Path> {
    std::iter::once(spec.path.as_path())
        .chain(spec.rules_path.as_deref())
        .collect()
}

/// The items generated for a connector.
pub fn generate(spec: &LoadedSpec) -> TokenStream {
    let name = &spec.spec.name.value;
    let binary = naming::binary_name(name);
    let target_host = &spec.spec.target_host.value;
    let endpoints = spec.rules.endpoints.iter().map(|e| {
        let path = e
            .path_template
            .as_ref()
            .map(|t| t.value.clone())
            .or_else(|| e.path_regex.as_ref().map(|r| r.as_str().to_owned()))
            .unwrap_or_default();
        quote! { #path }
    });
    quote! {
        /// The connector's name, as in its spec.
        pub const NAME: &str = #name;
        /// The proxy binary's name.
        pub const BINARY: &str = #binary;
        /// The upstream host.
        pub const TARGET_HOST: &str = #target_host;
        /// The endpoints' path templates (or regexes), in match order.
        pub const ENDPOINTS: &[&str] = &[#(#endpoints),*];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_deterministic_and_names_the_connector() {
        let spec = sluice_spec::parse_spec(
            "specs/demo.yaml".as_ref(),
            "name: demo\ntarget_host: api.example.com\nrules:\n  endpoints:\n    - pathTemplate: /a/{id}\n    - pathTemplate: /b\n",
        )
        .unwrap();
        let first = generate(&spec).to_string();
        assert_eq!(first, generate(&spec).to_string());
        assert!(first.contains(r#""demo-proxy""#), "{first}");
        assert!(first.contains(r#"& ["/a/{id}" , "/b"]"#), "{first}");
    }
}
