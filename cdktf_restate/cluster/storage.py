"""Object storage: the S3 bucket (created hardened, or existing) and the task role's access."""

from __future__ import annotations

import json
from dataclasses import dataclass

import cdktf

from cdktf_restate._tf import Resource, fn
from cdktf_restate.cluster.context import ClusterContext, count_if_null, count_unless_null, local
from cdktf_restate.cluster.iam import Statement, statement
from cdktf_restate.schema.tokens import is_token

ABORT_INCOMPLETE_UPLOADS_DAYS = 7
#: 30 + 1 + 12 (account) + 1 + region (<= 14) stays within S3's 63 characters.
BUCKET_CLUSTER_PART = 30


@dataclass(frozen=True)
class Storage:
    bucket_name: str
    bucket_arn: str
    #: ``prefix/`` or empty: where Restate's keys start.
    key_prefix: str
    metadata_url: str
    snapshots_url: str
    bucket: Resource | None

    def task_statements(self, kms_key_arn: str | None) -> list[Statement]:
        """Least privilege for Restate: list under the prefix, get/put/delete objects in it.

        A token prefix (the generated module's) always gets the listing condition: for the
        bucket root it is ``s3:prefix`` like ``*``: every listing that names a prefix, as all of
        Restate's do (its object-store paths start with ``metadata`` or ``snapshots``)."""
        list_condition = (
            {"StringLike": {"s3:prefix": [f"{self.key_prefix}*"]}} if self.key_prefix else None
        )
        statements = [
            statement(["s3:ListBucket"], [self.bucket_arn], list_condition),
            statement(
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                [f"{self.bucket_arn}/{self.key_prefix}*"],
            ),
        ]
        if kms_key_arn is not None:
            statements.append(statement(["kms:Decrypt", "kms:GenerateDataKey"], [kms_key_arn]))
        return statements


def key_prefix(prefix: str) -> str:
    """``prefix/``, or empty for the bucket root; a Terraform expression for a token (the
    generated module's variable, which may be empty)."""
    if is_token(prefix):
        # "" -> "/" -> "": a valid prefix never starts with '/'. (cdktf's Op renders "" and 0
        # operands as `undefined`, so no comparison here.)
        return cdktf.Token.as_string(fn.trimprefix(f"{prefix}/", "/"))
    return f"{prefix}/" if prefix else ""


def bucket_name_for(ctx: ClusterContext) -> str:
    """``<cluster>-<account>-<region>``: bucket names are global, the account and region make
    the default unique and stable; lower case and no ``_`` as S3 requires."""
    name = ctx.cluster_name
    if is_token(name):
        base = fn.trim(
            fn.lower(fn.replace(fn.substr(name, 0, BUCKET_CLUSTER_PART), "_", "-")),
            "-",
        )
    else:
        base = name[:BUCKET_CLUSTER_PART].lower().replace("_", "-").strip("-")
    return f"{base}-{ctx.account_id}-{ctx.region}"


def add_storage(ctx: ClusterContext) -> Storage:
    props = ctx.props.object_storage
    prefix = key_prefix(props.prefix)
    given = props.bucket_name
    if is_token(given):
        # The generated module's variable, null by default: the bucket exists only then.
        bucket = _hardened_bucket(ctx, prefix, count=count_if_null(given))
        name = local(ctx, "bucket_name", fn.coalesce([given, bucket.one("bucket")]))
        arn = f"arn:{ctx.partition}:s3:::{name}"
    elif given is not None:
        name = given
        arn = f"arn:{ctx.partition}:s3:::{name}"
        bucket = None
    else:
        bucket = _hardened_bucket(ctx, prefix)
        name, arn = bucket.attr("bucket"), bucket.arn
    metadata_url = f"s3://{name}/{prefix}metadata"
    snapshots_url = f"s3://{name}/{prefix}snapshots"
    if is_token(given):
        # Locals: the module merges them into each node's environment map (a template
        # inside nested cdktf functions would be written out with escapes).
        metadata_url = local(ctx, "metadata_url", metadata_url)
        snapshots_url = local(ctx, "snapshots_url", snapshots_url)
    return Storage(
        bucket_name=name,
        bucket_arn=arn,
        key_prefix=prefix,
        metadata_url=metadata_url,
        snapshots_url=snapshots_url,
        bucket=bucket,
    )


