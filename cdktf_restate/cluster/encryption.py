"""The cluster's customer-managed KMS key (logs, bucket, SQS queue), rotated yearly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from constructs import Construct

from cdktf_restate._tf import Resource

KEY_DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ClusterKey:
    arn: str
    key: Resource


def key_policy(*, partition: str, region: str, account_id: str, allow_events: bool) -> str:
    """Account administrators manage the key (AWS's default key policy); services use it.

    CloudWatch Logs may use it only for this account's log groups; EventBridge may use it
    to deliver to the encrypted SQS queue of the retirement watcher.
    """
    use_actions = [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    ]
    statements = [
        {
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogs",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": use_actions,
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                }
            },
        },
    ]
    if allow_events:
        statements.append(
            {
                "Sid": "EventBridgeToSqs",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                # No aws:SourceAccount/SourceArn condition: AWS's sample for EventBridge targets
                # has none, and for SNS targets AWS documents that such a condition makes
                # EventBridge's delivery fail, silently. The queue policy admits only our rule.
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def add_cluster_key(
    scope: Construct,
    *,
    name: str,
    partition: str,
    region: str,
    account_id: str,
    allow_events: bool,
    tags: Mapping[str, str] | str,
) -> ClusterKey:
    key = Resource(
        scope,
        "kms_key",
        "aws_kms_key",
        {
            "description": f"Restate cluster {name}: logs, object storage, queues",
            "enable_key_rotation": True,
            "deletion_window_in_days": KEY_DELETION_WINDOW_DAYS,
            "policy": key_policy(
                partition=partition, region=region, account_id=account_id, allow_events=allow_events
            ),
            "tags": tags,
        },
    )
    Resource(
        scope,
        "kms_alias",
        "aws_kms_alias",
        {"name": f"alias/{name}", "target_key_id": key.attr("key_id")},
    )
    return ClusterKey(arn=key.arn, key=key)
