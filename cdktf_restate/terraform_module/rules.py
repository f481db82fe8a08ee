"""The building blocks of the generated module's ``validation`` rules, and the rules over
several variables (``PRECONDITIONS``). Each rule mirrors a check of ``validation.py`` message
for message; ``tests/test_hcl_module.py`` compares them with the construct's own errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_restate.schema.props import (
    SUPPORTED_RESTATE_VERSIONS,
)
from cdktf_restate.schema.types import URL_RULE, SnsTopicArn, bounds_of, pattern_of
from cdktf_restate.schema.validation import (
    EC2_ID_HEX,
    EC2_ID_KINDS,
    FARGATE_MEMORY_BY_CPU,
    MAX_ALARM_ACTIONS,
    SHARED_NLB_PORTS,
    ec2_id_allowed,
)

_VERSION_RE = r"^v?(\\d+)\\.(\\d+)(?:\\.(\\d+))?(?:[-+][0-9A-Za-z.-]+)?$"
_REPLICATION_RE = r"^\\{\\s*([a-z]+\\s*:\\s*\\d+\\s*(?:,\\s*[a-z]+\\s*:\\s*\\d+\\s*)*)\\}$"
_ZONE_FACTOR_RE = r"zone\\s*:\\s*(\\d+)"
_REPLICATION_ALLOWED = (
    "an integer >= 1 (node replication) or a string like '{zone: 2}' or '{zone: 2, node: 3}' "
    "with scopes region, zone, node"
)


@dataclass(frozen=True)
class Rule:
    """One ``validation`` block; ``message`` is the body of an HCL template string."""

    condition: str
    message: str

    def hcl_message(self) -> str:
        return '"' + self.message + '"'


# ---------------------------------------------------------------- rules (mirror validation.py)


def int_rules(path: str, expr: str, *, minimum: int, maximum: int | None = None) -> list[Rule]:
    allowed = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
    in_range = f"{expr} >= {minimum}" + (f" && {expr} <= {maximum}" if maximum is not None else "")
    return [
        Rule(
            f"floor({expr}) == {expr}", f"{path}: ${{{expr}}} is not an integer; allowed: {allowed}"
        ),
        Rule(
            f"floor({expr}) != {expr} || ({in_range})",
            f"{path}: ${{{expr}}} is out of range; allowed: {allowed}",
        ),
    ]


def schema_int_rules(path: str, expr: str, int_type: Any) -> list[Rule]:
    """``int_rules`` with the bounds of the schema's ``int_range`` type."""
    bounds = bounds_of(int_type)
    return int_rules(path, expr, minimum=int(bounds.minimum), maximum=int(bounds.maximum))


def number_rule(path: str, expr: str, number_type: Any) -> Rule:
    """The schema's ``number_range`` type: the same bounds and message as the construct."""
    bounds = bounds_of(number_type)
    return Rule(
        f"{expr} > {bounds.minimum:g} && {expr} <= {bounds.maximum:g}",
        f"{path}: ${{{expr}}} is out of range; allowed: {bounds.allowed}",
    )


def positive_rule(path: str, expr: str) -> Rule:
    return Rule(
        f"{expr} > 0", f"{path}: ${{{expr}}} is not a positive number; allowed: a number > 0"
    )


def choice_rule(path: str, expr: str, choices: Sequence[str]) -> Rule:
    return Rule(
        f"contains({json.dumps(list(choices))}, {expr})",
        f"{path}: '${{{expr}}}' is not supported; allowed: {', '.join(choices)}",
    )


def _memory_allowed_text(options: tuple[int, ...]) -> str:
    if len(options) > 3:
        return f"{options[0]}-{options[-1]} in steps of {options[1] - options[0]}"
    return ", ".join(map(str, options))


