#!/usr/bin/env python3
"""The study tools, timed through the `littlemonster` binary; run by scripts/bench.

  quiz:       `quiz generate --count N --stats` on a short biology document (the material a
              student would quiz on after one lecture): wall time per accepted question, from the
              command's own stats line (job time only, not the import).
  notes:      `notes --document ID --stats` on the transcript of an M-minute lecture (150 words a
              minute, the espeak rate lecture60.py speaks at), imported as a text document through
              `littlemonster import`: wall time of the whole map-reduce job.
  readaloud:  `read-aloud --text ... --stats`, R runs: time to the first sentence's audio and the
              real-time factor (synthesis time / audio length), voice loading excluded. Goals:
              first audio <= 300 ms, RTF <= 0.2.

Every section works in a fresh data folder (LITTLEMONSTER_DATA_DIR) and prints one JSON line.
Usage (after `source scripts/common.sh`; the workers must be built):

  python3 scripts/bench.d/study.py --lm "$CARGO_TARGET_DIR/debug/littlemonster" \
      [--only quiz,notes,readaloud] [--questions 5] [--minutes 60] [--runs 5] [--threads 1]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READ_ALOUD_TEXT = (
    "Photosynthesis happens inside the chloroplasts of plant cells. "
    "Chlorophyll absorbs red and blue light, and the plant uses that energy to split water. "
    "In the Calvin cycle, carbon dioxide from the air is built into sugar. "
    "When you review for the exam, explain each stage in your own words."
)

# Distinct facts a biology lecture covers; the generated transcript walks through them in
# rounds, each round worded as a new part of the lecture, so the notes have real material to
# condense rather than one paragraph repeated.
FACTS = [
    "the cell membrane controls what enters and leaves the cell",
    "the nucleus holds the genetic material of the cell",
    "mitochondria turn glucose and oxygen into ATP, the energy currency of the cell",
    "ribosomes build proteins from the instructions carried by messenger RNA",
    "the endoplasmic reticulum folds and moves newly made proteins",
    "the Golgi apparatus packages proteins and sends them where they are needed",
    "lysosomes break down worn out parts of the cell and recycle them",
    "plant cells have a rigid cell wall made of cellulose",
    "chloroplasts capture light energy and use it to make sugar",
    "bacteria are single cells without a nucleus",
    "water moves across the membrane by osmosis, from dilute to concentrated solutions",
    "active transport uses ATP to pump molecules against their concentration gradient",
    "enzymes are proteins that speed up reactions by lowering the activation energy",
    "DNA is a double helix of two strands held together by base pairs",
    "adenine pairs with thymine and cytosine pairs with guanine",
    "during mitosis one cell divides into two identical daughter cells",
    "meiosis makes sex cells with half the usual number of chromosomes",
    "a gene is a stretch of DNA that codes for one protein",
    "mutations are changes in the DNA sequence that can alter a protein",
    "natural selection favours traits that help organisms survive and reproduce",
]
TEMPLATES = [
    "Remember that {fact}.",
    "In today's part of the lecture we saw that {fact}.",
    "A common exam question asks you to explain why {fact}.",
    "Experiments in the laboratory show that {fact}.",
    "So, to put it simply, {fact}.",
]


def run(argv: list[str], env: dict[str, str]) -> tuple[float, str, str]:
    """Runs a command; returns (wall seconds, stdout, stderr); exits the bench on failure."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        sys.exit(f"study bench: `{' '.join(argv)}` exited with {done.returncode}:\n    {tail}")
    return wall, done.stdout, done.stderr


def stats_of(stderr: str) -> dict:
    for line in reversed(stderr.splitlines()):
        if line.startswith("stats: "):
            return json.loads(line[len("stats: ") :])
    sys.exit("study bench: the command printed no `stats:` line")


def import_document(lm: str, env: dict[str, str], path: Path) -> str:
    """Imports `path` into class Bench and returns its document id."""
    _, stdout, _ = run([lm, "import", str(path), "--class", "Bench"], env)
    for line in stdout.splitlines():
        if "(document " in line:
            return line.split("(document ", 1)[1].split(",", 1)[0]
    sys.exit(f"study bench: no document id in the import output:\n{stdout}")


