"""The pure planner: desired spec + observed tasks + cluster view + clock -> decisions with reasons.

No I/O. Every rule is here; the loop only applies what this returns, in order; a failed decision
skips the later decisions of its own task or node (a later step never runs when an earlier
one of its chain did not happen), the others are applied.

Vocabulary used below:
- a task is *finished* when nothing is left to do for it (phase `removed`, or stopped with no node
  in the cluster);
- a *member* is an unfinished task in phase starting/running; it is *superseded* when a live
  member replaces it (`restate:replaces`);
- the *holders* of an AZ are its members that are not superseded: each holds one of the
  `nodes_per_az` slots. Holders beyond that number are *surplus* and leave without replacement;
- a holder *wants out* when it is dead (task stopped), outdated (other task definition), retiring
  (tagged by the retirement watcher) or in an AZ the controller no longer keeps nodes in;
- a *unit* is a failure domain counted against the disruption budget (a zone, or a task when
  replication is node-only). `reduced` units have less redundancy right now (a dead task, a node
  out of service, a drain under way, a desired zone serving fewer than `nodes_per_az` nodes, a
  node the cluster shows dead or out of placement); `busy` units also count replacements under
  way;
- an *orphan* is a node in the cluster view that no listed task runs (ECS forgets stopped tasks
  after about an hour). The view holds stateful nodes only, so an orphan is a stateful node; a
  dead one is cleaned up like the node of a dead task, a live one is never touched;
- a *failed start* is a stopped task of the desired task definition that never served (no
  `restate:served` tag): enough of them in one zone is a crash loop, and that zone gets no more
  launches (a Halt naming the zone) while the other zones go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from restate_controller.model import (
    DRAIN_PHASES,
    MANAGED_BY,
    PHASE_DRAINING,
    PHASE_REMOVED,
    PHASE_RUNNING,
    PHASE_STARTING,
    PHASE_STOPPING,
    PHASE_TRIMMING,
    TAG_AZ,
    TAG_CLUSTER,
    TAG_DRAIN_ISSUED_AT,
    TAG_DRAIN_STARTED,
    TAG_MANAGED_BY,
    TAG_NODE_ID,
    TAG_PHASE,
    TAG_REPLACES,
    TAG_RETIRING,
    TAG_SERVED,
    TAG_TRIMMED_AT,
    TAG_UNHEALTHY_SINCE,
    ClusterView,
    Decision,
    DesiredSpec,
    DisableDeadNode,
    Halt,
    MarkDraining,
    NodeInfo,
    RemoveNode,
    RunTask,
    SnapshotAndTrim,
    StopTask,
    TagTask,
    TaskInfo,
    Wait,
    format_node_id,
    unlisted_node_subject,
)

# A dead node in these states can still be chosen for log segments or partitions: disable it.
# (read-only/draining is enough: Bifrost and the scheduler move off it, as in a live drain.)
WRITABLE_STORAGE_STATES = frozenset({"read-write", "provisioning", "data-loss"})
PLACEABLE_WORKER_STATES = frozenset({"active", "provisioning"})


def _tag_seconds(task: TaskInfo, tag: str, default: float) -> float:
    """Epoch seconds the controller wrote into a tag; ``default`` if missing, empty or malformed."""
    try:
        return float(task.tags.get(tag) or default)
    except ValueError:
        return default


@dataclass
class _Pass:
    """Facts derived once per plan, plus what this plan has already decided."""

    desired: DesiredSpec
    tasks: Sequence[TaskInfo]
    view: ClusterView
    now: float
    decisions: list[Decision] = field(default_factory=list)
    planned_reduced: set[str] = field(default_factory=set)
    planned_busy: set[str] = field(default_factory=set)
    # Desired AZ -> members serving there (a task being replaced counts while it still serves).
    serving_count: dict[str, int] = field(default_factory=dict)
    # AZs in a crash loop: nothing is launched into them.
    halted_zones: set[str] = field(default_factory=set)

    # -- per task facts ---------------------------------------------------------------------
    def node_of(self, task: TaskInfo) -> NodeInfo | None:
        node = self.view.node_by_name(task.node_name)
        if node is None and task.tagged_node_id is not None:
            node = self.view.node_by_id(task.tagged_node_id)
        return node

    def finished(self, task: TaskInfo) -> bool:
        return task.phase == PHASE_REMOVED or (not task.is_active and self.node_of(task) is None)

    def serving(self, task: TaskInfo) -> bool:
        node = self.node_of(task)
        return task.status == "RUNNING" and node is not None and node.serving

    def unit(self, task: TaskInfo) -> str:
        return task.az if self.desired.budget.unit == "zone" else task.task_id

    def orphan_unit(self, node: NodeInfo) -> str:
        """Budget unit of a node no listed task runs: its zone, else the node itself."""
        zone = node_zone(node)
        if self.desired.budget.unit == "zone" and zone is not None:
            return zone
        return node.name or format_node_id(node.node_id)

    def short(self, az: str) -> bool:
        """A desired AZ serving fewer than nodes_per_az nodes."""
        return self.serving_count.get(az, 0) < self.desired.nodes_per_az

    def why_out(self, task: TaskInfo) -> str | None:
        if not task.is_active:
            return f"dead (task {task.status.lower()}: {task.stopped_reason or 'no reason given'})"
        if task.az not in self.desired.azs:
            return f"in zone {task.az}, which the controller no longer keeps nodes in"
        if task.tags.get(TAG_RETIRING) == "true":
            return "retiring (AWS announced the task's retirement)"
        outdated = self.outdated(task)
        if outdated is not None:
            return outdated
        down_for = self.unhealthy_for(task)
        if down_for is not None and down_for >= self.desired.unhealthy_grace_seconds:
            return f"unhealthy (node not alive for {int(down_for)} s while its task runs)"
        return None

    def outdated(self, task: TaskInfo) -> str | None:
        if task.task_definition == self.desired.task_definition:
            return None
        return f"outdated (runs {task.task_definition}, desired {self.desired.task_definition})"

    def unhealthy_for(self, task: TaskInfo) -> float | None:
        """Seconds a running task's node has been seen not alive, per its tag; None if alive."""
        node = self.node_of(task)
        if node is None or node.alive or task.phase != PHASE_RUNNING:
            return None
        return self.now - _tag_seconds(task, TAG_UNHEALTHY_SINCE, self.now)

    def drained(self, node: NodeInfo) -> bool:
        return (
            self.view.partition_replicas.get(node.node_id, 0) == 0
            and node.node_id not in self.view.nodeset_members
        )

    def loglets_empty(self, node: NodeInfo, dead: bool) -> bool:
        counts = self.view.loglet_servers.get(node.node_id)
        # A dead server may be missing from the listing; a live one must report (0, 0) itself.
        return counts == (0, 0) or (dead and counts is None)

    def placement(self, node: NodeInfo) -> str:
        replicas = self.view.partition_replicas.get(node.node_id, 0)
        in_nodeset = node.node_id in self.view.nodeset_members
        return f"{replicas} partition replicas, {'in' if in_nodeset else 'in no'} log nodeset"

    # -- decisions ---------------------------------------------------------------------------
    def add(self, *decisions: Decision) -> None:
        for decision in decisions:
            if isinstance(decision, SnapshotAndTrim) and any(
                isinstance(existing, SnapshotAndTrim) for existing in self.decisions
            ):
                continue  # one snapshot of every partition serves every drain of this pass
            self.decisions.append(decision)

    def launch_tags(self, az: str, replaces: str | None) -> dict[str, str]:
        tags = {
            TAG_CLUSTER: self.desired.cluster_name,
            TAG_MANAGED_BY: MANAGED_BY,
            TAG_AZ: az,
            TAG_PHASE: PHASE_STARTING,
        }
        if replaces is not None:
            tags[TAG_REPLACES] = replaces
        return tags


