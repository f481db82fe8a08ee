"""``ServiceDeployer``: our deployer Lambda in the cluster's VPC, and registrations through it.

Each registration is an ``aws_lambda_invocation`` with ``lifecycle_scope = "CRUD"``: Terraform
invokes the deployer at apply when the registration is created or its input changes (a new
function version, another URI), and once more when it is destroyed. Its ``result`` holds the
deployment id, services and handlers Restate found. What the deployer does on each action:
``cdktf_restate/lambdas/service_deployer.py`` (delete leaves the deployment in Restate).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cdktf
from constructs import Construct

from cdktf_restate._tf import DataSource, Resource, fn, op
from cdktf_restate.cluster import functions
from cdktf_restate.cluster.context import function_argument
from cdktf_restate.lambdas import build as lambda_build
from cdktf_restate.schema.errors import fail
from cdktf_restate.schema.service_props import (
    FUNCTION_VERSION_ARN_PATTERN,
    HTTP_URL_PATTERN,
    ServiceDeployerProps,
    check_function_version_arn,
    check_http_url,
    check_role_arn,
    validate_deployer_props,
)
from cdktf_restate.schema.tokens import is_token
from cdktf_restate.services.environment import (
    EnvironmentLike,
    RestateEnvironment,
    environment_of,
)

DEPLOYER_TIMEOUT_SECONDS = 900  # Lambda's maximum: a new cluster may need minutes
DEPLOYER_MEMORY_MB = 128
#: Terraform applies up to 10 resources at once; throttled invocations are retried by the
#: provider, so a few concurrent registrations are enough and cap a runaway caller.
DEPLOYER_RESERVED_CONCURRENCY = 4
LIFECYCLE_KEY = "tf"
MAX_NAME_LENGTH = 64
_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Registration:
    """One registration; its attributes are known after apply."""

    invocation: Resource

    @property
    def result(self) -> Any:
        return fn.jsondecode(self.invocation.attr("result"))

    @property
    def deployment_id(self) -> str:
        """Restate's deployment id (``dp_...``)."""
        return cdktf.Token.as_string(fn.lookup(self.result, "id"))

    @property
    def services(self) -> list[str]:
        """Names of the services Restate discovered in the deployment."""
        return cdktf.Token.as_list(fn.lookup(self.result, "services"))

    @property
    def handlers(self) -> Any:
        """Service name -> its handler names."""
        return fn.lookup(self.result, "handlers")


def default_name(path: str) -> str:
    name = _NAME_CHARACTERS.sub("-", path).strip("-_")
    suffix = "-deployer"
    return (name[: MAX_NAME_LENGTH - len(suffix)].rstrip("-_") or "restate") + suffix


