"""The frozen context every module of the construct receives instead of long parameter lists."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cdktf
from constructs import Construct

from cdktf_restate._tf import as_tokens, fn, op
from cdktf_restate.schema.props import RestateClusterProps, Subnet
from cdktf_restate.schema.tokens import is_token

CLUSTER_TAG = "restate:cluster"


def cluster_name_from_path(path: str) -> str:
    """A cluster name from the construct path: ``stack/restate`` -> ``stack-restate``; it
    follows the cluster_name rule (letters, digits, - and _, at most 64, a letter or digit at
    both ends, not a prefix AWS reserves)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-_")[:64].rstrip("-_")
    if name.startswith(("internal-", "internal_", "sg-")):
        name = f"restate-{name}"[:64].rstrip("-_")
    return name or "restate"


@dataclass(frozen=True)
class ClusterContext:
    """Resolved inputs shared by all modules (props already validated)."""

    scope: Construct
    props: RestateClusterProps
    cluster_name: str
    #: Empty when ``props.subnets`` is one token (the generated module's list of any length);
    #: ``subnet_ids`` and ``availability_zones`` are then list tokens (``var.subnets[*]...``).
    subnets: Sequence[Subnet]
    subnet_ids: Sequence[str]
    #: Zones in subnet order; tokens when looked up by data source.
    availability_zones: Sequence[str]
    replication: str
    region: str
    account_id: str
    partition: str
    kms_key_arn: str
    #: A mapping, or a token of one (the generated module's ``merge(var.tags, {...})``).
    tags: Mapping[str, str] | str

    def name(self, suffix: str, max_length: int = 64) -> str:
        """``<cluster>-<suffix>``, shortened to fit AWS name limits (deterministic)."""
        room = max_length - len(suffix) - 1
        return f"{shortened(self.cluster_name, room)}-{suffix}"

    def elb_name(self, suffix: str) -> str:
        """A load balancer or target group name: ``name()`` within 32 characters, and only
        letters, digits and hyphens (the cluster name may hold ``_``)."""
        if is_token(self.cluster_name):
            return f"{fn.replace(self.name(suffix, 32), '_', '-')}"
        return self.name(suffix, 32).replace("_", "-").lstrip("-")

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        """An ARN in this stack's partition/region/account."""
        region_part = self.region if region else ""
        account_part = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{region_part}:{account_part}:{resource}"

    def tagged(self, **extra: str) -> Mapping[str, str] | str:
        return merged_tags(self.tags, extra)


def shortened(name: str, length: int) -> str:
    """The first ``length`` characters of a name without trailing ``-``/``_`` (a token in
    Terraform, the same rule: names start with a letter or digit, so ``trim`` only cuts the
    end), so construct and generated module derive the same names."""
    if is_token(name):
        return cdktf.Token.as_string(fn.trim(fn.substr(name, 0, length), "-_"))
    return name[:length].rstrip("-_")


def merged_tags(tags: Mapping[str, str] | str, extra: Mapping[str, str]) -> Mapping[str, str] | str:
    """``{**tags, **extra}``; for a token map (a Terraform variable) Terraform's ``merge``."""
    if isinstance(tags, str) and is_token(tags):
        return fn.merge([tags, dict(extra)]) if extra else tags
    return {**tags, **extra}


def negated(flag: bool | str) -> bool | str:
    """``not flag``, in Terraform for a boolean token (a variable)."""
    if is_token(flag):
        return cdktf.Token.as_string(op.not_(flag))
    return not flag


def count_if(flag: object) -> float:
    """``count`` of a resource that exists when the Terraform boolean ``flag`` is true."""
    return cdktf.Token.as_number(fn.conditional(flag, 1, 0))


def count_unless(flag: object) -> float:
    """``count`` of a resource that exists when the Terraform boolean ``flag`` is false."""
    return cdktf.Token.as_number(fn.conditional(flag, 0, 1))


def count_if_null(value: str) -> float:
    """``count`` of a resource created when the Terraform value ``value`` is null."""
    null = cdktf.Token.null_value()
    return cdktf.Token.as_number(fn.conditional(op.eq(value, null), 1, 0))


def count_unless_null(value: str) -> float:
    """``count`` of a data source read when the Terraform value ``value`` is given."""
    null = cdktf.Token.null_value()
    return cdktf.Token.as_number(fn.conditional(op.eq(value, null), 0, 1))


def local(ctx: ClusterContext, id: str, expression: object) -> str:
    """A Terraform ``locals`` value for an expression used in many places (readable HCL)."""
    return cdktf.TerraformLocal(ctx.scope, id, expression).as_string


def local_list(ctx: ClusterContext, id: str, expression: object) -> list[str]:
    return cdktf.TerraformLocal(ctx.scope, id, expression).as_list


_STRING_TOKEN = re.compile(r"(\$\{TfToken\[TOKEN\.\d+\]\})")


def function_argument(value: str) -> str:
    """A string with embedded references, fit to be an argument of a cdktf function: cdktf
    functions do not take ``"...${ref}..."`` templates, so it becomes ``join("", [...])``."""
    parts = [part for part in _STRING_TOKEN.split(as_tokens(value)) if part]
    if len(parts) <= 1:
        return value
    return cdktf.Token.as_string(fn.join("", parts))


def given_or(given: str | None, default: str) -> str:
    """``given or default``; ``coalesce`` in Terraform for a token that may be null (the
    generated module's variables)."""
    if is_token(given):
        return cdktf.Token.as_string(fn.coalesce([given, function_argument(default)]))
    return given or default


def text(value: object) -> str:
    """A value as a string, keeping number tokens resolvable (``str`` would not)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and is_token(value):
        return cdktf.Token.as_string(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def last_path_segment(value: str) -> str:
    """What follows the last ``/`` (``arn:...:role/path/name`` -> ``name``); a token expression
    for tokens. A value without ``/`` is its own last segment."""
    if is_token(value):
        return fn.element(fn.reverse(fn.split("/", value)), 0)
    return value.rsplit("/", 1)[-1]
