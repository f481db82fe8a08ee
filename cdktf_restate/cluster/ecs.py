"""The ECS cluster (created with container insights, or existing) and the log groups."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_restate._tf import Resource, fn
from cdktf_restate.cluster.context import (
    ClusterContext,
    count_if_null,
    function_argument,
    last_path_segment,
    local,
)
from cdktf_restate.schema.tokens import is_token


@dataclass(frozen=True)
class EcsCluster:
    arn: str
    name: str
    created: Resource | None


@dataclass(frozen=True)
class LogGroups:
    restate: Resource
    controller: Resource
    exec_sessions: Resource


def add_log_groups(ctx: ClusterContext) -> LogGroups:
    def group(id: str, kind: str) -> Resource:
        return Resource(
            ctx.scope,
            id,
            "aws_cloudwatch_log_group",
            {
                "name": f"/ecs/{ctx.cluster_name}/{kind}",
                "retention_in_days": ctx.props.log_retention_days,
                "kms_key_id": ctx.kms_key_arn,
                "tags": ctx.tagged(),
            },
        )

    return LogGroups(
        restate=group("log_group_restate", "restate"),
        controller=group("log_group_controller", "controller"),
        exec_sessions=group("log_group_exec", "exec"),
    )


def add_ecs_cluster(ctx: ClusterContext, *, logs: LogGroups) -> EcsCluster:
    existing = ctx.props.ecs_cluster
    if is_token(existing):
        return _cluster_unless_given(ctx, existing, logs)
    if existing is not None:
        # A name or an ARN (a token may be either): the last '/'-segment is the name either way.
        name = last_path_segment(existing)
        if not is_token(existing) and existing.startswith("arn:"):
            return EcsCluster(arn=existing, name=name, created=None)
        return EcsCluster(arn=ctx.arn("ecs", f"cluster/{name}"), name=name, created=None)
    cluster = _created_cluster(ctx, logs)
    return EcsCluster(arn=cluster.arn, name=cluster.name, created=cluster)


def _cluster_unless_given(ctx: ClusterContext, existing: str, logs: LogGroups) -> EcsCluster:
    """A Terraform value that may be null (the generated module's variable): a name or ARN
    of an existing cluster, or null for a created one. Terraform evaluates both results of a
    conditional, so expressions over a null value are wrapped in ``try``."""
    cluster = _created_cluster(ctx, logs, count=count_if_null(existing))
    # "" when there is no given cluster: coalesce() skips it like null (cdktf cannot pass null).
    given_name = fn.try_([last_path_segment(existing), ""])
    name = local(ctx, "ecs_cluster_name", fn.coalesce([given_name, cluster.one("name")]))
    built_arn = function_argument(ctx.arn("ecs", f"cluster/{name}"))
    given_arn = fn.try_([fn.conditional(fn.startswith(existing, "arn:"), existing, built_arn), ""])
    arn = local(ctx, "ecs_cluster_arn", fn.coalesce([given_arn, cluster.one("arn")]))
    return EcsCluster(arn=arn, name=name, created=cluster)


def _created_cluster(ctx: ClusterContext, logs: LogGroups, count: float | None = None) -> Resource:
    return Resource(
        ctx.scope,
        "ecs_cluster",
        "aws_ecs_cluster",
        {
            "name": ctx.cluster_name,
            "setting": [
                {"name": "containerInsights", "value": ctx.props.monitoring.container_insights}
            ],
            # ECS Exec sessions (when enabled) are encrypted with the cluster key and logged.
            "configuration": [
                {
                    "execute_command_configuration": [
                        {
                            "kms_key_id": ctx.kms_key_arn,
                            "logging": "OVERRIDE",
                            "log_configuration": [
                                {
                                    "cloud_watch_encryption_enabled": True,
                                    "cloud_watch_log_group_name": logs.exec_sessions.name,
                                }
                            ],
                        }
                    ]
                }
            ],
            "tags": ctx.tagged(),
        },
        count=count,
    )
