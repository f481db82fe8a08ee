"""Validation of ``RestateClusterProps``, run before any resource is created.

The rules are the schema itself (``props.py`` with the types of ``types.py`` and the limits of
``limits.py``); this module runs it and raises one ``RestateConfigError`` listing every
problem, each as ``<path>: <problem>; allowed: <what>``. Values that are unresolved cdktf
tokens (Terraform variables, references) pass: Terraform checks them at plan time. The names
below are re-exported for the HCL module's generator, which writes the same rules in HCL.
"""

from __future__ import annotations

from cdktf_restate.schema.errors import config_error, fail
from cdktf_restate.schema.limits import (
    CONTAINER_INSIGHTS,
    CPU_ARCHITECTURES,
    EBS_IOPS_LIMITS,
    EBS_MAX_IOPS_PER_GIB,
    EBS_MINIMUM_SIZE_GIB,
    EBS_VOLUME_TYPES,
    FARGATE_MEMORY_BY_CPU,
    GP3_BASELINE_IOPS,
    LOG_DRIVERS,
    LOG_RETENTION_DAYS,
    MAX_ALARM_ACTIONS,
    MAX_RECONCILE_INTERVAL_SECONDS,
    MAX_SECURITY_GROUPS,
    MAX_USER_TAGS,
    REPLICATION_SCOPES,
    SHARED_NLB_PORTS,
)
from cdktf_restate.schema.model import problems_of
from cdktf_restate.schema.props import (
    SUBNET_KEYS,
    RestateClusterProps,
    max_provisioned_iops,
    normalized_subnets,
    to_subnet,
)
from cdktf_restate.schema.restate_values import (
    format_replication,
    image_tag,
    parse_replication,
    restate_version,
)
from cdktf_restate.schema.types import (
    CLUSTER_NAME_PATTERN,
    CLUSTER_NAME_RULE,
    EC2_ID_HEX,
    EC2_ID_KINDS,
    TAG_CHARACTERS,
    ec2_id_allowed,
)


def validate_props(props: RestateClusterProps) -> None:
    """Raise ``RestateConfigError`` naming every invalid property; return None if all valid."""
    if not isinstance(props, RestateClusterProps):
        raise fail("props", f"{type(props).__name__} given", "RestateClusterProps")
    problems = problems_of(RestateClusterProps, props)
    if problems:
        raise config_error(problems)


__all__ = [
    "CLUSTER_NAME_PATTERN",
    "CLUSTER_NAME_RULE",
    "CONTAINER_INSIGHTS",
    "CPU_ARCHITECTURES",
    "EBS_IOPS_LIMITS",
    "EBS_MAX_IOPS_PER_GIB",
    "EBS_MINIMUM_SIZE_GIB",
    "EBS_VOLUME_TYPES",
    "EC2_ID_HEX",
    "EC2_ID_KINDS",
    "FARGATE_MEMORY_BY_CPU",
    "GP3_BASELINE_IOPS",
    "LOG_DRIVERS",
    "LOG_RETENTION_DAYS",
    "MAX_ALARM_ACTIONS",
    "MAX_RECONCILE_INTERVAL_SECONDS",
    "MAX_SECURITY_GROUPS",
    "MAX_USER_TAGS",
    "REPLICATION_SCOPES",
    "SHARED_NLB_PORTS",
    "SUBNET_KEYS",
    "TAG_CHARACTERS",
    "ec2_id_allowed",
    "format_replication",
    "image_tag",
    "max_provisioned_iops",
    "normalized_subnets",
    "parse_replication",
    "restate_version",
    "to_subnet",
    "validate_props",
]
