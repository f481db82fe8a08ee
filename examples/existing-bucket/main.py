"""A Restate cluster in an existing VPC that keeps its data in an existing S3 bucket.

The VPC, subnets and bucket are given by id/name (as you would for infrastructure that
another team owns); data goes to ``s3://<bucket>/restate/prod/{metadata,snapshots}``.
Run as a script, or call ``build(outdir)``; the stack is written to
``<outdir>/stacks/existing-bucket/cdk.tf.json``.
"""

from __future__ import annotations

from cdktf_restate.synth_kernel import start_synth_kernel

# First, before cdktf: starts jsii's node kernel for a synth, which is faster that way
# (docs/synth-speed.md).
start_synth_kernel()

import os

import cdktf
from constructs import Construct

from cdktf_restate import AwsProvider, ObjectStorageProps, RestateEcsFargateCluster, Subnet
from cdktf_restate._tf import emulator_provider_arguments

STACK_NAME = "existing-bucket"
ENDPOINT_ENV = "CDKTF_RESTATE_AWS_ENDPOINT"
REGION = "eu-central-1"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
SUBNETS = {
    "eu-central-1a": "subnet-0a1a1a1a1a1a1a1a1",
    "eu-central-1b": "subnet-0b2b2b2b2b2b2b2b2",
    "eu-central-1c": "subnet-0c3c3c3c3c3c3c3c3",
}
BUCKET = "acme-restate-data"


class ExistingBucketStack(cdktf.TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        cdktf.LocalBackend(self, path="terraform.tfstate")
        endpoint = os.environ.get(ENDPOINT_ENV)
        AwsProvider(
            self,
            "aws",
            **(emulator_provider_arguments(endpoint, REGION) if endpoint else {"region": REGION}),
        )
        cluster = RestateEcsFargateCluster(
            self,
            "restate",
            cluster_name="acme-prod",
            vpc_id=VPC_ID,
            subnets=[
                Subnet(subnet_id=subnet, availability_zone=zone) for zone, subnet in SUBNETS.items()
            ],
            object_storage=ObjectStorageProps(bucket_name=BUCKET, prefix="restate/prod"),
        )
        cdktf.TerraformOutput(self, "ingress_url", value=cluster.ingress_url)
        cdktf.TerraformOutput(self, "admin_url", value=cluster.admin_url)


def build(outdir: str | None = None) -> str:
    """Synthesize the stack into ``outdir`` (default: ./cdktf.out); return its directory."""
    app = cdktf.App(outdir=outdir) if outdir else cdktf.App()
    ExistingBucketStack(app, STACK_NAME)
    app.synth()
    return os.path.join(app.outdir, "stacks", STACK_NAME)


if __name__ == "__main__":
    print(build())
