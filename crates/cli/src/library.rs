//! Opening the student's library: the one place the CLI decides which profile it works on.

use anyhow::bail;
use lm_core::library::{Library, LibraryRoot};
use lm_core::recording::recover_interrupted_recordings;
use lm_core::store::{ClassId, DocumentId, LectureId};
use lm_core::study::StudyScope;
use lm_services::{EngineSettings, Services};

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

/// The engines wired to the library [`open_library`] opens, with `settings`.
pub fn open_services(settings: EngineSettings) -> anyhow::Result<Services> {
    Ok(Services::new(open_library()?, settings))
}

/// The id of an existing class, by id or by name ignoring case (looking never creates one).
pub fn find_class(library: &Library, name_or_id: &str) -> anyhow::Result<ClassId> {
    let wanted = name_or_id.trim().to_lowercase();
    let classes = library.store().classes().list(library.profile_id())?;
    match classes
        .into_iter()
        .find(|class| class.id.as_str() == name_or_id.trim() || class.name.to_lowercase() == wanted)
    {
        Some(class) => Ok(class.id),
        None => bail!(
            "there is no class named \"{name_or_id}\" (see the names given to `import --class`)"
        ),
    }
}

/// What a study command works from: exactly one of a lecture, a document or a class.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct ScopeArgs {
    /// A lecture, by id (see `littlemonster import` / `transcript`).
    #[arg(long)]
    lecture: Option<String>,
    /// A document, by id.
    #[arg(long)]
    document: Option<String>,
    /// Every lecture and document of a class, by name or id.
    #[arg(long)]
    class: Option<String>,
}

impl ScopeArgs {
    /// The scope, checked to exist in `library`.
    pub fn resolve(&self, library: &Library) -> anyhow::Result<StudyScope> {
        let store = library.store();
        Ok(match (&self.lecture, &self.document, &self.class) {
            (Some(id), _, _) => {
                StudyScope::Lecture(store.lectures().get(&LectureId::from(id.clone()))?.id)
            }
            (_, Some(id), _) => {
                StudyScope::Document(store.documents().get(&DocumentId::from(id.clone()))?.id)
            }
            (_, _, Some(class)) => StudyScope::Class(find_class(library, class)?),
            (None, None, None) => bail!("name a --lecture, a --document or a --class"),
        })
    }
}

/// The current time in Unix milliseconds, as the store counts it.
pub fn now_ms() -> lm_core::store::UnixMillis {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
