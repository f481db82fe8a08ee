"""The two Lambdas of a cluster: restatectl (operator access) and the retirement watcher.

Both are plain ``Resource``s (see ``_tf.py``). Each function gets its own log group (retention,
KMS when given), X-Ray tracing, a reserved concurrency, a dead-letter queue, and - unless the
caller passes an execution role - its own least-privilege role. IAM statements use ``*`` as
resource only for actions that have no resource-level permissions (ec2:Describe*, X-Ray).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cdktf
from constructs import Construct

from cdktf_restate._tf import Resource, fn
from cdktf_restate.cluster.context import count_if_null, function_argument
from cdktf_restate.lambdas import build as lambda_build
from cdktf_restate.lambdas.retirement_watcher import (
    CLUSTER_ARN_ENV,
    RETIREMENT_EVENT_TYPE,
)
from cdktf_restate.schema.tokens import TOKEN_LIST_MARKER, is_token

# Function, role and queue names are "<prefix>-<suffix>"; the longest suffix is
# "-retirement-watcher" (19) and Lambda/IAM names stop at 64 characters.
MAX_NAME_PREFIX_LENGTH = 45
NAME_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")

# Small reservations: enough for an operator session / one SQS poller pair, and a hard cap on
# what a runaway caller could cost. AWS keeps part of an account's concurrency unreserved (100 at
# the default quota of 1,000; all of it at a new account's quota of 10), so an account below
# that must raise its quota or disable the Lambdas (docs/lambdas.md).
RESTATECTL_RESERVED_CONCURRENCY = 2
RETIREMENT_WATCHER_RESERVED_CONCURRENCY = 2
RESTATECTL_TIMEOUT_SECONDS = 60
# Where the controller image (controller_image/Dockerfile) installs restatectl.
RESTATECTL_IMAGE_PATH = "/usr/local/bin/restatectl"
RESTATECTL_MEMORY_MB = 256
WATCHER_TIMEOUT_SECONDS = 30
WATCHER_MEMORY_MB = 128
# SQS wants the visibility timeout >= 6 x the function timeout for Lambda event sources.
WATCHER_QUEUE_VISIBILITY_SECONDS = 6 * WATCHER_TIMEOUT_SECONDS
WATCHER_MAX_RECEIVES = 5
DLQ_RETENTION_SECONDS = 14 * 24 * 3600

LAMBDA_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@dataclass(frozen=True)
class RestatectlLambda:
    function: Resource
    role_arn: str
    log_group: Resource
    dead_letter_queue: Resource

    @property
    def function_arn(self) -> str:
        return self.function.ref("arn")

    @property
    def function_name(self) -> str:
        return self.function.ref("function_name")

    @property
    def known_name(self) -> str:
        """A reference to the function's name; its name as text where it has a ``count``
        (the generated module's optional Lambdas), so a dashboard never holds a null."""
        name = self.function.attributes["function_name"]
        return name if self.function.counted else self.function.attr("function_name")


@dataclass(frozen=True)
class RetirementWatcher:
    function: Resource
    role_arn: str
    log_group: Resource
    queue: Resource
    dead_letter_queue: Resource
    rule: Resource

    @property
    def function_arn(self) -> str:
        return self.function.ref("arn")

    @property
    def function_name(self) -> str:
        return self.function.ref("function_name")

    @property
    def known_name(self) -> str:
        """A reference to the function's name; its name as text where it has a ``count``
        (the generated module's optional Lambdas), so a dashboard never holds a null."""
        name = self.function.attributes["function_name"]
        return name if self.function.counted else self.function.attr("function_name")

    @property
    def queue_arn(self) -> str:
        return self.queue.ref("arn")

    @property
    def rule_arn(self) -> str:
        return self.rule.ref("arn")


def _validate_common(name_prefix: str, log_retention_days: int) -> None:
    # Unresolved tokens (Terraform variables of the generated module) are checked by Terraform.
    if is_token(name_prefix):
        name_prefix = "token"
    if is_token(log_retention_days):
        log_retention_days = 0
    if not NAME_PREFIX_PATTERN.match(name_prefix) or len(name_prefix) > MAX_NAME_PREFIX_LENGTH:
        raise ValueError(
            f"name_prefix must be 1-{MAX_NAME_PREFIX_LENGTH} characters of letters, digits,"
            f" '-' and '_', got {name_prefix!r}"
        )
    if log_retention_days < 0:
        raise ValueError(
            f"log_retention_days must be >= 0 (0 = never expire), got {log_retention_days}"
        )


def _is_list_token(values: Sequence[str]) -> bool:
    """A whole list that is one token (the generated module's subnets or security groups)."""
    return len(values) == 1 and values[0].startswith(TOKEN_LIST_MARKER)


def _network_arns(partition: str, subnet_ids: Sequence[str], group_ids: Sequence[str]) -> Any:
    """The network interfaces, subnets and security groups the function's ENIs use; per id
    lists known only at plan time become ``formatlist`` (and ``concat``) in Terraform."""
    if not any(_is_list_token(ids) for ids in (subnet_ids, group_ids)):
        return [
            f"arn:{partition}:ec2:*:*:network-interface/*",
            *[f"arn:{partition}:ec2:*:*:subnet/{subnet}" for subnet in subnet_ids],
            *[f"arn:{partition}:ec2:*:*:security-group/{group}" for group in group_ids],
        ]
    # (join: cdktf functions do not take templates with references)
    parts: list[Any] = [[function_argument(f"arn:{partition}:ec2:*:*:network-interface/*")]]
    for kind, ids in (("subnet", subnet_ids), ("security-group", group_ids)):
        if _is_list_token(ids):
            parts.append(fn.formatlist(f"arn:%s:ec2:*:*:{kind}/%s", [partition, ids]))
        else:
            parts.append([function_argument(f"arn:{partition}:ec2:*:*:{kind}/{i}") for i in ids])
    return fn.concat(parts)


def _tags(tags: Mapping[str, str] | str) -> Mapping[str, str] | str:
    """A copy of the tags, or the token of a Terraform map (the generated module's)."""
    return tags if isinstance(tags, str) else dict(tags)


def _policy(statements: list[dict[str, Any]]) -> str:
    return fn.jsonencode({"Version": "2012-10-17", "Statement": statements})


def _log_group(
    scope: Construct,
    function_name: str,
    retention: int,
    kms: str | None,
    tags: Mapping[str, str] | str,
    count: float | None,
) -> Resource:
    # Created by us (not by Lambda on first log line) so retention and encryption apply.
    return Resource(
        scope,
        "log-group",
        "aws_cloudwatch_log_group",
        {
            "name": f"/aws/lambda/{function_name}",
            "retention_in_days": retention or None,
            "kms_key_id": kms,
            "tags": _tags(tags),
        },
        count=count,
    )


def _dead_letter_queue(
    scope: Construct,
    queue_name: str,
    kms: str | None,
    tags: Mapping[str, str] | str,
    count: float | None,
) -> Resource:
    return Resource(
        scope,
        "dead-letter-queue",
        "aws_sqs_queue",
        {
            "name": queue_name,
            "message_retention_seconds": DLQ_RETENTION_SECONDS,
            "kms_master_key_id": kms,
            "sqs_managed_sse_enabled": None if kms else True,
            "tags": _tags(tags),
        },
        count=count,
    )


def _role(
    scope: Construct,
    role_name: str,
    statements: list[dict[str, Any]],
    tags: Mapping[str, str] | str,
    count: float | None,
) -> tuple[Resource, Resource]:
    """A role Lambda can assume, with one inline policy; returns (role, policy)."""
    role = Resource(
        scope,
        "role",
        "aws_iam_role",
        {"name": role_name, "assume_role_policy": LAMBDA_ASSUME_ROLE_POLICY, "tags": _tags(tags)},
        count=count,
    )
    policy = Resource(
        scope,
        "role-policy",
        "aws_iam_role_policy",
        {"name": "least-privilege", "role": role.ref("id"), "policy": _policy(statements)},
        count=count,
    )
    return role, policy


def _execution_role(
    scope: Construct,
    function_name: str,
    *,
    given_arn: str | None,
    statements: list[dict[str, Any]],
    tags: Mapping[str, str] | str,
    count: float | None,
) -> tuple[str, list[cdktf.ITerraformDependable]]:
    """The caller's role ARN, or a new least-privilege role's; plus what the function waits for.

    A token that may be null (the generated module's variable) gets both: the role exists
    (with ``count``) only when it is null."""
    if given_arn and is_token(given_arn):
        role_count = count_if_null(given_arn)
        if count is not None:  # and only when the Lambda exists
            role_count = cdktf.Token.as_number(fn.min([count, role_count]))
        role, policy = _role(scope, function_name, statements, tags, role_count)
        arn = cdktf.Token.as_string(fn.coalesce([given_arn, role.one("arn")]))
        return arn, [policy]
    if given_arn:
        return given_arn, []
    role, policy = _role(scope, function_name, statements, tags, count)
    return role.ref("arn"), [policy]  # the function must not start before it may log


def _basic_statements(
    log_group: Resource, dead_letter_queue: Resource, kms_key_arn: str | None
) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group.ref('arn')}:*",
        },
        {
            "Sid": "DeadLetters",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": dead_letter_queue.ref("arn"),
        },
        {
            # X-Ray has no resource-level permissions.
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
    ]
    if kms_key_arn:
        statements.append(
            {
                "Sid": "UseClusterKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": kms_key_arn,
            }
        )
    return statements


