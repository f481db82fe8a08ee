"""ECS backend against a real moto server: the planner's decisions become the right RunTask,
TagResource and StopTask calls, and ListTasks/DescribeTasks read them back."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from conftest import AZS, FAMILY, REGION, AwsWorld, CallRecorder, TaskDrivenRestate
from restate_controller.backends.ecs import EcsBackend, EcsSettings, check_subnet_zones, started_by
from restate_controller.config import EbsVolume
from restate_controller.loop import JsonLog, Reconciler
from restate_controller.model import (
    MANAGED_BY,
    TAG_AZ,
    TAG_CLUSTER,
    TAG_MANAGED_BY,
    TAG_NODE_ID,
    TAG_PHASE,
    TAG_REPLACES,
    ControllerError,
    DesiredSpec,
    DisruptionBudget,
    PermanentError,
    TemporaryError,
)
from restate_controller.volumes import TAG_VOLUME_ID, VolumeJanitor

from cdktf_restate.devtools.emulator import free_port

NOON = 1_800_000_000.0  # a fixed clock for the backends whose clientTokens are compared
EBS = EbsVolume(
    size_gib=40, volume_type="gp3", iops=3000, throughput=125, role_arn="", encrypted=True
)


@pytest.fixture
def ecs_cluster(aws_world: AwsWorld) -> Iterator[str]:
    """A fresh ECS cluster per test, so tests never see each other's tasks."""
    name = f"demo-{uuid.uuid4().hex[:8]}"
    yield aws_world.client("ecs").create_cluster(clusterName=name)["cluster"]["clusterArn"]


def make_backend(
    world: AwsWorld,
    cluster_arn: str,
    task_definition: str,
    recorder: CallRecorder,
    **overrides: Any,
) -> EcsBackend:
    settings = EcsSettings(
        cluster_arn=cluster_arn,
        cluster_name="demo",
        task_definition=task_definition,
        task_family=task_definition.rsplit("/", 1)[-1].rsplit(":", 1)[0],
        subnets_by_az=world.subnets_by_az,
        security_group_ids=world.security_group_ids,
        assign_public_ip=False,
        ebs=replace(EBS, role_arn=world.ebs_role_arn),
    )
    return EcsBackend(replace(settings, **overrides), recorder.attach(world.client("ecs")))


def spec(task_definition: str) -> DesiredSpec:
    return DesiredSpec(
        cluster_name="demo",
        azs=AZS,
        nodes_per_az=1,
        task_definition=task_definition,
        budget=DisruptionBudget(unit="zone", limit=1),
    )


def run_until_idle(
    backend: EcsBackend, ops: TaskDrivenRestate, log: io.StringIO, passes: int = 60
) -> None:
    loop = Reconciler(
        spec(backend.desired_task_definition), backend, ops, sleep=lambda _: None, log=JsonLog(log)
    )
    for _ in range(passes):
        status = loop.run_once()
        assert status.healthy, status.reason
        if status.phase == "idle":
            return
    raise AssertionError("controller did not reach idle")


def describe_all(world: AwsWorld, cluster_arn: str) -> list[dict[str, Any]]:
    ecs = world.client("ecs")
    arns = [
        arn
        for desired in ("RUNNING", "STOPPED")
        for arn in ecs.list_tasks(cluster=cluster_arn, desiredStatus=desired)["taskArns"]
    ]
    return (
        ecs.describe_tasks(cluster=cluster_arn, tasks=arns, include=["TAGS"])["tasks"]
        if arns
        else []
    )


