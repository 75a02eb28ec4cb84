#!/usr/bin/env python3
"""60-minute lecture, imported end to end, against whisper.cpp's CLI on the same audio.

Generates (once, cached under ~/.cache/littlemonster/bench/lecture60) a 60-minute 16 kHz mono
lecture from espeak-ng sentences (scripts/bench.d/speech.txt, cycled) with 0.4-1.5 s pauses between
sentences and a 20-40 s silence every ~10 minutes, then:

  ours:     `littlemonster import --class Bench --stats FILE` in a fresh data folder: decode, VAD,
            chunked transcription with tiny.en, stored in SQLite. Wall time from the --stats line;
            peak RSS by polling /proc for the CLI and every descendant (the stt worker), reported
            as the largest single process and the largest sum.
  upstream: whisper-cli -m ggml-tiny.en.bin -f FILE -t THREADS -np -sns -nfa (the settings
            our worker uses, as in scripts/bench.d/run.py), wall time and peak RSS the same way.

Prints one JSON line per side and the ratio ours/upstream (target <= 1.05) and whether ours
finished 60 minutes in <= 6 minutes. Usage (after `source scripts/common.sh` and
`source scripts/bench.d/upstream.sh; build_ours; build_whisper_cli`):

  python3 scripts/bench.d/lecture60.py --lm "$CARGO_TARGET_DIR/debug/littlemonster" \
      --whisper-cli "$WHISPER_CLI" [--threads 2] [--minutes 60]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache/littlemonster/bench")) / "lecture60"
SPEECH = Path(__file__).with_name("speech.txt")


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_lecture(minutes: int) -> Path:
    out = CACHE / f"lecture-{minutes}min-16k.wav"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    sentences = [s.strip() + "." for s in SPEECH.read_text().replace("\n", " ").split(".") if s.strip()]
    rng = random.Random(60)
    work = Path(tempfile.mkdtemp(dir=CACHE))
    # Speak each distinct sentence once, then lay the lecture out from them.
    spoken = []
    for i, sentence in enumerate(sentences):
        raw, wav = work / f"s{i}-raw.wav", work / f"s{i}.wav"
        sh("espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), sentence)
        sh("sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav))
        spoken.append(wav)
    pauses = {}

    def pause(seconds: float) -> Path:
        key = round(seconds, 1)
        if key not in pauses:
            pauses[key] = work / f"p{key}.wav"
            sh("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(pauses[key]), "trim", "0", str(key))
        return pauses[key]

    def seconds_of(path: Path) -> float:
        return float(subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True).stdout)

    lengths = [seconds_of(p) for p in spoken]
    parts, total, next_break, i = [], 0.0, 600.0, 0
    while total < minutes * 60:
        parts.append(spoken[i % len(spoken)])
        total += lengths[i % len(spoken)]
        i += 1
        gap = rng.uniform(20, 40) if total >= next_break else rng.uniform(0.4, 1.5)
        if total >= next_break:
            next_break += 600
        parts.append(pause(gap))
        total += round(gap, 1)
    # sox takes the pieces from a list file in groups, to stay under the argument limit.
    groups, group_size = [], 500
    for g in range(0, len(parts), group_size):
        group = work / f"g{g}.wav"
        sh("sox", *map(str, parts[g:g + group_size]), str(group))
        groups.append(group)
    tmp = out.with_suffix(".part.wav")
    sh("sox", *map(str, groups), str(tmp), "trim", "0", str(minutes * 60))
    tmp.rename(out)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    return out


def tree_rss_kb(root: int) -> tuple[int, int]:
    """(largest single RSS, sum of RSS) over `root` and its descendants, in kB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss[int(entry)] = int(line.split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    stack, seen = [root], []
    while stack:
        pid = stack.pop()
        seen.append(pid)
        stack.extend(children.get(pid, []))
    values = [rss.get(pid, 0) for pid in seen]
    return max(values, default=0), sum(values)


def measure(argv: list[str], env: dict) -> dict:
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_single = peak_sum = 0
    while proc.poll() is None:
        single, total = tree_rss_kb(proc.pid)
        peak_single, peak_sum = max(peak_single, single), max(peak_sum, total)
        time.sleep(0.2)
    stderr = proc.stderr.read()
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{argv[0]} failed ({proc.returncode}):\n{stderr[-3000:]}")
    stats = next((json.loads(l[len("stats: "):]) for l in stderr.splitlines() if l.startswith("stats: ")), None)
    return {"wall_s": round(wall, 1), "peak_rss_mb": round(peak_single / 1024), "peak_tree_rss_mb": round(peak_sum / 1024), "stats": stats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lm", required=True, type=Path)
    parser.add_argument("--whisper-cli", type=Path)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--minutes", type=int, default=60)
    a = parser.parse_args()
    models = Path(os.environ.get("LITTLEMONSTER_MODELS_DIR", Path.home() / ".local/share/littlemonster/models"))
    model = models / "whisper-tiny.en" / "ggml-tiny.en.bin"
    wav = make_lecture(a.minutes)
    print(f"lecture: {wav} ({a.minutes} min), threads {a.threads}, load {os.getloadavg()}")

    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, LITTLEMONSTER_DATA_DIR=data, LITTLEMONSTER_MODELS_DIR=str(models))
        ours = measure([str(a.lm), "import", "--class", "Bench", "--threads", str(a.threads), "--stats", str(wav)], env)
    print("ours:    ", json.dumps(ours))
    if a.whisper_cli:
        env = dict(os.environ, OMP_WAIT_POLICY="passive")
        upstream = measure([str(a.whisper_cli), "-m", str(model), "-f", str(wav), "-t", str(a.threads), "-np",
                            "-sns", "-nfa"], env)
        print("upstream:", json.dumps(upstream))
        print(f"ratio ours/whisper-cli (wall): {ours['wall_s'] / upstream['wall_s']:.2f} (target <= 1.05)")
    print(f"60 min in <= 6 min: {'yes' if ours['wall_s'] * 60 / a.minutes <= 360 else 'no'} ({ours['wall_s']:.0f} s)")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
