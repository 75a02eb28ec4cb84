//! `SearchIndex` kept in step with a real profile database: sync, deletion, damage, hybrid.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use common::{DIMS, Library, MODEL, Rng, near};
use lm_core::store::{ChunkId, ChunkSource};
use lm_search::{
    ClassChunk, EmbeddedChunk, FULL_TEXT_FOLDER, RRF_K, RebuildReason, SearchError, SearchFilter,
    SearchIndex,
};

fn ids_of(hits: &[lm_search::SearchHit]) -> Vec<ChunkId> {
    hits.iter().map(|hit| hit.chunk_id.clone()).collect()
}

/// A library whose chunks all mention "enzyme", with embeddings for every chunk.
fn library_with_embeddings(rng: &mut Rng) -> (Library, Vec<ChunkId>) {
    let library = Library::new();
    let mut ids = library.add_pages(
        &library.biology_pdf,
        &["enzyme kinetics page", "enzyme inhibitors page"],
    );
    ids.extend(library.add_spans(&library.biology_lecture, &["the enzyme lecture"]));
    ids.extend(library.add_pages(&library.history_pdf, &["an enzyme in ancient bread"]));
    let vectors: Vec<(ChunkId, Vec<f32>)> =
        ids.iter().map(|id| (id.clone(), rng.unit(DIMS))).collect();
    library
        .store
        .embeddings()
        .put_batch(MODEL, &vectors)
        .unwrap();
    (library, ids)
}

