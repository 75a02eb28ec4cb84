//! Generates the Tauri context and the permissions for the app's own commands.
//!
//! Declaring the commands in an app manifest makes Tauri generate an `allow-<command>` permission
//! for each, so a window can call only what `capabilities/` grants it. The names come from
//! `src/command_names.rs`, which the invoke handler and the capability test read too.

include!("src/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/command_names.rs");
    let manifest = tauri_build::AppManifest::new().commands(COMMAND_NAMES);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|error| panic!("tauri-build failed: {error:#}"));
}
