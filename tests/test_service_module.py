"""modules/restate-service-deployment: generated from ServiceDeployer without drift; every input's
validation fails `terraform plan` with the construct's own message for the same value; its IAM
as AWS (moto) receives it; examples/terraform-service validates and plans on moto."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cdktf_restate.devtools.emulator import Emulator, running_emulator
from cdktf_restate.devtools.terraform import Terraform
from cdktf_restate.schema import service_props as rules
from cdktf_restate.schema.errors import RestateConfigError
from cdktf_restate.terraform_module import service_module

REPO = Path(__file__).resolve().parents[1]
MODULE = REPO / "modules" / service_module.MODULE_NAME
ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"
VERSION_ARN = f"{FUNCTION_ARN}:3"
SUBNET = "subnet-0123456789abcdef0"
GROUP = "sg-0123456789abcdef0"
PROVIDER = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
%s
  }
}
"""
SERVICES = ("cloudwatchlogs", "ec2", "iam", "lambda", "sqs", "sts")


def provider(emulator: Emulator) -> str:
    return PROVIDER % "\n".join(f'    {s} = "{emulator.url}"' for s in SERVICES)


def normalized(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_committed_module_is_exactly_what_the_generator_writes(tmp_path: Path) -> None:
    written = service_module.generate(tmp_path / "module")
    names = sorted(str(p.relative_to(tmp_path / "module")) for p in written)
    committed = sorted(
        str(p.relative_to(MODULE))
        for p in MODULE.rglob("*")
        if p.is_file() and ".terraform" not in p.parts
    )
    assert names == committed
    for name in names:
        assert filecmp.cmp(tmp_path / "module" / name, MODULE / name, shallow=False), name
    with zipfile.ZipFile(MODULE / "lambda" / "service-deployer.zip") as package:
        source = REPO / "cdktf_restate" / "lambdas" / "service_deployer.py"
        assert package.read("service_deployer.py") == source.read_bytes()


def test_every_input_has_a_validation_block() -> None:
    text = (MODULE / "variables.tf").read_text()
    for item in service_module.INPUTS:
        block = text.split(f'variable "{item.name}" {{', 1)[1].split("\nvariable ", 1)[0]
        assert "validation {" in block, item.name


# ---------------------------------------------------------------- bad input: same messages


def deployer_props(**fields: Any) -> None:
    """The construct's schema on one bad deployer field (the others good)."""
    values: dict[str, Any] = {"subnet_ids": [SUBNET], "security_group_ids": [GROUP], **fields}
    rules.validate_deployer_props(rules.ServiceDeployerProps(**values))


@dataclass(frozen=True)
class Bad:
    arguments: dict[str, str]  # HCL values replacing the good ones
    construct: Callable[[], None]  # the construct's rule on the same value


GOOD = {
    "admin_url": '"http://internal-nlb.elb.us-east-1.amazonaws.com:9070"',
    "function_version_arn": f'"{VERSION_ARN}"',
    "subnet_ids": f'["{SUBNET}"]',
    "security_group_ids": f'["{GROUP}"]',
}
BAD = {
    "admin_not_http": Bad(
        {"admin_url": '"internal-nlb:9070"'},
        lambda: rules.check_http_url("admin_url", "internal-nlb:9070"),
    ),
    "admin_without_host": Bad(
        {"admin_url": '"http://:9070"'}, lambda: rules.check_http_url("admin_url", "http://:9070")
    ),
    "admin_port_too_big": Bad(
        {"admin_url": '"http://nlb:99999"'},
        lambda: rules.check_http_url("admin_url", "http://nlb:99999"),
    ),
    "unqualified_function": Bad(
        {"function_version_arn": f'"{FUNCTION_ARN}"'},
        lambda: rules.check_function_version_arn("function_version_arn", FUNCTION_ARN),
    ),
    "latest": Bad(
        {"function_version_arn": f'"{FUNCTION_ARN}:$LATEST"'},
        lambda: rules.check_function_version_arn("function_version_arn", f"{FUNCTION_ARN}:$LATEST"),
    ),
    "malformed_function": Bad(
        {"function_version_arn": '"arn:aws:lambda:us-east-1:1:fn:x:1"'},
        lambda: rules.check_function_version_arn(
            "function_version_arn", "arn:aws:lambda:us-east-1:1:fn:x:1"
        ),
    ),
    "malformed_role": Bad(
        {"assume_role_arn": '"role/x"'}, lambda: rules.check_role_arn("assume_role_arn", "role/x")
    ),
    "no_subnets": Bad(
        {"subnet_ids": "[]"}, lambda: deployer_props(subnet_ids=[])
    ),
    "bad_subnet": Bad(
        {"subnet_ids": '["subnet-x"]'},
        lambda: deployer_props(subnet_ids=["subnet-x"]),
    ),
    "no_security_groups": Bad(
        {"security_group_ids": "[]"},
        lambda: deployer_props(security_group_ids=[]),
    ),
    "http_port_zero": Bad(
        {"function_version_arn": "null", "http_uri": '"http://orders.internal:0"'},
        lambda: rules.check_http_url("http_uri", "http://orders.internal:0"),
    ),
    "wait_too_long": Bad(
        {"wait_seconds": "5000"}, lambda: deployer_props(wait_seconds=5000)
    ),
    "bad_name": Bad(
        {"name": '"bad name"'},
        lambda: deployer_props(name="bad name"),
    ),
    "bad_kms": Bad(
        {"kms_key_arn": '"key-1"'},
        lambda: deployer_props(kms_key_arn="key-1"),
    ),  # fmt: skip
    "negative_retention": Bad(
        {"log_retention_days": "-1"}, lambda: deployer_props(log_retention_days=-1)
    ),
}
#: Rules over two inputs: resource preconditions (Terraform checks them once variables pass).
PRECONDITIONS = {
    "function_and_uri": (
        {"http_uri": '"http://orders.internal:9080"'},
        "function_version_arn, http_uri: exactly one must be set",
    ),
    "neither": ({"function_version_arn": "null"}, "function_version_arn, http_uri: exactly one"),
    "grant_with_uri": (
        {
            "function_version_arn": "null",
            "http_uri": '"http://orders.internal:9080"',
            "restate_task_role_name": '"module-restate-task"',
        },
        "restate_task_role_name: a grant to invoke needs a function",
    ),
    "assume_role_with_uri": (
        {
            "function_version_arn": "null",
            "http_uri": '"http://orders.internal:9080"',
            "assume_role_arn": f'"arn:aws:iam::{ACCOUNT}:role/x"',
        },
        "assume_role_arn: only for a Lambda function",
    ),
}


def module_block(name: str, arguments: dict[str, str]) -> str:
    values = {**GOOD, **arguments}
    body = "".join(f"  {key} = {value}\n" for key, value in values.items())
    return f'module "{name}" {{\n  source = "{MODULE}"\n{body}}}\n'


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with running_emulator() as running:
        yield running


def plan_instances(root: Path, emulator: Emulator, blocks: str) -> subprocess.CompletedProcess[str]:
    root.mkdir(parents=True)
    (root / "main.tf").write_text(provider(emulator) + blocks)
    terraform = Terraform(root)
    terraform.init()
    return terraform.run("plan", "-input=false", "-lock=false", check=False)


@pytest.fixture(scope="module")
def bad_plan(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> str:
    blocks = "".join(module_block(name, bad.arguments) for name, bad in BAD.items())
    result = plan_instances(tmp_path_factory.mktemp("bad") / "root", emulator, blocks)
    assert result.returncode != 0
    return result.stderr


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_fails_plan_with_the_construct_message(name: str, bad_plan: str) -> None:
    with pytest.raises(RestateConfigError) as error:
        BAD[name].construct()
    message = normalized(str(error.value))
    errors = [normalized(block) for block in bad_plan.split("Error: ")[1:]]
    matching = [block for block in errors if message in block]
    assert matching, (message, errors[:3])
    assert all(f'in module "{name}"' in block for block in matching)


@pytest.mark.parametrize("name", sorted(PRECONDITIONS))
def test_rules_over_two_inputs_fail_plan(name: str, tmp_path: Path, emulator: Emulator) -> None:
    arguments, message = PRECONDITIONS[name]
    result = plan_instances(tmp_path / "root", emulator, module_block(name, arguments))
    assert result.returncode != 0
    assert message in normalized(result.stderr)


# ---------------------------------------------------------------- good input: IAM on moto


def test_module_iam_as_aws_receives_it(tmp_path: Path, emulator: Emulator) -> None:
    """kms_key_arn null (the policy's key statement is left out in Terraform) and the grant to
    the cluster's role: applied on moto (not the function: moto runs no Lambdas), then read."""
    extra = 'resource "aws_iam_role" "cluster" {\n  name = "module-restate-task"\n' + (
        '  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = '
        '"Allow", Principal = { Service = "ecs-tasks.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\n'
    )
    block = module_block(
        "svc",
        {"restate_task_role_name": "aws_iam_role.cluster.name", "name": '"module-orders-deployer"'},
    )
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(provider(emulator) + extra + block)
    terraform = Terraform(root)
    terraform.init()
    terraform.validate()
    terraform.plan()
    plan = terraform.show_json()
    actions = {c["address"]: c["change"]["actions"] for c in plan["resource_changes"]}
    assert actions["module.svc.aws_lambda_invocation.deployer_registration"] == ["create"]
    registration = next(
        c for c in plan["resource_changes"]
        if c["address"] == "module.svc.aws_lambda_invocation.deployer_registration"
    )  # fmt: skip
    assert json.loads(registration["change"]["after"]["input"]) == {
        "admin_url": "http://internal-nlb.elb.us-east-1.amazonaws.com:9070",
        "deployment": {"arn": VERSION_ARN, "assume_role_arn": None, "uri": None},
        "force": False,
        "wait_seconds": 600,
    }
    assert registration["change"]["after"]["lifecycle_scope"] == "CRUD"
    targets = [
        "-target=module.svc.aws_iam_role_policy.deployer_role_policy",
        "-target=module.svc.aws_iam_role_policy.invoke_grant",
    ]
    terraform.run("apply", "-input=false", "-auto-approve", *targets)
    iam = emulator.client("iam")
    grant = iam.get_role_policy(
        RoleName="module-restate-task", PolicyName="invoke-module-orders-deployer"
    )
    assert grant["PolicyDocument"]["Statement"] == [
        {
            "Sid": "InvokeRestateServices",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [FUNCTION_ARN, f"{FUNCTION_ARN}:*"],
        }
    ]
    policy = iam.get_role_policy(RoleName="module-orders-deployer", PolicyName="least-privilege")
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert set(statements) == {
        "WriteOwnLogs",
        "DeadLetters",
        "Tracing",
        "CreateVpcInterfaces",
        "ManageVpcInterfaces",
        "DescribeVpcInterfaces",
    }  # fmt: skip  (no key statement without a key)
    assert statements["CreateVpcInterfaces"]["Resource"] == [
        "arn:aws:ec2:*:*:network-interface/*",
        f"arn:aws:ec2:*:*:subnet/{SUBNET}",
        f"arn:aws:ec2:*:*:security-group/{GROUP}",
    ]
    assert statements["WriteOwnLogs"]["Resource"].endswith(
        ":log-group:/aws/lambda/module-orders-deployer:*"
    )
    assert statements["DeadLetters"]["Resource"].endswith(":module-orders-deployer-dlq")
    for sid in ("Tracing", "DescribeVpcInterfaces"):
        assert statements[sid]["Resource"] == "*"
    queue_url = emulator.client("sqs").get_queue_url(QueueName="module-orders-deployer-dlq")[
        "QueueUrl"
    ]
    attributes = emulator.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["All"]
    )["Attributes"]
    assert attributes.get("SqsManagedSseEnabled") == "true"  # no key: SQS-managed encryption


# ---------------------------------------------------------------- examples/terraform-service


def test_terraform_service_example_validates_and_plans(tmp_path: Path, emulator: Emulator) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(
        REPO / "examples" / "terraform-service", tree / "examples" / "terraform-service"
    )
    shutil.copytree(MODULE, tree / "modules" / service_module.MODULE_NAME)
    example = tree / "examples" / "terraform-service"
    with zipfile.ZipFile(example / "greeter.zip", "w") as package:
        package.write(REPO / "examples" / "service-deployment" / "greeter.py", "greeter.py")
    terraform = Terraform(example)
    terraform.init()
    terraform.validate()
    variables: dict[str, Any] = {
        "aws_endpoint": emulator.url,
        "admin_url": "http://internal-restate.elb.us-east-1.amazonaws.com:9070",
        "restate_task_role_arn": f"arn:aws:iam::{ACCOUNT}:role/module-restate-task",
        "subnet_ids": json.dumps([SUBNET]),
        "security_group_ids": json.dumps([GROUP]),
    }
    arguments = [f"-var={key}={value}" for key, value in variables.items()]
    terraform.run("plan", "-input=false", "-lock=false", "-out=tfplan", *arguments)
    plan = terraform.show_json()
    changes = {c["address"]: c["change"] for c in plan["resource_changes"]}
    registration = changes["module.orders_registration.aws_lambda_invocation.deployer_registration"]
    assert registration["actions"] == ["create"]
    assert registration["after_unknown"]["input"] is True  # the version is published at apply
    trust = json.loads(changes["aws_iam_role.invoker"]["after"]["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"AWS": variables["restate_task_role_arn"]}
    # The module's own grant is off: the invoker role is assumed instead.
    assert "module.orders_registration.aws_iam_role_policy.invoke_grant[0]" not in changes
