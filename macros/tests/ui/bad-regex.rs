// A regex uses `\G` (Java's end of the previous match), which neither of sluice's engines has.
sluice_macros::connector!("tests/ui/specs/bad-regex.yaml");

fn main() {}
