"""plan-review on real `terraform show -json` plans produced against a moto server.

One small Terraform stack shaped like the cluster (bucket, NLB, security group, task
role, stateful/stateless/controller task definitions whose containers carry the same
env names as the construct's) is applied once; every test then plans one change of a
variable against that applied state and asserts the Restate-aware warnings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdktf_restate.cli import plan_review
from cdktf_restate.devtools.emulator import running_emulator
from cdktf_restate.devtools.terraform import Terraform

STACK = r"""
variable "aws_endpoint" { type = string }
variable "stateful_image" {
  type    = string
  default = "docker.restate.dev/restatedev/restate:1.7.12"
}
variable "bucket_name" {
  type    = string
  default = "restate-review-base"
}
variable "default_replication" {
  type    = string
  default = "{zone: 2}"
}
variable "nlb_internal" {
  type    = bool
  default = true
}
variable "security_group_name" {
  type    = string
  default = "restate-review"
}
variable "extra_actions" {
  type    = list(string)
  default = []
}
variable "nodes_per_az" {
  type    = number
  default = 1
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true
  endpoints {
    ec2   = var.aws_endpoint
    ecs   = var.aws_endpoint
    elbv2 = var.aws_endpoint
    iam   = var.aws_endpoint
    s3    = var.aws_endpoint
    sts   = var.aws_endpoint
  }
}

locals {
  zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count             = 3
  vpc_id            = aws_vpc.this.id
  availability_zone = local.zones[count.index]
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index)
}

resource "aws_security_group" "restate" {
  name   = var.security_group_name
  vpc_id = aws_vpc.this.id
}

resource "aws_s3_bucket" "restate" {
  bucket = var.bucket_name
}

resource "aws_ecs_cluster" "this" {
  name = "restate-review"
}

resource "aws_lb" "shared" {
  name               = "restate-review"
  load_balancer_type = "network"
  internal           = var.nlb_internal
  subnets            = aws_subnet.private[*].id
}

resource "aws_iam_role" "task" {
  name = "restate-review-task"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "task" {
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = concat(["s3:GetObject", "s3:PutObject"], var.extra_actions)
      Resource = "${aws_s3_bucket.restate.arn}/*"
    }]
  })
}

resource "aws_ecs_task_definition" "stateful" {
  family                   = "restate-review-stateful"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "1024"
  memory                   = "2048"
  container_definitions = jsonencode([{
    name      = "restate"
    image     = var.stateful_image
    essential = true
    environment = [
      { name = "RESTATE_ROLES", value = "[log-server,worker]" },
      { name = "RESTATE_METADATA_CLIENT__PATH", value = "s3://${aws_s3_bucket.restate.bucket}/metadata" },
    ]
  }])
}

resource "aws_ecs_task_definition" "stateless" {
  family                   = "restate-review-stateless"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "1024"
  memory                   = "2048"
  container_definitions = jsonencode([{
    name      = "restate"
    image     = "docker.restate.dev/restatedev/restate:1.7.12"
    essential = true
    environment = [
      { name = "RESTATE_ROLES", value = "[admin,http-ingress]" },
      { name = "RESTATE_DEFAULT_REPLICATION", value = var.default_replication },
      { name = "RESTATE_DEFAULT_NUM_PARTITIONS", value = "128" },
    ]
  }])
}

