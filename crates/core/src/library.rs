//! The student's library on disk: one folder per profile, holding its database and its files.
//!
//! ```text
//! <data dir>/profiles/<profile id>/
//!     library.sqlite3      the profile's database (see [`crate::store`])
//!     media/ab/<sha256>.ext imported lecture media and documents, content-addressed
//!     recordings/          recordings in progress (moved into media/ when they end)
//!     index/               derived search indexes, rebuildable from the database
//! ```
//!
//! Several students can share one laptop: each profile is a separate folder and database, so
//! one profile's data never appears in another's queries.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::store::{Class, Profile, ProfileId, Store, StoreError};

/// The database file name inside a profile folder.
const DATABASE_FILE: &str = "library.sqlite3";

/// A failure to open or change the library on disk.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// A file or folder operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was attempted ("create the folder", "read", ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// The profile database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No profile has this id or name.
    #[error("there is no profile called \"{0}\" (see the profiles in Settings)")]
    NoSuchProfile(String),
    /// A profile folder exists but its database holds no profile row.
    #[error("{0} holds no profile: the folder is damaged or was not made by Little Monster")]
    EmptyProfile(PathBuf),
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> LibraryError + use<> {
    let path = path.to_path_buf();
    move |source| LibraryError::Io {
        action,
        path,
        source,
    }
}

/// The folder holding every profile's library (`<data dir>/profiles`).
#[derive(Debug, Clone)]
pub struct LibraryRoot {
    profiles_dir: PathBuf,
}

impl LibraryRoot {
    /// The libraries under `data_dir` (usually [`crate::paths::data_dir`]).
    pub fn new(data_dir: &Path) -> Self {
        Self {
            profiles_dir: data_dir.join("profiles"),
        }
    }

    /// Every profile on this device, oldest first.
    pub fn profiles(&self) -> Result<Vec<Profile>, LibraryError> {
        let entries = match fs::read_dir(&self.profiles_dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(io_error("list", &self.profiles_dir)(error)),
        };
        let mut profiles = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("list", &self.profiles_dir))?;
            let dir = entry.path();
            // Half-created profiles (".new-*") and stray files are not profiles.
            if entry.file_name().to_string_lossy().starts_with('.')
                || !dir.join(DATABASE_FILE).is_file()
            {
                continue;
            }
            profiles.push(Library::open_dir(&dir)?.profile);
        }
        profiles.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(profiles)
    }

    /// Creates a profile named `name` with an empty library.
    pub fn create_profile(&self, name: &str) -> Result<Library, LibraryError> {
        fs::create_dir_all(&self.profiles_dir)
            .map_err(io_error("create the folder", &self.profiles_dir))?;
        // Build the library in a hidden folder and rename it into place, so a crash never leaves
        // a profile folder without its profile row.
        let staging = tempfile::Builder::new()
            .prefix(".new-")
            .tempdir_in(&self.profiles_dir)
            .map_err(io_error("create a folder in", &self.profiles_dir))?;
        let profile = {
            let store = Store::open(staging.path().join(DATABASE_FILE))?;
            store.profiles().create(name)?
        };
        let dir = self.profiles_dir.join(profile.id.as_str());
        let staged = staging.keep();
        fs::rename(&staged, &dir).map_err(io_error("move into place", &dir))?;
        Library::open_dir(&dir)
    }

    /// Opens the profile with this id, or the only profile with this name (ignoring case).
    pub fn open(&self, id_or_name: &str) -> Result<Library, LibraryError> {
        let by_id = self.profiles_dir.join(id_or_name);
        if !id_or_name.contains(['/', '\\', '.']) && by_id.join(DATABASE_FILE).is_file() {
            return Library::open_dir(&by_id);
        }
        let wanted = id_or_name.trim().to_lowercase();
        let profile = self
            .profiles()?
            .into_iter()
            .find(|profile| profile.name.to_lowercase() == wanted)
            .ok_or_else(|| LibraryError::NoSuchProfile(id_or_name.to_owned()))?;
        Library::open_dir(&self.profiles_dir.join(profile.id.as_str()))
    }

    /// Opens the oldest profile, creating one named `default_name` when there is none yet.
    pub fn open_or_create_default(&self, default_name: &str) -> Result<Library, LibraryError> {
        match self.profiles()?.into_iter().next() {
            Some(profile) => Library::open_dir(&self.profiles_dir.join(profile.id.as_str())),
            None => self.create_profile(default_name),
        }
    }
}

