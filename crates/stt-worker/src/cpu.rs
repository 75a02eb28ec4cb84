//! Refuses to start on a CPU that lacks an instruction set extension the build uses (see
//! `build.rs`), so the user gets a message instead of a SIGILL mid-transcription.

use lm_worker_protocol::WorkerError;

/// The extensions of the machine that compiled whisper.cpp (`-march=native`), comma-separated.
const BUILD_FEATURES: &str = env!("LM_NATIVE_CPU_FEATURES");

/// `Ok` when this CPU has every feature the build recorded.
pub fn check() -> Result<(), WorkerError> {
    let missing: Vec<String> = BUILD_FEATURES
        .split(',')
        .filter(|f| !f.is_empty() && !has_feature(f))
        .map(str::to_owned)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(WorkerError::UnsupportedCpu {
        message: format!(
            "this CPU lacks {} which this build of lm-stt-worker was compiled to use; \
             use a build made for older CPUs (GGML_NATIVE=OFF)",
            missing.join(", ")
        ),
        missing,
    })
}

#[cfg(target_arch = "x86_64")]
fn has_feature(feature: &str) -> bool {
    match feature {
        "sse3" => std::is_x86_feature_detected!("sse3"),
        "ssse3" => std::is_x86_feature_detected!("ssse3"),
        "avx" => std::is_x86_feature_detected!("avx"),
        "avx2" => std::is_x86_feature_detected!("avx2"),
        "fma" => std::is_x86_feature_detected!("fma"),
        "f16c" => std::is_x86_feature_detected!("f16c"),
        "bmi2" => std::is_x86_feature_detected!("bmi2"),
        "avx512f" => std::is_x86_feature_detected!("avx512f"),
        "avx512bw" => std::is_x86_feature_detected!("avx512bw"),
        "avx512vl" => std::is_x86_feature_detected!("avx512vl"),
        "avx512vnni" => std::is_x86_feature_detected!("avx512vnni"),
        // build.rs records only the names above.
        _ => true,
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn has_feature(_feature: &str) -> bool {
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_build_machine_passes_its_own_check() {
        assert_eq!(super::check(), Ok(()));
        #[cfg(target_arch = "x86_64")]
        assert!(
            super::BUILD_FEATURES.contains("sse3"),
            "build.rs recorded {:?}",
            super::BUILD_FEATURES
        );
    }
}
