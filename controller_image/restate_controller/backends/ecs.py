"""ECS Fargate backend: the only code that runs, tags, lists and stops stateful tasks on AWS.

Calls (and so the IAM policy the construct grants): ecs:ListTasks, ecs:DescribeTasks,
ecs:RunTask (+ ecs:TagResource on create, iam:PassRole for the task's roles and the EBS role),
ecs:TagResource, ecs:StopTask.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from restate_controller.config import Config, EbsVolume
from restate_controller.model import (
    MANAGED_BY,
    STOPPED_STATUS,
    TAG_AZ,
    TAG_CLUSTER,
    TAG_MANAGED_BY,
    PermanentError,
    TaskInfo,
    TemporaryError,
)

# ListTasks is eventually consistent: a task launched seconds ago may be missing from it.
RECENT_LAUNCH_SECONDS = 300.0
# RunTask clientToken (ECS "Ensuring idempotency", API reference): up to 64 ASCII characters in
# 33-126; idempotent per ECS cluster; the same token with the same parameters returns the
# original launch instead of starting another task, the same token with other parameters fails
# with ConflictException; a token lives up to 24 hours. So the token is a hash of the complete
# request (a changed request gets a new token, never a conflict) plus what makes a new launch
# decision differ from a repeated one: the ids of this cluster's tasks already known in the zone
# (a retry after a read timeout or a controller restart, before ListTasks shows the first
# launch, sees the same ids and gets the same token; once the first launch is listed, dead or
# alive, a new decision gets a new token) and the hour (stopped tasks leave ListTasks after
# about an hour, so the same set of ids could come back within the 24 hours and replay an old,
# dead launch; within one hour it cannot).
CLIENT_TOKEN_PERIOD_SECONDS = 3_600.0
DESCRIBE_BATCH = 100  # DescribeTasks limit
STOP_REASON_LIMIT = 255
# Client errors that retrying will not fix: the controller stops and reports them.
PERMANENT_ERROR_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnauthorizedOperation",
        "ClusterNotFoundException",
        "InvalidParameterException",
        "ValidationException",
        "ClientException",
        "PlatformUnknownException",
    }
)


def started_by(cluster_name: str) -> str:
    """RunTask's startedBy (letters, digits, -, _, / only): how ListTasks finds our tasks."""
    return f"restate-controller/{cluster_name}"


def to_aws_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def run_task_request(
    *,
    cluster_arn: str,
    cluster_name: str,
    task_definition: str,
    subnet_id: str,
    security_group_ids: Iterable[str],
    assign_public_ip: bool,
    tags: Mapping[str, str],
    ebs: EbsVolume | None,
    enable_execute_command: bool = False,
) -> dict[str, Any]:
    """The RunTask parameters for one stateful task (pure, so it can be read and tested)."""
    identity = {TAG_CLUSTER: cluster_name, TAG_MANAGED_BY: MANAGED_BY}
    request: dict[str, Any] = {
        "cluster": cluster_arn,
        "taskDefinition": task_definition,
        "count": 1,
        "launchType": "FARGATE",
        "startedBy": started_by(cluster_name),
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": [subnet_id],
                "securityGroups": list(security_group_ids),
                "assignPublicIp": "ENABLED" if assign_public_ip else "DISABLED",
            }
        },
        # The task definition's tags (cost allocation, user tags) + ours, which we own.
        "propagateTags": "TASK_DEFINITION",
        "enableECSManagedTags": True,
        "tags": to_aws_tags({**tags, **identity}),
        "enableExecuteCommand": enable_execute_command,
    }
    if ebs is not None:
        volume: dict[str, Any] = {
            "encrypted": ebs.encrypted,
            "volumeType": ebs.volume_type,
            "sizeInGiB": ebs.size_gib,
            "roleArn": ebs.role_arn,
            "filesystemType": "ext4",
            # Kept after the task stops: the volume janitor snapshots it, deletes it, and drops
            # the snapshot after the retention (see volumes.py).
            "terminationPolicy": {"deleteOnTermination": False},
            "tagSpecifications": [
                {
                    "resourceType": "volume",
                    "tags": to_aws_tags({**identity, TAG_AZ: tags.get(TAG_AZ, "")}),
                    "propagateTags": "TASK_DEFINITION",
                }
            ],
        }
        if ebs.iops is not None:
            volume["iops"] = ebs.iops
        if ebs.throughput is not None:
            volume["throughput"] = ebs.throughput
        if ebs.kms_key_id is not None:
            volume["kmsKeyId"] = ebs.kms_key_id
        request["volumeConfigurations"] = [{"name": ebs.volume_name, "managedEBSVolume": volume}]
    return request


