//! # sluice
//!
//! The shared runtime every sluice connector links: today the HTTP problem vocabulary
//! ([`problem`]) and the [`connector!`] macro that compiles a connector spec into Rust. The
//! proxy server, sanitizer, pseudonymizer, async jobs and side outputs land here next, one module
//! per step of a request's life (`router`, `policy`, `upstream`, `sanitize`, `pseudonym`, `jobs`,
//! `callback`, `outputs`, `auth`, `config`).
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod callback;
mod caller_limits;
pub mod config;
mod connections;
pub mod connector;
pub mod engine;
pub mod job_routes;
pub mod jobs;
pub mod metrics;
pub mod ops;
pub mod origin;
pub mod outputs;
pub mod policy;
pub mod prefer;
pub mod problem;
pub mod proxy;
pub mod pseudonym;
pub mod response_headers;
pub mod sanitize;
pub mod server;
pub mod stores;
pub mod token_failures;
pub mod upstream;
pub mod worker;

/// glibc's allocator contends on its arena locks under the proxy's many small, short-lived
/// allocations across threads; mimalloc does not.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use connector::{Connector, Hooks, LoadedConnector, NoHooks, Routing, RulesOnly};
pub use sluice_macros::connector;

// Generated connectors name these through `::sluice`, so they depend on this crate alone.
pub use regex;
pub use serde_json;
pub use sluice_spec as spec;
