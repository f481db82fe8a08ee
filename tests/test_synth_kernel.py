"""cdktf_restate.synth_kernel and node_code_cache.js, on real node and jsii kernel processes.

Each case that starts a kernel runs in a fresh Python process (a process has one kernel) and
reads the environment of the kernel's node processes from /proc.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cdktf_restate.synth_kernel import (
    CODE_CACHE_HOOK,
    default_code_cache_dir,
    private_directory,
)

REPO = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# Starts the kernel the way the examples do, optionally synthesizes examples/minimal, and prints
# what start_synth_kernel returned, this process's environment afterwards, and the environment
# of every node process under it (the jsii kernel: a relay and the kernel itself).
PROBE = r"""
import json, os, sys
from pathlib import Path

def descendants(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found.append(int(child))
            found.extend(descendants(int(child)))
    return found

def environment(pid):
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode().split("=", 1) for entry in raw if b"=" in entry)

import warnings
if sys.argv[1] == "import-cdktf-first":
    import cdktf  # noqa: F401
from cdktf_restate.synth_kernel import start_synth_kernel
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    result = start_synth_kernel()
kernel = [environment(pid) for pid in descendants(os.getpid())]
if len(sys.argv) > 2:
    sys.path.insert(0, sys.argv[3])
    import main
    main.build(sys.argv[2])
names = (
    "NODE_EXTRA_CA_CERTS",
    "NODE_OPTIONS",
    "CDKTF_RESTATE_CODE_CACHE_DIR",
    "CDKTF_RESTATE_KERNEL_RESTORE_ENV",
)
print(json.dumps({
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    "started": result.started,
    "left_out": list(result.left_out),
    "code_cache": str(result.code_cache) if result.code_cache else None,
    "note": result.note,
    "after": {name: os.environ.get(name) for name in names},
    "kernel": [{name: env.get(name) for name in names} for env in kernel],
}))
"""


def clean_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "NODE_EXTRA_CA_CERTS",
            "NODE_OPTIONS",
            "CDKTF_RESTATE_CODE_CACHE_DIR",
            "CDKTF_RESTATE_CODE_CACHE_REPORT",
            "CDKTF_RESTATE_KEEP_KERNEL_ENV",
            "CDKTF_RESTATE_KERNEL_RESTORE_ENV",
        )
    }
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env.update(overrides)
    return env


def probe(env: dict[str, str], *extra: str, mode: str = "kernel-first") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode, *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def synth(env: dict[str, str], outdir: Path, example: str = "minimal") -> dict:
    return probe(env, str(outdir), str(REPO / "examples" / example))


def tree(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def reports(path: Path) -> list[dict]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


def kernel_report(path: Path) -> dict:
    """The kernel's line of a synth's report: the process that compiled cdktf's modules."""
    (kernel,) = [r for r in reports(path) if r["hits"] + r["misses"] > 50]
    return kernel


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "code-cache"


def test_kernel_starts_without_extra_ca_certs_with_the_cache_and_the_environment_is_restored(
    cache_dir: Path,
) -> None:
    env = clean_env(
        NODE_EXTRA_CA_CERTS=CA_BUNDLE,
        NODE_OPTIONS="--max-old-space-size=3000",
        CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir),
    )
    seen = probe(env)

    assert seen["started"] is True
    assert seen["left_out"] == ["NODE_EXTRA_CA_CERTS"]
    assert seen["code_cache"] == str(cache_dir)
    assert seen["warnings"] == []
    assert len(seen["kernel"]) == 2, "jsii's relay and its kernel"
    for kernel in seen["kernel"]:
        assert kernel["NODE_EXTRA_CA_CERTS"] is None
        assert kernel["NODE_OPTIONS"] == f'--max-old-space-size=3000 --require "{CODE_CACHE_HOOK}"'
        assert kernel["CDKTF_RESTATE_CODE_CACHE_DIR"] == str(cache_dir)
        # What the hook puts back into the kernel's process.env once it has started.
        assert json.loads(kernel["CDKTF_RESTATE_KERNEL_RESTORE_ENV"]) == {
            "NODE_EXTRA_CA_CERTS": CA_BUNDLE,
            "NODE_OPTIONS": "--max-old-space-size=3000",
            "CDKTF_RESTATE_CODE_CACHE_DIR": str(cache_dir),
        }
    assert seen["after"] == {
        "NODE_EXTRA_CA_CERTS": CA_BUNDLE,
        "NODE_OPTIONS": "--max-old-space-size=3000",
        "CDKTF_RESTATE_CODE_CACHE_DIR": str(cache_dir),
        "CDKTF_RESTATE_KERNEL_RESTORE_ENV": None,
    }
    assert (cache_dir.stat().st_mode & 0o777) == 0o700