def node_zone(node: NodeInfo) -> str | None:
    """The zone of a node's location (`region.zone`, as the stateful entrypoint sets it)."""
    _, dot, zone = node.location.partition(".")
    return zone if dot and zone else None


def plan(
    desired: DesiredSpec, tasks: Sequence[TaskInfo], view: ClusterView, now: float
) -> list[Decision]:
    """Decide this pass's steps. An empty list means the cluster is as desired.

    A Halt without an AZ comes alone (with any zone halts): nothing may be applied. Zone halts
    (crash loops) come first, followed by the pass's other decisions, which launch nothing into
    a halted zone.
    """
    state = _Pass(desired=desired, tasks=tasks, view=view, now=now)
    pending = [task for task in tasks if not state.finished(task)]
    pending_ids = {task.task_id for task in pending}
    members = [task for task in pending if task.phase in (PHASE_STARTING, PHASE_RUNNING)]
    replacement_of = _live_replacements(members)
    orphans = _orphans(state, pending)
    state.serving_count = {
        az: sum(1 for task in members if task.az == az and state.serving(task))
        for az in desired.azs
    }

    _bookkeeping(state, tasks, members)
    zone_halts = _crash_loops(state)
    state.halted_zones = {halt.az for halt in zone_halts if halt.az is not None}

    holders_by_az, surplus = _holders(state, members, replacement_of, pending_ids)
    _fill(state, holders_by_az)

    blocked = _cluster_not_ready(view)
    if blocked is not None:
        state.add(Wait(blocked))
        # Still a wait about each node without a listed task: a node whose every death makes
        # the cluster briefly unhealthy must not restart the alarm on waits without end.
        for node in orphans:
            state.add(
                Wait(
                    f"node {format_node_id(node.node_id)} ({node.name}) has no listed task; "
                    "nothing is done about it while the cluster is not ready",
                    unlisted_node_subject(node.node_id),
                )
            )
        return _outcome(state, zone_halts)

    reduced, busy = _disrupted_units(state, pending, replacement_of, orphans)
    _continue_drains(state, [task for task in pending if task.phase in DRAIN_PHASES])
    _clean_up_orphans(state, orphans, reduced)
    _replace(state, holders_by_az, surplus, replacement_of, reduced, busy)
    _retire_superseded(state, members, replacement_of, reduced)
    _retire_surplus(state, surplus, holders_by_az, reduced)
    return _outcome(state, zone_halts)


