"""Time of a registration by the service deployer's handler on the local dev cluster.

Starts `cdktf-restate dev up`'s cluster, then for --rounds rounds: serves a new greeter revision
over HTTP, registers it with ``service_deployer.handle`` (what the deployer Lambda runs), and
measures (a) the handler call (health check + POST /deployments, i.e. discovery) and (b) the
time until an invocation through the other ingress answers from the new revision. Prints
p50/max of each, and the handler time of a repeated (no-op) registration.

    .venv/bin/python bench/service_registration.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "services"))

from conftest import call_handler, http_greeter  # noqa: E402
from greeter import HTTP_SERVICE  # noqa: E402

from cdktf_restate.devtools import local_cluster  # noqa: E402
from cdktf_restate.lambdas.service_deployer import handle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    registered: list[float] = []
    serving: list[float] = []
    repeated: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-services-") as state:
        started = time.monotonic()
        cluster = local_cluster.up(Path(state), reconcile_interval=0.5)
        print(f"dev cluster up in {time.monotonic() - started:.1f} s")
        try:
            admin, ingress = cluster.admin_url, cluster.ingress_urls[1]
            for revision in range(1, rounds + 1):
                # Each revision adds nothing but its answer: a new endpoint, a new deployment.
                with http_greeter(1 + (revision % 2)) as uri:
                    event = {"admin_url": admin, "deployment": {"uri": uri}, "wait_seconds": 60}
                    begin = time.monotonic()
                    handle(event)
                    registered.append(time.monotonic() - begin)
                    expected = f"hello b from revision {1 + (revision % 2)}"
                    while call_handler(ingress, HTTP_SERVICE, "greet", "b") != expected:
                        time.sleep(0.05)
                    serving.append(time.monotonic() - begin)
                    begin = time.monotonic()
                    again = handle(event)
                    repeated.append(time.monotonic() - begin)
                    assert again["created"] is False
        finally:
            local_cluster.down(Path(state))

    def figures(values: list[float]) -> str:
        return f"p50 {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"

    print(f"rounds: {rounds}")
    print(f"registration (handler: health + POST /deployments): {figures(registered)}")
    print(f"until the other ingress answers from the new deployment: {figures(serving)}")
    print(f"repeated registration (no-op): {figures(repeated)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
