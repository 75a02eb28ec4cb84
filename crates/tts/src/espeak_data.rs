//! Finding espeak-ng's phoneme data, which Piper voices need to turn text into phonemes.
//!
//! piper-rs's espeak-ng reads the folder named by `PIPER_ESPEAKNG_DATA_DIRECTORY` (a folder that
//! *contains* `espeak-ng-data`), once, when it is first used; without it, espeak-ng falls back to
//! a path inside the build folder, which does not exist where the app is installed. Debian's
//! `espeak-ng-data` package installs the data at `/usr/lib/<multiarch>/espeak-ng-data`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use lm_core::engines::EngineError;

/// The environment variable piper-rs's espeak-ng reads: a folder containing `espeak-ng-data`.
pub const ENV_VAR: &str = "PIPER_ESPEAKNG_DATA_DIRECTORY";

const DATA_DIR_NAME: &str = "espeak-ng-data";

/// Folders where distributions put `espeak-ng-data`, most specific first.
const SYSTEM_PARENTS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/share",
    "/usr/local/share",
];

/// Whether `parent` holds usable espeak-ng data (its phoneme table, at least).
pub fn is_data_parent(parent: &Path) -> bool {
    parent.join(DATA_DIR_NAME).join("phontab").is_file()
}

/// The folder containing `espeak-ng-data` to use: `explicit` when given (it must hold the data),
/// else [`ENV_VAR`] when it names a folder with the data, else the first system location with it.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, EngineError> {
    if let Some(parent) = explicit {
        return if is_data_parent(parent) {
            Ok(parent.to_path_buf())
        } else {
            Err(missing(
                parent,
                "has no espeak-ng-data folder with a phontab file",
            ))
        };
    }
    let from_env = std::env::var_os(ENV_VAR)
        .map(PathBuf::from)
        .filter(|p| is_data_parent(p));
    from_env
        .or_else(|| {
            SYSTEM_PARENTS
                .iter()
                .map(PathBuf::from)
                .find(|p| is_data_parent(p))
        })
        .ok_or_else(|| {
            missing(
                Path::new(DATA_DIR_NAME),
                &format!(
                    "not found in {ENV_VAR} or {SYSTEM_PARENTS:?}: install the espeak-ng-data \
                     package (scripts/install-system-deps) or set {ENV_VAR}"
                ),
            )
        })
}

/// The data folder espeak-ng was pointed at in this process.
static CHOSEN: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Points espeak-ng at the data found by [`locate`], before its first use in this process.
///
/// espeak-ng reads its data folder once per process, so a later call asking for a different folder
/// is an error rather than being silently ignored.
pub(crate) fn use_parent(explicit: Option<&Path>) -> Result<(), EngineError> {
    let mut chosen = CHOSEN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(current) = chosen.as_ref() {
        return match explicit {
            Some(asked) if asked != current => Err(missing(
                asked,
                &format!(
                    "espeak-ng already uses the data in {} in this process",
                    current.display()
                ),
            )),
            _ => Ok(()),
        };
    }
    let parent = locate(explicit)?;
    if std::env::var_os(ENV_VAR).as_deref() != Some(parent.as_os_str()) {
        set_env_var(&parent);
    }
    *chosen = Some(parent);
    Ok(())
}

// piper-rs offers no other way to pass the data folder than this environment variable.
#[allow(unsafe_code)]
fn set_env_var(parent: &Path) {
    // SAFETY: the only hazard of `set_var` is another thread reading the environment through C's
    // `getenv` at the same moment. This runs once per process, under `CHOSEN`'s lock, before
    // espeak-ng's first use; apps create their synthesizer while starting up.
    unsafe { std::env::set_var(ENV_VAR, parent) };
}

fn missing(path: &Path, problem: &str) -> EngineError {
    EngineError::BadModel {
        path: path.to_path_buf(),
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn an_explicit_folder_without_data_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let error = locate(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains("no espeak-ng-data"), "{error}");
    }

    #[test]
    fn an_explicit_folder_with_data_is_used() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(DATA_DIR_NAME)).unwrap();
        std::fs::write(dir.path().join(DATA_DIR_NAME).join("phontab"), b"x").unwrap();
        assert_eq!(locate(Some(dir.path())).unwrap(), dir.path());
    }
}
