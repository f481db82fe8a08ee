"""Render time of the Control Panel widget against a 6-node local cluster; prints p50/p95/max.

    .venv/bin/python bench/control_panel.py [--renders 40] [--state-dir DIR]

The cluster: moto S3, 2 stateless nodes and 4 stateful nodes (2 in zone a) started through the
local backend, as the controller would (no controller runs: the Compute tab says its /health
could not be read, one refused connection). Each render is what one CloudWatch call costs the widget
Lambda (``render_event``: four ``restatectl sql`` reads side by side, then the HTML), per tab.
Goal: p95 well under the custom widget's time limit, < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.dashboard_preview import local_compute
from cdktf_restate.devtools.html_reading import tables
from cdktf_restate.devtools.local_cluster import RESTATECTL, wait_until
from cdktf_restate.lambdas.control_panel.handler import WidgetConfig, render_event
from cdktf_restate.lambdas.control_panel.model import TABS

STATEFUL_ZONES = ("a", "a", "b", "c")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=40, help="renders per tab")
    parser.add_argument("--state-dir", help="keep the cluster's logs here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-panel-") as temporary:
        state_dir = Path(args.state_dir or temporary)
        cluster = local_cluster.up(state_dir, with_controller=False)
        try:
            backend = cluster.backend()
            for zone in STATEFUL_ZONES:
                backend.run_task(zone, {})
            config = WidgetConfig(
                cluster_name="bench",
                restatectl=str(RESTATECTL),
                restatectl_address=cluster.restatectl_address,
            )

            def render(tab: str) -> str:
                return render_event(
                    {"tab": tab},
                    config,
                    endpoint="arn:aws:lambda:us-east-1:000000000000:function:bench",
                    compute=lambda _: local_compute(cluster),
                )

            wait_until(
                lambda: len(tables(render("nodes")).get("nodes", [])) == 7,  # header + 6
                timeout=60,
                what="6 nodes in the nodes table",
            )
            print(f"6-node cluster ready in {state_dir}; {args.renders} renders per tab")
            every: list[float] = []
            for tab in TABS:
                times = []
                for _ in range(args.renders):
                    started = time.perf_counter()
                    page = render(tab)
                    times.append(time.perf_counter() - started)
                    # (no controller runs here: the Compute tab names its /health as unread)
                    assert "restatectl sql" not in page, page
                every += times
                print(
                    f"  {tab:<10} p50 {statistics.median(times) * 1000:6.0f} ms"
                    f"  p95 {percentile(times, 0.95) * 1000:6.0f} ms"
                    f"  max {max(times) * 1000:6.0f} ms"
                )
            p95 = percentile(every, 0.95)
            print(
                f"all tabs   p95 {p95 * 1000:.0f} ms (goal < 1000 ms): {'met' if p95 < 1 else 'MISSED'}"
            )
        finally:
            local_cluster.down(state_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
