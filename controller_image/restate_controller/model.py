"""The controller's vocabulary: what it observes, what it wants, what it does. No I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

# ---------------------------------------------------------------------------------------------
# Tags on stateful tasks: the controller's durable state (see docs/controller-config.md).
# ---------------------------------------------------------------------------------------------
TAG_CLUSTER = "restate:cluster"
TAG_MANAGED_BY = "restate:managed-by"
TAG_AZ = "restate:az"
TAG_PHASE = "restate:phase"
TAG_NODE_ID = "restate:node-id"
TAG_REPLACES = "restate:replaces"
TAG_RETIRING = "restate:retiring"
# Epoch seconds (integer string) when the drain of this task began; the drain timeout runs from it.
TAG_DRAIN_STARTED = "restate:drain-started"
# Epoch seconds when MarkDraining (or DisableDeadNode) was last issued for this task's node: a
# drain stuck in a log nodeset re-issues it from here (retry pacing that survives a restart).
TAG_DRAIN_ISSUED_AT = "restate:drain-issued-at"
# Epoch seconds of the last snapshot-and-trim issued for this task's drain (retry pacing).
TAG_TRIMMED_AT = "restate:trimmed-at"
# Epoch seconds since when a running task's node has been seen not alive ("" once alive again).
TAG_UNHEALTHY_SINCE = "restate:unhealthy-since"
# `true` once the task's node was seen alive, read-write and active: a stopped task without it
# never served (a failed start, counted for crash-loop detection, even after it registered).
TAG_SERVED = "restate:served"

MANAGED_BY = "cdktf-restate-controller"

PHASE_STARTING = "starting"
PHASE_RUNNING = "running"
PHASE_DRAINING = "draining"
PHASE_TRIMMING = "trimming"
PHASE_STOPPING = "stopping"
PHASE_REMOVED = "removed"
DRAIN_PHASES = (PHASE_DRAINING, PHASE_TRIMMING, PHASE_STOPPING)

# ECS lastStatus vocabulary.
ACTIVE_STATUSES = frozenset({"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"})
STOPPED_STATUS = "STOPPED"
#: ECS shows DELETED after STOPPED (the task's resources are gone): stopped just the same.
TERMINAL_STATUSES = frozenset({STOPPED_STATUS, "DELETED"})


def format_node_id(node_id: int) -> str:
    """Tag value for a plain node id, as restatectl prints it (`N3`)."""
    return f"N{node_id}"


def parse_node_id(value: str | None) -> int | None:
    """Inverse of `format_node_id`; None for a missing or malformed tag."""
    if not value:
        return None
    digits = value[1:] if value[:1] in ("N", "n") else value
    return int(digits) if digits.isdigit() else None


# ---------------------------------------------------------------------------------------------
# Observed state
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskInfo:
    """One stateful task as the backend sees it.

    `status` uses the ECS lastStatus vocabulary. `node_name` is the Restate node name the task
    runs as (ECS: the task ARN; local: the task id). `started_at` is epoch seconds.
    """

    task_id: str
    node_name: str
    az: str
    task_definition: str
    status: str
    tags: Mapping[str, str]
    private_ip: str | None = None
    started_at: float | None = None
    stopped_reason: str | None = None

    @property
    def phase(self) -> str:
        # A task of ours without a phase tag was started but never bookkept: treat as starting.
        return self.tags.get(TAG_PHASE, PHASE_STARTING)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_stopped(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def tagged_node_id(self) -> int | None:
        return parse_node_id(self.tags.get(TAG_NODE_ID))


@dataclass(frozen=True)
class NodeInfo:
    """One Restate node from the cluster's nodes configuration (states lower-case, as restatectl)."""

    node_id: int
    name: str
    location: str
    alive: bool
    storage_state: str  # provisioning|read-write|read-only|data-loss|disabled|gone
    worker_state: str  # provisioning|active|draining|disabled

    @property
    def serving(self) -> bool:
        """Alive, accepting writes and running partitions: fit to take over from another node."""
        return self.alive and self.storage_state == "read-write" and self.worker_state == "active"


@dataclass(frozen=True)
class ClusterView:
    """What the cluster itself says, observed once per reconcile pass."""

    # Stateful nodes only (worker or log-server role; restate_client.list_nodes leaves out the
    # stateless admin/ingress nodes the ECS service runs): every one should belong to a task.
    nodes: tuple[NodeInfo, ...]
    # node id -> number of partition replica-set memberships / partition processors on it
    partition_replicas: Mapping[int, int]
    # node ids that appear in any tail-segment nodeset
    nodeset_members: frozenset[int]
    # node id -> (historical, active) loglets on that log server
    loglet_servers: Mapping[int, tuple[int, int]]
    provisioned: bool
    # None when healthy enough to act; otherwise why not (shown in logs and /health)
    healthy_reason: str | None = None

    def node_by_name(self, name: str) -> NodeInfo | None:
        return next((node for node in self.nodes if node.name == name), None)

    def node_by_id(self, node_id: int) -> NodeInfo | None:
        return next((node for node in self.nodes if node.node_id == node_id), None)


