"""The limits the controller shares with the schema, as a generated contract file.

The controller image cannot import the construct (it ships only ``restate_controller``), so
the schema writes the values both sides check into
``controller_image/restate_controller/contract.json``, which the controller reads at start.
``python -m cdktf_restate.schema.contract`` rewrites it; a test fails when it drifts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cdktf_restate.schema import limits

CONTRACT_PATH = (
    Path(__file__).resolve().parents[2]
    / "controller_image"
    / "restate_controller"
    / "contract.json"
)


def controller_contract() -> dict[str, Any]:
    return {
        "_comment": "Generated from cdktf_restate/schema/limits.py by "
        "`python -m cdktf_restate.schema.contract`; do not edit.",
        "ebs_volume_types": list(limits.EBS_VOLUME_TYPES),
        "ebs_minimum_size_gib": limits.EBS_MINIMUM_SIZE_GIB,
        "ebs_maximum_size_gib": limits.EBS_MAXIMUM_SIZE_GIB,
        "gp3_baseline_iops": limits.GP3_BASELINE_IOPS,
        "ebs_iops_limits": {kind: list(span) for kind, span in limits.EBS_IOPS_LIMITS.items()},
        "ebs_max_iops_per_gib": limits.EBS_MAX_IOPS_PER_GIB,
        "gp3_throughput_range": list(limits.GP3_THROUGHPUT_RANGE),
        "max_security_groups": limits.MAX_SECURITY_GROUPS,
        "max_nodes_per_az": limits.MAX_NODES_PER_AZ,
        "max_reconcile_interval_seconds": limits.MAX_RECONCILE_INTERVAL_SECONDS,
        "max_drain_timeout_seconds": limits.MAX_DRAIN_TIMEOUT_SECONDS,
    }


def contract_text() -> str:
    return json.dumps(controller_contract(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    CONTRACT_PATH.write_text(contract_text())
    print(f"wrote {CONTRACT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
