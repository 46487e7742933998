//! Per-connector crate scaffold (being written): Cargo.toml, main.rs and README.md from tera templates.
