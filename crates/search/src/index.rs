//! [`SearchIndex`]: the search indexes of one profile, kept in step with its database.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use lm_core::store::{ChunkId, ChunkSource, Store};

use crate::error::SearchError;
use crate::filter::{ClassChunk, SearchFilter};
use crate::fusion::reciprocal_rank_fusion;
use crate::hit::SearchHit;
use crate::text::{PreparedQuery, TextIndex};
use crate::vector::VectorIndex;

/// The subfolder of the index folder that holds the full-text index. Only this subfolder is ever
/// deleted when the index is damaged, so a wrong `dir` cannot cost the user other files.
pub const FULL_TEXT_FOLDER: &str = "fulltext";

/// How deep each ranking goes before fusion: enough that a chunk ranked modestly by both
/// methods can still surface, few enough to stay cheap.
pub const FUSION_DEPTH: usize = 50;

/// A chunk to index, with its embedding when it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedChunk {
    /// The chunk and its class.
    pub chunk: ClassChunk,
    /// Its embedding by the index's model; `None` leaves it to full-text search only.
    pub embedding: Option<Vec<f32>>,
}

/// Why [`SearchIndex::open`] rebuilt the full-text index instead of opening it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum RebuildReason {
    /// There was no index yet (first start, or the folder was deleted).
    Missing,
    /// The index could not be read (damaged or written by an older version); the error says how.
    Unreadable(String),
}

/// What [`SearchIndex::open`], [`SearchIndex::sync`] or [`SearchIndex::rebuild`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Set when the full-text index was rebuilt from scratch on opening.
    pub rebuilt: Option<RebuildReason>,
    /// Chunks added to the full-text index.
    pub added: usize,
    /// Chunks removed from the full-text index because they are gone from the database (or
    /// their document, lecture or class was deleted).
    pub removed: usize,
    /// Chunks in the full-text index afterwards.
    pub chunks: usize,
    /// Embeddings loaded into the vector index.
    pub vectors: usize,
    /// Embeddings left out because their length does not match the model's dimensions.
    pub skipped_vectors: usize,
}

/// The search indexes of one profile: full-text (tantivy, on disk) and vectors (in memory),
/// both derived from the profile's database and rebuilt from it when needed.
///
/// Searching takes `&self`; changing takes `&mut self`, so share it behind a `RwLock`.
pub struct SearchIndex {
    dir: PathBuf,
    embedding_model: String,
    text: TextIndex,
    vectors: VectorIndex,
}

impl SearchIndex {
    /// Opens the indexes in `dir` (the profile's index folder, e.g.
    /// `lm_core::library::Library::index_dir`) and brings them in line with `store`.
    ///
    /// The vector index holds the `dims`-dimensional embeddings of `embedding_model` (the model
    /// id under which the embedder stored them). A missing or unreadable full-text index is
    /// rebuilt from the database; the report says so. Only another process holding the index
    /// ([`SearchError::Locked`]) or a failure to rebuild is an error.
    pub fn open(
        dir: impl AsRef<Path>,
        store: &Store,
        embedding_model: &str,
        dims: usize,
    ) -> Result<(Self, SyncReport), SearchError> {
        let dir = dir.as_ref().to_path_buf();
        let text_dir = dir.join(FULL_TEXT_FOLDER);
        let (text, rebuilt) = match TextIndex::open(&text_dir) {
            Ok(text) => (text, None),
            Err(error @ SearchError::Locked { .. }) => return Err(error),
            Err(error) => {
                let reason = if text_dir.exists() {
                    tracing::warn!(%error, "the full-text index is unreadable; rebuilding it");
                    remove_folder(&text_dir)?;
                    RebuildReason::Unreadable(error.to_string())
                } else {
                    RebuildReason::Missing
                };
                (TextIndex::create(&text_dir)?, Some(reason))
            }
        };
        let mut index = Self {
            dir,
            embedding_model: embedding_model.to_owned(),
            text,
            vectors: VectorIndex::new(dims),
        };
        let report = index.sync(store)?;
        Ok((index, SyncReport { rebuilt, ..report }))
    }

    /// The index folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The embedding model whose vectors the index holds.
    pub fn embedding_model(&self) -> &str {
        &self.embedding_model
    }

