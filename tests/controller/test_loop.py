"""The reconcile loop against an in-memory cluster that behaves like Restate where it matters.

The fake world enforces the safety rules itself: stopping a task whose node still holds data,
forcing a live node, or removing a node that is still placed is recorded as a violation, and
every test asserts there are none.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pytest
from restate_controller.health import HealthServer
from restate_controller.loop import HALT_RETRY_SECONDS, JsonLog, Reconciler, StatusBoard
from restate_controller.model import (
    TAG_AZ,
    TAG_CLUSTER,
    TAG_MANAGED_BY,
    TAG_NODE_ID,
    TAG_PHASE,
    TAG_REPLACES,
    ClusterView,
    DesiredSpec,
    DisruptionBudget,
    NodeInfo,
    PermanentError,
    RestateRefused,
    TaskInfo,
    TemporaryError,
)

AZS = ("az-a", "az-b", "az-c")
PARTITIONS = 6


class Crash(BaseException):
    """The controller process dies here (not an Exception: nothing in the loop may catch it)."""


@dataclass
class World:
    """Tasks, nodes, partitions and logs of one cluster, advanced one step per observation."""

    desired_td: str = "td:1"
    clock: float = 1_000.0
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    nodes: dict[int, NodeInfo] = field(default_factory=dict)
    node_of_task: dict[str, int] = field(default_factory=dict)
    # partition -> node ids holding a replica (2 per partition, in 2 zones)
    replicas: dict[int, set[int]] = field(default_factory=dict)
    nodeset: set[int] = field(default_factory=set)
    loglets: dict[int, tuple[int, int]] = field(default_factory=dict)
    # node id -> observations since it was marked draining (placement moves after 2)
    draining_for: dict[int, int] = field(default_factory=dict)
    # Nodes whose log Bifrost fails to move off by itself (seen on real clusters): they leave their
    # partitions but stay in the nodeset until the drain step is issued again.
    logs_stuck_on: set[int] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    calls: list[tuple[str, object]] = field(default_factory=list)
    serving_zones_min: int = 99
    next_task: int = 1
    next_node: int = 1
    crash_at_call: int | None = None
    mutating_calls: int = 0
    fail: dict[str, BaseException] = field(default_factory=dict)
    # Health problems the next observations report, one each (then healthy again).
    unhealthy: list[str] = field(default_factory=list)

    # -- world mechanics ------------------------------------------------------------------------
    def zone_of(self, node_id: int) -> str:
        return self.nodes[node_id].location.split(".")[-1]

    def serving(self) -> list[int]:
        return [node_id for node_id, node in self.nodes.items() if node.serving]

    def step(self) -> None:
        """One unit of cluster time: tasks boot, nodes join, placement moves off draining nodes."""
        for task_id, task in list(self.tasks.items()):
            if task.status == "PROVISIONING":
                self.tasks[task_id] = replace(task, status="RUNNING")
            elif task.status == "RUNNING" and task_id not in self.node_of_task:
                node_id = self.next_node
                self.next_node += 1
                self.node_of_task[task_id] = node_id
                self.nodes[node_id] = NodeInfo(
                    node_id,
                    task.node_name,
                    f"region.{task.az}",
                    True,
                    "provisioning",
                    "provisioning",
                )
                self.loglets[node_id] = (0, 0)
            elif task.status == "RUNNING":
                node_id = self.node_of_task[task_id]
                node = self.nodes.get(node_id)
                if node is not None and node.storage_state == "provisioning":
                    self.nodes[node_id] = replace(
                        node, storage_state="read-write", worker_state="active"
                    )
            elif task.status == "STOPPING":
                self.tasks[task_id] = replace(task, status="STOPPED")
        for node_id in list(self.draining_for):
            if node_id not in self.nodes:
                del self.draining_for[node_id]
                continue
            self.draining_for[node_id] += 1
            if self.draining_for[node_id] >= 2:
                self._move_off(node_id)
        self._place()
        zones = {self.zone_of(node_id) for node_id in self.serving()}
        if self.nodes:
            self.serving_zones_min = min(self.serving_zones_min, len(zones))

    def _place(self) -> None:
        """Give every partition 2 replicas in 2 zones and the log a nodeset over serving nodes."""
        serving = sorted(self.serving())
        for partition in range(PARTITIONS):
            holders = {n for n in self.replicas.get(partition, set()) if n in self.nodes}
            for candidate in serving:
                zones = {self.zone_of(n) for n in holders}
                if len(holders) >= 2:
                    break
                if self.zone_of(candidate) not in zones:
                    holders.add(candidate)
            self.replicas[partition] = holders
        if not self.nodeset and len({self.zone_of(n) for n in serving}) >= 2:
            self.nodeset = set(serving)
            for node_id in serving:
                historical, _ = self.loglets[node_id]
                self.loglets[node_id] = (historical, 1)

    def _move_off(self, node_id: int) -> None:
        for holders in self.replicas.values():
            holders.discard(node_id)
        if node_id in self.nodeset and node_id not in self.logs_stuck_on:
            # Bifrost seals the segment and opens a new one on writable nodes.
            self.nodeset.discard(node_id)
            for member in list(self.nodeset) + [node_id]:
                historical, active = self.loglets.get(member, (0, 0))
                self.loglets[member] = (historical + active, 0)
            for member in self.nodeset:
                historical, _ = self.loglets[member]
                self.loglets[member] = (historical, 1)

    def holds_data(self, node_id: int) -> bool:
        placed = any(node_id in holders for holders in self.replicas.values())
        return placed or node_id in self.nodeset or self.loglets.get(node_id, (0, 0)) != (0, 0)

    def mutate(self, name: str, argument: object) -> None:
        self.mutating_calls += 1
        if self.crash_at_call is not None and self.mutating_calls == self.crash_at_call:
            raise Crash(f"controller killed before {name}({argument})")
        if name in self.fail:
            raise self.fail.pop(name)
        self.calls.append((name, argument))

    # -- a steady cluster on the old task definition -------------------------------------------
    def start_steady(self, td: str = "td:1") -> None:
        for az in AZS:
            task = self._launch(az, {TAG_PHASE: "running"}, td)
            self.tasks[task.task_id] = replace(task, status="RUNNING")
        for _ in range(3):
            self.step()
        for task_id, node_id in self.node_of_task.items():
            self.tasks[task_id] = replace(
                self.tasks[task_id], tags={**self.tasks[task_id].tags, TAG_NODE_ID: f"N{node_id}"}
            )
        self.calls.clear()
        self.serving_zones_min = len({self.zone_of(node_id) for node_id in self.serving()})

    def _launch(self, az: str, tags: Mapping[str, str], td: str) -> TaskInfo:
        task_id = f"task-{self.next_task}"
        self.next_task += 1
        base = {TAG_CLUSTER: "demo", TAG_MANAGED_BY: "cdktf-restate-controller", TAG_AZ: az}
        task = TaskInfo(
            task_id, f"node-{task_id}", az, td, "PROVISIONING", {**base, **tags}, None, self.clock
        )
        self.tasks[task_id] = task
        return task

    def kill(self, task_id: str) -> None:
        """SIGKILL: the task stops, the node dies with its data, placement stays until moved."""
        self.tasks[task_id] = replace(
            self.tasks[task_id], status="STOPPED", stopped_reason="killed"
        )
        node_id = self.node_of_task[task_id]
        self.nodes[node_id] = replace(self.nodes[node_id], alive=False)


class FakeBackend:
    def __init__(self, world: World) -> None:
        self.world = world

    @property
    def desired_task_definition(self) -> str:
        return self.world.desired_td

    def list_tasks(self) -> list[TaskInfo]:
        return list(self.world.tasks.values())

    def run_task(self, az: str, tags: Mapping[str, str]) -> TaskInfo:
        self.world.mutate("run_task", az)
        return self.world._launch(az, tags, self.world.desired_td)

    def tag_task(self, task_id: str, tags: Mapping[str, str]) -> None:
        self.world.mutate("tag_task", (task_id, dict(tags)))
        task = self.world.tasks[task_id]
        self.world.tasks[task_id] = replace(task, tags={**task.tags, **tags})

    def stop_task(self, task_id: str, reason: str) -> None:
        self.world.mutate("stop_task", task_id)
        node_id = self.world.node_of_task.get(task_id)
        if node_id is not None and self.world.holds_data(node_id):
            self.world.violations.append(f"stopped {task_id} while node {node_id} still holds data")
        task = self.world.tasks[task_id]
        if task.status != "STOPPED":
            self.world.tasks[task_id] = replace(task, status="STOPPING", stopped_reason=reason)
        if node_id is not None and node_id in self.world.nodes:
            self.world.nodes[node_id] = replace(self.world.nodes[node_id], alive=False)


class FakeRestate:
    def __init__(self, world: World) -> None:
        self.world = world

    def observe(self) -> ClusterView:
        world = self.world
        world.step()
        if "observe" in world.fail:
            raise world.fail.pop("observe")
        counts: dict[int, int] = {}
        for holders in world.replicas.values():
            for node_id in holders:
                counts[node_id] = counts.get(node_id, 0) + 1
        return ClusterView(
            nodes=tuple(world.nodes.values()),
            partition_replicas=counts,
            nodeset_members=frozenset(world.nodeset),
            loglet_servers={
                n: c for n, c in world.loglets.items() if n in world.nodes and world.nodes[n].alive
            },
            provisioned=True,
            healthy_reason=world.unhealthy.pop(0) if world.unhealthy else None,
        )

    def mark_draining(self, node_id: int) -> None:
        self.world.mutate("mark_draining", node_id)
        node = self.world.nodes[node_id]
        if node.worker_state == "draining":
            # Issued again: its explicit log reconfiguration now moves the stuck log off.
            self.world.logs_stuck_on.discard(node_id)
        self.world.nodes[node_id] = replace(
            node, storage_state="read-only", worker_state="draining"
        )
        self.world.draining_for.setdefault(node_id, 0)

    def snapshot_and_trim(self) -> None:
        self.world.mutate("snapshot_and_trim", None)
        for node_id, (_, active) in list(self.world.loglets.items()):
            self.world.loglets[node_id] = (0, active)

    def remove_node(self, node_id: int) -> None:
        world = self.world
        world.mutate("remove_node", node_id)
        node = world.nodes.get(node_id)
        if node is None:
            return
        if node.alive:
            world.violations.append(f"remove_node({node_id}) on a live node")
        if node_id in world.nodeset or world.loglets.get(node_id, (0, 0)) != (0, 0):
            raise RestateRefused(f"node {node_id} is still a member of a nodeset")
        if any(node_id in holders for holders in world.replicas.values()):
            world.violations.append(f"removed node {node_id} that still holds partitions")
        del world.nodes[node_id]

    def disable_dead_node(self, node_id: int) -> None:
        self.world.mutate("disable_dead_node", node_id)
        node = self.world.nodes[node_id]
        if node.alive:
            self.world.violations.append(f"forced node {node_id} while it is alive")
        self.world.nodes[node_id] = replace(
            node, storage_state="read-only", worker_state="draining"
        )
        self.world.draining_for.setdefault(node_id, 0)


def desired(td: str = "td:2", **overrides: object) -> DesiredSpec:
    spec = DesiredSpec(
        cluster_name="demo",
        azs=AZS,
        nodes_per_az=1,
        task_definition=td,
        budget=DisruptionBudget(unit="zone", limit=1),
        drain_timeout_seconds=600,
        trim_retry_seconds=5,
    )
    return replace(spec, **overrides)


def controller(
    world: World,
    spec: DesiredSpec,
    log: io.StringIO | None = None,
    board: StatusBoard | None = None,
) -> Reconciler:
    world.desired_td = spec.task_definition

    def sleep(seconds: float) -> None:
        world.clock += seconds

    return Reconciler(
        spec,
        FakeBackend(world),
        FakeRestate(world),
        interval_seconds=2.0,
        progress_interval_seconds=0.5,
        clock=lambda: world.clock,
        sleep=sleep,
        log=JsonLog(log or io.StringIO(), clock=lambda: world.clock),
        board=board,
    )


def run_until_idle(
    world: World, spec: DesiredSpec, *, passes: int = 300, fresh_each_pass: bool = False
) -> Reconciler:
    """Run passes until a pass finds nothing to do. With fresh_each_pass, every pass is a newly
    started controller process (no memory but the tags)."""
    loop = controller(world, spec)
    for _ in range(passes):
        if fresh_each_pass:
            loop = controller(world, spec)
        try:
            status = loop.run_once()
        except Crash:
            loop = controller(world, spec)
            continue
        assert status.phase != "halted", status.reason
        if status.phase == "idle":
            return loop
        loop.sleep(
            loop.progress_interval_seconds if status.phase == "acting" else loop.interval_seconds
        )
    raise AssertionError(f"not idle after {passes} passes; last calls {world.calls[-8:]}")


def assert_rolled(world: World, old_tasks: set[str]) -> None:
    assert world.violations == []
    running = [t for t in world.tasks.values() if t.status == "RUNNING"]
    assert sorted(t.az for t in running) == sorted(AZS)
    assert all(t.task_definition == "td:2" and t.tags[TAG_PHASE] == "running" for t in running)
    assert all(
        world.tasks[t].status == "STOPPED" and world.tasks[t].tags[TAG_PHASE] == "removed"
        for t in old_tasks
    )
    old_nodes = {world.node_of_task[t] for t in old_tasks}
    assert not old_nodes & set(world.nodes), "old nodes are still in the cluster"
    assert all(len(holders) == 2 for holders in world.replicas.values())
    # One zone at a time: two of three zones always had a serving node.
    assert world.serving_zones_min >= 2


def test_full_rolling_replacement_in_safe_order() -> None:
    world = World()
    world.start_steady()
    old = set(world.tasks)
    log = io.StringIO()
    loop = controller(world, desired(), log)
    for _ in range(300):
        status = loop.run_once()
        if status.phase == "idle":
            break
        loop.sleep(0.5 if status.phase == "acting" else 2.0)
    assert status.phase == "idle"
    assert_rolled(world, old)
    # Per old node, the calls come in the safe order.
    for task_id in old:
        node_id = world.node_of_task[task_id]
        sequence = [
            name
            for name, argument in world.calls
            if argument in (task_id, node_id) or name == "snapshot_and_trim"
        ]
        kept = [name for name in sequence if name in ("mark_draining", "stop_task", "remove_node")]
        assert kept == ["mark_draining", "stop_task", "remove_node"], sequence
        first_trim_after_mark = sequence.index("snapshot_and_trim", sequence.index("mark_draining"))
        assert first_trim_after_mark < sequence.index("stop_task")
    # The replacement in the same AZ was launched before the old node was marked.
    launches = [argument for name, argument in world.calls if name == "run_task"]
    assert launches == list(AZS)
    # One JSON line per decision, each with its reason.
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    decisions = [line for line in lines if line["event"] == "decision"]
    assert decisions and all(line["reason"] for line in decisions)
    assert {line["action"] for line in decisions} >= {
        "RunTask",
        "TagTask",
        "MarkDraining",
        "SnapshotAndTrim",
        "StopTask",
        "RemoveNode",
    }


def test_every_pass_a_new_controller_process() -> None:
    world = World()
    world.start_steady()
    old = set(world.tasks)
    run_until_idle(world, desired(), fresh_each_pass=True)
    assert_rolled(world, old)


def clean_run_calls() -> int:
    world = World()
    world.start_steady()
    run_until_idle(world, desired())
    return world.mutating_calls


@pytest.mark.parametrize("crash_at", range(1, clean_run_calls() + 1))
def test_killed_before_any_step_resumes_and_finishes(crash_at: int) -> None:
    """Kill the controller just before its Nth change to the world, for every N of a full roll."""
    world = World(crash_at_call=crash_at)
    world.start_steady()
    old = set(world.tasks)
    run_until_idle(world, desired())
    assert_rolled(world, old)
    assert sum(1 for name, _ in world.calls if name == "run_task") == 3, (
        "a restart launched extra tasks"
    )


def test_killed_node_is_replaced_and_cleaned_up() -> None:
    world = World()
    world.start_steady(td="td:2")
    victim = "task-2"
    victim_node = world.node_of_task[victim]
    world.kill(victim)
    run_until_idle(world, desired())
    assert world.violations == []
    assert victim_node not in world.nodes
    names = [name for name, _ in world.calls]
    assert names.index("run_task") < names.index("disable_dead_node") < names.index("remove_node")
    assert ("stop_task", victim) not in world.calls
    running = sorted(t.az for t in world.tasks.values() if t.status == "RUNNING")
    assert running == sorted(AZS)


def lose_task_record(world: World, task_id: str) -> int:
    """The task died and aged out of ListTasks (ECS forgets it after about an hour) while the
    controller was away: its dead node is left in the cluster without a listed task."""
    world.kill(task_id)
    del world.tasks[task_id]
    return world.node_of_task.pop(task_id)


GRACE = 60.0


def log_records(log: io.StringIO, **match: object) -> list[dict[str, object]]:
    records = [json.loads(line) for line in log.getvalue().splitlines()]
    return [r for r in records if all(r.get(key) == value for key, value in match.items())]


def passes(loop: Reconciler, world: World, count: int, **fail: BaseException) -> None:
    """`count` passes 2 s apart; `fail` is injected again before each of them."""
    for _ in range(count):
        world.fail.update(fail)
        loop.run_once()
        loop.sleep(loop.interval_seconds)


def run_until_idle_with(loop: Reconciler, passes: int = 300) -> None:
    for _ in range(passes):
        status = loop.run_once()
        assert status.phase != "halted", status.reason
        if status.phase == "idle":
            return
        loop.sleep(loop.interval_seconds)
    raise AssertionError(f"not idle after {passes} passes")


def test_a_dead_node_without_a_listed_task_is_disabled_only_after_the_grace() -> None:
    world = World()
    world.start_steady(td="td:2")
    node_id = lose_task_record(world, "task-1")
    log = io.StringIO()
    loop = controller(world, desired(unhealthy_grace_seconds=GRACE), log=log)
    run_until_idle_with(loop)
    [disabled] = log_records(log, action="DisableDeadNode", outcome="applied")
    first_confirming = log_records(log, action="DisableDeadNode", outcome="confirming")[0]
    assert float(disabled["ts"]) - float(first_confirming["ts"]) >= GRACE
    assert world.calls.index(("run_task", "az-a")) < world.calls.index(
        ("disable_dead_node", node_id)
    )
    assert node_id not in world.nodes and world.violations == []
    assert loop.unlisted_dead_since == {}


def test_a_node_without_a_listed_task_back_within_the_grace_is_never_touched() -> None:
    world = World()
    world.start_steady(td="td:2")
    node_id = lose_task_record(world, "task-1")
    log = io.StringIO()
    loop = controller(world, desired(unhealthy_grace_seconds=GRACE), log=log)
    passes(loop, world, 20)  # 40 s: a's fill serves, the dead node is confirming
    assert ("disable_dead_node", node_id) not in world.calls
    assert log_records(log, node_id=node_id, outcome="confirming")
    status = loop.board.current()
    assert status.phase == "waiting" and "without a listed task has been seen dead" in status.reason
    assert "data is gone" not in status.reason
    world.nodes[node_id] = replace(world.nodes[node_id], alive=True)  # a blip, not a death
    passes(loop, world, 60)  # 120 s, twice the grace
    assert ("disable_dead_node", node_id) not in world.calls
    assert ("remove_node", node_id) not in world.calls and world.violations == []
    # Dead again: the whole grace counts from the new death, not from the first one.
    world.nodes[node_id] = replace(world.nodes[node_id], alive=False)
    died_again = world.clock
    passes(loop, world, int(GRACE / 2) - 2)  # just under the grace, 2 s a pass
    assert ("disable_dead_node", node_id) not in world.calls
    passes(loop, world, 4)
    assert ("disable_dead_node", node_id) in world.calls
    [disabled] = log_records(log, action="DisableDeadNode", outcome="applied")
    assert float(disabled["ts"]) - died_again >= GRACE and world.violations == []


@pytest.mark.parametrize("blips", [False, True], ids=["steady", "health-blip-on-each-death"])
def test_a_node_without_a_listed_task_seen_alive_and_dead_by_turns_alarms_and_is_never_touched(
    blips: bool,
) -> None:
    """Back within the grace every time, the node is never disabled; the situation, alive or
    dead, is one wait about that node, which turns the status `halted` once it has lasted. Each
    death may make the cluster briefly not ready (its partitions lose their leader): those
    passes still count as the same wait."""
    world = World()
    world.start_steady(td="td:2")
    node_id = lose_task_record(world, "task-1")
    loop = controller(world, desired(unhealthy_grace_seconds=GRACE))
    started = world.clock
    halted_at = None
    while world.clock - started < loop.waits_alarm_after_seconds + 120:
        dead_now = int((world.clock - started) // (GRACE / 2)) % 2 == 0  # 30 s dead, 30 s alive
        if blips and dead_now and world.nodes[node_id].alive:
            world.unhealthy += ["partition 3 has no alive leader"] * 2
        world.nodes[node_id] = replace(world.nodes[node_id], alive=not dead_now)
        status = loop.run_once()
        if status.phase == "halted" and halted_at is None:
            halted_at = world.clock
            assert f"node N{node_id}" in status.reason and "nothing forced" in status.reason
        loop.sleep(loop.interval_seconds)
    assert halted_at is not None
    assert halted_at - started >= loop.waits_alarm_after_seconds
    assert ("disable_dead_node", node_id) not in world.calls
    assert ("remove_node", node_id) not in world.calls and world.violations == []


@pytest.mark.parametrize(
    ("blind", "every_pass"),
    [
        pytest.param(TemporaryError("restatectl: connection refused"), True, id="outage"),
        # One permanent error halts the loop for HALT_RETRY_SECONDS: passes return at once.
        pytest.param(PermanentError("restatectl: unknown answer"), False, id="halted"),
    ],
)
def test_passes_that_do_not_look_at_the_cluster_restart_the_grace(
    blind: BaseException, every_pass: bool
) -> None:
    """The grace is 'seen dead on every pass': an outage or a halt in between is not a look,
    so the first pass after it starts the count again instead of disabling at once."""
    world = World()
    world.start_steady(td="td:2")
    node_id = lose_task_record(world, "task-1")
    log = io.StringIO()
    loop = controller(world, desired(unhealthy_grace_seconds=GRACE), log=log)
    passes(loop, world, 20)
    assert log_records(log, node_id=node_id, outcome="confirming")
    blind_from = world.clock
    world.fail["observe"] = blind
    # Longer than the grace without a look (and than a halt, which lasts HALT_RETRY_SECONDS).
    blind_passes = int(HALT_RETRY_SECONDS / loop.interval_seconds) - 1
    passes(loop, world, blind_passes, **({"observe": blind} if every_pass else {}))
    world.fail.clear()
    passes(loop, world, 4)
    assert ("disable_dead_node", node_id) not in world.calls
    run_until_idle_with(loop)
    [disabled] = log_records(log, action="DisableDeadNode", outcome="applied")
    looks_after = [
        float(r["ts"])
        for r in log_records(log, node_id=node_id, outcome="confirming")
        if float(r["ts"]) > blind_from
    ]
    assert looks_after and float(disabled["ts"]) - looks_after[0] >= GRACE
    assert looks_after[0] - blind_from >= GRACE and world.violations == []


def test_two_zones_lost_does_nothing() -> None:
    world = World()
    world.start_steady(td="td:2")
    world.kill("task-1")
    world.kill("task-2")
    loop = controller(world, desired())
    for _ in range(5):
        status = loop.run_once()
        assert status.phase == "waiting"
    assert world.calls == []


def test_permanent_error_stops_acting_and_health_says_why() -> None:
    world = World()
    world.start_steady()
    world.fail["mark_draining"] = PermanentError("restatectl: node N1 reported data-loss")
    board = StatusBoard(clock=lambda: world.clock)
    loop = controller(world, desired(), board=board)
    health = HealthServer(board, 0).start()
    try:
        for _ in range(30):
            loop.run_once()
            world.clock += 1
        assert loop.halted is not None and "data-loss" in loop.halted
        calls_when_halted = len(world.calls)
        for _ in range(5):
            assert loop.run_once().phase == "halted"
        assert len(world.calls) == calls_when_halted, "acted after a permanent error"
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{health.port}/health", timeout=5)
        assert answer.value.code == 503
        body = json.loads(answer.value.read())
        assert body["status"] == "unhealthy" and body["phase"] == "halted"
        assert "MarkDraining failed permanently" in body["reason"] and "data-loss" in body["reason"]
        # Halted is not stuck: ECS's health check (/live) keeps this controller up, saying why.
        with urllib.request.urlopen(f"http://127.0.0.1:{health.port}/live", timeout=5) as answer:
            assert answer.status == 200 and json.loads(answer.read())["status"] == "alive"
        # Until HALT_RETRY_SECONDS have passed; then it looks again (a permanent error can
        # clear by itself, e.g. an IAM change propagating; this one failed once), through the
        # planner's safety rules, and acts again.
        world.clock += HALT_RETRY_SECONDS - 60
        assert loop.run_once().phase == "halted" and len(world.calls) == calls_when_halted
        world.clock += 60
        reasons = set()
        for _ in range(30):
            reasons.add(loop.run_once().reason)
            world.clock += 1
        # (The planner may still wait or halt on the drain the error interrupted, which the
        # clock jump timed out: that halt is re-derived on every pass, not sticky.)
        assert loop.halted is None
        assert not [r for r in reasons if "failed permanently" in r], reasons
        # A loop that stops reporting passes is stuck: /live turns red and ECS replaces it.
        world.clock += board.stuck_after_seconds + 1
        with pytest.raises(urllib.error.HTTPError) as stuck:
            urllib.request.urlopen(f"http://127.0.0.1:{health.port}/live", timeout=5)
        assert stuck.value.code == 503 and json.loads(stuck.value.read())["status"] == "stuck"
    finally:
        health.stop()
    assert world.violations == []


def test_temporary_errors_are_retried_and_health_stays_ok_within_grace() -> None:
    world = World()
    world.start_steady()
    old = set(world.tasks)
    world.fail["remove_node"] = TemporaryError("restatectl timed out")
    world.fail["observe"] = TemporaryError("admin unreachable")
    board = StatusBoard(clock=lambda: world.clock, unhealthy_after_seconds=60)
    health = HealthServer(board, 0).start()
    try:
        status = controller(world, desired(), board=board).run_once()
        assert status.phase == "error" and "admin unreachable" in status.reason
        with urllib.request.urlopen(f"http://127.0.0.1:{health.port}/health", timeout=5) as answer:
            assert answer.status == 200
            assert json.loads(answer.read())["phase"] == "error"
        run_until_idle(world, desired())
        assert_rolled(world, old)
        with urllib.request.urlopen(f"http://127.0.0.1:{health.port}/health", timeout=5) as answer:
            assert json.loads(answer.read())["status"] == "ok"
    finally:
        health.stop()


def test_persistent_temporary_errors_turn_health_red() -> None:
    world = World()
    world.start_steady(td="td:2")
    board = StatusBoard(clock=lambda: world.clock, unhealthy_after_seconds=30)
    loop = controller(world, desired(), board=board)
    assert loop.run_once().phase == "idle"
    for _ in range(20):
        world.fail["observe"] = TemporaryError("admin unreachable")
        loop.run_once()
        world.clock += 2
    current = board.current()
    assert (
        not current.healthy
        and "no successful pass for" in current.reason
        and "admin unreachable" in current.reason
    )


def test_drain_timeout_halts_until_the_drain_completes() -> None:
    world = World()
    world.start_steady()
    board = StatusBoard(clock=lambda: world.clock)
    loop = controller(world, desired(drain_timeout_seconds=30), board=board)
    stuck: set[int] = set()
    original_move = world._move_off
    world._move_off = lambda node_id: None if node_id in stuck else original_move(node_id)  # type: ignore[method-assign]
    stuck.add(world.node_of_task["task-1"])
    for _ in range(60):
        status = loop.run_once()
        world.clock += 2
        if status.phase == "halted":
            break
    assert status.phase == "halted" and "over the 30 s timeout" in status.reason
    assert not board.current().healthy
    calls = len(world.calls)
    loop.run_once()
    assert len(world.calls) == calls
    stuck.clear()  # placement finally moves: the controller continues by itself
    old = {"task-1", "task-2", "task-3"}
    run_until_idle(world, desired(drain_timeout_seconds=10_000))
    assert_rolled(world, old)


@pytest.mark.parametrize("fresh_each_pass", [False, True], ids=["one process", "restarted"])
def test_drain_stuck_in_a_nodeset_is_issued_again_and_finishes(fresh_each_pass: bool) -> None:
    """The first node's log stays on it after MarkDraining; only a second MarkDraining moves it.
    The controller issues it again once more than 10 s passed (from the task's tag, so also when
    every pass is a new process) and the roll completes long before the drain timeout."""
    world = World()
    world.start_steady()
    old = set(world.tasks)
    stuck = world.node_of_task["task-1"]
    world.logs_stuck_on.add(stuck)
    log = io.StringIO()
    spec = desired()
    loop = controller(world, spec, log)
    for _ in range(300):
        if fresh_each_pass:
            loop = controller(world, spec, log)
        status = loop.run_once()
        assert status.phase != "halted", status.reason
        if status.phase == "idle":
            break
        loop.sleep(0.5 if status.phase == "acting" else 2.0)
    assert status.phase == "idle"
    assert_rolled(world, old)
    assert [call for call in world.calls if call == ("mark_draining", stuck)] == [
        ("mark_draining", stuck)
    ] * 2
    marks = [
        json.loads(line)
        for line in log.getvalue().splitlines()
        if '"MarkDraining"' in line and '"applied"' in line
    ]
    for_stuck = [line for line in marks if line["node_id"] == stuck]
    assert "retry:" not in for_stuck[0]["reason"]
    assert "retry:" in for_stuck[1]["reason"] and "still names it" in for_stuck[1]["reason"]
    assert 10 < for_stuck[1]["ts"] - for_stuck[0]["ts"] < 15
    # The other nodes' logs moved by themselves: each was marked once.
    assert len(marks) == 4


def test_hung_node_is_replaced_after_the_grace_but_never_stopped_unverified() -> None:
    """A running task whose node stays dead to the cluster: a replacement takes over and the
    node is drained; its loglet server cannot confirm (0, 0), so the task is not stopped and the
    controller halts with the reason once the drain timeout passes."""
    world = World()
    world.start_steady(td="td:2")
    hung = "task-1"
    node_id = world.node_of_task[hung]
    world.nodes[node_id] = replace(world.nodes[node_id], alive=False)
    spec = desired(unhealthy_grace_seconds=60, drain_timeout_seconds=120)
    loop = controller(world, spec)
    phases = []
    for _ in range(200):
        status = loop.run_once()
        phases.append(status.phase)
        if status.phase == "halted":
            break
        world.clock += 2
    assert status.phase == "halted" and "over the 120 s timeout" in status.reason
    assert world.violations == []
    assert ("run_task", "az-a") in world.calls and ("mark_draining", node_id) in world.calls
    assert ("stop_task", hung) not in world.calls
    replacement = next(t for t in world.tasks.values() if t.tags.get("restate:replaces") == hung)
    assert world.nodes[world.node_of_task[replacement.task_id]].serving


def test_the_halted_metric_filter_matches_the_controllers_halted_status_lines() -> None:
    """The construct's CloudWatch metric filter (cdktf_restate/cluster/monitoring.py) counts the JSON
    status lines the controller writes while halted, and no others."""
    import re

    from cdktf_restate.cluster.monitoring import HALTED_PATTERN

    # The pattern's terms, `($.field = "value")`, all joined by &&.
    terms = dict(re.findall(r'\(\$\.(\w+) = "([^"]+)"\)', HALTED_PATTERN))
    assert HALTED_PATTERN.count("&&") == len(terms) - 1 and terms

    world = World()
    world.start_steady()
    world.fail["mark_draining"] = PermanentError("restatectl: node N1 reported data-loss")
    stream = io.StringIO()
    loop = controller(world, desired(), log=stream)
    for _ in range(30):
        loop.run_once()
        world.clock += 1
    assert loop.halted is not None
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    matching = [r for r in records if all(r.get(k) == v for k, v in terms.items())]
    halted_passes = [r for r in records if r.get("phase") == "halted"]
    assert matching and matching == halted_passes
    assert all(r["event"] == "status" and r["healthy"] is False for r in matching)


# ---------------------------------------------------------------------------------------------
# Failures that must not block everything, and failures that must alarm
# ---------------------------------------------------------------------------------------------
class NoCapacityIn(FakeBackend):
    """Every RunTask into the given zones fails as ECS does without Fargate capacity."""

    def __init__(self, world: World, full: set[str]) -> None:
        super().__init__(world)
        self.full = full
        self.refused: list[str] = []

    def run_task(self, az: str, tags: Mapping[str, str]) -> TaskInfo:
        if az in self.full:
            self.refused.append(az)
            raise TemporaryError(f"ecs:RunTask started no task in {az}: RESOURCE:FARGATE")
        return super().run_task(az, tags)


def loop_on(
    world: World,
    spec: DesiredSpec,
    backend: FakeBackend,
    log: io.StringIO,
    board: StatusBoard | None = None,
    ops: object | None = None,
) -> Reconciler:
    world.desired_td = spec.task_definition
    return Reconciler(
        spec,
        backend,
        ops or FakeRestate(world),  # type: ignore[arg-type]
        interval_seconds=2.0,
        clock=lambda: world.clock,
        sleep=lambda seconds: None,
        log=JsonLog(log, clock=lambda: world.clock),
        board=board or StatusBoard(clock=lambda: world.clock),
    )


def records(log: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


def halted_metric_lines(log: io.StringIO) -> list[dict[str, object]]:
    """The status lines the construct's ControllerHaltedPasses metric filter counts."""
    import re

    from cdktf_restate.cluster.monitoring import HALTED_PATTERN

    terms = dict(re.findall(r'\(\$\.(\w+) = "([^"]+)"\)', HALTED_PATTERN))
    return [r for r in records(log) if all(r.get(k) == v for k, v in terms.items())]


