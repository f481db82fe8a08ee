"""Typed, documented properties of ``RestateEcsFargateCluster``.

Every property is a field of a frozen, keyword-only dataclass. Each field carries
``metadata["description"]`` (ending with a ``Default:`` line) so that generators,
such as the HCL module generator, can introspect name, type, default and text
with ``dataclasses.fields``. Defaults are named constants, kept here in one place.

String and number props may be unresolved cdktf tokens (e.g. Terraform variables);
validation skips those and Terraform checks them at plan time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

# ---- Defaults (one place) --------------------------------------------------------------

#: Restate image. Restate publishes to docker.restate.dev (its own registry, the one in
#: Restate's docs); ghcr.io/restatedev/restate carries the same tags.
DEFAULT_RESTATE_IMAGE = "docker.restate.dev/restatedev/restate:1.7.12"
#: Restate minor versions whose configuration keys this construct writes.
SUPPORTED_RESTATE_VERSIONS = ("1.7",)

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


def prop(default: Any = None, description: str = "", *, factory: Any = None) -> Any:
    """A dataclass field with a description; ``factory`` for mutable or nested defaults."""
    metadata = {"description": description}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


# ---- Building blocks -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Resources:
    """Fargate task size."""

    cpu: int = prop(description="CPU units (1024 = 1 vCPU); a Fargate size. Required.")
    memory_mib: int = prop(
        description="Memory in MiB; must be allowed for the chosen cpu on Fargate. Required."
    )


@dataclass(frozen=True, kw_only=True)
class Subnet:
    """One subnet of the cluster; give one per availability zone."""

    subnet_id: str = prop(description="Subnet id. Required.")
    availability_zone: str | None = prop(
        None,
        "Availability zone of the subnet (e.g. us-east-1a). "
        "Default: looked up with a data source (Terraform then checks at plan time that the "
        "subnets span zone replication + 1 distinct zones).",
    )


def restate_resources() -> Resources:
    return Resources(cpu=DEFAULT_RESTATE_CPU, memory_mib=DEFAULT_RESTATE_MEMORY_MIB)


def controller_resources() -> Resources:
    return Resources(cpu=DEFAULT_CONTROLLER_CPU, memory_mib=DEFAULT_CONTROLLER_MEMORY_MIB)


@dataclass(frozen=True, kw_only=True)
class ObjectStorageProps:
    """Where Restate keeps its metadata and partition snapshots."""

    bucket_name: str | None = prop(
        None,
        "Name of an existing bucket to use. Default: a bucket is created (SSE-KMS, "
        "public access blocked, TLS-only policy, versioning) named "
        "<cluster>-<account>-<region>.",
    )
    prefix: str = prop(
        "",
        "Key prefix inside the bucket: data goes to s3://bucket/prefix/{metadata,snapshots}. "
        "Letters, digits and !-_.*'()/ only; no leading or trailing '/'. Default: the bucket root.",
    )
    force_destroy: bool = prop(
        False,
        "Let `terraform destroy` delete a created bucket that still holds objects. Default: false.",
    )
    access_logs_bucket: str | None = prop(
        None,
        "Bucket (yours, with the S3 log delivery policy) for server access logs of a created "
        "bucket. Default: no access logs.",
    )
    noncurrent_version_expiration_days: int = prop(
        30,
        "Days after which old object versions in a created bucket expire (metadata is "
        "rewritten often). Default: 30.",
    )
    kms_key_arn: str | None = prop(
        None,
        "Customer-managed KMS key of an existing bucket's default encryption (SSE-KMS): the "
        "Restate task role may use it for Restate's objects (its key policy must allow the "
        "account's IAM policies, as the default key policy does). Only with bucket_name. "
        "Default: none (SSE-S3 or the aws/s3 key need no grant).",
    )


@dataclass(frozen=True, kw_only=True)
class LoadBalancerProps:
    """The shared Network Load Balancer for ingress (8080), admin (9070) and node (5122)."""

    existing_nlb_arn: str | None = prop(
        None, "ARN of an existing NLB to add the listeners to. Default: an NLB is created."
    )
    internet_facing: bool = prop(
        False, "Create an internet-facing NLB instead of an internal one. Default: false."
    )
    subnet_ids: Sequence[str] | None = prop(
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
    disable_shared_nlb_ports: Sequence[str] = prop(
        (),
        "Ports not to expose on the shared NLB: any of 'ingress', 'admin' (the node port 5122 "
        "stays: restatectl needs it). Default: none (all three listeners).",
    )
    ingress_cidr_blocks: Sequence[str] = prop(
        (),
        "IPv4 CIDRs (e.g. your VPC's) allowed to reach the ingress port 8080 through the "
        "created security group. Default: none (members of the group only).",
    )
    admin_cidr_blocks: Sequence[str] = prop(
        (),
        "IPv4 CIDRs allowed to reach the admin port 9070 through the created security group. "
        "Default: none (members of the group only).",
    )
    access_logs_bucket: str | None = prop(
        None,
        "Bucket (yours, with the ELB log delivery policy) for access logs of a created NLB. "
        "Default: no access logs.",
    )
    deletion_protection: bool = prop(
        False,
        "Deletion protection on a created NLB. Default: false, so that `terraform destroy` "
        "works; turn it on in production.",
    )


@dataclass(frozen=True, kw_only=True)
class AddressesProps:
    """Human-facing addresses (for outputs and the Restate UI)."""

    ingress: str | None = prop(None, "Ingress URL. Default: http://<NLB DNS>:8080.")
    admin: str | None = prop(None, "Admin URL. Default: http://<NLB DNS>:9070.")
    web_ui: str | None = prop(None, "Restate UI URL. Default: the admin URL + /ui.")


@dataclass(frozen=True, kw_only=True)
class EbsVolumeProps:
    """An EBS volume that ECS creates for every stateful task at launch."""

    size_gib: int = prop(description="Volume size in GiB (1-16384). Required.")
    volume_type: str = prop(
        DEFAULT_EBS_VOLUME_TYPE,
        "One of gp2, gp3, io1, io2, st1, sc1 (magnetic standard cannot attach to Fargate). "
        "Default: gp3.",
    )
    iops: int | None = prop(
        None,
        "Provisioned IOPS: required for io1/io2 (100-64000/256000, at most 50/1000 per GiB), "
        "optional for gp3 (3000-16000, above 3000 at most 500 per GiB), not allowed otherwise. "
        "Default: the volume type's default (3000 for gp3).",
    )
    throughput: int | None = prop(
        None, "Throughput in MiB/s, gp3 only (125-1000). Default: 125 (gp3 default)."
    )
    role_arn: str | None = prop(
        None,
        "Role ECS uses to manage the volumes (assumable by ecs.amazonaws.com). "
        "Default: a role with AmazonECSInfrastructureRolePolicyForVolumes is created.",
    )
    encrypted: bool = prop(True, "Encrypt the volumes. Default: true.")
    kms_key_id: str | None = prop(
        None, "KMS key for the volumes. Default: the account's default EBS key (aws/ebs)."
    )


@dataclass(frozen=True, kw_only=True)
class StatelessNodeProps:
    """Stateless nodes: roles admin + http-ingress, run by an ECS service behind the NLB."""

    desired_count: int = prop(DEFAULT_STATELESS_DESIRED_COUNT, "Number of tasks. Default: 3.")
    resources: Resources = prop(
        description="Task size. Default: 16384 cpu, 32768 MiB.", factory=restate_resources
    )
    default_replication: str | int = prop(
        DEFAULT_REPLICATION,
        "Replication of logs and partitions at provisioning, as Restate writes it: an integer "
        "(node replication) or '{zone: 2}', '{zone: 2, node: 3}'. Needs at least "
        "zone replication + 1 availability zones. Default: {zone: 2}.",
    )
    default_partitions: int = prop(
        DEFAULT_PARTITIONS, "Partitions created at provisioning (1-65535). Default: 128."
    )
    ingress_advertised_address: str | None = prop(
        None, "Ingress address advertised to the Restate UI. Default: the ingress address."
    )
    restate_image: str = prop(
        DEFAULT_RESTATE_IMAGE, f"Restate image. Default: {DEFAULT_RESTATE_IMAGE}."
    )
    restate_version: str | None = prop(
        None,
        "Restate version in the image (1.7 or 1.7.x). Default: derived from the image tag; "
        "required when the tag is not a version.",
    )
    environment: Mapping[str, str] = prop(
        description="Extra environment (e.g. RESTATE_* settings); wins over the construct's. "
        "Default: none.",
        factory=dict,
    )


@dataclass(frozen=True, kw_only=True)
class StatefulNodeProps:
    """Stateful nodes: roles log-server + worker, started and drained by the controller."""

    nodes_per_az: int = prop(
        DEFAULT_STATEFUL_NODES_PER_AZ, "Stateful tasks per availability zone (>= 1). Default: 1."
    )
    resources: Resources = prop(
        description="Task size. Default: 16384 cpu, 32768 MiB.", factory=restate_resources
    )
    restate_image: str = prop(
        DEFAULT_RESTATE_IMAGE, f"Restate image. Default: {DEFAULT_RESTATE_IMAGE}."
    )
    restate_version: str | None = prop(
        None, "Restate version in the image. Default: derived from the image tag."
    )
    environment: Mapping[str, str] = prop(
        description="Extra environment; wins over the construct's. Default: none.", factory=dict
    )
    ebs_volume: EbsVolumeProps | None = prop(
        None,
        "EBS volume per task, configured at launch by the controller. Default: none; "
        "tasks use 200 GiB of Fargate ephemeral storage.",
    )


@dataclass(frozen=True, kw_only=True)
class TaskProps:
    """Fargate task settings shared by a group of task definitions."""

    execution_role_arn: str | None = prop(
        None,
        "Task execution role (assumable by ecs-tasks.amazonaws.com); it must be able to pull "
        "the images and write the logs. Default: a least-privilege role is created.",
    )
    task_role_arn: str | None = prop(
        None,
        "Task role; the construct attaches its policies to it (role name taken from the ARN). "
        "Default: a role is created.",
    )
    log_driver: str = prop(DEFAULT_LOG_DRIVER, "Container log driver. Default: awslogs.")
    log_options: Mapping[str, str] | None = prop(
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
    cpu_architecture: str = prop(DEFAULT_CPU_ARCHITECTURE, "ARM64 or X86_64. Default: ARM64.")


@dataclass(frozen=True, kw_only=True)
class ControllerProps:
    """The open-source controller that runs and drains the stateful nodes."""

    controller_image: str | None = prop(
        None,
        "Controller image, built from controller_image/Dockerfile. Default: "
        f"<account>.dkr.ecr.<region>.amazonaws.com/{DEFAULT_CONTROLLER_REPOSITORY}:"
        f"{DEFAULT_CONTROLLER_TAG} (push it there first).",
    )
    resources: Resources = prop(
        description="Task size. Default: 1024 cpu, 2048 MiB.", factory=controller_resources
    )
    snapshot_retention_days: int = prop(
        DEFAULT_SNAPSHOT_RETENTION_DAYS,
        "Days to keep EBS volumes/snapshots of retired nodes (>= 0). Default: 7.",
    )
    reconcile_interval_seconds: float = prop(
        DEFAULT_RECONCILE_INTERVAL_SECONDS, "Pause between reconcile passes (> 0). Default: 10."
    )
    drain_timeout_seconds: float = prop(
        DEFAULT_DRAIN_TIMEOUT_SECONDS,
        "A drain taking longer is reported and stops progress (> 0). Default: 600.",
    )
    tasks: TaskProps = prop(
        description="Task settings of the controller. Default: created roles, awslogs with "
        "prefix 'controller', no exec, ARM64.",
        factory=TaskProps,
    )


@dataclass(frozen=True, kw_only=True)
class RestatectlProps:
    """The restatectl Lambda (restatectl's lambda mode) inside the VPC."""

    disabled: bool = prop(False, "Do not create the Lambda. Default: false.")
    execution_role_arn: str | None = prop(
        None, "Execution role (assumable by lambda.amazonaws.com). Default: a role is created."
    )


@dataclass(frozen=True, kw_only=True)
class RetirementWatcherProps:
    """EventBridge rule + SQS + Lambda that tag tasks AWS is about to retire."""

    disabled: bool = prop(False, "Do not create the watcher. Default: false.")
    execution_role_arn: str | None = prop(
        None, "Execution role of the Lambda. Default: a role is created."
    )
    queue_kms_key_arn: str | None = prop(
        None, "KMS key of the SQS queue. Default: the cluster's KMS key."
    )


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class DashboardProps:
    """One CloudWatch dashboard of the cluster."""

    disabled: bool = prop(False, "Do not create this dashboard. Default: false.")
    autogenerated_name: bool = prop(
        False,
        "true: a unique generated name (<cluster>-<kind>-<8 hex characters of the account, "
        "region and construct path>), for several stacks of one cluster name in an account; "
        "false: the readable <cluster>-<kind>. Default: false.",
    )


@dataclass(frozen=True, kw_only=True)
class CustomWidgetsProps:
    """The custom-widget Lambda behind the Control Panel (restatectl and ECS, as HTML)."""

    disabled: bool = prop(
        False,
        "No Lambda: the Control Panel shows plain metric, log and text widgets. Default: false.",
    )
    execution_role_arn: str | None = prop(
        None,
        "Execution role of the widget Lambda (assumable by lambda.amazonaws.com). "
        "Default: a role is created (ECS and CloudWatch read calls on this cluster only).",
    )


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class MonitoringProps:
    """Monitoring settings: Container Insights, controller alarms, dashboards."""

    container_insights: str = prop(
        DEFAULT_CONTAINER_INSIGHTS,
        "ECS container insights: enhanced, enabled or disabled. Default: enhanced.",
    )
    dashboard: DashboardsProps = prop(
        description="Default: both dashboards and the widget Lambda are created.",
        factory=DashboardsProps,
    )
    alarm_actions: Sequence[str] = prop(
        description="SNS topic ARNs notified when the deployment controller halts or logs "
        "nothing (not running), and again when that ends (CloudWatch alarms on its "
        "ControllerHaltedPasses metric), at most 5. Default: none (no alarms; the metric exists "
        "either way).",
        factory=tuple,
    )


@dataclass(frozen=True, kw_only=True)
class RestateClusterProps:
    """All properties of ``RestateEcsFargateCluster``."""

    vpc_id: str = prop(description="VPC of the cluster. Required.")
    subnets: Sequence[Subnet | str | Mapping[str, str]] = prop(
        description="One subnet per availability zone: Subnet, {'subnet_id', "
        "'availability_zone'} or a subnet id. Required.",
        factory=tuple,
    )
    license_key: str | None = prop(
        None,
        "Accepted for compatibility with the reference product; the open controller needs "
        "no license and ignores it. Default: none.",
    )
    cluster_name: str | None = prop(
        None,
        "Restate cluster name (1-64 of [A-Za-z0-9_-], a letter or digit at both ends). Default: "
        "derived from the construct path.",
    )
    ecs_cluster: str | None = prop(
        None,
        "Existing ECS cluster (name or ARN). Default: a cluster is created with container insights.",
    )
    security_group_ids: Sequence[str] | None = prop(
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
    log_retention_days: int = prop(
        DEFAULT_LOG_RETENTION_DAYS,
        "Retention of every log group, a CloudWatch value (1, 3, 5, 7, 14, 30, ... 3653). "
        "Default: 365.",
    )
    tags: Mapping[str, str] = prop(
        description="Tags on every resource (plus restate:cluster). Default: none.", factory=dict
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
