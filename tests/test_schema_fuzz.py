"""Property-based tests of the props schema (hypothesis): any value at any prop path either
fails with a ``RestateConfigError`` naming that path (or the field it is checked against), or
synthesizes; never another exception, never a partial output."""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cdktf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdktf_restate import AwsProvider, RestateConfigError, RestateEcsFargateCluster, Subnet
from cdktf_restate.schema import props as props_module
from cdktf_restate.schema.props import EbsVolumeProps, RestateClusterProps, StatefulNodeProps
from cdktf_restate.schema.validation import validate_props

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
SUBNETS = tuple(
    Subnet(subnet_id=f"subnet-0000000{i}", availability_zone=zone) for i, zone in enumerate(ZONES)
)
#: The stateful volume is optional: its fields are reached through a base volume.
BASE_VOLUME = EbsVolumeProps(size_gib=200)


def base_props(**overrides: Any) -> RestateClusterProps:
    fields: dict[str, Any] = {
        "vpc_id": "vpc-0000aaaa",
        "subnets": SUBNETS,
        "stateful_node": StatefulNodeProps(ebs_volume=BASE_VOLUME),
        "restatectl": props_module.RestatectlProps(disabled=True),
        "retirement_watcher": props_module.RetirementWatcherProps(disabled=True),
    }
    fields.update(overrides)
    return RestateClusterProps(**fields)


