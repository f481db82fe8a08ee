"""Security group of the cluster: members reach each other on 8080, 9070 and 5122 only."""

from __future__ import annotations

from dataclasses import dataclass

import cdktf

from cdktf_restate._tf import Resource, fn
from cdktf_restate.cluster.context import ClusterContext, count_if_null, local_list
from cdktf_restate.schema.tokens import is_token

INGRESS_PORT = 8080
ADMIN_PORT = 9070
NODE_PORT = 5122
RESTATE_PORTS = {"ingress": INGRESS_PORT, "admin": ADMIN_PORT, "node": NODE_PORT}


@dataclass(frozen=True)
class Network:
    security_group_ids: list[str]
    security_group: Resource | None


def add_network(ctx: ClusterContext) -> Network:
    given = ctx.props.security_group_ids
    if given is not None and is_token(given):
        # The generated module's variable, null by default: the group exists only then.
        group = _created_group(ctx, count=count_if_null(given))
        ids = local_list(ctx, "security_group_ids", fn.coalescelist([given, [group.one("id")]]))
        return Network(security_group_ids=ids, security_group=group)
    if given is not None:
        return Network(security_group_ids=list(given), security_group=None)
    group = _created_group(ctx)
    return Network(security_group_ids=[group.id_], security_group=group)


def _created_group(ctx: ClusterContext, count: float | None = None) -> Resource:
    """The group and its rules; with ``count`` (a token) all of them are optional."""
    group = Resource(
        ctx.scope,
        "security_group",
        "aws_security_group",
        {
            "name": ctx.name("restate"),
            "description": f"Restate cluster {ctx.cluster_name}: NLB, nodes, controller, Lambdas",
            "vpc_id": ctx.props.vpc_id,
            "tags": ctx.tagged(Name=ctx.name("restate")),
        },
        count=count,
    )
    group_id = group.ref("id")
    for port_name, port in RESTATE_PORTS.items():
        Resource(
            ctx.scope,
            f"security_group_{port_name}_from_members",
            "aws_security_group_rule",
            {
                "type": "ingress",
                "security_group_id": group_id,
                "protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "self": True,
                "description": f"Restate {port_name} port between cluster members",
            },
            count=count,
        )
    lb = ctx.props.load_balancer
    for port_name, blocks in (("ingress", lb.ingress_cidr_blocks), ("admin", lb.admin_cidr_blocks)):
        rule_count = count
        if is_token(blocks):
            # A Terraform list (the generated module's, empty by default): a rule only when it
            # has blocks (and the group exists). min(), not comparisons or *: cdktf renders a
            # literal 0 operand as undefined and does not parenthesize conditional operands.
            limits = [1, fn.length_of(blocks)] + ([] if count is None else [count])
            rule_count = cdktf.Token.as_number(fn.min(limits))
        elif not blocks:
            continue
        port = RESTATE_PORTS[port_name]
        Resource(
            ctx.scope,
            f"security_group_{port_name}_from_cidrs",
            "aws_security_group_rule",
            {
                "type": "ingress",
                "security_group_id": group_id,
                "protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "cidr_blocks": list(blocks),
                "description": f"Restate {port_name} port for clients outside the cluster",
            },
            count=rule_count,
        )
    # Tasks pull images, call S3/ECS and reach user service deployments on any port.
    Resource(
        ctx.scope,
        "security_group_egress",
        "aws_security_group_rule",
        {
            "type": "egress",
            "security_group_id": group_id,
            "protocol": "-1",
            "from_port": 0,
            "to_port": 0,
            "cidr_blocks": ["0.0.0.0/0"],
            "description": "Outbound: images, AWS APIs, service deployments",
        },
        count=count,
    )
    return group
