//! The `littlemonster` command (being written).

fn main() {}
