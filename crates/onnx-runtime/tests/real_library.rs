//! Loading the real ONNX Runtime from the models folder (`scripts/fetch-models`).
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::Path;

#[test]
fn loads_once_and_refuses_a_second_library() {
    let library =
        lm_testkit::require_model(lm_onnx_runtime::MODEL_ID, lm_onnx_runtime::LIBRARY_FILE);
    lm_onnx_runtime::init(&library).unwrap();
    lm_onnx_runtime::init(&library).unwrap();
    let other = Path::new("/elsewhere/libonnxruntime.so");
    let message = lm_onnx_runtime::init(other).unwrap_err().to_string();
    assert!(message.contains("already loaded"), "{message}");
}
