"""Table-driven tests of every planner rule. Given tasks + cluster view + clock, then decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pytest
from restate_controller.config import disruption_budget, parse_replication
from restate_controller.model import (
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
    DisruptionBudget,
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
)
from restate_controller.planner import plan

NOW = 10_000.0
DESIRED = DesiredSpec(
    cluster_name="demo",
    azs=("a", "b", "c"),
    nodes_per_az=1,
    task_definition="td:2",
    budget=DisruptionBudget(unit="zone", limit=1),
    drain_timeout_seconds=600,
    trim_retry_seconds=30,
)
# The spec's own defaults (as the controller runs without optional configuration).
DEFAULTS = DesiredSpec(
    cluster_name="demo",
    azs=("a", "b", "c"),
    nodes_per_az=1,
    task_definition="td:2",
    budget=DisruptionBudget(unit="zone", limit=1),
)


def task(
    task_id: str,
    az: str,
    *,
    phase: str | None = "running",
    td: str = "td:2",
    status: str = "RUNNING",
    node: int | None = None,
    replaces: str | None = None,
    started_at: float = 100.0,
    served: bool | None = None,
    **tags: str,
) -> TaskInfo:
    """A task of ours; one in phase running has served (as bookkeeping records) unless told."""
    all_tags = {TAG_CLUSTER: "demo", TAG_MANAGED_BY: "cdktf-restate-controller", TAG_AZ: az}
    if phase is not None:
        all_tags[TAG_PHASE] = phase
    if served if served is not None else phase == "running":
        all_tags[TAG_SERVED] = "true"
    if node is not None:
        all_tags[TAG_NODE_ID] = f"N{node}"
    if replaces is not None:
        all_tags[TAG_REPLACES] = replaces
    names = {
        "retiring": TAG_RETIRING,
        "drain_started": TAG_DRAIN_STARTED,
        "drain_issued_at": TAG_DRAIN_ISSUED_AT,
        "trimmed_at": TAG_TRIMMED_AT,
        "unhealthy_since": TAG_UNHEALTHY_SINCE,
    }
    all_tags.update({names[key]: value for key, value in tags.items()})
    return TaskInfo(
        task_id=task_id,
        node_name=f"name-{task_id}",
        az=az,
        task_definition=td,
        status=status,
        tags=all_tags,
        private_ip=None,
        started_at=started_at,
        stopped_reason="Essential container exited" if status == "STOPPED" else None,
    )


def node(
    node_id: int,
    task_id: str,
    az: str,
    *,
    alive: bool = True,
    storage: str = "read-write",
    worker: str = "active",
) -> NodeInfo:
    return NodeInfo(
        node_id=node_id,
        name=f"name-{task_id}",
        location=f"region.{az}",
        alive=alive,
        storage_state=storage,
        worker_state=worker,
    )


def view(
    *nodes: NodeInfo,
    replicas: Mapping[int, int] | None = None,
    nodesets: frozenset[int] | None = None,
    loglets: Mapping[int, tuple[int, int]] | None = None,
    provisioned: bool = True,
    healthy_reason: str | None = None,
) -> ClusterView:
    """Default placement: every listed node holds 2 replicas, sits in a nodeset, has loglets."""
    ids = [item.node_id for item in nodes]
    return ClusterView(
        nodes=tuple(nodes),
        partition_replicas=replicas if replicas is not None else dict.fromkeys(ids, 2),
        nodeset_members=nodesets if nodesets is not None else frozenset(ids),
        loglet_servers=loglets if loglets is not None else dict.fromkeys(ids, (3, 1)),
        provisioned=provisioned,
        healthy_reason=healthy_reason,
    )


HEALTHY_TASKS = [task("t1", "a", node=1), task("t2", "b", node=2), task("t3", "c", node=3)]
HEALTHY_NODES = (node(1, "t1", "a"), node(2, "t2", "b"), node(3, "t3", "c"))
DRAINED = {"replicas": {2: 2, 3: 2, 4: 2}, "nodesets": frozenset({2, 3, 4})}
# Second serving task in zones b and c (nodes_per_az=2 rows).
TWO_PER_AZ_BC = [*HEALTHY_TASKS[1:], task("t5", "b", node=5), task("t6", "c", node=6)]
TWO_PER_AZ_BC_NODES = (*HEALTHY_NODES[1:], node(5, "t5", "b"), node(6, "t6", "c"))


def with_replacement_serving(
    t1: TaskInfo, n1: NodeInfo, **view_args: object
) -> tuple[list[TaskInfo], ClusterView]:
    """t1 in AZ a being replaced by r1 (node 4, serving); b and c healthy."""
    tasks = [t1, task("r1", "a", node=4, replaces="t1"), HEALTHY_TASKS[1], HEALTHY_TASKS[2]]
    nodes = (n1, node(4, "r1", "a"), *HEALTHY_NODES[1:])
    return tasks, view(*nodes, **view_args)  # type: ignore[arg-type]


def summary(decision: Decision) -> tuple[object, ...]:
    match decision:
        case RunTask(az=az, tags=tags):
            return ("run", az, tags.get(TAG_REPLACES))
        case TagTask(task_id=task_id, tags=tags):
            return ("tag", task_id, tags.get(TAG_PHASE) or ",".join(sorted(tags)))
        case MarkDraining(node_id=node_id):
            return ("drain", node_id)
        case SnapshotAndTrim():
            return ("trim",)
        case StopTask(task_id=task_id):
            return ("stop", task_id)
        case RemoveNode(node_id=node_id):
            return ("remove", node_id)
        case DisableDeadNode(node_id=node_id, without_task=True):
            return ("disable-unlisted", node_id)  # the loop confirms it over the grace first
        case DisableDeadNode(node_id=node_id):
            return ("disable", node_id)
        case Wait():
            return ("wait",)
        case Halt(az=None):
            return ("halt",)
        case Halt(az=az):
            return ("halt", az)
    raise AssertionError(decision)


@dataclass
class Case:
    name: str
    tasks: Sequence[TaskInfo]
    view: ClusterView
    expect: list[tuple[object, ...]]
    reason: str | None = None  # must appear in some decision's reason
    desired: DesiredSpec = field(default_factory=lambda: DESIRED)


def dead(task_id: str, az: str, node_id: int, **kwargs: object) -> TaskInfo:
    return task(task_id, az, node=node_id, status="STOPPED", **kwargs)  # type: ignore[arg-type]


CASES = [
    # --- steady state and filling -------------------------------------------------------------
    Case("steady: nothing to do", HEALTHY_TASKS, view(*HEALTHY_NODES), []),
    Case(
        "empty cluster: one task per AZ",
        [],
        view(),
        [("run", "a", None), ("run", "b", None), ("run", "c", None)],
    ),
    Case(
        "not provisioned: start missing tasks, then wait",
        [],
        view(provisioned=False),
        [("run", "a", None), ("run", "b", None), ("run", "c", None), ("wait",)],
        reason="not provisioned",
    ),
    Case(
        "nodes_per_az=2 adds one per AZ",
        HEALTHY_TASKS,
        view(*HEALTHY_NODES),
        [("run", "a", None), ("run", "b", None), ("run", "c", None)],
        desired=replace(DESIRED, nodes_per_az=2),
    ),
    Case(
        "starting task becomes running once serving; node id recorded",
        [task("t1", "a", phase="starting"), *HEALTHY_TASKS[1:]],
        view(*HEALTHY_NODES),
        [("tag", "t1", "running")],
    ),
    Case(
        "starting task registered but not serving: only its node id is recorded",
        [task("t1", "a", phase="starting"), *HEALTHY_TASKS[1:]],
        view(node(1, "t1", "a", storage="provisioning", worker="provisioning"), *HEALTHY_NODES[1:]),
        [("tag", "t1", "restate:node-id")],
    ),
    Case(
        "task without phase tag counts as starting",
        [task("t1", "a", phase=None), *HEALTHY_TASKS[1:]],
        view(*HEALTHY_NODES),
        [("tag", "t1", "running")],
    ),
    Case(
        "running task missing its node id tag gets it",
        [task("t1", "a"), *HEALTHY_TASKS[1:]],
        view(*HEALTHY_NODES),
        [("tag", "t1", "restate:node-id")],
    ),
    Case(
        "stopped task that never registered is finished; its slot is filled",
        [task("t1", "a", phase="starting", status="STOPPED"), *HEALTHY_TASKS[1:]],
        view(*HEALTHY_NODES[1:]),
        [("run", "a", None)],
    ),
    # --- outdated: replacement first, one AZ at a time ---------------------------------------
    Case(
        "all outdated: replace in one AZ only, the others wait",
        [replace(t, task_definition="td:1") for t in HEALTHY_TASKS],
        view(*HEALTHY_NODES),
        [("run", "a", "t1"), ("wait",), ("wait",)],
        reason="outdated",
    ),
    Case(
        "replacement not yet serving: old task untouched",
        [
            replace(HEALTHY_TASKS[0], task_definition="td:1"),
            task("r1", "a", phase="starting", replaces="t1"),
            *HEALTHY_TASKS[1:],
        ],
        view(*HEALTHY_NODES),
        [("wait",)],
        reason="not yet alive, read-write and active",
    ),
    Case(
        "replacement serving: tag it running, mark old node draining",
        *with_replacement_serving(
            replace(HEALTHY_TASKS[0], task_definition="td:1"), HEALTHY_NODES[0]
        ),
        [("tag", "t1", "draining"), ("drain", 1)],
    ),
    Case(
        "other AZs outdated wait while AZ a is replaced",
        [
            replace(HEALTHY_TASKS[0], task_definition="td:1"),
            task("r1", "a", phase="starting", replaces="t1"),
            replace(HEALTHY_TASKS[1], task_definition="td:1"),
        ],
        view(*HEALTHY_NODES[:2]),
        [("run", "c", None), ("wait",), ("wait",)],
        reason="zones already disrupted: a",
    ),
    Case(
        "retiring task is replaced",
        [HEALTHY_TASKS[0], task("t2", "b", node=2, retiring="true"), HEALTHY_TASKS[2]],
        view(*HEALTHY_NODES),
        [("run", "b", "t2")],
        reason="retiring",
    ),
    # --- drain phases, resumed from tags -----------------------------------------------------
    Case(
        "draining, mark lost (controller died between tag and call): mark again, wait",
        *with_replacement_serving(
            replace(
                HEALTHY_TASKS[0],
                tags={**HEALTHY_TASKS[0].tags, TAG_PHASE: "draining", TAG_DRAIN_STARTED: "9990"},
            ),
            HEALTHY_NODES[0],
        ),
        [("drain", 1), ("tag", "t1", "restate:drain-issued-at"), ("wait",)],
        reason="2 partition replicas",
    ),
    Case(
        "draining, node still placed: wait",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="draining", td="td:1", drain_started="9990"),
            node(1, "t1", "a", storage="read-only", worker="draining"),
        ),
        [("wait",)],
        reason="waiting for 2 partition replicas, in log nodeset",
    ),
    Case(
        "draining, out of partitions but still in a nodeset: wait",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="draining", td="td:1", drain_started="9990"),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            replicas={2: 2},
        ),
        [("wait",)],
        reason="0 partition replicas, in log nodeset",
    ),
    Case(
        "draining done: trim phase, snapshot and trim",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="draining", td="td:1", drain_started="9990"),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            **DRAINED,
        ),
        [("tag", "t1", "trimming"), ("trim",), ("tag", "t1", "restate:trimmed-at")],
    ),
    Case(
        "drain over the timeout: halt, nothing else",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="draining", td="td:1", drain_started=str(int(NOW) - 601)),
            node(1, "t1", "a", storage="read-only", worker="draining"),
        ),
        [("halt",)],
        reason="over the 600 s timeout",
    ),
    Case(
        "drain over the timeout but done after all: continue",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="draining", td="td:1", drain_started=str(int(NOW) - 601)),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            **DRAINED,
        ),
        [("tag", "t1", "trimming"), ("trim",), ("tag", "t1", "restate:trimmed-at")],
    ),
    Case(
        "trimming verified: loglets (0, 0) -> stopping, stop task",
        *with_replacement_serving(
            task(
                "t1",
                "a",
                node=1,
                phase="trimming",
                td="td:1",
                drain_started="9990",
                trimmed_at="9995",
            ),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            loglets={1: (0, 0)},
            **DRAINED,
        ),
        [("tag", "t1", "stopping"), ("stop", "t1")],
    ),
    Case(
        "trimming, loglets remain, trimmed recently: wait",
        *with_replacement_serving(
            task(
                "t1",
                "a",
                node=1,
                phase="trimming",
                td="td:1",
                drain_started="9990",
                trimmed_at="9995",
            ),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            loglets={1: (2, 0)},
            **DRAINED,
        ),
        [("wait",)],
        reason="(0, 0), now (2, 0)",
    ),
    Case(
        "trimming, loglets remain, trimmed long ago: trim again",
        *with_replacement_serving(
            task(
                "t1",
                "a",
                node=1,
                phase="trimming",
                td="td:1",
                drain_started="9990",
                trimmed_at="9960",
            ),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            loglets={1: (2, 0)},
            **DRAINED,
        ),
        [("trim",), ("tag", "t1", "restate:trimmed-at")],
    ),
    *[
        Case(
            f"trimming, default retry pace, {kind} node: {name}",
            *with_replacement_serving(
                task(
                    "t1",
                    "a",
                    node=1,
                    phase="trimming",
                    td="td:1",
                    status="STOPPED" if kind == "dead" else "RUNNING",
                    drain_started="9990",
                    trimmed_at=str(int(NOW) - ago),
                ),
                node(
                    1,
                    "t1",
                    "a",
                    alive=kind == "live",
                    storage="read-only" if kind == "live" else "gone",
                    worker="draining" if kind == "live" else "disabled",
                ),
                loglets={1: (2, 0)},
                **DRAINED,
            ),
            expect,
            reason=reason,
            desired=DEFAULTS,
        )
        for kind in ("live", "dead")
        for name, ago, expect, reason in [
            (
                "trimmed 5 s ago, trim again",
                5,
                [("trim",), ("tag", "t1", "restate:trimmed-at")],
                "N1 still reports loglets (2, 0); snapshot and trim again",
            ),
            ("trimmed 4 s ago, wait", 4, [("wait",)], "(0, 0), now (2, 0)"),
        ]
    ],
    Case(
        "trimming, live server missing from the listing: not verified, no stop",
        *with_replacement_serving(
            task(
                "t1",
                "a",
                node=1,
                phase="trimming",
                td="td:1",
                drain_started="9990",
                trimmed_at="9995",
            ),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            loglets={},
            **DRAINED,
        ),
        [("wait",)],
    ),
    Case(
        "trimming, node back in a nodeset: no stop",
        *with_replacement_serving(
            task(
                "t1",
                "a",
                node=1,
                phase="trimming",
                td="td:1",
                drain_started="9990",
                trimmed_at="9995",
            ),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            loglets={1: (0, 0)},
            replicas={},
        ),
        [("wait",)],
    ),
    Case(
        "stopping, task still running, drain verified: stop again",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="stopping", td="td:1"),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            loglets={1: (0, 0)},
            **DRAINED,
        ),
        [("stop", "t1")],
    ),
    Case(
        "stopping, task still running, drain not verified: halt",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="stopping", td="td:1"),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            loglets={1: (1, 0)},
            **DRAINED,
        ),
        [("halt",)],
        reason="not stopping it",
    ),
    Case(
        "stopping, task deprovisioning: wait",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="stopping", td="td:1", status="DEPROVISIONING"),
            node(1, "t1", "a", alive=False, storage="read-only", worker="draining"),
            loglets={1: (0, 0)},
            **DRAINED,
        ),
        [("wait",)],
        reason="deprovisioning",
    ),
    Case(
        "stopping, task stopped but node still seen alive: wait",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="stopping", td="td:1", status="STOPPED"),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            loglets={1: (0, 0)},
            **DRAINED,
        ),
        [("wait",)],
    ),
    Case(
        "stopping, task stopped, node dead: remove node, tag removed",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="stopping", td="td:1", status="STOPPED"),
            node(1, "t1", "a", alive=False, storage="read-only", worker="draining"),
            loglets={1: (0, 0)},
            **DRAINED,
        ),
        [("remove", 1), ("tag", "t1", "removed")],
    ),
    Case(
        "removed before the tag was written: record it",
        [
            task("t1", "a", node=1, phase="stopping", td="td:1", status="STOPPED"),
            task("r1", "a", node=4, replaces="t1"),
            *HEALTHY_TASKS[1:],
        ],
        view(node(4, "r1", "a"), *HEALTHY_NODES[1:]),
        [("tag", "t1", "removed")],
    ),
    Case(
        "AZ a done: next outdated AZ starts",
        [
            task("t1", "a", node=1, phase="removed", td="td:1", status="STOPPED"),
            task("r1", "a", node=4, replaces="t1"),
            replace(HEALTHY_TASKS[1], task_definition="td:1"),
            replace(HEALTHY_TASKS[2], task_definition="td:1"),
        ],
        view(node(4, "r1", "a"), *HEALTHY_NODES[1:]),
        [("run", "b", "t2"), ("wait",)],
    ),
    # --- drain stuck in a log nodeset: the drain step is issued again -----------------------
    *[
        Case(
            f"draining, no partitions, still in a nodeset: {name}",
            *with_replacement_serving(
                task("t1", "a", node=1, phase="draining", td="td:1", **tags),
                node(1, "t1", "a", storage="read-only", worker="draining"),
                replicas={2: 2},
            ),
            expect,
            reason=reason,
        )
        for name, tags, expect, reason in [
            (
                "11 s after MarkDraining, issued again",
                {"drain_started": str(int(NOW) - 60), "drain_issued_at": str(int(NOW) - 11)},
                [("drain", 1), ("tag", "t1", "restate:drain-issued-at"), ("wait",)],
                "retry: N1 holds no partition replicas but a log tail segment still names it "
                "(nodeset or sequencer) 11 s after MarkDraining was last issued",
            ),
            (
                "10 s after MarkDraining, not yet",
                {"drain_started": str(int(NOW) - 60), "drain_issued_at": str(int(NOW) - 10)},
                [("wait",)],
                "0 partition replicas, in log nodeset",
            ),
            (
                "restarted controller: the issue tag counts, not the drain start",
                {"drain_started": str(int(NOW) - 300), "drain_issued_at": str(int(NOW) - 4)},
                [("wait",)],
                "0 partition replicas, in log nodeset",
            ),
            (
                "drain begun before the issue tag existed: counted from the drain start",
                {"drain_started": str(int(NOW) - 11)},
                [("drain", 1), ("tag", "t1", "restate:drain-issued-at"), ("wait",)],
                "retry: N1",
            ),
            (
                "malformed issue tag: counted from the drain start",
                {"drain_started": str(int(NOW) - 5), "drain_issued_at": "soon"},
                [("wait",)],
                "0 partition replicas, in log nodeset",
            ),
            (
                "over the drain timeout: halt, no retry applied",
                {"drain_started": str(int(NOW) - 601), "drain_issued_at": str(int(NOW) - 30)},
                [("halt",)],
                "over the 600 s timeout",
            ),
        ]
    ],
    Case(
        "draining, still holds partitions long after MarkDraining: no retry, the scheduler moves them",
        *with_replacement_serving(
            task(
                "t1",
                "a",
                node=1,
                phase="draining",
                td="td:1",
                drain_started=str(int(NOW) - 120),
                drain_issued_at=str(int(NOW) - 120),
            ),
            node(1, "t1", "a", storage="read-only", worker="draining"),
        ),
        [("wait",)],
        reason="2 partition replicas, in log nodeset",
    ),
    Case(
        "draining, in no nodeset but still holding partitions: no retry",
        *with_replacement_serving(
            task(
                "t1",
                "a",
                node=1,
                phase="draining",
                td="td:1",
                drain_started=str(int(NOW) - 120),
                drain_issued_at=str(int(NOW) - 120),
            ),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            nodesets=frozenset({2, 3, 4}),
        ),
        [("wait",)],
        reason="2 partition replicas, in no log nodeset",
    ),
    Case(
        "dead node disabled, no partitions, still in a nodeset 11 s after DisableDeadNode: again",
        *with_replacement_serving(
            dead(
                "t1",
                "a",
                1,
                phase="draining",
                drain_started=str(int(NOW) - 60),
                drain_issued_at=str(int(NOW) - 11),
            ),
            node(1, "t1", "a", alive=False, storage="gone", worker="disabled"),
            replicas={2: 2},
        ),
        [("disable", 1), ("tag", "t1", "restate:drain-issued-at"), ("wait",)],
        reason="after DisableDeadNode was last issued",
    ),
    Case(
        "dead node disabled, still in a nodeset 10 s after DisableDeadNode: not yet",
        *with_replacement_serving(
            dead(
                "t1",
                "a",
                1,
                phase="draining",
                drain_started=str(int(NOW) - 60),
                drain_issued_at=str(int(NOW) - 10),
            ),
            node(1, "t1", "a", alive=False, storage="gone", worker="disabled"),
            replicas={2: 2},
        ),
        [("wait",)],
    ),
    Case(
        "stopped task whose node is still seen alive, stuck in a nodeset: nothing forced",
        *with_replacement_serving(
            dead(
                "t1",
                "a",
                1,
                phase="draining",
                drain_started=str(int(NOW) - 60),
                drain_issued_at=str(int(NOW) - 30),
            ),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            replicas={2: 2},
        ),
        [("wait",)],
        reason="is still seen alive",
    ),
    Case(
        "running task whose node is not alive (hung), stuck in a nodeset: MarkDraining again, not forced",
        *with_replacement_serving(
            task(
                "t1",
                "a",
                node=1,
                phase="draining",
                drain_started=str(int(NOW) - 400),
                drain_issued_at=str(int(NOW) - 11),
            ),
            node(1, "t1", "a", alive=False, storage="read-only", worker="draining"),
            replicas={2: 2},
        ),
        [("drain", 1), ("tag", "t1", "restate:drain-issued-at"), ("wait",)],
        reason="retry: N1",
    ),
    # --- dead tasks: forced path only after the replacement serves ---------------------------
    Case(
        "dead task: replacement started in its AZ",
        [dead("t1", "a", 1), *HEALTHY_TASKS[1:]],
        view(node(1, "t1", "a", alive=False), *HEALTHY_NODES[1:]),
        [("run", "a", "t1")],
        reason="dead",
    ),
    Case(
        "dead task, replacement not serving yet: wait, nothing forced",
        [dead("t1", "a", 1), task("r1", "a", phase="starting", replaces="t1"), *HEALTHY_TASKS[1:]],
        view(node(1, "t1", "a", alive=False), *HEALTHY_NODES[1:]),
        [("wait",)],
    ),
    Case(
        "dead task, replacement serving: forced clean-up begins",
        *with_replacement_serving(dead("t1", "a", 1), node(1, "t1", "a", alive=False)),
        [("tag", "t1", "draining"), ("disable", 1)],
    ),
    Case(
        "task stopped but the cluster still sees the node alive: no force",
        *with_replacement_serving(dead("t1", "a", 1), node(1, "t1", "a", alive=True)),
        [("wait",)],
        reason="still sees node N1 alive",
    ),
    Case(
        "dead node disabled, still in a nodeset: wait",
        *with_replacement_serving(
            dead("t1", "a", 1, phase="draining", drain_started="9990"),
            node(1, "t1", "a", alive=False, storage="disabled", worker="disabled"),
        ),
        [("wait",)],
    ),
    Case(
        "dead node read-only and draining, still in a nodeset: wait",
        *with_replacement_serving(
            dead("t1", "a", 1, phase="draining", drain_started="9990"),
            node(1, "t1", "a", alive=False, storage="read-only", worker="draining"),
        ),
        [("wait",)],
    ),
    Case(
        "dead node not disabled yet (restart mid-step): disable again",
        *with_replacement_serving(
            dead("t1", "a", 1, phase="draining", drain_started="9990"),
            node(1, "t1", "a", alive=False),
        ),
        [("disable", 1), ("tag", "t1", "restate:drain-issued-at"), ("wait",)],
    ),
    Case(
        "dead node out of placement: snapshot and trim",
        *with_replacement_serving(
            dead("t1", "a", 1, phase="draining", drain_started="9990"),
            node(1, "t1", "a", alive=False, storage="disabled", worker="disabled"),
            **DRAINED,
        ),
        [("tag", "t1", "trimming"), ("trim",), ("tag", "t1", "restate:trimmed-at")],
    ),
    Case(
        "dead node trimmed (not listed by the servers): remove, no stop",
        *with_replacement_serving(
            dead("t1", "a", 1, phase="trimming", drain_started="9990", trimmed_at="9995"),
            node(1, "t1", "a", alive=False, storage="disabled", worker="disabled"),
            loglets={},
            **DRAINED,
        ),
        [("remove", 1), ("tag", "t1", "removed")],
    ),
    Case(
        "live node dies mid-drain: already read-only, placement still awaited, nothing forced",
        *with_replacement_serving(
            dead("t1", "a", 1, phase="draining", td="td:1", drain_started="9990"),
            node(1, "t1", "a", alive=False, storage="read-only", worker="draining"),
        ),
        [("wait",)],
    ),
    Case(
        "two AZs degraded: do nothing",
        [dead("t1", "a", 1), dead("t2", "b", 2), HEALTHY_TASKS[2]],
        view(node(1, "t1", "a", alive=False), node(2, "t2", "b", alive=False), HEALTHY_NODES[2]),
        [("wait",), ("wait",)],
        reason="zones already disrupted",
    ),
    Case(
        "two AZs degraded, one already being replaced: no forced step either",
        [
            dead("t1", "a", 1),
            task("r1", "a", node=4, replaces="t1"),
            dead("t2", "b", 2),
            HEALTHY_TASKS[2],
        ],
        view(
            node(1, "t1", "a", alive=False),
            node(4, "r1", "a"),
            node(2, "t2", "b", alive=False),
            HEALTHY_NODES[2],
        ),
        [("wait",), ("wait",)],
    ),
    Case(
        "drain under way in a, node dies in b: a continues, b waits",
        [
            task("t1", "a", node=1, phase="draining", td="td:1", drain_started="9990"),
            task("r1", "a", node=4, replaces="t1"),
            dead("t2", "b", 2),
            HEALTHY_TASKS[2],
        ],
        view(
            node(1, "t1", "a", storage="read-only", worker="draining"),
            node(4, "r1", "a"),
            node(2, "t2", "b", alive=False),
            HEALTHY_NODES[2],
            replicas={2: 1, 3: 2, 4: 2},
            nodesets=frozenset({2, 3, 4}),
        ),
        [("tag", "t1", "trimming"), ("trim",), ("tag", "t1", "restate:trimmed-at"), ("wait",)],
    ),
    Case(
        "replacement for b started, then a node dies in a: a is replaced, b's drain waits",
        [
            dead("t1", "a", 1),
            replace(HEALTHY_TASKS[1], task_definition="td:1"),
            task("r2", "b", node=5, replaces="t2"),
            HEALTHY_TASKS[2],
        ],
        view(
            node(1, "t1", "a", alive=False), HEALTHY_NODES[1], node(5, "r2", "b"), HEALTHY_NODES[2]
        ),
        [("run", "a", "t1"), ("wait",)],
        reason="drain of task t2",
    ),
    Case(
        "running task whose node is not alive: since when is recorded, nothing forced",
        HEALTHY_TASKS,
        view(node(1, "t1", "a", alive=False), *HEALTHY_NODES[1:]),
        [("tag", "t1", "restate:unhealthy-since"), ("wait",)],
        reason="not serving",
    ),
    Case(
        "node not alive within the grace period: wait",
        [task("t1", "a", node=1, unhealthy_since=str(int(NOW) - 100)), *HEALTHY_TASKS[1:]],
        view(node(1, "t1", "a", alive=False), *HEALTHY_NODES[1:]),
        [("wait",)],
    ),
    Case(
        "node not alive past the grace period: replaced",
        [task("t1", "a", node=1, unhealthy_since=str(int(NOW) - 301)), *HEALTHY_TASKS[1:]],
        view(node(1, "t1", "a", alive=False), *HEALTHY_NODES[1:]),
        [("run", "a", "t1")],
        reason="unhealthy (node not alive for 301 s",
    ),
    Case(
        "unhealthy node with its replacement serving: drained like a live node, not forced",
        *with_replacement_serving(
            task("t1", "a", node=1, unhealthy_since=str(int(NOW) - 400)),
            node(1, "t1", "a", alive=False),
        ),
        [("tag", "t1", "draining"), ("drain", 1)],
    ),
    Case(
        "node alive again: the mark is cleared",
        [task("t1", "a", node=1, unhealthy_since=str(int(NOW) - 400)), *HEALTHY_TASKS[1:]],
        view(*HEALTHY_NODES),
        [("tag", "t1", "restate:unhealthy-since")],
    ),
    Case(
        "tasks keep dying before registering: zone a halted, nothing launched there",
        [
            task(f"x{i}", "a", phase="starting", status="STOPPED", started_at=float(i))
            for i in range(3)
        ]
        + HEALTHY_TASKS[1:],
        view(*HEALTHY_NODES[1:]),
        [("halt", "a")],
        reason="crash loop in a: 3 tasks of td:2 stopped without ever serving (last: x2:",
    ),
    Case(
        "dead replacement of a live outdated task: new replacement, forced clean-up of the dead one",
        [
            replace(HEALTHY_TASKS[0], task_definition="td:1"),
            dead("r1", "a", 4, replaces="t1"),
            *HEALTHY_TASKS[1:],
        ],
        view(HEALTHY_NODES[0], node(4, "r1", "a", alive=False), *HEALTHY_NODES[1:]),
        [("run", "a", "t1"), ("tag", "r1", "draining"), ("disable", 4)],
    ),
    # --- F1: a zone short of serving nodes counts against the budget -------------------------
    Case(
        "zone b serves no node (fill still starting): a's replaced task is not drained",
        [
            task("t1", "a", node=1, td="td:1"),
            task("r1", "a", node=4, replaces="t1"),
            task("f2", "b", phase="starting"),
            HEALTHY_TASKS[2],
        ],
        view(HEALTHY_NODES[0], node(4, "r1", "a"), HEALTHY_NODES[2]),
        [("wait",)],
        reason="drain of task t1 (replaced by r1) waits (zones already disrupted: b;",
    ),
    Case(
        "zone b has no task at all: filled, a's outdated task waits",
        [task("t1", "a", node=1, td="td:1"), HEALTHY_TASKS[2]],
        view(HEALTHY_NODES[0], HEALTHY_NODES[2]),
        [("run", "b", None), ("wait",)],
        reason="zones already disrupted: b;",
    ),
    Case(
        "zone b's fill starting, a's task dies: a's replacement waits for b",
        [dead("t1", "a", 1), task("f2", "b", phase="starting"), HEALTHY_TASKS[2]],
        view(node(1, "t1", "a", alive=False), HEALTHY_NODES[2]),
        [("wait",)],
        reason="zones already disrupted: b;",
    ),
    Case(
        "replacement starting while the old task serves: its zone is busy, not reduced",
        [
            task("t1", "a", node=1, td="td:1"),
            task("r1", "a", phase="starting", replaces="t1"),
            dead("t2", "b", 2),
            HEALTHY_TASKS[2],
        ],
        view(HEALTHY_NODES[0], node(2, "t2", "b", alive=False), HEALTHY_NODES[2]),
        [("run", "b", "t2"), ("wait",)],
    ),
    Case(
        "node budget: a missing serving slot in c holds a's replacement back",
        [task("t1", "a", node=1, td="td:1"), task("t4", "a", node=4), *HEALTHY_TASKS[1:]],
        view(HEALTHY_NODES[0], node(4, "t4", "a"), *HEALTHY_NODES[1:]),
        [("run", "b", None), ("run", "c", None), ("wait",)],
        reason="nodes already disrupted: b: missing serving node #1, c: missing serving node #1;",
        desired=replace(DESIRED, nodes_per_az=2, budget=disruption_budget(parse_replication("2"))),
    ),
    Case(
        "node budget: a dead task's missing slot is counted once",
        [dead("t1", "a", 1), task("t4", "a", node=4), *TWO_PER_AZ_BC],
        view(node(1, "t1", "a", alive=False), node(4, "t4", "a"), *TWO_PER_AZ_BC_NODES),
        [("run", "a", "t1")],
        desired=replace(DESIRED, nodes_per_az=2, budget=disruption_budget(parse_replication("2"))),
    ),
    Case(
        "starting replacement whose node is dead after it wrote data: its zone counts as reduced",
        [
            task("t1", "a", node=1, td="td:1"),
            task("r1", "a", phase="starting", node=4, replaces="t1"),
            task("t2", "b", node=2, td="td:1"),
            task("r2", "b", node=5, replaces="t2"),
            HEALTHY_TASKS[2],
        ],
        view(
            HEALTHY_NODES[0],
            node(4, "r1", "a", alive=False, worker="provisioning"),
            HEALTHY_NODES[1],
            node(5, "r2", "b"),
            HEALTHY_NODES[2],
        ),
        [("wait",), ("wait",)],
        reason="drain of task t2 (replaced by r2) waits (zones already disrupted: a;",
    ),
    # --- F2: nodes in the cluster that no listed task runs ------------------------------------
    Case(
        "dead node without a listed task, its zone's fill serves: forced clean-up begins",
        [task("f1", "a", node=5), *HEALTHY_TASKS[1:]],
        view(node(1, "gone1", "a", alive=False), node(5, "f1", "a"), *HEALTHY_NODES[1:]),
        [("disable-unlisted", 1)],
        reason="its task is no longer listed",
    ),
    Case(
        "dead node without a listed task, its zone's fill not serving yet: wait",
        [task("f1", "a", phase="starting"), *HEALTHY_TASKS[1:]],
        view(node(1, "gone1", "a", alive=False), *HEALTHY_NODES[1:]),
        [("wait",)],
        reason="its clean-up waits until a serves 1 node(s)",
    ),
    Case(
        "dead node without a listed task, no task in its zone: fill, clean-up waits",
        HEALTHY_TASKS[1:],
        view(node(1, "gone1", "a", alive=False), *HEALTHY_NODES[1:]),
        [("run", "a", None), ("wait",)],
    ),
    Case(
        "dead node without a listed task, disabled, still holding partitions: wait",
        [task("f1", "a", node=5), *HEALTHY_TASKS[1:]],
        view(
            node(1, "gone1", "a", alive=False, storage="gone", worker="disabled"),
            node(5, "f1", "a"),
            *HEALTHY_NODES[1:],
        ),
        [("wait",)],
        reason="waiting for 2 partition replicas, in log nodeset to reach 0 and none",
    ),
    Case(
        "dead node without a listed task, disabled, out of partitions but in a nodeset: again",
        [task("f1", "a", node=5), *HEALTHY_TASKS[1:]],
        view(
            node(1, "gone1", "a", alive=False, storage="gone", worker="disabled"),
            node(5, "f1", "a"),
            *HEALTHY_NODES[1:],
            replicas={2: 2, 3: 2, 5: 2},
        ),
        [("disable", 1), ("wait",)],
        reason="retry: dead node N1 without a listed task",
    ),
    Case(
        "dead node without a listed task out of placement, loglets left: trim, then remove",
        [task("f1", "a", node=5), *HEALTHY_TASKS[1:]],
        view(
            node(1, "gone1", "a", alive=False, storage="gone", worker="disabled"),
            node(5, "f1", "a"),
            *HEALTHY_NODES[1:],
            replicas={2: 2, 3: 2, 5: 2},
            nodesets=frozenset({2, 3, 5}),
            loglets={1: (2, 0), 2: (3, 1), 3: (3, 1), 5: (0, 1)},
        ),
        [("trim",), ("remove", 1)],
    ),
    Case(
        "dead node without a listed task out of placement, its loglet server not listed: "
        "trim anyway (sealed segments may name it), then remove",
        [task("f1", "a", node=5), *HEALTHY_TASKS[1:]],
        view(
            node(1, "gone1", "a", alive=False, storage="gone", worker="disabled"),
            node(5, "f1", "a"),
            *HEALTHY_NODES[1:],
            replicas={2: 2, 3: 2, 5: 2},
            nodesets=frozenset({2, 3, 5}),
            loglets={2: (3, 1), 3: (3, 1), 5: (0, 1)},
        ),
        [("trim",), ("remove", 1)],
        reason="its loglet server reports nothing",
    ),
    Case(
        "dead node without a listed task out of placement, its loglet server reports (0, 0): "
        "removed",
        [task("f1", "a", node=5), *HEALTHY_TASKS[1:]],
        view(
            node(1, "gone1", "a", alive=False, storage="gone", worker="disabled"),
            node(5, "f1", "a"),
            *HEALTHY_NODES[1:],
            replicas={2: 2, 3: 2, 5: 2},
            nodesets=frozenset({2, 3, 5}),
            loglets={1: (0, 0), 2: (3, 1), 3: (3, 1), 5: (0, 1)},
        ),
        [("remove", 1)],
    ),
    Case(
        "stopping task forgotten by ECS before RemoveNode: its drained dead node is removed",
        [task("r1", "a", node=4, replaces="t1"), *HEALTHY_TASKS[1:]],
        view(
            node(1, "t1", "a", alive=False, storage="read-only", worker="draining"),
            node(4, "r1", "a"),
            *HEALTHY_NODES[1:],
            loglets={1: (0, 0)},
            **DRAINED,
        ),
        [("remove", 1)],
    ),
    Case(
        "node of a task tagged removed still listed (the listing lags nodes remove): left alone",
        [
            task("t1", "a", node=1, phase="removed", status="STOPPED"),
            task("r1", "a", node=4, replaces="t1"),
            *HEALTHY_TASKS[1:],
        ],
        view(
            node(1, "t1", "a", alive=False, storage="gone", worker="disabled"),
            node(4, "r1", "a"),
            *HEALTHY_NODES[1:],
            loglets={},
            **DRAINED,
        ),
        [],
    ),
    Case(
        "dead node without a listed task in a zone no longer kept: cleaned up",
        HEALTHY_TASKS,
        view(*HEALTHY_NODES, node(9, "gone9", "zz", alive=False)),
        [("disable-unlisted", 9)],
    ),
    Case(
        "live node without a listed task: never touched; its zone holds a's drain back",
        [
            task("t1", "a", node=1, td="td:1"),
            task("r1", "a", node=4, replaces="t1"),
            *HEALTHY_TASKS[1:],
        ],
        view(HEALTHY_NODES[0], node(4, "r1", "a"), *HEALTHY_NODES[1:], node(9, "other", "b")),
        [("wait",), ("wait",)],
        reason="node N9 (name-other, location region.b) is alive but no listed task runs it",
    ),
    Case(
        "a draining task missing from one listing (partial DescribeTasks): its live node still "
        "holds its zone, so b's drain does not start",
        [
            task("r1", "a", node=4, replaces="t1"),
            task("t2", "b", node=2, td="td:1"),
            task("r2", "b", node=5, replaces="t2"),
            HEALTHY_TASKS[2],
        ],
        view(
            node(1, "t1", "a", storage="read-only", worker="draining"),
            node(4, "r1", "a"),
            HEALTHY_NODES[1],
            node(5, "r2", "b"),
            HEALTHY_NODES[2],
        ),
        [("wait",), ("wait",)],
        reason="drain of task t2 (replaced by r2) waits (zones already disrupted: a;",
    ),
    Case(
        "two dead nodes without listed tasks, fills serve: two zones reduced, nothing forced",
        [task("f1", "a", node=5), task("f2", "b", node=6), HEALTHY_TASKS[2]],
        view(
            node(1, "gone1", "a", alive=False),
            node(2, "gone2", "b", alive=False),
            HEALTHY_NODES[2],
            node(5, "f1", "a"),
            node(6, "f2", "b"),
        ),
        [("wait",), ("wait",)],
        reason="zones already disrupted: b;",
    ),
    Case(
        "two dead nodes without listed tasks, b's clean-up already begun: b finishes, a waits",
        [task("f1", "a", node=5), task("f2", "b", node=6), HEALTHY_TASKS[2]],
        view(
            node(1, "gone1", "a", alive=False),
            node(2, "gone2", "b", alive=False, storage="gone", worker="disabled"),
            HEALTHY_NODES[2],
            node(5, "f1", "a"),
            node(6, "f2", "b"),
            replicas={3: 2, 5: 2, 6: 2, 1: 2},
            nodesets=frozenset({1, 3, 5, 6}),
            loglets={2: (0, 0)},
        ),
        [("wait",), ("remove", 2)],
        reason="clean-up of dead node N1 (name-gone1, location region.a) without a listed task waits (zones already disrupted: b;",
    ),
    Case(
        "dead node without a listed task, then an upgrade: clean-up first, replacement waits",
        [task("f1", "a", node=5), task("t2", "b", node=2, td="td:1"), HEALTHY_TASKS[2]],
        view(node(1, "gone1", "a", alive=False), node(5, "f1", "a"), *HEALTHY_NODES[1:]),
        [("disable-unlisted", 1), ("wait",)],
        reason="zones already disrupted: a;",
    ),
    Case(
        "node budget: a dead node without a listed task is its own unit; a surplus drain waits",
        [task("f1", "a", node=5), *HEALTHY_TASKS[1:], task("t6", "c", node=6, td="td:1")],
        view(
            node(1, "gone1", "a", alive=False),
            node(5, "f1", "a"),
            *HEALTHY_NODES[1:],
            node(6, "t6", "c"),
        ),
        [("disable-unlisted", 1), ("wait",)],
        reason="nodes already disrupted: name-gone1;",
        desired=replace(DESIRED, budget=disruption_budget(parse_replication("2"))),
    ),
    # --- F3/N4: crash loops, counted per zone for the desired task definition -----------------
    Case(
        "replacements register, then die (removed, node ids tagged): zone a halted, "
        "the dead one still cleaned up",
        [
            *(replace(t, task_definition="td:1") for t in HEALTHY_TASKS),
            *(
                dead(f"r{i}", "a", 10 + i, phase="removed", replaces="t1", started_at=200.0 + i)
                for i in range(3)
            ),
            dead("r3", "a", 13, phase="starting", replaces="t1", started_at=300.0),
        ],
        view(
            *HEALTHY_NODES,
            node(13, "r3", "a", alive=False, storage="provisioning", worker="provisioning"),
        ),
        [("halt", "a"), ("wait",), ("wait",), ("tag", "r3", "draining"), ("disable", 13)],
        reason="crash loop in a: 4 tasks of td:2 stopped without ever serving (last: r3:",
    ),
    Case(
        "crash loop in a: b's dead task is still replaced",
        [
            replace(HEALTHY_TASKS[0], task_definition="td:1"),
            *(
                dead(f"r{i}", "a", 10 + i, phase="removed", replaces="t1", started_at=200.0 + i)
                for i in range(3)
            ),
            dead("t2", "b", 2),
            HEALTHY_TASKS[2],
        ],
        view(HEALTHY_NODES[0], node(2, "t2", "b", alive=False), HEALTHY_NODES[2]),
        [("halt", "a"), ("run", "b", "t2")],
    ),
    Case(
        "failed starts of an older task definition do not count: launched at once",
        [
            task(f"x{i}", "a", phase="starting", status="STOPPED", td="td:1", started_at=float(i))
            for i in range(3)
        ]
        + HEALTHY_TASKS[1:],
        view(*HEALTHY_NODES[1:]),
        [("run", "a", None)],
    ),
    Case(
        "tasks that served before they died are no failed starts",
        [
            dead(f"x{i}", "a", 10 + i, phase="removed", served=True, started_at=float(i))
            for i in range(3)
        ]
        + HEALTHY_TASKS[1:],
        view(*HEALTHY_NODES[1:]),
        [("run", "a", None)],
    ),
    Case(
        "failed starts before the definition served in the zone: recovered, the upgrade goes on",
        [
            *(
                dead(f"x{i}", "a", 10 + i, phase="removed", replaces="t1", started_at=200.0 + i)
                for i in range(3)
            ),
            task("r4", "a", node=4, replaces="t1", started_at=300.0),
            *(replace(t, task_definition="td:1") for t in HEALTHY_TASKS[1:]),
        ],
        view(node(4, "r4", "a"), *HEALTHY_NODES[1:]),
        [("run", "b", "t2"), ("wait",)],
    ),
    Case(
        "failed starts after the definition last served in the zone: a crash loop",
        [
            task("t1", "a", node=1, started_at=100.0),
            *(
                task(f"x{i}", "a", phase="starting", status="STOPPED", started_at=200.0 + i)
                for i in range(3)
            ),
            *HEALTHY_TASKS[1:],
        ],
        view(*HEALTHY_NODES),
        [("halt", "a")],
        reason="crash loop in a: 3 tasks of td:2",
    ),
    Case(
        "failed starts spread over zones: no zone halted",
        [
            *HEALTHY_TASKS,
            *(task(f"x{az}", az, phase="starting", status="STOPPED") for az in "abc"),
            task("xa2", "a", phase="starting", status="STOPPED"),
        ],
        view(*HEALTHY_NODES),
        [],
    ),
    Case(
        "a drain timeout halts everything; a zone's crash loop is reported with it",
        [
            *with_replacement_serving(
                task(
                    "t1",
                    "a",
                    node=1,
                    phase="draining",
                    td="td:1",
                    drain_started=str(int(NOW) - 601),
                ),
                node(1, "t1", "a", storage="read-only", worker="draining"),
            )[0],
            *(
                task(f"x{i}", "b", phase="starting", status="STOPPED", started_at=200.0 + i)
                for i in range(3)
            ),
        ],
        with_replacement_serving(
            task("t1", "a", node=1, phase="draining", td="td:1"),
            node(1, "t1", "a", storage="read-only", worker="draining"),
        )[1],
        [("halt", "b"), ("halt",)],
        reason="over the 600 s timeout",
    ),
    # --- ECS is stopping a member whose node is still alive ---------------------------------
    *[
        Case(
            f"member {status.lower()} (ECS stopping it), node alive: replaced, nothing forced",
            [task("t1", "a", node=1, status=status), *HEALTHY_TASKS[1:]],
            view(*HEALTHY_NODES),
            [("run", "a", "t1")],
            reason=f"replace task t1: dead (task {status.lower()}",
        )
        for status in ("DEACTIVATING", "STOPPING")
    ],
    Case(
        "member deactivating, its replacement serves, node still alive: wait, no force",
        *with_replacement_serving(
            task("t1", "a", node=1, status="DEACTIVATING"), node(1, "t1", "a")
        ),
        [("wait",)],
        reason="is stopped but the cluster still sees node N1 alive",
    ),
    # --- health gates ------------------------------------------------------------------------
    Case(
        "cluster unhealthy: wait with its reason, nothing disrupted",
        [replace(t, task_definition="td:1") for t in HEALTHY_TASKS],
        view(*HEALTHY_NODES, healthy_reason="metadata store unreachable"),
        [("wait",)],
        reason="metadata store unreachable",
    ),
    Case(
        "cluster unhealthy with a node without a listed task: still a wait about that node",
        HEALTHY_TASKS[1:],
        view(
            node(1, "gone1", "a", alive=False),
            *HEALTHY_NODES[1:],
            healthy_reason="partition 3 has no alive leader",
        ),
        [("run", "a", None), ("wait",), ("wait",)],
        reason="N1 (name-gone1) has no listed task; nothing is done about it while the cluster is not ready",
    ),
    Case(
        "not provisioned: no replacement",
        [replace(t, task_definition="td:1") for t in HEALTHY_TASKS],
        view(*HEALTHY_NODES, provisioned=False),
        [("wait",)],
        reason="not provisioned",
    ),
    Case(
        "unhealthy mid-drain: no further drain step",
        *with_replacement_serving(
            task("t1", "a", node=1, phase="draining", td="td:1", drain_started="9990"),
            node(1, "t1", "a", storage="read-only", worker="draining"),
            healthy_reason="partition 3 has no leader",
            **DRAINED,
        ),
        [("wait",)],
        reason="partition 3 has no leader",
    ),
    # --- extra tasks, unknown AZs -------------------------------------------------------------
    Case(
        "extra task in an AZ: the oldest current one is drained without replacement",
        [task("t0", "a", node=9, started_at=50.0), *HEALTHY_TASKS],
        view(node(9, "t0", "a"), *HEALTHY_NODES),
        [("tag", "t0", "draining"), ("drain", 9)],
    ),
    Case(
        "extra outdated task goes before a current one",
        [task("t0", "a", node=9, started_at=500.0, td="td:1"), *HEALTHY_TASKS],
        view(node(9, "t0", "a"), *HEALTHY_NODES),
        [("tag", "t0", "draining"), ("drain", 9)],
    ),
    Case(
        "extra task waits while another AZ is short",
        [task("t0", "a", node=9, started_at=50.0), *HEALTHY_TASKS[:2]],
        view(node(9, "t0", "a"), *HEALTHY_NODES[:2]),
        [("run", "c", None), ("wait",)],
        reason="stays until c serve",
    ),
    Case(
        "task in an unknown AZ is drained once the known AZs serve",
        [*HEALTHY_TASKS, task("t9", "zz", node=9)],
        view(*HEALTHY_NODES, node(9, "t9", "zz")),
        [("tag", "t9", "draining"), ("drain", 9)],
    ),
    Case(
        "unknown AZ task is not replaced in its AZ",
        [*HEALTHY_TASKS[:2], task("t9", "zz", node=9)],
        view(*HEALTHY_NODES[:2], node(9, "t9", "zz")),
        [("run", "c", None), ("wait",)],
    ),
    Case(
        "duplicate replacements: the extra one leaves once the old task is gone",
        [
            task("t1", "a", node=1, phase="removed", status="STOPPED"),
            task("r1", "a", node=4, replaces="t1", started_at=200.0),
            task("r1b", "a", node=5, replaces="t1", started_at=201.0),
            *HEALTHY_TASKS[1:],
        ],
        view(node(4, "r1", "a"), node(5, "r1b", "a"), *HEALTHY_NODES[1:]),
        [("tag", "r1", "draining"), ("drain", 4)],
    ),
    # --- budget derived from replication -----------------------------------------------------
    Case(
        "{zone: 3} over 5 AZs: two AZs replaced at once",
        [
            replace(task(f"t{i}", az, node=i), task_definition="td:1")
            for i, az in enumerate("abcde", 1)
        ],
        view(*(node(i, f"t{i}", az) for i, az in enumerate("abcde", 1))),
        [("run", "a", "t1"), ("run", "b", "t2"), ("wait",), ("wait",), ("wait",)],
        desired=replace(
            DESIRED, azs=tuple("abcde"), budget=disruption_budget(parse_replication("{zone: 3}"))
        ),
    ),
    Case(
        "zone budget: two outdated tasks of one AZ replaced together",
        [task("t1", "a", node=1, td="td:1"), task("t4", "a", node=4, td="td:1"), *TWO_PER_AZ_BC],
        view(HEALTHY_NODES[0], node(4, "t4", "a"), *TWO_PER_AZ_BC_NODES),
        [("run", "a", "t1"), ("run", "a", "t4")],
        desired=replace(DESIRED, nodes_per_az=2),
    ),
    Case(
        "node-only replication 2: one task at a time, even inside one AZ",
        [task("t1", "a", node=1, td="td:1"), task("t4", "a", node=4, td="td:1"), *TWO_PER_AZ_BC],
        view(HEALTHY_NODES[0], node(4, "t4", "a"), *TWO_PER_AZ_BC_NODES),
        [("run", "a", "t1"), ("wait",)],
        desired=replace(DESIRED, nodes_per_az=2, budget=disruption_budget(parse_replication("2"))),
    ),
    Case(
        "zones short of serving nodes: filled first, the outdated tasks wait for them",
        [
            task("t1", "a", node=1, td="td:1"),
            task("t4", "a", node=4, td="td:1"),
            *HEALTHY_TASKS[1:],
        ],
        view(HEALTHY_NODES[0], node(4, "t4", "a"), *HEALTHY_NODES[1:]),
        [("run", "b", None), ("run", "c", None), ("wait",), ("wait",)],
        reason="zones already disrupted: b, c",
        desired=replace(DESIRED, nodes_per_az=2),
    ),
]


def assert_invariants(
    decisions: list[Decision], tasks: Sequence[TaskInfo], cluster: ClusterView
) -> None:
    by_id = {item.task_id: item for item in tasks}
    for decision in decisions:
        assert decision.reason.strip(), decision
        if isinstance(decision, StopTask):
            # Never stop a task whose drain is not verified in this very observation.
            stopped = by_id[decision.task_id]
            node_info = cluster.node_by_name(stopped.node_name)
            assert node_info is not None
            assert cluster.partition_replicas.get(node_info.node_id, 0) == 0
            assert node_info.node_id not in cluster.nodeset_members
            assert cluster.loglet_servers.get(node_info.node_id) == (0, 0)
        if isinstance(decision, DisableDeadNode):
            # The forced path is for dead nodes of stopped tasks (or of no listed task) only.
            target = cluster.node_by_id(decision.node_id)
            assert target is not None and not target.alive
            owner = next((t for t in tasks if t.node_name == target.name), None)
            assert owner is None or not owner.is_active
        if isinstance(decision, RemoveNode):
            # Only a dead node out of every partition and tail nodeset is removed.
            target = cluster.node_by_id(decision.node_id)
            assert target is not None and not target.alive
            assert cluster.partition_replicas.get(target.node_id, 0) == 0
            assert target.node_id not in cluster.nodeset_members
        if isinstance(decision, RunTask):
            assert decision.tags[TAG_CLUSTER] == "demo" and decision.tags[TAG_AZ] == decision.az
            assert decision.tags[TAG_PHASE] == "starting"
    halts = [decision for decision in decisions if isinstance(decision, Halt)]
    if any(halt.az is None for halt in halts):
        # A halt of the whole controller comes alone (zone halts may accompany it).
        assert all(isinstance(decision, Halt) for decision in decisions)
    # Zone halts come first, and nothing is launched into a halted zone.
    assert decisions[: len(halts)] == halts
    halted_zones = {halt.az for halt in halts}
    assert not any(isinstance(d, RunTask) and d.az in halted_zones for d in decisions)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_planner_rule(case: Case) -> None:
    decisions = plan(case.desired, case.tasks, case.view, NOW)
    assert [summary(decision) for decision in decisions] == case.expect, [
        d.reason for d in decisions
    ]
    if case.reason is not None:
        assert any(case.reason in decision.reason for decision in decisions), [
            d.reason for d in decisions
        ]
    assert_invariants(decisions, case.tasks, case.view)


def test_planner_is_pure_and_deterministic() -> None:
    tasks = [replace(t, task_definition="td:1") for t in HEALTHY_TASKS]
    cluster = view(*HEALTHY_NODES)
    assert plan(DESIRED, tasks, cluster, NOW) == plan(DESIRED, list(tasks), cluster, NOW)


def test_drain_records_its_start_time_from_the_clock() -> None:
    tasks, cluster = with_replacement_serving(
        replace(HEALTHY_TASKS[0], task_definition="td:1"), HEALTHY_NODES[0]
    )
    decisions = plan(DESIRED, tasks, cluster, 12_345.6)
    start = next(
        d for d in decisions if isinstance(d, TagTask) and d.tags.get(TAG_PHASE) == "draining"
    )
    assert start.tags[TAG_DRAIN_STARTED] == "12345"
    assert start.tags[TAG_DRAIN_ISSUED_AT] == "12345"


def test_stuck_drain_is_retried_at_its_pace_until_the_timeout() -> None:
    """A node that left every partition but stays in a log nodeset: MarkDraining is issued again
    every time more than 10 s passed since the last issue (per its tag), never more often, and
    not at all once the drain timeout halts the controller."""
    tasks, cluster = with_replacement_serving(
        replace(HEALTHY_TASKS[0], task_definition="td:1"), HEALTHY_NODES[0], replicas={2: 2}
    )
    by_id = {item.task_id: item for item in tasks}
    nodes = {item.node_id: item for item in cluster.nodes}
    issued: list[float] = []
    halted_at = None
    for second in range(700):
        now = NOW + second
        cluster = replace(cluster, nodes=tuple(nodes.values()))
        decisions = plan(DESIRED, list(by_id.values()), cluster, now)
        assert_invariants(decisions, list(by_id.values()), cluster)
        if any(isinstance(decision, Halt) for decision in decisions):
            halted_at = now
            break
        for decision in decisions:
            if isinstance(decision, TagTask):
                old = by_id[decision.task_id]
                by_id[decision.task_id] = replace(old, tags={**old.tags, **decision.tags})
            elif isinstance(decision, MarkDraining):
                issued.append(now)
                nodes[decision.node_id] = replace(
                    nodes[decision.node_id], storage_state="read-only", worker_state="draining"
                )
            else:
                assert isinstance(decision, Wait), decision
    assert halted_at == NOW + 601
    assert issued[0] == NOW
    assert {later - earlier for earlier, later in zip(issued[:-1], issued[1:], strict=True)} == {
        11.0
    }
    assert len(issued) == 1 + 600 // 11


@pytest.mark.parametrize(
    ("replication", "unit", "limit"),
    [
        ("{zone: 2}", "zone", 1),
        ("{zone: 3}", "zone", 2),
        ("{zone: 2, node: 3}", "zone", 1),
        ("2", "node", 1),
        ("3", "node", 2),
        ("{node: 1}", "node", 1),
        ("{region: 1}", "zone", 1),
    ],
)
def test_budget_from_replication(replication: str, unit: str, limit: int) -> None:
    assert disruption_budget(parse_replication(replication)) == DisruptionBudget(
        unit=unit, limit=limit
    )


def test_full_replacement_walk_reaches_steady_state() -> None:
    """Apply the planner's own decisions to a toy world until nothing is left: the order is safe."""
    tasks = {t.task_id: replace(t, task_definition="td:1") for t in HEALTHY_TASKS}
    nodes = {n.node_id: n for n in HEALTHY_NODES}
    names = {"t1": 1, "t2": 2, "t3": 3}
    replicas = dict.fromkeys(nodes, 2)
    log: list[tuple[object, ...]] = []
    next_node = 10
    for step in range(200):
        cluster = ClusterView(
            nodes=tuple(nodes.values()),
            partition_replicas={k: v for k, v in replicas.items() if k in nodes},
            nodeset_members=frozenset(k for k, v in replicas.items() if v and k in nodes),
            loglet_servers={
                k: (0, 0) if nodes[k].storage_state != "read-write" else (1, 1) for k in nodes
            },
            provisioned=True,
        )
        decisions = plan(DESIRED, list(tasks.values()), cluster, NOW + step)
        assert_invariants(decisions, list(tasks.values()), cluster)
        actions = [d for d in decisions if not isinstance(d, Wait | Halt)]
        assert not any(isinstance(d, Halt) for d in decisions)
        if not actions and not decisions:
            break
        # Draining nodes lose their placement one pass after being marked.
        for node_id, info in nodes.items():
            if info.worker_state == "draining":
                replicas[node_id] = 0
        for decision in actions:
            log.append(summary(decision))
            if isinstance(decision, RunTask):
                task_id = f"n{next_node}"
                tasks[task_id] = TaskInfo(
                    task_id, f"name-{task_id}", decision.az, "td:2", "RUNNING", dict(decision.tags)
                )
                nodes[next_node] = node(next_node, task_id, decision.az)
                replicas[next_node] = 2
                names[task_id] = next_node
                next_node += 1
            elif isinstance(decision, TagTask):
                old = tasks[decision.task_id]
                tasks[decision.task_id] = replace(old, tags={**old.tags, **decision.tags})
            elif isinstance(decision, MarkDraining):
                nodes[decision.node_id] = replace(
                    nodes[decision.node_id], storage_state="read-only", worker_state="draining"
                )
            elif isinstance(decision, StopTask):
                tasks[decision.task_id] = replace(tasks[decision.task_id], status="STOPPED")
                node_id = names[decision.task_id]
                nodes[node_id] = replace(nodes[node_id], alive=False)
            elif isinstance(decision, RemoveNode):
                del nodes[decision.node_id]
    else:
        raise AssertionError(f"no steady state after 200 passes: {log[-10:]}")
    assert (
        sorted(t.task_definition for t in tasks.values() if t.tags[TAG_PHASE] == "running")
        == ["td:2"] * 3
    )
    assert {n.location for n in nodes.values()} == {"region.a", "region.b", "region.c"}
    # One AZ at a time: every replacement launch comes after the previous AZ's node removal.
    launches = [i for i, entry in enumerate(log) if entry[0] == "run"]
    removals = [i for i, entry in enumerate(log) if entry[0] == "remove"]
    assert len(launches) == 3 and len(removals) == 3
    assert launches[1] > removals[0] and launches[2] > removals[1]


