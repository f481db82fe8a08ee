"""The thin resource layer (cdktf_restate/_tf.py): what cdktf users expect of a resource.

Attributes are rendered by one element per stack, so these tests pin the cdktf behaviours
that must survive that: logical ids and overrides, escape hatches, meta-arguments, tokens
inside cdktf functions, nesting, several stacks, data sources, and the result is accepted
by `terraform validate` against the real AWS provider.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cdktf
import jsii
import pytest
from constructs import Construct

from cdktf_restate._tf import AwsProvider, DataSource, Resource, fn, plain_references
from cdktf_restate.devtools.terraform import Terraform
from cdktf_restate.schema.tokens import is_token


def _synth(build: Any, outdir: Path, stacks: tuple[str, ...] = ("s",)) -> dict[str, Any]:
    app = cdktf.App(outdir=str(outdir))
    build(app)
    app.synth()
    return {
        name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text()) for name in stacks
    }


def test_resources_render_with_ids_meta_arguments_and_references(tmp_path: Path) -> None:
    def build(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        AwsProvider(stack, "aws", region="us-east-1")
        # A construct created before any resource: its resources are still rendered.
        group = Construct(stack, "group")
        key = Resource(group, "key", "aws_kms_key", {"description": "k", "is_enabled": None})
        queue = Resource(
            stack,
            "queue",
            "aws_sqs_queue",
            {"name": "q", "kms_master_key_id": key.arn, "tags": {"key": key.id_}},
            depends_on=[key],
            lifecycle=cdktf.TerraformResourceLifecycle(prevent_destroy=True),
        )
        queue.add_override("tags.extra", "yes")
        queue.add_override("delay_seconds", 5)
        region = DataSource(stack, "region", "aws_region", {})
        renamed = Resource(stack, "renamed", "aws_sqs_queue", {"name": region.attr("name")})
        renamed.override_logical_id("custom_id")
        cdktf.TerraformOutput(
            stack, "joined", value=cdktf.Fn.join(",", [queue.arn, renamed.attr("url")])
        )

    document = _synth(build, tmp_path / "out")["s"]
    [key_id] = document["resource"]["aws_kms_key"]
    assert key_id.startswith("group_key_")  # cdktf's id: path components + hash
    key = document["resource"]["aws_kms_key"][key_id]
    assert key["description"] == "k"
    assert "is_enabled" not in key  # None is dropped
    assert key["//"]["metadata"]["path"] == "s/group/key"

    queue = document["resource"]["aws_sqs_queue"]["queue"]
    assert queue["kms_master_key_id"] == f"${{aws_kms_key.{key_id}.arn}}"
    assert queue["tags"] == {"key": f"${{aws_kms_key.{key_id}.id}}", "extra": "yes"}
    assert queue["delay_seconds"] == 5
    assert queue["depends_on"] == [f"aws_kms_key.{key_id}"]
    assert queue["lifecycle"] == {"prevent_destroy": True}

    renamed = document["resource"]["aws_sqs_queue"]["custom_id"]
    assert renamed["name"] == "${data.aws_region.region.name}"
    assert document["data"]["aws_region"]["region"]["//"]["metadata"]["path"] == "s/region"
    # Tokens stay tokens inside cdktf functions (plain "${...}" text would be escaped).
    assert document["output"]["joined"]["value"] == (
        '${join(",", [aws_sqs_queue.queue.arn, aws_sqs_queue.custom_id.url])}'
    )
    # Only the stack's elements, nothing extra, and the resources are in the construct tree.
    assert set(document["resource"]) == {"aws_kms_key", "aws_sqs_queue"}

    workdir = tmp_path / "out" / "stacks" / "s"
    terraform = Terraform(workdir)
    terraform.init()
    terraform.validate()


def test_each_stack_renders_only_its_own_resources(tmp_path: Path) -> None:
    def build(app: cdktf.App) -> None:
        for name in ("a", "b"):
            stack = cdktf.TerraformStack(app, name)
            Resource(stack, f"queue_{name}", "aws_sqs_queue", {"name": name})
            Resource(stack, "count", "aws_sqs_queue", {"name": f"{name}-c"}, count=2)

    documents = _synth(build, tmp_path / "out", stacks=("a", "b"))
    assert set(documents["a"]["resource"]["aws_sqs_queue"]) == {"queue_a", "count"}
    assert set(documents["b"]["resource"]["aws_sqs_queue"]) == {"queue_b", "count"}
    assert documents["b"]["resource"]["aws_sqs_queue"]["count"] == {
        **documents["b"]["resource"]["aws_sqs_queue"]["count"],
        "name": "b-c",
        "count": 2,
    }


def test_resources_are_construct_tree_nodes_aspects_can_change(tmp_path: Path) -> None:
    @jsii.implements(cdktf.IAspect)
    class TagQueues:
        def visit(self, node: Any) -> None:
            if isinstance(node, Resource) and node.resource_type == "aws_sqs_queue":
                node.add_override("tags.owner", "platform")

    def build(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        Resource(stack, "queue", "aws_sqs_queue", {"name": "q"})
        Resource(stack, "topic", "aws_sns_topic", {"name": "t"})
        cdktf.Aspects.of(stack).add(TagQueues())

    document = _synth(build, tmp_path / "out")["s"]
    assert document["resource"]["aws_sqs_queue"]["queue"]["tags"] == {"owner": "platform"}
    assert "tags" not in document["resource"]["aws_sns_topic"]["topic"]


def test_logical_ids_follow_overrides_and_custom_allocation(tmp_path: Path) -> None:
    class PrefixedStack(cdktf.TerraformStack):
        def _allocate_logical_id(self, element: Any) -> str:
            return "p_" + element.node.id

    def build(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        nested = Construct(Construct(stack, "Default"), "a/b")
        deep = Resource(nested, "Resource", "aws_sqs_queue", {"name": "deep"})
        Resource(stack, "plain", "aws_sqs_queue", {"name": "plain", "policy": deep.arn})
        renamed = Resource(stack, "renamed", "aws_sqs_queue", {"name": "renamed"})
        renamed.override_logical_id("first")
        renamed.override_logical_id("second")
        reset = Resource(stack, "reset", "aws_sqs_queue", {"name": "reset"})
        reset.override_logical_id("gone")
        reset.reset_override_logical_id()
        Resource(PrefixedStack(app, "p"), "queue", "aws_sqs_queue", {"name": "prefixed"})

    documents = _synth(build, tmp_path / "out", stacks=("s", "p"))
    queues = documents["s"]["resource"]["aws_sqs_queue"]
    # Every rendered block is one resource: attributes and cdktf's own metadata agree on the id.
    for logical_id, block in queues.items():
        assert block["//"]["metadata"]["uniqueId"] == logical_id
        assert "name" in block
    assert len(queues) == 4
    deep_id = next(i for i, b in queues.items() if b["name"] == "deep")
    # "Default" is left out, "Resource" is hashed but not shown, "/" became "--".
    assert deep_id.startswith("a--b_") and len(deep_id) == len("a--b_") + 8
    assert queues["plain"]["policy"] == f"${{aws_sqs_queue.{deep_id}.arn}}"
    assert queues["second"]["name"] == "renamed"
    assert queues["reset"]["name"] == "reset"
    prefixed = documents["p"]["resource"]["aws_sqs_queue"]
    assert prefixed == {"p_queue": {**prefixed["p_queue"], "name": "prefixed"}}


def test_cdktf_testing_helpers_see_the_attributes() -> None:
    app = cdktf.Testing.app()
    stack = cdktf.TerraformStack(app, "s")
    Resource(stack, "queue", "aws_sqs_queue", {"name": "q1", "tags": {"team": "platform"}})
    synthesized = cdktf.Testing.synth(stack)
    assert cdktf.Testing.to_have_resource_with_properties(
        synthesized, "aws_sqs_queue", {"name": "q1", "tags": {"team": "platform"}}
    )
    assert not cdktf.Testing.to_have_resource_with_properties(
        synthesized, "aws_sqs_queue", {"name": "other"}
    )


def test_counted_resources_and_data_sources_are_referenced_through_one(tmp_path: Path) -> None:
    def build(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        AwsProvider(stack, "aws", region="us-east-1")
        wanted = cdktf.TerraformVariable(stack, "wanted", type="bool", default=False)
        count = cdktf.Token.as_number(cdktf.Fn.conditional(wanted.boolean_value, 1, 0))
        balancer = DataSource(stack, "balancer", "aws_lb", {"name": "given"}, count=count)
        queue = Resource(stack, "queue", "aws_sqs_queue", {"name": "q"}, count=count)
        plain = Resource(stack, "plain", "aws_sqs_queue", {"name": "p"})
        assert (balancer.counted, queue.counted, plain.counted) == (True, True, False)
        Resource(
            stack,
            "user",
            "aws_sqs_queue",
            {
                "name": "u",
                "tags": {
                    "lb": balancer.ref("dns_name"),
                    "q": queue.ref("arn"),
                    "p": plain.ref("arn"),
                },
            },
        )

    document = _synth(build, tmp_path / "out")["s"]
    assert document["data"]["aws_lb"]["balancer"]["count"] == "${var.wanted ? 1 : 0}"
    assert document["resource"]["aws_sqs_queue"]["user"]["tags"] == {
        "lb": "${one(data.aws_lb.balancer.*.dns_name)}",
        "q": "${one(aws_sqs_queue.queue.*.arn)}",
        "p": "${aws_sqs_queue.plain.arn}",
    }
    terraform = Terraform(tmp_path / "out" / "stacks" / "s")
    terraform.init()
    terraform.validate()


def test_public_aws_provider_pins_the_tested_provider_line(tmp_path: Path) -> None:
    """Users add the provider through the package's public name; without a constraint,
    `terraform init` elsewhere would take aws 6.x, which the construct is not built for."""
    from cdktf_restate import AwsProvider as PublicAwsProvider

    def build(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        PublicAwsProvider(stack, "aws", region="eu-west-1")

    document = _synth(build, tmp_path / "out")["s"]
    assert document["terraform"]["required_providers"]["aws"] == {
        "source": "hashicorp/aws",
        "version": "5.100.0",  # cdktf writes the provider version, an exact pin
    }
    assert document["provider"]["aws"] == [{"region": "eu-west-1"}]


# ---------------------------------------------------------------- plain references (synth speed)

_PLAIN_REFERENCE = re.compile(r"\$\{(data\.)?aws_")
_ESCAPED_REFERENCE = re.compile(r"\$\$\{(data\.|var\.|local\.)?aws_")


def test_references_are_text_while_a_construct_builds_and_tokens_in_functions(
    tmp_path: Path,
) -> None:
    seen: dict[str, Any] = {}

    def build(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        other = cdktf.TerraformStack(app, "other")
        AwsProvider(stack, "aws", region="us-east-1")
        AwsProvider(other, "aws", region="us-east-1")
        elsewhere = Resource(other, "elsewhere", "aws_sqs_queue", {"name": "e"})
        with plain_references(stack):
            queue = Resource(stack, "queue", "aws_sqs_queue", {"name": "q"})
            seen["inside"] = queue.arn
            seen["other_stack"] = elsewhere.arn  # not this build's stack: a token
            seen["is_token"] = is_token(f"{queue.arn}/x")
            Resource(stack, "user", "aws_sqs_queue", {"name": fn.join("-", [queue.name, "u"])})
            cdktf.TerraformOutput(stack, "arn", value=queue.arn)
            with pytest.raises(RuntimeError, match="logical id is already used"):
                queue.override_logical_id("renamed")
        seen["after"] = queue.arn

    document = _synth(build, tmp_path / "out")["s"]
    assert seen["inside"] == "${aws_sqs_queue.queue.arn}"
    assert cdktf.Token.is_unresolved(seen["other_stack"])
    assert seen["is_token"] is True  # validation skips it like any reference
    assert cdktf.Token.is_unresolved(seen["after"])
    # Inside a function the text became a token: a reference, not escaped text.
    assert document["resource"]["aws_sqs_queue"]["user"]["name"] == (
        '${join("-", [aws_sqs_queue.queue.name, "u"])}'
    )
    assert document["output"]["arn"]["value"] == "${aws_sqs_queue.queue.arn}"


def _public_strings(owner: object, seen: set[int]) -> list[tuple[str, str]]:
    """Every string reachable from ``owner``'s public attributes (not through jsii objects)."""
    found: list[tuple[str, str]] = []
    if id(owner) in seen or not hasattr(owner, "__dict__"):
        return found
    seen.add(id(owner))
    for name, value in vars(owner).items():
        if name.startswith("_") or hasattr(value, "__jsii_ref__"):
            continue
        values = list(value.values()) if isinstance(value, dict) else value
        for item in values if isinstance(values, list | tuple) else [values]:
            if isinstance(item, str):
                found.append((name, item))
            elif not isinstance(item, int | float | bool | type(None)):
                found.extend(_public_strings(item, seen))
    return found


