"""The minimal Restate cluster: a VPC with three private subnets and the construct's defaults.

Run as a script (``python examples/minimal/main.py``, or ``cdktf synth`` through the
top-level cdktf.json), or call ``build(outdir)`` to synthesize in-process; the stack is
written to ``<outdir>/stacks/minimal/cdk.tf.json``.

Set ``CDKTF_RESTATE_AWS_ENDPOINT=http://127.0.0.1:PORT`` to point the AWS provider at a
local emulator (moto) instead of AWS.
"""

from __future__ import annotations

from cdktf_restate.synth_kernel import start_synth_kernel

# First, before cdktf: starts jsii's node kernel for a synth, which is faster that way
# (docs/synth-speed.md).
start_synth_kernel()

import json
import os

import cdktf
from constructs import Construct

from cdktf_restate import AwsProvider, RestateEcsFargateCluster, Subnet
from cdktf_restate._tf import Resource, emulator_provider_arguments

STACK_NAME = "minimal"
ENDPOINT_ENV = "CDKTF_RESTATE_AWS_ENDPOINT"
REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
VPC_CIDR = "10.0.0.0/16"


class MinimalStack(cdktf.TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        cdktf.LocalBackend(self, path="terraform.tfstate")
        endpoint = os.environ.get(ENDPOINT_ENV)
        provider = emulator_provider_arguments(endpoint, REGION) if endpoint else {"region": REGION}
        AwsProvider(self, "aws", **provider)

        subnets = private_subnets_with_nat(self)
        cluster = RestateEcsFargateCluster(
            self, "restate", vpc_id=subnets[0][0], subnets=[s for _, s in subnets]
        )

        vpc_flow_logs(self, vpc_id=subnets[0][0], kms_key_arn=cluster.kms_key_arn)

        cdktf.TerraformOutput(self, "ingress_url", value=cluster.ingress_url)
        cdktf.TerraformOutput(self, "admin_url", value=cluster.admin_url)


def private_subnets_with_nat(scope: Construct) -> list[tuple[str, Subnet]]:
    """A VPC (DNS hostnames on), one private subnet per zone, egress through one NAT gateway,
    S3 through a gateway endpoint."""
    vpc = Resource(
        scope,
        "vpc",
        "aws_vpc",
        {
            "cidr_block": VPC_CIDR,
            "enable_dns_support": True,
            "enable_dns_hostnames": True,
            "tags": {"Name": "restate-minimal"},
        },
    )
    # The default security group of a new VPC allows all traffic between members: empty it.
    Resource(scope, "default_security_group", "aws_default_security_group", {"vpc_id": vpc.id_})
    gateway = Resource(scope, "internet_gateway", "aws_internet_gateway", {"vpc_id": vpc.id_})
    public = Resource(
        scope,
        "public_subnet",
        "aws_subnet",
        {
            "vpc_id": vpc.id_,
            "cidr_block": "10.0.0.0/24",
            "availability_zone": ZONES[0],
            "tags": {"Name": "restate-public"},
        },
    )
    public_routes = Resource(scope, "public_routes", "aws_route_table", {"vpc_id": vpc.id_})
    Resource(
        scope,
        "public_default_route",
        "aws_route",
        {
            "route_table_id": public_routes.id_,
            "destination_cidr_block": "0.0.0.0/0",
            "gateway_id": gateway.id_,
        },
    )
    Resource(
        scope,
        "public_routes_association",
        "aws_route_table_association",
        {"subnet_id": public.id_, "route_table_id": public_routes.id_},
    )
    nat_address = Resource(scope, "nat_address", "aws_eip", {"domain": "vpc"})
    nat = Resource(
        scope,
        "nat_gateway",
        "aws_nat_gateway",
        {"allocation_id": nat_address.id_, "subnet_id": public.id_},
        depends_on=[gateway],
    )
    private_routes = Resource(scope, "private_routes", "aws_route_table", {"vpc_id": vpc.id_})
    Resource(
        scope,
        "private_default_route",
        "aws_route",
        {
            "route_table_id": private_routes.id_,
            "destination_cidr_block": "0.0.0.0/0",
            "nat_gateway_id": nat.id_,
        },
    )
    # S3 (Restate's metadata and snapshots) without the NAT gateway: no dependency on the NAT's
    # zone and no NAT data charges. One NAT keeps the example cheap; in production, one per zone.
    Resource(
        scope,
        "s3_endpoint",
        "aws_vpc_endpoint",
        {
            "vpc_id": vpc.id_,
            "service_name": f"com.amazonaws.{REGION}.s3",
            "vpc_endpoint_type": "Gateway",
            "route_table_ids": [private_routes.id_],
        },
    )
    subnets: list[tuple[str, Subnet]] = []
    for index, zone in enumerate(ZONES):
        subnet = Resource(
            scope,
            f"private_subnet_{index}",
            "aws_subnet",
            {
                "vpc_id": vpc.id_,
                "cidr_block": f"10.0.{16 * (index + 1)}.0/20",
                "availability_zone": zone,
                "tags": {"Name": f"restate-private-{zone}"},
            },
        )
        Resource(
            scope,
            f"private_routes_association_{index}",
            "aws_route_table_association",
            {"subnet_id": subnet.id_, "route_table_id": private_routes.id_},
        )
        subnets.append((vpc.id_, Subnet(subnet_id=subnet.id_, availability_zone=zone)))
    return subnets


def vpc_flow_logs(scope: Construct, *, vpc_id: str, kms_key_arn: str) -> None:
    """Rejected and accepted traffic of the VPC, in a log group encrypted with the cluster key."""
    group = Resource(
        scope,
        "flow_log_group",
        "aws_cloudwatch_log_group",
        {
            "name": "/vpc/restate-minimal/flow-logs",
            "retention_in_days": 365,
            "kms_key_id": kms_key_arn,
        },
    )
    role = Resource(
        scope,
        "flow_log_role",
        "aws_iam_role",
        {
            "name": "restate-minimal-vpc-flow-logs",
            "assume_role_policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        },
    )
    Resource(
        scope,
        "flow_log_role_policy",
        "aws_iam_role_policy",
        {
            "name": "write-flow-logs",
            "role": role.id_,
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                            ],
                            "Resource": [f"{group.arn}:*"],
                        }
                    ],
                }
            ),
        },
    )
    Resource(
        scope,
        "flow_log",
        "aws_flow_log",
        {
            "vpc_id": vpc_id,
            "traffic_type": "ALL",
            "log_destination_type": "cloud-watch-logs",
            "log_destination": group.arn,
            "iam_role_arn": role.arn,
        },
    )


def build(outdir: str | None = None) -> str:
    """Synthesize the stack into ``outdir`` (default: cdktf's, i.e. ./cdktf.out); return its directory."""
    app = cdktf.App(outdir=outdir) if outdir else cdktf.App()
    MinimalStack(app, STACK_NAME)
    app.synth()
    return os.path.join(app.outdir, "stacks", STACK_NAME)


if __name__ == "__main__":
    print(build())
