"""Reads and validates the environment contract (docs/controller-config.md) before anything runs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from restate_controller.model import DesiredSpec, DisruptionBudget

PREFIX = "RESTATE_CONTROLLER_"
BACKENDS = ("ecs", "local")
CLUSTER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$")
URL_PATTERN = re.compile(r"^https?://[^\s/:,]+(:\d{1,5})?/?$")
# The admin API may sit behind a proxy under a path (the construct's addresses.admin allows one).
ADMIN_URL_PATTERN = re.compile(r"^https?://[^\s/:,]+(:\d{1,5})?(/[^\s,]*)?$")
AZ_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")
LOCAL_AZ_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SUBNET_PATTERN = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_PATTERN = re.compile(r"^sg-[0-9a-f]{8,17}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
REPLICATION_SCOPES = ("region", "zone", "node")
# The limits shared with the construct's schema, generated from it (contract.json): what ECS
# attaches to Fargate tasks, the smallest size per type, IOPS caps, the awsvpc group limit.
CONTRACT = json.loads((Path(__file__).parent / "contract.json").read_text())
EBS_VOLUME_TYPES = tuple(CONTRACT["ebs_volume_types"])
EBS_MINIMUM_SIZE_GIB: dict[str, int] = CONTRACT["ebs_minimum_size_gib"]
GP3_BASELINE_IOPS: int = CONTRACT["gp3_baseline_iops"]
EBS_MAX_IOPS_PER_GIB: dict[str, int] = CONTRACT["ebs_max_iops_per_gib"]
MAX_SECURITY_GROUPS: int = CONTRACT["max_security_groups"]
EBS_KEYS = (
    "size_gib",
    "volume_type",
    "iops",
    "throughput",
    "role_arn",
    "encrypted",
    "kms_key_id",
    "volume_name",
)
# Must match the task definition's volume configured at launch (construct side).
DEFAULT_EBS_VOLUME_NAME = "restate-data"


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True, kw_only=True)
class EbsVolume:
    size_gib: int
    volume_type: str
    role_arn: str
    iops: int | None = None
    throughput: int | None = None
    encrypted: bool = True
    kms_key_id: str | None = None
    volume_name: str = DEFAULT_EBS_VOLUME_NAME


@dataclass(frozen=True, kw_only=True)
class Config:
    backend: str
    cluster_name: str
    ecs_cluster_arn: str | None
    task_definition: str
    task_family: str | None
    container_name: str
    subnets_by_az: Mapping[str, str]
    security_group_ids: tuple[str, ...]
    assign_public_ip: bool
    enable_execute_command: bool
    nodes_per_az: int
    replication: str
    budget: DisruptionBudget
    restatectl_address: str
    admin_url: str
    restatectl_path: str
    ebs_volume: EbsVolume | None
    snapshot_retention_days: int
    reconcile_interval_seconds: float
    health_port: int
    drain_timeout_seconds: float
    trim_retry_seconds: float
    unhealthy_grace_seconds: float
    aws_region: str | None

    def desired_spec(self) -> DesiredSpec:
        return DesiredSpec(
            cluster_name=self.cluster_name,
            azs=tuple(self.subnets_by_az),
            nodes_per_az=self.nodes_per_az,
            task_definition=self.task_definition,
            budget=self.budget,
            drain_timeout_seconds=self.drain_timeout_seconds,
            trim_retry_seconds=self.trim_retry_seconds,
            unhealthy_grace_seconds=self.unhealthy_grace_seconds,
        )


def parse_replication(value: str) -> dict[str, int]:
    """Parse a Restate replication property: `2`, `{zone: 2}`, `{zone: 2, node: 3}`.

    Raises ValueError with what is allowed.
    """
    text = value.strip()
    if text.isdigit():
        counts = {"node": int(text)}
    else:
        if not (text.startswith("{") and text.endswith("}")):
            raise ValueError(
                "expected an integer like 2 or a map like {zone: 2} or {zone: 2, node: 3}"
            )
        counts = {}
        for item in filter(None, (part.strip() for part in text[1:-1].split(","))):
            scope, sep, count = (piece.strip() for piece in item.partition(":"))
            if not sep or scope not in REPLICATION_SCOPES or not count.isdigit():
                raise ValueError(
                    f"bad entry {item!r}: expected <scope>: <count> with scope in {', '.join(REPLICATION_SCOPES)}"
                )
            if scope in counts:
                raise ValueError(f"scope {scope!r} appears twice")
            counts[scope] = int(count)
        if not counts:
            raise ValueError("empty map; expected e.g. {zone: 2}")
    if any(count < 1 for count in counts.values()):
        raise ValueError("every count must be >= 1")
    return counts


def disruption_budget(replication: Mapping[str, int]) -> DisruptionBudget:
    """How many failure domains may be out of service at once without losing write availability.

    With {zone: k} the log and partitions keep a copy in k zones, so k-1 zones may be disrupted;
    with node-only replication n, n-1 nodes. Never below 1: a drain moves data before it stops
    anything, so one disruption at a time is safe even without spare copies.
    """
    if "zone" in replication:
        return DisruptionBudget(unit="zone", limit=max(1, replication["zone"] - 1))
    if "node" in replication:
        return DisruptionBudget(unit="node", limit=max(1, replication["node"] - 1))
    # Region-only replication says nothing about zones inside our one region: be strict.
    return DisruptionBudget(unit="zone", limit=1)


class _Reader:
    """Reads variables from one environment mapping and raises ConfigError naming the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def raw(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.env.get(PREFIX + name)
        if value is None or value.strip() == "":
            if required:
                raise ConfigError(f"{PREFIX}{name} is required but not set")
            return default
        return value.strip()

    def fail(self, name: str, value: object, allowed: str) -> ConfigError:
        return ConfigError(f"{PREFIX}{name}={value!r} is invalid: {allowed}")

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.raw(name, default)
        assert value is not None
        if value not in allowed:
            raise self.fail(name, value, f"allowed values are {', '.join(allowed)}")
        return value

    def matching(
        self, name: str, pattern: re.Pattern[str], allowed: str, *, required: bool
    ) -> str | None:
        value = self.raw(name, required=required)
        if value is not None and not pattern.match(value):
            raise self.fail(name, value, allowed)
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name, "true" if default else "false")
        if value not in ("true", "false"):
            raise self.fail(name, value, "allowed values are true, false")
        return value == "true"

    def integer(self, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
        value = self.raw(name, str(default))
        assert value is not None
        bound = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
        try:
            number = int(value)
        except ValueError:
            raise self.fail(name, value, f"expected {bound}") from None
        if number < minimum or (maximum is not None and number > maximum):
            raise self.fail(name, value, f"expected {bound}")
        return number

    def positive_number(self, name: str, default: float) -> float:
        value = self.raw(name, str(default))
        assert value is not None
        try:
            number = float(value)
        except ValueError:
            raise self.fail(name, value, "expected a number > 0") from None
        if not number > 0 or number != number or number == float("inf"):
            raise self.fail(name, value, "expected a number > 0")
        return number

    def json_value(self, name: str, required: bool, shape: str) -> object | None:
        value = self.raw(name, required=required)
        if value is None:
            return None
        try:
            return json.loads(value, object_pairs_hook=_without_duplicate_keys)
        except json.JSONDecodeError as error:
            raise self.fail(
                name, value, f"not valid JSON ({error.msg}); expected {shape}"
            ) from None
        except _DuplicateKeys as error:
            # json.loads would keep the last one silently (e.g. two subnets in one zone).
            raise self.fail(name, value, f"duplicate keys {error.keys}; expected {shape}") from None


class _DuplicateKeys(ValueError):
    def __init__(self, keys: list[str]) -> None:
        super().__init__(keys)
        self.keys = keys


def _without_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise _DuplicateKeys(duplicates)
    return dict(pairs)


def load_config(env: Mapping[str, str]) -> Config:
    """Validate every variable of the contract; raise ConfigError for the first bad one."""
    read = _Reader(env)
    backend = read.choice("BACKEND", "ecs", BACKENDS)
    on_ecs = backend == "ecs"

    cluster_name = read.matching(
        "CLUSTER_NAME", CLUSTER_NAME_PATTERN, "expected 1-64 of A-Z a-z 0-9 - _", required=True
    )
    ecs_cluster_arn = read.matching(
        "ECS_CLUSTER_ARN", ARN_PATTERN, "expected an ECS cluster ARN", required=on_ecs
    )
    task_definition = read.raw("TASK_DEFINITION_ARN", required=True)
    assert task_definition is not None
    if on_ecs and not ARN_PATTERN.match(task_definition):
        raise read.fail("TASK_DEFINITION_ARN", task_definition, "expected a task definition ARN")
    task_family = read.raw("TASK_FAMILY", required=on_ecs)
    container_name = read.raw("CONTAINER_NAME", "restate")
    assert container_name is not None

    subnets_by_az = _subnets_by_az(read, on_ecs)
    security_group_ids = _security_groups(read, on_ecs)
    assign_public_ip = read.boolean("ASSIGN_PUBLIC_IP", False)
    enable_execute_command = read.boolean("ENABLE_EXECUTE_COMMAND", False)
    nodes_per_az = read.integer("NODES_PER_AZ", 1, minimum=1)

    replication = read.raw("REPLICATION", "{zone: 2}")
    assert replication is not None
    try:
        replication_counts = parse_replication(replication)
    except ValueError as error:
        raise read.fail("REPLICATION", replication, str(error)) from None
    # The construct's rule: zone replication N must survive losing a zone, so N + 1 zones.
    # It cannot check zones it looks up at plan time; this catches what got through.
    zone_replication = replication_counts.get("zone")
    if zone_replication is not None and len(subnets_by_az) < zone_replication + 1:
        raise read.fail(
            "REPLICATION",
            replication,
            f"needs at least {zone_replication + 1} zones (zone replication + 1, to survive the"
            f" loss of a zone) but RESTATE_CONTROLLER_SUBNETS_BY_AZ has {len(subnets_by_az)}",
        )

    restatectl_address = read.raw("RESTATECTL_ADDRESS", required=True)
    assert restatectl_address is not None
    for address in restatectl_address.split(","):
        if not URL_PATTERN.match(address.strip()):
            raise read.fail(
                "RESTATECTL_ADDRESS",
                restatectl_address,
                "expected http(s)://host:5122, several comma-separated allowed",
            )
    admin_url = read.matching(
        "ADMIN_URL", ADMIN_URL_PATTERN, "expected http(s)://host[:port][/path]", required=True
    )
    assert admin_url is not None

    aws_region = env.get("AWS_REGION") or None
    if on_ecs:
        if aws_region is None:
            raise ConfigError(
                "AWS_REGION is required with RESTATE_CONTROLLER_BACKEND=ecs but not set"
            )
        if not REGION_PATTERN.match(aws_region):
            raise ConfigError(
                f"AWS_REGION={aws_region!r} is invalid: expected a region like us-east-1"
            )
        foreign = [az for az in subnets_by_az if not az.startswith(aws_region)]
        if foreign:
            raise read.fail(
                "SUBNETS_BY_AZ",
                dict(subnets_by_az),
                f"zones {', '.join(foreign)} are not in AWS_REGION {aws_region}",
            )

    return Config(
        backend=backend,
        cluster_name=cluster_name or "",
        ecs_cluster_arn=ecs_cluster_arn,
        task_definition=task_definition,
        task_family=task_family,
        container_name=container_name,
        subnets_by_az=subnets_by_az,
        security_group_ids=security_group_ids,
        assign_public_ip=assign_public_ip,
        enable_execute_command=enable_execute_command,
        nodes_per_az=nodes_per_az,
        replication=replication,
        budget=disruption_budget(replication_counts),
        restatectl_address=restatectl_address,
        admin_url=admin_url,
        restatectl_path=read.raw("RESTATECTL_PATH", "restatectl") or "restatectl",
        ebs_volume=_ebs_volume(read, on_ecs),
        snapshot_retention_days=read.integer("SNAPSHOT_RETENTION_DAYS", 7, minimum=0),
        reconcile_interval_seconds=read.positive_number("RECONCILE_INTERVAL_SECONDS", 10.0),
        health_port=read.integer("HEALTH_PORT", 8080, minimum=1, maximum=65535),
        drain_timeout_seconds=read.positive_number("DRAIN_TIMEOUT_SECONDS", 600.0),
        trim_retry_seconds=read.positive_number("TRIM_RETRY_SECONDS", 5.0),
        unhealthy_grace_seconds=read.positive_number("UNHEALTHY_GRACE_SECONDS", 300.0),
        aws_region=aws_region,
    )


def _subnets_by_az(read: _Reader, on_ecs: bool) -> dict[str, str]:
    shape = 'a JSON object {"<availability zone>": "<subnet id>"} with at least one entry'
    value = read.json_value("SUBNETS_BY_AZ", True, shape)
    if not isinstance(value, dict) or not value:
        raise read.fail("SUBNETS_BY_AZ", value, f"expected {shape}")
    az_pattern, az_allowed = (
        (AZ_PATTERN, "an AWS zone name like us-east-1a")
        if on_ecs
        else (LOCAL_AZ_PATTERN, "1-64 of A-Z a-z 0-9 - _")
    )
    for az, subnet in value.items():
        if not az_pattern.match(az):
            raise read.fail("SUBNETS_BY_AZ", value, f"zone {az!r} is not {az_allowed}")
        if not isinstance(subnet, str) or (on_ecs and not SUBNET_PATTERN.match(subnet)):
            raise read.fail(
                "SUBNETS_BY_AZ",
                value,
                f"subnet for {az!r} must be a subnet id like subnet-0abc1234",
            )
    if on_ecs and len(set(value.values())) != len(value):
        raise read.fail("SUBNETS_BY_AZ", value, "every zone needs its own subnet")
    return {str(az): str(subnet) for az, subnet in value.items()}


def _security_groups(read: _Reader, on_ecs: bool) -> tuple[str, ...]:
    shape = 'a JSON list of security group ids like ["sg-0abc1234"]'
    value = read.json_value("SECURITY_GROUP_IDS", on_ecs, shape)
    if value is None:
        return ()
    if (
        not isinstance(value, list)
        or (on_ecs and not value)
        or not all(isinstance(item, str) and SECURITY_GROUP_PATTERN.match(item) for item in value)
    ):
        raise read.fail("SECURITY_GROUP_IDS", value, f"expected {shape}")
    if len(value) > MAX_SECURITY_GROUPS:
        raise read.fail(
            "SECURITY_GROUP_IDS", value, f"at most {MAX_SECURITY_GROUPS} groups (ECS awsvpc limit)"
        )
    return tuple(value)


def _ebs_volume(read: _Reader, on_ecs: bool) -> EbsVolume | None:
    shape = '{"size_gib": int, "volume_type": str, "role_arn": ARN, "iops"?, "throughput"?, "encrypted"?, "kms_key_id"?}'
    value = read.json_value("EBS_VOLUME", False, f"a JSON object {shape}")
    if value is None:
        return None
    if not on_ecs:
        raise read.fail("EBS_VOLUME", value, "only supported with RESTATE_CONTROLLER_BACKEND=ecs")
    if not isinstance(value, dict):
        raise read.fail("EBS_VOLUME", value, f"expected a JSON object {shape}")
    unknown = sorted(set(value) - set(EBS_KEYS))
    if unknown:
        raise read.fail(
            "EBS_VOLUME", value, f"unknown keys {unknown}; allowed: {', '.join(EBS_KEYS)}"
        )

    def whole(key: str, minimum: int, required: bool) -> int | None:
        item = value.get(key)
        if item is None and not required:
            return None
        if not isinstance(item, int) or isinstance(item, bool) or item < minimum:
            raise read.fail("EBS_VOLUME", value, f"{key!r} must be an integer >= {minimum}")
        return item

    size = whole("size_gib", 1, True)
    volume_type = value.get("volume_type")
    if volume_type not in EBS_VOLUME_TYPES:
        raise read.fail(
            "EBS_VOLUME", value, f"'volume_type' must be one of {', '.join(EBS_VOLUME_TYPES)}"
        )
    assert size is not None
    minimum_size = EBS_MINIMUM_SIZE_GIB.get(volume_type, 1)
    if size < minimum_size:
        raise read.fail(
            "EBS_VOLUME", value, f"'size_gib' must be >= {minimum_size} for {volume_type}"
        )
    role_arn = value.get("role_arn")
    if not isinstance(role_arn, str) or not ARN_PATTERN.match(role_arn):
        raise read.fail("EBS_VOLUME", value, "'role_arn' must be an IAM role ARN")
    # Optional keys may be JSON null (docs/controller-config.md): null means the default.
    encrypted = True if value.get("encrypted") is None else value["encrypted"]
    if not isinstance(encrypted, bool):
        raise read.fail("EBS_VOLUME", value, "'encrypted' must be true or false")
    kms_key_id = value.get("kms_key_id")
    if kms_key_id is not None and not isinstance(kms_key_id, str):
        raise read.fail("EBS_VOLUME", value, "'kms_key_id' must be a string")
    volume_name = value.get("volume_name")
    volume_name = DEFAULT_EBS_VOLUME_NAME if volume_name is None else volume_name
    if not isinstance(volume_name, str) or not volume_name:
        raise read.fail("EBS_VOLUME", value, "'volume_name' must be a non-empty string")
    iops = whole("iops", 100, False)
    throughput = whole("throughput", 125, False)
    per_gib = EBS_MAX_IOPS_PER_GIB.get(volume_type)
    if iops is not None and per_gib is not None:
        # gp3's baseline IOPS is allowed at any size.
        most = per_gib * size
        most = max(most, GP3_BASELINE_IOPS) if volume_type == "gp3" else most
        if iops > most:
            raise read.fail(
                "EBS_VOLUME",
                value,
                f"'iops' must be <= {most} for {volume_type} on {size} GiB "
                f"({per_gib} IOPS per GiB)",
            )
    # gp3: at most 0.25 MiB/s per IOPS (its baseline IOPS without provisioned iops).
    gp3_iops = iops or GP3_BASELINE_IOPS
    if volume_type == "gp3" and throughput is not None and throughput * 4 > gp3_iops:
        raise read.fail(
            "EBS_VOLUME", value, f"'throughput' must be <= {gp3_iops // 4} for gp3 at that iops"
        )
    return EbsVolume(
        size_gib=size,
        volume_type=volume_type,
        role_arn=role_arn,
        iops=iops,
        throughput=throughput,
        encrypted=encrypted,
        kms_key_id=kms_key_id,
        volume_name=volume_name,
    )