def resources_rules(path: str, expr: str) -> list[Rule]:
    """Fargate cpu sizes, then one rule per cpu for its memory sizes (static messages keep
    the HCL simple enough for every parser)."""
    cpu, memory = f"{expr}.cpu", f"{expr}.memory_mib"
    cpus = list(FARGATE_MEMORY_BY_CPU)
    rules = [
        Rule(
            f"contains({json.dumps(cpus)}, {cpu})",
            f"{path}.cpu: ${{{cpu}}} is not a Fargate cpu size; allowed: {', '.join(map(str, cpus))}",
        )
    ]
    for size, options in FARGATE_MEMORY_BY_CPU.items():
        rules.append(
            Rule(
                f"{cpu} != {size} || contains({json.dumps(list(options))}, {memory})",
                f"{path}.memory_mib: ${{{memory}}} MiB is not a Fargate memory size for cpu "
                f"{size}; allowed: {_memory_allowed_text(options)}",
            )
        )
    return rules


def _minor(version: str) -> str:
    """``major.minor`` of a version expression, in Terraform (fails on a non-version)."""
    return f'join(".", slice(regex("{_VERSION_RE}", {version}), 0, 2))'


def image_rules(path: str, v: str) -> list[Rule]:
    """Mirror of ``validation.restate_version``: the version is ``restate_version`` when
    given, else derived from the image tag."""
    expr, explicit = f"{v}.restate_image", f"{v}.restate_version"
    last = f'element(split("/", {expr}), length(split("/", {expr})) - 1)'
    tag = f'(strcontains({expr}, "@") ? null : regex("^[^:]*:(.*)$", {last})[0])'
    candidate = f'({explicit} != null ? {explicit} : try({tag}, ""))'
    source = f'${{{explicit} != null ? "{path}.restate_version" : "{path}.restate_image"}}'
    supported = json.dumps(list(SUPPORTED_RESTATE_VERSIONS))
    allowed_versions = " or ".join(f"{v}.x" for v in SUPPORTED_RESTATE_VERSIONS)
    return [
        Rule(
            f'{explicit} != null || can(regex("{_VERSION_RE}", {tag}))',
            f"{path}.restate_image: cannot derive the Restate version from '${{{expr}}}' "
            f'(tag ${{try("\'${{{tag}}}\'", "None")}}); allowed: an image tagged with a '
            f"version such as :1.7.12, or set {path}.restate_version",
        ),
        Rule(
            f'{explicit} == null || can(regex("{_VERSION_RE}", {explicit}))',
            f"{path}.restate_version: unparseable Restate version "
            f"'${{{explicit} == null ? \"\" : {explicit}}}'; allowed: 1.7 or 1.7.<patch>",
        ),
        Rule(
            f"{explicit} == null || try({_minor(tag)} == {_minor(explicit)}, true)",
            f'{path}.restate_version: \'${{try(coalesce({explicit}, "?"), "?")}}\' disagrees '
            f'with the image tag \'${{try(coalesce({tag}, "?"), "?")}}\'; allowed: the image\'s '
            f'version (${{try({_minor(tag)}, "?")}}.x), or leave restate_version unset',
        ),
        Rule(
            # Terraform's || does not short-circuit: try() keeps a version the rules above
            # reject from failing this condition.
            f'try(contains({supported}, join(".", slice(regex("{_VERSION_RE}", {candidate}), 0, 2))), true)',
            f"{source}: Restate version '${{try({candidate}, \"?\")}}' is not supported; "
            f"allowed: {allowed_versions}",
        ),
    ]


def url_rule(path: str, expr: str) -> Rule:
    """Mirror of ``validation.check_url`` for a value that may be null."""
    return Rule(
        f'{expr} == null || try(can(regex("^https?://[^[:space:]/]+", {expr})), false)',
        f"{path}: '${{{expr} == null ? \"\" : {expr}}}' is not a URL; allowed: {URL_RULE}",
    )


def replication_rules(expr: str) -> list[Rule]:
    path = "stateless_node.default_replication"
    return [
        Rule(
            f'can(regex("^\\\\s*\\\\d+\\\\s*$", {expr})) || can(regex("{_REPLICATION_RE}", trimspace({expr})))',
            f"{path}: '${{{expr}}}' is not written like Restate's replication property; "
            f"allowed: {_REPLICATION_ALLOWED}",
        ),
    ]


