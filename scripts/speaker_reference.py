#!/usr/bin/env python3
"""Computes reference speaker embeddings for lm-speakers' tests, independently of the Rust code.

A plain numpy (float64) re-implementation of what Resemblyzer 0.1.4 does with its GE2E encoder:
volume normalised up to -30 dBFS (never down), librosa-style mel spectrogram (n_fft 400, hop 160,
Hann window, centred frames with reflect padding, power 2, 40 Slaney mel bands with Slaney area
normalisation, no log), partial utterances of 160 frames every 77 frames (rate 1.3 per second,
the last kept when it covers >= 75 %, audio zero-padded to the last one), a 3-layer LSTM (PyTorch
gate order i, f, g, o, both biases), Linear 256 -> 256, ReLU, L2 norm; the utterance embedding is
the L2-normalised mean of the partial embeddings.

The test signals are synthetic and deterministic (the Rust test makes the same samples from the
same formula), so no audio is committed. Needs numpy and the installed model
(scripts/fetch-models --only resemblyzer-ge2e). Run once and commit the JSON it writes:
    ~/.cache/littlemonster/venv/bin/python scripts/speaker_reference.py
"""

import argparse
import hashlib
import json
import math
import os
import struct
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
N_MELS = 40
PARTIAL_FRAMES = 160
PARTIAL_STEP = int(round(SAMPLE_RATE / 1.3 / HOP))  # 77
MIN_COVERAGE = 0.75
TARGET_DBFS = -30.0

# (name, seconds, base pitch Hz, amplitude, noise seed)
SIGNALS = [
    ("short", 0.9, 140.0, 0.3, 1),
    ("long", 4.3, 210.0, 0.3, 7),
    ("quiet", 2.2, 120.0, 0.004, 3),
]


def default_model() -> Path:
    models = os.environ.get("LITTLEMONSTER_MODELS_DIR")
    if not models:
        data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        models = str(Path(data_home) / "littlemonster" / "models")
    return Path(models) / "resemblyzer-ge2e" / "speaker_encoder.safetensors"


def signal(seconds: float, pitch: float, amplitude: float, seed: int) -> np.ndarray:
    """A voiced-sounding test signal: vibrato tone, its 2.5x partial, a fixed 3.1 kHz tone, a slow
    tremolo, and LCG noise. Computed sample by sample in float64, then rounded to float32."""
    n = int(round(seconds * SAMPLE_RATE))
    out = np.empty(n, dtype=np.float32)
    state = seed
    for i in range(n):
        t = i / SAMPLE_RATE
        phase = 2 * math.pi * pitch * t + 3.0 * math.sin(2 * math.pi * 0.7 * t)
        tone = 0.5 * math.sin(phase) + 0.25 * math.sin(2.5 * phase) + 0.1 * math.sin(2 * math.pi * 3100.0 * t)
        state = (state * 1664525 + 1013904223) % (1 << 32)
        noise = state / float(1 << 32) * 2.0 - 1.0
        envelope = 0.6 + 0.4 * math.sin(2 * math.pi * 2.3 * t)
        out[i] = amplitude * (envelope * tone + 0.05 * noise)
    return out


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    (length,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return tensors


def hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_mel = 1000.0 / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(f >= 1000.0, min_log_mel + np.log(np.maximum(f, 1e-10) / 1000.0) / logstep, mels)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_mel = 1000.0 / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, 1000.0 * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters() -> np.ndarray:
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    weights = np.zeros((N_MELS, N_FFT // 2 + 1))
    for i in range(N_MELS):
        lower = (fft_freqs - mel_f[i]) / (mel_f[i + 1] - mel_f[i])
        upper = (mel_f[i + 2] - fft_freqs) / (mel_f[i + 2] - mel_f[i + 1])
        weights[i] = np.maximum(0, np.minimum(lower, upper)) * (2.0 / (mel_f[i + 2] - mel_f[i]))
    return weights


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) power mel spectrogram, frames = 1 + len // 160."""
    x = np.pad(wav.astype(np.float64), N_FFT // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    frames = 1 + (len(x) - N_FFT) // HOP
    spec = np.empty((frames, N_FFT // 2 + 1))
    for k in range(frames):
        spec[k] = np.abs(np.fft.rfft(x[k * HOP : k * HOP + N_FFT] * window)) ** 2
    return spec @ mel_filters().T


def partial_starts(n_samples: int) -> list[int]:
    n_frames = int(math.ceil((n_samples + 1) / HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + PARTIAL_STEP + 1)
    starts = list(range(0, steps, PARTIAL_STEP))
    last = starts[-1] * HOP
    coverage = (n_samples - last) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def encode_partial(weights: dict, mel: np.ndarray) -> np.ndarray:
    layer_input = mel
    for layer in range(3):
        w_ih, w_hh = weights[f"lstm.weight_ih_l{layer}"], weights[f"lstm.weight_hh_l{layer}"]
        b = weights[f"lstm.bias_ih_l{layer}"] + weights[f"lstm.bias_hh_l{layer}"]
        h, c = np.zeros(256), np.zeros(256)
        outputs = []
        for x in layer_input:
            z = w_ih @ x + w_hh @ h + b
            i, f, g, o = sigmoid(z[:256]), sigmoid(z[256:512]), np.tanh(z[512:768]), sigmoid(z[768:])
            c = f * c + i * g
            h = o * np.tanh(c)
            outputs.append(h)
        layer_input = np.array(outputs)
    raw = np.maximum(0.0, weights["linear.weight"] @ h + weights["linear.bias"])
    return raw / np.linalg.norm(raw)


def normalize_volume(wav: np.ndarray) -> np.ndarray:
    rms = math.sqrt(float(np.mean((wav.astype(np.float64) * 32767) ** 2)))
    if rms == 0:
        return wav.astype(np.float64)
    change = TARGET_DBFS - 20 * math.log10(rms / 32767)
    return wav.astype(np.float64) * (10 ** (change / 20)) if change > 0 else wav.astype(np.float64)


def embed(weights: dict, wav: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    wav = normalize_volume(wav)
    starts = partial_starts(len(wav))
    end = (starts[-1] + PARTIAL_FRAMES) * HOP
    if end >= len(wav):
        wav = np.pad(wav, (0, end - len(wav)))
    mel = mel_spectrogram(wav)
    partials = np.array([encode_partial(weights, mel[s : s + PARTIAL_FRAMES]) for s in starts])
    mean = partials.mean(axis=0)
    return mean / np.linalg.norm(mean), mel, len(starts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_model())
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "crates/speakers/tests/data/reference.json")
    args = parser.parse_args()
    weights = load_safetensors(args.model)
    cases = []
    for name, seconds, pitch, amplitude, seed in SIGNALS:
        wav = signal(seconds, pitch, amplitude, seed)
        embedding, mel, partials = embed(weights, wav)
        cases.append(
            {
                "name": name,
                "seconds": seconds,
                "pitch": pitch,
                "amplitude": amplitude,
                "seed": seed,
                "partials": partials,
                "mel_frames": int(mel.shape[0]),
                "mel_frame_10": [float(v) for v in mel[10]],
                "embedding": [float(v) for v in embedding],
            }
        )
        print(f"{name}: {len(wav)} samples, {partials} partial(s), {mel.shape[0]} mel frames")
    model_sha = hashlib.sha256(args.model.read_bytes()).hexdigest()
    filters = mel_filters()
    document = {
        "generator": "scripts/speaker_reference.py (numpy float64)",
        "model_sha256": model_sha,
        "mel_filter_row_5": [float(v) for v in filters[5]],
        "mel_filter_row_39": [float(v) for v in filters[39]],
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
