# Shared settings for scripts/*: sourced, not run.
# The build cache lives outside the clone so a fresh clone reuses earlier native builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/littlemonster/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
# The installed models (scripts/fetch-models' default folder). Pinned because tests, the E2E run
# and the benchmarks give each run its own LITTLEMONSTER_DATA_DIR, which the models folder would
# otherwise follow (<data dir>/models).
export LITTLEMONSTER_MODELS_DIR="${LITTLEMONSTER_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/littlemonster/models}"
# Worker binaries (lm-stt-worker, lm-llm-worker) are found here by the core's supervisor.
export LITTLEMONSTER_WORKER_DIR="${LITTLEMONSTER_WORKER_DIR:-$CARGO_TARGET_DIR/debug}"

step() { printf '\n==> %s\n' "$*"; }

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    echo "cargo not found: install Rust with rustup (https://rustup.rs), then re-run" >&2
    exit 1
  fi
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
}
