"""Permissions given to a cluster's Restate role after it is built: invoking the Lambda
functions of services registered with it, and assuming invoker roles of other stacks.

One inline policy per grant (``aws_iam_role_policy``), least privilege: the named function with
its versions and aliases, or the named role; never ``*``.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from cdktf_restate._tf import Resource
from cdktf_restate.schema.service_props import check_role_arn
from cdktf_restate.services.invoker_role import function_arn_of, invoke_statement, policy_json


def grant_invoke(scope: Construct, role_name: str, index: int, function_or_arn: Any) -> Resource:
    arn = function_arn_of(function_or_arn)
    return Resource(
        scope,
        f"invoke_grant_{index}",
        "aws_iam_role_policy",
        {
            "name": f"invoke-service-{index}",
            "role": role_name,
            "policy": policy_json([invoke_statement([arn])]),
        },
    )


def grant_assume_role(scope: Construct, role_name: str, index: int, role_arn: str) -> Resource:
    check_role_arn("role_arn", role_arn)
    return Resource(
        scope,
        f"assume_grant_{index}",
        "aws_iam_role_policy",
        {
            "name": f"assume-invoker-role-{index}",
            "role": role_name,
            "policy": policy_json(
                [
                    {
                        "Sid": "AssumeServiceInvokerRole",
                        "Effect": "Allow",
                        "Action": ["sts:AssumeRole"],
                        "Resource": [role_arn],
                    }
                ]
            ),
        },
    )
