"""The destroy-time cleanup step, fast: what the construct synthesizes (cluster/cleanup.py),
what the handler does per lifecycle action (lambdas/cluster_cleanup.py), and how plan-review
reads the step. The end-to-end run on moto is tests/test_destroy_cleanup_apply.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cdktf
import pytest

from cdktf_restate import (
    ControllerProps,
    DestroyCleanupProps,
    RestatectlProps,
    RestateEcsFargateCluster,
    RetirementWatcherProps,
    Subnet,
)
from cdktf_restate._tf import AwsProvider
from cdktf_restate.cli import plan_review
from cdktf_restate.lambdas import cluster_cleanup

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
Doc = dict[str, Any]


def synth(tmp_path: Path, **options: Any) -> Doc:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "probe")
    AwsProvider(stack, "aws", region="us-east-1")
    subnets = [
        Subnet(subnet_id=f"subnet-0000000{i}", availability_zone=z) for i, z in enumerate(ZONES)
    ]
    RestateEcsFargateCluster(
        stack,
        "restate",
        vpc_id="vpc-0000aaaa",
        subnets=subnets,
        restatectl=RestatectlProps(disabled=True),
        retirement_watcher=RetirementWatcherProps(disabled=True),
        **options,
    )
    app.synth()
    return json.loads((tmp_path / "stacks" / "probe" / "cdk.tf.json").read_text())


def only(doc: Doc, resource_type: str, contains: str) -> tuple[str, Doc]:
    matches = [(k, v) for k, v in doc["resource"].get(resource_type, {}).items() if contains in k]
    assert len(matches) == 1, (resource_type, contains, matches)
    return matches[0]


def address(doc: Doc, resource_type: str, contains: str) -> str:
    return f"{resource_type}.{only(doc, resource_type, contains)[0]}"


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Doc:
    return synth(tmp_path_factory.mktemp("cleanup"))


def test_the_invocation_is_crud_and_destroyed_before_what_the_tasks_hold(default: Doc) -> None:
    _, invocation = only(default, "aws_lambda_invocation", "destroy_cleanup")
    assert invocation["lifecycle_scope"] == "CRUD"
    assert invocation["terraform_key"] == "tf"
    # Text, not a reference: a replaced function must not replace (= run) the invocation.
    assert invocation["function_name"] == "probe-restate-destroy-cleanup"
    depends_on = set(invocation["depends_on"])
    for must in (
        address(default, "aws_lambda_function", "destroy_cleanup"),
        address(default, "aws_ecs_cluster", "ecs_cluster"),
        address(default, "aws_security_group", "security_group"),
        address(default, "aws_ecs_service", "controller_service"),
        address(default, "aws_ecs_task_definition", "controller_task_definition"),
        address(default, "aws_ecs_task_definition", "stateful_task_definition"),
        address(default, "aws_iam_role", "restate_task_role"),
        address(default, "aws_iam_role", "restate_execution_role"),
        address(default, "aws_iam_role", "controller_task_role"),
        address(default, "aws_iam_role", "controller_execution_role"),
        address(default, "aws_cloudwatch_log_group", "log_group_restate"),
        address(default, "aws_cloudwatch_log_group", "log_group_controller"),
    ):
        assert must in depends_on, must
    # The cleanup's options travel in the input Terraform sends back with the delete.
    text = invocation["input"]
    for key in ("ecs_cluster", "cluster_name", "controller_service", "delete_storage"):
        assert f'"{key}" =' in text, text
    assert '"cluster_name" = "probe-restate"' in text
    assert re.search(r'"ecs_cluster" = aws_ecs_cluster\.\w+\.arn', text)
    assert re.search(
        r'"controller_service" = aws_ecs_service\.restate_controller_service\w*\.name', text
    )
    assert '"delete_storage" = false' in text  # default retention 7 days: storage is kept


def test_the_function_is_outside_the_vpc_encrypted_and_logged(default: Doc) -> None:
    _, function = only(default, "aws_lambda_function", "destroy_cleanup")
    assert function["handler"] == "cluster_cleanup.handler"
    assert function["runtime"] == "python3.12"
    assert function["timeout"] == 900
    assert function["reserved_concurrent_executions"] == 1
    assert "vpc_config" not in function  # an ENI of its own would hold the security group
    assert function["kms_key_arn"].startswith("${aws_kms_key.")
    _, log_group = only(default, "aws_cloudwatch_log_group", "destroy_cleanup")
    assert log_group["name"] == "/aws/lambda/probe-restate-destroy-cleanup"
    assert log_group["kms_key_id"].startswith("${aws_kms_key.")
    assert log_group["retention_in_days"] == 365


def test_the_role_may_do_exactly_the_cleanup_steps(default: Doc) -> None:
    _, policy = only(default, "aws_iam_role_policy", "destroy_cleanup")
    text = policy["policy"]
    statements = {
        sid: (actions, body)
        for sid, actions, body in re.findall(
            r'\{"Sid" = "(\w+)", "Effect" = "Allow", "Action" = \[([^\]]*)\], (.*?)\}(?=, \{"Sid"|\]\}\)\})',
            text,
        )
    }
    actions = {
        sid: sorted(re.findall(r'"([a-z0-9]+:\w+)"', listed))
        for sid, (listed, _) in statements.items()
    }
    assert actions == {
        "WriteOwnLogs": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "DeadLetters": ["sqs:SendMessage"],
        "Tracing": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        "UseClusterKey": ["kms:Decrypt", "kms:GenerateDataKey"],
        "FindThisEcsCluster": ["ecs:DescribeClusters"],
        "StopTheController": ["ecs:DescribeServices", "ecs:UpdateService"],
        "StopThisClustersTasks": ["ecs:DescribeTasks", "ecs:ListTasks", "ecs:StopTask"],
        "ListVolumesAndSnapshots": ["ec2:DescribeSnapshots", "ec2:DescribeVolumes"],
        "DeleteThisClustersStorage": ["ec2:DeleteSnapshot", "ec2:DeleteVolume"],
    }
    body = {sid: rest for sid, (_, rest) in statements.items()}
    assert re.fullmatch(
        r'"Resource" = aws_ecs_service\.restate_controller_service\w*\.id',
        body["StopTheController"],
    )
    assert '"Resource" = "*"' in body["StopThisClustersTasks"]
    assert re.search(r'"ecs:cluster" = aws_ecs_cluster\.\w+\.arn', body["StopThisClustersTasks"])
    storage = body["DeleteThisClustersStorage"]
    assert ':volume/*"' in storage and '::snapshot/*"' in storage
    assert '"aws:ResourceTag/restate:cluster" = "probe-restate"' in storage
    assert '"aws:ResourceTag/restate:managed-by" = "cdktf-restate-controller"' in storage


@pytest.mark.parametrize(
    ("options", "deletes"),
    [
        ({"controller": ControllerProps(snapshot_retention_days=0)}, "true"),
        ({"destroy_cleanup": DestroyCleanupProps(delete_storage=True)}, "true"),
    ],
)
def test_storage_is_deleted_when_nothing_is_retained_or_when_asked(
    tmp_path: Path, options: dict[str, Any], deletes: str
) -> None:
    _, invocation = only(synth(tmp_path, **options), "aws_lambda_invocation", "destroy_cleanup")
    assert f'"delete_storage" = {deletes}' in invocation["input"]


def test_disabled_creates_nothing(tmp_path: Path) -> None:
    doc = synth(tmp_path, destroy_cleanup=DestroyCleanupProps(disabled=True))
    assert "aws_lambda_invocation" not in doc["resource"]
    assert not [k for k in doc["resource"].get("aws_lambda_function", {}) if "cleanup" in k]
    assert not [k for k in doc["resource"].get("aws_iam_role", {}) if "cleanup" in k]


# ---------------------------------------------------------------- the handler


class NoAws:
    """Fails the test if the handler connects to AWS."""

    @classmethod
    def connect(cls, *args: object) -> None:
        raise AssertionError("create/update must not call AWS")


INPUT = {
    "ecs_cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/alpha",
    "cluster_name": "alpha",
    "controller_service": "alpha-controller",
    "delete_storage": False,
}


@pytest.mark.parametrize("action", ["create", "update"])
def test_create_and_update_return_at_once(monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    monkeypatch.setattr(cluster_cleanup, "AwsTeardown", NoAws)
    event = {**INPUT, "tf": {"action": action, "prev_input": None if action == "create" else INPUT}}
    assert cluster_cleanup.handler(event, None) == {"action": action, "cleaned": False}


def test_delete_takes_its_options_from_the_input() -> None:
    options = cluster_cleanup.options_from_event({**INPUT, "delete_storage": True}, 30.0)
    assert (options.ecs_cluster, options.cluster_name, options.controller_service) == (
        INPUT["ecs_cluster"],
        "alpha",
        "alpha-controller",
    )
    assert options.delete_volumes and options.delete_snapshots and options.yes
    kept = cluster_cleanup.options_from_event(INPUT, 30.0)
    assert not kept.delete_volumes and not kept.delete_snapshots


def test_delete_without_the_clusters_names_fails_naming_them() -> None:
    event = {"tf": {"action": "delete", "prev_input": {}}}
    with pytest.raises(
        cluster_cleanup.TeardownError, match="ecs_cluster, cluster_name, controller_service"
    ):
        cluster_cleanup.handler(event, None)


# ---------------------------------------------------------------- plan-review


def change(address: str, resource_type: str, actions: list[str], values: Doc) -> Doc:
    before = values if "delete" in actions else None
    after = values if "create" in actions or "update" in actions else None
    return {
        "address": address,
        "mode": "managed",
        "type": resource_type,
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}},
    }


CLEANUP = {"function_name": "alpha-destroy-cleanup", "input": json.dumps(INPUT)}


def test_plan_review_says_a_destroy_cleans_up_first() -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            change("aws_lambda_invocation.cleanup", "aws_lambda_invocation", ["delete"], CLEANUP),
            change("aws_ecs_cluster.this", "aws_ecs_cluster", ["delete"], {"name": "alpha"}),
        ],
    }
    review = plan_review.review(plan)
    text = "\n".join(review.warnings + review.notes)
    assert "destroy-time cleanup `aws_lambda_invocation.cleanup` runs first" in text
    assert "cdktf-restate teardown" not in text
    assert "Service registration" not in text


def test_plan_review_warns_when_the_cleanup_goes_from_a_running_cluster() -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            change("aws_lambda_invocation.cleanup", "aws_lambda_invocation", ["delete"], CLEANUP),
            change("aws_s3_bucket.b", "aws_s3_bucket", ["update"], {"bucket": "b"}),
        ],
    }
    review = plan_review.review(plan)
    (warning,) = [w for w in review.warnings if "destroy-time cleanup" in w]
    assert "stops the controller and every stateful node" in warning
    assert "terraform state rm" in warning