def test_a_zone_without_capacity_does_not_block_a_drain_elsewhere() -> None:
    """A fill into a zone out of Fargate capacity fails on every pass. A drain under way in
    another zone still runs to its end (before, the first failure skipped the rest of every
    pass, indefinitely)."""
    world = World()
    world.start_steady()
    spec = desired()
    loop = controller(world, spec)
    while world.tasks["task-1"].tags.get(TAG_PHASE) != "draining":
        assert loop.run_once().phase != "halted"
        world.clock += 1
    drained = world.node_of_task["task-1"]

    # The cluster gains a fourth zone, which has no capacity.
    spec4 = replace(spec, azs=(*AZS, "az-d"))
    backend = NoCapacityIn(world, {"az-d"})
    log = io.StringIO()
    loop = loop_on(world, spec4, backend, log)
    phases = []
    for _ in range(40):
        phases.append(loop.run_once().phase)
        world.clock += 2
    assert world.violations == []
    assert len(backend.refused) >= 40, "the fill is retried on every pass"
    assert world.tasks["task-1"].status == "STOPPED" and drained not in world.nodes
    assert world.tasks["task-1"].tags[TAG_PHASE] == "removed"
    assert set(phases) <= {"error"}, phases  # 80 s of failures is no alarm yet
    failed = [r for r in records(log) if r.get("outcome") == "failed"]
    assert failed and all(r["action"] == "RunTask" and r["az"] == "az-d" for r in failed)
    skipped = [r for r in records(log) if r.get("outcome") == "skipped"]
    assert all(r.get("az") == "az-d" for r in skipped), skipped


