//! What the IPC tests share: an app on Tauri's mock runtime over a library in a temp folder,
//! and calling its commands the way the UI's `invoke` does.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // Each test binary uses a part.

use std::path::Path;

use little_monster::{ShellConfig, ShellState};
use lm_core::library::{Library, LibraryRoot};
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// The origin the embedded UI is served from on Linux; the capabilities apply to it.
const APP_ORIGIN: &str = "tauri://localhost";

/// An app whose data lives in `data_dir`, with background jobs off (the tests look at the
/// queue; nothing loads a model).
pub fn app(data_dir: &Path, models_dir: &Path) -> App<MockRuntime> {
    let state = ShellState::new(ShellConfig {
        data_dir: data_dir.to_owned(),
        models_dir: models_dir.to_owned(),
        run_jobs: false,
    })
    .expect("the shell state is created");
    little_monster::build_app(mock_builder(), state).expect("the app builds on the mock runtime")
}

/// Opens a mock window labelled `label`; capabilities are granted per window label.
pub fn window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    WebviewWindowBuilder::new(app, label, WebviewUrl::App("index.html".into()))
        .build()
        .expect("a mock window opens")
}

/// Invokes `command` with `args` (a JSON object) from `window`, as the UI's `invoke` does.
pub fn call(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: command.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: APP_ORIGIN.parse().expect("the app origin is a URL"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize().expect("the response is JSON"))
}

/// Like [`call`], for a call that must succeed.
pub fn ok(window: &WebviewWindow<MockRuntime>, command: &str, args: Value) -> Value {
    call(window, command, args).unwrap_or_else(|error| panic!("{command} failed: {error}"))
}

/// Like [`call`], for a call that must fail with a `CommandError` of `kind`; returns its message.
pub fn fails(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    args: Value,
    kind: &str,
) -> String {
    let error = call(window, command, args).expect_err("the call fails");
    assert_eq!(error["kind"], kind, "{command}: {error}");
    error["message"].as_str().expect("a message").to_owned()
}

/// A second connection to the (only) profile's library, to set up or check data directly.
pub fn library(data_dir: &Path) -> Library {
    LibraryRoot::new(data_dir)
        .open_or_create_default("Student")
        .expect("the library opens")
}

/// Writes a WAV of `seconds` of a quiet 440 Hz tone, 16 kHz mono.
pub fn tone_wav(path: &Path, seconds: f32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    let samples = (seconds * 16_000.0) as usize;
    for n in 0..samples {
        let t = n as f32 / 16_000.0;
        writer
            .write_sample((f32::sin(t * 440.0 * std::f32::consts::TAU) * 3000.0) as i16)
            .unwrap();
    }
    writer.finalize().unwrap();
}
