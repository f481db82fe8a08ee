"""Stateful "tasks" as real restate-server processes on 127.0.0.1 (tests and `cdktf-restate dev`).

The mapping to ECS:
- a task is one restate-server process, started in its own session so it outlives the controller
  (as an ECS task outlives the controller task); its node name is the task id, never reused;
- an AZ becomes `location = "local.<az>"`;
- a task definition is an id naming a JSON file `task-definitions/<id>.json` in the state dir:
  `{"binary": "/path/restate-server", "env": {"RESTATE_...": "..."}}` (the cluster-wide config
  file, replication and speed-ups come in through that env);
- tasks, their tags and pids live in `tasks.json` in the state dir, under a file lock, so a
  restarted controller (a new process) and the tests (tagging a task) see the same tasks.
Stopping sends SIGTERM and, after `stop_timeout_seconds`, SIGKILL (the platform's stop timeout).
A process that died without a stop request is reported STOPPED with a crash reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restate_controller.model import (
    MANAGED_BY,
    STOPPED_STATUS,
    TAG_AZ,
    TAG_CLUSTER,
    TAG_MANAGED_BY,
    PermanentError,
    TaskInfo,
    TemporaryError,
)

LOOPBACK = "127.0.0.1"
STATE_DIR_ENV = "RESTATE_CONTROLLER_LOCAL_STATE_DIR"
STATEFUL_ROLES = "[log-server,worker]"
# ECS keeps stopped tasks visible for about an hour; so do we.
STOPPED_RETENTION_SECONDS = 3600.0


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Ports handed out are taken from this many ports just below the kernel's ephemeral range.
LISTEN_RANGE_SIZE = 16_384


def _listen_range() -> range:
    """Loopback ports for servers we start: below the ephemeral range, because a port from that
    range (what bind(0) gives) can be taken by any outgoing connection, to moto say, between
    choosing it and the server binding it; the server then exits "Address in use"."""
    try:
        lowest_ephemeral = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        lowest_ephemeral = 32_768
    start = max(1_024, lowest_ephemeral - LISTEN_RANGE_SIZE)
    # A range starting low (some containers) leaves no useful room: free_ports falls back.
    return range(start, lowest_ephemeral) if lowest_ephemeral - start >= 1_024 else range(0)


# Ports this process handed out: one may be bound only much later (the controller's health
# port, after the stateless nodes answer), and must not be handed out again meanwhile.
_HANDED_OUT: set[int] = set()


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports, outside the ephemeral range where it has room;
    each stays bound until all are chosen, so none repeats."""
    candidates = list(_listen_range())
    random.shuffle(candidates)
    with contextlib.ExitStack() as stack:
        chosen: list[int] = []

        def hold(port: int) -> int:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                sock.close()
                raise
            stack.callback(sock.close)
            return int(sock.getsockname()[1])

        for port in candidates:
            if len(chosen) == count:
                break
            if port not in _HANDED_OUT:
                with contextlib.suppress(OSError):
                    chosen.append(hold(port))
        # A kernel whose ephemeral range starts low leaves no room below it: its own choice.
        while len(chosen) < count:
            chosen.append(hold(0))
    _HANDED_OUT.update(chosen)
    return chosen


def free_port() -> int:
    return free_ports(1)[0]


def location_for(az: str) -> str:
    return f"local.{az}"


@dataclass(frozen=True)
class TaskDefinition:
    """What a local "task definition" names: the binary and environment overrides."""

    binary: str
    env: Mapping[str, str]


def task_definitions_dir(state_dir: Path) -> Path:
    return state_dir / "task-definitions"


