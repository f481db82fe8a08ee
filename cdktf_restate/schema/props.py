"""Typed, documented properties of ``RestateEcsFargateCluster``.

Every property is a field of a frozen, keyword-only dataclass. Each field carries
``metadata["description"]`` (ending with a ``Default:`` line) so that generators,
such as the HCL module generator, can introspect name, type, default and text
with ``dataclasses.fields``. Defaults are named constants, kept here in one place.

String and number props may be unresolved cdktf tokens (e.g. Terraform variables);
validation skips those and Terraform checks them at plan time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from typing import Any, TypedDict

from cdktf_restate.schema.errors import Problem, config_error, fail
from cdktf_restate.schema.limits import (
    EBS_IOPS_LIMITS,
    EBS_MAX_IOPS_PER_GIB,
    EBS_MAXIMUM_SIZE_GIB,
    EBS_MINIMUM_SIZE_GIB,
    FARGATE_CPUS,
    FARGATE_MEMORY_BY_CPU,
    GP3_BASELINE_IOPS,
    GP3_THROUGHPUT_RANGE,
    LOG_DRIVER_REQUIRED_OPTIONS,
    LOG_RETENTION_DAYS,
    MAX_ALARM_ACTIONS,
    MAX_DRAIN_TIMEOUT_SECONDS,
    MAX_NODES_PER_AZ,
    MAX_NONCURRENT_VERSION_DAYS,
    MAX_PARTITIONS,
    MAX_RECONCILE_INTERVAL_SECONDS,
    MAX_SECURITY_GROUPS,
    MAX_SNAPSHOT_RETENTION_DAYS,
    MAX_STATELESS_NODES,
    MAX_USER_TAGS,
)
from cdktf_restate.schema.model import cross_field, known, problems_of, props_dataclass
from cdktf_restate.schema.restate_values import (
    SUPPORTED_RESTATE_VERSIONS,  # noqa: F401 (re-exported: the version the props document)
    parse_replication,
    restate_version,
)
from cdktf_restate.schema.tokens import is_token
from cdktf_restate.schema.types import (
    AvailabilityZone,
    BucketName,
    ClusterName,
    ContainerInsights,
    CpuArchitecture,
    EbsVolumeType,
    EcsClusterReference,
    EnvironmentName,
    EnvironmentValue,
    HttpUrl,
    IamRoleArn,
    ImageReference,
    Ipv4Cidr,
    KmsKeyArn,
    KmsKeyReference,
    LicenseKey,
    LogDriver,
    NlbArn,
    RestateVersionText,
    S3KeyPrefix,
    SecurityGroupId,
    SharedNlbPort,
    SnsTopicArn,
    SubnetId,
    TagKey,
    TagValue,
    VpcId,
    checked,
    converted,
    int_choice,
    int_range,
    length_check,
    number_range,
    pattern_check,
)

# ---- Defaults (one place) --------------------------------------------------------------

#: Restate image. Restate publishes to docker.restate.dev (its own registry, the one in
#: Restate's docs); ghcr.io/restatedev/restate carries the same tags.
DEFAULT_RESTATE_IMAGE = "docker.restate.dev/restatedev/restate:1.7.12"

DEFAULT_STATELESS_DESIRED_COUNT = 3
DEFAULT_REPLICATION = "{zone: 2}"
DEFAULT_PARTITIONS = 128
DEFAULT_STATEFUL_NODES_PER_AZ = 1
#: Same sizing as the reference product: 16 vCPU and 32 GiB per Restate task.
DEFAULT_RESTATE_CPU = 16384
DEFAULT_RESTATE_MEMORY_MIB = 32768
#: Fargate ephemeral storage for stateful nodes without an EBS volume (the Fargate maximum).
DEFAULT_EPHEMERAL_STORAGE_GIB = 200
DEFAULT_EBS_VOLUME_TYPE = "gp3"

#: The controller image is built from controller_image/Dockerfile and pushed by the user
#: to an ECR repository of this name in the deployment account and region; the construct
#: builds the full ECR URI from the account and region unless ``controller_image`` is set.
DEFAULT_CONTROLLER_REPOSITORY = "cdktf-restate-controller"
DEFAULT_CONTROLLER_TAG = "0.1.0"
DEFAULT_CONTROLLER_CPU = 1024
DEFAULT_CONTROLLER_MEMORY_MIB = 2048
DEFAULT_SNAPSHOT_RETENTION_DAYS = 7
DEFAULT_RECONCILE_INTERVAL_SECONDS = 10
DEFAULT_DRAIN_TIMEOUT_SECONDS = 600

DEFAULT_CPU_ARCHITECTURE = "ARM64"
DEFAULT_LOG_DRIVER = "awslogs"
DEFAULT_RESTATE_LOG_STREAM_PREFIX = "restate"
DEFAULT_CONTROLLER_LOG_STREAM_PREFIX = "controller"
#: One year: compliance scanners (checkov CKV_AWS_338) expect at least that.
DEFAULT_LOG_RETENTION_DAYS = 365
DEFAULT_CONTAINER_INSIGHTS = "enhanced"


# ---- Field types (constraints that are not AWS-wide types: see types.py) -------------------

FargateCpu = int_choice(FARGATE_CPUS, "a Fargate cpu size")
MemoryMib = int_range(512, FARGATE_MEMORY_BY_CPU[FARGATE_CPUS[-1]][-1])
VolumeSizeGib = int_range(1, EBS_MAXIMUM_SIZE_GIB)
VolumeIops = int_range(100, max(most for _, most in EBS_IOPS_LIMITS.values()))
VolumeThroughput = int_range(*GP3_THROUGHPUT_RANGE)
StatelessCount = int_range(1, MAX_STATELESS_NODES)
NodesPerAz = int_range(1, MAX_NODES_PER_AZ)
Partitions = int_range(1, MAX_PARTITIONS)
SnapshotRetentionDays = int_range(0, MAX_SNAPSHOT_RETENTION_DAYS)
NoncurrentVersionDays = int_range(1, MAX_NONCURRENT_VERSION_DAYS)
ReconcileIntervalSeconds = number_range(
    above=0, maximum=MAX_RECONCILE_INTERVAL_SECONDS, unit=" (the controller looks at least hourly)"
)
DrainTimeoutSeconds = number_range(above=0, maximum=MAX_DRAIN_TIMEOUT_SECONDS)
LogRetentionDays = int_choice(LOG_RETENTION_DAYS, "a CloudWatch retention")


def _checked_replication(value: Any) -> Any:
    parse_replication(value, "")  # raises naming what is wrong; the value is kept as given
    return value


Replication = converted(str | int, _checked_replication)
LogOptionName = checked(
    str,
    pattern_check(
        r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", "a log option name", "1-128 of [A-Za-z0-9_.-]"
    ),
)
AlarmActions = checked(
    Sequence[SnsTopicArn],
    length_check(
        MAX_ALARM_ACTIONS,
        "actions",
        f"at most {MAX_ALARM_ACTIONS} (CloudWatch's limit per alarm state)",
    ),
)
SECURITY_GROUPS_RULE = (
    f"None (a group is created) or 1-{MAX_SECURITY_GROUPS} group ids (ECS tasks, the NLB and "
    f"the Lambdas take {MAX_SECURITY_GROUPS} each)"
)
SecurityGroupIds = checked(
    Sequence[SecurityGroupId],
    length_check(
        MAX_SECURITY_GROUPS,
        "groups",
        SECURITY_GROUPS_RULE,
        least=1,
    ),
)
Tags = checked(
    Mapping[TagKey, TagValue],
    length_check(
        MAX_USER_TAGS,
        "tags leave no room for the cluster's own",
        f"at most {MAX_USER_TAGS} (AWS allows 50 per resource; the cluster adds up to 11)",
    ),
)


def prop(default: Any = None, description: str = "", *, factory: Any = None) -> Any:
    """A dataclass field with a description; ``factory`` for mutable or nested defaults."""
    metadata = {"description": description}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


# ---- Building blocks -------------------------------------------------------------------


@props_dataclass
class Resources:
    """Fargate task size."""

    cpu: FargateCpu = prop(description="CPU units (1024 = 1 vCPU); a Fargate size. Required.")
    memory_mib: MemoryMib = prop(
        description="Memory in MiB; must be allowed for the chosen cpu on Fargate. Required."
    )

    @cross_field
    def _fargate_size(self) -> Iterator[Problem]:
        cpu, memory = self.cpu, self.memory_mib
        if known(cpu) and known(memory) and memory not in FARGATE_MEMORY_BY_CPU[cpu]:
            options = FARGATE_MEMORY_BY_CPU[cpu]
            yield Problem(
                "memory_mib",
                f"{memory!r} MiB is not a Fargate memory size for cpu {cpu}",
                f"{options[0]}-{options[-1]} in steps of {options[1] - options[0]}"
                if len(options) > 3
                else ", ".join(map(str, options)),
            )


@props_dataclass
class Subnet:
    """One subnet of the cluster; give one per availability zone."""

    subnet_id: SubnetId = prop(description="Subnet id. Required.")
    availability_zone: AvailabilityZone | None = prop(
        None,
        "Availability zone of the subnet (e.g. us-east-1a). "
        "Default: looked up with a data source (Terraform then checks at plan time that the "
        "subnets span zone replication + 1 distinct zones).",
    )


SUBNET_KEYS = frozenset({"subnet_id", "availability_zone"})
SUBNET_ALLOWED = (
    "Subnet(subnet_id=..., availability_zone=...), {'subnet_id': ..., 'availability_zone': ...} "
    "or a subnet id"
)


def to_subnet(value: Subnet | str | Mapping[str, str]) -> Subnet:
    """A ``Subnet`` from a Subnet, a subnet id, or ``{"subnet_id", "availability_zone"}``."""
    if isinstance(value, str):
        return Subnet(subnet_id=value)
    if isinstance(value, Mapping):
        return Subnet(**value)
    return value


def normalized_subnets(subnets: Iterable[Subnet | str | Mapping[str, str]]) -> list[Subnet]:
    return [to_subnet(s) for s in subnets]


def _checked_subnet(value: Any) -> Any:
    is_mapping = isinstance(value, Mapping)
    if not (isinstance(value, Subnet | str) or is_mapping) or (
        is_mapping and ("subnet_id" not in value or not set(value) <= SUBNET_KEYS)
    ):
        raise fail("", f"{value!r} is not a subnet", SUBNET_ALLOWED)
    problems = problems_of(Subnet, to_subnet(value))
    if problems:
        raise config_error(problems)
    return value


#: What ``subnets`` takes: one pydantic check for all three forms, named by index.
SubnetInput = converted(Subnet | str | Mapping[str, str], _checked_subnet)


def max_provisioned_iops(volume_type: str, size_gib: int) -> int:
    """EBS's IOPS-per-GiB cap; gp3's baseline is allowed at any size."""
    most = EBS_MAX_IOPS_PER_GIB[volume_type] * size_gib
    return max(most, GP3_BASELINE_IOPS) if volume_type == "gp3" else most


def restate_resources() -> Resources:
    return Resources(cpu=DEFAULT_RESTATE_CPU, memory_mib=DEFAULT_RESTATE_MEMORY_MIB)


def controller_resources() -> Resources:
    return Resources(cpu=DEFAULT_CONTROLLER_CPU, memory_mib=DEFAULT_CONTROLLER_MEMORY_MIB)


@props_dataclass
class ObjectStorageProps:
    """Where Restate keeps its metadata and partition snapshots."""

    bucket_name: BucketName | None = prop(
        None,
        "Name of an existing bucket to use. Default: a bucket is created (SSE-KMS, "
        "public access blocked, TLS-only policy, versioning) named "
        "<cluster>-<account>-<region>.",
    )
    prefix: S3KeyPrefix = prop(
        "",
        "Key prefix inside the bucket: data goes to s3://bucket/prefix/{metadata,snapshots}. "
        "Letters, digits and !-_.*'()/ only; no leading or trailing '/'. Default: the bucket root.",
    )
    force_destroy: bool = prop(
        False,
        "Let `terraform destroy` delete a created bucket that still holds objects. Default: false.",
    )
    access_logs_bucket: BucketName | None = prop(
        None,
        "Bucket (yours, with the S3 log delivery policy) for server access logs of a created "
        "bucket. Default: no access logs.",
    )
    noncurrent_version_expiration_days: NoncurrentVersionDays = prop(
        30,
        "Days after which old object versions in a created bucket expire (metadata is "
        "rewritten often). Default: 30.",
    )
    kms_key_arn: KmsKeyArn | None = prop(
        None,
        "Customer-managed KMS key of an existing bucket's default encryption (SSE-KMS): the "
        "Restate task role may use it for Restate's objects (its key policy must allow the "
        "account's IAM policies, as the default key policy does). Only with bucket_name. "
        "Default: none (SSE-S3 or the aws/s3 key need no grant).",
    )

    @cross_field
    def _existing_or_created_bucket(self) -> Iterator[Problem]:
        if self.bucket_name is None and self.kms_key_arn is not None:
            yield Problem(
                "kms_key_arn",
                "only applies to an existing bucket (a created one uses the cluster's key)",
                "kms_key_arn with bucket_name",
            )
        # Tokens (the generated module's variables) are checked by a validation block.
        if self.bucket_name is not None and known(self.access_logs_bucket):
            yield Problem(
                "access_logs_bucket",
                "only applies to a created bucket",
                "no access_logs_bucket with bucket_name",
            )


@props_dataclass
class LoadBalancerProps:
    """The shared Network Load Balancer for ingress (8080), admin (9070) and node (5122)."""

    existing_nlb_arn: NlbArn | None = prop(
        None, "ARN of an existing NLB to add the listeners to. Default: an NLB is created."
    )
    internet_facing: bool = prop(
        False, "Create an internet-facing NLB instead of an internal one. Default: false."
    )
    subnet_ids: Sequence[SubnetId] | None = prop(
        None,
        "Subnets of a created NLB (required when internet_facing: public subnets). "
        "Default: the cluster's subnets.",
    )
    create_alb_targets: bool = prop(
        False,
        "Also create HTTP target groups for ingress and admin (target type ip) that the "
        "stateless service registers with, for an Application Load Balancer you attach. "
        "Default: false.",
    )
    disable_shared_nlb_ports: Sequence[SharedNlbPort] = prop(
        (),
        "Ports not to expose on the shared NLB: any of 'ingress', 'admin' (the node port 5122 "
        "stays: restatectl needs it). Default: none (all three listeners).",
    )
    ingress_cidr_blocks: Sequence[Ipv4Cidr] = prop(
        (),
        "IPv4 CIDRs (e.g. your VPC's) allowed to reach the ingress port 8080 through the "
        "created security group. Default: none (members of the group only).",
    )
    admin_cidr_blocks: Sequence[Ipv4Cidr] = prop(
        (),
        "IPv4 CIDRs allowed to reach the admin port 9070 through the created security group. "
        "Default: none (members of the group only).",
    )
    access_logs_bucket: BucketName | None = prop(
        None,
        "Bucket (yours, with the ELB log delivery policy) for access logs of a created NLB. "
        "Default: no access logs.",
    )
    deletion_protection: bool = prop(
        False,
        "Deletion protection on a created NLB. Default: false, so that `terraform destroy` "
        "works; turn it on in production.",
    )

    @cross_field
    def _existing_or_created_nlb(self) -> Iterator[Problem]:
        created_only = (
            self.internet_facing is True
            or self.subnet_ids is not None
            or self.deletion_protection is True
            or self.access_logs_bucket is not None
        )
        # A token (the generated module's variable) is checked by its validation block.
        if known(self.existing_nlb_arn) and created_only:
            yield Problem(
                "",
                "internet_facing/subnet_ids/deletion_protection/access_logs_bucket only apply to a created NLB",
                "either existing_nlb_arn or settings for a new NLB",
            )
        if (
            self.existing_nlb_arn is None
            and self.internet_facing is True
            and self.subnet_ids is None
        ):
            # The cluster's subnets are private (its tasks get no public IP): an internet-facing
            # NLB there is accepted by AWS but unreachable from outside.
            yield Problem(
                "subnet_ids",
                "an internet-facing NLB needs its own subnets",
                "the ids of public subnets (routed to an internet gateway), one per zone",
            )
        if known(self.subnet_ids) and not list(self.subnet_ids):
            yield Problem("subnet_ids", "empty list", "None (the cluster subnets) or subnet ids")


@props_dataclass
class AddressesProps:
    """Human-facing addresses (for outputs and the Restate UI)."""

    ingress: HttpUrl | None = prop(None, "Ingress URL. Default: http://<NLB DNS>:8080.")
    admin: HttpUrl | None = prop(None, "Admin URL. Default: http://<NLB DNS>:9070.")
    web_ui: HttpUrl | None = prop(None, "Restate UI URL. Default: the admin URL + /ui.")


@props_dataclass
class EbsVolumeProps:
    """An EBS volume that ECS creates for every stateful task at launch."""

    size_gib: VolumeSizeGib = prop(description="Volume size in GiB (1-16384). Required.")
    volume_type: EbsVolumeType = prop(
        DEFAULT_EBS_VOLUME_TYPE,
        "One of gp2, gp3, io1, io2, st1, sc1 (magnetic standard cannot attach to Fargate). "
        "Default: gp3.",
    )
    iops: VolumeIops | None = prop(
        None,
        "Provisioned IOPS: required for io1/io2 (100-64000/256000, at most 50/1000 per GiB), "
        "optional for gp3 (3000-16000, above 3000 at most 500 per GiB), not allowed otherwise. "
        "Default: the volume type's default (3000 for gp3).",
    )
    throughput: VolumeThroughput | None = prop(
        None, "Throughput in MiB/s, gp3 only (125-1000). Default: 125 (gp3 default)."
    )
    role_arn: IamRoleArn | None = prop(
        None,
        "Role ECS uses to manage the volumes (assumable by ecs.amazonaws.com). "
        "Default: a role with AmazonECSInfrastructureRolePolicyForVolumes is created.",
    )
    encrypted: bool = prop(True, "Encrypt the volumes. Default: true.")
    kms_key_id: KmsKeyReference | None = prop(
        None, "KMS key for the volumes. Default: the account's default EBS key (aws/ebs)."
    )

    @cross_field
    def _volume_type_limits(self) -> Iterator[Problem]:
        kind, size, iops, throughput = self.volume_type, self.size_gib, self.iops, self.throughput
        if not known(kind):
            return
        minimum_size = EBS_MINIMUM_SIZE_GIB.get(kind)
        if minimum_size and known(size) and size < minimum_size:
            yield Problem(
                "size_gib",
                f"{size} GiB is too small for volume type {kind}",
                f"{minimum_size}-{EBS_MAXIMUM_SIZE_GIB} for {kind}",
            )
        if iops is not None and kind in ("gp2", "st1", "sc1"):
            yield Problem(
                "iops", f"iops cannot be set for volume type {kind}", "iops only with gp3, io1, io2"
            )
        elif iops is None and kind in ("io1", "io2"):
            yield Problem(
                "iops",
                f"volume type {kind} needs iops",
                "an integer for io1/io2 (100-64000/256000)",
            )
        elif known(iops) and kind in EBS_IOPS_LIMITS:
            least, most = EBS_IOPS_LIMITS[kind]
            per_gib = EBS_MAX_IOPS_PER_GIB[kind]
            if not least <= iops <= most:
                yield Problem(
                    "iops", f"{iops} is out of range", f"an integer >= {least} and <= {most}"
                )
            elif known(size) and iops > max_provisioned_iops(kind, size):
                yield Problem(
                    "iops",
                    f"{iops} IOPS is more than {kind} allows on {size} GiB",
                    f"at most {max_provisioned_iops(kind, size)} ({per_gib} IOPS per GiB for "
                    f"{kind}; raise size_gib for more)",
                )
        if throughput is not None and kind != "gp3":
            yield Problem(
                "throughput",
                f"throughput cannot be set for volume type {kind}",
                "throughput only with gp3",
            )
        elif known(throughput):
            baseline = GP3_BASELINE_IOPS if iops is None else iops
            if known(baseline) and throughput * 4 > baseline:
                yield Problem(
                    "throughput",
                    f"{throughput} MiB/s is more than gp3 gives {baseline} IOPS",
                    f"at most {baseline // 4} (0.25 MiB/s per IOPS; raise iops for more)",
                )
        if self.encrypted is False and self.kms_key_id is not None:
            yield Problem(
                "kms_key_id",
                "a KMS key is given while encrypted is false",
                "kms_key_id only with encrypted = true",
            )


@props_dataclass
class StatelessNodeProps:
    """Stateless nodes: roles admin + http-ingress, run by an ECS service behind the NLB."""

    desired_count: StatelessCount = prop(
        DEFAULT_STATELESS_DESIRED_COUNT, "Number of tasks. Default: 3."
    )
    resources: Resources = prop(
        description="Task size. Default: 16384 cpu, 32768 MiB.", factory=restate_resources
    )
    default_replication: Replication = prop(
        DEFAULT_REPLICATION,
        "Replication of logs and partitions at provisioning, as Restate writes it: an integer "
        "(node replication) or '{zone: 2}', '{zone: 2, node: 3}'. Needs at least "
        "zone replication + 1 availability zones. Default: {zone: 2}.",
    )
    default_partitions: Partitions = prop(
        DEFAULT_PARTITIONS, "Partitions created at provisioning (1-65535). Default: 128."
    )
    ingress_advertised_address: HttpUrl | None = prop(
        None, "Ingress address advertised to the Restate UI. Default: the ingress address."
    )
    restate_image: ImageReference = prop(
        DEFAULT_RESTATE_IMAGE, f"Restate image. Default: {DEFAULT_RESTATE_IMAGE}."
    )
    restate_version: RestateVersionText | None = prop(
        None,
        "Restate version in the image (1.7 or 1.7.x). Default: derived from the image tag; "
        "required when the tag is not a version.",
    )
    environment: Mapping[EnvironmentName, EnvironmentValue] = prop(
        description="Extra environment (e.g. RESTATE_* settings); wins over the construct's. "
        "Default: none.",
        factory=dict,
    )


@props_dataclass
class StatefulNodeProps:
    """Stateful nodes: roles log-server + worker, started and drained by the controller."""

    nodes_per_az: NodesPerAz = prop(
        DEFAULT_STATEFUL_NODES_PER_AZ, "Stateful tasks per availability zone (>= 1). Default: 1."
    )
    resources: Resources = prop(
        description="Task size. Default: 16384 cpu, 32768 MiB.", factory=restate_resources
    )
    restate_image: ImageReference = prop(
        DEFAULT_RESTATE_IMAGE, f"Restate image. Default: {DEFAULT_RESTATE_IMAGE}."
    )
    restate_version: RestateVersionText | None = prop(
        None, "Restate version in the image. Default: derived from the image tag."
    )
    environment: Mapping[EnvironmentName, EnvironmentValue] = prop(
        description="Extra environment; wins over the construct's. Default: none.", factory=dict
    )
    ebs_volume: EbsVolumeProps | None = prop(
        None,
        "EBS volume per task, configured at launch by the controller. Default: none; "
        "tasks use 200 GiB of Fargate ephemeral storage.",
    )


@props_dataclass
class TaskProps:
    """Fargate task settings shared by a group of task definitions."""

    execution_role_arn: IamRoleArn | None = prop(
        None,
        "Task execution role (assumable by ecs-tasks.amazonaws.com); it must be able to pull "
        "the images and write the logs. Default: a least-privilege role is created.",
    )
    task_role_arn: IamRoleArn | None = prop(
        None,
        "Task role; the construct attaches its policies to it (role name taken from the ARN). "
        "Default: a role is created.",
    )
    log_driver: LogDriver = prop(DEFAULT_LOG_DRIVER, "Container log driver. Default: awslogs.")
    log_options: Mapping[LogOptionName, str] | None = prop(
        None,
        "Log driver options. Default: for awslogs, the construct's log group, the region, and "
        "stream prefix 'restate' (or 'controller').",
    )
    enable_execute_command: bool = prop(
        False,
        "Allow ECS Exec into the tasks; the containers then get a writable root file system "
        "(the Exec agent writes inside them), so turning it on or off replaces every task, "
        "stateful nodes one zone at a time. Default: false.",
    )
    cpu_architecture: CpuArchitecture = prop(
        DEFAULT_CPU_ARCHITECTURE, "ARM64 or X86_64. Default: ARM64."
    )

    @cross_field
    def _log_options(self) -> Iterator[Problem]:
        driver, options = self.log_driver, self.log_options
        if not known(driver) or is_token(options):
            return
        if driver != "awslogs" and not options:
            yield Problem(
                "log_options",
                f"log driver {driver!r} needs options",
                "a mapping with " + ", ".join(LOG_DRIVER_REQUIRED_OPTIONS[driver]),
            )
        elif options:
            missing = [key for key in LOG_DRIVER_REQUIRED_OPTIONS[driver] if key not in options]
            if missing:
                yield Problem(
                    "log_options",
                    f"log driver {driver!r} needs option(s) {', '.join(missing)}",
                    "options with "
                    + ", ".join(LOG_DRIVER_REQUIRED_OPTIONS[driver])
                    + (
                        " (or no options: the construct's log group)" if driver == "awslogs" else ""
                    ),
                )


@props_dataclass
class ControllerProps:
    """The open-source controller that runs and drains the stateful nodes."""

    controller_image: ImageReference | None = prop(
        None,
        "Controller image, built from controller_image/Dockerfile. Default: "
        f"<account>.dkr.ecr.<region>.amazonaws.com/{DEFAULT_CONTROLLER_REPOSITORY}:"
        f"{DEFAULT_CONTROLLER_TAG} (push it there first).",
    )
    resources: Resources = prop(
        description="Task size. Default: 1024 cpu, 2048 MiB.", factory=controller_resources
    )
    snapshot_retention_days: SnapshotRetentionDays = prop(
        DEFAULT_SNAPSHOT_RETENTION_DAYS,
        "Days to keep EBS volumes/snapshots of retired nodes (>= 0). Default: 7.",
    )
    reconcile_interval_seconds: ReconcileIntervalSeconds = prop(
        DEFAULT_RECONCILE_INTERVAL_SECONDS, "Pause between reconcile passes (> 0). Default: 10."
    )
    drain_timeout_seconds: DrainTimeoutSeconds = prop(
        DEFAULT_DRAIN_TIMEOUT_SECONDS,
        "A drain taking longer is reported and stops progress (> 0). Default: 600.",
    )
    tasks: TaskProps = prop(
        description="Task settings of the controller. Default: created roles, awslogs with "
        "prefix 'controller', no exec, ARM64.",
        factory=TaskProps,
    )


@props_dataclass
class RestatectlProps:
    """The restatectl Lambda (restatectl's lambda mode) inside the VPC."""

    disabled: bool = prop(False, "Do not create the Lambda. Default: false.")
    execution_role_arn: IamRoleArn | None = prop(
        None, "Execution role (assumable by lambda.amazonaws.com). Default: a role is created."
    )


@props_dataclass
class RetirementWatcherProps:
    """EventBridge rule + SQS + Lambda that tag tasks AWS is about to retire."""

    disabled: bool = prop(False, "Do not create the watcher. Default: false.")
    execution_role_arn: IamRoleArn | None = prop(
        None, "Execution role of the Lambda. Default: a role is created."
    )
    queue_kms_key_arn: KmsKeyArn | None = prop(
        None, "KMS key of the SQS queue. Default: the cluster's KMS key."
    )


@props_dataclass
class DestroyCleanupProps:
    """The destroy-time step that stops the controller and its stateful tasks, so that
    `terraform destroy` alone can delete the ECS cluster and the network (docs/teardown.md)."""

    disabled: bool = prop(
        False,
        "Do not create the step (a Lambda and its invocation); run `cdktf-restate teardown` "
        "before every destroy instead. Turning it on later is safe; turning it off on a running "
        "cluster runs it once (docs/teardown.md). Default: false.",
    )
    delete_storage: bool = prop(
        False,
        "Also delete the stateful nodes' EBS volumes and the controller's EBS snapshots of "
        "this cluster on destroy when controller.snapshot_retention_days > 0 (with 0 they are "
        "always deleted). Default: false (kept, listed in the step's result).",
    )


@props_dataclass
class DashboardProps:
    """One CloudWatch dashboard of the cluster."""

    disabled: bool = prop(False, "Do not create this dashboard. Default: false.")
    autogenerated_name: bool = prop(
        False,
        "true: a unique generated name (<cluster>-<kind>-<8 hex characters of the account, "
        "region and construct path>), for several stacks of one cluster name in an account; "
        "false: the readable <cluster>-<kind>. Default: false.",
    )


@props_dataclass
class CustomWidgetsProps:
    """The custom-widget Lambda behind the Control Panel (restatectl and ECS, as HTML)."""

    disabled: bool = prop(
        False,
        "No Lambda: the Control Panel shows plain metric, log and text widgets. Default: false.",
    )
    execution_role_arn: IamRoleArn | None = prop(
        None,
        "Execution role of the widget Lambda (assumable by lambda.amazonaws.com). "
        "Default: a role is created (ECS and CloudWatch read calls on this cluster only).",
    )


@props_dataclass
class DashboardsProps:
    """The Control Panel and Metrics dashboards (docs/dashboards.md)."""

    metrics: DashboardProps = prop(
        description="The Metrics dashboard (<cluster>-metrics). Default: created.",
        factory=DashboardProps,
    )
    control_panel: DashboardProps = prop(
        description="The Control Panel dashboard (<cluster>-control-panel). Default: created.",
        factory=DashboardProps,
    )
    custom_widgets: CustomWidgetsProps = prop(
        description="Default: the widget Lambda is created.", factory=CustomWidgetsProps
    )


@props_dataclass
class MonitoringProps:
    """Monitoring settings: Container Insights, controller alarms, dashboards."""

    container_insights: ContainerInsights = prop(
        DEFAULT_CONTAINER_INSIGHTS,
        "ECS container insights: enhanced, enabled or disabled. Default: enhanced.",
    )
    dashboard: DashboardsProps = prop(
        description="Default: both dashboards and the widget Lambda are created.",
        factory=DashboardsProps,
    )
    alarm_actions: AlarmActions = prop(
        description="SNS topic ARNs notified when the deployment controller halts or logs "
        "nothing (not running), and again when that ends (CloudWatch alarms on its "
        "ControllerHaltedPasses metric), at most 5. Default: none (no alarms; the metric exists "
        "either way).",
        factory=tuple,
    )


@props_dataclass
class RestateClusterProps:
    """All properties of ``RestateEcsFargateCluster``."""

    vpc_id: VpcId = prop(description="VPC of the cluster. Required.")
    subnets: Sequence[SubnetInput] = prop(
        description="One subnet per availability zone: Subnet, {'subnet_id', "
        "'availability_zone'} or a subnet id. Required.",
        factory=tuple,
    )
    license_key: LicenseKey | None = prop(
        None,
        "Accepted for compatibility with the reference product; the open controller needs "
        "no license and ignores it. Default: none.",
    )
    cluster_name: ClusterName | None = prop(
        None,
        "Restate cluster name (1-64 of [A-Za-z0-9_-], a letter or digit at both ends). Default: "
        "derived from the construct path.",
    )
    ecs_cluster: EcsClusterReference | None = prop(
        None,
        "Existing ECS cluster (name or ARN). Default: a cluster is created with container insights.",
    )
    security_group_ids: SecurityGroupIds | None = prop(
        None,
        "Security groups for the NLB, the tasks and the Lambdas; they must allow 8080, 9070 "
        "and 5122 between members. Default: a group with exactly those rules is created.",
    )
    object_storage: ObjectStorageProps = prop(
        description="Default: a created bucket, bucket root.", factory=ObjectStorageProps
    )
    load_balancer: LoadBalancerProps = prop(
        description="Default: an internal NLB in the cluster subnets.", factory=LoadBalancerProps
    )
    addresses: AddressesProps = prop(
        description="Default: the NLB addresses.", factory=AddressesProps
    )
    stateless_node: StatelessNodeProps = prop(
        description="Default: see StatelessNodeProps.", factory=StatelessNodeProps
    )
    stateful_node: StatefulNodeProps = prop(
        description="Default: see StatefulNodeProps.", factory=StatefulNodeProps
    )
    controller: ControllerProps = prop(
        description="Default: see ControllerProps.", factory=ControllerProps
    )
    restate_tasks: TaskProps = prop(
        description="Task settings of the Restate nodes. Default: created roles, awslogs with "
        "prefix 'restate', no exec, ARM64.",
        factory=TaskProps,
    )
    restatectl: RestatectlProps = prop(
        description="Default: the Lambda is created.", factory=RestatectlProps
    )
    retirement_watcher: RetirementWatcherProps = prop(
        description="Default: the watcher is created.", factory=RetirementWatcherProps
    )
    destroy_cleanup: DestroyCleanupProps = prop(
        description="Default: the destroy-time cleanup step is created.",
        factory=DestroyCleanupProps,
    )
    monitoring: MonitoringProps = prop(
        description="Default: see MonitoringProps.", factory=MonitoringProps
    )
    log_retention_days: LogRetentionDays = prop(
        DEFAULT_LOG_RETENTION_DAYS,
        "Retention of every log group, a CloudWatch value (1, 3, 5, 7, 14, 30, ... 3653). "
        "Default: 365.",
    )
    tags: Tags = prop(
        description="Tags on every resource (plus restate:cluster). Default: none.", factory=dict
    )

    @cross_field
    def _subnets_and_replication(self) -> Iterator[Problem]:
        if not known(self.subnets):
            return
        subnets = normalized_subnets(self.subnets)
        if not subnets:
            yield Problem("subnets", "no subnet given", "one subnet per availability zone")
            return
        seen_ids: set[str] = set()
        zones: set[str] = set()
        for index, subnet in enumerate(subnets):
            if known(subnet.subnet_id):
                if subnet.subnet_id in seen_ids:
                    yield Problem(
                        f"subnets[{index}].subnet_id",
                        f"{subnet.subnet_id!r} is given twice",
                        "each subnet once",
                    )
                seen_ids.add(subnet.subnet_id)
            zone = subnet.availability_zone
            if known(zone):
                if zone in zones:
                    yield Problem(
                        f"subnets[{index}].availability_zone",
                        f"zone {zone!r} is given twice",
                        "one subnet per availability zone",
                    )
                zones.add(zone)
        if not known(self.stateless_node.default_replication):
            return
        replication = parse_replication(
            self.stateless_node.default_replication, "stateless_node.default_replication"
        )
        zone_replication = replication.get("zone")
        if zone_replication is not None and len(subnets) < zone_replication + 1:
            yield Problem(
                "subnets",
                f"{len(subnets)} availability zone(s) cannot survive the loss of a zone with "
                f"stateless_node.default_replication {{zone: {zone_replication}}}",
                f"at least zone replication + 1 = {zone_replication + 1} subnets in distinct zones",
            )
        node_replication = replication.get("node")
        nodes_per_az = self.stateful_node.nodes_per_az
        if node_replication is not None and known(nodes_per_az):
            total = nodes_per_az * len(subnets)
            if total < node_replication + 1:
                yield Problem(
                    "stateful_node.nodes_per_az",
                    f"{total} stateful node(s) cannot survive the loss of one with node "
                    f"replication {node_replication}",
                    f"nodes_per_az * zones >= {node_replication + 1}",
                )

    @cross_field
    def _load_balancer_and_addresses(self) -> Iterator[Problem]:
        lb = self.load_balancer
        for name in ("ingress_cidr_blocks", "admin_cidr_blocks"):
            # Tokens (the generated module's variables) are checked by a Terraform precondition.
            if known(getattr(lb, name)) and getattr(lb, name) and known(self.security_group_ids):
                yield Problem(
                    f"load_balancer.{name}",
                    "needs the created security group",
                    "no security_group_ids, or add the rules to your own groups",
                )
        disabled = lb.disable_shared_nlb_ports if known(lb.disable_shared_nlb_ports) else ()
        for port in disabled:
            if getattr(self.addresses, port) is None:
                yield Problem(
                    f"addresses.{port}",
                    f"the {port} port is disabled on the shared NLB, so its address is unknown",
                    f"set addresses.{port} (e.g. your ALB's URL)",
                )

    @cross_field
    def _one_restate_version(self) -> Iterator[Problem]:
        stateless, stateful = self.stateless_node, self.stateful_node
        versions = [
            restate_version(node.restate_image, node.restate_version, path)
            for node, path in ((stateless, "stateless_node"), (stateful, "stateful_node"))
        ]
        if None not in versions and versions[0].split(".")[:2] != versions[1].split(".")[:2]:  # type: ignore[union-attr]
            yield Problem(
                "stateful_node.restate_image",
                f"version {versions[1]} differs from the stateless nodes' {versions[0]}",
                "the same minor version on both kinds of node",
            )


class RestateClusterKeywords(TypedDict, total=False):
    """The fields of ``RestateClusterProps`` as keyword arguments of the construct, so that
    editors and type checkers complete and check them (PEP 692). Kept equal to the dataclass
    by a test."""

    vpc_id: str
    subnets: Sequence[Subnet | str | Mapping[str, str]]
    license_key: str | None
    cluster_name: str | None
    ecs_cluster: str | None
    security_group_ids: Sequence[str] | None
    object_storage: ObjectStorageProps
    load_balancer: LoadBalancerProps
    addresses: AddressesProps
    stateless_node: StatelessNodeProps
    stateful_node: StatefulNodeProps
    controller: ControllerProps
    restate_tasks: TaskProps
    restatectl: RestatectlProps
    retirement_watcher: RetirementWatcherProps
    destroy_cleanup: DestroyCleanupProps
    monitoring: MonitoringProps
    log_retention_days: int
    tags: Mapping[str, str]
