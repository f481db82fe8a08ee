"""What every end-to-end test asserts after the controller replaced nodes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from counter_service import LoadReport, read_counter
from restate_controller.model import TAG_REPLACES

from cdktf_restate.devtools.local_cluster import DevCluster, RollWatcher


def controller_decisions(cluster: DevCluster) -> list[dict[str, object]]:
    """Every decision line the controller logged (all its runs: the log is appended to)."""
    lines = Path(cluster.state_dir, "controller.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [record for record in records if record.get("event") == "decision"]


def refused_removals(cluster: DevCluster) -> list[dict[str, object]]:
    return [
        record
        for record in controller_decisions(cluster)
        if record.get("action") == "RemoveNode" and record.get("outcome") == "failed"
    ]


def nodes_config_names(cluster: DevCluster) -> set[str]:
    """Node names in the nodes configuration itself (metadata), not a node's cached view."""
    output = cluster.client().run("metadata", "get", "--key", "nodes_config")
    return set(json.loads(output)["name_lookup"])


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.3
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def watch_until_done(watcher: RollWatcher, definition: str, timeout: float) -> None:
    def finished() -> bool:
        watcher.poll()
        try:
            return watcher.done(definition)
        except Exception:  # noqa: BLE001 - the cluster may be briefly unreadable mid-roll
            return False

    wait_for(finished, timeout, f"every node replaced by {definition}", interval=0.2)


def assert_replaced_safely(
    cluster: DevCluster, watcher: RollWatcher, old_tasks: Iterable[str]
) -> None:
    """Each old task: its replacement served before its drain began, it was stopped only after
    the drain was verified, it is gone from the nodes configuration, and nothing was refused."""
    old_tasks = list(old_tasks)
    tasks = {task.task_id: task for task in cluster.backend().list_tasks()}
    for old in old_tasks:
        replacement = next((t for t in tasks.values() if t.tags.get(TAG_REPLACES) == old), None)
        assert replacement is not None, f"no replacement was started for {old}"
        marks, new_marks = watcher.seen[old], watcher.seen[replacement.task_id]
        begun = marks.get("draining", marks.get("STOPPED"))
        assert new_marks["running"] <= begun, f"{old} drained before its replacement served"
        if "stopping" in marks:
            assert marks["trimming"] <= marks["stopping"] <= marks["STOPPED"]
        assert tasks[old].is_stopped and tasks[old].phase == "removed"
    remaining = nodes_config_names(cluster)
    assert not remaining & set(old_tasks), (
        f"old nodes still configured: {remaining & set(old_tasks)}"
    )
    view = cluster.client().observe()
    assert [n for n in view.nodes if n.storage_state == "data-loss"] == []
    assert refused_removals(cluster) == [], "restatectl refused a `nodes remove`"


def assert_no_lost_increments(cluster: DevCluster, report: LoadReport, key: str) -> None:
    assert report.failed == 0, f"{report.failed} failed increments: {report.errors[:3]}"
    assert report.acknowledged > 0
    for url in cluster.ingress_urls:
        assert read_counter(url, key) == report.acknowledged
