"""A local Restate cluster on 127.0.0.1: moto S3, 2 stateless nodes, the controller.

The controller (`restate-controller` with the local backend) creates the stateful nodes, exactly as
it creates Fargate tasks in AWS. Everything started here is recorded in `<state_dir>/dev.json`
so another process (`cdktf-restate dev down`, a test teardown) can stop it.
Used by `cdktf-restate dev`, the end-to-end tests and the benchmark; imports no construct code.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from restate_controller.backends.local import (
    STATE_DIR_ENV,
    LocalBackend,
    TaskDefinition,
    register_task_definition,
)
from restate_controller.restate_client import RestatectlClient

from cdktf_restate.devtools.emulator import LOOPBACK, free_port, free_ports

REPO_ROOT = Path(__file__).resolve().parents[2]
RESTATE_SERVER = REPO_ROOT / "node_modules/@restatedev/restate-server-linux-x64/bin/restate-server"
RESTATECTL = REPO_ROOT / "node_modules/@restatedev/restatectl-linux-x64/bin/restatectl"
CLUSTER_NAME = "dev"
AZS = ("a", "b", "c")
BUCKET = "restate-dev"
NUM_PARTITIONS = 4
REPLICATION = "{zone: 2}"
STATE_FILE = "dev.json"


class InfraStartTimeout(TimeoutError):
    """moto or a stateless node (restate-server itself, not the controller) did not come up."""


# What restate-server prints, and exits on, when a port it should bind is taken.
PORT_TAKEN = "Address in use"
PORT_RESTARTS = 3


@dataclass
class ProcessRecord:
    name: str
    pid: int
    log: str


@dataclass
class StatelessNode:
    name: str
    az: str
    fabric_port: int
    admin_port: int
    ingress_port: int
    pid: int = 0


@dataclass
class DevCluster:
    """What `up` started; persisted as JSON in the state dir."""

    state_dir: str
    emulator_url: str
    emulator_pid: int
    stateless: list[StatelessNode]
    task_definition: str
    revision: int
    health_port: int
    reconcile_interval: float
    controller_pid: int = 0
    controller_env: dict[str, str] = field(default_factory=dict)
    # How the controller starts: empty runs this checkout's `restate-controller`; else a command
    # whose process is the controller (the image's entrypoint: devtools/image_run.py), with
    # these variables set over controller_env (e.g. the image's own restatectl path).
    controller_launch: list[str] = field(default_factory=list)
    controller_env_overrides: dict[str, str] = field(default_factory=dict)

    # ---- addresses
    @property
    def restatectl_address(self) -> str:
        return ",".join(f"http://{LOOPBACK}:{node.fabric_port}/" for node in self.stateless)

    @property
    def admin_url(self) -> str:
        return f"http://{LOOPBACK}:{self.stateless[0].admin_port}"

    @property
    def ingress_urls(self) -> list[str]:
        return [f"http://{LOOPBACK}:{node.ingress_port}" for node in self.stateless]

    @property
    def controller_health_url(self) -> str:
        return f"http://{LOOPBACK}:{self.health_port}/health"

    # ---- helpers for callers
    def client(self) -> RestatectlClient:
        return RestatectlClient(
            self.restatectl_address, restatectl_path=str(RESTATECTL), admin_url=self.admin_url
        )

    def backend(self) -> LocalBackend:
        return LocalBackend(
            self.state_dir, cluster_name=CLUSTER_NAME, desired_task_definition=self.task_definition
        )

    def save(self) -> None:
        Path(self.state_dir, STATE_FILE).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, state_dir: Path | str) -> DevCluster:
        path = Path(state_dir, STATE_FILE)
        if not path.exists():
            raise FileNotFoundError(f"no local cluster in {state_dir} (run `cdktf-restate dev up`)")
        payload = json.loads(path.read_text())
        payload["stateless"] = [StatelessNode(**node) for node in payload["stateless"]]
        return cls(**payload)


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------
def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def stop_pid(pid: int, timeout_seconds: float = 15.0, signum: int = signal.SIGTERM) -> None:
    """Signal, wait for the exit, SIGKILL after the timeout."""
    if not pid_alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
    deadline = time.monotonic() + timeout_seconds
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while pid_alive(pid):
            time.sleep(0.05)


def spawn(command: list[str], *, env: Mapping[str, str], log: Path, cwd: Path) -> int:
    """Start a detached process (own session) that outlives this one; output to `log`."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=cwd,
        )
    return process.pid


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - anything not ready yet counts as "not yet"
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------
def restate_config(emulator_url: str) -> str:
    """Cluster-wide TOML for every node: S3 metadata and snapshots on moto, test speed-ups."""
    s3 = (
        'aws-region = "us-east-1"\n'
        f'aws-endpoint-url = "{emulator_url}"\n'
        "aws-allow-http = true\n"
        'aws-access-key-id = "test"\n'
        'aws-secret-access-key = "test"\n'
    )
    return (
        f'cluster-name = "{CLUSTER_NAME}"\n'
        f'default-replication = "{REPLICATION}"\n'
        f"default-num-partitions = {NUM_PARTITIONS}\n"
        # Test speed-ups (restate-operations.md): faster failure detection, no trim delay.
        'gossip-suspect-interval = "500ms"\n'
        'rocksdb-total-memory-size = "256 MiB"\n'
        "disable-telemetry = true\n"
        # A replaced node is drained before it is stopped, yet its node RPC server can wait for
        # peers' idle connections until this timeout; nothing is lost by cutting that short.
        'shutdown-timeout = "3s"\n'
        # Nodes poll the object-store metadata for changes; 10 s by default delays every step.
        'metadata-update-interval = "1s"\n'
        "\n[metadata-client]\n"
        'type = "object-store"\n'
        f'path = "s3://{BUCKET}/{CLUSTER_NAME}/metadata"\n' + s3 + "\n[bifrost]\n"
        'default-provider = "replicated"\n'
        # The cluster controller acts on its heartbeat tick (1.5 s default): log nodesets move
        # off a drained node one reconfiguration at a time, so a faster tick shortens the drain.
        "\n[admin]\n"
        'heartbeat-interval = "250ms"\n'
        "\n[worker]\n"
        'trim-delay-interval = "0s"\n'
        "\n[worker.snapshots]\n"
        f'destination = "s3://{BUCKET}/{CLUSTER_NAME}/snapshots"\n' + s3
    )


