//! The full-text index: tantivy, English stemming, BM25 ranking, highlighted snippets.
//!
//! One tantivy document per chunk, keyed by the chunk id. Besides the text it stores what a hit
//! needs without asking SQLite (class, source, page or time span, creation time), so results can
//! be shown straight from the index. The index is derived data: [`crate::SearchIndex`] rebuilds it
//! from SQLite whenever it is missing, damaged or from an older layout.

use std::collections::HashSet;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use lm_core::store::{ChunkId, ChunkSource, ClassId, DocumentId, LectureId, SourceLocator};
use tantivy::collector::TopDocs;
use tantivy::columnar::StrColumn;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

use crate::error::SearchError;
use crate::filter::{ClassChunk, Scope, SearchFilter, SourceKind, source_key};
use crate::hit::{SearchHit, Snippet, WHOLE_TEXT};

/// The layout version of the index, written beside it; an index with another version (or none)
/// is rebuilt rather than read with the wrong fields.
const LAYOUT_VERSION: &str = "lm-search full-text layout 2";
/// The file holding [`LAYOUT_VERSION`].
const LAYOUT_FILE: &str = "lm-search-layout.txt";
/// The English analyzer, registered on every index this crate opens: lower-casing, English stop
/// words dropped (so "why is the ..." does not match every chunk and crowd the fused ranking)
/// and Snowball stemming, so "running" and "runs" both index as "run".
const ENGLISH: &str = "lm_english";

/// Words that carry no topic: Lucene's English stop words plus the question and helper words
/// students start questions with.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with", "what", "why", "how", "which", "who", "whom",
    "when", "where", "does", "do", "did", "can", "could", "would", "should", "has", "have", "had",
    "were", "been", "its", "from", "about", "i", "you", "we", "me", "my", "our", "your",
];

fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|word| (*word).to_owned()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}
/// Indexing memory: tantivy flushes a segment when this fills. One thread keeps the second core
/// free for the app while a lecture is indexed in the background.
const WRITER_MEMORY_BYTES: usize = 50_000_000;
const WRITER_THREADS: usize = 1;

/// The fields of the index.
#[derive(Debug, Clone, Copy)]
struct Fields {
    chunk_id: Field,
    text: Field,
    class_id: Field,
    kind: Field,
    /// "document:<id>" or "lecture:<id>", for deleting a whole source.
    source: Field,
    page: Field,
    start_ms: Field,
    end_ms: Field,
    created_at: Field,
}

const CHUNK_ID: &str = "chunk_id";

impl Fields {
    fn schema() -> (Schema, Self) {
        let mut builder = Schema::builder();
        let text_options = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(ENGLISH)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let fields = Self {
            chunk_id: builder.add_text_field(CHUNK_ID, STRING | STORED | FAST),
            text: builder.add_text_field("text", text_options),
            class_id: builder.add_text_field("class_id", STRING | STORED),
            kind: builder.add_text_field("kind", STRING | STORED),
            source: builder.add_text_field("source", STRING | STORED),
            page: builder.add_u64_field("page", STORED),
            start_ms: builder.add_u64_field("start_ms", STORED),
            end_ms: builder.add_u64_field("end_ms", STORED),
            created_at: builder.add_i64_field("created_at", INDEXED | FAST | STORED),
        };
        (builder.build(), fields)
    }

    fn document(&self, entry: &ClassChunk) -> TantivyDocument {
        let chunk = &entry.chunk;
        let mut doc = TantivyDocument::new();
        doc.add_text(self.chunk_id, chunk.id.as_str());
        doc.add_text(self.text, &chunk.text);
        doc.add_text(self.class_id, entry.class_id.as_str());
        doc.add_text(self.kind, entry.kind().as_str());
        doc.add_text(self.source, source_key(&entry.source()));
        match &chunk.locator {
            SourceLocator::DocumentPage { page, .. } => doc.add_u64(self.page, u64::from(*page)),
            SourceLocator::LectureSpan {
                start_ms, end_ms, ..
            } => {
                doc.add_u64(self.start_ms, *start_ms);
                doc.add_u64(self.end_ms, *end_ms);
            }
        }
        doc.add_i64(self.created_at, chunk.created_at);
        doc
    }
}

/// The tantivy full-text index of the chunks, in one folder.
pub struct TextIndex {
    path: PathBuf,
    reader: IndexReader,
    writer: IndexWriter,
    fields: Fields,
    parser: QueryParser,
}

