//! `sluice::connector!("specs/github.yaml")`: loads and validates a connector spec at compile
//! time and expands to the code `sluice-codegen` generates for it. A spec error becomes a
//! compile error carrying `file:line:col` and the reason.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

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
            let message = format!("invalid connector spec:\n{}", relative_to(&base, errors));
            syn::Error::new(literal.span(), message)
                .to_compile_error()
                .into()
        }
    }
}

/// The diagnostics, one per line, with paths under `base` written relative to it: as the user
/// wrote them in `connector!`, and the same in every checkout.
fn relative_to(base: &Path, errors: sluice_spec::Diagnostics) -> String {
    // A path can also appear inside a message (a `rules_file` that cannot be read).
    let prefix = format!("{}{}", base.display(), std::path::MAIN_SEPARATOR);
    errors
        .into_vec()
        .into_iter()
        .map(|mut diagnostic| {
            if let Ok(relative) = diagnostic.file.strip_prefix(base) {
                diagnostic.file = relative.to_path_buf();
            }
            if !base.as_os_str().is_empty() {
                diagnostic.message = diagnostic.message.replace(&prefix, "");
            }
            diagnostic.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
