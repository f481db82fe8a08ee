"""``cdktf-restate teardown``: stop what Terraform does not track before ``terraform destroy``.

The controller starts the stateful Restate tasks with ECS RunTask, so they belong to no
Terraform resource. On AWS, DeleteCluster then fails (ClusterContainsTasksException) and the
security groups and subnets stay in use by the tasks' network interfaces. This command, in order:

1. scales the controller's ECS service to 0 and waits until its tasks are stopped (otherwise the
   controller starts new nodes for the ones stopped next);
2. stops this cluster's stateful tasks (listed as the controller lists them, kept only when their
   tags say they are this cluster's) and waits until they are STOPPED;
3. lists the retained EBS volumes and snapshots, and deletes them only when asked.

Planning (which task, volume, snapshot is ours and what happens to it) is pure; `AwsTeardown` is
the thin boto3 layer. Every step reads the current state first, so a re-run does nothing more.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TextIO

from restate_controller.backends.ecs import DESCRIBE_BATCH, started_by
from restate_controller.model import (
    MANAGED_BY,
    STOPPED_STATUS,
    TAG_CLUSTER,
    TAG_MANAGED_BY,
    TERMINAL_STATUSES,
)

STOP_REASON = "cdktf-restate teardown"
DEFAULT_TIMEOUT_SECONDS = 600.0
MAX_TIMEOUT_SECONDS = 86_400.0  # every wait stays bounded
POLL_SECONDS = 5.0
# The construct's and the module's rule for cluster_name (validation.py, variables.tf).
CLUSTER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# EBS volume states: the ones that can be deleted now, and the ones to wait for.
DELETABLE_VOLUME_STATES = frozenset({"available", "error"})
BUSY_VOLUME_STATES = frozenset({"creating", "in-use"})


class TeardownError(RuntimeError):
    """A failed AWS call or an expired wait; the message names the call and the resource."""


# ---------------------------------------------------------------------------------------------
# What is observed (plain values, so the planning below is testable without AWS)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EcsTask:
    arn: str
    last_status: str
    desired_status: str
    group: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class ControllerService:
    name: str
    status: str  # ACTIVE|DRAINING|INACTIVE
    desired_count: int
    running_count: int
    pending_count: int
    #: Its restate:cluster tag (the construct tags the controller service), if any.
    restate_cluster: str | None = None


@dataclass(frozen=True)
class StoredVolume:
    volume_id: str
    state: str
    size_gib: int
    tags: Mapping[str, str]


@dataclass(frozen=True)
class StoredSnapshot:
    snapshot_id: str
    state: str  # pending|completed|error
    size_gib: int
    tags: Mapping[str, str]


# ---------------------------------------------------------------------------------------------
# Pure planning
# ---------------------------------------------------------------------------------------------
def is_ours(tags: Mapping[str, str], cluster_name: str) -> bool:
    """The controller's ownership rule: this cluster's name and the controller's managed-by tag."""
    return tags.get(TAG_CLUSTER) == cluster_name and tags.get(TAG_MANAGED_BY) == MANAGED_BY


def tasks_to_stop(tasks: Iterable[EcsTask], cluster_name: str) -> list[EcsTask]:
    """Our tasks that ECS still wants running (a StopTask each)."""
    return [
        task
        for task in tasks
        if is_ours(task.tags, cluster_name) and task.desired_status != STOPPED_STATUS
    ]


def tasks_not_stopped(tasks: Iterable[EcsTask], cluster_name: str) -> list[EcsTask]:
    """Our tasks that have not reached STOPPED yet (their network interfaces still exist)."""
    return [
        task
        for task in tasks
        if is_ours(task.tags, cluster_name) and task.last_status not in TERMINAL_STATUSES
    ]


def service_tasks_not_stopped(tasks: Iterable[EcsTask], service_name: str) -> list[EcsTask]:
    """The controller service's tasks still alive (ECS sets group to ``service:<name>``)."""
    group = f"service:{service_name}"
    return [
        task for task in tasks if task.group == group and task.last_status not in TERMINAL_STATUSES
    ]


def service_is_live(service: ControllerService | None) -> bool:
    return service is not None and service.status != "INACTIVE"


