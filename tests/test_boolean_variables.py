"""CDKTF boolean variables (IResolvables, not strings) as boolean props: validated as tokens,
synthesized, and planned by the real provider against moto."""

from __future__ import annotations

import json
from pathlib import Path

import cdktf
import pytest

from cdktf_restate import (
    AwsProvider,
    LoadBalancerProps,
    ObjectStorageProps,
    RestatectlProps,
    RestateEcsFargateCluster,
    Subnet,
    TaskProps,
)
from cdktf_restate._tf import emulator_provider_arguments
from cdktf_restate.devtools.emulator import running_emulator
from cdktf_restate.devtools.terraform import Terraform

FLAGS = ("exec", "public", "no_restatectl", "force_destroy")


def synthesize(outdir: Path, endpoint: str) -> Path:
    app = cdktf.App(outdir=str(outdir))
    stack = cdktf.TerraformStack(app, "flags")
    AwsProvider(stack, "aws", **emulator_provider_arguments(endpoint))
    flag = {
        name: cdktf.TerraformVariable(stack, name, type="bool", default=False).boolean_value
        for name in FLAGS
    }
    RestateEcsFargateCluster(
        stack,
        "restate",
        vpc_id="vpc-0000aaaa",
        subnets=[
            Subnet(subnet_id=f"subnet-0000000{zone}", availability_zone=f"us-east-1{zone}")
            for zone in "abc"
        ],
        restate_tasks=TaskProps(enable_execute_command=flag["exec"]),
        load_balancer=LoadBalancerProps(
            internet_facing=flag["public"],
            subnet_ids=["subnet-000000f1", "subnet-000000f2", "subnet-000000f3"],
        ),
        restatectl=RestatectlProps(disabled=flag["no_restatectl"]),
        object_storage=ObjectStorageProps(force_destroy=flag["force_destroy"]),
    )
    app.synth()
    return outdir / "stacks" / "flags"


@pytest.mark.slow
def test_boolean_variables_are_planned_with_their_values(tmp_path: Path) -> None:
    with running_emulator() as emulator:
        terraform = Terraform(synthesize(tmp_path, emulator.url))
        terraform.init()
        arguments = [argument for name in FLAGS for argument in ("-var", f"{name}=true")]
        terraform.run("plan", "-input=false", "-lock=false", "-out=tfplan", *arguments)
        plan = terraform.show_json("tfplan")
    after: dict[str, list[dict]] = {}
    for change in plan["resource_changes"]:
        after.setdefault(change["type"], []).append(change["change"]["after"])
    restate = [
        json.loads(d["container_definitions"])[0]
        for d in after["aws_ecs_task_definition"]
        if d.get("container_definitions") and '"name":"restate"' in d["container_definitions"]
    ]
    # Exec on: a writable root, as a JSON boolean the provider accepted.
    assert restate and all(d["readonlyRootFilesystem"] is False for d in restate)
    (balancer,) = after["aws_lb"]
    assert balancer["internal"] is False
    (bucket,) = after["aws_s3_bucket"]
    assert bucket["force_destroy"] is True
    functions = [f["function_name"] for f in after["aws_lambda_function"]]
    assert not [name for name in functions if name.endswith("-restatectl")]
