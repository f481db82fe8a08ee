"""Replace the 3 stateful nodes of a local cluster under load; print total and per-phase times.

    .venv/bin/python bench/rolling_replace.py [--reconcile-interval 0.25] [--state-dir DIR]

Phases per replaced node: join (replacement started -> serving), drain (read-only/draining ->
no partitions, no nodeset), trim (snapshot + trim -> loglets (0, 0)), stop (StopTask -> stopped),
remove (stopped -> `nodes remove` done). Goal: all 3 in < 45 s, 0 failed, 0 lost increments.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "restate"))

from counter_service import CounterLoad, read_counter, running_counter_service  # noqa: E402

from cdktf_restate.devtools import local_cluster  # noqa: E402
from cdktf_restate.devtools.emulator import free_port  # noqa: E402
from cdktf_restate.devtools.local_cluster import RollWatcher  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reconcile-interval", type=float, default=0.25)
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument(
        "--state-dir", help="keep node and controller logs here (default: a temp dir)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-roll-") as temporary:
        state_dir = args.state_dir or temporary
        started = time.monotonic()
        cluster = local_cluster.up(state_dir, reconcile_interval=args.reconcile_interval)
        print(f"cluster up (3 stateful nodes serving) in {time.monotonic() - started:.1f}s")
        try:
            with running_counter_service(cluster.admin_url, free_port()):
                watcher = RollWatcher(cluster)
                watcher.poll()
                with CounterLoad(cluster.ingress_urls, "bench") as load:
                    time.sleep(2)  # some traffic before the roll
                    roll_started = time.monotonic()
                    watcher.started = roll_started
                    definition = local_cluster.roll(cluster)
                    deadline = roll_started + args.timeout
                    while time.monotonic() < deadline:
                        watcher.poll()
                        try:
                            if watcher.done(definition):
                                break
                        except Exception:  # noqa: BLE001 - unreadable for a moment mid-roll
                            pass
                        time.sleep(0.1)
                    else:
                        print(f"roll not finished after {args.timeout:.0f}s")
                        return 1
                    total = time.monotonic() - roll_started
                counter = read_counter(cluster.ingress_urls[0], "bench")
        finally:
            local_cluster.down(state_dir)
    report = load.report
    print(f"replaced 3 stateful nodes in {total:.1f}s (goal < 45 s)")
    for phase, spans in watcher.phase_times().items():
        values = "  ".join(f"{span:5.1f}s" for span in spans)
        mean = f"mean {statistics.mean(spans):5.1f}s" if spans else "no data"
        print(f"  {phase:<7} {values}   {mean}")
    print(
        f"requests: {report.sent} sent, {report.acknowledged} acknowledged, "
        f"{report.failed} failed, {report.retries} retried attempts"
    )
    print(f"lost increments: {report.acknowledged - counter} (counter {counter})")
    return 0 if report.failed == 0 and counter == report.acknowledged else 1


if __name__ == "__main__":
    sys.exit(main())
