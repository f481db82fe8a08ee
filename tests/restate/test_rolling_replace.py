"""`dev roll` under load: every stateful node replaced, nothing lost, nothing refused."""

from __future__ import annotations

import pytest
from counter_service import CounterLoad
from invariants import assert_no_lost_increments, assert_replaced_safely, watch_until_done

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.local_cluster import DevCluster, RollWatcher


@pytest.mark.slow
def test_roll_replaces_every_node_without_losing_a_request(cluster: DevCluster):
    old_tasks = [t.task_id for t in cluster.backend().list_tasks() if t.is_active]
    assert len(old_tasks) == 3
    watcher = RollWatcher(cluster)
    watcher.poll()
    with CounterLoad(cluster.ingress_urls, "rolling") as load:
        definition = local_cluster.roll(cluster)
        watch_until_done(watcher, definition, timeout=180)
    assert_replaced_safely(cluster, watcher, old_tasks)
    assert_no_lost_increments(cluster, load.report, "rolling")
    new_tasks = [t for t in cluster.backend().list_tasks() if t.is_active]
    assert sorted(t.az for t in new_tasks) == list(local_cluster.AZS)
    assert {t.task_definition for t in new_tasks} == {definition}
