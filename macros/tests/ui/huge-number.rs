// A number in a JSONPath filter too large for a 64-bit float is a located spec error.

mod huge_number {
    sluice_macros::connector!("tests/ui/specs/huge-number.yaml");
}

fn main() {}
