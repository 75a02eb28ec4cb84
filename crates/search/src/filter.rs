//! What a search looks at: the class scope, the kind of source and the creation date, and the
//! chunk record both indexes are built from.

use lm_core::store::{Chunk, ChunkSource, ClassId, SourceLocator, UnixMillis};

/// The kind of material a chunk comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A page of an imported document.
    Document,
    /// A span of a lecture transcript.
    Lecture,
}

impl SourceKind {
    /// The kind of a chunk's source.
    pub fn of(locator: &SourceLocator) -> Self {
        match locator {
            SourceLocator::DocumentPage { .. } => Self::Document,
            SourceLocator::LectureSpan { .. } => Self::Lecture,
        }
    }

    /// The kind as stored in the full-text index.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Lecture => "lecture",
        }
    }
}

/// Which classes a search covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "scope", content = "class_id", rename_all = "snake_case")]
pub enum Scope {
    /// Every class of the profile.
    #[default]
    Everything,
    /// One class.
    Class(ClassId),
}

/// The restrictions of a search; the default searches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SearchFilter {
    /// One class or all of them.
    pub scope: Scope,
    /// Only documents or only lectures; `None` for both.
    pub kind: Option<SourceKind>,
    /// Only chunks created at or after this time.
    pub created_from: Option<UnixMillis>,
    /// Only chunks created before this time (exclusive, so consecutive ranges do not overlap).
    pub created_before: Option<UnixMillis>,
}

impl SearchFilter {
    /// Whether a chunk with these attributes passes the kind and date restrictions (the class
    /// scope is checked by the caller, which compares class ids in its own representation).
    pub(crate) fn accepts_kind_and_date(&self, kind: SourceKind, created_at: UnixMillis) -> bool {
        self.kind.is_none_or(|wanted| wanted == kind)
            && self.created_from.is_none_or(|from| created_at >= from)
            && self.created_before.is_none_or(|before| created_at < before)
    }
}

/// A chunk with the class its source belongs to: what both indexes store about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassChunk {
    /// The class of the chunk's document or lecture.
    pub class_id: ClassId,
    /// The chunk as stored in SQLite.
    pub chunk: Chunk,
}

impl ClassChunk {
    /// The document or lecture the chunk belongs to.
    pub fn source(&self) -> ChunkSource {
        self.chunk.locator.source()
    }

    /// Whether it comes from a document or a lecture.
    pub fn kind(&self) -> SourceKind {
        SourceKind::of(&self.chunk.locator)
    }
}

/// A source as one key ("document:<id>" / "lecture:<id>"), so a document and a lecture can never
/// be confused even if their ids were equal.
pub(crate) fn source_key(source: &ChunkSource) -> String {
    match source {
        ChunkSource::Document(id) => format!("document:{id}"),
        ChunkSource::Lecture(id) => format!("lecture:{id}"),
    }
}