def task_definition_id(revision: int) -> str:
    return f"{CLUSTER_NAME}-stateful-{revision}"


def register_revision(state_dir: Path, revision: int) -> str:
    """A new stateful "task definition": same binary, a real (harmless) configuration change,
    like a `terraform apply` that changes the node memory."""
    definition_id = task_definition_id(revision)
    register_task_definition(
        state_dir,
        definition_id,
        TaskDefinition(
            binary=str(RESTATE_SERVER),
            env={
                "RESTATE_CONFIG": str(state_dir / "restate.toml"),
                "RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE": f"{256 + revision} MiB",
                "AWS_EC2_METADATA_DISABLED": "true",
            },
        ),
    )
    return definition_id


def controller_env(cluster: DevCluster) -> dict[str, str]:
    return {
        "RESTATE_CONTROLLER_BACKEND": "local",
        "RESTATE_CONTROLLER_CLUSTER_NAME": CLUSTER_NAME,
        "RESTATE_CONTROLLER_TASK_DEFINITION_ARN": cluster.task_definition,
        "RESTATE_CONTROLLER_SUBNETS_BY_AZ": json.dumps({az: f"local-{az}" for az in AZS}),
        "RESTATE_CONTROLLER_NODES_PER_AZ": "1",
        "RESTATE_CONTROLLER_REPLICATION": REPLICATION,
        "RESTATE_CONTROLLER_RESTATECTL_ADDRESS": cluster.restatectl_address,
        "RESTATE_CONTROLLER_ADMIN_URL": cluster.admin_url,
        "RESTATE_CONTROLLER_RESTATECTL_PATH": str(RESTATECTL),
        "RESTATE_CONTROLLER_RECONCILE_INTERVAL_SECONDS": str(cluster.reconcile_interval),
        "RESTATE_CONTROLLER_HEALTH_PORT": str(cluster.health_port),
        STATE_DIR_ENV: cluster.state_dir,
    }


# --------------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------------
def start_emulator(state_dir: Path) -> tuple[str, int]:
    """moto S3 on a free port, with the cluster's bucket. Started again on a new port if the
    chosen one was taken before moto bound it (see wait_for_stateless_nodes); stopped again
    when it does not come up."""
    log = state_dir / "emulator.log"
    for _ in range(PORT_RESTARTS + 1):
        port, since = free_port(), log_size(log)
        pid = spawn(
            [sys.executable, "-m", "cdktf_restate.devtools.local_cluster", "emulator", str(port)],
            env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
            log=log,
            cwd=state_dir,
        )
        url = f"http://{LOOPBACK}:{port}"
        try:
            wait_until(
                lambda: http_ok(f"{url}/moto-api/") or not pid_alive(pid),  # noqa: B023
                timeout=30,
                what="the S3 emulator",
            )
            if pid_alive(pid):
                request = urllib.request.Request(f"{url}/{BUCKET}", method="PUT")
                urllib.request.urlopen(request, timeout=10).read()
                return url, pid
        except TimeoutError as error:
            stop_pid(pid)
            raise InfraStartTimeout(
                f"the S3 emulator did not start: {error}; the end of {log}:\n"
                + log_tail(log, since=since)
            ) from None
        except BaseException:
            stop_pid(pid)  # e.g. the bucket PUT failed: not a start timeout, not retried
            raise
        if "in use" not in log_tail(log, 5, since):
            break
    raise RuntimeError(
        f"the S3 emulator exited while starting; the end of {log}:\n{log_tail(log, since=since)}"
    )


