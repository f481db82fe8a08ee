"""RestatectlClient against a real small cluster, driving the drain recipe by hand."""

from __future__ import annotations

import os
import signal
import time

import pytest
from restate_controller.model import PermanentError, RestateRefused, TemporaryError
from restate_controller.restate_client import (
    RestatectlClient,
    parse_list_servers,
    parse_nodeset,
    parse_snapshot_output,
)

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.local_cluster import DevCluster, wait_until

TRIM_RETRY_SECONDS = 5.0  # the controller's default (RESTATE_CONTROLLER_TRIM_RETRY_SECONDS)


@pytest.fixture(scope="module")
def three_nodes(bare_cluster: DevCluster) -> dict[str, str]:
    """One stateful task per AZ, started through the backend; az -> task id."""
    backend = bare_cluster.backend()
    tasks = {az: backend.run_task(az, {}).task_id for az in local_cluster.AZS}
    local_cluster.wait_for_serving_nodes(bare_cluster, 3, timeout=60)
    return tasks


def node_id_of(client: RestatectlClient, name: str) -> int:
    node = client.observe().node_by_name(name)
    assert node is not None, f"{name} not in the nodes configuration"
    return node.node_id


def wait_until_drained(client: RestatectlClient, node_id: int) -> None:
    def drained() -> bool:
        view = client.observe()
        return view.partition_replicas.get(node_id, 0) == 0 and node_id not in view.nodeset_members

    wait_until(
        drained, timeout=90, what=f"N{node_id} to hold no partitions or nodesets", interval=0.5
    )


def replace_by_hand(cluster: DevCluster, old_task: str, az: str, *, dead: bool) -> None:
    """The controller's safe order, one call at a time."""
    client, backend = cluster.client(), cluster.backend()
    old_id = node_id_of(client, old_task)
    new_task = backend.run_task(az, {}).task_id
    wait_until(
        lambda: (node := client.observe().node_by_name(new_task)) is not None and node.serving,
        timeout=60,
        what="the replacement to serve",
    )

    def states() -> tuple[str, str] | None:
        node = client.observe().node_by_id(old_id)
        return (node.storage_state, node.worker_state) if node else None

    if dead:
        client.disable_dead_node(old_id)
        client.disable_dead_node(old_id)  # idempotent
        # The nodes table is each node's view of the nodes configuration: it converges quickly.
        wait_until(lambda: states() == ("gone", "disabled"), timeout=15, what="forced states")
    else:
        client.mark_draining(old_id)
        client.mark_draining(old_id)  # idempotent: restatectl itself refuses a repeated change
        wait_until(lambda: states() == ("read-only", "draining"), timeout=15, what="drain states")
        with pytest.raises(RestateRefused, match="not safe|cannot"):
            client.remove_node(old_id)  # still in nodesets: Restate must refuse
    wait_until_drained(client, old_id)
    assert client.reconfigure_logs_off(old_id) == []  # no tail segment names the node any more
    points = client.snapshot_and_trim_points()
    assert sorted(points) == list(range(local_cluster.NUM_PARTITIONS))
    # As the controller does (trim_retry_seconds): a trim can land before the last sealed
    # segment that names the node is trimmable; snapshot and trim again until it is gone.
    last_trim = time.monotonic()

    def no_loglets_left() -> bool:
        nonlocal last_trim
        if client.observe().loglet_servers.get(old_id, (0, 0)) == (0, 0):
            return True
        if time.monotonic() - last_trim >= TRIM_RETRY_SECONDS:
            client.snapshot_and_trim()
            last_trim = time.monotonic()
        return False

    wait_until(no_loglets_left, timeout=60, what="no loglets left on the old node")
    backend.stop_task(old_task, "replaced by hand")
    wait_until(
        lambda: next(t for t in backend.list_tasks() if t.task_id == old_task).is_stopped,
        timeout=30,
        what="the old task to stop",
    )
    client.remove_node(old_id)
    wait_until(
        lambda: client.observe().node_by_id(old_id) is None,
        timeout=15,
        what="the old node to leave the nodes configuration",
    )


