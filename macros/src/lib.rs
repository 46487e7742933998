//! `sluice::connector!("specs/github.yaml")`: loads and validates a connector spec at compile
//! time and expands to the code `sluice-codegen` generates for it. A spec error becomes a
//! compile error carrying `file:line:col` and the reason.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use proc_macro::TokenStream;
use quote::quote;
use syn::{LitStr, parse_macro_input};

/// Expands a connector spec (path relative to the calling crate's `CARGO_MANIFEST_DIR`).
#[proc_macro]
pub fn connector(input: TokenStream) -> TokenStream {
    let literal = parse_macro_input!(input as LitStr);
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let path = base.join(literal.value());
    match sluice_spec::load_spec(&path) {
        Ok(spec) => {
            let generated = sluice_codegen::generate(&spec);
            let inputs = sluice_codegen::inputs(&spec)
                .into_iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect::<Vec<_>>();
            quote! {
                #generated
                #(const _: &str = include_str!(#inputs);)*
            }
            .into()
        }
        Err(errors) => {
            let message = format!("invalid connector spec:\n{errors}");
            syn::Error::new(literal.span(), message)
                .to_compile_error()
                .into()
        }
    }
}
