"""The shared tooling works: emulator on loopback, terraform with the local mirror."""

import json

import boto3
import cdktf

from cdktf_restate._tf import AwsProvider, Resource, emulator_provider_arguments
from cdktf_restate.devtools.emulator import running_emulator
from cdktf_restate.devtools.terraform import Terraform


def test_generic_resource_plans_and_applies_against_emulator(tmp_path):
    with running_emulator() as emulator:
        app = cdktf.App(outdir=str(tmp_path / "out"))
        stack = cdktf.TerraformStack(app, "probe")
        cdktf.LocalBackend(stack, path="terraform.tfstate")
        AwsProvider(stack, "aws", **emulator_provider_arguments(emulator.url))
        bucket = Resource(
            stack, "bucket", "aws_s3_bucket", {"bucket": "probe-bucket", "tags": None}
        )
        cdktf.TerraformOutput(stack, "bucket_arn", value=bucket.arn)
        app.synth()
        workdir = tmp_path / "out" / "stacks" / "probe"
        synthesized = json.loads((workdir / "cdk.tf.json").read_text())
        assert synthesized["resource"]["aws_s3_bucket"]["bucket"]["bucket"] == "probe-bucket"
        assert "tags" not in synthesized["resource"]["aws_s3_bucket"]["bucket"]

        tf = Terraform(workdir)
        tf.init()
        tf.validate()
        assert tf.plan().returncode == 2  # changes present
        tf.apply()
        s3 = boto3.client("s3", endpoint_url=emulator.url, region_name="us-east-1")
        assert "probe-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert tf.output_json()["bucket_arn"]["value"] == "arn:aws:s3:::probe-bucket"
        assert tf.plan().returncode == 0  # no drift