def restatectl_image_code(image_uri: str) -> dict[str, Any]:
    """The restatectl function's code: the controller image, which already holds restatectl,
    started as ``restatectl lambda`` (the subcommand serving the Lambda Runtime API). Nothing to
    build or commit, so the generated module plans from a plain git checkout."""
    return {
        "package_type": "Image",
        "image_uri": image_uri,
        "image_config": [
            {
                "entry_point": [RESTATECTL_IMAGE_PATH],
                "command": ["lambda"],
            }
        ],
    }


def _zip_code(
    scope: Construct, packages: Mapping[str, lambda_build.BuiltZip], architecture: str
) -> dict[str, Any]:
    """``filename`` and ``source_code_hash`` of a function: its one package, or (for an
    architecture known only at plan time) Terraform's choice between one per architecture."""
    # The asset copies the cached zip into the stack's output dir, so `filename` is relative
    # to the synthesized stack and the stack dir can be planned anywhere it is copied to.
    if len(packages) == 1:
        (package,) = packages.values()
        asset = cdktf.TerraformAsset(
            scope,
            "package",
            path=str(package.path),
            type=cdktf.AssetType.FILE,
            asset_hash=package.content_hash,
        )
        return {"filename": asset.path, "source_code_hash": package.source_code_hash}
    paths = {
        name: cdktf.TerraformAsset(
            scope,
            f"package-{name}",
            path=str(package.path),
            type=cdktf.AssetType.FILE,
            asset_hash=package.content_hash,
        ).path
        for name, package in packages.items()
    }

    def choose(values: Mapping[str, str]) -> str:
        return cdktf.Token.as_string(fn.lookup(dict(values), architecture))

    hashes = {name: package.source_code_hash for name, package in packages.items()}
    return {"filename": choose(paths), "source_code_hash": choose(hashes)}


