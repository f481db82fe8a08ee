"""A task tagged `restate:retiring=true` (AWS retirement notice) is replaced before it stops."""

from __future__ import annotations

import pytest
from counter_service import CounterLoad
from invariants import assert_no_lost_increments, assert_replaced_safely, wait_for
from restate_controller.model import TAG_RETIRING

from cdktf_restate.devtools.local_cluster import DevCluster, RollWatcher


@pytest.mark.slow
def test_retiring_task_is_replaced_before_it_is_stopped(cluster: DevCluster):
    backend = cluster.backend()
    retiring = next(t for t in backend.list_tasks() if t.is_active and t.az == "c")
    watcher = RollWatcher(cluster)
    watcher.poll()
    with CounterLoad(cluster.ingress_urls, "retire") as load:
        backend.tag_task(retiring.task_id, {TAG_RETIRING: "true"})

        def retired() -> bool:
            watcher.poll()
            return watcher.seen[retiring.task_id].get("removed") is not None

        wait_for(retired, 120, "the retiring task to be drained and removed", interval=0.1)
    assert_replaced_safely(cluster, watcher, [retiring.task_id])
    stopped = next(t for t in backend.list_tasks() if t.task_id == retiring.task_id)
    assert "drain" in (stopped.stopped_reason or ""), stopped.stopped_reason
    assert_no_lost_increments(cluster, load.report, "retire")
