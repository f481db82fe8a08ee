"""The ``validation`` rules of each object variable of the generated module (stateless and
stateful nodes, the EBS volume, tasks, controller, object storage, load balancer, ECS cluster,
security groups, tags), built from ``module_rules``."""

from __future__ import annotations

import json
import re
from typing import Any

from cdktf_restate.schema.limits import LOG_DRIVER_REQUIRED_OPTIONS
from cdktf_restate.schema.props import (
    SECURITY_GROUPS_RULE,
    DrainTimeoutSeconds,
    NodesPerAz,
    NoncurrentVersionDays,
    Partitions,
    ReconcileIntervalSeconds,
    SnapshotRetentionDays,
    StatelessCount,
    VolumeSizeGib,
)
from cdktf_restate.schema.types import (
    BUCKET_PREFIXES,
    BUCKET_RULE,
    BUCKET_SUFFIXES,
    ECS_CLUSTER_ARN_PATTERN,
    ECS_CLUSTER_NAME_PATTERN,
    ECS_CLUSTER_RULE,
    IMAGE_RULE,
    MAX_PREFIX_BYTES,
    PREFIX_RULE,
    TAG_KEY_RULE,
    TAG_VALUE_RULE,
    IamRoleArn,
    KmsKeyArn,
    NlbArn,
    pattern_of,
)
from cdktf_restate.schema.validation import (
    CPU_ARCHITECTURES,
    EBS_IOPS_LIMITS,
    EBS_MAX_IOPS_PER_GIB,
    EBS_MINIMUM_SIZE_GIB,
    EBS_VOLUME_TYPES,
    GP3_BASELINE_IOPS,
    LOG_DRIVERS,
    MAX_SECURITY_GROUPS,
    MAX_USER_TAGS,
)
from cdktf_restate.terraform_module.rules import (
    Rule,
    choice_rule,
    cidr_rules,
    disabled_port_rules,
    ec2_id_list_rules,
    image_rules,
    int_rules,
    number_rule,
    replication_rules,
    resources_rules,
    schema_int_rules,
    url_rule,
)


def environment_rule(path: str, expr: str) -> Rule:
    """Mirror of ``validation.check_environment``; values are strings by the variable's type
    (``map(string)``). ``keys`` is sorted: the first bad name in key order is reported."""
    bad = f'[for k in keys({expr}) : k if !can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))]'
    return Rule(
        f"length({bad}) == 0",
        f'{path}.${{try({bad}[0], "?")}}: \'${{try({bad}[0], "?")}}\' is not an environment '
        "variable name; allowed: [A-Za-z_][A-Za-z0-9_]*",
    )


def stateless_rules(v: str) -> list[Rule]:
    return [
        *schema_int_rules("stateless_node.desired_count", f"{v}.desired_count", StatelessCount),
        *resources_rules("stateless_node.resources", f"{v}.resources"),
        *replication_rules(f"{v}.default_replication"),
        *schema_int_rules(
            "stateless_node.default_partitions", f"{v}.default_partitions", Partitions
        ),
        url_rule("stateless_node.ingress_advertised_address", f"{v}.ingress_advertised_address"),
        *image_rules("stateless_node", v),
        environment_rule("stateless_node.environment", f"{v}.environment"),
    ]


def stateful_rules(v: str) -> list[Rule]:
    return [
        *schema_int_rules("stateful_node.nodes_per_az", f"{v}.nodes_per_az", NodesPerAz),
        *resources_rules("stateful_node.resources", f"{v}.resources"),
        *image_rules("stateful_node", v),
        environment_rule("stateful_node.environment", f"{v}.environment"),
        *ebs_volume_rules(f"{v}.ebs_volume"),
    ]


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
        *schema_int_rules(f"{path}.size_gib", f"{v}.size_gib", VolumeSizeGib),
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


def arn_rule(path: str, expr: str, arn_type: Any) -> Rule:
    """The schema's pattern type ``arn_type`` (``schema.types``) for a value that may be null:
    the same full-match pattern and message as the construct."""
    pattern = pattern_of(arn_type)
    return Rule(
        f'{expr} == null || try(can(regex("^{pattern.regex}$", {expr})), false)',
        f"{path}: '${{{expr} == null ? \"\" : {expr}}}' is not {pattern.what}; "
        f"allowed: {pattern.allowed}",
    )


