//! The worker side of the protocol: announce readiness, then answer requests one at a time until
//! stdin ends.
//!
//! A worker's `main` loads its model, then calls [`serve`] with a handler for its requests, or
//! [`report_fatal`] when it cannot start. The handler streams through an [`Emitter`], which is
//! `Clone + Send + 'static` so engine callbacks (whisper's new-segment callback) can own one.
//!
//! Test hook (debug builds only): when `LITTLEMONSTER_WORKER_ABORT_ON_REQUEST` is set in the
//! worker's environment, the worker calls `std::process::abort()` on receiving its first request,
//! so the host's crash handling can be tested against a real SIGABRT.

use std::io::{self, BufRead, Write};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::codec::{CodecError, DEFAULT_MAX_LINE, LineReader, LineWriter};
use crate::{Protocol, Ready, RequestEnvelope, RequestId, WorkerError, WorkerMessage};

/// Environment variable of the debug-build abort hook (see the module docs).
pub const ABORT_ON_REQUEST_ENV: &str = "LITTLEMONSTER_WORKER_ABORT_ON_REQUEST";

/// Why the request loop stopped before stdin ended cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The request stream could not be read or framed.
    #[error("unreadable request stream: {0}")]
    Input(#[from] CodecError),
    /// A request line is not a request and carries no id to answer it under.
    #[error("request without an id ({source}): {excerpt}")]
    Unanswerable {
        /// The parser's complaint.
        source: serde_json::Error,
        /// The start of the line.
        excerpt: String,
    },
    /// Writing to stdout failed (usually: the host is gone).
    #[error("cannot write to the host: {0}")]
    Output(#[from] io::Error),
}

type SharedWriter = Arc<Mutex<LineWriter<Box<dyn Write + Send>>>>;

/// Sends progress and stream events for one request.
pub struct Emitter<P> {
    id: RequestId,
    out: SharedWriter,
    failed: Arc<AtomicBool>,
    protocol: PhantomData<fn() -> P>,
}

impl<P> Clone for Emitter<P> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            out: self.out.clone(),
            failed: self.failed.clone(),
            protocol: PhantomData,
        }
    }
}

impl<P: Protocol> Emitter<P> {
    /// The request being answered.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// Reports progress, `fraction` from 0.0 to 1.0.
    pub fn progress(&self, fraction: f32) {
        self.send(&WorkerMessage::Progress {
            id: self.id,
            fraction: fraction.clamp(0.0, 1.0),
        });
    }

    /// Streams one piece of output.
    pub fn stream(&self, data: P::Stream) {
        self.send(&WorkerMessage::Stream { id: self.id, data });
    }

    /// Whether writing to the host has failed; a handler may stop early when it has.
    pub fn host_gone(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Writes a message; a failure is remembered (and ends the loop after the handler returns)
    /// rather than returned, because engine callbacks cannot propagate errors.
    fn send(&self, message: &WorkerMessage<P>) {
        if self.host_gone() {
            return;
        }
        let result = self
            .out
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(message);
        if result.is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
    }
}

/// Writes the ready line to stdout, then answers requests from stdin until it ends.
pub fn serve<P, H>(ready: Ready<P>, handler: H) -> Result<(), ServeError>
where
    P: Protocol,
    H: FnMut(P::Request, &Emitter<P>) -> Result<P::Result, WorkerError>,
{
    serve_on(io::stdin().lock(), Box::new(io::stdout()), ready, handler)
}

/// Writes a `fatal` line to stdout: the worker could not start. The caller then exits non-zero.
pub fn report_fatal<P: Protocol>(error: WorkerError) -> io::Result<()> {
    LineWriter::new(io::stdout()).send(&WorkerMessage::<P>::Fatal { error })
}

/// [`serve`] over any input and output (tests use in-memory streams).
pub fn serve_on<P, H>(
    input: impl BufRead,
    output: Box<dyn Write + Send>,
    ready: Ready<P>,
    mut handler: H,
) -> Result<(), ServeError>
where
    P: Protocol,
    H: FnMut(P::Request, &Emitter<P>) -> Result<P::Result, WorkerError>,
{
    let out: SharedWriter = Arc::new(Mutex::new(LineWriter::new(output)));
    let send = |message: &WorkerMessage<P>| {
        out.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(message)
    };
    send(&WorkerMessage::Ready(ready))?;
    let mut requests = LineReader::new(input, DEFAULT_MAX_LINE);
    while let Some(line) = requests.next_line()? {
        let envelope: RequestEnvelope<P> = match serde_json::from_str(line) {
            Ok(envelope) => envelope,
            Err(parse_error) => {
                // Answer with an error when the id can be recovered, so the host does not wait.
                let Some(id) = serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|value| value.get("id").and_then(serde_json::Value::as_u64))
                else {
                    let excerpt = line.chars().take(200).collect();
                    return Err(ServeError::Unanswerable {
                        source: parse_error,
                        excerpt,
                    });
                };
                let error = WorkerError::BadRequest {
                    message: parse_error.to_string(),
                };
                send(&WorkerMessage::Error { id, error })?;
                continue;
            }
        };
        abort_if_asked();
        let failed = Arc::new(AtomicBool::new(false));
        let emitter = Emitter {
            id: envelope.id,
            out: out.clone(),
            failed: failed.clone(),
            protocol: PhantomData,
        };
        let outcome = handler(envelope.request, &emitter);
        if failed.load(Ordering::Relaxed) {
            return Err(
                io::Error::new(io::ErrorKind::BrokenPipe, "the host stopped reading").into(),
            );
        }
        match outcome {
            Ok(data) => send(&WorkerMessage::Result {
                id: envelope.id,
                data,
            })?,
            Err(error) => send(&WorkerMessage::Error {
                id: envelope.id,
                error,
            })?,
        }
    }
    Ok(())
}

