"""What the widget shows, gathered once per render. No I/O here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

#: A row of `restatectl sql --json` output, as restatectl returns it.
Row = Mapping[str, object]

TABS = ("nodes", "partitions", "logs", "compute")


@dataclass(frozen=True)
class Problem:
    """A source that could not be read: what was asked and why it failed (one line)."""

    source: str
    message: str


@dataclass(frozen=True)
class ClusterReport:
    """Restate's own view: the `nodes`, `partitions`, `partition_state` and
    `logs_tail_segments` tables, each None when its query failed (see ``problems``)."""

    address: str
    nodes: Sequence[Row] | None
    partitions: Sequence[Row] | None
    partition_state: Sequence[Row] | None
    log_segments: Sequence[Row] | None
    problems: Sequence[Problem] = field(default_factory=tuple)


@dataclass(frozen=True)
class TaskRow:
    """One task of the cluster (ECS task or local process)."""

    task_id: str
    kind: str  # stateless | stateful | controller
    node_id: str  # restate:node-id tag ("" when not known)
    az: str
    revision: str  # task definition family:revision
    status: str  # ECS lastStatus
    health: str  # ECS healthStatus, or the node's state
    started_at: float | None  # epoch seconds
    phase: str = ""  # restate:phase tag of a stateful task
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ControllerState:
    """The controller's last status line (/health body or its log's status event)."""

    status: str  # ok | unhealthy
    phase: str  # idle | acting | waiting | halted | error | starting
    reason: str
    at: float | None = None


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class ComputeReport:
    tasks: Sequence[TaskRow] | None
    controller: ControllerState | None
    links: Sequence[Link] = field(default_factory=tuple)
    problems: Sequence[Problem] = field(default_factory=tuple)