def test_a_failed_step_skips_only_its_own_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop applies a plan in order; a step that fails skips the later steps of the same
    task, node or zone (which assumed it happened) and nothing else."""
    from restate_controller import loop as loop_module
    from restate_controller.model import (
        TAG_DRAIN_ISSUED_AT,
        TAG_TRIMMED_AT,
        MarkDraining,
        RunTask,
        SnapshotAndTrim,
        TagTask,
    )

    world = World()
    world.start_steady(td="td:2")
    node2 = world.node_of_task["task-2"]
    script = [
        TagTask("task-1", {"note": "1"}, "bookkeeping in az-a"),
        RunTask("az-d", {TAG_AZ: "az-d"}, "fill az-d (no capacity)"),
        RunTask("az-d", {TAG_AZ: "az-d"}, "second fill of az-d"),
        TagTask("task-2", {TAG_PHASE: "draining"}, "begin drain of task-2"),
        MarkDraining(node2, "drain node of task-2"),
        TagTask("task-2", {TAG_DRAIN_ISSUED_AT: "1"}, "pacing tag of task-2"),
        TagTask("task-3", {TAG_PHASE: "trimming"}, "task-3 drained"),
        SnapshotAndTrim("trim for task-3"),
        TagTask("task-3", {TAG_TRIMMED_AT: "1"}, "trim recorded for task-3"),
    ]
    monkeypatch.setattr(loop_module, "plan", lambda *args: list(script))
    backend = NoCapacityIn(world, {"az-d"})
    failing_tags = {"task-2"}
    original_tag = backend.tag_task

    def tag_task(task_id: str, tags: Mapping[str, str]) -> None:
        if task_id in failing_tags:
            raise TemporaryError(f"ecs:TagResource: ThrottlingException on {task_id}")
        original_tag(task_id, tags)

    backend.tag_task = tag_task  # type: ignore[method-assign]
    log = io.StringIO()
    status = loop_on(world, desired(), backend, log).run_once()

    outcomes = [(r["reason"], r["outcome"]) for r in records(log) if r["event"] == "decision"]
    assert outcomes == [
        ("bookkeeping in az-a", "applied"),
        ("fill az-d (no capacity)", "failed"),
        ("second fill of az-d", "skipped"),
        ("begin drain of task-2", "failed"),
        ("drain node of task-2", "skipped"),
        ("pacing tag of task-2", "skipped"),
        ("task-3 drained", "applied"),
        ("trim for task-3", "applied"),
        ("trim recorded for task-3", "applied"),
    ]
    assert ("mark_draining", node2) not in world.calls
    assert status.phase == "error" and status.healthy
    assert "RunTask failed" in status.reason and "TagTask failed" in status.reason
    assert "(4 independent decision(s) applied)" in status.reason

    # A failed snapshot: the tag recording it is skipped, the other chains go on.
    world.fail["snapshot_and_trim"] = TemporaryError("restatectl timed out")
    backend.full.clear()
    failing_tags.clear()
    log = io.StringIO()
    loop_on(world, desired(), backend, log).run_once()
    outcomes = [(r["reason"], r["outcome"]) for r in records(log) if r["event"] == "decision"]
    assert outcomes[-2:] == [("trim for task-3", "failed"), ("trim recorded for task-3", "skipped")]
    assert [o for _, o in outcomes[:-2]] == ["applied"] * 7


def test_a_failed_launch_does_not_skip_other_steps_in_its_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Steps of one zone's other tasks and nodes do not depend on a launch there (review H24):
    a fill refused for capacity must not stall a drain in the same zone, and a refused removal
    of a node must not stall the replacement of another task in that zone."""
    from restate_controller import loop as loop_module
    from restate_controller.model import MarkDraining, RemoveNode, RunTask, TagTask

    world = World()
    world.start_steady(td="td:2")
    node1 = world.node_of_task["task-1"]
    script = [
        RunTask("az-a", {TAG_AZ: "az-a"}, "fill az-a (no capacity)"),
        TagTask("task-1", {TAG_PHASE: "draining"}, "begin drain of task-1 in az-a"),
        MarkDraining(node1, "drain node of task-1"),
        RemoveNode(99, "remove a node without a task in az-a (refused)"),
        RunTask("az-a", {TAG_AZ: "az-a", TAG_REPLACES: "task-1"}, "replace task-1 in az-a"),
    ]
    monkeypatch.setattr(loop_module, "plan", lambda *args: list(script))
    backend = NoCapacityIn(world, {"az-a"})
    world.fail["remove_node"] = TemporaryError("nodes remove refused: a log segment names N99")
    log = io.StringIO()
    loop_on(world, desired(), backend, log).run_once()
    outcomes = [(r["reason"], r["outcome"]) for r in records(log) if r["event"] == "decision"]
    assert outcomes[:4] == [
        ("fill az-a (no capacity)", "failed"),
        ("begin drain of task-1 in az-a", "applied"),
        ("drain node of task-1", "applied"),
        ("remove a node without a task in az-a (refused)", "failed"),
    ]
    # Its own launch in the zone without capacity fails too, but it is tried, not skipped.
    assert outcomes[4] == ("replace task-1 in az-a", "failed")
    assert ("mark_draining", node1) in world.calls


