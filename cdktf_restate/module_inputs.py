"""The inputs of the generated Terraform module: types, defaults and descriptions read from
the props dataclasses, and ``validation`` rules that mirror ``validation.py`` message for
message (``tests/test_hcl_module.py`` checks each against the construct's own error).

Props that decide which resources exist (existing bucket/NLB/cluster/roles, disabled
Lambdas, NLB ports, access logs, the stateful nodes' EBS volume, ...) are inputs too: the
construct renders them as ``count``, ``dynamic`` blocks and locals when they are tokens
(docs/terraform-module.md). Not inputs: the props that have no effect in this release.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf_restate.controller import EBS_VOLUME_FIELDS
from cdktf_restate.props import (
    SUPPORTED_RESTATE_VERSIONS,
    AddressesProps,
    ControllerProps,
    EbsVolumeProps,
    LoadBalancerProps,
    MonitoringProps,
    ObjectStorageProps,
    Resources,
    RestateClusterProps,
    RestatectlProps,
    RetirementWatcherProps,
    StatefulNodeProps,
    StatelessNodeProps,
    TaskProps,
)
from cdktf_restate.validation import (
    CLUSTER_NAME_RULE,
    CONTAINER_INSIGHTS,
    CPU_ARCHITECTURES,
    EBS_IOPS_LIMITS,
    EBS_MAX_IOPS_PER_GIB,
    EBS_MINIMUM_SIZE_GIB,
    EBS_VOLUME_TYPES,
    EC2_ID_HEX,
    EC2_ID_KINDS,
    FARGATE_MEMORY_BY_CPU,
    GP3_BASELINE_IOPS,
    LOG_DRIVERS,
    LOG_RETENTION_DAYS,
    MAX_ALARM_ACTIONS,
    MAX_RECONCILE_INTERVAL_SECONDS,
    MAX_SECURITY_GROUPS,
    MAX_USER_TAGS,
    SHARED_NLB_PORTS,
    TAG_CHARACTERS,
    ec2_id_allowed,
)

DEFAULT_CLUSTER_NAME = "restate"

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


@dataclass(frozen=True)
class ModuleInput:
    name: str
    description: str
    hcl_type: str
    default: Any = None
    required: bool = False
    rules: tuple[Rule, ...] = ()

    @property
    def non_nullable(self) -> bool:
        """Objects, lists and maps are never null, except where null means "create it"."""
        if self.required:
            return True  # null would only fail later, in a validation's message
        has_value = self.default is not None
        return has_value and not self.hcl_type.startswith(("string", "number"))

    @property
    def hcl_type_one_line(self) -> str:
        """``object({ a = x, b = y })``: attributes on one line need commas."""
        lines = [line.strip() for line in self.hcl_type.splitlines()]
        if len(lines) < 3:
            return " ".join(" ".join(lines).split())
        middle = ", ".join(" ".join(line.split()) for line in lines[1:-1])
        return f"{lines[0]} {middle} {lines[-1]}"


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
        f"{path}: '${{{expr} == null ? \"\" : {expr}}}' is not a URL; allowed: "
        "http://host[:port][/path] or https://...",
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
    """Mirror of ``validation.check_monitoring_and_logs`` for the alarm's SNS topics."""
    topic = 'can(regex("^arn:aws[a-z-]*:sns:", x))'
    bad = f"[for i, x in {expr} : i if !{topic}]"
    return [
        known_bad_rule(path, expr, topic, "a sns ARN", "arn:aws:sns:..."),
        Rule(
            f"length({expr}) <= {MAX_ALARM_ACTIONS}",
            f"{path}: ${{length({expr})}} actions; allowed: at most {MAX_ALARM_ACTIONS} "
            "(CloudWatch's limit per alarm state)",
        ),
        Rule(
            f"length({bad}) == 0",
            f'{path}[${{try({bad}[0], "?")}}]: \'${{try({expr}[{bad}[0]], "?")}}\' is not a '
            "sns ARN; allowed: arn:aws:sns:...",
        ),
    ]


