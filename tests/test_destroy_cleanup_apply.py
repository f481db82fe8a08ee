"""`terraform destroy` alone cleans up, on moto with the real hashicorp/aws provider.

The cluster (its Lambdas other than the cleanup turned off, for a shorter apply) is applied
against moto; the provider's Lambda endpoint is a ``LocalLambda`` running the real cleanup
package (``lambdas/cluster_cleanup.py`` under ``devtools/python_runtime.py``), whose boto3 talks
to the same moto; every other Lambda call goes on to moto. Then tasks are started as the
controller starts them (its startedBy and tags), plus a task of another Restate cluster in the
same ECS cluster, and EBS volumes tagged like the controller's. `terraform destroy` must
succeed, and afterwards: our tasks STOPPED with the cleanup's reason, the other cluster's task
still running, our volumes deleted (snapshot_retention_days = 0 keeps nothing), the other's kept.

Moto gap: moto keeps a stopped task's network interface (AWS deletes it when the task stops),
and moto deletes an ECS cluster or security group even while tasks run in them; so the ENI check
is on the tasks behind the interfaces: none of the cluster's interfaces belongs to a task that is
not STOPPED.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cdktf
import pytest

from cdktf_restate import (
    ControllerProps,
    CustomWidgetsProps,
    DashboardProps,
    DashboardsProps,
    MonitoringProps,
    RestatectlProps,
    RestateEcsFargateCluster,
    RetirementWatcherProps,
    Subnet,
)
from cdktf_restate._tf import AwsProvider, Resource, emulator_provider_arguments
from cdktf_restate.devtools import python_runtime
from cdktf_restate.devtools.emulator import Emulator, running_emulator
from cdktf_restate.devtools.local_lambda import LocalLambda
from cdktf_restate.devtools.terraform import Terraform
from cdktf_restate.lambdas import build as lambda_build
from cdktf_restate.lambdas.cluster_cleanup import (
    FUNCTION_SUFFIX,
    MANAGED_BY,
    STOP_REASON,
    TAG_CLUSTER,
    TAG_MANAGED_BY,
    started_by,
)

pytestmark = pytest.mark.slow

REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
CLUSTER = "cleanup-e2e"
OTHER = "other-cluster"


def build_stack(outdir: Path, emulator_url: str, lambda_url: str) -> Path:
    app = cdktf.App(outdir=str(outdir))
    stack = cdktf.TerraformStack(app, "cleanup")
    provider = emulator_provider_arguments(emulator_url, REGION)
    provider["endpoints"][0]["lambda"] = lambda_url  # the Invoke of the cleanup runs locally
    AwsProvider(stack, "aws", **provider)
    # moto's awsvpc tasks need DNS hostnames for their ENI's private DNS name.
    vpc = Resource(
        stack,
        "vpc",
        "aws_vpc",
        {"cidr_block": "10.40.0.0/16", "enable_dns_support": True, "enable_dns_hostnames": True},
    )
    subnets = [
        Resource(
            stack,
            f"subnet_{index}",
            "aws_subnet",
            {"vpc_id": vpc.id_, "cidr_block": f"10.40.{index}.0/24", "availability_zone": zone},
        )
        for index, zone in enumerate(ZONES)
    ]
    off = DashboardProps(disabled=True)
    cluster = RestateEcsFargateCluster(
        stack,
        "restate",
        cluster_name=CLUSTER,
        vpc_id=vpc.id_,
        subnets=[
            Subnet(subnet_id=s.id_, availability_zone=z)
            for s, z in zip(subnets, ZONES, strict=True)
        ],
        controller=ControllerProps(snapshot_retention_days=0),
        restatectl=RestatectlProps(disabled=True),
        retirement_watcher=RetirementWatcherProps(disabled=True),
        monitoring=MonitoringProps(
            dashboard=DashboardsProps(
                metrics=off, control_panel=off, custom_widgets=CustomWidgetsProps(disabled=True)
            )
        ),
    )
    outputs = {
        "ecs_cluster_arn": cluster.ecs_cluster_arn,
        "security_group_ids": cluster.security_group_ids,
        "subnet_ids": [s.id_ for s in subnets],
        "vpc_id": vpc.id_,
    }
    for name, value in outputs.items():
        cdktf.TerraformOutput(stack, name, value=value)
    app.synth()
    return outdir / "stacks" / "cleanup"


@dataclass(frozen=True)
class World:
    emulator: Emulator
    terraform: Terraform
    function: LocalLambda
    outputs: dict[str, Any]

    def client(self, service: str) -> Any:
        return self.emulator.client(service, REGION)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    with running_emulator() as emulator:
        # moto advances a task's status on every describe otherwise (RUNNING -> ... STOPPED).
        emulator.set_ecs_task_transitions_manual()
        env = {
            "AWS_ENDPOINT_URL": emulator.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
        command = [sys.executable, python_runtime.__file__, "cluster_cleanup.handler"]
        with LocalLambda(
            lambda_build.cluster_cleanup_zip().path,
            f"{CLUSTER}-{FUNCTION_SUFFIX}",
            env=env,
            command=command,
            timeout_seconds=300,
            forward_to=emulator.url,
        ) as function:
            stack_dir = build_stack(
                tmp_path_factory.mktemp("cleanup"), emulator.url, function.endpoint_url
            )
            terraform = Terraform(stack_dir)
            terraform.init()
            terraform.plan(out="apply.tfplan")
            terraform.apply("apply.tfplan")
            yield World(emulator, terraform, function, terraform.output_json())


def run_like_the_controller(world: World, cluster_name: str) -> str:
    """A task as the controller starts one: its startedBy and ownership tags, in the cluster's
    subnets and security group (moto's run_task needs container-level memory)."""
    ecs = world.client("ecs")
    family = ecs.register_task_definition(
        family=f"{cluster_name}-node",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "restate", "image": "busybox", "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    (task,) = ecs.run_task(
        cluster=world.outputs["ecs_cluster_arn"]["value"],
        taskDefinition=family,
        launchType="FARGATE",
        startedBy=started_by(cluster_name),
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": world.outputs["subnet_ids"]["value"][:1],
                "securityGroups": world.outputs["security_group_ids"]["value"],
            }
        },
        tags=[
            {"key": TAG_CLUSTER, "value": cluster_name},
            {"key": TAG_MANAGED_BY, "value": MANAGED_BY},
        ],
    )["tasks"]
    return str(task["taskArn"])