def _outcome(state: _Pass, zone_halts: Sequence[Halt]) -> list[Decision]:
    halts = [decision for decision in state.decisions if isinstance(decision, Halt)]
    return [*zone_halts, *(halts or state.decisions)]


# ---------------------------------------------------------------------------------------------
# Rules, in the order plan() applies them
# ---------------------------------------------------------------------------------------------
def _live_replacements(members: Sequence[TaskInfo]) -> dict[str, list[TaskInfo]]:
    """Old task id -> live members started to replace it."""
    replacements: dict[str, list[TaskInfo]] = {}
    for task in members:
        replaced = task.tags.get(TAG_REPLACES)
        if replaced and task.is_active:
            replacements.setdefault(replaced, []).append(task)
    return replacements


def _orphans(state: _Pass, pending: Sequence[TaskInfo]) -> list[NodeInfo]:
    """Nodes in the cluster that no listed task runs.

    Their task aged out of ListTasks (a crash while the controller was down or halted for more
    than an hour, a stopping task whose record expired before RemoveNode), or was never ours.
    A finished task still owns its node by name: right after `nodes remove` the cluster's node
    listing can show the node for a pass more, and removing it twice is refused.
    """
    names = {task.node_name for task in state.tasks}
    owned = {node.node_id for node in map(state.node_of, pending) if node is not None}
    return [
        node for node in state.view.nodes if node.node_id not in owned and node.name not in names
    ]


def _bookkeeping(state: _Pass, tasks: Sequence[TaskInfo], members: Sequence[TaskInfo]) -> None:
    """Record in tags what the cluster already shows: node ids, running, served, removed."""
    for task in members:
        node = state.node_of(task)
        if node is None or not task.is_active:
            continue
        if task.phase == PHASE_STARTING and state.serving(task):
            state.add(
                TagTask(
                    task.task_id,
                    {
                        TAG_PHASE: PHASE_RUNNING,
                        TAG_NODE_ID: format_node_id(node.node_id),
                        TAG_SERVED: "true",
                    },
                    f"node {format_node_id(node.node_id)} of task {task.task_id} in {task.az} is alive, read-write and active",
                )
            )
        elif task.tagged_node_id != node.node_id:
            state.add(
                TagTask(
                    task.task_id,
                    {TAG_NODE_ID: format_node_id(node.node_id)},
                    f"task {task.task_id} registered as node {format_node_id(node.node_id)}",
                )
            )
        unhealthy_tag = task.tags.get(TAG_UNHEALTHY_SINCE, "")
        if task.phase == PHASE_RUNNING and not node.alive and not unhealthy_tag:
            state.add(
                TagTask(
                    task.task_id,
                    {TAG_UNHEALTHY_SINCE: str(int(state.now))},
                    f"node {format_node_id(node.node_id)} of running task {task.task_id} is not alive",
                )
            )
        elif node.alive and unhealthy_tag:
            state.add(
                TagTask(
                    task.task_id,
                    {TAG_UNHEALTHY_SINCE: ""},
                    f"node {format_node_id(node.node_id)} of task {task.task_id} is alive again",
                )
            )
    for task in tasks:
        if task.phase in DRAIN_PHASES and not task.is_active and state.node_of(task) is None:
            state.add(
                TagTask(
                    task.task_id,
                    {TAG_PHASE: PHASE_REMOVED},
                    f"task {task.task_id} is stopped and its node is no longer in the cluster",
                )
            )


def _served(task: TaskInfo) -> bool:
    # Phase running is only recorded for a serving node, so it counts as served too: a task an
    # older controller tagged running without the mark gets it when it leaves that phase.
    return task.tags.get(TAG_SERVED) == "true" or task.phase == PHASE_RUNNING


