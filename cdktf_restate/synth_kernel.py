"""Start jsii's node kernel for a synth: without TLS settings it never uses, with a code cache.

cdktf runs in node: jsii starts its kernel (a relay process and the kernel under it, two node
processes) at the first assembly load, i.e. at the first ``import constructs`` or ``import
cdktf``, with the environment of that moment. :func:`start_synth_kernel`, called before that,
from the main thread, starts it for a synth and then puts the environment back, so the Python
process and every other child process keep theirs. Two things change for the kernel's two node
processes only:

- ``NODE_EXTRA_CA_CERTS`` is left out. Node parses every certificate in that file when it
  starts; with the system bundle, as on our machines, that is ~80 ms per node process. A synth
  makes no network call.
- ``node_code_cache.js`` is loaded (``NODE_OPTIONS=--require``): it keeps V8's compiled code of
  the ~380 JavaScript modules the kernel loads (its own and cdktf's) in a private directory, so
  later synths do not compile them again. Node 20 has no such cache of its own. The hook also
  puts the user's values back into the kernel's ``process.env`` once the kernel has started, so
  that processes the kernel's JavaScript starts get the user's environment.

The examples call this first thing; docs/synth-speed.md has the figures and the caveats.

Environment:
- ``CDKTF_RESTATE_KEEP_KERNEL_ENV=1``: start the kernel with the environment unchanged and no
  code cache, e.g. if a JavaScript construct library of yours makes HTTPS calls during synth
  through a proxy that needs the extra certificates.
- ``CDKTF_RESTATE_CODE_CACHE_DIR``: where the code cache lives (default
  ``$XDG_CACHE_HOME/cdktf-restate/node-code-cache``, else ``~/.cache/...``). Node runs what it
  holds, so it must be a directory of ours that no one else can write, under directories no one
  else can change; otherwise the kernel starts without the cache and a warning says why.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import stat
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

KEEP_ENV_VARIABLE = "CDKTF_RESTATE_KEEP_KERNEL_ENV"
# Also read by node_code_cache.js in the kernel's processes, which get it set while they start.
CODE_CACHE_DIR_VARIABLE = "CDKTF_RESTATE_CODE_CACHE_DIR"
# The user's values of what the kernel starts with changed, for node_code_cache.js to put back.
RESTORE_VARIABLE = "CDKTF_RESTATE_KERNEL_RESTORE_ENV"
# Set by node_code_cache.js in the first node process (jsii's relay) for the one under it.
HOOK_PARENT_VARIABLE = "CDKTF_RESTATE_KERNEL_HOOK_PARENT"
# Read by node at start-up, and only for TLS: nothing a synth does.
UNUSED_BY_SYNTH = ("NODE_EXTRA_CA_CERTS",)
CODE_CACHE_HOOK = Path(__file__).with_name("node_code_cache.js")
# node_code_cache.js stands aside for these (they need node's own compile), as Python says here.
NODE_OPTIONS_THE_CACHE_STANDS_ASIDE_FOR = re.compile(
    r"--(inspect|debug|experimental-policy|policy-integrity|enable-source-maps)"
)


class SynthKernelWarning(UserWarning):
    """start_synth_kernel() could not do all it does: the synth is the same, only slower."""


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


def default_code_cache_dir() -> Path | str:
    """The code cache directory (absolute), or why there is none."""
    configured = os.environ.get(CODE_CACHE_DIR_VARIABLE, "")
    if configured:
        return Path(configured).absolute()
    cache_home = os.environ.get("XDG_CACHE_HOME", "")
    if not cache_home:
        try:
            cache_home = str(Path.home() / ".cache")
        except RuntimeError as error:  # no HOME and no passwd entry, as in some containers
            return f"no cache directory: {error}; set {CODE_CACHE_DIR_VARIABLE}"
    return (Path(cache_home) / "cdktf-restate" / "node-code-cache").absolute()


def private_directory(directory: Path) -> str:
    """Create ``directory`` (mode 0700) if missing; return why it can't hold code, or "".

    Whoever can write it, or replace it through a parent directory, could run code in the
    kernel: it must be ours alone, and each parent (as written, and where it really is) must be
    root's or ours, and not writable by others unless sticky (like /tmp)."""
    if not hasattr(os, "getuid"):
        return "no code cache on this platform (no file owners to check)"
    try:
        # Each missing directory 0700 itself: mkdir(parents=True) would make the middle ones
        # by the umask (0775 under umask 002), which the parent check below then refuses.
        for missing in reversed([d for d in (directory, *directory.parents) if not d.exists()]):
            missing.mkdir(mode=0o700, exist_ok=True)
        status = directory.lstat()
    except OSError as error:
        return f"{directory}: {error.strerror or error}"
    if not stat.S_ISDIR(status.st_mode):
        return f"{directory} is not a real directory (a file, or a symlink)"
    if status.st_uid != os.getuid():
        return f"{directory} belongs to uid {status.st_uid}, not to this user ({os.getuid()})"
    if status.st_mode & 0o022:
        return f"{directory} can be written by others (mode {stat.S_IMODE(status.st_mode):o})"
    try:
        real_parent = directory.parent.resolve()
    except OSError as error:
        return f"{directory.parent}: {error.strerror or error}"
    for parent in dict.fromkeys([*directory.parents, real_parent, *real_parent.parents]):
        try:
            parent_status = parent.stat()
        except OSError as error:
            return f"{parent}: {error.strerror or error}"
        if parent_status.st_uid not in (0, os.getuid()):
            return f"{directory}: its parent {parent} belongs to uid {parent_status.st_uid}"
        if parent_status.st_mode & 0o022 and not parent_status.st_mode & stat.S_ISVTX:
            mode = stat.S_IMODE(parent_status.st_mode)
            return f"{directory}: its parent {parent} can be written by others (mode {mode:o})"
    return ""