/// One profile's library: its database and its folders.
#[derive(Debug)]
pub struct Library {
    dir: PathBuf,
    store: Store,
    profile: Profile,
}

/// A file placed in the content store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Lowercase hex sha256 of the content.
    pub sha256: String,
    /// Where the content now lives.
    pub path: PathBuf,
    /// The same place relative to the profile folder: what the database records, so a profile
    /// folder can be moved or restored elsewhere.
    pub relative: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Whether the same content was already in the store (nothing was copied).
    pub already_present: bool,
}

impl Library {
    fn open_dir(dir: &Path) -> Result<Self, LibraryError> {
        let store = Store::open(dir.join(DATABASE_FILE))?;
        let profile = store
            .profiles()
            .list()?
            .into_iter()
            .next()
            .ok_or_else(|| LibraryError::EmptyProfile(dir.to_path_buf()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            store,
            profile,
        })
    }

    /// The profile this library belongs to.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The profile's id.
    pub fn profile_id(&self) -> &ProfileId {
        &self.profile.id
    }

    /// The profile's database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The profile folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a path recorded in the database (relative to the profile folder) names.
    pub fn resolve(&self, recorded: &Path) -> PathBuf {
        self.dir.join(recorded)
    }

    /// Content-addressed media and documents.
    pub fn media_dir(&self) -> PathBuf {
        self.dir.join("media")
    }

    /// Recordings in progress.
    pub fn recordings_dir(&self) -> PathBuf {
        self.dir.join("recordings")
    }

    /// Derived search indexes.
    pub fn index_dir(&self) -> PathBuf {
        self.dir.join("index")
    }

    /// Where content with this hash and extension lives in the store.
    pub fn content_path(&self, sha256: &str, extension: &str) -> PathBuf {
        let shard = sha256.get(..2).unwrap_or("00");
        let name = if extension.is_empty() {
            sha256.to_owned()
        } else {
            format!("{sha256}.{extension}")
        };
        self.media_dir().join(shard).join(name)
    }

    /// Copies `source` into the content store, named by its sha256 and keeping its (sanitised)
    /// extension. Copying the same content twice stores it once. The copy is written to a
    /// temporary file and renamed, so the store never holds a partial file.
    pub fn store_file(&self, source: &Path) -> Result<StoredFile, LibraryError> {
        let media = self.media_dir();
        fs::create_dir_all(&media).map_err(io_error("create the folder", &media))?;
        let mut input = File::open(source).map_err(io_error("open", source))?;
        let mut staged = tempfile::NamedTempFile::new_in(&media)
            .map_err(io_error("create a file in", &media))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0_u8; 1 << 20];
        let mut size = 0_u64;
        loop {
            let read = input.read(&mut buffer).map_err(io_error("read", source))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            staged
                .write_all(&buffer[..read])
                .map_err(io_error("write a copy of", source))?;
            size += read as u64;
        }
        let sha256 = hex(&hasher.finalize());
        let path = self.content_path(&sha256, &safe_extension(source));
        let relative = path.strip_prefix(&self.dir).unwrap_or(&path).to_path_buf();
        if path.is_file() {
            return Ok(StoredFile {
                sha256,
                path,
                relative,
                size,
                already_present: true,
            });
        }
        staged
            .as_file()
            .sync_all()
            .map_err(io_error("write a copy of", source))?;
        if let Some(shard) = path.parent() {
            fs::create_dir_all(shard).map_err(io_error("create the folder", shard))?;
        }
        staged
            .persist(&path)
            .map_err(|error| io_error("store", &path)(error.error))?;
        Ok(StoredFile {
            sha256,
            path,
            relative,
            size,
            already_present: false,
        })
    }

    /// The live class named `name` (ignoring case), created when there is none.
    pub fn class_named(&self, name: &str) -> Result<Class, LibraryError> {
        let wanted = name.trim().to_lowercase();
        let existing = self
            .store
            .classes()
            .list(&self.profile.id)?
            .into_iter()
            .find(|class| class.name.to_lowercase() == wanted);
        match existing {
            Some(class) => Ok(class),
            None => Ok(self.store.classes().create(&self.profile.id, name)?),
        }
    }
}

