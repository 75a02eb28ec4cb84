//! Opening profile databases that are not what they should be: the errors name the file.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use lm_core::store::{Store, StoreError};

#[test]
fn a_file_that_is_not_a_database_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("not a database"), "{message}");
}

#[test]
fn a_folder_that_cannot_be_created_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("profiles");
    std::fs::write(&blocker, "a file where the folder should be").unwrap();
    let err = Store::open(blocker.join("ada").join("profile.db")).unwrap_err();
    match err {
        StoreError::CreateDir { path, .. } => assert_eq!(path, blocker.join("ada")),
        other => panic!("expected CreateDir, got {other:?}"),
    }
}

#[test]
fn open_creates_missing_folders_and_reopens_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles").join("ada").join("profile.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.path(), path);
    let profile = store.profiles().create("Ada").unwrap();
    drop(store);
    assert!(path.is_file());
    let store = Store::open(&path).unwrap();
    assert_eq!(store.profiles().get(&profile.id).unwrap(), profile);
}
