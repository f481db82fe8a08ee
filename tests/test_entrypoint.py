"""The Restate entrypoint, run with sh against a fake ECS task metadata endpoint (v4).

A local HTTP server serves the container and task documents; a fake ``restate-server``
on PATH prints the environment it was exec'd with. Real sh, curl and jq do the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cdktf_restate.cluster.entrypoint import COMMAND, ENTRYPOINT, ENTRYPOINT_SCRIPT

TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/restate/0f1e2d3c4b5a"
TASK = {
    "TaskARN": TASK_ARN,
    "AvailabilityZone": "eu-west-1b",
    "Limits": {"CPU": 4, "Memory": 16384},
}
CONTAINER = {
    "Name": "restate",
    "Limits": {"CPU": 4096, "Memory": 8192},
    "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.1.2.3"]}],
}


@pytest.fixture
def metadata_server() -> Iterator[dict]:
    documents: dict[str, dict] = {"/v4": CONTAINER, "/v4/task": TASK}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            body = documents.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            if body is not None:
                self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"uri": f"http://127.0.0.1:{server.server_port}/v4", "documents": documents}
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_entrypoint(tmp_path: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "restate-server"
    fake.write_text('#!/bin/sh\necho "args:$*"\nenv | grep "^RESTATE_" | sort\n')
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", **environment}
    assert ENTRYPOINT[0] == "/bin/sh"
    return subprocess.run(
        ["sh", ENTRYPOINT[1], *COMMAND], env=env, capture_output=True, text=True, timeout=30
    )


def parse(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


def test_node_identity_comes_from_task_metadata(tmp_path: Path, metadata_server: dict) -> None:
    result = run_entrypoint(
        tmp_path,
        {"ECS_CONTAINER_METADATA_URI_V4": metadata_server["uri"], "AWS_REGION": "eu-west-1"},
    )
    assert result.returncode == 0, result.stderr
    env = parse(result.stdout)
    assert env["RESTATE_NODE_NAME"] == TASK_ARN
    assert env["RESTATE_LOCATION"] == "eu-west-1.eu-west-1b"
    assert env["RESTATE_ADVERTISED_ADDRESS"] == "http://10.1.2.3:5122"
    assert env["RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE"] == "6144MiB"  # 75% of the container's 8192


def test_region_from_task_arn_and_memory_from_task_limits(
    tmp_path: Path, metadata_server: dict
) -> None:
    metadata_server["documents"]["/v4"] = {**CONTAINER, "Limits": {"CPU": 4096}}
    result = run_entrypoint(tmp_path, {"ECS_CONTAINER_METADATA_URI_V4": metadata_server["uri"]})
    assert result.returncode == 0, result.stderr
    env = parse(result.stdout)
    assert env["RESTATE_LOCATION"] == "eu-west-1.eu-west-1b"
    assert env["RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE"] == "12288MiB"  # 75% of the task's 16384


def test_explicit_rocksdb_memory_wins(tmp_path: Path, metadata_server: dict) -> None:
    result = run_entrypoint(
        tmp_path,
        {
            "ECS_CONTAINER_METADATA_URI_V4": metadata_server["uri"],
            "RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE": "1GiB",
        },
    )
    assert result.returncode == 0, result.stderr
    assert parse(result.stdout)["RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE"] == "1GiB"


def test_fails_without_metadata_endpoint(tmp_path: Path) -> None:
    result = run_entrypoint(tmp_path, {})
    assert result.returncode != 0
    assert "ECS_CONTAINER_METADATA_URI_V4" in result.stderr
    assert "args:" not in result.stdout  # restate-server never started


def test_fails_when_metadata_lacks_the_address(tmp_path: Path, metadata_server: dict) -> None:
    metadata_server["documents"]["/v4"] = {"Name": "restate", "Networks": []}
    result = run_entrypoint(tmp_path, {"ECS_CONTAINER_METADATA_URI_V4": metadata_server["uri"]})
    assert result.returncode != 0
    assert "args:" not in result.stdout


def test_script_is_posix_sh() -> None:
    # dash is a strict POSIX shell; -n parses without running.
    assert (
        subprocess.run(["dash", "-n", "-c", ENTRYPOINT_SCRIPT], capture_output=True).returncode == 0
    )
    assert os.path.basename(ENTRYPOINT[0]) == "sh"
