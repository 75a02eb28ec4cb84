//! Search benchmark: builds libraries of synthetic chunks in a real profile database, indexes
//! them through `SearchIndex::open` (the app's path) and measures query latency.
//!
//! ```text
//! cargo run -p lm-search --example lm-search-bench -- [CHUNKS...] [--queries N]
//! ```
//!
//! Defaults: 10000 and 100000 chunks, 200 queries of each kind. Prints one JSON object on stdout
//! (progress goes to stderr): per size, indexing throughput and p50/p95 latency of full-text,
//! semantic (vector) and hybrid queries, each returning 10 hits with snippets.
//!
//! The text is English-like: a vocabulary of real words followed by generated syllable words,
//! drawn with a Zipf distribution (a few words are everywhere, most are rare), ~80 words a chunk.
//! Queries are 1–3 content words of middling frequency, as a student would type. Vectors are
//! random unit vectors (384-d, like all-MiniLM-L6-v2), which is the worst case for the scan:
//! nothing is cheaper to reject than anything else.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use lm_core::store::{
    ChunkId, ClassId, DocumentKind, NewChunk, NewDocument, NewLecture, SourceLocator, Store,
};
use lm_search::{Scope, SearchFilter, SearchIndex};
use serde_json::{Value, json};

const DIMS: usize = 384;
const MODEL: &str = "bench-model";
const CLASSES: usize = 8;
const WORDS_PER_CHUNK: usize = 80;
const CHUNKS_PER_SOURCE: usize = 40;
const HITS: usize = 10;
const WARMUP_QUERIES: usize = 20;
const VOCABULARY: usize = 20_000;

const COMMON: &str = "the of and to in is that for it as was with be by on not he this are or \
    his from at which but have an they you were their one all we can her has there been if more \
    when will would who so no she other its may these about into them than some time only what \
    could new also two any first like very over such our most after even years where much those \
    must through back just way should because each people well many how then well between both \
    under never same another know while last might great old year off come since against go came \
    right used take three states himself few house use during without again place around however";
const ACADEMIC: &str = "cell cells protein proteins membrane enzyme enzymes energy glucose \
    photosynthesis mitochondria nucleus gene genes dna rna evolution species population ecosystem \
    theory theorem proof function functions derivative integral limit matrix vector equation \
    equations variable variables probability distribution sample hypothesis experiment data \
    analysis result results model models system systems structure process processes reaction \
    reactions acid base molecule molecules atom atoms electron electrons bond bonds force forces \
    mass velocity acceleration momentum wave waves frequency light quantum field fields charge \
    current voltage resistance circuit empire republic senate war treaty revolution economy \
    market markets trade price prices supply demand capital labor policy government law rights \
    constitution court society culture language literature poem novel author character theme \
    argument evidence source sources method methods history period century memory learning \
    neuron brain behavior cognition perception emotion motivation development child language \
    algorithm algorithms complexity graph graphs tree trees network networks database query \
    program programs compiler memory processor thread lecture chapter section example exercise";

/// xorshift64*: deterministic, fast, good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn unit_vector(&mut self) -> Vec<f32> {
        let v: Vec<f32> = (0..DIMS)
            .map(|_| self.unit_f64() as f32 * 2.0 - 1.0)
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }
}

