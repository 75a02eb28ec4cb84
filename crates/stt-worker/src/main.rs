//! The stt worker (being written).

fn main() {}
