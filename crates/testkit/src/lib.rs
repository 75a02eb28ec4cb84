//! Fixtures shared by the test suites of several crates.
//!
//! Test audio is made at test time with espeak-ng and sox (both installed by
//! `scripts/install-system-deps`), so no recording is committed and every test knows exactly what
//! was said. Model lookups fail loudly: a test that needs a model must not pass without it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The binary `binary` of this workspace, built by this test run with the same cargo and target
/// folder, so a test never drives a stale worker.
///
/// The whole workspace is built, all targets, once per test process: cargo resolves features per
/// invocation, and a `cargo build -p <worker>` alone unifies a different feature set than
/// `cargo test --workspace` does, so it rebuilt whisper.cpp and llama.cpp from scratch (minutes of
/// C++ on a cold cache). The workspace build matches the test build, so it only checks freshness.
///
/// Tests point supervisors at the result through `WorkerSpec::binary` rather than the
/// process-wide `LITTLEMONSTER_WORKER_DIR`, which parallel tests could race on.
pub fn built_binary(binary: &str) -> PathBuf {
    static PROFILE_DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let profile_dir = PROFILE_DIR.get_or_init(build_workspace);
    let profile_dir = match profile_dir {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    };
    let path = profile_dir.join(binary);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// Builds every target of the workspace and returns the profile folder the binaries are in.
fn build_workspace() -> Result<PathBuf, String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--locked",
            "--workspace",
            "--all-targets",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map_err(|error| format!("cannot run cargo to build the workers: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo build --workspace --all-targets failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    // A test runs as <target>/<profile>/deps/<test>-<hash>; binaries are in <target>/<profile>/.
    let exe = std::env::current_exe().map_err(|error| format!("the test's own path: {error}"))?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} is not in <target>/<profile>/deps", exe.display()))
}

/// The installed file `file` of catalog model `id`, or a panic that tells the developer how to get it.
pub fn require_model(id: &str, file: &str) -> PathBuf {
    let path = lm_core::paths::models_dir().join(id).join(file);
    assert!(
        path.is_file(),
        "model file {} is missing: run scripts/fetch-models (or set LITTLEMONSTER_MODELS_DIR)",
        path.display()
    );
    path
}

/// The real SmolLM2-135M model in a freshly built `lm-llm-worker`, loaded with a context of
/// `context_size` tokens and the app's default thread count.
pub fn smollm2_worker(context_size: u32) -> lm_core::workers::llm::WorkerLlm {
    use lm_core::workers::llm::{DEFAULT_LLM_THREADS, WorkerLlm};
    let model = require_model("smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf");
    let mut spec = WorkerLlm::default_spec(model, context_size, DEFAULT_LLM_THREADS);
    spec.binary = built_binary("lm-llm-worker");
    WorkerLlm::with_spec(spec)
}

/// Speaks `text` with espeak-ng (US English, 150 words per minute) into a 16 kHz mono 16-bit WAV at
/// `out`, the format the transcriber expects.
pub fn speak_to_wav(text: &str, out: &Path) {
    speak_to_wav_as(text, &["-v", "en-us"], out);
}

/// [`speak_to_wav`] with other espeak-ng voice options, e.g. `["-v", "en-us+Annie"]` for a second
/// speaker (150 words per minute).
pub fn speak_to_wav_as(text: &str, voice: &[&str], out: &Path) {
    let dir = tempfile::tempdir().expect("temp dir for espeak output");
    let text_file = dir.path().join("text.txt");
    let raw = dir.path().join("espeak.wav");
    std::fs::write(&text_file, text).expect("write espeak text");
    run(Command::new("espeak-ng")
        .args(voice)
        .args(["-s", "150", "-w"])
        .arg(&raw)
        .arg("-f")
        .arg(&text_file));
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "16000", "-c", "1", "-b", "16"])
        .arg(out));
}

/// Runs a fixture tool and panics with its stderr if it fails.
fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Duration of a WAV file in milliseconds.
pub fn wav_duration_ms(path: &Path) -> u64 {
    let reader = hound::WavReader::open(path).expect("open WAV");
    let spec = reader.spec();
    u64::from(reader.duration()) * 1000 / u64::from(spec.sample_rate)
}

/// Lower-cases, drops punctuation and splits into words, so WER compares words, not formatting.
/// Hyphens and apostrophes inside words are kept ("don't"), digits stay as written.
pub fn normalize_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word error rate of `hypothesis` against `reference`: word-level edit distance divided by the
/// number of reference words, after [`normalize_words`].
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let reference = normalize_words(reference);
    let hypothesis = normalize_words(hypothesis);
    if reference.is_empty() {
        return if hypothesis.is_empty() { 0.0 } else { 1.0 };
    }
    // Single-row Levenshtein over words.
    let mut row: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let substitution = diagonal + usize::from(r != h);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[hypothesis.len()] as f64 / reference.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wer_counts_substitutions_insertions_and_deletions() {
        assert_eq!(word_error_rate("the cat sat", "the cat sat"), 0.0);
        assert_eq!(word_error_rate("The cat, sat.", "the cat sat"), 0.0);
        assert!((word_error_rate("the cat sat on", "the dog sat") - 0.5).abs() < 1e-9);
        assert!((word_error_rate("a b", "a b c d") - 1.0).abs() < 1e-9);
        assert_eq!(word_error_rate("", ""), 0.0);
    }

    #[test]
    fn espeak_fixture_is_16k_mono_speech() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("hello.wav");
        speak_to_wav("Hello students, welcome to the first lecture.", &wav);
        let spec = hound::WavReader::open(&wav).unwrap().spec();
        assert_eq!(
            (spec.sample_rate, spec.channels, spec.bits_per_sample),
            (16000, 1, 16)
        );
        let ms = wav_duration_ms(&wav);
        assert!((1000..10000).contains(&ms), "unexpected duration {ms} ms");
    }
}