#[test]
fn first_open_builds_everything_and_reopening_changes_nothing() {
    let mut rng = Rng(1);
    let (library, ids) = library_with_embeddings(&mut rng);
    let (index, report) =
        SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    assert_eq!(report.rebuilt, Some(RebuildReason::Missing));
    assert_eq!((report.added, report.removed), (4, 0));
    assert_eq!((report.chunks, report.vectors), (4, 4));
    assert_eq!(index.text().len(), 4);
    drop(index);

    let (index, report) =
        SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    assert_eq!(report.rebuilt, None);
    assert_eq!((report.added, report.removed, report.chunks), (0, 0, 4));
    let mut found = ids_of(
        &index
            .search_text("enzymes", &SearchFilter::default(), 10)
            .unwrap(),
    );
    found.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn sync_drops_chunks_deleted_in_the_database_and_adds_new_ones() {
    let mut rng = Rng(2);
    let (library, ids) = library_with_embeddings(&mut rng);
    let (mut index, _) =
        SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();

    // The lecture is re-chunked: its old chunks (and, by cascade, embeddings) go away.
    let lecture = ChunkSource::Lecture(library.biology_lecture.clone());
    assert_eq!(
        library.store.chunks().delete_by_source(&lecture).unwrap(),
        1
    );
    let fresh = library.add_spans(&library.biology_lecture, &["enzymes, second take"]);
    let report = index.sync(&library.store).unwrap();
    assert_eq!((report.added, report.removed), (1, 1));
    assert_eq!(report.vectors, 3, "the new chunk has no embedding yet");

    let found = ids_of(
        &index
            .search_text("enzyme", &SearchFilter::default(), 10)
            .unwrap(),
    );
    assert!(!found.contains(&ids[2]), "the deleted chunk is gone");
    assert!(found.contains(&fresh[0]));
    let semantic = index
        .search_semantic(&rng.unit(DIMS), &SearchFilter::default(), 10)
        .unwrap();
    assert_eq!(semantic.len(), 3);
    assert!(!ids_of(&semantic).contains(&ids[2]));

    // Deleting a class hides its chunks everywhere after a sync.
    library
        .store
        .classes()
        .soft_delete(&library.history)
        .unwrap();
    let report = index.sync(&library.store).unwrap();
    assert_eq!((report.added, report.removed), (0, 1));
    let found = ids_of(
        &index
            .search_text("bread", &SearchFilter::default(), 10)
            .unwrap(),
    );
    assert!(found.is_empty());
    assert_eq!(report.vectors, 2);
}

#[test]
fn removing_a_source_removes_its_hits_from_both_indexes() {
    let mut rng = Rng(3);
    let (library, ids) = library_with_embeddings(&mut rng);
    let (mut index, _) =
        SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    index
        .remove_source(&ChunkSource::Document(library.biology_pdf.clone()))
        .unwrap();
    let found = ids_of(
        &index
            .search_text("enzyme", &SearchFilter::default(), 10)
            .unwrap(),
    );
    assert_eq!(found.len(), 2);
    assert!(!found.contains(&ids[0]) && !found.contains(&ids[1]));
    let semantic = ids_of(
        &index
            .search_semantic(&rng.unit(DIMS), &SearchFilter::default(), 10)
            .unwrap(),
    );
    assert_eq!(semantic.len(), 2);
    assert!(!semantic.contains(&ids[0]) && !semantic.contains(&ids[1]));
}

#[test]
fn adding_chunks_directly_and_refusing_a_bad_embedding() {
    let mut rng = Rng(4);
    let library = Library::new();
    let (mut index, _) =
        SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    let ids = library.add_pages(&library.biology_pdf, &["ribosome page", "golgi page"]);
    let chunks: Vec<ClassChunk> = lm_search::live_chunks(&library.store).unwrap();
    let target = rng.unit(DIMS);
    let mut batch: Vec<EmbeddedChunk> = chunks
        .iter()
        .map(|chunk| EmbeddedChunk {
            chunk: chunk.clone(),
            embedding: Some(if chunk.chunk.id == ids[1] {
                target.clone()
            } else {
                rng.unit(DIMS)
            }),
        })
        .collect();
    batch[0].embedding = Some(vec![1.0; DIMS + 1]);
    assert!(matches!(
        index.add(&batch),
        Err(SearchError::Dimensions { .. })
    ));
    assert!(
        index.text().is_empty() && index.vectors().is_empty(),
        "all or nothing"
    );

    batch[0].embedding = None;
    index.add(&batch).unwrap();
    assert_eq!((index.text().len(), index.vectors().len()), (2, 1));
    let semantic = index
        .search_semantic(&near(&target, &mut rng, 0.1), &SearchFilter::default(), 5)
        .unwrap();
    assert_eq!(ids_of(&semantic), [ids[1].clone()]);
    assert_eq!(semantic[0].vector_rank, Some(1));
    assert_eq!(
        semantic[0].snippet.text, "golgi page",
        "no words matched: the chunk's start"
    );
    assert!(semantic[0].snippet.highlights.is_empty());
}

#[test]
fn hybrid_fuses_both_rankings_and_keeps_locators_and_snippets() {
    let mut rng = Rng(5);
    let library = Library::new();
    let ids = library.add_pages(
        &library.biology_pdf,
        &[
            "glycolysis splits glucose",            // text and meaning
            "glycolysis is mentioned here only",    // text only
            "how cells burn sugar for energy",      // meaning only
            "unrelated notes about the field trip", // neither
        ],
    );
    let topic = rng.unit(DIMS);
    let vectors = vec![
        (ids[0].clone(), near(&topic, &mut rng, 0.05)),
        (ids[1].clone(), rng.unit(DIMS)),
        (ids[2].clone(), near(&topic, &mut rng, 0.02)),
        (ids[3].clone(), rng.unit(DIMS)),
    ];
    library
        .store
        .embeddings()
        .put_batch(MODEL, &vectors)
        .unwrap();
    let (index, _) = SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();

    let hits = index
        .search_hybrid("glycolysis glucose", &topic, &SearchFilter::default(), 3)
        .unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0].chunk_id, ids[0], "first in both rankings");
    assert_eq!((hits[0].text_rank, hits[0].vector_rank), (Some(1), Some(2)));
    assert!((hits[0].score - (1.0 / (RRF_K + 1.0) + 1.0 / (RRF_K + 2.0))).abs() < 1e-6);
    assert_eq!(
        hits[0].snippet.html,
        "<b>glycolysis</b> splits <b>glucose</b>"
    );
    let meaning_only = hits.iter().find(|hit| hit.chunk_id == ids[2]).unwrap();
    assert_eq!(
        (meaning_only.text_rank, meaning_only.vector_rank),
        (None, Some(1))
    );
    assert_eq!(
        meaning_only.locator,
        lm_core::store::SourceLocator::DocumentPage {
            document_id: library.biology_pdf.clone(),
            page: 3
        }
    );
    assert_eq!(meaning_only.snippet.text, "how cells burn sugar for energy");
    assert!(hits.windows(2).all(|pair| pair[0].score >= pair[1].score));

    // The scope applies to both rankings.
    let history = SearchFilter {
        scope: lm_search::Scope::Class(library.history.clone()),
        ..SearchFilter::default()
    };
    assert!(
        index
            .search_hybrid("glycolysis", &topic, &history, 3)
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        index.search_hybrid("glycolysis", &[0.5; 3], &SearchFilter::default(), 3),
        Err(SearchError::Dimensions { found: 3, .. })
    ));
}

