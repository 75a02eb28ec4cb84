//! FastEmbedder against the real all-MiniLM-L6-v2 int8 model and ONNX Runtime from the models
//! folder (`scripts/fetch-models`).
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::Path;
use std::time::Instant;

use lm_core::engines::{Embedder, EngineError};
use lm_embed::{DIMENSIONS, FastEmbedder, FastEmbedderOptions, MODEL_ID};

fn options() -> FastEmbedderOptions {
    lm_testkit::require_model(MODEL_ID, "model.onnx");
    lm_testkit::require_model(lm_onnx_runtime::MODEL_ID, lm_onnx_runtime::LIBRARY_FILE);
    FastEmbedderOptions::default()
}

fn embedder() -> FastEmbedder {
    FastEmbedder::new(&options()).unwrap()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn related_sentences_are_closer_than_unrelated_ones() {
    let embedder = embedder();
    let triples = [
        (
            "How do plants make their food?",
            "Photosynthesis converts light energy into chemical energy in leaves.",
            "The stock market fell sharply on Tuesday.",
        ),
        (
            "What caused the First World War?",
            "The assassination of Archduke Franz Ferdinand triggered the war in 1914.",
            "Add two eggs and whisk the batter until smooth.",
        ),
        (
            "Solve the quadratic equation x squared minus four equals zero.",
            "The roots of x^2 - 4 = 0 are 2 and -2.",
            "My cat sleeps on the windowsill every afternoon.",
        ),
        (
            "The heart pumps blood through the body.",
            "Blood circulates through arteries and veins, driven by the cardiac muscle.",
            "Shakespeare wrote Hamlet around 1600.",
        ),
    ];
    for (anchor, related, unrelated) in triples {
        let v = embedder.embed(&[anchor, related, unrelated]).unwrap();
        let (near, far) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
        eprintln!("{anchor:?}: related {near:.3}, unrelated {far:.3}");
        assert!(
            near > far + 0.1,
            "{anchor:?}: related {near:.3} should clearly beat unrelated {far:.3}"
        );
    }
}

#[test]
fn vectors_are_unit_length_with_384_dimensions() {
    let embedder = embedder();
    assert_eq!(embedder.dimensions(), DIMENSIONS);
    let texts = [
        "A short one.",
        "",
        "A considerably longer sentence about cell biology, ribosomes and proteins.",
    ];
    let vectors = embedder.embed(&texts).unwrap();
    assert_eq!(vectors.len(), texts.len());
    for (text, v) in texts.iter().zip(&vectors) {
        assert_eq!(v.len(), DIMENSIONS, "{text:?}");
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{text:?}: norm {norm}");
    }
    assert!(embedder.embed(&[]).unwrap().is_empty());
}

#[test]
fn matches_python_onnxruntime_reference_vectors() {
    // Made once by scripts/embedding_reference.py with Python onnxruntime + tokenizers.
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("data/reference_embeddings.json")).unwrap();
    let items = reference["items"].as_array().unwrap();
    assert!(items.len() >= 3);
    let texts: Vec<&str> = items.iter().map(|i| i["text"].as_str().unwrap()).collect();
    // One padded batch here against one-at-a-time in Python: also checks masking of the padding.
    let vectors = embedder().embed(&texts).unwrap();
    for (item, got) in items.iter().zip(&vectors) {
        let want: Vec<f32> = item["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(want.len(), got.len());
        let worst = want
            .iter()
            .zip(got)
            .map(|(w, g)| (w - g).abs())
            .fold(0.0_f32, f32::max);
        assert!(
            worst <= 1e-4,
            "{:?}: largest difference {worst:e} exceeds 1e-4",
            item["text"]
        );
    }
}

#[test]
fn vectors_come_back_in_input_order_across_length_sorted_batches() {
    // Batches of two over texts whose lengths are not in order: the embedder regroups them
    // longest first, so every vector must still land at its own text's position.
    let embedder = FastEmbedder::new(&FastEmbedderOptions {
        batch_size: 2,
        ..options()
    })
    .unwrap();
    let texts = [
        "Mitosis.",
        "The French Revolution began in 1789 when the Estates-General met at Versailles.",
        "Enzymes speed up reactions.",
        "Newton's second law says that force equals mass times acceleration, F = m a.",
        "A prime has two divisors.",
    ];
    let together = embedder.embed(&texts).unwrap();
    assert_eq!(together.len(), texts.len());
    for (text, vector) in texts.iter().zip(&together) {
        let alone = embedder.embed(&[text]).unwrap();
        let similarity = cosine(&alone[0], vector);
        assert!(
            similarity > 0.9999,
            "{text:?}: batched vector differs from its own (cosine {similarity})"
        );
    }
}

#[test]
fn embeds_batches_of_32_at_a_usable_speed() {
    let embedder = embedder();
    let sentences: Vec<String> = (0..64)
        .map(|i| {
            format!(
                "Sentence number {i} of the lecture explains how enzymes lower the activation \
                 energy of reaction {i} inside the living cell, with examples and a summary."
            )
        })
        .collect();
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    embedder.embed(&texts[..4]).unwrap(); // warm-up
    let start = Instant::now();
    let vectors = embedder.embed(&texts).unwrap();
    let per_second = texts.len() as f64 / start.elapsed().as_secs_f64();
    eprintln!("embedding throughput: {per_second:.1} sentences/s (batch 32, 1 thread)");
    assert_eq!(vectors.len(), texts.len());
    assert!(per_second > 5.0, "only {per_second:.1} sentences/s");
}

fn bad_model_path(error: EngineError) -> std::path::PathBuf {
    match error {
        EngineError::BadModel { path, problem } => {
            eprintln!("{path:?}: {problem}");
            path
        }
        other => panic!("expected BadModel, got {other:?}"),
    }
}

/// A copy of the model folder in a temp dir, minus `skip`, so a test can break one file.
fn copy_model_dir(to: &Path, skip: &str) {
    let from = options().model_dir;
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != skip {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn a_missing_model_folder_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-model");
    let options = FastEmbedderOptions {
        model_dir: missing.clone(),
        ..options()
    };
    let error = FastEmbedder::new(&options).err().unwrap();
    assert!(
        error.to_string().contains("scripts/fetch-models"),
        "{error}"
    );
    assert_eq!(bad_model_path(error), missing);
}

#[test]
fn a_missing_tokenizer_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_model_dir(dir.path(), "tokenizer.json");
    let options = FastEmbedderOptions {
        model_dir: dir.path().to_path_buf(),
        ..options()
    };
    let error = FastEmbedder::new(&options).err().unwrap();
    assert_eq!(bad_model_path(error), dir.path().join("tokenizer.json"));
}

#[test]
fn a_corrupt_onnx_file_is_rejected_as_a_bad_model() {
    let dir = tempfile::tempdir().unwrap();
    copy_model_dir(dir.path(), "model.onnx");
    std::fs::write(
        dir.path().join("model.onnx"),
        "this is a text file, not an ONNX graph\n",
    )
    .unwrap();
    let options = FastEmbedderOptions {
        model_dir: dir.path().to_path_buf(),
        ..options()
    };
    let error = FastEmbedder::new(&options).err().unwrap();
    assert_eq!(bad_model_path(error), dir.path().join("model.onnx"));
}