@pytest.mark.parametrize(("status", "stopped"), [("STOPPED", True), ("DELETED", True),
                                                  ("DEACTIVATING", False), ("RUNNING", False)])  # fmt: skip
def test_ecs_shows_deleted_after_stopped_and_both_are_stopped(status: str, stopped: bool) -> None:
    assert task("t1", "us-east-1a", status=status).is_stopped is stopped


def test_a_task_is_marked_served_when_its_node_first_serves() -> None:
    decisions = plan(
        DESIRED, [task("t1", "a", phase="starting"), *HEALTHY_TASKS[1:]], view(*HEALTHY_NODES), NOW
    )
    assert [(d.task_id, dict(d.tags)) for d in decisions if isinstance(d, TagTask)] == [
        ("t1", {TAG_PHASE: "running", TAG_NODE_ID: "N1", TAG_SERVED: "true"})
    ]


@pytest.mark.parametrize(
    ("leaving", "served"),
    [
        # An older controller tagged it running without the mark: the drain start carries it.
        (task("t1", "a", node=1, td="td:1", served=False), "true"),
        # A replacement that died before it ever served keeps counting as a failed start.
        (dead("t1", "a", 1, phase="starting"), None),
    ],
)
def test_the_drain_start_keeps_the_served_mark(leaving: TaskInfo, served: str | None) -> None:
    tasks, cluster = with_replacement_serving(leaving, node(1, "t1", "a", alive=leaving.is_active))
    start = next(
        d
        for d in plan(DESIRED, tasks, cluster, NOW)
        if isinstance(d, TagTask) and d.task_id == "t1"
    )
    assert start.tags[TAG_PHASE] == "draining"
    assert start.tags.get(TAG_SERVED) == served