/// The words, most frequent first, and the cumulative Zipf weights to draw them by.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new(rng: &mut Rng) -> Self {
        const SYLLABLES: [&str; 24] = [
            "ba", "ce", "di", "fo", "gu", "ha", "ke", "li", "mo", "nu", "pa", "re", "si", "to",
            "vu", "wa", "ter", "ion", "al", "en", "ic", "or", "ly", "ment",
        ];
        let mut words: Vec<String> = COMMON
            .split_whitespace()
            .chain(ACADEMIC.split_whitespace())
            .map(str::to_owned)
            .collect();
        while words.len() < VOCABULARY {
            let syllables = 2 + rng.below(3);
            let word: String = (0..syllables)
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                .collect();
            words.push(word);
        }
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.05);
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.unit_f64() * total;
        let rank = self.cumulative.partition_point(|&c| c < target);
        &self.words[rank.min(self.words.len() - 1)]
    }

    fn sentence(&self, rng: &mut Rng, words: usize) -> String {
        let mut text = String::with_capacity(words * 8);
        for i in 0..words {
            if i > 0 {
                text.push(if rng.below(12) == 0 { '.' } else { ' ' });
                if text.ends_with('.') {
                    text.push(' ');
                }
            }
            text.push_str(self.draw(rng));
        }
        text.push('.');
        text
    }

    /// A query of 1–3 content words: past the function words, before the rare tail.
    fn query(&self, rng: &mut Rng) -> String {
        let count = 1 + rng.below(3);
        (0..count)
            .map(|_| self.words[150 + rng.below(3_000)].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Fills a fresh profile database with `chunks` chunks and their embeddings.
fn fill(
    store: &Store,
    chunks: usize,
    vocabulary: &Vocabulary,
    rng: &mut Rng,
) -> Result<Vec<ClassId>> {
    let profile = store.profiles().create("Bench")?;
    let classes: Vec<ClassId> = (0..CLASSES)
        .map(|i| {
            Ok(store
                .classes()
                .create(&profile.id, &format!("Class {i}"))?
                .id)
        })
        .collect::<Result<_>>()?;
    let mut made = 0;
    let mut source = 0;
    while made < chunks {
        let class = &classes[source % CLASSES];
        let count = CHUNKS_PER_SOURCE.min(chunks - made);
        let batch: Vec<NewChunk> = if source % 2 == 0 {
            let document = store.documents().create(&NewDocument {
                class_id: class.clone(),
                title: format!("Document {source}"),
                file_path: format!("media/{source}.pdf").into(),
                content_hash: format!("{source:064x}"),
                kind: DocumentKind::Pdf,
                mime: "application/pdf".into(),
            })?;
            (0..count)
                .map(|i| NewChunk {
                    locator: SourceLocator::DocumentPage {
                        document_id: document.id.clone(),
                        page: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    },
                    text: vocabulary.sentence(rng, WORDS_PER_CHUNK),
                })
                .collect()
        } else {
            let lecture = store.lectures().create(&NewLecture {
                class_id: class.clone(),
                title: format!("Lecture {source}"),
                media_path: format!("media/{source}.m4a").into(),
                media_hash: format!("{source:064x}"),
            })?;
            (0..count as u64)
                .map(|i| NewChunk {
                    locator: SourceLocator::LectureSpan {
                        lecture_id: lecture.id.clone(),
                        start_ms: i * 30_000,
                        end_ms: (i + 1) * 30_000,
                    },
                    text: vocabulary.sentence(rng, WORDS_PER_CHUNK),
                })
                .collect()
        };
        let ids = store.chunks().insert_batch(&batch)?;
        let vectors: Vec<(ChunkId, Vec<f32>)> =
            ids.into_iter().map(|id| (id, rng.unit_vector())).collect();
        store.embeddings().put_batch(MODEL, &vectors)?;
        made += count;
        source += 1;
    }
    Ok(classes)
}

/// p50 and p95 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> Value {
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        (samples[index].as_secs_f64() * 1e5).round() / 100.0
    };
    json!({ "p50": at(0.50), "p95": at(0.95), "max": at(1.0) })
}

/// Runs `query` for each of `inputs` after a warm-up, returning the latencies.
fn time_queries<T>(
    inputs: &[T],
    mut query: impl FnMut(&T) -> Result<usize>,
) -> Result<(Vec<Duration>, usize)> {
    for input in inputs.iter().take(WARMUP_QUERIES) {
        query(input)?;
    }
    let mut hits = 0;
    let latencies = inputs
        .iter()
        .map(|input| {
            let start = Instant::now();
            hits += query(input)?;
            Ok(start.elapsed())
        })
        .collect::<Result<_>>()?;
    Ok((latencies, hits))
}

