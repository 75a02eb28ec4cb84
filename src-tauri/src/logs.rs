//! The app's log: lines go to stderr and into a small ring kept in memory, which the
//! `diagnostics` command shows (the student can copy it into a bug report).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use crate::state::lock;

/// How many recent log lines are kept.
const KEPT_LINES: usize = 200;

fn ring() -> &'static Mutex<VecDeque<String>> {
    static RING: OnceLock<Mutex<VecDeque<String>>> = OnceLock::new();
    RING.get_or_init(Mutex::default)
}

/// A writer that copies each formatted event to stderr and the ring.
struct TeeWriter;

impl Write for TeeWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(bytes);
        let mut lines = lock(ring());
        for line in String::from_utf8_lossy(bytes).lines() {
            if lines.len() == KEPT_LINES {
                lines.pop_front();
            }
            lines.push_back(line.to_owned());
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Installs the logger (info and above, `RUST_LOG` overrides); a second call does nothing.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(|| TeeWriter)
        .try_init();
}

/// The most recent log lines, oldest first.
pub fn recent_lines() -> Vec<String> {
    lock(ring()).iter().cloned().collect()
}