def tags_of(task: dict[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in task.get("tags", [])}


def eni_detail(task: dict[str, Any], name: str) -> str:
    details = task["attachments"][0]["details"]
    return next(detail["value"] for detail in details if detail["name"] == name)


def test_fill_then_roll_become_the_right_ecs_calls(aws_world: AwsWorld, ecs_cluster: str) -> None:
    old_td, new_td = aws_world.task_definitions
    recorder = CallRecorder()
    backend = make_backend(aws_world, ecs_cluster, old_td, recorder)
    ops = TaskDrivenRestate(backend)
    log = io.StringIO()

    run_until_idle(backend, ops, log)

    tasks = describe_all(aws_world, ecs_cluster)
    assert len(tasks) == 3
    ec2 = aws_world.client("ec2")
    by_subnet = {eni_detail(task, "subnetId"): task for task in tasks}
    assert set(by_subnet) == set(aws_world.subnets_by_az.values())
    for az, subnet in aws_world.subnets_by_az.items():
        task = by_subnet[subnet]
        assert task["taskDefinitionArn"] == old_td
        assert task["launchType"] == "FARGATE"
        assert task["startedBy"] == started_by("demo")
        tags = tags_of(task)
        assert tags[TAG_CLUSTER] == "demo" and tags[TAG_MANAGED_BY] == "cdktf-restate-controller"
        assert (
            tags[TAG_AZ] == az
            and tags[TAG_PHASE] == "running"
            and tags[TAG_NODE_ID].startswith("N")
        )
        eni = ec2.describe_network_interfaces(
            NetworkInterfaceIds=[eni_detail(task, "networkInterfaceId")]
        )
        groups = [group["GroupId"] for group in eni["NetworkInterfaces"][0]["Groups"]]
        assert groups == list(aws_world.security_group_ids)

    run_requests = [params for _, operation, params in recorder.calls if operation == "RunTask"]
    assert len(run_requests) == 3
    # An idempotency token per launch, distinct across launches (the model allows 64 chars).
    tokens = [request["clientToken"] for request in run_requests]
    assert len(set(tokens)) == 3 and all(0 < len(token) <= 64 for token in tokens)
    for request in run_requests:
        assert (
            request["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
        )
        assert (
            request["propagateTags"] == "TASK_DEFINITION"
            and request["enableECSManagedTags"] is True
            and request["enableExecuteCommand"] is False
        )
        (volume,) = request["volumeConfigurations"]
        assert volume["name"] == "restate-data"
        ebs = volume["managedEBSVolume"]
        assert (ebs["sizeInGiB"], ebs["volumeType"], ebs["iops"], ebs["throughput"]) == (
            40,
            "gp3",
            3000,
            125,
        )
        assert ebs["roleArn"] == aws_world.ebs_role_arn and ebs["encrypted"] is True
        assert ebs["terminationPolicy"] == {"deleteOnTermination": False}
        volume_tags = {tag["key"]: tag["value"] for tag in ebs["tagSpecifications"][0]["tags"]}
        assert volume_tags[TAG_CLUSTER] == "demo"

    # A deploy changes the desired task definition: every task is replaced, one AZ at a time.
    old_arns = {task["taskArn"]: eni_detail(task, "subnetId") for task in tasks}
    recorder.calls.clear()
    backend = make_backend(aws_world, ecs_cluster, new_td, recorder)
    ops.backend = backend
    run_until_idle(backend, ops, log)

    tasks = {task["taskArn"]: task for task in describe_all(aws_world, ecs_cluster)}
    assert len(tasks) == 6
    for arn, subnet in old_arns.items():
        old = tasks[arn]
        assert old["lastStatus"] == "STOPPED" and "verified" in old["stoppedReason"]
        assert tags_of(old)[TAG_PHASE] == "removed"
        (new,) = [task for task in tasks.values() if tags_of(task).get(TAG_REPLACES) == arn]
        assert new["taskDefinitionArn"] == new_td and new["lastStatus"] == "RUNNING"
        assert eni_detail(new, "subnetId") == subnet, "replacement not in the same AZ"
        assert tags_of(new)[TAG_PHASE] == "running"

    # Call order: each old task is stopped after its replacement started, one AZ at a time.
    ordered = [(op, params) for _, op, params in recorder.calls if op in ("RunTask", "StopTask")]
    assert [op for op, _ in ordered] == ["RunTask", "StopTask"] * 3
    for (_, run), (_, stop) in zip(ordered[::2], ordered[1::2], strict=True):
        assert run["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == [
            old_arns[stop["task"]]
        ]
    tag_calls = [params for _, operation, params in recorder.calls if operation == "TagResource"]
    phases = [
        tag["value"] for params in tag_calls for tag in params["tags"] if tag["key"] == TAG_PHASE
    ]
    assert (
        phases.count("draining") == 3
        and phases.count("stopping") == 3
        and phases.count("removed") == 3
    )
    decisions = [json.loads(line) for line in log.getvalue().splitlines()]
    assert all(line["reason"] for line in decisions if line["event"] == "decision")


def test_ecs_exec_reaches_the_stateful_tasks_when_enabled(
    aws_world: AwsWorld, ecs_cluster: str
) -> None:
    """The services get ECS Exec from Terraform; the controller's tasks only from RunTask."""
    recorder = CallRecorder()
    backend = make_backend(
        aws_world,
        ecs_cluster,
        aws_world.task_definitions[0],
        recorder,
        enable_execute_command=True,
    )
    az = next(iter(aws_world.subnets_by_az))
    backend.run_task(az, {TAG_AZ: az})
    (request,) = [params for _, operation, params in recorder.calls if operation == "RunTask"]
    assert request["enableExecuteCommand"] is True


def test_subnets_are_checked_to_be_in_their_zones(aws_world: AwsWorld) -> None:
    """A subnet named under the wrong zone would put two zones' replicas in one real zone."""
    ec2 = aws_world.client("ec2")
    check_subnet_zones(ec2, aws_world.subnets_by_az)  # the world's map is right
    (first, first_subnet), (second, second_subnet), *_ = aws_world.subnets_by_az.items()
    swapped = {**aws_world.subnets_by_az, first: second_subnet, second: first_subnet}
    with pytest.raises(PermanentError) as error:
        check_subnet_zones(ec2, swapped)
    assert str(error.value) == (
        "RESTATE_CONTROLLER_SUBNETS_BY_AZ does not match AWS: "
        f"{second_subnet} is in {second}, not {first}; {first_subnet} is in {first}, not {second}"
    )
    with pytest.raises(ControllerError, match="ec2:DescribeSubnets"):
        check_subnet_zones(ec2, {first: "subnet-0123456789abcdef0"})  # unknown to AWS


def test_lists_only_this_clusters_tasks(aws_world: AwsWorld, ecs_cluster: str) -> None:
    recorder = CallRecorder()
    backend = make_backend(aws_world, ecs_cluster, aws_world.task_definitions[1], recorder)
    ours = backend.run_task(
        "us-east-1b", {TAG_CLUSTER: "demo", TAG_AZ: "us-east-1b", TAG_PHASE: "starting"}
    )
    ecs = aws_world.client("ecs")
    network = {
        "awsvpcConfiguration": {
            "subnets": [aws_world.subnets_by_az["us-east-1a"]],
            "securityGroups": list(aws_world.security_group_ids),
        }
    }
    ecs.run_task(
        cluster=ecs_cluster,
        taskDefinition=aws_world.task_definitions[1],
        launchType="FARGATE",
        startedBy=started_by("demo"),
        networkConfiguration=network,
        tags=[
            {"key": TAG_CLUSTER, "value": "someone-else"},
            {"key": TAG_MANAGED_BY, "value": "cdktf-restate-controller"},
        ],
    )
    ecs.run_task(
        cluster=ecs_cluster,
        taskDefinition=aws_world.task_definitions[1],
        launchType="FARGATE",
        networkConfiguration=network,
    )
    listed = backend.list_tasks()
    assert [task.task_id for task in listed] == [ours.task_id]
    (task,) = listed
    assert task.az == "us-east-1b" and task.status == "RUNNING" and task.private_ip
    assert task.node_name == task.task_id and task.task_definition == aws_world.task_definitions[1]

    backend.stop_task(ours.task_id, "x" * 400)  # ECS caps the reason at 255 characters
    (stopped,) = backend.list_tasks()
    assert stopped.status == "STOPPED" and stopped.stopped_reason == "x" * 255

    # ECS takes startedBy only as the sole filter of ListTasks (the API reference); moto does
    # not enforce it, so check what was sent: running and stopped tasks listed by family.
    listings = [params for _, operation, params in recorder.calls if operation == "ListTasks"]
    assert listings and all("startedBy" not in params for params in listings)
    assert {(params["family"], params["desiredStatus"]) for params in listings} == {
        (FAMILY, "RUNNING"),
        (FAMILY, "STOPPED"),
    }


def described_arns(recorder: CallRecorder) -> list[str]:
    return [
        arn
        for _, operation, params in recorder.calls
        if operation == "DescribeTasks"
        for arn in params["tasks"]
    ]


def test_a_stopped_task_is_described_once_and_keeps_the_tags_the_controller_gives_it(
    aws_world: AwsWorld, ecs_cluster: str
) -> None:
    """ECS lists stopped tasks for about an hour; after a roll they are half of the list. A
    STOPPED task changes only by the controller's tags, so it is not described again."""
    recorder = CallRecorder()
    backend = make_backend(aws_world, ecs_cluster, aws_world.task_definitions[1], recorder)
    tags = {TAG_CLUSTER: "demo", TAG_PHASE: "running"}
    kept = backend.run_task("us-east-1a", {**tags, TAG_AZ: "us-east-1a"})
    gone = backend.run_task("us-east-1b", {**tags, TAG_AZ: "us-east-1b"})
    backend.stop_task(gone.task_id, "replaced")
    recorder.calls.clear()
    first = {task.task_id: task for task in backend.list_tasks()}
    assert sorted(described_arns(recorder)) == sorted([kept.task_id, gone.task_id])
    assert first[gone.task_id].status == "STOPPED"

    recorder.calls.clear()
    second = {task.task_id: task for task in backend.list_tasks()}
    assert described_arns(recorder) == [kept.task_id]
    assert second == first

    # The controller's tag reaches AWS and the remembered task alike.
    backend.tag_task(gone.task_id, {TAG_PHASE: "removed"})
    recorder.calls.clear()
    third = {task.task_id: task for task in backend.list_tasks()}
    assert described_arns(recorder) == [kept.task_id]
    assert third[gone.task_id].phase == "removed"
    (on_aws,) = aws_world.client("ecs").describe_tasks(
        cluster=ecs_cluster, tasks=[gone.task_id], include=["TAGS"]
    )["tasks"]
    assert tags_of(on_aws)[TAG_PHASE] == "removed"

    # Nothing running: a pass lists and describes nothing.
    backend.stop_task(kept.task_id, "replaced")
    backend.list_tasks()
    recorder.calls.clear()
    assert {task.status for task in backend.list_tasks()} == {"STOPPED"}
    assert recorder.operations() == ["ecs:ListTasks", "ecs:ListTasks"]

    # A restarted controller describes every listed task once again.
    restarted = CallRecorder()
    fresh = make_backend(aws_world, ecs_cluster, aws_world.task_definitions[1], restarted)
    assert {task.task_id: task for task in fresh.list_tasks()}.keys() == third.keys()
    assert sorted(described_arns(restarted)) == sorted([kept.task_id, gone.task_id])


def test_errors_are_classified(aws_world: AwsWorld, ecs_cluster: str) -> None:
    recorder = CallRecorder()
    missing = ecs_cluster.rsplit("/", 1)[0] + "/no-such-cluster"
    backend = make_backend(aws_world, missing, aws_world.task_definitions[1], recorder)
    with pytest.raises(PermanentError, match="ecs:RunTask: ClusterNotFoundException"):
        backend.run_task("us-east-1a", {TAG_CLUSTER: "demo"})
    with pytest.raises(PermanentError, match="no subnet configured for zone us-east-1z"):
        backend.run_task("us-east-1z", {TAG_CLUSTER: "demo"})

    unreachable = boto3.client(
        "ecs",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=1),
    )
    down = EcsBackend(backend.settings, unreachable)
    with pytest.raises(TemporaryError, match="ecs:ListTasks"):
        down.list_tasks()


def test_volume_janitor_snapshots_deletes_and_expires_only_ours(aws_world: AwsWorld) -> None:
    ec2 = aws_world.client("ec2")

    def volume(cluster: str, managed: bool = True) -> str:
        tags = [{"Key": TAG_CLUSTER, "Value": cluster}, {"Key": TAG_AZ, "Value": "us-east-1a"}]
        if managed:
            tags.append({"Key": TAG_MANAGED_BY, "Value": MANAGED_BY})
        return ec2.create_volume(
            AvailabilityZone="us-east-1a",
            Size=1,
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )["VolumeId"]

    ours, theirs = volume("janitor-demo"), volume("someone-else")
    # A user's own volume carrying the cluster tag (cost allocation), not created by RunTask.
    users = volume("janitor-demo", managed=False)
    recorder = CallRecorder()
    janitor = VolumeJanitor(
        recorder.attach(aws_world.client("ec2")), cluster_name="janitor-demo", retention_days=7
    )
    start = __import__("time").time()

    assert janitor(start) == [], "a fresh volume may be about to be attached"
    pass_one = janitor(start + 7_200)
    assert [line.split(":")[0] for line in pass_one] == [f"snapshot {ours}"]
    snapshot = ec2.describe_snapshots(Filters=[{"Name": f"tag:{TAG_VOLUME_ID}", "Values": [ours]}])[
        "Snapshots"
    ][0]
    snapshot_tags = {tag["Key"]: tag["Value"] for tag in snapshot["Tags"]}
    assert snapshot_tags[TAG_CLUSTER] == "janitor-demo" and snapshot_tags[TAG_AZ] == "us-east-1a"

    assert janitor(start + 7_300) == [], "runs at most every 300 s"
    pass_two = janitor(start + 7_600)
    assert [line.split(":")[0] for line in pass_two] == [f"delete-volume {ours}"]
    remaining = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
    assert ours not in remaining and theirs in remaining and users in remaining

    assert janitor(start + 8_000) == [], "snapshot kept during the retention"
    pass_three = janitor(start + 8 * 86_400)
    assert [line.split(":")[0] for line in pass_three] == [
        f"delete-snapshot {snapshot['SnapshotId']}"
    ]
    left = ec2.describe_snapshots(Filters=[{"Name": f"tag:{TAG_VOLUME_ID}", "Values": [ours]}])[
        "Snapshots"
    ]
    assert left == []
    assert {theirs, users} <= {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
    snapshotted = {
        tag["Value"]
        for snap in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
        for tag in snap.get("Tags", [])
        if tag["Key"] == TAG_VOLUME_ID
    }
    assert users not in snapshotted and theirs not in snapshotted


# ---------------------------------------------------------------------------------------------
# What ECS does that moto does not: eventual consistency, DescribeTasks failures, clientToken.
# ---------------------------------------------------------------------------------------------
class EcsAsInAws:
    """The moto ECS client, plus three behaviours of the real service moto lacks: ListTasks
    that does not show some tasks yet (eventual consistency), DescribeTasks `failures` for some
    ARNs, and RunTask idempotency by clientToken (the same token with the same parameters answers
    with the first launch; with other parameters, ConflictException)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.unlisted: set[str] = set()
        self.describe_failures: dict[str, str] = {}
        self.launches_by_token: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.tokens: list[str] = []
        self.started = 0
        # Subnets without Fargate capacity right now: RunTask answers with `failures`.
        self.no_capacity: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get_paginator(self, name: str) -> Any:
        paginator = self.client.get_paginator(name)
        hidden = self.unlisted

        class Hiding:
            def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
                for page in paginator.paginate(**params):
                    arns = [arn for arn in page.get("taskArns", []) if arn not in hidden]
                    yield {**page, "taskArns": arns}

        return Hiding() if name == "list_tasks" else paginator

    def describe_tasks(self, **params: Any) -> dict[str, Any]:
        response = self.client.describe_tasks(**params)
        failing = {
            arn: why for arn, why in self.describe_failures.items() if arn in params["tasks"]
        }
        return {
            **response,
            "tasks": [task for task in response["tasks"] if task["taskArn"] not in failing],
            "failures": [
                *response.get("failures", []),
                *({"arn": arn, "reason": why} for arn, why in failing.items()),
            ],
        }

    def run_task(self, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        token = params["clientToken"]
        self.tokens.append(token)
        if token in self.launches_by_token:
            first, response = self.launches_by_token[token]
            if first != params:
                raise ClientError(
                    {"Error": {"Code": "ConflictException", "Message": "token reused"}}, "RunTask"
                )
            return response
        subnets = params["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
        if set(subnets) & self.no_capacity:
            # Worst case: the refusal is stored under the token like a launch.
            refusal = {"tasks": [], "failures": [{"reason": "RESOURCE:FARGATE"}]}
            self.launches_by_token[token] = (params, refusal)
            return refusal
        response = self.client.run_task(**params)
        self.started += len(response["tasks"])
        self.launches_by_token[token] = (params, response)
        return response


def aws_like_backend(
    world: AwsWorld, cluster_arn: str, recorder: CallRecorder, ecs: EcsAsInAws | None = None
) -> tuple[EcsBackend, EcsAsInAws]:
    """A backend on EcsAsInAws; pass `ecs` again to model a restarted controller. Its clock
    stands still (the clientToken changes every hour of the clock)."""
    backend = make_backend(world, cluster_arn, world.task_definitions[1], recorder)
    ecs = ecs or EcsAsInAws(backend.ecs)
    backend.ecs = ecs
    backend.clock = lambda: NOON
    return backend, ecs


def test_a_listed_task_that_describe_tasks_fails_on_stops_the_pass(
    aws_world: AwsWorld, ecs_cluster: str
) -> None:
    """A draining task missing from one observation would free its zone from the disruption
    budget (a second zone could start draining), and an empty-looking zone gets a duplicate
    launch: a listed task DescribeTasks does not describe makes the pass fail and act on nothing."""
    recorder = CallRecorder()
    backend, ecs = aws_like_backend(aws_world, ecs_cluster, recorder)
    ops = TaskDrivenRestate(backend)
    run_until_idle(backend, ops, io.StringIO())
    tasks = backend.list_tasks()
    assert len(tasks) == 3
    victim = tasks[0]
    ecs.describe_failures[victim.task_id] = "MISSING"
    with pytest.raises(TemporaryError, match=f"{victim.task_id}: MISSING") as error:
        backend.list_tasks()
    assert "not acting on a partial view" in str(error.value)

    # Through the loop: the pass fails, nothing is launched into the zone that looks empty.
    recorder.calls.clear()
    loop = Reconciler(
        spec(backend.desired_task_definition), backend, ops, log=JsonLog(io.StringIO())
    )
    status = loop.run_once()
    assert status.phase == "error" and victim.task_id in status.reason
    assert "RunTask" not in [operation for _, operation, _ in recorder.calls]
    assert ecs.started == 3

    # Another failure reason for a listed task: the same.
    ecs.describe_failures[victim.task_id] = "INTERNAL_ERROR"
    with pytest.raises(TemporaryError, match="INTERNAL_ERROR"):
        backend.list_tasks()
    del ecs.describe_failures[victim.task_id]
    assert len(backend.list_tasks()) == 3


def test_a_launch_not_yet_visible_is_tolerated_only_as_missing(
    aws_world: AwsWorld, ecs_cluster: str
) -> None:
    recorder = CallRecorder()
    backend, ecs = aws_like_backend(aws_world, ecs_cluster, recorder)
    first = backend.run_task("us-east-1a", {TAG_AZ: "us-east-1a"})
    second = backend.run_task("us-east-1b", {TAG_AZ: "us-east-1b"})
    # Neither ListTasks nor DescribeTasks shows the launch of a moment ago yet.
    ecs.unlisted.add(first.task_id)
    ecs.describe_failures[first.task_id] = "MISSING"
    assert [task.task_id for task in backend.list_tasks()] == [second.task_id]
    # Any other failure of a recent launch is not explained by eventual consistency.
    ecs.describe_failures[first.task_id] = "INTERNAL_ERROR"
    with pytest.raises(TemporaryError, match="INTERNAL_ERROR"):
        backend.list_tasks()


def test_a_repeated_launch_decision_reuses_its_client_token(
    aws_world: AwsWorld, ecs_cluster: str
) -> None:
    """A controller restarted (or a RunTask that timed out) before ListTasks shows the task it
    launched decides the same launch again: the same clientToken, so ECS answers with the first
    task and no duplicate starts."""
    recorder = CallRecorder()
    tags = {TAG_AZ: "us-east-1a", TAG_PHASE: "starting", TAG_REPLACES: "arn:old-task"}
    backend, ecs = aws_like_backend(aws_world, ecs_cluster, recorder)
    backend.list_tasks()
    first = backend.run_task("us-east-1a", tags)
    ecs.unlisted.add(first.task_id)  # ListTasks does not show it yet

    restarted, _ = aws_like_backend(aws_world, ecs_cluster, recorder, ecs)
    assert restarted.list_tasks() == []
    again = restarted.run_task("us-east-1a", tags)
    assert again.task_id == first.task_id and ecs.started == 1
    first_token, second_token = ecs.tokens
    assert first_token == second_token
    assert len(first_token) <= 64 and all(33 <= ord(c) <= 126 for c in first_token)

    # Once the first launch is listed (here: it died), deciding the launch again is a new one.
    backend.stop_task(first.task_id, "essential container exited")
    ecs.unlisted.clear()
    restarted.list_tasks()
    third = restarted.run_task("us-east-1a", tags)
    assert third.task_id != first.task_id and ecs.started == 2
    assert ecs.tokens[-1] != first_token


def test_launches_of_one_pass_and_changed_requests_get_their_own_tokens(
    aws_world: AwsWorld, ecs_cluster: str
) -> None:
    recorder = CallRecorder()
    backend, ecs = aws_like_backend(aws_world, ecs_cluster, recorder)
    backend.list_tasks()
    tags = {TAG_AZ: "us-east-1c", TAG_PHASE: "starting"}
    # nodes_per_az 2: two fills into one zone in one pass are two tasks.
    one = backend.run_task("us-east-1c", tags)
    two = backend.run_task("us-east-1c", tags)
    assert one.task_id != two.task_id and ecs.started == 2
    # The same decision with another task definition (a deploy in between): another token,
    # never a ConflictException.
    ecs.unlisted.update({one.task_id, two.task_id})
    rolled = make_backend(aws_world, ecs_cluster, aws_world.task_definitions[0], recorder)
    rolled.ecs, rolled.clock = ecs, backend.clock
    rolled.list_tasks()
    three = rolled.run_task("us-east-1c", tags)
    assert three.task_id not in (one.task_id, two.task_id) and ecs.started == 3
    assert len(set(ecs.tokens)) == 3
    # An hour later the same set of known tasks is a new decision (stopped tasks leave
    # ListTasks after about an hour; an old token must not replay a dead launch).
    later = make_backend(aws_world, ecs_cluster, aws_world.task_definitions[0], recorder)
    later.ecs = ecs
    later.clock = lambda: NOON + 3_600
    later.list_tasks()
    four = later.run_task("us-east-1c", tags)
    assert four.task_id != three.task_id and ecs.started == 4


def test_a_launch_refused_for_capacity_is_retried_with_a_new_token(
    aws_world: AwsWorld, ecs_cluster: str
) -> None:
    """RunTask that starts nothing (no Fargate capacity) may be stored under its token like a
    launch; repeating the token would get the refusal back for up to 24 hours. Nothing started,
    so the retry takes a new token and launches once capacity is back."""
    recorder = CallRecorder()
    backend, ecs = aws_like_backend(aws_world, ecs_cluster, recorder)
    backend.list_tasks()
    ecs.no_capacity.add(aws_world.subnets_by_az["us-east-1b"])
    tags = {TAG_AZ: "us-east-1b", TAG_PHASE: "starting"}
    for _ in range(2):
        with pytest.raises(TemporaryError, match="started no task in us-east-1b: RESOURCE:FARGATE"):
            backend.run_task("us-east-1b", tags)
    ecs.no_capacity.clear()
    backend.list_tasks()
    task = backend.run_task("us-east-1b", tags)
    assert task.az == "us-east-1b" and ecs.started == 1
    assert len(set(ecs.tokens)) == 3
