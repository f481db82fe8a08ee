"""The Control Panel of a local dev cluster (``cdktf-restate dev up``), rendered without AWS.

The Restate tabs come from the widget's own code over the dev cluster's restatectl address;
the Compute tab reads the local backend (the controller's stateful "tasks"), the stateless
processes and the controller's ``/health``, in place of ECS and the controller's log group.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from restate_controller.model import TAG_NODE_ID, TAG_PHASE, TERMINAL_STATUSES

from cdktf_restate.devtools.local_cluster import (
    CLUSTER_NAME,
    RESTATECTL,
    DevCluster,
    pid_alive,
)
from cdktf_restate.lambdas.control_panel.cluster_source import gather_cluster
from cdktf_restate.lambdas.control_panel.compute_source import controller_state
from cdktf_restate.lambdas.control_panel.model import (
    ClusterReport,
    ComputeReport,
    ControllerState,
    Link,
    Problem,
    TaskRow,
)
from cdktf_restate.lambdas.control_panel.render import render_page, render_widget

READ_TIMEOUT_SECONDS = 4.0


def _process_state(pid: int) -> tuple[str, str]:
    alive = pid_alive(pid)
    return ("RUNNING", "alive") if alive else ("STOPPED", "dead")


def controller_status(url: str, timeout: float) -> ControllerState:
    """/health answers 503 with the same body while unhealthy."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = json.loads(error.read())
    return controller_state(body)


def local_compute(
    cluster: DevCluster,
    timeout: float = READ_TIMEOUT_SECONDS,
    node_ids: Mapping[str, str] | None = None,
) -> ComputeReport:
    """``node_ids``: node name -> plain node id (from the nodes table) for the stateless rows,
    which carry no node-id tag."""
    problems: list[Problem] = []
    node_ids = node_ids or {}
    rows = [
        TaskRow(
            task_id=f"{node.name} (pid {node.pid})",
            kind="stateless",
            node_id=node_ids.get(node.name, ""),
            az=node.az,
            revision="restate-server",
            status=_process_state(node.pid)[0],
            health=_process_state(node.pid)[1],
            started_at=None,
        )
        for node in cluster.stateless
    ]
    tasks: list[TaskRow] | None = rows
    try:
        for task in sorted(cluster.backend().list_tasks(), key=lambda t: (t.az, t.task_id)):
            if task.status in TERMINAL_STATUSES:
                continue
            rows.append(
                TaskRow(
                    task_id=task.task_id,
                    kind="stateful",
                    node_id=task.tags.get(TAG_NODE_ID, ""),
                    az=task.az,
                    revision=task.task_definition,
                    status=task.status,
                    health="alive" if task.is_active else "dead",
                    started_at=task.started_at,
                    phase=task.tags.get(TAG_PHASE, ""),
                    tags=dict(task.tags),
                )
            )
    except Exception as error:  # noqa: BLE001 - shown in the panel
        problems.append(Problem(f"local backend in {cluster.state_dir}", str(error)))
        tasks = None
    status, health = _process_state(cluster.controller_pid)
    if tasks is not None:
        tasks.append(
            TaskRow(
                task_id=f"controller (pid {cluster.controller_pid})",
                kind="controller",
                node_id="",
                az="",
                revision="restate-controller (local backend)",
                status=status,
                health=health,
                started_at=None,
            )
        )
    controller: ControllerState | None = None
    try:
        controller = controller_status(cluster.controller_health_url, timeout)
    except (OSError, ValueError) as error:
        problems.append(Problem(f"controller {cluster.controller_health_url}", str(error)))
    links = (
        Link("admin API", cluster.admin_url),
        Link("controller /health", cluster.controller_health_url),
    )
    return ComputeReport(tasks, controller, links, tuple(problems))


def gather(
    cluster: DevCluster, timeout: float = READ_TIMEOUT_SECONDS
) -> tuple[ClusterReport, ComputeReport]:
    report = gather_cluster(str(RESTATECTL), cluster.restatectl_address, timeout=timeout)
    names = {str(row.get("name")): str(row.get("plain_node_id")) for row in report.nodes or ()}
    return report, local_compute(cluster, timeout, names)


def preview_page(state_dir: Path | str, timeout: float = READ_TIMEOUT_SECONDS) -> str:
    """Every tab of the dev cluster in ``state_dir`` as one HTML page."""
    cluster = DevCluster.load(state_dir)
    report, compute = gather(cluster, timeout)
    return render_page(CLUSTER_NAME, report, compute, time.time())


def preview_tab(state_dir: Path | str, tab: str, timeout: float = READ_TIMEOUT_SECONDS) -> str:
    """One tab as the widget renders it in CloudWatch (buttons included)."""
    cluster = DevCluster.load(state_dir)
    report, compute = gather(cluster, timeout)
    return render_widget(tab, CLUSTER_NAME, report, compute, endpoint="local", now=time.time())
