//! The tts engine (being written).
