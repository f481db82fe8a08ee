"""``RestateEcsFargateCluster``: validate, resolve defaults once, then compose the modules."""

from __future__ import annotations

from typing import Unpack

import cdktf
from constructs import Construct

from cdktf_restate._tf import DataSource, fn, op, plain_references, tokenize_attributes
from cdktf_restate.cluster.context import (
    CLUSTER_TAG,
    ClusterContext,
    cluster_name_from_path,
    count_unless,
    given_or,
    merged_tags,
    shortened,
)
from cdktf_restate.cluster.controller import Controller, add_controller, controller_image
from cdktf_restate.cluster.ecs import add_ecs_cluster, add_log_groups
from cdktf_restate.cluster.encryption import add_cluster_key
from cdktf_restate.cluster.load_balancer import Listeners, add_load_balancer
from cdktf_restate.cluster.monitoring import add_controller_alarms, add_controller_halted_metric
from cdktf_restate.cluster.network import add_network
from cdktf_restate.cluster.outputs import add_outputs
from cdktf_restate.cluster.restate_tasks import add_restate_roles
from cdktf_restate.cluster.stateful import add_stateful
from cdktf_restate.cluster.stateless import add_stateless
from cdktf_restate.cluster.storage import add_storage
from cdktf_restate.schema.prop_types import check_keyword_properties
from cdktf_restate.schema.props import RestateClusterKeywords, RestateClusterProps, Subnet
from cdktf_restate.schema.tokens import is_token
from cdktf_restate.schema.validation import (
    format_replication,
    normalized_subnets,
    parse_replication,
    validate_props,
)


