"""RestateOps over the `restatectl` binary and the admin REST API.

Every call has a timeout. Failures are split for the loop: an unreachable cluster, a timeout or a
refusal that may clear is a TemporaryError (retry next pass); output this module cannot parse
(a restatectl of another version) is a PermanentError naming the command and what was expected.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from restate_controller.model import (
    ClusterView,
    NodeInfo,
    PermanentError,
    RestateRefused,
    TemporaryError,
    format_node_id,
)

DEFAULT_TIMEOUT_SECONDS = 20.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# `snapshots create-snapshot --trim-log` prints one line per partition, e.g.
# "Snapshot created for partition 0: snap_15xJ... (log 0 @ LSN >= 3)"
_SNAPSHOT_LINE = re.compile(
    r"Snapshot created for partition (?P<partition>\d+): \S+ \(log (?P<log>\d+) @ LSN >= (?P<lsn>\d+)\)"
)
_NODE_REF = re.compile(r"N(\d+)")
# restatectl messages that mean "Restate said no", as opposed to "could not ask".
_REFUSAL_MARKERS = ("not safe", "unsafe", "cannot be", "refus", "changed it state")
# A query naming a column this server version does not have will never succeed; neither will a
# command line this restatectl version does not know (clap's "unexpected argument '--x' found",
# "unrecognized subcommand 'x'"): the controller's arguments are fixed in its code.
_VERSION_MISMATCH_MARKERS = (
    "schema error",
    "no field named",
    "table not found",
    "unexpected argument",
    "unrecognized subcommand",
)

Runner = Callable[..., subprocess.CompletedProcess[str]]


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text).strip()


@dataclass(frozen=True)
class CommandFailed:
    """What a failed restatectl call said, for error messages."""

    args: tuple[str, ...]
    returncode: int
    output: str

    def describe(self) -> str:
        return f"restatectl {' '.join(self.args)} failed (exit {self.returncode}): {self.output}"


def parse_node_ref(value: object, what: str) -> int:
    """`N4` / `N4:1` -> 4; anything else is a PermanentError naming the field."""
    match = _NODE_REF.fullmatch(str(value).split(":")[0]) if value is not None else None
    if not match:
        raise PermanentError(f"cannot parse {what}: expected a node id like 'N3', got {value!r}")
    return int(match.group(1))


def parse_nodeset(value: object) -> frozenset[int]:
    """`"[N4, N5, N3]"` (logs_tail_segments.nodeset) -> {3, 4, 5}."""
    text = str(value or "").strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise PermanentError(f"cannot parse nodeset: expected '[N1, N2, ...]', got {value!r}")
    inner = text[1:-1].strip()
    if not inner:
        return frozenset()
    return frozenset(parse_node_ref(part.strip(), "nodeset member") for part in inner.split(","))


def tail_segment_nodes(row: Mapping[str, object]) -> frozenset[int]:
    """Nodes a `logs_tail_segments` row depends on: its nodeset and its sequencer."""
    nodes = parse_nodeset(row["nodeset"]) if row.get("nodeset") is not None else frozenset()
    sequencer = row.get("sequencer")
    if sequencer:
        nodes |= {parse_node_ref(sequencer, "logs_tail_segments.sequencer")}
    return nodes


def parse_list_servers(output: str) -> dict[int, tuple[int, int]]:
    """`replicated-loglet list-servers` table -> {node_id: (historical, active)}.

    The command has no JSON output; its table has the header
    `NODE GEN STORAGE-STATE HISTORICAL-LOGLETS ACTIVE-LOGLETS`.
    """
    lines = [strip_ansi(line) for line in output.splitlines()]
    header_index = next((i for i, line in enumerate(lines) if line.split()[:1] == ["NODE"]), None)
    if header_index is None:
        raise PermanentError(
            "cannot parse `restatectl replicated-loglet list-servers`: no 'NODE ...' header in "
            f"output {output[:300]!r}"
        )
    header = lines[header_index].split()
    try:
        historical_col = header.index("HISTORICAL-LOGLETS")
        active_col = header.index("ACTIVE-LOGLETS")
    except ValueError:
        raise PermanentError(
            "cannot parse `restatectl replicated-loglet list-servers`: expected columns "
            f"HISTORICAL-LOGLETS and ACTIVE-LOGLETS, got {header}"
        ) from None
    servers: dict[int, tuple[int, int]] = {}
    for line in lines[header_index + 1 :]:
        cells = line.split()
        if not cells:
            continue
        if len(cells) <= max(historical_col, active_col) or not cells[0].startswith("N"):
            raise PermanentError(
                f"cannot parse `restatectl replicated-loglet list-servers` row {line!r}"
            )
        try:
            counts = (int(cells[historical_col]), int(cells[active_col]))
        except ValueError:
            raise PermanentError(
                f"cannot parse loglet counts in `replicated-loglet list-servers` row {line!r}"
            ) from None
        servers[parse_node_ref(cells[0], "list-servers NODE")] = counts
    return servers


def parse_snapshot_output(output: str) -> dict[int, int]:
    """`snapshots create-snapshot --trim-log` output -> {log_id: lsn covered by the snapshot}."""
    points: dict[int, int] = {}
    for match in _SNAPSHOT_LINE.finditer(strip_ansi(output)):
        log_id, lsn = int(match["log"]), int(match["lsn"])
        points[log_id] = max(lsn, points.get(log_id, 0))
    return points


def parse_snapshot_partitions(output: str) -> set[int]:
    """Partition ids `snapshots create-snapshot` reported a snapshot for."""
    return {int(match["partition"]) for match in _SNAPSHOT_LINE.finditer(strip_ansi(output))}


class RestatectlClient:
    """Talks to one cluster through `restatectl` (node port 5122) and the admin API (9070)."""

    def __init__(
        self,
        address: str,
        *,
        restatectl_path: str = "restatectl",
        admin_url: str | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        runner: Runner = subprocess.run,
    ) -> None:
        self.address = address
        self.restatectl_path = restatectl_path
        self.admin_url = admin_url.rstrip("/") if admin_url else None
        self.timeout_seconds = timeout_seconds
        self._runner = runner

    # ------------------------------------------------------------------ restatectl plumbing
    def run(self, *args: str, timeout: float | None = None) -> str:
        """Run restatectl; return stdout. Raises TemporaryError/RestateRefused/PermanentError."""
        timeout = timeout or self.timeout_seconds
        request_ms = str(int(max(1.0, timeout - 1.0) * 1000))
        command = [
            self.restatectl_path,
            *args,
            "--address",
            self.address,
            "--request-timeout",
            request_ms,
            "--yes",
        ]
        # NO_COLOR keeps error messages free of escape codes; CI would also imply --yes.
        env = {**os.environ, "NO_COLOR": "1"}
        try:
            completed = self._runner(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            raise TemporaryError(
                f"restatectl {' '.join(args)} timed out after {timeout:.0f}s"
            ) from None
        except FileNotFoundError:
            raise PermanentError(
                f"restatectl binary not found at {self.restatectl_path!r} "
                "(set RESTATE_CONTROLLER_RESTATECTL_PATH)"
            ) from None
        except OSError as error:
            raise PermanentError(
                f"cannot run restatectl at {self.restatectl_path!r}: {error}"
            ) from None
        if completed.returncode != 0:
            failure = CommandFailed(
                tuple(args), completed.returncode, strip_ansi(completed.stderr or completed.stdout)
            )
            lowered = failure.output.lower()
            if any(marker in lowered for marker in _REFUSAL_MARKERS):
                raise RestateRefused(failure.describe())
            if any(marker in lowered for marker in _VERSION_MISMATCH_MARKERS):
                raise PermanentError(
                    f"{failure.describe()} (restatectl and restate-server versions do not match "
                    "what this controller expects)"
                )
            # Anything else (unreachable, timeout, leader change) is retried on the next pass.
            raise TemporaryError(failure.describe())
        return completed.stdout

    def sql(self, query: str) -> list[dict[str, object]]:
        """`restatectl sql --json` -> rows (the row count goes to stderr, stdout is one array)."""
        output = self.run("sql", "--json", query).strip()
        try:
            rows = json.loads(output) if output else []
        except json.JSONDecodeError as error:
            raise PermanentError(
                f"cannot parse `restatectl sql --json {query!r}`: {error}; output {output[:300]!r}"
            ) from None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise PermanentError(
                f"`restatectl sql --json {query!r}` returned {type(rows).__name__}, expected a list of objects"
            )
        return rows

    # ------------------------------------------------------------------ observe
    def observe(self) -> ClusterView:
        # The five reads are independent restatectl processes: run them side by side, so a pass
        # costs one round trip (~0.1 s) instead of five.
        with ThreadPoolExecutor(max_workers=5) as pool:
            nodes_future = pool.submit(self.list_nodes)
            replica_future = pool.submit(
                self.sql,
                "select partition_id, plain_node_id, is_leader, alive_gen_node_id from partition_replica_set",
            )
            state_future = pool.submit(self.sql, "select plain_node_id from partition_state")
            segment_future = pool.submit(
                self.sql, "select log_id, nodeset, sequencer from logs_tail_segments"
            )
            servers_future = pool.submit(self.run, "replicated-loglet", "list-servers")
            nodes = nodes_future.result()
            replica_rows = replica_future.result()
            state_rows = state_future.result()
            segments = segment_future.result()
            servers_output = servers_future.result()
        replicas: dict[int, int] = {}
        leaders: dict[int, bool] = {}
        for row in replica_rows:
            node_id = parse_node_ref(
                row.get("plain_node_id"), "partition_replica_set.plain_node_id"
            )
            replicas[node_id] = replicas.get(node_id, 0) + 1
            partition = int(str(row.get("partition_id")))
            alive_leader = bool(row.get("is_leader")) and row.get("alive_gen_node_id") is not None
            leaders[partition] = leaders.get(partition, False) or alive_leader
        processors: dict[int, int] = {}
        for row in state_rows:
            node_id = parse_node_ref(row.get("plain_node_id"), "partition_state.plain_node_id")
            processors[node_id] = processors.get(node_id, 0) + 1
        members: set[int] = set()
        for row in segments:
            members |= tail_segment_nodes(row)
        loglets = parse_list_servers(servers_output)
        provisioned = bool(segments) or bool(leaders)
        return ClusterView(
            nodes=tuple(nodes),
            # A node holds partitions while it is in a replica set or still runs a processor.
            partition_replicas={
                node_id: max(replicas.get(node_id, 0), processors.get(node_id, 0))
                for node_id in set(replicas) | set(processors)
            },
            nodeset_members=frozenset(members),
            loglet_servers=loglets,
            provisioned=provisioned,
            healthy_reason=_health_reason(nodes, leaders, provisioned),
        )

    def list_nodes(self) -> list[NodeInfo]:
        """Stateful nodes (worker or log-server role) from the `nodes` table."""
        rows = self.sql(
            "select plain_node_id, name, location, state, storage_state, worker_state, "
            "has_worker_role, has_log_server_role from nodes"
        )
        nodes = [
            NodeInfo(
                node_id=parse_node_ref(row.get("plain_node_id"), "nodes.plain_node_id"),
                name=str(row.get("name") or ""),
                location=str(row.get("location") or ""),
                alive=row.get("state") == "alive",
                storage_state=str(row.get("storage_state") or "provisioning"),
                worker_state=str(row.get("worker_state") or "provisioning"),
            )
            for row in rows
            if row.get("has_worker_role") or row.get("has_log_server_role")
        ]
        return sorted(nodes, key=lambda node: node.node_id)

    # ------------------------------------------------------------------ actions
    def mark_draining(self, node_id: int) -> None:
        """Storage read-only, worker draining, and every log tail moved off the node.

        Setting a state a node already has is an error in restatectl, so only the missing
        transitions are sent. The logs are then reconfigured explicitly (see
        `reconfigure_logs_off`) instead of waiting for Bifrost's watchdog, which was seen here to
        leave a log sequenced by a read-only node for minutes.
        """
        node = self._node(node_id)
        if node.storage_state == "read-write":
            self._set_state(node_id, "set-storage-state", "--storage-state", "read-only")
        if node.worker_state == "active":
            self._set_state(node_id, "set-worker-state", "--worker-state", "draining")
        self._wait_for_node_state(
            node_id, storage=("read-only", "gone", "disabled"), worker=("draining", "disabled")
        )
        self.reconfigure_logs_off(node_id)

    def disable_dead_node(self, node_id: int) -> None:
        """The forced path for a node whose task, and so its data, is gone: storage `gone`,
        worker `disabled`, and no log tail segment left on it. Idempotent.

        Restate refuses both transitions from read-write/active without --force (measured on
        1.7.12), so each is tried safely first and forced on refusal; the planner only asks after
        the replacement serves.

        Bifrost does not always move a log off a gone node by itself (seen once here: a killed
        node stayed in a tail nodeset for minutes after `gone`). Its watchdog only re-places a
        log when the new nodeset is at least as big as the current one, so a tail placed on 4
        nodes while the dead node still counted as read-write (the replacement already up) is
        never improved to 3. So every log whose tail still names the node is reconfigured
        explicitly (`logs reconfigure`, automatic placement) once the cluster reports it gone.
        """
        node = self._node(node_id)
        if node.storage_state not in ("gone", "disabled"):
            self._set_state_forcing(node_id, "set-storage-state", "--storage-state", "gone")
        if node.worker_state != "disabled":
            self._set_state_forcing(node_id, "set-worker-state", "--worker-state", "disabled")
        self._wait_for_node_state(node_id, storage=("gone", "disabled"), worker=("disabled",))
        self.reconfigure_logs_off(node_id)

    def reconfigure_logs_off(self, node_id: int) -> list[int]:
        """Seal every log whose tail segment names the node (nodeset or sequencer) and extend it
        with a segment on the alive read-write log servers; returns the log ids reconfigured.

        The placement is given explicitly: automatic placement may pick the node again as
        sequencer while it still leads the partition. The log keeps its replication property;
        Bifrost's watchdog later moves each sequencer next to its partition leader.
        """
        rows = self.sql("select log_id, nodeset, sequencer, replication from logs_tail_segments")
        targets = [row for row in rows if node_id in tail_segment_nodes(row)]
        if not targets:
            return []
        candidates = sorted(
            node.node_id
            for node in self.list_nodes()
            if node.node_id != node_id and node.alive and node.storage_state == "read-write"
        )
        if not candidates:
            raise TemporaryError(
                f"no alive read-write log server to move the logs of {format_node_id(node_id)} to"
            )
        nodeset = ",".join(format_node_id(candidate) for candidate in candidates)
        moved: list[int] = []
        for row in targets:
            log_id = int(str(row.get("log_id")))
            current = str(row.get("sequencer") or "").split(":")[0]
            sequencer = (
                current
                if current and parse_node_ref(current, "sequencer") in candidates
                else format_node_id(candidates[log_id % len(candidates)])
            )
            self.run(
                "logs",
                "reconfigure",
                "--log-id",
                str(log_id),
                "--provider",
                "replicated",
                "--replication",
                str(row.get("replication")),
                "--nodeset",
                nodeset,
                "--sequencer",
                sequencer,
            )
            moved.append(log_id)
        return moved

    def _wait_for_node_state(
        self, node_id: int, *, storage: tuple[str, ...], worker: tuple[str, ...]
    ) -> None:
        """Nodes see a nodes-configuration change on their next metadata poll; placement decided
        before that would still count the node as usable."""
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            node = self._node(node_id)
            if node.storage_state in storage and node.worker_state in worker:
                return
            if time.monotonic() > deadline:
                raise TemporaryError(
                    f"{format_node_id(node_id)} still shows storage {node.storage_state}, "
                    f"worker {node.worker_state} after the change; retrying next pass"
                )
            time.sleep(0.25)

    def snapshot_and_trim(self) -> None:
        self.snapshot_and_trim_points()

    def snapshot_and_trim_points(self) -> dict[int, int]:
        """Snapshot every partition (with --trim-log), then trim each log to the snapshot LSN
        explicitly, so old segments go now instead of at the leaders' next trim run (~60 s)."""
        partitions = {
            int(str(row.get("partition_id")))
            for row in self.sql("select distinct partition_id from partition_replica_set")
        }
        output = self.run("snapshots", "create-snapshot", "--trim-log")
        snapshotted = parse_snapshot_partitions(output)
        points = parse_snapshot_output(output)
        if not points:
            raise PermanentError(
                "cannot parse `restatectl snapshots create-snapshot --trim-log`: expected lines "
                f"'Snapshot created for partition P: ID (log L @ LSN >= N)', got {output[:300]!r}"
            )
        # One restatectl call per log; they touch different logs, so run them side by side.
        with ThreadPoolExecutor(max_workers=min(8, len(points))) as pool:
            trims = [
                pool.submit(self.run, "logs", "trim", str(log_id), "--trim-point", str(lsn))
                for log_id, lsn in sorted(points.items())
            ]
            for trim in trims:
                trim.result()
        # create-snapshot only logs a failed partition and still exits 0: find out here, so the
        # loop retries at once instead of waiting for loglets that were never trimmed.
        missing = sorted(partitions - snapshotted)
        if missing:
            raise TemporaryError(
                f"no snapshot was created for partitions {missing}; the other logs were trimmed"
            )
        return points

    def remove_node(self, node_id: int) -> None:
        """`nodes remove`; a refusal raises RestateRefused carrying restatectl's message."""
        self.run("nodes", "remove", "--nodes", format_node_id(node_id))

    def provision(
        self, *, log_replication: str, partition_replication: str, num_partitions: int
    ) -> bool:
        """Provision the cluster; True when done now or before. `provision` exits 0 even when it
        fails, so its output decides."""
        output = strip_ansi(
            self.run(
                "provision",
                "--log-provider",
                "replicated",
                "--log-replication",
                log_replication,
                "--partition-replication",
                partition_replication,
                "--num-partitions",
                str(num_partitions),
            )
        ).lower()
        # 1.7.12 says "Cluster has been provisioned by somebody else." when it already was.
        done = ("successfully provisioned", "already provisioned", "has been provisioned")
        if any(phrase in output for phrase in done):
            return True
        raise TemporaryError(f"restatectl provision did not succeed: {output[:300]!r}")

    # ------------------------------------------------------------------ admin API
    def admin_health(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"{self._admin()}/health", timeout=self.timeout_seconds
            ) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def register_deployment(self, uri: str, *, force: bool = False) -> Mapping[str, object]:
        """POST /deployments for an HTTP service endpoint; returns the admin API's answer."""
        body = json.dumps({"uri": uri, "force": force}).encode()
        request = urllib.request.Request(
            f"{self._admin()}/deployments",
            data=body,
            method="POST",
            headers={"content-type": "application/json", "accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            if error.code >= 500:
                raise TemporaryError(
                    f"registering {uri} failed: HTTP {error.code} {detail}"
                ) from None
            raise PermanentError(f"registering {uri} failed: HTTP {error.code} {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise TemporaryError(f"registering {uri} failed: {error}") from None

    # ------------------------------------------------------------------ helpers
    def _admin(self) -> str:
        if not self.admin_url:
            raise PermanentError("no admin URL configured (RESTATE_CONTROLLER_ADMIN_URL)")
        return self.admin_url

    def _node(self, node_id: int) -> NodeInfo:
        node = next((node for node in self.list_nodes() if node.node_id == node_id), None)
        if node is None:
            raise PermanentError(
                f"node {format_node_id(node_id)} is not in the nodes configuration"
            )
        return node

    def _set_state_forcing(self, node_id: int, command: str, *args: str) -> None:
        try:
            self._set_state(node_id, command, *args)
        except RestateRefused:
            self._set_state(node_id, command, *args, "--force")

    def _set_state(self, node_id: int, command: str, *args: str) -> None:
        try:
            self.run("nodes", command, "--nodes", format_node_id(node_id), *args)
        except RestateRefused as error:
            # A concurrent writer (or our own earlier, half-seen call) already made the change.
            if "changed it state" in str(error):
                return
            raise


def _health_reason(
    nodes: Sequence[NodeInfo], leaders: Mapping[int, bool], provisioned: bool
) -> str | None:
    """Why the cluster is not healthy enough to take a node away, or None."""
    if not provisioned:
        return "cluster is not provisioned yet"
    lost = [format_node_id(node.node_id) for node in nodes if node.storage_state == "data-loss"]
    if lost:
        return f"nodes in data-loss: {', '.join(lost)}"
    leaderless = sorted(partition for partition, has_leader in leaders.items() if not has_leader)
    if leaderless:
        return f"partitions without an alive leader: {', '.join(map(str, leaderless))}"
    return None


__all__ = [
    "RestatectlClient",
    "parse_list_servers",
    "parse_nodeset",
    "parse_snapshot_output",
]
