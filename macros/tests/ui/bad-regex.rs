// A regex uses look-behind, which the regex engine does not support.
sluice::connector!("tests/ui/specs/bad-regex.yaml");

fn main() {}
