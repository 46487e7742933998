// The transform tag is misspelled: the error points at the tag, line:column in the spec.
sluice_macros::connector!("tests/ui/specs/unknown-transform.yaml");

fn main() {}
