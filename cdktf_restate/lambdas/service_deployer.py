"""Service deployer Lambda: registers a Restate deployment through the cluster's admin API.

Terraform calls it through ``aws_lambda_invocation`` with ``lifecycle_scope = "CRUD"``: the
provider adds ``"tf": {"action": "create" | "update" | "delete", "prev_input": {...}}`` to the
input we give it, and stores what we return as the resource's ``result``.

Input (written by ``ServiceDeployer`` or the ``restate-service-deployment`` module)::

    {"admin_url": "http://internal-nlb:9070",
     "deployment": {"arn": "arn:aws:lambda:...:function:f:3", "assume_role_arn": "..."}
                   | {"uri": "http://service:9080"},
     "force": false,
     "wait_seconds": 600,
     "retry_pause_seconds": 5}

What each action does:
- create / update: wait until the admin API answers ``/health`` (bounded: ``wait_seconds``;
  a freshly created cluster needs minutes), then ``POST /deployments``. Registration is
  idempotent in Restate >= 1.6, so registering the same endpoint again returns the same
  deployment. A new version registers a *new* deployment; the previous one stays, because
  invocations already running are pinned to it and finish there.
- delete: nothing is removed from Restate. Deployments still serving in-flight invocations must
  not disappear under them; an operator prunes drained ones (``restate deployments remove``).
  The result records which deployment was left in place.

Failures raise, so the Lambda invocation fails and ``terraform apply`` stops with Restate's own
message (``restate_code`` and ``message`` from the admin API), never silently.

Packaged alone (``service_deployer.handler``), standard library only.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("service_deployer")
logger.setLevel(logging.INFO)

DEFAULT_WAIT_SECONDS = 600.0
REQUEST_TIMEOUT_SECONDS = 60.0  # discovery of a cold Lambda can take a while
RETRY_PAUSE_SECONDS = 5.0
# Answers that mean "the admin API is not there yet" (load balancer without healthy targets,
# node still starting). Anything else from Restate is its verdict and is reported as is.
NOT_READY_STATUSES = frozenset({502, 503, 504})
# A grant created in the same apply takes seconds to reach every IAM endpoint: Restate's
# "AccessDenied" from discovery is retried this long, then reported.
PERMISSION_GRACE_SECONDS = 90.0


class RegistrationError(RuntimeError):
    """Restate refused the registration; the message is Restate's."""


class AdminNotReady(RuntimeError):
    """The admin API did not become reachable within the wait budget."""


class MalformedInput(ValueError):
    """The invocation input is not what ServiceDeployer writes."""


@dataclass(frozen=True)
class Request:
    admin_url: str
    deployment: dict[str, str]
    force: bool
    wait_seconds: float
    retry_pause_seconds: float = RETRY_PAUSE_SECONDS


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes


def parse_request(event: Mapping[str, Any]) -> Request:
    admin_url = event.get("admin_url")
    if not isinstance(admin_url, str) or not admin_url.startswith(("http://", "https://")):
        raise MalformedInput(f"admin_url: {admin_url!r} is not an http(s) URL")
    deployment = event.get("deployment")
    if isinstance(deployment, dict):  # null values: the module's keys for the other kind
        deployment = {key: value for key, value in deployment.items() if value is not None}
    if not isinstance(deployment, dict) or not (("arn" in deployment) ^ ("uri" in deployment)):
        raise MalformedInput(f"deployment: {deployment!r} needs exactly one of 'arn' or 'uri'")
    allowed = {"arn", "assume_role_arn"} if "arn" in deployment else {"uri"}
    unknown = set(deployment) - allowed
    if unknown:
        raise MalformedInput(
            f"deployment: unknown keys {sorted(unknown)}; allowed {sorted(allowed)}"
        )
    cleaned = {key: str(value) for key, value in deployment.items() if value not in (None, "")}
    return Request(
        admin_url=admin_url.rstrip("/"),
        deployment=cleaned,
        force=bool(event.get("force", False)),
        wait_seconds=float(event.get("wait_seconds", DEFAULT_WAIT_SECONDS)),
        retry_pause_seconds=float(event.get("retry_pause_seconds", RETRY_PAUSE_SECONDS)),
    )


