"""The shared NLB: TCP listeners 8080/9070/5122 to IP target groups with HTTP health checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cdktf

from cdktf_restate._tf import DataSource, Resource, fn, op
from cdktf_restate.cluster.context import (
    ClusterContext,
    count_if,
    count_if_null,
    count_unless,
    count_unless_null,
    local,
    negated,
)
from cdktf_restate.cluster.network import RESTATE_PORTS
from cdktf_restate.schema.tokens import is_token
from cdktf_restate.schema.validation import SHARED_NLB_PORTS

HEALTH_CHECK_PATHS = {"ingress": "/restate/health", "admin": "/health", "node": "/health"}
HEALTH_CHECK_INTERVAL_SECONDS = 5
HEALTH_CHECK_TIMEOUT_SECONDS = 3
HEALTHY_THRESHOLD = 2
UNHEALTHY_THRESHOLD = 2
#: Short, so rolling deploys of the stateless nodes move traffic quickly.
DEREGISTRATION_DELAY_SECONDS = 10
SHORT_PORT_NAMES = {"ingress": "ing", "admin": "adm", "node": "node"}


@dataclass(frozen=True)
class Listeners:
    """Listener resources by port name; a disabled port is None."""

    ingress: Resource | None
    admin: Resource | None
    node: Resource


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    dns_name: str
    listeners: Listeners
    #: (port name, target group ARN) the stateless service registers with, NLB first.
    target_groups: list[tuple[str, str]]
    alb_target_groups: dict[str, Resource] = field(default_factory=dict)
    created: Resource | None = None
    #: Every target group, NLB then ALB; some have a ``count`` in the generated module.
    target_group_resources: list[Resource] = field(default_factory=list)

    @property
    def counted_targets(self) -> bool:
        return any(group.counted for group in self.target_group_resources)


def add_load_balancer(ctx: ClusterContext, *, security_group_ids: list[str]) -> LoadBalancer:
    props = ctx.props.load_balancer
    given = props.existing_nlb_arn
    if is_token(given):
        # The generated module's variable, null by default: the NLB is created only then,
        # the data source reads a given one; locals hold what the rest of the module uses.
        existing = DataSource(
            ctx.scope, "existing_nlb", "aws_lb", {"arn": given}, count=count_unless_null(given)
        )
        created = _created_nlb(ctx, security_group_ids, count=count_if_null(given))
        arn = local(ctx, "nlb_arn", fn.coalesce([given, created.one("arn")]))
        dns_name = local(
            ctx,
            "nlb_dns_name",
            fn.coalesce([existing.one("dns_name"), created.one("dns_name")]),
        )
    elif given is not None:
        existing = DataSource(ctx.scope, "nlb", "aws_lb", {"arn": given})
        arn, dns_name, created = given, existing.attr("dns_name"), None
    else:
        created = _created_nlb(ctx, security_group_ids)
        arn, dns_name = created.arn, created.attr("dns_name")

    listeners: dict[str, Resource | None] = {}
    target_groups: list[tuple[str, str]] = []
    group_resources: list[Resource] = []
    disabled = props.disable_shared_nlb_ports
    for port_name, port in RESTATE_PORTS.items():
        # The generated module's list variable: a count per port that may be disabled.
        count = (
            count_unless(fn.contains(disabled, port_name))
            if is_token(disabled) and port_name in SHARED_NLB_PORTS
            else None
        )
        if not is_token(disabled) and port_name in disabled:
            listeners[port_name] = None
            continue
        group = Resource(
            ctx.scope,
            f"target_group_{port_name}",
            "aws_lb_target_group",
            {
                "name": ctx.elb_name(SHORT_PORT_NAMES[port_name]),
                "port": port,
                "protocol": "TCP",
                "target_type": "ip",
                "vpc_id": ctx.props.vpc_id,
                "deregistration_delay": str(DEREGISTRATION_DELAY_SECONDS),
                "connection_termination": True,
                "health_check": [_health_check(port_name, "HTTP")],
                "tags": ctx.tagged(),
            },
            count=count,
        )
        listeners[port_name] = Resource(
            ctx.scope,
            f"listener_{port_name}",
            "aws_lb_listener",
            {
                "load_balancer_arn": arn,
                "port": port,
                "protocol": "TCP",
                "default_action": [{"type": "forward", "target_group_arn": group.ref("arn")}],
                "tags": ctx.tagged(),
            },
            count=count,
        )
        target_groups.append((port_name, group.ref("arn")))
        group_resources.append(group)

    alb_groups: dict[str, Resource] = {}
    alb_flag = props.create_alb_targets
    # The generated module's boolean variable: both groups get a count.
    alb_count = count_if(alb_flag) if is_token(alb_flag) else None
    if alb_flag:
        for port_name in ("ingress", "admin"):
            alb_groups[port_name] = Resource(
                ctx.scope,
                f"alb_target_group_{port_name}",
                "aws_lb_target_group",
                {
                    "name": ctx.elb_name(f"alb-{SHORT_PORT_NAMES[port_name]}"),
                    "port": RESTATE_PORTS[port_name],
                    "protocol": "HTTP",
                    "target_type": "ip",
                    "vpc_id": ctx.props.vpc_id,
                    "deregistration_delay": str(DEREGISTRATION_DELAY_SECONDS),
                    "health_check": [_health_check(port_name, "HTTP")],
                    "tags": ctx.tagged(),
                },
                count=alb_count,
            )
            group_resources.append(alb_groups[port_name])
    node_listener = listeners["node"]
    assert node_listener is not None  # validation keeps the node port
    return LoadBalancer(
        arn=arn,
        dns_name=dns_name,
        listeners=Listeners(
            ingress=listeners["ingress"], admin=listeners["admin"], node=node_listener
        ),
        target_groups=target_groups,
        alb_target_groups=alb_groups,
        created=created,
        target_group_resources=group_resources,
    )


def _created_nlb(
    ctx: ClusterContext, security_group_ids: list[str], count: float | None = None
) -> Resource:
    props = ctx.props.load_balancer
    return Resource(
        ctx.scope,
        "nlb",
        "aws_lb",
        {
            "name": ctx.elb_name("nlb"),
            "load_balancer_type": "network",
            "internal": negated(props.internet_facing),
            "subnets": _nlb_subnets(ctx),
            "security_groups": security_group_ids,
            "enable_cross_zone_load_balancing": True,
            "enable_deletion_protection": props.deletion_protection,
            "access_logs": (
                [{"bucket": props.access_logs_bucket, "prefix": ctx.name("nlb"), "enabled": True}]
                if props.access_logs_bucket is not None and not is_token(props.access_logs_bucket)
                else None
            ),
            "dynamic": _dynamic_access_logs(ctx) if is_token(props.access_logs_bucket) else None,
            "tags": ctx.tagged(),
        },
        count=count,
    )


def _dynamic_access_logs(ctx: ClusterContext) -> dict[str, Any]:
    """The generated module's ``dynamic "access_logs"``: one block when the bucket is given."""
    bucket = ctx.props.load_balancer.access_logs_bucket
    null = cdktf.Token.null_value()
    return {
        "access_logs": {
            "for_each": fn.conditional(op.eq(bucket, null), [], [bucket]),
            "content": {
                "bucket": "${access_logs.value}",
                "prefix": ctx.name("nlb"),
                "enabled": True,
            },
        }
    }


def _health_check(port_name: str, protocol: str) -> dict[str, object]:
    return {
        "enabled": True,
        "protocol": protocol,
        "path": HEALTH_CHECK_PATHS[port_name],
        "port": "traffic-port",
        "interval": HEALTH_CHECK_INTERVAL_SECONDS,
        "timeout": HEALTH_CHECK_TIMEOUT_SECONDS,
        "healthy_threshold": HEALTHY_THRESHOLD,
        "unhealthy_threshold": UNHEALTHY_THRESHOLD,
        "matcher": "200",
    }


def _nlb_subnets(ctx: ClusterContext) -> list[str]:
    """The NLB's own subnets, else the cluster's; a token list (the generated module's
    variable, null by default) falls back in Terraform."""
    given = ctx.props.load_balancer.subnet_ids
    if given is None:
        return list(ctx.subnet_ids)
    if is_token(given):
        return cdktf.Token.as_list(fn.coalescelist([given, list(ctx.subnet_ids)]))
    return list(given)