/// Builds an index, closes it, lets `damage` loose on its folder, and reopens.
fn reopen_after(damage: impl FnOnce(&std::path::Path)) -> (Library, SearchIndex, RebuildReason) {
    let mut rng = Rng(6);
    let (library, _) = library_with_embeddings(&mut rng);
    let (index, _) = SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    drop(index);
    damage(&library.index_dir().join(FULL_TEXT_FOLDER));
    let (index, report) =
        SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    assert_eq!((report.added, report.chunks, report.vectors), (4, 4, 4));
    let hits = index
        .search_text("enzyme", &SearchFilter::default(), 10)
        .unwrap();
    assert_eq!(hits.len(), 4, "searchable again after the rebuild");
    (library, index, report.rebuilt.unwrap())
}

#[test]
fn a_truncated_meta_json_is_rebuilt() {
    let (_library, _index, reason) = reopen_after(|dir| {
        let meta = dir.join("meta.json");
        let text = std::fs::read(&meta).unwrap();
        std::fs::write(&meta, &text[..text.len() / 2]).unwrap();
    });
    assert!(matches!(reason, RebuildReason::Unreadable(_)), "{reason:?}");
}

#[test]
fn garbage_in_the_segment_files_is_rebuilt() {
    let (_library, _index, reason) = reopen_after(|dir| {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name != "meta.json" && !name.starts_with('.') && name.contains('.') {
                std::fs::write(&path, b"garbage, not a tantivy file").unwrap();
            }
        }
        std::fs::write(dir.join("stray.bin"), b"more garbage").unwrap();
    });
    assert!(matches!(reason, RebuildReason::Unreadable(_)), "{reason:?}");
}

#[test]
fn a_deleted_index_folder_is_rebuilt() {
    let (_library, _index, reason) = reopen_after(|dir| std::fs::remove_dir_all(dir).unwrap());
    assert_eq!(reason, RebuildReason::Missing);
}

#[test]
fn rebuild_starts_from_scratch() {
    let mut rng = Rng(8);
    let (library, _) = library_with_embeddings(&mut rng);
    let (mut index, _) =
        SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    let report = index.rebuild(&library.store).unwrap();
    assert_eq!(
        (report.removed, report.added, report.chunks, report.vectors),
        (4, 4, 4, 4)
    );
    assert_eq!(
        index
            .search_text("enzyme", &SearchFilter::default(), 10)
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn the_index_can_be_shared_between_threads_and_limits_are_clamped() {
    fn shareable<T: Send + Sync>() {}
    shareable::<SearchIndex>();

    let mut rng = Rng(10);
    let (library, _) = library_with_embeddings(&mut rng);
    let (index, _) = SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    let everything = SearchFilter::default();
    assert_eq!(
        index
            .search_text("enzyme", &everything, usize::MAX)
            .unwrap()
            .len(),
        4
    );
    let query = rng.unit(DIMS);
    assert_eq!(
        index
            .search_semantic(&query, &everything, usize::MAX)
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        index
            .search_hybrid("enzyme", &query, &everything, usize::MAX)
            .unwrap()
            .len(),
        4
    );
    assert!(
        index
            .search_hybrid("enzyme", &query, &everything, 0)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_index_in_use_is_reported_not_wiped() {
    let mut rng = Rng(9);
    let (library, _) = library_with_embeddings(&mut rng);
    let (first, _) = SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS).unwrap();
    let second = SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS);
    assert!(
        matches!(second, Err(SearchError::Locked { .. })),
        "{:?}",
        second.err()
    );
    assert_eq!(
        first
            .search_text("enzyme", &SearchFilter::default(), 10)
            .unwrap()
            .len(),
        4,
        "the first holder's index is intact"
    );
}
