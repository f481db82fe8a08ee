"""A minimal Lambda runtime client for Python packages, for ``LocalLambda(command=...)``.

    python python_runtime.py MODULE.FUNCTION

Run in the unpacked package (the task root): it polls the Runtime API at
``$AWS_LAMBDA_RUNTIME_API`` for the next invocation, calls the handler with the event and a
context whose ``get_remaining_time_in_millis`` follows the invocation's deadline, and posts the
result (or the error, as Lambda's Python runtime reports it) back. Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import urllib.request
from typing import Any

RUNTIME_PATH = "/2018-06-01/runtime/invocation/"


class Context:
    """The part of Lambda's context object our handlers use."""

    def __init__(self, request_id: str, deadline_ms: int, function_name: str) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _post(url: str, body: Any) -> None:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    urllib.request.urlopen(request, timeout=30).read()


def serve(handler_name: str) -> None:
    base = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}{RUNTIME_PATH}"
    module_name, _, function_name = handler_name.rpartition(".")
    sys.path.insert(0, os.getcwd())
    handler = getattr(importlib.import_module(module_name), function_name)
    while True:
        # No timeout: the next invocation may be minutes away.
        with urllib.request.urlopen(f"{base}next") as response:
            request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
            deadline_ms = int(response.headers["Lambda-Runtime-Deadline-Ms"])
            event = json.loads(response.read() or b"{}")
        context = Context(request_id, deadline_ms, os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""))
        try:
            result = handler(event, context)
        except Exception as error:  # reported to the caller, as Lambda does
            _post(
                f"{base}{request_id}/error",
                {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_exception(error)[-5:],
                },
            )
            continue
        _post(f"{base}{request_id}/response", result)


if __name__ == "__main__":
    serve(sys.argv[1])
