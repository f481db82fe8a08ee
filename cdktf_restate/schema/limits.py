"""AWS and Restate limits the schema enforces (one place; the HCL module's validation blocks and
the controller's generated contract read them from here)."""

from __future__ import annotations

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
FARGATE_CPUS = tuple(FARGATE_MEMORY_BY_CPU)

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
CPU_ARCHITECTURES = ("ARM64", "X86_64")
CONTAINER_INSIGHTS = ("enhanced", "enabled", "disabled")
#: The log drivers Fargate supports (json-file, syslog, journald, gelf, fluentd are EC2-only).
LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")
#: Options each driver cannot run without (awslogs gets the construct's when none are given;
#: on Fargate awslogs needs a stream prefix).
LOG_DRIVER_REQUIRED_OPTIONS: dict[str, tuple[str, ...]] = {
    "awslogs": ("awslogs-group", "awslogs-region", "awslogs-stream-prefix"),
    "splunk": ("splunk-url", "splunk-token"),
    "awsfirelens": ("Name",),
}
#: What ECS can attach to a Fargate task ("standard", magnetic, is not supported on Fargate).
EBS_VOLUME_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1")
#: Smallest volume (GiB) per type, as ECS documents it; the largest is 16384 for all.
EBS_MINIMUM_SIZE_GIB = {"io1": 4, "io2": 4, "st1": 125, "sc1": 125}
EBS_MAXIMUM_SIZE_GIB = 16384
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
GP3_THROUGHPUT_RANGE = (125, 1000)
SHARED_NLB_PORTS = ("ingress", "admin")
REPLICATION_SCOPES = ("region", "zone", "node")
#: CloudWatch: at most 5 actions per alarm state.
MAX_ALARM_ACTIONS = 5
#: AWS allows 50 tags per resource; the stateful tasks carry up to 11 restate:* tags.
MAX_USER_TAGS = 39
#: ECS awsvpc tasks, the NLB and the Lambdas take at most 5 security groups each.
MAX_SECURITY_GROUPS = 5
#: The controller must look at the cluster at least hourly (retirements, crashed nodes).
MAX_RECONCILE_INTERVAL_SECONDS = 3600
#: A drain longer than a day is a stuck drain.
MAX_DRAIN_TIMEOUT_SECONDS = 86400
#: Restate's partition id space.
MAX_PARTITIONS = 65535
#: ECS services run at most this many tasks here (the quota is 5000; the cluster's NLB and
#: metadata quorum make sense far below it).
MAX_STATELESS_NODES = 1000
MAX_NODES_PER_AZ = 100
MAX_SNAPSHOT_RETENTION_DAYS = 3650
MAX_NONCURRENT_VERSION_DAYS = 36500
