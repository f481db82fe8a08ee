"""The service deployer Lambda's handler against real restate-server processes.

HTTP services run on the local dev cluster; Lambda registration goes through restate-server's
own AWS SDK to a local Lambda/STS endpoint that runs the Python SDK's Lambda adapter."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    LambdaEndpoint,
    admin_get,
    aws_sdk_pointed_at,
    call_handler,
    http_greeter,
)
from greeter import HTTP_SERVICE, LAMBDA_SERVICE

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.emulator import free_ports
from cdktf_restate.lambdas import service_deployer
from cdktf_restate.lambdas.service_deployer import AdminNotReady, RegistrationError, handle

pytestmark = pytest.mark.slow  # real restate-server clusters

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:greeter"
INVOKER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-restate-invoker"


def registration(admin_url: str, deployment: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"admin_url": admin_url, "deployment": deployment, "wait_seconds": 30, **extra}


def answer_becomes(expected: Any, *call: Any, timeout: float = 15) -> Any:
    """Each ingress and worker learns of a new deployment within seconds (metadata updates),
    so the first invocations after a registration may still reach the previous one."""
    deadline = time.monotonic() + timeout
    while (answer := call_handler(*call)) != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    return answer


def deployment_ids(admin_url: str) -> set[str]:
    return {deployment["id"] for deployment in admin_get(admin_url, "/deployments")["deployments"]}


def test_http_service_lifecycle_on_the_dev_cluster(dev_cluster: local_cluster.DevCluster) -> None:
    admin, ingress = dev_cluster.admin_url, dev_cluster.ingress_urls[1]
    with http_greeter(1) as first_uri, http_greeter(2) as second_uri:
        first_input = registration(admin, {"uri": first_uri})
        first = handle({**first_input, "tf": {"action": "create", "prev_input": None}})
        assert first["created"] is True
        assert first["services"] == [HTTP_SERVICE]
        assert first["handlers"] == {HTTP_SERVICE: ["greet"]}
        assert first["id"].startswith("dp_")
        assert call_handler(ingress, HTTP_SERVICE, "greet", "ann") == "hello ann from revision 1"

        # The same registration again (a re-apply): same deployment, nothing new in Restate.
        before = deployment_ids(admin)
        again = handle({**first_input, "tf": {"action": "update", "prev_input": first_input}})
        assert (again["id"], again["created"]) == (first["id"], False)
        assert deployment_ids(admin) == before

        # A new revision: a new deployment serves new invocations; the old one is kept.
        second_input = registration(admin, {"uri": second_uri})
        second = handle({**second_input, "tf": {"action": "update", "prev_input": first_input}})
        assert second["created"] is True and second["id"] != first["id"]
        assert second["handlers"] == {HTTP_SERVICE: ["farewell", "greet"]}
        assert second["revisions"][HTTP_SERVICE] == first["revisions"][HTTP_SERVICE] + 1
        expected = "hello bo from revision 2"
        assert answer_becomes(expected, ingress, HTTP_SERVICE, "greet", "bo") == expected
        assert call_handler(ingress, HTTP_SERVICE, "farewell", "bo") == "bye bo"
        assert {first["id"], second["id"]} <= deployment_ids(admin)

        # Delete leaves both deployments in Restate (in-flight invocations stay pinned to them).
        deleted = handle({"tf": {"action": "delete", "prev_input": second_input}})
        assert deleted == {"action": "delete", "left_in_place": {"uri": second_uri}}
        assert {first["id"], second["id"]} <= deployment_ids(admin)


def test_lambda_version_is_registered_through_the_assumed_invoker_role(
    dev_cluster: local_cluster.DevCluster, lambda_endpoint: LambdaEndpoint
) -> None:
    admin, ingress = dev_cluster.admin_url, dev_cluster.ingress_urls[0]
    version_arn = f"{FUNCTION}:1"
    result = handle(
        registration(admin, {"arn": version_arn, "assume_role_arn": INVOKER_ROLE})
        | {"tf": {"action": "create", "prev_input": None}}
    )
    assert result["services"] == [LAMBDA_SERVICE]
    assert result["handlers"] == {LAMBDA_SERVICE: ["greet"]}
    listed = {d["id"]: d for d in admin_get(admin, "/deployments")["deployments"]}
    assert listed[result["id"]]["arn"] == version_arn
    assert listed[result["id"]]["assume_role_arn"] == INVOKER_ROLE
    # The worker invokes the pinned version with the assumed role's credentials.
    assert call_handler(ingress, LAMBDA_SERVICE, "greet", "cy") == "hello cy from revision 1"
    calls = lambda_endpoint.calls()
    assert {"call": "AssumeRole", "role_arn": INVOKER_ROLE, "auth": "test"} in calls
    invokes = [call for call in calls if call["call"] == "Invoke"]
    assert invokes and {call["function"] for call in invokes} == {version_arn}
    assert {call["auth"] for call in invokes} == {"ASIALOCALTEST"}  # the assumed credentials

    newer = handle(
        registration(admin, {"arn": f"{FUNCTION}:2", "assume_role_arn": INVOKER_ROLE})
        | {"tf": {"action": "update", "prev_input": None}}
    )
    assert newer["id"] != result["id"]
    expected = "hello cy from revision 2"
    assert answer_becomes(expected, ingress, LAMBDA_SERVICE, "greet", "cy") == expected


def test_discovery_failures_fail_with_restates_own_message(
    dev_cluster: local_cluster.DevCluster,
) -> None:
    admin = dev_cluster.admin_url
    closed_port = free_ports(1)[0]
    with pytest.raises(RegistrationError) as unreachable:
        handle(registration(admin, {"uri": f"http://127.0.0.1:{closed_port}"}))
    assert "[META0003]" in str(unreachable.value)
    assert "Connection refused" in str(unreachable.value)

    with pytest.raises(RegistrationError) as missing_version:
        handle(registration(admin, {"arn": f"{FUNCTION}:7"}))
    assert "ResourceNotFoundException" in str(missing_version.value)
    assert f"{FUNCTION}:7" in str(missing_version.value)


def test_unreachable_admin_api_fails_after_the_bounded_wait() -> None:
    closed_port = free_ports(1)[0]
    started = time.monotonic()
    with pytest.raises(AdminNotReady) as error:
        handle(
            registration(f"http://127.0.0.1:{closed_port}", {"uri": "http://127.0.0.1:1"})
            | {"wait_seconds": 2, "retry_pause_seconds": 0.5}
        )
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 10
    assert "not ready after" in str(error.value) and "Connection refused" in str(error.value)


def start_single_node(base: Path, admin_port: int, ingress_port: int, fabric_port: int) -> int:
    config = base / "restate.toml"
    config.write_text(
        'disable-telemetry = true\nnode-name = "late"\n'
        f'[admin]\nbind-address = "127.0.0.1:{admin_port}"\n'
        f'[ingress]\nbind-address = "127.0.0.1:{ingress_port}"\n'
    )
    env = {
        "RESTATE_BASE_DIR": str(base / "data"),
        "RESTATE_LISTEN_MODE": "tcp",
        "RESTATE_BIND_IP": "127.0.0.1",
        "RESTATE_BIND_PORT": str(fabric_port),
        "RESTATE_ADVERTISED_ADDRESS": f"http://127.0.0.1:{fabric_port}/",
        "RESTATE_DEFAULT_NUM_PARTITIONS": "2",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return local_cluster.spawn(
        [str(local_cluster.RESTATE_SERVER), "--no-logo", "-c", str(config)],
        env=env,
        log=base / "restate.log",
        cwd=base,
    )


def test_waits_for_an_admin_api_that_comes_up_later(
    tmp_path: Path, lambda_endpoint: LambdaEndpoint
) -> None:
    """The deployer starts before the server (a cluster still being created) and registers once
    the admin API answers."""
    admin_port, ingress_port, fabric_port = free_ports(3)
    outcome: dict[str, Any] = {}

    def deploy() -> None:
        try:
            outcome["result"] = handle(
                registration(f"http://127.0.0.1:{admin_port}", {"uri": uri})
                | {"wait_seconds": 60, "retry_pause_seconds": 0.5}
            )
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error

    with http_greeter(1) as uri:
        worker = threading.Thread(target=deploy)
        worker.start()
        time.sleep(3)  # several refused attempts before the server exists
        with aws_sdk_pointed_at(lambda_endpoint):
            pid = start_single_node(tmp_path, admin_port, ingress_port, fabric_port)
        try:
            worker.join(timeout=90)
            assert "error" not in outcome, outcome.get("error")
            result = outcome["result"]
            assert result["services"] == [HTTP_SERVICE] and result["admin_wait_attempts"] > 3
            answer = call_handler(f"http://127.0.0.1:{ingress_port}", HTTP_SERVICE, "greet", "d")
            assert answer == "hello d from revision 1"
        finally:
            local_cluster.stop_pid(pid)


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"admin_url": "ftp://x", "deployment": {"uri": "http://a:1"}}, "admin_url"),
        ({"admin_url": "http://x", "deployment": {}}, "exactly one of"),
        ({"admin_url": "http://x", "deployment": {"uri": "u", "arn": "a"}}, "exactly one of"),
        ({"admin_url": "http://x", "deployment": {"uri": "u", "x": "1"}}, "unknown keys"),
        ({"admin_url": "http://x", "deployment": {"uri": "u"}, "tf": {"action": "read"}}, "read"),
    ],
)
def test_malformed_input_is_refused_before_any_call(event: dict[str, Any], problem: str) -> None:
    with pytest.raises(service_deployer.MalformedInput, match=problem):
        handle(event)


def test_handler_file_needs_only_the_standard_library() -> None:
    source = Path(service_deployer.__file__)
    check = (
        "import sys, runpy; sys.modules['boto3'] = None; "
        f"runpy.run_path({str(source)!r}, run_name='service_deployer')"
    )
    subprocess.run(["python3", "-I", "-c", check], check=True)
