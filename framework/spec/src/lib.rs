//! # sluice-spec
//!
//! The model of sluice connector specs and of psoxy-format rules, and everything needed to load
//! them safely: YAML parsing with `file:line:col` errors ([`load`]), semantic validation
//! ([`validate`]), the Jayway JSONPath dialect parsed to a plan ([`jsonpath`]), path templates
//! ([`path_template`]) and the JSON Schema editors use ([`schema`]).
//!
//! No I/O beyond reading the spec files, no async: the code generator, the runtime and the CLI
//! all build on this crate.
//!
//! ```no_run
//! let loaded = sluice_spec::load_spec("specs/github.yaml".as_ref())
//!     .unwrap_or_else(|errors| panic!("{errors}"));
//! println!("{} endpoints", loaded.rules.endpoints.len());
//! ```
#![forbid(unsafe_code)]

pub mod augment;
pub mod connector;
pub mod destination;
pub mod diagnostic;
pub mod duration;
mod java_regex;
pub mod jsonpath;
mod lint;
pub mod load;
pub mod located;
pub mod param;
pub mod path_template;
pub mod regex;
pub mod response_schema;
pub mod rules;
pub mod schema;
pub mod suggest;
pub mod transform;
pub mod validate;

pub use connector::ConnectorSpec;
pub use diagnostic::{Diagnostic, Diagnostics, ErrorCode, Pos, Severity};
pub use load::{
    Document, LoadedSpec, load_document, load_document_with_warnings, load_rules, load_spec,
    parse_rules, parse_rules_with_warnings, parse_spec,
};
pub use located::Located;
pub use rules::{Endpoint, Rules};
pub use transform::{Encoding, Transform, TransformKind};
