"""Bad input fails before synthesis with a message naming the property and what is allowed."""

from __future__ import annotations

import dataclasses
import re

import cdktf
import pytest

from cdktf_restate import (
    AddressesProps,
    ControllerProps,
    EbsVolumeProps,
    LoadBalancerProps,
    MonitoringProps,
    ObjectStorageProps,
    Resources,
    RestateClusterProps,
    RestateConfigError,
    RestateEcsFargateCluster,
    StatefulNodeProps,
    StatelessNodeProps,
    Subnet,
    TaskProps,
)
from cdktf_restate.schema.validation import (
    format_replication,
    parse_replication,
    restate_version,
    validate_props,
)

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def subnets(count: int = 3, zones: tuple[str, ...] = ZONES) -> list[Subnet]:
    return [
        Subnet(subnet_id=f"subnet-0000000{i}", availability_zone=zones[i]) for i in range(count)
    ]


def props(**overrides: object) -> RestateClusterProps:
    base: dict[str, object] = {"vpc_id": "vpc-0000aaaa", "subnets": subnets()}
    base.update(overrides)
    return RestateClusterProps(**base)


def test_valid_defaults_pass() -> None:
    validate_props(props())
    validate_props(props(subnets=["subnet-0000000a", "subnet-0000000b", "subnet-0000000c"]))
    validate_props(
        props(
            subnets=[{"subnet_id": f"subnet-0000000{z[-1]}", "availability_zone": z} for z in ZONES]
        )
    )


@pytest.mark.parametrize(
    ("volume_type", "size_gib", "iops"),
    [("io1", 10, 500), ("io2", 10, 10000), ("gp3", 8, 4000), ("gp3", 1, 3000)],
)
def test_ebs_iops_up_to_the_per_gib_limit_pass(volume_type: str, size_gib: int, iops: int) -> None:
    volume = EbsVolumeProps(size_gib=size_gib, volume_type=volume_type, iops=iops)
    validate_props(props(stateful_node=StatefulNodeProps(ebs_volume=volume)))