def zone_replication_rule() -> Rule:
    """Mirror of the zone count check; it spans two variables (subnets, stateless_node), so it
    is a resource precondition like ``node_replication_rule``."""
    path = "stateless_node.default_replication"
    zone = f'tonumber(regex("{_ZONE_FACTOR_RE}", var.stateless_node.default_replication)[0])'
    zones = "length(var.subnets)"
    return Rule(
        f"try({zone} + 1 <= {zones}, true)",
        f"subnets: ${{{zones}}} availability zone(s) cannot survive the loss of a zone with "
        f'{path} {{zone: ${{try({zone}, "?")}}}}; allowed: at least zone replication + 1 = '
        f'${{try({zone} + 1, "?")}} subnets in distinct zones',
    )


def subnet_rules() -> list[Rule]:
    subnets = "var.subnets"

    def second_of_pair(attribute: str) -> str:
        values = f"{subnets}[*].{attribute}"
        return f"[for i, s in {subnets} : i if contains(slice({values}, 0, i), s.{attribute})][0]"

    # Terraform also evaluates messages of passing rules (e.g. on unknown subnet ids):
    # every lookup in a message is wrapped in try().
    def duplicate(attribute: str) -> tuple[str, str]:
        index = second_of_pair(attribute)
        return (
            f'${{try({index}, "?")}}',
            f'${{try({subnets}[{index}].{attribute}, "?")}}',
        )

    id_index, id_value = duplicate("subnet_id")
    zone_index, zone_value = duplicate("availability_zone")
    return [
        Rule(
            f"length({subnets}) > 0",
            "subnets: no subnet given; allowed: one subnet per availability zone",
        ),
        *ec2_id_list_rules("subnets", subnets, "subnet", ".subnet_id"),
        Rule(
            f"length(distinct({subnets}[*].subnet_id)) == length({subnets})",
            f"subnets[{id_index}].subnet_id: '{id_value}' is given twice; allowed: each subnet once",
        ),
        Rule(
            f"length(distinct({subnets}[*].availability_zone)) == length({subnets})",
            f"subnets[{zone_index}].availability_zone: zone '{zone_value}' is given twice; "
            "allowed: one subnet per availability zone",
        ),
    ]


def node_replication_rule() -> Rule:
    """Mirror of the node-replication check; it spans two variables, so it is a resource
    precondition (variable validation may only refer to other variables from Terraform 1.9)."""
    replication = "var.stateless_node.default_replication"
    node = (
        f'(can(regex("^\\\\s*\\\\d+\\\\s*$", {replication})) ? tonumber(trimspace({replication})) : '
        f'tonumber(regex("node\\\\s*:\\\\s*(\\\\d+)", {replication})[0]))'
    )
    total = "var.stateful_node.nodes_per_az * length(var.subnets)"
    return Rule(
        f"try({total} >= {node} + 1, true)",
        f'stateful_node.nodes_per_az: ${{try({total}, "?")}} stateful node(s) cannot survive '
        f'the loss of one with node replication ${{try({node}, "?")}}; allowed: '
        f'nodes_per_az * zones >= ${{try({node} + 1, "?")}}',
    )


def ec2_id_test(prefix: str, expr: str) -> str:
    """Terraform for ``validation.check_ec2_id``'s test of one id."""
    return f'can(regex("^{prefix}-{EC2_ID_HEX}$", {expr}))'


def ec2_id_list_rules(path: str, expr: str, prefix: str, attribute: str = "") -> list[Rule]:
    """Mirror of ``check_ec2_id`` for each id of a list (``attribute`` of each object)."""
    item = f"x{attribute}"
    bad = f"[for i, x in {expr} : i if !{ec2_id_test(prefix, item)}]"
    value = f'try({expr}[{bad}[0]]{attribute}, "?")'
    kind = EC2_ID_KINDS[prefix]
    return [
        Rule(
            f"{expr} == null || try(length({bad}) == 0, true)",
            f"{path}[${{try({bad}[0], \"?\")}}]{attribute}: '${{{value}}}' is not a "
            f"{kind} id; allowed: {ec2_id_allowed(prefix)}",
        ),
        known_bad_rule(
            path, expr, ec2_id_test(prefix, item), f"a {kind} id",
            ec2_id_allowed(prefix),
        ),
    ]  # fmt: skip


