"""EBS clean-up for retired stateful nodes: snapshot a detached volume, delete it, and delete the
snapshot once the retention has passed. Only resources with both of the controller's tags
(`restate:cluster` = this cluster, `restate:managed-by`) are touched.

`select` is pure (tested with plain tables); `VolumeJanitor` is the thin boto3 layer.
Calls: ec2:DescribeVolumes, ec2:DescribeSnapshots, ec2:CreateSnapshot (tagged at creation, so
ec2:CreateTags with ec2:CreateAction=CreateSnapshot), ec2:DeleteVolume, ec2:DeleteSnapshot.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from restate_controller.config import Config
from restate_controller.model import (
    MANAGED_BY,
    TAG_AZ,
    TAG_CLUSTER,
    TAG_MANAGED_BY,
    PermanentError,
    TemporaryError,
)

TAG_VOLUME_ID = "restate:volume-id"
DAY_SECONDS = 86_400.0
# ECS creates a task's volume shortly before attaching it: a volume younger than this that is
# "available" may be about to be attached, so it is left alone.
ATTACH_GRACE_SECONDS = 3_600.0


@dataclass(frozen=True)
class Volume:
    volume_id: str
    state: str  # creating|available|in-use|deleting|deleted|error
    tags: dict[str, str]
    created_at: float


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    volume_id: str  # the restate:volume-id tag: the retired volume it preserves
    state: str  # pending|completed|error
    tags: dict[str, str]
    started_at: float


@dataclass(frozen=True)
class VolumeAction:
    kind: str  # snapshot|delete-volume|delete-snapshot
    target: str
    reason: str


def select(
    volumes: Sequence[Volume],
    snapshots: Sequence[Snapshot],
    *,
    cluster_name: str,
    retention_days: int,
    now: float,
) -> list[VolumeAction]:
    """What to do with this cluster's retired volumes and their snapshots."""
    ours_volumes = [v for v in volumes if _ours(v.tags, cluster_name)]
    ours_snapshots = [s for s in snapshots if _ours(s.tags, cluster_name)]
    actions: list[VolumeAction] = []
    existing = {v.volume_id for v in ours_volumes if v.state != "deleted"}
    for volume in ours_volumes:
        if volume.state != "available":
            continue  # attached (in use by a task) or in transition: never touched
        if now - volume.created_at < ATTACH_GRACE_SECONDS:
            continue
        taken = sorted(
            (s for s in ours_snapshots if s.volume_id == volume.volume_id and s.state != "error"),
            key=lambda s: s.started_at,
        )
        if not taken:
            actions.append(
                VolumeAction("snapshot", volume.volume_id, "detached volume of a retired node")
            )
        elif taken[-1].state == "completed":
            actions.append(
                VolumeAction(
                    "delete-volume", volume.volume_id, f"preserved in {taken[-1].snapshot_id}"
                )
            )
    retention = retention_days * DAY_SECONDS
    for snapshot in ours_snapshots:
        if not snapshot.volume_id or snapshot.volume_id in existing:
            continue  # not one of ours, or its volume is still there: keep it
        if snapshot.state == "pending":
            continue
        age = now - snapshot.started_at
        if age >= retention:
            actions.append(
                VolumeAction(
                    "delete-snapshot",
                    snapshot.snapshot_id,
                    f"snapshot of retired volume {snapshot.volume_id} is {age / DAY_SECONDS:.1f} days old (retention {retention_days})",
                )
            )
    return actions


def _ours(tags: dict[str, str], cluster_name: str) -> bool:
    """Created by this cluster's controller: RunTask tags the volumes and the janitor its
    snapshots with both tags. The cluster tag alone is not enough: a user may tag their own
    volumes with it (cost allocation), and the janitor deletes what it selects."""
    return tags.get(TAG_CLUSTER) == cluster_name and tags.get(TAG_MANAGED_BY) == MANAGED_BY


def _epoch(value: object) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value) if isinstance(value, int | float) else 0.0


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag.get("Value", "") for tag in item.get("Tags", [])}


class VolumeJanitor:
    """Runs `select` against EC2 at most every `every_seconds` and applies its actions."""

    def __init__(
        self,
        ec2_client: Any,
        *,
        cluster_name: str,
        retention_days: int,
        every_seconds: float = 300.0,
    ) -> None:
        self.ec2 = ec2_client
        self.cluster_name = cluster_name
        self.retention_days = retention_days
        self.every_seconds = every_seconds
        self.last_run: float | None = None

    @classmethod
    def from_config(cls, config: Config) -> VolumeJanitor:
        import boto3

        return cls(
            boto3.client("ec2", region_name=config.aws_region),
            cluster_name=config.cluster_name,
            retention_days=config.snapshot_retention_days,
        )

    def observe(self) -> tuple[list[Volume], list[Snapshot]]:
        # EC2 ANDs the filters: only resources carrying both of the controller's tags.
        ours = [
            {"Name": f"tag:{TAG_CLUSTER}", "Values": [self.cluster_name]},
            {"Name": f"tag:{TAG_MANAGED_BY}", "Values": [MANAGED_BY]},
        ]
        volumes = [
            Volume(v["VolumeId"], v.get("State", ""), _tags(v), _epoch(v.get("CreateTime")))
            for page in self.ec2.get_paginator("describe_volumes").paginate(Filters=ours)
            for v in page.get("Volumes", [])
        ]
        snapshots = [
            Snapshot(
                s["SnapshotId"],
                _tags(s).get(TAG_VOLUME_ID, ""),
                s.get("State", ""),
                _tags(s),
                _epoch(s.get("StartTime")),
            )
            for page in self.ec2.get_paginator("describe_snapshots").paginate(
                OwnerIds=["self"], Filters=ours
            )
            for s in page.get("Snapshots", [])
        ]
        return volumes, snapshots

    def __call__(self, now: float | None = None) -> list[str]:
        from restate_controller.backends.ecs import classify

        now = time.time() if now is None else now
        if self.last_run is not None and now - self.last_run < self.every_seconds:
            return []
        self.last_run = now
        done: list[str] = []
        try:
            volumes, snapshots = self.observe()
            by_id = {v.volume_id: v for v in volumes}
            actions = select(
                volumes,
                snapshots,
                cluster_name=self.cluster_name,
                retention_days=self.retention_days,
                now=now,
            )
            for action in actions:
                self._apply(action, by_id)
                done.append(f"{action.kind} {action.target}: {action.reason}")
        except (TemporaryError, PermanentError):
            raise
        except Exception as error:
            raise classify(error, "ebs clean-up") from error
        return done

    def _apply(self, action: VolumeAction, volumes: dict[str, Volume]) -> None:
        if action.kind == "snapshot":
            source = volumes[action.target]
            tags = {
                TAG_CLUSTER: self.cluster_name,
                TAG_MANAGED_BY: MANAGED_BY,
                TAG_VOLUME_ID: action.target,
                TAG_AZ: source.tags.get(TAG_AZ, ""),
            }
            self.ec2.create_snapshot(
                VolumeId=action.target,
                Description=f"Restate cluster {self.cluster_name}: retired node volume {action.target}",
                TagSpecifications=[
                    {
                        "ResourceType": "snapshot",
                        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                    }
                ],
            )
        elif action.kind == "delete-volume":
            self.ec2.delete_volume(VolumeId=action.target)
        elif action.kind == "delete-snapshot":
            self.ec2.delete_snapshot(SnapshotId=action.target)
        else:
            raise PermanentError(f"unknown volume action {action.kind}")