BAD_INPUTS = [
    pytest.param(
        {
            "object_storage": ObjectStorageProps(
                kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
            )
        },
        r"^object_storage\.kms_key_arn: only applies to an existing bucket \(a created one uses the cluster's key\); allowed: kms_key_arn with bucket_name$",
        id="bucket-key-without-an-existing-bucket",
    ),
    pytest.param(
        {
            "object_storage": ObjectStorageProps(
                bucket_name="team-bucket", kms_key_arn="alias/restate"
            )
        },
        r"^object_storage\.kms_key_arn: 'alias/restate' is not a KMS key ARN; allowed: arn:aws:kms:",
        id="bucket-key-not-a-key-arn",
    ),
    pytest.param(
        {
            "stateless_node": StatelessNodeProps(
                restate_image="docker.restate.dev/restatedev/restate:1.8.0", restate_version="1.7"
            )
        },
        r"^stateless_node\.restate_version: '1\.7' disagrees with the image tag '1\.8\.0'; allowed: the image's version \(1\.8\.x\), or leave restate_version unset$",
        id="explicit-version-contradicts-the-image-tag",
    ),
    pytest.param(
        {"stateless_node": {"desired_count": 5}},
        r"^stateless_node: dict \{'desired_count': 5\} given; allowed: StatelessNodeProps\(\.\.\.\), e\.g\. StatelessNodeProps\(\*\*\.\.\.\)$",
        id="props-class-given-as-a-dict",
    ),
    pytest.param(
        {"stateful_node": StatelessNodeProps()},
        r"^stateful_node: StatelessNodeProps .* given; allowed: StatefulNodeProps\(\.\.\.\)",
        id="the-wrong-props-class",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(resources=(4096, 8192))},  # type: ignore[arg-type]
        r"^stateless_node\.resources: tuple \(4096, 8192\) given; allowed: Resources\(\.\.\.\)",
        id="resources-as-a-tuple",
    ),
    pytest.param(
        {"tags": ["team", "payments"]},
        r"^tags: list \['team', 'payments'\] given; allowed: a mapping \(dict\)$",
        id="tags-as-a-list",
    ),
    pytest.param(
        {"security_group_ids": "sg-0123456789abcdef0"},
        r"^security_group_ids: str 'sg-0123456789abcdef0' given; allowed: a list$",
        id="a-string-where-a-list-belongs",
    ),
    pytest.param(
        {"subnets": "subnet-a,subnet-b,subnet-c"},
        r"^subnets: str 'subnet-a,subnet-b,subnet-c' given; allowed: a list$",
        id="subnets-as-one-string",
    ),
    pytest.param(
        {"restate_tasks": TaskProps(enable_execute_command="yes")},  # type: ignore[arg-type]
        r"^restate_tasks\.enable_execute_command: str 'yes' given; allowed: true or false \(a bool\)$",
        id="a-string-where-a-bool-belongs",
    ),
    pytest.param(
        {"load_balancer": LoadBalancerProps(ingress_cidr_blocks=["10.0.0.1/16"])},
        r"^load_balancer\.ingress_cidr_blocks\[0\]: '10\.0\.0\.1/16' is not an IPv4 CIDR block; allowed: a\.b\.c\.d/n with no host bits set",
        id="cidr-with-host-bits",
    ),
    pytest.param(
        {
            "security_group_ids": ["sg-00000001"],
            "load_balancer": LoadBalancerProps(admin_cidr_blocks=["10.0.0.0/16"]),
        },
        r"^load_balancer\.admin_cidr_blocks: needs the created security group",
        id="cidrs-with-own-security-groups",
    ),
    pytest.param(
        {"subnets": [{"id": "subnet-00000001", "az": "us-east-1a"}] * 3},
        r"^subnets\[0\]: .* is not a subnet; allowed: Subnet\(subnet_id=\.\.\., availability_zone=\.\.\.\), \{'subnet_id'",
        id="subnet-mapping-with-wrong-keys",
    ),
    pytest.param(
        {
            "subnets": [
                {"subnet_id": f"subnet-0000000{i}", "availability_zone": "us-east-1a"}
                for i in range(3)
            ]
        },
        r"^subnets\[1\]\.availability_zone: zone 'us-east-1a' is given twice",
        id="subnet-mappings-in-one-zone",
    ),
    pytest.param(
        {"object_storage": ObjectStorageProps(bucket_name="theirs", access_logs_bucket="logs")},
        r"^object_storage\.access_logs_bucket: only applies to a created bucket",
        id="access-logs-for-existing-bucket",
    ),
    pytest.param(
        {"vpc_id": None},
        r"^vpc_id: missing; allowed: VPC of the cluster\.$",
        id="vpc-missing",
    ),
    pytest.param(
        {"vpc_id": "vpc-prod"},
        r"^vpc_id: 'vpc-prod' is not a VPC id; allowed: vpc- and 8 or 17 lowercase hex digits, "
        r"e\.g\. vpc-0123456789abcdef0$",
        id="vpc-id-format",
    ),
    pytest.param(
        {"subnets": ["subnet-0000000a", "subnet-0000000B", "subnet-0000000c"]},
        r"^subnets\[1\]\.subnet_id: 'subnet-0000000B' is not a subnet id; allowed: subnet- and 8 "
        r"or 17 lowercase hex digits",
        id="subnet-id-format",
    ),
    pytest.param(
        {"subnets": [Subnet(subnet_id="subnet-123456789abcdef", availability_zone="us-east-1a")]},
        r"^subnets\[0\]\.subnet_id: 'subnet-123456789abcdef' is not a subnet id",
        id="subnet-id-15-digits",
    ),
    pytest.param(
        {
            "load_balancer": LoadBalancerProps(
                internet_facing=True, subnet_ids=["subnet-0000000a", "public-b"]
            )
        },
        r"^load_balancer\.subnet_ids\[1\]: 'public-b' is not a subnet id; allowed: subnet-",
        id="load-balancer-subnet-id-format",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(resources=Resources(cpu=1024))},
        r"^stateless_node\.resources\.memory_mib: missing; allowed: Memory in MiB",
        id="memory-missing",
    ),
    pytest.param(
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(volume_type="gp3"))},
        r"^stateful_node\.ebs_volume\.size_gib: missing; allowed: Volume size in GiB",
        id="ebs-size-missing",
    ),
    pytest.param(
        {"subnets": subnets(2)},
        r"^subnets: 2 availability zone\(s\) .*\{zone: 2\}; allowed: at least zone replication \+ 1 = 3",
        id="fewer-zones-than-zone-replication-plus-one",
    ),
    pytest.param(
        {
            "subnets": subnets(3),
            "stateless_node": StatelessNodeProps(default_replication="{zone: 3}"),
        },
        r"^subnets: 3 availability zone\(s\).*allowed: at least zone replication \+ 1 = 4",
        id="zone-replication-3-on-3-zones",
    ),
    pytest.param(
        {
            "subnets": [
                Subnet(subnet_id="subnet-0000000a", availability_zone="us-east-1a"),
                Subnet(subnet_id="subnet-0000000b", availability_zone="us-east-1a"),
                Subnet(subnet_id="subnet-0000000c", availability_zone="us-east-1b"),
            ]
        },
        r"^subnets\[1\]\.availability_zone: zone 'us-east-1a' is given twice; allowed: one subnet per availability zone",
        id="duplicate-availability-zones",
    ),
    pytest.param(
        {"subnets": [Subnet(subnet_id="subnet-0000000a", availability_zone=z) for z in ZONES]},
        r"^subnets\[1\]\.subnet_id: 'subnet-0000000a' is given twice",
        id="duplicate-subnet-ids",
    ),
    pytest.param(
        {"subnets": []},
        r"^subnets: no subnet given; allowed: one subnet per availability zone",
        id="no-subnets",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(resources=Resources(cpu=1024, memory_mib=512))},
        r"^stateless_node\.resources\.memory_mib: 512 MiB is not a Fargate memory size for cpu 1024; allowed: 2048-8192 in steps of 1024",
        id="fargate-memory-too-small-for-cpu",
    ),
    pytest.param(
        {"stateful_node": StatefulNodeProps(resources=Resources(cpu=3000, memory_mib=8192))},
        r"^stateful_node\.resources\.cpu: 3000 is not a Fargate cpu size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
        id="fargate-cpu-not-a-size",
    ),
    pytest.param(
        {"controller": ControllerProps(resources=Resources(cpu=256, memory_mib=4096))},
        r"^controller\.resources\.memory_mib: 4096 MiB is not a Fargate memory size for cpu 256; allowed: 512, 1024, 2048",
        id="controller-fargate-pair",
    ),
    pytest.param(
        {
            "stateless_node": StatelessNodeProps(
                restate_image="docker.restate.dev/restatedev/restate:1.6.2"
            )
        },
        r"^stateless_node\.restate_image: Restate version '1\.6\.2' is not supported; allowed: 1\.7\.x",
        id="unsupported-restate-version-from-tag",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                restate_image="docker.restate.dev/restatedev/restate:latest", restate_version="2.0"
            )
        },
        r"^stateful_node\.restate_version: Restate version '2\.0' is not supported; allowed: 1\.7\.x",
        id="unsupported-explicit-version",
    ),
    pytest.param(
        {
            "stateless_node": StatelessNodeProps(
                restate_image="docker.restate.dev/restatedev/restate:latest"
            )
        },
        r"^stateless_node\.restate_image: cannot derive the Restate version from .*latest.*; allowed: an image tagged with a version such as :1\.7\.12, or set stateless_node\.restate_version",
        id="unparseable-image-tag",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                restate_image="registry.local:5000/restate@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            )
        },
        r"^stateful_node\.restate_image: cannot derive the Restate version .*tag None",
        id="digest-without-version",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                restate_image="r/restate:1.7.12", restate_version="one.seven"
            )
        },
        r"^stateful_node\.restate_version: unparseable Restate version 'one\.seven'; allowed: 1\.7 or 1\.7\.<patch>",
        id="unparseable-explicit-version",
    ),
    pytest.param(
        {"stateful_node": StatefulNodeProps(nodes_per_az=0)},
        r"^stateful_node\.nodes_per_az: 0 is out of range; allowed: an integer >= 1",
        id="nodes-per-az-below-one",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(desired_count=-2)},
        r"^stateless_node\.desired_count: -2 is out of range; allowed: an integer >= 1",
        id="negative-desired-count",
    ),
    pytest.param(
        {"controller": ControllerProps(snapshot_retention_days=-1)},
        r"^controller\.snapshot_retention_days: -1 is out of range; allowed: an integer >= 0",
        id="negative-snapshot-retention",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                ebs_volume=EbsVolumeProps(size_gib=100, volume_type="gp2", iops=3000)
            )
        },
        r"^stateful_node\.ebs_volume\.iops: iops cannot be set for volume type gp2; allowed: iops only with gp3, io1, io2",
        id="iops-on-gp2",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                ebs_volume=EbsVolumeProps(size_gib=100, volume_type="io2")
            )
        },
        r"^stateful_node\.ebs_volume\.iops: volume type io2 needs iops",
        id="io2-without-iops",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                ebs_volume=EbsVolumeProps(
                    size_gib=100, volume_type="io1", iops=5000, throughput=500
                )
            )
        },
        r"^stateful_node\.ebs_volume\.throughput: throughput cannot be set for volume type io1; allowed: throughput only with gp3",
        id="throughput-on-io1",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                ebs_volume=EbsVolumeProps(size_gib=10, volume_type="standard")
            )
        },
        r"^stateful_node\.ebs_volume\.volume_type: 'standard' is not supported; allowed: gp2, gp3, io1, io2, st1, sc1$",
        id="ebs-magnetic-on-fargate",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                ebs_volume=EbsVolumeProps(size_gib=2, volume_type="io2", iops=200)
            )
        },
        r"^stateful_node\.ebs_volume\.size_gib: 2 GiB is too small for volume type io2; allowed: 4-16384 for io2",
        id="ebs-io2-too-small",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                ebs_volume=EbsVolumeProps(size_gib=10, volume_type="io1", iops=1000)
            )
        },
        r"^stateful_node\.ebs_volume\.iops: 1000 IOPS is more than io1 allows on 10 GiB; allowed: at most 500 \(50 IOPS per GiB",
        id="io1-iops-over-50-per-gib",
    ),
    pytest.param(
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=8, iops=5000))},
        r"^stateful_node\.ebs_volume\.iops: 5000 IOPS is more than gp3 allows on 8 GiB; allowed: at most 4000 \(500 IOPS per GiB",
        id="gp3-iops-over-500-per-gib",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                ebs_volume=EbsVolumeProps(size_gib=100, throughput=800)
            )
        },
        r"^stateful_node\.ebs_volume\.throughput: 800 MiB/s is more than gp3 gives 3000 IOPS; allowed: at most 750",
        id="gp3-throughput-over-baseline-iops",
    ),
    pytest.param(
        {
            "stateful_node": StatefulNodeProps(
                ebs_volume=EbsVolumeProps(size_gib=100, iops=3600, throughput=1000)
            )
        },
        r"^stateful_node\.ebs_volume\.throughput: 1000 MiB/s is more than gp3 gives 3600 IOPS; allowed: at most 900",
        id="gp3-throughput-over-provisioned-iops",
    ),
    pytest.param(
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=0))},
        r"^stateful_node\.ebs_volume\.size_gib: 0 is out of range; allowed: an integer >= 1 and <= 16384",
        id="ebs-size-zero",
    ),
    pytest.param(
        {"object_storage": ObjectStorageProps(prefix="/restate/")},
        r"^object_storage\.prefix: '/restate/' is not a usable key prefix; allowed: letters, digits",
        id="prefix-with-slashes",
    ),
    pytest.param(
        {"object_storage": ObjectStorageProps(prefix="a b")},
        r"^object_storage\.prefix: 'a b' is not a usable key prefix",
        id="prefix-with-space",
    ),
    pytest.param(
        {"object_storage": ObjectStorageProps(bucket_name="My_Bucket")},
        r"^object_storage\.bucket_name: 'My_Bucket' is not an S3 bucket name",
        id="bad-bucket-name",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(default_replication="zone: 2")},
        r"^stateless_node\.default_replication: 'zone: 2' is not written like Restate's replication property; allowed: an integer >= 1",
        id="replication-without-braces",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(default_replication="{rack: 2}")},
        r"^stateless_node\.default_replication: unknown replication scope 'rack'; allowed: .*scopes region, zone, node",
        id="replication-unknown-scope",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(default_replication=0)},
        r"^stateless_node\.default_replication: replication factor 0 is below 1",
        id="replication-zero",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(default_replication="{region: 2}")},
        r"^stateless_node\.default_replication: region replication > 1 needs several regions",
        id="replication-across-regions",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(default_replication=3)},
        r"^stateful_node\.nodes_per_az: 3 stateful node\(s\) cannot survive the loss of one with node replication 3; allowed: nodes_per_az \* zones >= 4",
        id="node-replication-needs-more-nodes",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(default_partitions=0)},
        r"^stateless_node\.default_partitions: 0 is out of range; allowed: an integer >= 1 and <= 65535",
        id="zero-partitions",
    ),
    pytest.param(
        {"cluster_name": "my cluster!"},
        r"^cluster_name: 'my cluster!' is not a valid name; allowed: 1-64 of \[A-Za-z0-9_-\],"
        r" starting and ending with a letter or digit, not starting with 'internal-', "
        r"'internal_' or 'sg-'",
        id="cluster-name-characters",
    ),
    pytest.param(
        {"tags": {"owner": "team (payments)"}},
        r"^tags\.owner: invalid tag value; allowed: 0-256 characters of letters, digits, spaces",
        id="tag-value-characters",
    ),
    pytest.param(
        {"tags": {"owner": "team\tpayments"}},
        r"^tags\.owner: invalid tag value; allowed: 0-256 characters of letters, digits, spaces",
        id="tag-value-tab",
    ),
    pytest.param(
        {"tags": {"owner": "x" * 257}},
        r"^tags\.owner: invalid tag value; allowed: 0-256",
        id="tag-value-length",
    ),
    pytest.param(
        {"tags": {"team/payments#1": "x"}},
        r"^tags\.team/payments#1: invalid tag key; allowed: 1-128 characters",
        id="tag-key-characters",
    ),
    pytest.param(
        {"tags": {f"t{i}": "v" for i in range(40)}},
        r"^tags: 40 tags leave no room for the cluster's own; allowed: at most 39",
        id="too-many-tags",
    ),
    pytest.param(
        {"cluster_name": "_payments"},
        r"^cluster_name: '_payments' is not a valid name; allowed: .*starting and ending with a letter",
        id="cluster-name-start",
    ),
    pytest.param(
        {"cluster_name": "internal-payments"},
        r"^cluster_name: 'internal-payments' is not a valid name; allowed: .*not starting with 'internal-'",
        id="cluster-name-load-balancer-prefix",
    ),
    pytest.param(
        {"cluster_name": "payments-"},
        r"^cluster_name: 'payments-' is not a valid name; allowed: .*starting and ending with a "
        r"letter or digit",
        id="cluster-name-trailing-hyphen",
    ),
    pytest.param(
        {"cluster_name": "internal_payments"},
        r"^cluster_name: 'internal_payments' is not a valid name; allowed: .*'internal_'",
        id="cluster-name-internal-underscore",
    ),
    pytest.param(
        {"controller": ControllerProps(reconcile_interval_seconds=3601)},
        r"^controller\.reconcile_interval_seconds: 3601 is out of range; allowed: a number > 0 and <= 3600 \(the controller looks at least hourly\)$",
        id="reconcile-interval-over-an-hour",
    ),
    pytest.param(
        {"cluster_name": "sg-payments"},
        r"^cluster_name: 'sg-payments' is not a valid name; allowed: .*or 'sg-'",
        id="cluster-name-security-group-prefix",
    ),
    pytest.param(
        {"restate_tasks": TaskProps(cpu_architecture="arm")},
        r"^restate_tasks\.cpu_architecture: 'arm' is not supported; allowed: ARM64, X86_64",
        id="cpu-architecture",
    ),
    pytest.param(
        {"log_retention_days": 10},
        r"^log_retention_days: 10 is not a CloudWatch retention; allowed: 1, 3, 5, 7, 14, 30",
        id="log-retention-not-a-cloudwatch-value",
    ),
    pytest.param(
        {"monitoring": MonitoringProps(container_insights="full")},
        r"^monitoring\.container_insights: 'full' is not supported; allowed: enhanced, enabled, disabled",
        id="container-insights",
    ),
    pytest.param(
        {"monitoring": MonitoringProps(alarm_actions=["arn:aws:sqs:us-east-1:123456789012:q"])},
        r"^monitoring\.alarm_actions\[0\]: 'arn:aws:sqs:us-east-1:123456789012:q' is not an SNS "
        r"topic ARN; allowed: arn:aws:sns:",
        id="alarm-action-not-a-topic",
    ),
    pytest.param(
        {
            "monitoring": MonitoringProps(
                alarm_actions=[f"arn:aws:sns:us-east-1:123456789012:t{i}" for i in range(6)]
            )
        },
        r"^monitoring\.alarm_actions: 6 actions; allowed: at most 5",
        id="too-many-alarm-actions",
    ),
    pytest.param(
        {"load_balancer": LoadBalancerProps(disable_shared_nlb_ports=["node"])},
        r"^load_balancer\.disable_shared_nlb_ports\[0\]: 'node' is not supported; allowed: ingress, admin",
        id="cannot-disable-node-port",
    ),
    pytest.param(
        {"load_balancer": LoadBalancerProps(disable_shared_nlb_ports=["admin"])},
        r"^addresses\.admin: the admin port is disabled on the shared NLB.*; allowed: set addresses\.admin",
        id="disabled-admin-port-needs-address",
    ),
    pytest.param(
        {"load_balancer": LoadBalancerProps(internet_facing=True)},
        r"^load_balancer\.subnet_ids: an internet-facing NLB needs its own subnets; allowed: the ids of public subnets",
        id="internet-facing-nlb-in-the-private-subnets",
    ),
    pytest.param(
        {
            "load_balancer": LoadBalancerProps(
                existing_nlb_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x/0123456789abcdef",
                internet_facing=True,
            )
        },
        r"^load_balancer: internet_facing/subnet_ids/deletion_protection/access_logs_bucket only apply to a created NLB",
        id="existing-nlb-with-creation-settings",
    ),
    pytest.param(
        {
            "load_balancer": LoadBalancerProps(
                existing_nlb_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef"
            )
        },
        r"^load_balancer\.existing_nlb_arn: .* is not a Network Load Balancer ARN; allowed: arn:aws:elasticloadbalancing:",
        id="existing-alb-is-not-an-nlb",
    ),
    pytest.param(
        {"security_group_ids": [f"sg-0000000{i}" for i in range(6)]},
        r"^security_group_ids: 6 groups; allowed: None \(a group is created\) or 1-5 group ids \(ECS tasks, the NLB and the Lambdas",
        id="too-many-security-groups",
    ),
    pytest.param(
        {"security_group_ids": ["sg-00000001", "sg-12345"]},
        r"^security_group_ids\[1\]: 'sg-12345' is not a security group id",
        id="security-group-id-too-short",
    ),
    pytest.param(
        {"security_group_ids": ["default"]},
        r"^security_group_ids\[0\]: 'default' is not a security group id; allowed: sg- and 8 or "
        r"17 lowercase hex digits",
        id="security-group-by-name",
    ),
    pytest.param(
        {"addresses": AddressesProps(ingress="restate.example.com")},
        r"^addresses\.ingress: 'restate\.example\.com' is not a URL; allowed: http://host",
        id="address-without-scheme",
    ),
    pytest.param(
        {"controller": ControllerProps(reconcile_interval_seconds=0)},
        r"^controller\.reconcile_interval_seconds: 0 is out of range; allowed: a number > 0",
        id="reconcile-interval-zero",
    ),
    pytest.param(
        {"restate_tasks": TaskProps(task_role_arn="restate-task-role")},
        r"^restate_tasks\.task_role_arn: 'restate-task-role' is not an IAM role ARN; allowed: arn:aws:iam::ACCOUNT:role/",
        id="role-name-instead-of-arn",
    ),
    pytest.param(
        {"stateless_node": StatelessNodeProps(environment={"RESTATE-X": "1"})},
        r"^stateless_node\.environment\.RESTATE-X: 'RESTATE-X' is not an environment variable name",
        id="bad-environment-name",
    ),
    pytest.param(
        {"ecs_cluster": "arn:aws:ecs:us-east-1:123456789012:service/x"},
        r"^ecs_cluster: .* is not an ECS cluster name or ARN; allowed: a cluster name",
        id="ecs-cluster-arn-of-a-service",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS)
