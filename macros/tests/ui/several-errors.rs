// Validation reports every problem, one line each, in file order.
sluice_macros::connector!("tests/ui/specs/several-errors.yaml");

fn main() {}
