//! Turning a stream of token bytes into whole UTF-8 characters.
//!
//! A token can end in the middle of a multi-byte character (emoji, accented letters in byte-level
//! BPE vocabularies), so pieces are buffered until their characters are complete. Bytes that can
//! never form a character become U+FFFD rather than being dropped or breaking the stream.

/// Buffers incomplete UTF-8 sequences between tokens.
#[derive(Debug, Default)]
pub struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    /// Adds `bytes` and returns every character that is now complete.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(text) => {
                    out.push_str(text);
                    self.pending.clear();
                    return out;
                }
                Err(error) => {
                    let valid = error.valid_up_to();
                    out.push_str(std::str::from_utf8(&self.pending[..valid]).unwrap_or_default());
                    match error.error_len() {
                        // An unfinished character at the end: keep it for the next token.
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(invalid) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + invalid);
                        }
                    }
                }
            }
        }
    }

    /// Ends the stream: an unfinished character left over becomes U+FFFD.
    pub fn finish(&mut self) -> String {
        let rest = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_split_at_every_byte_boundary_come_out_whole() {
        let text = "Grüße, 世界 🎓!";
        let bytes = text.as_bytes();
        for split in 0..=bytes.len() {
            let mut stream = Utf8Stream::default();
            let mut out = stream.push(&bytes[..split]);
            assert!(
                out.chars().all(|c| c != char::REPLACEMENT_CHARACTER),
                "split {split}"
            );
            out += &stream.push(&bytes[split..]);
            out += &stream.finish();
            assert_eq!(out, text, "split {split}");
        }
        // One byte at a time: nothing is emitted before its character is complete.
        let mut stream = Utf8Stream::default();
        let pieces: Vec<String> = bytes.iter().map(|b| stream.push(&[*b])).collect();
        assert_eq!(pieces.concat(), text);
        assert!(pieces.iter().all(|p| p.chars().count() <= 1));
    }

    #[test]
    fn invalid_bytes_become_replacement_characters_and_the_stream_goes_on() {
        let mut stream = Utf8Stream::default();
        assert_eq!(stream.push(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(stream.push(b"\xe4\xb8"), "");
        assert_eq!(stream.finish(), "\u{fffd}");
        assert_eq!(stream.push("ok".as_bytes()), "ok");
    }
}