def _function(
    scope: Construct,
    *,
    function_name: str,
    code: Mapping[str, Any],
    role_arn: str,
    attributes: Mapping[str, Any],
    log_group: Resource,
    dead_letter_queue: Resource,
    kms_key_arn: str | None,
    tags: Mapping[str, str] | str,
    count: float | None,
    depends_on: Sequence[cdktf.ITerraformDependable] = (),
) -> Resource:
    return Resource(
        scope,
        "function",
        "aws_lambda_function",
        {
            "function_name": function_name,
            "role": role_arn,
            **code,
            "kms_key_arn": kms_key_arn,
            "tracing_config": [{"mode": "Active"}],
            "dead_letter_config": [{"target_arn": dead_letter_queue.ref("arn")}],
            "tags": _tags(tags),
            **attributes,
        },
        depends_on=[log_group, *depends_on],
        count=count,
    )


def add_restatectl_lambda(
    scope: Construct,
    id: str,
    *,
    name_prefix: str,
    architecture: str,
    image_uri: str,
    subnet_ids: Sequence[str],
    security_group_ids: Sequence[str],
    restatectl_address: str,
    execution_role_arn: str | None,
    log_retention_days: int,
    kms_key_arn: str | None,
    tags: Mapping[str, str] | str,
    partition: str = "aws",
    count: float | None = None,
) -> RestatectlLambda:
    """restatectl as a Lambda in the cluster's VPC: invoke with ``{"args": [...]}``.

    The function is the controller image ``image_uri`` (an ECR image of ``architecture``)
    started as ``restatectl lambda``.

    ``partition`` is the ARN partition of the network-interface permissions (``aws``,
    ``aws-cn``, ``aws-us-gov``); the cluster passes its ``data.aws_partition`` value.

    restatectl's ``lambda`` mode runs ``restatectl <args>`` per invocation and returns
    ``{"status", "stdout", "stderr"}``; ``RESTATECTL_ADDRESS`` points it at the cluster.

    ``count`` (a number token) makes every resource optional, as the generated module's
    ``restatectl.disabled`` does; references between them then use ``one(...)``.
    """
    _validate_common(name_prefix, log_retention_days)
    # A token (the generated module's variable) is one of ARCHITECTURES at plan time.
    known_architecture = not is_token(architecture)
    if known_architecture and architecture not in lambda_build.ARCHITECTURES:
        raise ValueError(
            f"restatectl architecture must be one of {', '.join(lambda_build.ARCHITECTURES)}, got {architecture!r}"
        )
    if not subnet_ids:
        raise ValueError("restatectl subnet_ids must not be empty (the Lambda runs in the VPC)")
    if not security_group_ids:
        raise ValueError("restatectl security_group_ids must not be empty")
    construct = Construct(scope, id)
    function_name = f"{name_prefix}-restatectl"
    log_group = _log_group(construct, function_name, log_retention_days, kms_key_arn, tags, count)
    dead_letters = _dead_letter_queue(construct, f"{function_name}-dlq", kms_key_arn, tags, count)
    statements = _basic_statements(log_group, dead_letters, kms_key_arn)
    statements += [
        {
            # Lambda creates one ENI per subnet/security group; scoped to exactly those.
            "Sid": "CreateVpcInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface"],
            "Resource": _network_arns(partition, subnet_ids, security_group_ids),
        },
        {
            "Sid": "ManageVpcInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": f"arn:{partition}:ec2:*:*:network-interface/*",
        },
        {
            # Describe calls have no resource-level permissions.
            "Sid": "DescribeVpcInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "Resource": "*",
        },
    ]
    role_arn, role_dependency = _execution_role(
        construct,
        function_name,
        given_arn=execution_role_arn,
        statements=statements,
        tags=tags,
        count=count,
    )

    function = _function(
        construct,
        function_name=function_name,
        code=restatectl_image_code(image_uri),
        role_arn=role_arn,
        attributes={
            "description": 'restatectl for this Restate cluster; invoke with {"args": [...]}',
            "architectures": [architecture],
            "timeout": RESTATECTL_TIMEOUT_SECONDS,
            "memory_size": RESTATECTL_MEMORY_MB,
            "reserved_concurrent_executions": RESTATECTL_RESERVED_CONCURRENCY,
            "vpc_config": [
                {"subnet_ids": list(subnet_ids), "security_group_ids": list(security_group_ids)}
            ],
            "environment": [{"variables": {"RESTATECTL_ADDRESS": restatectl_address}}],
        },
        log_group=log_group,
        dead_letter_queue=dead_letters,
        kms_key_arn=kms_key_arn,
        tags=tags,
        count=count,
        depends_on=role_dependency,
    )
    return RestatectlLambda(function, role_arn, log_group, dead_letters)


