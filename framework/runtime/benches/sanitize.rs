//! Placeholder: the sanitize benchmark is being written.
fn main() {}