def test_the_cluster_gives_users_tokens_that_work_in_functions(tmp_path: Path) -> None:
    from cdktf_restate import RestateEcsFargateCluster, Subnet

    cluster: dict[str, RestateEcsFargateCluster] = {}

    def build(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        AwsProvider(stack, "aws", region="us-east-1")
        zones = ("us-east-1a", "us-east-1b", "us-east-1c")
        subnets = [
            Subnet(subnet_id=f"subnet-0000000{i}", availability_zone=zone)
            for i, zone in enumerate(zones)
        ]
        built = RestateEcsFargateCluster(stack, "restate", vpc_id="vpc-0000aaaa", subnets=subnets)
        cluster["built"] = built
        cdktf.TerraformOutput(
            stack, "joined", value=cdktf.Fn.join(" ", [built.admin_url, built.kms_key_arn])
        )

    document = _synth(build, tmp_path / "out")["s"]
    strings = _public_strings(cluster["built"], set())
    assert len(strings) > 20
    plain = [(name, value) for name, value in strings if _PLAIN_REFERENCE.search(value)]
    assert plain == []  # all references users can read are tokens
    joined = document["output"]["joined"]["value"]
    assert joined.startswith('${join(" ", ["http://${aws_lb.') and "aws_kms_key." in joined
    assert not _ESCAPED_REFERENCE.search(json.dumps(document))


def test_lists_of_references_stay_lists_and_are_validated(tmp_path: Path) -> None:
    """Review H25: a user's list of references (ids from other resources) is a list, not the
    generated module's list variable: same resources, same checks as plain strings."""
    from cdktf_restate import RestateEcsFargateCluster, Subnet
    from cdktf_restate.schema.errors import RestateConfigError
    from cdktf_restate.schema.props import MonitoringProps

    zones = ("us-east-1a", "us-east-1b", "us-east-1c")

    def build(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        AwsProvider(stack, "aws", region="us-east-1")
        subnets = [
            Resource(stack, f"sn{i}", "aws_subnet", {"vpc_id": "vpc-0000aaaa", "cidr_block": "x"})
            for i in range(3)
        ]
        group = Resource(stack, "sg", "aws_security_group", {"vpc_id": "vpc-0000aaaa"})
        topic = Resource(stack, "topic", "aws_sns_topic", {"name": "t"})
        RestateEcsFargateCluster(
            stack,
            "restate",
            vpc_id="vpc-0000aaaa",
            subnets=[
                Subnet(subnet_id=s.id_, availability_zone=zone)
                for s, zone in zip(subnets, zones, strict=True)
            ],
            security_group_ids=[group.id_],
            monitoring=MonitoringProps(alarm_actions=[topic.arn]),
        )

    document = _synth(build, tmp_path / "out")["s"]
    text = json.dumps(document)
    assert "[*].subnet_id" not in text
    assert set(document["resource"]["aws_security_group"]) == {"sg"}  # none created
    alarms = document["resource"]["aws_cloudwatch_metric_alarm"].values()
    assert alarms and all("count" not in alarm for alarm in alarms)
    assert all(alarm["alarm_actions"] == ["${aws_sns_topic.topic.arn}"] for alarm in alarms)

    def too_many_actions(app: cdktf.App) -> None:
        stack = cdktf.TerraformStack(app, "s")
        topic = Resource(stack, "topic", "aws_sns_topic", {"name": "t"})
        subnets = [
            Subnet(subnet_id=f"subnet-0000000{i}", availability_zone=zone)
            for i, zone in enumerate(zones)
        ]
        RestateEcsFargateCluster(
            stack,
            "restate",
            vpc_id="vpc-0000aaaa",
            subnets=subnets,
            monitoring=MonitoringProps(alarm_actions=[topic.arn] * 6),
        )

    with pytest.raises(RestateConfigError, match="alarm_actions"):
        _synth(too_many_actions, tmp_path / "bad")
