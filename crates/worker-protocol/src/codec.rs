//! NDJSON framing: one JSON value per line, `\n` separated (`\r\n` accepted).
//!
//! [`LineReader`] copes with reads that end anywhere, including inside a multi-byte UTF-8
//! character, skips blank lines, and bounds a line's length so a runaway peer cannot make the
//! reader buffer without limit. [`LineWriter`] writes each message as one line and flushes it, so
//! the peer sees it at once even through a pipe.

use std::io::{self, BufRead, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Default upper bound on one line: 16 MiB. Messages carry paths and text, never audio.
pub const DEFAULT_MAX_LINE: usize = 16 * 1024 * 1024;

/// A line could not be read or decoded. `line` numbers count from 1, blank lines included.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Reading failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
    /// A line exceeded the limit; the rest of it is skipped, so reading can go on.
    #[error("line {line} is longer than {limit} bytes")]
    LineTooLong {
        /// Which line.
        line: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// A line is not valid UTF-8.
    #[error("line {line} is not valid UTF-8: {source}")]
    InvalidUtf8 {
        /// Which line.
        line: u64,
        /// Where decoding failed.
        source: std::str::Utf8Error,
    },
    /// A line is not JSON of the expected shape.
    #[error("line {line} is not a valid message ({source}): {excerpt}")]
    InvalidJson {
        /// Which line.
        line: u64,
        /// The parser's complaint.
        source: serde_json::Error,
        /// The start of the offending line, for diagnostics.
        excerpt: String,
    },
    /// The stream ended in the middle of a line (the writer died mid-message).
    #[error("stream ended inside line {line} after {bytes} bytes without a newline")]
    TruncatedLine {
        /// Which line.
        line: u64,
        /// Bytes of the unfinished line.
        bytes: usize,
    },
}

/// Reads newline-delimited lines and JSON messages from a [`BufRead`].
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    line: Vec<u8>,
    max_line: usize,
    line_number: u64,
    /// Set after a too-long line: bytes are dropped until the next newline.
    skipping: bool,
}

impl<R: BufRead> LineReader<R> {
    /// A reader that accepts lines of at most `max_line` bytes (counting a `\r` before the `\n`).
    pub fn new(inner: R, max_line: usize) -> Self {
        Self {
            inner,
            line: Vec::new(),
            max_line,
            line_number: 0,
            skipping: false,
        }
    }

    /// The next non-blank line without its line ending, or `None` at a clean end of stream.
    pub fn next_line(&mut self) -> Result<Option<&str>, CodecError> {
        loop {
            if !self.fill_line()? {
                return Ok(None);
            }
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            if !self.line.iter().all(u8::is_ascii_whitespace) {
                break;
            }
        }
        std::str::from_utf8(&self.line)
            .map(Some)
            .map_err(|source| CodecError::InvalidUtf8 {
                line: self.line_number,
                source,
            })
    }

    /// The next message, or `None` at a clean end of stream.
    pub fn read<T: DeserializeOwned>(&mut self) -> Result<Option<T>, CodecError> {
        let Some(line) = self.next_line()? else {
            return Ok(None);
        };
        match serde_json::from_str(line) {
            Ok(message) => Ok(Some(message)),
            Err(source) => {
                let excerpt = line.chars().take(200).collect();
                Err(CodecError::InvalidJson {
                    line: self.line_number,
                    source,
                    excerpt,
                })
            }
        }
    }

