"""The controller: task definition, ECS service (exactly one task); its IAM is in controller_iam.

Its whole configuration is environment, exactly the contract of docs/controller-config.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import cdktf

from cdktf_restate._tf import Resource, fn, op
from cdktf_restate.cluster.context import ClusterContext, count_unless_null, text
from cdktf_restate.cluster.controller_iam import (
    controller_task_statements,
    ebs_statements,
    ebs_volume_role,
)
from cdktf_restate.cluster.ecs import EcsCluster, LogGroups
from cdktf_restate.cluster.iam import (
    Role,
    add_exec_statements,
    attach_policy,
    ecr_pull_statements,
    ecr_repository_arn,
    ecr_repository_arn_expression,
    existing_or_new_role,
    log_statements,
)
from cdktf_restate.cluster.restate_tasks import (
    CONTAINER_NAME,
    ECS_TASKS_SERVICE,
    RestateRoles,
    log_configuration,
    read_only_root,
    task_definition_attributes,
)
from cdktf_restate.cluster.stateful import Stateful
from cdktf_restate.schema.props import (
    DEFAULT_CONTROLLER_LOG_STREAM_PREFIX,
    DEFAULT_CONTROLLER_REPOSITORY,
    DEFAULT_CONTROLLER_TAG,
)
from cdktf_restate.schema.tokens import TOKEN_LIST_MARKER, is_token

CONTROLLER_CONTAINER_NAME = "controller"
CONTROLLER_HEALTH_PORT = 8080
HEALTH_CHECK = [
    "CMD",
    "python",
    "-c",
    # /live, not /health: a halted controller stays up saying why (controller_image/README.md).
    f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{CONTROLLER_HEALTH_PORT}/live', timeout=3)",
]


@dataclass(frozen=True)
class Controller:
    task_definition: Resource
    service: Resource
    task_role: Role
    execution_role: Role
    environment: dict[str, str]
    ebs_role: Role | None


def controller_image(ctx: ClusterContext) -> tuple[str, str | None]:
    """The image and, when it lives in ECR, its repository ARN (for pull permissions)."""
    image = ctx.props.controller.controller_image
    registry = f"{ctx.account_id}.dkr.ecr.{ctx.region}.amazonaws.com"
    default_image = f"{registry}/{DEFAULT_CONTROLLER_REPOSITORY}:{DEFAULT_CONTROLLER_TAG}"
    default_repository = ctx.arn("ecr", f"repository/{DEFAULT_CONTROLLER_REPOSITORY}")
    if image is None:
        return default_image, default_repository
    if is_token(image):
        # A Terraform value that may be null (the generated module's input): the default then.
        # (join, not a template: cdktf functions do not take templates with references.)
        default_image = _joined(
            registry_parts(ctx) + [f"/{DEFAULT_CONTROLLER_REPOSITORY}:{DEFAULT_CONTROLLER_TAG}"]
        )
        default_repository = _joined(
            ["arn:", ctx.partition, ":ecr:", ctx.region, ":", ctx.account_id, ":repository/",
             DEFAULT_CONTROLLER_REPOSITORY]
        )  # fmt: skip
        image = cdktf.Token.as_string(fn.coalesce([image, default_image]))
        return image, ecr_repository_arn_expression(image, ctx, fallback=default_repository)
    return image, ecr_repository_arn(image, ctx)


def subnets_by_zone(ctx: ClusterContext) -> str:
    """``{"<zone>": "<subnet id>"}`` as JSON; ``jsonencode(zipmap(...))`` in Terraform for
    token lists (the generated module's subnets, any number)."""
    zones, ids = list(ctx.availability_zones), list(ctx.subnet_ids)
    if is_token(ids) and any(TOKEN_LIST_MARKER in v for v in ids):
        return cdktf.Token.as_string(fn.jsonencode(fn.zipmap(zones, ids)))
    return json.dumps(dict(zip(zones, ids, strict=True)))


def json_list(values: list[str]) -> str:
    """A JSON list of strings; ``jsonencode`` in Terraform for a token list (the generated
    module's security groups, chosen at plan time)."""
    if is_token(values) and any(TOKEN_LIST_MARKER in v for v in values):
        return cdktf.Token.as_string(fn.jsonencode(values))
    return json.dumps(values)


def boolean_text(flag: bool | str) -> str:
    """``true``/``false``; ``tostring()`` in Terraform for a boolean token (the generated
    module's variable), since ECS takes only strings as environment values."""
    if is_token(flag):
        return cdktf.Token.as_string(fn.tostring(flag))
    return text(flag)


def registry_parts(ctx: ClusterContext) -> list[str]:
    return [ctx.account_id, ".dkr.ecr.", ctx.region, ".amazonaws.com"]


def _joined(parts: list[str]) -> str:
    return cdktf.Token.as_string(fn.join("", parts))


def controller_environment(
    ctx: ClusterContext,
    *,
    ecs_cluster: EcsCluster,
    stateful: Stateful,
    security_group_ids: list[str],
    restatectl_address: str,
    admin_url: str,
    ebs_role: Role | None,
) -> dict[str, str]:
    props = ctx.props
    env = {
        "RESTATE_CONTROLLER_BACKEND": "ecs",
        "RESTATE_CONTROLLER_CLUSTER_NAME": ctx.cluster_name,
        "RESTATE_CONTROLLER_ECS_CLUSTER_ARN": ecs_cluster.arn,
        "RESTATE_CONTROLLER_TASK_DEFINITION_ARN": stateful.task_definition.arn,
        "RESTATE_CONTROLLER_TASK_FAMILY": stateful.family,
        "RESTATE_CONTROLLER_CONTAINER_NAME": CONTAINER_NAME,
        "RESTATE_CONTROLLER_SUBNETS_BY_AZ": subnets_by_zone(ctx),
        "RESTATE_CONTROLLER_SECURITY_GROUP_IDS": json_list(security_group_ids),
        "RESTATE_CONTROLLER_ASSIGN_PUBLIC_IP": "false",
        "RESTATE_CONTROLLER_NODES_PER_AZ": text(props.stateful_node.nodes_per_az),
        "RESTATE_CONTROLLER_REPLICATION": ctx.replication,
        "RESTATE_CONTROLLER_RESTATECTL_ADDRESS": restatectl_address,
        "RESTATE_CONTROLLER_ADMIN_URL": admin_url,
        "RESTATE_CONTROLLER_SNAPSHOT_RETENTION_DAYS": text(
            props.controller.snapshot_retention_days
        ),
        "RESTATE_CONTROLLER_RECONCILE_INTERVAL_SECONDS": text(
            props.controller.reconcile_interval_seconds
        ),
        "RESTATE_CONTROLLER_HEALTH_PORT": str(CONTROLLER_HEALTH_PORT),
        "RESTATE_CONTROLLER_DRAIN_TIMEOUT_SECONDS": text(props.controller.drain_timeout_seconds),
        # ECS Exec into the stateful tasks needs it at RunTask, like the service's setting.
        "RESTATE_CONTROLLER_ENABLE_EXECUTE_COMMAND": boolean_text(
            props.restate_tasks.enable_execute_command
        ),
    }
    ebs = props.stateful_node.ebs_volume
    if is_token(ebs) and ebs_role is not None:
        env["RESTATE_CONTROLLER_EBS_VOLUME"] = ebs_volume_json(ebs, ebs_role)
    elif ebs is not None and ebs_role is not None:
        volume: dict[str, Any] = {
            "size_gib": ebs.size_gib,
            "volume_type": ebs.volume_type,
            "iops": ebs.iops,
            "throughput": ebs.throughput,
            "role_arn": ebs_role.arn,
            "encrypted": ebs.encrypted,
            "kms_key_id": ebs.kms_key_id,
        }
        env["RESTATE_CONTROLLER_EBS_VOLUME"] = json.dumps(
            {k: v for k, v in volume.items() if v is not None}
        )
    return env


def ebs_volume_json(ebs: object, ebs_role: Role) -> str:
    """The generated module's ``RESTATE_CONTROLLER_EBS_VOLUME``: JSON ``null`` without a
    volume (the controller reads it as none), else the construct's object, where unset
    optional fields are JSON nulls instead of missing keys (docs/controller-config.md)."""
    null = cdktf.Token.null_value()
    # Only read when the volume is set.
    volume = {name: fn.lookup_nested(ebs, [name]) for name in EBS_VOLUME_FIELDS}
    volume["role_arn"] = ebs_role.arn
    return cdktf.Token.as_string(fn.conditional(op.eq(ebs, null), "null", fn.jsonencode(volume)))


#: The volume's fields in the controller's JSON, in the construct's order.
EBS_VOLUME_FIELDS = (
    "size_gib",
    "volume_type",
    "iops",
    "throughput",
    "role_arn",
    "encrypted",
    "kms_key_id",
)


def add_controller(
    ctx: ClusterContext,
    *,
    ecs_cluster: EcsCluster,
    stateful: Stateful,
    restate_roles: RestateRoles,
    logs: LogGroups,
    security_group_ids: list[str],
    restatectl_address: str,
    admin_url: str,
) -> Controller:
    props = ctx.props.controller
    tasks = props.tasks
    image, repository_arn = controller_image(ctx)
    ebs_role = ebs_volume_role(ctx)
    execution_role = existing_or_new_role(
        ctx,
        "controller_execution_role",
        arn=tasks.execution_role_arn,
        suffix="controller-exec",
        service=ECS_TASKS_SERVICE,
        description="Pulls the controller image and writes its logs",
    )
    # The service waits for every policy of its roles and of the Restate roles (the
    # controller starts Restate tasks at once): IAM changes take a while to reach ECS.
    policies: list[Resource | None] = list(restate_roles.policies)
    if execution_role.created is not None:
        policies.append(
            attach_policy(
                ctx,
                "controller_execution_policy",
                role=execution_role,
                name="controller-execution",
                statements=log_statements([logs.controller.arn])
                + ecr_pull_statements([repository_arn] if repository_arn else []),
                count=execution_role.count,
            )
        )
    task_role = existing_or_new_role(
        ctx,
        "controller_task_role",
        arn=tasks.task_role_arn,
        suffix="controller-task",
        service=ECS_TASKS_SERVICE,
        description="Runs, tags, drains and stops this cluster's stateful tasks",
    )
    task_statements = controller_task_statements(
        ctx,
        ecs_cluster=ecs_cluster,
        stateful=stateful,
        restate_roles=restate_roles,
        ebs_role=ebs_role,
    )
    policies.append(
        add_exec_statements(
            ctx,
            "controller_exec_policy",
            enabled=tasks.enable_execute_command,
            role=task_role,
            name="controller-ecs-exec",
            statements=task_statements,
            exec_log_group_arn=logs.exec_sessions.arn,
        )
    )
    if ebs_role is not None and is_token(ctx.props.stateful_node.ebs_volume):
        # The generated module: a policy of its own that exists with a volume.
        policies.append(
            attach_policy(
                ctx,
                "controller_ebs_policy",
                role=task_role,
                name="controller-ebs",
                statements=ebs_statements(ctx, ebs_role),
                count=count_unless_null(ctx.props.stateful_node.ebs_volume),  # type: ignore[arg-type]
            )
        )
    policies.append(
        attach_policy(
            ctx,
            "controller_task_policy",
            role=task_role,
            name="controller",
            statements=task_statements,
        )
    )
    environment = controller_environment(
        ctx,
        ecs_cluster=ecs_cluster,
        stateful=stateful,
        security_group_ids=security_group_ids,
        restatectl_address=restatectl_address,
        admin_url=admin_url,
        ebs_role=ebs_role,
    )
    container = {
        "name": CONTROLLER_CONTAINER_NAME,
        "image": image,
        "essential": True,
        "memory": props.resources.memory_mib,
        "portMappings": [
            {
                "containerPort": CONTROLLER_HEALTH_PORT,
                "hostPort": CONTROLLER_HEALTH_PORT,
                "protocol": "tcp",
            }
        ],
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "readonlyRootFilesystem": read_only_root(tasks),
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
        "logConfiguration": log_configuration(
            ctx, tasks, logs.controller, DEFAULT_CONTROLLER_LOG_STREAM_PREFIX
        ),
        "healthCheck": {
            "command": HEALTH_CHECK,
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 30,
        },
        "stopTimeout": 30,
    }
    task_definition = Resource(
        ctx.scope,
        "controller_task_definition",
        "aws_ecs_task_definition",
        task_definition_attributes(
            ctx,
            family=ctx.name("controller", 255),
            resources=props.resources,
            execution_role=execution_role,
            task_role=task_role,
            container=container,
            volume={"name": "tmp"},
            tasks=tasks,
        ),
    )
    service = Resource(
        ctx.scope,
        "controller_service",
        "aws_ecs_service",
        {
            "name": ctx.name("controller", 255),
            "cluster": ecs_cluster.arn,
            "task_definition": task_definition.arn,
            "desired_count": 1,
            "launch_type": "FARGATE",
            "platform_version": "LATEST",
            # Never two controllers at once: stop the old task before starting the new one.
            "deployment_maximum_percent": 100,
            "deployment_minimum_healthy_percent": 0,
            "enable_execute_command": tasks.enable_execute_command,
            "propagate_tags": "SERVICE",
            "network_configuration": [
                {
                    "subnets": list(ctx.subnet_ids),
                    "security_groups": security_group_ids,
                    "assign_public_ip": False,
                }
            ],
            "wait_for_steady_state": False,
            "tags": ctx.tagged(),
        },
        depends_on=[policy for policy in policies if policy is not None],
    )
    return Controller(
        task_definition=task_definition,
        service=service,
        task_role=task_role,
        execution_role=execution_role,
        environment=environment,
        ebs_role=ebs_role,
    )