def test_failures_on_every_pass_for_15_minutes_alarm_and_clear() -> None:
    """Temporary failures are retried quietly (`error`); on every pass for 15 minutes they are
    not a hiccup: the status turns `halted`, which the halted metric counts and /health says,
    while the loop keeps retrying and recovers by itself."""
    world = World()
    world.start_steady(td="td:2")
    log = io.StringIO()
    board = StatusBoard(clock=lambda: world.clock)
    loop = loop_on(world, desired(), FakeBackend(world), log, board)
    health = HealthServer(board, 0).start()
    try:
        statuses = []
        for _ in range(100):  # every 10 s
            world.fail["observe"] = TemporaryError("admin unreachable")
            statuses.append(loop.run_once())
            world.clock += 10
        first_halted = next(i for i, s in enumerate(statuses) if s.phase == "halted")
        assert {s.phase for s in statuses[:first_halted]} == {"error"}
        assert first_halted == 90  # 900 s after the first failure
        assert all(s.phase == "halted" for s in statuses[first_halted:])
        assert len(halted_metric_lines(log)) == 10
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{health.port}/health", timeout=5)
        body = json.loads(answer.value.read())
        assert answer.value.code == 503 and body["phase"] == "halted"
        assert "every pass failed for 990 s" in body["reason"]
        assert "still retrying" in body["reason"] and "admin unreachable" in body["reason"]
        assert loop.halted is None  # not the sticky halt of a permanent error

        status = loop.run_once()  # the cluster answers again
        assert status.phase == "idle" and status.healthy
        with urllib.request.urlopen(f"http://127.0.0.1:{health.port}/health", timeout=5) as ok:
            assert ok.status == 200
        # A new failure starts a new count: a single one is no alarm.
        world.fail["observe"] = TemporaryError("admin unreachable")
        assert loop.run_once().phase == "error"
    finally:
        health.stop()


