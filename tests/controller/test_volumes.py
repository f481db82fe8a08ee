"""The pure EBS clean-up rules: which volumes and snapshots of retired nodes go, and when."""

from __future__ import annotations

import pytest
from restate_controller.model import MANAGED_BY, TAG_CLUSTER, TAG_MANAGED_BY
from restate_controller.volumes import Snapshot, Volume, select

NOW = 100 * 86_400.0
DAY = 86_400.0
OURS = {TAG_CLUSTER: "demo", TAG_MANAGED_BY: MANAGED_BY}


def volume(
    volume_id: str,
    state: str = "available",
    age: float = 2 * DAY,
    tags: dict[str, str] | None = None,
) -> Volume:
    return Volume(volume_id, state, OURS if tags is None else tags, NOW - age)


def snapshot(
    snapshot_id: str,
    volume_id: str,
    state: str = "completed",
    age: float = 1 * DAY,
    tags: dict[str, str] | None = None,
) -> Snapshot:
    return Snapshot(snapshot_id, volume_id, state, OURS if tags is None else tags, NOW - age)


CASES = [
    ("detached volume without snapshot: snapshot it", [volume("v1")], [], [("snapshot", "v1")]),
    ("attached volume: never touched", [volume("v1", state="in-use")], [], []),
    ("volume still being created: untouched", [volume("v1", state="creating")], [], []),
    ("fresh detached volume may be about to attach: untouched", [volume("v1", age=600)], [], []),
    ("another cluster's volume: untouched", [volume("v1", tags={TAG_CLUSTER: "other"})], [], []),
    ("untagged volume: untouched", [volume("v1", tags={})], [], []),
    (
        "volume with our cluster tag but not managed by the controller: untouched",
        [volume("v1", tags={TAG_CLUSTER: "demo"})],
        [],
        [],
    ),
    ("snapshot pending: wait", [volume("v1")], [snapshot("s1", "v1", state="pending")], []),
    (
        "snapshot completed: delete the volume",
        [volume("v1")],
        [snapshot("s1", "v1")],
        [("delete-volume", "v1")],
    ),
    (
        "snapshot failed: snapshot again",
        [volume("v1")],
        [snapshot("s1", "v1", state="error")],
        [("snapshot", "v1")],
    ),
    ("snapshot within retention: kept", [], [snapshot("s1", "v1", age=6 * DAY)], []),
    (
        "snapshot past retention: deleted",
        [],
        [snapshot("s1", "v1", age=8 * DAY)],
        [("delete-snapshot", "s1")],
    ),
    (
        "snapshot past retention but its volume still exists: kept",
        [volume("v1", state="in-use")],
        [snapshot("s1", "v1", age=8 * DAY)],
        [],
    ),
    (
        "another cluster's old snapshot: untouched",
        [],
        [snapshot("s1", "v1", age=30 * DAY, tags={TAG_CLUSTER: "x"})],
        [],
    ),
    ("our tag but no source volume id: untouched", [], [snapshot("s1", "", age=30 * DAY)], []),
    (
        "old snapshot with our cluster tag but not managed by the controller: untouched",
        [],
        [snapshot("s1", "v1", age=30 * DAY, tags={TAG_CLUSTER: "demo"})],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "volumes", "snapshots", "expected"), CASES, ids=[case[0] for case in CASES]
)
def test_selection(
    name: str, volumes: list[Volume], snapshots: list[Snapshot], expected: list[tuple[str, str]]
) -> None:
    actions = select(volumes, snapshots, cluster_name="demo", retention_days=7, now=NOW)
    assert [(action.kind, action.target) for action in actions] == expected
    assert all(action.reason for action in actions)


def test_zero_retention_deletes_snapshots_once_the_volume_is_gone() -> None:
    actions = select(
        [], [snapshot("s1", "v1", age=1.0)], cluster_name="demo", retention_days=0, now=NOW
    )
    assert [(a.kind, a.target) for a in actions] == [("delete-snapshot", "s1")]
