"""`cdktf-restate dev`: a local Restate cluster driven by the real controller.

    cdktf-restate dev up      moto S3 + 2 stateless nodes + the controller, which starts 3
                              stateful nodes in 3 local "AZs"; prints the URLs
    cdktf-restate dev roll    new stateful task definition; the controller replaces every
                              stateful node, progress printed per node and phase
    cdktf-restate dev status  nodes, AZs, states and what the controller is doing
    cdktf-restate dev down    stop everything `up` started

State (pids, logs, node data) lives in `.cache/dev/` or `--state-dir`. No construct code is
imported here, so the command starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.local_cluster import DevCluster, RollWatcher

DEFAULT_STATE_DIR = Path(".cache/dev")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cdktf-restate dev", description=__doc__.split("\n\n")[0])
    state_help = f"where state, logs and node data live (default: {DEFAULT_STATE_DIR})"
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help=state_help)
    # Also after the command (`dev up --state-dir X`); SUPPRESS keeps the one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", type=Path, default=argparse.SUPPRESS, help=state_help)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", parents=[common], help="start the local cluster")
    up.add_argument("--reconcile-interval", type=float, default=1.0)
    roll = commands.add_parser(
        "roll", parents=[common], help="replace every stateful node (new task definition)"
    )
    roll.add_argument("--timeout", type=float, default=300.0)
    roll.add_argument("--no-wait", action="store_true", help="start the roll and return")
    commands.add_parser("status", parents=[common], help="show nodes and the controller's status")
    commands.add_parser("down", parents=[common], help="stop everything")
    return parser.parse_args(argv)


def cmd_up(state_dir: Path, reconcile_interval: float) -> int:
    started = time.monotonic()
    cluster = local_cluster.up(state_dir, reconcile_interval=reconcile_interval)
    print(f"local Restate cluster up in {time.monotonic() - started:.1f}s (state in {state_dir})")
    print(f"  ingress:    {', '.join(cluster.ingress_urls)}")
    print(f"  admin:      {cluster.admin_url}")
    print(f"  restatectl: -s {cluster.restatectl_address}")
    print(f"  controller: {cluster.controller_health_url} (log: {state_dir}/controller.log)")
    return cmd_status(state_dir)


def cmd_roll(state_dir: Path, timeout: float, wait: bool) -> int:
    cluster = DevCluster.load(state_dir)
    if not any(local_cluster.pid_alive(node.pid) for node in cluster.stateless):
        # After `dev down` the state file remains: a roll would restart a lone controller.
        raise FileNotFoundError(
            f"no running local cluster in {state_dir} (run `cdktf-restate dev up`)"
        )
    watcher = RollWatcher(cluster)
    watcher.poll()  # the current tasks, so only changes are printed below
    definition = local_cluster.roll(cluster)
    print(f"desired stateful task definition is now {definition}; controller restarted")
    if not wait:
        return 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in watcher.poll():
            print(line, flush=True)
        try:
            if watcher.done(definition):
                break
        except Exception as error:  # noqa: BLE001 - a failed look is retried; say why
            print(f"  (cluster not readable right now: {error})", flush=True)
        time.sleep(0.5)
    else:
        print(f"roll not finished after {timeout:.0f}s; see `dev status`", file=sys.stderr)
        return 1
    total = time.monotonic() - watcher.started
    print(f"roll finished in {total:.1f}s")
    for phase, spans in watcher.phase_times().items():
        if spans:
            print(f"  {phase:<7} " + "  ".join(f"{span:5.1f}s" for span in spans))
    return 0


def controller_status(cluster: DevCluster) -> dict[str, object]:
    try:
        with urllib.request.urlopen(cluster.controller_health_url, timeout=3) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}") or {"status": f"HTTP {error.code}"}
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as error:
        return {"status": "unreachable", "reason": str(error)}


def cmd_status(state_dir: Path) -> int:
    cluster = DevCluster.load(state_dir)
    tasks = {task.node_name: task for task in cluster.backend().list_tasks()}
    try:
        view = cluster.client().observe()
    except Exception as error:  # noqa: BLE001 - status must print whatever it can
        print(f"cluster: not readable ({error})")
        view = None
    if view is not None:
        print(f"cluster: provisioned={view.provisioned} health={view.healthy_reason or 'ok'}")
        print(
            f"  {'NODE':<5} {'NAME':<14} {'LOCATION':<9} {'ALIVE':<6} {'STORAGE':<11} {'WORKER':<9} {'PARTS':<6} TASK"
        )
        for node in view.nodes:
            task = tasks.get(node.name)
            task_text = f"{task.status} {task.phase} {task.task_definition}" if task else "-"
            print(
                f"  N{node.node_id:<4} {node.name:<14} {node.location:<9} {str(node.alive):<6} "
                f"{node.storage_state:<11} {node.worker_state:<9} "
                f"{view.partition_replicas.get(node.node_id, 0):<6} {task_text}"
            )
    for name in cluster.stateless:
        print(
            f"  stateless {name.name} ({name.az}): pid {name.pid} alive={local_cluster.pid_alive(name.pid)}"
        )
    status = controller_status(cluster)
    print(
        f"controller: {status.get('status')} phase={status.get('phase')} "
        f"desired={cluster.task_definition}\n  {status.get('reason', '')}"
    )
    return 0


def cmd_down(state_dir: Path) -> int:
    stopped = local_cluster.down(state_dir)
    print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    state_dir = args.state_dir.resolve()
    try:
        if args.command == "up":
            return cmd_up(state_dir, args.reconcile_interval)
        if args.command == "roll":
            return cmd_roll(state_dir, args.timeout, wait=not args.no_wait)
        if args.command == "status":
            return cmd_status(state_dir)
        return cmd_down(state_dir)
    except (FileNotFoundError, RuntimeError, TimeoutError) as error:
        print(f"cdktf-restate dev {args.command}: {error}", file=sys.stderr)
        return 1
