//! Full-text search through a real tantivy index built from a real profile database.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use common::{DIMS, Library, MODEL};
use lm_core::store::{ChunkSource, SourceLocator};
use lm_search::{Scope, SearchFilter, SearchHit, SearchIndex, SourceKind};

fn open(library: &Library) -> SearchIndex {
    SearchIndex::open(library.index_dir(), &library.store, MODEL, DIMS)
        .unwrap()
        .0
}

fn texts_of(library: &Library, hits: &[SearchHit]) -> Vec<String> {
    let all = lm_search::live_chunks(&library.store).unwrap();
    hits.iter()
        .map(|hit| {
            all.iter()
                .find(|entry| entry.chunk.id == hit.chunk_id)
                .unwrap()
                .chunk
                .text
                .clone()
        })
        .collect()
}

#[test]
fn english_stemming_matches_other_forms_of_a_word() {
    let library = Library::new();
    library.add_pages(
        &library.biology_pdf,
        &[
            "The cell runs its metabolism all day.",
            "Photosynthesis happens in chloroplasts.",
        ],
    );
    library.add_spans(
        &library.biology_lecture,
        &["Today we studied how enzymes work"],
    );
    let index = open(&library);

    let everything = SearchFilter::default();
    let hits = index.search_text("running", &everything, 10).unwrap();
    assert_eq!(
        texts_of(&library, &hits),
        ["The cell runs its metabolism all day."]
    );
    let hits = index.search_text("study", &everything, 10).unwrap();
    assert_eq!(
        texts_of(&library, &hits),
        ["Today we studied how enzymes work"]
    );
    assert_eq!(hits[0].text_rank, Some(1));
    assert_eq!(hits[0].vector_rank, None);
    assert!(
        index
            .search_text("mitochondria", &everything, 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn hits_carry_locators_and_highlighted_snippets() {
    let library = Library::new();
    let filler = "Filler words about nothing in particular keep this page long. ".repeat(6);
    let page_text =
        format!("{filler}The <membrane> & its proteins: membranes control transport. {filler}");
    let ids = library.add_pages(&library.biology_pdf, &["unrelated page", &page_text]);
    let span_ids = library.add_spans(
        &library.biology_lecture,
        &["intro", "a membrane is a barrier"],
    );
    let index = open(&library);

    let hits = index
        .search_text("membrane", &SearchFilter::default(), 10)
        .unwrap();
    assert_eq!(hits.len(), 2);
    let page_hit = hits.iter().find(|hit| hit.chunk_id == ids[1]).unwrap();
    assert_eq!(
        page_hit.locator,
        SourceLocator::DocumentPage {
            document_id: library.biology_pdf.clone(),
            page: 2
        }
    );
    assert_eq!(page_hit.kind, SourceKind::Document);
    assert_eq!(page_hit.class_id, library.biology);
    let snippet = &page_hit.snippet;
    assert!(snippet.text.chars().count() <= lm_search::SNIPPET_CHARS);
    let marked: Vec<&str> = snippet
        .highlights
        .iter()
        .map(|range| &snippet.text[range.clone()])
        .collect();
    assert_eq!(marked, ["membrane", "membranes"], "{snippet:?}");
    assert!(
        snippet
            .html
            .contains("The &lt;<b>membrane</b>&gt; &amp; its proteins: <b>membranes</b>"),
        "{}",
        snippet.html
    );

    let span_hit = hits.iter().find(|hit| hit.chunk_id == span_ids[1]).unwrap();
    assert_eq!(
        span_hit.locator,
        SourceLocator::LectureSpan {
            lecture_id: library.biology_lecture.clone(),
            start_ms: 30_000,
            end_ms: 60_000
        }
    );
    assert_eq!(span_hit.snippet.html, "a <b>membrane</b> is a barrier");
}

#[test]
fn class_scope_kind_and_date_filters() {
    let library = Library::new();
    let old_pdf = library.add_pages(&library.biology_pdf, &["protein folding on paper"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let biology_talk = library.add_spans(&library.biology_lecture, &["protein folding, spoken"]);
    let history_pdf = library.add_pages(&library.history_pdf, &["protein rations of legions"]);
    let history_talk = library.add_spans(&library.history_lecture, &["protein in the roman diet"]);
    let index = open(&library);
    let search = |filter: SearchFilter| {
        let mut ids: Vec<_> = index
            .search_text("protein", &filter, 10)
            .unwrap()
            .into_iter()
            .map(|hit| hit.chunk_id)
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut ids: Vec<_>| {
        ids.sort();
        ids
    };

    assert_eq!(search(SearchFilter::default()).len(), 4);
    let biology = SearchFilter {
        scope: Scope::Class(library.biology.clone()),
        ..SearchFilter::default()
    };
    assert_eq!(
        search(biology.clone()),
        sorted(vec![old_pdf[0].clone(), biology_talk[0].clone()])
    );
    assert_eq!(
        search(SearchFilter {
            kind: Some(SourceKind::Lecture),
            ..SearchFilter::default()
        }),
        sorted(vec![biology_talk[0].clone(), history_talk[0].clone()])
    );
    assert_eq!(
        search(SearchFilter {
            kind: Some(SourceKind::Document),
            ..biology.clone()
        }),
        vec![old_pdf[0].clone()]
    );

    let later = library.created_at(
        &ChunkSource::Lecture(library.biology_lecture.clone()),
        &biology_talk[0],
    );
    let first = library.created_at(
        &ChunkSource::Document(library.biology_pdf.clone()),
        &old_pdf[0],
    );
    assert!(first < later, "the sleep separates the two batches");
    assert_eq!(
        search(SearchFilter {
            created_before: Some(later),
            ..SearchFilter::default()
        }),
        vec![old_pdf[0].clone()]
    );
    assert_eq!(
        search(SearchFilter {
            created_from: Some(later),
            ..biology.clone()
        }),
        vec![biology_talk[0].clone()]
    );
    assert_eq!(
        search(SearchFilter {
            created_from: Some(later),
            ..SearchFilter::default()
        }),
        sorted(vec![
            biology_talk[0].clone(),
            history_pdf[0].clone(),
            history_talk[0].clone()
        ])
    );
    let unknown_class = SearchFilter {
        scope: Scope::Class(lm_core::store::ClassId::from("ghost".to_string())),
        ..SearchFilter::default()
    };
    assert!(search(unknown_class).is_empty());
}

#[test]
fn hostile_queries_never_fail() {
    let library = Library::new();
    library.add_pages(
        &library.biology_pdf,
        &[
            "Operator overloading in C++ with unclosed templates",
            "AND OR NOT are logic words",
        ],
    );
    let index = open(&library);
    let filter = SearchFilter {
        scope: Scope::Class(library.biology.clone()),
        ..SearchFilter::default()
    };
    let long = "word ".repeat(5_000);
    let hostile = [
        "C++ \"unclosed",
        "AND OR",
        "\"",
        "(((",
        ")",
        "text:",
        ":",
        "class_id:ghost",
        "chunk_id:*",
        "*",
        "-",
        "+",
        "NOT",
        "foo AND",
        "[1 TO",
        "{a TO b}",
        "^2",
        "word~3",
        "\\",
        "a:b:c",
        "créme brûlée ☕ 日本語",
        "\u{0}\u{7f}",
        "",
        "   ",
        long.as_str(),
    ];
    for query in hostile {
        if let Err(error) = index.search_text(query, &filter, 10) {
            panic!("query {query:?} failed: {error}");
        }
    }
    let hits = index.search_text("C++ \"unclosed", &filter, 10).unwrap();
    assert!(
        texts_of(&library, &hits)
            .contains(&"Operator overloading in C++ with unclosed templates".into()),
        "the usable words of a broken query still search"
    );
    // A user query cannot widen the class scope by naming the field itself.
    let history_only = SearchFilter {
        scope: Scope::Class(library.history.clone()),
        ..SearchFilter::default()
    };
    let escape = format!("class_id:{} templates", library.biology);
    assert!(
        index
            .search_text(&escape, &history_only, 10)
            .unwrap()
            .is_empty()
    );
}