resource "aws_ecs_task_definition" "controller" {
  family                   = "restate-review-controller"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  container_definitions = jsonencode([{
    name      = "controller"
    image     = "ghcr.io/example/restate-controller:0.1.0"
    essential = true
    environment = [
      { name = "RESTATE_CONTROLLER_CLUSTER_NAME", value = "restate-review" },
      { name = "RESTATE_CONTROLLER_TASK_DEFINITION_ARN", value = aws_ecs_task_definition.stateful.arn },
      { name = "RESTATE_CONTROLLER_NODES_PER_AZ", value = tostring(var.nodes_per_az) },
      { name = "RESTATE_CONTROLLER_SUBNETS_BY_AZ", value = jsonencode({ for s in aws_subnet.private : s.availability_zone => s.id }) },
    ]
  }])
}
"""


class ReviewStack:
    def __init__(self, tf: Terraform, endpoint: str) -> None:
        self.tf = tf
        self.endpoint = endpoint
        self.plans = 0

    def plan_json(self, *, destroy: bool = False, refresh: bool = True, **variables: str) -> dict:
        self.plans += 1
        out = f"plan{self.plans}"
        args = ["plan", "-input=false", "-lock=false", f"-out={out}"]
        if destroy:
            args.append("-destroy")
        if not refresh:  # the state was just applied: reading it back from moto adds nothing
            args.append("-refresh=false")
        for name, value in {"aws_endpoint": self.endpoint, **variables}.items():
            args += ["-var", f"{name}={value}"]
        self.tf.run(*args)
        return self.tf.show_json(out)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReviewStack]:
    workdir = tmp_path_factory.mktemp("plan-review-stack")
    (workdir / "main.tf").write_text(STACK)
    with running_emulator() as emulator:
        tf = Terraform(workdir)
        tf.init()
        base = ReviewStack(tf, emulator.url)
        base.plan_json()
        tf.apply(f"plan{base.plans}")
        yield base


# Every `terraform plan` costs ~15 s of provider start-up, so changes that touch
# unrelated resources share one plan; each test still reads only its own warning.


@pytest.fixture(scope="module")
def stateful_image_plan(stack: ReviewStack) -> dict:
    return stack.plan_json(
        refresh=False, stateful_image="docker.restate.dev/restatedev/restate:1.7.13"
    )


@pytest.fixture(scope="module")
def infrastructure_plan(stack: ReviewStack) -> dict:
    return stack.plan_json(
        refresh=False,
        bucket_name="restate-review-renamed",
        nlb_internal="false",
        security_group_name="restate-review-2",
    )


@pytest.fixture(scope="module")
def settings_plan(stack: ReviewStack) -> dict:
    # The IAM change lives here: with the bucket renamed, the policy is only known after apply.
    return stack.plan_json(
        refresh=False, default_replication="{zone: 3}", nodes_per_az="2", extra_actions='["s3:*"]'
    )


def markdown_of(plan: dict) -> str:
    return plan_review.render_markdown(plan_review.review(plan))


def warnings_of(markdown: str) -> str:
    """The warnings section only, so a test cannot pass on the resource table."""
    if "### ⚠️ Warnings" not in markdown:
        return ""
    return (
        markdown.split("### ⚠️ Warnings", 1)[1]
        .split("### Notes", 1)[0]
        .split("### Changes by component", 1)[0]
    )


def warning_lines(markdown: str, needle: str) -> list[str]:
    return [line for line in warnings_of(markdown).splitlines() if needle in line]


def test_stateful_image_change_warns_of_node_replacement_per_az(stateful_image_plan: dict) -> None:
    markdown = markdown_of(stateful_image_plan)
    warnings = warnings_of(markdown)
    assert "Stateful nodes will be replaced" in warnings
    # N comes from the controller env in the plan: 1 per AZ x 3 AZs.
    assert (
        "replace 3 stateful node(s) (1 per AZ × 3 AZs: us-east-1a, us-east-1b, us-east-1c)"
        in warnings
    )
    assert "one AZ at a time" in warnings
    assert (
        "`docker.restate.dev/restatedev/restate:1.7.12` → `docker.restate.dev/restatedev/restate:1.7.13`"
        in warnings
    )
    assert "bucket" not in warnings.lower()
    assert "Load balancer" not in warnings
    assert (
        "| stateful | -/+ replace | `aws_ecs_task_definition.stateful` | forces replacement: `container_definitions` |"
        in markdown
    )
    assert "| controller | -/+ replace | `aws_ecs_task_definition.controller` |" in markdown
    assert "**Plan:** 0 to add, 0 to change, 2 to replace, 0 to destroy." in markdown


def test_bucket_replacement_warns_metadata_and_snapshots_lost(infrastructure_plan: dict) -> None:
    markdown = markdown_of(infrastructure_plan)
    [bucket] = warning_lines(markdown, "Bucket `restate-review-base`")
    assert "will be replaced: Restate's metadata and partition snapshots are lost" in bucket
    [path] = warning_lines(markdown, "Object store path changes")
    assert "`s3://restate-review-base/metadata` → `s3://restate-review-renamed/metadata`" in path
    assert (
        "| storage | -/+ replace | `aws_s3_bucket.restate` | forces replacement: `bucket` |"
        in markdown
    )


def test_load_balancer_replacement_warns_new_dns_name(infrastructure_plan: dict) -> None:
    dns_name = next(
        c["change"]["before"]["dns_name"]
        for c in infrastructure_plan["resource_changes"]
        if c["type"] == "aws_lb"
    )
    markdown = markdown_of(infrastructure_plan)
    [warning] = warning_lines(markdown, "Load balancer `aws_lb.shared` will be replaced")
    assert f"new DNS name (today `{dns_name}`)" in warning
    assert "ingress and admin URLs change" in warning
    assert (
        "| load balancer | -/+ replace | `aws_lb.shared` | forces replacement: `internal` |"
        in markdown
    )


def test_security_group_replacement(infrastructure_plan: dict) -> None:
    [warning] = warning_lines(markdown_of(infrastructure_plan), "Security group")
    assert "`aws_security_group.restate` will be replaced" in warning
    assert "running tasks still use it" in warning


def test_iam_widening_is_flagged(settings_plan: dict) -> None:
    [warning] = warning_lines(markdown_of(settings_plan), "IAM widening")
    assert (
        "**IAM widening (wildcard)**: `aws_iam_role_policy.task` permissions add `s3:*`" in warning
    )


def test_replication_change_only_applies_at_provisioning(settings_plan: dict) -> None:
    markdown = markdown_of(settings_plan)
    [warning] = warning_lines(markdown, "Default replication changes")
    assert "`{zone: 2}` → `{zone: 3}`" in warning
    assert "only applies at provisioning" in warning
    assert "restatectl config set" in warning
    assert "Default number of partitions" not in warnings_of(markdown)  # unchanged: 128
    assert "Stateful nodes will be replaced" not in warnings_of(markdown)
    assert "Stateless nodes roll" in markdown.split("### Notes", 1)[1]


def test_nodes_per_az_change_reports_controller_scaling(settings_plan: dict) -> None:
    [warning] = warning_lines(markdown_of(settings_plan), "Stateful nodes per AZ change")
    assert "1 → 2" in warning
    assert "controller starts nodes (3 → 6 in total)" in warning


def test_destroy_plan_via_cli(stack: ReviewStack, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(stack.plan_json(destroy=True, refresh=False)))
    out = tmp_path / "review.md"
    assert plan_review.main([str(plan_file), "--output", str(out)]) == 0
    markdown = out.read_text()
    [destroys] = warning_lines(markdown, "This plan destroys the cluster")
    assert "Run `cdktf-restate teardown` before it" in destroys
    [bucket] = warning_lines(markdown, "Bucket `restate-review-base`")
    assert "will be destroyed: Restate's metadata and partition snapshots are lost" in bucket
    [ecs_cluster] = warning_lines(markdown, "ECS cluster `aws_ecs_cluster.this` will be destroyed")
    assert "fails while the controller's stateful tasks run" in ecs_cluster
    assert "run `cdktf-restate teardown` first" in ecs_cluster
    assert "**Plan:** 0 to add, 0 to change, 0 to replace, 13 to destroy." in markdown


def test_cli_rejects_input_that_is_not_a_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    not_a_plan = tmp_path / "state.json"
    not_a_plan.write_text(json.dumps({"hello": "world"}))
    assert plan_review.main([str(not_a_plan)]) == 2
    assert "not `terraform show -json PLANFILE` output" in capsys.readouterr().err
    assert plan_review.main([]) == 2


def test_github_workflow_plans_reviews_and_comments() -> None:
    import yaml

    workflow = Path(__file__).resolve().parents[1] / "examples/github-actions/terraform-plan.yml"
    steps = yaml.safe_load(workflow.read_text())["jobs"]["plan"]["steps"]
    commands = [step.get("run", "") for step in steps]
    order = [
        next(i for i, c in enumerate(commands) if needle in c)
        for needle in (
            # plan fails while the module's restatectl packages are missing: built first
            "cdktf-restate module --out",
            "terraform init",
            "terraform plan",
            "terraform show -json",
            "plan-review",
        )
    ]
    assert order == sorted(order)
    assert any("createComment" in step.get("with", {}).get("script", "") for step in steps)