class RestateEcsFargateCluster(Construct):
    """A production Restate cluster on ECS Fargate.

    ``RestateEcsFargateCluster(scope, id, vpc_id=..., subnets=[...], ...)`` takes the fields
    of ``RestateClusterProps`` as keyword arguments (or ``props=RestateClusterProps(...)``).
    Invalid properties raise ``RestateConfigError`` before anything is created.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        props: RestateClusterProps | None = None,
        **fields: Unpack[RestateClusterKeywords],
    ) -> None:
        if props is not None and fields:
            raise TypeError("pass either props= or keyword properties, not both")
        check_keyword_properties(fields)
        props = props if props is not None else RestateClusterProps(**fields)
        validate_props(props)
        super().__init__(scope, id)
        # Our resources reference each other as text while they are built (synth speed);
        # what the construct exposes is turned into tokens before users see it (_tf.py).
        with plain_references(self):
            self._build(props, output_prefix=id)
            tokenize_attributes(self)

    def _build(self, props: RestateClusterProps, *, output_prefix: str) -> None:
        self.props = props
        self.cluster_name: str = props.cluster_name or cluster_name_from_path(self.node.path)

        ctx = self._context()
        self.context = ctx
        self.kms_key_arn = ctx.kms_key_arn
        network = add_network(ctx)
        self.security_group_ids = network.security_group_ids
        storage = add_storage(ctx)
        self.bucket_name = storage.bucket_name
        logs = add_log_groups(ctx)
        ecs_cluster = add_ecs_cluster(ctx, logs=logs)
        self.ecs_cluster_arn = ecs_cluster.arn
        load_balancer = add_load_balancer(ctx, security_group_ids=network.security_group_ids)
        self.listeners: Listeners = load_balancer.listeners
        self.load_balancer_dns_name = load_balancer.dns_name
        self.alb_target_groups = load_balancer.alb_target_groups

        addresses = props.addresses
        nlb = load_balancer.dns_name
        self.ingress_url: str = given_or(addresses.ingress, f"http://{nlb}:8080")
        self.admin_url: str = given_or(addresses.admin, f"http://{nlb}:9070")
        self.web_ui_url: str = given_or(addresses.web_ui, f"{self.admin_url}/ui")
        self.restatectl_address = f"http://{nlb}:5122"

        restate_roles = add_restate_roles(ctx, storage=storage, logs=logs)
        self.restate_task_role_arn = restate_roles.task.arn
        self.restate_task_role_name = restate_roles.task.name
        self._grants = 0
        self.restate_execution_role_arn = restate_roles.execution.arn
        stateless = add_stateless(
            ctx,
            storage=storage,
            roles=restate_roles,
            logs=logs,
            ecs_cluster=ecs_cluster,
            load_balancer=load_balancer,
            security_group_ids=network.security_group_ids,
            ingress_url=self.ingress_url,
        )
        self.stateless_service = stateless.service
        stateful = add_stateful(ctx, storage=storage, roles=restate_roles, logs=logs)
        self.stateful_task_definition = stateful.task_definition
        self.controller: Controller = add_controller(
            ctx,
            ecs_cluster=ecs_cluster,
            stateful=stateful,
            restate_roles=restate_roles,
            logs=logs,
            security_group_ids=network.security_group_ids,
            restatectl_address=self.restatectl_address,
            admin_url=self.admin_url,
        )
        from cdktf_restate.cluster.cleanup import add_destroy_cleanup  # packages a Lambda

        #: Stops the controller's tasks before `terraform destroy` deletes the cluster (or None).
        self.destroy_cleanup = add_destroy_cleanup(
            ctx,
            ecs_cluster=ecs_cluster,
            network=network,
            controller=self.controller,
            stateful=stateful,
            restate_roles=restate_roles,
            logs=logs,
        )
        self.restatectl_function_arn: str | None = None
        #: Its name as text even where the function is optional (the module's count).
        self.restatectl_function_name: str | None = None
        #: Names of the cluster's Lambdas, for the Metrics dashboard (references when known).
        self._function_names: list[str] = []
        self.retirement_watcher_function_arn: str | None = None
        self._add_lambdas(
            ctx, ecs_cluster_arn=ecs_cluster.arn, security_group_ids=network.security_group_ids
        )
        #: Where to alarm on a halted controller (docs/operations.md).
        self.controller_halted_metric = add_controller_halted_metric(ctx, logs.controller)
        #: Alarms on it (halted; silent), when ``monitoring.alarm_actions`` are given (else None).
        self.controller_alarms = add_controller_alarms(
            ctx, self.controller_halted_metric, props.monitoring.alarm_actions
        )
        from cdktf_restate.cluster.dashboards import add_cluster_dashboards  # only when built

        dashboards = add_cluster_dashboards(
            ctx,
            self,
            ecs_cluster=ecs_cluster,
            load_balancer=load_balancer,
            logs=logs,
            stateless_service=stateless.service,
            stateful_family=stateful.task_definition.attr("family"),
            security_group_ids=network.security_group_ids,
            architecture=lambda_architecture(props.restate_tasks.cpu_architecture),
        )
        #: Dashboard names (None when that dashboard is disabled); docs/dashboards.md.
        self.control_panel_dashboard_name: str | None = dashboards.control_panel_name
        self.metrics_dashboard_name: str | None = dashboards.metrics_name
        self.dashboard_names: dict[str, str] = dashboards.names
        self.control_panel_function_arn: str | None = (
            dashboards.widget_function.ref("arn") if dashboards.widget_function else None
        )

        self.outputs = add_outputs(
            self,
            prefix=output_prefix,
            values={
                "ingress_url": self.ingress_url,
                "admin_url": self.admin_url,
                "cluster_name": self.cluster_name,
                "ecs_cluster_arn": ecs_cluster.arn,
                "bucket_name": storage.bucket_name,
                "controller_service_name": self.controller.service.name,
                "restatectl_function_arn": self.restatectl_function_arn,
                "restate_task_role_arn": restate_roles.task.arn,
                "controller_task_role_arn": self.controller.task_role.arn,
                "control_panel_dashboard_name": self.control_panel_dashboard_name,
                "metrics_dashboard_name": self.metrics_dashboard_name,
            },
        )

    # ---------------------------------------------------------------- services (docs/services.md)
    def grant_invoke(self, function_or_arn: object) -> object:
        """Let the Restate nodes invoke this Lambda function, its versions and aliases."""
        from cdktf_restate.cluster.grants import grant_invoke

        self._grants += 1
        return grant_invoke(self, self.restate_task_role_name, self._grants, function_or_arn)

    def grant_assume_role(self, role_arn: str) -> object:
        """Let the Restate nodes assume an invoker role (``RestateInvokerRole`` of another
        account; within one account its trust policy alone suffices)."""
        from cdktf_restate.cluster.grants import grant_assume_role

        self._grants += 1
        return grant_assume_role(self, self.restate_task_role_name, self._grants, role_arn)

    @property
    def environment(self) -> object:
        """This cluster as a ``RestateEnvironment`` (admin URL, Restate role, grant)."""
        from cdktf_restate.services.environment import environment_of

        return environment_of(self)  # type: ignore[arg-type]

    def _context(self) -> ClusterContext:
        props = self.props
        region = DataSource(self, "region", "aws_region", {}).attr("name")
        account_id = DataSource(self, "caller_identity", "aws_caller_identity", {}).attr(
            "account_id"
        )
        partition = DataSource(self, "partition", "aws_partition", {}).attr("partition")
        if is_token(props.subnets):
            # One token for the whole list (the generated module's variable, any length):
            # Terraform splats the ids and zones; every zone must be given.
            subnets: list[Subnet] = []
            subnet_ids = splat(props.subnets, "subnet_id")
            zones = splat(props.subnets, "availability_zone")
        else:
            subnets = normalized_subnets(props.subnets)
            subnet_ids = [s.subnet_id for s in subnets]
            zones = [
                subnet.availability_zone
                or DataSource(self, f"subnet_{index}", "aws_subnet", {"id": subnet.subnet_id}).attr(
                    "availability_zone"
                )
                for index, subnet in enumerate(subnets)
            ]
        replication_value = props.stateless_node.default_replication
        replication = (
            replication_value
            if is_token(replication_value)
            else format_replication(
                parse_replication(replication_value, "stateless_node.default_replication")
            )
        )
        tags = merged_tags(props.tags, {CLUSTER_TAG: self.cluster_name})
        key = add_cluster_key(
            self,
            name=f"{self.cluster_name}-restate",
            partition=partition,
            region=region,
            account_id=account_id,
            # A token (the generated module's variable) keeps the statement: the key policy
            # is one document, and EventBridge may use the key for this account only.
            allow_events=not is_disabled(props.retirement_watcher.disabled),
            tags=tags,
        )
        return ClusterContext(
            scope=self,
            props=props,
            cluster_name=self.cluster_name,
            subnets=subnets,
            subnet_ids=subnet_ids,
            availability_zones=zones,
            replication=replication,
            region=region,
            account_id=account_id,
            partition=partition,
            kms_key_arn=key.arn,
            tags=tags,
        )

    def _add_lambdas(
        self, ctx: ClusterContext, *, ecs_cluster_arn: str, security_group_ids: list[str]
    ) -> None:
        props = self.props
        restatectl_off = props.restatectl.disabled
        watcher_off = props.retirement_watcher.disabled
        if is_disabled(restatectl_off) and is_disabled(watcher_off):
            return
        # Imported only when needed: the Lambda packaging code is not part of every synth.
        from cdktf_restate.cluster import functions as lambdas

        name = self.cluster_name
        # Shortened so that every Lambda, queue and role name derived from it fits AWS's limits
        # (in Terraform for a token: the generated module's variable).
        name_prefix = shortened(name, lambdas.MAX_NAME_PREFIX_LENGTH)
        if not is_disabled(restatectl_off):
            # The function is the controller image, so it runs on the controller's architecture.
            image_uri, _ = controller_image(ctx)
            restatectl = lambdas.add_restatectl_lambda(
                self,
                "restatectl",
                name_prefix=name_prefix,
                architecture=lambda_architecture(props.controller.tasks.cpu_architecture),
                image_uri=image_uri,
                subnet_ids=list(ctx.subnet_ids),
                security_group_ids=security_group_ids,
                restatectl_address=self.restatectl_address,
                execution_role_arn=props.restatectl.execution_role_arn,
                log_retention_days=props.log_retention_days,
                kms_key_arn=ctx.kms_key_arn,
                tags=ctx.tagged(),
                partition=ctx.partition,
                count=optional_count(restatectl_off),
            )
            self.restatectl_function_arn = restatectl.function_arn
            self._function_names.append(restatectl.known_name)
            self.restatectl_function_name = restatectl.known_name
        if not is_disabled(watcher_off):
            watcher = lambdas.add_retirement_watcher(
                self,
                "retirement_watcher",
                name_prefix=name_prefix,
                ecs_cluster_arn=ecs_cluster_arn,
                queue_kms_key_arn=given_or(
                    props.retirement_watcher.queue_kms_key_arn, ctx.kms_key_arn
                ),
                execution_role_arn=props.retirement_watcher.execution_role_arn,
                log_retention_days=props.log_retention_days,
                kms_key_arn=ctx.kms_key_arn,
                tags=ctx.tagged(),
                count=optional_count(watcher_off),
            )
            self.retirement_watcher_function_arn = watcher.function_arn
            self._function_names.append(watcher.known_name)


def lambda_architecture(cpu_architecture: str) -> str:
    """The restatectl Lambda runs on the controller image's architecture (ARM64 -> arm64, X86_64 -> x86_64);
    chosen by Terraform for a token (the generated module's variable)."""
    if is_token(cpu_architecture):
        return cdktf.Token.as_string(
            fn.conditional(op.eq(cpu_architecture, "ARM64"), "arm64", "x86_64")
        )
    return "arm64" if cpu_architecture == "ARM64" else "x86_64"


def is_disabled(flag: bool | str) -> bool:
    """A ``disabled`` prop that is true now; a token (the generated module's variable) decides
    at plan time through ``optional_count``, so its resources are synthesized."""
    return not is_token(flag) and bool(flag)


def optional_count(disabled: bool | str) -> float | None:
    """``count`` for the resources of a part that a Terraform boolean can disable."""
    return count_unless(disabled) if is_token(disabled) else None


def splat(objects: object, attribute: str) -> list[str]:
    """``objects[*].attribute`` of a token list of objects."""
    return cdktf.Token.as_list(fn.lookup_nested(objects, ["*", attribute]))
