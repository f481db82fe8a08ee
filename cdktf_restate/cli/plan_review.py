"""Restate-aware review of a Terraform plan, as Markdown for a pull-request comment.

Input: ``terraform show -json PLANFILE``. Works on the CDKTF stack and on the HCL
module alike: resources are recognised by type and, for ECS task definitions, by
what their containers run (``log-server`` roles, ``RESTATE_CONTROLLER_*`` env),
so addresses such as ``module.restate.aws_ecs_task_definition.stateful`` and
``aws_ecs_task_definition.cluster_stateful_task_1A2B3C`` are both understood.

Usage: ``cdktf-restate plan-review PLAN.json [--output FILE]`` (``-`` reads stdin).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMPONENTS = (
    "storage",
    "network",
    "load balancer",
    "ECS",
    "stateless",
    "stateful",
    "controller",
    "IAM",
    "Lambdas",
    "monitoring",
    "service registrations",
    "other",
)
ACTION_ORDER = ("replace", "delete", "update", "create")
ACTION_WORDS = {"create": "add", "update": "change", "replace": "replace", "delete": "destroy"}
ACTION_ICONS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}

# Env vars whose value Restate reads only when the cluster is first provisioned.
PROVISIONING_ONLY_ENV = {
    "RESTATE_DEFAULT_REPLICATION": "default replication",
    "RESTATE_DEFAULT_NUM_PARTITIONS": "default number of partitions",
}
CONTROLLER_ENV_PREFIX = "RESTATE_CONTROLLER_"
UNKNOWN = "(known after apply)"


class PlanReviewError(ValueError):
    pass


@dataclass(frozen=True)
class ResourceChange:
    """One entry of the plan's ``resource_changes`` reduced to what the review needs."""

    address: str
    type: str
    action: str  # create | update | replace | delete
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    after_unknown: Mapping[str, Any]
    replace_paths: tuple[tuple[Any, ...], ...]
    component: str = ""

    def after_value(self, key: str) -> Any:
        """The planned value, or ``UNKNOWN`` when Terraform only knows it after apply."""
        if self.after_unknown.get(key) is True:
            return UNKNOWN
        return self.after.get(key)


@dataclass
class Review:
    changes: list[ResourceChange]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- parsing


def _action(actions: Iterable[str]) -> str | None:
    actions = list(actions)
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    if actions in (["create"], ["update"], ["delete"]):
        return actions[0]
    return None  # no-op, read


def parse_changes(plan: Mapping[str, Any]) -> list[ResourceChange]:
    if "resource_changes" not in plan and "format_version" not in plan:
        raise PlanReviewError(
            "input is not `terraform show -json PLANFILE` output (no resource_changes/format_version)"
        )
    changes = []
    for entry in plan.get("resource_changes") or []:
        if entry.get("mode", "managed") != "managed":
            continue
        change = entry.get("change") or {}
        action = _action(change.get("actions") or [])
        if action is None:
            continue
        raw = ResourceChange(
            address=entry["address"],
            type=entry["type"],
            action=action,
            before=change.get("before") or {},
            after=change.get("after") or {},
            after_unknown=change.get("after_unknown") or {},
            replace_paths=tuple(tuple(p) for p in change.get("replace_paths") or []),
        )
        changes.append(_with_component(raw))
    return changes