def test_replacements_that_register_then_die_stop_after_the_limit_in_their_zone_only() -> None:
    """Every td:2 task registers its node and dies before it serves. Applying the planner's own
    decisions (a zone's Halt does not stop the others): zone a gets exactly 3 launches, every
    dead node is cleaned up, the old td:1 nodes are never drained, a is halted by name and the
    upgrade of b and c is paused rather than repeating the failure there."""
    tasks = {t.task_id: replace(t, task_definition="td:1") for t in HEALTHY_TASKS}
    nodes = {n.node_id: n for n in HEALTHY_NODES}
    replicas = dict.fromkeys(nodes, 2)
    launched: list[str] = []
    halts: list[Halt] = []
    waits: list[str] = []
    for step in range(60):
        cluster = ClusterView(
            nodes=tuple(nodes.values()),
            partition_replicas={k: v for k, v in replicas.items() if k in nodes},
            nodeset_members=frozenset(k for k, v in replicas.items() if v and k in nodes),
            loglet_servers={k: (1, 1) for k, n in nodes.items() if n.alive},
            provisioned=True,
        )
        decisions = plan(DESIRED, list(tasks.values()), cluster, NOW + step)
        assert_invariants(decisions, list(tasks.values()), cluster)
        halts = [d for d in decisions if isinstance(d, Halt)]
        waits = [d.reason for d in decisions if isinstance(d, Wait)]
        # The world: a td:2 task registers on its first pass, then dies with its node.
        for task_id, item in list(tasks.items()):
            node_id = 100 + int(task_id[1:]) if task_id.startswith("n") else None
            if node_id is None or item.is_stopped:
                continue
            if node_id in nodes:
                tasks[task_id] = replace(item, status="STOPPED", stopped_reason="exit 1")
                nodes[node_id] = replace(nodes[node_id], alive=False)
            else:
                nodes[node_id] = node(node_id, task_id, item.az, storage="provisioning")
        for decision in decisions:
            if isinstance(decision, RunTask):
                task_id = f"n{len(launched)}"
                launched.append(decision.az)
                tasks[task_id] = TaskInfo(
                    task_id, f"name-{task_id}", decision.az, "td:2", "RUNNING", dict(decision.tags)
                )
            elif isinstance(decision, TagTask):
                old = tasks[decision.task_id]
                tasks[decision.task_id] = replace(old, tags={**old.tags, **decision.tags})
            elif isinstance(decision, DisableDeadNode):
                replicas[decision.node_id] = 0
                nodes[decision.node_id] = replace(
                    nodes[decision.node_id], storage_state="gone", worker_state="disabled"
                )
            elif isinstance(decision, RemoveNode):
                del nodes[decision.node_id]
            else:
                assert isinstance(decision, Wait | Halt | SnapshotAndTrim), decision
    assert launched == ["a", "a", "a"]
    assert [halt.az for halt in halts] == ["a"]
    assert "crash loop in a: 3 tasks of td:2 stopped without ever serving" in halts[0].reason
    assert waits == [
        f"task {t} in {az} is outdated (runs td:1, desired td:2); the upgrade is paused while a "
        "crash-loop(s) on it"
        for t, az in (("t2", "b"), ("t3", "c"))
    ]
    assert set(nodes) == {1, 2, 3} and all(n.serving for n in nodes.values())
    assert all(t.tags[TAG_PHASE] in ("running", "removed") for t in tasks.values())


