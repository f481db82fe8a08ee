"""Stopping what Terraform does not track: the controller, its stateful tasks, their volumes.

Shared by ``cdktf-restate teardown`` (the manual command) and the cluster's destroy-time cleanup
Lambda, which runs this file as its handler (``handler`` below): so it needs nothing but the
standard library and boto3 (the Lambda runtime's). In order:

1. scale the controller's ECS service to 0 and wait until its tasks are stopped (otherwise the
   controller starts new nodes for the ones stopped next);
2. stop this cluster's stateful tasks (listed as the controller lists them, kept only when their
   tags say they are this cluster's) and wait until they are STOPPED;
3. list the retained EBS volumes and snapshots, and delete them only when asked.

Planning (which task, volume, snapshot is ours and what happens to it) is pure; `AwsTeardown` is
the thin boto3 layer. Every step reads the current state first, so a re-run does nothing more.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

# The controller's own names (restate_controller.model / backends.ecs; tests/test_teardown.py
# checks they are equal). Not imported: the Lambda package is this one file.
TAG_CLUSTER = "restate:cluster"
TAG_MANAGED_BY = "restate:managed-by"
MANAGED_BY = "cdktf-restate-controller"
STOPPED_STATUS = "STOPPED"
TERMINAL_STATUSES = frozenset({STOPPED_STATUS, "DELETED"})
DESCRIBE_BATCH = 100  # DescribeTasks limit


def started_by(cluster_name: str) -> str:
    """RunTask's startedBy of the controller's tasks (how ListTasks finds them)."""
    return f"restate-controller/{cluster_name}"


STOP_REASON = "cdktf-restate teardown"
DEFAULT_TIMEOUT_SECONDS = 600.0
POLL_SECONDS = 5.0
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
# The destroy-time Lambda
# ---------------------------------------------------------------------------------------------
# The keys of the invocation's input, written by the construct (cluster/cleanup.py). The input,
# not the function's environment, carries them: Terraform sends the input it last applied with
# the delete, so the cleanup acts on exactly the cluster that state describes.
ECS_CLUSTER_KEY = "ecs_cluster"
CLUSTER_NAME_KEY = "cluster_name"
CONTROLLER_SERVICE_KEY = "controller_service"
DELETE_STORAGE_KEY = "delete_storage"
#: The function is ``<cluster name prefix>-<FUNCTION_SUFFIX>`` (how plan reviews recognise it).
FUNCTION_SUFFIX = "destroy-cleanup"
#: The aws provider's ``terraform_key``: ``{"action": create|update|delete, "prev_input": ...}``.
LIFECYCLE_KEY = "tf"
# Seconds kept back from the function's remaining time for the summary and the reply.
REPLY_MARGIN_SECONDS = 20.0


def options_from_event(event: Mapping[str, Any], timeout: float) -> Options:
    """The cleanup's options from the invocation's input. Volumes and snapshots are deleted
    only when the input says so (the construct sets it when ``snapshot_retention_days`` is 0
    or ``destroy_cleanup.delete_storage`` is true)."""
    missing = [
        key
        for key in (ECS_CLUSTER_KEY, CLUSTER_NAME_KEY, CONTROLLER_SERVICE_KEY)
        if not isinstance(event.get(key), str) or not event[key]
    ]
    if missing:
        raise TeardownError(f"the invocation's input lacks {', '.join(missing)}")
    delete_storage = event.get(DELETE_STORAGE_KEY) in (True, "true")
    return Options(
        ecs_cluster=event[ECS_CLUSTER_KEY],
        cluster_name=event[CLUSTER_NAME_KEY],
        controller_service=event[CONTROLLER_SERVICE_KEY].rsplit("/", 1)[-1],
        delete_volumes=delete_storage,
        delete_snapshots=delete_storage,
        timeout=timeout,
        yes=True,
    )


class _Tee:
    """The log lines go to CloudWatch (stdout) and into the reply."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        sys.stdout.write(text)
        self.lines.extend(line for line in text.splitlines() if line)
        return len(text)

    def flush(self) -> None:
        sys.stdout.flush()


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """``aws_lambda_invocation`` with ``lifecycle_scope = "CRUD"`` calls this on create,
    update and delete (``event["tf"]["action"]``); only delete does anything, create and
    update return at once. A failure raises, so ``terraform destroy`` stops there and says
    why, before the ECS cluster and the network go."""
    action = (event.get(LIFECYCLE_KEY) or {}).get("action", "")
    if action != "delete":
        return {"action": action, "cleaned": False}
    remaining_ms = context.get_remaining_time_in_millis() if context is not None else None
    timeout = (
        max(1.0, remaining_ms / 1000 - REPLY_MARGIN_SECONDS)
        if remaining_ms is not None
        else DEFAULT_TIMEOUT_SECONDS
    )
    options = options_from_event(event, timeout)
    tee = _Tee()
    aws = AwsTeardown.connect(options, tee)  # type: ignore[arg-type]
    aws.run(aws.observe())
    return {"action": action, "cleaned": True, "log": tee.lines}