def client_token(
    request: Mapping[str, Any], known_task_ids: Iterable[str], now: float, refused: int = 0
) -> str:
    """RunTask's idempotency token for one launch decision (see CLIENT_TOKEN_PERIOD_SECONDS).

    `refused` counts the attempts of this decision that ECS answered with no task (capacity,
    ENI limits): the next attempt gets a new token, so ECS tries again rather than possibly
    answering with the stored refusal. Nothing started, so nothing can be duplicated."""
    material = {
        "request": {key: value for key, value in request.items() if key != "clientToken"},
        "known_task_ids": sorted(set(known_task_ids)),
        "period": int(now // CLIENT_TOKEN_PERIOD_SECONDS),
        "refused": refused,
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()  # 64 hex characters: the maximum


def describe_failures(failures: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(
        f"{failure.get('arn', 'no arn')}: {failure.get('reason') or 'no reason'}"
        + (f" ({failure['detail']})" if failure.get("detail") else "")
        for failure in failures
    )


def classify(error: Exception, action: str) -> Exception:
    """botocore error -> TemporaryError (retry next pass) or PermanentError (stop and report)."""
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        text = f"{action}: {code}: {message}"
        return PermanentError(text) if code in PERMANENT_ERROR_CODES else TemporaryError(text)
    if isinstance(error, ParamValidationError):
        return PermanentError(f"{action}: request rejected by the API model: {error}")
    if isinstance(error, BotoCoreError):
        return TemporaryError(f"{action}: {error}")
    return error


def check_subnet_zones(ec2_client: Any, subnets_by_az: Mapping[str, str]) -> None:
    """Each configured subnet really is in its zone, before anything is placed.

    Zone replication is only as good as this map: a subnet named under the wrong zone would put
    two "zones" of replicas in one real zone, and losing it would lose more than the
    replication allows. A mismatch (or a subnet AWS does not know) is a PermanentError."""
    configured = dict(subnets_by_az)
    try:
        pages = ec2_client.get_paginator("describe_subnets").paginate(
            SubnetIds=list(configured.values())
        )
        actual = {s["SubnetId"]: s["AvailabilityZone"] for page in pages for s in page["Subnets"]}
    except Exception as error:
        raise classify(error, "ec2:DescribeSubnets") from error
    wrong = [
        f"{subnet} is in {actual.get(subnet, 'no zone AWS knows')}, not {az}"
        for az, subnet in configured.items()
        if actual.get(subnet) != az
    ]
    if wrong:
        raise PermanentError(
            "RESTATE_CONTROLLER_SUBNETS_BY_AZ does not match AWS: " + "; ".join(wrong)
        )


@dataclass(frozen=True)
class EcsSettings:
    cluster_arn: str
    cluster_name: str
    task_definition: str
    task_family: str
    subnets_by_az: Mapping[str, str]
    security_group_ids: tuple[str, ...]
    assign_public_ip: bool
    ebs: EbsVolume | None
    enable_execute_command: bool = False


class EcsBackend:
    """TaskBackend over ECS Fargate with boto3."""

    def __init__(
        self, settings: EcsSettings, ecs_client: Any, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.ecs = ecs_client
        self.clock = clock
        self.recent_launches: dict[str, float] = {}
        # Ids of this cluster's tasks per zone, from the last listing plus launches since: part
        # of the RunTask clientToken.
        self.known_by_az: dict[str, set[str]] = {}
        # Token of a launch decision's first attempt -> attempts ECS answered with no task.
        self.refused_launches: dict[str, int] = {}
        self.az_by_subnet = {subnet: az for az, subnet in settings.subnets_by_az.items()}
        # This cluster's STOPPED tasks as last described, by ARN. A stopped task never changes
        # again but for its tags, and only the controller tags a stopped task (its phase), so
        # it is described once, not on every pass: ECS lists stopped tasks for about an hour,
        # and after a roll they are half of the list (bench/controller_scale.py). Kept only
        # while ListTasks still lists them; a restarted controller describes them once again.
        self.stopped: dict[str, TaskInfo] = {}

    @classmethod
    def from_config(cls, config: Config) -> EcsBackend:
        import boto3
        from botocore.config import Config as BotoConfig

        assert config.ecs_cluster_arn is not None and config.aws_region is not None
        assert config.task_family is not None  # required on ECS (config.load_config)
        boto_config = BotoConfig(
            retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20
        )
        client = boto3.client("ecs", region_name=config.aws_region, config=boto_config)
        check_subnet_zones(
            boto3.client("ec2", region_name=config.aws_region, config=boto_config),
            config.subnets_by_az,
        )
        return cls(
            EcsSettings(
                cluster_arn=config.ecs_cluster_arn,
                cluster_name=config.cluster_name,
                task_definition=config.task_definition,
                task_family=config.task_family,
                subnets_by_az=config.subnets_by_az,
                security_group_ids=config.security_group_ids,
                assign_public_ip=config.assign_public_ip,
                ebs=config.ebs_volume,
                enable_execute_command=config.enable_execute_command,
            ),
            client,
        )

    @property
    def desired_task_definition(self) -> str:
        return self.settings.task_definition

    # -- TaskBackend ------------------------------------------------------------------------
    def list_tasks(self) -> list[TaskInfo]:
        arns: list[str] = []
        try:
            paginator = self.ecs.get_paginator("list_tasks")
            # By family, not startedBy: ECS takes startedBy only as the sole filter, and the
            # stopped tasks are needed too. Tags then tell which tasks are ours (_is_ours).
            for desired_status in ("RUNNING", "STOPPED"):
                for page in paginator.paginate(
                    cluster=self.settings.cluster_arn,
                    family=self.settings.task_family,
                    desiredStatus=desired_status,
                ):
                    arns.extend(page.get("taskArns", []))
        except Exception as error:
            raise classify(error, "ecs:ListTasks") from error
        now = self.clock()
        self.recent_launches = {
            arn: at for arn, at in self.recent_launches.items() if now - at < RECENT_LAUNCH_SECONDS
        }
        wanted = list(dict.fromkeys([*arns, *self.recent_launches]))
        known_stopped = {arn: self.stopped[arn] for arn in wanted if arn in self.stopped}
        described, failures = self._describe([arn for arn in wanted if arn not in known_stopped])
        # A task ListTasks returned but DescribeTasks could not describe would be missing from
        # the view: a draining task's zone would look undisturbed, a zone would look empty. The
        # pass must not act on that, so it fails (and is retried). Only a launch of the last few
        # minutes may still be MISSING (ECS is eventually consistent; its repeated RunTask
        # decision gets the same clientToken, so ECS answers with the same task).
        listed = set(arns)
        unexplained = [
            failure
            for failure in failures
            if failure.get("arn") in listed or failure.get("reason") != "MISSING"
        ]
        if unexplained:
            raise TemporaryError(
                "ecs:DescribeTasks did not describe every listed task, not acting on a partial "
                f"view: {describe_failures(unexplained)}"
            )
        by_arn = {**known_stopped, **{task.task_id: task for task in described}}
        ours = [by_arn[arn] for arn in wanted if arn in by_arn and self._is_ours(by_arn[arn])]
        self.stopped = {task.task_id: task for task in ours if task.status == STOPPED_STATUS}
        self.known_by_az = {}
        for task in ours:
            self.known_by_az.setdefault(task.az, set()).add(task.task_id)
        return ours

    def run_task(self, az: str, tags: Mapping[str, str]) -> TaskInfo:
        subnet = self.settings.subnets_by_az.get(az)
        if subnet is None:
            raise PermanentError(f"no subnet configured for zone {az}")
        request = run_task_request(
            cluster_arn=self.settings.cluster_arn,
            cluster_name=self.settings.cluster_name,
            task_definition=self.settings.task_definition,
            subnet_id=subnet,
            security_group_ids=self.settings.security_group_ids,
            assign_public_ip=self.settings.assign_public_ip,
            tags=tags,
            ebs=self.settings.ebs,
            enable_execute_command=self.settings.enable_execute_command,
        )
        # One token per launch decision, the same when the decision is repeated (botocore's
        # retries, the next pass after a read timeout, a restarted controller): ECS then answers
        # with the task it already started instead of starting a second one.
        known = self.known_by_az.setdefault(az, set())
        now = self.clock()
        decision = client_token(request, known, now)
        refused = self.refused_launches.get(decision, 0)
        request["clientToken"] = client_token(request, known, now, refused)
        try:
            response = self.ecs.run_task(**request)
        except Exception as error:
            raise classify(error, "ecs:RunTask") from error
        tasks = response.get("tasks", [])
        if not tasks:
            failures = "; ".join(
                f"{failure.get('reason')} {failure.get('detail') or ''}".strip()
                for failure in response.get("failures", [])
            )
            # Capacity and similar failures clear by themselves; the next pass retries, with a
            # new token. (A timeout above keeps the token: the task may have started.)
            self.refused_launches[decision] = refused + 1
            raise TemporaryError(
                f"ecs:RunTask started no task in {az}: {failures or 'no reason given'}"
            )
        task = self._task_info(tasks[0], fallback_tags=tags)
        self.recent_launches[task.task_id] = self.clock()
        # A second launch into this zone in the same pass (nodes_per_az > 1) is a new decision.
        known.add(task.task_id)
        return task

    def tag_task(self, task_id: str, tags: Mapping[str, str]) -> None:
        try:
            self.ecs.tag_resource(resourceArn=task_id, tags=to_aws_tags(tags))
        except Exception as error:
            raise classify(error, "ecs:TagResource") from error
        stopped = self.stopped.get(task_id)
        if stopped is not None:
            self.stopped[task_id] = replace(stopped, tags={**stopped.tags, **tags})

    def stop_task(self, task_id: str, reason: str) -> None:
        try:
            self.ecs.stop_task(
                cluster=self.settings.cluster_arn, task=task_id, reason=reason[:STOP_REASON_LIMIT]
            )
        except Exception as error:
            raise classify(error, "ecs:StopTask") from error

    # -- helpers ------------------------------------------------------------------------------
    def _describe(self, arns: list[str]) -> tuple[list[TaskInfo], list[Mapping[str, Any]]]:
        """The tasks DescribeTasks returned, and its `failures` (ARNs it could not describe)."""
        tasks: list[TaskInfo] = []
        failures: list[Mapping[str, Any]] = []
        for start in range(0, len(arns), DESCRIBE_BATCH):
            try:
                response = self.ecs.describe_tasks(
                    cluster=self.settings.cluster_arn,
                    tasks=arns[start : start + DESCRIBE_BATCH],
                    include=["TAGS"],
                )
            except Exception as error:
                raise classify(error, "ecs:DescribeTasks") from error
            tasks.extend(self._task_info(task) for task in response.get("tasks", []))
            failures.extend(response.get("failures", []))
        return tasks, failures

    def _is_ours(self, task: TaskInfo) -> bool:
        return (
            task.tags.get(TAG_CLUSTER) == self.settings.cluster_name
            and task.tags.get(TAG_MANAGED_BY) == MANAGED_BY
        )

    def _task_info(
        self, task: Mapping[str, Any], fallback_tags: Mapping[str, str] | None = None
    ) -> TaskInfo:
        tags = {tag["key"]: tag.get("value", "") for tag in task.get("tags", [])} or dict(
            fallback_tags or {}
        )
        details = {
            detail["name"]: detail.get("value")
            for attachment in task.get("attachments", [])
            if attachment.get("type") == "ElasticNetworkInterface"
            for detail in attachment.get("details", [])
        }
        az = (
            task.get("availabilityZone")
            or self.az_by_subnet.get(str(details.get("subnetId")))
            or tags.get(TAG_AZ, "")
        )
        arn = str(task["taskArn"])
        return TaskInfo(
            task_id=arn,
            # The stateful entrypoint names the Restate node after the task ARN.
            node_name=arn,
            az=az,
            task_definition=str(task.get("taskDefinitionArn", "")),
            status=str(task.get("lastStatus", "PROVISIONING")),
            tags=tags,
            private_ip=details.get("privateIPv4Address"),
            started_at=_epoch(task.get("startedAt") or task.get("createdAt")),
            stopped_reason=task.get("stoppedReason") or None,
        )


def _epoch(value: object) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None