def _crash_loops(state: _Pass) -> list[Halt]:
    """One Halt per desired AZ where tasks of the desired task definition keep stopping without
    ever serving: before their node registered, or after (a bad image, config or S3 path), and
    whatever became of them since (phase removed included). Tasks of other task definitions do
    not count, so a fixed task definition launches again at once; nor do failures that started
    before a task of the definition served in that zone (it recovered)."""
    desired = state.desired
    ours = [
        task
        for task in state.tasks
        if task.az in desired.azs and task.task_definition == desired.task_definition
    ]
    # A zone where the definition has served since recovered: only later failures count.
    served_since: dict[str, float] = {}
    for task in ours:
        if _served(task):
            served_since[task.az] = max(served_since.get(task.az, 0.0), task.started_at or 0.0)
    failed: dict[str, list[TaskInfo]] = {}
    for task in ours:
        if (
            task.is_stopped
            and not _served(task)
            and (task.started_at or 0.0) > served_since.get(task.az, -1.0)
        ):
            failed.setdefault(task.az, []).append(task)
    halts: list[Halt] = []
    for az, tasks in sorted(failed.items()):
        if len(tasks) < desired.max_failed_starts_per_az:
            continue
        last = max(tasks, key=lambda task: task.started_at or 0.0)
        halts.append(
            Halt(
                f"crash loop in {az}: {len(tasks)} tasks of {desired.task_definition} stopped "
                f"without ever serving (last: {last.task_id}: {last.stopped_reason or 'no reason given'}); "
                f"launching nothing more into {az} while ECS lists them (about an hour) or until "
                "the task definition changes",
                az=az,
            )
        )
    return halts


def _holders(
    state: _Pass,
    members: Sequence[TaskInfo],
    replacement_of: dict[str, list[TaskInfo]],
    pending_ids: set[str],
) -> tuple[dict[str, list[TaskInfo]], list[TaskInfo]]:
    """Per desired AZ, the holders to keep; plus the surplus holders (any AZ) that leave."""
    holders: dict[str, list[TaskInfo]] = {}
    for task in members:
        if task.task_id in replacement_of:
            continue
        replaced = task.tags.get(TAG_REPLACES)
        if not task.is_active and replaced in pending_ids:
            # A dead replacement: the task it was replacing still holds the slot.
            holders.setdefault("", []).append(task)
            continue
        holders.setdefault(task.az, []).append(task)

    def keep_first(task: TaskInfo) -> tuple[bool, bool, bool, float]:
        return (
            task.is_active,
            state.why_out(task) is None,
            state.serving(task),
            task.started_at or 0.0,
        )

    kept: dict[str, list[TaskInfo]] = {az: [] for az in state.desired.azs}
    surplus: list[TaskInfo] = list(holders.pop("", []))
    for az, tasks in holders.items():
        ranked = sorted(tasks, key=keep_first, reverse=True)
        slots = state.desired.nodes_per_az if az in state.desired.azs else 0
        kept.setdefault(az, []).extend(ranked[:slots])
        surplus.extend(ranked[slots:])
    return kept, surplus


def _fill(state: _Pass, holders_by_az: dict[str, list[TaskInfo]]) -> None:
    """Start tasks where an AZ holds fewer than nodes_per_az: adding capacity is always safe."""
    for az in state.desired.azs:
        if az in state.halted_zones:
            continue
        missing = state.desired.nodes_per_az - len(holders_by_az.get(az, []))
        for index in range(missing):
            state.add(
                RunTask(
                    az,
                    state.launch_tags(az, None),
                    f"{az} holds {len(holders_by_az.get(az, [])) + index} of {state.desired.nodes_per_az} stateful tasks",
                )
            )


def _cluster_not_ready(view: ClusterView) -> str | None:
    if not view.provisioned:
        return "cluster not provisioned yet; only starting missing tasks"
    if view.healthy_reason is not None:
        return f"cluster not healthy enough to disrupt anything: {view.healthy_reason}"
    return None


def _out_of_placement(node: NodeInfo) -> bool:
    """The cluster shows the node dead, not writable or leaving: copies on it are at risk or gone.
    A node still provisioning holds nothing yet (a zone short of nodes is counted separately)."""
    if node.storage_state == "provisioning":
        return False
    return (
        not node.alive
        or node.storage_state != "read-write"
        or node.worker_state in ("draining", "disabled")
    )


