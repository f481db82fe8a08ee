"""A moto server on 127.0.0.1 with what the stateful tasks need: VPC (DNS hostnames on), one subnet
per AZ, a security group, roles, an ECS cluster and the stateful task definition."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from restate_controller.backends.base import TaskBackend
from restate_controller.model import ClusterView, NodeInfo

from cdktf_restate.devtools.emulator import Emulator, running_emulator

REGION = "us-east-1"
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
FAMILY = "demo-stateful"
CONTAINER = "restate"


@dataclass
class CallRecorder:
    """Every API call a boto3 client makes: (service, operation, params), as sent, and the parsed
    responses in the same order (`responses[i]` belongs to `calls[i]`)."""

    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)

    def attach(self, client: Any) -> Any:
        service = client.meta.service_model.service_name
        events = client.meta.events

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            self.calls.append((service, model.name, dict(params)))
            self.responses.append({})

        def answer(parsed: dict[str, Any], **_: Any) -> None:
            self.responses[-1] = parsed

        events.register(f"provide-client-params.{service}.*", record)
        events.register(f"after-call.{service}.*", answer)
        return client

    def operations(self) -> list[str]:
        return [f"{service}:{operation}" for service, operation, _ in self.calls]


@dataclass
class AwsWorld:
    emulator: Emulator
    cluster_arn: str
    cluster_name: str
    subnets_by_az: dict[str, str]
    security_group_ids: tuple[str, ...]
    task_role_arn: str
    execution_role_arn: str
    ebs_role_arn: str
    task_definitions: list[str]

    def client(self, service: str) -> Any:
        return self.emulator.client(service, REGION)

    def register_revision(self, image: str) -> str:
        ecs = self.client("ecs")
        arn = ecs.register_task_definition(
            family=FAMILY,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="1024",
            memory="2048",
            taskRoleArn=self.task_role_arn,
            executionRoleArn=self.execution_role_arn,
            # moto's run_task needs container-level memory.
            containerDefinitions=[
                {
                    "name": CONTAINER,
                    "image": image,
                    "memory": 2048,
                    "essential": True,
                    "mountPoints": [
                        {"sourceVolume": "restate-data", "containerPath": "/restate-data"}
                    ],
                }
            ],
            volumes=[{"name": "restate-data", "configuredAtLaunch": True}],
        )["taskDefinition"]["taskDefinitionArn"]
        self.task_definitions.append(arn)
        return str(arn)


def freeze_ecs_task_status(emulator: Emulator) -> None:
    """Keep tasks where RunTask/StopTask put them.

    `Emulator.set_ecs_task_transitions_manual()` posts progression "manual" with times=1, which in
    moto still advances a task one status (RUNNING -> DEACTIVATING -> ...) per DescribeTasks; a
    huge `times` keeps moto from ever advancing a task by itself.
    """
    body = json.dumps(
        {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**9}}
    ).encode()
    request = urllib.request.Request(
        f"{emulator.url}/moto-api/state-manager/set-transition", data=body, method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture(scope="session")
def aws_world() -> Iterator[AwsWorld]:
    with running_emulator() as emulator:
        freeze_ecs_task_status(emulator)
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=emulator.url)

        ec2 = client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        subnets = {
            az: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=az)[
                "Subnet"
            ]["SubnetId"]
            for index, az in enumerate(AZS)
        }
        group = ec2.create_security_group(GroupName="stateful", Description="stateful", VpcId=vpc)[
            "GroupId"
        ]
        iam = client("iam")
        trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
        roles = {
            name: iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            for name in ("demo-task", "demo-exec", "demo-ebs")
        }
        cluster = client("ecs").create_cluster(clusterName="demo")["cluster"]["clusterArn"]
        world = AwsWorld(
            emulator=emulator,
            cluster_arn=cluster,
            cluster_name="demo",
            subnets_by_az=subnets,
            security_group_ids=(group,),
            task_role_arn=roles["demo-task"],
            execution_role_arn=roles["demo-exec"],
            ebs_role_arn=roles["demo-ebs"],
            task_definitions=[],
        )
        world.register_revision("docker.restate.dev/restatedev/restate:1.7.11")
        world.register_revision("docker.restate.dev/restatedev/restate:1.7.12")
        yield world


class TaskDrivenRestate:
    """RestateOps whose nodes are the backend's tasks; a marked node's drain completes at once."""

    def __init__(self, backend: TaskBackend) -> None:
        self.backend = backend
        self.ids: dict[str, int] = {}
        self.draining: set[int] = set()
        self.removed: set[int] = set()

    def observe(self) -> ClusterView:
        nodes = []
        for task in self.backend.list_tasks():
            node_id = self.ids.setdefault(task.node_name, len(self.ids) + 1)
            if node_id in self.removed:
                continue
            marked = node_id in self.draining
            nodes.append(
                NodeInfo(
                    node_id,
                    task.node_name,
                    f"{REGION}.{task.az}",
                    task.status == "RUNNING",
                    "read-only" if marked else "read-write",
                    "draining" if marked else "active",
                )
            )
        placed = [n.node_id for n in nodes if n.node_id not in self.draining]
        return ClusterView(
            nodes=tuple(nodes),
            partition_replicas=dict.fromkeys(placed, 2),
            nodeset_members=frozenset(placed),
            loglet_servers={
                n.node_id: ((0, 0) if n.node_id in self.draining else (1, 1)) for n in nodes
            },
            provisioned=True,
        )

    def mark_draining(self, node_id: int) -> None:
        self.draining.add(node_id)

    def snapshot_and_trim(self) -> None:
        return None

    def remove_node(self, node_id: int) -> None:
        self.removed.add(node_id)

    def disable_dead_node(self, node_id: int) -> None:
        self.draining.add(node_id)
