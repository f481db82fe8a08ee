"""The ``validation`` rules of each object variable of the generated module (stateless and
stateful nodes, the EBS volume, tasks, controller, object storage, load balancer, ECS cluster,
security groups, tags), built from ``module_rules``."""

from __future__ import annotations

import re

from cdktf_restate.schema.validation import (
    CPU_ARCHITECTURES,
    EBS_IOPS_LIMITS,
    EBS_MAX_IOPS_PER_GIB,
    EBS_MINIMUM_SIZE_GIB,
    EBS_VOLUME_TYPES,
    GP3_BASELINE_IOPS,
    LOG_DRIVERS,
    MAX_RECONCILE_INTERVAL_SECONDS,
    MAX_SECURITY_GROUPS,
    MAX_USER_TAGS,
    TAG_CHARACTERS,
)
from cdktf_restate.terraform_module.rules import (
    Rule,
    choice_rule,
    cidr_rules,
    disabled_port_rules,
    ec2_id_list_rules,
    image_rules,
    int_rules,
    positive_rule,
    replication_rules,
    resources_rules,
    url_rule,
)


def environment_rule(path: str, expr: str) -> Rule:
    """Mirror of ``validation.check_environment``; values are strings by the variable's type
    (``map(string)``). ``keys`` is sorted: the first bad name in key order is reported."""
    bad = f'[for k in keys({expr}) : k if !can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))]'
    return Rule(
        f"length({bad}) == 0",
        f"{path}: '${{try({bad}[0], \"?\")}}' is not an environment variable name; "
        "allowed: [A-Za-z_][A-Za-z0-9_]*",
    )


def stateless_rules(v: str) -> list[Rule]:
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


def stateful_rules(v: str) -> list[Rule]:
    return [
        *int_rules("stateful_node.nodes_per_az", f"{v}.nodes_per_az", minimum=1),
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


def tasks_rules(path: str, v: str) -> list[Rule]:
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


def controller_rules(v: str) -> list[Rule]:
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
        *tasks_rules("controller.tasks", f"{v}.tasks"),
    ]


def object_storage_rules(v: str) -> list[Rule]:
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


def load_balancer_rules(v: str) -> list[Rule]:
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
