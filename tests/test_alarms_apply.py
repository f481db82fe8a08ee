"""The controller alarms, applied on moto: AWS's API (as moto models it) takes what the construct
writes, and the alarms watch the metric the log filter publishes and notify the given topic.

Only the alarms, the log metric filter and what they depend on (the controller's log group and
the cluster key) are applied (``-target``), not the whole cluster: tests/test_apply_minimal.py
applies that.
"""

from __future__ import annotations

import json
from pathlib import Path

import cdktf
import pytest

from cdktf_restate import AwsProvider, MonitoringProps, RestateEcsFargateCluster, Subnet
from cdktf_restate._tf import emulator_provider_arguments
from cdktf_restate.devtools.emulator import running_emulator
from cdktf_restate.devtools.terraform import Terraform

pytestmark = pytest.mark.slow

REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def synthesize(
    outdir: Path, endpoint: str, topic_arn: str, vpc_id: str, subnets: list[str]
) -> Path:
    app = cdktf.App(outdir=str(outdir))
    stack = cdktf.TerraformStack(app, "alarms")
    # State next to the stack (cdktf's default backend writes it into the current folder).
    cdktf.LocalBackend(stack, path="terraform.tfstate")
    AwsProvider(stack, "aws", **emulator_provider_arguments(endpoint, REGION))
    RestateEcsFargateCluster(
        stack,
        "restate",
        cluster_name="payments",
        vpc_id=vpc_id,
        subnets=[
            Subnet(subnet_id=s, availability_zone=z) for s, z in zip(subnets, ZONES, strict=True)
        ],
        monitoring=MonitoringProps(alarm_actions=[topic_arn]),
    )
    app.synth()
    return outdir / "stacks" / "alarms"


def test_controller_alarms_apply_and_watch_the_filter_metric(tmp_path: Path) -> None:
    with running_emulator() as emulator:
        vpc, subnets = emulator.vpc_with_subnets(ZONES, network=40, region=REGION)
        topic = emulator.client("sns", REGION).create_topic(Name="restate-alerts")["TopicArn"]
        stack = synthesize(tmp_path, emulator.url, topic, vpc, subnets)
        document = json.loads((stack / "cdk.tf.json").read_text())
        targets = [
            f"-target={resource_type}.{logical_id}"
            for resource_type in ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_log_metric_filter")
            for logical_id in document["resource"][resource_type]
        ]
        tf = Terraform(stack)
        tf.init()
        tf.run("apply", "-input=false", "-lock=false", "-auto-approve", *targets)

        cloudwatch = emulator.client("cloudwatch", REGION)
        alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
        assert set(alarms) == {"payments-controller-halted", "payments-controller-silent"}
        (metric_filter,) = emulator.client("logs", REGION).describe_metric_filters()[
            "metricFilters"
        ]
        (transformation,) = metric_filter["metricTransformations"]
        for alarm in alarms.values():
            assert (alarm["Namespace"], alarm["MetricName"]) == (
                transformation["metricNamespace"],
                transformation["metricName"],
            )
            assert alarm["AlarmActions"] == alarm["OKActions"] == [topic]
            assert alarm["Period"] == 300
        halted = alarms["payments-controller-halted"]
        assert (halted["Statistic"], halted["EvaluationPeriods"]) == ("Sum", 3)
        assert halted["DatapointsToAlarm"] == 1
        silent = alarms["payments-controller-silent"]
        assert (silent["Statistic"], silent["TreatMissingData"]) == ("SampleCount", "breaching")
        # A second plan of the targets shows no change: moto keeps what was written.
        replan = tf.run(
            "plan", "-input=false", "-lock=false", "-detailed-exitcode", *targets, check=False
        )
        assert replan.returncode == 0, replan.stdout