def test_a_zone_out_of_capacity_for_15_minutes_alarms() -> None:
    world = World()
    world.start_steady(td="td:2")
    log = io.StringIO()
    backend = NoCapacityIn(world, {"az-d"})
    loop = loop_on(world, desired(azs=(*AZS, "az-d")), backend, log)
    phases = []
    for _ in range(95):
        phases.append(loop.run_once().phase)
        world.clock += 10
    assert phases[:90] == ["error"] * 90 and phases[90:] == ["halted"] * 5
    last = halted_metric_lines(log)[-1]
    assert "every pass failed for" in str(last["reason"]) and "az-d" in str(last["reason"])
    assert last["stalled"] is True and len(backend.refused) == 95


def test_a_wait_without_end_alarms_after_40_minutes_and_forces_nothing() -> None:
    """Two zones lost: nothing is safe to do, and nothing is done; after 40 minutes of the same
    wait (30 beyond the 10-minute drain timeout) the status turns `halted` so somebody hears."""
    world = World()
    world.start_steady(td="td:2")
    world.kill("task-1")
    world.kill("task-2")
    log = io.StringIO()
    board = StatusBoard(clock=lambda: world.clock)
    loop = loop_on(world, desired(), FakeBackend(world), log, board)
    assert loop.waits_alarm_after_seconds == 2_400
    phases = []
    for _ in range(260):  # every 10 s
        phases.append(loop.run_once().phase)
        world.clock += 10
    assert phases[:240] == ["waiting"] * 240 and set(phases[240:]) == {"halted"}
    assert world.calls == []
    current = board.current()
    assert not current.healthy and current.phase == "halted"
    assert "waiting for" in current.reason and "nothing forced" in current.reason
    assert "task-1" in current.reason or "task-2" in current.reason
    assert len(halted_metric_lines(log)) == 20


