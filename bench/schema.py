"""Schema benchmark: what the strict props schema adds to a synth.

Prints, in fresh processes (median of --runs): the import of the validation module on top of
cdktf (pydantic and the schema included), the first validation (pydantic builds its validator
then), and the median of later validations of examples/minimal's props. ``--tree DIR`` measures
another checkout (e.g. a worktree of the commit before the schema) the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, time
import cdktf
t0 = time.perf_counter()
from cdktf_restate.schema.validation import validate_props
from cdktf_restate.schema.props import RestateClusterProps, Subnet
t1 = time.perf_counter()
props = RestateClusterProps(vpc_id="vpc-0000aaaa", subnets=[
    Subnet(subnet_id=f"subnet-0000000{i}", availability_zone=z)
    for i, z in enumerate(("us-east-1a", "us-east-1b", "us-east-1c"))])
validate_props(props)
t2 = time.perf_counter()
later = []
for _ in range(200):
    s = time.perf_counter(); validate_props(props); later.append(time.perf_counter() - s)
later.sort()
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "first_ms": (t2 - t1) * 1e3,
                  "later_ms": later[100] * 1e3}))
"""


def measure(tree: Path, runs: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": f"{tree}:{tree / 'controller_image'}"}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    results = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
            ).stdout.splitlines()[-1]
        )
        for _ in range(runs)
    ]
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, action="append", default=[])
    args = parser.parse_args()
    print(f"{'tree':<40} {'import ms':>10} {'first validate ms':>18} {'later validate ms':>18}")
    for tree in [REPO, *args.tree]:
        figures = measure(tree, args.runs)
        print(
            f"{str(tree):<40} {figures['import_ms']:>10.1f} {figures['first_ms']:>18.1f} "
            f"{figures['later_ms']:>18.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
