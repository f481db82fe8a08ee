"""Starting the local cluster survives a port taken between choosing and binding it, and a node
that dies for any other reason fails at once with its log, not after the whole timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdktf_restate.devtools import local_cluster

pytestmark = pytest.mark.slow


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other process listens on, as a connection could take it in the meantime."""
    with socket.socket() as sock:
        sock.bind((local_cluster.LOOPBACK, 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_stateless_node_whose_port_was_taken_starts_again_on_new_ports(
    tmp_path: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_free_ports = local_cluster.free_ports
    calls: list[int] = []

    def first_choice_collides(count: int) -> list[int]:
        ports = real_free_ports(count)
        calls.append(count)
        if len(calls) == 1:  # the cluster's first choice: stateless-a's admin port is taken
            ports[1] = taken_port
        return ports

    monkeypatch.setattr(local_cluster, "free_ports", first_choice_collides)
    try:
        cluster = local_cluster.up(tmp_path, with_controller=False, timeout=60)
        first = cluster.stateless[0]
        assert first.admin_port != taken_port
        assert local_cluster.http_ok(f"http://127.0.0.1:{first.admin_port}/health")
        log = local_cluster.stateless_log(tmp_path, first).read_text()
        assert f"127.0.0.1:{taken_port}" in log and local_cluster.PORT_TAKEN in log
        # The restart is recorded, so `dev down` stops the node that runs now.
        assert local_cluster.DevCluster.load(tmp_path).stateless[0].pid == first.pid
    finally:
        stopped = local_cluster.down(tmp_path)
    assert {"stateless-a", "stateless-b", "s3-emulator"} <= set(stopped)


def test_emulator_whose_port_was_taken_starts_again_on_a_new_port(
    tmp_path: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_free_port = local_cluster.free_port
    chosen: list[int] = []

    def first_choice_collides() -> int:
        chosen.append(taken_port if not chosen else real_free_port())
        return chosen[-1]

    monkeypatch.setattr(local_cluster, "free_port", first_choice_collides)
    url, pid = local_cluster.start_emulator(tmp_path)
    try:
        assert len(chosen) == 2 and url.endswith(f":{chosen[1]}")
        assert local_cluster.http_ok(f"{url}/moto-api/")
    finally:
        local_cluster.stop_pid(pid)


def test_stateless_node_that_exits_for_another_reason_fails_at_once_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "restate-server"
    broken.write_text("#!/bin/sh\necho 'Failed: the configuration is not valid' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(local_cluster, "RESTATE_SERVER", broken)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="stateless node stateless-a exited while starting") as e:
        local_cluster.up(tmp_path / "state", with_controller=False, timeout=60)
    assert time.monotonic() - started < 30
    assert "the configuration is not valid" in str(e.value)
    # `up` stopped what it started (the emulator) before raising.
    cluster = local_cluster.DevCluster.load(tmp_path / "state")
    assert not local_cluster.pid_alive(cluster.emulator_pid)


def test_a_restarted_node_that_then_fails_otherwise_is_not_taken_for_a_port_clash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logs are appended to: the first start's "Address in use" must not make every later exit
    look like another port clash (it would be restarted 3 times, then fail with the wrong log)."""
    starts = tmp_path / "starts"
    server = tmp_path / "restate-server"
    server.write_text(
        "#!/bin/sh\n"
        'if [ "$RESTATE_NODE_NAME" != stateless-a ]; then exec sleep 60; fi\n'
        f"echo started >> {starts}\n"
        f'if [ "$(wc -l < {starts})" -eq 1 ]; then\n'
        "  echo \"Failed: binding to address '127.0.0.1:1': Address in use (os error 98)\"\n"
        "else\n"
        "  echo 'Failed: out of memory'\n"
        "fi\n"
        "exit 1\n"
    )
    server.chmod(0o755)
    monkeypatch.setattr(local_cluster, "RESTATE_SERVER", server)
    with pytest.raises(RuntimeError, match="stateless node stateless-a exited") as error:
        local_cluster.up(tmp_path / "state", with_controller=False, timeout=60)
    message = str(error.value)
    assert "out of memory" in message and "Address in use" not in message
    assert len(starts.read_text().splitlines()) == 2  # the clash and one restart, no more
