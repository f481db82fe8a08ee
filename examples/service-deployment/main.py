"""A cluster, a Python Lambda service and its registration, in one stack.

The function is published (``publish = true``): every code change makes a new version, and the
registration (an ``aws_lambda_invocation`` of the ServiceDeployer) registers that version with
Restate at ``terraform apply``. The cluster's Restate role may invoke the function and its
versions (``cluster.grant_invoke``, done by ``register``). See docs/services.md.

Run as a script (``python examples/service-deployment/main.py``) or call ``build(outdir)``;
``CDKTF_RESTATE_AWS_ENDPOINT`` points the AWS provider at a local emulator, as in minimal.
"""

from __future__ import annotations

from cdktf_restate.synth_kernel import start_synth_kernel

start_synth_kernel()

import importlib.util
import json
import os
import warnings
from pathlib import Path

import cdktf
from constructs import Construct

from cdktf_restate import AwsProvider, RestateEcsFargateCluster, ServiceDeployer
from cdktf_restate._tf import Resource, emulator_provider_arguments
from cdktf_restate.lambdas.build import cached_zip

STACK_NAME = "service-deployment"
ENDPOINT_ENV = "CDKTF_RESTATE_AWS_ENDPOINT"
REGION = "us-east-1"
HERE = Path(__file__).resolve().parent


def minimal_example():
    """The network of examples/minimal (VPC, private subnets, NAT, S3 endpoint, flow logs)."""
    spec = importlib.util.spec_from_file_location(
        "example_minimal_network", HERE.parent / "minimal" / "main.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        # Its start_synth_kernel() call comes after ours and has nothing left to do.
        warnings.simplefilter("ignore")
        spec.loader.exec_module(module)
    return module


def greeter_package() -> tuple[str, str]:
    """(zip path, source_code_hash): greeter.py plus ``package/`` when it was pip-installed."""
    sources: dict[str, tuple[Path | bytes, bool]] = {"greeter.py": (HERE / "greeter.py", False)}
    vendored = HERE / "package"
    if vendored.is_dir():
        for path in sorted(p for p in vendored.rglob("*") if p.is_file()):
            sources[str(path.relative_to(vendored))] = (path, False)
    built = cached_zip("example-greeter", sources)
    return str(built.path), built.source_code_hash


class ServiceDeploymentStack(cdktf.TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        cdktf.LocalBackend(self, path="terraform.tfstate")
        endpoint = os.environ.get(ENDPOINT_ENV)
        provider = emulator_provider_arguments(endpoint, REGION) if endpoint else {"region": REGION}
        AwsProvider(self, "aws", **provider)

        network = minimal_example()
        subnets = network.private_subnets_with_nat(self)
        vpc_id = subnets[0][0]
        cluster = RestateEcsFargateCluster(
            self, "restate", vpc_id=vpc_id, subnets=[s for _, s in subnets]
        )
        network.vpc_flow_logs(self, vpc_id=vpc_id, kms_key_arn=cluster.kms_key_arn)
        greeter = greeter_function(self, kms_key_arn=cluster.kms_key_arn)

        # The deployer runs next to the cluster: its admin URL is the internal NLB's.
        deployer = ServiceDeployer(
            self,
            "deployer",
            subnet_ids=[s.subnet_id for _, s in subnets],
            security_group_ids=cluster.security_group_ids,
            kms_key_arn=cluster.kms_key_arn,
        )
        registration = deployer.register(greeter.attr("qualified_arn"), cluster, id="greeter")

        cdktf.TerraformOutput(self, "ingress_url", value=cluster.ingress_url)
        cdktf.TerraformOutput(self, "admin_url", value=cluster.admin_url)
        cdktf.TerraformOutput(self, "greeter_deployment_id", value=registration.deployment_id)
        cdktf.TerraformOutput(self, "greeter_services", value=registration.services)


def greeter_function(scope: Construct, *, kms_key_arn: str) -> Resource:
    name = "restate-example-greeter"
    logs = Resource(
        scope,
        "greeter_logs",
        "aws_cloudwatch_log_group",
        {"name": f"/aws/lambda/{name}", "retention_in_days": 365, "kms_key_id": kms_key_arn},
    )
    dead_letters = Resource(
        scope,
        "greeter_dlq",
        "aws_sqs_queue",
        {"name": f"{name}-dlq", "kms_master_key_id": kms_key_arn},
    )
    role = Resource(
        scope,
        "greeter_role",
        "aws_iam_role",
        {
            "name": name,
            "assume_role_policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        },
    )
    policy = Resource(
        scope,
        "greeter_role_policy",
        "aws_iam_role_policy",
        {
            "name": "logs-and-dead-letters",
            "role": role.id_,
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": [f"{logs.arn}:*"],
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["sqs:SendMessage"],
                            "Resource": [dead_letters.arn],
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": [kms_key_arn],
                        },
                        {
                            # X-Ray has no resource-level permissions.
                            "Effect": "Allow",
                            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                            "Resource": ["*"],
                        },
                    ],
                }
            ),
        },
    )
    zip_path, code_hash = greeter_package()
    asset = cdktf.TerraformAsset(scope, "greeter_package", path=zip_path, type=cdktf.AssetType.FILE)
    return Resource(
        scope,
        "greeter",
        "aws_lambda_function",
        {
            "function_name": name,
            "role": role.arn,
            "runtime": "python3.12",
            "architectures": ["arm64"],
            "handler": "greeter.handler",
            "filename": asset.path,
            "source_code_hash": code_hash,
            # A version per code change: Restate pins invocations to the version registered.
            "publish": True,
            "timeout": 60,
            "reserved_concurrent_executions": 50,
            "tracing_config": [{"mode": "Active"}],
            "dead_letter_config": [{"target_arn": dead_letters.arn}],
            "kms_key_arn": kms_key_arn,
        },
        depends_on=[logs, policy],
    )


def build(outdir: str | None = None) -> str:
    """Synthesize the stack into ``outdir``; return its directory."""
    app = cdktf.App(outdir=outdir) if outdir else cdktf.App()
    ServiceDeploymentStack(app, STACK_NAME)
    app.synth()
    return os.path.join(app.outdir, "stacks", STACK_NAME)


if __name__ == "__main__":
    print(build())