def start_stateless(state_dir: Path, node: StatelessNode) -> int:
    node_dir = state_dir / "stateless" / node.name
    node_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "RESTATE_CONFIG": str(state_dir / "restate.toml"),
        "RESTATE_NODE_NAME": node.name,
        "RESTATE_LOCATION": f"local.{node.az}",
        "RESTATE_ROLES": "[admin,http-ingress]",
        # Only the stateless kind provisions the cluster (restate-operations.md).
        "RESTATE_AUTO_PROVISION": "true",
        "RESTATE_BASE_DIR": str(node_dir / "data"),
        "RESTATE_LISTEN_MODE": "tcp",
        "RESTATE_BIND_IP": LOOPBACK,
        "RESTATE_BIND_PORT": str(node.fabric_port),
        "RESTATE_ADVERTISED_ADDRESS": f"http://{LOOPBACK}:{node.fabric_port}/",
        "RESTATE_ADMIN__BIND_PORT": str(node.admin_port),
        "RESTATE_INGRESS__BIND_PORT": str(node.ingress_port),
        "RESTATE_LOG_DISABLE_ANSI_CODES": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return spawn(
        [str(RESTATE_SERVER), "--no-logo"], env=env, log=node_dir / "restate.log", cwd=node_dir
    )


def stateless_log(state_dir: Path, node: StatelessNode) -> Path:
    return state_dir / "stateless" / node.name / "restate.log"


def log_size(log: Path) -> int:
    try:
        return log.stat().st_size
    except OSError:
        return 0


def log_tail(log: Path, lines: int = 20, since: int = 0) -> str:
    """The last `lines` lines of `log`, from byte `since` on (logs are appended to: what an
    earlier start printed must not be read as this one's)."""
    try:
        with log.open("rb") as stream:
            stream.seek(since)
            text = stream.read().decode(errors="replace")
    except OSError as error:
        return f"(no log: {error})"
    return "\n".join(text.splitlines()[-lines:])


def wait_for_stateless_nodes(cluster: DevCluster, *, timeout: float) -> None:
    """Wait for every stateless node's admin API.

    A port is chosen free and bound by the node a moment later. Ports come from below the
    kernel's ephemeral range, so no outgoing connection takes one meanwhile, yet another server
    still can, and the node exits "Address in use". Such a node is started again on new ports,
    under the same name and data (a restart, as Restate allows). Any other exit fails at once
    with the node's log; the timeout (InfraStartTimeout) with every waiting node's log.
    """
    state_dir = Path(cluster.state_dir)
    restarts = dict.fromkeys((node.name for node in cluster.stateless), 0)
    # Where the current start's output begins in each (appended) log: `up` starts clean.
    since = dict.fromkeys((node.name for node in cluster.stateless), 0)
    deadline = time.monotonic() + timeout
    while True:
        waiting = [
            node
            for node in cluster.stateless
            if not http_ok(f"http://{LOOPBACK}:{node.admin_port}/health")
        ]
        if not waiting:
            return
        for node in waiting:
            if pid_alive(node.pid):
                continue
            log = stateless_log(state_dir, node)
            output = log_tail(log, 5, since[node.name])
            if PORT_TAKEN in output and restarts[node.name] < PORT_RESTARTS:
                restarts[node.name] += 1
                node.fabric_port, node.admin_port, node.ingress_port = free_ports(3)
                since[node.name] = log_size(log)
                node.pid = start_stateless(state_dir, node)
                cluster.save()
                continue
            raise RuntimeError(
                f"stateless node {node.name} exited while starting; the end of {log}:\n"
                + log_tail(log, since=since[node.name])
            )
        if time.monotonic() > deadline:
            logs = "\n".join(
                f"--- {node.name} (pid {node.pid}, alive: {pid_alive(node.pid)}), the end of "
                f"{stateless_log(state_dir, node)}:\n"
                + log_tail(stateless_log(state_dir, node), since=since[node.name])
                for node in waiting
            )
            emulator = "answers" if http_ok(f"{cluster.emulator_url}/moto-api/") else "no answer"
            raise InfraStartTimeout(
                f"timed out after {timeout:.0f}s waiting for the stateless nodes' admin API "
                f"(S3 emulator {cluster.emulator_url}: {emulator})\n{logs}"
            )
        time.sleep(0.2)


