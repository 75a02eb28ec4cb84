//! Calls `app_info` through Tauri's IPC layer (mock runtime, no display) the way the UI does,
//! so the command's registration, its capability grant and its JSON shape are all checked.

use std::path::PathBuf;

use little_monster::ShellState;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindowBuilder};

/// The origin the embedded UI is served from on Linux; the capabilities apply to it.
const APP_ORIGIN: &str = "tauri://localhost";

fn app() -> App<MockRuntime> {
    let state = ShellState {
        data_dir: PathBuf::from("/tmp/lm-test/data"),
        models_dir: PathBuf::from("/tmp/lm-test/models"),
    };
    little_monster::build_app(mock_builder(), state).unwrap()
}

/// Invokes `command` with no arguments from a new window labelled `window_label`.
fn invoke(
    app: &App<MockRuntime>,
    window_label: &str,
    command: &str,
) -> Result<serde_json::Value, serde_json::Value> {
    let webview = WebviewWindowBuilder::new(app, window_label, WebviewUrl::App("index.html".into()))
        .build()
        .unwrap();
    let request = InvokeRequest {
        cmd: command.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: APP_ORIGIN.parse().unwrap(),
        body: InvokeBody::default(),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(&webview, request).map(|body| body.deserialize().unwrap())
}

#[test]
fn app_info_reports_version_and_folders() {
    let app = app();
    let info = invoke(&app, "main", "app_info").unwrap();
    assert_eq!(
        info,
        serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "dataDir": "/tmp/lm-test/data",
            "modelsDir": "/tmp/lm-test/models",
        })
    );
}

#[test]
fn windows_without_a_capability_cannot_call_app_info() {
    let app = app();
    let error = invoke(&app, "untrusted", "app_info").unwrap_err();
    assert!(
        error.as_str().is_some_and(|message| message.contains("not allowed")),
        "expected a 'not allowed' refusal, got {error}"
    );
}
