//! The vector index: an exact scan over every chunk embedding, held in memory.
//!
//! A few hundred thousand chunks is a large library for one student, and a flat scan over that
//! many 384-d vectors is fast enough on one core, exact, and needs no index structure that could
//! go stale or be damaged. The vectors come from SQLite (the source of truth) on every start.
//!
//! Scanning 100k `f32` vectors reads 150 MB per query, which makes the scan memory-bound
//! (≈ 15–25 ms here). So the scan runs over an `i8` copy (a quarter of the bytes, one scale per
//! vector) to pick a few times more candidates than asked for, and those candidates are then
//! scored exactly in `f32`: the results are the exact top-k whenever the `i8` error (≈ 0.001 in
//! cosine) is smaller than the gap between the k-th and the last candidate, which for real and
//! random embeddings it is by an order of magnitude.
//!
//! The loops are written so LLVM vectorises them with baseline x86-64 SSE2 (no `unsafe`, no
//! CPU-specific build); that needs optimisation, which a `[profile.dev.package.lm-search]
//! opt-level = 3` override gives debug builds too.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};

use lm_core::store::{ChunkId, ChunkSource, ClassId, UnixMillis};

use crate::error::SearchError;
use crate::filter::{ClassChunk, Scope, SearchFilter, SourceKind, source_key};

/// How many candidates the `i8` scan keeps for exact rescoring: `k * OVERSAMPLING + EXTRA`.
const OVERSAMPLING: usize = 4;
const EXTRA_CANDIDATES: usize = 32;
/// The accumulator width of the dot products: 16 lanes fill two SSE registers of `i32`/`f32`
/// (or one AVX-512 register) and hide the latency of the additions.
const LANES: usize = 16;

/// A chunk found by the vector index.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VectorHit {
    /// The chunk.
    pub chunk_id: ChunkId,
    /// Cosine similarity between the chunk's embedding and the query (-1 to 1).
    pub score: f32,
}

/// What the scan checks for each vector besides its score.
#[derive(Debug, Clone, Copy)]
struct RowMeta {
    class: u32,
    source: u32,
    kind: SourceKind,
    created_at: UnixMillis,
}

/// Embeddings of chunks, all of one model, searched by cosine similarity.
#[derive(Debug, Clone)]
pub struct VectorIndex {
    dims: usize,
    ids: Vec<ChunkId>,
    meta: Vec<RowMeta>,
    /// Unit-length vectors, row after row.
    exact: Vec<f32>,
    /// `exact` rounded to `i8`, each row scaled so its largest component is ±127.
    quantized: Vec<i8>,
    /// Per row, the factor from `quantized` back to `exact`.
    scales: Vec<f32>,
    rows_by_id: HashMap<ChunkId, usize>,
    classes: HashMap<ClassId, u32>,
    sources: HashMap<String, u32>,
}

impl VectorIndex {
    /// An empty index for `dims`-dimensional vectors.
    pub fn new(dims: usize) -> Self {
        Self {
            dims,
            ids: Vec::new(),
            meta: Vec::new(),
            exact: Vec::new(),
            quantized: Vec::new(),
            scales: Vec::new(),
            rows_by_id: HashMap::new(),
            classes: HashMap::new(),
            sources: HashMap::new(),
        }
    }

    /// The dimensions of the vectors.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// How many vectors the index holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the index holds no vector.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds the embedding of a chunk, replacing the chunk's previous one. The vector is scaled to
    /// unit length, so cosine similarity is a dot product.
    pub fn insert(&mut self, entry: &ClassChunk, vector: &[f32]) -> Result<(), SearchError> {
        let what = || format!("the embedding of chunk {}", entry.chunk.id);
        let unit = self.unit_vector(vector, what)?;
        let (quantized, scale) = quantize(&unit);
        let meta = RowMeta {
            class: intern(&mut self.classes, &entry.class_id),
            source: intern(&mut self.sources, &source_key(&entry.source())),
            kind: entry.kind(),
            created_at: entry.chunk.created_at,
        };
        match self.rows_by_id.get(&entry.chunk.id) {
            Some(&row) => {
                self.exact[row * self.dims..(row + 1) * self.dims].copy_from_slice(&unit);
                self.quantized[row * self.dims..(row + 1) * self.dims].copy_from_slice(&quantized);
                self.scales[row] = scale;
                self.meta[row] = meta;
            }
            None => {
                self.rows_by_id
                    .insert(entry.chunk.id.clone(), self.ids.len());
                self.ids.push(entry.chunk.id.clone());
                self.exact.extend_from_slice(&unit);
                self.quantized.extend_from_slice(&quantized);
                self.scales.push(scale);
                self.meta.push(meta);
            }
        }
        Ok(())
    }

