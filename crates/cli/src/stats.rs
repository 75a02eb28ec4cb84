//! The `--stats` line: timings for `scripts/bench`, printed only when asked for.

use std::time::Instant;

/// A started clock plus the decision whether to report.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    enabled: bool,
    started: Instant,
}

impl Stats {
    /// Starts the clock; `enabled` is the `--stats` flag.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            started: Instant::now(),
        }
    }

    /// Milliseconds since the command started.
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Prints `stats: {"command": .., "wall_ms": .., ...fields}` to stderr if enabled.
    pub fn report(&self, command: &str, fields: serde_json::Value) {
        if !self.enabled {
            return;
        }
        let mut line = serde_json::json!({ "command": command, "wall_ms": self.elapsed_ms() });
        if let (Some(line), serde_json::Value::Object(fields)) = (line.as_object_mut(), fields) {
            line.extend(fields);
        }
        eprintln!("stats: {line}");
    }
}
