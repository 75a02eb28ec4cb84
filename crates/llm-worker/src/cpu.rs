//! Refusing to start on a CPU that lacks instructions llama.cpp was compiled to use.
//!
//! llama.cpp is built with explicit instruction sets (the `GGML_AVX2=ON`-style switches in the
//! build environment, see the README) rather than for the build machine's CPU. Running it on a CPU
//! without one of them dies of SIGILL somewhere inside the first matrix multiplication; checking
//! first turns that into a `fatal` `unsupported_cpu` line the app can show.

/// The instruction sets this build of llama.cpp was told to use, from the same environment
/// variables its build script read.
const BUILT_WITH: [(&str, Option<&str>); 5] = [
    ("avx", option_env!("GGML_AVX")),
    ("avx2", option_env!("GGML_AVX2")),
    ("fma", option_env!("GGML_FMA")),
    ("f16c", option_env!("GGML_F16C")),
    ("bmi2", option_env!("GGML_BMI2")),
];

/// The instruction sets this build needs that the running CPU lacks.
pub fn missing_features() -> Vec<String> {
    BUILT_WITH
        .iter()
        .filter(|(_, switch)| switch.is_some_and(|value| value.eq_ignore_ascii_case("on")))
        .filter(|(name, _)| !cpu_has(name))
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

#[cfg(target_arch = "x86_64")]
fn cpu_has(feature: &str) -> bool {
    match feature {
        "avx" => std::arch::is_x86_feature_detected!("avx"),
        "avx2" => std::arch::is_x86_feature_detected!("avx2"),
        "fma" => std::arch::is_x86_feature_detected!("fma"),
        "f16c" => std::arch::is_x86_feature_detected!("f16c"),
        "bmi2" => std::arch::is_x86_feature_detected!("bmi2"),
        _ => false,
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_has(_feature: &str) -> bool {
    // The switches above only exist for x86_64 builds.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_machine_has_what_the_build_uses() {
        // Tests run where they were built, so nothing may be missing here.
        assert_eq!(missing_features(), Vec::<String>::new());
    }
}
