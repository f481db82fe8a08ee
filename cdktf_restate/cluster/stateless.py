"""Stateless nodes (admin + http-ingress): task definition and ECS service behind the NLB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf_restate._tf import Resource, fn
from cdktf_restate.cluster.context import ClusterContext, given_or
from cdktf_restate.cluster.ecs import EcsCluster, LogGroups
from cdktf_restate.cluster.load_balancer import LoadBalancer
from cdktf_restate.cluster.network import RESTATE_PORTS
from cdktf_restate.cluster.restate_tasks import (
    CONTAINER_NAME,
    DATA_VOLUME,
    RestateRoles,
    restate_container,
    restate_environment,
    task_definition_attributes,
)
from cdktf_restate.cluster.storage import Storage

STATELESS_ROLES = ("admin", "http-ingress")
HEALTH_CHECK = (
    "curl --fail --silent --output /dev/null http://127.0.0.1:8080/restate/health"
    " && curl --fail --silent --output /dev/null http://127.0.0.1:9070/health"
)
#: Rolling deploys: start the new tasks before stopping any old one.
DEPLOYMENT_MAXIMUM_PERCENT = 200
DEPLOYMENT_MINIMUM_HEALTHY_PERCENT = 100
HEALTH_CHECK_GRACE_PERIOD_SECONDS = 60


@dataclass(frozen=True)
class Stateless:
    task_definition: Resource
    service: Resource
    family: str


def add_stateless(
    ctx: ClusterContext,
    *,
    storage: Storage,
    roles: RestateRoles,
    logs: LogGroups,
    ecs_cluster: EcsCluster,
    load_balancer: LoadBalancer,
    security_group_ids: list[str],
    ingress_url: str,
) -> Stateless:
    props = ctx.props.stateless_node
    tasks = ctx.props.restate_tasks
    environment = restate_environment(
        ctx,
        storage=storage,
        roles=STATELESS_ROLES,
        auto_provision=True,
        extra={
            "RESTATE_INGRESS__ADVERTISED_INGRESS_ENDPOINT": given_or(
                props.ingress_advertised_address, ingress_url
            ),
        },
        user=props.environment,
        local_name="stateless_environment",
    )
    container = restate_container(
        ctx,
        image=props.restate_image,
        resources=props.resources,
        environment=environment,
        logs=logs,
        health_check_command=HEALTH_CHECK,
    )
    family = ctx.name("stateless", 255)
    task_definition = Resource(
        ctx.scope,
        "stateless_task_definition",
        "aws_ecs_task_definition",
        task_definition_attributes(
            ctx,
            family=family,
            resources=props.resources,
            execution_role=roles.execution,
            task_role=roles.task,
            container=container,
            # A bind mount on the task's ephemeral storage: the root filesystem is read-only.
            volume={"name": DATA_VOLUME},
            tasks=tasks,
        ),
    )
    target_groups = [(RESTATE_PORTS[name], arn) for name, arn in load_balancer.target_groups]
    target_groups += [
        (RESTATE_PORTS[name], group.arn) for name, group in load_balancer.alb_target_groups.items()
    ]
    listeners = [
        listener for listener in vars(load_balancer.listeners).values() if listener is not None
    ]
    service = Resource(
        ctx.scope,
        "stateless_service",
        "aws_ecs_service",
        {
            "name": ctx.name("stateless", 255),
            "cluster": ecs_cluster.arn,
            "task_definition": task_definition.arn,
            "desired_count": props.desired_count,
            "launch_type": "FARGATE",
            "platform_version": "LATEST",
            "deployment_maximum_percent": DEPLOYMENT_MAXIMUM_PERCENT,
            "deployment_minimum_healthy_percent": DEPLOYMENT_MINIMUM_HEALTHY_PERCENT,
            "deployment_circuit_breaker": [{"enable": True, "rollback": True}],
            "health_check_grace_period_seconds": HEALTH_CHECK_GRACE_PERIOD_SECONDS,
            "enable_execute_command": tasks.enable_execute_command,
            "propagate_tags": "SERVICE",
            "network_configuration": [
                {
                    "subnets": list(ctx.subnet_ids),
                    "security_groups": security_group_ids,
                    "assign_public_ip": False,
                }
            ],
            "load_balancer": None
            if load_balancer.counted_targets
            else [
                {"target_group_arn": arn, "container_name": CONTAINER_NAME, "container_port": port}
                for port, arn in target_groups
            ],
            "dynamic": _dynamic_targets(load_balancer) if load_balancer.counted_targets else None,
            "wait_for_steady_state": False,
            "tags": ctx.tagged(),
        },
        # ECS refuses target groups that are not yet attached to a listener; the first tasks
        # need their roles' policies (IAM changes take a while to reach ECS and S3).
        depends_on=[*listeners, *roles.policies],
    )
    return Stateless(task_definition=task_definition, service=service, family=family)


def _dynamic_targets(load_balancer: LoadBalancer) -> dict[str, Any]:
    """The generated module's ``dynamic "load_balancer"`` block over the target groups that
    exist (each a list of 0 or 1 by its ``count``), in the construct's order; every group's
    port is its container port."""
    # A counted resource without an index is the list of its instances (0 or 1).
    groups = [
        group.fqn if group.counted else [group.fqn]
        for group in load_balancer.target_group_resources
    ]
    return {
        "load_balancer": {
            "for_each": fn.concat(groups),
            "content": {
                "target_group_arn": "${load_balancer.value.arn}",
                "container_name": CONTAINER_NAME,
                "container_port": "${load_balancer.value.port}",
            },
        }
    }
