"""Deterministic Lambda zips, a content-addressed cache, and the restatectl binary lookup.

Why deterministic: Terraform compares ``source_code_hash`` with the deployed code, so a zip
that changes bytes on every synth (timestamps, entry order, umask) would redeploy the Lambda
on every plan. Why cached: deflating a 20+ MB restatectl binary takes about a second; the
cache key is a hash of the inputs. File digests are remembered next to the zips, keyed by the
file's path, size, inode and modification time (like make), so a warm synth hashes nothing:
hashing the binary and the zip took ~30 ms of every synth.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Bump when the zip layout or options change: old cache entries then stop matching.
BUILD_FORMAT_VERSION = "1"
# 1980-01-01 is the earliest timestamp a zip entry can carry.
FIXED_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
EXECUTABLE_MODE = 0o755
REGULAR_MODE = 0o644
COMPRESSION_LEVEL = 6
CACHE_DIR_ENV = "CDKTF_RESTATE_CACHE_DIR"

ARCHITECTURES = ("arm64", "x86_64")
BINARY_ENV = {
    "arm64": "CDKTF_RESTATE_RESTATECTL_BINARY_ARM64",
    "x86_64": "CDKTF_RESTATE_RESTATECTL_BINARY_X86_64",
}
#: The restatectl the Lambda packages are built and tested with (package.json pins the same).
RESTATECTL_VERSION = "1.7.12"
# The npm package suffix per Lambda architecture (@restatedev/restatectl-linux-<suffix>).
NPM_SUFFIX = {"arm64": "arm64", "x86_64": "x64"}

# restatectl 1.7 serves Lambda invocations only as `restatectl lambda` (a hidden subcommand):
# a binary merely renamed to `bootstrap` prints its usage and exits. The custom runtime starts
# `bootstrap` without arguments, so `bootstrap` is this two-line launcher next to the binary.
RESTATECTL_BOOTSTRAP = b'#!/bin/sh\nexec "${LAMBDA_TASK_ROOT:-.}/restatectl" lambda\n'

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_CHECKOUT_ROOT = PACKAGE_DIR.parents[1]


class LambdaBuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class ZipEntry:
    """One file in a Lambda zip: its name inside the zip, its bytes and its mode."""

    name: str
    content: bytes
    executable: bool = False


@dataclass(frozen=True)
class BuiltZip:
    path: Path
    source_code_hash: str  # base64 sha256 of the zip bytes, as Terraform's filebase64sha256()
    content_hash: str  # hex sha256 of the zip bytes (asset hash)


def deterministic_zip_bytes(entries: Sequence[ZipEntry]) -> bytes:
    """The zip of ``entries``: sorted names, fixed timestamps and modes, fixed compression."""
    names = [entry.name for entry in entries]
    if len(set(names)) != len(names):
        raise LambdaBuildError(f"duplicate zip entry names: {sorted(names)}")
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as buffer:
        with zipfile.ZipFile(buffer, "w") as archive:
            for entry in sorted(entries, key=lambda e: e.name):
                info = zipfile.ZipInfo(entry.name, date_time=FIXED_ZIP_TIMESTAMP)
                info.create_system = 3  # unix: external_attr carries the file mode
                mode = EXECUTABLE_MODE if entry.executable else REGULAR_MODE
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entry.content, compresslevel=COMPRESSION_LEVEL)
        buffer.seek(0)
        return buffer.read()


def cache_dir() -> Path:
    """``$CDKTF_RESTATE_CACHE_DIR``, else ``.cache/lambda-zips`` of the source checkout or cwd."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    root = (
        SOURCE_CHECKOUT_ROOT if (SOURCE_CHECKOUT_ROOT / "pyproject.toml").exists() else Path.cwd()
    )
    return root / ".cache" / "lambda-zips"


def _inputs_key(kind: str, entries_digest: Mapping[str, str]) -> str:
    digest = hashlib.sha256(f"{kind}\0{BUILD_FORMAT_VERSION}\0".encode())
    for name in sorted(entries_digest):
        digest.update(f"{name}\0{entries_digest[name]}\0".encode())
    return digest.hexdigest()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stat_key(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev]


def _digest_memo(path: Path) -> Path:
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    return cache_dir() / "digests" / f"{name}.json"


