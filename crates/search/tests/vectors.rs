//! The vector index against a brute-force reference, and the reciprocal-rank fusion maths.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use common::{Rng, near};
use lm_core::store::{Chunk, ChunkId, ClassId, DocumentId, LectureId, SourceLocator};
use lm_search::{
    ClassChunk, RRF_K, Scope, SearchError, SearchFilter, SourceKind, VectorIndex,
    reciprocal_rank_fusion,
};

const DIMS: usize = 384;

/// `count` chunks spread over three classes, both kinds and a range of dates, each with a
/// random unit vector.
fn corpus(count: usize, rng: &mut Rng) -> Vec<(ClassChunk, Vec<f32>)> {
    (0..count)
        .map(|i| {
            let locator = if i % 3 == 0 {
                SourceLocator::LectureSpan {
                    lecture_id: LectureId::from(format!("lecture-{}", i % 7)),
                    start_ms: 0,
                    end_ms: 1,
                }
            } else {
                SourceLocator::DocumentPage {
                    document_id: DocumentId::from(format!("document-{}", i % 5)),
                    page: 1,
                }
            };
            let entry = ClassChunk {
                class_id: ClassId::from(format!("class-{}", i % 3)),
                chunk: Chunk {
                    id: ChunkId::from(format!("chunk-{i:05}")),
                    locator,
                    text: String::new(),
                    created_at: i as i64,
                },
            };
            (entry, rng.unit(DIMS))
        })
        .collect()
}

