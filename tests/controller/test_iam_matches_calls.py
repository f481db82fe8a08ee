"""The controller's IAM policy, as the construct synthesizes it, allows exactly the calls the
controller makes.

Given a stack with `RestateEcsFargateCluster` (EBS volumes on), synthesized; its Terraform
references are resolved to real resources in a moto server (cluster, roles, task definition,
subnets, security group). The controller is configured from the synthesized controller
environment, runs a fill, a rolling replacement and an EBS clean-up against moto, and every
boto3 call it makes is recorded. Each call becomes the IAM requests AWS authorizes for it
(action, resource ARN, condition context, per the Service Authorization Reference); each request
must be allowed by the synthesized statements, and every action in the policy must be used.
"""

from __future__ import annotations

import fnmatch
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cdktf
import pytest
from conftest import AZS, REGION, AwsWorld, CallRecorder, TaskDrivenRestate
from restate_controller.backends.ecs import EcsBackend, check_subnet_zones
from restate_controller.config import Config, load_config
from restate_controller.loop import JsonLog, Reconciler
from restate_controller.model import MANAGED_BY, TAG_AZ, TAG_CLUSTER, TAG_MANAGED_BY
from restate_controller.volumes import VolumeJanitor

from cdktf_restate import (
    EbsVolumeProps,
    RestatectlProps,
    RestateEcsFargateCluster,
    RetirementWatcherProps,
    StatefulNodeProps,
    Subnet,
)
from cdktf_restate._tf import AwsProvider

ACCOUNT = "123456789012"  # moto's default account
# A Terraform reference; `$${` is Terraform's escape for a literal `${` (shell variables).
TOKEN = re.compile(r"(?<!\$)\$\{([^}]+)\}")

Doc = dict[str, Any]


@dataclass(frozen=True)
class Request:
    """One authorization AWS performs: action on resource, with condition context."""

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)
    call: str = ""


# ---------------------------------------------------------------------------------------------
# Synthesis and resolution of Terraform references against moto
# ---------------------------------------------------------------------------------------------
def synthesize(outdir: Path, world: AwsWorld) -> Doc:
    app = cdktf.App(outdir=str(outdir))
    stack = cdktf.TerraformStack(app, "iamprobe")
    AwsProvider(stack, "aws", region=REGION)
    subnets = [Subnet(subnet_id=world.subnets_by_az[az], availability_zone=az) for az in AZS]
    RestateEcsFargateCluster(
        stack,
        "restate",
        vpc_id="vpc-0000bbbb",
        subnets=subnets,
        stateful_node=StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=50)),
        restatectl=RestatectlProps(disabled=True),
        retirement_watcher=RetirementWatcherProps(disabled=True),
    )
    app.synth()
    return json.loads((outdir / "stacks" / "iamprobe" / "cdk.tf.json").read_text())


class Resolver:
    """Turns `${type.name.attribute}` into values of real resources created in moto."""

    def __init__(self, doc: Doc, world: AwsWorld) -> None:
        self.doc = doc
        self.world = world
        self.values: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        resolved = TOKEN.sub(lambda match: self.value(match.group(1)), text)
        return resolved.replace("$${", "${")

    def value(self, reference: str) -> str:
        if reference not in self.values:
            self.values[reference] = self._create(reference)
        return self.values[reference]

    def _create(self, reference: str) -> str:
        parts = reference.split(".")
        if parts[0] == "data":
            kind, attribute = parts[1], parts[-1]
            return {
                "aws_partition": "aws",
                "aws_region": REGION,
                "aws_caller_identity": ACCOUNT,
            }.get(kind, f"unresolved-{kind}-{attribute}")
        kind, name, attribute = parts[0], parts[1], parts[-1]
        resource = self.doc["resource"].get(kind, {}).get(name, {})
        if kind == "aws_ecs_cluster":
            cluster = self.world.client("ecs").create_cluster(clusterName=resource["name"])[
                "cluster"
            ]
            self.values[f"{kind}.{name}.name"] = cluster["clusterName"]
            self.values[f"{kind}.{name}.arn"] = cluster["clusterArn"]
            return self.values[reference]
        if kind == "aws_iam_role":
            role_name = resource.get("name") or name
            role = self.world.client("iam").create_role(
                RoleName=self(role_name),
                AssumeRolePolicyDocument=self(resource["assume_role_policy"]),
            )["Role"]
            self.values[f"{kind}.{name}.name"] = role["RoleName"]
            self.values[f"{kind}.{name}.arn"] = role["Arn"]
            return self.values[reference]
        if kind == "aws_ecs_task_definition" and attribute == "arn":
            return self.register(resource)
        if kind == "aws_security_group" and attribute == "id":
            return str(self.world.security_group_ids[0])
        # Addresses and names that play no part in authorization (NLB DNS, log groups).
        return f"unresolved-{kind}-{name}-{attribute}".replace("_", "-")

    def register(self, resource: Doc, image: str | None = None) -> str:
        containers = json.loads(self(resource["container_definitions"]))
        for container in containers:
            container.setdefault("memory", int(resource["memory"]))  # moto needs container memory
            if image is not None:
                container["image"] = image
        volumes = [
            {"name": volume["name"], "configuredAtLaunch": bool(volume.get("configure_at_launch"))}
            for volume in resource.get("volume", [])
        ]
        return str(
            self.world.client("ecs").register_task_definition(
                family=resource["family"],
                networkMode=resource["network_mode"],
                requiresCompatibilities=resource["requires_compatibilities"],
                cpu=str(resource["cpu"]),
                memory=str(resource["memory"]),
                taskRoleArn=self(resource["task_role_arn"]),
                executionRoleArn=self(resource["execution_role_arn"]),
                containerDefinitions=containers,
                volumes=volumes,
            )["taskDefinition"]["taskDefinitionArn"]
        )


