"""The reconcile loop: observe -> plan -> apply -> status. Thin: every decision comes from planner."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from restate_controller.backends.base import TaskBackend
from restate_controller.model import (
    Decision,
    DesiredSpec,
    DisableDeadNode,
    Halt,
    MarkDraining,
    PermanentError,
    RemoveNode,
    RestateOps,
    RunTask,
    SnapshotAndTrim,
    Status,
    StopTask,
    TagTask,
    TemporaryError,
    Wait,
)
from restate_controller.planner import plan

Clock = Callable[[], float]
Sleep = Callable[[float], None]
# Extra work after each successful pass (e.g. deleting old EBS volumes); returns what it did.
Housekeeping = Callable[[float], list[str]]


class JsonLog:
    """One JSON object per line on a stream; the controller's only log format."""

    def __init__(self, stream: TextIO | None = None, clock: Clock = time.time) -> None:
        self.stream = stream or sys.stdout
        self.clock = clock
        self.lock = threading.Lock()

    def __call__(self, event: str, **fields: Any) -> None:
        record = {"ts": round(self.clock(), 3), "event": event, **fields}
        line = json.dumps(record, default=str, sort_keys=False)
        with self.lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def describe(decision: Decision) -> dict[str, Any]:
    """A decision as log fields: its kind plus its own fields (reason included)."""
    fields = asdict(decision)
    if "tags" in fields:
        fields["tags"] = dict(fields["tags"])
    return {"action": type(decision).__name__, **fields}


#: A halt after a permanent error is retried after this long (the planner's safety rules
#: still decide every action); a halt the planner decides is re-checked on every pass.
HALT_RETRY_SECONDS = 900.0


@dataclass
class StatusBoard:
    """Latest status, shared with the health server (thread-safe reads)."""

    clock: Clock = time.time
    # Temporary errors are tolerated this long since the last good pass before /health says 503.
    unhealthy_after_seconds: float = 60.0
    # The loop reports after every pass, halted or not: no report this long means it is stuck.
    stuck_after_seconds: float = 300.0
    _status: Status = field(init=False)
    _last_good: float = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._last_good = self.clock()
        self._status = Status(
            healthy=True, phase="starting", reason="no pass yet", at=self._last_good
        )

    def set(self, status: Status) -> None:
        with self._lock:
            if status.healthy and status.phase != "error":
                self._last_good = status.at
            self._status = status

    def alive(self) -> tuple[bool, float]:
        """Whether the loop still completes passes (halted counts), and the last one's age."""
        with self._lock:
            age = self.clock() - self._status.at
        return age <= self.stuck_after_seconds, age

    def current(self) -> Status:
        with self._lock:
            status = self._status
            last_good = self._last_good
        stale = self.clock() - last_good > self.unhealthy_after_seconds
        if status.phase in ("error", "starting") and stale:
            return Status(
                healthy=False,
                phase=status.phase,
                reason=f"no successful pass for {int(self.clock() - last_good)} s: {status.reason}",
                last_decisions=status.last_decisions,
                at=status.at,
            )
        return status