    /// Reads one whole line into `self.line` (newline stripped). Returns `false` at a clean end.
    fn fill_line(&mut self) -> Result<bool, CodecError> {
        self.line.clear();
        loop {
            let available = match self.inner.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if available.is_empty() {
                if self.skipping {
                    // The too-long line was already reported; its missing end adds nothing.
                    self.skipping = false;
                    return Ok(false);
                }
                if self.line.is_empty() {
                    return Ok(false);
                }
                let bytes = self.line.len();
                self.line.clear();
                return Err(CodecError::TruncatedLine {
                    line: self.line_number + 1,
                    bytes,
                });
            }
            let newline = available.iter().position(|&b| b == b'\n');
            let take = newline.unwrap_or(available.len());
            let skipping = self.skipping;
            if !skipping {
                if self.line.len() + take > self.max_line {
                    self.line.clear();
                    self.skipping = true;
                    // Consume what we looked at; the rest of the line is skipped on later calls.
                    let consumed = newline.map_or(take, |n| n + 1);
                    self.inner.consume(consumed);
                    self.line_number += 1;
                    if newline.is_some() {
                        self.skipping = false;
                    }
                    return Err(CodecError::LineTooLong {
                        line: self.line_number,
                        limit: self.max_line,
                    });
                }
                self.line.extend_from_slice(&available[..take]);
            }
            match newline {
                Some(n) => {
                    self.inner.consume(n + 1);
                    if skipping {
                        // The tail of a too-long line (already counted and reported).
                        self.skipping = false;
                        continue;
                    }
                    self.line_number += 1;
                    return Ok(true);
                }
                None => self.inner.consume(take),
            }
        }
    }
}

