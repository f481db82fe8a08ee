"""`cdktf-restate teardown` against a real moto server: one ECS cluster holds the controller
service, stateful tasks of Restate cluster "alpha" (ours), one of cluster "beta" and one untagged
task started with alpha's startedBy; EBS volumes and snapshots are tagged for alpha and beta.

moto stops a task at once on StopTask and never starts a service's tasks, so the waits finish on
the first look here; a task of the controller's service group that nobody stops shows the
timeout.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from restate_controller.backends.ecs import started_by
from restate_controller.model import MANAGED_BY, TAG_CLUSTER, TAG_MANAGED_BY
from restate_controller.volumes import TAG_VOLUME_ID

from cdktf_restate import cli
from cdktf_restate.cli import teardown
from cdktf_restate.devtools.emulator import Emulator, running_emulator

REGION = "us-east-1"
AZ = "us-east-1a"
OURS = "alpha"
OTHER = "beta"
SERVICE = "alpha-controller"


@dataclass(frozen=True)
class Network:
    emulator: Emulator
    subnet: str
    security_group: str
    stateful_td: str
    controller_td: str

    def client(self, service: str) -> Any:
        return self.emulator.client(service, REGION)


@pytest.fixture(scope="module")
def network() -> Iterator[Network]:
    with running_emulator() as emulator:
        emulator.set_ecs_task_transitions_manual()
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        ec2 = session.client("ec2", endpoint_url=emulator.url)
        vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        # moto's awsvpc tasks need DNS hostnames for their ENI's private DNS name.
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.0.0/24", AvailabilityZone=AZ)
        group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)
        ecs = session.client("ecs", endpoint_url=emulator.url)

        def register(family: str) -> str:
            return ecs.register_task_definition(
                family=family,
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="256",
                memory="512",
                # moto's run_task needs container-level memory.
                containerDefinitions=[{"name": "main", "image": "busybox", "memory": 512}],
            )["taskDefinition"]["taskDefinitionArn"]

        yield Network(
            emulator=emulator,
            subnet=subnet["Subnet"]["SubnetId"],
            security_group=group["GroupId"],
            stateful_td=register(f"{OURS}-stateful"),
            controller_td=register(f"{OURS}-controller"),
        )


@dataclass(frozen=True)
class World:
    ecs_cluster_arn: str
    ours: tuple[str, ...]
    beta: str
    untagged: str
    not_managed: str
    volumes_ours: tuple[str, ...]
    volume_beta: str
    snapshot_ours: str
    snapshot_beta: str


def identity(cluster: str) -> dict[str, str]:
    return {TAG_CLUSTER: cluster, TAG_MANAGED_BY: MANAGED_BY}


def run_task(
    network: Network,
    cluster_arn: str,
    *,
    starter: str,
    tags: dict[str, str],
    task_definition: str | None = None,
    group: str | None = None,
) -> str:
    params: dict[str, Any] = {
        "cluster": cluster_arn,
        "taskDefinition": task_definition or network.stateful_td,
        "launchType": "FARGATE",
        "startedBy": starter,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": [network.subnet],
                "securityGroups": [network.security_group],
            }
        },
        "tags": [{"key": key, "value": value} for key, value in tags.items()],
    }
    if group:
        params["group"] = group
    (task,) = network.client("ecs").run_task(**params)["tasks"]
    return str(task["taskArn"])


def tagged_volume(network: Network, cluster: str, size: int) -> str:
    tags = [{"Key": key, "Value": value} for key, value in identity(cluster).items()]
    return str(
        network.client("ec2").create_volume(
            AvailabilityZone=AZ,
            Size=size,
            VolumeType="gp3",
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )["VolumeId"]
    )


def janitor_snapshot(network: Network, cluster: str, volume_id: str) -> str:
    """A snapshot as the controller's volume janitor tags it."""
    tags = {**identity(cluster), TAG_VOLUME_ID: volume_id}
    return str(
        network.client("ec2").create_snapshot(
            VolumeId=volume_id,
            TagSpecifications=[
                {
                    "ResourceType": "snapshot",
                    "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
                }
            ],
        )["SnapshotId"]
    )


