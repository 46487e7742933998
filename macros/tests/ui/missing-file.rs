// The spec file does not exist: the error names it as written.
sluice::connector!("tests/ui/specs/does-not-exist.yaml");

fn main() {}
