"""Shared pieces of the end-to-end tests: local clusters on 127.0.0.1, always torn down."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from counter_service import running_counter_service

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.emulator import free_port


def start_cluster(state_dir: Path, **options: Any) -> local_cluster.DevCluster:
    """`local_cluster.up`, once more if moto or a stateless node (restate-server itself, our
    test bed) did not come up in time on a loaded CI machine. Anything the controller does is
    never retried. The first attempt's directory is kept next to it, with all its logs, and
    its error is reported as a warning in the test summary."""
    try:
        return local_cluster.up(state_dir, **options)
    except local_cluster.InfraStartTimeout as first:
        kept = state_dir.with_name(state_dir.name + "-first-attempt")
        state_dir.rename(kept)
        warnings.warn(
            f"local cluster start retried once (logs in {kept}) after: {first}", stacklevel=2
        )
        return local_cluster.up(state_dir, **options)


@pytest.fixture(scope="module")
def bare_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_cluster.DevCluster]:
    """Moto + 2 stateless nodes, no controller: tests drive the backend and client by hand."""
    state_dir: Path = tmp_path_factory.mktemp("bare-cluster")
    cluster = start_cluster(state_dir, with_controller=False)
    try:
        yield cluster
    finally:
        local_cluster.down(state_dir)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_cluster.DevCluster]:
    """The full local cluster with the controller (0.5 s passes) and the counter registered."""
    state_dir: Path = tmp_path_factory.mktemp("cluster")
    started = start_cluster(state_dir, reconcile_interval=0.5)
    try:
        with running_counter_service(started.admin_url, free_port()):
            yield started
    finally:
        local_cluster.down(state_dir)
