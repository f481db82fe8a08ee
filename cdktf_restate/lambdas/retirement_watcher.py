"""Retirement watcher Lambda: tags ECS tasks that AWS announced for retirement.

AWS Health sends ``AWS_ECS_TASK_PATCHING_RETIREMENT`` events through EventBridge into an SQS
queue; this function receives batches from that queue and tags each listed task of *this*
cluster with ``restate:retiring=true``. The controller reads the tag and replaces the node with
a drain before AWS stops the task.

This file is packaged alone (``retirement_watcher.handler``) and needs only the Python standard
library and boto3 (present in the Lambda runtime). Parsing is pure; only ``handle`` does I/O.

Outcomes per SQS record:
- tagged (or nothing of ours to tag, or another kind of event): acknowledged;
- body that is not a JSON AWS Health event: reported as a batch item failure, so SQS retries
  it and finally moves it to the dead-letter queue where an operator can look at it;
- an ECS error while tagging: reported as a batch item failure (retried), except "task not
  found", which means the task is already gone and needs no tag.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RETIREMENT_EVENT_TYPE = "AWS_ECS_TASK_PATCHING_RETIREMENT"
RETIRING_TAG = {"key": "restate:retiring", "value": "true"}
CLUSTER_ARN_ENV = "RESTATE_ECS_CLUSTER_ARN"

logger = logging.getLogger("retirement_watcher")
logger.setLevel(logging.INFO)


class MalformedEvent(ValueError):
    """The SQS record does not carry an AWS Health event."""


@dataclass(frozen=True)
class RetirementNotice:
    event_type: str
    task_arns: tuple[str, ...]

    @property
    def is_retirement(self) -> bool:
        return self.event_type == RETIREMENT_EVENT_TYPE


def task_arn_prefix(cluster_arn: str) -> str:
    """``arn:aws:ecs:r:a:cluster/NAME`` -> ``arn:aws:ecs:r:a:task/NAME/`` (long task ARN format)."""
    head, sep, name = cluster_arn.partition(":cluster/")
    if not sep or not name or not head.startswith("arn:") or "/" in name:
        raise ValueError(f"not an ECS cluster ARN: {cluster_arn!r}")
    return f"{head}:task/{name}/"


def parse_notice(body: str) -> RetirementNotice:
    """The event type and task ARNs of one SQS message body (an EventBridge event)."""
    try:
        event = json.loads(body)
    except (TypeError, json.JSONDecodeError) as error:
        raise MalformedEvent(f"body is not JSON: {error}") from error
    if not isinstance(event, Mapping):
        raise MalformedEvent("body is not a JSON object")
    detail = event.get("detail")
    if not isinstance(detail, Mapping) or not isinstance(detail.get("eventTypeCode"), str):
        raise MalformedEvent("no detail.eventTypeCode")
    resources = event.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        raise MalformedEvent("resources is not a list of strings")
    return RetirementNotice(detail["eventTypeCode"], tuple(resources))


def tasks_to_tag(notice: RetirementNotice, cluster_arn: str) -> tuple[list[str], list[str]]:
    """(this cluster's tasks to tag, ARNs that are not tasks of this cluster)."""
    if not notice.is_retirement:
        return [], []
    prefix = task_arn_prefix(cluster_arn)
    ours = [arn for arn in notice.task_arns if arn.startswith(prefix) and len(arn) > len(prefix)]
    others = [arn for arn in notice.task_arns if arn not in ours]
    return list(dict.fromkeys(ours)), others


def _is_task_gone(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    message = response.get("Error", {}).get("Message", "")
    return code in {"ResourceNotFoundException", "ClusterNotFoundException"} or (
        code == "InvalidParameterException" and "not found" in message.lower()
    )


def handle(records: Iterable[Mapping[str, Any]], ecs: Any, cluster_arn: str) -> dict[str, Any]:
    """Process one SQS batch; returns the partial batch response SQS expects."""
    failures: list[dict[str, str]] = []
    for record in records:
        message_id = str(record.get("messageId", ""))
        try:
            notice = parse_notice(record.get("body"))  # type: ignore[arg-type]
        except MalformedEvent as error:
            logger.error("message %s is not an AWS Health event (%s)", message_id, error)
            failures.append({"itemIdentifier": message_id})
            continue
        ours, others = tasks_to_tag(notice, cluster_arn)
        if not notice.is_retirement:
            logger.info("message %s: ignoring event type %s", message_id, notice.event_type)
        for arn in others:
            logger.warning(
                "message %s: %s is not a task of %s; ignored", message_id, arn, cluster_arn
            )
        try:
            for arn in ours:
                try:
                    ecs.tag_resource(resourceArn=arn, tags=[RETIRING_TAG])
                    logger.info("tagged %s as retiring", arn)
                except Exception as error:
                    if not _is_task_gone(error):
                        raise
                    logger.info("%s is already gone; nothing to tag", arn)
        except Exception:
            logger.exception("message %s: tagging failed; SQS will retry it", message_id)
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


_ecs_client: Any = None


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (SQS event source with ReportBatchItemFailures)."""
    global _ecs_client
    if _ecs_client is None:  # reused across warm invocations
        import boto3

        _ecs_client = boto3.client("ecs")
    return handle(event.get("Records", []), _ecs_client, os.environ[CLUSTER_ARN_ENV])
