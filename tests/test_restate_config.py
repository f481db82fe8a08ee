"""The Restate environment the construct writes is understood by the real restate-server 1.7.

Given the synthesized stateless and stateful task definitions (Terraform references replaced by
plausible values) plus what the entrypoint exports, when restate-server prints its effective
configuration (``--dump-config``), then every setting the construct meant is in effect.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import cdktf
import pytest

from cdktf_restate import (
    RestatectlProps,
    RestateEcsFargateCluster,
    RetirementWatcherProps,
    Subnet,
)
from cdktf_restate._tf import AwsProvider
from cdktf_restate.devtools.local_cluster import RESTATE_SERVER

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
REFERENCES = {
    "data.aws_region": "us-east-1",
    "aws_s3_bucket": "restate-bucket",
    "aws_lb": "internal-nlb.elb.amazonaws.com",
}
#: What the entrypoint exports on ECS (tested in test_entrypoint.py).
ENTRYPOINT_EXPORTS = {
    "RESTATE_NODE_NAME": "arn:aws:ecs:us-east-1:123456789012:task/probe/abc",
    "RESTATE_LOCATION": "us-east-1.us-east-1a",
    "RESTATE_ADVERTISED_ADDRESS": "http://10.0.1.5:5122",
    "RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE": "24576MiB",
}


def resolve(value: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        reference = match.group(1)
        for prefix, concrete in REFERENCES.items():
            if reference.startswith(prefix):
                return concrete
        raise AssertionError(f"unexpected reference {reference}")

    return re.sub(r"\$\{([^}]+)\}", substitute, value)


@pytest.fixture(scope="module")
def environments(tmp_path_factory) -> dict[str, dict[str, str]]:
    outdir = tmp_path_factory.mktemp("restate-config")
    app = cdktf.App(outdir=str(outdir))
    stack = cdktf.TerraformStack(app, "probe")
    AwsProvider(stack, "aws", region="us-east-1")
    RestateEcsFargateCluster(
        stack,
        "restate",
        cluster_name="probe",
        vpc_id="vpc-0000aaaa",
        subnets=[Subnet(subnet_id=f"subnet-0000000{z[-1]}", availability_zone=z) for z in ZONES],
        restatectl=RestatectlProps(disabled=True),
        retirement_watcher=RetirementWatcherProps(disabled=True),
    )
    app.synth()
    doc = json.loads((outdir / "stacks" / "probe" / "cdk.tf.json").read_text())
    result = {}
    for name, task_definition in doc["resource"]["aws_ecs_task_definition"].items():
        kind = next((k for k in ("stateless", "stateful") if k in name), None)
        if kind:
            (container,) = json.loads(task_definition["container_definitions"])
            result[kind] = {e["name"]: resolve(e["value"]) for e in container["environment"]}
    return result


def dump_config(environment: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment, **ENTRYPOINT_EXPORTS}
    env["RESTATE_BASE_DIR"] = str(tmp_path / "restate-data")  # never touch /restate-data here
    result = subprocess.run(
        [str(RESTATE_SERVER), "--dump-config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return tomllib.loads(result.stdout)


def test_stateless_configuration(environments: dict[str, dict[str, str]], tmp_path: Path) -> None:
    config = dump_config(environments["stateless"], tmp_path)
    assert sorted(config["roles"]) == ["admin", "http-ingress"]
    assert config["auto-provision"] is True
    assert config["cluster-name"] == "probe"
    assert config["default-replication"] == "{zone: 2}"
    assert config["default-num-partitions"] == 128
    assert config["bind-ip"] == "0.0.0.0"
    assert config["metadata-client"]["type"] == "object-store"
    assert config["metadata-client"]["path"] == "s3://restate-bucket/metadata"
    assert config["metadata-client"]["aws-region"] == "us-east-1"
    assert config["bifrost"]["default-provider"] == "replicated"
    assert config["worker"]["snapshots"]["destination"] == "s3://restate-bucket/snapshots"
    assert (
        config["ingress"]["advertised-ingress-endpoint"]
        == "http://internal-nlb.elb.amazonaws.com:8080/"
    )
    # and the entrypoint's identity settings
    assert config["node-name"] == ENTRYPOINT_EXPORTS["RESTATE_NODE_NAME"]
    assert config["location"] == "us-east-1.us-east-1a"
    assert config["advertised-address"] == "http://10.0.1.5:5122/"
    assert config["rocksdb-total-memory-size"] == "24.0 GiB"


def test_stateful_configuration(environments: dict[str, dict[str, str]], tmp_path: Path) -> None:
    config = dump_config(environments["stateful"], tmp_path)
    assert sorted(config["roles"]) == ["log-server", "worker"]
    assert config["auto-provision"] is False
    assert config["metadata-client"]["path"] == "s3://restate-bucket/metadata"
    assert config["worker"]["snapshots"]["destination"] == "s3://restate-bucket/snapshots"
    assert config["worker"]["snapshots"]["aws-region"] == "us-east-1"
    assert environments["stateful"]["RESTATE_BASE_DIR"] == "/restate-data"  # the mounted volume
