//! Opening the student's library: the one place the CLI decides which profile it works on.

use lm_core::library::{Library, LibraryRoot};
use lm_core::recording::recover_interrupted_recordings;

/// The name of the profile created on first use.
const DEFAULT_PROFILE: &str = "Student";

/// The library of the first profile under [`lm_core::paths::data_dir`] (set
/// `LITTLEMONSTER_DATA_DIR` to use another folder), created on first use. Recordings a crash
/// left unfinished are repaired and stored first, and reported on stderr.
pub fn open_library() -> anyhow::Result<Library> {
    let library =
        LibraryRoot::new(&lm_core::paths::data_dir()).open_or_create_default(DEFAULT_PROFILE)?;
    for recovered in recover_interrupted_recordings(&library)? {
        let lecture = &recovered.lecture;
        match &recovered.problem {
            None => eprintln!(
                "recovered the interrupted recording \"{}\" ({}): {:.1} s of audio, {} live \
                 transcript segments",
                lecture.title,
                lecture.id,
                recovered.duration_ms as f64 / 1000.0,
                recovered.transcript_segments
            ),
            Some(problem) => eprintln!(
                "could not recover the interrupted recording \"{}\" ({}): {problem}",
                lecture.title, lecture.id
            ),
        }
    }
    Ok(library)
}
