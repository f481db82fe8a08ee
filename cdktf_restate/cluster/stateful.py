"""Stateful nodes (log-server + worker): the task definition only.

There is deliberately no ECS service: the controller starts these tasks one per zone
slot with RunTask and drains them before stopping (see docs/controller-config.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cdktf

from cdktf_restate._tf import Resource, fn, op
from cdktf_restate.cluster.context import ClusterContext
from cdktf_restate.cluster.ecs import LogGroups
from cdktf_restate.cluster.restate_tasks import (
    DATA_VOLUME,
    RestateRoles,
    restate_container,
    restate_environment,
    task_definition_attributes,
)
from cdktf_restate.cluster.storage import Storage
from cdktf_restate.schema.props import DEFAULT_EPHEMERAL_STORAGE_GIB
from cdktf_restate.schema.tokens import is_token
from cdktf_restate.schema.validation import parse_replication

STATEFUL_ROLES = ("log-server", "worker")
HEALTH_CHECK = "curl --fail --silent --output /dev/null http://127.0.0.1:5122/health"


@dataclass(frozen=True)
class Stateful:
    task_definition: Resource
    family: str


def add_stateful(
    ctx: ClusterContext, *, storage: Storage, roles: RestateRoles, logs: LogGroups
) -> Stateful:
    props = ctx.props.stateful_node
    environment = restate_environment(
        ctx,
        storage=storage,
        roles=STATEFUL_ROLES,
        auto_provision=False,
        extra={},
        user=props.environment,
        local_name="stateful_environment",
    )
    container = restate_container(
        ctx,
        image=props.restate_image,
        resources=props.resources,
        environment=environment,
        logs=logs,
        health_check_command=HEALTH_CHECK,
    )
    volume: dict[str, Any] = {"name": DATA_VOLUME}
    counted_ebs = is_token(props.ebs_volume)
    null = cdktf.Token.null_value()
    if counted_ebs:
        # The generated module: configured at launch exactly when a volume is set.
        volume["configure_at_launch"] = op.neq(props.ebs_volume, null)
    elif props.ebs_volume is not None:
        # The controller passes the volume settings to RunTask (volumeConfigurations).
        volume["configure_at_launch"] = True
    family = ctx.name("stateful", 255)
    attributes = task_definition_attributes(
        ctx,
        family=family,
        resources=props.resources,
        execution_role=roles.execution,
        task_role=roles.task,
        container=container,
        volume=volume,
        tasks=ctx.props.restate_tasks,
    )
    if counted_ebs:
        attributes["dynamic"] = {
            "ephemeral_storage": {
                "for_each": fn.conditional(op.eq(props.ebs_volume, null), [1], []),
                "content": {"size_in_gib": DEFAULT_EPHEMERAL_STORAGE_GIB},
            }
        }
    elif props.ebs_volume is None:
        attributes["ephemeral_storage"] = [{"size_in_gib": DEFAULT_EPHEMERAL_STORAGE_GIB}]
    precondition = looked_up_zones_rule(ctx)
    if precondition is not None:
        attributes["lifecycle"] = {"precondition": [precondition]}
    task_definition = Resource(
        ctx.scope, "stateful_task_definition", "aws_ecs_task_definition", attributes
    )
    return Stateful(task_definition=task_definition, family=family)


def looked_up_zones_rule(ctx: ClusterContext) -> dict[str, str] | None:
    """Zone replication N needs N + 1 distinct zones. Validation checks the zones it is given;
    zones looked up by data source are checked by Terraform at plan time, before anything is
    created (the generated module has its own precondition for its variable)."""
    zones = list(ctx.availability_zones)
    if is_token(ctx.props.subnets) or not any(is_token(zone) for zone in zones):
        return None
    if is_token(ctx.replication):
        return None
    needed = parse_replication(ctx.replication, "stateless_node.default_replication").get("zone")
    if needed is None:
        return None
    distinct_zones = fn.length_of(fn.distinct(zones))
    return {
        "condition": cdktf.Token.as_string(op.gte(distinct_zones, needed + 1)),
        "error_message": (
            f"subnets: the subnets are in fewer than {needed + 1} distinct availability zones,"
            f" so the cluster cannot survive the loss of a zone with"
            f" stateless_node.default_replication {{zone: {needed}}}; allowed: at least zone"
            f" replication + 1 = {needed + 1} subnets in distinct zones."
        ),
    }
