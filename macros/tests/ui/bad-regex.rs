// A regex uses `\G` (Java's end of the previous match), which neither of sluice's engines has.
sluice::connector!("tests/ui/specs/bad-regex.yaml");

fn main() {}
