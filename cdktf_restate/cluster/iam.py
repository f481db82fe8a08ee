"""IAM roles and inline policies, least privilege.

No statement grants ``*`` or ``service:*`` actions. Resources are scoped to this cluster,
except for the few actions AWS does not authorize per resource (listed in
``UNSCOPABLE_ACTIONS``), which the tests allow on ``*`` and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cdktf

from cdktf_restate._tf import Resource, fn
from cdktf_restate.cluster.context import (
    ClusterContext,
    count_if,
    count_if_null,
    last_path_segment,
    local,
)
from cdktf_restate.schema.tokens import is_token

#: Actions without resource-level permissions in IAM: only ``"Resource": "*"`` works.
UNSCOPABLE_ACTIONS = frozenset(
    {
        "ecr:GetAuthorizationToken",
        "ec2:DescribeSubnets",
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
        "logs:DescribeLogGroups",
    }
)
#: Actions allowed on ``*`` only together with an ``ecs:cluster`` condition naming this
#: cluster (AWS's documented way to scope them).
CLUSTER_CONDITIONED_ACTIONS = frozenset({"ecs:ListTasks"})

ECR_PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
]
ECS_EXEC_ACTIONS = sorted(a for a in UNSCOPABLE_ACTIONS if a.startswith("ssmmessages:"))

Statement = dict[str, Any]


def statement(
    actions: Sequence[str],
    resources: Sequence[str],
    condition: Mapping[str, Any] | None = None,
    sid: str | None = None,
) -> Statement:
    result: Statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
    if sid:
        result = {"Sid": sid, **result}
    if condition:
        result["Condition"] = dict(condition)
    return result


def policy_json(statements: Sequence[Statement]) -> str:
    """A policy document; embedded tokens resolve to Terraform interpolations."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=False)


def assume_role_policy(service: str) -> str:
    return policy_json(
        [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    )


@dataclass(frozen=True)
class Role:
    arn: str
    name: str
    created: Resource | None
    #: ``count`` of ``created`` when a Terraform value decides (null ARN: created).
    count: float | None = None


def existing_or_new_role(
    ctx: ClusterContext, id: str, *, arn: str | None, suffix: str, service: str, description: str
) -> Role:
    """The role ``arn`` names, or a new role ``<cluster>-<suffix>`` that ``service`` assumes.

    For a token that may be null (the generated module's variable) both: the created role has
    ``count``, and locals hold the given ARN/name or the created role's."""
    if is_token(arn):
        count = count_if_null(arn)
        role = new_role(ctx, id, suffix, service, description, count)
        given_name = fn.try_([last_path_segment(arn), ""])
        return Role(
            arn=local(ctx, f"{id}_arn", fn.coalesce([arn, role.one("arn")])),
            name=local(ctx, f"{id}_name", fn.coalesce([given_name, role.one("name")])),
            created=role,
            count=count,
        )
    if arn is not None:
        return Role(arn=arn, name=last_path_segment(arn), created=None)
    role = new_role(ctx, id, suffix, service, description)
    return Role(arn=role.arn, name=role.name, created=role)


def new_role(
    ctx: ClusterContext,
    id: str,
    suffix: str,
    service: str,
    description: str,
    count: float | None = None,
) -> Resource:
    return Resource(
        ctx.scope,
        id,
        "aws_iam_role",
        {
            "name": ctx.name(suffix),
            "description": description,
            "assume_role_policy": assume_role_policy(service),
            "tags": ctx.tagged(),
        },
        count=count,
    )


def attach_policy(
    ctx: ClusterContext,
    id: str,
    *,
    role: Role,
    name: str,
    statements: Sequence[Statement],
    count: float | None = None,
) -> Resource | None:
    if not statements:
        return None
    return Resource(
        ctx.scope,
        id,
        "aws_iam_role_policy",
        {"name": name, "role": role.name, "policy": policy_json(statements)},
        count=count,
    )


def add_exec_statements(
    ctx: ClusterContext,
    id: str,
    *,
    enabled: bool | str,
    role: Role,
    name: str,
    statements: list[Statement],
    exec_log_group_arn: str,
) -> Resource | None:
    """ECS Exec permissions: appended to ``statements`` when ``enabled``; for a Terraform
    boolean (the generated module's) they are a policy of their own with ``count``, returned."""
    exec_statements = ecs_exec_statements(
        kms_key_arn=ctx.kms_key_arn, exec_log_group_arn=exec_log_group_arn
    )
    if is_token(enabled):
        return attach_policy(
            ctx, id, role=role, name=name, statements=exec_statements, count=count_if(enabled)
        )
    if enabled:
        statements += exec_statements
    return None


def ecs_exec_statements(*, kms_key_arn: str, exec_log_group_arn: str) -> list[Statement]:
    """ECS Exec: SSM channels, the cluster key for the session, and session logs."""
    return [
        statement(ECS_EXEC_ACTIONS, ["*"], sid="EcsExecChannels"),
        statement(["kms:Decrypt"], [kms_key_arn], sid="EcsExecSessionKey"),
        statement(["logs:DescribeLogGroups"], ["*"], sid="EcsExecFindLogGroup"),
        statement(
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [f"{exec_log_group_arn}:*"],
            sid="EcsExecSessionLogs",
        ),
    ]


def log_statements(log_group_arns: Sequence[str]) -> list[Statement]:
    return [
        statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{arn}:*" for arn in log_group_arns]
        )
    ]


def ecr_pull_statements(repository_arns: Sequence[str]) -> list[Statement]:
    if not repository_arns:
        return []
    return [
        statement(["ecr:GetAuthorizationToken"], ["*"]),
        statement(ECR_PULL_ACTIONS, list(repository_arns)),
    ]


def ecr_repository_arn(image: str, ctx: ClusterContext) -> str | None:
    """The ECR repository ARN of an image in ECR, or None for other registries."""
    if is_token(image):
        return None
    if ".dkr.ecr." not in image or "/" not in image:
        return None
    registry, path = image.split("/", 1)
    account, _, _, region = registry.split(".")[:4]
    repository = path.split("@", 1)[0]
    head, _, last = repository.rpartition("/")
    repository = (f"{head}/" if head else "") + last.split(":", 1)[0]
    return f"arn:{ctx.partition}:ecr:{region}:{account}:repository/{repository}"


#: account, region and repository of an ECR image reference (``<account>.dkr.ecr.<region>.
#: amazonaws.com[.cn]/<repository>[:tag][@digest]``).
#: No backslashes: the pattern is an HCL string literal as well.
ECR_IMAGE_PATTERN = "^([0-9]+)[.]dkr[.]ecr[.]([a-z0-9-]+)[.]amazonaws[.]com(?:[.]cn)?/([^:@]+)"


def ecr_repository_arn_expression(image: str, ctx: ClusterContext, *, fallback: str) -> str:
    """``ecr_repository_arn`` in Terraform, for an image known only at plan time; an image
    outside ECR gets ``fallback`` (a policy statement needs a resource)."""
    parts = fn.regex(ECR_IMAGE_PATTERN, image)
    arn = fn.format(
        "arn:%s:ecr:%s:%s:repository/%s",
        [ctx.partition, fn.element(parts, 1), fn.element(parts, 0),
         fn.element(parts, 2)],
    )  # fmt: skip
    return cdktf.Token.as_string(fn.try_([arn, fallback]))
