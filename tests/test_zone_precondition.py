"""Subnets given without their zones: Terraform checks "zone replication + 1 distinct zones" at
plan time, against the zones the data sources find, before anything is created."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cdktf
import pytest

from cdktf_restate import RestateEcsFargateCluster
from cdktf_restate._tf import AwsProvider, emulator_provider_arguments
from cdktf_restate.devtools.emulator import Emulator, running_emulator
from cdktf_restate.devtools.terraform import Terraform
from cdktf_restate.schema.props import RestatectlProps, RetirementWatcherProps

REGION = "us-east-1"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with running_emulator() as running:
        yield running


def plan_cluster(emulator: Emulator, workdir: Path, zones: list[str]) -> tuple[dict, object]:
    vpc, subnet_ids = emulator.vpc_with_subnets(zones, region=REGION)
    app = cdktf.App(outdir=str(workdir))
    stack = cdktf.TerraformStack(app, "zones")
    cdktf.LocalBackend(stack, path="terraform.tfstate")
    AwsProvider(stack, "aws", **emulator_provider_arguments(emulator.url, REGION))
    RestateEcsFargateCluster(
        stack,
        "restate",
        vpc_id=vpc,
        subnets=subnet_ids,  # ids only: the zones are looked up
        restatectl=RestatectlProps(disabled=True),
        retirement_watcher=RetirementWatcherProps(disabled=True),
    )
    app.synth()
    stack_dir = workdir / "stacks" / "zones"
    document = json.loads((stack_dir / "cdk.tf.json").read_text())
    terraform = Terraform(stack_dir)
    terraform.init()
    return document, terraform.plan(check=False)


def test_two_zones_fail_the_plan_with_the_rule(emulator: Emulator, tmp_path: Path) -> None:
    document, plan = plan_cluster(emulator, tmp_path, ["us-east-1a", "us-east-1a", "us-east-1b"])
    (task_definition,) = [
        value
        for key, value in document["resource"]["aws_ecs_task_definition"].items()
        if "stateful" in key
    ]
    (rule,) = task_definition["lifecycle"]["precondition"]
    assert "distinct([data.aws_subnet." in rule["condition"] and ">= 3" in rule["condition"]
    assert plan.returncode == 1, plan.stdout
    output = " ".join((plan.stdout + plan.stderr).split())  # terraform wraps long lines
    assert "Resource precondition failed" in output
    assert "subnets: the subnets are in fewer than 3 distinct availability zones" in output


def test_three_zones_plan(emulator: Emulator, tmp_path: Path) -> None:
    _, plan = plan_cluster(emulator, tmp_path, ["us-east-1a", "us-east-1b", "us-east-1c"])
    assert plan.returncode == 2, plan.stdout + plan.stderr  # changes, no error
