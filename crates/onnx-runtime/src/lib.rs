//! Loads the ONNX Runtime shared library, once per process, for the engines that run ONNX models
//! (`lm-embed`, `lm-tts`).
//!
//! ONNX Runtime is not linked at build time: `ort`'s `load-dynamic` feature opens
//! `libonnxruntime.so` at run time, from the models folder (catalog id `onnxruntime`). Loading goes
//! through [`ort::init_from`], which returns an error, rather than the `ORT_DYLIB_PATH` route,
//! which panics when the library is missing or too old.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use lm_core::engines::EngineError;

/// Catalog id of the ONNX Runtime library in the models folder.
pub const MODEL_ID: &str = "onnxruntime";

/// File name of the ONNX Runtime library inside its model folder.
pub const LIBRARY_FILE: &str = "libonnxruntime.so";

/// Where the fetched ONNX Runtime library lives: `<models dir>/onnxruntime/libonnxruntime.so`.
pub fn default_library_path() -> PathBuf {
    lm_core::paths::models_dir()
        .join(MODEL_ID)
        .join(LIBRARY_FILE)
}

/// The library this process loaded, once loading succeeded. A failed attempt is not remembered, so
/// a later call (after the user fetched the file) can still succeed.
static LOADED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Loads ONNX Runtime from `library` unless this process already loaded it; must run before any
/// other `ort` call.
///
/// Fails with [`EngineError::BadModel`] when the file is missing, is not an ONNX Runtime library,
/// or is older than the API version `ort` needs (1.24). A process can hold only one ONNX Runtime:
/// asking for a different file after one was loaded is an error rather than a silent mismatch.
pub fn init(library: &Path) -> Result<(), EngineError> {
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(current) = loaded.as_deref() {
        if current == library {
            return Ok(());
        }
        return Err(bad_library(
            library,
            format!(
                "ONNX Runtime is already loaded from {} in this process",
                current.display()
            ),
        ));
    }
    if !library.is_file() {
        return Err(bad_library(
            library,
            "the ONNX Runtime library is missing: run scripts/fetch-models".to_owned(),
        ));
    }
    // ort 2.0.0-rc.12 deadlocks instead of returning its error when the library fails to load or
    // is too old (building the error needs the API it failed to load), so check first.
    check_library(library)?;
    let builder = ort::init_from(library).map_err(|e| bad_library(library, e.to_string()))?;
    // `false` only means an environment already existed; the library itself is loaded either way.
    let _ = builder.with_name("littlemonster").commit();
    *loaded = Some(library.to_path_buf());
    Ok(())
}

/// Loads ONNX Runtime from [`default_library_path`]; see [`init`].
pub fn init_default() -> Result<(), EngineError> {
    init(&default_library_path())
}

/// Opens `library` and checks that it is an ONNX Runtime of API version [`ort::MINOR_VERSION`]
/// or newer, the way `ort` would, but failing with an error.
#[allow(unsafe_code)]
fn check_library(library: &Path) -> Result<(), EngineError> {
    type GetApiBase = unsafe extern "C" fn() -> *const ort::sys::OrtApiBase;
    // SAFETY: loading runs the library's initialisers; the file sits in our models folder, put
    // there (and checksummed) by scripts/fetch-models, and ort loads the very same file next.
    let lib = unsafe { libloading::Library::new(library) }
        .map_err(|e| bad_library(library, format!("failed to load as a shared library: {e}")))?;
    // SAFETY: `OrtGetApiBase` has had this signature in every ONNX Runtime release.
    let get_api_base = unsafe { lib.get::<GetApiBase>(b"OrtGetApiBase") }.map_err(|_| {
        bad_library(
            library,
            "not an ONNX Runtime library (no OrtGetApiBase)".to_owned(),
        )
    })?;
    // SAFETY: the function takes no arguments and returns a pointer to a static struct.
    let base = unsafe { get_api_base() };
    if base.is_null() {
        return Err(bad_library(
            library,
            "OrtGetApiBase returned nothing".to_owned(),
        ));
    }
    // SAFETY: `base` is non-null and points to the library's static OrtApiBase, whose
    // GetVersionString returns a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(((*base).GetVersionString)()) }
        .to_string_lossy()
        .into_owned();
    let minor = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse::<u32>().ok());
    if !version.starts_with("1.") || minor.is_none_or(|m| m < ort::MINOR_VERSION) {
        return Err(bad_library(
            library,
            format!(
                "ONNX Runtime {version} is too old: version 1.{} or newer is needed",
                ort::MINOR_VERSION
            ),
        ));
    }
    Ok(())
}

fn bad_library(path: &Path, problem: String) -> EngineError {
    EngineError::BadModel {
        path: path.to_path_buf(),
        problem,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn missing_library_is_a_clear_error_and_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join(LIBRARY_FILE);
        let message = init(&missing).unwrap_err().to_string();
        assert!(
            message.contains("missing") && message.contains("scripts/fetch-models"),
            "{message}"
        );
        assert!(LOADED.lock().unwrap().is_none());
    }

    #[test]
    fn a_file_that_is_not_a_library_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join(LIBRARY_FILE);
        std::fs::write(&fake, "not a shared object").unwrap();
        let message = init(&fake).unwrap_err().to_string();
        assert!(
            message.contains("failed to load as a shared library"),
            "{message}"
        );
    }

    #[test]
    fn a_shared_library_that_is_not_onnx_runtime_is_rejected() {
        let libm = [
            "/lib/x86_64-linux-gnu/libm.so.6",
            "/lib/aarch64-linux-gnu/libm.so.6",
            "/lib64/libm.so.6",
        ]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .expect("the C maths library, libm.so.6");
        let message = init(libm).unwrap_err().to_string();
        assert!(message.contains("not an ONNX Runtime library"), "{message}");
    }
}
