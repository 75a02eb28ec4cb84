"""Convert a legacy (pre-1.6, non-zip) PyTorch checkpoint's state dict to safetensors, without torch.

Used for the speaker encoder (Resemblyzer's `pretrained.pt`, a GE2E LSTM saved by torch 1.x with
`torch.save(..., _use_new_zipfile_serialization=False)`). Needs only the standard library.

The legacy format is five pickles in a row followed by raw storage bytes:
    magic number, protocol version, system info, the object (tensors are persistent ids
    ('storage', StorageType, key, location, numel, view) wrapped in torch._utils._rebuild_tensor_v2),
    the list of storage keys; then, for each key in that order, an int64 element count and the
    storage's bytes (little endian, as the system-info pickle says).
The object is unpickled with a restricted Unpickler: only collections.OrderedDict, the tensor
rebuild function and the storage type names are accepted, so no code from the file runs.

Output: safetensors (https://github.com/huggingface/safetensors): u64 little-endian header length N,
N bytes of JSON ({name: {"dtype", "shape", "data_offsets"}} plus "__metadata__"), padded with spaces
to a multiple of 8, then the tensors' little-endian bytes in name order. Keys are sorted and the
JSON is compact, so the bytes are reproducible.
"""

from __future__ import annotations

import collections
import json
import pickle
import struct
from dataclasses import dataclass
from typing import BinaryIO

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
# storage type name -> (element size, safetensors dtype)
STORAGE_TYPES = {
    "FloatStorage": (4, "F32"),
    "DoubleStorage": (8, "F64"),
    "HalfStorage": (2, "F16"),
    "LongStorage": (8, "I64"),
    "IntStorage": (4, "I32"),
    "ShortStorage": (2, "I16"),
    "CharStorage": (1, "I8"),
    "ByteStorage": (1, "U8"),
    "BoolStorage": (1, "BOOL"),
}


class ConversionError(Exception):
    """The checkpoint is not one this converter understands."""


@dataclass(frozen=True)
class StorageRef:
    type_name: str
    key: str
    numel: int


@dataclass(frozen=True)
class TensorRef:
    storage: StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_rest) -> TensorRef:
    if not isinstance(storage, StorageRef):
        raise ConversionError(f"tensor backed by {type(storage).__name__}, not a storage")
    return TensorRef(storage, int(storage_offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))


class _StorageType:
    def __init__(self, name: str):
        self.name = name


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_TYPES:
            return _StorageType(name)
        raise ConversionError(f"the checkpoint refers to {module}.{name}, which is not allowed")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise ConversionError(f"unexpected persistent id {pid!r:.80}")
        storage_type, key, numel = pid[1], pid[2], pid[4]
        if not isinstance(storage_type, _StorageType):
            raise ConversionError(f"unexpected storage type {storage_type!r:.80}")
        return StorageRef(storage_type.name, str(key), int(numel))


def _collect(obj, found: dict[str, StorageRef]) -> None:
    """Every storage referenced anywhere in obj (the optimizer state too: its bytes must be skipped)."""
    if isinstance(obj, TensorRef):
        found.setdefault(obj.storage.key, obj.storage)
    elif isinstance(obj, dict):
        for value in obj.values():
            _collect(value, found)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _collect(value, found)


def _load(source: BinaryIO, state_key: str) -> tuple[dict[str, TensorRef], dict[str, bytes]]:
    try:
        magic = pickle.load(source)
        if magic != LEGACY_MAGIC:
            raise ConversionError("not a legacy PyTorch checkpoint (wrong magic number)")
        protocol = pickle.load(source)
        sys_info = pickle.load(source)
        if protocol != 1001 or not isinstance(sys_info, dict) or not sys_info.get("little_endian"):
            raise ConversionError(f"unsupported checkpoint (protocol {protocol!r}, system info {sys_info!r:.80})")
        obj = _RestrictedUnpickler(source).load()
        keys = pickle.load(source)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise ConversionError(f"cannot read the checkpoint's pickles: {err}") from err
    if not isinstance(obj, dict) or not isinstance(obj.get(state_key), dict):
        raise ConversionError(f"the checkpoint has no {state_key!r} dictionary")
    state = obj[state_key]
    storages: dict[str, StorageRef] = {}
    _collect(obj, storages)
    data: dict[str, bytes] = {}
    for key in keys:
        ref = storages.get(str(key))
        if ref is None:
            raise ConversionError(f"storage {key} is listed but not used")
        element_size = STORAGE_TYPES[ref.type_name][0]
        head = source.read(8)
        if len(head) != 8:
            raise ConversionError(f"the checkpoint ends before storage {key}")
        (numel,) = struct.unpack("<q", head)
        blob = source.read(numel * element_size)
        if numel != ref.numel or len(blob) != numel * element_size:
            raise ConversionError(f"storage {key}: {numel} elements on disk, {ref.numel} expected, or truncated")
        data[ref.key] = blob
    tensors = {}
    for name, value in state.items():
        if not isinstance(value, TensorRef):
            raise ConversionError(f"{state_key}[{name!r}] is not a tensor")
        tensors[str(name)] = value
    return tensors, data


def _tensor_bytes(name: str, ref: TensorRef, data: dict[str, bytes]) -> bytes:
    """The row-major bytes of one tensor; only contiguous tensors are accepted."""
    expected, step = [], 1
    for dim in reversed(ref.shape):
        expected.append(step)
        step *= dim
    if tuple(reversed(expected)) != ref.stride and step > 1:
        raise ConversionError(f"{name}: stride {ref.stride} is not contiguous for shape {ref.shape}")
    size = STORAGE_TYPES[ref.storage.type_name][0]
    start = ref.offset * size
    end = start + step * size
    blob = data[ref.storage.key]
    if end > len(blob):
        raise ConversionError(f"{name}: reaches past the end of its storage")
    return blob[start:end]


def convert(source: BinaryIO, out: BinaryIO, state_key: str = "model_state") -> int:
    """Write the tensors of checkpoint[state_key] as safetensors to out; returns the tensor count."""
    tensors, data = _load(source, state_key)
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        ref = tensors[name]
        blob = _tensor_bytes(name, ref, data)
        dtype = STORAGE_TYPES[ref.storage.type_name][1]
        header[name] = {"dtype": dtype, "shape": list(ref.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    out.write(struct.pack("<Q", len(text)))
    out.write(text)
    for blob in blobs:
        out.write(blob)
    return len(blobs)