def _disrupted_units(
    state: _Pass,
    pending: Sequence[TaskInfo],
    replacement_of: dict[str, list[TaskInfo]],
    orphans: Sequence[NodeInfo],
) -> tuple[set[str], set[str]]:
    """Units with less redundancy now (`reduced`), and those plus replacements under way (`busy`).

    Counted from the tasks (dead, draining, not serving), from the cluster's own view (a node out
    of placement; every node no listed task runs) and from what is missing: a desired zone
    serving fewer than nodes_per_az nodes (a fill still starting, no task at all) is reduced,
    under a node budget by as many units as it lacks serving nodes beyond those already counted.
    """
    reduced: set[str] = set()
    busy: set[str] = set()
    zone_of_unit: dict[str, str | None] = {}
    for task in pending:
        node = state.node_of(task)
        out_of_service = task.phase == PHASE_RUNNING and (node is None or not node.serving)
        out_of_placement = node is not None and _out_of_placement(node)
        if not task.is_active or task.phase in DRAIN_PHASES or out_of_service or out_of_placement:
            reduced.add(state.unit(task))
            zone_of_unit[state.unit(task)] = task.az
        if task.task_id in replacement_of:
            busy.add(state.unit(task))
    for node in orphans:
        reduced.add(state.orphan_unit(node))
        zone_of_unit[state.orphan_unit(node)] = node_zone(node)
    for az in state.desired.azs:
        missing = state.desired.nodes_per_az - state.serving_count.get(az, 0)
        if missing <= 0:
            continue
        if state.desired.budget.unit == "zone":
            reduced.add(az)
            continue
        counted = sum(1 for unit in reduced if zone_of_unit.get(unit) == az)
        reduced.update(f"{az}: missing serving node #{k}" for k in range(counted + 1, missing + 1))
    return reduced, busy | reduced


def _within_budget(state: _Pass, units: set[str], unit: str) -> tuple[bool, str]:
    affected = units | {unit}
    budget = state.desired.budget
    others = sorted(affected - {unit})
    detail = f"{budget.unit}s already disrupted: {', '.join(others) or 'none'}; budget {budget.limit} {budget.unit}(s)"
    return len(affected) <= budget.limit, detail


def _replace(
    state: _Pass,
    holders_by_az: dict[str, list[TaskInfo]],
    surplus: Sequence[TaskInfo],
    replacement_of: dict[str, list[TaskInfo]],
    reduced: set[str],
    busy: set[str],
) -> None:
    """Start a replacement in the same AZ for every kept holder that wants out, one unit at a time."""
    surplus_ids = {task.task_id for task in surplus}
    for az in state.desired.azs:
        for task in holders_by_az.get(az, []):
            why = state.why_out(task)
            if task.task_id in surplus_ids or task.task_id in replacement_of:
                continue
            if why is None:
                node = state.node_of(task)
                if task.phase == PHASE_RUNNING and (node is None or not node.serving):
                    state.add(Wait(_not_serving(task, node)))
                continue
            if az in state.halted_zones:
                continue  # the zone's Halt says why nothing is launched there
            if state.halted_zones and why == state.outdated(task):
                # The new definition crash-loops elsewhere: rolling it out further would only
                # repeat that. Replacing dead, unhealthy or retiring tasks still goes on.
                state.add(
                    Wait(
                        f"task {task.task_id} in {az} is {why}; the upgrade is paused while "
                        f"{', '.join(sorted(state.halted_zones))} crash-loop(s) on it"
                    )
                )
                continue
            unit = state.unit(task)
            # A dead task already reduced its unit; its replacement is only held back when other
            # units are reduced too. Replacing a live task also waits for other replacements.
            units = (
                reduced | state.planned_reduced if not task.is_active else busy | state.planned_busy
            )
            allowed, detail = _within_budget(state, units, unit)
            if not allowed:
                state.add(
                    Wait(f"task {task.task_id} in {az} is {why}; replacement waits ({detail})")
                )
                continue
            state.planned_busy.add(unit)
            state.add(
                RunTask(
                    az, state.launch_tags(az, task.task_id), f"replace task {task.task_id}: {why}"
                )
            )


def _clean_up_orphans(state: _Pass, orphans: Sequence[NodeInfo], reduced: set[str]) -> None:
    """Dead nodes without a listed task take the forced path of a dead task's node; each step is
    read off the cluster's view, as there is no task to keep tags on. Live ones are left alone.

    Only the first step (disabling a node still open to placement) waits for its zone to serve
    and for the budget; once the node is out of placement the clean-up continues like a drain
    under way: the node's copies are gone already, the remaining steps remove no redundancy.
    """
    for node in orphans:
        name = format_node_id(node.node_id)
        where = f"{name} ({node.name}, location {node.location or 'unknown'})"
        subject = unlisted_node_subject(node.node_id)
        if node.alive:
            state.add(
                Wait(
                    f"node {where} is alive but no listed task runs it; a live node the "
                    "controller does not run is never touched (its zone counts as disrupted)",
                    subject,
                )
            )
            continue
        if not _open_to_placement(node):
            state.add(*_orphan_step(state, node))
            continue
        zone = node_zone(node)
        if zone in state.desired.azs and state.short(zone):
            state.add(
                Wait(
                    f"dead node {where} has no listed task; its clean-up waits until {zone} serves "
                    f"{state.desired.nodes_per_az} node(s)",
                    subject,
                )
            )
            continue
        unit = state.orphan_unit(node)
        allowed, detail = _within_budget(state, reduced | state.planned_reduced, unit)
        if not allowed:
            state.add(
                Wait(
                    f"clean-up of dead node {where} without a listed task waits ({detail})", subject
                )
            )
            continue
        state.planned_reduced.add(unit)
        state.add(*_orphan_step(state, node))