@pytest.mark.slow
def test_observe_reports_every_stateful_node(bare_cluster: DevCluster, three_nodes):
    view = bare_cluster.client().observe()
    assert view.provisioned
    by_name = {node.name: node for node in view.nodes}
    assert set(by_name) == set(three_nodes.values())  # stateless nodes are not listed
    for az, task_id in three_nodes.items():
        node = by_name[task_id]
        assert node.location == f"local.{az}"
        assert node.alive and node.storage_state == "read-write" and node.worker_state == "active"
    ids = {node.node_id for node in view.nodes}
    assert view.nodeset_members == ids
    assert set(view.loglet_servers) == ids
    assert all(active > 0 for _, active in view.loglet_servers.values())
    # {zone: 2}: the scheduler grows every partition to two replicas shortly after the join.
    client = bare_cluster.client()
    wait_until(
        lambda: (
            sum(client.observe().partition_replicas.values()) >= 2 * local_cluster.NUM_PARTITIONS
        ),
        timeout=30,
        what="two replicas per partition",
    )


@pytest.mark.slow
def test_drain_recipe_replaces_a_live_node(bare_cluster: DevCluster, three_nodes):
    replace_by_hand(bare_cluster, three_nodes["a"], "a", dead=False)


@pytest.mark.slow
def test_dead_node_path_removes_a_killed_node(bare_cluster: DevCluster, three_nodes):
    backend = bare_cluster.backend()
    pid = backend.pid_of(three_nodes["b"])
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    client = bare_cluster.client()
    wait_until(
        lambda: not client.observe().node_by_name(three_nodes["b"]).alive,
        timeout=30,
        what="the killed node to be seen dead",
    )
    replace_by_hand(bare_cluster, three_nodes["b"], "b", dead=True)


@pytest.mark.slow
def test_a_query_for_an_unknown_column_is_a_permanent_error(bare_cluster: DevCluster, three_nodes):
    with pytest.raises(PermanentError, match="No field named bogus"):
        bare_cluster.client().sql("select bogus from nodes")


@pytest.mark.slow
def test_unreachable_cluster_is_a_temporary_error():
    from cdktf_restate.devtools.emulator import free_port

    client = RestatectlClient(
        f"http://127.0.0.1:{free_port()}/", restatectl_path=str(local_cluster.RESTATECTL)
    )
    with pytest.raises(TemporaryError, match="restatectl sql"):
        client.observe()


def test_missing_binary_is_a_permanent_error():
    client = RestatectlClient("http://127.0.0.1:1/", restatectl_path="/nonexistent/restatectl")
    with pytest.raises(
        PermanentError, match="restatectl binary not found at '/nonexistent/restatectl'"
    ):
        client.observe()


def test_parsers_read_restatectl_output():
    table = (
        "Node configuration v18\nLog chain v9\n"
        " NODE  GEN   STORAGE-STATE  HISTORICAL-LOGLETS  ACTIVE-LOGLETS \n"
        " N3    N3:1  read-write     8                   4              \n"
        " N4    N4:1  read-only      0                   0              \n"
    )
    assert parse_list_servers(table) == {3: (8, 4), 4: (0, 0)}
    assert parse_nodeset("[N4, N5, N3]") == {3, 4, 5}
    assert parse_nodeset("[]") == frozenset()
    output = (
        "Snapshot created for partition 0: snap_15xJmk (log 0 @ LSN >= 3)\n"
        "Snapshot created for partition 1: snap_14GhkP (log 1 @ LSN >= 14)\n"
    )
    assert parse_snapshot_output(output) == {0: 3, 1: 14}


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_list_servers, "garbage", "no 'NODE ...' header"),
        (
            parse_list_servers,
            " NODE  GEN  STATE\n N1 N1:1 x\n",
            "expected columns HISTORICAL-LOGLETS",
        ),
        (
            parse_list_servers,
            " NODE GEN STORAGE-STATE HISTORICAL-LOGLETS ACTIVE-LOGLETS\n N1 N1:1 rw many 2\n",
            "cannot parse loglet counts",
        ),
        (parse_nodeset, "N1, N2", "expected '\\[N1, N2, ...\\]'"),
        (parse_nodeset, "[N1, X2]", "expected a node id like 'N3', got 'X2'"),
    ],
)
def test_parse_errors_name_what_was_expected(parse, text, message):
    with pytest.raises(PermanentError, match=message):
        parse(text)


