"""examples/minimal: terraform init, plan, apply, a second plan with no changes, destroy - on moto.

Moto-only drift. After apply, the second plan against moto shows a few in-place updates that
real AWS would not show, because moto does not store or echo back some settings. The test
allows exactly these (type -> attributes), checks that nothing else changes, and that no
resource would be created, replaced or destroyed:

- ``aws_ecs_service``: ``availability_zone_rebalancing``, ``enable_ecs_managed_tags``,
  ``health_check_grace_period_seconds``: moto's CreateService ignores them and DescribeServices
  returns them unset, so Terraform wants to set them again.
- ``aws_lambda_function``: ``dead_letter_config``: moto's GetFunction omits DeadLetterConfig.
- ``aws_sqs_queue``: ``redrive_policy``: moto re-serializes the RedrivePolicy JSON with spaces;
  the test asserts the documents are equal, so only whitespace differs.
See docs/lambdas.md ("Applying against moto").
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cdktf_restate.cli.demo import synthesize_example
from cdktf_restate.devtools.emulator import Emulator, running_emulator
from cdktf_restate.devtools.terraform import Terraform

pytestmark = pytest.mark.slow

REGION = "us-east-1"
MOTO_ONLY_DRIFT: dict[str, set[str]] = {
    "aws_ecs_service": {
        "availability_zone_rebalancing",
        "enable_ecs_managed_tags",
        "health_check_grace_period_seconds",
    },
    "aws_lambda_function": {"dead_letter_config"},
    "aws_sqs_queue": {"redrive_policy"},
}
JSON_STRING_ATTRIBUTES = {"redrive_policy"}


class Applied:
    def __init__(self, emulator: Emulator, terraform: Terraform, outputs: dict[str, Any]) -> None:
        self.emulator = emulator
        self.terraform = terraform
        self.outputs = {name: value["value"] for name, value in outputs.items()}
        self.timings: dict[str, float] = {}

    def client(self, service: str) -> Any:
        return self.emulator.client(service, REGION)


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    """examples/minimal applied to a fresh moto; destroyed (and checked) at the end."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    with running_emulator() as emulator:
        stack_dir = synthesize_example("minimal", tmp_path_factory.mktemp("minimal"), emulator.url)
        terraform = Terraform(stack_dir)
        timings: dict[str, float] = {}
        started = time.monotonic()
        terraform.init()
        first_plan = terraform.plan(out="first.tfplan")
        assert first_plan.returncode == 2, first_plan.stdout  # everything to create
        terraform.apply("first.tfplan")
        timings["init+plan+apply"] = time.monotonic() - started
        result = Applied(emulator, terraform, terraform.output_json())
        result.timings = timings
        yield result
        started = time.monotonic()
        terraform.destroy()
        timings["destroy"] = time.monotonic() - started
        state = json.loads((stack_dir / "terraform.tfstate").read_text())
        assert state["resources"] == []
        bucket = result.outputs["restate_bucket_name"]
        buckets = [b["Name"] for b in result.client("s3").list_buckets()["Buckets"]]
        assert bucket not in buckets
        print(f"\napply test timings: {timings}")


def test_outputs_are_set(applied: Applied) -> None:
    outputs = applied.outputs
    assert outputs["ingress_url"].startswith("http://") and outputs["ingress_url"].endswith(":8080")
    assert outputs["admin_url"].startswith("http://") and outputs["admin_url"].endswith(":9070")
    assert outputs["ingress_url"].removesuffix(":8080") == outputs["admin_url"].removesuffix(
        ":9070"
    )
    assert outputs["restate_ecs_cluster_arn"].startswith("arn:aws:ecs:us-east-1:")
    assert ":function:" in outputs["restate_restatectl_function_arn"]


def test_bucket_exists_encrypted_and_versioned(applied: Applied) -> None:
    s3 = applied.client("s3")
    bucket = applied.outputs["restate_bucket_name"]
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"aws:kms", "AES256"}