def test_the_default_cache_lives_under_xdg_cache_home_and_variables_it_set_are_removed(
    tmp_path: Path,
) -> None:
    seen = probe(clean_env(XDG_CACHE_HOME=str(tmp_path)))
    expected = tmp_path / "cdktf-restate" / "node-code-cache"
    assert seen["code_cache"] == str(expected)
    assert seen["left_out"] == []
    assert all(k["CDKTF_RESTATE_CODE_CACHE_DIR"] == str(expected) for k in seen["kernel"])
    assert seen["after"] == dict.fromkeys(seen["after"])  # all unset again


def test_code_cache_is_written_then_used_and_the_synth_is_byte_identical(
    tmp_path: Path, cache_dir: Path
) -> None:
    report = tmp_path / "report.jsonl"
    env = clean_env(
        CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir), CDKTF_RESTATE_CODE_CACHE_REPORT=str(report)
    )
    synth(env, tmp_path / "first")
    first = kernel_report(report)
    assert first["hits"] == 0 and first["misses"] > 300 and first["written"] == first["misses"]
    entries = {p.name: p.stat().st_mtime_ns for p in cache_dir.iterdir()}
    assert len(entries) >= first["written"]

    report.unlink()
    synth(env, tmp_path / "second")
    second = kernel_report(report)
    assert second == {**second, "hits": first["misses"], "misses": 0, "written": 0}
    assert {p.name: p.stat().st_mtime_ns for p in cache_dir.iterdir()} == entries

    plain = synth(clean_env(CDKTF_RESTATE_KEEP_KERNEL_ENV="1"), tmp_path / "plain")
    assert plain["code_cache"] is None and plain["note"] == "CDKTF_RESTATE_KEEP_KERNEL_ENV is set"
    reference = tree(tmp_path / "plain")
    assert len(reference) >= 3 and tree(tmp_path / "first") == reference
    assert tree(tmp_path / "second") == reference


@pytest.mark.parametrize("example", ["existing-bucket", "custom-resources"])
def test_the_other_examples_synthesize_the_same_with_a_filled_cache(
    tmp_path: Path, cache_dir: Path, example: str
) -> None:
    env = clean_env(CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir))
    synth(env, tmp_path / "fills", example)
    synth(env, tmp_path / "uses", example)
    synth(clean_env(CDKTF_RESTATE_KEEP_KERNEL_ENV="1"), tmp_path / "plain", example)
    assert tree(tmp_path / "uses") == tree(tmp_path / "plain") == tree(tmp_path / "fills")


def test_corrupt_cache_entries_are_rejected_and_rewritten(tmp_path: Path, cache_dir: Path) -> None:
    report = tmp_path / "report.jsonl"
    env = clean_env(
        CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir), CDKTF_RESTATE_CODE_CACHE_REPORT=str(report)
    )
    synth(env, tmp_path / "first")
    cached = kernel_report(report)["written"]
    damaged = {}
    for number, entry in enumerate(sorted(cache_dir.iterdir())):
        data = bytearray(entry.read_bytes())
        if number % 2:
            data = bytearray(b"not V8 code cache data")
        else:  # V8 itself would crash on a flipped byte inside its data (review H28)
            middle = len(data) // 2
            data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
        entry.write_bytes(bytes(data))
        damaged[entry.name] = bytes(data)
    report.unlink()

    synth(env, tmp_path / "after-damage")
    assert kernel_report(report)["misses"] == cached  # every entry refused, compiled anew
    assert all((cache_dir / name).read_bytes() != data for name, data in damaged.items())
    assert tree(tmp_path / "after-damage") == tree(tmp_path / "first")


def test_a_cache_directory_others_can_write_is_not_used(tmp_path: Path, cache_dir: Path) -> None:
    cache_dir.mkdir(mode=0o700)
    cache_dir.chmod(0o777)
    seen = probe(
        clean_env(NODE_EXTRA_CA_CERTS=CA_BUNDLE, CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir))
    )
    assert seen["code_cache"] is None
    assert seen["note"] == f"{cache_dir} can be written by others (mode 777)"
    assert seen["warnings"] == [
        "SynthKernelWarning: jsii's kernel starts without the node code cache:"
        f" {cache_dir} can be written by others (mode 777)"
    ]
    assert seen["left_out"] == ["NODE_EXTRA_CA_CERTS"]  # the certificates are still left out
    # The hook is still loaded, to put the environment back, but is given no cache directory.
    assert all(k["CDKTF_RESTATE_CODE_CACHE_DIR"] is None for k in seen["kernel"])
    assert list(cache_dir.iterdir()) == []
    assert seen["after"]["CDKTF_RESTATE_CODE_CACHE_DIR"] == str(cache_dir)