def build_world(network: Network, *, with_service: bool = True) -> World:
    ecs = network.client("ecs")
    cluster_arn = ecs.create_cluster(clusterName=f"restate-{uuid.uuid4().hex[:8]}")["cluster"][
        "clusterArn"
    ]
    if with_service:
        ecs.create_service(
            cluster=cluster_arn,
            serviceName=SERVICE,
            taskDefinition=network.controller_td,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": [network.subnet],
                    "securityGroups": [network.security_group],
                }
            },
            tags=[{"key": TAG_CLUSTER, "value": OURS}],  # as the construct tags it
        )
    ours = tuple(
        run_task(network, cluster_arn, starter=started_by(OURS), tags=identity(OURS))
        for _ in range(2)
    )
    beta = run_task(network, cluster_arn, starter=started_by(OTHER), tags=identity(OTHER))
    # Listed with alpha's startedBy, but its tags do not say it is alpha's: left alone.
    untagged = run_task(network, cluster_arn, starter=started_by(OURS), tags={})
    # alpha's name but not the controller's managed-by tag: not the controller's, left alone.
    not_managed = run_task(network, cluster_arn, starter=started_by(OURS), tags={TAG_CLUSTER: OURS})
    volumes_ours = (tagged_volume(network, OURS, 20), tagged_volume(network, OURS, 40))
    volume_beta = tagged_volume(network, OTHER, 30)
    retired = tagged_volume(network, OURS, 8)
    snapshot_ours = janitor_snapshot(network, OURS, retired)
    network.client("ec2").delete_volume(VolumeId=retired)  # the janitor deletes it after
    return World(
        ecs_cluster_arn=cluster_arn,
        ours=ours,
        beta=beta,
        untagged=untagged,
        not_managed=not_managed,
        volumes_ours=volumes_ours,
        volume_beta=volume_beta,
        snapshot_ours=snapshot_ours,
        snapshot_beta=janitor_snapshot(network, OTHER, volume_beta),
    )


def args_for(network: Network, world: World, *extra: str) -> list[str]:
    return [
        "--ecs-cluster",
        world.ecs_cluster_arn,
        "--cluster-name",
        OURS,
        "--controller-service",
        SERVICE,
        "--endpoint-url",
        network.emulator.url,
        *extra,
    ]


