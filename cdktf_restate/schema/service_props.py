"""Props of ``ServiceDeployer`` and the rules for service registration inputs.

Each rule is a small pure function raising ``RestateConfigError`` (``<path>: <problem>;
allowed: <what>``); tokens (values Terraform knows only at plan time) pass here and are checked
by the generated module's ``validation`` blocks, which use the same patterns and messages
(``terraform_module/service_rules.py``). The patterns are RE2 and contain no backslashes, so
they are HCL string literals as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cdktf_restate.schema.errors import config_error, fail
from cdktf_restate.schema.model import problems_of, props_dataclass
from cdktf_restate.schema.props import DEFAULT_LOG_RETENTION_DAYS, Tags, prop
from cdktf_restate.schema.tokens import is_token
from cdktf_restate.schema.types import (
    SecurityGroupId,
    SubnetId,
    Verdict,
    checked,
    pattern_type,
)

#: A published version (``:3``) or alias (``:live``) of a function. ``$LATEST`` and an
#: unqualified ARN do not match: Restate pins each invocation to the deployment's code.
FUNCTION_VERSION_ARN_PATTERN = (
    "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,128}$"
)
FUNCTION_ARN_PATTERN = "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_-]{1,128})?$"
ROLE_ARN_PATTERN = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"
#: scheme, host (no spaces, slashes, colons), optional port, optional path.
HTTP_URL_PATTERN = "^https?://[^/:?#[:space:]]+(:[0-9]{1,5})?(/[^[:space:]]*)?$"
MAX_PORT = 65535

FUNCTION_VERSION_ALLOWED = (
    "a published version or alias ARN, arn:aws:lambda:REGION:ACCOUNT:function:NAME:VERSION_OR_ALIAS"
    " (Restate pins invocations to a version; not unqualified, not $LATEST)"
)
ROLE_ARN_ALLOWED = "arn:aws:iam::ACCOUNT:role/NAME"
HTTP_URL_ALLOWED = "http(s)://host[:port][/path] with a port of 1-65535"
KMS_KEY_ARN_PATTERN = "^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+$"
KMS_KEY_ARN_ALLOWED = "arn:aws:kms:REGION:ACCOUNT:key/ID"
#: Function, role and log group name; "-dlq" is added for the dead-letter queue.
NAME_PATTERN = "^[A-Za-z0-9_-]{1,64}$"
NAME_ALLOWED = "1-64 letters, digits, '-' and '_'"
ROLE_NAME_PATTERN = "^[A-Za-z0-9+=,.@_-]{1,64}$"
MIN_WAIT_SECONDS = 10
#: The deployer Lambda's timeout is 900 s (Lambda's maximum); a registration needs time left.
MAX_WAIT_SECONDS = 780
DEFAULT_WAIT_SECONDS = 600
WAIT_ALLOWED = (
    f"an integer of {MIN_WAIT_SECONDS}-{MAX_WAIT_SECONDS} seconds (the deployer's timeout is 900 s)"
)


def _skip(value: Any) -> bool:
    """A token (or a text reference) is Terraform's to check."""
    return is_token(value) or (isinstance(value, str) and "${" in value)


def check_http_url(path: str, value: Any) -> None:
    """An http(s) URL with a host and, if given, a port of 1-65535."""
    if _skip(value):
        return
    match = re.match(_python(HTTP_URL_PATTERN), value) if isinstance(value, str) else None
    if match is None:
        raise fail(path, f"{value!r} is not an http(s) URL with a host", HTTP_URL_ALLOWED)
    port = match.group(1)
    if port is not None and not 1 <= int(port[1:]) <= MAX_PORT:
        raise fail(path, f"{value!r} has port {port[1:]}", HTTP_URL_ALLOWED)


def check_function_version_arn(path: str, value: Any) -> None:
    if _skip(value):
        return
    unqualified = value.removesuffix(":$LATEST") if isinstance(value, str) else value
    if not isinstance(value, str) or not re.match(FUNCTION_ARN_PATTERN, unqualified):
        raise fail(path, f"{value!r} is not a Lambda function ARN", FUNCTION_VERSION_ALLOWED)
    if not re.match(FUNCTION_VERSION_ARN_PATTERN, value):
        raise fail(path, f"{value!r} is not a published version or alias", FUNCTION_VERSION_ALLOWED)


def check_role_arn(path: str, value: Any) -> None:
    if value is None or _skip(value):
        return
    if not isinstance(value, str) or not re.match(ROLE_ARN_PATTERN, value):
        raise fail(path, f"{value!r} is not an IAM role ARN", ROLE_ARN_ALLOWED)


def _python(pattern: str) -> str:
    """RE2's POSIX class for Python's ``re``."""
    return pattern.replace("[:space:]", " \t\r\n")


def _ids_check(kind: str, prefix: str) -> Any:
    """A non-empty list of subnet or security group ids (the deployer runs in the VPC)."""

    def check(values: Any) -> Verdict:
        if not values:
            return (
                f"{values!r} names no {kind}",
                f"at least one {kind} id ({prefix}-...) the admin URL is reachable from",
            )
        return None

    return check


SubnetIds = checked(Sequence[SubnetId], _ids_check("subnet", "subnet"))
SecurityGroupIdList = checked(Sequence[SecurityGroupId], _ids_check("security group", "sg"))
FunctionName = pattern_type(NAME_PATTERN.strip("^$"), "a function name", NAME_ALLOWED)
DeployerKmsKeyArn = pattern_type(
    KMS_KEY_ARN_PATTERN.strip("^$"), "a KMS key ARN", KMS_KEY_ARN_ALLOWED
)
RetentionDays = checked(
    int,
    lambda value: (
        None
        if value >= 0
        else (f"{value!r} is not a retention", "an integer >= 0 (0 = never expire)")
    ),
)
WaitSeconds = checked(
    int,
    lambda value: (
        None
        if MIN_WAIT_SECONDS <= value <= MAX_WAIT_SECONDS
        else (f"{value!r} is out of range", WAIT_ALLOWED)
    ),
    WAIT_ALLOWED,
)


@props_dataclass
class ServiceDeployerProps:
    """The deployer Lambda: where it runs (it calls the cluster's internal admin URL)."""

    subnet_ids: SubnetIds = prop(
        description="Subnets the deployer runs in; the admin URL (internal NLB) must be "
        "reachable from them. Required."
    )
    security_group_ids: SecurityGroupIdList = prop(
        description="Security groups of the deployer; they must allow egress to the admin port "
        "(9070). Required."
    )
    name: FunctionName | None = prop(
        None,
        "Name of the function, its role and log group. Default: derived from the construct path.",
    )
    log_retention_days: RetentionDays = prop(
        DEFAULT_LOG_RETENTION_DAYS,
        "Days to keep the deployer's logs (0 = never expire). Default: the cluster's default.",
    )
    kms_key_arn: DeployerKmsKeyArn | None = prop(
        None,
        "KMS key for the log group, dead-letter queue and environment. Default: AWS-managed.",
    )
    wait_seconds: WaitSeconds = prop(
        DEFAULT_WAIT_SECONDS,
        "How long a registration waits for the admin API to answer (a new cluster needs "
        "minutes). Default: 600.",
    )
    tags: Tags = prop(description="Tags on the deployer's resources. Default: none.", factory=dict)


def validate_deployer_props(props: ServiceDeployerProps) -> None:
    """Raise ``RestateConfigError`` naming every invalid property of the deployer."""
    problems = problems_of(ServiceDeployerProps, props)
    if problems:
        raise config_error(problems)
