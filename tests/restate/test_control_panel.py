"""The Control Panel widget against a real local cluster: what it shows is what restatectl says.

The widget's code runs as the Lambda runs it (``render_event``), over the dev cluster's node
port; restatectl's own human-readable commands (``nodes list``, ``partitions list``,
``logs list``) are read before and after each render, and compared once both readings agree.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from restate_controller.restate_client import strip_ansi

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.browser import dump_dom
from cdktf_restate.devtools.dashboard_preview import local_compute
from cdktf_restate.devtools.html_reading import tables, visible_text
from cdktf_restate.devtools.local_cluster import RESTATECTL, DevCluster
from cdktf_restate.lambdas.control_panel.handler import WidgetConfig, render_event

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "screenshots"
T = TypeVar("T")
pytestmark = pytest.mark.slow


def restatectl_table(cluster: DevCluster, *args: str) -> list[list[str]]:
    """Rows of a restatectl table (after its header line), cells split on whitespace."""
    output = subprocess.run(
        [str(RESTATECTL), *args, "--address", cluster.restatectl_address],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    ).stdout
    lines = [strip_ansi(line) for line in output.splitlines()]
    header = next(
        i for i, line in enumerate(lines) if line.split()[:1] in (["NODE"], ["ID"], ["L-ID"])
    )
    return [line.split() for line in lines[header + 1 :] if line.strip()]


def consistent(
    read: Callable[[], T],
    render: Callable[[], str],
    settled: Callable[[str], bool] = lambda page: True,
    attempts: int = 20,
) -> tuple[T, str]:
    """A render bracketed by two equal readings of restatectl (nothing moved meanwhile), once
    ``settled`` holds for it (a fresh cluster takes a moment to record its leaders)."""
    for _ in range(attempts):
        before = read()
        page = render()
        if read() == before and settled(page):
            return before, page
        time.sleep(0.5)
    raise AssertionError("the cluster kept changing while rendering")


def config(cluster: DevCluster, **overrides: object) -> WidgetConfig:
    values: dict[str, object] = {
        "cluster_name": "dev",
        "restatectl": str(RESTATECTL),
        "restatectl_address": cluster.restatectl_address,
    }
    values.update(overrides)
    return WidgetConfig(**values)  # type: ignore[arg-type]


def render(cluster: DevCluster, tab: str, **overrides: object) -> str:
    return render_event(
        {"tab": tab, "widgetContext": {"dashboardName": "dev-control-panel"}},
        config(cluster, **overrides),
        endpoint="arn:aws:lambda:us-east-1:123456789012:function:dev-control-panel",
        compute=lambda _: local_compute(cluster),
    )


def test_nodes_tab_shows_the_nodes_restatectl_lists(cluster: DevCluster) -> None:
    def read() -> list[tuple[str, str, str, str]]:
        return [(r[0], r[1], r[2], r[3]) for r in restatectl_table(cluster, "nodes", "list")]

    listed, page = consistent(read, lambda: render(cluster, "nodes"))
    header, *rows = tables(page)["nodes"]
    assert header[:5] == ["Node", "Generation", "Name", "Roles", "Address"]
    shown = [(row[0], row[1].split(":")[1], row[2], row[4]) for row in rows]
    assert shown == listed
    assert len(shown) == 5  # 2 stateless + 3 stateful
    assert {row[5] for row in rows} == {"local.a", "local.b", "local.c"}
    assert "nodes 5/5 alive" in visible_text(page)


def test_partitions_tab_shows_the_leaders_and_processors_restatectl_lists(
    cluster: DevCluster,
) -> None:
    def read() -> set[tuple[str, str, str]]:
        rows = restatectl_table(cluster, "partitions", "list")
        return {(r[0], r[1].split(":")[0], r[2]) for r in rows}

    def every_leader_known(page: str) -> bool:
        """Leadership has settled: each partition's recorded leader is the processor that
        says it leads (right after start they can disagree for a moment)."""
        for row in tables(page)["partitions"][1:]:
            leaders = [p.split()[0] for p in row[5].split("\n") if " Leader:" in p]
            if leaders != [row[2]]:
                return False
        return True

    listed, page = consistent(read, lambda: render(cluster, "partitions"), every_leader_known)
    _, *rows = tables(page)["partitions"]
    shown = set()
    for row in rows:
        for processor in row[5].split("\n"):
            node, mode = processor.split(":")[0].split()
            shown.add((row[0], node, mode))
        leader = {(row[0], row[2], "Leader")}
        assert leader <= listed, f"partition {row[0]}: leader {row[2]} is not what restatectl lists"
    assert shown == listed
    assert len(rows) == local_cluster.NUM_PARTITIONS


def test_logs_tab_shows_the_loglets_restatectl_lists(cluster: DevCluster) -> None:
    def read() -> list[tuple[str, str, str, frozenset[str]]]:
        # L-ID SEGMENTS FROM KIND LOGLET-ID REPLICATION SEQUENCER NODESET; the replication
        # ("{zone: 2}") and the nodeset ("[N3, N4, N5]") hold spaces.
        rows = [" ".join(r) for r in restatectl_table(cluster, "logs", "list")]
        parsed = [re.fullmatch(r"(\d+) \d+ \d+ \S+ (\S+) .* (N\d+:\d+) \[(.*)\]", r) for r in rows]
        assert all(parsed), rows
        return [
            (m[1], m[2], m[3], frozenset(m[4].replace(",", "").split()))
            for m in parsed
            if m is not None
        ]

    listed, page = consistent(read, lambda: render(cluster, "logs"))
    _, *rows = tables(page)["logs"]
    shown = [(r[0], r[4], r[5], frozenset(r[7].strip("[]").replace(",", "").split())) for r in rows]
    assert shown == listed


def test_compute_tab_shows_every_process_and_the_controller(cluster: DevCluster) -> None:
    page = render(cluster, "compute")
    _, *rows = tables(page)["tasks"]
    kinds = [row[0] for row in rows]
    assert kinds.count("stateless") == 2 and kinds.count("controller") == 1
    stateful = [row for row in rows if row[0] == "stateful"]
    tasks = {t.task_id: t for t in cluster.backend().list_tasks() if t.is_active}
    assert {row[1] for row in stateful} == set(tasks)
    for row in stateful:
        assert row[2] == tasks[row[1]].tags["restate:node-id"]
        assert row[3] == tasks[row[1]].az
    assert "Controller" in visible_text(page)


def test_describe_returns_the_documentation(cluster: DevCluster) -> None:
    answer = render_event({"describe": True}, config(cluster), endpoint="x")
    assert answer.startswith("## Restate Control Panel")
    assert '{"tab": "nodes" | "partitions" | "logs" | "compute"}' in answer


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a cluster that hangs)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def test_a_cluster_that_does_not_answer_gives_an_error_panel_in_time(
    cluster: DevCluster, silent_port: int
) -> None:
    address = f"http://127.0.0.1:{silent_port}/"
    started = time.monotonic()
    page = render(cluster, "nodes", restatectl_address=address, read_timeout=1.5)
    took = time.monotonic() - started
    text = visible_text(page)
    assert "Could not read everything" in text
    assert f"restatectl sql (nodes) at {address}" in text
    assert "nodes unavailable" in text
    assert "Traceback" not in page and "nodes" not in tables(page)
    assert took < 4, f"the render waited {took:.1f}s for a silent cluster"


def test_an_unknown_tab_is_an_error_panel(cluster: DevCluster) -> None:
    text = visible_text(render(cluster, "<b>x</b>"))
    assert "unknown tab '<b>x</b>'; allowed: nodes, partitions, logs, compute" in text


def test_preview_in_headless_chromium_shows_the_cluster(cluster: DevCluster) -> None:
    """`cdktf-restate dashboard preview` as a user runs it; Chromium lays it out."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for tab in (None, "nodes", "partitions", "logs", "compute"):
        name = f"control-panel-{tab or 'all'}"
        page, png = SCREENSHOTS / f"{name}.html", SCREENSHOTS / f"{name}.png"
        command = [sys.executable, "-m", "cdktf_restate.cli", "dashboard", "preview"]
        command += ["--state-dir", cluster.state_dir, "--out", str(page), "--screenshot", str(png)]
        command += ["--tab", tab] if tab else []
        subprocess.run(command, check=True, timeout=120, capture_output=True)
        assert png.stat().st_size > 10_000  # a real picture, not an empty page
        text = visible_text(dump_dom(page))
        assert "cluster dev" in text and "alive" in text
        names = [r[2] for r in restatectl_table(cluster, "nodes", "list")]
        if tab in (None, "nodes"):
            assert all(name in text for name in names), text
        if tab in (None, "compute"):
            assert "stateful" in text and "controller" in text


