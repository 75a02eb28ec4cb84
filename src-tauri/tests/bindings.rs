//! The TypeScript types in `ui/src/bindings/` are exactly what the Rust DTOs generate, so the
//! UI and the shell cannot drift apart. `LM_UPDATE_BINDINGS=1` rewrites them instead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may unwrap.

use std::collections::BTreeMap;
use std::path::Path;

fn files(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ts"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

#[test]
fn ui_bindings_match_the_rust_types() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
    if std::env::var_os("LM_UPDATE_BINDINGS").is_some() {
        if committed.exists() {
            std::fs::remove_dir_all(&committed).unwrap();
        }
        little_monster::bindings::export_to(&committed).unwrap();
        return;
    }
    let fresh = tempfile::tempdir().unwrap();
    little_monster::bindings::export_to(fresh.path()).unwrap();
    let generated = files(fresh.path());
    let present = files(&committed);
    assert!(
        generated.contains_key("JobSummary.ts"),
        "{:?}",
        generated.keys()
    );
    let stale: Vec<_> = generated
        .iter()
        .filter(|(name, text)| present.get(*name) != Some(text))
        .map(|(name, _)| name.as_str())
        .chain(
            present
                .keys()
                .filter(|name| !generated.contains_key(*name))
                .map(String::as_str),
        )
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings is stale ({stale:?}): run LM_UPDATE_BINDINGS=1 cargo test -p little-monster --test bindings"
    );
}
