#!/usr/bin/env python3
"""Knowledge-pipeline benchmark: search latency, indexing throughput, grounded time to first token.

Run by scripts/bench.d/run.py (or alone: `python3 scripts/bench.d/knowledge.py --bin DIR`), with
the debug binaries already built (`cargo build --workspace --all-targets`; the search bench is built here with
`cargo build -p lm-search --example lm-search-bench`). Prints one JSON object on stdout:

- search: the lm-search-bench example's output (p50/p95 of full-text, semantic and hybrid queries
  over 10k and 100k synthetic chunks);
- indexing: chunks/s of the real `index` job (import a 500-section Markdown file, then
  `littlemonster jobs run`), raw fastembed texts/s on the same texts (`littlemonster embed`), and
  their ratio (the job is bound by the embedder, so the ratio should be close to 1);
- grounded_ask: time to first token of `littlemonster ask --class` (retrieval + prompt + the
  SmolLM2 worker's start and prefill), and tokens/s.

Only the standard library is used.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHUNKS = 500


def stats_of(stderr: str) -> dict:
    """The `stats: {json}` line a command printed with --stats."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("stats: "):
            return json.loads(line[len("stats: "):])
    raise RuntimeError(f"no stats line in:\n{stderr}")


def run(cmd, env=None, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}")
    return done


def search_latency(sizes) -> dict:
    run(["cargo", "build", "--quiet", "-p", "lm-search", "--example", "lm-search-bench"], cwd=ROOT)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    bench = target / "debug" / "examples" / "lm-search-bench"
    return json.loads(run([str(bench), *map(str, sizes)]).stdout)


def sections(n: int) -> list:
    return [
        f"Fact number {i} says that sample {i} of the survey was measured at station {i * 7 % 101} "
        f"on day {i % 365} and recorded in notebook {i // 10} by observer {i % 13}."
        for i in range(n)
    ]


def indexing_and_ask(binary: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, LITTLEMONSTER_DATA_DIR=str(tmp / "data"))
        texts = sections(CHUNKS)
        notes = tmp / "notes.md"
        notes.write_text("".join(f"# Topic {i}\n\n{t}\n\n" for i, t in enumerate(texts)))
        run([binary, "import", "--no-wait", "--class", "Bench", notes], env=env)
        started = time.monotonic()
        jobs = run([binary, "--stats", "jobs", "run"], env=env)
        job_seconds = time.monotonic() - started
        # The job's own time, without process start and model loading, from its progress lines is
        # not printed; the wall time above includes loading the model (a fraction of a second).
        lines = tmp / "texts.txt"
        # The indexed text is the chunk's context line plus its body; embed the same.
        lines.write_text("".join(f"Topic {i} {t}\n" for i, t in enumerate(texts)))
        raw = stats_of(run([binary, "--stats", "embed", "--file", lines], env=env).stderr)
        job_rate = CHUNKS / job_seconds
        ask = run(
            [binary, "--stats", "ask", "--class", "Bench", "What did observer 5 record in notebook 12?"],
            env=env,
        )
        ask_stats = stats_of(ask.stderr)
        return {
            "indexing": {
                "chunks": CHUNKS,
                "job_wall_s": job_seconds,
                "job_chunks_per_s": job_rate,
                "raw_fastembed_texts_per_s": raw["texts_per_second"],
                "ratio_to_raw": job_rate / raw["texts_per_second"],
                "jobs_stats": stats_of(jobs.stderr),
            },
            "grounded_ask": {
                "first_token_ms": ask_stats.get("first_token_ms"),
                "tokens_per_second": ask_stats.get("tokens_per_second"),
                "total_ms": ask_stats.get("total_ms"),
                "grounded": ask_stats.get("grounded"),
            },
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", type=Path, required=True, help="folder with the littlemonster binary")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    result = {"search": search_latency(args.sizes)}
    result.update(indexing_and_ask(args.bin / "littlemonster"))
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