fn bench(chunks: usize, queries: usize) -> Result<Value> {
    let mut rng = Rng(0x5EED_0000 + chunks as u64);
    let vocabulary = Vocabulary::new(&mut rng);
    let dir = tempfile::tempdir().context("temp dir")?;
    let store = Store::open(dir.path().join("library.sqlite3"))?;

    eprintln!("{chunks} chunks: filling the database…");
    let start = Instant::now();
    let classes = fill(&store, chunks, &vocabulary, &mut rng)?;
    let fill_s = start.elapsed().as_secs_f64();

    eprintln!("{chunks} chunks: indexing…");
    let start = Instant::now();
    let (mut index, report) = SearchIndex::open(dir.path().join("index"), &store, MODEL, DIMS)?;
    let index_s = start.elapsed().as_secs_f64();
    if report.chunks != chunks || report.vectors != chunks {
        bail!(
            "indexed {} chunks and {} vectors of {chunks}",
            report.chunks,
            report.vectors
        );
    }
    let start = Instant::now();
    let resync = index.sync(&store)?;
    let sync_s = start.elapsed().as_secs_f64();
    if resync.added + resync.removed != 0 {
        bail!("a second sync changed the index: {resync:?}");
    }
    // Where a sync spends its time: reading chunks and reading embeddings from SQLite.
    let start = Instant::now();
    lm_search::live_chunks(&store)?;
    let read_chunks_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    store.embeddings().list_by_model(MODEL)?;
    let read_embeddings_s = start.elapsed().as_secs_f64();

    let texts: Vec<(String, SearchFilter)> = (0..queries)
        .map(|i| {
            // Every other query is scoped to one class, as in the class view of the app.
            let scope = if i % 2 == 0 {
                Scope::Everything
            } else {
                Scope::Class(classes[i % CLASSES].clone())
            };
            let filter = SearchFilter {
                scope,
                ..SearchFilter::default()
            };
            (vocabulary.query(&mut rng), filter)
        })
        .collect();
    let embeddings: Vec<Vec<f32>> = (0..queries).map(|_| rng.unit_vector()).collect();
    let both: Vec<(&(String, SearchFilter), &Vec<f32>)> = texts.iter().zip(&embeddings).collect();

    eprintln!("{chunks} chunks: querying…");
    let (full_text, text_hits) = time_queries(&texts, |(query, filter)| {
        Ok(index.search_text(query, filter, HITS)?.len())
    })?;
    let (vector, _) = time_queries(&both, |((_, filter), embedding)| {
        Ok(index.vectors().search(embedding, filter, HITS)?.len())
    })?;
    let (semantic, _) = time_queries(&both, |((_, filter), embedding)| {
        Ok(index.search_semantic(embedding, filter, HITS)?.len())
    })?;
    let (hybrid, _) = time_queries(&both, |((query, filter), embedding)| {
        Ok(index.search_hybrid(query, embedding, filter, HITS)?.len())
    })?;
    let start = Instant::now();
    let rebuild = index.rebuild(&store)?;
    let rebuild_s = start.elapsed().as_secs_f64();

    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    Ok(json!({
        "chunks": chunks,
        "words_per_chunk": WORDS_PER_CHUNK,
        "dims": DIMS,
        "queries": queries,
        "fill_database_s": round(fill_s),
        "index": {
            "open_and_build_s": round(index_s),
            "chunks_per_s": (chunks as f64 / index_s).round(),
            "resync_unchanged_s": round(sync_s),
            "of_which_read_chunks_s": round(read_chunks_s),
            "of_which_read_embeddings_s": round(read_embeddings_s),
            "rebuild_s": round(rebuild_s),
            "rebuild_chunks": rebuild.chunks,
        },
        "latency_ms": {
            "full_text": percentiles(full_text),
            "vector_scan": percentiles(vector),
            "semantic": percentiles(semantic),
            "hybrid": percentiles(hybrid),
        },
        "mean_full_text_hits": round(text_hits as f64 / queries as f64),
    }))
}

fn main() -> Result<()> {
    let mut sizes = Vec::new();
    let mut queries = 200;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--queries" {
            queries = args
                .next()
                .context("--queries needs a number")?
                .parse()
                .context("--queries needs a number")?;
        } else {
            sizes.push(arg.parse::<usize>().with_context(|| {
                format!("{arg:?} is not a chunk count (usage: [CHUNKS...] [--queries N])")
            })?);
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    if queries <= WARMUP_QUERIES {
        bail!("--queries must be more than {WARMUP_QUERIES}");
    }
    let results = sizes
        .into_iter()
        .map(|chunks| bench(chunks, queries))
        .collect::<Result<Vec<_>>>()?;
    let report = json!({
        "benchmark": "lm-search",
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "cores_available": std::thread::available_parallelism().map_or(0, usize::from),
        // Other work on the machine skews latencies; this says how busy it was.
        "load_average_1m_at_end": std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|text| text.split_whitespace().next().and_then(|l| l.parse::<f64>().ok())),
        "results": results,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
