"""Bad configuration: the controller exits non-zero with a message naming the variable, and does
nothing to the cluster (no AWS call, no restatectl call, no admin call, no local task)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from restate_controller.config import ConfigError, load_config

CONTROLLER = Path(sys.executable).with_name("restate-controller")
ARN = "arn:aws:ecs:us-east-1:123456789012"

VALID_ECS = {
    "RESTATE_CONTROLLER_BACKEND": "ecs",
    "RESTATE_CONTROLLER_CLUSTER_NAME": "demo",
    "RESTATE_CONTROLLER_ECS_CLUSTER_ARN": f"{ARN}:cluster/demo",
    "RESTATE_CONTROLLER_TASK_DEFINITION_ARN": f"{ARN}:task-definition/demo-stateful:3",
    "RESTATE_CONTROLLER_TASK_FAMILY": "demo-stateful",
    "RESTATE_CONTROLLER_SUBNETS_BY_AZ": json.dumps(
        {
            "us-east-1a": "subnet-0aaa1111",
            "us-east-1b": "subnet-0bbb2222",
            "us-east-1c": "subnet-0ccc3333",
        }
    ),
    "RESTATE_CONTROLLER_SECURITY_GROUP_IDS": '["sg-0123abcd"]',
    "RESTATE_CONTROLLER_RESTATECTL_ADDRESS": "http://nlb.internal:5122",
    "RESTATE_CONTROLLER_ADMIN_URL": "http://nlb.internal:9070",
    "AWS_REGION": "us-east-1",
}


class Recorder:
    """An HTTP endpoint that records every request: stands in for AWS, the admin API, everything."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorder.requests.append(f"{self.command} {self.path}")
                self.send_response(500)
                self.end_headers()

            do_GET = do_POST = do_PUT = _record  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def side_effects(tmp_path: Path, recorder: Recorder) -> Iterator[dict[str, object]]:
    """Everything the controller could touch, wired to recorders."""
    marker = tmp_path / "restatectl-called"
    fake_restatectl = tmp_path / "restatectl"
    fake_restatectl.write_text(f'#!/bin/sh\necho "$@" >> {marker}\nexit 1\n')
    fake_restatectl.chmod(0o755)
    state_dir = tmp_path / "local-state"
    recorder.requests.clear()
    yield {
        "env": {
            "AWS_ENDPOINT_URL": recorder.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "RESTATE_CONTROLLER_RESTATECTL_PATH": str(fake_restatectl),
            "RESTATE_CONTROLLER_LOCAL_STATE_DIR": str(state_dir),
            "RESTATE_CONTROLLER_HEALTH_PORT": "1",  # would fail loudly if anything tried to serve
        },
        "marker": marker,
        "state_dir": state_dir,
    }
    assert recorder.requests == [], "the controller talked to AWS/admin with a bad configuration"
    assert not marker.exists(), "the controller ran restatectl with a bad configuration"
    assert not state_dir.exists() or not any(state_dir.iterdir()), (
        "the controller started local tasks"
    )


