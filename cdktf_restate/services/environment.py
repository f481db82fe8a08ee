"""``RestateEnvironment``: where services are registered and who invokes them.

A cluster is one (its admin URL and its Restate task role); in an application stack apart from
the cluster's, ``RestateEnvironment.from_attributes`` builds one from the cluster's outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cdktf_restate.schema.service_props import check_http_url, check_role_arn


class EnvironmentLike(Protocol):
    """What ``RestateEcsFargateCluster`` offers: enough to deploy services onto it."""

    admin_url: str
    restate_task_role_arn: str

    def grant_invoke(self, function_or_arn: Any) -> Any: ...


@dataclass(frozen=True)
class RestateEnvironment:
    #: The admin API (port 9070) registrations go to; internal, reached from inside the VPC.
    admin_url: str
    #: The role Restate's nodes run as: it invokes Lambda functions, or assumes an invoker role.
    invoker_role_arn: str
    #: Grants ``invoker_role_arn`` the right to invoke a function (only when this stack owns
    #: the role, i.e. the cluster is in the same stack); returns what registration waits for.
    grant: Callable[[Any], Any] | None = None

    @classmethod
    def from_attributes(cls, *, admin_url: str, invoker_role_arn: str) -> RestateEnvironment:
        """An environment from another stack's outputs (``admin_url``, ``restate_task_role_arn``).

        This stack cannot grant the cluster's role anything: register with an invoker role of
        this stack (``RestateInvokerRole``) that the cluster's role may assume."""
        check_http_url("admin_url", admin_url)
        check_role_arn("invoker_role_arn", invoker_role_arn)
        return cls(admin_url=admin_url, invoker_role_arn=invoker_role_arn)


def environment_of(target: RestateEnvironment | EnvironmentLike) -> RestateEnvironment:
    """``target`` as an environment: a cluster becomes its admin URL, task role and grant."""
    if isinstance(target, RestateEnvironment):
        return target
    admin_url = getattr(target, "admin_url", None)
    role = getattr(target, "restate_task_role_arn", None)
    if admin_url is None or role is None:
        raise TypeError(
            f"{type(target).__name__} is not a Restate environment; pass a "
            "RestateEcsFargateCluster or RestateEnvironment.from_attributes(...)"
        )
    return RestateEnvironment(admin_url=admin_url, invoker_role_arn=role, grant=target.grant_invoke)
