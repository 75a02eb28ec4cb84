//! The llm worker (being written).

fn main() {}