/// Exact cosine top-k by sorting everything.
fn brute_force(
    corpus: &[(ClassChunk, Vec<f32>)],
    query: &[f32],
    filter: &SearchFilter,
    k: usize,
) -> Vec<(ChunkId, f32)> {
    let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
    let mut scored: Vec<(ChunkId, f32)> = corpus
        .iter()
        .filter(|(entry, _)| {
            let class_ok = match &filter.scope {
                Scope::Everything => true,
                Scope::Class(id) => &entry.class_id == id,
            };
            let at = entry.chunk.created_at;
            class_ok
                && filter.kind.is_none_or(|kind| kind == entry.kind())
                && filter.created_from.is_none_or(|from| at >= from)
                && filter.created_before.is_none_or(|before| at < before)
        })
        .map(|(entry, v)| {
            let dot: f64 = v
                .iter()
                .zip(query)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            (entry.chunk.id.clone(), (dot / f64::from(norm)) as f32)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

#[test]
fn top_k_matches_brute_force_with_and_without_filters() {
    let mut rng = Rng(0x5eed);
    let corpus = corpus(5_000, &mut rng);
    let mut index = VectorIndex::new(DIMS);
    for (entry, vector) in &corpus {
        index.insert(entry, vector).unwrap();
    }
    assert_eq!(index.len(), 5_000);

    let filters = [
        SearchFilter::default(),
        SearchFilter {
            scope: Scope::Class(ClassId::from("class-1".to_string())),
            ..SearchFilter::default()
        },
        SearchFilter {
            kind: Some(SourceKind::Lecture),
            created_from: Some(1_000),
            created_before: Some(4_000),
            ..SearchFilter::default()
        },
    ];
    for round in 0..20 {
        // Half the queries are near a stored vector (a real "find this" search), half random,
        // and not unit length, to check the index normalises them.
        let query: Vec<f32> = if round % 2 == 0 {
            near(&corpus[round * 97].1, &mut rng, 0.05)
        } else {
            rng.unit(DIMS)
        }
        .into_iter()
        .map(|x| x * 3.0)
        .collect();
        for filter in &filters {
            for k in [1, 10, 50] {
                let expected = brute_force(&corpus, &query, filter, k);
                let found = index.search(&query, filter, k).unwrap();
                let found_ids: Vec<&ChunkId> = found.iter().map(|hit| &hit.chunk_id).collect();
                let expected_ids: Vec<&ChunkId> = expected.iter().map(|(id, _)| id).collect();
                assert_eq!(found_ids, expected_ids, "round {round}, k {k}, {filter:?}");
                for (hit, (_, score)) in found.iter().zip(&expected) {
                    assert!((hit.score - score).abs() < 1e-5, "{} vs {score}", hit.score);
                }
            }
        }
    }
}

#[test]
fn replacing_and_removing_vectors() {
    let mut rng = Rng(7);
    let corpus = corpus(300, &mut rng);
    let mut index = VectorIndex::new(DIMS);
    for (entry, vector) in &corpus {
        index.insert(entry, vector).unwrap();
    }
    let target = &corpus[42].0;
    let query = rng.unit(DIMS);
    index.insert(target, &query).unwrap();
    assert_eq!(index.len(), 300, "same id replaces");
    let top = index.search(&query, &SearchFilter::default(), 1).unwrap();
    assert_eq!(top[0].chunk_id, target.chunk.id);
    assert!((top[0].score - 1.0).abs() < 1e-5);

    index.remove_source(&target.source());
    let removed = corpus
        .iter()
        .filter(|(entry, _)| entry.source() == target.source())
        .count();
    assert!(removed > 1);
    assert_eq!(index.len(), 300 - removed);
    let all = index
        .search(&query, &SearchFilter::default(), 1_000)
        .unwrap();
    assert_eq!(all.len(), 300 - removed);
    assert!(all.iter().all(|hit| {
        corpus
            .iter()
            .any(|(e, _)| e.chunk.id == hit.chunk_id && e.source() != target.source())
    }));
    // The rows that moved still score against their own vectors.
    let (survivor, vector) = corpus
        .iter()
        .rev()
        .find(|(entry, _)| entry.source() != target.source())
        .unwrap();
    let top = index.search(vector, &SearchFilter::default(), 1).unwrap();
    assert_eq!(top[0].chunk_id, survivor.chunk.id);

    let gone: std::collections::HashSet<ChunkId> = [survivor.chunk.id.clone()].into();
    index.remove_chunks(&gone);
    assert_ne!(
        index.search(vector, &SearchFilter::default(), 1).unwrap()[0].chunk_id,
        survivor.chunk.id
    );
}

#[test]
fn bad_vectors_are_refused_with_the_reason() {
    let mut index = VectorIndex::new(DIMS);
    let (entry, _) = corpus(1, &mut Rng(1)).remove(0);
    assert!(matches!(
        index.insert(&entry, &[1.0; 10]),
        Err(SearchError::Dimensions {
            found: 10,
            expected: DIMS,
            ..
        })
    ));
    assert!(matches!(
        index.insert(&entry, &[0.0; DIMS]),
        Err(SearchError::BadVector { .. })
    ));
    let mut with_nan = vec![0.1; DIMS];
    with_nan[3] = f32::NAN;
    assert!(matches!(
        index.search(&with_nan, &SearchFilter::default(), 5),
        Err(SearchError::BadVector { .. })
    ));
    assert!(index.is_empty());
    let error = index
        .search(&[1.0; 3], &SearchFilter::default(), 5)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the query embedding has 3 dimensions"),
        "{error}"
    );
}

fn ids(names: &[&str]) -> Vec<ChunkId> {
    names
        .iter()
        .map(|n| ChunkId::from((*n).to_string()))
        .collect()
}

#[test]
fn rrf_rewards_agreement_between_the_rankings() {
    // "both" is second in each list; "text-first" and "vector-first" top one list only.
    let text = ids(&["text-first", "both", "text-third"]);
    let vector = ids(&["vector-first", "both", "vector-third", "text-third"]);
    let fused = reciprocal_rank_fusion(&text, &vector);
    let order: Vec<&str> = fused.iter().map(|f| f.chunk_id.as_str()).collect();
    assert_eq!(
        order,
        [
            "both",
            "text-third",
            "text-first",
            "vector-first",
            "vector-third"
        ]
    );
    let both = &fused[0];
    assert_eq!((both.text_rank, both.vector_rank), (Some(2), Some(2)));
    assert!((both.score - 2.0 / (RRF_K + 2.0)).abs() < 1e-7);
    let third = &fused[1];
    assert_eq!((third.text_rank, third.vector_rank), (Some(3), Some(4)));
    assert!((third.score - (1.0 / (RRF_K + 3.0) + 1.0 / (RRF_K + 4.0))).abs() < 1e-7);
    // Ties (first of one list each) are broken by chunk id, deterministically.
    assert_eq!(fused[2].score, fused[3].score);
    assert_eq!((fused[2].text_rank, fused[2].vector_rank), (Some(1), None));
    assert_eq!((fused[3].text_rank, fused[3].vector_rank), (None, Some(1)));

    assert!(reciprocal_rank_fusion(&[], &[]).is_empty());
    let repeated = reciprocal_rank_fusion(&ids(&["a", "a"]), &[]);
    assert_eq!(repeated.len(), 1);
    assert_eq!(
        repeated[0].text_rank,
        Some(1),
        "a repeat does not count twice"
    );
    assert!((repeated[0].score - 1.0 / (RRF_K + 1.0)).abs() < 1e-7);
}
