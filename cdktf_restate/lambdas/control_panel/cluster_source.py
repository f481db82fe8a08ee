"""Restate's view of the cluster, read with ``restatectl sql --json`` (node port 5122).

On AWS the widget runs no binary of its own: it invokes the cluster's restatectl Lambda (the
controller image, ``{"args": [...]}`` in, ``{"status", "stdout", "stderr"}`` out) through
``lambda_runner``, so its package is a few Python files that the module commits. Locally
(preview, tests) it runs the restatectl binary.

restatectl is the tool operators already trust, and the same binary the restatectl Lambda runs:
the widget shows exactly what ``restatectl nodes list`` / ``partitions list`` / ``logs list``
would. The admin REST API (9070) does not serve these tables. The four queries run side by side
(~50 ms each on loopback), each bounded by the same deadline, so one render costs one round trip.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .model import ClusterReport, Problem, Row

QUERIES = {
    "nodes": (
        "select plain_node_id, gen_node_id, name, address, location, state, storage_state,"
        " worker_state, has_admin_role, has_worker_role, has_log_server_role, has_ingress_role,"
        " has_metadata_server_role, binary_version from nodes"
    ),
    "partitions": (
        "select partition_id, log_id, leader_plain_node_id, leader_epoch, current_replica_set"
        " from partitions"
    ),
    "partition_state": (
        "select partition_id, plain_node_id, effective_mode, applied_log_lsn, durable_log_lsn,"
        " replay_status from partition_state"
    ),
    "log_segments": (
        "select log_id, segment_index, base_lsn, kind, loglet_id, sequencer, replication, nodeset"
        " from logs_tail_segments"
    ),
}

Runner = Callable[..., subprocess.CompletedProcess[str]]


class QueryFailed(Exception):
    pass


def lambda_runner(function: str, client: Any) -> Runner:
    """A ``subprocess.run`` look-alike that runs ``restatectl <args>`` in the restatectl Lambda
    ``function`` (the command's first element, the binary, is the Lambda's own)."""

    def run(
        command: Sequence[str], *, timeout: float, **_: Any
    ) -> subprocess.CompletedProcess[str]:
        try:
            response = client.invoke(
                FunctionName=function, Payload=json.dumps({"args": list(command[1:])}).encode()
            )
        except Exception as error:  # noqa: BLE001 - botocore's timeouts and client errors alike
            if "timeout" in type(error).__name__.lower():
                raise subprocess.TimeoutExpired(list(command), timeout) from None
            raise OSError(0, f"invoking {function}: {type(error).__name__}: {error}") from None
        payload = response["Payload"].read()
        answer = json.loads(payload or b"{}")
        if response.get("FunctionError") or not isinstance(answer, dict) or "status" not in answer:
            message = answer.get("errorMessage") if isinstance(answer, dict) else payload[:200]
            return subprocess.CompletedProcess(list(command), 1, "", f"{function}: {message}")
        return subprocess.CompletedProcess(
            list(command), int(answer["status"]), answer.get("stdout", ""), answer.get("stderr", "")
        )

    return run


def run_sql(
    restatectl: str, address: str, query: str, timeout: float, runner: Runner = subprocess.run
) -> list[Row]:
    """One ``restatectl sql --json`` call; QueryFailed with a one-line reason otherwise."""
    command = [
        restatectl,
        "sql",
        "--json",
        query,
        "--address",
        address,
        "--request-timeout",
        str(int(max(0.5, timeout - 0.5) * 1000)),
    ]
    try:
        completed = runner(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "NO_COLOR": "1"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise QueryFailed(f"no answer within {timeout:g}s") from None
    except OSError as error:
        raise QueryFailed(
            f"cannot run restatectl ({restatectl}): {error.strerror or error}"
        ) from None
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout or "").strip().splitlines()
        raise QueryFailed(f"exit {completed.returncode}: {lines[-1] if lines else 'no output'}")
    output = completed.stdout.strip()
    try:
        rows = json.loads(output) if output else []
    except json.JSONDecodeError:
        raise QueryFailed(f"output is not JSON: {output[:120]!r}") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise QueryFailed("output is not a list of rows")
    return rows


def node_number(value: object) -> int:
    """`N3` / `N3:1` -> 3, for ordering (restatectl sorts node ids as text: N10 < N2)."""
    text = str(value or "").split(":")[0].lstrip("N")
    return int(text) if text.isdigit() else 1 << 30


def gather_cluster(
    restatectl: str, address: str, *, timeout: float, runner: Runner = subprocess.run
) -> ClusterReport:
    """Every table at once; a failed query leaves its table None and names itself in
    ``problems`` (the other tables still render)."""
    results: dict[str, Sequence[Row] | None] = {}
    problems: list[Problem] = []
    with ThreadPoolExecutor(max_workers=len(QUERIES)) as pool:
        futures = {
            name: pool.submit(run_sql, restatectl, address, query, timeout, runner)
            for name, query in QUERIES.items()
        }
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except QueryFailed as error:
                results[name] = None
                problems.append(Problem(f"restatectl sql ({name}) at {address}", str(error)))
    nodes = results["nodes"]
    return ClusterReport(
        address=address,
        nodes=sorted(nodes, key=lambda row: node_number(row.get("plain_node_id")))
        if nodes is not None
        else None,
        partitions=_sorted(results["partitions"], "partition_id"),
        partition_state=_sorted(results["partition_state"], "partition_id", "plain_node_id"),
        log_segments=_sorted(results["log_segments"], "log_id"),
        problems=tuple(problems),
    )


def _sorted(rows: Sequence[Row] | None, key: str, node_key: str | None = None) -> list[Row] | None:
    if rows is None:
        return None

    def order(row: Row) -> tuple[int, int]:
        value = row.get(key)
        number = int(value) if isinstance(value, int | float) else 1 << 30
        return number, node_number(row.get(node_key)) if node_key else 0

    return sorted(rows, key=order)
