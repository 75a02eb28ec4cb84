//! Generates the Tauri context and the permissions for the app's own commands.
//!
//! Declaring the commands in an app manifest makes Tauri generate an `allow-<command>` permission
//! for each, so a window can call only what `capabilities/` grants it.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&["app_info", "list_models"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|error| panic!("tauri-build failed: {error:#}"));
}
