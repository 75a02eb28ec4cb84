//! Content hashing, so the same lecture imported twice (under any name) is recognised.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{MediaError, display_name};

/// The SHA-256 of the file's bytes as 64 lower-case hex digits, read in fixed-size blocks so any
/// size of file hashes in constant memory.
pub fn content_sha256(path: &Path) -> Result<String, MediaError> {
    let read_error = |source| MediaError::Read {
        file: display_name(path),
        source,
    };
    let mut file = File::open(path).map_err(read_error)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut block) {
            Ok(0) => break,
            Ok(n) => hasher.update(&block[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(e)),
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}
