"""A Restate counter (Python SDK virtual object) served by hypercorn on 127.0.0.1, and a paced
load generator with idempotency keys. Used by the end-to-end tests and bench/rolling_replace.py.

Run as a process: `python counter_service.py PORT`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import restate

counter_object_name = "Counter"
counter = restate.VirtualObject(counter_object_name)


@counter.handler()
async def add(ctx: restate.ObjectContext, amount: int) -> int:
    value = (await ctx.get("value")) or 0
    value += amount
    ctx.set("value", value)
    return value


@counter.handler(kind="shared")
async def get(ctx: restate.ObjectSharedContext) -> int:
    return (await ctx.get("value")) or 0


def serve(port: int) -> None:
    import asyncio

    import hypercorn.asyncio
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    asyncio.run(hypercorn.asyncio.serve(restate.app([counter]), config))


@contextmanager
def running_counter_service(admin_url: str, port: int) -> Iterator[str]:
    """Start the service process, register it through the admin API; yields its URI."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.post(f"{admin_url}/deployments", json={"uri": uri}, timeout=10)
                if response.status_code in (200, 201):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not register {uri} at {admin_url}")
            time.sleep(0.3)
        yield uri
    finally:
        # hypercorn handles SIGTERM by draining connections for a while; nothing here needs that.
        process.kill()
        process.wait(timeout=10)


@dataclass
class LoadReport:
    sent: int = 0
    acknowledged: int = 0
    failed: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)


class CounterLoad:
    """Paced `Counter/<key>/add` calls, alternating over ingress URLs.

    Each increment has its own idempotency key and is retried with that key until it succeeds or
    `give_up_seconds` pass: a retry can never double-count, so the counter must end equal to the
    acknowledged increments. An increment that never succeeds counts as failed."""

    def __init__(
        self,
        ingress_urls: list[str],
        key: str,
        *,
        interval_seconds: float = 0.1,
        give_up_seconds: float = 30.0,
    ) -> None:
        self.ingress_urls = ingress_urls
        self.key = key
        self.interval_seconds = interval_seconds
        self.give_up_seconds = give_up_seconds
        self.report = LoadReport()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CounterLoad:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.give_up_seconds + 15)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            turn = 0
            while not self._stop.is_set():
                self._increment(client, turn)
                turn += 1
                self._stop.wait(self.interval_seconds)

    def _increment(self, client: httpx.Client, turn: int) -> None:
        self.report.sent += 1
        idempotency_key = str(uuid.uuid4())
        deadline = time.monotonic() + self.give_up_seconds
        attempt = 0
        while True:
            url = self.ingress_urls[(turn + attempt) % len(self.ingress_urls)]
            try:
                response = client.post(
                    f"{url}/{counter_object_name}/{self.key}/add",
                    json=1,
                    headers={"idempotency-key": idempotency_key},
                )
                if response.status_code == 200:
                    self.report.acknowledged += 1
                    return
                error = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exception:
                error = f"{type(exception).__name__}: {exception}"
            attempt += 1
            self.report.retries += 1
            if time.monotonic() > deadline:
                self.report.failed += 1
                self.report.errors.append(error)
                return
            time.sleep(0.2)


def read_counter(ingress_url: str, key: str) -> int:
    response = httpx.post(f"{ingress_url}/{counter_object_name}/{key}/get", timeout=10)
    response.raise_for_status()
    return int(response.json())


if __name__ == "__main__":
    serve(int(sys.argv[1]))