/// Writes one JSON message per line and flushes after each.
#[derive(Debug)]
pub struct LineWriter<W> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> LineWriter<W> {
    /// A writer over `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
        }
    }

    /// Writes `message` as one line and flushes. Compact JSON never contains a raw newline.
    pub fn send<T: Serialize>(&mut self, message: &T) -> io::Result<()> {
        self.buffer.clear();
        serde_json::to_writer(&mut self.buffer, message)?;
        self.buffer.push(b'\n');
        self.inner.write_all(&self.buffer)?;
        self.inner.flush()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use std::io::{BufReader, Read};

    use serde_json::{Value, json};

    use super::*;

    /// A reader that returns at most `chunk` bytes per read, to put boundaries everywhere.
    struct Chunked<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn reader(data: &[u8], chunk: usize, max_line: usize) -> LineReader<BufReader<Chunked<'_>>> {
        // A small BufReader capacity so lines also straddle buffer refills.
        LineReader::new(
            BufReader::with_capacity(7, Chunked { data, chunk }),
            max_line,
        )
    }

    fn messages() -> Vec<Value> {
        vec![
            json!({"event": "ready", "worker": "stt", "model": {"path": "/m/ggml-tiny.en.bin"}}),
            json!({"id": 1, "event": "progress", "fraction": 0.25}),
            json!({"id": 1, "event": "stream", "data": {"type": "segment", "text": "Grüße, 世界 — ok 🎓"}}),
            json!({"id": 1, "event": "result", "data": {"text": "line\nbreak and \"quotes\""}}),
            json!({"id": 2, "event": "error", "error": {"kind": "bad_input", "message": ""}}),
        ]
    }

    /// The messages written by `LineWriter`, with a CRLF line and blank lines mixed in.
    fn encoded_stream() -> Vec<u8> {
        let mut writer = LineWriter::new(Vec::new());
        for (i, message) in messages().iter().enumerate() {
            writer.send(message).unwrap();
            if i == 1 {
                writer.inner.extend_from_slice(b"\n   \r\n");
            }
        }
        let mut bytes = writer.inner;
        // End the third message with CRLF.
        let third_end = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(4)
            .unwrap()
            .0;
        bytes.insert(third_end, b'\r');
        bytes
    }

    #[test]
    fn every_chunk_boundary_yields_the_same_messages() {
        let stream = encoded_stream();
        for chunk in 1..=stream.len() {
            let mut lines = reader(&stream, chunk, 1024);
            let mut decoded = Vec::new();
            while let Some(message) = lines.read::<Value>().unwrap() {
                decoded.push(message);
            }
            assert_eq!(decoded, messages(), "chunk size {chunk}");
        }
    }

    #[test]
    fn end_of_stream_inside_a_line_is_reported() {
        let stream = b"{\"id\":1}\n{\"id\":2,\"ev";
        for chunk in 1..=stream.len() {
            let mut lines = reader(stream, chunk, 1024);
            assert_eq!(lines.read::<Value>().unwrap(), Some(json!({"id": 1})));
            match lines.read::<Value>() {
                Err(CodecError::TruncatedLine { line: 2, bytes: 11 }) => {}
                other => panic!("chunk {chunk}: expected TruncatedLine, got {other:?}"),
            }
            assert!(lines.read::<Value>().unwrap().is_none());
        }
    }

    #[test]
    fn invalid_json_is_a_typed_error_and_reading_continues() {
        let stream = b"{\"id\":1}\n{not json}\n{\"id\":3}\n";
        let mut lines = reader(stream, 3, 1024);
        assert_eq!(lines.read::<Value>().unwrap(), Some(json!({"id": 1})));
        match lines.read::<Value>() {
            Err(CodecError::InvalidJson {
                line: 2, excerpt, ..
            }) => assert_eq!(excerpt, "{not json}"),
            other => panic!("expected InvalidJson, got {other:?}"),
        }
        assert_eq!(lines.read::<Value>().unwrap(), Some(json!({"id": 3})));
    }

    #[test]
    fn json_of_the_wrong_shape_is_invalid_json() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)] // Only deserialised, to check the shape.
        struct Expected {
            id: u64,
        }
        let mut lines = reader(b"{\"id\":\"seven\"}\n", 64, 1024);
        assert!(matches!(
            lines.read::<Expected>(),
            Err(CodecError::InvalidJson { line: 1, .. })
        ));
    }

    #[test]
    fn invalid_utf8_is_a_typed_error_and_reading_continues() {
        let stream = b"{\"a\":\"\xff\xfe\"}\n{\"id\":2}\n";
        let mut lines = reader(stream, 2, 1024);
        assert!(matches!(
            lines.read::<Value>(),
            Err(CodecError::InvalidUtf8 { line: 1, .. })
        ));
        assert_eq!(lines.read::<Value>().unwrap(), Some(json!({"id": 2})));
    }

    #[test]
    fn an_oversize_line_is_rejected_without_buffering_it_and_reading_continues() {
        let long = format!("{{\"text\":\"{}\"}}\n", "x".repeat(10_000));
        let stream = format!("{{\"id\":1}}\n{long}{{\"id\":3}}\n");
        for chunk in [1, 2, 5, 64, 4096, stream.len()] {
            let mut lines = reader(stream.as_bytes(), chunk, 100);
            assert_eq!(lines.read::<Value>().unwrap(), Some(json!({"id": 1})));
            assert!(
                matches!(
                    lines.read::<Value>(),
                    Err(CodecError::LineTooLong {
                        line: 2,
                        limit: 100
                    })
                ),
                "chunk {chunk}"
            );
            assert!(
                lines.line.capacity() <= 200,
                "buffered {} bytes",
                lines.line.capacity()
            );
            assert_eq!(
                lines.read::<Value>().unwrap(),
                Some(json!({"id": 3})),
                "chunk {chunk}"
            );
            assert!(lines.read::<Value>().unwrap().is_none());
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_accepted() {
        let line = format!("\"{}\"", "y".repeat(98));
        assert_eq!(line.len(), 100);
        let stream = format!("{line}\n");
        let mut lines = reader(stream.as_bytes(), 3, 100);
        assert_eq!(
            lines.read::<Value>().unwrap(),
            Some(Value::String("y".repeat(98)))
        );
    }

    #[test]
    fn empty_and_blank_only_streams_end_cleanly() {
        assert!(reader(b"", 1, 10).read::<Value>().unwrap().is_none());
        assert!(
            reader(b"\n\r\n  \n", 1, 10)
                .read::<Value>()
                .unwrap()
                .is_none()
        );
    }
}
