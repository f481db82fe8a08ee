"""Lambda packages: deterministic zips, the cache, the restatectl lookup, and the package runs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import stat
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cdktf
import pytest

from cdktf_restate.lambdas import build as lambda_build
from cdktf_restate.lambdas.build import LambdaBuildError, ZipEntry


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(lambda_build.CACHE_DIR_ENV, str(directory))
    return directory


# The Lambda architecture this machine can run (the bootstrap test executes the package).
HOST_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
    platform.machine().lower()
]


@pytest.fixture(scope="module")
def host_package(tmp_path_factory: pytest.TempPathFactory) -> lambda_build.BuiltZip:
    """The restatectl package for this machine's architecture, built once for this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(lambda_build.CACHE_DIR_ENV, str(tmp_path_factory.mktemp("package-cache")))
        return lambda_build.restatectl_zip(HOST_ARCHITECTURE)


@pytest.fixture(scope="module")
def shared_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the tests that synthesize (they are not about the cache)."""
    return tmp_path_factory.mktemp("shared-cache")


@pytest.fixture
def shared_cache(shared_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(lambda_build.CACHE_DIR_ENV, str(shared_cache_dir))
    return shared_cache_dir


def test_same_entries_give_the_same_bytes_whatever_their_order() -> None:
    entries = [ZipEntry("b.py", b"print('b')\n"), ZipEntry("a", b"\x7fELF" * 1000, True)]

    first = lambda_build.deterministic_zip_bytes(entries)
    second = lambda_build.deterministic_zip_bytes(list(reversed(entries)))

    assert first == second
    with zipfile.ZipFile(_bytes_file(first)) as archive:
        assert archive.namelist() == ["a", "b.py"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_duplicate_entry_names_are_refused() -> None:
    with pytest.raises(LambdaBuildError, match="duplicate zip entry names"):
        lambda_build.deterministic_zip_bytes([ZipEntry("a", b"1"), ZipEntry("a", b"2")])


def test_restatectl_package_is_the_same_bytes_when_built_twice(
    host_package: lambda_build.BuiltZip, cache: Path
) -> None:
    first = host_package
    first_bytes = first.path.read_bytes()

    second = lambda_build.restatectl_zip(HOST_ARCHITECTURE)

    assert second.path.parent == cache  # built again, not read from the first cache
    assert second.path.read_bytes() == first_bytes
    assert second.source_code_hash == first.source_code_hash
    expected_hash = base64.b64encode(hashlib.sha256(first_bytes).digest()).decode()
    assert first.source_code_hash == expected_hash  # what Terraform's filebase64sha256() gives


def test_restatectl_package_holds_an_executable_bootstrap_and_the_binary(
    host_package: lambda_build.BuiltZip,
) -> None:
    package = host_package
    binary = lambda_build.find_restatectl_binary(HOST_ARCHITECTURE)

    with zipfile.ZipFile(package.path) as archive:
        modes = {info.filename: (info.external_attr >> 16) for info in archive.infolist()}
        assert archive.read("restatectl") == binary.read_bytes()
        assert archive.read("bootstrap").startswith(b"#!/bin/sh\n")
        assert b'restatectl" lambda' in archive.read("bootstrap")
    assert modes == {"bootstrap": 0o100755, "restatectl": 0o100755}


def test_a_cache_hit_reads_and_does_not_rewrite(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = lambda_build.retirement_watcher_zip()
    before = built.path.stat()

    def must_not_build(entries: Any) -> bytes:
        raise AssertionError("cache hit rebuilt the zip")

    monkeypatch.setattr(lambda_build, "deterministic_zip_bytes", must_not_build)
    again = lambda_build.retirement_watcher_zip()

    after = again.path.stat()
    assert again == built
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in cache.glob("*.zip")) == [built.path.name]
    assert not list(cache.rglob("*.tmp"))  # no temp files left


def test_file_digests_are_remembered_until_the_file_changes(cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "binary"
    source.write_bytes(b"a" * 4096)
    first = lambda_build._file_sha256(source)
    assert first == hashlib.sha256(b"a" * 4096).hexdigest()
    assert len(list((cache / "digests").glob("*.json"))) == 1

    # Same size, new content: the modification time changes, so the memo is not trusted.
    source.write_bytes(b"b" * 4096)
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 1_000_000))
    assert lambda_build._file_sha256(source) == hashlib.sha256(b"b" * 4096).hexdigest()

    # A corrupt memo is ignored and rewritten.
    for memo in (cache / "digests").glob("*.json"):
        memo.write_text("{not json")
    assert lambda_build._file_sha256(source) == hashlib.sha256(b"b" * 4096).hexdigest()


def test_changed_input_gives_a_new_cache_entry(cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "handler.py"
    source.write_text("A = 1\n")
    first = lambda_build.cached_zip("probe", {"handler.py": (source, False)})
    source.write_text("A = 2\n")

    second = lambda_build.cached_zip("probe", {"handler.py": (source, False)})

    assert first.path != second.path
    assert first.source_code_hash != second.source_code_hash
    with zipfile.ZipFile(second.path) as archive:
        assert archive.read("handler.py") == b"A = 2\n"
        assert archive.getinfo("handler.py").external_attr >> 16 == 0o100644


def test_missing_binary_error_names_architecture_paths_and_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CDKTF_RESTATE_RESTATECTL_BINARY_ARM64", raising=False)
    monkeypatch.setattr(lambda_build, "SOURCE_CHECKOUT_ROOT", tmp_path / "checkout")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(LambdaBuildError) as raised:
        lambda_build.find_restatectl_binary("arm64")

    message = str(raised.value)
    assert "no restatectl binary for the arm64 Lambda" in message
    assert (
        str(tmp_path / "checkout/node_modules/@restatedev/restatectl-linux-arm64/bin/restatectl")
        in message
    )
    assert str(tmp_path / ".cache/npm/restatectl-linux-arm64/bin/restatectl") in message
    assert "CDKTF_RESTATE_RESTATECTL_BINARY_ARM64" in message
    assert "npm install @restatedev/restatectl-linux-arm64" in message


def test_binary_override_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CDKTF_RESTATE_RESTATECTL_BINARY_X86_64", str(tmp_path / "nope"))
    with pytest.raises(
        LambdaBuildError, match=r"CDKTF_RESTATE_RESTATECTL_BINARY_X86_64=.*nope is not a file"
    ):
        lambda_build.find_restatectl_binary("x86_64")


def test_binary_override_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "restatectl"
    fake.write_bytes(b"binary")
    monkeypatch.setenv("CDKTF_RESTATE_RESTATECTL_BINARY_ARM64", str(fake))
    assert lambda_build.find_restatectl_binary("arm64") == fake


def test_unknown_architecture_is_refused() -> None:
    with pytest.raises(
        LambdaBuildError, match="architecture must be one of arm64, x86_64, got 'amd64'"
    ):
        lambda_build.find_restatectl_binary("amd64")


def test_both_architectures_are_found_in_this_checkout() -> None:
    for architecture in lambda_build.ARCHITECTURES:
        assert lambda_build.find_restatectl_binary(architecture).is_file()


# --- the package really runs restatectl's Lambda mode -------------------------------------


class FakeRuntimeApi:
    """The Lambda Runtime API (2018-06-01): hands out one invocation, records the response."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.response: dict[str, Any] | None = None
        self.answered = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path != "/2018-06-01/runtime/invocation/next" or api.answered.is_set():
                    api.answered.wait(30)
                    self.send_response(500)
                    self.end_headers()
                    return
                body = json.dumps(api.payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Lambda-Runtime-Aws-Request-Id", "request-1")
                self.send_header("Lambda-Runtime-Deadline-Ms", "9999999999999")
                self.send_header(
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:restatectl",
                )
                self.send_header(
                    "Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(length)
                if self.path == "/2018-06-01/runtime/invocation/request-1/response":
                    api.response = json.loads(data)
                self.send_response(202)
                self.end_headers()
                api.answered.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeRuntimeApi:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.answered.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def unpacked_restatectl(host_package: lambda_build.BuiltZip, tmp_path: Path) -> Iterator[Path]:
    task_root = tmp_path / "var-task"
    with zipfile.ZipFile(host_package.path) as archive:
        for info in archive.infolist():
            target = task_root / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod(stat.S_IMODE(info.external_attr >> 16))
    yield task_root


def test_bootstrap_serves_a_restatectl_invocation(unpacked_restatectl: Path) -> None:
    with FakeRuntimeApi({"args": ["--version"]}) as api:
        env = {
            "PATH": os.environ["PATH"],
            "LAMBDA_TASK_ROOT": str(unpacked_restatectl),
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "restatectl",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "stream",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/restatectl",
            "RESTATECTL_ADDRESS": "http://127.0.0.1:9/",
        }
        # The custom runtime starts ./bootstrap from /var/task with no arguments.
        process = subprocess.Popen(
            ["./bootstrap"],
            cwd=unpacked_restatectl,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert api.answered.wait(30), "bootstrap never answered the invocation"
        finally:
            process.kill()
            _, stderr = process.communicate(timeout=10)

    assert api.response is not None, stderr.decode(errors="replace")
    assert api.response["status"] == 0
    assert api.response["stdout"].startswith("restatectl 1.7")


# --- the Lambda resources point at the packaged zips ---------------------------------------


def test_synthesized_functions_reference_zips_inside_the_stack_dir(
    tmp_path: Path, shared_cache: Path
) -> None:
    from cdktf_restate._tf import Resource
    from cdktf_restate.cluster.functions import add_restatectl_lambda, add_retirement_watcher

    app = cdktf.App(outdir=str(tmp_path / "out"))
    stack = cdktf.TerraformStack(app, "probe")
    cluster = Resource(stack, "ecs", "aws_ecs_cluster", {"name": "probe"})
    common = {"log_retention_days": 365, "kms_key_arn": None, "tags": {"team": "x"}}
    add_restatectl_lambda(
        stack,
        "restatectl",
        name_prefix="probe",
        architecture="arm64",
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/cdktf-restate-controller:0.1.0",
        subnet_ids=["subnet-00000001"],
        security_group_ids=["sg-00000001"],
        restatectl_address="http://nlb:5122",
        execution_role_arn=None,
        **common,
    )
    add_retirement_watcher(
        stack,
        "watcher",
        name_prefix="probe",
        ecs_cluster_arn=cluster.arn,
        queue_kms_key_arn=None,
        execution_role_arn=None,
        **common,
    )
    app.synth()

    stack_dir = tmp_path / "out" / "stacks" / "probe"
    functions = json.loads((stack_dir / "cdk.tf.json").read_text())["resource"][
        "aws_lambda_function"
    ]
    assert len(functions) == 2
    by_name = {f["function_name"]: f for f in functions.values()}
    # restatectl is the controller image: no package to reference.
    restatectl = by_name["probe-restatectl"]
    assert restatectl["package_type"] == "Image" and "filename" not in restatectl
    assert restatectl["image_uri"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/cdktf-restate-controller:0.1.0"
    assert restatectl["architectures"] == ["arm64"]
    # The retirement watcher's zip is inside the stack dir, pinned by its hash.
    watcher = next(f for f in functions.values() if f.get("runtime") == "python3.12")
    package = stack_dir / watcher["filename"]
    assert not Path(watcher["filename"]).is_absolute()
    digest = base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
    assert watcher["source_code_hash"] == digest
    with zipfile.ZipFile(package) as archive:
        assert archive.namelist() == ["retirement_watcher.py"]


def _bytes_file(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


# --- bad input is refused before anything is synthesized -----------------------------------


def _restatectl_args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "name_prefix": "probe",
        "architecture": "arm64",
        "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/cdktf-restate-controller:0.1.0",
        "subnet_ids": ["subnet-00000001"],
        "security_group_ids": ["sg-00000001"],
        "restatectl_address": "http://nlb:5122",
        "execution_role_arn": None,
        "log_retention_days": 30,
        "kms_key_arn": None,
        "tags": {},
    }
    return {**args, **overrides}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name_prefix": "x" * 46}, "name_prefix must be 1-45 characters"),
        ({"name_prefix": "has space"}, "name_prefix must be 1-45 characters of letters"),
        ({"architecture": "amd64"}, "restatectl architecture must be one of arm64, x86_64"),
        ({"subnet_ids": []}, "restatectl subnet_ids must not be empty"),
        ({"security_group_ids": []}, "restatectl security_group_ids must not be empty"),
        ({"log_retention_days": -1}, "log_retention_days must be >= 0"),
    ],
)
def test_restatectl_lambda_refuses_bad_input(overrides: dict[str, Any], message: str) -> None:
    from cdktf_restate.cluster.functions import add_restatectl_lambda

    stack = cdktf.TerraformStack(cdktf.App(), "probe")
    with pytest.raises(ValueError, match=message):
        add_restatectl_lambda(stack, "restatectl", **_restatectl_args(**overrides))
    assert stack.node.try_find_child("restatectl") is None  # nothing was added


def test_a_token_name_prefix_is_left_to_aws(shared_cache: Path) -> None:
    from cdktf_restate.cluster.functions import add_restatectl_lambda

    stack = cdktf.TerraformStack(cdktf.App(), "probe")
    prefix = cdktf.TerraformVariable(stack, "prefix", type="string").string_value
    function = add_restatectl_lambda(stack, "restatectl", **_restatectl_args(name_prefix=prefix))
    assert cdktf.Token.is_unresolved(function.function_name)