def test_opting_out_keeps_the_kernel_environment(cache_dir: Path) -> None:
    env = clean_env(
        NODE_EXTRA_CA_CERTS=CA_BUNDLE,
        CDKTF_RESTATE_KEEP_KERNEL_ENV="1",
        CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir),
    )
    seen = probe(env)
    assert seen["started"] is True and seen["left_out"] == [] and seen["code_cache"] is None
    assert all(k["NODE_EXTRA_CA_CERTS"] == CA_BUNDLE for k in seen["kernel"])
    assert all(k["NODE_OPTIONS"] is None for k in seen["kernel"])
    assert not cache_dir.exists()


def test_a_kernel_already_running_is_left_alone(cache_dir: Path) -> None:
    env = clean_env(NODE_EXTRA_CA_CERTS=CA_BUNDLE, CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir))
    seen = probe(env, mode="import-cdktf-first")
    assert seen["started"] is False and seen["code_cache"] is None
    assert seen["warnings"] == [
        "SynthKernelWarning: start_synth_kernel() changes nothing: a jsii library (cdktf,"
        " constructs) was imported before it; call it before those imports (docs/synth-speed.md)"
    ]
    assert all(k["NODE_EXTRA_CA_CERTS"] == CA_BUNDLE for k in seen["kernel"])
    assert seen["after"]["NODE_EXTRA_CA_CERTS"] == CA_BUNDLE
    assert not cache_dir.exists()


def test_a_failed_start_restores_the_environment_and_raises(cache_dir: Path) -> None:
    script = (
        "import os\n"
        "from cdktf_restate.synth_kernel import start_synth_kernel\n"
        "try:\n"
        "    start_synth_kernel()\n"
        "except OSError as error:\n"
        "    print('raised', type(error).__name__)\n"
        "print(os.environ.get('NODE_EXTRA_CA_CERTS'), os.environ.get('NODE_OPTIONS'))\n"
    )
    env = clean_env(
        NODE_EXTRA_CA_CERTS=CA_BUNDLE,
        NODE_OPTIONS="--max-old-space-size=3000",
        CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir),
        JSII_NODE=str(cache_dir / "no-such-node"),
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.splitlines() == [
        "raised FileNotFoundError",
        f"{CA_BUNDLE} --max-old-space-size=3000",
    ]


def test_private_directory_refuses_a_parent_others_can_change(tmp_path: Path) -> None:
    open_parent = tmp_path / "open"
    open_parent.mkdir()
    open_parent.chmod(0o777)
    assert private_directory(open_parent / "cache") == (
        f"{open_parent / 'cache'}: its parent {open_parent} can be written by others (mode 777)"
    )
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)  # like /tmp: others cannot replace what is ours
    assert private_directory(sticky / "cache") == ""


