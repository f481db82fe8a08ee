"""Start jsii's node kernel for a synth: without TLS settings it never uses, with a code cache.

cdktf runs in node: jsii starts its kernel (a relay process and the kernel under it, two node
processes) at the first assembly load, i.e. at the first ``import constructs`` or ``import
cdktf``, with the environment of that moment. :func:`start_synth_kernel`, called before that,
starts it for a synth and then puts the environment back, so the Python process and every other
child process keep theirs. Two things change for the kernel's node processes only:

- ``NODE_EXTRA_CA_CERTS`` is left out. Node parses every certificate in that file when it
  starts; with the system bundle, as on our machines, that is ~80 ms per node process. A synth
  makes no network call.
- ``node_code_cache.js`` is loaded (``NODE_OPTIONS=--require``): it keeps V8's compiled code of
  the ~380 JavaScript modules the kernel loads (its own and cdktf's) in a private directory, so
  later synths do not compile them again. Node 20 has no such cache of its own.

Together they take ~0.25 s off the ~1.2 s synth of ``examples/minimal`` (bench/README.md). The
examples call this first thing; see docs/synth-speed.md.

Environment:
- ``CDKTF_RESTATE_KEEP_KERNEL_ENV=1``: start the kernel with the environment unchanged and no
  code cache, e.g. if a JavaScript construct library of yours makes HTTPS calls during synth
  through a proxy that needs the extra certificates.
- ``CDKTF_RESTATE_CODE_CACHE_DIR``: where the code cache lives (default
  ``$XDG_CACHE_HOME/cdktf-restate/node-code-cache``, else ``~/.cache/...``). It must be a
  directory of ours that no one else can write, since node runs what it holds; otherwise the
  kernel starts without the cache and the result says why.
"""

from __future__ import annotations

import importlib
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

KEEP_ENV_VARIABLE = "CDKTF_RESTATE_KEEP_KERNEL_ENV"
# Also read by node_code_cache.js in the kernel's processes, which get it set while they start.
CODE_CACHE_DIR_VARIABLE = "CDKTF_RESTATE_CODE_CACHE_DIR"
# Read by node at start-up, and only for TLS: nothing a synth does.
UNUSED_BY_SYNTH = ("NODE_EXTRA_CA_CERTS",)
CODE_CACHE_HOOK = Path(__file__).with_name("node_code_cache.js")


@dataclass(frozen=True)
class KernelStart:
    """What :func:`start_synth_kernel` did."""

    started: bool  # False: a jsii library was imported before, the kernel already ran
    left_out: tuple[str, ...] = ()  # the variables the kernel started without
    code_cache: Path | None = None  # the code cache the kernel uses, if any
    note: str = ""  # why there is no code cache, when started without one


def kernel_running() -> bool:
    """Whether a jsii assembly was loaded in this process, which starts the kernel.

    Each jsii library loads its assembly when its ``<package>._jsii`` module is imported."""
    return any(name.endswith("._jsii") for name in sys.modules)


def default_code_cache_dir() -> Path:
    configured = os.environ.get(CODE_CACHE_DIR_VARIABLE, "")
    if configured:
        return Path(configured)
    cache_home = os.environ.get("XDG_CACHE_HOME", "") or str(Path.home() / ".cache")
    return Path(cache_home) / "cdktf-restate" / "node-code-cache"


def private_directory(directory: Path) -> str:
    """Create ``directory`` (mode 0700) if missing; return why it can't hold code, or ""."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = directory.lstat()
    except OSError as error:
        return f"{directory}: {error.strerror or error}"
    if not stat.S_ISDIR(status.st_mode):
        return f"{directory} is not a directory (a symlink is not accepted)"
    if status.st_uid != os.getuid():
        return f"{directory} belongs to uid {status.st_uid}, not to this user ({os.getuid()})"
    if status.st_mode & 0o022:
        return f"{directory} can be written by others (mode {stat.S_IMODE(status.st_mode):o})"
    return ""


def code_cache_option(directory: Path) -> tuple[str, str]:
    """The NODE_OPTIONS entry that loads the cache hook, or ("", why not)."""
    hook = str(CODE_CACHE_HOOK)
    if not CODE_CACHE_HOOK.is_file():
        return "", f"{hook} is missing"
    if any(character in hook for character in '"\\'):
        return "", f"{hook}: a path with a quote or a backslash cannot go into NODE_OPTIONS"
    why_not = private_directory(directory)
    if why_not:
        return "", why_not
    return f'--require "{hook}"', ""


def start_synth_kernel() -> KernelStart:
    """Start jsii's kernel now, for a synth; see the module's docstring.

    Does nothing if the kernel already runs. Always puts the environment back, also when the
    start fails (the error then propagates)."""
    if kernel_running():
        return KernelStart(started=False)
    if os.environ.get(KEEP_ENV_VARIABLE, "") not in ("", "0"):
        importlib.import_module("constructs")
        return KernelStart(started=True, note=f"{KEEP_ENV_VARIABLE} is set")

    directory = default_code_cache_dir()
    option, note = code_cache_option(directory)
    changed = (*UNUSED_BY_SYNTH, "NODE_OPTIONS", CODE_CACHE_DIR_VARIABLE)
    saved = {name: os.environ.get(name) for name in changed}
    left_out = tuple(name for name in UNUSED_BY_SYNTH if name in os.environ)
    try:
        for name in left_out:
            del os.environ[name]
        if option:
            os.environ["NODE_OPTIONS"] = " ".join(
                part for part in (saved["NODE_OPTIONS"], option) if part
            )
            os.environ[CODE_CACHE_DIR_VARIABLE] = str(directory)
        # Loading the constructs assembly starts the kernel, with the environment as it is now.
        importlib.import_module("constructs")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return KernelStart(
        started=True,
        left_out=left_out,
        code_cache=directory if option else None,
        note=note,
    )
