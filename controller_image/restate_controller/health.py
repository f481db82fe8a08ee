"""`GET /health`: 200 while reconciling successfully, 503 with the reason otherwise.

`GET /live`: 200 while the loop completes passes, halted ones included; 503 when it is stuck.
ECS's container health check uses /live: a halted controller must stay up and keep saying why
(a restart would hide the halt and retry what halted it), while a stuck one is replaced.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from restate_controller.loop import StatusBoard, status_body


class HealthServer:
    """A tiny HTTP server in a daemon thread, reading the loop's StatusBoard."""

    def __init__(self, board: StatusBoard, port: int, host: str = "127.0.0.1") -> None:
        self.board = board

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?")[0]
                if path == "/live":
                    alive, age = board.alive()
                    body = {"status": "alive" if alive else "stuck", "last_pass_age_seconds": age}
                    self._send(200 if alive else 503, body)
                    return
                if path != "/health":
                    self._send(404, {"status": "not found", "path": self.path})
                    return
                status = board.current()
                self._send(200 if status.healthy else 503, dict(status_body(status)))

            def _send(self, code: int, body: dict[str, object]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return  # health checks every few seconds would drown the decision log

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="health", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> HealthServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
