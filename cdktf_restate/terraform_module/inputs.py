"""The inputs of the generated Terraform module: types, defaults and descriptions read from
the props dataclasses, each with its ``validation`` rules (``module_rules``,
``module_input_rules``), which mirror ``validation.py`` message for message
(``tests/test_hcl_module.py`` checks each against the construct's own error).

Props that decide which resources exist (existing bucket/NLB/cluster/roles, disabled
Lambdas, NLB ports, access logs, the stateful nodes' EBS volume, ...) are inputs too: the
construct renders them as ``count``, ``dynamic`` blocks and locals when they are tokens
(docs/terraform-module.md). Not inputs: the props that have no effect in this release.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_restate.cluster.controller import EBS_VOLUME_FIELDS
from cdktf_restate.schema.props import (
    AddressesProps,
    ControllerProps,
    CustomWidgetsProps,
    DashboardProps,
    DashboardsProps,
    DestroyCleanupProps,
    EbsVolumeProps,
    LoadBalancerProps,
    MonitoringProps,
    ObjectStorageProps,
    RestateClusterProps,
    RestatectlProps,
    RetirementWatcherProps,
    StatefulNodeProps,
    StatelessNodeProps,
    TaskProps,
)
from cdktf_restate.schema.types import KmsKeyArn
from cdktf_restate.schema.validation import (
    CLUSTER_NAME_RULE,
    CONTAINER_INSIGHTS,
    LOG_RETENTION_DAYS,
    ec2_id_allowed,
)
from cdktf_restate.terraform_module.input_rules import (
    arn_rule,
    controller_rules,
    ecs_cluster_rules,
    load_balancer_rules,
    object_storage_rules,
    role_arn_rule,
    security_group_rules,
    stateful_rules,
    stateless_rules,
    tags_rules,
    tasks_rules,
)
from cdktf_restate.terraform_module.rules import (
    Rule,
    alarm_actions_rules,
    choice_rule,
    ec2_id_test,
    subnet_rules,
    url_rule,
)

DEFAULT_CLUSTER_NAME = "restate"


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


# ---------------------------------------------------------------- types from the dataclasses


def _hcl_type(annotation: Any) -> str:
    """The HCL type of a schema type (its Python base type; constraints are validation)."""
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in arguments if a is not type(None)]
        # str | int (replication): a string in HCL, numbers convert to it.
        return _hcl_type(str if str in members else members[0])
    if origin is typing.Literal:
        return "number" if all(isinstance(a, int) for a in arguments) else "string"
    if origin in (Sequence, list, tuple):
        return f"list({_hcl_type(arguments[0])})"
    if origin in (Mapping, dict):
        return f"map({_hcl_type(arguments[1])})"
    if dataclasses.is_dataclass(annotation):
        hints = typing.get_type_hints(annotation)
        inner = ", ".join(
            f"{f.name} = {_hcl_type(hints[f.name])}" for f in dataclasses.fields(annotation)
        )
        return f"object({{ {inner} }})"
    return {int: "number", float: "number", str: "string", bool: "bool"}[annotation]


def _field(cls: type, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


def _default(f: dataclasses.Field) -> Any:
    value = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return value


def _type_of(cls: type, f: dataclasses.Field) -> str:
    """The HCL type of field ``f`` of ``cls``, from its schema type."""
    return _hcl_type(typing.get_type_hints(cls)[f.name])


def _hcl_literal(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl_literal(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _first_sentence(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text else ""


#: A nested object field: its props class, the fields that are inputs, and (optionally) the
#: nested objects among those (monitoring.dashboard.metrics.disabled is three levels deep).
Nested = Mapping[str, "tuple[type, Sequence[str]] | tuple[type, Sequence[str], Nested]"]


def _inner(spec: tuple[Any, ...]) -> tuple[type, Sequence[str], Nested]:
    return (spec[0], spec[1], spec[2] if len(spec) > 2 else {})


def _attributes(cls: type, names: Sequence[str], nested: Nested) -> list[str]:
    """``name = optional(type, default)`` per field; ``nested`` fields are objects themselves
    (on one line, with their own optional attributes and defaults)."""
    attributes = []
    for f in (_field(cls, n) for n in names):
        if f.name in nested:
            inner_cls, inner_names, inner_nested = _inner(nested[f.name])
            inner = ", ".join(_attributes(inner_cls, inner_names, inner_nested))
            # A nested prop that is None by default stays null until given (e.g. ebs_volume).
            default = "" if f.default is None else ", {}"
            attributes.append(f"{f.name} = optional(object({{ {inner} }}){default})")
        elif f.default is None and f.metadata["description"].endswith("Required."):
            attributes.append(f"{f.name} = {_type_of(cls, f)}")
        else:
            attributes.append(
                f"{f.name} = optional({_type_of(cls, f)}, {_hcl_literal(_default(f))})"
            )
    return attributes


def _described(cls: type, names: Sequence[str], nested: Nested) -> str:
    parts = []
    for f in (_field(cls, n) for n in names):
        if f.name in nested:
            inner_cls, inner_names, inner_nested = _inner(nested[f.name])
            parts.append(f"`{f.name}`: {{{_described(inner_cls, inner_names, inner_nested)}}}")
        else:
            parts.append(f"`{f.name}`: {f.metadata['description']}")
    return " ".join(parts)


def object_input(
    name: str,
    cls: type,
    names: Sequence[str],
    rules: Callable[[str], list[Rule]],
    nested: Nested | None = None,
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
        "hcl_type": _type_of(RestateClusterProps, f),
        "default": _default(f),
        "rules": tuple(rules),
    }
    values.update(overrides)
    return ModuleInput(**values)


#: The fields of ``stateful_node.ebs_volume`` that are module inputs: all of them, in the
#: order the construct writes them for the controller.
EBS_VOLUME_INPUTS = EBS_VOLUME_FIELDS


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
        stateless_rules,
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
        stateful_rules,
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
        controller_rules,
        nested={"tasks": (TaskProps, TASK_INPUTS)},
    ),
    object_input(
        "restate_tasks",
        TaskProps,
        TASK_INPUTS,
        lambda v: tasks_rules("restate_tasks", v),
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
        object_storage_rules,
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
        load_balancer_rules,
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
        ["container_insights", "alarm_actions", "dashboard"],
        lambda v: [
            choice_rule(
                "monitoring.container_insights", f"{v}.container_insights", CONTAINER_INSIGHTS
            ),
            *alarm_actions_rules("monitoring.alarm_actions", f"{v}.alarm_actions"),
            role_arn_rule(
                "monitoring.dashboard.custom_widgets.execution_role_arn",
                f"{v}.dashboard.custom_widgets.execution_role_arn",
            ),
        ],
        nested={
            "dashboard": (
                DashboardsProps,
                ["metrics", "control_panel", "custom_widgets"],
                {
                    "metrics": (DashboardProps, ["disabled", "autogenerated_name"]),
                    "control_panel": (DashboardProps, ["disabled", "autogenerated_name"]),
                    "custom_widgets": (CustomWidgetsProps, ["disabled", "execution_role_arn"]),
                },
            )
        },
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
            arn_rule("retirement_watcher.queue_kms_key_arn", f"{v}.queue_kms_key_arn", KmsKeyArn),
        ],
    ),
    object_input(
        "destroy_cleanup",
        DestroyCleanupProps,
        ["disabled", "delete_storage"],
        lambda v: [],
    ),
    scalar_input(
        "tags",
        tags_rules(),
        hcl_type="map(string)",
        description="Tags on every taggable resource, merged with restate:cluster = the "
        "cluster name (which wins). Default: none.",
    ),
)
