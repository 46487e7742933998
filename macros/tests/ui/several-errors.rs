// Validation reports every problem, one line each, in file order.
sluice::connector!("tests/ui/specs/several-errors.yaml");

fn main() {}