def volume_like_the_controller(world: World, cluster_name: str) -> str:
    tags = [
        {"Key": TAG_CLUSTER, "Value": cluster_name},
        {"Key": TAG_MANAGED_BY, "Value": MANAGED_BY},
    ]
    return str(
        world.client("ec2").create_volume(
            AvailabilityZone=ZONES[0],
            Size=20,
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )["VolumeId"]
    )


def task_states(world: World, arns: list[str]) -> dict[str, tuple[str, str, str]]:
    tasks = world.client("ecs").describe_tasks(
        cluster=world.outputs["ecs_cluster_arn"]["value"], tasks=arns
    )["tasks"]
    return {
        t["taskArn"]: (t["lastStatus"], t["desiredStatus"], t.get("stoppedReason", ""))
        for t in tasks
    }


def test_terraform_destroy_alone_stops_the_clusters_tasks_and_deletes_its_volumes(
    world: World,
) -> None:
    ecs_cluster = world.outputs["ecs_cluster_arn"]["value"]
    # The apply created the step: the function in moto, the invocation answered locally.
    functions = world.client("lambda").list_functions()["Functions"]
    assert f"{CLUSTER}-{FUNCTION_SUFFIX}" in [f["FunctionName"] for f in functions]
    ours = [run_like_the_controller(world, CLUSTER) for _ in range(3)]
    other = run_like_the_controller(world, OTHER)
    our_volumes = {volume_like_the_controller(world, CLUSTER) for _ in range(2)}
    other_volume = volume_like_the_controller(world, OTHER)
    before = task_states(world, [*ours, other])
    assert {state[1] for state in before.values()} == {"RUNNING"}, before
    service = world.client("ecs").list_services(cluster=ecs_cluster)["serviceArns"]
    assert any(arn.endswith(f"/{CLUSTER}-controller") for arn in service), service

    world.terraform.destroy()  # raises on failure, with Terraform's output

    assert world.terraform.run("state", "list").stdout.strip() == ""
    after = task_states(world, [*ours, other])
    for arn in ours:
        assert after[arn] == ("STOPPED", "STOPPED", STOP_REASON), (arn, after[arn])
    assert after[other][:2] != ("STOPPED", "STOPPED"), "another cluster's task was stopped"
    # No interface of the cluster's security group belongs to a task that still runs.
    (group,) = world.outputs["security_group_ids"]["value"]
    interfaces = world.client("ec2").describe_network_interfaces(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["NetworkInterfaces"]
    holders = {
        detail["value"]: arn
        for arn, task in (
            (t["taskArn"], t)
            for t in world.client("ecs").describe_tasks(cluster=ecs_cluster, tasks=[*ours, other])[
                "tasks"
            ]
        )
        for attachment in task.get("attachments", [])
        for detail in attachment["details"]
        if detail["name"] == "networkInterfaceId"
    }
    assert set(holders.values()) == {*ours, other}
    for interface in interfaces:
        holder = holders.get(interface["NetworkInterfaceId"])
        assert holder is not None, f"an interface of no task started here: {interface}"
        if holder in ours:
            assert after[holder][0] == "STOPPED", interface
    volumes = {v["VolumeId"] for v in world.client("ec2").describe_volumes()["Volumes"]}
    assert not our_volumes & volumes, "the cluster's volumes are left"
    assert other_volume in volumes, "another cluster's volume was deleted"
