// A JSONPath in a rules file does not parse: the error points into the rules file.
sluice_macros::connector!("tests/ui/specs/bad-jsonpath.yaml");

fn main() {}
