"""Lambda entry point of the Control Panel widget (``control_panel.handler.handler``).

CloudWatch calls it with ``{"widgetContext": {...}, <the widget's params>}``; ``{"tab": ...}``
picks the tab (nodes by default). ``{"describe": true}`` returns the widget's documentation.
Configuration comes from the environment the construct sets (``WidgetConfig.from_env``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .cluster_source import Runner, gather_cluster, lambda_runner
from .compute_source import console_links, gather_ecs
from .model import TABS, ClusterReport, ComputeReport
from .render import error_panel, render_widget

#: Each restatectl / AWS read of one render stops waiting after this long; CloudWatch gives a
#: custom widget's Lambda a few seconds before it shows a timeout of its own.
DEFAULT_READ_TIMEOUT_SECONDS = 4.0

DESCRIPTION = """\
## Restate Control Panel

Shows one Restate cluster as `restatectl` and ECS see it:
a health summary (alive nodes, partitions with an alive leader, logs, controller state) and
the tabs **Nodes**, **Partitions**, **Logs** and **Compute** (ECS tasks, controller state,
links to the services, log groups and the Metrics dashboard).

Parameters: `{"tab": "nodes" | "partitions" | "logs" | "compute"}` (default `nodes`).
Reads only: `restatectl sql` through the cluster's node port, ECS ListTasks/DescribeTasks and
the controller's log group. A source that does not answer in time is named in a red panel.
"""


@dataclass(frozen=True)
class WidgetConfig:
    cluster_name: str
    restatectl: str
    restatectl_address: str
    #: The cluster's restatectl Lambda: set on AWS, where the widget invokes it instead of
    #: running a binary of its own.
    restatectl_function: str = ""
    ecs_cluster: str = ""
    #: ECS service name -> kind (stateless | controller)
    services: Mapping[str, str] = field(default_factory=dict)
    controller_log_group: str = ""
    log_groups: tuple[str, ...] = ()
    metrics_dashboard: str = ""
    region: str = ""
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WidgetConfig:
        root = env.get("LAMBDA_TASK_ROOT", ".")
        return cls(
            cluster_name=env.get("RESTATE_CLUSTER_NAME", ""),
            restatectl=env.get("RESTATECTL_PATH", f"{root}/restatectl"),
            restatectl_address=env.get("RESTATECTL_ADDRESS", ""),
            restatectl_function=env.get("RESTATECTL_FUNCTION", ""),
            ecs_cluster=env.get("RESTATE_ECS_CLUSTER", ""),
            services=json.loads(env.get("RESTATE_ECS_SERVICES", "{}")),
            controller_log_group=env.get("RESTATE_CONTROLLER_LOG_GROUP", ""),
            log_groups=tuple(json.loads(env.get("RESTATE_LOG_GROUPS", "[]"))),
            metrics_dashboard=env.get("RESTATE_METRICS_DASHBOARD", ""),
            region=env.get("AWS_REGION", ""),
            read_timeout=float(
                env.get("RESTATE_READ_TIMEOUT_SECONDS", DEFAULT_READ_TIMEOUT_SECONDS)
            ),
        )


ComputeGatherer = Callable[[WidgetConfig], ComputeReport]


def ecs_compute(config: WidgetConfig) -> ComputeReport:
    import boto3  # in the Lambda runtime; imported here so rendering works without it
    from botocore.config import Config

    timeouts = Config(
        connect_timeout=config.read_timeout,
        read_timeout=config.read_timeout,
        retries={"max_attempts": 1},
    )
    links = console_links(
        config.region,
        config.ecs_cluster,
        config.services,
        config.log_groups,
        config.metrics_dashboard,
    )
    return gather_ecs(
        boto3.client("ecs", config=timeouts),
        boto3.client("logs", config=timeouts),
        cluster=config.ecs_cluster,
        services=config.services,
        controller_log_group=config.controller_log_group,
        links=links,
    )


def render_event(
    event: Mapping[str, Any],
    config: WidgetConfig,
    *,
    endpoint: str,
    compute: ComputeGatherer = ecs_compute,
    now: Callable[[], float] = time.time,
) -> str:
    """The widget's answer to one call: documentation, a tab, or an error panel."""
    if event.get("describe"):
        return DESCRIPTION
    tab = str(event.get("tab") or "nodes")
    if tab not in TABS:
        return error_panel("widget parameters", f"unknown tab {tab!r}; allowed: {', '.join(TABS)}")
    try:
        cluster: ClusterReport = gather_cluster(
            config.restatectl,
            config.restatectl_address,
            timeout=config.read_timeout,
            **({"runner": restatectl_lambda(config)} if config.restatectl_function else {}),
        )
        report = compute(config) if tab == "compute" or config.controller_log_group else None
        return render_widget(
            tab, config.cluster_name, cluster, report, endpoint=endpoint, now=now()
        )
    except Exception as error:  # noqa: BLE001 - the dashboard shows why, never a trace
        return error_panel("Control Panel", f"{type(error).__name__}: {error}")


def restatectl_lambda(config: WidgetConfig) -> Runner:
    import boto3  # in the Lambda runtime; imported here so local previews need no AWS
    from botocore.config import Config

    timeout = Config(
        read_timeout=config.read_timeout, connect_timeout=2, retries={"max_attempts": 1}
    )
    client = boto3.client("lambda", region_name=config.region or None, config=timeout)
    return lambda_runner(config.restatectl_function, client)


def handler(event: Mapping[str, Any], context: Any) -> str:
    endpoint = getattr(context, "invoked_function_arn", "") or ""
    return render_event(event, WidgetConfig.from_env(os.environ), endpoint=endpoint)
