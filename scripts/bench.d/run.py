#!/usr/bin/env python3
"""Measures Little Monster's engines against the upstream tools, side by side; run by scripts/bench.

Every comparison uses the same input files and the same thread count on both sides, alternates the
two sides run by run (so a change in machine load hits both), and reports the best and the median.
Only the standard library is used here: the Python ONNX Runtime / Piper references run in the bench
venv as separate processes.
"""

import argparse
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_D = Path(__file__).resolve().parent
ASK_PROMPT = "Explain in a few sentences how plants make food from sunlight."
SAY_TEXT = (
    "Photosynthesis happens inside the chloroplasts of plant cells. "
    "Chlorophyll absorbs red and blue light, and the plant uses that energy to split water. "
    "In the Calvin cycle, carbon dioxide from the air is built into sugar. "
    "When you review for the exam, explain each stage in your own words."
)


class BenchError(Exception):
    """A step of the benchmark could not run; the message says what to do."""


# ---------------------------------------------------------------------------------------------
# running things


# lm-core starts both engine workers with OMP_WAIT_POLICY=passive (ggml's OpenMP threads then sleep
# instead of spinning while they wait); the upstream tools get the same so that the comparison is
# engine against engine.
UPSTREAM_ENV = os.environ | {"OMP_WAIT_POLICY": "passive"}


def children_cpu_seconds() -> float:
    """User + system CPU seconds of all finished, reaped child processes so far (their own reaped
    children included, such as the worker `littlemonster` starts)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str, str]:
    """Runs a command; returns (wall seconds, stdout, stderr). Raises BenchError on failure.
    The CPU seconds of the last command run are in LAST_CPU[0]."""
    started, cpu_before = time.perf_counter(), children_cpu_seconds()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    LAST_CPU[0] = children_cpu_seconds() - cpu_before
    if done.returncode != 0:
        tail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BenchError(f"`{shlex.join(argv)}` exited with {done.returncode}:\n    {tail}")
    return wall, done.stdout, done.stderr


# CPU time (user + sys) of the process tree of the last `run`: unlike wall time it hardly grows
# when other programs compete for the cores, as long as the engine runs one thread (with two,
# ggml's and ONNX Runtime's threads spin while they wait for a descheduled partner).
LAST_CPU = [float("nan")]


def stats_line(stderr: str, argv: list[str]) -> dict:
    """The JSON of the last `stats: {...}` line littlemonster printed to stderr."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("stats: "):
            return json.loads(line[len("stats: ") :])
    raise BenchError(f"`{shlex.join(argv)}` printed no `stats:` line to stderr (is --stats implemented?)")


def alternate(runs: int, sides: dict) -> dict[str, list]:
    """Calls each side's function once per round, round after round; returns their results."""
    results: dict[str, list] = {name: [] for name in sides}
    for _ in range(runs):
        for name, measure in sides.items():
            results[name].append(measure())
    return results


# ---------------------------------------------------------------------------------------------
# numbers and text


def best_median(values: list[float], higher_is_better: bool) -> tuple[float, float]:
    best = max(values) if higher_is_better else min(values)
    return best, statistics.median(values)


def transcript(stdout: str) -> list[tuple[str, str]]:
    """The `[start --> end] text` lines of either side's output, as (times, text) pairs."""
    lines = (re.match(r"\[([^\]]*)\]\s*(.*)", line.strip()) for line in stdout.splitlines())
    return [(m.group(1), m.group(2)) for m in lines if m]


def words(text: str) -> list[str]:
    text = re.sub(r"\[[^\]]*\]", " ", text)  # timestamps / [BLANK_AUDIO] markers
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate in percent: word-level edit distance over reference length."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return 100.0 * previous[-1] / max(len(ref), 1)


def fmt_list(values: list[float], digits: int) -> str:
    return " ".join(f"{v:.{digits}f}" for v in values)