def disabled_port_rules(expr: str) -> list[Rule]:
    """Mirror of ``check_choice`` for each of ``load_balancer.disable_shared_nlb_ports``."""
    bad = f"[for p in {expr} : p if !contains({json.dumps(list(SHARED_NLB_PORTS))}, p)]"
    return [
        Rule(
            f"length({bad}) == 0",
            f"load_balancer.disable_shared_nlb_ports: '${{try({bad}[0], \"?\")}}' is not "
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


def restatectl_package_rule() -> Rule:
    """The restatectl zips are built, not committed (too large): without them `apply` would stop
    half-way at the Lambda; `plan` says so first."""
    package = (
        '(var.restate_tasks.cpu_architecture == "ARM64" ? '
        '"${path.module}/lambda/restatectl-arm64.zip" : '
        '"${path.module}/lambda/restatectl-x86_64.zip")'
    )
    return Rule(
        f"fileexists({package})",
        f"restatectl: the Lambda package ${{{package}}} is missing; allowed: build it with "
        "`cdktf-restate module --out <this module's folder>` (see the module's README; from "
        "a git or registry source, vendor the module into your repository first), or set "
        "restatectl = { disabled = true }",
    )


#: Rules over several variables, as ``lifecycle { precondition }`` of a module resource.
PRECONDITIONS: dict[str, tuple[Rule, ...]] = {
    "aws_lambda_function.restatectl_function": (restatectl_package_rule(),),
    "aws_ecs_task_definition.stateful_task_definition": (
        zone_replication_rule(),
        node_replication_rule(),
        *cidr_group_rules(),
        *disabled_port_address_rules(),
    ),
}


# ---------------------------------------------------------------- types from the dataclasses

_SCALAR_TYPES = {
    "int": "number",
    "float": "number",
    "str": "string",
    "str | None": "string",
    "str | int": "string",
    "bool": "bool",
    "Sequence[str] | None": "list(string)",
    "Sequence[str]": "list(string)",
    "Mapping[str, str]": "map(string)",
    "int | None": "number",
    "Mapping[str, str] | None": "map(string)",
}


def _field(cls: type, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


def _default(f: dataclasses.Field) -> Any:
    value = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return value


def _type_of(f: dataclasses.Field) -> str:
    if f.type == "Resources":
        return "object({ cpu = number, memory_mib = number })"
    return _SCALAR_TYPES[str(f.type)]


def _hcl_literal(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl_literal(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _first_sentence(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text else ""


def _attributes(
    cls: type, names: Sequence[str], nested: Mapping[str, tuple[type, Sequence[str]]]
) -> list[str]:
    """``name = optional(type, default)`` per field; ``nested`` fields are objects themselves
    (on one line, with their own optional attributes and defaults)."""
    attributes = []
    for f in (_field(cls, n) for n in names):
        if f.name in nested:
            inner_cls, inner_names = nested[f.name]
            inner = ", ".join(_attributes(inner_cls, inner_names, {}))
            # A nested prop that is None by default stays null until given (e.g. ebs_volume).
            default = "" if f.default is None else ", {}"
            attributes.append(f"{f.name} = optional(object({{ {inner} }}){default})")
        elif f.default is None and f.metadata["description"].endswith("Required."):
            attributes.append(f"{f.name} = {_type_of(f)}")
        else:
            attributes.append(f"{f.name} = optional({_type_of(f)}, {_hcl_literal(_default(f))})")
    return attributes


def _described(
    cls: type, names: Sequence[str], nested: Mapping[str, tuple[type, Sequence[str]]]
) -> str:
    parts = []
    for f in (_field(cls, n) for n in names):
        if f.name in nested:
            inner_cls, inner_names = nested[f.name]
            parts.append(f"`{f.name}`: {{{_described(inner_cls, inner_names, {})}}}")
        else:
            parts.append(f"`{f.name}`: {f.metadata['description']}")
    return " ".join(parts)


def object_input(
    name: str,
    cls: type,
    names: Sequence[str],
    rules: Callable[[str], list[Rule]],
    nested: Mapping[str, tuple[type, Sequence[str]]] | None = None,
    summary: str | None = None,
) -> ModuleInput:
    """An ``object({ ... optional(x, default) })`` variable over some fields of a props class;
    ``summary`` (default: the class's first docstring line) starts the description."""
    nested = nested or {}
    attributes = "\n".join(f"    {a}" for a in _attributes(cls, names, nested))
    summary = summary or _first_sentence(cls.__doc__)
    return ModuleInput(
        name=name,
        description=f"{summary} {_described(cls, names, nested)}",
        hcl_type="object({\n" + attributes + "\n  })",
        default={},
        rules=tuple(rules(f"var.{name}")),
    )


def scalar_input(name: str, rules: Sequence[Rule] = (), **overrides: Any) -> ModuleInput:
    f = _field(RestateClusterProps, name)
    values = {
        "name": name,
        "description": f.metadata["description"],
        "hcl_type": _type_of(f),
        "default": _default(f),
        "rules": tuple(rules),
    }
    values.update(overrides)
    return ModuleInput(**values)


def environment_rule(path: str, expr: str) -> Rule:
    """Mirror of ``validation.check_environment``; values are strings by the variable's type
    (``map(string)``). ``keys`` is sorted: the first bad name in key order is reported."""
    bad = f'[for k in keys({expr}) : k if !can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))]'
    return Rule(
        f"length({bad}) == 0",
        f"{path}: '${{try({bad}[0], \"?\")}}' is not an environment variable name; "
        "allowed: [A-Za-z_][A-Za-z0-9_]*",
    )


def _stateless_rules(v: str) -> list[Rule]:
    return [
        *int_rules("stateless_node.desired_count", f"{v}.desired_count", minimum=1),
        *resources_rules("stateless_node.resources", f"{v}.resources"),
        *replication_rules(f"{v}.default_replication"),
        *int_rules(
            "stateless_node.default_partitions", f"{v}.default_partitions", minimum=1, maximum=65535
        ),
        url_rule("stateless_node.ingress_advertised_address", f"{v}.ingress_advertised_address"),
        *image_rules("stateless_node", v),
        environment_rule("stateless_node.environment", f"{v}.environment"),
    ]


def _stateful_rules(v: str) -> list[Rule]:
    return [
        *int_rules("stateful_node.nodes_per_az", f"{v}.nodes_per_az", minimum=1),
        *resources_rules("stateful_node.resources", f"{v}.resources"),
        *image_rules("stateful_node", v),
        environment_rule("stateful_node.environment", f"{v}.environment"),
        *ebs_volume_rules(f"{v}.ebs_volume"),
    ]


#: The fields of ``stateful_node.ebs_volume`` that are module inputs: all of them, in the
#: order the construct writes them for the controller.
EBS_VOLUME_INPUTS = EBS_VOLUME_FIELDS


def _unless_null(volume: str, rule: Rule) -> Rule:
    """A rule of a field of an optional object: holds when the object is null; a condition
    that fails to evaluate (a null field) holds, the rule for that case says otherwise.
    Terraform evaluates messages even when the condition holds: their lookups are ``try``
    and a null field reads "?"."""
    message = re.sub(r"\$\{([^{}]*)\}", r'${try(coalesce(\1, "?"), "?")}', rule.message)
    return Rule(f"{volume} == null || try({rule.condition}, true)", message)


def ebs_volume_rules(v: str) -> list[Rule]:
    """Mirror of ``validation.check_ebs``."""
    path = "stateful_node.ebs_volume"
    kind, iops, throughput = f"{v}.volume_type", f"{v}.iops", f"{v}.throughput"
    rules = [
        *int_rules(f"{path}.size_gib", f"{v}.size_gib", minimum=1, maximum=16384),
        choice_rule(f"{path}.volume_type", kind, EBS_VOLUME_TYPES),
        *(
            Rule(
                f'{kind} != "{name}" || {v}.size_gib >= {minimum}',
                f"{path}.size_gib: ${{{v}.size_gib}} GiB is too small for volume type {name}; "
                f"allowed: {minimum}-16384 for {name}",
            )
            for name, minimum in EBS_MINIMUM_SIZE_GIB.items()
        ),
        Rule(
            f'{iops} == null || !contains(["gp2", "st1", "sc1"], {kind})',
            f"{path}.iops: iops cannot be set for volume type ${{{kind}}}; "
            "allowed: iops only with gp3, io1, io2",
        ),
    ]
    for name, (low, high) in EBS_IOPS_LIMITS.items():
        for rule in int_rules(f"{path}.iops", iops, minimum=low, maximum=high):
            rules.append(
                Rule(f'{iops} == null || {kind} != "{name}" || ({rule.condition})', rule.message)
            )
    size = f"{v}.size_gib"
    for name, per_gib in EBS_MAX_IOPS_PER_GIB.items():
        # Mirrors validation.max_provisioned_iops: gp3's baseline is allowed at any size.
        most = f"{per_gib} * {size}"
        if name == "gp3":
            most = f"max({GP3_BASELINE_IOPS}, {most})"
        rules.append(
            Rule(
                f'{iops} == null || {kind} != "{name}" || {iops} <= {most}',
                f"{path}.iops: ${{{iops}}} IOPS is more than {name} allows on ${{{size}}} GiB; "
                f"allowed: at most ${{{most}}} ({per_gib} IOPS per GiB for {name}; "
                "raise size_gib for more)",
            )
        )
    rules += [
        Rule(
            f'{iops} != null || !contains(["io1", "io2"], {kind})',
            f"{path}.iops: volume type ${{{kind}}} needs iops; "
            "allowed: an integer for io1/io2 (100-64000/256000)",
        ),
        Rule(
            f'{throughput} == null || {kind} == "gp3"',
            f"{path}.throughput: throughput cannot be set for volume type ${{{kind}}}; "
            "allowed: throughput only with gp3",
        ),
        *(
            Rule(f"{throughput} == null || ({r.condition})", r.message)
            for r in int_rules(f"{path}.throughput", throughput, minimum=125, maximum=1000)
        ),
        Rule(
            f'{throughput} == null || {kind} != "gp3"'
            f" || {throughput} * 4 <= coalesce({iops}, {GP3_BASELINE_IOPS})",
            f"{path}.throughput: ${{{throughput}}} MiB/s is more than gp3 gives "
            f"${{coalesce({iops}, {GP3_BASELINE_IOPS})}} IOPS; allowed: at most "
            f"${{floor(coalesce({iops}, {GP3_BASELINE_IOPS}) / 4)}} (0.25 MiB/s per IOPS; raise "
            "iops for more)",
        ),
        role_arn_rule(f"{path}.role_arn", f"{v}.role_arn"),
    ]
    return [_unless_null(v, rule) for rule in rules]


def arn_rule(path: str, expr: str, service: str, kind: str) -> Rule:
    """Mirror of ``validation.check_arn(..., service, kind)`` for a value that may be null."""
    return Rule(
        f'{expr} == null || try(can(regex("^arn:aws[a-z-]*:{service}:", {expr})) && '
        f'strcontains({expr}, "{kind}"), false)',
        f"{path}: '${{{expr} == null ? \"\" : {expr}}}' is not a {service} {kind} ARN; "
        f"allowed: arn:aws:{service}:...",
    )


def role_arn_rule(path: str, expr: str) -> Rule:
    return arn_rule(path, expr, "iam", ":role/")


def _tasks_rules(path: str, v: str) -> list[Rule]:
    driver, options = f"{v}.log_driver", f"{v}.log_options"
    return [
        choice_rule(f"{path}.log_driver", driver, LOG_DRIVERS),
        Rule(
            f'{driver} == "awslogs" || try(length({options}) > 0, false)',
            f"{path}.log_options: log driver '${{{driver}}}' needs options; allowed: a mapping "
            "of driver options",
        ),
        choice_rule(f"{path}.cpu_architecture", f"{v}.cpu_architecture", CPU_ARCHITECTURES),
        role_arn_rule(f"{path}.execution_role_arn", f"{v}.execution_role_arn"),
        role_arn_rule(f"{path}.task_role_arn", f"{v}.task_role_arn"),
    ]


def _controller_rules(v: str) -> list[Rule]:
    image = f"{v}.controller_image"
    return [
        *resources_rules("controller.resources", f"{v}.resources"),
        *int_rules("controller.snapshot_retention_days", f"{v}.snapshot_retention_days", minimum=0),
        positive_rule("controller.reconcile_interval_seconds", f"{v}.reconcile_interval_seconds"),
        Rule(
            f"{v}.reconcile_interval_seconds <= {MAX_RECONCILE_INTERVAL_SECONDS}",
            f"controller.reconcile_interval_seconds: ${{{v}.reconcile_interval_seconds}} seconds; "
            f"allowed: at most {MAX_RECONCILE_INTERVAL_SECONDS} (the controller looks at least "
            "hourly)",
        ),
        positive_rule("controller.drain_timeout_seconds", f"{v}.drain_timeout_seconds"),
        Rule(
            # null is the default image; try(): || does not short-circuit on null.
            f'{image} == null || try({image} != "" && !can(regex("\\\\s", {image})), false)',
            f"controller.controller_image: '{_null_safe(image)}' is not an "
            "image reference; allowed: registry/repository:tag",
        ),
        *_tasks_rules("controller.tasks", f"{v}.tasks"),
    ]


def _object_storage_rules(v: str) -> list[Rule]:
    bucket = f"{v}.bucket_name"
    prefix = f"{v}.prefix"
    usable = (
        f'can(regex("^[A-Za-z0-9!_.*\'()/-]+$", {prefix})) && !startswith({prefix}, "/") && '
        f'!endswith({prefix}, "/") && !strcontains({prefix}, "//")'
    )
    return [
        Rule(
            f'{bucket} == null || can(regex("^[a-z0-9][a-z0-9.-]{{1,61}}[a-z0-9]$", {bucket}))',
            f"object_storage.bucket_name: '{_null_safe(bucket)}' is not an S3 "
            "bucket name; allowed: 3-63 of [a-z0-9.-], starting and ending with a letter or digit",
        ),
        Rule(
            f'{prefix} == "" || ({usable})',
            f"object_storage.prefix: '${{{prefix}}}' is not a usable key prefix; allowed: "
            "letters, digits and !-_.*'()/ with no leading, trailing or double '/'",
        ),
        access_logs_bucket_rule("object_storage.access_logs_bucket", f"{v}.access_logs_bucket"),
        Rule(
            f"{bucket} == null || {v}.access_logs_bucket == null",
            "object_storage.access_logs_bucket: only applies to a created bucket; allowed: no "
            "access_logs_bucket with bucket_name",
        ),
        *int_rules(
            "object_storage.noncurrent_version_expiration_days",
            f"{v}.noncurrent_version_expiration_days",
            minimum=1,
        ),
        arn_rule("object_storage.kms_key_arn", f"{v}.kms_key_arn", "kms", ":key/"),
        Rule(
            f"{v}.kms_key_arn == null || {bucket} != null",
            "object_storage.kms_key_arn: only applies to an existing bucket (a created one uses "
            "the cluster's key); allowed: kms_key_arn with bucket_name",
        ),
    ]


def access_logs_bucket_rule(path: str, expr: str) -> Rule:
    """Mirror of the access log bucket name check (a value that may be null)."""
    return Rule(
        f'{expr} == null || try(can(regex("^[a-z0-9][a-z0-9.-]{{1,61}}[a-z0-9]$", {expr})), false)',
        f"{path}: '{_null_safe(expr)}' is not an S3 bucket name; allowed: 3-63 of [a-z0-9.-]",
    )


def _load_balancer_rules(v: str) -> list[Rule]:
    subnets = f"{v}.subnet_ids"
    existing = f"{v}.existing_nlb_arn"
    return [
        arn_rule(
            "load_balancer.existing_nlb_arn", existing, "elasticloadbalancing", "loadbalancer/net/"
        ),
        Rule(
            f"{existing} == null || !({v}.internet_facing || {subnets} != null || "
            f"{v}.deletion_protection || {v}.access_logs_bucket != null)",
            "load_balancer: internet_facing/subnet_ids/deletion_protection/access_logs_bucket "
            "only apply to a created NLB; allowed: either existing_nlb_arn or settings for a "
            "new NLB",
        ),
        Rule(
            f"{existing} != null || !{v}.internet_facing || {subnets} != null",
            "load_balancer.subnet_ids: an internet-facing NLB needs its own subnets; allowed: "
            "the ids of public subnets (routed to an internet gateway), one per zone",
        ),
        Rule(
            f"{subnets} == null || try(length({subnets}) > 0, true)",
            "load_balancer.subnet_ids: empty list; allowed: None (the cluster subnets) or subnet ids",
        ),
        *ec2_id_list_rules("load_balancer.subnet_ids", subnets, "subnet"),
        access_logs_bucket_rule("load_balancer.access_logs_bucket", f"{v}.access_logs_bucket"),
        *disabled_port_rules(f"{v}.disable_shared_nlb_ports"),
        *cidr_rules("load_balancer.ingress_cidr_blocks", f"{v}.ingress_cidr_blocks"),
        *cidr_rules("load_balancer.admin_cidr_blocks", f"{v}.admin_cidr_blocks"),
    ]


def _null_safe(expr: str) -> str:
    """A message interpolation of a value that may be null (a null in a template fails)."""
    return f'${{{expr} == null ? "" : {expr}}}'


def ecs_cluster_rules() -> list[Rule]:
    v = "var.ecs_cluster"
    arn = 'can(regex("^arn:aws[a-z-]*:", var.ecs_cluster))'
    return [
        Rule(
            f'{v} == null || try(!{arn} || (can(regex("^arn:aws[a-z-]*:ecs:", {v})) && '
            f'strcontains({v}, ":cluster/")), false)',
            f"ecs_cluster: '{_null_safe(v)}' is not a ecs :cluster/ ARN; allowed: arn:aws:ecs:...",
        ),
        Rule(
            f'{v} == null || try({arn} || can(regex("^[A-Za-z0-9_-]{{1,255}}$", {v})), false)',
            f"ecs_cluster: '{_null_safe(v)}' is not an ECS cluster name or ARN; allowed: a "
            "cluster name or arn:aws:ecs:...:cluster/NAME",
        ),
    ]


def security_group_rules() -> list[Rule]:
    v = "var.security_group_ids"
    return [
        Rule(
            f"{v} == null || try(length({v}) > 0, true)",
            "security_group_ids: empty list; allowed: None (a group is created) or one or more "
            "group ids",
        ),
        Rule(
            f"{v} == null || try(length({v}) <= {MAX_SECURITY_GROUPS}, true)",
            f"security_group_ids: ${{try(length({v}), 0)}} groups; allowed: at most "
            f"{MAX_SECURITY_GROUPS} (ECS tasks, the NLB and the Lambdas take 5 each)",
        ),
        *ec2_id_list_rules("security_group_ids", v, "sg"),
    ]


TAG_TEXT = r'"^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]*$"'


def tags_rules() -> list[Rule]:
    bad_key = (
        '[for k in keys(var.tags) : k if startswith(k, "aws:") || length(k) < 1'
        f" || length(k) > 128 || !can(regex({TAG_TEXT}, k))]"
    )
    bad_value = f"[for k, v in var.tags : k if length(v) > 256 || !can(regex({TAG_TEXT}, v))]"
    return [
        Rule(
            f"length({bad_key}) == 0",
            f'tags.${{try({bad_key}[0], "?")}}: invalid tag key; allowed: 1-128 '
            f"{TAG_CHARACTERS}, not 'aws:...'",
        ),
        Rule(
            f"length({bad_value}) == 0",
            f'tags.${{try({bad_value}[0], "?")}}: invalid tag value; allowed: 0-256 '
            f"{TAG_CHARACTERS}",
        ),
        Rule(
            f"length(var.tags) <= {MAX_USER_TAGS}",
            "tags: ${length(var.tags)} tags leave no room for the cluster's own; allowed: at most "
            f"{MAX_USER_TAGS} (AWS allows 50 per resource; the cluster adds up to 11)",
        ),
    ]


#: The task settings of ``restate_tasks`` and ``controller.tasks`` that are module inputs.
TASK_INPUTS = (
    "enable_execute_command",
    "cpu_architecture",
    "execution_role_arn",
    "task_role_arn",
    "log_driver",
    "log_options",
)


INPUTS: tuple[ModuleInput, ...] = (
    scalar_input(
        "vpc_id",
        [
            Rule(
                ec2_id_test("vpc", "var.vpc_id"),
                f"vpc_id: '${{var.vpc_id}}' is not a VPC id; allowed: {ec2_id_allowed('vpc')}",
            )
        ],
        required=True,
        default=None,
    ),
    ModuleInput(
        name="subnets",
        description=(
            "One private subnet per availability zone, at least zone replication + 1 (3 "
            "for the default {zone: 2}): `subnet_id` and its `availability_zone` (e.g. "
            "us-east-1a). Required."
        ),
        hcl_type="list(object({\n    subnet_id         = string\n    availability_zone = string\n  }))",
        required=True,
        rules=tuple(subnet_rules()),
    ),
    scalar_input(
        "cluster_name",
        [
            Rule(
                # RE2 has no lookahead: the prefixes are separate tests.
                'can(regex("^[A-Za-z0-9]([A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$", var.cluster_name))'
                ' && !startswith(var.cluster_name, "internal-")'
                ' && !startswith(var.cluster_name, "internal_")'
                ' && !startswith(var.cluster_name, "sg-")',
                "cluster_name: '${var.cluster_name}' is not a valid name; allowed: "
                + CLUSTER_NAME_RULE,
            )
        ],
        hcl_type="string",
        default=DEFAULT_CLUSTER_NAME,
        description=(
            "Restate cluster name (1-64 of [A-Za-z0-9_-], starting and ending with a letter or "
            "digit, not starting with internal-, internal_ or sg-); prefix of resource names and "
            "value "
            f"of the restate:cluster tag. Default: {DEFAULT_CLUSTER_NAME}."
        ),
    ),
    scalar_input("ecs_cluster", ecs_cluster_rules(), hcl_type="string", default=None),
    scalar_input(
        "security_group_ids", security_group_rules(), hcl_type="list(string)", default=None
    ),
    object_input(
        "stateless_node",
        StatelessNodeProps,
        [
            "desired_count",
            "resources",
            "default_replication",
            "default_partitions",
            "ingress_advertised_address",
            "restate_image",
            "restate_version",
            "environment",
        ],
        _stateless_rules,
    ),
    object_input(
        "stateful_node",
        StatefulNodeProps,
        [
            "nodes_per_az",
            "resources",
            "restate_image",
            "restate_version",
            "environment",
            "ebs_volume",
        ],
        _stateful_rules,
        nested={"ebs_volume": (EbsVolumeProps, EBS_VOLUME_INPUTS)},
    ),
    object_input(
        "controller",
        ControllerProps,
        [
            "controller_image",
            "resources",
            "snapshot_retention_days",
            "reconcile_interval_seconds",
            "drain_timeout_seconds",
            "tasks",
        ],
        _controller_rules,
        nested={"tasks": (TaskProps, TASK_INPUTS)},
    ),
    object_input(
        "restate_tasks",
        TaskProps,
        TASK_INPUTS,
        lambda v: _tasks_rules("restate_tasks", v),
        summary="Task settings of the Restate nodes (the restatectl Lambda runs on the same "
        "architecture).",
    ),
    object_input(
        "object_storage",
        ObjectStorageProps,
        [
            "bucket_name",
            "prefix",
            "force_destroy",
            "noncurrent_version_expiration_days",
            "access_logs_bucket",
            "kms_key_arn",
        ],
        _object_storage_rules,
    ),
    object_input(
        "load_balancer",
        LoadBalancerProps,
        [
            "existing_nlb_arn",
            "internet_facing",
            "subnet_ids",
            "ingress_cidr_blocks",
            "admin_cidr_blocks",
            "deletion_protection",
            "disable_shared_nlb_ports",
            "create_alb_targets",
            "access_logs_bucket",
        ],
        _load_balancer_rules,
    ),
    object_input(
        "addresses",
        AddressesProps,
        ["ingress", "admin", "web_ui"],
        lambda v: [url_rule(f"addresses.{n}", f"{v}.{n}") for n in ("ingress", "admin", "web_ui")],
    ),
    object_input(
        "monitoring",
        MonitoringProps,
        ["container_insights", "alarm_actions"],
        lambda v: [
            choice_rule(
                "monitoring.container_insights", f"{v}.container_insights", CONTAINER_INSIGHTS
            ),
            *alarm_actions_rules("monitoring.alarm_actions", f"{v}.alarm_actions"),
        ],
    ),
    scalar_input(
        "log_retention_days",
        [
            Rule(
                f"contains({json.dumps(list(LOG_RETENTION_DAYS))}, var.log_retention_days)",
                "log_retention_days: ${var.log_retention_days} is not a CloudWatch retention; "
                f"allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}",
            )
        ],
    ),
    object_input(
        "restatectl",
        RestatectlProps,
        ["disabled", "execution_role_arn"],
        lambda v: [role_arn_rule("restatectl.execution_role_arn", f"{v}.execution_role_arn")],
    ),
    object_input(
        "retirement_watcher",
        RetirementWatcherProps,
        ["disabled", "execution_role_arn", "queue_kms_key_arn"],
        lambda v: [
            role_arn_rule("retirement_watcher.execution_role_arn", f"{v}.execution_role_arn"),
            arn_rule(
                "retirement_watcher.queue_kms_key_arn", f"{v}.queue_kms_key_arn", "kms", ":key/"
            ),
        ],
    ),
    scalar_input(
        "tags",
        tags_rules(),
        hcl_type="map(string)",
        description="Tags on every taggable resource, merged with restate:cluster = the "
        "cluster name (which wins). Default: none.",
    ),
)


# ---------------------------------------------------------------- props from variables


@dataclass
class _Tokens:
    """Creates variable tokens and remembers each number token's literal for the generator."""

    stack: Any
    number_literals: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)

    def variable(self, name: str) -> Any:
        import cdktf

        if name not in self.variables:
            self.variables[name] = cdktf.TerraformVariable(self.stack, name, type="any")
        return self.variables[name]

    def string(self, name: str, *path: str | int) -> str:
        import cdktf

        var = self.variable(name)
        return cdktf.Token.as_string(
            cdktf.Fn.lookup_nested(var.value, list(path)) if path else var.value
        )

    def number(self, name: str, *path: str) -> float:
        import cdktf

        var = self.variable(name)
        token = cdktf.Token.as_number(
            cdktf.Fn.lookup_nested(var.value, list(path)) if path else var.value
        )
        self.number_literals[repr(token)] = ".".join(["var", name, *path])
        return token

    def list(self, name: str, *path: str) -> list[str]:
        import cdktf

        return cdktf.Token.as_list(cdktf.Fn.lookup_nested(self.variable(name).value, list(path)))

    def tasks(self, name: str, *path: str) -> TaskProps:
        return TaskProps(
            enable_execute_command=self.string(name, *path, "enable_execute_command"),  # type: ignore[arg-type]
            cpu_architecture=self.string(name, *path, "cpu_architecture"),
            execution_role_arn=self.string(name, *path, "execution_role_arn"),
            task_role_arn=self.string(name, *path, "task_role_arn"),
            log_driver=self.string(name, *path, "log_driver"),
            log_options=self.string(name, *path, "log_options"),  # type: ignore[arg-type]
        )

    def resources(self, name: str) -> Resources:
        return Resources(
            cpu=self.number(name, "resources", "cpu"),
            memory_mib=self.number(name, "resources", "memory_mib"),
        )


def build_props(stack: Any) -> tuple[RestateClusterProps, dict[str, str]]:
    """Construct props whose values are the module's variables."""
    t = _Tokens(stack)
    # Real tokens, not "${...}" text: cdktf escapes plain "${" inside Fn.jsonencode documents.
    import cdktf

    # One token for the whole list: the module takes any number of subnets.
    subnets = cdktf.Token.as_list(t.variable("subnets").value)
    props = RestateClusterProps(
        vpc_id=t.string("vpc_id"),
        subnets=subnets,
        cluster_name=t.string("cluster_name"),
        ecs_cluster=t.string("ecs_cluster"),
        security_group_ids=t.list("security_group_ids"),
        stateless_node=StatelessNodeProps(
            desired_count=t.number("stateless_node", "desired_count"),
            resources=t.resources("stateless_node"),
            default_replication=t.string("stateless_node", "default_replication"),
            default_partitions=t.number("stateless_node", "default_partitions"),
            ingress_advertised_address=t.string("stateless_node", "ingress_advertised_address"),
            restate_image=t.string("stateless_node", "restate_image"),
            restate_version=t.string("stateless_node", "restate_version"),
            environment=t.string("stateless_node", "environment"),  # type: ignore[arg-type]
        ),
        stateful_node=StatefulNodeProps(
            nodes_per_az=t.number("stateful_node", "nodes_per_az"),
            resources=t.resources("stateful_node"),
            restate_image=t.string("stateful_node", "restate_image"),
            restate_version=t.string("stateful_node", "restate_version"),
            environment=t.string("stateful_node", "environment"),  # type: ignore[arg-type]
            # One token for the whole object: null (no volume) decides counts and blocks.
            ebs_volume=t.string("stateful_node", "ebs_volume"),  # type: ignore[arg-type]
        ),
        controller=ControllerProps(
            controller_image=t.string("controller", "controller_image"),
            resources=t.resources("controller"),
            snapshot_retention_days=t.number("controller", "snapshot_retention_days"),
            reconcile_interval_seconds=t.number("controller", "reconcile_interval_seconds"),
            drain_timeout_seconds=t.number("controller", "drain_timeout_seconds"),
            tasks=t.tasks("controller", "tasks"),
        ),
        restate_tasks=t.tasks("restate_tasks"),
        object_storage=ObjectStorageProps(
            bucket_name=t.string("object_storage", "bucket_name"),
            prefix=t.string("object_storage", "prefix"),
            force_destroy=t.string("object_storage", "force_destroy"),  # type: ignore[arg-type]
            noncurrent_version_expiration_days=t.number(
                "object_storage", "noncurrent_version_expiration_days"
            ),
            access_logs_bucket=t.string("object_storage", "access_logs_bucket"),
            kms_key_arn=t.string("object_storage", "kms_key_arn"),
        ),
        load_balancer=LoadBalancerProps(
            existing_nlb_arn=t.string("load_balancer", "existing_nlb_arn"),
            internet_facing=t.string("load_balancer", "internet_facing"),  # type: ignore[arg-type]
            subnet_ids=t.list("load_balancer", "subnet_ids"),
            ingress_cidr_blocks=t.list("load_balancer", "ingress_cidr_blocks"),
            admin_cidr_blocks=t.list("load_balancer", "admin_cidr_blocks"),
            deletion_protection=t.string("load_balancer", "deletion_protection"),  # type: ignore[arg-type]
            disable_shared_nlb_ports=t.list("load_balancer", "disable_shared_nlb_ports"),
            create_alb_targets=t.string("load_balancer", "create_alb_targets"),  # type: ignore[arg-type]
            access_logs_bucket=t.string("load_balancer", "access_logs_bucket"),
        ),
        addresses=AddressesProps(
            ingress=t.string("addresses", "ingress"),
            admin=t.string("addresses", "admin"),
            web_ui=t.string("addresses", "web_ui"),
        ),
        monitoring=MonitoringProps(
            container_insights=t.string("monitoring", "container_insights"),
            alarm_actions=t.list("monitoring", "alarm_actions"),
        ),
        log_retention_days=t.number("log_retention_days"),
        restatectl=RestatectlProps(
            disabled=t.string("restatectl", "disabled"),  # type: ignore[arg-type]
            execution_role_arn=t.string("restatectl", "execution_role_arn"),
        ),
        retirement_watcher=RetirementWatcherProps(
            disabled=t.string("retirement_watcher", "disabled"),  # type: ignore[arg-type]
            execution_role_arn=t.string("retirement_watcher", "execution_role_arn"),
            queue_kms_key_arn=t.string("retirement_watcher", "queue_kms_key_arn"),
        ),
        tags=t.string("tags"),  # type: ignore[arg-type]
    )
    return props, t.number_literals