def _open_to_placement(node: NodeInfo) -> bool:
    return (
        node.storage_state in WRITABLE_STORAGE_STATES
        or node.worker_state in PLACEABLE_WORKER_STATES
    )


def _orphan_step(state: _Pass, node: NodeInfo) -> list[Decision]:
    name = format_node_id(node.node_id)
    gone = "its task is no longer listed (ECS forgets stopped tasks after about an hour); its data is gone"
    if _open_to_placement(node):
        return [DisableDeadNode(node.node_id, f"dead node {name}: {gone}", without_task=True)]
    if not state.drained(node):
        if state.view.partition_replicas.get(node.node_id, 0) == 0:
            # Without a task there is no tag to pace the retry by; the step only reconfigures
            # the logs that still name the node.
            return [
                DisableDeadNode(
                    node.node_id,
                    f"retry: dead node {name} without a listed task holds no partition replicas "
                    "but a log tail segment still names it; issuing it again to move those logs off",
                ),
                # Counted by the alarm on waits without end, should the logs never move.
                Wait(
                    f"dead node {name} without a listed task: waiting for its logs to move off",
                    unlisted_node_subject(node.node_id),
                ),
            ]
        return [
            Wait(
                f"dead node {name} without a listed task is disabled; waiting for "
                f"{state.placement(node)} to reach 0 and none",
                unlisted_node_subject(node.node_id),
            )
        ]
    counts = state.view.loglet_servers.get(node.node_id)
    if counts == (0, 0):
        return [RemoveNode(node.node_id, f"dead node {name} without a listed task holds nothing")]
    # A dead server is often missing from the listing: its sealed segments are unknown, not
    # absent, so they are trimmed anyway. (A task's dead node is trimmed once, in its trimming
    # phase, with the task's tags to pace it; without a task, trim and remove go together.)
    # `nodes remove` refuses while a log segment still names the node (a temporary error), so
    # a retry of the pair comes at the loop's error pace, not every second.
    return [
        SnapshotAndTrim(
            f"dead node {name} without a listed task may still be named by log segments "
            f"(its loglet server reports {counts if counts is not None else 'nothing'})"
        ),
        RemoveNode(
            node.node_id,
            f"dead node {name} without a listed task is out of placement; removed once the trim "
            "leaves no log segment naming it (Restate refuses until then)",
        ),
    ]


def _not_serving(task: TaskInfo, node: NodeInfo | None) -> str:
    if node is None:
        return f"node of running task {task.task_id} is not in the cluster; waiting, nothing forced on a running task"
    return (
        f"node {format_node_id(node.node_id)} of running task {task.task_id} is not serving "
        f"(alive={node.alive}, storage {node.storage_state}, worker {node.worker_state}); waiting, "
        "a node not alive for the grace period is replaced"
    )


def _retire_superseded(
    state: _Pass,
    members: Sequence[TaskInfo],
    replacement_of: dict[str, list[TaskInfo]],
    reduced: set[str],
) -> None:
    """Begin the drain (live) or forced clean-up (dead) of a task once its replacement serves."""
    for task in members:
        replacements = replacement_of.get(task.task_id)
        if not replacements:
            continue
        serving = [candidate for candidate in replacements if state.serving(candidate)]
        if not serving:
            state.add(
                Wait(
                    f"replacement {replacements[0].task_id} of task {task.task_id} is not yet alive, read-write and active"
                )
            )
            continue
        _begin_retirement(state, task, f"replaced by {serving[0].task_id}", reduced)


def _retire_surplus(
    state: _Pass,
    surplus: Sequence[TaskInfo],
    holders_by_az: dict[str, list[TaskInfo]],
    reduced: set[str],
) -> None:
    """Surplus holders leave without replacement once every AZ serves its full count."""
    short = [
        az
        for az in state.desired.azs
        if sum(state.serving(task) for task in holders_by_az.get(az, []))
        < state.desired.nodes_per_az
    ]
    for task in surplus:
        if task.is_active and short:
            state.add(
                Wait(
                    f"surplus task {task.task_id} in {task.az} stays until {', '.join(short)} serve {state.desired.nodes_per_az} node(s) each"
                )
            )
            continue
        _begin_retirement(state, task, "surplus", reduced)