def test_bad_input_is_rejected_with_a_clear_message(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(RestateConfigError, match=message):
        validate_props(props(**overrides))


def test_errors_come_before_any_resource(tmp_path) -> None:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "stack")
    with pytest.raises(RestateConfigError, match=r"^stateful_node\.nodes_per_az"):
        RestateEcsFargateCluster(
            stack,
            "restate",
            vpc_id="vpc-0000aaaa",
            subnets=subnets(),
            stateful_node=StatefulNodeProps(nodes_per_az=0),
        )
    assert [child.node.id for child in stack.node.children] == []


def test_unresolved_tokens_are_left_to_terraform() -> None:
    # The HCL module generator passes Terraform variables: nothing is known at synth time.
    app = cdktf.App()
    stack = cdktf.TerraformStack(app, "stack")
    zone_count = cdktf.TerraformVariable(stack, "nodes", type="number").number_value
    image = cdktf.TerraformVariable(stack, "image", type="string").string_value
    replication = cdktf.TerraformVariable(stack, "replication", type="string").string_value
    validate_props(
        props(
            subnets=subnets(3),
            cluster_name=cdktf.TerraformVariable(stack, "name", type="string").string_value,
            stateful_node=StatefulNodeProps(nodes_per_az=zone_count, restate_image=image),
            stateless_node=StatelessNodeProps(
                default_replication=replication, desired_count=zone_count
            ),
            log_retention_days=cdktf.TerraformVariable(
                stack, "retention", type="number"
            ).number_value,
        )
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, "{node: 2}"),
        ("3", "{node: 3}"),
        ("{zone: 2}", "{zone: 2}"),
        ("{ node:3 , zone: 2 }", "{zone: 2, node: 3}"),
    ],
)
def test_replication_is_normalized(value: object, expected: str) -> None:
    assert format_replication(parse_replication(value, "x")) == expected