impl TextIndex {
    /// Creates an empty index in `dir` (created if needed; it must not hold an index yet).
    pub fn create(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Io {
            action: "create the folder",
            path: dir.to_path_buf(),
            source,
        })?;
        let (schema, fields) = Fields::schema();
        let index = Index::create_in_dir(dir, schema)
            .map_err(|e| full_text_error(dir, "create the index", e))?;
        let layout = dir.join(LAYOUT_FILE);
        std::fs::write(&layout, LAYOUT_VERSION).map_err(|source| SearchError::Io {
            action: "write",
            path: layout,
            source,
        })?;
        Self::with_index(dir, index, fields)
    }

    /// Opens the index in `dir`. Fails if there is none, if it was written with another layout,
    /// or if tantivy cannot read it (damaged files); the caller then rebuilds it.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let layout = dir.join(LAYOUT_FILE);
        let version = std::fs::read_to_string(&layout).map_err(|source| SearchError::Io {
            action: "read",
            path: layout.clone(),
            source,
        })?;
        if version.trim() != LAYOUT_VERSION {
            return Err(SearchError::Io {
                action: "read",
                path: layout,
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("unknown index layout {:?}", version.trim()),
                ),
            });
        }
        let index =
            Index::open_in_dir(dir).map_err(|e| full_text_error(dir, "open the index", e))?;
        let (schema, fields) = Fields::schema();
        if index.schema() != schema {
            return Err(SearchError::Damaged {
                path: dir.to_path_buf(),
                field: "the expected set of fields",
            });
        }
        let text_index = Self::with_index(dir, index, fields)?;
        // Reading every segment's dictionary and stores now finds damaged files at start-up,
        // where the caller can rebuild, instead of in the middle of a search.
        text_index.chunk_ids()?;
        Ok(text_index)
    }

    fn with_index(dir: &Path, index: Index, fields: Fields) -> Result<Self, SearchError> {
        index.tokenizers().register(ENGLISH, english_analyzer());
        let writer = index
            .writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY_BYTES)
            .map_err(|e| full_text_error(dir, "open the index for writing", e))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| full_text_error(dir, "open the index for reading", e))?;
        let parser = QueryParser::for_index(&index, vec![fields.text]);
        Ok(Self {
            path: dir.to_path_buf(),
            reader,
            writer,
            fields,
            parser,
        })
    }

    /// The index folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds chunks, replacing any entry with the same chunk id. Visible after [`Self::commit`].
    pub fn add(&mut self, chunks: &[ClassChunk]) -> Result<(), SearchError> {
        for entry in chunks {
            // A delete orders before the add that follows it, so this is an upsert.
            self.writer.delete_term(self.chunk_term(&entry.chunk.id));
            self.writer
                .add_document(self.fields.document(entry))
                .map_err(|e| full_text_error(&self.path, "add a chunk", e))?;
        }
        Ok(())
    }

    /// Removes chunks by id (unknown ids are ignored). Visible after [`Self::commit`].
    pub fn delete_chunks<'c>(&mut self, ids: impl IntoIterator<Item = &'c ChunkId>) {
        for id in ids {
            self.writer.delete_term(self.chunk_term(id));
        }
    }

    /// Removes every chunk of a document or lecture. Visible after [`Self::commit`].
    pub fn delete_source(&mut self, source: &ChunkSource) {
        self.writer.delete_term(Term::from_field_text(
            self.fields.source,
            &source_key(source),
        ));
    }

    /// Removes everything. Visible after [`Self::commit`].
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.writer
            .delete_all_documents()
            .map_err(|e| full_text_error(&self.path, "clear the index", e))?;
        Ok(())
    }

    /// Makes the changes since the last commit durable and visible to searches.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        self.writer
            .commit()
            .map_err(|e| full_text_error(&self.path, "commit", e))?;
        self.reader
            .reload()
            .map_err(|e| full_text_error(&self.path, "reload after a commit", e))
    }

    /// How many chunks are searchable.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether no chunk is searchable.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids of every searchable chunk.
    pub fn chunk_ids(&self) -> Result<HashSet<ChunkId>, SearchError> {
        let searcher = self.reader.searcher();
        let mut ids = HashSet::with_capacity(usize::try_from(searcher.num_docs()).unwrap_or(0));
        let mut id = String::new();
        for segment in searcher.segment_readers() {
            let column = self.chunk_id_column(segment)?;
            for doc in segment.doc_ids_alive() {
                let ord = column
                    .ords()
                    .first(doc)
                    .ok_or_else(|| self.damaged(CHUNK_ID))?;
                self.read_ord(&column, ord, &mut id)?;
                ids.insert(ChunkId::from(id.clone()));
            }
        }
        Ok(ids)
    }

    /// Full-text search: the best `limit` chunks for `query` within `filter`, best first, with
    /// highlighted snippets. Any user input is accepted: words the query syntax cannot use
    /// (unbalanced quotes, a lone `AND`, stray `+-:^`) are dropped, never an error.
    pub fn search(
        &self,
        query: &str,
        filter: &SearchFilter,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let prepared = self.prepare(query, filter)?;
        prepared
            .top(limit)?
            .into_iter()
            .enumerate()
            .map(|(rank, ranked)| {
                let mut hit = prepared.hit(ranked.address, ranked.score)?;
                hit.text_rank = Some(rank + 1);
                Ok(hit)
            })
            .collect()
    }

    /// Parses `query` leniently and combines it with the filter, for [`Self::search`] and the
    /// hybrid search, which needs the ranking and the hits in separate steps.
    pub(crate) fn prepare(
        &self,
        query: &str,
        filter: &SearchFilter,
    ) -> Result<PreparedQuery<'_>, SearchError> {
        // The errors only list the parts that were dropped; what remains is still a valid query.
        let (user_query, _dropped) = self.parser.parse_query_lenient(query);
        let searcher = self.reader.searcher();
        let mut snippets = SnippetGenerator::create(&searcher, &*user_query, self.fields.text)
            .map_err(|e| full_text_error(&self.path, "prepare snippets", e))?;
        snippets.set_max_num_chars(WHOLE_TEXT);
        let mut clauses = vec![(Occur::Must, user_query)];
        clauses.extend(
            self.filter_queries(filter)
                .into_iter()
                // Filters decide which chunks match, not how well: they add nothing to the score.
                .map(|q| {
                    (
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
                    )
                }),
        );
        Ok(PreparedQuery {
            index: self,
            searcher,
            query: BooleanQuery::new(clauses),
            snippets,
        })
    }

    fn filter_queries(&self, filter: &SearchFilter) -> Vec<Box<dyn Query>> {
        let mut queries: Vec<Box<dyn Query>> = Vec::new();
        if let Scope::Class(class_id) = &filter.scope {
            queries.push(self.exact(self.fields.class_id, class_id.as_str()));
        }
        if let Some(kind) = filter.kind {
            queries.push(self.exact(self.fields.kind, kind.as_str()));
        }
        if filter.created_from.is_some() || filter.created_before.is_some() {
            let term = |at| Term::from_field_i64(self.fields.created_at, at);
            queries.push(Box::new(RangeQuery::new(
                filter
                    .created_from
                    .map_or(Bound::Unbounded, |at| Bound::Included(term(at))),
                filter
                    .created_before
                    .map_or(Bound::Unbounded, |at| Bound::Excluded(term(at))),
            )));
        }
        queries
    }

    fn exact(&self, field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    }

    fn chunk_term(&self, id: &ChunkId) -> Term {
        Term::from_field_text(self.fields.chunk_id, id.as_str())
    }

    fn chunk_id_column(&self, segment: &tantivy::SegmentReader) -> Result<StrColumn, SearchError> {
        segment
            .fast_fields()
            .str(CHUNK_ID)
            .map_err(|e| full_text_error(&self.path, "read chunk ids", e))?
            .ok_or_else(|| self.damaged(CHUNK_ID))
    }

    fn read_ord(&self, column: &StrColumn, ord: u64, out: &mut String) -> Result<(), SearchError> {
        out.clear();
        let found = column
            .ord_to_str(ord, out)
            .map_err(|e| full_text_error(&self.path, "read chunk ids", e.into()))?;
        if found {
            Ok(())
        } else {
            Err(self.damaged(CHUNK_ID))
        }
    }

    fn damaged(&self, field: &'static str) -> SearchError {
        SearchError::Damaged {
            path: self.path.clone(),
            field,
        }
    }
}

