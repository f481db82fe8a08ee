"""A Restate cluster with custom sizes, replication and partitions (the seed's second example).

The VPC and subnets are Terraform variables, so this stack is a reusable root module:
``terraform apply -var vpc_id=... -var 'subnet_ids=["subnet-a","subnet-b","subnet-c"]'``.
Stateless nodes: 2 vCPU / 4 GiB; stateful nodes: 4 vCPU / 16 GiB, 2 per zone, on a gp3 EBS
volume; replication ``{zone: 2, node: 3}``; 64 partitions.
Run as a script, or call ``build(outdir)``; the stack is written to
``<outdir>/stacks/custom-resources/cdk.tf.json``.
"""

from __future__ import annotations

from cdktf_restate.synth_kernel import start_synth_kernel

# First, before cdktf: starts jsii's node kernel for a synth, which is faster that way
# (docs/synth-speed.md).
start_synth_kernel()

import os

import cdktf
from constructs import Construct

from cdktf_restate import (
    AwsProvider,
    EbsVolumeProps,
    Resources,
    RestateEcsFargateCluster,
    StatefulNodeProps,
    StatelessNodeProps,
    Subnet,
)
from cdktf_restate._tf import emulator_provider_arguments

STACK_NAME = "custom-resources"
ENDPOINT_ENV = "CDKTF_RESTATE_AWS_ENDPOINT"
REGION = "us-west-2"
ZONES = ("us-west-2a", "us-west-2b", "us-west-2c")


class CustomResourcesStack(cdktf.TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        cdktf.LocalBackend(self, path="terraform.tfstate")
        endpoint = os.environ.get(ENDPOINT_ENV)
        AwsProvider(
            self,
            "aws",
            **(emulator_provider_arguments(endpoint, REGION) if endpoint else {"region": REGION}),
        )
        vpc_id = cdktf.TerraformVariable(
            self, "vpc_id", type="string", description="VPC of the cluster"
        )
        subnet_ids = cdktf.TerraformVariable(
            self,
            "subnet_ids",
            type="list(string)",
            description=f"One private subnet in each of {', '.join(ZONES)}, in that order",
        )
        cluster = RestateEcsFargateCluster(
            self,
            "restate",
            cluster_name="restate-custom",
            vpc_id=vpc_id.string_value,
            subnets=[
                Subnet(
                    subnet_id=cdktf.Fn.element(subnet_ids.list_value, index), availability_zone=zone
                )
                for index, zone in enumerate(ZONES)
            ],
            stateless_node=StatelessNodeProps(
                desired_count=3,
                resources=Resources(cpu=2048, memory_mib=4096),
                default_replication="{zone: 2, node: 3}",
                default_partitions=64,
            ),
            stateful_node=StatefulNodeProps(
                nodes_per_az=2,
                resources=Resources(cpu=4096, memory_mib=16384),
                ebs_volume=EbsVolumeProps(
                    size_gib=200, volume_type="gp3", iops=6000, throughput=250
                ),
            ),
        )
        cdktf.TerraformOutput(self, "ingress_url", value=cluster.ingress_url)
        cdktf.TerraformOutput(self, "admin_url", value=cluster.admin_url)


def build(outdir: str | None = None) -> str:
    """Synthesize the stack into ``outdir`` (default: ./cdktf.out); return its directory."""
    app = cdktf.App(outdir=outdir) if outdir else cdktf.App()
    CustomResourcesStack(app, STACK_NAME)
    app.synth()
    return os.path.join(app.outdir, "stacks", STACK_NAME)


if __name__ == "__main__":
    print(build())