def test_version_comes_from_tag_or_explicit_value() -> None:
    assert restate_version("docker.restate.dev/restatedev/restate:1.7.12", None, "n") == "1.7.12"
    assert restate_version("localhost:5000/restate:1.7", None, "n") == "1.7"
    assert restate_version("r/restate@sha256:abc", "1.7.3", "n") == "1.7.3"


def test_every_prop_has_a_description_with_a_default() -> None:
    seen = 0
    for cls in (RestateClusterProps, StatelessNodeProps, StatefulNodeProps, EbsVolumeProps, ControllerProps, TaskProps,
                ObjectStorageProps, LoadBalancerProps, AddressesProps, MonitoringProps, Resources, Subnet):  # fmt: skip
        for field in dataclasses.fields(cls):
            description = field.metadata.get("description", "")
            assert re.search(r"(Default:|Required\.)", description), f"{cls.__name__}.{field.name}"
            seen += 1
    assert seen > 50


def test_token_detection_agrees_with_cdktf() -> None:
    from cdktf_restate.schema.tokens import is_token

    app = cdktf.App()
    stack = cdktf.TerraformStack(app, "tokens")
    text = cdktf.TerraformVariable(stack, "t", type="string").string_value
    number = cdktf.TerraformVariable(stack, "n", type="number").number_value
    items = cdktf.TerraformVariable(stack, "l", type="list(string)").list_value
    for value in (text, f"prefix-{text}", number, items, cdktf.Fn.element(items, 0)):
        assert is_token(value) and cdktf.Token.is_unresolved(value)
    for value in ("plain", "${var.not_a_cdktf_token}", 3, 2.5, ["a"], None, True):
        assert not is_token(value)


