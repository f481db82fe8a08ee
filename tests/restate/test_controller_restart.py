"""The controller killed (SIGKILL) mid-roll at each phase and restarted resumes from its tags."""

from __future__ import annotations

import signal

import pytest
from counter_service import CounterLoad
from invariants import assert_no_lost_increments, assert_replaced_safely, wait_for, watch_until_done
from restate_controller.model import TAG_REPLACES

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.local_cluster import DevCluster, RollWatcher

# (AZ of the old node, the phase at which the controller dies). The roll goes a, b, c.
KILL_POINTS = [
    ("a", "starting"),  # replacement launched, not yet serving
    ("a", "draining"),
    ("b", "trimming"),
    ("c", "stopping"),
]


def phase_reached(cluster: DevCluster, watcher: RollWatcher, az: str, phase: str) -> bool:
    watcher.poll()
    for task in cluster.backend().list_tasks():
        if phase == "starting":
            if task.az == az and task.tags.get(TAG_REPLACES) and task.phase == "starting":
                return True
        elif task.az == az and task.phase == phase:
            return True
    return False


@pytest.mark.slow
def test_controller_killed_at_each_phase_resumes_and_finishes(cluster: DevCluster):
    old_tasks = [t.task_id for t in cluster.backend().list_tasks() if t.is_active]
    watcher = RollWatcher(cluster)
    watcher.poll()
    restarts = 0
    with CounterLoad(cluster.ingress_urls, "restart") as load:
        definition = local_cluster.roll(cluster)
        for az, phase in KILL_POINTS:
            wait_for(
                lambda az=az, phase=phase: phase_reached(cluster, watcher, az, phase),
                120,
                f"phase {phase} in {az}",
                interval=0.02,
            )
            local_cluster.stop_controller(cluster, signum=signal.SIGKILL)
            local_cluster.start_controller(cluster)
            restarts += 1
        watch_until_done(watcher, definition, timeout=180)
    assert restarts == len(KILL_POINTS)
    assert_replaced_safely(cluster, watcher, old_tasks)
    assert_no_lost_increments(cluster, load.report, "restart")
    # Resumed, not restarted over: exactly one replacement per old task.
    replacements = [t for t in cluster.backend().list_tasks() if t.tags.get(TAG_REPLACES)]
    assert sorted(t.tags[TAG_REPLACES] for t in replacements) == sorted(old_tasks)
