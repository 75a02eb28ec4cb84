#!/usr/bin/env python3
"""Upstream Piper (PyPI `piper-tts`) reference for `littlemonster say`: one timed synthesis.

Loads the same voice with an ONNX Runtime session limited to --threads intra-op threads, then
synthesises the text sentence by sentence (Piper's own splitting). Like `littlemonster say`, the
clock starts after loading: first_audio_ms is when the first sentence's audio is ready,
real_time_factor is synthesis time over audio length. Prints one JSON object.
"""

import argparse
import json
import time
import wave
from pathlib import Path

import onnxruntime
from piper import PiperVoice
from piper.config import PiperConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", type=Path, required=True, help="the .onnx voice; its .onnx.json beside it")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--text", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    config = json.loads(Path(f"{args.voice}.json").read_text(encoding="utf-8"))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = onnxruntime.InferenceSession(
        str(args.voice), sess_options=options, providers=["CPUExecutionProvider"]
    )
    voice = PiperVoice(session=session, config=PiperConfig.from_dict(config))

    started = time.perf_counter()
    first_audio_ms = None
    pcm = bytearray()
    sample_rate = voice.config.sample_rate
    for chunk in voice.synthesize(args.text):
        if first_audio_ms is None:
            first_audio_ms = (time.perf_counter() - started) * 1000.0
        pcm += chunk.audio_int16_bytes
        sample_rate = chunk.sample_rate
    synthesis_ms = (time.perf_counter() - started) * 1000.0

    with wave.open(str(args.out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(bytes(pcm))
    audio_ms = len(pcm) / 2 * 1000.0 / sample_rate
    print(
        json.dumps(
            {
                "first_audio_ms": first_audio_ms,
                "synthesis_ms": synthesis_ms,
                "audio_ms": audio_ms,
                "real_time_factor": synthesis_ms / max(audio_ms, 1.0),
            }
        )
    )


if __name__ == "__main__":
    main()
