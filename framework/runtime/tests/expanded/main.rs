//! `sluice::connector!` expanded in an ordinary crate, as a team's connector crate uses it: a
//! small spec used through its constants, router, `Endpoint` enum and typed queries (`small_spec`),
//! and every edge-case spec of `sluice-codegen` (`framework/codegen/tests/specs/`), so the
//! generated code for odd paths, names, transforms, schemas and settings is compiled for real
//! and routes like the same spec loaded at run time. (The specs that must *not* compile are
//! trybuild's, in `macros/tests/compile_fail.rs`.)

mod edge_paths;
mod edge_rules;
mod edge_settings;
mod odd_names;
mod small_spec;
mod support;
