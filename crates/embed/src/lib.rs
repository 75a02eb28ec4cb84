//! The embed engine (being written).