@pytest.mark.parametrize(
    ("drain_timeout", "grace", "bound"),
    [(7_200, 300, 9_000), (600, 3_600, 5_400), (60, 60, 1_860)],
)
def test_the_wait_bound_leaves_room_for_a_whole_replacement(
    drain_timeout: float, grace: float, bound: float
) -> None:
    """A drain halts by itself at drain_timeout_seconds with its precise reason, a not-alive
    node is waited for the unhealthy grace: longer configured times are honoured, not cut short
    by the wait alarm, and so is the rest of a replacement another zone waits for."""
    world = World()
    spec = desired(drain_timeout_seconds=drain_timeout, unhealthy_grace_seconds=grace)
    loop = loop_on(world, spec, FakeBackend(world), io.StringIO())
    assert loop.waits_alarm_after_seconds == bound


def test_an_unexpected_exception_halts_with_its_reason_instead_of_exiting() -> None:
    world = World()
    world.start_steady()
    log = io.StringIO()
    board = StatusBoard(clock=lambda: world.clock)
    loop = loop_on(world, desired(), FakeBackend(world), log, board)
    world.fail["observe"] = ValueError("invalid literal for int() with base 10: 'None'")
    status = loop.run_once()  # does not raise
    assert status.phase == "halted" and not status.healthy
    assert status.reason == "unexpected ValueError: invalid literal for int() with base 10: 'None'"
    assert board.current().reason == status.reason and len(halted_metric_lines(log)) == 1
    (error,) = [r for r in records(log) if r["event"] == "unexpected_error"]
    assert "Traceback" in str(error["traceback"])
    # Like a permanent error: nothing is done until HALT_RETRY_SECONDS have passed.
    world.clock += HALT_RETRY_SECONDS - 1
    assert loop.run_once().phase == "halted" and world.calls == []
    world.clock += 1
    assert loop.run_once().phase == "acting"

    # One raised while applying a decision: the rest of the pass is skipped, then halted.
    world = World()
    world.start_steady()
    world.fail["run_task"] = KeyError("tasks")
    log = io.StringIO()
    status = loop_on(world, desired(), FakeBackend(world), log).run_once()
    assert status.phase == "halted" and "RunTask failed unexpectedly: KeyError('tasks')" in (
        status.reason
    )
    assert world.calls == []


