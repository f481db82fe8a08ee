"""`restate-controller`: load the configuration, build the backend and Restate client, run the loop."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from types import FrameType

from restate_controller.backends.base import TaskBackend
from restate_controller.config import Config, ConfigError, load_config
from restate_controller.health import HealthServer
from restate_controller.loop import Housekeeping, JsonLog, Reconciler, StatusBoard
from restate_controller.model import ControllerError, RestateOps

EXIT_CONFIG = 2
EXIT_SETUP = 3


def build_backend(config: Config, env: Mapping[str, str]) -> TaskBackend:
    if config.backend == "ecs":
        from restate_controller.backends.ecs import EcsBackend

        return EcsBackend.from_config(config)
    # Imported lazily: the local backend (processes on this machine) is for tests and `dev`.
    from restate_controller.backends.local import LocalBackend

    return LocalBackend.from_environment(
        env, cluster_name=config.cluster_name, desired_task_definition=config.task_definition
    )


def build_ops(config: Config) -> RestateOps:
    from restate_controller.restate_client import RestatectlClient

    return RestatectlClient(
        config.restatectl_address,
        restatectl_path=config.restatectl_path,
        admin_url=config.admin_url,
    )


def build_housekeeping(config: Config) -> Housekeeping | None:
    if config.backend != "ecs" or config.ebs_volume is None:
        return None
    from restate_controller.volumes import VolumeJanitor

    return VolumeJanitor.from_config(config)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="restate-controller",
        description="Keeps Restate's stateful nodes running and replaces them without losing data. "
        "Configured by RESTATE_CONTROLLER_* environment variables (docs/controller-config.md).",
    )
    parser.add_argument("--once", action="store_true", help="run a single reconcile pass and exit")
    parser.add_argument(
        "--check-config", action="store_true", help="validate the configuration and exit"
    )
    args = parser.parse_args(argv)
    env = dict(os.environ)
    log = JsonLog()

    # Validation comes first: nothing is built or touched with a bad configuration.
    try:
        config = load_config(env)
    except ConfigError as error:
        print(f"restate-controller: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if args.check_config:
        print(f"restate-controller: configuration ok (backend {config.backend})")
        return 0
    try:
        backend = build_backend(config, env)
        ops = build_ops(config)
        housekeeping = build_housekeeping(config)
    except ControllerError as error:
        print(f"restate-controller: cannot start: {error}", file=sys.stderr)
        return EXIT_SETUP

    board = StatusBoard(
        unhealthy_after_seconds=max(60.0, 6 * config.reconcile_interval_seconds),
        stuck_after_seconds=max(300.0, 10 * config.reconcile_interval_seconds),
    )
    reconciler = Reconciler(
        config.desired_spec(),
        backend,
        ops,
        interval_seconds=config.reconcile_interval_seconds,
        log=log,
        board=board,
        housekeeping=housekeeping,
    )
    log(
        "started",
        backend=config.backend,
        cluster=config.cluster_name,
        azs=list(config.subnets_by_az),
        nodes_per_az=config.nodes_per_az,
        task_definition=config.task_definition,
        budget={"unit": config.budget.unit, "limit": config.budget.limit},
    )
    if args.once:
        status = reconciler.run_once()
        return 0 if status.phase in ("idle", "acting", "waiting") else 1

    # On ECS the health check runs inside the task's network namespace; locally stay on loopback.
    host = "0.0.0.0" if config.backend == "ecs" else "127.0.0.1"  # noqa: S104
    health = HealthServer(board, config.health_port, host=host).start()

    def stop(signum: int, _frame: FrameType | None) -> None:
        log("stopping", signal=signal.Signals(signum).name)
        reconciler.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        reconciler.run_forever()
    finally:
        health.stop()
    log("stopped", halted=reconciler.halted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
