"""`cdktf-restate ctl` end to end: the real restatectl Lambda package (its bootstrap, under a
local Lambda Runtime API), invoked with boto3 as against AWS, answering a real dev cluster."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdktf_restate.cli.ctl import NAME_PREFIX_LENGTH, function_name_for
from cdktf_restate.devtools.local_cluster import RESTATECTL, DevCluster
from cdktf_restate.devtools.local_lambda import LocalLambda
from cdktf_restate.lambdas.build import restatectl_zip

pytestmark = pytest.mark.slow
ARCHITECTURE = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


def ctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cdktf_restate.cli", "ctl", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env or dict(os.environ),
    )


def restatectl(cluster: DevCluster, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RESTATECTL), *args, "--address", cluster.restatectl_address],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": os.environ["PATH"]},
    )


@pytest.fixture(scope="module")
def function(cluster: DevCluster) -> Iterator[LocalLambda]:
    """The restatectl Lambda of a cluster named `dev`, served on 127.0.0.1."""
    env = {"RESTATECTL_ADDRESS": cluster.restatectl_address}
    package = restatectl_zip(ARCHITECTURE).path
    with LocalLambda(package, function_name_for("dev"), env=env) as served:
        yield served


def aws_env(function: LocalLambda, **extra: str) -> dict[str, str]:
    """What a user's shell would hold, the Lambda endpoint pointed at the local function."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_LAMBDA": function.endpoint_url,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        **extra,
    }


def test_dev_prints_what_restatectl_prints(cluster: DevCluster) -> None:
    result = ctl("--dev", cluster.state_dir, "--", "nodes", "list")
    direct = restatectl(cluster, "nodes", "list")
    assert (result.returncode, result.stdout) == (0, direct.stdout)
    assert "dev-task-" in result.stdout


def test_restatectl_failures_keep_their_exit_status_and_stderr(cluster: DevCluster) -> None:
    result = ctl("--dev", cluster.state_dir, "--", "nodes", "no-such-command")
    direct = restatectl(cluster, "nodes", "no-such-command")
    assert direct.returncode != 0
    assert result.returncode == direct.returncode
    assert "unrecognized subcommand 'no-such-command'" in result.stderr


def test_cluster_and_function_invoke_the_lambda_with_boto3(
    cluster: DevCluster, function: LocalLambda
) -> None:
    by_cluster = ctl("--cluster", "dev", "--", "partitions", "list", env=aws_env(function))
    assert by_cluster.returncode == 0, by_cluster.stderr
    assert "Leader" in by_cluster.stdout
    by_name = ctl("--function", "dev-restatectl", "--", "logs", "list", env=aws_env(function))
    assert by_name.returncode == 0, by_name.stderr
    assert (
        by_name.stdout.splitlines()[3:]
        == restatectl(cluster, "logs", "list").stdout.splitlines()[3:]
    )


def test_a_missing_function_is_one_line_naming_what_to_check(function: LocalLambda) -> None:
    result = ctl("--cluster", "prod", "--", "nodes", "list", env=aws_env(function))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "cdktf-restate ctl: no Lambda function 'prod-restatectl' in us-east-1: check"
    )


def test_no_region_and_no_credentials_are_one_line(function: LocalLambda) -> None:
    env = aws_env(function)
    del env["AWS_REGION"]
    result = ctl("--function", "dev-restatectl", "--", "nodes", "list", env=env)
    assert (result.returncode, result.stderr) == (
        2,
        "cdktf-restate ctl: no AWS region: pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)\n",
    )
    env = aws_env(function)
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    result = ctl("--function", "dev-restatectl", "--", "nodes", "list", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("cdktf-restate ctl: no AWS credentials found")


def test_a_function_that_times_out_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        env = {"RESTATECTL_ADDRESS": f"http://127.0.0.1:{silent.getsockname()[1]}/"}
        package = restatectl_zip(ARCHITECTURE).path
        with LocalLambda(package, "slow-restatectl", env=env, timeout_seconds=2) as slow:
            result = ctl("--function", "slow-restatectl", "--", "nodes", "list", env=aws_env(slow))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "'slow-restatectl' timed out: check that the cluster is up" in result.stderr


def test_the_function_name_is_the_constructs() -> None:
    from cdktf_restate.cluster.functions import MAX_NAME_PREFIX_LENGTH

    assert NAME_PREFIX_LENGTH == MAX_NAME_PREFIX_LENGTH
    assert function_name_for("a" * 44 + "-_x") == "a" * 44 + "-restatectl"