def test_ecs_services_exist_with_their_desired_counts(applied: Applied) -> None:
    ecs = applied.client("ecs")
    cluster = applied.outputs["restate_ecs_cluster_arn"]
    arns = ecs.list_services(cluster=cluster)["serviceArns"]
    services = ecs.describe_services(cluster=cluster, services=arns)["services"]
    desired = {s["serviceName"]: s["desiredCount"] for s in services}
    controller = applied.outputs["restate_controller_service_name"]
    assert desired.pop(controller) == 1
    # the stateless service (default desired_count 3); stateful nodes have no ECS service
    assert list(desired.values()) == [3]


def test_nlb_has_the_three_restate_listeners(applied: Applied) -> None:
    elb = applied.client("elbv2")
    balancers = elb.describe_load_balancers()["LoadBalancers"]
    assert len(balancers) == 1
    listeners = elb.describe_listeners(LoadBalancerArn=balancers[0]["LoadBalancerArn"])
    assert sorted(listener["Port"] for listener in listeners["Listeners"]) == [5122, 8080, 9070]


def test_lambdas_and_retirement_pipeline_exist(applied: Applied) -> None:
    lambda_client = applied.client("lambda")
    restatectl = lambda_client.get_function(
        FunctionName=applied.outputs["restate_restatectl_function_arn"]
    )["Configuration"]
    # The controller image, started as `restatectl lambda` (moto does not check ECR).
    assert restatectl["PackageType"] == "Image"
    assert restatectl["VpcConfig"]["SubnetIds"]
    assert restatectl["Environment"]["Variables"]["RESTATECTL_ADDRESS"].endswith(":5122")
    functions = {f["FunctionName"]: f for f in lambda_client.list_functions()["Functions"]}
    watchers = [f for name, f in functions.items() if name.endswith("-retirement-watcher")]
    assert len(watchers) == 1 and watchers[0]["Runtime"] == "python3.12"
    mappings = lambda_client.list_event_source_mappings(FunctionName=watchers[0]["FunctionArn"])[
        "EventSourceMappings"
    ]
    assert len(mappings) == 1 and mappings[0]["EventSourceArn"].endswith("-events")
    # Capped like the function's reservation, so the poller is not throttled into the DLQ.
    assert mappings[0]["ScalingConfig"] == {"MaximumConcurrency": 2}

    rules = applied.client("events").list_rules()["Rules"]
    (rule,) = [r for r in rules if r["Name"].endswith("-retirement-watcher")]
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["eventTypeCode"] == ["AWS_ECS_TASK_PATCHING_RETIREMENT"]
    task_prefix = applied.outputs["restate_ecs_cluster_arn"].replace(":cluster/", ":task/") + "/"
    assert pattern["resources"] == [{"prefix": task_prefix}]

    sqs = applied.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=mappings[0]["EventSourceArn"].split(":")[-1])
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url["QueueUrl"], AttributeNames=["All"])
    attributes = attributes["Attributes"]
    assert attributes.get("KmsMasterKeyId") or attributes.get("SqsManagedSseEnabled") == "true"
    (statement,) = json.loads(attributes["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == attributes["QueueArn"]  # the ARN built from its parts
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule["Arn"]}}
    targets = applied.client("events").list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert [t["Arn"] for t in targets] == [attributes["QueueArn"]]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith("-retirement-watcher-dlq")


def _changed_attributes(change: dict[str, Any]) -> set[str]:
    before = change.get("before") or {}
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    keys = set(before) | set(after)
    return {k for k in keys if before.get(k) != after.get(k) or unknown.get(k) is True}


