"""The retirement watcher Lambda handler, against moto's ECS (in-process) and on its own."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cdktf_restate.lambdas import retirement_watcher as watcher

REGION = "us-east-1"


def health_event(task_arns: list[str], event_type: str = watcher.RETIREMENT_EVENT_TYPE) -> str:
    """An EventBridge AWS Health event as SQS delivers it (the message body)."""
    return json.dumps(
        {
            "version": "0",
            "source": "aws.health",
            "detail-type": "AWS Health Event",
            "region": REGION,
            "resources": task_arns,
            "detail": {
                "service": "ECS",
                "eventTypeCode": event_type,
                "eventTypeCategory": "scheduledChange",
            },
        }
    )


def record(message_id: str, body: str) -> dict[str, Any]:
    return {"messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": body}


class EcsWorld:
    """Two ECS clusters with running Fargate tasks in moto."""

    def __init__(self) -> None:
        self.ecs = boto3.client("ecs", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        # moto's awsvpc tasks need DNS hostnames on the VPC
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(VpcId=vpc, GroupName="tasks", Description="tasks")
        self.network = {
            "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group["GroupId"]]}
        }
        self.ecs.register_task_definition(
            family="restate",
            containerDefinitions=[{"name": "restate", "image": "restate", "memory": 512}],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
        )

    def cluster(self, name: str, tasks: int) -> tuple[str, list[str]]:
        arn = self.ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
        started = self.ecs.run_task(
            cluster=name,
            taskDefinition="restate",
            launchType="FARGATE",
            count=tasks,
            networkConfiguration=self.network,
        )
        return arn, [task["taskArn"] for task in started["tasks"]]

    def retiring(self, task_arn: str) -> bool:
        tags = self.ecs.list_tags_for_resource(resourceArn=task_arn)["tags"]
        return {"key": "restate:retiring", "value": "true"} in tags


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[EcsWorld]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield EcsWorld()


def test_tags_only_the_listed_tasks_of_this_cluster(world: EcsWorld) -> None:
    ours, (first, second, untouched) = world.cluster("restate-a", 3)
    _, (foreign,) = world.cluster("restate-b", 1)

    result = watcher.handle([record("m1", health_event([first, foreign, second]))], world.ecs, ours)

    assert result == {"batchItemFailures": []}
    assert world.retiring(first) and world.retiring(second)
    assert not world.retiring(untouched)
    assert not world.retiring(foreign)  # another cluster's task is never touched


def test_entry_point_reads_the_cluster_from_the_environment(
    world: EcsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, (task,) = world.cluster("restate-a", 1)
    monkeypatch.setenv(watcher.CLUSTER_ARN_ENV, ours)
    monkeypatch.setattr(watcher, "_ecs_client", None)

    result = watcher.handler({"Records": [record("m1", health_event([task]))]}, None)

    assert result == {"batchItemFailures": []}
    assert world.retiring(task)


def test_malformed_messages_are_reported_and_the_rest_of_the_batch_is_processed(
    world: EcsWorld,
) -> None:
    ours, (first, second) = world.cluster("restate-a", 2)
    batch = [
        record("good-1", health_event([first])),
        record("not-json", "{this is not json"),
        record("no-detail", json.dumps({"resources": [second]})),
        record("bad-resources", json.dumps({"detail": {"eventTypeCode": "X"}, "resources": "a"})),
        record("good-2", health_event([second])),
    ]

    result = watcher.handle(batch, world.ecs, ours)

    assert result == {
        "batchItemFailures": [
            {"itemIdentifier": "not-json"},
            {"itemIdentifier": "no-detail"},
            {"itemIdentifier": "bad-resources"},
        ]
    }
    assert world.retiring(first) and world.retiring(second)


def test_other_health_events_are_acknowledged_without_tagging(world: EcsWorld) -> None:
    ours, (task,) = world.cluster("restate-a", 1)

    result = watcher.handle(
        [record("m1", health_event([task], event_type="AWS_ECS_OPERATIONAL_ISSUE"))],
        world.ecs,
        ours,
    )

    assert result == {"batchItemFailures": []}
    assert not world.retiring(task)


class FailingEcs:
    """An ECS client whose TagResource fails with a given error for some ARNs."""

    def __init__(self, failing: dict[str, tuple[str, str]]) -> None:
        self.failing = failing
        self.tagged: list[str] = []

    def tag_resource(self, resourceArn: str, tags: list[dict[str, str]]) -> None:  # noqa: N803
        if resourceArn in self.failing:
            code, message = self.failing[resourceArn]
            raise ClientError({"Error": {"Code": code, "Message": message}}, "TagResource")
        self.tagged.append(resourceArn)


CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/restate-a"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/restate-a/{}"


def test_ecs_errors_fail_only_their_message_so_sqs_retries_it() -> None:
    ecs = FailingEcs({TASK.format("t2"): ("ThrottlingException", "Rate exceeded")})
    batch = [
        record("m1", health_event([TASK.format("t1")])),
        record("m2", health_event([TASK.format("t2"), TASK.format("t3")])),
        record("m3", health_event([TASK.format("t4")])),
    ]

    result = watcher.handle(batch, ecs, CLUSTER)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert ecs.tagged == [TASK.format("t1"), TASK.format("t4")]


def test_a_task_that_is_already_gone_needs_no_retry() -> None:
    ecs = FailingEcs(
        {TASK.format("gone"): ("InvalidParameterException", "The specified task was not found")}
    )

    result = watcher.handle([record("m1", health_event([TASK.format("gone")]))], ecs, CLUSTER)

    assert result == {"batchItemFailures": []}


def test_task_arn_prefix_is_derived_from_the_cluster_arn() -> None:
    assert watcher.task_arn_prefix(CLUSTER) == "arn:aws:ecs:us-east-1:123456789012:task/restate-a/"
    for bad in ("restate-a", "arn:aws:ecs:us-east-1:1:service/x", "arn:aws:ecs:r:1:cluster/"):
        with pytest.raises(ValueError, match="not an ECS cluster ARN"):
            watcher.task_arn_prefix(bad)


def test_prefix_match_does_not_confuse_clusters_sharing_a_name_prefix() -> None:
    notice = watcher.RetirementNotice(
        watcher.RETIREMENT_EVENT_TYPE,
        (
            TASK.format("t1"),
            "arn:aws:ecs:us-east-1:123456789012:task/restate-ab/t2",
            "arn:aws:ecs:us-east-1:123456789012:task/restate-a/",
            "arn:aws:ecs:eu-west-1:123456789012:task/restate-a/t3",
        ),
    )

    ours, others = watcher.tasks_to_tag(notice, CLUSTER)

    assert ours == [TASK.format("t1")]
    assert len(others) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"detail": {}}', "no detail.eventTypeCode"),
        ('{"detail": {"eventTypeCode": "X"}, "resources": [1]}', "not a list of strings"),
    ],
)
def test_parse_notice_rejects_what_is_not_a_health_event(body: Any, message: str) -> None:
    with pytest.raises(watcher.MalformedEvent, match=message):
        watcher.parse_notice(body)


def test_handler_module_needs_nothing_but_the_standard_library_and_boto3() -> None:
    """The zip holds this one file: it must not import the cdktf_restate package."""
    source = Path(watcher.__file__).read_text(encoding="utf-8")
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.strip().startswith(("import ", "from "))
    }
    assert imports <= {
        "__future__",
        "json",
        "logging",
        "os",
        "collections",
        "dataclasses",
        "typing",
        "boto3",
    }
    assert os.path.basename(watcher.__file__) == "retirement_watcher.py"