@dataclass(frozen=True)
class StoragePlan:
    """This cluster's retained EBS volumes and snapshots, and what happens to each."""

    delete_volumes: tuple[StoredVolume, ...]
    keep_volumes: tuple[StoredVolume, ...]
    busy_volumes: tuple[StoredVolume, ...]  # attached or being created: waited for first
    delete_snapshots: tuple[StoredSnapshot, ...]
    keep_snapshots: tuple[StoredSnapshot, ...]


def plan_storage(
    volumes: Iterable[StoredVolume],
    snapshots: Iterable[StoredSnapshot],
    *,
    cluster_name: str,
    delete_volumes: bool,
    delete_snapshots: bool,
) -> StoragePlan:
    ours_volumes = [
        v
        for v in volumes
        if is_ours(v.tags, cluster_name) and v.state not in {"deleting", "deleted"}
    ]
    ours_snapshots = [s for s in snapshots if is_ours(s.tags, cluster_name)]
    busy = tuple(v for v in ours_volumes if v.state in BUSY_VOLUME_STATES)
    deletable = tuple(v for v in ours_volumes if v.state in DELETABLE_VOLUME_STATES)
    # A pending snapshot is still being copied from its volume: never deleted halfway.
    done_snapshots = tuple(s for s in ours_snapshots if s.state != "pending")
    return StoragePlan(
        delete_volumes=deletable if delete_volumes else (),
        keep_volumes=() if delete_volumes else tuple(ours_volumes),
        busy_volumes=busy if delete_volumes else (),
        delete_snapshots=done_snapshots if delete_snapshots else (),
        keep_snapshots=tuple(
            s for s in ours_snapshots if not delete_snapshots or s.state == "pending"
        ),
    )


def gib(items: Sequence[StoredVolume] | Sequence[StoredSnapshot]) -> int:
    return sum(item.size_gib for item in items)