def leaf_paths(cls: type, prefix: str = "") -> Iterator[str]:
    """Every prop path that holds a value (not a nested props object)."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        path = f"{prefix}{field.name}"
        nested = [
            a
            for a in (hints[field.name], *typing.get_args(hints[field.name]))
            if dataclasses.is_dataclass(a)
        ]
        if nested and field.name != "subnets":
            yield from leaf_paths(nested[0], f"{path}.")
        else:
            yield path


PATHS = sorted(leaf_paths(RestateClusterProps))


def replaced(props: Any, path: list[str], value: Any) -> Any:
    head, *rest = path
    inner = value if not rest else replaced(getattr(props, head), rest, value)
    return dataclasses.replace(props, **{head: inner})


#: Rules relating fields: a value a field takes may be refused where it meets another.
RELATED = {
    "stateless_node.default_replication": ("subnets", "stateful_node.nodes_per_az"),
    "stateful_node.nodes_per_az": ("stateful_node.nodes_per_az",),
    "stateless_node.restate_image": ("stateful_node.restate_image",),
    "stateless_node.restate_version": ("stateful_node.restate_image",),
    "security_group_ids": ("load_balancer.ingress_cidr_blocks", "load_balancer.admin_cidr_blocks"),
    "load_balancer.disable_shared_nlb_ports": ("addresses.ingress", "addresses.admin"),
    "object_storage.bucket_name": ("object_storage.access_logs_bucket",),
}


def names_the_path(problem_path: str, path: str) -> bool:
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    return (
        problem_path == path
        or problem_path.startswith((f"{path}.", f"{path}["))
        # A rule over the fields of one props object names it, or a sibling it relates.
        or problem_path == parent
        or (parent != "" and problem_path.startswith(f"{parent}."))
        or problem_path.startswith(RELATED.get(path, ()))
    )


UNICODE_DIGITS = st.sampled_from(["١٢٣", "²", "３", "৩", "12\u0663"])
WRONG_ARNS = st.sampled_from(
    [
        "arn:aws:sqs:us-east-1:123456789012:queue",
        "arn:aws:iam::123456789012:user/someone",
        "arn:aws:kms:us-east-1::key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "arn:aws:iam:::role/x",
        "arn:aws:sns:us-east-1:123456789012:",
        "arn:aws:kms:us-east-1:123456789012:alias/restate",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef",
    ]
)
NAMES_AT_LIMITS = st.sampled_from(
    [
        "a" * 63,
        "a" * 64,
        "a" * 65,
        "a" * 128,
        "a" * 129,
        "a" * 256,
        "a" * 257,
        "x" * 1025,
        "my..bucket",
        "192.168.1.1",
        "xn--bucket",
        "bucket-s3alias",
        "us-east-1",
        "AWS:owner",
        "Registry/Repo:1",
        "docker.restate.dev/restatedev/restate:1.7.12 ",
        "http://host:70000",
        "a/../b",
    ]
)
BAD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(max_size=20).map(lambda text: text + "\n"),
    st.text(alphabet=" \t\u00a0", min_size=1, max_size=3),
    UNICODE_DIGITS,
    WRONG_ARNS,
    NAMES_AT_LIMITS,
    st.lists(st.one_of(st.text(max_size=10), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers()), max_size=3),
)


def synthesized(tmp_path: Path, props: RestateClusterProps) -> dict[str, Any]:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "fuzz")
    AwsProvider(stack, "aws", region="us-east-1")
    RestateEcsFargateCluster(stack, "restate", props=props)
    app.synth()
    return json.loads((tmp_path / "stacks" / "fuzz" / "cdk.tf.json").read_text())


def outcome(props: RestateClusterProps, tmp_path: Path) -> RestateConfigError | dict[str, Any]:
    """The error, or the synthesized document; any other exception fails the test."""
    try:
        validate_props(props)
    except RestateConfigError as error:
        return error
    return synthesized(tmp_path, props)


def test_every_leaf_path_is_fuzzed() -> None:
    assert "stateful_node.ebs_volume.iops" in PATHS
    assert "monitoring.dashboard.custom_widgets.execution_role_arn" in PATHS
    assert len(PATHS) > 60


@settings(
    max_examples=400,
    # Reproducible in CI; run with --hypothesis-seed=random (or remove) to explore further.
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.sampled_from(PATHS), value=BAD_VALUES)
def test_any_value_at_any_path_is_named_or_synthesizes(
    path: str, value: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    props = replaced(base_props(), path.split("."), value)
    outdir = tmp_path_factory.mktemp("fuzz")
    result = outcome(props, outdir)
    if isinstance(result, RestateConfigError):
        assert result.problems, str(result)
        assert any(names_the_path(p.path, path) for p in result.problems), (path, str(result))
        assert str(result).splitlines() == [str(p) for p in result.problems]
        assert not any(outdir.iterdir()), "nothing is written on error"
    else:
        assert result["resource"]["aws_ecs_task_definition"], path


def mutations() -> Iterator[tuple[str, Any]]:
    """Values each known to be wrong at their path (the classes of the issue)."""
    yield "stateless_node.desired_count", None
    yield "stateless_node.desired_count", True
    yield "stateless_node.desired_count", 2.0
    yield "stateless_node.resources.cpu", math.nan
    yield "controller.reconcile_interval_seconds", math.inf
    yield "controller.drain_timeout_seconds", math.nan
    yield "vpc_id", "vpc-0000aaaa\n"
    yield "cluster_name", "restate\n"
    yield "subnets", [Subnet(subnet_id="subnet-0000000a", availability_zone="us-east-1")]
    yield "object_storage.bucket_name", "my..bucket"
    yield "object_storage.bucket_name", "192.168.1.10"
    yield "object_storage.bucket_name", "xn--restate"
    yield "object_storage.bucket_name", "restate-s3alias"
    yield "object_storage.prefix", "a/../b"
    yield "object_storage.prefix", "é" * 300
    yield "object_storage.kms_key_arn", "arn:aws:kms:us-east-1::key/x"
    yield "restate_tasks.task_role_arn", "arn:aws:sqs:us-east-1:123456789012:role/x"
    yield "restate_tasks.task_role_arn", "arn:aws:iam::123456789012:role/"
    yield "stateless_node.restate_image", "docker.restate.dev/RestateDev/restate:1.7.12"
    yield "stateless_node.restate_image", "docker.restate.dev/restatedev/restate:1.7.12 "
    yield "tags", {"AWS:owner": "x"}
    yield "addresses.admin", "http://admin.internal:99999"
    yield "stateless_node.default_partitions", 10**30
    yield "stateless_node.default_replication", "\u0663"
    yield "restate_tasks.log_driver", "json-file"
    yield "restate_tasks.log_options", {"awslogs-group": "g"}
    yield "stateful_node.ebs_volume.kms_key_id", "alias/restate-volumes"


@pytest.mark.parametrize(("path", "value"), list(mutations()), ids=lambda x: repr(x)[:40])
def test_each_known_bad_class_names_its_path(path: str, value: Any) -> None:
    props = replaced(base_props(), path.split("."), value)
    if path == "stateful_node.ebs_volume.kms_key_id":
        props = replaced(props, ["stateful_node", "ebs_volume", "encrypted"], False)
    with pytest.raises(RestateConfigError) as raised:
        validate_props(props)
    assert any(names_the_path(p.path, path) for p in raised.value.problems), str(raised.value)


def test_several_problems_are_reported_at_once() -> None:
    props = base_props(
        vpc_id="vpc-x",
        log_retention_days=2,
        tags={"aws:x": "y"},
        stateless_node=props_module.StatelessNodeProps(desired_count=0),
    )
    with pytest.raises(RestateConfigError) as raised:
        validate_props(props)
    paths = [p.path for p in raised.value.problems]
    assert paths == ["vpc_id", "stateless_node.desired_count", "log_retention_days", "tags.aws:x"]
    first = str(raised.value).splitlines()[0]
    assert first.startswith("vpc_id: 'vpc-x' is not a VPC id; allowed: vpc- and 8 or 17")


def accepted_samples() -> list[Callable[[], RestateClusterProps]]:
    return [
        lambda: base_props(cluster_name="a" * 64, tags={"team": "payments"}),
        lambda: base_props(
            object_storage=props_module.ObjectStorageProps(
                bucket_name="team-bucket.restate", prefix="restate/prod"
            )
        ),
    ]


@pytest.mark.parametrize("sample", range(len(accepted_samples())))
def test_accepted_samples_pass_terraform_validate(sample: int, tmp_path: Path) -> None:
    from cdktf_restate.devtools.terraform import Terraform

    synthesized(tmp_path, accepted_samples()[sample]())
    tf = Terraform(tmp_path / "stacks" / "fuzz")
    tf.init()
    tf.validate()