HANDLER_PROBE = """
import json, sys, types
from control_panel.handler import handler
context = types.SimpleNamespace(invoked_function_arn="arn:aws:lambda:us-east-1:000000000000:function:dev-control-panel")
print(json.dumps(handler(json.loads(sys.argv[1]), context)))
"""


def test_the_packaged_widget_answers_from_its_zip(cluster: DevCluster, tmp_path: Path) -> None:
    """The Lambda package itself (its handler package only, nothing of the repo on the path)
    against the dev cluster: Restate's tables through the real restatectl Lambda package served
    on 127.0.0.1 (as on AWS, where the widget invokes the cluster's restatectl function), its
    ECS and Logs reads on the cluster's moto."""
    import platform

    from cdktf_restate.devtools.local_lambda import LocalLambda, unpack
    from cdktf_restate.lambdas.build import control_panel_zip, restatectl_zip

    architecture = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    task_root = unpack(control_panel_zip(architecture).path, tmp_path / "var-task")
    assert not (task_root / "restatectl").exists()  # it carries no binary of its own
    restatectl_function = LocalLambda(
        restatectl_zip(architecture).path,
        "dev-restatectl",
        env={"RESTATECTL_ADDRESS": cluster.restatectl_address},
    )
    with restatectl_function as served:
        _check_packaged_widget(cluster, task_root, served.endpoint_url)


