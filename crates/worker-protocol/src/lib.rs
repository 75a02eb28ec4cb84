//! The protocol between Little Monster and its engine worker processes (`lm-stt-worker`,
//! `lm-llm-worker`).
//!
//! The app spawns a worker binary and talks to it over the worker's stdin and stdout, one JSON
//! object per line (NDJSON). Large payloads (audio) travel as file paths, never through the pipe.
//!
//! ```text
//! worker -> host  {"event":"ready","worker":"stt","version":"0.1.0","protocol":1,"model":{...}}
//!                 (or, when the worker cannot start: {"event":"fatal","error":{"kind":...}} and exit)
//! host -> worker  {"id":7,"request":{"type":"transcribe",...}}
//! worker -> host  {"id":7,"event":"progress","fraction":0.4}            zero or more
//!                 {"id":7,"event":"stream","data":{"type":"segment",...}} zero or more
//!                 {"id":7,"event":"result","data":{...}}                 exactly one of these
//!                 {"id":7,"event":"error","error":{"kind":"bad_input","path":"...","message":"..."}}
//! ```
//!
//! The worker handles one request at a time and exits cleanly when its stdin reaches end of file.
//! Everything it writes to stderr is diagnostics (the host keeps the last lines for crash reports).
//!
//! The envelope is generic; each worker names its own request, stream, result and model-facts types
//! by implementing [`Protocol`] on a marker type (see [`stt::Stt`], [`llm::Llm`]). [`codec`] reads and writes the
//! lines, [`serve`] is the worker-side request loop.

use std::fmt::Debug;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub mod codec;
pub mod llm;
pub mod serve;
pub mod stt;

/// Version of the envelope format; the host refuses a worker that reports another one.
pub const PROTOCOL_VERSION: u32 = 1;

/// Identifies one request and every event that answers it. Chosen by the host.
pub type RequestId = u64;

/// The message types of one kind of worker.
///
/// Implemented on a marker type so that the envelopes below can be generic over the whole set.
pub trait Protocol: Debug + Clone + PartialEq + 'static {
    /// The worker's name in the ready line and in crash reports ("stt", "llm").
    const WORKER: &'static str;
    /// What the host asks for; serialise as an internally tagged enum (`"type"`).
    type Request: Serialize + DeserializeOwned + Debug + Clone + PartialEq + Send + 'static;
    /// What the worker streams while it works (segments, tokens).
    type Stream: Serialize + DeserializeOwned + Debug + Clone + PartialEq + Send + 'static;
    /// The final answer to a request.
    type Result: Serialize + DeserializeOwned + Debug + Clone + PartialEq + Send + 'static;
    /// Facts about the loaded model, reported in the ready line.
    type Model: Serialize + DeserializeOwned + Debug + Clone + PartialEq + Send + 'static;
}

/// A request from the host, one per line on the worker's stdin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RequestEnvelope<P: Protocol> {
    /// Echoed in every event that answers this request.
    pub id: RequestId,
    /// What to do.
    pub request: P::Request,
}

/// The first line a worker writes once its model is loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Ready<P: Protocol> {
    /// The worker's name, [`Protocol::WORKER`].
    pub worker: String,
    /// The worker binary's version (its crate version).
    pub version: String,
    /// [`PROTOCOL_VERSION`] as the worker was built.
    pub protocol: u32,
    /// Facts about the loaded model.
    pub model: P::Model,
}

impl<P: Protocol> Ready<P> {
    /// A ready line for this worker built against this crate.
    pub fn new(version: &str, model: P::Model) -> Self {
        Self {
            worker: P::WORKER.to_owned(),
            version: version.to_owned(),
            protocol: PROTOCOL_VERSION,
            model,
        }
    }
}

/// A line written by a worker on its stdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", bound = "")]
pub enum WorkerMessage<P: Protocol> {
    /// The model is loaded; requests may be sent. Written once, first.
    Ready(Ready<P>),
    /// The worker could not start (bad model, unsupported CPU); it exits after this line.
    Fatal {
        /// Why.
        error: WorkerError,
    },
    /// How far the request has come.
    Progress {
        /// The request this answers.
        id: RequestId,
        /// Fraction done, 0.0 to 1.0.
        fraction: f32,
    },
    /// A piece of streamed output.
    Stream {
        /// The request this answers.
        id: RequestId,
        /// The worker-specific event.
        data: P::Stream,
    },
    /// The request succeeded; nothing more will be written for it.
    Result {
        /// The request this answers.
        id: RequestId,
        /// The worker-specific result.
        data: P::Result,
    },
    /// The request failed; nothing more will be written for it. The worker stays usable.
    Error {
        /// The request this answers.
        id: RequestId,
        /// What went wrong.
        error: WorkerError,
    },
}

