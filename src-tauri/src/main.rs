//! The desktop shell (being written).

fn main() {}