def run_teardown(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = teardown.main(argv, stdin=io.StringIO(stdin), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def task_states(network: Network, world: World) -> dict[str, tuple[str, str]]:
    arns = [*world.ours, world.beta, world.untagged, world.not_managed]
    tasks = network.client("ecs").describe_tasks(cluster=world.ecs_cluster_arn, tasks=arns)
    return {t["taskArn"]: (t["lastStatus"], t.get("stoppedReason", "")) for t in tasks["tasks"]}


def desired_count(network: Network, world: World) -> int:
    services = network.client("ecs").describe_services(
        cluster=world.ecs_cluster_arn, services=[SERVICE]
    )["services"]
    return int(services[0]["desiredCount"])


def volume_ids(network: Network) -> set[str]:
    return {v["VolumeId"] for v in network.client("ec2").describe_volumes()["Volumes"]}


def snapshot_ids(network: Network) -> set[str]:
    snapshots = network.client("ec2").describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": f"tag:{TAG_CLUSTER}", "Values": [OURS, OTHER]}]
    )["Snapshots"]
    return {s["SnapshotId"] for s in snapshots}


def test_teardown_stops_only_this_clusters_tasks_and_keeps_storage_unless_asked(
    network: Network,
) -> None:
    world = build_world(network)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    env.pop("AWS_DEFAULT_REGION", None)
    # As a platform engineer runs it: the installed command, region taken from the cluster ARN.
    done = subprocess.run(
        [sys.executable, "-m", "cdktf_restate.cli", "teardown", *args_for(network, world, "--yes")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert desired_count(network, world) == 0
    states = task_states(network, world)
    for arn in world.ours:
        assert states[arn] == ("STOPPED", "cdktf-restate teardown")
        assert f"stopping {arn}" in done.stdout
    assert states[world.beta][0] == "RUNNING"
    assert states[world.untagged][0] == "RUNNING"
    assert states[world.not_managed][0] == "RUNNING"
    for foreign in (world.beta, world.untagged, world.not_managed):
        assert foreign not in done.stdout
    assert "stopped 2 stateful task(s) of alpha" in done.stdout
    # Without --delete-volumes nothing is deleted, and what is left is listed with its size.
    assert {*world.volumes_ours, world.volume_beta} <= volume_ids(network)
    assert {world.snapshot_ours, world.snapshot_beta} <= snapshot_ids(network)
    assert "kept: 2 EBS volumes (60 GiB) (delete with --delete-volumes)" in done.stdout
    assert "kept: 1 EBS snapshot (8 GiB)" in done.stdout
    assert world.volume_beta not in done.stdout and world.snapshot_beta not in done.stdout

    # A re-run changes nothing and needs no confirmation.
    code, out, err = run_teardown(args_for(network, world))
    assert (code, err) == (0, ""), err
    assert "Nothing to do" in out and "stop 0 stateful task(s)" in out
    assert task_states(network, world) == states

    # Volumes only with --delete-volumes; snapshots only with --delete-snapshots; beta's stay.
    code, out, err = run_teardown(args_for(network, world, "--delete-volumes", "--yes"))
    assert code == 0, err
    remaining = volume_ids(network)
    assert not set(world.volumes_ours) & remaining and world.volume_beta in remaining
    assert "deleted 2 EBS volumes (60 GiB)" in out
    assert world.snapshot_ours in snapshot_ids(network)
    assert "kept: 1 EBS snapshot (8 GiB) (delete with --delete-snapshots" in out

    code, out, err = run_teardown(args_for(network, world, "--delete-snapshots", "--yes"))
    assert code == 0, err
    assert world.snapshot_ours not in snapshot_ids(network)
    assert world.snapshot_beta in snapshot_ids(network)
    assert "deleted 1 EBS snapshot (8 GiB)" in out
    assert task_states(network, world) == states

    code, out, err = run_teardown(
        args_for(network, world, "--delete-volumes", "--delete-snapshots")
    )
    assert (code, err) == (0, "") and "Nothing to do" in out


def test_refuses_without_yes_when_stdin_is_not_a_terminal(network: Network) -> None:
    world = build_world(network)
    done = subprocess.run(
        [sys.executable, "-m", "cdktf_restate.cli", "teardown", *args_for(network, world)],
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert "refusing to act without --yes: standard input is not a terminal" in done.stderr
    # The plan is shown: the service to scale in, alpha's tasks and nothing else.
    assert f"scale controller service '{SERVICE}' from 1 to 0" in done.stdout
    assert "stop 2 stateful task(s) of this cluster" in done.stdout
    assert all(arn in done.stdout for arn in world.ours) and world.beta not in done.stdout
    assert desired_count(network, world) == 1
    assert {state for state, _ in task_states(network, world).values()} == {"RUNNING"}


def answer_on_a_terminal(argv: list[str], answer: bytes) -> tuple[int, str, str]:
    """Runs the command with a pseudo-terminal as stdin/stdout and answers its question."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cdktf_restate.cli", "teardown", *argv],
        stdin=secondary,
        stdout=secondary,
        stderr=subprocess.PIPE,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
    )
    os.close(secondary)
    shown, answered = b"", False
    try:
        while select.select([primary], [], [], 30)[0]:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the command exited and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if not answered and b"Proceed? [y/N]" in shown:
                os.write(primary, answer)
                answered = True
        code = process.wait(timeout=30)
        assert process.stderr is not None
        return code, shown.decode(), process.stderr.read().decode()
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()


def test_asks_on_a_terminal_and_acts_only_on_yes(network: Network) -> None:
    world = build_world(network)
    code, shown, err = answer_on_a_terminal(args_for(network, world), b"n\n")
    assert code == 1 and "aborted: nothing was changed" in err
    assert "Proceed? [y/N]" in shown and all(arn in shown for arn in world.ours)
    assert desired_count(network, world) == 1
    assert {state for state, _ in task_states(network, world).values()} == {"RUNNING"}

    code, shown, err = answer_on_a_terminal(args_for(network, world), b"y\n")
    assert code == 0, err
    assert desired_count(network, world) == 0
    assert all(task_states(network, world)[arn][0] == "STOPPED" for arn in world.ours)
    assert task_states(network, world)[world.beta][0] == "RUNNING"


def test_a_missing_controller_service_is_skipped(network: Network) -> None:
    world = build_world(network, with_service=False)
    code, out, err = run_teardown(args_for(network, world, "--yes"))
    assert code == 0, err
    assert f"controller service '{SERVICE}' not found: step 1 skipped" in out
    states = task_states(network, world)
    assert all(states[arn][0] == "STOPPED" for arn in world.ours)
    assert states[world.beta][0] == "RUNNING" and states[world.untagged][0] == "RUNNING"


def test_a_mistyped_cluster_name_is_refused_before_anything_changes(network: Network) -> None:
    """The controller service says whose it is: another name would stop it and none of its
    tasks, then claim the cluster can be destroyed."""
    world = build_world(network)
    argv = args_for(network, world, "--yes")
    argv[argv.index(OURS)] = "payments-typo"
    code, out, err = run_teardown(argv)
    assert code == 1
    assert f"belongs to Restate cluster '{OURS}'" in err and "not 'payments-typo'" in err
    assert desired_count(network, world) == 1
    assert {state for state, _ in task_states(network, world).values()} == {"RUNNING"}


def test_tasks_listed_late_are_stopped_too_and_deleted_counts_as_stopped() -> None:
    """ListTasks can show a task the controller started just before it stopped only on a later
    look; ECS shows DELETED after STOPPED."""
    ours = {TAG_CLUSTER: OURS, TAG_MANAGED_BY: MANAGED_BY}

    def task(arn: str, desired: str, last: str) -> teardown.EcsTask:
        return teardown.EcsTask(
            arn=arn, group="family:x", desired_status=desired, last_status=last, tags=ours
        )

    looks = iter(
        [
            [task("early", "RUNNING", "RUNNING")],
            [task("early", "STOPPED", "DEACTIVATING"), task("late", "RUNNING", "RUNNING")],
            [task("early", "STOPPED", "DELETED"), task("late", "STOPPED", "STOPPED")],
        ]
    )
    stopped: list[str] = []

    class Ecs:
        def stop_task(self, **request: str) -> dict[str, object]:
            stopped.append(request["task"])
            return {}

    options = teardown.parse_options(
        ["--ecs-cluster", "c", "--cluster-name", OURS, "--controller-service", "s", "--yes"]
    )
    aws = teardown.AwsTeardown(options, Ecs(), None, io.StringIO(), sleep=lambda _: None)
    aws.stateful_tasks = lambda: next(looks)  # type: ignore[method-assign]
    assert aws.stop_stateful_tasks() == ["early", "late"] == stopped


def test_a_controller_task_that_does_not_stop_times_out_by_name(network: Network) -> None:
    world = build_world(network)
    # moto starts no service tasks and never stops one: this one stays RUNNING.
    controller_task = run_task(
        network,
        world.ecs_cluster_arn,
        starter="ecs-svc/1",
        tags={},
        task_definition=network.controller_td,
        group=f"service:{SERVICE}",
    )
    code, out, err = run_teardown(args_for(network, world, "--yes", "--timeout", "0.5"))
    assert code == 1
    assert "timed out after" in err and f"the controller service {SERVICE} to stop" in err
    assert controller_task in err
    # Nothing of the cluster was stopped while the controller might still start tasks.
    assert {state for state, _ in task_states(network, world).values()} == {"RUNNING"}
    assert desired_count(network, world) == 0

    network.client("ecs").stop_task(cluster=world.ecs_cluster_arn, task=controller_task)
    code, out, err = run_teardown(args_for(network, world, "--yes"))
    assert code == 0, err
    assert all(task_states(network, world)[arn][0] == "STOPPED" for arn in world.ours)


def test_an_aws_error_names_the_call_and_the_resource(network: Network) -> None:
    code, _, err = run_teardown(
        [
            "--ecs-cluster",
            "arn:aws:ecs:us-east-1:123456789012:cluster/restate",
            "--cluster-name",
            OURS,
            "--controller-service",
            SERVICE,
            # Nothing listens here: the first call fails.
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--yes",
        ]
    )
    assert code == 1
    assert (
        "ecs:DescribeClusters on ECS cluster arn:aws:ecs:us-east-1:123456789012:cluster/restate failed"
        in err
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--cluster-name", "-alpha", "--cluster-name: '-alpha' is not a valid cluster name"),
        ("--timeout", "0", "--timeout: 0.0 is not allowed; allowed: seconds > 0"),
        ("--timeout", "inf", "--timeout: inf is not allowed; allowed: seconds > 0 and <= 86400"),
        ("--controller-service", " ", "--controller-service: must not be empty"),
    ],
)
def test_bad_input_is_refused_before_any_call(flag: str, value: str, message: str) -> None:
    flags = {"--ecs-cluster": "c", "--cluster-name": OURS, "--controller-service": SERVICE}
    argv = [f"{key}={given}" for key, given in {**flags, flag: value}.items()]
    # An endpoint nobody serves: reaching AWS at all would fail differently.
    code, out, err = run_teardown([*argv, "--endpoint-url", "http://127.0.0.1:9", "--yes"])
    assert (code, out) == (2, "")
    assert message in err


def test_storage_plan_deletes_only_what_is_asked_and_never_a_pending_snapshot() -> None:
    def volume(volume_id: str, state: str, cluster: str = OURS) -> teardown.StoredVolume:
        return teardown.StoredVolume(volume_id, state, 10, identity(cluster))

    def snapshot(snapshot_id: str, state: str, cluster: str = OURS) -> teardown.StoredSnapshot:
        return teardown.StoredSnapshot(snapshot_id, state, 10, identity(cluster))

    volumes = [
        volume("vol-free", "available"),
        volume("vol-attached", "in-use"),
        volume("vol-going", "deleting"),
        volume("vol-beta", "available", OTHER),
    ]
    snapshots = [snapshot("snap-done", "completed"), snapshot("snap-copying", "pending")]
    snapshots.append(snapshot("snap-beta", "completed", OTHER))

    kept = teardown.plan_storage(
        volumes, snapshots, cluster_name=OURS, delete_volumes=False, delete_snapshots=False
    )
    assert not (kept.delete_volumes or kept.busy_volumes or kept.delete_snapshots)
    assert [v.volume_id for v in kept.keep_volumes] == ["vol-free", "vol-attached"]
    assert [s.snapshot_id for s in kept.keep_snapshots] == ["snap-done", "snap-copying"]

    deleted = teardown.plan_storage(
        volumes, snapshots, cluster_name=OURS, delete_volumes=True, delete_snapshots=True
    )
    assert [v.volume_id for v in deleted.delete_volumes] == ["vol-free"]
    # Still attached to a stopping task: waited for, then deleted on the next look.
    assert [v.volume_id for v in deleted.busy_volumes] == ["vol-attached"]
    assert [s.snapshot_id for s in deleted.delete_snapshots] == ["snap-done"]
    assert [s.snapshot_id for s in deleted.keep_snapshots] == ["snap-copying"]
    assert teardown.region_of("arn:aws:ecs:eu-west-1:123456789012:cluster/x") == "eu-west-1"
    assert teardown.region_of("restate") is None


def test_cli_help_lists_teardown(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "teardown" in capsys.readouterr().out
    code, _, err = run_teardown(["--cluster-name", OURS])
    assert code == 2 and "the following arguments are required: --ecs-cluster" in err