def test_dead_nodes_without_listed_tasks_are_removed_one_zone_at_a_time() -> None:
    """Two zones' stopped tasks aged out of ListTasks while their nodes stayed in the cluster.
    b's node was already disabled and drained (its clean-up had begun): it finishes at once,
    budget or not. a's node is still read-write and in a nodeset: its forced clean-up begins
    only once a's fill serves and b's node is gone, so never two zones forced at once."""
    tasks = {t.task_id: t for t in HEALTHY_TASKS[2:]}
    nodes = {
        1: node(1, "gone1", "a", alive=False),
        2: node(2, "gone2", "b", alive=False, storage="gone", worker="disabled"),
        3: HEALTHY_NODES[2],
    }
    replicas = {1: 2, 2: 0, 3: 2}
    loglets = {1: (3, 1), 2: (2, 0), 3: (3, 1)}
    log: list[tuple[object, ...]] = []
    for step in range(40):
        cluster = ClusterView(
            nodes=tuple(nodes.values()),
            partition_replicas={k: v for k, v in replicas.items() if k in nodes},
            nodeset_members=frozenset(k for k, v in replicas.items() if v and k in nodes),
            loglet_servers={k: v for k, v in loglets.items() if k in nodes},
            provisioned=True,
        )
        decisions = plan(DESIRED, list(tasks.values()), cluster, NOW + step)
        assert_invariants(decisions, list(tasks.values()), cluster)
        if not decisions:
            break
        forced = {d.node_id for d in decisions if isinstance(d, DisableDeadNode | RemoveNode)}
        assert len(forced) <= 1, decisions
        for decision in decisions:
            log.append(summary(decision))
            if isinstance(decision, RunTask):
                task_id = f"f{decision.az}"
                node_id = 10 + len(tasks)
                tasks[task_id] = TaskInfo(
                    task_id, f"name-{task_id}", decision.az, "td:2", "RUNNING", dict(decision.tags)
                )
                nodes[node_id] = node(node_id, task_id, decision.az)
                replicas[node_id], loglets[node_id] = 2, (0, 1)
            elif isinstance(decision, TagTask):
                old = tasks[decision.task_id]
                tasks[decision.task_id] = replace(old, tags={**old.tags, **decision.tags})
            elif isinstance(decision, DisableDeadNode):
                # Out of placement; its tail segments are sealed, so its loglets become history.
                replicas[decision.node_id] = 0
                historical, active = loglets[decision.node_id]
                loglets[decision.node_id] = (historical + active, 0)
                nodes[decision.node_id] = replace(
                    nodes[decision.node_id], storage_state="gone", worker_state="disabled"
                )
            elif isinstance(decision, SnapshotAndTrim):
                loglets = {k: (0, active) for k, (_, active) in loglets.items()}
            elif isinstance(decision, RemoveNode):
                if loglets.get(decision.node_id, (0, 0)) != (0, 0):
                    continue  # Restate refuses; the loop retries on a later pass
                del nodes[decision.node_id]
    else:
        raise AssertionError(f"no steady state: {log[-10:]}")
    assert sorted(n.location for n in nodes.values()) == ["region.a", "region.b", "region.c"]
    assert all(n.serving for n in nodes.values())
    assert log.index(("remove", 2)) < log.index(("disable-unlisted", 1)) < log.index(("remove", 1))
    assert log[:2] == [("run", "a", None), ("run", "b", None)]
