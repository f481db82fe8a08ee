"""SIGKILL a stateful node: the controller replaces it and removes the dead node; nothing lost."""

from __future__ import annotations

import os
import signal

import pytest
from counter_service import CounterLoad
from invariants import (
    assert_no_lost_increments,
    controller_decisions,
    nodes_config_names,
    refused_removals,
    wait_for,
)
from restate_controller.model import TAG_REPLACES

from cdktf_restate.devtools.local_cluster import DevCluster


@pytest.mark.slow
def test_killed_node_is_replaced_and_removed(cluster: DevCluster):
    backend = cluster.backend()
    victim = next(t for t in backend.list_tasks() if t.is_active and t.az == "b")
    with CounterLoad(cluster.ingress_urls, "crash") as load:
        wait_for(lambda: load.report.acknowledged >= 5, 30, "first increments")
        pid = backend.pid_of(victim.task_id)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)

        def replaced_and_removed() -> bool:
            tasks = backend.list_tasks()
            old = next(t for t in tasks if t.task_id == victim.task_id)
            replacement = [t for t in tasks if t.tags.get(TAG_REPLACES) == victim.task_id]
            return old.phase == "removed" and any(t.phase == "running" for t in replacement)

        wait_for(replaced_and_removed, 120, "the dead node to be replaced and removed")
    tasks = backend.list_tasks()
    [replacement] = [t for t in tasks if t.tags.get(TAG_REPLACES) == victim.task_id]
    assert replacement.az == "b" and replacement.is_active
    assert "exited" in (next(t for t in tasks if t.task_id == victim.task_id).stopped_reason or "")
    assert victim.task_id not in nodes_config_names(cluster)
    view = cluster.client().observe()
    assert sorted(n.location for n in view.nodes if n.serving) == ["local.a", "local.b", "local.c"]
    assert refused_removals(cluster) == []
    # The dead node went the forced path (its data is gone), not a drain.
    forced = [
        d
        for d in controller_decisions(cluster)
        if d.get("action") == "DisableDeadNode" and d.get("outcome") == "applied"
    ]
    assert forced, "the controller never applied DisableDeadNode to the killed node"
    assert_no_lost_increments(cluster, load.report, "crash")