/// A failure reported by a worker, as it travels on the wire (`"kind"` tags it).
///
/// Every variant carries a human-readable `message`; the host turns these into its own engine
/// errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkerError {
    /// An input file (audio, ...) cannot be used.
    #[error("input {}: {message}", path.display())]
    BadInput {
        /// The rejected file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The model file cannot be loaded.
    #[error("model {}: {message}", path.display())]
    BadModel {
        /// The rejected model file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The request does not fit in the model's context window.
    #[error("context overflow: {needed} tokens needed, context holds {limit}")]
    ContextOverflow {
        /// Tokens the request needs.
        needed: usize,
        /// The context size the model was loaded with.
        limit: usize,
    },
    /// Structured (JSON) output reached `max_tokens` before it was complete.
    #[error(
        "the JSON answer was cut off at max_tokens ({max_tokens}); raise max_tokens or tighten \
         the schema's bounds"
    )]
    OutputCutOff {
        /// The limit that was reached.
        max_tokens: u32,
    },
    /// This CPU lacks instructions the worker binary was compiled to use.
    #[error("{message}")]
    UnsupportedCpu {
        /// The missing CPU features (e.g. "avx2").
        missing: Vec<String>,
        /// Explanation for the user.
        message: String,
    },
    /// The request line could not be understood (a host/worker version mismatch or a bug).
    #[error("bad request: {message}")]
    BadRequest {
        /// What could not be parsed.
        message: String,
    },
    /// Anything else that failed inside the engine.
    #[error("{message}")]
    Internal {
        /// The engine's message.
        message: String,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::stt::{Segment, Stt, SttRequest, SttStream, Transcription, WhisperModel, Word};
    use super::*;

    fn round_trip(message: &WorkerMessage<Stt>) -> String {
        let line = serde_json::to_string(message).unwrap();
        let back: WorkerMessage<Stt> = serde_json::from_str(&line).unwrap();
        assert_eq!(&back, message);
        line
    }

    #[test]
    fn envelopes_have_the_documented_wire_shape() {
        let segment = Segment {
            start_ms: 0,
            end_ms: 1500,
            text: "Hello.".into(),
            words: Vec::new(),
        };
        let line = round_trip(&WorkerMessage::Stream {
            id: 7,
            data: SttStream::Segment(segment.clone()),
        });
        assert_eq!(
            line,
            r#"{"event":"stream","id":7,"data":{"type":"segment","start_ms":0,"end_ms":1500,"text":"Hello."}}"#
        );
        let line = round_trip(&WorkerMessage::Error {
            id: 7,
            error: WorkerError::BadInput {
                path: "/a.wav".into(),
                message: "not a WAV file".into(),
            },
        });
        assert_eq!(
            line,
            r#"{"event":"error","id":7,"error":{"kind":"bad_input","path":"/a.wav","message":"not a WAV file"}}"#
        );
        round_trip(&WorkerMessage::Progress {
            id: 7,
            fraction: 0.5,
        });
        round_trip(&WorkerMessage::Result {
            id: 7,
            data: Transcription {
                segments: vec![segment],
                duration_ms: 1500,
                language: "en".into(),
            },
        });
        round_trip(&WorkerMessage::Ready(Ready::new(
            "0.1.0",
            WhisperModel {
                path: "/m.bin".into(),
                model_type: "tiny".into(),
                multilingual: false,
            },
        )));
        round_trip(&WorkerMessage::Fatal {
            error: WorkerError::UnsupportedCpu {
                missing: vec!["avx2".into()],
                message: "no avx2".into(),
            },
        });
    }

    #[test]
    fn segments_carry_their_words_and_parse_without_them() {
        let segment = Segment {
            start_ms: 1000,
            end_ms: 2600,
            text: "Cells divide.".into(),
            words: vec![
                Word {
                    start_ms: 1000,
                    end_ms: 1480,
                    text: "Cells".into(),
                },
                Word {
                    start_ms: 1480,
                    end_ms: 2600,
                    text: "divide.".into(),
                },
            ],
        };
        let line = round_trip(&WorkerMessage::Stream {
            id: 2,
            data: SttStream::Segment(segment.clone()),
        });
        assert_eq!(
            line,
            r#"{"event":"stream","id":2,"data":{"type":"segment","start_ms":1000,"end_ms":2600,"text":"Cells divide.","words":[{"start_ms":1000,"end_ms":1480,"text":"Cells"},{"start_ms":1480,"end_ms":2600,"text":"divide."}]}}"#
        );
        round_trip(&WorkerMessage::Result {
            id: 2,
            data: Transcription {
                segments: vec![segment],
                duration_ms: 3000,
                language: "en".into(),
            },
        });

        // A message from a worker without word timings still parses, with no words.
        let old: WorkerMessage<Stt> = serde_json::from_str(
            r#"{"event":"stream","id":2,"data":{"type":"segment","start_ms":0,"end_ms":10,"text":"hi"}}"#,
        )
        .unwrap();
        let WorkerMessage::Stream {
            data: SttStream::Segment(old),
            ..
        } = old
        else {
            panic!("not a stream message: {old:?}");
        };
        assert!(old.words.is_empty());
    }

    #[test]
    fn requests_parse_from_the_documented_wire_shape() {
        let request: RequestEnvelope<Stt> = serde_json::from_str(
            r#"{"id":3,"request":{"type":"transcribe","audio_path":"/x.wav"}}"#,
        )
        .unwrap();
        assert_eq!(
            request,
            RequestEnvelope {
                id: 3,
                request: SttRequest::Transcribe {
                    audio_path: "/x.wav".into(),
                    language: None,
                    threads: None
                }
            }
        );
    }
}