def container_definitions(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    text = values.get("container_definitions")
    if not isinstance(text, str):
        return []
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return []
    return parsed if isinstance(parsed, list) else []


def container_env(values: Mapping[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for container in container_definitions(values):
        for item in container.get("environment") or []:
            if isinstance(item, Mapping) and "name" in item:
                env[str(item["name"])] = str(item.get("value", ""))
    return env


def container_images(values: Mapping[str, Any]) -> list[str]:
    return [str(c.get("image")) for c in container_definitions(values) if c.get("image")]


def task_definition_kind(values: Mapping[str, Any]) -> str | None:
    """stateful / stateless / controller from what the containers run, if recognisable."""
    if not container_definitions(values):
        return None
    if any(name.startswith(CONTROLLER_ENV_PREFIX) for name in container_env(values)):
        return "controller"
    text = values.get("container_definitions", "")
    if "log-server" in text:
        return "stateful"
    if "http-ingress" in text:
        return "stateless"
    return None


def _kind_from_name(text: str) -> str | None:
    lowered = text.lower()
    for kind in ("controller", "stateless", "stateful"):
        if kind in lowered:
            return kind
    return None


def _ecs_component(change: ResourceChange) -> str:
    if change.type == "aws_ecs_task_definition":
        kind = task_definition_kind(change.after) or task_definition_kind(change.before)
        if kind:
            return kind
    names = " ".join(
        str(v)
        for v in (change.address, change.before.get("name"), change.after.get("name"),
                  change.before.get("family"), change.after.get("family"))
        if v
    )  # fmt: skip
    return _kind_from_name(names) or "ECS"


def is_destroy_cleanup(change: ResourceChange) -> bool:
    """The cluster's destroy-time cleanup invocation (cluster/cleanup.py), recognised by its
    function's name; every other ``aws_lambda_invocation`` is a service registration."""
    from cdktf_restate.lambdas.cluster_cleanup import FUNCTION_SUFFIX

    values = change.before if change.action == "delete" else change.after
    name = values.get("function_name")
    return (
        change.type == "aws_lambda_invocation"
        and isinstance(name, str)
        and name.endswith(f"-{FUNCTION_SUFFIX}")
    )


def _with_component(change: ResourceChange) -> ResourceChange:
    return ResourceChange(**{**change.__dict__, "component": component_of(change)})


def component_of(change: ResourceChange) -> str:
    """The cluster component a resource belongs to (one of ``COMPONENTS``)."""
    t = change.type
    if t.startswith(("aws_s3_", "aws_kms_")):
        component = "storage"
    elif t.startswith(("aws_lb", "aws_alb")):
        component = "load balancer"
    elif t in {"aws_ecs_task_definition", "aws_ecs_service"}:
        component = _ecs_component(change)
    elif t.startswith("aws_ecs_"):
        component = "ECS"
    elif t.startswith("aws_iam_"):
        component = "IAM"
    elif is_destroy_cleanup(change):
        component = "Lambdas"  # the cluster's own destroy-time step (docs/teardown.md)
    elif t == "aws_lambda_invocation":
        component = "service registrations"  # ServiceDeployer (docs/services.md)
    elif t.startswith(("aws_lambda_", "aws_sqs_", "aws_cloudwatch_event_")):
        component = "Lambdas"
    elif t.startswith(("aws_cloudwatch_", "aws_sns_")):
        component = "monitoring"
    elif t.startswith(("aws_security_group", "aws_vpc", "aws_subnet", "aws_network_", "aws_route")):
        component = "network"
    else:
        component = "other"
    return component


# ---------------------------------------------------------------- facts from the plan


@dataclass(frozen=True)
class ControllerSettings:
    nodes_per_az: int
    zones: tuple[str, ...]

    @property
    def stateful_nodes(self) -> int:
        return self.nodes_per_az * len(self.zones)


def _settings_from_env(env: Mapping[str, str]) -> ControllerSettings | None:
    if f"{CONTROLLER_ENV_PREFIX}SUBNETS_BY_AZ" not in env:
        return None
    try:
        zones = tuple(sorted(json.loads(env[f"{CONTROLLER_ENV_PREFIX}SUBNETS_BY_AZ"])))
        nodes_per_az = int(env.get(f"{CONTROLLER_ENV_PREFIX}NODES_PER_AZ", "1"))
    except (ValueError, TypeError):
        return None
    return ControllerSettings(nodes_per_az=nodes_per_az, zones=zones)


def _state_resources(module: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _state_resources(child)


def controller_settings(
    plan: Mapping[str, Any], changes: list[ResourceChange], *, planned: bool
) -> ControllerSettings | None:
    """Nodes per AZ and zones from the controller task definition's env.

    ``planned``: prefer the values after apply (falling back to the current ones when
    the new container definitions are only known after apply, e.g. because they
    embed the new stateful task definition ARN).
    """
    candidates: list[Mapping[str, Any]] = []
    for change in changes:
        if change.component == "controller" and change.type == "aws_ecs_task_definition":
            candidates += [change.after, change.before] if planned else [change.before]
    for section in ("planned_values", "prior_state") if planned else ("prior_state",):
        root = (plan.get(section) or {}).get("values", {}).get("root_module") or {}
        for resource in _state_resources(root):
            if resource.get("type") == "aws_ecs_task_definition":
                candidates.append(resource.get("values") or {})
    for values in candidates:
        settings = _settings_from_env(container_env(values))
        if settings:
            return settings
    return None


# ---------------------------------------------------------------- warnings


def _code(text: str) -> str:
    return f"`{text}`"


def _stateful_warnings(plan: Mapping[str, Any], changes: list[ResourceChange]) -> list[str]:
    warnings = []
    for change in changes:
        if change.component != "stateful" or change.type != "aws_ecs_task_definition":
            continue
        if change.action not in {"update", "replace"}:
            continue
        settings = controller_settings(plan, changes, planned=True)
        if settings:
            how_many = (
                f"{settings.stateful_nodes} stateful node(s) ({settings.nodes_per_az} per AZ × "
                f"{len(settings.zones)} AZs: {', '.join(settings.zones)})"
            )
        else:
            how_many = "every stateful node"
        images = _image_change(change)
        warnings.append(
            f"**Stateful nodes will be replaced**: the stateful task definition "
            f"{_code(change.address)} changes{images}. The controller will replace {how_many} "
            "one AZ at a time, draining each node before it stops. Expect the roll to take a "
            "few minutes per node; do not merge another stateful change until it finished."
        )
    return warnings


def _image_change(change: ResourceChange) -> str:
    before, after = container_images(change.before), container_images(change.after)
    if before and after and before != after:
        return f" (image {', '.join(map(_code, before))} → {', '.join(map(_code, after))})"
    return ""


def _stateless_warnings(changes: list[ResourceChange]) -> list[str]:
    warnings = []
    for change in changes:
        if change.component != "stateless" or change.type != "aws_ecs_task_definition":
            continue
        if change.action in {"update", "replace"}:
            warnings.append(
                f"Stateless nodes roll: {_code(change.address)} changes{_image_change(change)}; "
                "ECS replaces the admin/ingress tasks with a rolling deployment (200%/100%)."
            )
    return warnings


def _provisioning_only_warnings(changes: list[ResourceChange]) -> list[str]:
    warnings = []
    seen: set[str] = set()
    for change in changes:
        if change.type != "aws_ecs_task_definition" or change.action not in {"update", "replace"}:
            continue
        before, after = container_env(change.before), container_env(change.after)
        if not after:
            continue
        for key, label in PROVISIONING_ONLY_ENV.items():
            if key in seen or before.get(key) == after.get(key) or key not in before:
                continue
            seen.add(key)
            warnings.append(
                f"**{label.capitalize()} changes** ({_code(before[key])} → "
                f"{_code(after.get(key, '(unset)'))}): this only applies at provisioning. "
                "A cluster that is already provisioned keeps its current setting; change a "
                "running cluster with `restatectl config set` instead."
            )
    return warnings


def _object_store_warnings(changes: list[ResourceChange]) -> list[str]:
    warnings = []
    for change in changes:
        if change.type == "aws_s3_bucket" and change.action in {"replace", "delete"}:
            verb = "replaced" if change.action == "replace" else "destroyed"
            bucket = change.before.get("bucket") or change.address
            warnings.append(
                f"**Bucket {_code(str(bucket))} will be {verb}: Restate's metadata and "
                "partition snapshots are lost.** The cluster cannot recover its state from "
                "this bucket afterwards. Stop here unless the cluster is meant to be rebuilt."
            )
    seen: set[tuple[str, str]] = set()
    for change in changes:
        if change.type != "aws_ecs_task_definition" or change.action not in {"update", "replace"}:
            continue
        before, after = container_env(change.before), container_env(change.after)
        for key, old in before.items():
            new = after.get(key)
            if old.startswith("s3://") and new and new != old and (old, new) not in seen:
                seen.add((old, new))
                warnings.append(
                    f"**Object store path changes** ({_code(old)} → {_code(new)}): nodes "
                    "started from this task definition will not find the existing metadata "
                    "or snapshots there."
                )
    return warnings


def _load_balancer_warnings(changes: list[ResourceChange]) -> list[str]:
    warnings = []
    for change in changes:
        if change.type in {"aws_lb", "aws_alb"} and change.action in {"replace", "delete"}:
            dns = change.before.get("dns_name")
            was = f" (today {_code(dns)})" if dns else ""
            verb = "replaced" if change.action == "replace" else "destroyed"
            warnings.append(
                f"**Load balancer {_code(change.address)} will be {verb}**: it gets a new DNS "
                f"name{was}, so the ingress and admin URLs change. Clients, DNS records and "
                "service registrations pointing at the old name break until updated."
            )
        elif change.type in {"aws_lb_listener", "aws_lb_target_group"} and change.action in {
            "replace",
            "delete",
        }:
            port = change.before.get("port")
            warnings.append(
                f"Listener/target group {_code(change.address)}"
                f"{f' (port {port})' if port else ''} will be "
                f"{'replaced' if change.action == 'replace' else 'destroyed'}: traffic on that "
                "port is interrupted while targets re-register."
            )
    return warnings


def _network_warnings(changes: list[ResourceChange]) -> list[str]:
    warnings = []
    for change in changes:
        if change.type == "aws_security_group" and change.action in {"replace", "delete"}:
            warnings.append(
                f"Security group {_code(change.address)} will be "
                f"{'replaced' if change.action == 'replace' else 'destroyed'}: the old group "
                "cannot be deleted while running tasks still use it, so the apply may wait for "
                "(or fail on) their network interfaces; stateful tasks only move to a new group "
                "when the controller replaces them."
            )
        elif change.type.endswith("security_group_ingress_rule") and change.action == "delete":
            port = change.before.get("from_port")
            warnings.append(
                f"Ingress rule {_code(change.address)} is removed"
                f"{f' (port {port})' if port is not None else ''}: nodes may stop reaching each other."
            )
    return warnings


def _policy_statements(document: Any) -> set[tuple[str, str, str]]:
    """(effect, action, resource) triples of an IAM policy JSON string."""
    if not isinstance(document, str) or not document:
        return set()
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError:
        return set()
    statements = parsed.get("Statement", [])
    statements = [statements] if isinstance(statements, Mapping) else statements
    triples = set()
    for statement in statements:
        actions = statement.get("Action", [])
        if "Principal" in statement:  # a trust policy: who may assume, not on what
            resources = [json.dumps(statement["Principal"], sort_keys=True)]
        else:
            resources = statement.get("Resource", ["*"] if "NotResource" not in statement else [])
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                triples.add((statement.get("Effect", "Allow"), action, resource))
    return triples


def _registration_target(change: ResourceChange) -> str:
    """What a ServiceDeployer registration registers: the function version ARN or the URI."""
    values = change.before if change.action == "delete" else change.after
    if change.action != "delete" and change.after_unknown.get("input") is True:
        return UNKNOWN
    try:
        deployment = json.loads(values.get("input") or "{}").get("deployment") or {}
    except (TypeError, ValueError, AttributeError):
        return "(not a ServiceDeployer input)"
    if not isinstance(deployment, dict):
        return UNKNOWN
    target = deployment.get("arn") or deployment.get("uri") or UNKNOWN
    role = deployment.get("assume_role_arn")
    return f"{_code(target)} (assuming {_code(role)})" if role else _code(target)


def _registration_notes(changes: list[ResourceChange]) -> list[str]:
    notes = []
    for change in changes:
        if change.component != "service registrations":
            continue
        target = _registration_target(change)
        if change.action == "delete":
            notes.append(
                f"Service registration {_code(change.address)} is removed from Terraform; its "
                f"deployment {target} stays registered in Restate (in-flight invocations finish there)."
            )
        else:
            verb = {"create": "registers", "update": "registers", "replace": "re-registers"}
            notes.append(
                f"Service registration {_code(change.address)} {verb[change.action]} {target} "
                "with Restate during apply; earlier deployments keep serving their invocations."
            )
    return notes


def _iam_warnings(changes: list[ResourceChange]) -> list[str]:
    warnings = []
    for change in changes:
        if not change.type.startswith("aws_iam_") or change.action == "delete":
            continue
        for key in ("policy", "assume_role_policy"):
            after = change.after_value(key)
            if after == UNKNOWN:
                continue
            added = sorted(
                t
                for t in _policy_statements(after) - _policy_statements(change.before.get(key))
                if t[0] == "Allow"
            )
            if not added:
                continue
            wildcard = any(a == "*" or a.endswith(":*") or r == "*" for _, a, r in added)
            described = ", ".join(f"{_code(a)} on {_code(r)}" for _, a, r in added[:6])
            more = f" and {len(added) - 6} more" if len(added) > 6 else ""
            what = "trust policy" if key == "assume_role_policy" else "permissions"
            prefix = "**IAM widening (wildcard)**" if wildcard else "IAM widening"
            if change.action == "create" and not wildcard:
                continue  # new resources are listed below; only wildcards deserve a warning
            warnings.append(f"{prefix}: {_code(change.address)} {what} add {described}{more}.")
        if change.type == "aws_iam_role_policy_attachment" and change.action in {
            "create",
            "replace",
        }:
            arn = change.after_value("policy_arn")
            if isinstance(arn, str) and ":aws:policy/" in arn:
                warnings.append(
                    f"IAM: AWS managed policy {_code(arn.rsplit('/', 1)[-1])} is attached by "
                    f"{_code(change.address)}; check it is not broader than needed."
                )
    return warnings


def _cleanup_warnings(changes: list[ResourceChange]) -> list[str]:
    """The destroy-time cleanup going away while the cluster stays (disabled, replaced): its
    delete is the cleanup, so this apply stops the whole Restate cluster."""
    if all(c.action == "delete" for c in changes):
        return []  # a destroy: the cleanup is what should happen
    return [
        f"**The destroy-time cleanup {_code(change.address)} will be "
        f"{'replaced' if change.action == 'replace' else 'destroyed'}**: Terraform runs it "
        "during this apply, which stops the controller and every stateful node of this Restate "
        "cluster (no drain). To remove the step from a running cluster without that, "
        "`terraform state rm` it first (docs/teardown.md)."
        for change in changes
        if is_destroy_cleanup(change) and change.action in {"replace", "delete"}
    ]


def _cleans_up_first(changes: list[ResourceChange]) -> str | None:
    """The address of the destroy-time cleanup this plan destroys (it runs first), if any."""
    return next(
        (c.address for c in changes if is_destroy_cleanup(c) and c.action == "delete"), None
    )


def _ecs_warnings(changes: list[ResourceChange]) -> list[str]:
    warnings = []
    cleanup = _cleans_up_first(changes)
    for change in changes:
        if change.type == "aws_ecs_cluster" and change.action == "delete" and cleanup:
            warnings.append(
                f"**ECS cluster {_code(change.address)} will be destroyed**: the destroy-time "
                f"cleanup {_code(cleanup)} stops the controller's stateful tasks first "
                "(docs/teardown.md). No drain: stateful nodes lose their local storage."
            )
        elif change.type == "aws_ecs_cluster" and change.action in {"replace", "delete"}:
            warnings.append(
                f"**ECS cluster {_code(change.address)} will be "
                f"{'replaced' if change.action == 'replace' else 'destroyed'}**: on AWS this "
                "fails while the controller's stateful tasks run (Terraform does not track them: "
                "ClusterContainsTasksException, and their network interfaces keep the security "
                "groups and subnets in use); run `cdktf-restate teardown` first (docs/teardown.md). "
                "No drain: stateful nodes lose their local storage."
            )
        if (
            change.type == "aws_ecs_service"
            and change.component == "controller"
            and change.action == "delete"
        ):
            warnings.append(
                f"The controller service {_code(change.address)} is destroyed: stateful "
                "nodes are no longer replaced, drained or kept at the desired count."
            )
        if change.type == "aws_ecs_service" and change.action == "update":
            before, after = change.before.get("desired_count"), change.after.get("desired_count")
            if isinstance(before, int) and isinstance(after, int) and after < before:
                warnings.append(
                    f"{_code(change.address)} scales in from {before} to {after} tasks."
                )
    return warnings


def _controller_scale_warnings(plan: Mapping[str, Any], changes: list[ResourceChange]) -> list[str]:
    if not any(c.component == "controller" and c.action in {"update", "replace"} for c in changes):
        return []
    before = controller_settings(plan, changes, planned=False)
    after = _planned_controller_settings(changes)
    if not before or not after or before == after:
        return []
    warnings = []
    removed = sorted(set(before.zones) - set(after.zones))
    added = sorted(set(after.zones) - set(before.zones))
    if removed:
        warnings.append(
            f"**Availability zones removed** ({', '.join(removed)}): the controller drains and "
            "removes the stateful nodes there; check the replication can still be met by the "
            f"remaining {len(after.zones)} AZs."
        )
    if added:
        warnings.append(
            f"Availability zones added ({', '.join(added)}): new stateful nodes start there."
        )
    if after.nodes_per_az != before.nodes_per_az:
        direction = "drains and removes" if after.nodes_per_az < before.nodes_per_az else "starts"
        warnings.append(
            f"Stateful nodes per AZ change {before.nodes_per_az} → {after.nodes_per_az}: the "
            f"controller {direction} nodes ({before.stateful_nodes} → {after.stateful_nodes} in total)."
        )
    return warnings


def _planned_controller_settings(changes: list[ResourceChange]) -> ControllerSettings | None:
    for change in changes:
        if change.component == "controller" and change.type == "aws_ecs_task_definition":
            return _settings_from_env(container_env(change.after))
    return None


def review(plan: Mapping[str, Any]) -> Review:
    changes = parse_changes(plan)
    result = Review(changes=changes)
    cleanup = _cleans_up_first(changes)
    if changes and all(c.action == "delete" for c in changes) and cleanup:
        result.warnings.append(
            f"**This plan destroys the cluster.** Its destroy-time cleanup {_code(cleanup)} "
            "runs first and stops the controller and the stateful tasks it started, which are "
            "not Terraform's to stop (docs/teardown.md)."
        )
    elif changes and all(c.action == "delete" for c in changes):
        result.warnings.append(
            "**This plan destroys the cluster.** Run `cdktf-restate teardown` before it: "
            "the stateful tasks the controller started are not Terraform's to stop."
        )
    result.warnings += _object_store_warnings(changes)
    result.warnings += _ecs_warnings(changes)
    result.warnings += _cleanup_warnings(changes)
    result.warnings += _stateful_warnings(plan, changes)
    result.warnings += _controller_scale_warnings(plan, changes)
    result.warnings += _provisioning_only_warnings(changes)
    result.warnings += _load_balancer_warnings(changes)
    result.warnings += _network_warnings(changes)
    result.warnings += _iam_warnings(changes)
    result.notes += _stateless_warnings(changes)
    result.notes += _registration_notes(changes)
    return result


# ---------------------------------------------------------------- rendering


def _why(change: ResourceChange) -> str:
    if change.action != "replace" or not change.replace_paths:
        return ""
    paths = sorted({".".join(str(p) for p in path[:1]) for path in change.replace_paths})
    return f"forces replacement: {', '.join(map(_code, paths))}"


def render_markdown(result: Review) -> str:
    counts = {action: 0 for action in ACTION_ORDER}
    for change in result.changes:
        counts[change.action] += 1
    lines = ["## Restate cluster plan review", ""]
    if not result.changes:
        return "\n".join([*lines, "No changes. The cluster matches the configuration.", ""])
    lines.append(
        f"**Plan:** {counts['create']} to add, {counts['update']} to change, "
        f"{counts['replace']} to replace, {counts['delete']} to destroy."
    )
    lines.append("")
    if result.warnings:
        lines += ["### ⚠️ Warnings", ""]
        lines += [f"- {warning}" for warning in result.warnings]
        lines.append("")
    if result.notes:
        lines += ["### Notes", ""]
        lines += [f"- {note}" for note in result.notes]
        lines.append("")
    lines += ["### Changes by component", ""]
    lines += ["| component | action | resource | detail |", "| --- | --- | --- | --- |"]
    rank = {action: i for i, action in enumerate(ACTION_ORDER)}
    for component in COMPONENTS:
        members = sorted(
            (c for c in result.changes if c.component == component),
            key=lambda c: (rank[c.action], c.address),
        )
        for change in members:
            lines.append(
                f"| {component} | {ACTION_ICONS[change.action]} {ACTION_WORDS[change.action]} "
                f"| {_code(change.address)} | {_why(change)} |"
            )
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- CLI

USAGE = "usage: cdktf-restate plan-review PLAN.json [--output FILE]   (PLAN.json: `terraform show -json PLANFILE`, or - for stdin)"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    output: str | None = None
    if "--output" in args:
        index = args.index("--output")
        if index + 1 >= len(args):
            print(USAGE, file=sys.stderr)
            return 2
        output = args[index + 1]
        del args[index : index + 2]
    if len(args) != 1 or args[0] in {"-h", "--help"}:
        print(USAGE, file=sys.stderr if len(args) != 1 else sys.stdout)
        return 0 if args in (["-h"], ["--help"]) else 2
    try:
        text = sys.stdin.read() if args[0] == "-" else Path(args[0]).read_text()
        markdown = render_markdown(review(json.loads(text)))
    except (OSError, json.JSONDecodeError, PlanReviewError) as error:
        print(f"cdktf-restate plan-review: cannot read {args[0]}: {error}", file=sys.stderr)
        return 2
    if output:
        Path(output).write_text(markdown)
    else:
        sys.stdout.write(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