    /// The full-text index.
    pub fn text(&self) -> &TextIndex {
        &self.text
    }

    /// The vector index.
    pub fn vectors(&self) -> &VectorIndex {
        &self.vectors
    }

    /// Makes the indexes match the database: adds chunks that are missing, removes chunks that
    /// are gone (a re-chunked source, a deleted document, lecture or class), and reloads the
    /// embeddings.
    pub fn sync(&mut self, store: &Store) -> Result<SyncReport, SearchError> {
        let live = live_chunks(store)?;
        let indexed = self.text.chunk_ids()?;
        let live_ids: HashSet<&ChunkId> = live.iter().map(|entry| &entry.chunk.id).collect();
        let stale: Vec<&ChunkId> = indexed.iter().filter(|id| !live_ids.contains(id)).collect();
        let missing: Vec<ClassChunk> = live
            .iter()
            .filter(|entry| !indexed.contains(&entry.chunk.id))
            .cloned()
            .collect();
        if !stale.is_empty() || !missing.is_empty() {
            self.text.delete_chunks(stale.iter().copied());
            self.text.add(&missing)?;
            self.text.commit()?;
        }
        let (vectors, skipped_vectors) = self.load_vectors(store, live)?;
        self.vectors = vectors;
        Ok(SyncReport {
            rebuilt: None,
            added: missing.len(),
            removed: stale.len(),
            chunks: usize::try_from(self.text.len()).unwrap_or(usize::MAX),
            vectors: self.vectors.len(),
            skipped_vectors,
        })
    }

    /// Empties both indexes and fills them again from the database.
    pub fn rebuild(&mut self, store: &Store) -> Result<SyncReport, SearchError> {
        let removed = usize::try_from(self.text.len()).unwrap_or(usize::MAX);
        self.text.clear()?;
        self.text.commit()?;
        let report = self.sync(store)?;
        Ok(SyncReport { removed, ..report })
    }

    /// Indexes new chunks (after the index job stored them and their embeddings), replacing
    /// entries with the same ids. Nothing is changed if an embedding has the wrong length.
    pub fn add(&mut self, chunks: &[EmbeddedChunk]) -> Result<(), SearchError> {
        // Check every vector first so a bad one leaves both indexes as they were.
        for entry in chunks {
            if let Some(embedding) = &entry.embedding {
                self.vectors.check(&entry.chunk, embedding)?;
            }
        }
        let entries: Vec<ClassChunk> = chunks.iter().map(|entry| entry.chunk.clone()).collect();
        self.text.add(&entries)?;
        self.text.commit()?;
        for entry in chunks {
            if let Some(embedding) = &entry.embedding {
                self.vectors.insert(&entry.chunk, embedding)?;
            }
        }
        Ok(())
    }

    /// Removes every chunk of a document or lecture from both indexes (call it when the source
    /// is deleted or about to be re-chunked).
    pub fn remove_source(&mut self, source: &ChunkSource) -> Result<(), SearchError> {
        self.text.delete_source(source);
        self.text.commit()?;
        self.vectors.remove_source(source);
        Ok(())
    }

    /// Full-text search (BM25 over stemmed English words) within `filter`, best first. Any text
    /// is a valid query: syntax it cannot use is ignored, never an error.
    pub fn search_text(
        &self,
        query: &str,
        filter: &SearchFilter,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        self.text.search(query, filter, limit)
    }

    /// Semantic search: the chunks whose embeddings are closest to `embedding` (the query
    /// embedded by the same model), best first. Snippets show the start of each chunk.
    pub fn search_semantic(
        &self,
        embedding: &[f32],
        filter: &SearchFilter,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let found = self.vectors.search(embedding, filter, limit)?;
        let prepared = self.text.prepare("", &SearchFilter::default())?;
        let mut hits = Vec::with_capacity(found.len());
        for (index, vector_hit) in found.into_iter().enumerate() {
            if let Some(mut hit) = materialise(&prepared, &vector_hit.chunk_id, vector_hit.score)? {
                hit.vector_rank = Some(index + 1);
                hits.push(hit);
            }
        }
        Ok(hits)
    }