def _hardened_bucket(ctx: ClusterContext, prefix: str, count: float | None = None) -> Resource:
    """The bucket and its settings; with ``count`` (a token) every one of them is optional
    and references use ``one(...)``."""
    props = ctx.props.object_storage
    scope = ctx.scope
    name = bucket_name_for(ctx)
    bucket = Resource(
        scope,
        "bucket",
        "aws_s3_bucket",
        {
            "bucket": name,
            "force_destroy": props.force_destroy,
            "tags": ctx.tagged(),
        },
        count=count,
    )

    bucket_id, bucket_arn = bucket.ref("id"), bucket.ref("arn")
    Resource(
        scope,
        "bucket_versioning",
        "aws_s3_bucket_versioning",
        {"bucket": bucket_id, "versioning_configuration": [{"status": "Enabled"}]},
        count=count,
    )
    Resource(
        scope,
        "bucket_encryption",
        "aws_s3_bucket_server_side_encryption_configuration",
        {
            "bucket": bucket_id,
            "rule": [
                {
                    "apply_server_side_encryption_by_default": [
                        {"sse_algorithm": "aws:kms", "kms_master_key_id": ctx.kms_key_arn}
                    ],
                    "bucket_key_enabled": True,
                }
            ],
        },
        count=count,
    )
    public_access_block = Resource(
        scope,
        "bucket_public_access_block",
        "aws_s3_bucket_public_access_block",
        {
            "bucket": bucket_id,
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
        count=count,
    )
    Resource(
        scope,
        "bucket_ownership",
        "aws_s3_bucket_ownership_controls",
        {"bucket": bucket_id, "rule": [{"object_ownership": "BucketOwnerEnforced"}]},
        count=count,
    )
    Resource(
        scope,
        "bucket_lifecycle",
        "aws_s3_bucket_lifecycle_configuration",
        {
            "bucket": bucket_id,
            "rule": [
                {
                    "id": "restate-housekeeping",
                    "status": "Enabled",
                    # The whole bucket is Restate's: housekeeping applies to every object.
                    "filter": [{}],
                    "abort_incomplete_multipart_upload": [
                        {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS}
                    ],
                    "noncurrent_version_expiration": [
                        {"noncurrent_days": props.noncurrent_version_expiration_days}
                    ],
                    # Restate deletes pruned snapshots: once their versions have expired, the
                    # delete markers left behind go too (they slow down LIST).
                    "expiration": [{"expired_object_delete_marker": True}],
                }
            ],
        },
        count=count,
    )
    if props.access_logs_bucket is not None:
        logs_count = count
        if is_token(props.access_logs_bucket):
            # The generated module's variable (null by default): logging only when given.
            given = count_unless_null(props.access_logs_bucket)
            logs_count = given if count is None else cdktf.Token.as_number(fn.min([count, given]))
        Resource(
            scope,
            "bucket_logging",
            "aws_s3_bucket_logging",
            {
                "bucket": bucket_id,
                "target_bucket": props.access_logs_bucket,
                "target_prefix": f"{name}/",
            },
            count=logs_count,
        )
    # Applied after the public access block so the two never race on the bucket policy.
    Resource(
        scope,
        "bucket_policy",
        "aws_s3_bucket_policy",
        {"bucket": bucket_id, "policy": tls_only_policy(bucket_arn)},
        depends_on=[public_access_block],
        count=count,
    )
    return bucket


def tls_only_policy(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )
