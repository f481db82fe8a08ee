"""The fuzz generator of test_schema_fuzz.py, sampled against the generated HCL module: where the
construct refuses a value, the module's plan fails with a validation message naming the same
prop; where the construct takes it, that module instance plans."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hcl_module import EXAMPLE_PATH, REPO, Workspace, module_calls, normalized
from test_schema_fuzz import NAMES_AT_LIMITS, UNICODE_DIGITS, WRONG_ARNS, replaced

from cdktf_restate import RestateConfigError, Subnet
from cdktf_restate.devtools.emulator import running_emulator
from cdktf_restate.devtools.terraform import Terraform
from cdktf_restate.schema.props import RestateClusterProps
from cdktf_restate.schema.validation import validate_props

pytestmark = pytest.mark.slow

#: Props whose module variable is checked by validation blocks alone (no data source is read
#: for them at plan), by their HCL type.
STRING_PATHS = (
    "vpc_id",
    "cluster_name",
    "object_storage.prefix",
    "object_storage.access_logs_bucket",
    "load_balancer.access_logs_bucket",
    "addresses.admin",
    "stateless_node.restate_image",
    "stateless_node.default_replication",
    "controller.tasks.task_role_arn",
    "restate_tasks.log_driver",
    "monitoring.container_insights",
    "retirement_watcher.queue_kms_key_arn",
)
NUMBER_PATHS = (
    "stateless_node.desired_count",
    "stateless_node.default_partitions",
    "stateful_node.nodes_per_az",
    "controller.snapshot_retention_days",
    "object_storage.noncurrent_version_expiration_days",
    "log_retention_days",
)
STRING_VALUES = st.one_of(
    NAMES_AT_LIMITS,
    WRONG_ARNS,
    UNICODE_DIGITS,
    st.text(alphabet="abc-./: \n", max_size=12),
    st.sampled_from(["restate", "prod/restate", "{zone: 2}", "enabled", "awslogs"]),
)
NUMBER_VALUES = st.one_of(
    st.integers(min_value=-3, max_value=5),
    st.sampled_from([0, 7, 365, 65535, 65536, 10**6]),
)
SAMPLES = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(STRING_PATHS), STRING_VALUES),
        st.tuples(st.sampled_from(NUMBER_PATHS), NUMBER_VALUES),
    ),
    min_size=8,
    max_size=8,
    unique_by=lambda sample: sample[0],
)

SUBNETS = [
    Subnet(subnet_id=s, availability_zone=z)
    for s, z in (
        ("subnet-0000000a", "us-east-1a"),
        ("subnet-0000000b", "us-east-1b"),
        ("subnet-0000000c", "us-east-1c"),
    )
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The committed module (test_hcl_module checks it is what the generator writes) and moto."""
    root = tmp_path_factory.mktemp("fuzz-module")
    shutil.copytree(REPO / "modules", root / "modules")
    with running_emulator() as emulator:
        yield Workspace(root, emulator)


def hcl_value(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    # A JSON string is an HCL string once template sequences are escaped.
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def hcl_argument(path: str, value: Any) -> tuple[str, str]:
    """``path`` = value as a module argument: ``a.b.c`` becomes ``a = { b = { c = value } }``."""
    head, *rest = path.split(".")
    text = hcl_value(value)
    for key in reversed(rest):
        text = f"{{ {key} = {text} }}"
    return head, text


def construct_problems(path: str, value: Any) -> list[str]:
    props = replaced(
        RestateClusterProps(vpc_id="vpc-0000aaaa", subnets=SUBNETS), path.split("."), value
    )
    try:
        validate_props(props)
    except RestateConfigError as error:
        return [str(problem) for problem in error.problems]
    return []


@settings(
    max_examples=1,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(samples=SAMPLES)
def test_sampled_values_fail_or_plan_in_the_module_as_in_the_construct(
    samples: list[tuple[str, Any]], workspace: Workspace
) -> None:
    instances = {f"sample_{i}": (path, value) for i, (path, value) in enumerate(samples)}
    calls = {name: dict([hcl_argument(path, value)]) for name, (path, value) in instances.items()}
    workdir = workspace.root / "fuzz-samples"
    workdir.mkdir(exist_ok=True)
    (workdir / "main.tf").write_text(module_calls(calls))
    (workdir / "versions.tf").write_text((REPO / EXAMPLE_PATH / "versions.tf").read_text())
    tf = Terraform(workdir)
    tf.init()
    result = tf.run(
        "plan", "-input=false", "-lock=false", "-var", f"aws_endpoint={workspace.emulator.url}",
        check=False,
    )  # fmt: skip
    errors = normalized(result.stdout + result.stderr).split("Error: ")[1:]
    for name, (path, value) in instances.items():
        problems = construct_problems(path, value)
        mine = [e for e in errors if f'module "{name}"' in e]
        if problems and problems[0].startswith(path):
            # A variable's validation block names the same prop.
            prop = re.escape(problems[0].split(":", 1)[0].split("[", 1)[0])
            assert any(re.search(rf"{prop}[.:\[]", e) for e in mine), (path, value, problems, mine)
        elif problems:
            # A rule across variables is a precondition, which Terraform evaluates only once
            # every variable is valid: the plan fails, here or (first) for another instance.
            assert errors, (path, value, problems)
        else:
            assert not mine, (path, value, mine)
    if not errors:
        assert result.returncode == 0, result.stderr
