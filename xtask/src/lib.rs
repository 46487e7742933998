//! The logic behind `cargo xtask`, as a library so tests can run it against a copy of the
//! workspace: every function takes the workspace root.
#![forbid(unsafe_code)]

pub mod bench;
pub mod bench_async;
pub mod demo;
pub mod generate;
pub mod new;
pub mod process;
pub mod schema;

use std::path::{Path, PathBuf};

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .into()
}
