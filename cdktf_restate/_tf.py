"""Thin Terraform resource layer on cdktf core.

The construct synthesizes Terraform JSON through cdktf core only. It does not
import ``cdktf_cdktf_provider_aws``: that package's ``__init__`` imports ~2,100
submodules (15-17 s) and jsii then loads a 3-4 s assembly, for typed setters we
do not need. Attributes here are plain Python dicts (snake_case, exactly as in
the Terraform AWS provider 5.100.0 schema); ``terraform validate`` in the tests
checks them against the real provider schema. References are ordinary cdktf
tokens, so these resources compose with provider-binding resources in one stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cdktf
from constructs import Construct

AWS_PROVIDER_SOURCE = "hashicorp/aws"
AWS_PROVIDER_VERSION_CONSTRAINT = ">= 5.100.0, < 6.0.0"


def _drop_none(value: Any) -> Any:
    """Remove ``None`` values recursively so optional props simply disappear."""
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value if v is not None]
    return value


class Resource(cdktf.TerraformResource):
    """A Terraform resource of any AWS type, with attributes given as a dict."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        resource_type: str,
        attributes: Mapping[str, Any],
        *,
        depends_on: Sequence[cdktf.ITerraformDependable] | None = None,
        lifecycle: cdktf.TerraformResourceLifecycle | None = None,
        count: float | str | None = None,
    ) -> None:
        self._attributes = _drop_none(dict(attributes))
        super().__init__(
            scope,
            id,
            terraform_resource_type=resource_type,
            depends_on=list(depends_on) if depends_on else None,
            lifecycle=lifecycle,
            count=count,
        )

    def _synthesize_attributes(self) -> Mapping[str, Any]:  # jsii override
        return self._attributes

    def attr(self, name: str) -> str:
        """A token for ``${type.name.<name>}``."""
        return self.get_string_attribute(name)

    def list_attr(self, name: str) -> list[str]:
        return self.get_list_attribute(name)

    def one(self, name: str) -> str:
        """``one(type.name[*].<name>)``: the attribute of a resource with ``count`` 0 or 1
        (null when it is not created)."""
        return cdktf.Token.as_string(cdktf.Fn.one(self.get_list_attribute(f"*.{name}")))

    @property
    def arn(self) -> str:
        return self.attr("arn")

    @property
    def id_(self) -> str:
        return self.attr("id")

    @property
    def name(self) -> str:
        return self.attr("name")


class DataSource(cdktf.TerraformDataSource):
    """A Terraform data source of any AWS type, with arguments given as a dict."""

    def __init__(self, scope: Construct, id: str, data_type: str, arguments: Mapping[str, Any]):
        self._attributes = _drop_none(dict(arguments))
        super().__init__(scope, id, terraform_resource_type=data_type)

    def _synthesize_attributes(self) -> Mapping[str, Any]:  # jsii override
        return self._attributes

    def attr(self, name: str) -> str:
        return self.get_string_attribute(name)

    def list_attr(self, name: str) -> list[str]:
        return self.get_list_attribute(name)


class AwsProvider(cdktf.TerraformProvider):
    """The ``hashicorp/aws`` provider block, pinned to the 5.x line we test (5.100.0)."""

    def __init__(self, scope: Construct, id: str, **arguments: Any) -> None:
        self._attributes = _drop_none(arguments)
        super().__init__(
            scope,
            id,
            terraform_resource_type="aws",
            terraform_provider_source=AWS_PROVIDER_SOURCE,
            terraform_generator_metadata=cdktf.TerraformProviderGeneratorMetadata(
                provider_name="aws",
                provider_version="5.100.0",
                provider_version_constraint=AWS_PROVIDER_VERSION_CONSTRAINT,
            ),
        )

    def _synthesize_attributes(self) -> Mapping[str, Any]:  # jsii override
        return self._attributes


def moto_endpoints(url: str) -> list[dict[str, str]]:
    """Provider ``endpoints`` for every service the cluster uses, pointed at one emulator."""
    services = [
        "cloudwatch", "cloudwatchevents", "cloudwatchlogs", "ec2", "ecs", "elbv2", "iam",
        "kms", "lambda", "s3", "sqs", "sts", "ssm", "sns",
    ]  # fmt: skip
    return [{service: url for service in services}]


def emulator_provider_arguments(url: str, region: str = "us-east-1") -> dict[str, Any]:
    """Provider settings for a local AWS emulator (moto) on loopback."""
    return {
        "region": region,
        "access_key": "test",
        "secret_key": "test",
        "skip_credentials_validation": True,
        "skip_metadata_api_check": "true",
        "skip_requesting_account_id": True,
        "s3_use_path_style": True,
        "endpoints": moto_endpoints(url),
    }
