"""The Control Panel's Compute view against the moto ECS and CloudWatch Logs APIs: tasks the
controller's real ECS backend started (tags included) and its status log line, rendered with
every tag value escaped (checked in headless Chromium, which parses the markup for real)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from conftest import AZS, REGION, AwsWorld, CallRecorder
from restate_controller.backends.ecs import EcsBackend, EcsSettings
from restate_controller.model import TAG_AZ, TAG_NODE_ID, TAG_PHASE

from cdktf_restate.devtools.browser import dump_dom
from cdktf_restate.devtools.html_reading import tables, visible_text
from cdktf_restate.lambdas.control_panel.compute_source import console_links, gather_ecs
from cdktf_restate.lambdas.control_panel.model import ClusterReport
from cdktf_restate.lambdas.control_panel.render import render_widget

MARKUP = '<img src=x onerror="alert(1)"><b>bold</b>'


def started_tasks(world: AwsWorld, cluster_arn: str) -> EcsBackend:
    settings = EcsSettings(
        cluster_arn=cluster_arn,
        cluster_name="demo",
        task_definition=world.task_definitions[-1],
        task_family=world.task_definitions[-1].rsplit("/", 1)[-1].rsplit(":", 1)[0],
        subnets_by_az=world.subnets_by_az,
        security_group_ids=world.security_group_ids,
        assign_public_ip=False,
        ebs=None,
    )
    backend = EcsBackend(settings, CallRecorder().attach(world.client("ecs")))
    for index, az in enumerate(AZS):
        task = backend.run_task(az, {TAG_PHASE: "running", TAG_AZ: az})  # as the planner tags
        node = MARKUP if index == 0 else f"N{index + 3}"
        backend.tag_task(task.task_id, {TAG_NODE_ID: node})
    return backend


def test_compute_view_lists_the_clusters_tasks_and_the_controllers_last_status(
    aws_world: AwsWorld, tmp_path: Path
) -> None:
    ecs = aws_world.client("ecs")
    cluster_arn = ecs.create_cluster(clusterName=f"panel-{uuid.uuid4().hex[:8]}")["cluster"][
        "clusterArn"
    ]
    backend = started_tasks(aws_world, cluster_arn)
    logs = aws_world.client("logs")
    group = f"/restate/{uuid.uuid4().hex[:8]}/controller"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="controller/1")
    now_ms = int(time.time() * 1000)
    lines = [
        {"event": "decision", "action": "wait"},
        {"event": "status", "healthy": True, "phase": "idle", "reason": "older"},
        {"event": "status", "healthy": False, "phase": "halted", "reason": f"stuck {MARKUP}"},
    ]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="controller/1",
        logEvents=[
            {"timestamp": now_ms - 3000 + i * 1000, "message": json.dumps(line)}
            for i, line in enumerate(lines)
        ],
    )

    report = gather_ecs(
        ecs,
        logs,
        cluster=cluster_arn,
        services={},
        controller_log_group=group,
        links=console_links(
            REGION, "panel", {"panel-stateless": "stateless"}, [group], "panel-metrics"
        ),
    )

    assert report.problems == ()
    assert report.tasks is not None
    listed = {t.task_id.rsplit("/", 1)[-1]: t for t in backend.list_tasks()}
    assert {row.task_id for row in report.tasks} == set(listed)
    for row in report.tasks:
        task = listed[row.task_id]
        assert row.kind == "stateful"
        assert row.node_id == task.tags[TAG_NODE_ID]
        assert row.az == task.az
        assert row.revision == aws_world.task_definitions[-1].rsplit("/", 1)[-1]
    assert report.controller is not None
    assert (report.controller.phase, report.controller.status) == ("halted", "unhealthy")

    nothing = ClusterReport("http://nlb:5122/", [], [], [], [])
    page = render_widget("compute", "demo", nothing, report, endpoint="arn:x", now=time.time())
    _, *rows = tables(page)["tasks"]
    assert sorted(row[2] for row in rows) == sorted([MARKUP, "N4", "N5"])
    # The browser's DOM: the tag and the reason are text, never elements.
    html_file = tmp_path / "compute.html"
    html_file.write_text(f"<!DOCTYPE html><html><body>{page}</body></html>")
    dom = dump_dom(html_file)
    assert "<img" not in dom and "<b>bold" not in dom
    text = visible_text(dom)
    assert MARKUP in text and f"stuck {MARKUP}" in text
    assert "halted" in text


def test_an_unreachable_ecs_api_is_named_not_raised(aws_world: AwsWorld) -> None:
    import boto3
    from botocore.config import Config

    dead = "http://127.0.0.1:9"
    session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=REGION)
    quick = Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1})
    report = gather_ecs(
        session.client("ecs", endpoint_url=dead, config=quick),
        session.client("logs", endpoint_url=dead, config=quick),
        cluster="demo",
        services={},
        controller_log_group="/restate/demo/controller",
    )
    assert report.tasks is None and report.controller is None
    sources = [problem.source for problem in report.problems]
    assert sources == ["ECS tasks of cluster demo", "controller log /restate/demo/controller"]
    assert all("EndpointConnectionError" in p.message for p in report.problems)
    page = render_widget(
        "compute", "demo", ClusterReport("x", [], [], [], []), report, endpoint="e", now=0
    )
    assert "ECS tasks of cluster demo" in visible_text(page)
