"""A Lambda package run on this machine: the Invoke API boto3 calls, and the Runtime API the
package's ``bootstrap`` polls, in one HTTP server on 127.0.0.1.

    with LocalLambda(zip_path, "dev-restatectl", env={...}) as function:
        boto3.client("lambda", endpoint_url=function.endpoint_url).invoke(...)

The package is unpacked as Lambda does (modes kept) and its ``bootstrap`` started once with
``AWS_LAMBDA_RUNTIME_API``; each ``Invoke`` (``POST /2015-03-31/functions/NAME/invocations``)
is handed to it on ``/runtime/invocation/next`` and answered with what it posts back. Unknown
function names get Lambda's ``ResourceNotFoundException``, or, with ``forward_to`` (an
emulator's URL), every other Lambda API call goes there: Terraform can then create the function
in moto and have its invocations run here. ``command`` replaces ``./bootstrap`` (a Python
package runs under ``devtools/python_runtime.py``). Used by ``cdktf-restate ctl --dev`` and the
tests, so the restatectl Lambda's real package answers a local cluster.
"""

from __future__ import annotations

import json
import os
import queue
import stat
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cdktf_restate.devtools.emulator import LOOPBACK

RUNTIME_PREFIX = "/2018-06-01/runtime/invocation/"
INVOKE_PREFIX = "/2015-03-31/functions/"
DEFAULT_TIMEOUT_SECONDS = 60.0


@dataclass
class _Invocation:
    request_id: str
    payload: bytes
    done: threading.Event = field(default_factory=threading.Event)
    response: bytes = b""
    error: bool = False


def unpack(package: Path, task_root: Path) -> Path:
    with zipfile.ZipFile(package) as archive:
        for info in archive.infolist():
            target = task_root / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            mode = stat.S_IMODE(info.external_attr >> 16)
            if mode:
                target.chmod(mode)
    return task_root


class LocalLambda:
    def __init__(
        self,
        package: Path,
        function_name: str,
        *,
        env: dict[str, str] | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        command: list[str] | None = None,
        forward_to: str | None = None,
    ) -> None:
        self.package = package
        self.command = command or ["./bootstrap"]
        self.forward_to = forward_to
        self.function_name = function_name
        self.env = dict(env or {})
        self.timeout_seconds = timeout_seconds
        self._pending: queue.Queue[_Invocation] = queue.Queue()
        self._running: dict[str, _Invocation] = {}
        self._closed = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.server = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self.server.daemon_threads = True

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.server.server_address[1]}"

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.address}"

    def __enter__(self) -> LocalLambda:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._tmp = tempfile.TemporaryDirectory(prefix="local-lambda-")
        task_root = unpack(self.package, Path(self._tmp.name))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LAMBDA_TASK_ROOT": str(task_root),
            "AWS_LAMBDA_RUNTIME_API": self.address,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
            **self.env,
        }
        self._process = subprocess.Popen(
            self.command,
            cwd=task_root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed.set()
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
        self.server.shutdown()
        self.server.server_close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        function = self

        def _is_this(name: str) -> bool:
            # A name, "function:NAME" or a function ARN
            return (
                name.rsplit(":", 1)[-1] == function.function_name or name == function.function_name
            )

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path != f"{RUNTIME_PREFIX}next":
                    self._forward(b"")
                    return
                while not function._closed.is_set():
                    try:
                        invocation = function._pending.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    function._running[invocation.request_id] = invocation
                    self._send(
                        200,
                        invocation.payload,
                        {
                            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                            # As Lambda: when the invocation times out (handlers size
                            # their waits by it).
                            "Lambda-Runtime-Deadline-Ms": str(
                                int((time.time() + function.timeout_seconds) * 1000)
                            ),
                            "Lambda-Runtime-Invoked-Function-Arn": (
                                f"arn:aws:lambda:us-east-1:000000000000:function:{function.function_name}"
                            ),
                            "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                        },
                    )
                    return

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.startswith(RUNTIME_PREFIX):
                    request_id, _, outcome = self.path[len(RUNTIME_PREFIX) :].partition("/")
                    invocation = function._running.pop(request_id, None)
                    if invocation is not None:
                        invocation.response = body
                        invocation.error = outcome == "error"
                        invocation.done.set()
                    self._send(202, b"{}")
                    return
                path = urllib.parse.urlsplit(self.path).path  # without ?Qualifier=...
                if path.startswith(INVOKE_PREFIX) and path.endswith("/invocations"):
                    name = urllib.parse.unquote(path[len(INVOKE_PREFIX) :].split("/")[0])
                    if function.forward_to is None or _is_this(name):
                        self._invoke(name, body)
                        return
                self._forward(body)

            def do_PUT(self) -> None:  # noqa: N802
                self._forward(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

            def do_DELETE(self) -> None:  # noqa: N802
                self._forward(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

            def _forward(self, body: bytes) -> None:
                """Another Lambda API call: to ``forward_to`` as it came (else 404)."""
                if function.forward_to is None:
                    self._send(404, b"{}")
                    return
                skipped = {"host", "content-length", "connection", "accept-encoding"}
                request = urllib.request.Request(
                    function.forward_to + self.path,
                    data=body or None,
                    method=self.command,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in skipped},
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        code, data, headers = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as error:
                    code, data, headers = error.code, error.read(), error.headers
                self.send_response(code)
                for name, value in headers.items():
                    if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _invoke(self, name: str, payload: bytes) -> None:
                if not _is_this(name):
                    message = f"Function not found: {name}"
                    body = json.dumps({"Type": "User", "Message": message}).encode()
                    self._send(404, body, {"x-amzn-ErrorType": "ResourceNotFoundException"})
                    return
                invocation = _Invocation(str(uuid.uuid4()), payload or b"{}")
                function._pending.put(invocation)
                if not invocation.done.wait(function.timeout_seconds):
                    body = json.dumps(
                        {"errorMessage": "Task timed out", "errorType": "Sandbox.Timedout"}
                    ).encode()
                    self._send(200, body, {"X-Amz-Function-Error": "Unhandled"})
                    return
                headers = {"X-Amz-Executed-Version": "$LATEST"}
                if invocation.error:
                    headers["X-Amz-Function-Error"] = "Unhandled"
                self._send(200, invocation.response, headers)

        return Handler
