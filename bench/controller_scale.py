"""Controller scale: one reconcile pass of the real planner + ECS backend at 3, 12 and 48 nodes.

The backend talks to a moto ECS API on 127.0.0.1 (task statuses frozen where RunTask/StopTask
put them); the Restate side is a stand-in whose nodes are the tasks the backend listed in the
same pass (no API call, no restatectl) and whose drains complete at once, so the figures are the
controller's own: AWS calls per pass (counted with botocore event hooks) and time per pass:
"wall" is the whole pass, moto's work included; "own" is the pass minus every call's span from
botocore's before-send to its response-received (the round trip to moto and botocore parsing
the answer), so it is the planner, the loop and the backend with botocore building requests.

    .venv/bin/python bench/controller_scale.py [--nodes 3 12 48] [--rolls N]

Steady: a converged cluster, one pass. Roll: a new task definition, every pass until idle (one
zone at a time, `nodes_per_az` replacements at once); max and mean per pass.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "controller_image"))

from restate_controller.backends.ecs import EcsBackend, EcsSettings  # noqa: E402
from restate_controller.loop import Reconciler  # noqa: E402
from restate_controller.model import (  # noqa: E402
    ClusterView,
    DesiredSpec,
    DisruptionBudget,
    NodeInfo,
    TaskInfo,
)

from cdktf_restate.devtools.emulator import Emulator, running_emulator  # noqa: E402

REGION = "us-east-1"
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
FAMILY = "scale-stateful"


@dataclass
class CallMeter:
    """AWS calls a client makes and the time spent waiting on the wire for them."""

    calls: dict[str, int] = field(default_factory=dict)
    described: int = 0  # tasks named in DescribeTasks calls
    wire_seconds: float = 0.0
    _sent: float = 0.0

    def attach(self, client: Any) -> Any:
        events = client.meta.events

        def count(model: Any, params: dict[str, Any], **_: Any) -> None:
            self.calls[model.name] = self.calls.get(model.name, 0) + 1
            if model.name == "DescribeTasks":
                self.described += len(params.get("tasks", []))

        def sent(**_: Any) -> None:
            self._sent = time.perf_counter()

        def received(**_: Any) -> None:
            self.wire_seconds += time.perf_counter() - self._sent

        events.register("provide-client-params.ecs.*", count)
        events.register("before-send.ecs.*", sent)
        events.register("response-received.ecs.*", received)
        return client

    def reset(self) -> None:
        self.calls.clear()
        self.described = 0
        self.wire_seconds = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class ListingBackend:
    """The ECS backend, remembering its last listing for the stand-in Restate view."""

    def __init__(self, backend: EcsBackend) -> None:
        self.backend = backend
        self.last: list[TaskInfo] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def list_tasks(self) -> list[TaskInfo]:
        self.last = self.backend.list_tasks()
        return self.last


class TasksAsNodes:
    """RestateOps whose nodes are the listed tasks; a drained node holds nothing at once."""

    def __init__(self, backend: ListingBackend) -> None:
        self.backend = backend
        self.ids: dict[str, int] = {}
        self.draining: set[int] = set()
        self.removed: set[int] = set()

    def observe(self) -> ClusterView:
        nodes = []
        for task in self.backend.last:
            node_id = self.ids.setdefault(task.node_name, len(self.ids) + 1)
            if node_id in self.removed:
                continue
            marked = node_id in self.draining
            nodes.append(
                NodeInfo(
                    node_id,
                    task.node_name,
                    f"{REGION}.{task.az}",
                    task.status == "RUNNING",
                    "read-only" if marked else "read-write",
                    "draining" if marked else "active",
                )
            )
        placed = [node.node_id for node in nodes if node.node_id not in self.draining]
        return ClusterView(
            nodes=tuple(nodes),
            partition_replicas=dict.fromkeys(placed, 2),
            nodeset_members=frozenset(placed),
            loglet_servers={
                node.node_id: ((0, 0) if node.node_id in self.draining else (1, 1))
                for node in nodes
            },
            provisioned=True,
        )

    def mark_draining(self, node_id: int) -> None:
        self.draining.add(node_id)

    def snapshot_and_trim(self) -> None:
        return None

    def remove_node(self, node_id: int) -> None:
        self.removed.add(node_id)

    def disable_dead_node(self, node_id: int) -> None:
        self.draining.add(node_id)


@dataclass
class World:
    emulator: Emulator
    subnets_by_az: dict[str, str]
    security_group: str
    roles: dict[str, str]

    def client(self, service: str) -> Any:
        return self.emulator.client(service, REGION)

    def register_revision(self, image: str) -> str:
        return str(
            self.client("ecs").register_task_definition(
                family=FAMILY,
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="1024",
                memory="2048",
                taskRoleArn=self.roles["task"],
                executionRoleArn=self.roles["exec"],
                containerDefinitions=[
                    {"name": "restate", "image": image, "memory": 2048, "essential": True}
                ],
            )["taskDefinition"]["taskDefinitionArn"]
        )


def make_world(emulator: Emulator) -> World:
    emulator.set_ecs_task_transitions_manual()
    ec2 = emulator.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = {
        az: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{index}.0/24", AvailabilityZone=az)[
            "Subnet"
        ]["SubnetId"]
        for index, az in enumerate(AZS)
    }
    group = ec2.create_security_group(GroupName="scale", Description="scale", VpcId=vpc)["GroupId"]
    iam = emulator.client("iam", REGION)
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
        '{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )
    roles = {
        name: iam.create_role(RoleName=f"scale-{name}", AssumeRolePolicyDocument=trust)["Role"][
            "Arn"
        ]
        for name in ("task", "exec")
    }
    return World(emulator, subnets, group, roles)


@dataclass
class Row:
    nodes: int
    steady_calls: Mapping[str, int]
    steady_wall: float
    steady_own: float
    roll_passes: int
    roll_max_calls: int
    roll_mean_calls: float
    roll_max_own: float
    roll_calls: Mapping[str, int]
    after_calls: Mapping[str, int]
    after_described: int
    after_own: float


def measure(world: World, nodes: int, old_td: str, new_td: str, rolls: int = 1) -> Row:
    ecs_cluster = world.client("ecs").create_cluster(clusterName=f"scale-{uuid.uuid4().hex[:6]}")
    meter = CallMeter()

    def reconciler(task_definition: str, ops: TasksAsNodes | None) -> Reconciler:
        settings = EcsSettings(
            cluster_arn=ecs_cluster["cluster"]["clusterArn"],
            cluster_name="scale",
            task_definition=task_definition,
            task_family=FAMILY,
            subnets_by_az=world.subnets_by_az,
            security_group_ids=(world.security_group,),
            assign_public_ip=False,
            ebs=None,
        )
        backend = ListingBackend(EcsBackend(settings, meter.attach(world.client("ecs"))))
        ops = ops or TasksAsNodes(backend)
        ops.backend = backend
        desired = DesiredSpec(
            cluster_name="scale",
            azs=AZS,
            nodes_per_az=nodes // len(AZS),
            task_definition=task_definition,
            budget=DisruptionBudget(unit="zone", limit=1),
        )
        silent = lambda *_, **__: None  # noqa: E731 - the log is not what is measured
        return Reconciler(desired, backend, ops, sleep=lambda _: None, log=silent)

    def timed_pass(loop: Reconciler) -> tuple[str, int, float, float, dict[str, int], int]:
        meter.reset()
        started = time.perf_counter()
        status = loop.run_once()
        wall = time.perf_counter() - started
        if not status.healthy:
            raise SystemExit(f"{nodes} nodes: pass unhealthy: {status.reason}")
        own = wall - meter.wire_seconds
        return status.phase, meter.total, wall, own, dict(meter.calls), meter.described

    loop = reconciler(old_td, None)
    for _ in until_idle(loop, timed_pass):
        pass
    # Steady: the best of 5 (the first may include botocore's lazy loading).
    steady = min((timed_pass(loop) for _ in range(5)), key=lambda result: result[3])
    assert steady[0] == "idle", steady

    passes = []
    for index in range(rolls):  # the last roll's passes are the ones reported
        roll = reconciler(new_td if index % 2 == 0 else old_td, loop.ops)  # type: ignore[arg-type]
        passes = list(until_idle(roll, timed_pass))
    # Steady again, now with the replaced tasks listed as STOPPED (ECS keeps them ~1 hour).
    after = min((timed_pass(roll) for _ in range(5)), key=lambda result: result[3])
    assert after[0] == "idle", after
    totals: dict[str, int] = {}
    for result in passes:
        for operation, count in result[4].items():
            totals[operation] = totals.get(operation, 0) + count
    return Row(
        nodes=nodes,
        steady_calls=steady[4],
        steady_wall=steady[2],
        steady_own=steady[3],
        roll_passes=len(passes),
        roll_max_calls=max(result[1] for result in passes),
        roll_mean_calls=statistics.mean(result[1] for result in passes),
        roll_max_own=max(result[3] for result in passes),
        roll_calls=totals,
        after_calls=after[4],
        after_described=after[5],
        after_own=after[3],
    )


def until_idle(loop: Reconciler, timed_pass: Any, limit: int = 400) -> Iterator[Any]:
    for _ in range(limit):
        result = timed_pass(loop)
        yield result
        if result[0] == "idle":
            return
    raise SystemExit("the controller did not reach idle")


def calls_text(calls: Mapping[str, int]) -> str:
    return " ".join(f"{name}={count}" for name, count in sorted(calls.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[3, 12, 48])
    parser.add_argument(
        "--rolls",
        type=int,
        default=1,
        help="rolls before the 'after roll' pass (stopped tasks pile up)",
    )
    options = parser.parse_args(argv)
    if any(count % len(AZS) for count in options.nodes):
        parser.error(f"--nodes: allowed: multiples of {len(AZS)} (one count per zone)")
    rows = []
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    with running_emulator() as emulator:
        world = make_world(emulator)
        old_td = world.register_revision("restate:1.7.11")
        new_td = world.register_revision("restate:1.7.12")
        for nodes in options.nodes:
            rows.append(measure(world, nodes, old_td, new_td, options.rolls))
    print(
        f"{'nodes':>5} | {'steady calls':>12} {'wall ms':>8} {'own ms':>7} | "
        f"{'roll passes':>11} {'max calls':>9} {'mean calls':>10} {'max own ms':>10} | "
        f"{'after roll calls':>16} {'described':>9} {'own ms':>7}"
    )
    for row in rows:
        print(
            f"{row.nodes:>5} | {sum(row.steady_calls.values()):>12} "
            f"{row.steady_wall * 1e3:>8.1f} {row.steady_own * 1e3:>7.1f} | "
            f"{row.roll_passes:>11} {row.roll_max_calls:>9} {row.roll_mean_calls:>10.1f} "
            f"{row.roll_max_own * 1e3:>10.1f} | "
            f"{sum(row.after_calls.values()):>16} {row.after_described:>9} "
            f"{row.after_own * 1e3:>7.1f}"
        )
    print()
    for row in rows:
        print(f"{row.nodes:>3} nodes, steady pass: {calls_text(row.steady_calls)}")
        print(f"{row.nodes:>3} nodes, whole roll:  {calls_text(row.roll_calls)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