def hook_option() -> str:
    """The NODE_OPTIONS entry that loads node_code_cache.js, or "" if it can't."""
    hook = str(CODE_CACHE_HOOK)
    if not CODE_CACHE_HOOK.is_file() or any(character in hook for character in '"\\'):
        return ""  # a quote or backslash can't go into NODE_OPTIONS
    return f'--require "{hook}"'


def start_synth_kernel() -> KernelStart:
    """Start jsii's kernel now, for a synth; see the module's docstring.

    Does nothing if the kernel already runs, and warns. Always puts the environment back, also
    when the start fails (the error then propagates)."""
    if kernel_running():
        warnings.warn(
            "start_synth_kernel() changes nothing: a jsii library (cdktf, constructs) was"
            " imported before it; call it before those imports (docs/synth-speed.md)",
            SynthKernelWarning,
            stacklevel=2,
        )
        return KernelStart(started=False)
    if os.environ.get(KEEP_ENV_VARIABLE, "") not in ("", "0"):
        importlib.import_module("constructs")
        return KernelStart(started=True, note=f"{KEEP_ENV_VARIABLE} is set")

    option = hook_option()
    if not option:
        # Without the hook the kernel could not give its child processes the user's values
        # back: leave everything as it is.
        importlib.import_module("constructs")
        note = f"{CODE_CACHE_HOOK} cannot be loaded through NODE_OPTIONS"
        warnings.warn(f"jsii's kernel starts unchanged: {note}", SynthKernelWarning, stacklevel=2)
        return KernelStart(started=True, note=note)
    directory = default_code_cache_dir()
    note = private_directory(directory) if isinstance(directory, Path) else directory
    stands_aside = NODE_OPTIONS_THE_CACHE_STANDS_ASIDE_FOR.search(
        os.environ.get("NODE_OPTIONS", "")
    )
    if stands_aside and not note:
        note = f"NODE_OPTIONS has {stands_aside.group(0)}, which needs node's own compile"
    code_cache = directory if isinstance(directory, Path) and not note else None

    changed = (*UNUSED_BY_SYNTH, "NODE_OPTIONS", CODE_CACHE_DIR_VARIABLE)
    saved = {name: os.environ.get(name) for name in (*changed, RESTORE_VARIABLE)}
    saved[HOOK_PARENT_VARIABLE] = os.environ.get(HOOK_PARENT_VARIABLE)
    left_out = tuple(name for name in UNUSED_BY_SYNTH if name in os.environ)
    try:
        for name in (*left_out, CODE_CACHE_DIR_VARIABLE, HOOK_PARENT_VARIABLE):
            os.environ.pop(name, None)
        os.environ["NODE_OPTIONS"] = " ".join(
            part for part in (saved["NODE_OPTIONS"], option) if part
        )
        os.environ[RESTORE_VARIABLE] = json.dumps({name: saved[name] for name in changed})
        if code_cache is not None:
            os.environ[CODE_CACHE_DIR_VARIABLE] = str(code_cache)
        # Loading the constructs assembly starts the kernel, with the environment as it is now.
        importlib.import_module("constructs")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    if note:
        warnings.warn(
            f"jsii's kernel starts without the node code cache: {note}",
            SynthKernelWarning,
            stacklevel=2,
        )
    return KernelStart(started=True, left_out=left_out, code_cache=code_cache, note=note)