def _file_sha256(path: Path) -> str:
    """The hex sha256 of ``path``, remembered while its size, inode and mtime stay the same."""
    memo = _digest_memo(path)
    key = _stat_key(path)
    try:
        remembered = json.loads(memo.read_text())
        if remembered["stat"] == key:
            return remembered["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = _hash_file(path)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=memo.parent, prefix=".digest-", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump({"path": str(path), "stat": key, "sha256": digest}, handle)
        os.replace(temporary, memo)
    except OSError:
        pass  # a read-only cache only costs the hash next time
    return digest


def _built(path: Path) -> BuiltZip:
    digest = _file_sha256(path)
    return BuiltZip(path, base64.b64encode(bytes.fromhex(digest)).decode(), digest)


def cached_zip(kind: str, sources: Mapping[str, tuple[Path | bytes, bool]]) -> BuiltZip:
    """The zip of ``sources`` (name -> (file path or bytes, executable)), built at most once.

    The cache file is named after a hash of the inputs; a hit reads the zip and writes nothing.
    A miss writes to a temporary file and renames it, so concurrent builds never see half a zip.
    """
    digests = {
        name: _file_sha256(src) if isinstance(src, Path) else hashlib.sha256(src).hexdigest()
        for name, (src, _) in sources.items()
    }
    directory = cache_dir()
    target = directory / f"{kind}-{_inputs_key(kind, digests)[:32]}.zip"
    if target.exists():
        return _built(target)
    entries = [
        ZipEntry(name, src.read_bytes() if isinstance(src, Path) else src, executable)
        for name, (src, executable) in sources.items()
    ]
    data = deterministic_zip_bytes(entries)
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{kind}-", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, REGULAR_MODE)  # mkstemp creates 0600; the zip is not a secret
    os.replace(temporary, target)
    return _built(target)


def restatectl_candidates(architecture: str) -> list[Path]:
    """Where the restatectl binary for ``architecture`` is looked for, in order."""
    suffix = NPM_SUFFIX[architecture]
    relative = [
        Path("node_modules", "@restatedev", f"restatectl-linux-{suffix}", "bin", "restatectl"),
        Path(".cache", "npm", f"restatectl-linux-{suffix}", "bin", "restatectl"),
    ]
    roots = [SOURCE_CHECKOUT_ROOT, Path.cwd()]
    unique_roots = list(dict.fromkeys(root.resolve() for root in roots))
    return [root / path for root in unique_roots for path in relative]


def find_restatectl_binary(architecture: str) -> Path:
    """The restatectl binary to package for a Lambda of ``architecture`` (arm64 | x86_64)."""
    if architecture not in ARCHITECTURES:
        raise LambdaBuildError(
            f"architecture must be one of {', '.join(ARCHITECTURES)}, got {architecture!r}"
        )
    env_name = BINARY_ENV[architecture]
    configured = os.environ.get(env_name)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise LambdaBuildError(f"{env_name}={configured} is not a file")
        return path
    candidates = restatectl_candidates(architecture)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = "\n  ".join(str(c) for c in candidates)
    raise LambdaBuildError(
        f"no restatectl binary for the {architecture} Lambda. Tried:\n  {tried}\n"
        f"Fix: run scripts/setup.sh (installs @restatedev/restatectl-linux-{NPM_SUFFIX[architecture]}),"
        f" or `npm install @restatedev/restatectl-linux-{NPM_SUFFIX[architecture]}@{RESTATECTL_VERSION}`"
        f" (add --force on another CPU), or set {env_name} to the binary's path,"
        f" or disable the restatectl Lambda."
    )


def restatectl_zip(architecture: str) -> BuiltZip:
    """The restatectl Lambda package: the ``bootstrap`` launcher plus the ``restatectl`` binary."""
    binary = find_restatectl_binary(architecture)
    return cached_zip(
        f"restatectl-{architecture}",
        {"bootstrap": (RESTATECTL_BOOTSTRAP, True), "restatectl": (binary, True)},
    )


def retirement_watcher_zip() -> BuiltZip:
    """The retirement watcher package: its single handler module at the zip root."""
    source = PACKAGE_DIR / "retirement_watcher.py"
    return cached_zip("retirement-watcher", {"retirement_watcher.py": (source, False)})


def cluster_cleanup_zip() -> BuiltZip:
    """The destroy-time cleanup package: its single module (standard library and boto3 only),
    shared with ``cdktf-restate teardown``, at the zip root."""
    source = PACKAGE_DIR / "cluster_cleanup.py"
    return cached_zip("cluster-cleanup", {"cluster_cleanup.py": (source, False)})


def service_deployer_zip() -> BuiltZip:
    """The service deployer package: its single handler module at the zip root."""
    source = PACKAGE_DIR / "service_deployer.py"
    return cached_zip("service-deployer", {"service_deployer.py": (source, False)})


CONTROL_PANEL_DIR = PACKAGE_DIR / "control_panel"


def control_panel_zip(architecture: str) -> BuiltZip:
    """The Control Panel widget package: the ``control_panel`` handler package only (pure
    Python, the same for both architectures): it runs ``restatectl sql`` through the cluster's
    restatectl Lambda, so the package is small enough to commit with the module."""
    sources: dict[str, tuple[Path | bytes, bool]] = {
        f"control_panel/{source.name}": (source, False)
        for source in sorted(CONTROL_PANEL_DIR.glob("*.py"))
    }
    return cached_zip(f"control-panel-{architecture}", sources)
