"""`cdktf-restate dev up/status/down` as a user runs it (separate processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cdktf_restate.devtools.local_cluster import pid_alive


def dev(state_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cdktf_restate.cli", "dev", "--state-dir", str(state_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_dev_does_not_load_the_construct_code():
    probe = (
        "import sys, cdktf_restate.cli.dev; "
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('cdktf', 'constructs', 'jsii')]; "
        "print(loaded)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_up_status_down(tmp_path: Path):
    up = dev(tmp_path, "up")
    try:
        assert up.returncode == 0, up.stderr
        assert "ingress:    http://127.0.0.1:" in up.stdout
        assert "admin:      http://127.0.0.1:" in up.stdout
        status = dev(tmp_path, "status")
        assert status.returncode == 0, status.stderr
        for location in ("local.a", "local.b", "local.c"):
            assert location in status.stdout
        assert status.stdout.count("read-write  active") == 3
        assert "controller: ok" in status.stdout
        assert dev(tmp_path, "up").returncode == 1  # refuses a second cluster in the same dir
    finally:
        down = dev(tmp_path, "down")
    assert down.returncode == 0, down.stderr
    assert "controller" in down.stdout and "s3-emulator" in down.stdout
    state = json.loads((tmp_path / "dev.json").read_text())
    tasks = json.loads((tmp_path / "tasks.json").read_text())["tasks"]
    pids = [state["emulator_pid"], state["controller_pid"]]
    pids += [node["pid"] for node in state["stateless"]] + [t["pid"] for t in tasks.values()]
    assert [pid for pid in pids if pid_alive(pid)] == []
    # After `down` the state file remains: a roll says so instead of restarting a lone controller.
    roll = dev(tmp_path, "roll", "--timeout", "5")
    assert roll.returncode == 1 and "no running local cluster" in roll.stderr, roll.stderr
    assert not pid_alive(json.loads((tmp_path / "dev.json").read_text())["controller_pid"])


def test_status_without_a_cluster_says_how_to_start_one(tmp_path: Path):
    result = dev(tmp_path, "status")
    assert result.returncode == 1
    assert "run `cdktf-restate dev up`" in result.stderr


def test_state_dir_may_follow_the_command(tmp_path: Path):
    from cdktf_restate.cli.dev import parse_args

    assert parse_args(["up", "--state-dir", str(tmp_path)]).state_dir == tmp_path
    assert parse_args(["--state-dir", str(tmp_path), "status"]).state_dir == tmp_path
    assert parse_args(["down"]).state_dir == Path(".cache/dev")