def role_arn_rule(path: str, expr: str) -> Rule:
    return arn_rule(path, expr, IamRoleArn)


def log_option_rules(path: str, driver: str, options: str) -> list[Rule]:
    """The schema's ``TaskProps`` log rule: a driver's required options (awslogs may have none:
    the construct's log group)."""
    rules = [
        Rule(
            f'{driver} == "awslogs" || try(length({options}) > 0, false)',
            f"{path}.log_options: log driver '${{{driver}}}' needs options; allowed: a mapping "
            f"with ${{{_required_text(driver)}}}",
        )
    ]
    for name, keys in LOG_DRIVER_REQUIRED_OPTIONS.items():
        missing = f"[for k in {json.dumps(list(keys))} : k if !contains(keys({options}), k)]"
        suffix = " (or no options: the construct's log group)" if name == "awslogs" else ""
        rules.append(
            Rule(
                # try(): || does not short-circuit, and keys(null) fails (null: no options).
                f'{driver} != "{name}" || try(length({options}) == 0 || length({missing}) == 0, true)',
                f"{path}.log_options: log driver '{name}' needs option(s) "
                f'${{try(join(", ", {missing}), "?")}}; allowed: options with {", ".join(keys)}{suffix}',
            )
        )
    return rules


def _required_text(driver: str) -> str:
    """An HCL conditional naming the required options of each driver but awslogs."""
    others = [(n, k) for n, k in LOG_DRIVER_REQUIRED_OPTIONS.items() if n != "awslogs"]
    text = json.dumps(", ".join(others[-1][1]))
    for name, keys in reversed(others[:-1]):
        text = f'{driver} == "{name}" ? {json.dumps(", ".join(keys))} : {text}'
    return text


def tasks_rules(path: str, v: str) -> list[Rule]:
    driver, options = f"{v}.log_driver", f"{v}.log_options"
    return [
        choice_rule(f"{path}.log_driver", driver, LOG_DRIVERS),
        *log_option_rules(path, driver, options),
        choice_rule(f"{path}.cpu_architecture", f"{v}.cpu_architecture", CPU_ARCHITECTURES),
        role_arn_rule(f"{path}.execution_role_arn", f"{v}.execution_role_arn"),
        role_arn_rule(f"{path}.task_role_arn", f"{v}.task_role_arn"),
    ]


def controller_rules(v: str) -> list[Rule]:
    image = f"{v}.controller_image"
    return [
        *resources_rules("controller.resources", f"{v}.resources"),
        *schema_int_rules(
            "controller.snapshot_retention_days",
            f"{v}.snapshot_retention_days",
            SnapshotRetentionDays,
        ),
        number_rule(
            "controller.reconcile_interval_seconds",
            f"{v}.reconcile_interval_seconds",
            ReconcileIntervalSeconds,
        ),
        number_rule(
            "controller.drain_timeout_seconds", f"{v}.drain_timeout_seconds", DrainTimeoutSeconds
        ),
        Rule(
            # null is the default image; try(): || does not short-circuit on null.
            f'{image} == null || try({image} != "" && !can(regex("\\\\s", {image})), false)',
            f"controller.controller_image: '{_null_safe(image)}' is not an "
            f"image reference; allowed: {IMAGE_RULE}",
        ),
        *tasks_rules("controller.tasks", f"{v}.tasks"),
    ]


def object_storage_rules(v: str) -> list[Rule]:
    bucket = f"{v}.bucket_name"
    prefix = f"{v}.prefix"
    usable = (
        f'can(regex("^[A-Za-z0-9!_.*\'()/-]+$", {prefix})) && !startswith({prefix}, "/") && '
        f'!endswith({prefix}, "/") && !strcontains({prefix}, "//") && '
        f'!can(regex("(^|/)[.]{{1,2}}(/|$)", {prefix})) && length({prefix}) <= {MAX_PREFIX_BYTES}'
    )
    return [
        access_logs_bucket_rule("object_storage.bucket_name", bucket),
        Rule(
            f'{prefix} == "" || ({usable})',
            f"object_storage.prefix: '${{{prefix}}}' is not a usable key prefix; allowed: "
            f"{PREFIX_RULE}",
        ),
        access_logs_bucket_rule("object_storage.access_logs_bucket", f"{v}.access_logs_bucket"),
        Rule(
            f"{bucket} == null || {v}.access_logs_bucket == null",
            "object_storage.access_logs_bucket: only applies to a created bucket; allowed: no "
            "access_logs_bucket with bucket_name",
        ),
        *schema_int_rules(
            "object_storage.noncurrent_version_expiration_days",
            f"{v}.noncurrent_version_expiration_days",
            NoncurrentVersionDays,
        ),
        arn_rule("object_storage.kms_key_arn", f"{v}.kms_key_arn", KmsKeyArn),
        Rule(
            f"{v}.kms_key_arn == null || {bucket} != null",
            "object_storage.kms_key_arn: only applies to an existing bucket (a created one uses "
            "the cluster's key); allowed: kms_key_arn with bucket_name",
        ),
    ]


