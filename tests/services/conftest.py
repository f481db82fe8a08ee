"""Real parts for the service deployer's tests: the local dev cluster (`cdktf-restate dev up`),
greeter services over HTTP, and a local Lambda + STS endpoint that restate-server's own AWS SDK
talks to (``AWS_ENDPOINT_URL_LAMBDA`` / ``AWS_ENDPOINT_URL_STS``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.emulator import free_port

GREETER = Path(__file__).with_name("greeter.py")


@contextmanager
def process(args: list[str], ready: Callable[[], bool], what: str) -> Iterator[None]:
    child = subprocess.Popen(
        [sys.executable, str(GREETER), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local_cluster.wait_until(ready, timeout=30, what=what)
        yield
    finally:
        child.kill()
        child.wait(timeout=10)


def port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        import socket

        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    return check


@contextmanager
def http_greeter(revision: int) -> Iterator[str]:
    """Greeter revision ``revision`` served over HTTP; yields its URI."""
    port = free_port()
    with process(["http", str(port), str(revision)], port_open(port), f"greeter r{revision}"):
        yield f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class LambdaEndpoint:
    url: str
    log: Path

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture(scope="session")
def lambda_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaEndpoint]:
    port = free_port()
    log = tmp_path_factory.mktemp("lambda") / "calls.jsonl"
    with process(["lambda", str(port), str(log)], port_open(port), "local Lambda endpoint"):
        yield LambdaEndpoint(f"http://127.0.0.1:{port}", log)


@contextmanager
def aws_sdk_pointed_at(endpoint: LambdaEndpoint) -> Iterator[None]:
    """restate-server processes started inside inherit these: its AWS SDK then calls Lambda and
    STS on the local endpoint (service-specific endpoint variables, so S3 stays on moto)."""
    variables = {
        "AWS_ENDPOINT_URL_LAMBDA": endpoint.url,
        "AWS_ENDPOINT_URL_STS": endpoint.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
    }
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def dev_cluster(
    tmp_path_factory: pytest.TempPathFactory, lambda_endpoint: LambdaEndpoint
) -> Iterator[local_cluster.DevCluster]:
    """`cdktf-restate dev up`: moto, 2 stateless nodes, the controller and 3 stateful nodes."""
    state_dir = tmp_path_factory.mktemp("dev-cluster")
    with aws_sdk_pointed_at(lambda_endpoint):
        cluster = local_cluster.up(state_dir, reconcile_interval=0.5)
    try:
        yield cluster
    finally:
        local_cluster.down(state_dir)


def call_handler(ingress_url: str, service: str, handler: str, argument: Any) -> Any:
    """Invoke through the ingress; a fresh registration may 404 for ~2 s on each ingress."""
    request = urllib.request.Request(
        f"{ingress_url}/{service}/{handler}",
        data=json.dumps(argument).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def admin_get(admin_url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{admin_url}{path}", timeout=10) as response:
        return json.loads(response.read())
