//! Fixtures shared by the integration tests: a real profile database in a temp folder and
//! deterministic pseudo-random vectors.

#![allow(dead_code, clippy::unwrap_used)] // Each test file uses a subset; tests may unwrap.

use lm_core::store::{
    ChunkId, ChunkSource, ClassId, DocumentId, DocumentKind, LectureId, NewChunk, NewDocument,
    NewLecture, SourceLocator, Store,
};

/// The embedding model id the tests store vectors under.
pub const MODEL: &str = "test-model";
/// Small vectors keep the tests fast; the scan code is the same for 384.
pub const DIMS: usize = 24;

/// A profile database with two classes, each with one document and one lecture.
pub struct Library {
    /// Holds the database and the index folder.
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub biology: ClassId,
    pub history: ClassId,
    pub biology_pdf: DocumentId,
    pub biology_lecture: LectureId,
    pub history_pdf: DocumentId,
    pub history_lecture: LectureId,
}

impl Library {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("library.sqlite3")).unwrap();
        let profile = store.profiles().create("Ada").unwrap();
        let biology = store.classes().create(&profile.id, "Biology").unwrap().id;
        let history = store.classes().create(&profile.id, "History").unwrap().id;
        let document = |class: &ClassId, title: &str| {
            store
                .documents()
                .create(&NewDocument {
                    class_id: class.clone(),
                    title: title.into(),
                    file_path: format!("media/{title}.pdf").into(),
                    content_hash: title.into(),
                    kind: DocumentKind::Pdf,
                    mime: "application/pdf".into(),
                })
                .unwrap()
                .id
        };
        let lecture = |class: &ClassId, title: &str| {
            store
                .lectures()
                .create(&NewLecture {
                    class_id: class.clone(),
                    title: title.into(),
                    media_path: format!("media/{title}.wav").into(),
                    media_hash: title.into(),
                })
                .unwrap()
                .id
        };
        let biology_pdf = document(&biology, "cells");
        let biology_lecture = lecture(&biology, "mitosis");
        let history_pdf = document(&history, "rome");
        let history_lecture = lecture(&history, "empire");
        Self {
            dir,
            store,
            biology,
            history,
            biology_pdf,
            biology_lecture,
            history_pdf,
            history_lecture,
        }
    }

    pub fn index_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("index")
    }

    /// Stores one chunk per text on consecutive pages of `document`; returns their ids.
    pub fn add_pages(&self, document: &DocumentId, texts: &[&str]) -> Vec<ChunkId> {
        let chunks: Vec<NewChunk> = texts
            .iter()
            .zip(1..)
            .map(|(text, page)| NewChunk {
                locator: SourceLocator::DocumentPage {
                    document_id: document.clone(),
                    page,
                },
                text: (*text).into(),
            })
            .collect();
        self.store.chunks().insert_batch(&chunks).unwrap()
    }

    /// Stores one chunk per text, 30 s each, in `lecture`; returns their ids.
    pub fn add_spans(&self, lecture: &LectureId, texts: &[&str]) -> Vec<ChunkId> {
        let chunks: Vec<NewChunk> = texts
            .iter()
            .zip(0u64..)
            .map(|(text, i)| NewChunk {
                locator: SourceLocator::LectureSpan {
                    lecture_id: lecture.clone(),
                    start_ms: i * 30_000,
                    end_ms: (i + 1) * 30_000,
                },
                text: (*text).into(),
            })
            .collect();
        self.store.chunks().insert_batch(&chunks).unwrap()
    }

    /// The created_at of a stored chunk.
    pub fn created_at(&self, source: &ChunkSource, id: &ChunkId) -> i64 {
        self.store
            .chunks()
            .list_by_source(source)
            .unwrap()
            .into_iter()
            .find(|c| &c.id == id)
            .unwrap()
            .created_at
    }
}

/// xorshift64*: deterministic, good enough to spread vectors over the sphere.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
        bits as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }

    /// A random unit vector.
    pub fn unit(&mut self, dims: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dims).map(|_| self.next_f32()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }
}

/// `base` nudged by `amount` of random noise, back to unit length.
pub fn near(base: &[f32], rng: &mut Rng, amount: f32) -> Vec<f32> {
    let v: Vec<f32> = base.iter().map(|x| x + amount * rng.next_f32()).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}