def controller_command() -> list[str]:
    script = Path(sys.executable).parent / "restate-controller"
    return [str(script)] if script.exists() else [sys.executable, "-m", "restate_controller.main"]


def start_controller(cluster: DevCluster) -> None:
    env = {**controller_env(cluster), **cluster.controller_env_overrides}
    cluster.controller_env = env
    cluster.controller_pid = spawn(
        cluster.controller_launch or controller_command(),
        env={**os.environ, **env},
        log=Path(cluster.state_dir) / "controller.log",
        cwd=Path(cluster.state_dir),
    )
    cluster.save()


def stop_controller(cluster: DevCluster, signum: int = signal.SIGTERM) -> None:
    stop_pid(cluster.controller_pid, timeout_seconds=10, signum=signum)


def up(
    state_dir: Path | str,
    *,
    reconcile_interval: float = 1.0,
    with_controller: bool = True,
    wait_for_nodes: bool = True,
    timeout: float = 90.0,
    controller_launch: list[str] | None = None,
    controller_env_overrides: dict[str, str] | None = None,
) -> DevCluster:
    """Start moto, 2 stateless nodes, the controller; wait until 3 stateful nodes serve.
    `controller_launch` and `controller_env_overrides`: see DevCluster."""
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    if (state_dir / STATE_FILE).exists():
        existing = DevCluster.load(state_dir)
        if pid_alive(existing.emulator_pid):
            raise RuntimeError(
                f"a local cluster is already running from {state_dir}; run `dev down`"
            )
    # Node names must never come back with other data (restate-operations.md): start clean.
    for stale in ("tasks", "stateless", "task-definitions"):
        shutil.rmtree(state_dir / stale, ignore_errors=True)
    for stale in (STATE_FILE, "tasks.json", "restate.toml"):
        (state_dir / stale).unlink(missing_ok=True)
    emulator_url, emulator_pid = start_emulator(state_dir)
    ports = free_ports(3 * 2 + 1)  # fabric, admin, ingress of 2 stateless nodes; the controller
    (state_dir / "restate.toml").write_text(restate_config(emulator_url))
    cluster = DevCluster(
        state_dir=str(state_dir),
        emulator_url=emulator_url,
        emulator_pid=emulator_pid,
        stateless=[
            StatelessNode(f"stateless-{az}", az, *ports[3 * index : 3 * index + 3])
            for index, az in enumerate(AZS[:2])
        ],
        task_definition=register_revision(state_dir, 1),
        revision=1,
        health_port=ports[-1],
        reconcile_interval=reconcile_interval,
        controller_launch=list(controller_launch or []),
        controller_env_overrides=dict(controller_env_overrides or {}),
    )
    cluster.save()
    try:
        for node in cluster.stateless:
            node.pid = start_stateless(state_dir, node)
        cluster.save()
        wait_for_stateless_nodes(cluster, timeout=timeout)
        if with_controller:
            start_controller(cluster)
            if wait_for_nodes:
                wait_for_serving_nodes(cluster, len(AZS), timeout=timeout)
    except BaseException:
        down(state_dir)
        raise
    return cluster


def serving_stateful_nodes(cluster: DevCluster) -> list[str]:
    view = cluster.client().observe()
    return [node.name for node in view.nodes if node.serving]


def wait_for_serving_nodes(cluster: DevCluster, count: int, *, timeout: float) -> None:
    client = cluster.client()

    def ready() -> bool:
        view = client.observe()
        serving = [node for node in view.nodes if node.serving]
        return view.provisioned and len(serving) >= count and view.healthy_reason is None

    try:
        wait_until(ready, timeout=timeout, what=f"{count} serving stateful nodes", interval=0.5)
    except TimeoutError as error:
        log = Path(cluster.state_dir) / "controller.log"
        alive = pid_alive(cluster.controller_pid)
        raise TimeoutError(
            f"{error} (controller alive: {alive}); the end of {log}:\n{log_tail(log)}"
        ) from None
    wait_until(
        lambda: all(http_ok(f"{url}/restate/health") for url in cluster.ingress_urls),
        timeout=timeout,
        what="ingress health",
    )