def known_bad_rule(path: str, expr: str, test: str, what: str, allowed: str) -> Rule:
    """``test`` of each ``x`` in the list ``expr`` (null: none).

    A known bad value next to one known only after apply (a resource of the same configuration)
    leaves the rule that names it unknown at plan, so apply would stop half-way; ``anytrue`` is
    false at plan as soon as one known value is bad. Its message cannot name the value (messages
    must be known at plan)."""
    return Rule(
        f"!anytrue([for x in ({expr} == null ? [] : {expr}) : !{test}])",
        f"{path}: one of the values is not {what}; allowed: {allowed}",
    )


def cidr_rules(path: str, expr: str) -> list[Rule]:
    """Mirror of ``validation.check_cidr`` for each block: IPv4, no host bits set."""
    valid = (
        'can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+/[0-9]+$", c)) && '
        "try(cidrsubnet(c, 0, 0) == c, false)"
    )
    bad = f"[for i, c in {expr} : i if !({valid})]"
    return [
        Rule(
            f"length({bad}) == 0",
            f'{path}[${{try({bad}[0], "?")}}]: \'${{try({expr}[{bad}[0]], "?")}}\' is not an '
            "IPv4 CIDR block; allowed: a.b.c.d/n with no host bits set",
        )
    ]


def alarm_actions_rules(path: str, expr: str) -> list[Rule]:
    """The schema's ``AlarmActions``: SNS topic ARNs (``SnsTopicArn``), at most 5."""
    pattern = pattern_of(SnsTopicArn)
    topic = f'can(regex("^{pattern.regex}$", x))'
    bad = f"[for i, x in {expr} : i if !{topic}]"
    return [
        known_bad_rule(path, expr, topic, pattern.what, pattern.allowed),
        Rule(
            f"length({expr}) <= {MAX_ALARM_ACTIONS}",
            f"{path}: ${{length({expr})}} actions; allowed: at most {MAX_ALARM_ACTIONS} "
            "(CloudWatch's limit per alarm state)",
        ),
        Rule(
            f"length({bad}) == 0",
            f'{path}[${{try({bad}[0], "?")}}]: \'${{try({expr}[{bad}[0]], "?")}}\' is not '
            f"{pattern.what}; allowed: {pattern.allowed}",
        ),
    ]


def disabled_port_rules(expr: str) -> list[Rule]:
    """Mirror of ``check_choice`` for each of ``load_balancer.disable_shared_nlb_ports``."""
    bad = f"[for i, p in {expr} : i if !contains({json.dumps(list(SHARED_NLB_PORTS))}, p)]"
    return [
        Rule(
            f"length({bad}) == 0",
            f'load_balancer.disable_shared_nlb_ports[${{try({bad}[0], "?")}}]: '
            f"'${{try({expr}[{bad}[0]], \"?\")}}' is not "
            f"supported; allowed: {', '.join(SHARED_NLB_PORTS)}",
        )
    ]


def disabled_port_address_rules() -> list[Rule]:
    """A disabled port needs its address (two variables: a precondition)."""
    return [
        Rule(
            f'!contains(var.load_balancer.disable_shared_nlb_ports, "{port}") || '
            f"var.addresses.{port} != null",
            f"addresses.{port}: the {port} port is disabled on the shared NLB, so its address "
            f"is unknown; allowed: set addresses.{port} (e.g. your ALB's URL)",
        )
        for port in SHARED_NLB_PORTS
    ]


def cidr_group_rules() -> list[Rule]:
    """CIDR rules go into the created group (they span two variables: a precondition)."""
    return [
        Rule(
            f"var.security_group_ids == null || length(var.load_balancer.{name}) == 0",
            f"load_balancer.{name}: needs the created security group; allowed: no "
            "security_group_ids, or add the rules to your own groups",
        )
        for name in ("ingress_cidr_blocks", "admin_cidr_blocks")
    ]


#: Rules over several variables, as ``lifecycle { precondition }`` of a module resource.
PRECONDITIONS: dict[str, tuple[Rule, ...]] = {
    "aws_ecs_task_definition.stateful_task_definition": (
        zone_replication_rule(),
        node_replication_rule(),
        *cidr_group_rules(),
        *disabled_port_address_rules(),
    ),
}