def add_retirement_watcher(
    scope: Construct,
    id: str,
    *,
    name_prefix: str,
    ecs_cluster_arn: str,
    queue_kms_key_arn: str | None,
    execution_role_arn: str | None,
    log_retention_days: int,
    kms_key_arn: str | None,
    tags: Mapping[str, str] | str,
    count: float | None = None,
) -> RetirementWatcher:
    """AWS Health task-retirement events for this cluster -> SQS -> Lambda tagging the tasks.

    ``count`` as in ``add_restatectl_lambda`` (the module's ``retirement_watcher.disabled``).
    """
    _validate_common(name_prefix, log_retention_days)
    package = lambda_build.retirement_watcher_zip()

    construct = Construct(scope, id)
    function_name = f"{name_prefix}-retirement-watcher"
    # arn:...:cluster/NAME -> arn:...:task/NAME/ (long ARN format, which Fargate tasks use)
    # function_argument: an ARN built from parts (an ECS cluster given by name) is a template,
    # which cdktf functions do not take.
    cluster_arn = function_argument(ecs_cluster_arn)
    task_prefix = f"{fn.replace(cluster_arn, ':cluster/', ':task/')}/"

    log_group = _log_group(construct, function_name, log_retention_days, kms_key_arn, tags, count)
    dead_letters = _dead_letter_queue(
        construct, f"{function_name}-dlq", queue_kms_key_arn, tags, count
    )
    rule = Resource(
        construct,
        "rule",
        "aws_cloudwatch_event_rule",
        {
            "name": function_name,
            "description": "ECS task retirement announcements for this Restate cluster's tasks",
            "event_pattern": fn.jsonencode(
                {
                    "source": ["aws.health"],
                    "detail-type": ["AWS Health Event"],
                    "detail": {"service": ["ECS"], "eventTypeCode": [RETIREMENT_EVENT_TYPE]},
                    "resources": [{"prefix": task_prefix}],
                }
            ),
            "tags": _tags(tags),
        },
        count=count,
    )
    queue_name = f"{function_name}-events"
    # The policy is part of the queue (not an aws_sqs_queue_policy): one resource to create
    # and delete, each SQS change costing ~25 s of Terraform's propagation wait. The queue's
    # own ARN cannot be referenced from its attributes, so it is built from the cluster ARN's
    # partition, region and account (arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME).
    arn_parts = fn.split(":", cluster_arn)
    queue_arn = (
        f"arn:{fn.element(arn_parts, 1)}:sqs:{fn.element(arn_parts, 3)}"
        f":{fn.element(arn_parts, 4)}:{queue_name}"
    )
    queue = Resource(
        construct,
        "queue",
        "aws_sqs_queue",
        {
            "name": queue_name,
            "visibility_timeout_seconds": WATCHER_QUEUE_VISIBILITY_SECONDS,
            "kms_master_key_id": queue_kms_key_arn,
            "sqs_managed_sse_enabled": None if queue_kms_key_arn else True,
            "redrive_policy": fn.jsonencode(
                {
                    "deadLetterTargetArn": dead_letters.ref("arn"),
                    "maxReceiveCount": WATCHER_MAX_RECEIVES,
                }
            ),
            "policy": _policy(
                [
                    {
                        "Sid": "OnlyThisRule",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": queue_arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": rule.ref("arn")}},
                    }
                ]
            ),
            "tags": _tags(tags),
        },
        count=count,
    )
    Resource(
        construct,
        "target",
        "aws_cloudwatch_event_target",
        {"rule": rule.ref("name"), "target_id": "retirement-queue", "arn": queue.ref("arn")},
        count=count,
    )

    statements = _basic_statements(log_group, dead_letters, kms_key_arn)
    statements += [
        {
            "Sid": "TagThisClustersTasks",
            "Effect": "Allow",
            "Action": ["ecs:TagResource"],
            "Resource": f"{task_prefix}*",
        },
        {
            "Sid": "ConsumeRetirementQueue",
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            "Resource": queue.ref("arn"),
        },
    ]
    if queue_kms_key_arn and queue_kms_key_arn != kms_key_arn:
        statements.append(
            {
                "Sid": "ReadEncryptedQueue",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": queue_kms_key_arn,
            }
        )
    role_arn, role_dependency = _execution_role(
        construct,
        function_name,
        given_arn=execution_role_arn,
        statements=statements,
        tags=tags,
        count=count,
    )

    function = _function(
        construct,
        function_name=function_name,
        code=_zip_code(construct, {"arm64": package}, "arm64"),
        role_arn=role_arn,
        attributes={
            "description": "Tags ECS tasks of this Restate cluster that AWS will retire",
            "runtime": "python3.12",
            "handler": "retirement_watcher.handler",
            "architectures": ["arm64"],
            "timeout": WATCHER_TIMEOUT_SECONDS,
            "memory_size": WATCHER_MEMORY_MB,
            "reserved_concurrent_executions": RETIREMENT_WATCHER_RESERVED_CONCURRENCY,
            "environment": [{"variables": {CLUSTER_ARN_ENV: ecs_cluster_arn}}],
        },
        log_group=log_group,
        dead_letter_queue=dead_letters,
        kms_key_arn=kms_key_arn,
        tags=tags,
        count=count,
        depends_on=role_dependency,
    )
    Resource(
        construct,
        "queue-source",
        "aws_lambda_event_source_mapping",
        {
            "event_source_arn": queue.ref("arn"),
            "function_name": function.ref("arn"),
            "batch_size": 10,
            "function_response_types": ["ReportBatchItemFailures"],
            # The poller does not see the reservation: without this cap it would invoke more
            # functions than the reservation allows, and throttled receives count towards the
            # queue's maxReceiveCount (retirement notices would end in the dead-letter queue).
            "scaling_config": [{"maximum_concurrency": RETIREMENT_WATCHER_RESERVED_CONCURRENCY}],
        },
        count=count,
    )
    return RetirementWatcher(function, role_arn, log_group, queue, dead_letters, rule)