def verdict(value: float, target: float, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "PASS" if ok else "MISS"


def sentences() -> list[str]:
    """256 distinct study-style sentences (32 facts x 8 framings), the same on every run."""
    facts = [
        "the mitochondria release energy stored in glucose",
        "chlorophyll absorbs red and blue light and reflects green light",
        "the French Revolution began when the Estates-General met at Versailles",
        "a prime number has exactly two distinct divisors",
        "the derivative measures how fast a function changes at a point",
        "Newton's second law says force equals mass times acceleration",
        "the water cycle moves water between oceans, air and land",
        "DNA is copied before a cell divides by mitosis",
        "supply and demand together set the price in a free market",
        "the Treaty of Versailles ended the First World War",
        "an ionic bond forms when one atom gives electrons to another",
        "the Pythagorean theorem relates the three sides of a right triangle",
        "enzymes speed up chemical reactions without being used up",
        "plate tectonics explains earthquakes, volcanoes and mountain ranges",
        "a metaphor describes one thing as if it were another",
        "the Roman Republic was governed by elected consuls and a senate",
        "kinetic energy grows with the square of an object's speed",
        "the immune system uses antibodies to mark invaders for destruction",
        "photosynthesis stores the energy of sunlight in sugar",
        "an algorithm is a finite list of precise steps",
        "the Industrial Revolution moved work from farms to factories",
        "a catalyst lowers the activation energy of a reaction",
        "the speed of sound depends on the medium it travels through",
        "Shakespeare wrote both comedies and tragedies for the Globe theatre",
        "the integral adds up infinitely many tiny pieces of an area",
        "natural selection favours traits that help organisms reproduce",
        "inflation reduces what a fixed amount of money can buy",
        "the periodic table orders elements by their atomic number",
        "a thesis statement tells the reader what an essay will argue",
        "the heart pumps blood through arteries, capillaries and veins",
        "a variable in a program names a place that holds a value",
        "the Silk Road carried goods and ideas between Asia and Europe",
    ]
    framings = [
        "Remember for the exam that {}.",
        "In today's lecture we learned that {}.",
        "My notes from the textbook say that {}.",
        "The teacher repeated twice that {}.",
        "A quick way to summarise the chapter: {}.",
        "Flashcard: explain why {}.",
        "During the lab session we saw evidence that {}.",
        "Our study group agreed that {}.",
    ]
    return [framing.format(fact) for framing in framings for fact in facts]


# ---------------------------------------------------------------------------------------------
# the four comparisons


def bench_whisper(a, out: list[str]) -> None:
    model = a.models_dir / "whisper-tiny.en" / "ggml-tiny.en.bin"
    reference = (BENCH_D / "speech.txt").read_text(encoding="utf-8")
    audio_s = float(subprocess.run(["soxi", "-D", str(a.wav)], capture_output=True, text=True, check=True).stdout)
    ours_argv = [str(a.lm), "transcribe", str(a.wav), "--model", "whisper-tiny.en", "--threads", str(a.threads), "--stats"]
    # lm-stt-worker decodes with beam search 5 (whisper-cli's default too) and timestamps (never -nt:
    # without timestamps whisper consumes whole 30 s windows and runs the encoder fewer times), no
    # prompt from earlier calls (the previous windows of this call are, as in whisper-cli), non-speech tokens suppressed, flash
    # attention off (whisper-rs's default) and, only if a window needs the temperature fallback,
    # one sampled candidate (whisper-rs leaves greedy.best_of at -1 with beam search):
    # -sns -nfa -bo 1 give whisper-cli the same, so both produce the same segments.
    matched = "whisper-cli, our settings (-sns -nfa -bo 1)"
    upstream = {matched: ["-sns", "-nfa", "-bo", "1"], "whisper-cli defaults (beam 5, FA on)": []}

    def ours():
        wall, stdout, stderr = run(ours_argv)
        stats = stats_line(stderr, ours_argv)
        return {
            "wall": wall,
            "cpu": LAST_CPU[0],
            "inner": stats.get("wall_ms", float("nan")) / 1000.0,
            "wer": wer(reference, stdout),
            "text": transcript(stdout),
        }

    def cli(extra):
        # -np: print only the transcript. Both sides are timed as whole processes (model load
        # included), since whisper-cli has no other clock that matches ours.
        argv = [str(a.whisper_cli), "-m", str(model), "-f", str(a.wav), "-t", str(a.threads), "-np", *extra]

        def measure():
            wall, stdout, _ = run(argv, UPSTREAM_ENV)
            return {"wall": wall, "cpu": LAST_CPU[0], "wer": wer(reference, stdout), "text": transcript(stdout)}

        return measure

    ours_name = "ours: littlemonster transcribe"
    sides = {ours_name: ours}
    sides.update({name: cli(extra) for name, extra in upstream.items()})
    results = alternate(a.runs, sides)

    out.append(f"1. Whisper tiny.en: {audio_s:.1f} s of espeak-ng speech (16 kHz mono), threads {a.threads}, {a.runs} runs per side")
    out.append(
        f"   {'side (whole process, model load included)':<52} {'wall best':>9} {'median':>7} {'CPU median':>10}"
        f"  {'wall, all runs (s)':<30} {'WER':>6}"
    )
    walls, cpus = {}, {}
    for name, rows in results.items():
        values = [r["wall"] for r in rows]
        walls[name] = best_median(values, higher_is_better=False)
        cpus[name] = statistics.median(r["cpu"] for r in rows)
        out.append(
            f"   {name:<52} {walls[name][0]:8.2f}s {walls[name][1]:6.2f}s {cpus[name]:9.2f}s"
            f"  {fmt_list(values, 2):<30} {rows[0]['wer']:5.1f}%"
        )
    inner = [r["inner"] for r in results[ours_name]]
    ours_best, ours_median = walls[ours_name]
    out.append(
        f"   ours in-process wall_ms (stats): best {min(inner):.2f}s, median {statistics.median(inner):.2f}s;"
        f" real-time factor (process wall) best {ours_best / audio_s:.3f}"
    )
    same = results[ours_name][0]["text"] == results[matched][0]["text"]
    out.append(f"   same segments (times and text) as {matched}: {'yes' if same else 'NO: the settings differ'}")
    for name in upstream:
        best, median = walls[name]
        target = f"  (target <= 1.05: {verdict(ours_median / median, 1.05, False)})" if name == matched else ""
        out.append(
            f"   ratio ours/{name}: wall best {ours_best / best:.3f}, median {ours_median / median:.3f}{target};"
            f" CPU median {cpus[ours_name] / cpus[name]:.3f}"
        )


def bench_llm(a, out: list[str]) -> None:
    gguf = a.models_dir / "smollm2-135m" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    ours_argv = [
        str(a.lm), "ask", ASK_PROMPT, "--model", "smollm2-135m", "--max-tokens", "128",
        "--temperature", "0", "--threads", str(a.threads), "--stats",
    ]
    tg_argv = [str(a.llama_bench), "-m", str(gguf), "-p", "0", "-n", "128", "-t", str(a.threads), "-r", "1", "-o", "json"]

    def ours():
        wall, _, stderr = run(ours_argv)
        return stats_line(stderr, ours_argv) | {"process_wall": wall}

    def llama_bench(argv):
        def measure():
            _, stdout, _ = run(argv, UPSTREAM_ENV)
            rows = json.loads(stdout)
            if not rows:
                raise BenchError(f"`{shlex.join(argv)}` printed no results")
            return rows[0]

        return measure

    results = alternate(a.runs, {"ours": ours, "tg": llama_bench(tg_argv)})
    ours_rows = results["ours"]
    prompt_tokens = int(ours_rows[0].get("prompt_tokens") or 64)
    pp_argv = [str(a.llama_bench), "-m", str(gguf), "-p", str(prompt_tokens), "-n", "0", "-t", str(a.threads), "-r", "1", "-o", "json"]
    pp_rows = alternate(a.runs, {"pp": llama_bench(pp_argv)})["pp"]

    ours_tps = [float(r["tokens_per_second"]) for r in ours_rows]
    tg_tps = [float(r["avg_ts"]) for r in results["tg"]]
    pp_tps = [float(r["avg_ts"]) for r in pp_rows]
    completion = [int(r.get("completion_tokens", 0)) for r in ours_rows]
    out.append(f"2. LLM SmolLM2-135M-Instruct Q4_1: 128 new tokens, temperature 0, threads {a.threads}, {a.runs} runs per side")
    out.append(f"   {'side':<44} {'best':>9} {'median':>9}  all runs")
    ob, om = best_median(ours_tps, True)
    tb, tm = best_median(tg_tps, True)
    pb, pm = best_median(pp_tps, True)
    out.append(f"   {'ours: littlemonster ask (generation tok/s)':<44} {ob:9.1f} {om:9.1f}  {fmt_list(ours_tps, 1)}")
    out.append(f"   {'llama-bench tg128 (tok/s)':<44} {tb:9.1f} {tm:9.1f}  {fmt_list(tg_tps, 1)}")
    pp_name = f"llama-bench pp{prompt_tokens} (prompt tok/s)"
    out.append(f"   {pp_name:<44} {pb:9.1f} {pm:9.1f}  {fmt_list(pp_tps, 1)}")
    ours_pp = [r.get("prompt_tokens_per_second") for r in ours_rows]
    if all(isinstance(v, (int, float)) for v in ours_pp):
        ppb, ppm = best_median([float(v) for v in ours_pp], True)
        out.append(f"   {'ours prompt tok/s (stats)':<44} {ppb:9.1f} {ppm:9.1f}  ratio ours/llama-bench median {ppm / pm:.3f}")
    else:
        out.append("   ours prompt tok/s: not in the stats line (no prompt_tokens_per_second field)")
    walls = [r["process_wall"] for r in ours_rows]
    out.append(
        f"   ours: prompt {prompt_tokens} tokens, completion tokens per run {completion}, process wall best {min(walls):.2f}s"
    )
    out.append(
        f"   ratio ours/llama-bench generation: best {ob / tb:.3f}, median {om / tm:.3f}"
        f"  (target >= 0.95: {verdict(om / tm, 0.95, True)})"
    )


def bench_embed(a, out: list[str]) -> None:
    model_dir = a.models_dir / "minilm-l6-v2"
    texts = sentences()
    sentences_file = a.work / "sentences.txt"
    sentences_file.write_text("\n".join(texts) + "\n", encoding="utf-8")
    ours_argv = [
        str(a.lm), "embed", "--file", str(sentences_file), "--threads", str(a.threads),
        "--batch-size", str(a.embed_batch), "--stats",
    ]
    vectors_file = a.work / "python-vectors.npy"
    py_argv = [
        str(a.python), str(BENCH_D / "ort_embed.py"), "--model-dir", str(model_dir), "--sentences", str(sentences_file),
        "--batch-size", str(a.embed_batch), "--threads", str(a.threads), "--vectors", str(vectors_file),
    ]
    ours_vectors = a.work / "ours-vectors.jsonl"

    def ours():
        wall, stdout, stderr = run(ours_argv)
        ours_vectors.write_text(stdout, encoding="utf-8")
        return stats_line(stderr, ours_argv) | {"process_wall": wall, "cpu": LAST_CPU[0]}

    def python():
        wall, stdout, _ = run(py_argv)
        return json.loads(stdout.strip().splitlines()[-1]) | {"process_wall": wall, "cpu": LAST_CPU[0]}

    results = alternate(a.runs, {"ours": ours, "python": python})
    ours_tps = [float(r["texts_per_second"]) for r in results["ours"]]
    py_tps = [float(r["texts_per_second"]) for r in results["python"]]
    ob, om = best_median(ours_tps, True)
    pb, pm = best_median(py_tps, True)
    out.append(
        f"3. Embeddings all-MiniLM-L6-v2 int8: {len(texts)} sentences, batch {a.embed_batch}, threads {a.threads}, {a.runs} runs per side"
    )
    out.append(f"   {'side (sentences/s, inference only)':<44} {'best':>9} {'median':>9}  all runs")
    out.append(f"   {'ours: littlemonster embed':<44} {ob:9.1f} {om:9.1f}  {fmt_list(ours_tps, 1)}")
    python_name = f"python onnxruntime {results['python'][0]['onnxruntime']}"
    out.append(f"   {python_name:<44} {pb:9.1f} {pm:9.1f}  {fmt_list(py_tps, 1)}")
    out.append(
        f"   whole process (incl. loading) wall best / CPU median:"
        f" ours {min(r['process_wall'] for r in results['ours']):.2f}s / {statistics.median(r['cpu'] for r in results['ours']):.2f}s,"
        f" python {min(r['process_wall'] for r in results['python']):.2f}s / {statistics.median(r['cpu'] for r in results['python']):.2f}s"
    )
    out.append(f"   agreement: {agreement(a, ours_vectors, vectors_file)}")
    ours_batch = results["ours"][0].get("batch_size")
    if ours_batch is not None and int(ours_batch) != a.embed_batch:
        out.append(f"   WARNING: ours reported batch_size {ours_batch}, the Python side used {a.embed_batch}")
    out.append(
        f"   ratio ours/python: best {ob / pb:.3f}, median {om / pm:.3f}  (target >= 1.0: {verdict(om / pm, 1.0, True)})"
    )


def agreement(a, ours_file: Path, python_file: Path) -> str:
    """Smallest cosine similarity between our vector and Python's for the same sentence."""
    code = (
        "import json,sys,numpy as np\n"
        "ours=np.array([json.loads(l) for l in open(sys.argv[1]) if l.strip()],dtype=np.float64)\n"
        "ref=np.load(sys.argv[2]).astype(np.float64)\n"
        "assert ours.shape==ref.shape,(ours.shape,ref.shape)\n"
        "cos=(ours*ref).sum(1)/np.linalg.norm(ours,axis=1)/np.linalg.norm(ref,axis=1)\n"
        "print(f'min cosine ours vs python {cos.min():.6f} over {len(cos)} sentences')\n"
    )
    try:
        return run([str(a.python), "-c", code, str(ours_file), str(python_file)])[1].strip()
    except BenchError as error:
        return f"could not compare vectors: {error}"


def bench_say(a, out: list[str]) -> None:
    voice = a.models_dir / "piper-joe-medium" / "en_US-joe-medium.onnx"
    ours_wav = a.work / "say-ours.wav"
    ours_argv = [str(a.lm), "say", SAY_TEXT, "-o", str(ours_wav), "--threads", str(a.threads), "--stats"]
    py_argv = [
        str(a.python), str(BENCH_D / "piper_ref.py"), "--voice", str(voice), "--threads", str(a.threads),
        "--text", SAY_TEXT, "--out", str(a.work / "say-piper.wav"),
    ]

    def ours():
        wall, _, stderr = run(ours_argv)
        return stats_line(stderr, ours_argv) | {"process_wall": wall}

    def piper():
        wall, stdout, _ = run(py_argv)
        return json.loads(stdout.strip().splitlines()[-1]) | {"process_wall": wall}

    sides = {"ours: littlemonster say": ours}
    if a.piper_upstream:
        sides["upstream: piper-tts 1.8.0 (python)"] = piper
    results = alternate(a.runs, sides)
    out.append(
        f"4. Piper en_US-joe-medium: {len(SAY_TEXT.split())} words in 4 sentences, threads {a.threads}, {a.runs} runs per side"
    )
    out.append(f"   {'side':<36} {'RTF best':>9} {'RTF med':>8} {'first audio best':>17} {'median':>8} {'audio':>7} {'wall':>7}")
    for name, rows in results.items():
        rtf = [float(r["real_time_factor"]) for r in rows]
        first = [float(r["first_audio_ms"]) for r in rows if r.get("first_audio_ms") is not None]
        rb, rm = best_median(rtf, False)
        fb, fm = best_median(first, False) if first else (float("nan"), float("nan"))
        out.append(
            f"   {name:<36} {rb:9.3f} {rm:8.3f} {fb:15.0f}ms {fm:6.0f}ms {float(rows[0]['audio_ms']) / 1000:6.1f}s"
            f" {min(r['process_wall'] for r in rows):6.2f}s"
        )
    rtf = [float(r["real_time_factor"]) for r in results["ours: littlemonster say"]]
    first = [float(r["first_audio_ms"]) for r in results["ours: littlemonster say"] if r.get("first_audio_ms") is not None]
    out.append(
        f"   goals (idle machine): RTF <= 0.2: {verdict(statistics.median(rtf), 0.2, False)};"
        f" first audio <= 300 ms: {verdict(statistics.median(first), 300.0, False) if first else 'n/a'}"
        "  (medians; RTF and first audio exclude loading the voice, wall includes it)"
    )
    if not a.piper_upstream:
        out.append("   upstream piper-tts: not installed in the bench venv, skipped")


SECTIONS = {"whisper": bench_whisper, "llm": bench_llm, "embed": bench_embed, "say": bench_say}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lm", type=Path, required=True)
    parser.add_argument("--whisper-cli", type=Path)
    parser.add_argument("--llama-bench", type=Path)
    parser.add_argument("--python", type=Path, required=True)
    parser.add_argument("--piper-upstream", action="store_true")
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--wav", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--embed-batch", type=int, required=True)
    parser.add_argument("--only", default=",".join(SECTIONS))
    a = parser.parse_args()

    wanted = a.only.split(",")
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        print(f"bench: unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    for name in (name for name in SECTIONS if name in wanted):
        section: list[str] = []
        started = time.perf_counter()
        try:
            SECTIONS[name](a, section)
        except BenchError as error:
            section.append(f"{name}: FAILED: {error}")
        section.append(f"   (section took {time.perf_counter() - started:.0f} s; load now: {load()})")
        print("\n".join(section) + "\n", flush=True)
    return 0


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])


if __name__ == "__main__":
    sys.exit(main())
