"""The destroy-time cleanup: a Lambda and an ``aws_lambda_invocation`` (``lifecycle_scope =
"CRUD"``) that stop what Terraform does not track before Terraform deletes what it does.

The controller starts the stateful nodes with ECS RunTask, so they belong to no Terraform
resource; while they run, AWS refuses to delete the ECS cluster, and their network interfaces
keep the security group and the subnets. The invocation depends on the ECS cluster, the
controller service, the security group, the task definitions, roles and log groups, so
Terraform creates it after them and destroys it before them. Create and update do nothing;
the delete runs ``cdktf_restate/lambdas/cluster_cleanup.py`` (the steps of ``cdktf-restate
teardown``): scale the controller to 0, stop this cluster's tasks, wait until they are stopped,
and delete the EBS volumes and snapshots when the retention setting says nothing is kept.

The Lambda is not in the VPC: it calls only the ECS and EC2 APIs, and an ENI of its own in the
cluster's security group would hold up the very deletion it is there to allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cdktf
from constructs import Construct

from cdktf_restate._tf import Resource, fn, op
from cdktf_restate.cluster import functions
from cdktf_restate.cluster.context import ClusterContext, count_unless, shortened
from cdktf_restate.cluster.controller import Controller
from cdktf_restate.cluster.ecs import EcsCluster, LogGroups
from cdktf_restate.cluster.network import Network
from cdktf_restate.cluster.restate_tasks import RestateRoles
from cdktf_restate.cluster.stateful import Stateful
from cdktf_restate.lambdas import build as lambda_build
from cdktf_restate.lambdas import cluster_cleanup
from cdktf_restate.schema.tokens import is_token

#: Lambda's maximum: the controller stops within its 30 s stop timeout and each stateful node
#: within Fargate's 120 s, so one run fits with room for the volumes to detach.
CLEANUP_TIMEOUT_SECONDS = 900
CLEANUP_MEMORY_MB = 128
#: One destroy at a time; a second concurrent run would only wait for the same tasks.
CLEANUP_RESERVED_CONCURRENCY = 1


@dataclass(frozen=True)
class DestroyCleanup:
    function: Resource
    invocation: Resource
    role_arn: str
    log_group: Resource


def add_destroy_cleanup(
    ctx: ClusterContext,
    *,
    ecs_cluster: EcsCluster,
    network: Network,
    controller: Controller,
    stateful: Stateful,
    restate_roles: RestateRoles,
    logs: LogGroups,
) -> DestroyCleanup | None:
    """The cleanup Lambda and its invocation; None when ``destroy_cleanup.disabled`` is true
    (a Terraform boolean of the generated module becomes ``count``)."""
    props = ctx.props.destroy_cleanup
    disabled = props.disabled
    if not is_token(disabled) and disabled:
        return None
    count = count_unless(disabled) if is_token(disabled) else None
    construct = Construct(ctx.scope, "destroy_cleanup")
    name_prefix = shortened(ctx.cluster_name, functions.MAX_NAME_PREFIX_LENGTH)
    function_name = f"{name_prefix}-{cluster_cleanup.FUNCTION_SUFFIX}"
    tags = ctx.tagged()
    log_group = functions._log_group(
        construct, function_name, ctx.props.log_retention_days, ctx.kms_key_arn, tags, count
    )
    dead_letters = functions._dead_letter_queue(
        construct, f"{function_name}-dlq", ctx.kms_key_arn, tags, count
    )
    statements = functions._basic_statements(log_group, dead_letters, ctx.kms_key_arn)
    statements += cleanup_statements(ctx, ecs_cluster=ecs_cluster, controller=controller)
    role_arn, role_dependency = functions._execution_role(
        construct, function_name, given_arn=None, statements=statements, tags=tags, count=count
    )
    package = lambda_build.cluster_cleanup_zip()
    function = functions._function(
        construct,
        function_name=function_name,
        code=functions._zip_code(construct, {"arm64": package}, "arm64"),
        role_arn=role_arn,
        attributes={
            "description": "Stops this Restate cluster's controller and nodes on terraform destroy",
            "runtime": "python3.12",
            "handler": "cluster_cleanup.handler",
            "architectures": ["arm64"],
            "timeout": CLEANUP_TIMEOUT_SECONDS,
            "memory_size": CLEANUP_MEMORY_MB,
            "reserved_concurrent_executions": CLEANUP_RESERVED_CONCURRENCY,
        },
        log_group=log_group,
        dead_letter_queue=dead_letters,
        kms_key_arn=ctx.kms_key_arn,
        tags=tags,
        count=count,
        depends_on=role_dependency,
    )
    invocation = Resource(
        construct,
        "invocation",
        "aws_lambda_invocation",
        {
            # The name as text, not a reference: a function replaced for any reason must not
            # replace the invocation (its delete is the cleanup).
            "function_name": function_name,
            "input": fn.jsonencode(
                {
                    cluster_cleanup.ECS_CLUSTER_KEY: ecs_cluster.arn,
                    cluster_cleanup.CLUSTER_NAME_KEY: ctx.cluster_name,
                    cluster_cleanup.CONTROLLER_SERVICE_KEY: controller.service.attr("name"),
                    cluster_cleanup.DELETE_STORAGE_KEY: delete_storage(ctx),
                }
            ),
            "lifecycle_scope": "CRUD",
            "terraform_key": cluster_cleanup.LIFECYCLE_KEY,
        },
        depends_on=[
            function,
            *destroyed_after(network, ecs_cluster, controller, stateful, restate_roles, logs),
        ],
        count=count,
    )
    return DestroyCleanup(function, invocation, role_arn, log_group)


def destroyed_after(
    network: Network,
    ecs_cluster: EcsCluster,
    controller: Controller,
    stateful: Stateful,
    restate_roles: RestateRoles,
    logs: LogGroups,
) -> list[Resource]:
    """What the cleanup must run before: the ECS cluster and security group (AWS refuses to
    delete them while tasks run), the controller service (it would start new nodes), and what
    a stopping task still uses (task definitions, roles and their policies, log groups)."""
    roles = (controller.task_role, controller.execution_role, restate_roles.task,
             restate_roles.execution)  # fmt: skip
    candidates: Sequence[Resource | None] = (
        ecs_cluster.created,
        network.security_group,
        controller.service,
        controller.task_definition,
        stateful.task_definition,
        *(role.created for role in roles),
        *restate_roles.policies,
        logs.restate,
        logs.controller,
        logs.exec_sessions,
    )
    return [resource for resource in candidates if resource is not None]


def delete_storage(ctx: ClusterContext) -> Any:
    """Whether the cleanup deletes the cluster's EBS volumes and snapshots: when the controller
    keeps nothing of a retired node (``snapshot_retention_days`` 0), or when asked to."""
    asked = ctx.props.destroy_cleanup.delete_storage
    retention = ctx.props.controller.snapshot_retention_days
    if is_token(asked) or is_token(retention):
        # `< 1`, not `== 0`: cdktf 0.21 renders a 0 operand as `undefined`; the retention is
        # a whole number of days >= 0 (validated), so both mean the same.
        return cdktf.Token.as_any(op.or_(asked, op.lt(retention, 1)))
    return bool(asked) or retention == 0


def cleanup_statements(
    ctx: ClusterContext, *, ecs_cluster: EcsCluster, controller: Controller
) -> list[dict[str, Any]]:
    """Least privilege for the steps of ``cluster_cleanup``: the controller service only; task
    calls conditioned on this ECS cluster; volume and snapshot deletes on this cluster's and the
    controller's tags. DescribeVolumes/DescribeSnapshots have no resource-level permissions."""
    cluster_arn = ecs_cluster.arn
    owned = {
        "StringEquals": {
            f"aws:ResourceTag/{cluster_cleanup.TAG_CLUSTER}": ctx.cluster_name,
            f"aws:ResourceTag/{cluster_cleanup.TAG_MANAGED_BY}": cluster_cleanup.MANAGED_BY,
        }
    }
    return [
        {
            "Sid": "FindThisEcsCluster",
            "Effect": "Allow",
            "Action": ["ecs:DescribeClusters"],
            "Resource": cluster_arn,
        },
        {
            "Sid": "StopTheController",
            "Effect": "Allow",
            "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
            "Resource": controller.service.attr("id"),  # the service's ARN
        },
        {
            # ListTasks' resource is the container instance, DescribeTasks' and StopTask's the
            # task: the ecs:cluster condition keeps all three inside this ECS cluster.
            "Sid": "StopThisClustersTasks",
            "Effect": "Allow",
            "Action": ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:StopTask"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"ecs:cluster": cluster_arn}},
        },
        {
            "Sid": "ListVolumesAndSnapshots",
            "Effect": "Allow",
            "Action": ["ec2:DescribeVolumes", "ec2:DescribeSnapshots"],
            "Resource": "*",
        },
        {
            "Sid": "DeleteThisClustersStorage",
            "Effect": "Allow",
            "Action": ["ec2:DeleteVolume", "ec2:DeleteSnapshot"],
            "Resource": [
                ctx.arn("ec2", "volume/*"),
                ctx.arn("ec2", "snapshot/*", account=False),
            ],
            "Condition": owned,
        },
    ]
