"""The built controller IMAGE as the controller of a local cluster: `dev roll` under load.

The image is built from controller_image/Dockerfile (cdktf_restate.devtools.image, buildah,
cached base) and its entrypoint runs as ECS runs the task: read-only root, writable /tmp, uid
10001, host network (devtools/image_run.py). The roll must converge exactly as with the
plain-process controller (test_rolling_replace.py): every node replaced, 0 failed requests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import start_cluster
from counter_service import CounterLoad, running_counter_service
from invariants import assert_no_lost_increments, assert_replaced_safely, watch_until_done

from cdktf_restate.devtools import image, image_run, local_cluster
from cdktf_restate.devtools.emulator import free_port
from cdktf_restate.devtools.local_cluster import DevCluster, RollWatcher

IMAGE_UID = 10001


@pytest.fixture(scope="module")
def built_image() -> image.BuiltImage:
    return image.build("amd64")


@pytest.fixture(scope="module")
def image_cluster(
    built_image: image.BuiltImage, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DevCluster, Path]]:
    state_dir: Path = tmp_path_factory.mktemp("image-cluster")
    binds = [(str(state_dir), False), (str(local_cluster.RESTATE_SERVER.parent), True)]
    with image_run.mounted_container(built_image.reference, "test-image-controller") as container:
        config = image_run.ImageConfig.of_container(container)
        rootfs = Path(image.run(image.buildah_command("mount", container), what="mount").strip())
        started = start_cluster(
            state_dir,
            reconcile_interval=0.5,
            controller_launch=image_run.command_prefix(container, binds),
            # The image's own restatectl, not this checkout's.
            controller_env_overrides={
                "RESTATE_CONTROLLER_RESTATECTL_PATH": config.env[
                    "RESTATE_CONTROLLER_RESTATECTL_PATH"
                ]
            },
        )
        try:
            with running_counter_service(started.admin_url, free_port()):
                yield started, rootfs
        finally:
            local_cluster.down(state_dir)


def process_root(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/root")


def process_uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


def root_mount_options(pid: int) -> list[str]:
    """The mount options of `/` as the process sees it (mountinfo field 6)."""
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == "/":
            return fields[5].split(",")
    raise AssertionError(f"no / in the mountinfo of {pid}")


def assert_runs_in_the_image(pid: int, rootfs: Path) -> None:
    # A controller just started is the runner for a moment, until it execs into the image.
    local_cluster.wait_until(
        lambda: process_root(pid) == str(rootfs), timeout=15, what=f"pid {pid} in the image"
    )
    assert process_uid(pid) == IMAGE_UID
    assert "ro" in root_mount_options(pid)


@pytest.mark.slow
def test_the_image_controller_rolls_every_node_without_a_failed_request(
    image_cluster: tuple[DevCluster, Path],
) -> None:
    cluster, rootfs = image_cluster
    assert_runs_in_the_image(cluster.controller_pid, rootfs)
    old_tasks = [t for t in cluster.backend().list_tasks() if t.is_active]
    assert len(old_tasks) == 3
    for task in old_tasks:  # the nodes it started run in the image's mount namespace too
        pid = cluster.backend().pid_of(task.task_id)
        assert pid is not None
        assert_runs_in_the_image(pid, rootfs)
    watcher = RollWatcher(cluster)
    watcher.poll()
    with CounterLoad(cluster.ingress_urls, "image-rolling") as load:
        definition = local_cluster.roll(cluster)
        assert_runs_in_the_image(cluster.controller_pid, rootfs)
        watch_until_done(watcher, definition, timeout=180)
    assert_replaced_safely(cluster, watcher, [t.task_id for t in old_tasks])
    assert_no_lost_increments(cluster, load.report, "image-rolling")
    new_tasks = [t for t in cluster.backend().list_tasks() if t.is_active]
    assert sorted(t.az for t in new_tasks) == list(local_cluster.AZS)
    assert {t.task_definition for t in new_tasks} == {definition}
