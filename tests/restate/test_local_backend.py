"""LocalBackend process mechanics, with a stand-in binary (fast: no Restate needed)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from restate_controller.backends.local import (
    LocalBackend,
    TaskDefinition,
    register_task_definition,
)
from restate_controller.model import TAG_CLUSTER, TAG_PHASE, PermanentError


def wait_for_status(backend: LocalBackend, task_id: str, status: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if next(t for t in backend.list_tasks() if t.task_id == task_id).status == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"{task_id} never became {status}")


@pytest.fixture
def backend(tmp_path: Path):
    # The stand-in records its environment and then waits like a node would.
    binary = tmp_path / "fake-restate-server"
    binary.write_text(
        '#!/bin/sh\nenv > "$RESTATE_BASE_DIR.tmp" && mv "$RESTATE_BASE_DIR.tmp" "$RESTATE_BASE_DIR.env"\nexec sleep 600\n'
    )
    binary.chmod(0o755)
    register_task_definition(tmp_path, "def-1", TaskDefinition(str(binary), {"RESTATE_X": "1"}))
    created = LocalBackend(tmp_path, cluster_name="c1", desired_task_definition="def-1")
    yield created
    created.stop_all(timeout_seconds=2)


def test_run_task_starts_a_process_with_node_identity_and_tags(backend: LocalBackend, tmp_path):
    task = backend.run_task("b", {TAG_PHASE: "starting"})
    assert task.status == "RUNNING" and task.az == "b" and task.node_name == task.task_id
    assert task.task_definition == "def-1"
    assert task.tags[TAG_CLUSTER] == "c1" and task.tags["restate:az"] == "b"
    env_file = tmp_path / "tasks" / task.task_id / "data.env"
    deadline = time.monotonic() + 5
    while not env_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    assert env["RESTATE_NODE_NAME"] == task.task_id
    assert env["RESTATE_LOCATION"] == "local.b"
    assert env["RESTATE_ROLES"] == "[log-server,worker]"
    assert env["RESTATE_AUTO_PROVISION"] == "false"
    assert env["RESTATE_X"] == "1"
    assert env["RESTATE_ADVERTISED_ADDRESS"] == backend.advertised_address(task.task_id)


def test_tags_and_tasks_survive_a_new_backend_instance(backend: LocalBackend, tmp_path):
    task = backend.run_task("a", {})
    backend.tag_task(task.task_id, {TAG_PHASE: "draining", "restate:node-id": "N7"})
    reopened = LocalBackend(tmp_path, cluster_name="c1", desired_task_definition="def-2")
    [seen] = reopened.list_tasks()
    assert seen.tags[TAG_PHASE] == "draining" and seen.tagged_node_id == 7
    assert seen.task_definition == "def-1"  # outdated against the new desired definition
    assert (
        LocalBackend(tmp_path, cluster_name="other", desired_task_definition="def-1").list_tasks()
        == []
    )


def test_stop_task_sigterms_and_reports_stopped_with_reason(backend: LocalBackend):
    task = backend.run_task("a", {})
    backend.stop_task(task.task_id, "replaced by the controller")
    wait_for_status(backend, task.task_id, "STOPPED")
    [stopped] = backend.list_tasks()
    assert stopped.stopped_reason == "replaced by the controller"
    backend.stop_task(task.task_id, "again")  # idempotent
    assert backend.list_tasks()[0].stopped_reason == "replaced by the controller"


def test_a_crashed_process_is_reported_stopped(backend: LocalBackend):
    task = backend.run_task("c", {})
    pid = backend.pid_of(task.task_id)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for_status(backend, task.task_id, "STOPPED")
    assert "exited" in (backend.list_tasks()[0].stopped_reason or "")


def test_unknown_task_definition_is_a_clear_permanent_error(tmp_path: Path):
    backend = LocalBackend(tmp_path, cluster_name="c1", desired_task_definition="missing")
    with pytest.raises(PermanentError, match="task definition 'missing' is not registered"):
        backend.run_task("a", {})


def test_task_definition_ids_are_validated(tmp_path: Path):
    with pytest.raises(ValueError, match="task definition id 'a b'"):
        register_task_definition(tmp_path, "a b", TaskDefinition("/bin/sh", {}))