def roll(cluster: DevCluster) -> str:
    """Register a new stateful task definition and restart the controller on it (what a
    `terraform apply` does to the controller service). Returns the new definition id."""
    state_dir = Path(cluster.state_dir)
    cluster.revision += 1
    cluster.task_definition = register_revision(state_dir, cluster.revision)
    stop_controller(cluster)
    start_controller(cluster)
    return cluster.task_definition


def down(state_dir: Path | str) -> list[str]:
    """Stop everything `up` started (controller first, so it does not replace what we stop)."""
    state_dir = Path(state_dir).resolve()
    stopped: list[str] = []
    try:
        cluster = DevCluster.load(state_dir)
    except FileNotFoundError:
        return stopped
    if pid_alive(cluster.controller_pid):
        stop_controller(cluster)
        stopped.append("controller")
    backend = cluster.backend()
    live = [task.task_id for task in backend.list_tasks() if not task.is_stopped]
    backend.stop_all()
    stopped += live
    for node in cluster.stateless:
        if pid_alive(node.pid):
            stop_pid(node.pid)
            stopped.append(node.name)
    if pid_alive(cluster.emulator_pid):
        stop_pid(cluster.emulator_pid)
        stopped.append("s3-emulator")
    return stopped


def _serve_emulator(port: int) -> None:
    """Entry point of the detached emulator process: moto S3 on loopback until SIGTERM.

    Unlike `running_emulator`, requests are applied one at a time: moto checks an S3
    conditional PUT (If-Match / If-None-Match) and then writes, without a lock, so two nodes
    registering at once could both win and get the same node id (seen here: two nodes as N4).
    Real S3 applies conditional writes atomically, and Restate's object-store metadata relies on it.
    """
    import threading

    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialized(environ: dict[str, object], start_response: Callable[..., object]) -> object:
        with one_at_a_time:
            return app(environ, start_response)

    server = make_server(LOOPBACK, port, serialized, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] == ["emulator"]:
        _serve_emulator(int(sys.argv[2]))


# --------------------------------------------------------------------------------------------
# Watching a roll
# --------------------------------------------------------------------------------------------
@dataclass
class RollWatcher:
    """Polls tasks and nodes; records when each task first showed each phase/status.

    Phases of an old task: draining -> trimming -> stopping -> (STOPPED) -> removed. A replacement
    is `starting` until the controller sees its node serving (`running`)."""

    cluster: DevCluster
    seen: dict[str, dict[str, float]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def poll(self) -> list[str]:
        """One look; returns human-readable lines for what changed since the last look."""
        lines: list[str] = []
        now = time.monotonic()
        for task in self.cluster.backend().list_tasks():
            marks = self.seen.setdefault(task.task_id, {})
            node = task.tags.get("restate:node-id", "N?")
            for mark in (task.phase, task.status):
                if mark not in marks:
                    marks[mark] = now
                    lines.append(
                        f"[{now - self.started:5.1f}s] {task.task_id} ({task.az}, {node}, "
                        f"{task.task_definition}): {mark}"
                    )
        return lines

    def done(self, definition: str) -> bool:
        """Every AZ serves a task on `definition` and every other task is stopped and removed."""
        tasks = self.cluster.backend().list_tasks()
        view = self.cluster.client().observe()
        names = {node.name for node in view.nodes}
        new = [t for t in tasks if t.task_definition == definition and t.is_active]
        old = [t for t in tasks if t.task_definition != definition]
        serving = {t.az for t in new if (n := view.node_by_name(t.node_name)) and n.serving}
        old_gone = all(t.is_stopped and t.node_name not in names for t in old)
        return serving == set(AZS) and old_gone and all(t.phase == "running" for t in new)

    def phase_times(self) -> dict[str, list[float]]:
        """Per phase, the seconds each replaced task spent in it (join = replacement start to
        running; drain; trim; stop = stopping to STOPPED; remove = STOPPED to removed)."""
        spans = {"join": [], "drain": [], "trim": [], "stop": [], "remove": []}
        pairs = {
            "drain": ("draining", "trimming"),
            "trim": ("trimming", "stopping"),
            "stop": ("stopping", "STOPPED"),
            "remove": ("STOPPED", "removed"),
        }
        for marks in self.seen.values():
            if "starting" in marks and "running" in marks:
                spans["join"].append(marks["running"] - marks["starting"])
            for name, (begin, end) in pairs.items():
                if "draining" in marks and begin in marks and end in marks:
                    spans[name].append(marks[end] - marks[begin])
        return spans
