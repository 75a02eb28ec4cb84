//! Calls `app_info` through Tauri's IPC layer (mock runtime, no display) the way the UI does,
//! so the command's registration, its capability grant and its JSON shape are all checked.

use std::path::PathBuf;

use little_monster::ShellState;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{WebviewUrl, WebviewWindowBuilder};

/// The origin the embedded UI is served from on Linux; the capability applies to it.
const APP_ORIGIN: &str = "tauri://localhost";

fn invoke(command: &str) -> Result<serde_json::Value, serde_json::Value> {
    let state = ShellState {
        data_dir: PathBuf::from("/tmp/lm-test/data"),
        models_dir: PathBuf::from("/tmp/lm-test/models"),
    };
    let app = little_monster::build_app(mock_builder(), state).unwrap();
    let webview = WebviewWindowBuilder::new(&app, "main", WebviewUrl::App("index.html".into()))
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
    get_ipc_response(&webview, request).map(|body| body.deserialize::<serde_json::Value>().unwrap())
}

#[test]
fn app_info_reports_version_and_folders() {
    let info = invoke("app_info").unwrap();
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
fn commands_without_a_grant_are_refused() {
    let error = invoke("no_such_command").unwrap_err();
    assert!(error.to_string().contains("not allowed") || error.to_string().contains("not found"), "{error}");
}
