//! # sluice
//!
//! The shared runtime every sluice connector links: a generated connector (or one loaded from a
//! spec at run time) implements [`Connector`], and [`app::main`] turns it into the sanitizing
//! proxy binary. docs/architecture.md draws the modules; from the bottom up:
//!
//! - vocabulary: [`problem`] (RFC 9457 problems), [`metrics`], [`shard`] (which serving thread
//!   this is), [`origin`], and the per-caller limits;
//! - data: [`pseudonym`], [`policy`], [`sanitize`], [`connector`] (and its [`Hooks`]),
//!   [`engine`] (policy and sanitizer together, also used offline), [`response_headers`];
//! - configuration: [`config`], where every environment variable and flag is read, once;
//! - I/O: [`stores`], [`outputs`], [`auth`], [`upstream`];
//! - [`jobs`]: the job store, the job runner (`jobs::run`, reached from the proxy through a
//!   trait the proxy implements) and [`callback`] delivery;
//! - HTTP: [`prefer`], and [`proxy`], a request's phases, with the job routes and the control
//!   routes as its private children; [`server`] serves it; [`app`] is the command line.
//!
//! No module uses a sibling that uses it back (`tests/module_cycles.rs`). The library sets no
//! global allocator: binaries install [`Allocator`].
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
mod caller_limits;
pub mod config;
mod connections;
pub mod connector;
pub mod engine;
pub mod jobs;
pub mod metrics;
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
pub mod shard;
pub mod stores;
pub mod token_failures;
pub mod upstream;

/// The allocator a sluice binary installs with `#[global_allocator]` (the CLI and every
/// generated connector's `main.rs` do): mimalloc with the `mimalloc` feature (on by default),
/// since glibc's allocator contends on its arena locks under the proxy's many small, short-lived
/// allocations across threads; the system allocator without it. The library itself sets none,
/// so a program embedding the runtime keeps its own choice.
#[cfg(feature = "mimalloc")]
pub use mimalloc::MiMalloc as Allocator;
/// The allocator a sluice binary installs with `#[global_allocator]`: the system allocator, as
/// the `mimalloc` feature is off.
#[cfg(not(feature = "mimalloc"))]
pub use std::alloc::System as Allocator;

pub use connector::{Connector, Hooks, LoadedConnector, NoHooks, Routing, RulesOnly};
pub use sluice_macros::connector;

/// Callback delivery, part of a job's life; here too for its settings and signature checks.
pub use jobs::callback;

// Generated connectors name these through `::sluice`, so they depend on this crate alone.
pub use regex;
pub use serde_json;
pub use sluice_spec as spec;
