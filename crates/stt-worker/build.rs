//! Records which x86 CPU features the build machine has.
//!
//! whisper.cpp is compiled by whisper-rs-sys with ggml's default `GGML_NATIVE=ON`
//! (`-march=native`), so the binary may use every instruction set extension of the machine that
//! built it. The worker checks these at start-up and refuses to run, with a clear message, on a CPU
//! that lacks one, instead of dying of SIGILL in the middle of a transcription.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let features = if std::env::var("TARGET").ok() == std::env::var("HOST").ok() {
        host_features()
    } else {
        Vec::new()
    };
    println!(
        "cargo:rustc-env=LM_NATIVE_CPU_FEATURES={}",
        features.join(",")
    );
}

#[cfg(target_arch = "x86_64")]
fn host_features() -> Vec<&'static str> {
    // The extensions ggml's CPU backend selects code paths for.
    let mut features = Vec::new();
    macro_rules! probe {
        ($($feature:tt),*) => {
            $(if std::is_x86_feature_detected!($feature) { features.push($feature); })*
        };
    }
    probe!(
        "sse3",
        "ssse3",
        "avx",
        "avx2",
        "fma",
        "f16c",
        "bmi2",
        "avx512f",
        "avx512bw",
        "avx512vl",
        "avx512vnni"
    );
    features
}

#[cfg(not(target_arch = "x86_64"))]
fn host_features() -> Vec<&'static str> {
    Vec::new()
}
