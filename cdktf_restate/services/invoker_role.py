"""Invoke permissions: the statement ``grant_invoke`` adds to a cluster's Restate task role, and
``RestateInvokerRole``, an application-owned role that the cluster's role may assume.

Least privilege: ``lambda:InvokeFunction`` on the named functions, their versions and aliases
(``<function ARN>`` and ``<function ARN>:*``), never ``*``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import cdktf
from constructs import Construct

from cdktf_restate._tf import Resource, fn
from cdktf_restate.schema.errors import fail
from cdktf_restate.schema.service_props import (
    FUNCTION_ARN_PATTERN,
    check_role_arn,
)
from cdktf_restate.schema.tokens import is_token

INVOKE_ACTIONS = ["lambda:InvokeFunction"]
_QUALIFIER = re.compile(r"^(arn:[^:]+:lambda:[^:]+:[0-9]{12}:function:[^:]+):[^:]+$")


def function_arn_of(function_or_arn: Any, path: str = "function") -> str:
    """The ARN of a function resource (anything with ``arn``) or an ARN string."""
    arn = (
        function_or_arn
        if isinstance(function_or_arn, str)
        else getattr(function_or_arn, "arn", None)
    )
    if not isinstance(arn, str):
        raise fail(
            path, f"{function_or_arn!r} is neither a function nor an ARN", "a Lambda function ARN"
        )
    if not is_token(arn) and "${" not in arn and not re.match(FUNCTION_ARN_PATTERN, arn):
        raise fail(
            path,
            f"{arn!r} is not a Lambda function ARN",
            "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]",
        )
    return arn


def unqualified(function_arn: str) -> str:
    """The function's ARN without a version or alias (the first 7 ``:`` fields); for a value
    known at plan time only (``qualified_arn``, an alias's ``arn``) the same in Terraform."""
    if is_token(function_arn) or "${" in function_arn:
        fields = fn.slice(fn.split(":", function_arn), 0, 7)
        return cdktf.Token.as_string(fn.join(":", cdktf.Token.as_list(fields)))
    match = _QUALIFIER.match(function_arn)
    return match.group(1) if match else function_arn


def invoke_resources(function_arn: str) -> list[str]:
    """The function and its versions and aliases: ``<function ARN>`` and ``<function ARN>:*``."""
    function = unqualified(function_arn)
    return [function, f"{function}:*"]


def invoke_statement(
    function_arns: Sequence[str], sid: str = "InvokeRestateServices"
) -> dict[str, Any]:
    resources = [arn for function in function_arns for arn in invoke_resources(function)]
    return {"Sid": sid, "Effect": "Allow", "Action": INVOKE_ACTIONS, "Resource": resources}


def policy_json(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class RestateInvokerRole(Construct):
    """A role of the application's stack that only the cluster's Restate role may assume, and
    that may invoke only the given functions. Register with ``assume_role_arn=role.arn``.

    The cluster's role also needs ``sts:AssumeRole`` on this role when the two are in different
    accounts (``cluster.grant_assume_role(arn)``, or the cluster module's input)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        restate_role_arn: str,
        functions: Sequence[Any],
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        check_role_arn("restate_role_arn", restate_role_arn)
        if not functions:
            raise fail(
                "functions",
                "no function given",
                "the functions this role may invoke (at least one)",
            )
        arns = [function_arn_of(f, f"functions[{i}]") for i, f in enumerate(functions)]
        super().__init__(scope, id)
        trust = policy_json(
            [
                {
                    "Sid": "OnlyTheRestateCluster",
                    "Effect": "Allow",
                    "Principal": {"AWS": restate_role_arn},
                    "Action": "sts:AssumeRole",
                }
            ]
        )
        self.role = Resource(
            self,
            "role",
            "aws_iam_role",
            {
                "name": name,
                "name_prefix": None if name else "restate-invoker-",
                "description": "Assumed by a Restate cluster to invoke this application's services",
                "assume_role_policy": trust,
                "tags": dict(tags or {}),
            },
        )
        self.policy = Resource(
            self,
            "policy",
            "aws_iam_role_policy",
            {
                "name": "invoke-services",
                "role": self.role.ref("id"),
                "policy": policy_json([invoke_statement(arns)]),
            },
        )

    @property
    def arn(self) -> str:
        return self.role.ref("arn")
