"""The JSON bodies of the Metrics and Control Panel dashboards (pure: names in, dicts out).

Every metric names resources of this stack (the ECS cluster and services, the stateful task
family, the NLB and its target groups, the controller's metric, the Lambdas), so a dashboard
never shows another cluster's data. Values may be Terraform references; they are plain names
and ARNs, so they sit inside the JSON text as they are (``dashboards.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_restate.schema.errors import fail

#: CloudWatch's limits (Dashboard Body Structure): widgets per dashboard, metrics per widget.
MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
FULL_WIDTH = 24
PERIOD_SECONDS = 300
#: Logs Insights: what an operator looks for first.
ERROR_FILTER = r"/(?i)(error|panic|warn|fail)/"


@dataclass(frozen=True)
class ClusterResources:
    """What the dashboards show, as names/ARN suffixes (or references to them)."""

    cluster_name: str
    region: str
    ecs_cluster_name: str
    stateless_service: str
    controller_service: str
    stateful_family: str
    load_balancer: str  # the NLB's arn_suffix (app/... or net/...)
    #: (port name, the target group's arn_suffix), NLB listeners only
    target_groups: Sequence[tuple[str, str]]
    restate_log_group: str
    controller_log_group: str
    halted_namespace: str
    halted_metric: str
    function_names: Sequence[str] = ()
    alarm_arns: Sequence[str] = ()
    container_insights: bool = True
    #: Dashboard names for cross links (empty: that dashboard does not exist).
    control_panel_name: str = ""
    metrics_name: str = ""
    widget_function_arn: str = ""


def _metric(namespace: str, name: str, dimensions: Mapping[str, str], **options: Any) -> list[Any]:
    row: list[Any] = [namespace, name]
    for key, value in dimensions.items():
        row += [key, value]
    return [*row, options] if options else row


def metric_widget(
    title: str,
    metrics: list[list[Any]],
    r: ClusterResources,
    *,
    stat: str = "Average",
    width: int = 12,
    height: int = 6,
    annotations: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "title": title,
        "view": "timeSeries",
        "region": r.region,
        "stat": stat,
        "period": PERIOD_SECONDS,
        "metrics": metrics,
    }
    if annotations:
        properties["annotations"] = dict(annotations)
    return {"type": "metric", "width": width, "height": height, "properties": properties}


def text_widget(markdown: str, height: int = 2) -> dict[str, Any]:
    return {
        "type": "text",
        "width": FULL_WIDTH,
        "height": height,
        "properties": {"markdown": markdown},
    }


def log_widget(
    title: str, group: str, query: str, r: ClusterResources, width: int = 12
) -> dict[str, Any]:
    return {
        "type": "log",
        "width": width,
        "height": 8,
        "properties": {
            "title": title,
            "region": r.region,
            "view": "table",
            "query": f"SOURCE '{group}' | {query}",
        },
    }


def _console(r: ClusterResources) -> str:
    return f"https://{r.region}.console.aws.amazon.com"


def _log_link(r: ClusterResources, group: str) -> str:
    # The console wants '/' in a log group name as $252F in the fragment.
    return (
        f"{_console(r)}/cloudwatch/home?region={r.region}#logsV2:log-groups/log-group/"
        + "$252F".join(group.split("/"))
    )


def links_markdown(r: ClusterResources) -> str:
    ecs = f"{_console(r)}/ecs/v2/clusters/{r.ecs_cluster_name}"
    links = [
        f"[stateless service]({ecs}/services/{r.stateless_service}/health?region={r.region})",
        f"[controller service]({ecs}/services/{r.controller_service}/health?region={r.region})",
        f"[tasks]({ecs}/tasks?region={r.region})",
        f"[Restate logs]({_log_link(r, r.restate_log_group)})",
        f"[controller logs]({_log_link(r, r.controller_log_group)})",
    ]
    for label, name in (("Control Panel", r.control_panel_name), ("Metrics", r.metrics_name)):
        if name:
            links.append(
                f"[{label}]({_console(r)}/cloudwatch/home?region={r.region}#dashboards/dashboard/{name})"
            )
    return " · ".join(links)


# ------------------------------------------------------------------------------ widgets
def ecs_widgets(r: ClusterResources) -> list[dict[str, Any]]:
    widgets = []
    for title, service in (
        ("Stateless nodes", r.stateless_service),
        ("Controller", r.controller_service),
    ):
        dims = {"ClusterName": r.ecs_cluster_name, "ServiceName": service}
        widgets.append(
            metric_widget(
                f"{title}: CPU and memory (%)",
                [
                    _metric("AWS/ECS", "CPUUtilization", dims),
                    _metric("AWS/ECS", "MemoryUtilization", dims),
                ],
                r,
                width=8,
            )
        )
    if r.container_insights:
        dims = {"ClusterName": r.ecs_cluster_name, "TaskDefinitionFamily": r.stateful_family}
        widgets.append(
            metric_widget(
                "Stateful nodes: CPU and memory used (Container Insights)",
                [
                    _metric("ECS/ContainerInsights", "CpuUtilized", dims),
                    _metric("ECS/ContainerInsights", "MemoryUtilized", dims, yAxis="right"),
                ],
                r,
                width=8,
            )
        )
    return widgets


def load_balancer_widget(r: ClusterResources) -> dict[str, Any]:
    metrics = []
    for port, group in r.target_groups:
        dims = {"TargetGroup": group, "LoadBalancer": r.load_balancer}
        metrics.append(_metric("AWS/NetworkELB", "HealthyHostCount", dims, label=f"{port} healthy"))
        metrics.append(
            _metric("AWS/NetworkELB", "UnHealthyHostCount", dims, label=f"{port} unhealthy")
        )
    return metric_widget("NLB targets per listener", metrics, r, stat="Minimum")


def controller_widgets(r: ClusterResources) -> list[dict[str, Any]]:
    halted = metric_widget(
        "Controller: halted passes (0 while it acts normally)",
        [_metric(r.halted_namespace, r.halted_metric, {})],
        r,
        stat="Sum",
        annotations={"horizontal": [{"label": "halted", "value": 1}]},
    )
    widgets = [halted]
    if r.alarm_arns:
        widgets.append(
            {
                "type": "alarm",
                "width": 12,
                "height": 3,
                "properties": {"title": "Controller alarms", "alarms": list(r.alarm_arns)},
            }
        )
    return widgets


def lambda_widget(r: ClusterResources) -> dict[str, Any] | None:
    if not r.function_names:
        return None
    metrics = []
    for name in r.function_names:
        dims = {"FunctionName": name}
        metrics.append(_metric("AWS/Lambda", "Errors", dims))
        metrics.append(_metric("AWS/Lambda", "Throttles", dims))
    return metric_widget("Lambdas: errors and throttles", metrics, r, stat="Sum")


def log_widgets(r: ClusterResources) -> list[dict[str, Any]]:
    recent = "fields @timestamp, @logStream, @message"
    return [
        log_widget(
            "Restate nodes (stateless and stateful): recent errors and warnings",
            r.restate_log_group,
            f"{recent} | filter @message like {ERROR_FILTER} | sort @timestamp desc | limit 100",
            r,
        ),
        log_widget(
            "Controller: status lines, halted first",
            r.controller_log_group,
            "fields @timestamp, phase, reason | filter event = 'status'"
            " | sort phase = 'halted' desc, @timestamp desc | limit 50",
            r,
        ),
    ]


def metrics_body(r: ClusterResources) -> dict[str, Any]:
    widgets = [
        text_widget(f"# Restate cluster {r.cluster_name}: metrics\n{links_markdown(r)}"),
        *ecs_widgets(r),
        load_balancer_widget(r),
        *controller_widgets(r),
    ]
    lambdas = lambda_widget(r)
    if lambdas:
        widgets.append(lambdas)
    widgets += log_widgets(r)
    return {"start": "-PT3H", "widgets": widgets}


def control_panel_body(r: ClusterResources) -> dict[str, Any]:
    header = text_widget(f"# Restate cluster {r.cluster_name}: Control Panel\n{links_markdown(r)}")
    if r.widget_function_arn:

        def custom(title: str, tab: str, height: int) -> dict[str, Any]:
            return {
                "type": "custom",
                "width": FULL_WIDTH,
                "height": height,
                "properties": {
                    "title": title,
                    "endpoint": r.widget_function_arn,
                    "params": {"tab": tab},
                    "updateOn": {"refresh": True, "resize": False, "timeRange": False},
                },
            }

        widgets = [
            header,
            custom("Cluster (restatectl)", "nodes", 10),
            custom("Compute (ECS)", "compute", 8),
        ]
    else:
        # Without the widget Lambda: the same questions, from metrics and logs.
        ctl = f"cdktf-restate ctl --cluster {r.cluster_name} --region {r.region} --"
        widgets = [
            header,
            text_widget(
                "Custom widgets are disabled. Nodes, partitions and logs: "
                f"`{ctl} nodes list`, `{ctl} partitions list`, `{ctl} logs list`.",
                height=2,
            ),
            load_balancer_widget(r),
            *controller_widgets(r),
            *log_widgets(r),
        ]
    return {"start": "-PT1H", "widgets": widgets}


def check_body(path: str, body: Mapping[str, Any]) -> None:
    """CloudWatch's limits, before anything is synthesized."""
    widgets = body.get("widgets", [])
    if len(widgets) > MAX_WIDGETS:
        raise fail(path, f"{len(widgets)} widgets", f"at most {MAX_WIDGETS} (CloudWatch's limit)")
    for index, widget in enumerate(widgets):
        metrics = widget.get("properties", {}).get("metrics", [])
        if len(metrics) > MAX_METRICS_PER_WIDGET:
            raise fail(
                f"{path}.widgets[{index}]",
                f"{len(metrics)} metrics in one widget",
                f"at most {MAX_METRICS_PER_WIDGET} (CloudWatch's limit)",
            )