@pytest.mark.slow
def test_provision_of_a_provisioned_cluster_reports_done(bare_cluster: DevCluster, three_nodes):
    # The stateless nodes auto-provisioned the cluster; `provision` exits 0 either way, so the
    # client reads the output.
    client = bare_cluster.client()
    assert client.provision(
        log_replication="{zone: 2}", partition_replication="{zone: 2}", num_partitions=4
    )


@pytest.mark.slow
def test_admin_api_health_and_deployment_registration(bare_cluster: DevCluster, three_nodes):
    import subprocess
    import sys
    import time
    from pathlib import Path

    from cdktf_restate.devtools.emulator import free_port

    client = bare_cluster.client()
    assert client.admin_health()
    port = free_port()
    service = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("counter_service.py")), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = client.register_deployment(f"http://127.0.0.1:{port}")
                break
            except (TemporaryError, PermanentError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        assert [s["name"] for s in answer["services"]] == ["Counter"]
        # Registration is idempotent since 1.6.
        assert client.register_deployment(f"http://127.0.0.1:{port}")["id"] == answer["id"]
    finally:
        service.kill()
        service.wait()
    unreachable = RestatectlClient(
        "http://127.0.0.1:1/", admin_url=f"http://127.0.0.1:{free_port()}"
    )
    assert not unreachable.admin_health()


class FakeRestatectl:
    """Canned restatectl answers by command prefix; records every call (argv after the binary)."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str], **_: object):
        import subprocess

        argv = command[1 : command.index("--address")]
        self.calls.append(argv)
        key = next((k for k in self.answers if " ".join(argv).startswith(k)), None)
        return subprocess.CompletedProcess(command, 0, self.answers.get(key, "") if key else "", "")


def test_reconfigure_moves_only_logs_naming_the_node_onto_alive_read_write_servers():
    nodes = [
        {
            "plain_node_id": f"N{i}",
            "name": f"t{i}",
            "location": f"local.{az}",
            "state": state,
            "storage_state": storage,
            "worker_state": "active",
            "has_worker_role": True,
            "has_log_server_role": True,
        }
        for i, az, state, storage in [
            (3, "a", "alive", "read-only"),  # the node being drained
            (4, "b", "alive", "read-write"),
            (5, "c", "alive", "read-write"),
            (6, "a", "alive", "read-write"),  # its replacement
            (7, "b", "dead", "read-write"),  # dead: not a candidate
        ]
    ]
    tails = [
        {"log_id": 0, "nodeset": "[N3, N4, N5]", "sequencer": "N4:1", "replication": "{zone: 2}"},
        {"log_id": 1, "nodeset": "[N4, N5, N6]", "sequencer": "N3:1", "replication": "{zone: 2}"},
        {"log_id": 2, "nodeset": "[N4, N5, N6]", "sequencer": "N5:1", "replication": "{zone: 2}"},
    ]
    import json

    fake = FakeRestatectl(
        {
            "sql --json select plain_node_id": json.dumps(nodes),
            "sql --json select log_id": json.dumps(tails),
        }
    )
    client = RestatectlClient("http://x:5122/", restatectl_path="restatectl", runner=fake)
    assert client.reconfigure_logs_off(3) == [0, 1]  # log 2 does not involve N3
    reconfigures = [call for call in fake.calls if call[:2] == ["logs", "reconfigure"]]
    assert reconfigures == [
        [
            "logs",
            "reconfigure",
            "--log-id",
            "0",
            "--provider",
            "replicated",
            "--replication",
            "{zone: 2}",
            "--nodeset",
            "N4,N5,N6",
            "--sequencer",
            "N4",
        ],
        # N3 sequenced log 1: a candidate takes over
        [
            "logs",
            "reconfigure",
            "--log-id",
            "1",
            "--provider",
            "replicated",
            "--replication",
            "{zone: 2}",
            "--nodeset",
            "N4,N5,N6",
            "--sequencer",
            "N5",
        ],
    ]