/// A chunk in a full-text ranking.
#[derive(Debug, Clone)]
pub(crate) struct RankedChunk {
    pub(crate) chunk_id: ChunkId,
    pub(crate) score: f32,
    pub(crate) address: DocAddress,
}

/// A parsed, filtered query bound to one snapshot of the index.
pub(crate) struct PreparedQuery<'i> {
    index: &'i TextIndex,
    searcher: Searcher,
    query: BooleanQuery,
    snippets: SnippetGenerator,
}

impl PreparedQuery<'_> {
    /// The best `limit` matches, best first.
    pub(crate) fn top(&self, limit: usize) -> Result<Vec<RankedChunk>, SearchError> {
        // tantivy sizes its heap by the limit: never ask for more than there is.
        let limit = limit.min(usize::try_from(self.searcher.num_docs()).unwrap_or(usize::MAX));
        if limit == 0 {
            return Ok(Vec::new());
        }
        let path = &self.index.path;
        let found = self
            .searcher
            .search(&self.query, &TopDocs::with_limit(limit).order_by_score())
            .map_err(|e| full_text_error(path, "search", e))?;
        let mut columns: Vec<Option<StrColumn>> = vec![None; self.searcher.segment_readers().len()];
        let mut id = String::new();
        found
            .into_iter()
            .map(|(score, address)| {
                let slot = usize::try_from(address.segment_ord)
                    .ok()
                    .and_then(|ord| columns.get_mut(ord))
                    .ok_or_else(|| self.index.damaged(CHUNK_ID))?;
                let column = match slot {
                    Some(column) => column,
                    None => slot.insert(
                        self.index
                            .chunk_id_column(self.searcher.segment_reader(address.segment_ord))?,
                    ),
                };
                let ord = column
                    .ords()
                    .first(address.doc_id)
                    .ok_or_else(|| self.index.damaged(CHUNK_ID))?;
                self.index.read_ord(column, ord, &mut id)?;
                Ok(RankedChunk {
                    chunk_id: ChunkId::from(id.clone()),
                    score,
                    address,
                })
            })
            .collect()
    }

    /// Where a chunk is in this snapshot, or `None` if it is not indexed.
    pub(crate) fn address_of(&self, id: &ChunkId) -> Result<Option<DocAddress>, SearchError> {
        let query = TermQuery::new(self.index.chunk_term(id), IndexRecordOption::Basic);
        let found = self
            .searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .map_err(|e| full_text_error(&self.index.path, "look up a chunk", e))?;
        Ok(found.first().map(|(_, address)| *address))
    }

    /// The hit for an indexed chunk, with its snippet; ranks are left for the caller to set.
    pub(crate) fn hit(&self, address: DocAddress, score: f32) -> Result<SearchHit, SearchError> {
        let index = self.index;
        let fields = &index.fields;
        let doc: TantivyDocument = self
            .searcher
            .doc(address)
            .map_err(|e| full_text_error(&index.path, "read a chunk", e))?;
        let text_of = |field: Field, name: &'static str| {
            doc.get_first(field)
                .and_then(|value| value.as_str())
                .ok_or_else(|| index.damaged(name))
        };
        let number_of = |field: Field, name: &'static str| {
            doc.get_first(field)
                .and_then(|value| value.as_u64())
                .ok_or_else(|| index.damaged(name))
        };
        let text = text_of(fields.text, "text")?;
        let (kind, source_id) = text_of(fields.source, "source")?
            .split_once(':')
            .ok_or_else(|| index.damaged("source"))?;
        let locator = match kind {
            "document" => SourceLocator::DocumentPage {
                document_id: DocumentId::from(source_id.to_owned()),
                page: u32::try_from(number_of(fields.page, "page")?)
                    .map_err(|_| index.damaged("page"))?,
            },
            "lecture" => SourceLocator::LectureSpan {
                lecture_id: LectureId::from(source_id.to_owned()),
                start_ms: number_of(fields.start_ms, "start_ms")?,
                end_ms: number_of(fields.end_ms, "end_ms")?,
            },
            _ => return Err(index.damaged("source")),
        };
        Ok(SearchHit {
            chunk_id: ChunkId::from(text_of(fields.chunk_id, CHUNK_ID)?.to_owned()),
            class_id: ClassId::from(text_of(fields.class_id, "class_id")?.to_owned()),
            kind: SourceKind::of(&locator),
            locator,
            created_at: doc
                .get_first(fields.created_at)
                .and_then(|value| value.as_i64())
                .ok_or_else(|| index.damaged("created_at"))?,
            snippet: Snippet::new(&self.snippets.snippet(text), text),
            score,
            text_rank: None,
            vector_rank: None,
        })
    }
}

/// Wraps a tantivy error, telling a held writer lock apart: that is another process at work,
/// not a damaged index, and must not lead to a rebuild.
fn full_text_error(path: &Path, operation: &'static str, source: TantivyError) -> SearchError {
    match source {
        TantivyError::LockFailure(..) => SearchError::Locked {
            path: path.to_path_buf(),
        },
        source => SearchError::FullText {
            path: path.to_path_buf(),
            operation,
            source,
        },
    }
}
