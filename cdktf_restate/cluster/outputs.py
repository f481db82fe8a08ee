"""Terraform outputs of the cluster (the same values are Python attributes of the construct)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import cdktf
from constructs import Construct

OUTPUT_DESCRIPTIONS = {
    "ingress_url": "Restate ingress URL (HTTP, port 8080)",
    "admin_url": "Restate admin API URL (port 9070)",
    "cluster_name": "Restate cluster name (restate:cluster tag; cdktf-restate teardown --cluster-name)",
    "ecs_cluster_arn": "ECS cluster running the Restate tasks",
    "bucket_name": "S3 bucket holding metadata and snapshots",
    "controller_service_name": "ECS service of the controller",
    "restatectl_function_arn": 'restatectl Lambda (invoke with {"args": [...]})',
    "restate_task_role_arn": "Task role of the Restate nodes",
    "controller_task_role_arn": "Task role of the controller",
    "control_panel_dashboard_name": "CloudWatch dashboard: the Control Panel (docs/dashboards.md)",
    "metrics_dashboard_name": "CloudWatch dashboard: key metrics and logs (docs/dashboards.md)",
}


def add_outputs(
    scope: Construct, *, prefix: str, values: Mapping[str, str | None]
) -> dict[str, cdktf.TerraformOutput]:
    """One output per known value, named ``<prefix>_<name>`` (stable, readable names)."""
    safe_prefix = re.sub(r"[^A-Za-z0-9_]", "_", prefix)
    outputs: dict[str, cdktf.TerraformOutput] = {}
    for name, value in values.items():
        if value is None:
            continue
        output = cdktf.TerraformOutput(
            scope, f"output_{name}", value=value, description=OUTPUT_DESCRIPTIONS[name]
        )
        output.override_logical_id(f"{safe_prefix}_{name}")
        outputs[name] = output
    return outputs
