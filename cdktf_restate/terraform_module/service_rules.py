"""``validation`` blocks and preconditions of ``modules/restate-service-deployment``: the rules
of ``schema/service_props.py`` in Terraform, with the same patterns and messages."""

from __future__ import annotations

from cdktf_restate.schema.service_props import (
    FUNCTION_ARN_PATTERN,
    FUNCTION_VERSION_ALLOWED,
    FUNCTION_VERSION_ARN_PATTERN,
    HTTP_URL_ALLOWED,
    HTTP_URL_PATTERN,
    KMS_KEY_ARN_ALLOWED,
    KMS_KEY_ARN_PATTERN,
    MAX_PORT,
    MAX_WAIT_SECONDS,
    MIN_WAIT_SECONDS,
    NAME_ALLOWED,
    NAME_PATTERN,
    ROLE_ARN_ALLOWED,
    ROLE_ARN_PATTERN,
    ROLE_NAME_PATTERN,
    WAIT_ALLOWED,
)
from cdktf_restate.terraform_module.rules import Rule, ec2_id_list_rules

#: The port of a URL matching HTTP_URL_PATTERN (fails without one).
_PORT = "^https?://[^/:?#[:space:]]+:([0-9]+)"


def _shown(expr: str) -> str:
    return f'${{{expr} == null ? "" : {expr}}}'


def http_url_rules(path: str, expr: str, nullable: bool) -> list[Rule]:
    unless_null = f"{expr} == null || " if nullable else ""
    matches = f'can(regex("{HTTP_URL_PATTERN}", {expr}))'
    port = f'tonumber(regex("{_PORT}", {expr})[0])'
    return [
        Rule(
            f"{unless_null}{matches}",
            f"{path}: '{_shown(expr)}' is not an http(s) URL with a host; allowed: {HTTP_URL_ALLOWED}",
        ),
        Rule(
            f"{unless_null}!{matches} || try({port} >= 1 && {port} <= {MAX_PORT}, true)",
            f"{path}: '{_shown(expr)}' has port ${{try({port}, \"?\")}}; allowed: {HTTP_URL_ALLOWED}",
        ),
    ]


def function_version_rules(path: str, expr: str) -> list[Rule]:
    function = f'can(regex("{FUNCTION_ARN_PATTERN}", replace({expr}, ":$LATEST", "")))'
    return [
        Rule(
            f"{expr} == null || {function}",
            f"{path}: '{_shown(expr)}' is not a Lambda function ARN; allowed: {FUNCTION_VERSION_ALLOWED}",
        ),
        Rule(
            f'{expr} == null || !{function} || can(regex("{FUNCTION_VERSION_ARN_PATTERN}", {expr}))',
            f"{path}: '{_shown(expr)}' is not a published version or alias; allowed: "
            f"{FUNCTION_VERSION_ALLOWED}",
        ),
    ]


def pattern_rule(path: str, expr: str, pattern: str, what: str, allowed: str) -> Rule:
    return Rule(
        f'{expr} == null || can(regex("{pattern}", {expr}))',
        f"{path}: '{_shown(expr)}' is not {what}; allowed: {allowed}",
    )


def role_arn_rule(path: str, expr: str) -> Rule:
    return pattern_rule(path, expr, ROLE_ARN_PATTERN, "an IAM role ARN", ROLE_ARN_ALLOWED)


def ids_rules(path: str, expr: str, kind: str, prefix: str) -> list[Rule]:
    return [
        Rule(
            f"length({expr}) > 0",
            f"{path}: [] names no {kind}; allowed: at least one {kind} id ({prefix}-...) the "
            "admin URL is reachable from",
        ),
        *ec2_id_list_rules(path, expr, prefix),
    ]


def wait_rules(path: str, expr: str) -> list[Rule]:
    return [
        Rule(
            f"floor({expr}) == {expr} && {expr} >= {MIN_WAIT_SECONDS} && {expr} <= {MAX_WAIT_SECONDS}",
            f"{path}: ${{{expr}}} is out of range; allowed: {WAIT_ALLOWED}",
        )
    ]


def retention_rules(path: str, expr: str) -> list[Rule]:
    return [
        Rule(
            f"floor({expr}) == {expr} && {expr} >= 0",
            f"{path}: ${{{expr}}} is not a retention; allowed: an integer >= 0 (0 = never expire)",
        )
    ]


def name_rule(path: str, expr: str) -> Rule:
    return pattern_rule(path, expr, NAME_PATTERN, "a function name", NAME_ALLOWED)


def kms_rule(path: str, expr: str) -> Rule:
    return pattern_rule(path, expr, KMS_KEY_ARN_PATTERN, "a KMS key ARN", KMS_KEY_ARN_ALLOWED)


def role_name_rule(path: str, expr: str) -> Rule:
    return pattern_rule(
        path, expr, ROLE_NAME_PATTERN, "an IAM role name", "1-64 of A-Z a-z 0-9 +=,.@_-"
    )


def registration_preconditions() -> list[Rule]:
    """Rules over two variables (variable validation may name only its own before 1.9)."""
    return [
        Rule(
            "(var.function_version_arn == null) != (var.http_uri == null)",
            "function_version_arn, http_uri: exactly one must be set; allowed: a published "
            "function version/alias ARN or an HTTP URI",
        ),
        Rule(
            "var.assume_role_arn == null || var.function_version_arn != null",
            "assume_role_arn: only for a Lambda function; allowed: null with http_uri",
        ),
    ]


def grant_preconditions() -> list[Rule]:
    return [
        Rule(
            "var.function_version_arn != null",
            "restate_task_role_name: a grant to invoke needs a function; allowed: null with http_uri",
        )
    ]