# ---------------------------------------------------------------------------------------------
# Desired state
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DisruptionBudget:
    """How many failure domains may be out of full service at once, derived from replication.

    `unit` is "zone" (count availability zones) or "node" (count tasks).
    """

    unit: str
    limit: int


@dataclass(frozen=True, kw_only=True)
class DesiredSpec:
    """What the controller keeps true, from the configuration."""

    cluster_name: str
    azs: tuple[str, ...]
    nodes_per_az: int
    task_definition: str
    budget: DisruptionBudget
    drain_timeout_seconds: float = 600.0
    # A draining node without partition replicas but still in a log nodeset (member or sequencer)
    # longer than this after MarkDraining/DisableDeadNode was issued gets the step again: both
    # move the logs left on it, and one failed move would otherwise stall until the timeout.
    drain_retry_seconds: float = 10.0
    # Pause between snapshot-and-trim retries while waiting for loglet servers to report (0, 0).
    # Short: a trim that left loglets behind is cheap to repeat, and each wait stalls a whole drain.
    trim_retry_seconds: float = 5.0
    # Stopped tasks of the desired task definition in one AZ that never served (registered or
    # not); this many means a crash loop: no more launches into that AZ.
    max_failed_starts_per_az: int = 3
    # A running task whose node stays not alive this long is replaced (ECS does not stop a
    # standalone task whose process hangs); shorter outages are waited out.
    unhealthy_grace_seconds: float = 300.0


# ---------------------------------------------------------------------------------------------
# Actions: small concrete steps, each with the reason it was decided
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunTask:
    az: str
    tags: Mapping[str, str]
    reason: str


@dataclass(frozen=True)
class TagTask:
    task_id: str
    tags: Mapping[str, str]
    reason: str


@dataclass(frozen=True)
class MarkDraining:
    node_id: int
    reason: str


@dataclass(frozen=True)
class SnapshotAndTrim:
    reason: str


@dataclass(frozen=True)
class StopTask:
    task_id: str
    reason: str


@dataclass(frozen=True)
class RemoveNode:
    node_id: int
    reason: str


@dataclass(frozen=True)
class DisableDeadNode:
    node_id: int
    reason: str
    # True when no listed task runs the node: the only evidence is the cluster's failure
    # detector at one look (for a task's node, ECS itself says the task stopped). The loop
    # applies such a step only once it was planned on every pass for the unhealthy grace.
    without_task: bool = False


@dataclass(frozen=True)
class Wait:
    """Nothing to do for this item now; the reason says what it waits for."""

    reason: str
    # What the wait is about, when the reason changes while one situation lasts (a node without
    # a listed task seen alive, then dead, then alive): the loop's alarm on a wait without end
    # counts by subject, else by reason.
    subject: str | None = None


def unlisted_node_subject(node_id: int) -> str:
    return f"node N{node_id} without a listed task"


@dataclass(frozen=True)
class Halt:
    """A condition the controller must not resolve by itself (e.g. a drain timed out).

    The loop applies nothing in a pass whose plan holds a Halt and reports the reason as unhealthy.
    `az` is set when the halt concerns one zone only (a crash loop there): the planner then
    launches nothing into that zone and the plan's other decisions stay safe to apply; a Halt
    without `az` is returned alone (with any zone halts) and stops everything.
    """

    reason: str
    az: str | None = None


Action = (
    RunTask | TagTask | MarkDraining | SnapshotAndTrim | StopTask | RemoveNode | DisableDeadNode
)
Decision = Action | Wait | Halt


# ---------------------------------------------------------------------------------------------
# Errors and the Restate operations interface
# ---------------------------------------------------------------------------------------------
class ControllerError(Exception):
    """Base of the controller's own errors."""


class TemporaryError(ControllerError):
    """Retry on the next pass (network blip, throttling, a refusal that may clear)."""


class PermanentError(ControllerError):
    """Stop acting and report why; a human must look (the controller never forces its way on)."""


class RestateRefused(TemporaryError):
    """Restate refused an operation (e.g. `nodes remove` while the node is still in a nodeset)."""


class RestateOps(Protocol):
    """Cluster operations the controller needs. Implementations raise TemporaryError/PermanentError."""

    def observe(self) -> ClusterView: ...

    def mark_draining(self, node_id: int) -> None:
        """Storage read-only and worker draining. Idempotent."""
        ...

    def snapshot_and_trim(self) -> None:
        """Snapshot every partition with log trim, then trim each log to its snapshot LSN."""
        ...

    def remove_node(self, node_id: int) -> None:
        """`restatectl nodes remove`; raises RestateRefused when Restate refuses."""
        ...

    def disable_dead_node(self, node_id: int) -> None:
        """Path for a node whose task is gone: afterwards no new log segment or partition is placed
        on it (storage read-only/disabled/gone, worker draining/disabled). Idempotent."""
        ...


@dataclass(frozen=True)
class Status:
    """Outcome of the last pass, served by /health."""

    healthy: bool
    phase: str  # idle|acting|waiting|halted|error|starting
    reason: str
    last_decisions: tuple[str, ...] = field(default_factory=tuple)
    at: float = 0.0
