"""The generated Terraform module: renderer, drift, parsing, validate, plan parity with the
CDKTF example on moto, and validation blocks that fail with the construct's own messages."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import re
import shutil
import subprocess
import tarfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest

from cdktf_restate.cli import plan_review
from cdktf_restate.cli.demo import synthesize_example
from cdktf_restate.devtools.emulator import Emulator, running_emulator
from cdktf_restate.devtools.terraform import Terraform
from cdktf_restate.schema.errors import RestateConfigError
from cdktf_restate.schema.props import (
    AddressesProps,
    ControllerProps,
    CustomWidgetsProps,
    DashboardsProps,
    DestroyCleanupProps,
    EbsVolumeProps,
    LoadBalancerProps,
    MonitoringProps,
    ObjectStorageProps,
    Resources,
    RestateClusterProps,
    RestatectlProps,
    RetirementWatcherProps,
    StatefulNodeProps,
    StatelessNodeProps,
    Subnet,
    TaskProps,
)
from cdktf_restate.schema.validation import validate_props
from cdktf_restate.terraform_module import generate as hcl_module
from cdktf_restate.terraform_module import hcl_render

REPO = Path(__file__).resolve().parents[1]
MODULE_PATH = Path("modules") / hcl_module.MODULE_NAME
EXAMPLE_PATH = Path("examples") / "terraform-module"
BASE_SUBNETS = (
    ("subnet-0000000a", "us-east-1a"),
    ("subnet-0000000b", "us-east-1b"),
    ("subnet-0000000c", "us-east-1c"),
)


# ---------------------------------------------------------------- renderer (no terraform)


def test_single_interpolation_becomes_a_bare_expression() -> None:
    assert hcl_render.render_string("${var.x}") == "var.x"
    assert hcl_render.render_string('${jsonencode({"a" = var.x})}') == 'jsonencode({"a" = var.x})'


def test_templates_keep_interpolations_and_escape_only_literal_text() -> None:
    assert hcl_render.render_string("x-${var.y}") == '"x-${var.y}"'
    assert hcl_render.render_string('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert (
        hcl_render.render_string('${lookup(var.m, "k")}:"q"') == '"${lookup(var.m, "k")}:\\"q\\""'
    )
    # Escaped template sequences stay literal, in both syntaxes.
    assert hcl_render.render_string("$${HOME} %%{x}") == '"$${HOME} %%{x}"'
    assert hcl_render.render_string('${"}"}') == '"}"'


def test_json_documents_become_jsonencode_with_their_interpolations() -> None:
    text = (
        '[{"name": "c", "memory": ${var.n.memory}, "env": [{"name": "N", "value": "${var.n.count}"},'
        ' {"name": "A", "value": "${aws_lb.x.dns_name}"}, {"name": "L", "value": "$${HOME}"}],'
        ' "map": {"${var.zone}": "x-${var.id}"}}]'
    )
    rendered = hcl_render.render_document(
        {"locals": {"doc": text}},
        {},
        numeric_expressions=frozenset({"var.n.count", "var.n.memory"}),
    )
    assert "jsonencode([" in rendered
    assert "memory = var.n.memory" in rendered  # a JSON number stays a number
    assert "value = tostring(var.n.count)" in rendered  # a JSON string stays a string
    assert "value = aws_lb.x.dns_name" in rendered
    assert 'value = "$${HOME}"' in rendered  # escaped template sequence kept literal
    assert '(var.zone) = "x-${var.id}"' in rendered  # expression keys are parenthesized


def test_multiline_text_becomes_an_exact_heredoc(tmp_path: Path) -> None:
    """Terraform itself evaluates the heredocs: the values equal the JSON strings exactly."""
    scripts = {
        "no_final_newline": 'set -eu\necho "$${HOME}" \\\n  ${local.x} %%{x}\nexit 0',
        "final_newline": "a\n\tb\n\nc\n",
    }
    body = hcl_render.render_document({"locals": {"x": "value-of-x", **scripts}}, {})
    assert body.count("<<EOT") == 2
    outputs = "".join(f'output "{n}" {{\n  value = local.{n}\n}}\n' for n in scripts)
    (tmp_path / "main.tf").write_text(body + outputs)
    tf = Terraform(tmp_path)
    tf.init()
    tf.run("apply", "-input=false", "-auto-approve")
    values = {name: value["value"] for name, value in tf.output_json().items()}
    assert values == {
        "no_final_newline": 'set -eu\necho "${HOME}" \\\n  value-of-x %{x}\nexit 0',
        "final_newline": "a\n\tb\n\nc\n",
    }


def test_terraform_json_dynamic_blocks_become_dynamic_blocks() -> None:
    body = {
        "dynamic": {
            "load_balancer": {
                "for_each": "${concat(aws_lb_target_group.a, [aws_lb_target_group.b])}",
                "content": {"container_port": "${load_balancer.value.port}", "hc": [{"x": 1}]},
            }
        }
    }
    lines = hcl_render.render_body(body, {"load_balancer": {"hc": {}}})
    assert lines == [
        '  dynamic "load_balancer" {',
        "    for_each = concat(aws_lb_target_group.a, [aws_lb_target_group.b])",
        "    content {",
        "      container_port = load_balancer.value.port",
        "      hc {",
        "        x = 1",
        "      }",
        "    }",
        "  }",
    ]


def test_unterminated_interpolation_is_an_error() -> None:
    with pytest.raises(hcl_render.HclRenderError):
        hcl_render.render_string("${var.x")


def test_rendered_document_parses_back_with_the_same_values() -> None:
    document = {
        "resource": {
            "aws_ecs_service": {
                "this": {
                    "name": "svc-${var.name}",
                    "desired_count": 3,
                    "enable_execute_command": False,
                    "tags": {"restate:cluster": "c", "Name": "n"},
                    "load_balancer": [
                        {"container_port": 8080, "target_group_arn": "${aws_lb.x.arn}"},
                        {"container_port": 9070, "target_group_arn": "${aws_lb.y.arn}"},
                    ],
                    "depends_on": ["aws_lb.x"],
                    "//": {"metadata": "dropped"},
                }
            }
        }
    }
    text = hcl_render.render_document(document, {"resource.aws_ecs_service": {"load_balancer": {}}})
    assert "//" not in text and "metadata" not in text
    parsed = hcl2.loads(text)["resource"][0]["aws_ecs_service"]["this"]
    # python-hcl2 wraps attribute values in a list
    assert parsed["desired_count"] == [3]
    assert parsed["enable_execute_command"] == [False]
    assert parsed["tags"] == [{"restate:cluster": "c", "Name": "n"}]
    assert [b["container_port"] for b in parsed["load_balancer"]] == [[8080], [9070]]
    assert "load_balancer {" in text  # a block, not an attribute
    assert "depends_on = [aws_lb.x]" in text


# ---------------------------------------------------------------- generated module


STRAY_FILE = "terraform.tfstate"  # e.g. left by someone's trial run in the module folder


@pytest.fixture(scope="module")
def generated_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A fresh `cdktf-restate module` run into a folder that already holds a stray file, laid
    out like the repo (modules/ + examples/); with the files `generate` says it wrote."""
    root = tmp_path_factory.mktemp("module-tree")
    (root / MODULE_PATH).mkdir(parents=True)
    (root / MODULE_PATH / STRAY_FILE).write_text("{}")
    written = hcl_module.generate(root / MODULE_PATH)
    shutil.copytree(REPO / EXAMPLE_PATH, root / EXAMPLE_PATH)
    return root, written


@pytest.fixture(scope="module")
def regenerated(generated_files: tuple[Path, list[Path]]) -> Path:
    return generated_files[0]


def committed_module_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", str(MODULE_PATH)], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return sorted(str(Path(p).relative_to(MODULE_PATH)) for p in listed)


def test_committed_module_is_exactly_what_the_generator_writes(
    generated_files: tuple[Path, list[Path]],
) -> None:
    root, written = generated_files
    generated_dir = root / MODULE_PATH
    # What generate reports is what it wrote: every file in the folder but the stray one,
    # which it leaves alone.
    in_folder = sorted(p for p in generated_dir.rglob("*") if p.is_file())
    assert (generated_dir / STRAY_FILE).read_text() == "{}"
    assert sorted(written) == [p for p in in_folder if p.name != STRAY_FILE]
    generated = sorted(str(p.relative_to(generated_dir)) for p in written)
    assert committed_module_files() == generated, "regenerate: cdktf-restate module --out " + str(
        MODULE_PATH
    )
    for name in generated:
        assert (REPO / MODULE_PATH / name).read_bytes() == (generated_dir / name).read_bytes(), (
            f"{MODULE_PATH / name} drifted from the construct: run cdktf-restate module --out {MODULE_PATH}"
        )
    # Nothing is git-ignored: a checkout of the module is the whole module.
    assert not (generated_dir / ".gitignore").exists()


def test_every_tf_file_parses_with_python_hcl2() -> None:
    files = sorted((REPO / MODULE_PATH).glob("*.tf")) + sorted((REPO / EXAMPLE_PATH).glob("*.tf"))
    assert {f.name for f in files} >= {"main.tf", "variables.tf", "outputs.tf", "versions.tf"}
    for path in files:
        parsed = hcl2.loads(path.read_text())
        assert parsed, path


def test_module_conventions() -> None:
    module = REPO / MODULE_PATH
    main = hcl2.loads((module / "main.tf").read_text())
    assert "provider" not in main and "terraform" not in main
    assert "uniqueId" not in (module / "main.tf").read_text()  # no cdktf "//" metadata
    versions = hcl2.loads((module / "versions.tf").read_text())["terraform"][0]
    assert versions["required_providers"][0]["aws"][0]["version"] == ">= 5.100.0, < 6.0.0"
    variables = {
        name: body
        for block in hcl2.loads((module / "variables.tf").read_text())["variable"]
        for name, body in block.items()
    }
    assert {"vpc_id", "subnets"} <= set(variables)
    for name, body in variables.items():
        assert body.get("description") and body["description"][0], name
        assert "any" not in str(body["type"]), name
        required = name in {"vpc_id", "subnets"}
        assert ("default" in body) != required, name
    readme = (module / "README.md").read_text()
    docs = readme.split("<!-- BEGIN_TF_DOCS -->", 1)[1].split("<!-- END_TF_DOCS -->", 1)[0]
    for name in variables:
        assert f"`{name}`" in docs
    for name in ("ingress_url", "admin_url", "ecs_cluster_arn", "bucket_name"):
        assert f"`{name}`" in docs


# ---------------------------------------------------------------- terraform against moto


@dataclass
class Workspace:
    root: Path
    emulator: Emulator


@pytest.fixture(scope="module")
def workspace(regenerated: Path) -> Iterator[Workspace]:
    with running_emulator() as emulator:
        yield Workspace(regenerated, emulator)


