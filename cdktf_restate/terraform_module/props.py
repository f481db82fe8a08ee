"""Construct props whose values are the generated module's variables: the construct then
synthesizes the module's resources (``hcl_module``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cdktf

from cdktf_restate.schema.props import (
    AddressesProps,
    ControllerProps,
    LoadBalancerProps,
    MonitoringProps,
    ObjectStorageProps,
    Resources,
    RestateClusterProps,
    RestatectlProps,
    RetirementWatcherProps,
    StatefulNodeProps,
    StatelessNodeProps,
    TaskProps,
)


@dataclass
class _Tokens:
    """Creates variable tokens and remembers each number token's literal for the generator."""

    stack: Any
    number_literals: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)

    def variable(self, name: str) -> Any:
        if name not in self.variables:
            self.variables[name] = cdktf.TerraformVariable(self.stack, name, type="any")
        return self.variables[name]

    def string(self, name: str, *path: str | int) -> str:
        var = self.variable(name)
        return cdktf.Token.as_string(
            cdktf.Fn.lookup_nested(var.value, list(path)) if path else var.value
        )

    def number(self, name: str, *path: str) -> float:
        var = self.variable(name)
        token = cdktf.Token.as_number(
            cdktf.Fn.lookup_nested(var.value, list(path)) if path else var.value
        )
        self.number_literals[repr(token)] = ".".join(["var", name, *path])
        return token

    def list(self, name: str, *path: str) -> list[str]:
        return cdktf.Token.as_list(cdktf.Fn.lookup_nested(self.variable(name).value, list(path)))

    def tasks(self, name: str, *path: str) -> TaskProps:
        return TaskProps(
            enable_execute_command=self.string(name, *path, "enable_execute_command"),  # type: ignore[arg-type]
            cpu_architecture=self.string(name, *path, "cpu_architecture"),
            execution_role_arn=self.string(name, *path, "execution_role_arn"),
            task_role_arn=self.string(name, *path, "task_role_arn"),
            log_driver=self.string(name, *path, "log_driver"),
            log_options=self.string(name, *path, "log_options"),  # type: ignore[arg-type]
        )

    def resources(self, name: str) -> Resources:
        return Resources(
            cpu=self.number(name, "resources", "cpu"),
            memory_mib=self.number(name, "resources", "memory_mib"),
        )


def build_props(stack: Any) -> tuple[RestateClusterProps, dict[str, str]]:
    """Construct props whose values are the module's variables."""
    t = _Tokens(stack)
    # Real tokens, not "${...}" text: cdktf escapes plain "${" inside Fn.jsonencode documents.
    # One token for the whole list: the module takes any number of subnets.
    subnets = cdktf.Token.as_list(t.variable("subnets").value)
    props = RestateClusterProps(
        vpc_id=t.string("vpc_id"),
        subnets=subnets,
        cluster_name=t.string("cluster_name"),
        ecs_cluster=t.string("ecs_cluster"),
        security_group_ids=t.list("security_group_ids"),
        stateless_node=StatelessNodeProps(
            desired_count=t.number("stateless_node", "desired_count"),
            resources=t.resources("stateless_node"),
            default_replication=t.string("stateless_node", "default_replication"),
            default_partitions=t.number("stateless_node", "default_partitions"),
            ingress_advertised_address=t.string("stateless_node", "ingress_advertised_address"),
            restate_image=t.string("stateless_node", "restate_image"),
            restate_version=t.string("stateless_node", "restate_version"),
            environment=t.string("stateless_node", "environment"),  # type: ignore[arg-type]
        ),
        stateful_node=StatefulNodeProps(
            nodes_per_az=t.number("stateful_node", "nodes_per_az"),
            resources=t.resources("stateful_node"),
            restate_image=t.string("stateful_node", "restate_image"),
            restate_version=t.string("stateful_node", "restate_version"),
            environment=t.string("stateful_node", "environment"),  # type: ignore[arg-type]
            # One token for the whole object: null (no volume) decides counts and blocks.
            ebs_volume=t.string("stateful_node", "ebs_volume"),  # type: ignore[arg-type]
        ),
        controller=ControllerProps(
            controller_image=t.string("controller", "controller_image"),
            resources=t.resources("controller"),
            snapshot_retention_days=t.number("controller", "snapshot_retention_days"),
            reconcile_interval_seconds=t.number("controller", "reconcile_interval_seconds"),
            drain_timeout_seconds=t.number("controller", "drain_timeout_seconds"),
            tasks=t.tasks("controller", "tasks"),
        ),
        restate_tasks=t.tasks("restate_tasks"),
        object_storage=ObjectStorageProps(
            bucket_name=t.string("object_storage", "bucket_name"),
            prefix=t.string("object_storage", "prefix"),
            force_destroy=t.string("object_storage", "force_destroy"),  # type: ignore[arg-type]
            noncurrent_version_expiration_days=t.number(
                "object_storage", "noncurrent_version_expiration_days"
            ),
            access_logs_bucket=t.string("object_storage", "access_logs_bucket"),
            kms_key_arn=t.string("object_storage", "kms_key_arn"),
        ),
        load_balancer=LoadBalancerProps(
            existing_nlb_arn=t.string("load_balancer", "existing_nlb_arn"),
            internet_facing=t.string("load_balancer", "internet_facing"),  # type: ignore[arg-type]
            subnet_ids=t.list("load_balancer", "subnet_ids"),
            ingress_cidr_blocks=t.list("load_balancer", "ingress_cidr_blocks"),
            admin_cidr_blocks=t.list("load_balancer", "admin_cidr_blocks"),
            deletion_protection=t.string("load_balancer", "deletion_protection"),  # type: ignore[arg-type]
            disable_shared_nlb_ports=t.list("load_balancer", "disable_shared_nlb_ports"),
            create_alb_targets=t.string("load_balancer", "create_alb_targets"),  # type: ignore[arg-type]
            access_logs_bucket=t.string("load_balancer", "access_logs_bucket"),
        ),
        addresses=AddressesProps(
            ingress=t.string("addresses", "ingress"),
            admin=t.string("addresses", "admin"),
            web_ui=t.string("addresses", "web_ui"),
        ),
        monitoring=MonitoringProps(
            container_insights=t.string("monitoring", "container_insights"),
            alarm_actions=t.list("monitoring", "alarm_actions"),
        ),
        log_retention_days=t.number("log_retention_days"),
        restatectl=RestatectlProps(
            disabled=t.string("restatectl", "disabled"),  # type: ignore[arg-type]
            execution_role_arn=t.string("restatectl", "execution_role_arn"),
        ),
        retirement_watcher=RetirementWatcherProps(
            disabled=t.string("retirement_watcher", "disabled"),  # type: ignore[arg-type]
            execution_role_arn=t.string("retirement_watcher", "execution_role_arn"),
            queue_kms_key_arn=t.string("retirement_watcher", "queue_kms_key_arn"),
        ),
        tags=t.string("tags"),  # type: ignore[arg-type]
    )
    return props, t.number_literals