def test_restatectl_of_another_version_halts_at_once(tmp_path: object) -> None:
    """A restatectl that does not know an argument the controller passes (clap: "unexpected
    argument") will never succeed: a permanent error, not a retry every pass."""
    from pathlib import Path

    from restate_controller.restate_client import RestatectlClient

    real = (
        Path(__file__).resolve().parents[2]
        / "node_modules/@restatedev/restatectl-linux-x64/bin/restatectl"
    )
    assert real.is_file()
    other_version = Path(str(tmp_path)) / "restatectl"
    other_version.write_text(f'#!/bin/sh\nexec "{real}" --removed-in-this-version "$@"\n')
    other_version.chmod(0o755)
    client = RestatectlClient("http://127.0.0.1:1", restatectl_path=str(other_version))
    world = World()
    world.start_steady()
    log = io.StringIO()
    status = loop_on(world, desired(), FakeBackend(world), log, ops=client).run_once()
    assert status.phase == "halted" and "observing the cluster failed permanently" in status.reason
    assert "unexpected argument '--removed-in-this-version'" in status.reason
    assert world.calls == []


def test_a_halt_for_one_zone_lets_the_rest_of_the_plan_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A planner Halt that names a zone (a crash loop there) stops only launches into that zone,
    which the planner leaves out; the loop applies the rest and reports `halted` with the reason.
    A Halt without a zone still stops everything."""
    from restate_controller import loop as loop_module
    from restate_controller.model import Halt, TagTask

    @dataclass(frozen=True)
    class ZoneHalt(Halt):  # the shape of model.Halt with its optional `az`
        az: str | None = None

    world = World()
    world.start_steady(td="td:2")
    crash_loop = ZoneHalt("3 tasks in az-a stopped before they served", az="az-a")
    tag = TagTask("task-2", {"note": "x"}, "bookkeeping in az-b")
    monkeypatch.setattr(loop_module, "plan", lambda *args: [crash_loop, tag])
    log = io.StringIO()
    status = loop_on(world, desired(), FakeBackend(world), log).run_once()
    assert status.phase == "halted" and not status.healthy
    assert status.reason == crash_loop.reason
    assert world.calls == [("tag_task", ("task-2", {"note": "x"}))]
    assert len(halted_metric_lines(log)) == 1

    world.calls.clear()
    monkeypatch.setattr(loop_module, "plan", lambda *args: [Halt("drain timed out"), tag])
    status = loop_on(world, desired(), FakeBackend(world), io.StringIO()).run_once()
    assert status.phase == "halted" and world.calls == []
