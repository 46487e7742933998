// The spec names a rules file that does not exist.
sluice_macros::connector!("tests/ui/specs/missing-rules-file.yaml");

fn main() {}