def register_task_definition(
    state_dir: Path, definition_id: str, definition: TaskDefinition
) -> None:
    """Write `task-definitions/<id>.json` (what `terraform apply` of a new revision would do)."""
    if not definition_id.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError(
            f"task definition id {definition_id!r}: use letters, digits, '-', '_' or '.' only"
        )
    directory = task_definitions_dir(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    payload = {"binary": definition.binary, "env": dict(definition.env)}
    (directory / f"{definition_id}.json").write_text(json.dumps(payload, indent=2))


def load_task_definition(state_dir: Path, definition_id: str) -> TaskDefinition:
    path = task_definitions_dir(state_dir) / f"{definition_id}.json"
    try:
        payload = json.loads(path.read_text())
    except FileNotFoundError:
        raise PermanentError(
            f"task definition {definition_id!r} is not registered (no {path})"
        ) from None
    except json.JSONDecodeError as error:
        raise PermanentError(f"task definition {path} is not valid JSON: {error}") from None
    binary = payload.get("binary")
    if not isinstance(binary, str) or not Path(binary).is_file():
        raise PermanentError(f"task definition {definition_id!r}: binary {binary!r} does not exist")
    return TaskDefinition(
        binary=binary, env={str(k): str(v) for k, v in payload.get("env", {}).items()}
    )


def _process_start_ticks(pid: int) -> int | None:
    """Start time of `pid` in clock ticks (field 22 of /proc/pid/stat); None if gone or a zombie.

    Comparing it with the recorded value protects against pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; fields after it start after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _reap(pid: int) -> None:
    """Collect an exited child of this process (a no-op for processes we did not start)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


class LocalBackend:
    """TaskBackend over local restate-server processes."""

    def __init__(
        self,
        state_dir: Path | str,
        *,
        cluster_name: str,
        desired_task_definition: str,
        stop_timeout_seconds: float = 30.0,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.cluster_name = cluster_name
        self._desired = desired_task_definition
        self.stop_timeout_seconds = stop_timeout_seconds
        self.state_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_environment(
        cls, env: Mapping[str, str], *, cluster_name: str, desired_task_definition: str
    ) -> LocalBackend:
        state_dir = env.get(STATE_DIR_ENV, "").strip()
        if not state_dir:
            raise PermanentError(
                f"{STATE_DIR_ENV} must name the local backend's state directory "
                "(required when RESTATE_CONTROLLER_BACKEND=local)"
            )
        return cls(
            state_dir, cluster_name=cluster_name, desired_task_definition=desired_task_definition
        )

    @property
    def desired_task_definition(self) -> str:
        return self._desired

    # ------------------------------------------------------------------ TaskBackend
    def list_tasks(self) -> list[TaskInfo]:
        with self._state() as state:
            self._refresh(state)
            records = [
                record
                for record in state["tasks"].values()
                if record["tags"].get(TAG_CLUSTER) == self.cluster_name
            ]
            return [self._task_info(record) for record in records]

    def run_task(self, az: str, tags: Mapping[str, str]) -> TaskInfo:
        definition = load_task_definition(self.state_dir, self._desired)
        with self._state() as state:
            state["sequence"] += 1
            task_id = f"{self.cluster_name}-task-{state['sequence']}"
            task_dir = self.state_dir / "tasks" / task_id
            task_dir.mkdir(parents=True, exist_ok=False)
            port = free_port()
            env = {
                **os.environ,
                **definition.env,
                "RESTATE_NODE_NAME": task_id,
                "RESTATE_LOCATION": location_for(az),
                "RESTATE_ROLES": definition.env.get("RESTATE_ROLES", STATEFUL_ROLES),
                "RESTATE_AUTO_PROVISION": "false",
                "RESTATE_BASE_DIR": str(task_dir / "data"),
                "RESTATE_LISTEN_MODE": "tcp",
                "RESTATE_BIND_IP": LOOPBACK,
                "RESTATE_BIND_PORT": str(port),
                "RESTATE_ADVERTISED_ADDRESS": f"http://{LOOPBACK}:{port}/",
                "RESTATE_LOG_DISABLE_ANSI_CODES": "true",
            }
            log = (task_dir / "restate.log").open("ab")
            try:
                # A new session: the node keeps running when the controller dies, like a task.
                process = subprocess.Popen(
                    [definition.binary, "--no-logo"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    cwd=task_dir,
                )
            except OSError as error:
                raise TemporaryError(f"starting {definition.binary} failed: {error}") from None
            finally:
                log.close()
            record = {
                "task_id": task_id,
                "az": az,
                "task_definition": self._desired,
                "tags": {
                    **dict(tags),
                    TAG_CLUSTER: self.cluster_name,
                    TAG_MANAGED_BY: MANAGED_BY,
                    TAG_AZ: az,
                },
                "pid": process.pid,
                "pid_start_ticks": _process_start_ticks(process.pid),
                "port": port,
                "started_at": time.time(),
                "stop_requested_at": None,
                "stopped_at": None,
                "stopped_reason": None,
            }
            state["tasks"][task_id] = record
            return self._task_info(record)

    def tag_task(self, task_id: str, tags: Mapping[str, str]) -> None:
        with self._state() as state:
            record = self._record(state, task_id)
            record["tags"].update(dict(tags))

    def stop_task(self, task_id: str, reason: str) -> None:
        with self._state() as state:
            record = self._record(state, task_id)
            if record["stopped_at"] is not None or record["stop_requested_at"] is not None:
                return
            record["stop_requested_at"] = time.time()
            record["stopped_reason"] = reason
            self._signal(record, signal.SIGTERM)

    # ------------------------------------------------------------------ local extras (tests, dev)
    def pid_of(self, task_id: str) -> int | None:
        with self._state() as state:
            record = self._record(state, task_id)
            return record["pid"] if self._alive(record) else None

    def advertised_address(self, task_id: str) -> str:
        with self._state() as state:
            return f"http://{LOOPBACK}:{self._record(state, task_id)['port']}/"

    def forget_stopped_task(self, task_id: str) -> None:
        """Drop a stopped task's record now, as ECS does about an hour after a stop: rehearses
        a controller that was away that long (its node is left without a listed task)."""
        with self._state() as state:
            self._refresh(state)
            if self._record(state, task_id)["stopped_at"] is None:
                raise PermanentError(f"local task {task_id!r} is not stopped; ECS lists it")
            del state["tasks"][task_id]

    def log_path(self, task_id: str) -> Path:
        return self.state_dir / "tasks" / task_id / "restate.log"

    def stop_all(self, timeout_seconds: float = 15.0) -> None:
        """SIGTERM every live task, wait, then SIGKILL what is left (dev down, test teardown)."""
        with self._state() as state:
            live = [record for record in state["tasks"].values() if self._alive(record)]
            for record in live:
                record["stop_requested_at"] = record["stop_requested_at"] or time.time()
                record["stopped_reason"] = record["stopped_reason"] or "stopped with the cluster"
                self._signal(record, signal.SIGTERM)
        deadline = time.monotonic() + timeout_seconds
        while live and time.monotonic() < deadline:
            for record in live:
                _reap(record["pid"])
            live = [record for record in live if self._alive(record)]
            time.sleep(0.1)
        for record in live:
            self._signal(record, signal.SIGKILL)
            _reap(record["pid"])
        self.list_tasks()  # records the final STOPPED states

    # ------------------------------------------------------------------ internals
    @contextlib.contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        """Read-modify-write of tasks.json under an exclusive lock (controller and tests share it)."""
        path = self.state_dir / "tasks.json"
        with (self.state_dir / "tasks.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = (
                    json.loads(path.read_text()) if path.exists() else {"sequence": 0, "tasks": {}}
                )
                before = json.dumps(state, sort_keys=True)
                yield state
                after = json.dumps(state, sort_keys=True)
                if after != before:
                    temporary = path.with_suffix(".tmp")
                    temporary.write_text(json.dumps(state, indent=2, sort_keys=True))
                    temporary.replace(path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _record(state: dict[str, Any], task_id: str) -> dict[str, Any]:
        try:
            return state["tasks"][task_id]
        except KeyError:
            raise PermanentError(f"unknown local task {task_id!r}") from None

    @staticmethod
    def _alive(record: Mapping[str, Any]) -> bool:
        if record["stopped_at"] is not None:
            return False
        _reap(record["pid"])
        ticks = _process_start_ticks(record["pid"])
        return ticks is not None and ticks == record["pid_start_ticks"]

    def _signal(self, record: Mapping[str, Any], signum: int) -> None:
        if self._alive(record):
            with contextlib.suppress(ProcessLookupError):
                os.kill(record["pid"], signum)

    def _refresh(self, state: dict[str, Any]) -> None:
        """Turn exited processes into STOPPED, enforce the stop timeout, forget old stopped ones."""
        now = time.time()
        for task_id, record in list(state["tasks"].items()):
            if record["stopped_at"] is not None:
                if now - record["stopped_at"] > STOPPED_RETENTION_SECONDS:
                    del state["tasks"][task_id]
                continue
            if not self._alive(record):
                record["stopped_at"] = now
                if record["stop_requested_at"] is None:
                    record["stopped_reason"] = "Essential container in task exited (process died)"
            elif (
                record["stop_requested_at"] is not None
                and now - record["stop_requested_at"] > self.stop_timeout_seconds
            ):
                self._signal(record, signal.SIGKILL)

    @staticmethod
    def _task_info(record: Mapping[str, Any]) -> TaskInfo:
        if record["stopped_at"] is not None:
            status = STOPPED_STATUS
        elif record["stop_requested_at"] is not None:
            status = "DEACTIVATING"
        else:
            status = "RUNNING"
        return TaskInfo(
            task_id=record["task_id"],
            node_name=record["task_id"],
            az=record["az"],
            task_definition=record["task_definition"],
            status=status,
            tags=dict(record["tags"]),
            private_ip=LOOPBACK,
            started_at=record["started_at"],
            stopped_reason=record["stopped_reason"],
        )