class Reconciler:
    """Runs passes until stopped. A PermanentError ends all acting for HALT_RETRY_SECONDS (or
    until the process restarts)."""

    def __init__(
        self,
        desired: DesiredSpec,
        backend: TaskBackend,
        ops: RestateOps,
        *,
        interval_seconds: float = 10.0,
        progress_interval_seconds: float = 1.0,
        clock: Clock = time.time,
        sleep: Sleep | None = None,
        log: Callable[..., None] | None = None,
        board: StatusBoard | None = None,
        housekeeping: Housekeeping | None = None,
    ) -> None:
        self.desired = desired
        self.backend = backend
        self.ops = ops
        self.interval_seconds = interval_seconds
        # After a pass that changed something, look again soon: the next step is often ready.
        self.progress_interval_seconds = min(progress_interval_seconds, interval_seconds)
        self.clock = clock
        self.stop_event = threading.Event()
        self.sleep: Sleep = sleep or self.stop_event.wait
        self.log = log or JsonLog(clock=clock)
        self.board = board or StatusBoard(clock=clock)
        self.housekeeping = housekeeping
        self.halted: str | None = None
        self.halted_at = 0.0
        self.passes = 0

    # -- one pass ----------------------------------------------------------------------------
    def run_once(self) -> Status:
        """Observe, plan, apply in order; stop at the first failure. Returns the new status."""
        self.passes += 1
        now = self.clock()
        if self.halted is not None:
            if now - self.halted_at < HALT_RETRY_SECONDS:
                return self._report(False, "halted", self.halted, (), now)
            # Some permanent errors clear by themselves (an IAM change still propagating, a
            # one-off answer): look again, through the same safety rules, after a long pause;
            # /health stayed 503 meanwhile, so the halt was visible and alarmable.
            self.log("retrying", after_halt=self.halted, halted_seconds=int(now - self.halted_at))
            self.halted = None
        try:
            tasks = self.backend.list_tasks()
            view = self.ops.observe()
        except PermanentError as error:
            return self._halt(f"observing the cluster failed permanently: {error}", now)
        except TemporaryError as error:
            self.log("observe_failed", error=str(error), retry=True)
            return self._report(True, "error", f"observing the cluster failed: {error}", (), now)

        decisions = plan(self.desired, tasks, view, now)
        if any(isinstance(decision, Halt) for decision in decisions):
            for decision in decisions:
                self.log("decision", outcome="not acting", **describe(decision))
            reasons = "; ".join(decision.reason for decision in decisions)
            return self._report(False, "halted", reasons, tuple(d.reason for d in decisions), now)

        done: list[str] = []
        for index, decision in enumerate(decisions):
            if isinstance(decision, Wait):
                self.log("decision", outcome="waiting", **describe(decision))
                done.append(f"wait: {decision.reason}")
                continue
            try:
                result = self._apply(decision)
            except PermanentError as error:
                self.log(
                    "decision",
                    outcome="failed",
                    error=str(error),
                    retry=False,
                    **describe(decision),
                )
                self._skip(decisions[index + 1 :])
                return self._halt(f"{type(decision).__name__} failed permanently: {error}", now)
            except TemporaryError as error:
                self.log(
                    "decision", outcome="failed", error=str(error), retry=True, **describe(decision)
                )
                self._skip(decisions[index + 1 :])
                return self._report(
                    True,
                    "error",
                    f"{type(decision).__name__} failed, retrying: {error}",
                    tuple(done),
                    now,
                )
            self.log("decision", outcome="applied", **result, **describe(decision))
            done.append(f"{type(decision).__name__}: {decision.reason}")

        self._housekeeping(now)
        acted = any(not isinstance(decision, Wait) for decision in decisions)
        if not decisions:
            return self._report(True, "idle", "cluster is as desired", (), now)
        if acted:
            return self._report(True, "acting", done[-1], tuple(done), now)
        return self._report(
            True, "waiting", "; ".join(d.reason for d in decisions), tuple(done), now
        )

    def _apply(self, decision: Decision) -> dict[str, Any]:
        match decision:
            case RunTask(az=az, tags=tags):
                started = self.backend.run_task(az, tags)
                return {"task_id": started.task_id}
            case TagTask(task_id=task_id, tags=tags):
                self.backend.tag_task(task_id, tags)
            case StopTask(task_id=task_id, reason=reason):
                self.backend.stop_task(task_id, reason)
            case MarkDraining(node_id=node_id):
                self.ops.mark_draining(node_id)
            case SnapshotAndTrim():
                self.ops.snapshot_and_trim()
            case RemoveNode(node_id=node_id):
                self.ops.remove_node(node_id)
            case DisableDeadNode(node_id=node_id):
                self.ops.disable_dead_node(node_id)
            case _:
                raise PermanentError(f"the loop cannot apply {decision!r}")
        return {}

    def _skip(self, rest: list[Decision]) -> None:
        for decision in rest:
            self.log("decision", outcome="skipped", **describe(decision))

    def _housekeeping(self, now: float) -> None:
        if self.housekeeping is None:
            return
        try:
            for line in self.housekeeping(now):
                self.log("housekeeping", outcome="applied", detail=line)
        except (TemporaryError, PermanentError) as error:
            # Housekeeping never blocks node replacement; it is retried on the next pass.
            self.log("housekeeping", outcome="failed", error=str(error), retry=True)

    def _halt(self, reason: str, now: float) -> Status:
        self.halted = reason
        self.halted_at = now
        self.log("halted", reason=reason)
        return self._report(False, "halted", reason, (), now)

    def _report(
        self, healthy: bool, phase: str, reason: str, decisions: tuple[str, ...], now: float
    ) -> Status:
        status = Status(
            healthy=healthy, phase=phase, reason=reason, last_decisions=decisions, at=now
        )
        self.board.set(status)
        self.log("status", healthy=healthy, phase=phase, reason=reason)
        return status

    # -- forever -------------------------------------------------------------------------------
    def run_forever(self, max_passes: int | None = None) -> None:
        """Pass after pass until stop() (or max_passes, for tests)."""
        while not self.stop_event.is_set():
            status = self.run_once()
            if max_passes is not None and self.passes >= max_passes:
                return
            quick = status.phase == "acting"
            self.sleep(self.progress_interval_seconds if quick else self.interval_seconds)

    def stop(self) -> None:
        self.stop_event.set()


def status_body(status: Status) -> Mapping[str, Any]:
    return {
        "status": "ok" if status.healthy else "unhealthy",
        "phase": status.phase,
        "reason": status.reason,
        "last_decisions": list(status.last_decisions),
        "at": status.at,
    }
