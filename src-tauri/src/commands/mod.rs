//! The commands the UI may invoke, one module per area. Each is a thin call into `lm-core`.

pub mod app;
