// The spec file does not exist: the error names it as written.
sluice_macros::connector!("tests/ui/specs/does-not-exist.yaml");

fn main() {}
