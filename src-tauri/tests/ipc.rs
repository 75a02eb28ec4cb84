//! Calls the shell's commands through Tauri's IPC layer (mock runtime, no display) the way the UI
//! does, so each command's registration, its capability grant and its JSON shape are checked.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use little_monster::ShellState;
use lm_core::models::ModelCatalog;
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// The origin the embedded UI is served from on Linux; the capabilities apply to it.
const APP_ORIGIN: &str = "tauri://localhost";

fn app(data_dir: &Path, models_dir: &Path) -> App<MockRuntime> {
    let state = ShellState {
        data_dir: data_dir.to_owned(),
        models_dir: models_dir.to_owned(),
    };
    little_monster::build_app(mock_builder(), state).expect("the app builds on the mock runtime")
}

/// Opens a mock window labelled `label`; capabilities are granted per window label.
fn window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    WebviewWindowBuilder::new(app, label, WebviewUrl::App("index.html".into()))
        .build()
        .expect("a mock window opens")
}

/// Invokes `command` with no arguments from `window`, as the UI's `invoke` does.
fn invoke(window: &WebviewWindow<MockRuntime>, command: &str) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: command.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: APP_ORIGIN.parse().expect("the app origin is a URL"),
        body: InvokeBody::default(),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize().expect("the response is JSON"))
}

#[test]
fn app_info_reports_version_and_folders() {
    let app = app(
        Path::new("/tmp/lm-test/data"),
        Path::new("/tmp/lm-test/models"),
    );
    let info = invoke(&window(&app, "main"), "app_info").expect("app_info succeeds");
    assert_eq!(
        info,
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "dataDir": "/tmp/lm-test/data",
            "modelsDir": "/tmp/lm-test/models",
        })
    );
}

#[test]
fn windows_without_a_capability_cannot_call_commands() {
    let app = app(
        Path::new("/tmp/lm-test/data"),
        Path::new("/tmp/lm-test/models"),
    );
    let untrusted = window(&app, "untrusted");
    for command in ["app_info", "list_models"] {
        let error = invoke(&untrusted, command).expect_err("the call is refused");
        assert!(
            error
                .as_str()
                .is_some_and(|message| message.contains("not allowed")),
            "{command}: expected a 'not allowed' refusal, got {error}"
        );
    }
}

/// Creates `path` with `size` bytes (sparse: the listing checks presence and size only).
fn file_of_size(path: &Path, size: u64) {
    fs::create_dir_all(path.parent().expect("model files sit in a folder")).expect("mkdir");
    File::create(path)
        .and_then(|file| file.set_len(size))
        .expect("create model file");
}

#[test]
fn list_models_reports_each_catalog_model_as_installed_missing_or_incomplete() {
    let catalog = ModelCatalog::bundled().expect("the bundled catalog parses");
    let entries = catalog.entries();
    assert!(entries.len() >= 2, "the test needs two catalog models");
    let models_dir = tempfile::tempdir().expect("temp dir");
    let root = models_dir.path();
    // The first model fully installed, the second with its first file cut short, the rest absent.
    let installed = &entries[0];
    for file in &installed.files {
        file_of_size(&root.join(&installed.id).join(&file.path), file.size);
    }
    let broken = &entries[1];
    let broken_file: PathBuf = root.join(&broken.id).join(&broken.files[0].path);
    file_of_size(&broken_file, broken.files[0].size - 1);

    let app = app(Path::new("/tmp/lm-test/data"), root);
    let listed = invoke(&window(&app, "main"), "list_models").expect("list_models succeeds");
    let listed = listed.as_array().expect("a list");

    assert_eq!(listed.len(), entries.len());
    for (row, entry) in listed.iter().zip(entries) {
        assert_eq!(row["id"], json!(entry.id));
        assert_eq!(row["name"], json!(entry.name));
        assert_eq!(row["role"], json!(entry.role.to_string()));
        let total: u64 = entry.files.iter().map(|file| file.size).sum();
        assert_eq!(row["sizeBytes"], json!(total));
    }
    assert_eq!(listed[0]["presence"], "installed");
    assert_eq!(listed[0]["problem"], Value::Null);
    assert_eq!(listed[1]["presence"], "incomplete");
    let problem = listed[1]["problem"].as_str().expect("a problem text");
    assert!(
        problem.contains(&broken_file.display().to_string()) && problem.contains("wrong size"),
        "{problem}"
    );
    for row in &listed[2..] {
        assert_eq!(row["presence"], "missing", "{row}");
    }
}