    /// Checks that [`Self::insert`] would accept this embedding, without adding it.
    pub fn check(&self, entry: &ClassChunk, vector: &[f32]) -> Result<(), SearchError> {
        self.unit_vector(vector, || {
            format!("the embedding of chunk {}", entry.chunk.id)
        })
        .map(drop)
    }

    /// Removes the vectors of these chunks (unknown ids are ignored).
    pub fn remove_chunks(&mut self, ids: &HashSet<ChunkId>) {
        self.retain(|index, row| !ids.contains(&index.ids[row]));
    }

    /// Removes the vectors of every chunk of a document or lecture.
    pub fn remove_source(&mut self, source: &ChunkSource) {
        if let Some(&source) = self.sources.get(&source_key(source)) {
            self.retain(|index, row| index.meta[row].source != source);
        }
    }

    /// Removes every vector.
    pub fn clear(&mut self) {
        *self = Self::new(self.dims);
    }

    /// The `k` chunks within `filter` whose embeddings are most similar to `query`, most similar
    /// first (ties by chunk id, so results are stable).
    pub fn search(
        &self,
        query: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<VectorHit>, SearchError> {
        let query = self.unit_vector(query, || "the query embedding".to_owned())?;
        let class = match &filter.scope {
            Scope::Everything => None,
            Scope::Class(id) => match self.classes.get(id) {
                Some(&class) => Some(class),
                None => return Ok(Vec::new()),
            },
        };
        if k == 0 {
            return Ok(Vec::new());
        }
        let (query_quantized, _) = quantize(&query);
        let unfiltered = class.is_none()
            && filter.kind.is_none()
            && filter.created_from.is_none()
            && filter.created_before.is_none();

        // Pass 1: approximate scores over the i8 copy, keeping the best candidates in a min-heap.
        let wanted = k
            .saturating_mul(OVERSAMPLING)
            .saturating_add(EXTRA_CANDIDATES)
            .min(self.len());
        let mut candidates = BinaryHeap::with_capacity(wanted);
        for (row, (vector, &scale)) in self
            .quantized
            .chunks_exact(self.dims)
            .zip(&self.scales)
            .enumerate()
        {
            if !unfiltered {
                let meta = self.meta[row];
                if class.is_some_and(|class| class != meta.class)
                    || !filter.accepts_kind_and_date(meta.kind, meta.created_at)
                {
                    continue;
                }
            }
            // The query's own scale is the same for every row, so it cannot change the order.
            #[allow(clippy::cast_precision_loss)] // |dot| ≤ 384 · 127², exact in f32.
            let approximate = dot_i8(&query_quantized, vector) as f32 * scale;
            push_bounded(&mut candidates, wanted, Scored(approximate, row));
        }

        // Pass 2: exact scores of the candidates.
        let mut hits: Vec<Scored> = candidates
            .into_iter()
            .map(|Reverse(Scored(_, row))| {
                let vector = &self.exact[row * self.dims..(row + 1) * self.dims];
                Scored(dot_f32(&query, vector), row)
            })
            .collect();
        hits.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| self.ids[a.1].cmp(&self.ids[b.1]))
        });
        hits.truncate(k);
        Ok(hits
            .into_iter()
            .map(|Scored(score, row)| VectorHit {
                chunk_id: self.ids[row].clone(),
                score,
            })
            .collect())
    }

    /// Checks a vector's length and values and scales it to unit length.
    fn unit_vector(
        &self,
        vector: &[f32],
        what: impl Fn() -> String,
    ) -> Result<Vec<f32>, SearchError> {
        if vector.len() != self.dims {
            return Err(SearchError::Dimensions {
                what: what(),
                found: vector.len(),
                expected: self.dims,
            });
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(SearchError::BadVector {
                what: what(),
                problem: "it contains NaN or infinite values",
            });
        }
        let norm = dot_f32(vector, vector).sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(SearchError::BadVector {
                what: what(),
                problem: "it has no direction (all zeros) or overflows",
            });
        }
        Ok(vector.iter().map(|x| x / norm).collect())
    }

    /// Keeps the rows for which `keep` holds, in order, and renumbers them.
    fn retain(&mut self, keep: impl Fn(&Self, usize) -> bool) {
        let kept: Vec<usize> = (0..self.len()).filter(|&row| keep(self, row)).collect();
        if kept.len() == self.len() {
            return;
        }
        let dims = self.dims;
        for (new_row, &old_row) in kept.iter().enumerate() {
            if new_row != old_row {
                self.exact
                    .copy_within(old_row * dims..(old_row + 1) * dims, new_row * dims);
                self.quantized
                    .copy_within(old_row * dims..(old_row + 1) * dims, new_row * dims);
                self.scales[new_row] = self.scales[old_row];
                self.meta[new_row] = self.meta[old_row];
                self.ids.swap(new_row, old_row);
            }
        }
        let len = kept.len();
        self.exact.truncate(len * dims);
        self.quantized.truncate(len * dims);
        self.scales.truncate(len);
        self.meta.truncate(len);
        self.ids.truncate(len);
        self.rows_by_id = self
            .ids
            .iter()
            .enumerate()
            .map(|(row, id)| (id.clone(), row))
            .collect();
    }
}