#[cfg(debug_assertions)]
fn abort_if_asked() {
    if std::env::var_os(ABORT_ON_REQUEST_ENV).is_some() {
        eprintln!("{ABORT_ON_REQUEST_ENV} is set: aborting on this request (test hook)");
        std::process::abort();
    }
}

#[cfg(not(debug_assertions))]
fn abort_if_asked() {}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::stt::{Segment, Stt, SttRequest, SttStream, Transcription, WhisperModel};

    #[derive(Clone, Default)]
    struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

    impl Write for SharedBuffer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn ready() -> Ready<Stt> {
        Ready::new(
            "0.0.0",
            WhisperModel {
                path: "/m".into(),
                model_type: "tiny".into(),
                multilingual: false,
            },
        )
    }

    fn run(input: &str) -> (Result<(), ServeError>, Vec<WorkerMessage<Stt>>) {
        let output = SharedBuffer::default();
        let result = serve_on(
            input.as_bytes(),
            Box::new(output.clone()),
            ready(),
            |request, emitter| {
                let SttRequest::Transcribe { audio_path, .. } = request;
                if audio_path.as_os_str() == "bad.wav" {
                    return Err(WorkerError::BadInput {
                        path: audio_path,
                        message: "not a WAV file".into(),
                    });
                }
                emitter.progress(0.5);
                let segment = Segment {
                    start_ms: 0,
                    end_ms: 10,
                    text: "hi".into(),
                    words: Vec::new(),
                };
                emitter.stream(SttStream::Segment(segment.clone()));
                Ok(Transcription {
                    segments: vec![segment],
                    duration_ms: 10,
                    language: "en".into(),
                })
            },
        );
        let bytes = output.0.lock().unwrap().clone();
        let mut reader = LineReader::new(bytes.as_slice(), 1024);
        let mut messages = Vec::new();
        while let Some(message) = reader.read().unwrap() {
            messages.push(message);
        }
        (result, messages)
    }

    fn kinds(messages: &[WorkerMessage<Stt>]) -> Vec<(&'static str, Option<RequestId>)> {
        messages
            .iter()
            .map(|m| match m {
                WorkerMessage::Ready(_) => ("ready", None),
                WorkerMessage::Fatal { .. } => ("fatal", None),
                WorkerMessage::Progress { id, .. } => ("progress", Some(*id)),
                WorkerMessage::Stream { id, .. } => ("stream", Some(*id)),
                WorkerMessage::Result { id, .. } => ("result", Some(*id)),
                WorkerMessage::Error { id, .. } => ("error", Some(*id)),
            })
            .collect()
    }

    #[test]
    fn answers_each_request_with_events_then_one_result_or_error() {
        let input = concat!(
            r#"{"id":1,"request":{"type":"transcribe","audio_path":"a.wav"}}"#,
            "\n",
            r#"{"id":2,"request":{"type":"transcribe","audio_path":"bad.wav"}}"#,
            "\n",
            r#"{"id":3,"request":{"type":"no_such_request"}}"#,
            "\n",
        );
        let (result, messages) = run(input);
        result.unwrap();
        assert_eq!(
            kinds(&messages),
            [
                ("ready", None),
                ("progress", Some(1)),
                ("stream", Some(1)),
                ("result", Some(1)),
                ("error", Some(2)),
                ("error", Some(3)),
            ]
        );
        assert!(matches!(
            &messages[5],
            WorkerMessage::Error {
                error: WorkerError::BadRequest { .. },
                ..
            }
        ));
    }

    #[test]
    fn a_request_without_an_id_stops_the_loop_with_an_error() {
        let (result, messages) = run("{\"request\":{}}\n");
        assert!(matches!(result, Err(ServeError::Unanswerable { .. })));
        assert_eq!(kinds(&messages), [("ready", None)]);
    }
}