def test_every_prop_is_documented_in_construct_md() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "construct.md").read_text()
    for cls in (RestateClusterProps, StatelessNodeProps, StatefulNodeProps, EbsVolumeProps, ControllerProps, TaskProps,
                ObjectStorageProps, LoadBalancerProps, AddressesProps, MonitoringProps):  # fmt: skip
        for field in dataclasses.fields(cls):
            assert f"`{field.name}`" in docs or f"{field.name}=" in docs, (
                f"{cls.__name__}.{field.name}"
            )


def test_an_unknown_keyword_property_is_named_with_the_closest_one(tmp_path) -> None:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "stack")
    with pytest.raises(RestateConfigError) as error:
        RestateEcsFargateCluster(
            stack, "restate", vpc_id="vpc-0000aaaa", subnets=subnets(3), stateles_node=None
        )
    assert str(error.value) == (
        "stateles_node: not a property of RestateEcsFargateCluster; "
        "allowed: did you mean 'stateless_node'?"
    )


def test_keyword_arguments_are_typed_exactly_like_the_props() -> None:
    """The construct's **fields are typed for editors and type checkers by a TypedDict."""
    import typing

    from cdktf_restate.schema import props as props_module

    namespace = vars(props_module)
    keywords = typing.get_type_hints(props_module.RestateClusterKeywords, namespace)
    fields = typing.get_type_hints(props_module.RestateClusterProps, namespace)
    assert keywords == fields
    from cdktf_restate.cluster import construct as cluster_module

    init = typing.get_type_hints(RestateEcsFargateCluster.__init__, vars(cluster_module))
    assert init["fields"] == typing.Unpack[props_module.RestateClusterKeywords]
