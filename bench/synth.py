"""Synth benchmark: wall time and peak memory to synthesize examples/minimal in a fresh process.

Each run is a new Python process that imports the construct, builds examples/minimal and
writes cdktf.out (the jsii node runtime included). Wall time is measured from just before the
process is started to the moment ``app.synth()`` returned (files written), as the process
reports it; the median of 5 runs after one warm-up run is printed. Peak memory is the peak
RSS (VmHWM) of the Python process and of its node descendants (the jsii kernel), read from
/proc right after the synth; the parent's ``getrusage(RUSAGE_CHILDREN)`` maxrss (the largest
single descendant over all runs) is printed as a cross-check.

For comparison it also times ``import cdktf_cdktf_provider_aws`` in a fresh process: the cost
the construct avoids by not using the generated provider bindings (see cdktf_restate/_tf.py).

Target: median <= 4.0 s (0.8 x the reference TypeScript construct's 5.0 s on this machine).

Usage: .venv/bin/python bench/synth.py [--runs 5] [--skip-provider-import]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 4.0
REFERENCE_SECONDS = 5.0

CHILD = r"""
import json, os, sys, time
from pathlib import Path

def descendants(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.append(int(child))
            found.extend(descendants(int(child)))
    return found

def peak_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0

sys.path.insert(0, sys.argv[1])
import main
main.build(sys.argv[2])
written = time.time()
node = [pid for pid in descendants(os.getpid()) if peak_kib(pid)]
print(json.dumps({
    "written": written,
    "python_peak_kib": peak_kib(os.getpid()),
    "node_peak_kib": sum(peak_kib(pid) for pid in node),
    "node_processes": len(node),
}))
"""


def run_synth(outdir: Path) -> dict[str, float]:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env.pop("CDKTF_RESTATE_AWS_ENDPOINT", None)  # synthesize the real-AWS configuration
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(REPO_ROOT / "examples" / "minimal"), str(outdir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    exited = time.time()
    if result.returncode != 0:
        raise SystemExit(f"synth failed:\n{result.stdout}\n{result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if not (outdir / "stacks" / "minimal" / "cdk.tf.json").is_file():
        raise SystemExit("synth wrote no stacks/minimal/cdk.tf.json")
    return {
        "to_files": report["written"] - started,
        "to_exit": exited - started,
        "python_mib": report["python_peak_kib"] / 1024,
        "node_mib": report["node_peak_kib"] / 1024,
        "node_processes": report["node_processes"],
    }


def time_provider_import() -> float:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    started = time.time()
    subprocess.run(
        [sys.executable, "-c", "import cdktf_cdktf_provider_aws"],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.time() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="synth benchmark of examples/minimal")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-provider-import", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="synth-bench-") as scratch:
        run_synth(Path(scratch) / "warm-up")
        runs = [run_synth(Path(scratch) / f"run-{i}") for i in range(args.runs)]

    median = statistics.median(r["to_files"] for r in runs)
    print(f"examples/minimal synth, fresh process, {args.runs} runs after 1 warm-up")
    print("  wall to files written (s): " + " ".join(f"{r['to_files']:.2f}" for r in runs))
    print(f"  median wall to files written: {median:.2f} s")
    print(f"  median wall to process exit:  {statistics.median(r['to_exit'] for r in runs):.2f} s")
    python_peak = max(r["python_mib"] for r in runs)
    node_peak = max(r["node_mib"] for r in runs)
    print(
        f"  peak RSS: python {python_peak:.0f} MiB + node {node_peak:.0f} MiB"
        f" ({runs[0]['node_processes']:.0f} node processes) = {python_peak + node_peak:.0f} MiB"
    )
    children_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    self_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  getrusage maxrss: largest descendant {children_max:.0f} MiB, bench itself {self_max:.0f} MiB"
    )
    verdict = "OK" if median <= TARGET_SECONDS else "OVER TARGET"
    print(
        f"  target <= {TARGET_SECONDS:.1f} s (0.8 x reference {REFERENCE_SECONDS:.1f} s): {verdict}"
        f" ({median / REFERENCE_SECONDS:.2f} x reference)"
    )
    if not args.skip_provider_import:
        seconds = time_provider_import()
        print(
            f"for comparison: `import cdktf_cdktf_provider_aws` in a fresh process: {seconds:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