def _check_packaged_widget(cluster: DevCluster, task_root: Path, lambda_endpoint: str) -> None:
    import json
    import os

    import boto3

    session = boto3.Session(
        aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1"
    )
    session.client("ecs", endpoint_url=cluster.emulator_url).create_cluster(clusterName="dev")
    logs = session.client("logs", endpoint_url=cluster.emulator_url)
    logs.create_log_group(logGroupName="/ecs/dev/controller")
    logs.create_log_stream(logGroupName="/ecs/dev/controller", logStreamName="c/1")
    line = {"event": "status", "healthy": True, "phase": "idle", "reason": "cluster is as desired"}
    logs.put_log_events(
        logGroupName="/ecs/dev/controller",
        logStreamName="c/1",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": json.dumps(line)}],
    )
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(task_root),
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_ENDPOINT_URL": cluster.emulator_url,
        "RESTATE_CLUSTER_NAME": "dev",
        "AWS_ENDPOINT_URL_LAMBDA": lambda_endpoint,
        "RESTATECTL_ADDRESS": cluster.restatectl_address,
        "RESTATECTL_FUNCTION": "dev-restatectl",
        # No binary at the default path: a read that ran one would fail, not pass.
        "RESTATECTL_PATH": "/nonexistent/restatectl",
        "RESTATE_ECS_CLUSTER": "dev",
        "RESTATE_ECS_SERVICES": json.dumps({"dev-stateless": "stateless"}),
        "RESTATE_CONTROLLER_LOG_GROUP": "/ecs/dev/controller",
        "RESTATE_LOG_GROUPS": json.dumps(["/ecs/dev/restate", "/ecs/dev/controller"]),
    }

    def invoke(event: dict[str, object]) -> str:
        result = subprocess.run(
            [sys.executable, "-c", HANDLER_PROBE, json.dumps(event)],
            cwd=task_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return str(json.loads(result.stdout))

    nodes = invoke({"tab": "nodes", "widgetContext": {"dashboardName": "dev-control-panel"}})
    _, *rows = tables(nodes)["nodes"]
    listed = [r[0] for r in restatectl_table(cluster, "nodes", "list")]
    assert [row[0] for row in rows] == listed
    assert "controller idle" in visible_text(nodes)
    assert 'endpoint="arn:aws:lambda:us-east-1:000000000000:function:dev-control-panel"' in nodes
    compute = invoke({"tab": "compute"})
    assert "Could not read" not in visible_text(compute)
    assert "cluster is as desired" in visible_text(compute)
    assert invoke({"describe": True}).startswith("## Restate Control Panel")