/// A score and the row it belongs to, ordered by score (then row, for a total order).
#[derive(Debug, Clone, Copy)]
struct Scored(f32, usize);

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

/// Keeps the `capacity` best entries in a min-heap: a new entry only gets in by beating the
/// worst one kept, which after the first few thousand rows is one comparison per row.
#[inline]
fn push_bounded(heap: &mut BinaryHeap<Reverse<Scored>>, capacity: usize, entry: Scored) {
    if heap.len() < capacity {
        heap.push(Reverse(entry));
    } else if heap.peek().is_some_and(|Reverse(worst)| entry > *worst) {
        heap.pop();
        heap.push(Reverse(entry));
    }
}

fn intern<K: Clone + Eq + std::hash::Hash>(table: &mut HashMap<K, u32>, key: &K) -> u32 {
    let next = u32::try_from(table.len()).unwrap_or(u32::MAX);
    *table.entry(key.clone()).or_insert(next)
}

/// Rounds a vector to `i8` so its largest component becomes ±127; returns the values and the
/// factor back to the original scale.
fn quantize(vector: &[f32]) -> (Vec<i8>, f32) {
    let largest = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if largest == 0.0 {
        return (vec![0; vector.len()], 0.0);
    }
    let to_i8 = 127.0 / largest;
    #[allow(clippy::cast_possible_truncation)] // Rounded and within ±127 by construction.
    let values = vector
        .iter()
        .map(|x| (x * to_i8).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (values, largest / 127.0)
}

/// The dot product of two `i8` vectors of equal length.
///
/// The sum cannot overflow (|sum| ≤ 127 · 128 · length, far below 2^31 for embedding sizes), so
/// the arithmetic is written as wrapping: checked arithmetic, which debug builds use for `+` and
/// `*`, stops LLVM from vectorising the loop and makes the scan ten times slower.
// Kept out of line: inlined into the scan loop, LLVM no longer vectorises it.
#[inline(never)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    // Fixed-size blocks give LLVM loops of known length, without bounds checks, to vectorise.
    let (a_blocks, a_tail) = a.as_chunks::<LANES>();
    let (b_blocks, b_tail) = b.as_chunks::<LANES>();
    let mut lanes = [0i32; LANES];
    for (x, y) in a_blocks.iter().zip(b_blocks) {
        for lane in 0..LANES {
            // LLVM turns this widening multiply-add into `pmaddwd`.
            lanes[lane] =
                lanes[lane].wrapping_add(i32::from(x[lane]).wrapping_mul(i32::from(y[lane])));
        }
    }
    let tail = a_tail.iter().zip(b_tail).fold(0i32, |sum, (&x, &y)| {
        sum.wrapping_add(i32::from(x).wrapping_mul(i32::from(y)))
    });
    lanes.iter().fold(tail, |sum, &lane| sum.wrapping_add(lane))
}

/// The dot product of two `f32` vectors of equal length.
#[inline]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let (a_blocks, a_tail) = a.as_chunks::<LANES>();
    let (b_blocks, b_tail) = b.as_chunks::<LANES>();
    let mut lanes = [0f32; LANES];
    for (x, y) in a_blocks.iter().zip(b_blocks) {
        for lane in 0..LANES {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_products_handle_lengths_that_are_not_a_multiple_of_the_lanes() {
        let a: Vec<i8> = (0..37).map(|i| (i - 18) as i8).collect();
        let b: Vec<i8> = (0..37).map(|i| (3 * i % 11 - 5) as i8).collect();
        let expected: i32 = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| i32::from(x) * i32::from(y))
            .sum();
        assert_eq!(dot_i8(&a, &b), expected);
        let (fa, fb): (Vec<f32>, Vec<f32>) = (
            a.iter().map(|&x| f32::from(x)).collect(),
            b.iter().map(|&x| f32::from(x)).collect(),
        );
        #[allow(clippy::cast_precision_loss)]
        let expected = expected as f32;
        assert_eq!(dot_f32(&fa, &fb), expected);
        assert_eq!(dot_i8(&[127; 384], &[-127; 384]), -127 * 127 * 384);
    }

    #[test]
    fn quantizing_keeps_the_direction() {
        let v = [0.5f32, -0.25, 0.125, 0.0];
        let (q, scale) = quantize(&v);
        assert_eq!(q, vec![127, -64, 32, 0]);
        for (x, y) in q.iter().zip(v) {
            assert!((f32::from(*x) * scale - y).abs() <= scale / 2.0);
        }
    }
}
