"""`cdktf-restate ctl`: restatectl through the cluster's restatectl Lambda.

    cdktf-restate ctl --cluster NAME [--region R] -- nodes list
    cdktf-restate ctl --function FUNCTION_NAME_OR_ARN -- partitions list
    cdktf-restate ctl --dev .cache/dev -- logs list     (a local dev cluster)

Invokes the function with ``{"args": [...]}`` (boto3, the standard AWS credential chain),
prints restatectl's stdout and stderr as restatectl would and exits with its exit status.
``--dev DIR`` runs the same package (its real ``bootstrap``) on this machine against the dev
cluster in DIR. Any failure to get an answer is one line naming what to check, exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

#: As the construct names it: ``<cluster name, at most 45 characters>-restatectl``
#: (cdktf_restate.cluster.functions.MAX_NAME_PREFIX_LENGTH; a test keeps them equal).
NAME_PREFIX_LENGTH = 45
INVOKE_TIMEOUT_SECONDS = 70  # the function's own timeout (60 s) and some room
FAILED = 2


class CtlError(Exception):
    """One line for the user."""


def function_name_for(cluster: str) -> str:
    return f"{cluster[:NAME_PREFIX_LENGTH].rstrip('-_')}-restatectl"


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    own, restatectl_args = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    parser = argparse.ArgumentParser(prog="cdktf-restate ctl", description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--cluster", help="the cluster name (function <name>-restatectl)")
    target.add_argument("--function", help="the restatectl Lambda's name or ARN")
    target.add_argument("--dev", type=Path, metavar="DIR", help="a local dev cluster's state dir")
    parser.add_argument("--region", help="AWS region (default: the standard chain's)")
    parser.add_argument("--profile", help="AWS profile (default: the standard chain's)")
    args = parser.parse_args(own)
    if not restatectl_args:
        parser.error("give restatectl's arguments after --, e.g. `-- nodes list`")
    return args, restatectl_args


def invoke(client: Any, function: str, restatectl_args: list[str]) -> dict[str, Any]:
    """The function's answer ``{"status", "stdout", "stderr"}``, or CtlError."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    try:
        response = client.invoke(
            FunctionName=function, Payload=json.dumps({"args": restatectl_args}).encode()
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        region = client.meta.region_name
        if code == "ResourceNotFoundException":
            raise CtlError(
                f"no Lambda function {function!r} in {region}: check --cluster/--function and "
                "--region, and that the cluster's restatectl Lambda is not disabled"
            ) from None
        if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
            raise CtlError(
                f"not allowed to invoke {function!r} ({code}): your credentials need "
                "lambda:InvokeFunction on it"
            ) from None
        if code == "TooManyRequestsException":
            raise CtlError(
                f"{function!r} is busy (its reserved concurrency is in use): try again"
            ) from None
        raise CtlError(f"invoking {function!r} failed: {code}: {error}") from None
    except NoCredentialsError:
        raise CtlError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or log in (aws sso login)"
        ) from None
    except (ReadTimeoutError, ConnectTimeoutError):
        raise CtlError(
            f"{function!r} did not answer within {INVOKE_TIMEOUT_SECONDS}s: check that the cluster "
            "is up and its NLB's 5122 listener is reachable from the Lambda's subnets"
        ) from None
    except EndpointConnectionError as error:
        raise CtlError(f"cannot reach the Lambda API: {error}") from None
    except BotoCoreError as error:
        raise CtlError(f"invoking {function!r} failed: {error}") from None
    payload = response["Payload"].read()
    try:
        answer = json.loads(payload or b"{}")
    except json.JSONDecodeError:
        answer = None
    if response.get("FunctionError"):
        message = answer.get("errorMessage") if isinstance(answer, dict) else payload[:200]
        if isinstance(answer, dict) and "timed out" in str(answer.get("errorMessage", "")):
            raise CtlError(
                f"{function!r} timed out: check that the cluster is up and its NLB's 5122 "
                "listener is reachable from the Lambda's subnets"
            )
        raise CtlError(f"{function!r} failed: {message}")
    if not isinstance(answer, dict) or "status" not in answer:
        raise CtlError(f"{function!r} is not a restatectl Lambda: it answered {payload[:200]!r}")
    return answer


def lambda_client(
    region: str | None, profile: str | None, endpoint_url: str | None = None, *, signed: bool = True
) -> Any:
    """``signed=False`` for the local function, which needs no credentials."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import NoRegionError, ProfileNotFound

    try:
        session = boto3.Session(region_name=region, profile_name=profile)
        return session.client(
            "lambda",
            endpoint_url=endpoint_url,
            config=Config(
                read_timeout=INVOKE_TIMEOUT_SECONDS,
                retries={"max_attempts": 1},
                **({} if signed else {"signature_version": UNSIGNED}),
            ),
        )
    except NoRegionError:
        raise CtlError(
            "no AWS region: pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)"
        ) from None
    except ProfileNotFound as error:
        raise CtlError(str(error)) from None


def run_dev(state_dir: Path, restatectl_args: list[str]) -> dict[str, Any]:
    """The restatectl Lambda's package, run locally against the dev cluster in ``state_dir``."""
    import platform

    from cdktf_restate.devtools.local_cluster import DevCluster
    from cdktf_restate.devtools.local_lambda import LocalLambda
    from cdktf_restate.lambdas.build import restatectl_zip

    try:
        cluster = DevCluster.load(state_dir)
    except FileNotFoundError as error:
        raise CtlError(str(error)) from None
    architecture = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    name = function_name_for("dev")
    env = {"RESTATECTL_ADDRESS": cluster.restatectl_address}
    with LocalLambda(restatectl_zip(architecture).path, name, env=env) as function:
        client = lambda_client("us-east-1", None, function.endpoint_url, signed=False)
        return invoke(client, name, restatectl_args)


def main(argv: list[str]) -> int:
    args, restatectl_args = parse_args(argv)
    try:
        if args.dev is not None:
            answer = run_dev(args.dev, restatectl_args)
        else:
            function = args.function or function_name_for(args.cluster)
            # boto3 reads AWS_DEFAULT_REGION; AWS_REGION is what many shells and CI set.
            region = args.region or os.environ.get("AWS_REGION") or None
            answer = invoke(lambda_client(region, args.profile), function, restatectl_args)
    except CtlError as error:
        print(f"cdktf-restate ctl: {error}", file=sys.stderr)
        return FAILED
    sys.stdout.write(str(answer.get("stdout", "")))
    sys.stderr.write(str(answer.get("stderr", "")))
    return int(answer.get("status", 1))
