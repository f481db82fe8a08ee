"""Pure validation of ``RestateClusterProps``, run before any resource is created.

Every problem raises ``RestateConfigError`` whose message starts with the property path
(e.g. ``stateless_node.resources.memory_mib``) and says what is allowed. Values that are
unresolved cdktf tokens (Terraform variables, references) are skipped: Terraform
checks them at plan time.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cdktf_restate.schema.errors import fail
from cdktf_restate.schema.prop_types import check_prop_types
from cdktf_restate.schema.props import (
    SUPPORTED_RESTATE_VERSIONS,
    ControllerProps,
    EbsVolumeProps,
    Resources,
    RestateClusterProps,
    Subnet,
    TaskProps,
)
from cdktf_restate.schema.tokens import is_token

#: CloudWatch: at most 5 actions per alarm state.
MAX_ALARM_ACTIONS = 5


# ---- Reusable parsers (pure, also used by the modules) ----------------------------------

#: Fargate: cpu -> allowed memory (MiB), Linux platform.
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
CPU_ARCHITECTURES = ("ARM64", "X86_64")
CONTAINER_INSIGHTS = ("enhanced", "enabled", "disabled")
LOG_DRIVERS = (
    "awslogs",
    "awsfirelens",
    "fluentd",
    "gelf",
    "json-file",
    "journald",
    "splunk",
    "syslog",
)
#: What ECS can attach to a Fargate task ("standard", magnetic, is not supported on Fargate).
EBS_VOLUME_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1")
#: Smallest volume (GiB) per type, as ECS documents it; the largest is 16384 for all.
EBS_MINIMUM_SIZE_GIB = {"io1": 4, "io2": 4, "st1": 125, "sc1": 125}
#: gp3 without provisioned iops has 3000; its throughput is at most 0.25 MiB/s per IOPS.
GP3_BASELINE_IOPS = 3000
#: Provisioned IOPS range per volume type that takes iops.
EBS_IOPS_LIMITS: dict[str, tuple[int, int]] = {
    "gp3": (3000, 16000),
    "io1": (100, 64000),
    "io2": (100, 256000),
}
#: Most provisioned IOPS per GiB of volume size (EBS; io2 volumes are all Block Express now).
EBS_MAX_IOPS_PER_GIB = {"gp3": 500, "io1": 50, "io2": 1000}
SHARED_NLB_PORTS = ("ingress", "admin")
REPLICATION_SCOPES = ("region", "zone", "node")

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]+)?$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# AWS tags (ECS, IAM, Lambda, Logs, ELB): letters, digits, spaces and _ . : / = + - @. The
# stateful tasks carry up to 11 restate:* tags of the cluster and controller besides the user's.
TAG_CHARACTERS = "characters of letters, digits, spaces and _ . : / = + - @"
# \w: letters, digits, _ ; then the Unicode space separators (\p{Z}), not tabs or newlines.
_TAG_TEXT_RE = re.compile(
    r"^[\w.:/=+\-@ \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
)
MAX_USER_TAGS = 39
MAX_SECURITY_GROUPS = 5
# It prefixes AWS names: load balancer names may not start with "internal-" (nor "-"; "_" becomes
# "-" there), security group names not with "sg-". Derived names are cut at a length and lose a
# trailing "-"/"_": a name ending in one would share them with the name without it.
CLUSTER_NAME_PATTERN = r"^(?!internal[-_]|sg-)[A-Za-z0-9]([A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$"
_CLUSTER_NAME_RE = re.compile(CLUSTER_NAME_PATTERN)
CLUSTER_NAME_RULE = (
    "1-64 of [A-Za-z0-9_-], starting and ending with a letter or digit, not starting with "
    "'internal-', 'internal_' or 'sg-'"
)
#: The controller must look at the cluster at least hourly (retirements, crashed nodes).
MAX_RECONCILE_INTERVAL_SECONDS = 3600
_PREFIX_RE = re.compile(r"^[A-Za-z0-9!_.*'()/-]+$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REPLICATION_RE = re.compile(r"^\{\s*([a-z]+\s*:\s*\d+\s*(?:,\s*[a-z]+\s*:\s*\d+\s*)*)\}$")
_ARN_RE = re.compile(r"^arn:aws[a-z-]*:")
#: EC2 resource ids: the prefix and 8 (older resources) or 17 lowercase hex digits.
EC2_ID_HEX = "[0-9a-f]{8}([0-9a-f]{9})?"
EC2_ID_KINDS = {"vpc": "VPC", "subnet": "subnet", "sg": "security group"}


def ec2_id_allowed(prefix: str) -> str:
    return f"{prefix}- and 8 or 17 lowercase hex digits, e.g. {prefix}-0123456789abcdef0"


def check_ec2_id(path: str, value: Any, prefix: str) -> None:
    """A VPC, subnet or security group id as AWS writes them (typos fail here, not at apply)."""
    # A Terraform interpolation written as text ("${aws_subnet.a.id}") is a reference too.
    if not _known(value) or (isinstance(value, str) and "${" in value):
        return
    if not isinstance(value, str) or not re.fullmatch(f"{prefix}-{EC2_ID_HEX}", value):
        raise fail(path, f"{value!r} is not a {EC2_ID_KINDS[prefix]} id", ec2_id_allowed(prefix))


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None (digest-only or untagged)."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def restate_version(image: str, explicit: str | None, path: str) -> str | None:
    """The Restate version (e.g. '1.7.12') from ``explicit`` or the image tag.

    Returns None when a token makes it unknowable at synth time.
    """
    if explicit is not None:
        if is_token(explicit):
            return None
        candidate, source = explicit, f"{path}.restate_version"
    else:
        if is_token(image):
            return None
        tag = image_tag(image)
        if tag is None or not _VERSION_RE.match(tag):
            raise fail(
                f"{path}.restate_image",
                f"cannot derive the Restate version from {image!r} (tag {tag!r})",
                f"an image tagged with a version such as :1.7.12, or set {path}.restate_version",
            )
        candidate, source = tag, f"{path}.restate_image"
    match = _VERSION_RE.match(candidate)
    if not match:
        raise fail(source, f"unparseable Restate version {candidate!r}", "1.7 or 1.7.<patch>")
    minor = f"{match.group(1)}.{match.group(2)}"
    if explicit is not None and not is_token(image):
        # restate_version is for images without a version tag: it may not contradict one.
        tag = image_tag(image)
        tag_match = _VERSION_RE.match(tag) if tag else None
        if tag_match and f"{tag_match.group(1)}.{tag_match.group(2)}" != minor:
            tag_minor = f"{tag_match.group(1)}.{tag_match.group(2)}"
            raise fail(
                source,
                f"{explicit!r} disagrees with the image tag {tag!r}",
                f"the image's version ({tag_minor}.x), or leave restate_version unset",
            )
    if minor not in SUPPORTED_RESTATE_VERSIONS:
        raise fail(
            source,
            f"Restate version {candidate!r} is not supported",
            " or ".join(f"{v}.x" for v in SUPPORTED_RESTATE_VERSIONS),
        )
    return candidate.lstrip("v")


def parse_replication(value: Any, path: str) -> dict[str, int]:
    """Restate's replication property: ``2`` / ``"2"`` / ``"{zone: 2, node: 3}"``."""
    allowed = "an integer >= 1 (node replication) or a string like '{zone: 2}' or '{zone: 2, node: 3}' with scopes region, zone, node"
    if isinstance(value, bool):
        raise fail(path, f"{value!r} is not a replication", allowed)
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        factor = int(value)
        if factor < 1:
            raise fail(path, f"replication factor {factor} is below 1", allowed)
        return {"node": factor}
    if not isinstance(value, str):
        raise fail(path, f"{value!r} is not a replication", allowed)
    match = _REPLICATION_RE.match(value.strip())
    if not match:
        raise fail(path, f"{value!r} is not written like Restate's replication property", allowed)
    result: dict[str, int] = {}
    for part in match.group(1).split(","):
        scope, factor_text = (s.strip() for s in part.split(":"))
        if scope not in REPLICATION_SCOPES:
            raise fail(path, f"unknown replication scope {scope!r}", allowed)
        if scope in result:
            raise fail(path, f"scope {scope!r} given twice", allowed)
        if int(factor_text) < 1:
            raise fail(path, f"{scope} replication {factor_text} is below 1", allowed)
        result[scope] = int(factor_text)
    if result.get("region", 1) > 1:
        raise fail(
            path,
            "region replication > 1 needs several regions; a cluster runs in one",
            "region: 1, or zone/node scopes",
        )
    return result