def named(doc: Doc, kind: str, contains: str) -> Doc:
    matches = [value for key, value in doc["resource"].get(kind, {}).items() if contains in key]
    assert len(matches) == 1, f"{kind} *{contains}*: {sorted(doc['resource'].get(kind, {}))}"
    return matches[0]


def controller_environment(doc: Doc, resolve: Resolver) -> dict[str, str]:
    definition = named(doc, "aws_ecs_task_definition", "controller")
    (container,) = json.loads(definition["container_definitions"])
    return {item["name"]: resolve(item["value"]) for item in container["environment"]} | {
        "AWS_REGION": REGION
    }


# ---------------------------------------------------------------------------------------------
# Calls -> IAM requests (Service Authorization Reference for ECS, EC2, IAM)
# ---------------------------------------------------------------------------------------------
def ecs_arn(kind: str, rest: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:{kind}/{rest}"


def task_resource(cluster_name: str, task: str) -> str:
    return task if task.startswith("arn:") else ecs_arn("task", f"{cluster_name}/{task}")


def tag_context(tags: dict[str, str], prefix: str = "aws:RequestTag/") -> dict[str, str]:
    return {f"{prefix}{key}": value for key, value in tags.items()}


def requests_for(recorder: CallRecorder, config: Config, ecs: Any) -> list[Request]:
    """`ecs` is an unrecorded client, to look up the roles of the task definitions run."""
    cluster_arn = str(config.ecs_cluster_arn)
    cluster_name = cluster_arn.rsplit("/", 1)[-1]
    cluster = {"ecs:cluster": cluster_arn}
    volume_tags: dict[str, dict[str, str]] = {}
    snapshot_tags: dict[str, dict[str, str]] = {}
    requests: list[Request] = []
    for (service, operation, params), response in zip(
        recorder.calls, recorder.responses, strict=True
    ):
        name = f"{service}:{operation}"
        add = lambda action, resource, context=None, name=name: requests.append(  # noqa: E731
            Request(action, resource, context or {}, name)
        )
        if name == "ecs:ListTasks":
            add("ecs:ListTasks", ecs_arn("container-instance", f"{cluster_name}/*"), cluster)
        elif name == "ecs:DescribeTasks":
            for task in params["tasks"]:
                add("ecs:DescribeTasks", task_resource(cluster_name, task), cluster)
        elif name == "ecs:RunTask":
            add("ecs:RunTask", params["taskDefinition"], cluster)
            tags = {tag["key"]: tag["value"] for tag in params.get("tags", [])}
            for task in response.get("tasks", []):
                add(
                    "ecs:TagResource",
                    task["taskArn"],
                    {"ecs:CreateAction": "RunTask", **tag_context(tags)},
                )
            definition = ecs.describe_task_definition(taskDefinition=params["taskDefinition"])[
                "taskDefinition"
            ]
            for role in (definition.get("taskRoleArn"), definition.get("executionRoleArn")):
                if role:
                    add("iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
            for volume in params.get("volumeConfigurations", []):
                add(
                    "iam:PassRole",
                    volume["managedEBSVolume"]["roleArn"],
                    {"iam:PassedToService": "ecs.amazonaws.com"},
                )
        elif name == "ecs:TagResource":
            tags = {tag["key"]: tag["value"] for tag in params["tags"]}
            add("ecs:TagResource", params["resourceArn"], tag_context(tags))
        elif name == "ecs:StopTask":
            add("ecs:StopTask", task_resource(cluster_name, params["task"]), cluster)
        elif name == "ec2:DescribeSubnets":
            add("ec2:DescribeSubnets", "*")
        elif name == "ec2:DescribeVolumes":
            add("ec2:DescribeVolumes", "*")
            for volume in response.get("Volumes", []):
                volume_tags[volume["VolumeId"]] = {
                    t["Key"]: t["Value"] for t in volume.get("Tags", [])
                }
        elif name == "ec2:DescribeSnapshots":
            add("ec2:DescribeSnapshots", "*")
            for snapshot in response.get("Snapshots", []):
                snapshot_tags[snapshot["SnapshotId"]] = {
                    t["Key"]: t["Value"] for t in snapshot.get("Tags", [])
                }
        elif name == "ec2:CreateSnapshot":
            volume_id = params["VolumeId"]
            new_tags = {
                tag["Key"]: tag["Value"]
                for spec in params.get("TagSpecifications", [])
                for tag in spec["Tags"]
            }
            snapshot = f"arn:aws:ec2:{REGION}::snapshot/{response['SnapshotId']}"
            add(
                "ec2:CreateSnapshot",
                f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{volume_id}",
                tag_context(volume_tags[volume_id], "aws:ResourceTag/"),
            )
            add("ec2:CreateSnapshot", snapshot, tag_context(new_tags))
            add(
                "ec2:CreateTags",
                snapshot,
                {"ec2:CreateAction": "CreateSnapshot", **tag_context(new_tags)},
            )
        elif name == "ec2:DeleteVolume":
            volume_id = params["VolumeId"]
            add(
                "ec2:DeleteVolume",
                f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{volume_id}",
                tag_context(volume_tags[volume_id], "aws:ResourceTag/"),
            )
        elif name == "ec2:DeleteSnapshot":
            snapshot_id = params["SnapshotId"]
            add(
                "ec2:DeleteSnapshot",
                f"arn:aws:ec2:{REGION}::snapshot/{snapshot_id}",
                tag_context(snapshot_tags[snapshot_id], "aws:ResourceTag/"),
            )
        else:
            raise AssertionError(f"no IAM mapping for {name}: add it here and to the README")
    return requests


# ---------------------------------------------------------------------------------------------
# A small IAM evaluator: Allow/Deny, Action/Resource wildcards, the condition operators used here
# ---------------------------------------------------------------------------------------------
def as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def condition_holds(conditions: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    for operator, entries in conditions.items():
        for key, expected in entries.items():
            actual = context.get(key)
            if actual is None:
                return False
            values = as_list(expected)
            if operator in ("StringEquals", "ArnEquals"):
                ok = actual in values
            elif operator in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(actual, value) for value in values)
            else:
                raise AssertionError(f"condition operator {operator} not modelled by this test")
            if not ok:
                return False
    return True


def statement_matches(statement: Doc, request: Request) -> bool:
    actions = as_list(statement.get("Action", []))
    resources = as_list(statement.get("Resource", []))
    return (
        any(fnmatch.fnmatchcase(request.action.lower(), action.lower()) for action in actions)
        and any(fnmatch.fnmatchcase(request.resource, resource) for resource in resources)
        and condition_holds(statement.get("Condition", {}), request.context)
    )


def allowed(statements: list[Doc], request: Request) -> bool:
    if any(s["Effect"] == "Deny" and statement_matches(s, request) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and statement_matches(s, request) for s in statements)


# ---------------------------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------------------------
@dataclass
class Observed:
    statements: list[Doc]
    requests: list[Request]
    config: Config


@pytest.fixture(scope="module")
def observed(aws_world: AwsWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    doc = synthesize(tmp_path_factory.mktemp("iam"), aws_world)
    resolve = Resolver(doc, aws_world)
    env = controller_environment(doc, resolve)
    config = load_config(env)  # the construct's environment satisfies the controller's contract
    assert config.ebs_volume is not None

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_world.emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    recorder = CallRecorder()
    try:
        # At start the controller checks each subnet's zone (recorded here on its own client).
        check_subnet_zones(recorder.attach(aws_world.client("ec2")), config.subnets_by_az)
        # Fill on the synthesized task definition, then roll to a new revision of its family.
        backend = EcsBackend.from_config(config)
        recorder.attach(backend.ecs)
        ops = TaskDrivenRestate(backend)
        run_until_idle(config, backend, ops)
        stateful = named(doc, "aws_ecs_task_definition", "stateful")
        new_revision = resolve.register(
            stateful, image="docker.restate.dev/restatedev/restate:1.7.13"
        )
        rolled = replace(config, task_definition=new_revision)
        backend = EcsBackend.from_config(rolled)
        recorder.attach(backend.ecs)
        ops.backend = backend
        run_until_idle(rolled, backend, ops)

        # Retired volumes (ECS tags them from the RunTask tag specification) are cleaned up.
        janitor = VolumeJanitor.from_config(config)
        recorder.attach(janitor.ec2)
        ec2 = aws_world.client("ec2")
        tags = [
            {"Key": TAG_CLUSTER, "Value": config.cluster_name},
            {"Key": TAG_MANAGED_BY, "Value": MANAGED_BY},
            {"Key": TAG_AZ, "Value": AZS[0]},
        ]
        ec2.create_volume(
            AvailabilityZone=AZS[0],
            Size=50,
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )
        start = time.time()
        for offset in (7_200, 7_600, 9 * 86_400):
            janitor(start + offset)
    finally:
        monkeypatch.undo()
    operations = set(recorder.operations())
    assert {
        "ec2:DescribeSubnets",
        "ec2:CreateSnapshot",
        "ec2:DeleteVolume",
        "ec2:DeleteSnapshot",
        "ecs:StopTask",
    } <= operations
    policy = json.loads(resolve(named(doc, "aws_iam_role_policy", "controller_task")["policy"]))
    yield Observed(
        policy["Statement"], requests_for(recorder, config, aws_world.client("ecs")), config
    )


def run_until_idle(config: Config, backend: EcsBackend, ops: TaskDrivenRestate) -> None:
    loop = Reconciler(
        config.desired_spec(), backend, ops, sleep=lambda _: None, log=JsonLog(io.StringIO())
    )
    for _ in range(60):
        status = loop.run_once()
        assert status.healthy, status.reason
        if status.phase == "idle":
            return
    raise AssertionError("controller did not reach idle")


def test_every_call_the_controller_makes_is_allowed(observed: Observed) -> None:
    denied = [request for request in observed.requests if not allowed(observed.statements, request)]
    assert denied == [], "\n".join(
        f"{r.call}: {r.action} on {r.resource} with {r.context}" for r in denied
    )


def test_the_policy_grants_no_action_the_controller_never_uses(observed: Observed) -> None:
    granted = {
        action
        for s in observed.statements
        if s["Effect"] == "Allow"
        for action in as_list(s["Action"])
    }
    used = {request.action for request in observed.requests}
    assert granted - used == set()
    assert not any("*" in action for action in granted)


def test_the_policy_is_scoped_to_this_cluster(observed: Observed) -> None:
    """The same calls against another cluster's resources are denied."""
    other = [
        replace(
            request,
            resource=request.resource.replace(
                f"/{observed.config.ecs_cluster_arn.rsplit('/', 1)[-1]}/", "/other/"
            ),
        )
        for request in observed.requests
        if request.action in ("ecs:StopTask", "ecs:TagResource", "ecs:DescribeTasks")
    ]
    assert other and not any(allowed(observed.statements, request) for request in other)
    foreign_tags = [
        replace(request, context={**request.context, f"aws:ResourceTag/{TAG_CLUSTER}": "other"})
        for request in observed.requests
        if request.action in ("ec2:DeleteVolume", "ec2:DeleteSnapshot")
    ]
    assert foreign_tags and not any(
        allowed(observed.statements, request) for request in foreign_tags
    )
    passing_other_role = [
        replace(request, resource=f"arn:aws:iam::{ACCOUNT}:role/admin")
        for request in observed.requests
        if request.action == "iam:PassRole"
    ]
    assert passing_other_role and not any(
        allowed(observed.statements, r) for r in passing_other_role
    )
