"""ServiceDeployer, RestateEnvironment, RestateInvokerRole and cluster.grant_invoke: bad input
fails before synthesis; synthesized stacks validate with the real provider schema and plan
against moto; every IAM policy is asserted statement by statement."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cdktf
import pytest

from cdktf_restate import (
    AwsProvider,
    RestateConfigError,
    RestateEcsFargateCluster,
    RestateEnvironment,
    RestateInvokerRole,
    ServiceDeployer,
    Subnet,
)
from cdktf_restate.cli.plan_review import render_markdown, review
from cdktf_restate.devtools.emulator import running_emulator
from cdktf_restate.devtools.terraform import Terraform
from cdktf_restate.schema import props as cluster_props

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
VERSION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders:7"
ALIAS_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders:live"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"
CLUSTER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/platform-restate-task"
ADMIN_URL = "http://internal-restate-nlb.elb.us-east-1.amazonaws.com:9070"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
GROUPS = ["sg-0123456789abcdef0"]
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
Doc = dict[str, Any]


def synth(tmp_path: Path, build: Callable[[cdktf.TerraformStack], None]) -> tuple[Doc, Path]:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "services")
    cdktf.LocalBackend(stack, path="terraform.tfstate")
    AwsProvider(stack, "aws", region="us-east-1")
    build(stack)
    app.synth()
    stack_dir = tmp_path / "stacks" / "services"
    return json.loads((stack_dir / "cdk.tf.json").read_text()), stack_dir


def deployer(stack: cdktf.TerraformStack, **extra: Any) -> ServiceDeployer:
    return ServiceDeployer(
        stack, "deployer", subnet_ids=SUBNETS, security_group_ids=GROUPS, **extra
    )


def environment() -> RestateEnvironment:
    return RestateEnvironment.from_attributes(admin_url=ADMIN_URL, invoker_role_arn=CLUSTER_ROLE)


def of_type(doc: Doc, resource_type: str) -> dict[str, Doc]:
    return doc["resource"].get(resource_type, {})


def policy(doc: Doc, contains: str) -> Doc:
    (match,) = [p for name, p in of_type(doc, "aws_iam_role_policy").items() if contains in name]
    return match


# ---------------------------------------------------------------- bad input, before synthesis
BAD_INPUTS: list[tuple[str, Callable[[cdktf.TerraformStack], Any], str]] = [
    (
        "admin url without http(s)",
        lambda s: RestateEnvironment.from_attributes(
            admin_url="internal-nlb:9070", invoker_role_arn=CLUSTER_ROLE
        ),
        "admin_url: 'internal-nlb:9070' is not an http(s) URL with a host; allowed:",
    ),
    (
        "admin url without host",
        lambda s: RestateEnvironment.from_attributes(
            admin_url="http://:9070", invoker_role_arn=CLUSTER_ROLE
        ),
        "admin_url: 'http://:9070' is not an http(s) URL with a host",
    ),
    (
        "malformed invoker role",
        lambda s: RestateEnvironment.from_attributes(
            admin_url=ADMIN_URL, invoker_role_arn="arn:aws:iam::123:role/x"
        ),
        "invoker_role_arn: 'arn:aws:iam::123:role/x' is not an IAM role ARN; allowed: "
        "arn:aws:iam::ACCOUNT:role/NAME",
    ),
    (
        "unqualified function",
        lambda s: deployer(s).register(FUNCTION_ARN, environment()),
        f"function_version_arn: '{FUNCTION_ARN}' is not a published version or alias; allowed:",
    ),
    (
        "$LATEST",
        lambda s: deployer(s).register(f"{FUNCTION_ARN}:$LATEST", environment()),
        "is not a published version or alias; allowed: a published version or alias ARN",
    ),
    (
        "malformed function ARN",
        lambda s: deployer(s).register("arn:aws:lambda:us-east-1:1:fn:x:1", environment()),
        "function_version_arn: 'arn:aws:lambda:us-east-1:1:fn:x:1' is not a Lambda function ARN",
    ),
    (
        "malformed assume role",
        lambda s: deployer(s).register(VERSION_ARN, environment(), assume_role_arn="role/x"),
        "assume_role_arn: 'role/x' is not an IAM role ARN",
    ),
    (
        "no subnets",
        lambda s: ServiceDeployer(s, "d", subnet_ids=[], security_group_ids=GROUPS),
        "subnet_ids: [] names no subnet; allowed: at least one subnet id",
    ),
    (
        "no security groups",
        lambda s: ServiceDeployer(s, "d", subnet_ids=SUBNETS, security_group_ids=[]),
        "security_group_ids: [] names no security group; allowed:",
    ),
    (
        "malformed subnet id",
        lambda s: ServiceDeployer(s, "d", subnet_ids=["subnet-x"], security_group_ids=GROUPS),
        "subnet_ids[0]: 'subnet-x' is not a subnet id",
    ),
    (
        "http uri with port 0",
        lambda s: deployer(s).register_http("http://orders.internal:0", environment()),
        "uri: 'http://orders.internal:0' has port 0; allowed: http(s)://host[:port][/path] "
        "with a port of 1-65535",
    ),
    (
        "http uri with port 70000",
        lambda s: deployer(s).register_http("http://orders.internal:70000/", environment()),
        "uri: 'http://orders.internal:70000/' has port 70000",
    ),
    (
        "http uri with a non-numeric port",
        lambda s: deployer(s).register_http("http://orders.internal:http", environment()),
        "uri: 'http://orders.internal:http' is not an http(s) URL with a host",
    ),
    (
        "wait out of range",
        lambda s: deployer(s, wait_seconds=5000),
        "wait_seconds: 5000 is out of range; allowed: an integer of 10-780 seconds",
    ),
]


@pytest.mark.parametrize(("case", "build", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_before_synthesis_naming_the_property(
    tmp_path: Path, case: str, build: Callable[[cdktf.TerraformStack], Any], message: str
) -> None:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "bad")
    AwsProvider(stack, "aws", region="us-east-1")
    with pytest.raises(RestateConfigError) as error:
        build(stack)
    assert message in str(error.value)
    assert not (tmp_path / "stacks" / "bad" / "cdk.tf.json").exists()


def test_good_inputs_pass(tmp_path: Path) -> None:
    def build(stack: cdktf.TerraformStack) -> None:
        d = deployer(stack)
        d.register(VERSION_ARN, environment(), id="version")
        d.register(ALIAS_ARN, environment(), id="alias")
        d.register_http("https://orders.internal:9080/restate", environment(), id="https")
        d.register_http("http://10.0.3.7", environment(), id="no_port")

    doc, _ = synth(tmp_path, build)
    assert len(of_type(doc, "aws_lambda_invocation")) == 4


# ---------------------------------------------------------------- federated stack
def federated(stack: cdktf.TerraformStack) -> None:
    """An application stack: the cluster is elsewhere (its outputs given as attributes)."""
    target = environment()
    invoker = RestateInvokerRole(
        stack, "invoker", restate_role_arn=target.invoker_role_arn, functions=[VERSION_ARN]
    )
    d = deployer(
        stack, kms_key_arn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc", name="orders-deployer"
    )
    registration = d.register(VERSION_ARN, target, id="orders", assume_role_arn=invoker.arn)
    d.register_http("http://orders.internal:9080", target, id="orders_http")
    cdktf.TerraformOutput(stack, "deployment_id", value=registration.deployment_id)
    cdktf.TerraformOutput(stack, "services", value=registration.services)


@pytest.fixture(scope="module")
def federated_stack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Doc, Path]:
    return synth(tmp_path_factory.mktemp("federated"), federated)


def test_registration_is_a_crud_lambda_invocation_of_the_deployer(
    federated_stack: tuple[Doc, Path],
) -> None:
    doc, _ = federated_stack
    invocations = of_type(doc, "aws_lambda_invocation")
    orders = next(
        v for k, v in invocations.items() if k.startswith("deployer_orders_") and "http" not in k
    )
    assert orders["lifecycle_scope"] == "CRUD"
    assert orders["terraform_key"] == "tf"
    assert orders["function_name"].startswith("${aws_lambda_function.deployer_function_")
    assert "aws_lambda_function.deployer_function_" in orders["depends_on"][0]
    payload = orders["input"]
    assert f'"arn" = "{VERSION_ARN}"' in payload
    assert "aws_iam_role.invoker_role_" in payload  # assume_role_arn = the invoker role
    assert ADMIN_URL in payload and '"wait_seconds" = 600' in payload.replace('\\"', '"')
    # Literal inputs were checked in Python: no Terraform precondition needed.
    assert "lifecycle" not in orders
    assert set(doc["output"]) == {"deployment_id", "services"}
    assert doc["output"]["deployment_id"]["value"].startswith(
        "${jsondecode(aws_lambda_invocation.deployer_orders_"
    ) and doc["output"]["deployment_id"]["value"].endswith(".result).id}")


def test_federated_iam_resource_by_resource(federated_stack: tuple[Doc, Path]) -> None:
    doc, _ = federated_stack
    roles = of_type(doc, "aws_iam_role")
    assert len(roles) == 2  # the deployer's and the invoker role; the cluster's is elsewhere
    invoker = next(v for k, v in roles.items() if k.startswith("invoker_role_"))
    assert json.loads(invoker["assume_role_policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyTheRestateCluster",
                "Effect": "Allow",
                "Principal": {"AWS": CLUSTER_ROLE},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    assert json.loads(policy(doc, "invoker_policy")["policy"])["Statement"] == [
        {
            "Sid": "InvokeRestateServices",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [FUNCTION_ARN, f"{FUNCTION_ARN}:*"],
        }
    ]
    deployer_role = next(v for k, v in roles.items() if k.startswith("deployer_role_"))
    assert json.loads(deployer_role["assume_role_policy"])["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    assert len(of_type(doc, "aws_iam_role_policy")) == 2  # nothing granted to anyone else


def test_deployer_function_log_group_and_package(federated_stack: tuple[Doc, Path]) -> None:
    doc, stack_dir = federated_stack
    (function,) = of_type(doc, "aws_lambda_function").values()
    assert function["function_name"] == "orders-deployer"
    assert function["handler"] == "service_deployer.handler"
    assert function["runtime"] == "python3.12"
    assert function["timeout"] == 900
    assert function["vpc_config"] == [{"subnet_ids": SUBNETS, "security_group_ids": GROUPS}]
    assert function["tracing_config"] == [{"mode": "Active"}]
    assert function["reserved_concurrent_executions"] == 4
    assert function["kms_key_arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc"
    (log_group,) = of_type(doc, "aws_cloudwatch_log_group").values()
    assert log_group["name"] == "/aws/lambda/orders-deployer"
    assert log_group["retention_in_days"] == 365
    assert log_group["kms_key_id"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc"

    text = policy(doc, "deployer_role-policy")["policy"]
    assert "lambda:" not in text and "sts:" not in text  # the deployer calls only Restate
    # Its statements as AWS receives them: test_federated_stack_validates_and_plans_...

    # The package is the handler alone, byte for byte.
    import zipfile

    with zipfile.ZipFile(stack_dir / function["filename"]) as package:
        assert package.namelist() == ["service_deployer.py"]
        source = (REPO / "cdktf_restate/lambdas/service_deployer.py").read_bytes()
        assert package.read("service_deployer.py") == source


def test_federated_stack_validates_and_plans_against_the_emulator(
    federated_stack: tuple[Doc, Path], tmp_path: Path
) -> None:
    _, stack_dir = federated_stack
    with running_emulator() as emulator:
        stack_doc = json.loads((stack_dir / "cdk.tf.json").read_text())
        from cdktf_restate._tf import emulator_provider_arguments

        stack_doc["provider"]["aws"] = [emulator_provider_arguments(emulator.url)]
        (stack_dir / "cdk.tf.json").write_text(json.dumps(stack_doc))
        terraform = Terraform(stack_dir)
        terraform.init()
        terraform.validate()
        terraform.plan()
        plan = terraform.show_json()
        # The deployer's policy as AWS receives it (its ARNs are known once the log group and
        # queue exist): apply it and what it needs, not the function (moto runs no Lambdas).
        (policy_address,) = [
            c["address"]
            for c in plan["resource_changes"]
            if c["address"].startswith("aws_iam_role_policy.deployer_role-policy")
        ]
        terraform.run("apply", "-input=false", "-auto-approve", f"-target={policy_address}")
        iam = emulator.client("iam")
        document = iam.get_role_policy(RoleName="orders-deployer", PolicyName="least-privilege")[
            "PolicyDocument"
        ]
        log_group = emulator.client("logs").describe_log_groups()["logGroups"][0]["arn"]
        queue_url = emulator.client("sqs").get_queue_url(QueueName="orders-deployer-dlq")[
            "QueueUrl"
        ]
        queue = emulator.client("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
    statements = {s.pop("Sid"): s for s in document["Statement"]}
    kms = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc"
    assert statements == {
        "WriteOwnLogs": {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group.removesuffix(':*')}:*",
        },
        "DeadLetters": {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queue},
        # X-Ray and EC2 Describe calls have no resource-level permissions in AWS.
        "Tracing": {
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
        "UseClusterKey": {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": kms,
        },
        "CreateVpcInterfaces": {
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface"],
            "Resource": [
                "arn:aws:ec2:*:*:network-interface/*",
                *[f"arn:aws:ec2:*:*:subnet/{s}" for s in SUBNETS],
                f"arn:aws:ec2:*:*:security-group/{GROUPS[0]}",
            ],
        },
        "ManageVpcInterfaces": {
            "Effect": "Allow",
            "Action": [
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": "arn:aws:ec2:*:*:network-interface/*",
        },
        "DescribeVpcInterfaces": {
            "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "Resource": "*",
        },
    }
    changes = {c["address"]: c for c in plan["resource_changes"]}
    invocations = [a for a in changes if a.startswith("aws_lambda_invocation.")]
    assert len(invocations) == 2
    for address in invocations:
        assert changes[address]["change"]["actions"] == ["create"]
    comment = render_markdown(review(plan))
    assert (
        "| service registrations | + add | `aws_lambda_invocation.deployer_orders_http" in comment
    )
    assert "registers `http://orders.internal:9080` with Restate during apply" in comment


# ---------------------------------------------------------------- one stack with the cluster
def load_example(name: str) -> Any:
    path = REPO / "examples" / name / "main.py"
    spec = importlib.util.spec_from_file_location(f"example_{name.replace('-', '_')}_svc", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_grant_invoke_names_the_function_and_its_versions_only(tmp_path: Path) -> None:
    def build(stack: cdktf.TerraformStack) -> None:
        cluster = RestateEcsFargateCluster(
            stack,
            "restate",
            vpc_id="vpc-0000aaaa",
            subnets=[
                Subnet(subnet_id=f"subnet-0000000{i}", availability_zone=z)
                for i, z in enumerate(ZONES)
            ],
            restatectl=cluster_props.RestatectlProps(disabled=True),
            retirement_watcher=cluster_props.RetirementWatcherProps(disabled=True),
        )
        cluster.grant_invoke(VERSION_ARN)  # a version: its function and all versions/aliases
        cluster.grant_assume_role("arn:aws:iam::210987654321:role/orders-invoker")
        d = ServiceDeployer(stack, "deployer", subnet_ids=SUBNETS, security_group_ids=GROUPS)
        d.register(ALIAS_ARN, cluster, id="orders_live")

    doc, _ = synth(tmp_path, build)
    grants = {k: json.loads(v["policy"]) for k, v in of_type(doc, "aws_iam_role_policy").items()
              if "_grant_" in k}  # fmt: skip
    assert len(grants) == 3  # the explicit grant, the assume grant, register's own grant
    for name, document in grants.items():
        (statement,) = document["Statement"]
        if "assume" in name:
            assert statement["Action"] == ["sts:AssumeRole"]
            assert statement["Resource"] == ["arn:aws:iam::210987654321:role/orders-invoker"]
        else:
            assert statement["Action"] == ["lambda:InvokeFunction"]
            assert statement["Resource"] == [FUNCTION_ARN, f"{FUNCTION_ARN}:*"]
    for name, grant in of_type(doc, "aws_iam_role_policy").items():
        if "_grant_" in name:
            assert grant["role"].startswith("${aws_iam_role.restate_restate_task_role_")
    # The cluster's own invocation is its destroy-time cleanup (cluster/cleanup.py).
    (invocation,) = [
        v for k, v in of_type(doc, "aws_lambda_invocation").items() if "cleanup" not in k
    ]
    assert any("restate_invoke_grant_3" in d for d in invocation["depends_on"])


def test_service_deployment_example_plans_against_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_emulator() as emulator:
        monkeypatch.setenv("CDKTF_RESTATE_AWS_ENDPOINT", emulator.url)
        stack_dir = Path(load_example("service-deployment").build(str(tmp_path)))
        terraform = Terraform(stack_dir)
        terraform.init()
        terraform.plan()
        plan = terraform.show_json()
    changes = {c["address"]: c["change"] for c in plan["resource_changes"]}
    (registration,) = [
        a for a in changes if a.startswith("aws_lambda_invocation.") and "cleanup" not in a
    ]
    assert changes[registration]["actions"] == ["create"]
    assert changes[registration]["after"]["lifecycle_scope"] == "CRUD"
    (grant,) = [a for a in changes if "restate_invoke_grant" in a]
    assert changes[grant]["after_unknown"].get("policy") is True  # the function's ARN is new
    comment = render_markdown(review(plan))
    assert f"| service registrations | + add | `{registration}`" in comment
    assert (
        f"Service registration `{registration}` registers (known after apply) with Restate during apply"
        in comment
    )