def format_replication(replication: Mapping[str, int]) -> str:
    """Canonical text Restate accepts: ``{zone: 2}``, ``{zone: 2, node: 3}``."""
    ordered = [s for s in REPLICATION_SCOPES if s in replication]
    return "{" + ", ".join(f"{s}: {replication[s]}" for s in ordered) + "}"


SUBNET_KEYS = frozenset({"subnet_id", "availability_zone"})


def to_subnet(value: Subnet | str | Mapping[str, str]) -> Subnet:
    """A ``Subnet`` from a Subnet, a subnet id, or ``{"subnet_id", "availability_zone"}``."""
    if isinstance(value, str):
        return Subnet(subnet_id=value)
    if isinstance(value, Mapping):
        return Subnet(**value)
    return value


def normalized_subnets(subnets: Iterable[Subnet | str | Mapping[str, str]]) -> list[Subnet]:
    return [to_subnet(s) for s in subnets]


# ---- Checks ----------------------------------------------------------------------------


def _known(value: Any) -> bool:
    return value is not None and not is_token(value)


def check_int(path: str, value: Any, *, minimum: int, maximum: int | None = None) -> None:
    if not _known(value):
        return
    allowed = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(path, f"{value!r} is not an integer", allowed)
    if value < minimum or (maximum is not None and value > maximum):
        raise fail(path, f"{value} is out of range", allowed)


