//! llama.cpp's log output: warnings and errors go to stderr (which the host keeps for crash
//! reports); its chatty per-request info lines are dropped. Error lines are also kept so a failed
//! load can say why in the error it returns, not only on stderr.

use std::fmt::Debug;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber, span};

/// Error lines since the last [`take_errors`], newest last, at most [`KEPT_ERRORS`].
static ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());
const KEPT_ERRORS: usize = 4;

/// Routes llama.cpp's logs through this module. Call once, after the backend is initialised.
pub fn install() {
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
    // Fails only if a subscriber is already set, which leaves logging working anyway.
    let _ = tracing::subscriber::set_global_default(StderrErrors);
}

/// The error lines logged since the last call, joined, or `None` if there were none.
pub fn take_errors() -> Option<String> {
    let mut errors = ERRORS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let joined = errors.join("; ");
    errors.clear();
    (!joined.is_empty()).then_some(joined)
}

/// A subscriber with no spans: it prints warnings and errors and remembers the errors.
struct StderrErrors;

impl Subscriber for StderrErrors {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::WARN
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = MessageText(String::new());
        event.record(&mut message);
        let text = message.0.trim().to_owned();
        let level = *event.metadata().level();
        eprintln!("llama.cpp {level}: {text}");
        if level == Level::ERROR && !text.is_empty() {
            let mut errors = ERRORS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if errors.len() == KEPT_ERRORS {
                errors.remove(0);
            }
            errors.push(text);
        }
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Collects an event's `message` field.
struct MessageText(String);

impl Visit for MessageText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        }
    }
}
