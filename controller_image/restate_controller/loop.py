"""The reconcile loop: observe -> plan -> apply -> status. Thin: every decision comes from planner."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from restate_controller.backends.base import TaskBackend
from restate_controller.model import (
    TAG_REPLACES,
    TAG_TRIMMED_AT,
    ClusterView,
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
    TaskInfo,
    TemporaryError,
    Wait,
    unlisted_node_subject,
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
#: Passes that end in error (a temporary failure: ECS throttling or capacity, restatectl
#: unreachable, a leader change) are retried and only reported as `error`. When every pass has
#: failed for this long, and for at least ERROR_PASSES_BEFORE_ALARM passes in a row, the failure
#: is not a hiccup (those clear within seconds to a few minutes) and the status turns `halted`,
#: which the ControllerHaltedPasses metric counts and alarms on; the loop keeps retrying and
#: the status clears by itself once a pass succeeds.
ERRORS_ALARM_AFTER_SECONDS = 900.0
ERROR_PASSES_BEFORE_ALARM = 3
#: The same wait, pass after pass, for this long beyond the longer of drain_timeout_seconds and
#: unhealthy_grace_seconds also turns the status `halted` (still waiting, nothing forced). The
#: longest wait by design is a zone waiting for another zone's replacement: a Fargate task start
#: and registration (minutes), a drain (at most the drain timeout, then the planner halts with
#: its own reason), snapshot, trim and stop (the 120 s stop timeout at most); a node not alive is
#: waited for the unhealthy grace, then replaced. 30 minutes beyond covers them with a wide
#: margin (40 minutes with the defaults). What is left waits forever without help: two zones
#: lost, a cluster that stays unhealthy, a zone that never gets its node.
WAITS_ALARM_MARGIN_SECONDS = 1_800.0


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


class Chains:
    """Which decisions of one plan depend on each other.

    The planner orders the steps of one task or node (phase tag, call, pacing tag); everything
    else in a plan is independent, including the steps of different tasks in one zone (a fill
    refused for capacity must not stall a drain there): each decision was allowed by the
    disruption budget on its own, computed as if every earlier one succeeds, so a decision
    that fails only leaves less disrupted than planned. When a decision fails, the later
    decisions that share a key with it (same task, same node, same fill slot) are skipped, and skip
    their own chains in turn; the others are applied. SnapshotAndTrim is shared by every drain of
    the pass: it stands on its own (a snapshot with log trim is safe at any time; Restate's own
    trimmer does the same), and only the `trimmed-at` tags that record it depend on it.
    """

    SNAPSHOT = "snapshot"

    def __init__(self, tasks: Sequence[TaskInfo], view: ClusterView) -> None:
        self.tasks_of_node: dict[int, set[str]] = {}
        for task in tasks:
            # The planner finds a task's node by name, else by the node-id tag: both count.
            node = view.node_by_name(task.node_name)
            for node_id in (task.tagged_node_id, node.node_id if node else None):
                if node_id is not None:
                    self.tasks_of_node.setdefault(node_id, set()).add(task.task_id)

    def _task(self, task_id: str) -> set[str]:
        return {f"task:{task_id}"}

    def _node(self, node_id: int) -> set[str]:
        keys = {f"node:{node_id}"}
        for task_id in self.tasks_of_node.get(node_id, set()):
            keys |= self._task(task_id)
        return keys

    def keys(self, decision: Decision) -> set[str]:
        # No zone key: steps of one zone's other tasks or nodes do not depend on each other (a
        # fill refused for capacity must not stall a drain, nor a refused orphan removal a
        # replacement); each launch is its own slot.
        match decision:
            case RunTask(az=az, tags=tags):
                replaced = tags.get(TAG_REPLACES)
                return self._task(replaced) if replaced else {f"fill:{az}"}
            case TagTask(task_id=task_id, tags=tags):
                return self._task(task_id) | ({self.SNAPSHOT} if TAG_TRIMMED_AT in tags else set())
            case StopTask(task_id=task_id):
                return self._task(task_id)
            case MarkDraining(node_id=node_id) | DisableDeadNode(node_id=node_id):
                return self._node(node_id)
            case RemoveNode(node_id=node_id):
                return self._node(node_id)
            case SnapshotAndTrim():
                return {self.SNAPSHOT}
        return {f"decision:{type(decision).__name__}"}


def wait_key(reason: str) -> str:
    """A wait's identity across passes: its reason without the numbers that change while it
    lasts (seconds waited, replica counts). Node names (N3) and task ARNs' hex ids stay (only
    digits-only words become #: an account id, rarely a task id, which merges nothing that
    matters for how long one situation lasts)."""
    return re.sub(r"\b\d+(?:\.\d+)?\b", "#", reason)


class Reconciler:
    """Runs passes until stopped. A PermanentError (or an unexpected exception) ends all acting
    for HALT_RETRY_SECONDS (or until the process restarts)."""

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
        errors_alarm_after_seconds: float = ERRORS_ALARM_AFTER_SECONDS,
        waits_alarm_after_seconds: float | None = None,
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
        self.errors_alarm_after_seconds = errors_alarm_after_seconds
        self.waits_alarm_after_seconds = (
            waits_alarm_after_seconds
            if waits_alarm_after_seconds is not None
            else WAITS_ALARM_MARGIN_SECONDS
            + max(desired.drain_timeout_seconds, desired.unhealthy_grace_seconds)
        )
        # Consecutive passes that ended in error, since when.
        self.error_passes = 0
        self.failing_since: float | None = None
        # wait_key -> when that wait was first planned (waits of the last planned pass only).
        self.waiting_since: dict[str, float] = {}
        # node id -> since when DisableDeadNode(without_task=True) has been planned on every
        # pass, the last one included (a controller restart starts the count again: the safe
        # direction).
        self.unlisted_dead_since: dict[int, float] = {}
        self.acted = False

    # -- one pass ----------------------------------------------------------------------------
    def run_once(self) -> Status:
        """Observe, plan, apply in order (a failed decision skips only its own chain). Returns
        the new status."""
        self.passes += 1
        self.acted = False
        now = self.clock()
        # Only a pass that plans carries the count on: one that halts or cannot observe did not
        # see the node dead, so the grace starts again after it.
        carried, self.unlisted_dead_since = self.unlisted_dead_since, {}
        if self.halted is not None:
            if now - self.halted_at < HALT_RETRY_SECONDS:
                return self._report(False, "halted", self.halted, (), now)
            # Some permanent errors clear by themselves (an IAM change still propagating, a
            # one-off answer): look again, through the same safety rules, after a long pause;
            # /health stayed 503 meanwhile, so the halt was visible and alarmable.
            self.log("retrying", after_halt=self.halted, halted_seconds=int(now - self.halted_at))
            self.halted = None
        try:
            return self._pass(now, carried)
        except Exception as error:
            # A bug or an answer nobody expected (a KeyError on an odd API shape): stop acting
            # and say why, like a permanent error, instead of exiting with a traceback only.
            self.log(
                "unexpected_error",
                error=f"{type(error).__name__}: {error}",
                traceback=traceback.format_exc(),
            )
            return self._halt(f"unexpected {type(error).__name__}: {error}", now)

    def _pass(self, now: float, unlisted_dead_carried: Mapping[int, float]) -> Status:
        try:
            tasks = self.backend.list_tasks()
            view = self.ops.observe()
        except PermanentError as error:
            return self._halt(f"observing the cluster failed permanently: {error}", now)
        except TemporaryError as error:
            self.log("observe_failed", error=str(error), retry=True)
            return self._failed(f"observing the cluster failed: {error}", (), now)

        decisions = plan(self.desired, tasks, view, now)
        halts = [decision for decision in decisions if isinstance(decision, Halt)]
        # A Halt for one zone only (`az`, newer planners) stops launches there; the planner
        # keeps the rest of the plan safe to apply. Any other Halt stops everything.
        if any(getattr(halt, "az", None) is None for halt in halts):
            for decision in decisions:
                self.log("decision", outcome="not acting", **describe(decision))
            self._clear_errors()
            reasons = "; ".join(decision.reason for decision in decisions)
            return self._report(False, "halted", reasons, tuple(d.reason for d in decisions), now)
        self._track_unlisted_dead(decisions, now, unlisted_dead_carried)
        stalled_wait = self._track_waits(decisions, now)

        chains = Chains(tasks, view)
        broken: set[str] = set()  # chain keys of decisions that failed or were skipped
        failures: list[str] = []
        done: list[str] = []
        actions = [decision for decision in decisions if not isinstance(decision, Halt)]
        for index, decision in enumerate(actions):
            if isinstance(decision, Wait):
                self.log("decision", outcome="waiting", **describe(decision))
                done.append(f"wait: {decision.reason}")
                continue
            keys = chains.keys(decision)
            unconfirmed = self._unconfirmed(decision, now)
            if unconfirmed is not None:
                self.log("decision", outcome="confirming", detail=unconfirmed, **describe(decision))
                done.append(f"wait: {unconfirmed}")
                broken |= keys
                continue
            if keys & broken:
                self.log(
                    "decision",
                    outcome="skipped",
                    after_failure_in=sorted(keys & broken),
                    **describe(decision),
                )
                broken |= keys  # what depends on this skipped step is skipped too
                continue
            try:
                result = self._apply(decision)
            except TemporaryError as error:
                self.log(
                    "decision", outcome="failed", error=str(error), retry=True, **describe(decision)
                )
                broken |= keys
                failures.append(f"{type(decision).__name__} failed, retrying: {error}")
                continue
            except Exception as error:
                # Permanent (or unexpected): nothing more is applied in this pass or the next
                # HALT_RETRY_SECONDS.
                self.log(
                    "decision",
                    outcome="failed",
                    error=f"{type(error).__name__}: {error}",
                    retry=False,
                    **describe(decision),
                )
                self._skip(actions[index + 1 :])
                how = "permanently" if isinstance(error, PermanentError) else "unexpectedly"
                detail = str(error) if isinstance(error, PermanentError) else repr(error)
                return self._halt(f"{type(decision).__name__} failed {how}: {detail}", now)
            self.acted = True
            self.log("decision", outcome="applied", **result, **describe(decision))
            done.append(f"{type(decision).__name__}: {decision.reason}")

        self._housekeeping(now)
        failed = None
        if failures:
            applied = sum(1 for line in done if not line.startswith("wait: "))
            note = f" ({applied} independent decision(s) applied)" if applied else ""
            failed = "; ".join(failures) + note
        persistent = self._count_failure(failed, now)
        # Anything that needs a human turns the status `halted` (the metric, the alarm); the
        # pass itself still applied what it could.
        alarms = [halt.reason for halt in halts] + [
            reason for reason in (persistent, stalled_wait) if reason is not None
        ]
        if alarms:
            if failed is not None and persistent is None:
                alarms.append(failed)
            return self._report(False, "halted", "; ".join(alarms), tuple(done), now, stalled=True)
        if failed is not None:
            return self._report(True, "error", failed, tuple(done), now)
        if not actions:
            return self._report(True, "idle", "cluster is as desired", (), now)
        if self.acted:
            return self._report(True, "acting", done[-1], tuple(done), now)
        # A step held back for confirmation is shown as what it waits for, not as the step.
        reasons = [self._unconfirmed(d, now) or d.reason for d in actions]
        return self._report(True, "waiting", "; ".join(reasons), tuple(done), now)

    def _track_unlisted_dead(
        self, decisions: Sequence[Decision], now: float, carried: Mapping[int, float]
    ) -> None:
        planned = {
            decision.node_id
            for decision in decisions
            if isinstance(decision, DisableDeadNode) and decision.without_task
        }
        self.unlisted_dead_since = {node_id: carried.get(node_id, now) for node_id in planned}

    def _unconfirmed(self, decision: Decision, now: float) -> str | None:
        """Why a step on one look's evidence is not applied yet, or None to apply it.

        A node without a listed task is judged dead by the failure detector alone; a node back
        within the grace (a restart, a network blip) drops out of the plan and is never touched.
        """
        if not (isinstance(decision, DisableDeadNode) and decision.without_task):
            return None
        seen_for = now - self.unlisted_dead_since.get(decision.node_id, now)
        grace = self.desired.unhealthy_grace_seconds
        if seen_for >= grace:
            return None
        return (
            f"node N{decision.node_id} without a listed task has been seen dead for "
            f"{int(seen_for)} s; it is disabled once seen dead on every pass for {int(grace)} s"
        )

    def _track_waits(self, decisions: Sequence[Decision], now: float) -> str | None:
        """Remember since when each wait of this plan has been planned; the reason for a
        `halted` status when one has lasted waits_alarm_after_seconds."""
        reasons = {
            d.subject or wait_key(d.reason): d.reason for d in decisions if isinstance(d, Wait)
        }
        # A step held back for confirmation waits too, under its node's subject: a node without
        # a listed task that is seen alive and dead by turns never gets disabled, and alarms.
        for decision in decisions:
            unconfirmed = self._unconfirmed(decision, now)
            if isinstance(decision, DisableDeadNode) and unconfirmed is not None:
                reasons.setdefault(unlisted_node_subject(decision.node_id), unconfirmed)
        self.waiting_since = {key: self.waiting_since.get(key, now) for key in reasons}
        if not self.waiting_since:
            return None
        key, since = min(self.waiting_since.items(), key=lambda item: item[1])
        if now - since < self.waits_alarm_after_seconds:
            return None
        return (
            f"waiting for {int(now - since)} s (alarm after "
            f"{int(self.waits_alarm_after_seconds)} s), nothing forced: {reasons[key]}"
        )

    def _failed(self, reason: str, done: tuple[str, ...], now: float) -> Status:
        """A pass that ended in a temporary failure before planning."""
        persistent = self._count_failure(reason, now)
        if persistent is not None:
            return self._report(False, "halted", persistent, done, now, stalled=True)
        return self._report(True, "error", reason, done, now)

    def _count_failure(self, reason: str | None, now: float) -> str | None:
        """Count a pass that ended in a temporary failure (reason) or not (None). The reason
        for a `halted` status once every pass has failed for errors_alarm_after_seconds."""
        if reason is None:
            self._clear_errors()
            return None
        self.error_passes += 1
        if self.failing_since is None:
            self.failing_since = now
        failing_for = now - self.failing_since
        if (
            self.error_passes < ERROR_PASSES_BEFORE_ALARM
            or failing_for < self.errors_alarm_after_seconds
        ):
            return None
        return (
            f"every pass failed for {int(failing_for)} s ({self.error_passes} in a row), "
            f"still retrying: {reason}"
        )

    def _clear_errors(self) -> None:
        self.error_passes = 0
        self.failing_since = None

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
        except Exception as error:
            # Housekeeping never blocks node replacement; it is retried on the next pass.
            self.log(
                "housekeeping",
                outcome="failed",
                error=f"{type(error).__name__}: {error}",
                retry=True,
            )

    def _halt(self, reason: str, now: float) -> Status:
        self.halted = reason
        self.halted_at = now
        self._clear_errors()
        self.log("halted", reason=reason)
        return self._report(False, "halted", reason, (), now)

    def _report(
        self,
        healthy: bool,
        phase: str,
        reason: str,
        decisions: tuple[str, ...],
        now: float,
        *,
        stalled: bool = False,
    ) -> Status:
        status = Status(
            healthy=healthy, phase=phase, reason=reason, last_decisions=decisions, at=now
        )
        self.board.set(status)
        # `halted` status lines are what the ControllerHaltedPasses metric filter counts
        # (event "status", phase "halted"). `stalled` marks a halted pass that still retries or
        # waits (a persistent failure, a wait with no end) rather than one that stopped acting.
        extra = {"stalled": True} if stalled else {}
        self.log("status", healthy=healthy, phase=phase, reason=reason, **extra)
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