def test_no_home_directory_means_no_cache_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    for name in ("CDKTF_RESTATE_CODE_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Path, "home", no_home)
    assert default_code_cache_dir() == (
        "no cache directory: Could not determine home directory.; set CDKTF_RESTATE_CODE_CACHE_DIR"
    )


def test_private_directory_refuses_a_symlink_and_a_file(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert private_directory(link) == f"{link} is not a real directory (a file, or a symlink)"
    file = tmp_path / "file"
    file.write_text("")
    assert private_directory(file) == f"{file} is not a real directory (a file, or a symlink)"
    assert private_directory(file / "below").startswith(f"{file / 'below'}: ")
    assert private_directory(target) == ""


# node_code_cache.js on its own, with plain node: CommonJS behaves as without it.
MODULES = {
    "main.js": (
        "const a = require('./a');\n"
        "const dynamic = require('./dynamic');\n"
        "dynamic.then((m) => console.log(JSON.stringify({\n"
        "  a: a.value, b: require('./b').fromA, resolved: require.resolve('./a'),\n"
        "  paths: Array.isArray(require.resolve.paths('x')), main: require.main === module,\n"
        "  dir: __dirname, esm: m.default,\n"
        "})));\n"
    ),
    "a.js": "exports.value = 'a'; exports.b = require('./b'); exports.late = 1;\n",
    # A require cycle: b sees a's exports as they are when a requires b.
    "b.js": "exports.fromA = Object.keys(require('./a')).join(',');\n",
    "dynamic.js": "module.exports = import('./esm.mjs');\n",
    "esm.mjs": "export default 'esm';\n",
    "broken.js": "module.exports = {;\n",
}


WITH_HOOK = ("--require", str(CODE_CACHE_HOOK))


def run_node(
    directory: Path, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    assert NODE, "node is on PATH on our machines"
    return subprocess.run(
        [NODE, *arguments], cwd=directory, env=env, capture_output=True, text=True, timeout=60
    )


def test_hook_keeps_commonjs_behaviour_cold_and_warm(tmp_path: Path, cache_dir: Path) -> None:
    for name, text in MODULES.items():
        (tmp_path / name).write_text(text)
    cache_dir.mkdir(mode=0o700)
    report = tmp_path / "report.jsonl"
    plain = run_node(tmp_path, "main.js")
    env = clean_env(
        CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir), CDKTF_RESTATE_CODE_CACHE_REPORT=str(report)
    )
    cold = run_node(tmp_path, *WITH_HOOK, "main.js", env=env)
    warm = run_node(tmp_path, *WITH_HOOK, "main.js", env=env)

    assert json.loads(plain.stdout) == {
        "a": "a",
        "b": "value",
        "resolved": str(tmp_path / "a.js"),
        "paths": True,
        "main": True,
        "dir": str(tmp_path),
        "esm": "esm",
    }
    assert cold.stdout == warm.stdout == plain.stdout
    first, second = reports(report)
    # main, a, b are cached; dynamic.js uses import() and is left to node.
    assert first == {**first, "hits": 0, "misses": 3, "skipped": 1, "written": 3}
    assert second == {**second, "hits": 3, "misses": 0, "skipped": 1, "written": 0}


def test_hook_leaves_a_syntax_error_to_node(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / "broken.js").write_text(MODULES["broken.js"])
    cache_dir.mkdir(mode=0o700)
    env = clean_env(CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir))
    done = run_node(tmp_path, *WITH_HOOK, "broken.js", env=env)
    assert done.returncode == 1
    assert f"{tmp_path / 'broken.js'}:1" in done.stderr
    assert "SyntaxError: Unexpected token ';'" in done.stderr
    assert list(cache_dir.iterdir()) == []


# Found by review H28: each of these behaved differently under the hook than under plain node.
EDGE_MODULES = {
    # One line, like jsii's minified program.js: the column of the throw must not move.
    "thrower.js": "module.exports = () => { throw new Error('where'); };\n",
    "spaced_import.js": "module.exports = import ('./esm.mjs');\n",
    "esm.mjs": "export default 'esm';\n",
    # An ES module without import/export syntax: node 20.19+ require()s it as ESM.
    "plain.mjs": "globalThis.seenRequire = typeof require;\n",
    "edge.js": (
        "let column;\n"
        "try { require('./thrower')(); } catch (e) { column = e.stack.split('\\n')[1].trim(); }\n"
        "require('./plain.mjs');\n"
        "require('./spaced_import').then((m) => console.log(JSON.stringify({\n"
        "  column, seenRequire: globalThis.seenRequire, esm: m.default,\n"
        "})));\n"
    ),
}


def test_hook_keeps_stack_columns_es_modules_and_spaced_dynamic_import(
    tmp_path: Path, cache_dir: Path
) -> None:
    for name, text in EDGE_MODULES.items():
        (tmp_path / name).write_text(text)
    cache_dir.mkdir(mode=0o700)
    plain = run_node(tmp_path, "edge.js")
    seen = json.loads(plain.stdout)
    assert seen["column"] == f"at module.exports ({tmp_path / 'thrower.js'}:1:32)"
    assert seen["seenRequire"] == "undefined" and seen["esm"] == "esm"
    env = clean_env(CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir))
    cold = run_node(tmp_path, *WITH_HOOK, "edge.js", env=env)
    warm = run_node(tmp_path, *WITH_HOOK, "edge.js", env=env)
    assert cold.stdout == warm.stdout == plain.stdout, cold.stderr
    assert len(list(cache_dir.iterdir())) == 2  # edge.js and thrower.js; the rest left to node


