"""``cdktf-restate teardown``: stop what Terraform does not track, by hand.

``terraform destroy`` does this itself through the cluster's destroy-time cleanup Lambda
(docs/teardown.md); this command is the fallback when that Lambda cannot run (disabled, deleted
already, a destroy that stopped half-way) and the way to delete retained volumes later. The
steps and the boto3 layer are ``cdktf_restate.lambdas.cluster_cleanup``, shared with the Lambda.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from cdktf_restate.lambdas.cluster_cleanup import (
    BUSY_VOLUME_STATES,
    DEFAULT_TIMEOUT_SECONDS,
    DELETABLE_VOLUME_STATES,
    POLL_SECONDS,
    STOP_REASON,
    AwsTeardown,
    ControllerService,
    EcsTask,
    Observed,
    Options,
    StoragePlan,
    StoredSnapshot,
    StoredVolume,
    TeardownError,
    count_text,
    has_work,
    is_ours,
    kept_lines,
    plan_storage,
    service_is_live,
    service_tasks_not_stopped,
    tasks_not_stopped,
    tasks_to_stop,
)

__all__ = [
    "BUSY_VOLUME_STATES",
    "DEFAULT_TIMEOUT_SECONDS",
    "DELETABLE_VOLUME_STATES",
    "POLL_SECONDS",
    "STOP_REASON",
    "AwsTeardown",
    "ControllerService",
    "EcsTask",
    "Observed",
    "Options",
    "StoragePlan",
    "StoredSnapshot",
    "StoredVolume",
    "TeardownError",
    "has_work",
    "is_ours",
    "main",
    "parse_options",
    "plan_storage",
    "service_tasks_not_stopped",
]

MAX_TIMEOUT_SECONDS = 86_400.0  # every wait stays bounded
# The construct's and the module's rule for cluster_name (validation.py, variables.tf).
CLUSTER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


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