def check_positive_number(path: str, value: Any) -> None:
    if not _known(value):
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise fail(path, f"{value!r} is not a positive number", "a number > 0")


def check_choice(path: str, value: Any, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if _known(value) and value not in choices:
        raise fail(path, f"{value!r} is not supported", ", ".join(choices))


def check_url(path: str, value: Any) -> None:
    if _known(value) and not re.match(r"^https?://[^\s/]+", str(value)):
        raise fail(path, f"{value!r} is not a URL", "http://host[:port][/path] or https://...")


def check_cidr(path: str, value: Any) -> None:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except (TypeError, ValueError):
        network = None
    if network is None or network.version != 4:
        raise fail(path, f"{value!r} is not an IPv4 CIDR block", "a.b.c.d/n with no host bits set")


def check_resources(path: str, resources: Resources) -> None:
    cpu, memory = resources.cpu, resources.memory_mib
    if not _known(cpu):
        return
    if cpu not in FARGATE_MEMORY_BY_CPU:
        raise fail(
            f"{path}.cpu",
            f"{cpu!r} is not a Fargate cpu size",
            ", ".join(map(str, FARGATE_MEMORY_BY_CPU)),
        )
    if _known(memory) and memory not in FARGATE_MEMORY_BY_CPU[cpu]:
        options = FARGATE_MEMORY_BY_CPU[cpu]
        raise fail(
            f"{path}.memory_mib",
            f"{memory!r} MiB is not a Fargate memory size for cpu {cpu}",
            f"{options[0]}-{options[-1]} in steps of {options[1] - options[0]}"
            if len(options) > 3
            else ", ".join(map(str, options)),
        )


def check_environment(path: str, environment: Mapping[str, Any] | str) -> None:
    if is_token(environment):
        return  # a map token: the generated module's variable validation checks the names
    for key, value in environment.items():  # type: ignore[union-attr]
        if not isinstance(key, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise fail(
                path, f"{key!r} is not an environment variable name", "[A-Za-z_][A-Za-z0-9_]*"
            )
        if not isinstance(value, str):
            raise fail(f"{path}.{key}", f"{value!r} is not a string", "string values")


def check_arn(path: str, value: Any, service: str, kind: str | None = None) -> None:
    if not _known(value):
        return
    pattern = rf"^arn:aws[a-z-]*:{service}:"
    if not re.match(pattern, value) or (kind and kind not in value):
        raise fail(
            path,
            f"{value!r} is not a {service} {kind or ''} ARN".replace("  ", " "),
            f"arn:aws:{service}:...",
        )


def check_tasks(path: str, tasks: TaskProps) -> None:
    check_arn(f"{path}.execution_role_arn", tasks.execution_role_arn, "iam", ":role/")
    check_arn(f"{path}.task_role_arn", tasks.task_role_arn, "iam", ":role/")
    check_choice(f"{path}.log_driver", tasks.log_driver, LOG_DRIVERS)
    if tasks.log_driver != "awslogs" and _known(tasks.log_driver) and not tasks.log_options:
        raise fail(
            f"{path}.log_options",
            f"log driver {tasks.log_driver!r} needs options",
            "a mapping of driver options",
        )
    check_choice(f"{path}.cpu_architecture", tasks.cpu_architecture, CPU_ARCHITECTURES)


def max_provisioned_iops(volume_type: str, size_gib: int) -> int:
    """EBS's IOPS-per-GiB cap; gp3's baseline is allowed at any size."""
    most = EBS_MAX_IOPS_PER_GIB[volume_type] * size_gib
    return max(most, GP3_BASELINE_IOPS) if volume_type == "gp3" else most


def check_ebs(path: str, ebs: EbsVolumeProps) -> None:
    check_int(f"{path}.size_gib", ebs.size_gib, minimum=1, maximum=16384)
    check_choice(f"{path}.volume_type", ebs.volume_type, EBS_VOLUME_TYPES)
    kind = ebs.volume_type
    minimum_size = EBS_MINIMUM_SIZE_GIB.get(kind) if _known(kind) else None
    if minimum_size and _known(ebs.size_gib) and ebs.size_gib < minimum_size:
        raise fail(
            f"{path}.size_gib",
            f"{ebs.size_gib} GiB is too small for volume type {kind}",
            f"{minimum_size}-16384 for {kind}",
        )
    if ebs.iops is not None:
        if kind in ("gp2", "st1", "sc1"):
            raise fail(
                f"{path}.iops",
                f"iops cannot be set for volume type {kind}",
                "iops only with gp3, io1, io2",
            )
        limits = EBS_IOPS_LIMITS.get(kind)
        if limits:
            check_int(f"{path}.iops", ebs.iops, minimum=limits[0], maximum=limits[1])
        per_gib = EBS_MAX_IOPS_PER_GIB.get(kind)
        if per_gib and _known(ebs.iops) and _known(ebs.size_gib):
            most = max_provisioned_iops(kind, ebs.size_gib)
            if ebs.iops > most:
                raise fail(
                    f"{path}.iops",
                    f"{ebs.iops} IOPS is more than {kind} allows on {ebs.size_gib} GiB",
                    f"at most {most} ({per_gib} IOPS per GiB for {kind}; raise size_gib for more)",
                )
    elif kind in ("io1", "io2"):
        raise fail(
            f"{path}.iops",
            f"volume type {kind} needs iops",
            "an integer for io1/io2 (100-64000/256000)",
        )
    if ebs.throughput is not None:
        if _known(kind) and kind != "gp3":
            raise fail(
                f"{path}.throughput",
                f"throughput cannot be set for volume type {kind}",
                "throughput only with gp3",
            )
        check_int(f"{path}.throughput", ebs.throughput, minimum=125, maximum=1000)
        iops = GP3_BASELINE_IOPS if ebs.iops is None else ebs.iops
        known = kind == "gp3" and _known(ebs.throughput) and _known(iops)
        if known and ebs.throughput * 4 > iops:
            raise fail(
                f"{path}.throughput",
                f"{ebs.throughput} MiB/s is more than gp3 gives {iops} IOPS",
                f"at most {iops // 4} (0.25 MiB/s per IOPS; raise iops for more)",
            )
    check_arn(f"{path}.role_arn", ebs.role_arn, "iam", ":role/")


def check_controller(controller: ControllerProps) -> None:
    path = "controller"
    check_resources(f"{path}.resources", controller.resources)
    check_int(f"{path}.snapshot_retention_days", controller.snapshot_retention_days, minimum=0)
    interval = controller.reconcile_interval_seconds
    check_positive_number(f"{path}.reconcile_interval_seconds", interval)
    if _known(interval) and interval > MAX_RECONCILE_INTERVAL_SECONDS:
        raise fail(
            f"{path}.reconcile_interval_seconds",
            f"{interval!r} seconds",
            f"at most {MAX_RECONCILE_INTERVAL_SECONDS} (the controller looks at least hourly)",
        )
    check_positive_number(f"{path}.drain_timeout_seconds", controller.drain_timeout_seconds)
    check_tasks(f"{path}.tasks", controller.tasks)
    image = controller.controller_image
    if _known(image) and (not image or any(c.isspace() for c in image)):
        raise fail(
            f"{path}.controller_image",
            f"{image!r} is not an image reference",
            "registry/repository:tag",
        )


def check_subnets(props: RestateClusterProps, replication: Mapping[str, int] | None) -> None:
    subnets = list(props.subnets) if not is_token(props.subnets) else None
    if subnets is None:
        return
    if not subnets:
        raise fail("subnets", "no subnet given", "one subnet per availability zone")
    seen_ids: set[str] = set()
    zones: list[str] = []
    for index, subnet in enumerate(subnets):
        is_mapping = isinstance(subnet, Mapping)
        if not (isinstance(subnet, Subnet | str) or is_mapping) or (
            is_mapping and ("subnet_id" not in subnet or not set(subnet) <= SUBNET_KEYS)
        ):
            raise fail(
                f"subnets[{index}]",
                f"{subnet!r} is not a subnet",
                "Subnet(subnet_id=..., availability_zone=...), {'subnet_id': ..., "
                "'availability_zone': ...} or a subnet id",
            )
        subnet = to_subnet(subnet)
        if _known(subnet.subnet_id):
            check_ec2_id(f"subnets[{index}].subnet_id", subnet.subnet_id, "subnet")
            if subnet.subnet_id in seen_ids:
                raise fail(
                    f"subnets[{index}].subnet_id",
                    f"{subnet.subnet_id!r} is given twice",
                    "each subnet once",
                )
            seen_ids.add(subnet.subnet_id)
        az = subnet.availability_zone
        if _known(az):
            if az in zones:
                raise fail(
                    f"subnets[{index}].availability_zone",
                    f"zone {az!r} is given twice",
                    "one subnet per availability zone",
                )
            zones.append(az)
    zone_replication = (replication or {}).get("zone")
    if zone_replication is not None and len(subnets) < zone_replication + 1:
        raise fail(
            "subnets",
            f"{len(subnets)} availability zone(s) cannot survive the loss of a zone with "
            f"stateless_node.default_replication {{zone: {zone_replication}}}",
            f"at least zone replication + 1 = {zone_replication + 1} subnets in distinct zones",
        )
    node_replication = (replication or {}).get("node")
    nodes_per_az = props.stateful_node.nodes_per_az
    if node_replication is not None and _known(nodes_per_az):
        total = nodes_per_az * len(subnets)
        if total < node_replication + 1:
            raise fail(
                "stateful_node.nodes_per_az",
                f"{total} stateful node(s) cannot survive the loss of one with node replication {node_replication}",
                f"nodes_per_az * zones >= {node_replication + 1}",
            )


def check_required(value: Any, path: str) -> None:
    """Every field documented as ``Required.`` must be set, in nested props too."""
    if not dataclasses.is_dataclass(value):
        return
    for item in dataclasses.fields(value):
        child = getattr(value, item.name)
        child_path = f"{path}.{item.name}" if path else item.name
        if child is None and "Required." in item.metadata.get("description", ""):
            raise fail(
                child_path, "missing", item.metadata["description"].replace(" Required.", "")
            )
        if isinstance(child, list | tuple):
            for index, element in enumerate(child):
                check_required(element, f"{child_path}[{index}]")
        else:
            check_required(child, child_path)


def validate_props(props: RestateClusterProps) -> None:
    """Raise ``RestateConfigError`` for the first invalid property; return None if all valid.

    One check per concern, in the order the props are documented.
    """
    if not isinstance(props, RestateClusterProps):
        raise fail("props", f"{type(props).__name__} given", "RestateClusterProps")
    check_prop_types(props)
    check_required(props, "")
    check_identity(props)
    check_storage(props)
    check_load_balancer(props)
    replication = check_nodes(props)
    check_subnets(props, replication)
    check_controller(props.controller)
    check_tasks("restate_tasks", props.restate_tasks)
    check_lambdas(props)
    check_monitoring_and_logs(props)


def check_identity(props: RestateClusterProps) -> None:
    """VPC, cluster name, ECS cluster and security groups."""
    check_ec2_id("vpc_id", props.vpc_id, "vpc")
    if _known(props.cluster_name) and not _CLUSTER_NAME_RE.match(str(props.cluster_name)):
        raise fail("cluster_name", f"{props.cluster_name!r} is not a valid name", CLUSTER_NAME_RULE)
    if _known(props.ecs_cluster):
        value = props.ecs_cluster
        if _ARN_RE.match(value):
            check_arn("ecs_cluster", value, "ecs", ":cluster/")
        elif not re.match(r"^[A-Za-z0-9_-]{1,255}$", value):
            raise fail(
                "ecs_cluster",
                f"{value!r} is not an ECS cluster name or ARN",
                "a cluster name or arn:aws:ecs:...:cluster/NAME",
            )
    if props.security_group_ids is not None and not is_token(props.security_group_ids):
        if not list(props.security_group_ids):
            raise fail(
                "security_group_ids",
                "empty list",
                "None (a group is created) or one or more group ids",
            )
        if len(list(props.security_group_ids)) > MAX_SECURITY_GROUPS:
            raise fail(
                "security_group_ids",
                f"{len(list(props.security_group_ids))} groups",
                f"at most {MAX_SECURITY_GROUPS} (ECS tasks, the NLB and the Lambdas take 5 each)",
            )
        for index, group in enumerate(props.security_group_ids):
            check_ec2_id(f"security_group_ids[{index}]", group, "sg")


def check_storage(props: RestateClusterProps) -> None:
    storage = props.object_storage
    if _known(storage.bucket_name) and not _BUCKET_RE.match(storage.bucket_name):
        raise fail(
            "object_storage.bucket_name",
            f"{storage.bucket_name!r} is not an S3 bucket name",
            "3-63 of [a-z0-9.-], starting and ending with a letter or digit",
        )
    prefix = storage.prefix
    if (
        _known(prefix)
        and prefix
        and (
            not _PREFIX_RE.match(prefix)
            or prefix.startswith("/")
            or prefix.endswith("/")
            or "//" in prefix
        )
    ):
        raise fail(
            "object_storage.prefix",
            f"{prefix!r} is not a usable key prefix",
            "letters, digits and !-_.*'()/ with no leading, trailing or double '/'",
        )
    for path, name in (
        ("object_storage.access_logs_bucket", storage.access_logs_bucket),
        ("load_balancer.access_logs_bucket", props.load_balancer.access_logs_bucket),
    ):
        if _known(name) and not _BUCKET_RE.match(name):
            raise fail(path, f"{name!r} is not an S3 bucket name", "3-63 of [a-z0-9.-]")
    check_arn("object_storage.kms_key_arn", storage.kms_key_arn, "kms", ":key/")
    if storage.bucket_name is None and storage.kms_key_arn is not None:
        raise fail(
            "object_storage.kms_key_arn",
            "only applies to an existing bucket (a created one uses the cluster's key)",
            "kms_key_arn with bucket_name",
        )
    # Tokens (the generated module's variables) are checked by a validation block.
    if (
        storage.bucket_name is not None
        and storage.access_logs_bucket is not None
        and not is_token(storage.access_logs_bucket)
    ):
        raise fail(
            "object_storage.access_logs_bucket",
            "only applies to a created bucket",
            "no access_logs_bucket with bucket_name",
        )
    check_int(
        "object_storage.noncurrent_version_expiration_days",
        storage.noncurrent_version_expiration_days,
        minimum=1,
    )


def check_load_balancer(props: RestateClusterProps) -> None:
    """The shared NLB and the addresses that depend on it."""
    lb = props.load_balancer
    check_arn(
        "load_balancer.existing_nlb_arn",
        lb.existing_nlb_arn,
        "elasticloadbalancing",
        "loadbalancer/net/",
    )
    # A token (the generated module's variable) is checked by its validation block.
    if (
        lb.existing_nlb_arn is not None
        and not is_token(lb.existing_nlb_arn)
        and (
            lb.internet_facing
            or lb.subnet_ids is not None
            or lb.deletion_protection
            or lb.access_logs_bucket is not None
        )
    ):
        raise fail(
            "load_balancer",
            "internet_facing/subnet_ids/deletion_protection/access_logs_bucket only apply to a created NLB",
            "either existing_nlb_arn or settings for a new NLB",
        )
    if lb.existing_nlb_arn is None and lb.internet_facing is True and lb.subnet_ids is None:
        # The cluster's subnets are private (its tasks get no public IP): an internet-facing
        # NLB there is accepted by AWS but unreachable from outside.
        raise fail(
            "load_balancer.subnet_ids",
            "an internet-facing NLB needs its own subnets",
            "the ids of public subnets (routed to an internet gateway), one per zone",
        )
    # A list token (the generated module's variable) is checked by its validation blocks.
    disabled_ports = () if is_token(lb.disable_shared_nlb_ports) else lb.disable_shared_nlb_ports
    for port in disabled_ports:
        check_choice("load_balancer.disable_shared_nlb_ports", port, SHARED_NLB_PORTS)
    if lb.subnet_ids is not None and not is_token(lb.subnet_ids) and not list(lb.subnet_ids):
        raise fail(
            "load_balancer.subnet_ids", "empty list", "None (the cluster subnets) or subnet ids"
        )
    if lb.subnet_ids is not None and not is_token(lb.subnet_ids):
        for index, subnet_id in enumerate(lb.subnet_ids):
            check_ec2_id(f"load_balancer.subnet_ids[{index}]", subnet_id, "subnet")
    for field_name in ("ingress_cidr_blocks", "admin_cidr_blocks"):
        blocks = getattr(lb, field_name)
        # Tokens (the generated module's variables) are checked by a Terraform precondition.
        groups = props.security_group_ids
        if blocks and not is_token(blocks) and groups is not None and not is_token(groups):
            raise fail(
                f"load_balancer.{field_name}",
                "needs the created security group",
                "no security_group_ids, or add the rules to your own groups",
            )
        for index, block in enumerate(() if is_token(blocks) else blocks):
            if _known(block):
                check_cidr(f"load_balancer.{field_name}[{index}]", block)
    for name in ("ingress", "admin", "web_ui"):
        check_url(f"addresses.{name}", getattr(props.addresses, name))
    for port in disabled_ports:
        if getattr(props.addresses, port) is None:
            raise fail(
                f"addresses.{port}",
                f"the {port} port is disabled on the shared NLB, so its address is unknown",
                f"set addresses.{port} (e.g. your ALB's URL)",
            )


def check_nodes(props: RestateClusterProps) -> dict[str, int] | None:
    """Stateless and stateful nodes; returns the parsed replication (None if a token)."""
    stateless = props.stateless_node
    check_int("stateless_node.desired_count", stateless.desired_count, minimum=1)
    check_resources("stateless_node.resources", stateless.resources)
    replication = None
    if _known(stateless.default_replication):
        replication = parse_replication(
            stateless.default_replication, "stateless_node.default_replication"
        )
    check_int(
        "stateless_node.default_partitions", stateless.default_partitions, minimum=1, maximum=65535
    )
    check_url("stateless_node.ingress_advertised_address", stateless.ingress_advertised_address)
    stateless_version = restate_version(
        stateless.restate_image, stateless.restate_version, "stateless_node"
    )
    check_environment("stateless_node.environment", stateless.environment)

    stateful = props.stateful_node
    check_int("stateful_node.nodes_per_az", stateful.nodes_per_az, minimum=1)
    check_resources("stateful_node.resources", stateful.resources)
    stateful_version = restate_version(
        stateful.restate_image, stateful.restate_version, "stateful_node"
    )
    same_minor = (
        stateless_version is None
        or stateful_version is None
        or stateless_version.split(".")[:2] == stateful_version.split(".")[:2]
    )
    if not same_minor:
        raise fail(
            "stateful_node.restate_image",
            f"version {stateful_version} differs from the stateless nodes' {stateless_version}",
            "the same minor version on both kinds of node",
        )
    check_environment("stateful_node.environment", stateful.environment)
    if stateful.ebs_volume is not None and not is_token(stateful.ebs_volume):
        check_ebs("stateful_node.ebs_volume", stateful.ebs_volume)
    return replication


def check_lambdas(props: RestateClusterProps) -> None:
    check_arn("restatectl.execution_role_arn", props.restatectl.execution_role_arn, "iam", ":role/")
    watcher = props.retirement_watcher
    check_arn("retirement_watcher.execution_role_arn", watcher.execution_role_arn, "iam", ":role/")
    check_arn("retirement_watcher.queue_kms_key_arn", watcher.queue_kms_key_arn, "kms", ":key/")


def check_monitoring_and_logs(props: RestateClusterProps) -> None:
    monitoring = props.monitoring
    check_choice("monitoring.container_insights", monitoring.container_insights, CONTAINER_INSIGHTS)
    actions = monitoring.alarm_actions
    if not is_token(actions):
        if len(actions) > MAX_ALARM_ACTIONS:
            raise fail(
                "monitoring.alarm_actions",
                f"{len(actions)} actions",
                f"at most {MAX_ALARM_ACTIONS} (CloudWatch's limit per alarm state)",
            )
        for index, action in enumerate(actions):
            check_arn(f"monitoring.alarm_actions[{index}]", action, "sns")
    check_arn(
        "monitoring.dashboard.custom_widgets.execution_role_arn",
        monitoring.dashboard.custom_widgets.execution_role_arn,
        "iam",
        ":role/",
    )
    if _known(props.log_retention_days) and props.log_retention_days not in LOG_RETENTION_DAYS:
        raise fail(
            "log_retention_days",
            f"{props.log_retention_days!r} is not a CloudWatch retention",
            ", ".join(map(str, LOG_RETENTION_DAYS)),
        )
    tags = {} if is_token(props.tags) else props.tags
    for key, value in tags.items():
        if (
            not isinstance(key, str)
            or key.startswith("aws:")
            or not 1 <= len(key) <= 128
            or _TAG_TEXT_RE.match(key) is None
        ):
            raise fail(f"tags.{key}", "invalid tag key", f"1-128 {TAG_CHARACTERS}, not 'aws:...'")
        if _known(value) and (
            not isinstance(value, str) or len(value) > 256 or _TAG_TEXT_RE.match(value) is None
        ):
            raise fail(f"tags.{key}", "invalid tag value", f"0-256 {TAG_CHARACTERS}")
    if len(tags) > MAX_USER_TAGS:
        raise fail(
            "tags",
            f"{len(tags)} tags leave no room for the cluster's own",
            f"at most {MAX_USER_TAGS} (AWS allows 50 per resource; the cluster adds up to 11)",
        )
