//! Little Monster's core: the domain and its storage, with no UI and no C/C++ engine code.
//!
//! Front ends (the Tauri shell, the `littlemonster` CLI) call into this crate; the inference
//! engines sit behind the traits in [`engines`] and run either in supervised worker processes
//! ([`workers`]) or in engine crates (`lm-embed`, `lm-tts`) wired in by the front end.

pub mod chat;
pub mod chunk_plan;
pub mod chunking;
pub mod document_import;
pub mod engines;
pub mod ingest;
pub mod jobs;
pub mod library;
pub mod models;
pub mod paths;
pub mod read_aloud;
pub mod recording;
pub mod store;
pub mod study;
pub mod transcript_export;
pub mod workers;
