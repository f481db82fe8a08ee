"""A CloudWatch metric of the controller's halted passes, to alarm on.

The controller logs one JSON status line per pass; while it is halted (it stopped acting and says
why) those lines have ``"phase": "halted"``. The metric counts them, 0 when there are none, so an
alarm on ``>= 1`` fires for as long as the controller is halted (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_restate._tf import Resource
from cdktf_restate.context import ClusterContext

HALTED_METRIC_NAME = "ControllerHaltedPasses"
HALTED_PATTERN = '{ ($.event = "status") && ($.phase = "halted") }'


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
