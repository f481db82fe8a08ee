"""IAM of the controller: exactly what it needs to run, tag, drain and stop this cluster's
stateful tasks, and (with EBS volumes) to clean up their tagged volumes and snapshots."""

from __future__ import annotations

from typing import Any

import cdktf

from cdktf_restate._tf import Resource, fn, op
from cdktf_restate.cluster.context import ClusterContext, local
from cdktf_restate.cluster.ecs import EcsCluster
from cdktf_restate.cluster.iam import (
    Role,
    existing_or_new_role,
    new_role,
    statement,
)
from cdktf_restate.cluster.restate_tasks import ECS_TASKS_SERVICE, RestateRoles
from cdktf_restate.cluster.stateful import Stateful
from cdktf_restate.schema.tokens import is_token

EBS_MANAGED_POLICY = "service-role/AmazonECSInfrastructureRolePolicyForVolumes"


def ebs_volume_role(ctx: ClusterContext) -> Role | None:
    ebs = ctx.props.stateful_node.ebs_volume
    if ebs is None:
        return None
    if is_token(ebs):
        return _counted_ebs_volume_role(ctx, ebs)
    role = existing_or_new_role(
        ctx,
        "ebs_role",
        arn=ebs.role_arn,
        suffix="ebs-volumes",
        service="ecs.amazonaws.com",
        description="ECS manages the stateful nodes' EBS volumes",
    )
    if role.created is not None:
        Resource(
            ctx.scope,
            "ebs_role_policy",
            "aws_iam_role_policy_attachment",
            {
                "role": role.name,
                "policy_arn": f"arn:{ctx.partition}:iam::aws:policy/{EBS_MANAGED_POLICY}",
            },
        )
    return role


def _counted_ebs_volume_role(ctx: ClusterContext, ebs: object) -> Role:
    """The generated module's volume role: created (with its managed policy) when a volume
    is set without a role; locals hold the ARN/name in use (null without a volume)."""
    null = cdktf.Token.null_value()
    given_arn = fn.lookup_nested(ebs, ["role_arn"])
    created = fn.conditional(op.eq(given_arn, null), 1, 0)
    count = cdktf.Token.as_number(fn.conditional(op.eq(ebs, null), 0, created))
    role = new_role(
        ctx,
        "ebs_role",
        "ebs-volumes",
        "ecs.amazonaws.com",
        "ECS manages the stateful nodes' EBS volumes",
        count,
    )
    Resource(
        ctx.scope,
        "ebs_role_policy",
        "aws_iam_role_policy_attachment",
        {
            "role": role.one("name"),
            "policy_arn": f"arn:{ctx.partition}:iam::aws:policy/{EBS_MANAGED_POLICY}",
        },
        count=count,
    )
    arn = fn.conditional(op.eq(ebs, null), null, fn.coalesce([given_arn, role.one("arn")]))
    return Role(arn=local(ctx, "ebs_role_arn", arn), name="", created=role, count=count)


def controller_task_statements(
    ctx: ClusterContext,
    *,
    ecs_cluster: EcsCluster,
    stateful: Stateful,
    restate_roles: RestateRoles,
    ebs_role: Role | None,
) -> list[dict[str, Any]]:
    cluster_condition = {"ArnEquals": {"ecs:cluster": ecs_cluster.arn}}
    tasks_arn = ctx.arn("ecs", f"task/{ecs_cluster.name}/*")
    family_arn = ctx.arn("ecs", f"task-definition/{stateful.family}:*")
    statements = [
        # ListTasks is scoped by its ecs:cluster condition (AWS's documented form).
        statement(["ecs:ListTasks"], ["*"], cluster_condition, sid="ListClusterTasks"),
        statement(
            ["ecs:DescribeTasks", "ecs:StopTask", "ecs:TagResource"],
            [tasks_arn],
            sid="ManageClusterTasks",
        ),
        statement(["ecs:RunTask"], [family_arn], cluster_condition, sid="RunStatefulTasks"),
        # At start, each configured subnet is checked to be in its zone (EC2's Describe
        # actions take no resource-level permissions).
        statement(["ec2:DescribeSubnets"], ["*"], sid="CheckSubnetZones"),
        statement(
            ["iam:PassRole"],
            [restate_roles.task.arn, restate_roles.execution.arn],
            {"StringEquals": {"iam:PassedToService": ECS_TASKS_SERVICE}},
            sid="PassRestateRoles",
        ),
    ]
    if ebs_role is not None and not is_token(ctx.props.stateful_node.ebs_volume):
        statements += ebs_statements(ctx, ebs_role)
    return statements


def ebs_statements(ctx: ClusterContext, ebs_role: Role) -> list[dict[str, Any]]:
    """The controller's EBS permissions: pass the volume role, snapshot and delete the
    cluster's tagged volumes and snapshots."""
    tag_condition = {"StringEquals": {"aws:ResourceTag/restate:cluster": ctx.cluster_name}}
    volumes = ctx.arn("ec2", "volume/*")
    # EBS snapshot ARNs carry no account: arn:<partition>:ec2:<region>::snapshot/<id>.
    snapshots = ctx.arn("ec2", "snapshot/*", account=False)
    return [
        statement(
            ["iam:PassRole"],
            [ebs_role.arn],
            {"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}},
            sid="PassVolumeRole",
        ),
        statement(["ec2:DescribeVolumes", "ec2:DescribeSnapshots"], ["*"], sid="DescribeVolumes"),
        statement(
            ["ec2:CreateSnapshot", "ec2:DeleteVolume"],
            [volumes],
            tag_condition,
            sid="ClusterVolumes",
        ),
        statement(
            ["ec2:CreateSnapshot"],
            [snapshots],
            {"StringEquals": {"aws:RequestTag/restate:cluster": ctx.cluster_name}},
            sid="CreateClusterSnapshots",
        ),
        statement(
            ["ec2:CreateTags"],
            [snapshots],
            {"StringEquals": {"ec2:CreateAction": "CreateSnapshot"}},
            sid="TagNewSnapshots",
        ),
        statement(["ec2:DeleteSnapshot"], [snapshots], tag_condition, sid="ClusterSnapshots"),
    ]
