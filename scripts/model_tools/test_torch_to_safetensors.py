"""Tests for the legacy PyTorch checkpoint -> safetensors converter (standard library only).

Run: python3 -m unittest discover -s scripts -p 'test_*.py' -t scripts
The checkpoints here are written by an independent writer: fake `torch` modules are put in
sys.modules only while pickling, so the file names the same globals torch 1.x writes.
"""

from __future__ import annotations

import collections
import io
import json
import pickle
import struct
import sys
import types
import unittest
from contextlib import contextmanager

from model_tools import torch_to_safetensors as t2s


class FakeStorage:
    """Stands for a torch.FloatStorage: pickled as a persistent id, its bytes written after the pickles."""

    def __init__(self, key: str, values: list[float], type_name: str = "FloatStorage"):
        self.key, self.values, self.type_name = key, values, type_name


class FakeTensor:
    def __init__(self, storage: FakeStorage, offset: int, shape: tuple, stride: tuple):
        self.storage, self.offset, self.shape, self.stride = storage, offset, shape, stride

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return (rebuild, (self.storage, self.offset, self.shape, self.stride, False, collections.OrderedDict()))


@contextmanager
def fake_torch():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # pragma: no cover - only its name is pickled
        raise AssertionError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in ("FloatStorage", "LongStorage"):
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
    torch._utils = utils
    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        yield torch
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def write_legacy_checkpoint(obj, storages: list[FakeStorage]) -> bytes:
    out = io.BytesIO()
    with fake_torch() as torch:

        class Writer(pickle.Pickler):
            def persistent_id(self, value):
                if isinstance(value, FakeStorage):
                    return ("storage", getattr(torch, value.type_name), value.key, "cpu", len(value.values), None)
                return None

        pickle.dump(t2s.LEGACY_MAGIC, out, protocol=2)
        pickle.dump(1001, out, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True, "type_sizes": {}}, out, protocol=2)
        Writer(out, protocol=2).dump(obj)
        pickle.dump([s.key for s in storages], out, protocol=2)
    for storage in storages:
        fmt = "<%dq" if storage.type_name == "LongStorage" else "<%df"
        out.write(struct.pack("<q", len(storage.values)))
        out.write(struct.pack(fmt % len(storage.values), *storage.values))
    return out.getvalue()


def read_safetensors(data: bytes) -> tuple[dict, dict[str, list[float]]]:
    (length,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, stop = info["data_offsets"]
        tensors[name] = list(struct.unpack(f"<{(stop - begin) // 4}f", body[begin:stop]))
        end = max(end, stop)
    assert end == len(body), "bytes left over after the last tensor"
    return header, tensors


class TorchToSafetensorsTest(unittest.TestCase):
    def checkpoint(self, stride=(3, 1)) -> bytes:
        shared = FakeStorage("100", [float(i) for i in range(10)])
        bias = FakeStorage("7", [0.5, -0.25])
        moments = FakeStorage("55", [9.0] * 4)  # optimizer only: its bytes must be skipped
        step = FakeStorage("56", [3], "LongStorage")
        state = collections.OrderedDict(
            [
                ("lstm.weight", FakeTensor(shared, 1, (2, 3), stride)),
                ("lstm.bias", FakeTensor(shared, 7, (3,), (1,))),
                ("linear.bias", FakeTensor(bias, 0, (2,), (1,))),
            ]
        )
        obj = {
            "step": 12,
            "model_state": state,
            "optimizer_state": {"state": {1: {"exp_avg": FakeTensor(moments, 0, (4,), (1,)), "n": FakeTensor(step, 0, (1,), (1,))}}},
        }
        return write_legacy_checkpoint(obj, [bias, moments, step, shared])

    def test_converts_offsets_and_shapes_and_skips_optimizer_storages(self):
        out = io.BytesIO()
        count = t2s.convert(io.BytesIO(self.checkpoint()), out)
        self.assertEqual(count, 3)
        header, tensors = read_safetensors(out.getvalue())
        self.assertEqual(tensors["lstm.weight"], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        self.assertEqual(tensors["lstm.bias"], [7.0, 8.0, 9.0])
        self.assertEqual(tensors["linear.bias"], [0.5, -0.25])
        self.assertEqual(header["lstm.weight"]["shape"], [2, 3])
        self.assertEqual(header["lstm.weight"]["dtype"], "F32")
        self.assertEqual(header["__metadata__"], {"format": "pt"})
        self.assertEqual(list(k for k in header if k != "__metadata__"), ["linear.bias", "lstm.bias", "lstm.weight"])
        self.assertEqual(struct.unpack_from("<Q", out.getvalue())[0] % 8, 0, "header is padded to 8 bytes")

    def test_output_is_reproducible(self):
        first, second = io.BytesIO(), io.BytesIO()
        t2s.convert(io.BytesIO(self.checkpoint()), first)
        t2s.convert(io.BytesIO(self.checkpoint()), second)
        self.assertEqual(first.getvalue(), second.getvalue())

    def test_rejects_non_contiguous_tensors(self):
        with self.assertRaisesRegex(t2s.ConversionError, "not contiguous"):
            t2s.convert(io.BytesIO(self.checkpoint(stride=(1, 2))), io.BytesIO())

    def test_refuses_globals_outside_the_allow_list(self):
        evil = io.BytesIO()
        pickle.dump(t2s.LEGACY_MAGIC, evil, protocol=2)
        pickle.dump(1001, evil, protocol=2)
        pickle.dump({"little_endian": True}, evil, protocol=2)
        evil.write(b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.")
        with self.assertRaisesRegex(t2s.ConversionError, "os.system"):
            t2s.convert(io.BytesIO(evil.getvalue()), io.BytesIO())

    def test_rejects_truncated_and_foreign_files(self):
        data = self.checkpoint()
        with self.assertRaisesRegex(t2s.ConversionError, "truncated|ends before"):
            t2s.convert(io.BytesIO(data[:-5]), io.BytesIO())
        with self.assertRaisesRegex(t2s.ConversionError, "legacy|pickles"):
            t2s.convert(io.BytesIO(b"PK\x03\x04 a zip checkpoint"), io.BytesIO())


if __name__ == "__main__":
    unittest.main()