def lecture_transcript(minutes: int) -> str:
    """About 150 words a minute of lecture, in paragraphs of one round of facts each."""
    words_wanted, words, paragraphs, round_no = minutes * 150, 0, [], 0
    while words < words_wanted:
        sentences = []
        for i, fact in enumerate(FACTS):
            sentence = TEMPLATES[(i + round_no) % len(TEMPLATES)].format(fact=fact)
            sentences.append(sentence[0].upper() + sentence[1:])
            words += len(sentence.split())
            if words >= words_wanted:
                break
        paragraphs.append(" ".join(sentences))
        round_no += 1
    return "\n\n".join(paragraphs) + "\n"


def quiz_section(lm: str, env: dict[str, str], work: Path, questions: int, threads: list[str]) -> dict:
    doc = work / "cells.md"
    doc.write_text("# Cells\n\n" + lecture_transcript(2))
    document = import_document(lm, env, doc)
    _, _, stderr = run(
        [lm, "--stats", "quiz", "generate", "--document", document, "--count", str(questions), *threads], env
    )
    stats = stats_of(stderr)
    return {
        "section": "quiz",
        "questions": stats["questions"],
        "generation_s": stats["generation_ms"] / 1000,
        "s_per_question": stats["ms_per_question"] / 1000,
    }


def notes_section(lm: str, env: dict[str, str], work: Path, minutes: int, threads: list[str]) -> dict:
    transcript = work / f"lecture-{minutes}min.txt"
    transcript.write_text(lecture_transcript(minutes))
    document = import_document(lm, env, transcript)
    wall, stdout, stderr = run([lm, "--stats", "notes", "--document", document, *threads], env)
    stats = stats_of(stderr)
    return {
        "section": "notes",
        "lecture_minutes": minutes,
        "words": len(transcript.read_text().split()),
        "wall_s": round(wall, 1),
        "note_chars": stats["markdown_chars"],
        "citations": stats["citations"],
        "note_lines": len(stdout.splitlines()),
    }


def read_aloud_section(lm: str, env: dict[str, str], work: Path, runs: int, threads: list[str]) -> dict:
    first, rtf = [], []
    for i in range(runs):
        out = work / f"read-aloud-{i}.wav"
        _, _, stderr = run([lm, "--stats", "read-aloud", "--text", READ_ALOUD_TEXT, "-o", str(out), *threads], env)
        stats = stats_of(stderr)
        first.append(stats["first_audio_ms"])
        rtf.append(stats["real_time_factor"])
    return {
        "section": "readaloud",
        "runs": runs,
        "first_audio_ms": {"best": min(first), "median": statistics.median(first)},
        "real_time_factor": {"best": min(rtf), "median": statistics.median(rtf)},
        "goals_met_by_median": {
            "first_audio_le_300ms": statistics.median(first) <= 300,
            "rtf_le_0.2": statistics.median(rtf) <= 0.2,
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lm", required=True, help="the littlemonster binary")
    parser.add_argument("--only", default="quiz,notes,readaloud")
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, help="engine threads (default: each engine's own)")
    args = parser.parse_args()
    threads = ["--threads", str(args.threads)] if args.threads else []
    sections = args.only.split(",")
    for section in sections:
        if section not in ("quiz", "notes", "readaloud"):
            sys.exit(f"study bench: unknown section {section!r} (quiz, notes, readaloud)")
    with tempfile.TemporaryDirectory(prefix="lm-study-bench.") as tmp:
        work = Path(tmp)
        for section in sections:
            # A fresh library per section, so one section's jobs never wait in another's queue.
            env = os.environ | {"LITTLEMONSTER_DATA_DIR": str(work / f"data-{section}")}
            if section == "quiz":
                result = quiz_section(args.lm, env, work, args.questions, threads)
            elif section == "notes":
                result = notes_section(args.lm, env, work, args.minutes, threads)
            else:
                result = read_aloud_section(args.lm, env, work, args.runs, threads)
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