/// Lowercase hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The file's extension, lowercased, if it is short and alphanumeric; empty otherwise. A hostile
/// file name never reaches the content store's paths.
fn safe_extension(path: &Path) -> String {
    path.extension()
        .and_then(|ext| ext.to_str())
        .filter(|ext| ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_lowercase)
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn first_open_creates_a_default_profile_and_later_opens_find_it() {
        let data = tempfile::tempdir().unwrap();
        let root = LibraryRoot::new(data.path());
        assert!(root.profiles().unwrap().is_empty());
        let first = root.open_or_create_default("Student").unwrap();
        assert_eq!(first.profile().name, "Student");
        let again = root.open_or_create_default("Someone else").unwrap();
        assert_eq!(again.profile_id(), first.profile_id());
        assert_eq!(root.profiles().unwrap().len(), 1);
    }

    #[test]
    fn profiles_are_separate_folders_opened_by_id_or_name() {
        let data = tempfile::tempdir().unwrap();
        let root = LibraryRoot::new(data.path());
        let ada = root.create_profile("Ada").unwrap();
        let bo = root.create_profile("Bo").unwrap();
        ada.class_named("Biology").unwrap();
        assert_ne!(ada.dir(), bo.dir());
        assert!(
            bo.store()
                .classes()
                .list(bo.profile_id())
                .unwrap()
                .is_empty()
        );

        let by_name = root.open("ada").unwrap();
        assert_eq!(by_name.profile_id(), ada.profile_id());
        let by_id = root.open(bo.profile_id().as_str()).unwrap();
        assert_eq!(by_id.profile().name, "Bo");
        assert!(matches!(
            root.open("nobody"),
            Err(LibraryError::NoSuchProfile(name)) if name == "nobody"
        ));
        let names: Vec<_> = root
            .profiles()
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Ada", "Bo"]);
    }

    #[test]
    fn a_blank_profile_name_is_refused_and_leaves_no_folder() {
        let data = tempfile::tempdir().unwrap();
        let root = LibraryRoot::new(data.path());
        assert!(root.create_profile("  ").is_err());
        assert!(root.profiles().unwrap().is_empty());
    }

    #[test]
    fn class_named_finds_case_insensitively_or_creates() {
        let data = tempfile::tempdir().unwrap();
        let library = LibraryRoot::new(data.path())
            .open_or_create_default("Student")
            .unwrap();
        let created = library.class_named("Biology 101").unwrap();
        let found = library.class_named(" biology 101 ").unwrap();
        assert_eq!(created.id, found.id);
    }

    #[test]
    fn stored_files_are_content_addressed_and_deduplicated() {
        let data = tempfile::tempdir().unwrap();
        let library = LibraryRoot::new(data.path())
            .open_or_create_default("Student")
            .unwrap();
        let source = data.path().join("lecture one;rm -rf ~\n.MP3");
        fs::write(&source, b"abc").unwrap();
        let stored = library.store_file(&source).unwrap();
        // sha256("abc")
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(stored.sha256, abc);
        assert_eq!(stored.size, 3);
        assert!(!stored.already_present);
        assert_eq!(
            stored.path,
            library.media_dir().join("ba").join(format!("{abc}.mp3"))
        );
        assert_eq!(fs::read(&stored.path).unwrap(), b"abc");

        let copy = data.path().join("copy.mp3");
        fs::write(&copy, b"abc").unwrap();
        let again = library.store_file(&copy).unwrap();
        assert!(again.already_present);
        assert_eq!(again.path, stored.path);
        // Only the one stored file, no temporary leftovers.
        let leftovers: Vec<_> = fs::read_dir(library.media_dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["ba"]);
    }

    #[test]
    fn a_missing_source_is_a_clear_error() {
        let data = tempfile::tempdir().unwrap();
        let library = LibraryRoot::new(data.path())
            .open_or_create_default("Student")
            .unwrap();
        let missing = data.path().join("gone.wav");
        let error = library.store_file(&missing).unwrap_err().to_string();
        assert!(
            error.contains("cannot open") && error.contains("gone.wav"),
            "{error}"
        );
    }
}
