//! URLs for files the window loads through Tauri's asset protocol (`<audio>`, PDF pages, the
//! read-aloud WAVs), built like `convertFileSrc` of `@tauri-apps/api` builds them.

use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What JavaScript's `encodeURIComponent` leaves as is: letters, digits and `-_.!~*'()`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The asset-protocol URL of `path`: `asset://localhost/<encoded path>` on Linux and macOS,
/// `http://asset.localhost/<encoded path>` on Windows and Android (as `convertFileSrc` does).
/// The window can load it only while the file's folder is in the asset scope (the active
/// profile's folder and the read-aloud folder).
pub fn asset_url(path: &Path) -> String {
    let encoded = utf8_percent_encode(&path.to_string_lossy(), URI_COMPONENT).to_string();
    if cfg!(any(windows, target_os = "android")) {
        format!("http://asset.localhost/{encoded}")
    } else {
        format!("asset://localhost/{encoded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn paths_are_encoded_like_encode_uri_component() {
        assert_eq!(
            asset_url(Path::new("/home/ada/my lecture (1)/ü.wav")),
            "asset://localhost/%2Fhome%2Fada%2Fmy%20lecture%20(1)%2F%C3%BC.wav"
        );
    }
}
