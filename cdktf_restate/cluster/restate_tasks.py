"""What both Restate task definitions share: roles, environment, container definition."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cdktf

from cdktf_restate._tf import Resource, fn, op
from cdktf_restate.cluster.context import (
    ClusterContext,
    count_unless_null,
    function_argument,
    local,
    negated,
    text,
)
from cdktf_restate.cluster.ecs import LogGroups
from cdktf_restate.cluster.entrypoint import COMMAND, ENTRYPOINT
from cdktf_restate.cluster.iam import (
    Role,
    add_exec_statements,
    attach_policy,
    ecr_pull_statements,
    ecr_repository_arn,
    existing_or_new_role,
    log_statements,
    statement,
)
from cdktf_restate.cluster.network import RESTATE_PORTS
from cdktf_restate.cluster.storage import Storage
from cdktf_restate.schema.props import DEFAULT_RESTATE_LOG_STREAM_PREFIX, Resources, TaskProps
from cdktf_restate.schema.tokens import is_token

CONTAINER_NAME = "restate"
DATA_VOLUME = "restate-data"
DATA_DIR = "/restate-data"
#: Fargate's maximum: time for a node to leave cleanly after SIGTERM.
STOP_TIMEOUT_SECONDS = 120
OPEN_FILES_LIMIT = 65535
ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"


@dataclass(frozen=True)
class RestateRoles:
    execution: Role
    task: Role
    # The inline policies of the roles: services wait for them, so that their first tasks
    # are not refused (IAM changes take a while to reach ECS, S3 and the log service).
    policies: tuple[Resource, ...] = ()


def add_restate_roles(ctx: ClusterContext, *, storage: Storage, logs: LogGroups) -> RestateRoles:
    tasks = ctx.props.restate_tasks
    execution = existing_or_new_role(
        ctx,
        "restate_execution_role",
        arn=tasks.execution_role_arn,
        suffix="restate-exec",
        service=ECS_TASKS_SERVICE,
        description="Pulls the Restate image and writes its logs",
    )
    task = existing_or_new_role(
        ctx,
        "restate_task_role",
        arn=tasks.task_role_arn,
        suffix="restate-task",
        service=ECS_TASKS_SERVICE,
        description="Restate nodes: metadata and snapshots in S3",
    )
    policies: list[Resource | None] = []
    if execution.created is not None:
        images = {ctx.props.stateless_node.restate_image, ctx.props.stateful_node.restate_image}
        repositories = sorted({arn for image in images if (arn := ecr_repository_arn(image, ctx))})
        policies.append(
            attach_policy(
                ctx,
                "restate_execution_policy",
                role=execution,
                name="restate-execution",
                statements=log_statements([logs.restate.arn]) + ecr_pull_statements(repositories),
                count=execution.count,
            )
        )
    given_key = ctx.props.object_storage.kms_key_arn
    if storage.bucket is not None:
        bucket_key: str | None = ctx.kms_key_arn
    else:
        bucket_key = None if is_token(given_key) else given_key
    task_statements = storage.task_statements(bucket_key)
    if is_token(given_key):
        # The generated module's variable (null by default): a policy of its own that exists
        # with a key, since a policy statement cannot name a null resource.
        policies.append(
            attach_policy(
                ctx,
                "restate_bucket_key_policy",
                role=task,
                name="restate-bucket-key",
                statements=[
                    statement(["kms:Decrypt", "kms:GenerateDataKey"], [given_key], sid="BucketKey")
                ],
                count=count_unless_null(given_key),
            )
        )
    policies.append(
        add_exec_statements(
            ctx,
            "restate_exec_policy",
            enabled=tasks.enable_execute_command,
            role=task,
            name="restate-ecs-exec",
            statements=task_statements,
            exec_log_group_arn=logs.exec_sessions.arn,
        )
    )
    policies.append(
        attach_policy(
            ctx,
            "restate_task_policy",
            role=task,
            name="restate-object-storage",
            statements=task_statements,
        )
    )
    return RestateRoles(
        execution=execution,
        task=task,
        policies=tuple(policy for policy in policies if policy is not None),
    )


def restate_environment(
    ctx: ClusterContext,
    *,
    storage: Storage,
    roles: Sequence[str],
    auto_provision: bool,
    extra: Mapping[str, str],
    user: Mapping[str, str] | str,
    local_name: str,
) -> dict[str, str] | str:
    """Restate settings as ``RESTATE_*`` variables plus ``extra``; the user's environment
    wins. For a map token (the generated module's ``var.<node>.environment``) the result is
    a ``local`` named ``local_name`` holding Terraform's ``merge`` (the later map wins too)."""
    stateless = ctx.props.stateless_node
    env = {
        "RESTATE_CLUSTER_NAME": ctx.cluster_name,
        "RESTATE_ROLES": "[" + ",".join(roles) + "]",
        "RESTATE_AUTO_PROVISION": str(auto_provision).lower(),
        "RESTATE_BASE_DIR": DATA_DIR,
        # Fargate tasks have no IPv6 unless the subnet is dual-stack; 1.7 binds '::' by default.
        "RESTATE_BIND_IP": "0.0.0.0",
        "RESTATE_METADATA_CLIENT__TYPE": "object-store",
        "RESTATE_METADATA_CLIENT__PATH": storage.metadata_url,
        "RESTATE_METADATA_CLIENT__AWS_REGION": ctx.region,
        "RESTATE_BIFROST__DEFAULT_PROVIDER": "replicated",
        "RESTATE_DEFAULT_REPLICATION": ctx.replication,
        "RESTATE_DEFAULT_NUM_PARTITIONS": text(stateless.default_partitions),
        "RESTATE_WORKER__SNAPSHOTS__DESTINATION": storage.snapshots_url,
        "RESTATE_WORKER__SNAPSHOTS__AWS_REGION": ctx.region,
    }
    env.update(extra)
    if isinstance(user, str) and is_token(user):
        fixed = {name: function_argument(env[name]) for name in sorted(env)}
        # tomap: the number of partitions becomes a string, as ECS wants every value.
        local(ctx, local_name, fn.merge([fn.tomap(fixed), user]))
        return local_name
    env.update(user)
    return env


def environment_entries(environment: Mapping[str, str] | str) -> list[dict[str, str]] | str:
    """ECS ``environment`` entries sorted by name; for the name of a Terraform local (see
    ``restate_environment``) a ``for`` expression, which walks a map in key order as well."""
    if isinstance(environment, str):
        return f"${{[for name, value in local.{environment} : {{ name = name, value = value }}]}}"
    return [{"name": k, "value": v} for k, v in sorted(environment.items())]


def log_configuration(
    ctx: ClusterContext, tasks: TaskProps, group: Resource, stream_prefix: str
) -> dict[str, Any]:
    defaults = {
        "awslogs-group": group.name,
        "awslogs-region": ctx.region,
        "awslogs-stream-prefix": stream_prefix,
    }
    if is_token(tasks.log_driver):
        # The generated module's variables: the given options, else the awslogs defaults
        # (validation requires options for any other driver, as in the construct).
        null = cdktf.Token.null_value()
        chosen = fn.conditional(op.neq(tasks.log_options, null), tasks.log_options, defaults)
        return {"logDriver": tasks.log_driver, "options": cdktf.Token.as_string(chosen)}
    if tasks.log_driver == "awslogs" and tasks.log_options is None:
        options = defaults
    else:
        options = dict(tasks.log_options or {})
    return {"logDriver": tasks.log_driver, "options": options}


def terraform_literal(text: str) -> str:
    """Escape ``${`` and ``%{`` so Terraform keeps shell text verbatim."""
    return text.replace("${", "$${").replace("%{", "%%{")


#: Marks a JSON value that must be written unquoted (a Terraform boolean expression).
_RAW_JSON = "__cdktf_restate_raw_json__:"
_RAW_JSON_RE = re.compile(rf'"{_RAW_JSON}([^"]*)"')


def read_only_root(tasks: TaskProps) -> bool | str:
    """Read-only root file system, except with ECS Exec: its agent writes under /var/lib/amazon
    and /var/log/amazon in the container, and AWS's Exec checker requires a writable root."""
    flag = tasks.enable_execute_command
    writable_root = negated(flag)
    if isinstance(writable_root, bool) or isinstance(flag, str):
        return writable_root  # a string token: the generated module's, rendered as HCL
    # A CDKTF boolean (an IResolvable): unquoted in the JSON text, so that Terraform writes a
    # JSON boolean there (a quoted "true" is refused by the provider).
    return f"{_RAW_JSON}{writable_root}"


def container_definitions_json(container: Mapping[str, Any]) -> str:
    """The task definition's ``container_definitions`` text (raw values unquoted)."""
    return _RAW_JSON_RE.sub(lambda match: match.group(1), json.dumps([container]))


def restate_container(
    ctx: ClusterContext,
    *,
    image: str,
    resources: Resources,
    environment: Mapping[str, str] | str,
    logs: LogGroups,
    health_check_command: str,
) -> dict[str, Any]:
    return {
        "name": CONTAINER_NAME,
        "image": image,
        "essential": True,
        "entryPoint": ENTRYPOINT,
        "command": [terraform_literal(part) for part in COMMAND],
        # Container-level memory: the entrypoint sizes RocksDB from this limit.
        "memory": resources.memory_mib,
        "portMappings": [
            {"name": name, "containerPort": port, "hostPort": port, "protocol": "tcp"}
            for name, port in RESTATE_PORTS.items()
        ],
        "environment": environment_entries(environment),
        "mountPoints": [
            {"sourceVolume": DATA_VOLUME, "containerPath": DATA_DIR, "readOnly": False}
        ],
        "readonlyRootFilesystem": read_only_root(ctx.props.restate_tasks),
        "ulimits": [
            {"name": "nofile", "softLimit": OPEN_FILES_LIMIT, "hardLimit": OPEN_FILES_LIMIT}
        ],
        "stopTimeout": STOP_TIMEOUT_SECONDS,
        "logConfiguration": log_configuration(
            ctx, ctx.props.restate_tasks, logs.restate, DEFAULT_RESTATE_LOG_STREAM_PREFIX
        ),
        "healthCheck": {
            "command": ["CMD-SHELL", health_check_command],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        },
    }


def task_definition_attributes(
    ctx: ClusterContext,
    *,
    family: str,
    resources: Resources,
    execution_role: Role,
    task_role: Role,
    container: Mapping[str, Any],
    volume: Mapping[str, Any],
    tasks: TaskProps,
) -> dict[str, Any]:
    """A Fargate task definition with one container and one volume (Restate nodes, controller)."""
    return {
        "family": family,
        "network_mode": "awsvpc",
        "requires_compatibilities": ["FARGATE"],
        "cpu": text(resources.cpu),
        "memory": text(resources.memory_mib),
        "execution_role_arn": execution_role.arn,
        "task_role_arn": task_role.arn,
        "runtime_platform": [
            {"operating_system_family": "LINUX", "cpu_architecture": tasks.cpu_architecture}
        ],
        "container_definitions": container_definitions_json(container),
        "volume": [dict(volume)],
        "tags": ctx.tagged(),
    }