def count_text(items: Sequence[StoredVolume] | Sequence[StoredSnapshot], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'} ({gib(items)} GiB)"


@dataclass(frozen=True)
class Observed:
    """Everything the teardown reads before it acts."""

    ecs_cluster_found: bool
    service: ControllerService | None
    service_tasks: tuple[EcsTask, ...]
    tasks: tuple[EcsTask, ...]
    storage: StoragePlan


def has_work(observed: Observed, cluster_name: str) -> bool:
    service = observed.service
    return bool(
        (service_is_live(service) and service is not None and service.desired_count > 0)
        or observed.service_tasks
        or tasks_not_stopped(observed.tasks, cluster_name)
        or observed.storage.delete_volumes
        or observed.storage.busy_volumes
        or observed.storage.delete_snapshots
    )


def describe_plan(observed: Observed, options: Options) -> list[str]:
    """What the teardown will do, for the confirmation prompt (one line per item)."""
    lines = [
        f"Teardown of Restate cluster {options.cluster_name!r} in ECS cluster {options.ecs_cluster}:"
    ]
    service = observed.service
    if not observed.ecs_cluster_found:
        lines.append("  ECS cluster not found (already deleted?): no tasks to stop")
    if not service_is_live(service):
        lines.append(f"  controller service {options.controller_service!r}: not found, skipped")
    elif service is not None:
        scale = (
            f"scale controller service {service.name!r} from {service.desired_count} to 0"
            if service.desired_count
            else f"controller service {service.name!r} is at 0 already"
        )
        lines.append(f"  {scale}; wait for its {len(observed.service_tasks)} task(s) to stop")
    to_stop = tasks_to_stop(observed.tasks, options.cluster_name)
    stopping = [
        t for t in tasks_not_stopped(observed.tasks, options.cluster_name) if t not in to_stop
    ]
    lines.append(
        f"  stop {len(to_stop)} stateful task(s) of this cluster"
        + (" (and any the controller starts before it stops)" if service_is_live(service) else "")
    )
    lines += [f"    {task.arn} ({task.last_status})" for task in to_stop]
    if stopping:
        lines.append(f"  wait for {len(stopping)} task(s) already stopping")
    storage = observed.storage
    if storage.delete_volumes or storage.busy_volumes:
        volumes = [*storage.delete_volumes, *storage.busy_volumes]
        lines.append(f"  DELETE {count_text(volumes, 'EBS volume')} (their data is lost):")
        lines += [f"    {v.volume_id} {v.size_gib} GiB ({v.state})" for v in volumes]
    if storage.delete_snapshots:
        lines.append(f"  DELETE {count_text(storage.delete_snapshots, 'EBS snapshot')}:")
        lines += [f"    {s.snapshot_id} {s.size_gib} GiB" for s in storage.delete_snapshots]
    lines += kept_lines(storage)
    return lines


def kept_lines(storage: StoragePlan) -> list[str]:
    lines = []
    if storage.keep_volumes:
        lines.append(
            f"  kept: {count_text(storage.keep_volumes, 'EBS volume')} "
            "(delete with --delete-volumes): "
            + ", ".join(v.volume_id for v in storage.keep_volumes)
        )
    if storage.keep_snapshots:
        lines.append(
            f"  kept: {count_text(storage.keep_snapshots, 'EBS snapshot')} "
            "(delete with --delete-snapshots; pending ones are never deleted): "
            + ", ".join(s.snapshot_id for s in storage.keep_snapshots)
        )
    return lines


# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    ecs_cluster: str
    cluster_name: str
    controller_service: str
    region: str | None = None
    endpoint_url: str | None = None
    delete_volumes: bool = False
    delete_snapshots: bool = False
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    yes: bool = False


def region_of(ecs_cluster: str) -> str | None:
    """The region of an ECS cluster ARN (arn:partition:ecs:REGION:account:cluster/name)."""
    parts = ecs_cluster.split(":")
    return (parts[3] or None) if ecs_cluster.startswith("arn:") and len(parts) >= 6 else None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # Reported by main like every other bad input (exit 2), not by exiting from here.
        raise ValueError(f"{message}\n{self.format_usage().strip()}")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="cdktf-restate teardown",
        description=(
            "Stop the Restate tasks the controller started (Terraform does not track them), so "
            "`terraform destroy` can delete the ECS cluster, security groups and subnets. Run it "
            "before `terraform destroy` and before any change that replaces the ECS cluster."
        ),
    )
    p.add_argument(
        "--ecs-cluster", required=True, help="ECS cluster ARN or name (output ecs_cluster_arn)"
    )
    p.add_argument(
        "--cluster-name", required=True, help="the Restate cluster's name (cluster_name)"
    )
    p.add_argument(
        "--controller-service",
        required=True,
        help="the controller's ECS service name (output controller_service_name)",
    )
    p.add_argument(
        "--region", help="AWS region (default: the ECS cluster ARN's, else the AWS config's)"
    )
    p.add_argument("--endpoint-url", help="AWS endpoint URL (an emulator); default: AWS")
    p.add_argument(
        "--delete-volumes",
        action="store_true",
        help="delete this cluster's retained EBS volumes (their data is lost)",
    )
    p.add_argument(
        "--delete-snapshots",
        action="store_true",
        help="delete this cluster's EBS snapshots kept by the volume janitor",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"seconds each wait may take (default {DEFAULT_TIMEOUT_SECONDS:.0f})",
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return p


def parse_options(argv: Sequence[str]) -> Options:
    """Options from the command line; bad values raise ValueError naming the flag."""
    args = parser().parse_args(list(argv))
    if not CLUSTER_NAME_RE.match(args.cluster_name):
        raise ValueError(
            f"--cluster-name: {args.cluster_name!r} is not a valid cluster name; allowed: 1-64 of "
            "[A-Za-z0-9_-], starting with a letter or digit"
        )
    for flag, value in (
        ("--ecs-cluster", args.ecs_cluster),
        ("--controller-service", args.controller_service),
    ):
        if not value.strip():
            raise ValueError(f"{flag}: must not be empty; allowed: a name or ARN")
    if not 0 < args.timeout <= MAX_TIMEOUT_SECONDS:  # also refuses nan and inf
        raise ValueError(
            f"--timeout: {args.timeout} is not allowed; allowed: seconds > 0 and <= "
            f"{MAX_TIMEOUT_SECONDS:.0f}"
        )
    return Options(
        ecs_cluster=args.ecs_cluster,
        cluster_name=args.cluster_name,
        controller_service=args.controller_service.rsplit("/", 1)[-1],
        region=args.region or region_of(args.ecs_cluster),
        endpoint_url=args.endpoint_url,
        delete_volumes=args.delete_volumes,
        delete_snapshots=args.delete_snapshots,
        timeout=args.timeout,
        yes=args.yes,
    )


# ---------------------------------------------------------------------------------------------
# The boto3 layer
# ---------------------------------------------------------------------------------------------
def _call(action: str, resource: str, function: Callable[..., Any], **params: Any) -> Any:
    """One AWS call; any failure becomes a TeardownError naming the call and the resource."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return function(**params)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise TeardownError(
            f"{action} on {resource} failed: {details.get('Code', '?')}: "
            f"{details.get('Message', error)}"
        ) from error
    except BotoCoreError as error:
        raise TeardownError(f"{action} on {resource} failed: {error}") from error


def _ecs_tags(item: Mapping[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag.get("value", "") for tag in item.get("tags", [])}


def _ec2_tags(item: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag.get("Value", "") for tag in item.get("Tags", [])}


@dataclass
class AwsTeardown:
    options: Options
    ecs: Any
    ec2: Any
    out: TextIO = sys.stdout
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    poll_seconds: float = POLL_SECONDS
    notes: list[str] = field(default_factory=list)

    @classmethod
    def connect(cls, options: Options, out: TextIO) -> AwsTeardown:
        import boto3
        from botocore.config import Config as BotoConfig
        from botocore.exceptions import BotoCoreError

        config = BotoConfig(retries={"mode": "standard", "max_attempts": 5})
        try:
            session = boto3.Session(region_name=options.region)
            clients = {
                name: session.client(name, endpoint_url=options.endpoint_url, config=config)
                for name in ("ecs", "ec2")
            }
        except BotoCoreError as error:
            raise TeardownError(f"cannot create AWS clients: {error} (pass --region?)") from error
        return cls(options, clients["ecs"], clients["ec2"], out)

    @property
    def cluster(self) -> str:
        return self.options.ecs_cluster

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- reading ------------------------------------------------------------------------------
    def ecs_cluster_found(self) -> bool:
        response = _call(
            "ecs:DescribeClusters",
            f"ECS cluster {self.cluster}",
            self.ecs.describe_clusters,
            clusters=[self.cluster],
        )
        return any(c.get("status") != "INACTIVE" for c in response.get("clusters", []))

    def service(self) -> ControllerService | None:
        name = self.options.controller_service
        response = _call(
            "ecs:DescribeServices",
            f"service {name} in {self.cluster}",
            self.ecs.describe_services,
            cluster=self.cluster,
            services=[name],
            include=["TAGS"],
        )
        for item in response.get("services", []):
            tags = {tag.get("key"): tag.get("value") for tag in item.get("tags", [])}
            return ControllerService(
                name=item.get("serviceName", name),
                status=item.get("status", ""),
                desired_count=int(item.get("desiredCount", 0)),
                running_count=int(item.get("runningCount", 0)),
                pending_count=int(item.get("pendingCount", 0)),
                restate_cluster=tags.get(TAG_CLUSTER),
            )
        return None

    def list_arns(self, **filters: str) -> list[str]:
        described = ", ".join(f"{key}={value}" for key, value in filters.items()) or "all"
        arns: list[str] = []
        paginator = self.ecs.get_paginator("list_tasks")
        pages = _call(
            "ecs:ListTasks",
            f"{self.cluster} ({described})",
            lambda: list(paginator.paginate(cluster=self.cluster, **filters)),
        )
        for page in pages:
            arns.extend(page.get("taskArns", []))
        return arns

    def describe(self, arns: Iterable[str]) -> list[EcsTask]:
        wanted = list(dict.fromkeys(arns))
        tasks: list[EcsTask] = []
        for start in range(0, len(wanted), DESCRIBE_BATCH):
            batch = wanted[start : start + DESCRIBE_BATCH]
            response = _call(
                "ecs:DescribeTasks",
                f"{len(batch)} task(s) in {self.cluster}",
                self.ecs.describe_tasks,
                cluster=self.cluster,
                tasks=batch,
                include=["TAGS"],
            )
            tasks.extend(
                EcsTask(
                    arn=item["taskArn"],
                    last_status=item.get("lastStatus", ""),
                    desired_status=item.get("desiredStatus", ""),
                    group=item.get("group", ""),
                    tags=_ecs_tags(item),
                )
                for item in response.get("tasks", [])
            )
        return tasks

    def controller_tasks(self) -> list[EcsTask]:
        name = self.options.controller_service
        arns = [
            *self.list_arns(serviceName=name, desiredStatus="RUNNING"),
            *self.list_arns(serviceName=name, desiredStatus="STOPPED"),
        ]
        return service_tasks_not_stopped(self.describe(arns), name)

    def stateful_tasks(self) -> list[EcsTask]:
        # Running: by the controller's startedBy (ECS takes it only as the sole filter). Stopped
        # but not yet STOPPED: the whole cluster's desired-STOPPED list. Tags then decide.
        arns = [
            *self.list_arns(startedBy=started_by(self.options.cluster_name)),
            *self.list_arns(desiredStatus="STOPPED"),
        ]
        return [t for t in self.describe(arns) if is_ours(t.tags, self.options.cluster_name)]

    def storage(self) -> StoragePlan:
        name = self.options.cluster_name
        tag_filter = [{"Name": f"tag:{TAG_CLUSTER}", "Values": [name]}]
        volumes = _call(
            "ec2:DescribeVolumes",
            f"volumes tagged {TAG_CLUSTER}={name}",
            lambda: [
                StoredVolume(v["VolumeId"], v.get("State", ""), int(v.get("Size", 0)), _ec2_tags(v))
                for page in self.ec2.get_paginator("describe_volumes").paginate(Filters=tag_filter)
                for v in page.get("Volumes", [])
            ],
        )
        snapshots = _call(
            "ec2:DescribeSnapshots",
            f"snapshots tagged {TAG_CLUSTER}={name}",
            lambda: [
                StoredSnapshot(
                    s["SnapshotId"], s.get("State", ""), int(s.get("VolumeSize", 0)), _ec2_tags(s)
                )
                for page in self.ec2.get_paginator("describe_snapshots").paginate(
                    OwnerIds=["self"], Filters=tag_filter
                )
                for s in page.get("Snapshots", [])
            ],
        )
        return plan_storage(
            volumes,
            snapshots,
            cluster_name=name,
            delete_volumes=self.options.delete_volumes,
            delete_snapshots=self.options.delete_snapshots,
        )

    def observe(self) -> Observed:
        found = self.ecs_cluster_found()
        service = self.service() if found else None
        name = self.options.cluster_name
        if service is not None and service.restate_cluster not in (None, name):
            # A mistyped --cluster-name would stop this controller and none of its tasks.
            raise TeardownError(
                f"controller service {service.name} belongs to Restate cluster "
                f"{service.restate_cluster!r} (its {TAG_CLUSTER} tag), not {name!r}: check "
                "--cluster-name (the cluster_name output)"
            )
        live = service_is_live(service)
        return Observed(
            ecs_cluster_found=found,
            service=service,
            service_tasks=tuple(self.controller_tasks()) if found and live else (),
            tasks=tuple(self.stateful_tasks()) if found else (),
            storage=self.storage(),
        )

    # -- waiting ------------------------------------------------------------------------------
    def wait_until(self, what: str, remaining: Callable[[], list[str]]) -> None:
        """Poll `remaining` until it is empty; after the timeout, fail naming what is left."""
        deadline = self.clock() + self.options.timeout
        while True:
            left = remaining()
            if not left:
                return
            if self.clock() >= deadline:
                raise TeardownError(
                    f"timed out after {self.options.timeout:.0f} s waiting for {what}; still "
                    f"there: {', '.join(left)} (re-run the teardown, or raise --timeout)"
                )
            self.sleep(max(0.0, min(self.poll_seconds, deadline - self.clock())))

    # -- the steps ----------------------------------------------------------------------------
    def stop_controller(self, observed: Observed) -> None:
        service = observed.service
        if not service_is_live(service) or service is None:
            self.notes.append(
                f"controller service {self.options.controller_service!r} not found: step 1 skipped"
            )
            return
        # A DRAINING service is being deleted: ECS refuses updates, and stops its tasks itself.
        if service.desired_count != 0 and service.status == "ACTIVE":
            _call(
                "ecs:UpdateService",
                f"service {service.name} in {self.cluster}",
                self.ecs.update_service,
                cluster=self.cluster,
                service=service.name,
                desiredCount=0,
            )
            self.say(
                f"controller service {service.name}: desiredCount {service.desired_count} -> 0"
            )

        def still_running() -> list[str]:
            current = self.service()
            tasks = [task.arn for task in self.controller_tasks()]
            if current is not None and current.status != "INACTIVE":
                counted = current.running_count + current.pending_count
                if counted and not tasks:
                    tasks.append(f"{counted} task(s) counted by service {service.name}")
            return tasks

        self.wait_until(f"the controller service {service.name} to stop", still_running)
        self.say(f"controller service {service.name}: no tasks running")

    def stop_stateful_tasks(self) -> list[str]:
        name = self.options.cluster_name
        stopped: list[str] = []

        def stop_and_list() -> list[str]:
            # Stopped on every look, not only the first: ListTasks may show a task the
            # controller started just before it stopped only a while later.
            tasks = self.stateful_tasks()
            for task in tasks_to_stop(tasks, name):
                if task.arn in stopped:
                    continue
                _call(
                    "ecs:StopTask",
                    f"task {task.arn}",
                    self.ecs.stop_task,
                    cluster=self.cluster,
                    task=task.arn,
                    reason=STOP_REASON,
                )
                stopped.append(task.arn)
                self.say(f"stopping {task.arn}")
            return [f"{t.arn} ({t.last_status})" for t in tasks_not_stopped(tasks, name)]

        self.wait_until(f"the stateful tasks of {name} to stop", stop_and_list)
        return stopped

    def clean_storage(self) -> StoragePlan:
        """Deletes what the options allow (after attached volumes detach); returns the last plan."""
        if self.options.delete_volumes:
            self.wait_until(
                "this cluster's EBS volumes to detach",
                lambda: [f"{v.volume_id} ({v.state})" for v in self.storage().busy_volumes],
            )
        plan = self.storage()
        for volume in plan.delete_volumes:
            _call(
                "ec2:DeleteVolume",
                f"volume {volume.volume_id}",
                self.ec2.delete_volume,
                VolumeId=volume.volume_id,
            )
            self.say(f"deleted volume {volume.volume_id} ({volume.size_gib} GiB)")
        for snapshot in plan.delete_snapshots:
            _call(
                "ec2:DeleteSnapshot",
                f"snapshot {snapshot.snapshot_id}",
                self.ec2.delete_snapshot,
                SnapshotId=snapshot.snapshot_id,
            )
            self.say(f"deleted snapshot {snapshot.snapshot_id} ({snapshot.size_gib} GiB)")
        return plan

    def run(self, observed: Observed) -> None:
        if observed.ecs_cluster_found:
            self.stop_controller(observed)
            stopped = self.stop_stateful_tasks()
        else:
            self.notes.append(f"ECS cluster {self.cluster} not found: no tasks to stop")
            stopped = []
        plan = self.clean_storage()
        self.say("")
        self.say("Summary:")
        for note in self.notes:
            self.say(f"  {note}")
        self.say(f"  stopped {len(stopped)} stateful task(s) of {self.options.cluster_name}")
        if plan.delete_volumes:
            self.say(f"  deleted {count_text(plan.delete_volumes, 'EBS volume')}")
        if plan.delete_snapshots:
            self.say(f"  deleted {count_text(plan.delete_snapshots, 'EBS snapshot')}")
        for line in kept_lines(plan):
            self.say(line)
        self.say("  `terraform destroy` can now delete the ECS cluster and the network.")


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------
def confirm(
    lines: Sequence[str], options: Options, stdin: TextIO, out: TextIO
) -> tuple[bool, str | None]:
    """(go ahead, why not). Asks on a terminal; refuses without one unless --yes."""
    print("\n".join(lines), file=out, flush=True)
    if options.yes:
        return True, None
    if not stdin.isatty():
        return False, "refusing to act without --yes: standard input is not a terminal"
    print("Proceed? [y/N] ", end="", file=out, flush=True)
    try:
        answer = stdin.readline().strip().lower()
    except KeyboardInterrupt:
        answer = ""  # Ctrl-C at the prompt is a no
    return (answer in {"y", "yes"}), "aborted: nothing was changed"


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    try:
        options = parse_options(sys.argv[1:] if argv is None else argv)
    except ValueError as error:
        print(f"cdktf-restate teardown: {error}", file=err)
        return 2
    except SystemExit as done:  # --help
        return int(done.code or 0)
    try:
        aws = AwsTeardown.connect(options, out)
        observed = aws.observe()
        lines = describe_plan(observed, options)
        if not has_work(observed, options.cluster_name):
            print("\n".join([*lines, "Nothing to do: no task of this cluster runs."]), file=out)
            return 0
        go, why_not = confirm(lines, options, stdin, out)
        if not go:
            print(f"cdktf-restate teardown: {why_not}", file=err)
            return 1
        aws.run(observed)
    except TeardownError as error:
        print(f"cdktf-restate teardown: {error}", file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