class ServiceDeployer(Construct):
    """Registers Restate services (Lambda versions or HTTP endpoints) at ``terraform apply``.

    ``ServiceDeployer(scope, id, subnet_ids=[...], security_group_ids=[...])`` takes the
    fields of ``ServiceDeployerProps``; bad input raises ``RestateConfigError`` at once.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        props: ServiceDeployerProps | None = None,
        *,
        kms_key_may_be_null: bool = False,
        **fields: Any,
    ) -> None:
        """``kms_key_may_be_null``: the key is a value Terraform may find null (a variable of
        the generated module); a resource's ARN is never null."""
        if props is not None and fields:
            raise TypeError("pass either props= or keyword properties, not both")
        if props is None:
            if "subnets" in fields:  # the reference product's name for it
                fields["subnet_ids"] = fields.pop("subnets")
            try:
                props = ServiceDeployerProps(**fields)
            except TypeError as error:
                raise fail(
                    "ServiceDeployer", str(error), "the fields of ServiceDeployerProps"
                ) from error
        validate_deployer_props(props)
        super().__init__(scope, id)
        self._kms_may_be_null = kms_key_may_be_null
        self.props = props
        self._registrations = 0
        self.function_name = props.name or default_name(self.node.path)
        self._build(props)

    # ------------------------------------------------------------------ the deployer Lambda
    def _build(self, props: ServiceDeployerProps) -> None:
        package = lambda_build.service_deployer_zip()
        partition = DataSource(self, "partition", "aws_partition", {}).attr("partition")
        tags: Any = props.tags if is_token(props.tags) else dict(props.tags)
        kms = props.kms_key_arn
        name = self.function_name
        self.log_group = functions._log_group(self, name, props.log_retention_days, kms, tags, None)
        # Registrations are synchronous; the queue catches nothing in practice but keeps the
        # function in line with the cluster's (and checkov's CKV_AWS_116).
        self.dead_letter_queue = functions._dead_letter_queue(self, f"{name}-dlq", kms, tags, None)
        # A key that Terraform may find null (the generated module's variable): the key
        # statement and the queue's own encryption are chosen in Terraform.
        nullable_key = self._kms_may_be_null and is_token(kms)
        if nullable_key:
            null = cdktf.Token.null_value()
            self.dead_letter_queue.add_override(
                "sqs_managed_sse_enabled", fn.conditional(op.eq(kms, null), True, null)
            )
        statements: Any = functions._basic_statements(
            self.log_group, self.dead_letter_queue, None if nullable_key else kms
        )
        statements += vpc_statements(partition, props.subnet_ids, props.security_group_ids)
        if nullable_key:
            key_statement = {
                "Sid": "UseClusterKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": kms,
            }
            # (function_argument: cdktf functions do not take templates with references)
            statements = fn.concat(
                [
                    _templates_as_arguments(statements),
                    fn.conditional(op.eq(kms, cdktf.Token.null_value()), [], [key_statement]),
                ]
            )
        role, policy = functions._role(self, name, statements, tags, None)
        self.role_arn = role.ref("arn")
        self.function = functions._function(
            self,
            function_name=name,
            code=functions._zip_code(self, {"arm64": package}, "arm64"),
            role_arn=self.role_arn,
            attributes={
                "description": "Registers Restate deployments through the cluster's admin API",
                "runtime": "python3.12",
                "handler": "service_deployer.handler",
                "architectures": ["arm64"],
                "timeout": DEPLOYER_TIMEOUT_SECONDS,
                "memory_size": DEPLOYER_MEMORY_MB,
                "reserved_concurrent_executions": DEPLOYER_RESERVED_CONCURRENCY,
                "vpc_config": [
                    {
                        "subnet_ids": list(props.subnet_ids),
                        "security_group_ids": list(props.security_group_ids),
                    }
                ],
            },
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
            kms_key_arn=kms,
            tags=tags,
            count=None,
            depends_on=[policy],
        )

    @property
    def function_arn(self) -> str:
        return self.function.ref("arn")

    # ------------------------------------------------------------------ registrations
    def register(
        self,
        function_version_arn: str,
        environment: RestateEnvironment | EnvironmentLike,
        *,
        id: str | None = None,
        assume_role_arn: str | None = None,
        force: bool = False,
    ) -> Registration:
        """Register a published version or alias of a Lambda function.

        With a cluster of this stack as ``environment`` and no ``assume_role_arn``, the
        cluster's Restate role is granted the invoke first (``cluster.grant_invoke``)."""
        check_function_version_arn("function_version_arn", function_version_arn)
        check_role_arn("assume_role_arn", assume_role_arn)
        target = environment_of(environment)
        waits_for: list[Any] = []
        if assume_role_arn is None and target.grant is not None:
            grant = target.grant(function_version_arn)
            if grant is not None:
                waits_for.append(grant)
        deployment: dict[str, Any] = {"arn": function_version_arn}
        if assume_role_arn is not None:
            deployment["assume_role_arn"] = assume_role_arn
        preconditions: list[dict[str, Any]] = []
        if is_token(function_version_arn):
            preconditions.append(
                {
                    "condition": fn.can(
                        fn.regex(FUNCTION_VERSION_ARN_PATTERN, function_version_arn)
                    ),
                    "error_message": "function_version_arn: not a published version or alias ARN; "
                    "allowed: arn:aws:lambda:REGION:ACCOUNT:function:NAME:VERSION_OR_ALIAS "
                    "(publish = true and qualified_arn, or an alias arn)",
                }
            )
        return self.add_registration(
            id, target.admin_url, deployment, force=force, depends_on=waits_for,
            preconditions=preconditions,
        )  # fmt: skip

    def register_http(
        self,
        uri: str,
        environment: RestateEnvironment | EnvironmentLike,
        *,
        id: str | None = None,
        force: bool = False,
    ) -> Registration:
        """Register an HTTP endpoint (a service on ECS, EC2, ... reachable from the cluster)."""
        check_http_url("uri", uri)
        target = environment_of(environment)
        preconditions: list[dict[str, Any]] = []
        if is_token(uri):
            preconditions.append(
                {
                    "condition": fn.can(fn.regex(HTTP_URL_PATTERN, uri)),
                    "error_message": "uri: not an http(s) URL with a host; allowed: "
                    "http(s)://host[:port][/path]",
                }
            )
        return self.add_registration(
            id, target.admin_url, {"uri": uri}, force=force, preconditions=preconditions
        )

    def add_registration(
        self,
        id: str | None,
        admin_url: str,
        deployment: Mapping[str, Any] | str,
        *,
        force: bool | str = False,
        wait_seconds: int | float | None = None,
        depends_on: Sequence[Any] = (),
        preconditions: Sequence[Mapping[str, Any]] = (),
    ) -> Registration:
        """The ``aws_lambda_invocation``; ``deployment`` may be a Terraform expression (the
        generated module's choice between a function and a URI)."""
        check_http_url("admin_url", admin_url)
        self._registrations += 1
        invocation_id = id or f"registration-{self._registrations}"
        payload = {
            "admin_url": admin_url,
            "deployment": deployment,
            "force": force,
            "wait_seconds": wait_seconds if wait_seconds is not None else self.props.wait_seconds,
        }
        invocation = Resource(
            self,
            invocation_id,
            "aws_lambda_invocation",
            {
                "function_name": self.function.ref("function_name"),
                "input": fn.jsonencode(payload),
                "lifecycle_scope": "CRUD",
                "terraform_key": LIFECYCLE_KEY,
                # Checked by Terraform for values known only at plan time (tokens).
                "lifecycle": {"precondition": [dict(p) for p in preconditions]}
                if preconditions
                else None,
            },
            depends_on=[self.function, *depends_on],
        )
        return Registration(invocation)


def _templates_as_arguments(value: Any) -> Any:
    if isinstance(value, str):
        return function_argument(value)
    if isinstance(value, list):
        return [_templates_as_arguments(v) for v in value]
    if isinstance(value, dict):
        return {k: _templates_as_arguments(v) for k, v in value.items()}
    return value


def vpc_statements(
    partition: str, subnet_ids: Sequence[str], group_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Lambda's ENIs in the given subnets and security groups, and nothing else of EC2."""
    return [
        {
            "Sid": "CreateVpcInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface"],
            "Resource": functions._network_arns(partition, subnet_ids, group_ids),
        },
        {
            "Sid": "ManageVpcInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": f"arn:{partition}:ec2:*:*:network-interface/*",
        },
        {
            # Describe calls have no resource-level permissions.
            "Sid": "DescribeVpcInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "Resource": "*",
        },
    ]
