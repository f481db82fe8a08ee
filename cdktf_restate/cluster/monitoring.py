"""A CloudWatch metric of the controller's halted passes, and alarms on it.

The controller logs one JSON status line per pass; while it is halted (it stopped acting and says
why) those lines have ``"phase": "halted"``. The metric counts them, 0 when there are none, so an
alarm on ``Sum >= 1`` fires for as long as the controller is halted, and one on no data at all
while it logs nothing (not running or stuck; docs/operations.md). The alarms exist when
``monitoring.alarm_actions`` names where to send them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cdktf

from cdktf_restate._tf import Resource, fn, op
from cdktf_restate.cluster.context import ClusterContext
from cdktf_restate.schema.tokens import is_token

HALTED_METRIC_NAME = "ControllerHaltedPasses"
HALTED_PATTERN = '{ ($.event = "status") && ($.phase = "halted") }'
#: The alarms' period: 5 minutes, longer when passes are further apart. The controller sleeps the
#: reconcile interval after each pass, so a period of the interval plus a minute (whole minutes)
#: holds a pass; the halted alarm also looks at 3 periods (one halted is enough), so a period that
#: misses the pass of a halted controller does not flap it to OK.
MIN_ALARM_PERIOD_SECONDS = 300
HALTED_EVALUATION_PERIODS = 3


@dataclass(frozen=True)
class HaltedMetric:
    namespace: str
    name: str


def add_controller_halted_metric(
    ctx: ClusterContext, controller_log_group: Resource
) -> HaltedMetric:
    namespace = f"Restate/{ctx.cluster_name}"
    Resource(
        ctx.scope,
        "controller_halted_metric",
        "aws_cloudwatch_log_metric_filter",
        {
            "name": "controller-halted",
            "log_group_name": controller_log_group.attr("name"),
            "pattern": HALTED_PATTERN,
            "metric_transformation": [
                {
                    "namespace": namespace,
                    "name": HALTED_METRIC_NAME,
                    "value": "1",
                    "default_value": "0",
                    "unit": "Count",
                }
            ],
        },
    )
    return HaltedMetric(namespace=namespace, name=HALTED_METRIC_NAME)


def alarm_period_seconds(reconcile_interval_seconds: float | str) -> float | str:
    """Whole minutes covering a pass and the pause after it (the interval is at most an hour:
    3 periods stay within CloudWatch's limits)."""
    if is_token(reconcile_interval_seconds):
        minutes = fn.ceil(op.div(op.add(reconcile_interval_seconds, 60), 60))
        period = fn.max([MIN_ALARM_PERIOD_SECONDS, op.mul(minutes, 60)])
        return cdktf.Token.as_number(period)
    return max(
        MIN_ALARM_PERIOD_SECONDS, 60 * math.ceil((float(reconcile_interval_seconds) + 60) / 60)
    )


@dataclass(frozen=True)
class ControllerAlarms:
    #: In ALARM while the controller is halted (it says why in its log).
    halted: Resource
    #: In ALARM while the controller logs nothing: not running, crash-looping or stuck.
    silent: Resource


def add_controller_alarms(
    ctx: ClusterContext, metric: HaltedMetric, actions: Sequence[str] | str
) -> ControllerAlarms | None:
    """Alarms on the controller's status lines, notifying ``actions`` (SNS topics) when they
    fire and when they clear; none without actions."""
    count = None
    if is_token(actions):
        # The generated module's list, empty by default: the alarms only when it has actions.
        count = cdktf.Token.as_number(fn.min([1, fn.length_of(actions)]))
    elif not actions:
        return None
    targets = actions if is_token(actions) else list(actions)
    shared = {
        "namespace": metric.namespace,
        "metric_name": metric.name,
        "period": alarm_period_seconds(ctx.props.controller.reconcile_interval_seconds),
        "threshold": 1,
        "alarm_actions": targets,
        "ok_actions": targets,
        "tags": ctx.tagged(),
    }
    cluster = f"Restate cluster {ctx.cluster_name}: the deployment controller"
    halted = Resource(
        ctx.scope,
        "controller_halted_alarm",
        "aws_cloudwatch_metric_alarm",
        {
            "alarm_name": ctx.name("controller-halted", 255),
            "alarm_description": f"{cluster} is halted. It stopped replacing stateful nodes; "
            "its log says why (a 'halted' status line). See docs/operations.md.",
            "statistic": "Sum",
            "evaluation_periods": HALTED_EVALUATION_PERIODS,
            "datapoints_to_alarm": 1,
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            # No log lines at all is the silent alarm's case, not a halt.
            "treat_missing_data": "notBreaching",
            **shared,
        },
        count=count,
    )
    # Every status line (one per pass) is a data point of the metric (0 unless halted), so a
    # period without any is a controller that is not running its passes.
    silent = Resource(
        ctx.scope,
        "controller_silent_alarm",
        "aws_cloudwatch_metric_alarm",
        {
            "alarm_name": ctx.name("controller-silent", 255),
            "alarm_description": f"{cluster} has logged no status for two periods: it is not "
            "running (image missing, crash loop, service scaled to 0) or it is stuck. Nothing "
            "replaces retiring or failed stateful nodes meanwhile. See docs/operations.md.",
            "statistic": "SampleCount",
            "evaluation_periods": 2,
            "comparison_operator": "LessThanThreshold",
            "treat_missing_data": "breaching",
            **shared,
        },
        count=count,
    )
    return ControllerAlarms(halted=halted, silent=silent)
