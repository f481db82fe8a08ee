"""The cluster's ECS tasks and the controller's state, read with boto3 (read-only calls).

ECS: ``ListTasks`` + ``DescribeTasks`` (with tags) on this cluster only. The controller's state
is its last ``status`` log line (the one its ``/health`` serves), read with ``FilterLogEvents``
on the controller's log group: its health port listens on the task's loopback only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .model import ComputeReport, ControllerState, Link, Problem, TaskRow

TAG_NODE_ID = "restate:node-id"
TAG_PHASE = "restate:phase"
TAG_AZ = "restate:az"
TAG_MANAGED_BY = "restate:managed-by"
STATUS_PATTERN = '{ $.event = "status" }'
#: How far back the controller's last status line is looked for (it logs one per pass).
STATUS_LOOKBACK_SECONDS = 15 * 60


def _tags(task: Mapping[str, Any]) -> dict[str, str]:
    return {str(tag.get("key")): str(tag.get("value", "")) for tag in task.get("tags") or []}


def task_kind(task: Mapping[str, Any], services: Mapping[str, str]) -> str:
    """stateless / controller by the ECS service that started the task; stateful when the
    controller tagged it (the controller's own tasks have no service)."""
    group = str(task.get("group") or "")
    if group.startswith("service:"):
        return services.get(group.removeprefix("service:"), "service")
    return "stateful" if TAG_MANAGED_BY in _tags(task) else "other"


def _started_at(task: Mapping[str, Any]) -> float | None:
    value = task.get("startedAt") or task.get("createdAt")
    if value is None:
        return None
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def task_row(task: Mapping[str, Any], services: Mapping[str, str]) -> TaskRow:
    tags = _tags(task)
    arn = str(task.get("taskArn", ""))
    definition = str(task.get("taskDefinitionArn", "")).rsplit("/", 1)[-1]
    return TaskRow(
        task_id=arn.rsplit("/", 1)[-1],
        kind=task_kind(task, services),
        node_id=tags.get(TAG_NODE_ID, ""),
        az=str(task.get("availabilityZone") or tags.get(TAG_AZ, "")),
        revision=definition,
        status=str(task.get("lastStatus", "")),
        health=str(task.get("healthStatus", "UNKNOWN")),
        started_at=_started_at(task),
        phase=tags.get(TAG_PHASE, ""),
        tags=tags,
    )


def list_ecs_tasks(ecs: Any, cluster: str, services: Mapping[str, str]) -> list[TaskRow]:
    arns: list[str] = []
    for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster):
        arns += page.get("taskArns", [])
    rows: list[TaskRow] = []
    for start in range(0, len(arns), 100):  # DescribeTasks takes at most 100
        described = ecs.describe_tasks(
            cluster=cluster, tasks=arns[start : start + 100], include=["TAGS"]
        )
        rows += [task_row(task, services) for task in described.get("tasks", [])]
    order = {"stateless": 0, "stateful": 1, "controller": 2}
    return sorted(rows, key=lambda row: (order.get(row.kind, 3), row.az, row.task_id))


def controller_state_from_logs(logs: Any, log_group: str, now: float) -> ControllerState | None:
    """The newest ``status`` line of the controller's log, None when there is none lately."""
    response = logs.filter_log_events(
        logGroupName=log_group,
        filterPattern=STATUS_PATTERN,
        startTime=int((now - STATUS_LOOKBACK_SECONDS) * 1000),
    )
    events = response.get("events", [])
    for event in sorted(events, key=lambda e: e.get("timestamp", 0), reverse=True):
        try:
            line = json.loads(event.get("message", ""))
        except json.JSONDecodeError:
            continue
        if isinstance(line, dict) and line.get("event") == "status":
            return controller_state(line, event.get("timestamp", 0) / 1000)
    return None


def controller_state(body: Mapping[str, Any], at: float | None = None) -> ControllerState:
    """A /health body or a status log line -> ControllerState."""
    healthy = body.get("status") == "ok" or body.get("healthy") is True
    return ControllerState(
        status="ok" if healthy else "unhealthy",
        phase=str(body.get("phase", "")),
        reason=str(body.get("reason", "")),
        at=float(body["at"]) if isinstance(body.get("at"), int | float) else at,
    )


def console_links(
    region: str, cluster: str, services: Mapping[str, str], log_groups: Sequence[str], metrics: str
) -> list[Link]:
    base = f"https://{region}.console.aws.amazon.com"
    links = [
        Link(
            f"{kind} service",
            f"{base}/ecs/v2/clusters/{cluster}/services/{name}/health?region={region}",
        )
        for name, kind in services.items()
    ]
    links += [
        Link(
            f"logs {group}",
            f"{base}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/"
            + group.replace("/", "$252F"),
        )
        for group in log_groups
    ]
    if metrics:
        links.append(
            Link(
                "Metrics dashboard",
                f"{base}/cloudwatch/home?region={region}#dashboards/dashboard/{metrics}",
            )
        )
    return links


def gather_ecs(
    ecs: Any,
    logs: Any,
    *,
    cluster: str,
    services: Mapping[str, str],
    controller_log_group: str,
    links: Sequence[Link] = (),
) -> ComputeReport:
    """Tasks and controller state; a failed call leaves its part None, named in problems."""
    problems: list[Problem] = []
    tasks: list[TaskRow] | None = None
    controller: ControllerState | None = None
    try:
        tasks = list_ecs_tasks(ecs, cluster, services)
    except Exception as error:  # noqa: BLE001 - botocore errors, timeouts: shown, not raised
        problems.append(Problem(f"ECS tasks of cluster {cluster}", _one_line(error)))
    if controller_log_group:
        try:
            controller = controller_state_from_logs(logs, controller_log_group, time.time())
        except Exception as error:  # noqa: BLE001
            problems.append(Problem(f"controller log {controller_log_group}", _one_line(error)))
    return ComputeReport(
        tasks=tasks, controller=controller, links=tuple(links), problems=tuple(problems)
    )


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else 'no message'}"