@pytest.fixture(scope="module")
def example_plan(workspace: Workspace) -> dict:
    tf = Terraform(workspace.root / EXAMPLE_PATH)
    tf.init()
    tf.validate()
    tf.run(
        "plan",
        "-input=false",
        "-lock=false",
        "-out=tfplan",
        "-var",
        f"aws_endpoint={workspace.emulator.url}",
    )
    return tf.show_json("tfplan")


@pytest.fixture(scope="module")
def minimal_plan(workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> dict:
    stack = synthesize_example(
        "minimal", tmp_path_factory.mktemp("minimal"), workspace.emulator.url
    )
    tf = Terraform(stack)
    tf.init()
    tf.plan()
    return tf.show_json("tfplan")


def created(plan: dict) -> list[dict[str, Any]]:
    return [c for c in plan["resource_changes"] if c["change"]["actions"] == ["create"]]


#: Attributes that must match between the CDKTF stack and the module (names differ by design).
KEY_ATTRIBUTES = {
    "aws_lb": ("load_balancer_type", "internal"),
    "aws_lb_listener": ("port", "protocol"),
    "aws_lb_target_group": ("port", "protocol", "target_type", "deregistration_delay"),
    "aws_ecs_service": ("desired_count", "launch_type", "deployment_maximum_percent",
                        "deployment_minimum_healthy_percent"),
    "aws_ecs_task_definition": ("cpu", "memory", "network_mode", "requires_compatibilities"),
    "aws_cloudwatch_log_group": ("retention_in_days",),
    "aws_s3_bucket_versioning": ("versioning_configuration",),
    "aws_security_group_rule": ("type", "from_port", "to_port", "protocol"),
    "aws_lambda_function": ("runtime", "handler", "architectures", "source_code_hash",
                            "package_type", "image_config"),
    "aws_sqs_queue": ("message_retention_seconds",),
    "aws_kms_key": ("enable_key_rotation",),
}  # fmt: skip


def key_attributes(plan: dict) -> Counter:
    return Counter(
        (c["type"], tuple(repr(c["change"]["after"].get(a)) for a in KEY_ATTRIBUTES[c["type"]]))
        for c in created(plan)
        if c["type"] in KEY_ATTRIBUTES
    )


def test_example_plan_matches_the_cdktf_minimal_plan(
    example_plan: dict, minimal_plan: dict
) -> None:
    example_types = Counter(c["type"] for c in created(example_plan))
    minimal_types = Counter(c["type"] for c in created(minimal_plan))
    assert example_types == minimal_types
    assert sum(example_types.values()) > 60
    assert key_attributes(example_plan) == key_attributes(minimal_plan)
    assert all(c["address"].startswith("module.restate.") for c in created(example_plan)
               if c["type"].startswith(("aws_ecs_", "aws_lb", "aws_lambda_")))  # fmt: skip


def container_scripts(plan: dict) -> list[tuple[str, ...]]:
    """entryPoint + command of every created task definition (the rendered heredoc scripts)."""
    scripts = []
    for change in created(plan):
        if change["type"] == "aws_ecs_task_definition":
            definitions = change["change"]["after"].get("container_definitions")
            if definitions is None:
                continue  # known only after apply (the controller's refers to the NLB)
            for container in json.loads(definitions):
                scripts.append(
                    tuple(container.get("entryPoint", []) + container.get("command", []))
                )
    return sorted(scripts)


def test_container_scripts_are_byte_identical_to_the_cdktf_stack(
    example_plan: dict, minimal_plan: dict
) -> None:
    assert container_scripts(example_plan) == container_scripts(minimal_plan)
    assert container_scripts(example_plan)  # the stateful one is known at plan time
    assert any(
        "exec restate-server" in part
        for script in container_scripts(example_plan)
        for part in script
    )


def test_example_outputs_ingress_and_admin_urls(example_plan: dict) -> None:
    outputs = example_plan["configuration"]["root_module"]["outputs"]
    assert outputs["ingress_url"]["expression"]["references"][0] == "module.restate.ingress_url"
    assert outputs["admin_url"]["expression"]["references"][0] == "module.restate.admin_url"


def test_plan_review_groups_the_module_plan_by_component(example_plan: dict) -> None:
    result = plan_review.review(example_plan)
    by_address = {c.address: c.component for c in result.changes}
    components = {
        address.split(".")[-1]: component
        for address, component in by_address.items()
        if address.startswith("module.restate.aws_ecs_")
    }
    assert components["stateful_task_definition"] == "stateful"
    assert components["stateless_task_definition"] == "stateless"
    assert components["controller_task_definition"] == "controller"
    assert components["stateless_service"] == "stateless"
    assert components["controller_service"] == "controller"
    assert by_address["module.restate.aws_s3_bucket.bucket[0]"] == "storage"
    assert result.warnings == [], "\n".join(result.warnings)  # a first deployment
    assert (
        "| stateful | + add | `module.restate.aws_ecs_task_definition.stateful_task_definition` |"
        in (plan_review.render_markdown(result))
    )


# ---------------------------------------------------------------- non-default inputs

#: Module arguments (HCL) and the same settings as construct props, for one plan of the module
#: and one synth of the construct.
CUSTOM_CONTROLLER_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ops/restate-controller:2.0"
#: Pinned by digest: the Restate version is given, not derived from a tag.
DIGEST_IMAGE = "docker.restate.dev/restatedev/restate@sha256:" + "0123456789abcdef" * 4
#: Any number of zones: four here (the defaults need at least three).
FOUR_SUBNETS = (*BASE_SUBNETS, ("subnet-0000000d", "us-east-1d"))
QUEUE_KEY = "arn:aws:kms:us-east-1:123456789012:key/0b6c5c2e-1111-2222-3333-444455556666"
ALARM_TOPIC = "arn:aws:sns:us-east-1:123456789012:restate-alerts"
CUSTOM_ARGUMENTS = {
    "subnets": "["
    + ", ".join(f'{{ subnet_id = "{s}", availability_zone = "{z}" }}' for s, z in FOUR_SUBNETS)
    + "]",
    "tags": '{ team = "payments" }',
    "controller": f'{{ controller_image = "{CUSTOM_CONTROLLER_IMAGE}", '
    'tasks = { enable_execute_command = true, cpu_architecture = "X86_64" } }',
    "restate_tasks": '{ enable_execute_command = true, cpu_architecture = "X86_64", '
    'log_driver = "splunk", log_options = { "splunk-url" = "https://splunk.internal:8088", "splunk-token" = "t" } }',
    "object_storage": '{ prefix = "clusters/a", force_destroy = true, access_logs_bucket = "s3-logs" }',
    "load_balancer": "{ internet_facing = true, subnet_ids = "
    '["subnet-000000f1", "subnet-000000f2"], deletion_protection = true, ingress_cidr_blocks = ["0.0.0.0/0"], '
    'disable_shared_nlb_ports = ["admin"], create_alb_targets = true, access_logs_bucket = "lb-logs" }',
    "stateless_node": f'{{ restate_image = "{DIGEST_IMAGE}", restate_version = "1.7.12", '
    'environment = { RUST_LOG = "info" } }',
    "stateful_node": '{ environment = { RUST_LOG = "debug", RESTATE_BIND_IP = "::" }, '
    'ebs_volume = { size_gib = 200, volume_type = "io2", iops = 5000 } }',
    "addresses": '{ ingress = "https://restate.example.com", admin = "https://admin.example.com" }',
    "retirement_watcher": f'{{ queue_kms_key_arn = "{QUEUE_KEY}" }}',
    "monitoring": f'{{ alarm_actions = ["{ALARM_TOPIC}"] }}',
}
CUSTOM_PROPS: dict[str, Any] = {
    "subnets": [Subnet(subnet_id=s, availability_zone=z) for s, z in FOUR_SUBNETS],
    "tags": {"team": "payments"},
    "controller": ControllerProps(
        controller_image=CUSTOM_CONTROLLER_IMAGE,
        tasks=TaskProps(enable_execute_command=True, cpu_architecture="X86_64"),
    ),
    "restate_tasks": TaskProps(
        enable_execute_command=True,
        cpu_architecture="X86_64",
        log_driver="splunk",
        log_options={"splunk-url": "https://splunk.internal:8088", "splunk-token": "t"},
    ),
    "object_storage": ObjectStorageProps(
        prefix="clusters/a", force_destroy=True, access_logs_bucket="s3-logs"
    ),
    "load_balancer": LoadBalancerProps(
        internet_facing=True,
        subnet_ids=["subnet-000000f1", "subnet-000000f2"],
        deletion_protection=True,
        ingress_cidr_blocks=["0.0.0.0/0"],
        disable_shared_nlb_ports=["admin"],
        create_alb_targets=True,
        access_logs_bucket="lb-logs",
    ),
    "stateless_node": StatelessNodeProps(
        restate_image=DIGEST_IMAGE, restate_version="1.7.12", environment={"RUST_LOG": "info"}
    ),
    # RESTATE_BIND_IP is one of the construct's own variables: the user's value wins.
    "stateful_node": StatefulNodeProps(
        environment={"RUST_LOG": "debug", "RESTATE_BIND_IP": "::"},
        ebs_volume=EbsVolumeProps(size_gib=200, volume_type="io2", iops=5000),
    ),
    "addresses": AddressesProps(
        ingress="https://restate.example.com", admin="https://admin.example.com"
    ),
    "retirement_watcher": RetirementWatcherProps(queue_kms_key_arn=QUEUE_KEY),
    "monitoring": MonitoringProps(alarm_actions=[ALARM_TOPIC]),
}
#: Toggles that remove resources (count 0 in the module).
NO_LAMBDAS_ARGUMENTS = {
    "restatectl": "{ disabled = true }",
    "retirement_watcher": "{ disabled = true }",
    "destroy_cleanup": "{ disabled = true }",
    "monitoring": "{ dashboard = { custom_widgets = { disabled = true } } }",
}
NO_LAMBDAS_PROPS: dict[str, Any] = {
    "restatectl": RestatectlProps(disabled=True),
    "retirement_watcher": RetirementWatcherProps(disabled=True),
    "destroy_cleanup": DestroyCleanupProps(disabled=True),
    "monitoring": MonitoringProps(
        dashboard=DashboardsProps(custom_widgets=CustomWidgetsProps(disabled=True))
    ),
    # The module instance gets the ARN of an NLB created in moto (``existing_nlb``); which
    # resources the construct creates does not depend on the ARN's value.
    "load_balancer": LoadBalancerProps(
        existing_nlb_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
        "loadbalancer/net/shared/0123456789abcdef"
    ),
}
#: Existing resources instead of created ones (count 0 on the created ones in the module).
EXISTING_CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/shared"
EXISTING_ROLE = "arn:aws:iam::123456789012:role/platform/restate-{}"
EXISTING_ARGUMENTS = {
    "ecs_cluster": f'"{EXISTING_CLUSTER_ARN}"',
    "security_group_ids": '["sg-0123456789abcdef0"]',
    "object_storage": '{ bucket_name = "my-restate-bucket", kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }',
    "restate_tasks": f'{{ execution_role_arn = "{EXISTING_ROLE.format("exec")}", '
    f'task_role_arn = "{EXISTING_ROLE.format("task")}" }}',
    "controller": f'{{ tasks = {{ execution_role_arn = "{EXISTING_ROLE.format("ctl-exec")}" }} }}',
    "restatectl": f'{{ execution_role_arn = "{EXISTING_ROLE.format("restatectl")}" }}',
    "monitoring": "{ dashboard = { custom_widgets = { execution_role_arn = "
    f'"{EXISTING_ROLE.format("widgets")}" }} }} }}',
    "stateful_node": "{ ebs_volume = { size_gib = 50, throughput = 300, "
    f'role_arn = "{EXISTING_ROLE.format("ebs")}" }} }}',
}
EXISTING_PROPS: dict[str, Any] = {
    "ecs_cluster": EXISTING_CLUSTER_ARN,
    "security_group_ids": ["sg-0123456789abcdef0"],
    "object_storage": ObjectStorageProps(
        bucket_name="my-restate-bucket",
        kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    ),
    "restate_tasks": TaskProps(
        execution_role_arn=EXISTING_ROLE.format("exec"), task_role_arn=EXISTING_ROLE.format("task")
    ),
    "controller": ControllerProps(
        tasks=TaskProps(execution_role_arn=EXISTING_ROLE.format("ctl-exec"))
    ),
    "restatectl": RestatectlProps(execution_role_arn=EXISTING_ROLE.format("restatectl")),
    "monitoring": MonitoringProps(
        dashboard=DashboardsProps(
            custom_widgets=CustomWidgetsProps(execution_role_arn=EXISTING_ROLE.format("widgets"))
        )
    ),
    "stateful_node": StatefulNodeProps(
        ebs_volume=EbsVolumeProps(size_gib=50, throughput=300, role_arn=EXISTING_ROLE.format("ebs"))
    ),
}


def module_calls(calls: dict[str, dict[str, str]]) -> str:
    """A root module: the example's provider (pointed at moto) and one module block per call."""
    provider = (REPO / EXAMPLE_PATH / "main.tf").read_text()
    provider = provider[provider.index('variable "region"') : provider.index("####")]
    subnets = ", ".join(
        f'{{ subnet_id = "{s}", availability_zone = "{z}" }}' for s, z in BASE_SUBNETS
    )
    blocks = []
    for name, arguments in calls.items():
        body = "\n".join(
            f"  {k} = {v}"
            for k, v in {"vpc_id": '"vpc-0000aaaa"', "subnets": f"[{subnets}]", **arguments}.items()
        )
        blocks.append(f'module "{name}" {{\n  source = "../{MODULE_PATH}"\n{body}\n}}\n')
    return provider + "\n".join(blocks)


@dataclass(frozen=True)
class ExistingNlb:
    arn: str
    dns_name: str


@pytest.fixture(scope="module")
def existing_nlb(workspace: Workspace) -> ExistingNlb:
    """An NLB in moto, for ``load_balancer.existing_nlb_arn`` (its data source is read at plan)."""
    import boto3

    session = boto3.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    ec2 = session.client("ec2", endpoint_url=workspace.emulator.url)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")
    elbv2 = session.client("elbv2", endpoint_url=workspace.emulator.url)
    # moto (in this process) writes loadbalancer/app/ into every load balancer's ARN; AWS
    # writes loadbalancer/net/ for an NLB, which the module's validation asks for.
    from moto.elbv2 import models

    app_arn = models.make_arn_for_load_balancer
    models.make_arn_for_load_balancer = lambda **kw: app_arn(**kw).replace("/app/", "/net/")
    try:
        (nlb,) = elbv2.create_load_balancer(
            Name="shared", Subnets=[subnet["Subnet"]["SubnetId"]], Type="network"
        )["LoadBalancers"]
    finally:
        models.make_arn_for_load_balancer = app_arn
    return ExistingNlb(arn=nlb["LoadBalancerArn"], dns_name=nlb["DNSName"])


@pytest.fixture(scope="module")
def custom_plan(workspace: Workspace, existing_nlb: ExistingNlb) -> dict:
    workdir = workspace.root / "custom-inputs"
    workdir.mkdir()
    outputs = "".join(
        f'output "{module}_{name}" {{\n  value = module.{module}.{name}\n}}\n'
        for module in ("custom", "no_lambdas", "existing")
        for name in ("restatectl_function_arn", "ingress_url")
    )
    calls = module_calls(
        {
            "custom": CUSTOM_ARGUMENTS,
            "no_lambdas": {
                **NO_LAMBDAS_ARGUMENTS,
                "load_balancer": f'{{ existing_nlb_arn = "{existing_nlb.arn}" }}',
            },
            "existing": EXISTING_ARGUMENTS,
        }
    )
    return planned_root_module(workspace, workdir, calls + outputs)


def planned_root_module(workspace: Workspace, workdir: Path, main_tf: str) -> dict:
    """``terraform plan`` (on moto) of a root module with this main.tf, as JSON."""
    (workdir / "main.tf").write_text(main_tf)
    shutil.copy(REPO / EXAMPLE_PATH / "versions.tf", workdir / "versions.tf")
    tf = Terraform(workdir)
    tf.init()
    tf.run(
        "plan", "-input=false", "-lock=false", "-out=tfplan",
        "-var", f"aws_endpoint={workspace.emulator.url}",
    )  # fmt: skip
    return tf.show_json("tfplan")


def synthesize_construct(
    outdir: Path, props: dict[str, Any], cluster_name: str = "restate"
) -> dict:
    """The construct's synthesized stack for the same settings (no plan needed)."""
    import cdktf

    from cdktf_restate import RestateEcsFargateCluster
    from cdktf_restate._tf import AwsProvider

    app = cdktf.App(outdir=str(outdir))
    stack = cdktf.TerraformStack(app, "custom")
    AwsProvider(stack, "aws", region="us-east-1")
    subnets = [Subnet(subnet_id=s, availability_zone=z) for s, z in BASE_SUBNETS]
    RestateEcsFargateCluster(
        stack,
        "restate",
        vpc_id="vpc-0000aaaa",
        cluster_name=cluster_name,
        **{"subnets": subnets, **props},
    )
    app.synth()
    return json.loads((Path(app.outdir) / "stacks" / "custom" / "cdk.tf.json").read_text())


@pytest.fixture(scope="module")
def custom_construct(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return synthesize_construct(tmp_path_factory.mktemp("custom-construct"), CUSTOM_PROPS)


def synthesized(document: dict) -> list[tuple[str, dict[str, Any]]]:
    return [
        (resource_type, body)
        for resource_type, resources in document["resource"].items()
        for body in resources.values()
    ]


def planned(plan: dict, module: str, resource_type: str) -> list[dict[str, Any]]:
    return [
        c["change"]["after"]
        for c in created(plan)
        if c["type"] == resource_type and c["address"].startswith(f"module.{module}.")
    ]


def test_custom_inputs_create_the_construct_resources(
    custom_plan: dict, custom_construct: dict
) -> None:
    module = Counter(
        c["type"] for c in created(custom_plan) if c["address"].startswith("module.custom.")
    )
    construct = Counter(resource_type for resource_type, _ in synthesized(custom_construct))
    # ECS Exec statements are one policy per role in the module (count on the flag), and so
    # are the controller's EBS statements (count on the volume); they are part of the task
    # policies in the construct: three more policies, the same everything else.
    assert module - construct == Counter({"aws_iam_role_policy": 3})
    assert construct - module == Counter()
    own_policies = [
        p["name"] for p in planned(custom_plan, "custom", "aws_iam_role_policy")
        if "ecs-exec" in p["name"] or p["name"] == "controller-ebs"
    ]  # fmt: skip
    assert sorted(own_policies) == ["controller-ebs", "controller-ecs-exec", "restate-ecs-exec"]
    # disable_shared_nlb_ports = ["admin"], create_alb_targets: the service registers with
    # the same target groups (NLB ingress and node, ALB ingress and admin; a set in AWS).
    (service,) = [
        b for t, b in synthesized(custom_construct)
        if t == "aws_ecs_service" and b["name"].endswith("-stateless")
    ]  # fmt: skip
    (planned_service,) = [
        s for s in planned(custom_plan, "custom", "aws_ecs_service")
        if s["name"].endswith("-stateless")
    ]  # fmt: skip
    ports = [b["container_port"] for b in service["load_balancer"]]
    assert ports == [8080, 5122, 8080, 9070]
    assert sorted(b["container_port"] for b in planned_service["load_balancer"]) == sorted(ports)
    assert {b["container_name"] for b in planned_service["load_balancer"]} == {"restate"}
    # retirement_watcher.queue_kms_key_arn: both watcher queues use the given key.
    construct_keys = sorted(
        b.get("kms_master_key_id", "") for t, b in synthesized(custom_construct)
        if t == "aws_sqs_queue" and "retirement-watcher" in b["name"]
    )  # fmt: skip
    module_keys = sorted(
        q.get("kms_master_key_id") or "" for q in planned(custom_plan, "custom", "aws_sqs_queue")
        if "retirement-watcher" in q["name"]
    )  # fmt: skip
    assert module_keys == construct_keys == [QUEUE_KEY, QUEUE_KEY]
    # Access logs of the created bucket and NLB, as in the construct.
    (nlb,) = planned(custom_plan, "custom", "aws_lb")
    (construct_nlb,) = [b for t, b in synthesized(custom_construct) if t == "aws_lb"]
    assert [(a["bucket"], a["enabled"]) for a in nlb["access_logs"]] == [("lb-logs", True)]
    assert construct_nlb["access_logs"][0]["bucket"] == "lb-logs"
    (logging,) = planned(custom_plan, "custom", "aws_s3_bucket_logging")
    assert logging["target_bucket"] == "s3-logs"
    assert logging["target_prefix"] == "restate-123456789012-us-east-1/"
    assert not planned(custom_plan, "existing", "aws_s3_bucket_logging")
    listener_ports = sorted(x["port"] for x in planned(custom_plan, "custom", "aws_lb_listener"))
    assert listener_ports == [5122, 8080]
    protocols = Counter(
        g["protocol"] for g in planned(custom_plan, "custom", "aws_lb_target_group")
    )
    assert protocols == Counter({"TCP": 2, "HTTP": 2})
    # monitoring.alarm_actions: the controller alarms, only where actions are given.
    alarms = {
        a["alarm_name"]: a for a in planned(custom_plan, "custom", "aws_cloudwatch_metric_alarm")
    }
    construct_alarms = {
        b["alarm_name"]: b
        for t, b in synthesized(custom_construct)
        if t == "aws_cloudwatch_metric_alarm"
    }
    assert (
        set(alarms)
        == set(construct_alarms)
        == {"restate-controller-halted", "restate-controller-silent"}
    )
    keys = (
        "alarm_actions",
        "ok_actions",
        "namespace",
        "metric_name",
        "period",
        "statistic",
        "evaluation_periods",
        "datapoints_to_alarm",
        "threshold",
        "comparison_operator",
        "treat_missing_data",
    )
    for name, alarm in alarms.items():
        assert {k: alarm.get(k) for k in keys} == {
            k: construct_alarms[name].get(k) for k in keys
        }, name
        assert alarm["alarm_actions"] == [ALARM_TOPIC]  # fmt: skip
    assert not planned(custom_plan, "existing", "aws_cloudwatch_metric_alarm")


def test_custom_inputs_reach_the_resources_as_in_the_construct(
    custom_plan: dict, custom_construct: dict
) -> None:
    # Tags: every taggable resource, the user's merged with restate:cluster.
    construct_tags = Counter(
        (t, json.dumps(b["tags"], sort_keys=True)) for t, b in synthesized(custom_construct)
        if "tags" in b
    )  # fmt: skip
    module_tags = Counter(
        (c["type"], json.dumps(c["change"]["after"]["tags"], sort_keys=True))
        for c in created(custom_plan)
        if c["address"].startswith("module.custom.") and "tags" in c["change"]["after"]
        and c["change"]["after"]["tags"] is not None
    )  # fmt: skip
    assert module_tags == construct_tags
    assert ("aws_lb", json.dumps({"restate:cluster": "restate", "team": "payments"})) in module_tags
    # Internet-facing NLB in its own subnets.
    (nlb,) = planned(custom_plan, "custom", "aws_lb")
    (construct_nlb,) = [b for t, b in synthesized(custom_construct) if t == "aws_lb"]
    assert (nlb["internal"], nlb["subnets"]) == (False, ["subnet-000000f1", "subnet-000000f2"])
    assert (construct_nlb["internal"], construct_nlb["subnets"]) == (False, nlb["subnets"])
    assert nlb["enable_deletion_protection"] is construct_nlb["enable_deletion_protection"] is True
    # Clients outside the group reach the ingress port of the internet-facing NLB.
    (from_cidrs,) = [
        r for r in planned(custom_plan, "custom", "aws_security_group_rule")
        if r.get("cidr_blocks") == ["0.0.0.0/0"] and r["type"] == "ingress"
    ]  # fmt: skip
    assert (from_cidrs["from_port"], from_cidrs["to_port"]) == (8080, 8080)
    (bucket,) = planned(custom_plan, "custom", "aws_s3_bucket")
    assert bucket["force_destroy"] is True
    # A given address replaces the NLB's in the outputs.
    ingress = custom_plan["output_changes"]["custom_ingress_url"]
    assert (ingress["after"], ingress["after_unknown"]) == ("https://restate.example.com", False)
    # Architecture and ECS Exec of every task definition and service.
    for definition in planned(custom_plan, "custom", "aws_ecs_task_definition"):
        assert definition["runtime_platform"][0]["cpu_architecture"] == "X86_64"
    for service in planned(custom_plan, "custom", "aws_ecs_service"):
        assert service["enable_execute_command"] is True
    # With Exec, a writable root (its agent writes inside the container): a JSON boolean in the
    # planned stateful definition (known at plan; the controller's refers to the NLB).
    known = [
        json.loads(d["container_definitions"])[0]
        for d in planned(custom_plan, "custom", "aws_ecs_task_definition")
        if d.get("container_definitions") is not None
    ]
    assert known and all(c["readonlyRootFilesystem"] is False for c in known)
    # The controller's RunTask enables Exec on the stateful tasks: a string, as ECS takes
    # environment values, in the construct and in the module alike.
    (construct_controller,) = [
        json.loads(b["container_definitions"])[0]
        for t, b in synthesized(custom_construct)
        if t == "aws_ecs_task_definition" and b["family"].endswith("-controller")
    ]
    variables = {e["name"]: e["value"] for e in construct_controller["environment"]}
    assert variables["RESTATE_CONTROLLER_ENABLE_EXECUTE_COMMAND"] == "true"
    assert construct_controller["readonlyRootFilesystem"] is False
    main_tf = (REPO / "modules" / "restate-ecs-fargate-cluster" / "main.tf").read_text()
    assert re.search(
        r'name += "RESTATE_CONTROLLER_ENABLE_EXECUTE_COMMAND"\s+value += '
        r"tostring\(var\.restate_tasks\.enable_execute_command\)",
        main_tf,
    )
    # Four zones: every service and the restatectl Lambda use the four subnets.
    four = [s for s, _ in FOUR_SUBNETS]
    for service in planned(custom_plan, "custom", "aws_ecs_service"):
        assert service["network_configuration"][0]["subnets"] == four
    for function in planned(custom_plan, "custom", "aws_lambda_function"):
        if "vpc_config" in function and function["vpc_config"]:
            assert function["vpc_config"][0]["subnet_ids"] == four
    # The restatectl Lambda is the controller image, on the controller's architecture.
    (restatectl,) = [
        f for f in planned(custom_plan, "custom", "aws_lambda_function")
        if f["function_name"].endswith("-restatectl")
    ]  # fmt: skip
    (construct_restatectl,) = [
        b for t, b in synthesized(custom_construct)
        if t == "aws_lambda_function" and b["function_name"].endswith("-restatectl")
    ]  # fmt: skip
    assert restatectl["architectures"] == construct_restatectl["architectures"] == ["x86_64"]
    assert restatectl["package_type"] == construct_restatectl["package_type"]
    assert (
        restatectl["image_config"][0]["command"]
        == construct_restatectl["image_config"][0]["command"]
    )
    assert restatectl["package_type"] == "Image"
    (image_config,) = restatectl["image_config"]
    assert image_config["command"] == ["lambda"]
    assert image_config["entry_point"] == ["/usr/local/bin/restatectl"]
    # The bucket prefix in the Restate configuration (the stateful definition is known at plan).
    stateful = [
        d for d in planned(custom_plan, "custom", "aws_ecs_task_definition")
        if d.get("container_definitions") is not None
    ]  # fmt: skip
    assert stateful
    environment = {
        e["name"]: e["value"] for e in json.loads(stateful[0]["container_definitions"])[0]["environment"]
    }  # fmt: skip
    bucket = "restate-123456789012-us-east-1"  # moto's account
    assert environment["RESTATE_METADATA_CLIENT__PATH"] == f"s3://{bucket}/clusters/a/metadata"
    # stateful_node.environment: merged, the user's value wins on a clash, sorted by name,
    # and every value a string (ECS rejects numbers), as in the construct.
    (construct_stateful,) = [
        json.loads(b["container_definitions"])[0]["environment"]
        for t, b in synthesized(custom_construct)
        if t == "aws_ecs_task_definition" and b["family"].endswith("-stateful")
    ]  # fmt: skip
    # restate_tasks.log_driver / log_options: the given driver and options, as in the construct.
    (construct_logs,) = [
        json.loads(b["container_definitions"])[0]["logConfiguration"]
        for t, b in synthesized(custom_construct)
        if t == "aws_ecs_task_definition" and b["family"].endswith("-stateful")
    ]  # fmt: skip
    logs = json.loads(stateful[0]["container_definitions"])[0]["logConfiguration"]
    assert logs == construct_logs == {
        "logDriver": "splunk",
        "options": {"splunk-url": "https://splunk.internal:8088", "splunk-token": "t"},
    }
    entries = json.loads(stateful[0]["container_definitions"])[0]["environment"]
    assert [e["name"] for e in entries] == [e["name"] for e in construct_stateful]
    assert [e["name"] for e in entries] == sorted(environment)
    assert all(isinstance(e["value"], str) for e in entries)
    assert environment["RUST_LOG"] == "debug" and environment["RESTATE_BIND_IP"] == "::"
    assert environment["RESTATE_DEFAULT_NUM_PARTITIONS"] == "128"
    literal = {e["name"]: e["value"] for e in construct_stateful if "${" not in e["value"]}
    assert literal and literal.items() <= environment.items()
    assert (
        environment["RESTATE_WORKER__SNAPSHOTS__DESTINATION"]
        == f"s3://{bucket}/clusters/a/snapshots"
    )


def stateful_task_definition(document: list[dict[str, Any]]) -> dict[str, Any]:
    (definition,) = [d for d in document if d["family"].endswith("-stateful")]
    return definition


def test_ebs_volume_is_configured_at_launch_as_in_the_construct(
    custom_plan: dict, custom_construct: dict
) -> None:
    """stateful_node.ebs_volume: the volume is configured at launch instead of ephemeral
    storage, and ECS's volume role is created (no role given), as in the construct."""
    construct = stateful_task_definition(
        [b for t, b in synthesized(custom_construct) if t == "aws_ecs_task_definition"]
    )
    module = stateful_task_definition(planned(custom_plan, "custom", "aws_ecs_task_definition"))
    assert construct["volume"] == [{"name": "restate-data", "configure_at_launch": True}]
    assert "ephemeral_storage" not in construct
    assert [v["configure_at_launch"] for v in module["volume"]] == [True]
    assert module["ephemeral_storage"] == []
    (attachment,) = planned(custom_plan, "custom", "aws_iam_role_policy_attachment")
    assert attachment["policy_arn"].endswith(":policy/service-role/" + EBS_POLICY)
    roles = [r["name"] for r in planned(custom_plan, "custom", "aws_iam_role")]
    assert "restate-ebs-volumes" in roles
    # Without a volume: ephemeral storage, no volume role, no EBS policy.
    default = stateful_task_definition(
        planned(custom_plan, "no_lambdas", "aws_ecs_task_definition")
    )
    assert default["ephemeral_storage"] == [{"size_in_gib": 200}]
    assert [v["configure_at_launch"] for v in default["volume"]] == [False]
    assert not planned(custom_plan, "no_lambdas", "aws_iam_role_policy_attachment")
    policies = [p["name"] for p in planned(custom_plan, "no_lambdas", "aws_iam_role_policy")]
    assert "controller-ebs" not in policies
    # A given volume role: not created, the controller may pass exactly that role to ECS.
    assert not planned(custom_plan, "existing", "aws_iam_role_policy_attachment")
    assert "restate-ebs-volumes" not in [
        r["name"] for r in planned(custom_plan, "existing", "aws_iam_role")
    ]
    (ebs_policy,) = [
        p for p in planned(custom_plan, "existing", "aws_iam_role_policy")
        if p["name"] == "controller-ebs"
    ]  # fmt: skip
    statements = {s["Sid"]: s for s in json.loads(ebs_policy["policy"])["Statement"]}
    assert statements["PassVolumeRole"]["Resource"] == [EXISTING_ROLE.format("ebs")]
    assert list(statements) == [
        "PassVolumeRole", "DescribeVolumes", "ClusterVolumes",
        "CreateClusterSnapshots", "TagNewSnapshots", "ClusterSnapshots",
    ]  # fmt: skip
    existing = stateful_task_definition(planned(custom_plan, "existing", "aws_ecs_task_definition"))
    assert existing["ephemeral_storage"] == []


EBS_POLICY = "AmazonECSInfrastructureRolePolicyForVolumes"
#: What the controller needs besides RESTATE_CONTROLLER_EBS_VOLUME (docs/controller-config.md).
CONTROLLER_ENV = {
    "RESTATE_CONTROLLER_BACKEND": "ecs",
    "RESTATE_CONTROLLER_CLUSTER_NAME": "restate",
    "RESTATE_CONTROLLER_ECS_CLUSTER_ARN": "arn:aws:ecs:us-east-1:123456789012:cluster/restate",
    "RESTATE_CONTROLLER_TASK_DEFINITION_ARN": "arn:aws:ecs:us-east-1:123456789012:"
    "task-definition/restate-stateful:1",
    "RESTATE_CONTROLLER_TASK_FAMILY": "restate-stateful",
    "RESTATE_CONTROLLER_SUBNETS_BY_AZ": json.dumps(
        {f"us-east-1{z}": f"subnet-0{z * 3}1111" for z in "abc"}
    ),
    "RESTATE_CONTROLLER_SECURITY_GROUP_IDS": '["sg-0123abcd"]',
    "RESTATE_CONTROLLER_RESTATECTL_ADDRESS": "http://nlb.internal:5122",
    "RESTATE_CONTROLLER_ADMIN_URL": "http://nlb.internal:9070",
    "AWS_REGION": "us-east-1",
}


def test_controller_ebs_volume_json_is_read_by_the_controller(tmp_path: Path) -> None:
    """Terraform evaluates the module's RESTATE_CONTROLLER_EBS_VOLUME; the controller reads it
    as the same volume as the construct's value, and the module's ``null`` as no volume."""
    import cdktf
    from restate_controller.config import load_config

    from cdktf_restate.cluster.controller import ebs_volume_json
    from cdktf_restate.cluster.iam import Role

    role_arn = "arn:aws:iam::123456789012:role/ebs"
    volume = EbsVolumeProps(size_gib=50, throughput=300, role_arn=role_arn, kms_key_id="alias/e")
    construct = synthesize_construct(
        tmp_path / "construct", {"stateful_node": StatefulNodeProps(ebs_volume=volume)}
    )
    (controller,) = [
        b for t, b in synthesized(construct)
        if t == "aws_ecs_task_definition" and b["family"].endswith("-controller")
    ]  # fmt: skip
    (construct_value,) = [
        e["value"] for e in json.loads(controller["container_definitions"])[0]["environment"]
        if e["name"] == "RESTATE_CONTROLLER_EBS_VOLUME"
    ]  # fmt: skip

    app = cdktf.App(outdir=str(tmp_path / "out"))
    stack = cdktf.TerraformStack(app, "ebs")
    cdktf.LocalBackend(stack, path=str(tmp_path / "terraform.tfstate"))
    ebs_type = next(i for i in hcl_module.INPUTS if i.name == "stateful_node").hcl_type
    ebs_type = re.search(r"ebs_volume\s*=\s*optional\((object\(\{.*\}\))\)", ebs_type)[1]
    for name in ("given", "none"):
        variable = cdktf.TerraformVariable(stack, name, type=ebs_type, nullable=True)
        value = ebs_volume_json(variable.value, Role(arn=role_arn, name="ebs", created=None))
        cdktf.TerraformOutput(stack, f"out_{name}", value=value).override_logical_id(name)
    app.synth()
    tf = Terraform(tmp_path / "out" / "stacks" / "ebs")
    tf.init()
    given = '{ size_gib = 50, throughput = 300, kms_key_id = "alias/e" }'
    tf.run("apply", "-input=false", "-auto-approve", "-var", f"given={given}", "-var", "none=null")
    values = {name: value["value"] for name, value in tf.output_json().items()}
    assert values["none"] == "null"
    read = load_config({**CONTROLLER_ENV, "RESTATE_CONTROLLER_EBS_VOLUME": values["none"]})
    assert read.ebs_volume is None
    module = load_config({**CONTROLLER_ENV, "RESTATE_CONTROLLER_EBS_VOLUME": values["given"]})
    expected = load_config({**CONTROLLER_ENV, "RESTATE_CONTROLLER_EBS_VOLUME": construct_value})
    assert module.ebs_volume is not None
    assert module.ebs_volume == expected.ebs_volume
    assert (module.ebs_volume.size_gib, module.ebs_volume.throughput) == (50, 300)
    assert module.ebs_volume.role_arn == role_arn and module.ebs_volume.encrypted is True


def test_disabled_lambdas_are_not_created_and_their_output_is_null(
    custom_plan: dict, existing_nlb: ExistingNlb, tmp_path: Path
) -> None:
    """Both Lambdas disabled, and an existing NLB instead of a created one."""
    construct = synthesize_construct(tmp_path, NO_LAMBDAS_PROPS)
    module = Counter(
        c["type"] for c in created(custom_plan) if c["address"].startswith("module.no_lambdas.")
    )
    assert module == Counter(resource_type for resource_type, _ in synthesized(construct))
    assert "aws_lambda_function" not in module and "aws_sqs_queue" not in module
    # The toggles decide per instance: the other module keeps its four Lambdas (restatectl,
    # the retirement watcher, the Control Panel's widget, the destroy-time cleanup).
    assert len(planned(custom_plan, "custom", "aws_lambda_function")) == 4
    assert not planned(custom_plan, "no_lambdas", "aws_lambda_invocation")
    outputs = custom_plan["output_changes"]
    assert outputs["no_lambdas_restatectl_function_arn"]["after"] is None
    assert outputs["no_lambdas_restatectl_function_arn"]["after_unknown"] is False
    assert outputs["custom_restatectl_function_arn"]["after_unknown"] is True  # an ARN later
    # The existing NLB: not created, its listeners and the addresses use the given one.
    assert "aws_lb" not in module and module["aws_lb_listener"] == 3
    listeners = planned(custom_plan, "no_lambdas", "aws_lb_listener")
    assert {listener["load_balancer_arn"] for listener in listeners} == {existing_nlb.arn}
    assert outputs["no_lambdas_ingress_url"]["after"] == f"http://{existing_nlb.dns_name}:8080"
    assert len(planned(custom_plan, "custom", "aws_lb")) == 1


def test_existing_cluster_groups_and_bucket_are_used_instead_of_created_ones(
    custom_plan: dict, tmp_path: Path
) -> None:
    construct = synthesize_construct(tmp_path, EXISTING_PROPS)
    module = Counter(
        c["type"] for c in created(custom_plan) if c["address"].startswith("module.existing.")
    )
    # The controller's EBS statements and the existing bucket's key are policies of their own
    # in the module (their variables may be null); the construct adds them to its policies.
    construct_types = Counter(resource_type for resource_type, _ in synthesized(construct))
    assert module - construct_types == Counter({"aws_iam_role_policy": 2})
    assert construct_types - module == Counter()
    for absent in ("aws_ecs_cluster", "aws_security_group", "aws_s3_bucket"):
        assert absent not in module
    # Given roles are used as they are: only the controller's task role, the watcher's role
    # and the destroy-time cleanup's (it takes no given role) are created; the construct's
    # policies go on the given task role (by name).
    roles = sorted(r["name"] for r in planned(custom_plan, "existing", "aws_iam_role"))
    assert roles == [
        "restate-controller-task",
        "restate-destroy-cleanup",
        "restate-retirement-watcher",
    ]
    policies = planned(custom_plan, "existing", "aws_iam_role_policy")
    assert {p["role"] for p in policies if p["name"] == "restate-object-storage"} == {
        "restate-task"
    }
    assert not [p for p in policies if p["name"] in ("restate-execution", "controller-execution")]
    # The existing bucket's own KMS key: the Restate task role may use it, in both.
    key = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    (bucket_key,) = [p for p in policies if p["name"] == "restate-bucket-key"]
    (grant,) = json.loads(bucket_key["policy"])["Statement"]
    assert grant["Resource"] == [key] and bucket_key["role"] == "restate-task"
    (construct_storage,) = [
        json.loads(b["policy"])["Statement"]
        for t, b in synthesized(construct)
        if t == "aws_iam_role_policy" and b["name"] == "restate-object-storage"
    ]
    assert any(statement["Resource"] == [key] for statement in construct_storage)
    (restatectl,) = [
        f for f in planned(custom_plan, "existing", "aws_lambda_function")
        if f["function_name"].endswith("-restatectl")
    ]  # fmt: skip
    assert restatectl["role"] == EXISTING_ROLE.format("restatectl")
    for service in planned(custom_plan, "existing", "aws_ecs_service"):
        assert service["cluster"] == EXISTING_CLUSTER_ARN
        assert service["network_configuration"][0]["security_groups"] == ["sg-0123456789abcdef0"]
    (nlb,) = planned(custom_plan, "existing", "aws_lb")
    assert nlb["security_groups"] == ["sg-0123456789abcdef0"]
    stateful = [
        d for d in planned(custom_plan, "existing", "aws_ecs_task_definition")
        if d.get("container_definitions") is not None
    ]  # fmt: skip
    environment = {
        e["name"]: e["value"] for e in json.loads(stateful[0]["container_definitions"])[0]["environment"]
    }  # fmt: skip
    assert environment["RESTATE_METADATA_CLIENT__PATH"] == "s3://my-restate-bucket/metadata"
    # Default log settings: awslogs with the construct's stream prefix and this region.
    logs = json.loads(stateful[0]["container_definitions"])[0]["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert logs["options"]["awslogs-stream-prefix"] == "restate"
    assert logs["options"]["awslogs-region"] == "us-east-1"
    # The created ones are still there in the instances that do not name existing ones.
    assert len(planned(custom_plan, "custom", "aws_ecs_cluster")) == 1
    assert len(planned(custom_plan, "custom", "aws_s3_bucket")) == 1
    assert len(planned(custom_plan, "custom", "aws_security_group")) == 1


def test_controller_image_repository_expression_matches_the_construct(tmp_path: Path) -> None:
    """Terraform evaluates the module's ECR repository ARN of an image known only at plan time
    exactly as the construct computes it for a literal image (or the default repository)."""
    import cdktf

    from cdktf_restate.cluster.iam import ecr_repository_arn, ecr_repository_arn_expression

    @dataclass
    class Partition:
        partition: str = "aws"

    context: Any = Partition()  # the one ClusterContext field both functions read

    images = {
        "ecr": CUSTOM_CONTROLLER_IMAGE,
        "ecr_digest": "123456789012.dkr.ecr.us-west-2.amazonaws.com/ctl@sha256:abc",
        "china": "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/ctl:1",
        "other_registry": "ghcr.io/acme/ctl:1",
    }
    app = cdktf.App(outdir=str(tmp_path / "out"))
    stack = cdktf.TerraformStack(app, "ecr")
    # An explicit state path: cdktf's default local backend writes into the working directory.
    cdktf.LocalBackend(stack, path=str(tmp_path / "terraform.tfstate"))
    for name, image in images.items():
        variable = cdktf.TerraformVariable(stack, name, type="string", default=image)
        value = ecr_repository_arn_expression(variable.string_value, context, fallback="fallback")
        cdktf.TerraformOutput(stack, f"out_{name}", value=value).override_logical_id(name)
    app.synth()
    tf = Terraform(tmp_path / "out" / "stacks" / "ecr")
    tf.init()
    tf.run("apply", "-input=false", "-auto-approve")
    values = {name: value["value"] for name, value in tf.output_json().items()}
    expected = {
        name: ecr_repository_arn(image, context) or "fallback" for name, image in images.items()
    }
    assert values == expected
    assert values["ecr"] == "arn:aws:ecr:eu-west-1:123456789012:repository/ops/restate-controller"


# ---------------------------------------------------------------- validation blocks


@dataclass(frozen=True)
class BadInput:
    """One invalid module argument (HCL) and the same value given to the construct."""

    hcl: str
    props: dict[str, Any]


def subnets_input(*pairs: tuple[str, str]) -> BadInput:
    """``subnets`` given as (subnet id, zone) pairs, to the module and to the construct."""
    hcl = ", ".join(f'{{ subnet_id = "{s}", availability_zone = "{z}" }}' for s, z in pairs)
    props = [Subnet(subnet_id=s, availability_zone=z) for s, z in pairs]
    return BadInput(f"subnets = [{hcl}]", {"subnets": props})


BAD_INPUTS = {
    "zone_replication_needs_more_azs": BadInput(
        'stateless_node = { default_replication = "{zone: 3}" }',
        {"stateless_node": StatelessNodeProps(default_replication="{zone: 3}")},
    ),
    "replication_written_wrongly": BadInput(
        'stateless_node = { default_replication = "zone=2" }',
        {"stateless_node": StatelessNodeProps(default_replication="zone=2")},
    ),
    "fargate_memory_for_cpu": BadInput(
        "stateless_node = { resources = { cpu = 1024, memory_mib = 1024 } }",
        {"stateless_node": StatelessNodeProps(resources=Resources(cpu=1024, memory_mib=1024))},
    ),
    "fargate_cpu": BadInput(
        "stateful_node = { resources = { cpu = 3000, memory_mib = 4096 } }",
        {"stateful_node": StatefulNodeProps(resources=Resources(cpu=3000, memory_mib=4096))},
    ),
    "nodes_per_az": BadInput(
        "stateful_node = { nodes_per_az = 0 }", {"stateful_node": StatefulNodeProps(nodes_per_az=0)}
    ),
    "desired_count_not_integer": BadInput(
        "stateless_node = { desired_count = 1.5 }",
        {"stateless_node": StatelessNodeProps(desired_count=1.5)},  # type: ignore[arg-type]
    ),
    "partitions": BadInput(
        "stateless_node = { default_partitions = 0 }",
        {"stateless_node": StatelessNodeProps(default_partitions=0)},
    ),
    "unsupported_version": BadInput(
        'stateless_node = { restate_image = "docker.restate.dev/restatedev/restate:1.6.2" }',
        {"stateless_node": StatelessNodeProps(restate_image="docker.restate.dev/restatedev/restate:1.6.2")},
    ),
    "untagged_version": BadInput(
        'stateful_node = { restate_image = "docker.restate.dev/restatedev/restate:latest" }',
        {"stateful_node": StatefulNodeProps(restate_image="docker.restate.dev/restatedev/restate:latest")},
    ),
    "log_retention": BadInput("log_retention_days = 2", {"log_retention_days": 2}),
    "reconcile_interval": BadInput(
        "controller = { reconcile_interval_seconds = 0 }",
        {"controller": ControllerProps(reconcile_interval_seconds=0)},
    ),
    "container_insights": BadInput(
        'monitoring = { container_insights = "on" }',
        {"monitoring": MonitoringProps(container_insights="on")},
    ),
    "alarm_action": BadInput(
        'monitoring = { alarm_actions = ["arn:aws:sns:us-east-1:123456789012:ok", "ops@example.com"] }',
        {"monitoring": MonitoringProps(alarm_actions=["arn:aws:sns:us-east-1:123456789012:ok", "ops@example.com"])},
    ),
    "alarm_actions": BadInput(
        "monitoring = { alarm_actions = [" + ", ".join(f'"arn:aws:sns:us-east-1:123456789012:t{i}"' for i in range(6)) + "] }",
        {"monitoring": MonitoringProps(alarm_actions=[f"arn:aws:sns:us-east-1:123456789012:t{i}" for i in range(6)])},
    ),
    "cluster_name": BadInput('cluster_name = "bad name!"', {"cluster_name": "bad name!"}),
    "cluster_name_trailing_underscore": BadInput('cluster_name = "payments_"', {"cluster_name": "payments_"}),
    "cluster_name_internal": BadInput('cluster_name = "internal_x"', {"cluster_name": "internal_x"}),
    "reconcile_interval_too_long": BadInput(
        "controller = { reconcile_interval_seconds = 3601 }",
        {"controller": ControllerProps(reconcile_interval_seconds=3601)},
    ),
    "tag_key": BadInput('tags = { "aws:team" = "x" }', {"tags": {"aws:team": "x"}}),
    "tag_value": BadInput(
        'tags = { owner = "team (payments)" }', {"tags": {"owner": "team (payments)"}}
    ),
    "too_many_tags": BadInput(
        "tags = { " + ", ".join(f't{i} = "v"' for i in range(40)) + " }",
        {"tags": {f"t{i}": "v" for i in range(40)}},
    ),
    "controller_image": BadInput(
        'controller = { controller_image = "my image" }',
        {"controller": ControllerProps(controller_image="my image")},
    ),
    "controller_cpu_architecture": BadInput(
        'controller = { tasks = { cpu_architecture = "arm64" } }',
        {"controller": ControllerProps(tasks=TaskProps(cpu_architecture="arm64"))},
    ),
    "restate_cpu_architecture": BadInput(
        'restate_tasks = { cpu_architecture = "X86" }',
        {"restate_tasks": TaskProps(cpu_architecture="X86")},
    ),
    "bucket_prefix": BadInput(
        'object_storage = { prefix = "restate/" }',
        {"object_storage": ObjectStorageProps(prefix="restate/")},
    ),
    "bucket_name": BadInput(
        'object_storage = { bucket_name = "My_Bucket" }',
        {"object_storage": ObjectStorageProps(bucket_name="My_Bucket")},
    ),
    "ecs_cluster_name": BadInput('ecs_cluster = "bad cluster!"', {"ecs_cluster": "bad cluster!"}),
    "ecs_cluster_arn": BadInput(
        'ecs_cluster = "arn:aws:s3:::shared"', {"ecs_cluster": "arn:aws:s3:::shared"}
    ),
    "security_groups_empty": BadInput("security_group_ids = []", {"security_group_ids": []}),
    "security_groups_too_many": BadInput(
        "security_group_ids = [" + ", ".join(f'"sg-0000000{i}"' for i in range(6)) + "]",
        {"security_group_ids": [f"sg-0000000{i}" for i in range(6)]},
    ),
    "security_group_id": BadInput(
        'security_group_ids = ["sg-00000001", "default"]', {"security_group_ids": ["sg-00000001", "default"]}
    ),
    "restate_version_unsupported": BadInput(
        'stateless_node = { restate_version = "1.6" }',
        {"stateless_node": StatelessNodeProps(restate_version="1.6")},
    ),
    "restate_version_unparseable": BadInput(
        'stateful_node = { restate_version = "latest" }',
        {"stateful_node": StatefulNodeProps(restate_version="latest")},
    ),
    "address_not_a_url": BadInput(
        'addresses = { admin = "restate.example.com:9070" }',
        {"addresses": AddressesProps(admin="restate.example.com:9070")},
    ),
    "advertised_ingress_not_a_url": BadInput(
        'stateless_node = { ingress_advertised_address = "ftp://x" }',
        {"stateless_node": StatelessNodeProps(ingress_advertised_address="ftp://x")},
    ),
    "cidr_with_host_bits": BadInput(
        'load_balancer = { admin_cidr_blocks = ["10.0.0.0/16", "10.1.0.1/16"] }',
        {"load_balancer": LoadBalancerProps(admin_cidr_blocks=["10.0.0.0/16", "10.1.0.1/16"])},
    ),
    "cidr_rules_need_the_created_group": BadInput(
        'security_group_ids = ["sg-00000001"]\nload_balancer = { ingress_cidr_blocks = ["10.0.0.0/16"] }',
        {
            "security_group_ids": ["sg-00000001"],
            "load_balancer": LoadBalancerProps(ingress_cidr_blocks=["10.0.0.0/16"]),
        },
    ),
    "role_arn": BadInput(
        'controller = { tasks = { task_role_arn = "arn:aws:iam::123456789012:user/x" } }',
        {
            "controller": ControllerProps(
                tasks=TaskProps(task_role_arn="arn:aws:iam::123456789012:user/x")
            )
        },
    ),
    "environment_variable_name": BadInput(
        'stateless_node = { environment = { "MY-SETTING" = "1" } }',
        {"stateless_node": StatelessNodeProps(environment={"MY-SETTING": "1"})},
    ),
    "stateful_environment_variable_name": BadInput(
        'stateful_node = { environment = { "9LIVES" = "x" } }',
        {"stateful_node": StatefulNodeProps(environment={"9LIVES": "x"})},
    ),
    "ebs_size_zero": BadInput(
        "stateful_node = { ebs_volume = { size_gib = 0 } }",
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=0))},
    ),
    "ebs_volume_type": BadInput(
        'stateful_node = { ebs_volume = { size_gib = 10, volume_type = "gp9" } }',
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=10, volume_type="gp9"))},
    ),
    "ebs_magnetic_on_fargate": BadInput(
        'stateful_node = { ebs_volume = { size_gib = 10, volume_type = "standard" } }',
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=10, volume_type="standard"))},
    ),
    "ebs_st1_too_small": BadInput(
        'stateful_node = { ebs_volume = { size_gib = 100, volume_type = "st1" } }',
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=100, volume_type="st1"))},
    ),
    "ebs_iops_on_gp2": BadInput(
        'stateful_node = { ebs_volume = { size_gib = 100, volume_type = "gp2", iops = 3000 } }',
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=100, volume_type="gp2", iops=3000))},
    ),
    "ebs_io2_needs_iops": BadInput(
        'stateful_node = { ebs_volume = { size_gib = 100, volume_type = "io2" } }',
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=100, volume_type="io2"))},
    ),
    "ebs_gp3_iops_out_of_range": BadInput(
        "stateful_node = { ebs_volume = { size_gib = 100, iops = 20000 } }",
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=100, iops=20000))},
    ),
    "ebs_io1_iops_per_gib": BadInput(
        'stateful_node = { ebs_volume = { size_gib = 10, volume_type = "io1", iops = 1000 } }',
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=10, volume_type="io1", iops=1000))},
    ),
    "ebs_gp3_throughput_over_iops": BadInput(
        "stateful_node = { ebs_volume = { size_gib = 100, throughput = 800 } }",
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=100, throughput=800))},
    ),
    "ebs_throughput_on_io1": BadInput(
        'stateful_node = { ebs_volume = { size_gib = 100, volume_type = "io1", iops = 1000, throughput = 200 } }',
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=100, volume_type="io1", iops=1000, throughput=200))},
    ),
    "ebs_throughput_out_of_range": BadInput(
        "stateful_node = { ebs_volume = { size_gib = 100, throughput = 2000 } }",
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=100, throughput=2000))},
    ),
    "ebs_role_arn": BadInput(
        'stateful_node = { ebs_volume = { size_gib = 100, role_arn = "arn:aws:iam::1:user/x" } }',
        {"stateful_node": StatefulNodeProps(ebs_volume=EbsVolumeProps(size_gib=100, role_arn="arn:aws:iam::1:user/x"))},
    ),
    "existing_nlb_arn_of_an_alb": BadInput(
        'load_balancer = { existing_nlb_arn = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/1" }',
        {"load_balancer": LoadBalancerProps(existing_nlb_arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/1")},
    ),
    "explicit_version_contradicts_the_tag": BadInput(
        'stateless_node = { restate_image = "docker.restate.dev/restatedev/restate:1.8.0", restate_version = "1.7" }',
        {"stateless_node": StatelessNodeProps(restate_image="docker.restate.dev/restatedev/restate:1.8.0", restate_version="1.7")},
    ),
    "bucket_key_without_existing_bucket": BadInput(
        'object_storage = { kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }',
        {"object_storage": ObjectStorageProps(kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")},
    ),
    "internet_facing_nlb_without_subnets": BadInput(
        "load_balancer = { internet_facing = true }",
        {"load_balancer": LoadBalancerProps(internet_facing=True)},
    ),
    "existing_nlb_with_new_nlb_settings": BadInput(
        'load_balancer = { existing_nlb_arn = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/a/1", internet_facing = true }',
        {"load_balancer": LoadBalancerProps(existing_nlb_arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/a/1", internet_facing=True)},
    ),
    "disabled_node_port": BadInput(
        'load_balancer = { disable_shared_nlb_ports = ["node"] }',
        {"load_balancer": LoadBalancerProps(disable_shared_nlb_ports=["node"])},
    ),
    # A precondition: the disabled port's address is another variable.
    "disabled_port_without_address": BadInput(
        'load_balancer = { disable_shared_nlb_ports = ["ingress"] }',
        {"load_balancer": LoadBalancerProps(disable_shared_nlb_ports=["ingress"])},
    ),
    "queue_kms_key_alias": BadInput(
        'retirement_watcher = { queue_kms_key_arn = "arn:aws:kms:us-east-1:1:alias/x" }',
        {"retirement_watcher": RetirementWatcherProps(queue_kms_key_arn="arn:aws:kms:us-east-1:1:alias/x")},
    ),
    "log_driver": BadInput(
        'restate_tasks = { log_driver = "syslogd" }',
        {"restate_tasks": TaskProps(log_driver="syslogd")},
    ),
    "log_driver_without_options": BadInput(
        'controller = { tasks = { log_driver = "splunk" } }',
        {"controller": ControllerProps(tasks=TaskProps(log_driver="splunk"))},
    ),
    "access_logs_bucket_name": BadInput(
        'load_balancer = { access_logs_bucket = "Logs_Bucket" }',
        {"load_balancer": LoadBalancerProps(access_logs_bucket="Logs_Bucket")},
    ),
    "access_logs_of_a_given_bucket": BadInput(
        'object_storage = { bucket_name = "mine", access_logs_bucket = "s3-logs" }',
        {"object_storage": ObjectStorageProps(bucket_name="mine", access_logs_bucket="s3-logs")},
    ),
    "nlb_subnets": BadInput(
        "load_balancer = { subnet_ids = [] }",
        {"load_balancer": LoadBalancerProps(subnet_ids=[])},
    ),
    # Spans two variables: a precondition of the stateful task definition, not a validation.
    "node_replication_needs_more_nodes": BadInput(
        'stateless_node = { default_replication = "{node: 3}" }',
        {"stateless_node": StatelessNodeProps(default_replication="{node: 3}")},
    ),
    "no_subnets": BadInput("subnets = []", {"subnets": []}),
    "vpc_id_format": BadInput('vpc_id = "vpc-prod"', {"vpc_id": "vpc-prod"}),
    "subnet_id_format": subnets_input(
        ("subnet-0000000a", "us-east-1a"), ("subnet-b", "us-east-1b"), ("subnet-0000000c", "us-east-1c")
    ),
    "security_group_id_format": BadInput(
        'security_group_ids = ["sg-12345"]', {"security_group_ids": ["sg-12345"]}
    ),
    "load_balancer_subnet_id_format": BadInput(
        'load_balancer = { internet_facing = true, subnet_ids = ["subnet-0000000a", "public-b"] }',
        {"load_balancer": LoadBalancerProps(internet_facing=True, subnet_ids=["subnet-0000000a", "public-b"])},
    ),
    # Preconditions: zone and node replication span two variables.
    "too_few_zones_for_default_replication": subnets_input(
        ("subnet-0000000a", "us-east-1a"), ("subnet-0000000b", "us-east-1b")
    ),
    "duplicate_zone": subnets_input(
        ("subnet-0000000a", "us-east-1a"), ("subnet-0000000b", "us-east-1a"), ("subnet-0000000c", "us-east-1c")
    ),
}  # fmt: skip


def construct_message(bad: BadInput) -> str:
    props: dict[str, Any] = {
        "vpc_id": "vpc-0000aaaa",
        "subnets": [Subnet(subnet_id=s, availability_zone=z) for s, z in BASE_SUBNETS],
        **bad.props,
    }
    with pytest.raises(RestateConfigError) as error:
        validate_props(RestateClusterProps(**props))
    return str(error.value)


def module_call(name: str, bad: BadInput) -> str:
    subnets = ", ".join(
        f'{{ subnet_id = "{s}", availability_zone = "{z}" }}' for s, z in BASE_SUBNETS
    )
    arguments = {"vpc_id": '"vpc-0000aaaa"', "subnets": f"[{subnets}]"}
    for line in bad.hcl.splitlines():  # one argument per line
        key, value = line.split(" = ", 1)
        arguments[key] = value
    body = "\n".join(f"  {k} = {v}" for k, v in arguments.items())
    return f'module "{name}" {{\n  source = "../{MODULE_PATH}"\n{body}\n}}\n'


def normalized(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


#: Checked by a resource precondition, which Terraform evaluates only once variables are valid.
PRECONDITION_CASES = {
    "node_replication_needs_more_nodes",
    "zone_replication_needs_more_azs",
    "too_few_zones_for_default_replication",
    "cidr_rules_need_the_created_group",
    "disabled_port_without_address",
}


def failed_plan_output(workspace: Workspace, workdir: Path, main_tf: str) -> str:
    """The normalized output of a ``terraform plan`` (on moto) that must fail."""
    (workdir / "main.tf").write_text(main_tf)
    shutil.copy(REPO / EXAMPLE_PATH / "versions.tf", workdir / "versions.tf")
    tf = Terraform(workdir)
    tf.init()
    result = tf.run(
        "plan", "-input=false", "-lock=false", "-var", f"aws_endpoint={workspace.emulator.url}",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout
    return normalized(result.stdout + result.stderr)


def plan_output(workspace: Workspace, directory: str, cases: list[str]) -> str:
    """One plan with one module instance per bad input: Terraform reports every failed rule."""
    workdir = workspace.root / directory
    workdir.mkdir()
    provider = (REPO / EXAMPLE_PATH / "main.tf").read_text()
    provider = provider[provider.index('variable "region"') : provider.index("####")]
    calls = "\n".join(module_call(name, BAD_INPUTS[name]) for name in cases)
    output = failed_plan_output(workspace, workdir, provider + calls)
    # Every condition evaluates cleanly (Terraform's || does not short-circuit).
    assert "Error in function call" not in output
    return output


@pytest.fixture(scope="module")
def bad_plan_output(workspace: Workspace) -> str:
    return plan_output(workspace, "bad-inputs", sorted(set(BAD_INPUTS) - PRECONDITION_CASES))


@pytest.fixture(scope="module")
def precondition_plan_output(workspace: Workspace) -> str:
    return plan_output(workspace, "bad-preconditions", sorted(PRECONDITION_CASES))


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_fails_plan_with_the_construct_message(
    name: str, request: pytest.FixtureRequest
) -> None:
    fixture = "precondition_plan_output" if name in PRECONDITION_CASES else "bad_plan_output"
    bad_plan_output = request.getfixturevalue(fixture)
    message = normalized(construct_message(BAD_INPUTS[name]))
    # All instances share one plan, so the message alone would not tell which one failed.
    errors = [block for block in bad_plan_output.split("Error: ")[1:] if message in block]
    if name in PRECONDITION_CASES:
        # Terraform names only the shared module file for a precondition; each instance of this
        # plan breaks a different rule, so exactly one may report this message.
        assert len(errors) == 1, errors
    else:
        # A variable's validation error names the module block it came from.
        assert errors, message
        assert all(f'in module "{name}"' in block for block in errors), errors


def plan_module_instances(
    workspace: Workspace, directory: str, module: Path, instances: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """A plan of one instance of ``module`` per entry (name -> extra arguments) on moto."""
    workdir = workspace.root / directory
    workdir.mkdir()
    provider = (REPO / EXAMPLE_PATH / "main.tf").read_text()
    provider = provider[provider.index('variable "region"') : provider.index("####")]
    subnets = ", ".join(
        f'{{ subnet_id = "{s}", availability_zone = "{z}" }}' for s, z in BASE_SUBNETS
    )
    calls = "".join(
        f'module "{name}" {{\n  source = "{module}"\n  vpc_id = "vpc-0000aaaa"\n'
        f"  subnets = [{subnets}]\n{extra}}}\n"
        for name, extra in instances.items()
    )
    (workdir / "main.tf").write_text(provider + calls)
    shutil.copy(REPO / EXAMPLE_PATH / "versions.tf", workdir / "versions.tf")
    tf = Terraform(workdir)
    tf.init()
    return tf.run(
        "plan", "-input=false", "-lock=false", "-var", f"aws_endpoint={workspace.emulator.url}",
        check=False,
    )  # fmt: skip


def test_the_longest_cluster_name_fits_every_aws_name(workspace: Workspace) -> None:
    """64 characters pass the variable's validation: every derived name must fit its limit
    (the provider checks Lambda, queue and role names at plan)."""
    longest = "c" * 64
    result = plan_module_instances(
        workspace,
        "longest-name",
        workspace.root / MODULE_PATH,
        {"longest_name": f'  cluster_name = "{longest}"\n'},
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: Every cut of this name ends in '-' or '_' (64 characters, valid: starts with a letter).
RAGGED_NAME = "a" + "-_" * 31 + "b"
#: Attributes that hold names derived from the cluster name.
NAME_ATTRIBUTES = ("name", "name_prefix", "function_name", "bucket", "family", "target_prefix")


def derived_names(resources: list[tuple[str, dict[str, Any]]]) -> Counter:
    return Counter(
        (resource_type, attribute, body[attribute])
        for resource_type, body in resources
        for attribute in NAME_ATTRIBUTES
        # References are known only after apply in the plan: literal names only.
        if isinstance(body.get(attribute), str) and "${" not in body[attribute]
    )


def test_module_derives_the_same_names_as_the_construct(
    workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Shortened names drop a trailing '-'/'_' in both, so moving a cluster between the
    construct and the module keeps its Lambdas, roles, queues, groups and target groups."""
    workdir = workspace.root / "ragged-name"
    workdir.mkdir()
    calls = module_calls({"ragged": {"cluster_name": f'"{RAGGED_NAME}"'}})
    plan = planned_root_module(workspace, workdir, calls)
    module = derived_names(
        [(c["type"], c["change"]["after"]) for c in created(plan)
         if c["address"].startswith("module.ragged.")]
    )  # fmt: skip
    document = synthesize_construct(tmp_path_factory.mktemp("ragged"), {}, RAGGED_NAME)
    construct = derived_names(synthesized(document))
    # The bucket's name holds the account and region: moto's account in the plan, data
    # source tokens in the synthesized JSON. Compared without them.
    for names in (module, construct):
        for key in [k for k in names if k[0] in ("aws_s3_bucket", "aws_s3_bucket_logging")]:
            del names[key]
    assert module == construct
    shortened = [name for _, _, name in module if RAGGED_NAME not in name]
    assert shortened and not any("-_" in name or "_-" in name for name in shortened)
    assert ("aws_lambda_function", "function_name", "a-restatectl") in module


def test_a_bad_id_next_to_one_known_after_apply_fails_the_plan(workspace: Workspace) -> None:
    """An id of a resource created in the same configuration is unknown at plan, which leaves
    the rule naming the bad value unknown too; the plan must still fail, not the apply."""
    unknown = "terraform_data.created.id"  # known only after apply
    subnets = ", ".join(
        f'{{ subnet_id = "{s}", availability_zone = "{z}" }}' for s, z in BASE_SUBNETS[1:]
    )
    calls = module_calls(
        {
            "groups": {"security_group_ids": f'[{unknown}, "sg-12345"]'},
            "subnets": {
                "subnets": f'[{{ subnet_id = {unknown}, availability_zone = "us-east-1a" }}, '
                f'{subnets}, {{ subnet_id = "subnet-d", availability_zone = "us-east-1d" }}]'
            },
            "nlb": {
                "load_balancer": f'{{ internet_facing = true, subnet_ids = [{unknown}, "b"] }}'
            },
            "alarms": {"monitoring": f'{{ alarm_actions = [{unknown}, "ops@example.com"] }}'},
            "fine": {"security_group_ids": f"[{unknown}]"},
        }
    )
    workdir = workspace.root / "known-bad-ids"
    workdir.mkdir()
    main_tf = 'resource "terraform_data" "created" {}\n' + calls
    errors = failed_plan_output(workspace, workdir, main_tf).split("Error: ")[1:]
    expected = {
        "groups": "security_group_ids: one of the values is not a security group id",
        "subnets": "subnets: one of the values is not a subnet id",
        "nlb": "load_balancer.subnet_ids: one of the values is not a subnet id",
        "alarms": "monitoring.alarm_actions: one of the values is not an SNS topic ARN",
    }
    for instance, message in expected.items():
        assert any(message in e and f'module "{instance}"' in e for e in errors), instance
    assert not any('module "fine"' in e for e in errors)


@contextmanager
def served(directory: Path) -> Iterator[str]:
    """``directory`` over plain HTTP on loopback (a stand-in for a release's download URL)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_release_archive_is_reproducible_and_plans_from_its_url(
    workspace: Workspace, tmp_path: Path
) -> None:
    """A module block whose source is the release archive's URL gets the Lambda packages with
    it: no vendoring, no build step, unlike a git source (the zips are not committed)."""
    module = workspace.root / MODULE_PATH
    releases = tmp_path / "releases"
    first, second = releases / "module.tar.gz", tmp_path / "again.tar.gz"
    # Files a user may have next to the module are not published.
    (module / "terraform.tfstate").write_text("{}")
    (module / "lambda" / "notes.txt").write_text("local")
    hcl_module.write_archive(module, first)
    hcl_module.write_archive(module, second)
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as tar:
        members = {m.name: m for m in tar.getmembers()}
    (module / "terraform.tfstate").unlink()
    (module / "lambda" / "notes.txt").unlink()
    packaged = sorted(p.relative_to(module).as_posix() for p in module.rglob("*") if p.is_file())
    assert sorted(n for n, m in members.items() if m.isfile()) == packaged
    assert {"main.tf", "lambda/retirement-watcher.zip"} <= set(members)
    assert {(m.mtime, m.uid, m.gid) for m in members.values()} == {(0, 0, 0)}
    workdir = workspace.root / "from-release"
    workdir.mkdir()
    with served(releases) as url:
        calls = module_calls({"released": {}}).replace(
            f'source = "../{MODULE_PATH}"', f'source = "{url}/module.tar.gz"'
        )
        plan = planned_root_module(workspace, workdir, calls)
    lambdas = {
        c["change"]["after"]["function_name"]: c["change"]["after"].get("source_code_hash")
        for c in created(plan)
        if c["type"] == "aws_lambda_function" and c["address"].startswith("module.released.")
    }
    package = module / "lambda" / "retirement-watcher.zip"
    digest = base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
    assert lambdas["restate-retirement-watcher"] == digest


def test_module_cli_usage(capsys: pytest.CaptureFixture) -> None:
    assert hcl_module.main([]) == 2
    assert "usage: cdktf-restate module --out DIR" in capsys.readouterr().err
    for wrong, says in (
        (["--out"], "each once with a value"),
        (["--out", "a", "--out", "b"], "each once with a value"),
        (["--archive", "a.tar.gz", "--zip", "b"], "unknown option --zip"),
        (["--out", ""], "--out needs a path, got ''"),  # would clean the current folder
        (["--out", "--archive"], "--out needs a path, got '--archive'"),
        (["--archive", "module.zip"], "allowed: a .tar.gz or .tgz"),  # Terraform unpacks by name
        (["--out", "m", "--archive", "m/module.tar.gz"], "outside the module folder"),
    ):
        assert hcl_module.main(wrong) == 2, wrong
        error = capsys.readouterr().err
        assert says in error and "--archive FILE.tar.gz" in error, (wrong, error)
    assert hcl_module.main(["--help"]) == 0
    assert "Generate the Terraform module" in capsys.readouterr().out
    from cdktf_restate import cli

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "cdktf-restate 0.1.0"


def test_dashboard_switches_and_names_plan_as_in_the_construct(workspace: Workspace) -> None:
    """monitoring.dashboard through the module: both dashboards and the widget Lambda by
    default; the plain Control Panel without custom widgets; generated names; none at all."""
    workdir = workspace.root / "dashboards"
    workdir.mkdir()
    calls = module_calls(
        {
            "default": {"cluster_name": '"dash-default"'},
            "plain": {
                "cluster_name": '"dash-plain"',
                "restatectl": "{ disabled = true }",
                "retirement_watcher": "{ disabled = true }",
                "monitoring": "{ dashboard = { custom_widgets = { disabled = true },"
                " metrics = { autogenerated_name = true } } }",
            },
            "none": {
                "cluster_name": '"dash-none"',
                "monitoring": "{ dashboard = { control_panel = { disabled = true },"
                " metrics = { disabled = true } } }",
            },
        }
    )
    outputs = "".join(
        f'output "{m}_{n}" {{\n  value = module.{m}.{n}\n}}\n'
        for m in ("default", "plain", "none")
        for n in ("control_panel_dashboard_name", "metrics_dashboard_name")
    )
    plan = planned_root_module(workspace, workdir, calls + outputs)
    # (Bodies hold ARNs known after apply: which resource is planned tells the variant.)
    dashboards: dict[str, dict[str, str]] = {}
    widget_lambdas = set()
    for change in created(plan):
        module, resource = change["address"].split(".")[1], change["address"].split(".", 2)[2]
        after = change["change"]["after"]
        if change["type"] == "aws_cloudwatch_dashboard":
            dashboards.setdefault(module, {})[after["dashboard_name"]] = resource
        if change["type"] == "aws_lambda_function" and "control-panel" in after["function_name"]:
            widget_lambdas.add(module)
    assert widget_lambdas == {"default"}
    assert dashboards["default"] == {
        "dash-default-control-panel": "aws_cloudwatch_dashboard.dashboard_control_panel[0]",
        "dash-default-metrics": "aws_cloudwatch_dashboard.dashboard_metrics[0]",
    }
    (plain_metrics,) = [n for n in dashboards["plain"] if "metrics" in n]
    assert re.fullmatch(r"dash-plain-metrics-[0-9a-f]{8}", plain_metrics)
    assert dashboards["plain"]["dash-plain-control-panel"] == (
        "aws_cloudwatch_dashboard.dashboard_control_panel_plain[0]"
    )
    assert "none" not in dashboards
    values = {k: v.get("value") for k, v in plan["planned_values"]["outputs"].items()}
    assert values["default_control_panel_dashboard_name"] == "dash-default-control-panel"
    assert values["plain_metrics_dashboard_name"] == plain_metrics
    assert values["none_control_panel_dashboard_name"] is None
    assert values["none_metrics_dashboard_name"] is None