def test_second_plan_shows_no_changes_except_documented_moto_drift(applied: Applied) -> None:
    terraform = applied.terraform
    second = terraform.plan(out="second.tfplan")
    plan = terraform.show_json("second.tfplan")

    unexpected: list[str] = []
    for resource in plan.get("resource_changes", []):
        change = resource["change"]
        if change["actions"] in (["no-op"], ["read"]):
            continue
        if change["actions"] != ["update"]:
            unexpected.append(f"{resource['address']}: {change['actions']}")
            continue
        changed = _changed_attributes(change)
        allowed = MOTO_ONLY_DRIFT.get(resource["type"], set())
        if not changed <= allowed:
            unexpected.append(f"{resource['address']}: {sorted(changed - allowed)}")
        for attribute in changed & JSON_STRING_ATTRIBUTES:
            assert json.loads(change["before"][attribute]) == json.loads(change["after"][attribute])
    assert not unexpected, f"second plan wants changes:\n{second.stdout[-6000:]}"
    assert not plan.get("output_changes") or all(
        c["actions"] == ["no-op"] for c in plan["output_changes"].values()
    )


def test_stack_dir_is_self_contained(applied: Applied) -> None:
    """Lambda packages are assets inside the stack dir, referenced by relative paths; the one
    image function (restatectl, the controller image) has no package."""
    config = json.loads((Path(applied.terraform.workdir) / "cdk.tf.json").read_text())
    functions = config["resource"]["aws_lambda_function"].values()
    zipped = [f for f in functions if f.get("package_type", "Zip") == "Zip"]
    assert [f["package_type"] for f in functions if f not in zipped] == ["Image"]
    assert len(zipped) >= 2  # the retirement watcher and the Control Panel widget
    for function in zipped:
        assert not Path(function["filename"]).is_absolute()
        assert (Path(applied.terraform.workdir) / function["filename"]).is_file()


def test_retirement_event_flows_from_the_rule_to_a_tagged_task(applied: Applied) -> None:
    """AWS Health event -> rule (this cluster's task prefix only) -> SQS -> handler -> tag."""
    from cdktf_restate.lambdas import retirement_watcher

    ecs, ec2, sqs = applied.client("ecs"), applied.client("ec2"), applied.client("sqs")
    cluster = applied.outputs["restate_ecs_cluster_arn"]
    family = ecs.list_task_definition_families(familyPrefix="minimal-restate-stateful")
    subnet = ec2.describe_subnets(
        Filters=[{"Name": "tag:Name", "Values": ["restate-private-us-east-1a"]}]
    )["Subnets"][0]
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]}])[
        "SecurityGroups"
    ][0]
    task_arn = ecs.run_task(
        cluster=cluster,
        taskDefinition=family["families"][0],
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [subnet["SubnetId"]],
                "securityGroups": [group["GroupId"]],
            }
        },
    )["tasks"][0]["taskArn"]
    foreign = task_arn.replace("/minimal-restate/", "/another-cluster/")
    # moto's Docker-free Lambda (running_emulator) would take the messages off the queue with
    # a stub answer; the mapping is paused so the real handler below gets them.
    lambda_client = applied.client("lambda")
    (mapping,) = [
        m
        for m in lambda_client.list_event_source_mappings()["EventSourceMappings"]
        if m["EventSourceArn"].endswith(":minimal-restate-retirement-watcher-events")
    ]
    lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)

    events = applied.client("events")
    for resources in ([task_arn], [foreign]):
        events.put_events(
            Entries=[
                {
                    "Source": "aws.health",
                    "DetailType": "AWS Health Event",
                    "Resources": resources,
                    "Detail": json.dumps(
                        {
                            "service": "ECS",
                            "eventTypeCode": retirement_watcher.RETIREMENT_EVENT_TYPE,
                        }
                    ),
                }
            ]
        )

    queue_url = sqs.get_queue_url(QueueName="minimal-restate-retirement-watcher-events")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    delivered = messages.get("Messages", [])
    assert [json.loads(m["Body"])["resources"] for m in delivered] == [[task_arn]]  # not foreign

    records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in delivered]
    assert retirement_watcher.handle(records, ecs, cluster) == {"batchItemFailures": []}
    tags = ecs.list_tags_for_resource(resourceArn=task_arn)["tags"]
    assert {"key": "restate:retiring", "value": "true"} in tags
    ecs.stop_task(cluster=cluster, task=task_arn)
    lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