def http_call(method: str, url: str, payload: Mapping[str, Any] | None = None) -> HttpAnswer:
    """One HTTP exchange; HTTP error statuses are answers, connection failures raise OSError."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return HttpAnswer(response.status, response.read())
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read())


def restate_error(answer: HttpAnswer) -> str:
    """Restate's error text: ``[META0003] message`` from its JSON error body, else the body."""
    text = answer.body.decode(errors="replace").strip()
    try:
        body = json.loads(text)
    except ValueError:
        return f"HTTP {answer.status}: {text}"
    if isinstance(body, dict) and "message" in body:
        code = body.get("restate_code")
        prefix = f"[{code}] " if code else ""
        return f"HTTP {answer.status}: {prefix}{body['message']}"
    return f"HTTP {answer.status}: {text}"


Clock = Callable[[], float]
Sleep = Callable[[float], None]


def wait_for_admin(
    admin_url: str,
    wait_seconds: float,
    *,
    pause: float = RETRY_PAUSE_SECONDS,
    call: Callable[..., HttpAnswer] = http_call,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
) -> int:
    """Poll ``/health`` until it answers 200; returns the number of attempts it took."""
    deadline = clock() + wait_seconds
    attempts = 0
    last = "no attempt"
    while True:
        attempts += 1
        try:
            answer = call("GET", f"{admin_url}/health")
            if answer.status == 200:
                return attempts
            last = restate_error(answer)
        except OSError as error:  # refused, DNS, timeout: not up yet
            last = f"{type(error).__name__}: {error}"
        if clock() + pause > deadline:
            raise AdminNotReady(
                f"Restate admin API {admin_url} not ready after {attempts} attempt(s) in "
                f"{wait_seconds:.0f} s; last answer: {last}"
            )
        logger.info("admin API not ready (%s); retrying", last)
        sleep(pause)


def summarize(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """Deployment id, services and handlers from Restate's registration answer."""
    services = deployment.get("services") or []
    return {
        "id": deployment["id"],
        "services": sorted(service["name"] for service in services),
        "handlers": {
            service["name"]: sorted(handler["name"] for handler in service.get("handlers") or [])
            for service in services
        },
        "revisions": {service["name"]: service.get("revision") for service in services},
    }


def register(
    request: Request,
    *,
    call: Callable[..., HttpAnswer] = http_call,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
) -> dict[str, Any]:
    """Wait for the admin API, then register; a not-ready answer is retried within the budget."""
    started = clock()
    deadline = started + request.wait_seconds
    attempts = wait_for_admin(
        request.admin_url,
        request.wait_seconds,
        pause=request.retry_pause_seconds,
        call=call,
        clock=clock,
        sleep=sleep,
    )
    body: dict[str, Any] = {**request.deployment, "force": request.force}
    while True:
        try:
            answer = call("POST", f"{request.admin_url}/deployments", body)
        except OSError as error:
            answer = HttpAnswer(503, f"{type(error).__name__}: {error}".encode())
        if answer.status in (200, 201):
            result = summarize(json.loads(answer.body))
            result["created"] = answer.status == 201
            result["admin_wait_attempts"] = attempts
            return result
        pause = request.retry_pause_seconds
        retryable = answer.status in NOT_READY_STATUSES or (
            b"AccessDenied" in answer.body and clock() < started + PERMISSION_GRACE_SECONDS
        )
        if not retryable or clock() + pause > deadline:
            target = request.deployment.get("arn") or request.deployment.get("uri")
            raise RegistrationError(
                f"Restate refused to register {target}: {restate_error(answer)}"
            )
        sleep(pause)


def handle(event: Mapping[str, Any], **io: Any) -> dict[str, Any]:
    lifecycle = event.get("tf") or {}
    action = lifecycle.get("action", "create")
    if action == "delete":
        previous = lifecycle.get("prev_input") or event
        # Kept on purpose: in-flight invocations are pinned to the deployment (module docstring).
        return {"action": "delete", "left_in_place": previous.get("deployment")}
    if action not in ("create", "update"):
        raise MalformedInput(f"tf.action: {action!r}; allowed: create, update, delete")
    result = register(parse_request(event), **io)
    result["action"] = action
    return result


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    result = handle(event)
    logger.info("registration result: %s", json.dumps(result))
    return result