    /// Hybrid search: the full-text ranking of `query` and the semantic ranking of `embedding`
    /// (the same query, embedded) fused by reciprocal rank ([`crate::RRF_K`]). Each hit carries
    /// both ranks, the fused score and a snippet highlighting the query's words.
    pub fn search_hybrid(
        &self,
        query: &str,
        embedding: &[f32],
        filter: &SearchFilter,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let depth = limit.max(FUSION_DEPTH);
        let prepared = self.text.prepare(query, filter)?;
        let text_ranking = prepared.top(depth)?;
        let vector_ranking = self.vectors.search(embedding, filter, depth)?;
        let text_ids: Vec<ChunkId> = text_ranking.iter().map(|r| r.chunk_id.clone()).collect();
        let vector_ids: Vec<ChunkId> = vector_ranking.into_iter().map(|r| r.chunk_id).collect();
        let addresses: HashMap<&ChunkId, tantivy::DocAddress> = text_ranking
            .iter()
            .map(|r| (&r.chunk_id, r.address))
            .collect();
        let mut hits = Vec::new();
        for fused in reciprocal_rank_fusion(&text_ids, &vector_ids) {
            if hits.len() == limit {
                break;
            }
            let hit = match addresses.get(&fused.chunk_id) {
                Some(&address) => Some(prepared.hit(address, fused.score)?),
                None => materialise(&prepared, &fused.chunk_id, fused.score)?,
            };
            if let Some(mut hit) = hit {
                hit.text_rank = fused.text_rank;
                hit.vector_rank = fused.vector_rank;
                hits.push(hit);
            }
        }
        Ok(hits)
    }

    /// The embeddings of the live chunks, as a fresh vector index, and how many were skipped.
    fn load_vectors(
        &self,
        store: &Store,
        live: Vec<ClassChunk>,
    ) -> Result<(VectorIndex, usize), SearchError> {
        let mut by_id: HashMap<ChunkId, ClassChunk> = live
            .into_iter()
            .map(|entry| (entry.chunk.id.clone(), entry))
            .collect();
        let mut vectors = VectorIndex::new(self.vectors.dims());
        let mut skipped = 0;
        for (id, embedding) in store.embeddings().list_by_model(&self.embedding_model)? {
            let Some(entry) = by_id.remove(&id) else {
                continue; // The chunk's source was deleted; its vector waits for the cascade.
            };
            if let Err(error) = vectors.insert(&entry, &embedding) {
                tracing::warn!(%error, "skipping an embedding");
                skipped += 1;
            }
        }
        Ok((vectors, skipped))
    }
}

/// The hit for a chunk found by the vector index; `None` (with a warning) if the full-text index
/// does not have it, which a sync repairs.
fn materialise(
    prepared: &PreparedQuery<'_>,
    id: &ChunkId,
    score: f32,
) -> Result<Option<SearchHit>, SearchError> {
    match prepared.address_of(id)? {
        Some(address) => prepared.hit(address, score).map(Some),
        None => {
            tracing::warn!(chunk = %id, "a chunk with an embedding is missing from the full-text index");
            Ok(None)
        }
    }
}

/// Every chunk whose document or lecture, class and profile are all live, with its class.
pub fn live_chunks(store: &Store) -> Result<Vec<ClassChunk>, SearchError> {
    let mut chunks = Vec::new();
    for profile in store.profiles().list()? {
        for class in store.classes().list(&profile.id)? {
            let documents = store.documents().list_by_class(&class.id)?;
            let lectures = store.lectures().list_by_class(&class.id)?;
            let sources = documents
                .into_iter()
                .map(|d| ChunkSource::Document(d.id))
                .chain(lectures.into_iter().map(|l| ChunkSource::Lecture(l.id)));
            for source in sources {
                chunks.extend(
                    store
                        .chunks()
                        .list_by_source(&source)?
                        .into_iter()
                        .map(|chunk| ClassChunk {
                            class_id: class.id.clone(),
                            chunk,
                        }),
                );
            }
        }
    }
    Ok(chunks)
}

fn remove_folder(path: &Path) -> Result<(), SearchError> {
    std::fs::remove_dir_all(path).map_err(|source| SearchError::Io {
        action: "remove the damaged index",
        path: path.to_path_buf(),
        source,
    })
}