def _begin_retirement(state: _Pass, task: TaskInfo, why: str, reduced: set[str]) -> None:
    node = state.node_of(task)
    dead = not task.is_active
    if node is None:
        state.add(Wait(f"task {task.task_id} ({why}) has no node in the cluster yet"))
        return
    if dead and node.alive:
        state.add(
            Wait(
                f"task {task.task_id} is stopped but the cluster still sees node {format_node_id(node.node_id)} alive"
            )
        )
        return
    unit = state.unit(task)
    allowed, detail = _within_budget(state, reduced | state.planned_reduced, unit)
    if not allowed:
        state.add(Wait(f"drain of task {task.task_id} ({why}) waits ({detail})"))
        return
    state.planned_reduced.add(unit)
    start_tags = {
        TAG_PHASE: PHASE_DRAINING,
        TAG_DRAIN_STARTED: str(int(state.now)),
        TAG_DRAIN_ISSUED_AT: str(int(state.now)),
    }
    if _served(task):
        start_tags[TAG_SERVED] = "true"  # keeps the mark once the phase no longer says running
    start = TagTask(
        task.task_id,
        start_tags,
        f"task {task.task_id} {why}: begin {'forced clean-up of dead' if dead else 'drain of'} node {format_node_id(node.node_id)}",
    )
    state.add(start, _drain_entry(task, node, dead, why))


def _drain_entry(task: TaskInfo, node: NodeInfo, dead: bool, why: str) -> Decision:
    name = format_node_id(node.node_id)
    if dead:
        return DisableDeadNode(
            node.node_id, f"task {task.task_id} is dead ({why}); its data is gone"
        )
    return MarkDraining(node.node_id, f"move partitions and log segments off {name} ({why})")


# ---------------------------------------------------------------------------------------------
# Drains under way: continue from the phase recorded in the task's tags
# ---------------------------------------------------------------------------------------------
def _continue_drains(state: _Pass, draining: Iterable[TaskInfo]) -> None:
    for task in draining:
        node = state.node_of(task)
        if node is None:
            # Finished tasks were filtered out, so this task is still running without a node.
            state.add(
                Wait(
                    f"task {task.task_id} is in phase {task.phase} but its node is not in the cluster; not stopping an unverified task"
                )
            )
            continue
        dead = not task.is_active
        if dead and node.alive:
            state.add(
                Wait(
                    f"task {task.task_id} is stopped but node {format_node_id(node.node_id)} is still seen alive"
                )
            )
            continue
        if task.phase == PHASE_DRAINING:
            _step_draining(state, task, node, dead)
        elif task.phase == PHASE_TRIMMING:
            _step_trimming(state, task, node, dead)
        else:
            _step_stopping(state, task, node)


def _timed_out(state: _Pass, task: TaskInfo, node: NodeInfo, waiting_for: str) -> Decision:
    elapsed = state.now - _tag_seconds(task, TAG_DRAIN_STARTED, state.now)
    name = format_node_id(node.node_id)
    if elapsed > state.desired.drain_timeout_seconds:
        return Halt(
            f"drain of {name} (task {task.task_id}) has waited {int(elapsed)} s, over the "
            f"{int(state.desired.drain_timeout_seconds)} s timeout, for {waiting_for}; nothing forced"
        )
    return Wait(
        f"draining {name} (task {task.task_id}, {int(elapsed)} s): waiting for {waiting_for}"
    )


def _step_draining(state: _Pass, task: TaskInfo, node: NodeInfo, dead: bool) -> None:
    name = format_node_id(node.node_id)
    if TAG_DRAIN_STARTED not in task.tags:
        state.add(
            TagTask(task.task_id, {TAG_DRAIN_STARTED: str(int(state.now))}, "record drain start")
        )
    issue = _drain_issue(state, task, node, dead)
    if issue is not None:
        # Tagged after the call: a call that failed is issued again on the next pass, at once.
        state.add(
            issue,
            TagTask(
                task.task_id,
                {TAG_DRAIN_ISSUED_AT: str(int(state.now))},
                f"{type(issue).__name__} issued for {name}",
            ),
        )
    if not state.drained(node):
        state.add(_timed_out(state, task, node, f"{state.placement(node)} to reach 0 and none"))
        return
    state.add(
        TagTask(
            task.task_id,
            {TAG_PHASE: PHASE_TRIMMING},
            f"{name} holds no partitions and is in no nodeset",
        ),
        SnapshotAndTrim(f"trim log segments still naming {name}"),
        TagTask(
            task.task_id,
            {TAG_TRIMMED_AT: str(int(state.now))},
            f"snapshot and trim issued for {name}",
        ),
    )