def access_logs_bucket_rule(path: str, expr: str) -> Rule:
    """The schema's ``BucketName`` (S3's naming rules) for a value that may be null."""
    prefixes = " || ".join(f'startswith({expr}, "{p}")' for p in BUCKET_PREFIXES)
    suffixes = " || ".join(f'endswith({expr}, "{p}")' for p in BUCKET_SUFFIXES)
    return Rule(
        f'{expr} == null || try(can(regex("^[a-z0-9][a-z0-9.-]{{1,61}}[a-z0-9]$", {expr})) && '
        f'!strcontains({expr}, "..") && !can(regex("^[0-9]{{1,3}}([.][0-9]{{1,3}}){{3}}$", {expr}))'
        f" && !({prefixes}) && !({suffixes}), false)",
        f"{path}: '{_null_safe(expr)}' is not an S3 bucket name; allowed: {BUCKET_RULE}",
    )


def load_balancer_rules(v: str) -> list[Rule]:
    subnets = f"{v}.subnet_ids"
    existing = f"{v}.existing_nlb_arn"
    return [
        arn_rule("load_balancer.existing_nlb_arn", existing, NlbArn),
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
    """The schema's ``EcsClusterReference``: a cluster name or a cluster ARN."""
    v = "var.ecs_cluster"
    return [
        Rule(
            f'{v} == null || try(can(regex("^({ECS_CLUSTER_ARN_PATTERN}|{ECS_CLUSTER_NAME_PATTERN})$", {v})), false)',
            f"ecs_cluster: '{_null_safe(v)}' is not an ECS cluster name or ARN; allowed: "
            f"{ECS_CLUSTER_RULE}",
        ),
    ]


def security_group_rules() -> list[Rule]:
    v = "var.security_group_ids"
    return [
        Rule(
            f"{v} == null || try(length({v}) > 0, true)",
            f"security_group_ids: empty list; allowed: {SECURITY_GROUPS_RULE}",
        ),
        Rule(
            f"{v} == null || try(length({v}) <= {MAX_SECURITY_GROUPS}, true)",
            f"security_group_ids: ${{try(length({v}), 0)}} groups; allowed: {SECURITY_GROUPS_RULE}",
        ),
        *ec2_id_list_rules("security_group_ids", v, "sg"),
    ]


TAG_TEXT = r'"^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]*$"'


def tags_rules() -> list[Rule]:
    bad_key = (
        '[for k in keys(var.tags) : k if startswith(lower(k), "aws:") || length(k) < 1'
        f" || length(k) > 128 || !can(regex({TAG_TEXT}, k))]"
    )
    bad_value = f"[for k, v in var.tags : k if length(v) > 256 || !can(regex({TAG_TEXT}, v))]"
    return [
        Rule(
            f"length({bad_key}) == 0",
            f'tags.${{try({bad_key}[0], "?")}}: invalid tag key; allowed: {TAG_KEY_RULE}',
        ),
        Rule(
            f"length({bad_value}) == 0",
            f'tags.${{try({bad_value}[0], "?")}}: invalid tag value; allowed: {TAG_VALUE_RULE}',
        ),
        Rule(
            f"length(var.tags) <= {MAX_USER_TAGS}",
            "tags: ${length(var.tags)} tags leave no room for the cluster's own; allowed: at most "
            f"{MAX_USER_TAGS} (AWS allows 50 per resource; the cluster adds up to 11)",
        ),
    ]