def test_hook_stands_aside_when_source_maps_are_on(tmp_path: Path, cache_dir: Path) -> None:
    for name, text in MODULES.items():
        (tmp_path / name).write_text(text)
    cache_dir.mkdir(mode=0o700)
    env = clean_env(CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir))
    done = run_node(tmp_path, "--enable-source-maps", *WITH_HOOK, "main.js", env=env)
    assert done.returncode == 0, done.stderr
    assert list(cache_dir.iterdir()) == []


KERNEL_LIKE = (
    "const fs = require('fs');\n"
    "const { spawnSync } = require('child_process');\n"
    "const started = Object.fromEntries(fs.readFileSync('/proc/self/environ', 'latin1')\n"
    "  .split('\\0').filter(Boolean).map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));\n"
    "const child = spawnSync(process.execPath, ['-e',\n"
    "  'console.log(process.env.NODE_EXTRA_CA_CERTS + \"|\" + process.env.NODE_OPTIONS)'],\n"
    "  { encoding: 'utf8' }).stdout.trim();\n"
    "console.log(JSON.stringify({\n"
    "  startedWithCa: started.NODE_EXTRA_CA_CERTS || null,\n"
    "  startedWithHook: (started.NODE_OPTIONS || '').includes('node_code_cache.js'),\n"
    "  ca: process.env.NODE_EXTRA_CA_CERTS, options: process.env.NODE_OPTIONS, child,\n"
    "}));\n"
)


@pytest.mark.parametrize("user_option", ["", "--import ./empty.mjs"])
def test_the_kernel_starts_with_the_synth_environment_and_gives_its_children_the_users(
    tmp_path: Path, user_option: str
) -> None:
    # Like jsii: a relay whose only child is the kernel. The kernel must start with the synth
    # environment, also when the user's NODE_OPTIONS runs the relay through the ES module loader
    # (review H29); what the kernel's JavaScript starts gets the user's environment back.
    (tmp_path / "empty.mjs").write_text("")
    (tmp_path / "kernel.js").write_text(KERNEL_LIKE)
    (tmp_path / "relay.js").write_text(
        "const { spawnSync } = require('child_process');\n"
        "setTimeout(() => process.stdout.write(spawnSync(process.execPath, ['kernel.js'],\n"
        "  { encoding: 'utf8' }).stdout), 10);\n"
    )
    user_options = " ".join(part for part in ("--max-old-space-size=3000", user_option) if part)
    restore = {"NODE_EXTRA_CA_CERTS": CA_BUNDLE, "NODE_OPTIONS": user_options}
    env = clean_env(
        NODE_OPTIONS=f'{user_options} --require "{CODE_CACHE_HOOK}"',
        CDKTF_RESTATE_KERNEL_RESTORE_ENV=json.dumps(restore),
    )
    done = run_node(tmp_path, "relay.js", env=env)
    assert json.loads(done.stdout) == {
        "startedWithCa": None,
        "startedWithHook": True,
        "ca": CA_BUNDLE,
        "options": user_options,
        "child": f"{CA_BUNDLE}|{user_options}",
    }, done.stderr


def test_missing_directories_are_made_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o002)
    try:
        reason = private_directory(tmp_path / "xdg" / "cdktf-restate" / "node-code-cache")
    finally:
        os.umask(previous)
    assert reason == ""
    for made in ("xdg", "xdg/cdktf-restate", "xdg/cdktf-restate/node-code-cache"):
        assert ((tmp_path / made).stat().st_mode & 0o777) == 0o700


def test_a_parent_reached_through_a_symlink_is_checked_where_it_really_is(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "real").mkdir(parents=True)
    shared.chmod(0o777)
    link = tmp_path / "home-cache"
    link.symlink_to(shared / "real")
    assert private_directory(link / "node-code-cache") == (
        f"{link / 'node-code-cache'}: its parent {shared} can be written by others (mode 777)"
    )


def test_no_file_owners_means_no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delattr(os, "getuid")
    assert private_directory(tmp_path / "cache") == (
        "no code cache on this platform (no file owners to check)"
    )


def test_node_options_that_need_nodes_own_compile_are_reported(cache_dir: Path) -> None:
    seen = probe(
        clean_env(CDKTF_RESTATE_CODE_CACHE_DIR=str(cache_dir), NODE_OPTIONS="--enable-source-maps")
    )
    note = "NODE_OPTIONS has --enable-source-maps, which needs node's own compile"
    assert seen["code_cache"] is None and seen["note"] == note
    assert seen["warnings"] == [
        f"SynthKernelWarning: jsii's kernel starts without the node code cache: {note}"
    ]