def _drain_issue(
    state: _Pass, task: TaskInfo, node: NodeInfo, dead: bool
) -> MarkDraining | DisableDeadNode | None:
    """The drain step to issue (again) for a node in phase draining, if any.

    Both steps are idempotent. They are repeated when the node's states show the step never took
    effect (the controller stopped between tag and call), and when the node left every partition
    but a log tail segment still names it (nodeset member or sequencer) more than
    `drain_retry_seconds` after the step was last issued: moving that log off failed once, and
    nothing else retries it.
    """
    name = format_node_id(node.node_id)
    if dead:
        if (
            node.storage_state in WRITABLE_STORAGE_STATES
            or node.worker_state in PLACEABLE_WORKER_STATES
        ):
            return DisableDeadNode(node.node_id, f"dead node {name} not disabled yet")
    elif node.storage_state == "read-write" or node.worker_state == "active":
        return MarkDraining(node.node_id, f"{name} is not read-only and draining yet")
    in_logs_only = (
        state.view.partition_replicas.get(node.node_id, 0) == 0
        and node.node_id in state.view.nodeset_members
    )
    if not in_logs_only:
        return None
    # Drains begun before this tag existed count from their start.
    issued_at = _tag_seconds(
        task, TAG_DRAIN_ISSUED_AT, _tag_seconds(task, TAG_DRAIN_STARTED, state.now)
    )
    stuck_for = state.now - issued_at
    if stuck_for <= state.desired.drain_retry_seconds:
        return None
    step = "DisableDeadNode" if dead else "MarkDraining"
    reason = (
        f"retry: {name} holds no partition replicas but a log tail segment still names it "
        f"(nodeset or sequencer) {int(stuck_for)} s after {step} was last issued; "
        "issuing it again to move those logs off"
    )
    return DisableDeadNode(node.node_id, reason) if dead else MarkDraining(node.node_id, reason)


def _step_trimming(state: _Pass, task: TaskInfo, node: NodeInfo, dead: bool) -> None:
    name = format_node_id(node.node_id)
    if not state.drained(node):
        state.add(
            _timed_out(state, task, node, f"{state.placement(node)} to reach 0 and none again")
        )
        return
    if state.loglets_empty(node, dead):
        if dead:
            state.add(
                RemoveNode(node.node_id, f"dead node {name} holds no loglets"),
                TagTask(
                    task.task_id, {TAG_PHASE: PHASE_REMOVED}, f"{name} removed from the cluster"
                ),
            )
        else:
            state.add(
                TagTask(task.task_id, {TAG_PHASE: PHASE_STOPPING}, f"drain of {name} verified"),
                StopTask(
                    task.task_id,
                    f"drain of {name} verified: no partitions, no nodeset, loglets (0, 0)",
                ),
            )
        return
    counts = state.view.loglet_servers.get(node.node_id)
    trimmed_at = _tag_seconds(task, TAG_TRIMMED_AT, 0.0)
    if state.now - trimmed_at >= state.desired.trim_retry_seconds:
        state.add(
            SnapshotAndTrim(f"{name} still reports loglets {counts}; snapshot and trim again"),
            TagTask(
                task.task_id,
                {TAG_TRIMMED_AT: str(int(state.now))},
                f"snapshot and trim issued for {name}",
            ),
        )
        return
    state.add(
        _timed_out(state, task, node, f"loglet servers to show {name} with (0, 0), now {counts}")
    )


def _step_stopping(state: _Pass, task: TaskInfo, node: NodeInfo) -> None:
    name = format_node_id(node.node_id)
    if task.is_active:
        if not (state.drained(node) and state.loglets_empty(node, dead=False)):
            state.add(
                Halt(
                    f"task {task.task_id} is tagged {PHASE_STOPPING} but the drain of {name} no longer verifies "
                    f"({state.placement(node)}, loglets {state.view.loglet_servers.get(node.node_id)}); not stopping it"
                )
            )
            return
        state.add(StopTask(task.task_id, f"drain of {name} verified; stop not yet effective"))
        return
    if not task.is_stopped:
        state.add(Wait(f"task {task.task_id} of {name} is {task.status.lower()}"))
        return
    if node.alive:
        state.add(Wait(f"task {task.task_id} stopped; waiting until the cluster sees {name} dead"))
        return
    state.add(
        RemoveNode(node.node_id, f"task {task.task_id} of drained node {name} stopped"),
        TagTask(task.task_id, {TAG_PHASE: PHASE_REMOVED}, f"{name} removed from the cluster"),
    )