def run_controller(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RESTATE_CONTROLLER_", "AWS_"))
    }
    return subprocess.run(
        [str(CONTROLLER)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def without(name: str) -> dict[str, str]:
    return {key: value for key, value in VALID_ECS.items() if key != name}


def changed(**values: str) -> dict[str, str]:
    return {**VALID_ECS, **{f"RESTATE_CONTROLLER_{key}": value for key, value in values.items()}}


SUBPROCESS_CASES = [
    (
        "missing cluster name",
        without("RESTATE_CONTROLLER_CLUSTER_NAME"),
        "RESTATE_CONTROLLER_CLUSTER_NAME is required",
    ),
    (
        "unknown backend",
        changed(BACKEND="k8s"),
        "RESTATE_CONTROLLER_BACKEND='k8s' is invalid: allowed values are ecs, local",
    ),
    (
        "zone of another region",
        changed(
            SUBNETS_BY_AZ='{"eu-west-1a": "subnet-0aaa1111", "us-east-1b": "subnet-0bbb2222",'
            ' "us-east-1c": "subnet-0ccc3333"}'
        ),
        "zones eu-west-1a are not in AWS_REGION us-east-1",
    ),
    (
        "malformed zone name",
        changed(SUBNETS_BY_AZ='{"zone-a": "subnet-0aaa1111", "us-east-1b": "subnet-0bbb2222"}'),
        "zone 'zone-a' is not an AWS zone name",
    ),
    (
        "subnets not JSON",
        changed(SUBNETS_BY_AZ="us-east-1a=subnet-1"),
        "RESTATE_CONTROLLER_SUBNETS_BY_AZ='us-east-1a=subnet-1' is invalid: not valid JSON",
    ),
    (
        "subnets a list",
        changed(SUBNETS_BY_AZ='["subnet-0aaa1111"]'),
        "RESTATE_CONTROLLER_SUBNETS_BY_AZ=['subnet-0aaa1111'] is invalid",
    ),
    (
        "security groups not a list",
        changed(SECURITY_GROUP_IDS='"sg-0123abcd"'),
        "RESTATE_CONTROLLER_SECURITY_GROUP_IDS='sg-0123abcd' is invalid",
    ),
    (
        "security groups bad JSON",
        changed(SECURITY_GROUP_IDS="[sg-0123abcd]"),
        "RESTATE_CONTROLLER_SECURITY_GROUP_IDS='[sg-0123abcd]' is invalid: not valid JSON",
    ),
    (
        "nodes per az zero",
        changed(NODES_PER_AZ="0"),
        "RESTATE_CONTROLLER_NODES_PER_AZ='0' is invalid: expected an integer >= 1",
    ),
    (
        "replication needs more zones",
        changed(REPLICATION="{zone: 3}"),
        "needs at least 4 zones (zone replication + 1, to survive the loss of a zone) but"
        " RESTATE_CONTROLLER_SUBNETS_BY_AZ has 3",
    ),
    (
        "zone replication over as many zones as it needs",
        changed(SUBNETS_BY_AZ='{"us-east-1a": "subnet-0aaa1111", "us-east-1b": "subnet-0bbb2222"}'),
        "needs at least 3 zones (zone replication + 1",
    ),
    (
        "two subnets under one zone",
        changed(
            SUBNETS_BY_AZ='{"us-east-1a": "subnet-0aaa1111", "us-east-1a": "subnet-0bbb2222",'
            ' "us-east-1b": "subnet-0ccc3333"}'
        ),
        "is invalid: duplicate keys ['us-east-1a']",
    ),
    ("missing region on ecs", without("AWS_REGION"), "AWS_REGION is required"),
    (
        "bad EBS volume",
        changed(EBS_VOLUME='{"size_gib": 0, "volume_type": "gp3"}'),
        "'size_gib' must be an integer >= 1",
    ),
]


@pytest.mark.parametrize(
    ("name", "env", "message"), SUBPROCESS_CASES, ids=[case[0] for case in SUBPROCESS_CASES]
)
def test_bad_config_exits_with_clear_message_and_does_nothing(
    name: str, env: dict[str, str], message: str, side_effects: dict[str, object]
) -> None:
    result = run_controller({**side_effects["env"], **env})  # type: ignore[dict-item]
    assert result.returncode == 2, result
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith("restate-controller: configuration error: ")
    assert result.stdout == ""


def test_local_backend_bad_config_does_nothing(side_effects: dict[str, object]) -> None:
    env = {
        "RESTATE_CONTROLLER_BACKEND": "local",
        "RESTATE_CONTROLLER_CLUSTER_NAME": "dev",
        "RESTATE_CONTROLLER_TASK_DEFINITION_ARN": "local-td-1",
        "RESTATE_CONTROLLER_SUBNETS_BY_AZ": '{"az1": "local", "az2": "local", "az3": "local"}',
        "RESTATE_CONTROLLER_RESTATECTL_ADDRESS": "http://127.0.0.1:1",
        "RESTATE_CONTROLLER_ADMIN_URL": "http://127.0.0.1:1",
        "RESTATE_CONTROLLER_RECONCILE_INTERVAL_SECONDS": "-1",
    }
    result = run_controller({**side_effects["env"], **env})  # type: ignore[dict-item]
    assert result.returncode == 2
    assert (
        "RESTATE_CONTROLLER_RECONCILE_INTERVAL_SECONDS='-1' is invalid: expected a number > 0"
        in result.stderr
    )


def test_valid_config_passes_check() -> None:
    result = subprocess.run(
        [str(CONTROLLER), "--check-config"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("RESTATE_CONTROLLER_")},
            **VALID_ECS,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "configuration ok (backend ecs)" in result.stdout


CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "controller-config.md"
#: Optional variable of the contract -> the Config field it sets.
OPTIONAL_FIELDS = {
    "BACKEND": "backend",
    "CONTAINER_NAME": "container_name",
    "ASSIGN_PUBLIC_IP": "assign_public_ip",
    "ENABLE_EXECUTE_COMMAND": "enable_execute_command",
    "NODES_PER_AZ": "nodes_per_az",
    "REPLICATION": "replication",
    "RESTATECTL_PATH": "restatectl_path",
    "EBS_VOLUME": "ebs_volume",
    "SNAPSHOT_RETENTION_DAYS": "snapshot_retention_days",
    "RECONCILE_INTERVAL_SECONDS": "reconcile_interval_seconds",
    "HEALTH_PORT": "health_port",
    "DRAIN_TIMEOUT_SECONDS": "drain_timeout_seconds",
    "TRIM_RETRY_SECONDS": "trim_retry_seconds",
    "UNHEALTHY_GRACE_SECONDS": "unhealthy_grace_seconds",
}


def contract_defaults() -> dict[str, str | None]:
    """Optional variable -> its default as the contract's table writes it (`none` -> None)."""
    defaults: dict[str, str | None] = {}
    for line in CONTRACT.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`RESTATE_CONTROLLER_"):
            continue
        name = cells[0].strip("`").removeprefix("RESTATE_CONTROLLER_")
        if cells[1].startswith("no ("):
            ticked = cells[1].split("`")
            defaults[name] = ticked[1] if len(ticked) > 2 else None
    return defaults


def as_contract_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_defaults_from_the_contract() -> None:
    defaults = contract_defaults()
    assert set(defaults) == set(OPTIONAL_FIELDS), "a new optional variable needs a line above"
    config = load_config(VALID_ECS)
    for name, field in OPTIONAL_FIELDS.items():
        assert as_contract_text(getattr(config, field)) == defaults[name], name
    assert (config.budget.unit, config.budget.limit) == ("zone", 1)
    spec = config.desired_spec()
    assert spec.trim_retry_seconds == 5.0
    assert spec.azs == ("us-east-1a", "us-east-1b", "us-east-1c")
    assert spec.task_definition == VALID_ECS["RESTATE_CONTROLLER_TASK_DEFINITION_ARN"]


def test_admin_url_may_have_a_path() -> None:
    # The construct's addresses.admin allows http(s)://host[:port][/path] (a proxy's prefix).
    config = load_config(changed(ADMIN_URL="https://admin.example.com/restate"))
    assert config.admin_url == "https://admin.example.com/restate"
    with pytest.raises(ConfigError, match="RESTATE_CONTROLLER_ADMIN_URL"):
        load_config(changed(ADMIN_URL="https://admin.example.com/a b"))


def test_ebs_optional_keys_may_be_null() -> None:
    ebs = {
        "size_gib": 50,
        "volume_type": "gp3",
        "role_arn": "arn:aws:iam::123456789012:role/ebs",
        "iops": None,
        "throughput": None,
        "encrypted": None,
        "kms_key_id": None,
        "volume_name": None,
    }
    volume = load_config(changed(EBS_VOLUME=json.dumps(ebs))).ebs_volume
    assert volume is not None
    assert (volume.encrypted, volume.volume_name, volume.iops, volume.kms_key_id) == (
        True,
        "restate-data",
        None,
        None,
    )


def test_trim_retry_seconds_reaches_the_planner() -> None:
    config = load_config(changed(TRIM_RETRY_SECONDS="2.5"))
    assert config.trim_retry_seconds == 2.5
    assert config.desired_spec().trim_retry_seconds == 2.5


def test_unhealthy_grace_reaches_the_planner_and_must_be_positive() -> None:
    assert (
        load_config(changed(UNHEALTHY_GRACE_SECONDS="45")).desired_spec().unhealthy_grace_seconds
        == 45
    )
    with pytest.raises(
        ConfigError, match="RESTATE_CONTROLLER_UNHEALTHY_GRACE_SECONDS='0' is invalid"
    ):
        load_config(changed(UNHEALTHY_GRACE_SECONDS="0"))


def test_ebs_volume_parsed() -> None:
    ebs = {
        "size_gib": 50,
        "volume_type": "gp3",
        "iops": 3000,
        "throughput": 125,
        "role_arn": "arn:aws:iam::123456789012:role/ebs",
    }
    config = load_config(changed(EBS_VOLUME=json.dumps(ebs)))
    assert config.ebs_volume is not None
    assert (config.ebs_volume.size_gib, config.ebs_volume.iops, config.ebs_volume.encrypted) == (
        50,
        3000,
        True,
    )
    assert config.ebs_volume.volume_name == "restate-data"


@pytest.mark.parametrize(
    ("volume_type", "size_gib", "iops"),
    [("io1", 10, 500), ("io2", 10, 10000), ("gp3", 8, 4000), ("gp3", 1, 3000)],
)
def test_ebs_iops_up_to_the_per_gib_limit_parsed(
    volume_type: str, size_gib: int, iops: int
) -> None:
    ebs = {
        "size_gib": size_gib,
        "volume_type": volume_type,
        "iops": iops,
        "role_arn": "arn:aws:iam::123456789012:role/ebs",
    }
    config = load_config(changed(EBS_VOLUME=json.dumps(ebs)))
    assert config.ebs_volume is not None and config.ebs_volume.iops == iops


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            changed(ASSIGN_PUBLIC_IP="yes"),
            "RESTATE_CONTROLLER_ASSIGN_PUBLIC_IP='yes' is invalid: allowed values are true, false",
        ),
        (
            changed(REPLICATION="{zone 2}"),
            "RESTATE_CONTROLLER_REPLICATION='{zone 2}' is invalid: bad entry",
        ),
        (changed(REPLICATION="{rack: 2}"), "scope in region, zone, node"),
        (changed(REPLICATION="zone=2"), "expected an integer like 2"),
        (
            changed(HEALTH_PORT="70000"),
            "RESTATE_CONTROLLER_HEALTH_PORT='70000' is invalid: expected an integer >= 1 and <= 65535",
        ),
        (
            changed(SNAPSHOT_RETENTION_DAYS="-1"),
            "RESTATE_CONTROLLER_SNAPSHOT_RETENTION_DAYS='-1' is invalid",
        ),
        (
            changed(DRAIN_TIMEOUT_SECONDS="nan"),
            "RESTATE_CONTROLLER_DRAIN_TIMEOUT_SECONDS='nan' is invalid",
        ),
        (
            changed(TRIM_RETRY_SECONDS="0"),
            "RESTATE_CONTROLLER_TRIM_RETRY_SECONDS='0' is invalid: expected a number > 0",
        ),
        (
            changed(TRIM_RETRY_SECONDS="-5"),
            "RESTATE_CONTROLLER_TRIM_RETRY_SECONDS='-5' is invalid: expected a number > 0",
        ),
        (
            changed(TRIM_RETRY_SECONDS="5s"),
            "RESTATE_CONTROLLER_TRIM_RETRY_SECONDS='5s' is invalid: expected a number > 0",
        ),
        (
            changed(RESTATECTL_ADDRESS="nlb:5122"),
            "RESTATE_CONTROLLER_RESTATECTL_ADDRESS='nlb:5122' is invalid",
        ),
        (
            changed(ADMIN_URL="ftp://x:9070"),
            "RESTATE_CONTROLLER_ADMIN_URL='ftp://x:9070' is invalid",
        ),
        (changed(ECS_CLUSTER_ARN="demo"), "RESTATE_CONTROLLER_ECS_CLUSTER_ARN='demo' is invalid"),
        (
            changed(TASK_DEFINITION_ARN="demo:3"),
            "RESTATE_CONTROLLER_TASK_DEFINITION_ARN='demo:3' is invalid",
        ),
        (without("RESTATE_CONTROLLER_TASK_FAMILY"), "RESTATE_CONTROLLER_TASK_FAMILY is required"),
        (changed(SUBNETS_BY_AZ="{}"), "with at least one entry"),
        (
            changed(
                SUBNETS_BY_AZ='{"us-east-1a": "subnet-0aaa1111", "us-east-1b": "subnet-0aaa1111"}'
            ),
            "every zone needs its own subnet",
        ),
        (changed(SECURITY_GROUP_IDS="[]"), "RESTATE_CONTROLLER_SECURITY_GROUP_IDS=[] is invalid"),
        (
            changed(SECURITY_GROUP_IDS=json.dumps([f"sg-0aaa111{i}" for i in range(6)])),
            "at most 5 groups (ECS awsvpc limit)",
        ),
        (
            changed(EBS_VOLUME='{"size_gib": 10, "volume_type": "gp9", "role_arn": "x"}'),
            "'volume_type' must be one of",
        ),
        (changed(EBS_VOLUME='{"size": 10}'), "unknown keys ['size']"),
        (
            changed(
                EBS_VOLUME='{"size_gib": 10, "volume_type": "io1", "iops": 1000,'
                ' "role_arn": "arn:aws:iam::123456789012:role/ebs"}'
            ),
            "'iops' must be <= 500 for io1 on 10 GiB (50 IOPS per GiB)",
        ),
        (
            changed(
                EBS_VOLUME='{"size_gib": 100, "volume_type": "gp3", "throughput": 800,'
                ' "role_arn": "arn:aws:iam::123456789012:role/ebs"}'
            ),
            "'throughput' must be <= 750 for gp3 at that iops",
        ),
        (
            changed(EBS_VOLUME='{"size_gib": 10, "volume_type": "standard", "role_arn": "x"}'),
            "'volume_type' must be one of gp2, gp3, io1, io2, st1, sc1",
        ),
        (
            changed(
                EBS_VOLUME='{"size_gib": 100, "volume_type": "sc1",'
                ' "role_arn": "arn:aws:iam::123456789012:role/ebs"}'
            ),
            "'size_gib' must be >= 125 for sc1",
        ),
        (
            changed(CLUSTER_NAME="my cluster"),
            "RESTATE_CONTROLLER_CLUSTER_NAME='my cluster' is invalid",
        ),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(env)
    assert message in str(error.value)
