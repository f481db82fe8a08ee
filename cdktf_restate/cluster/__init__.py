"""The AWS parts of a Restate cluster, one module per concern, composed by ``construct``.

``from cdktf_restate.cluster import RestateEcsFargateCluster`` keeps working; it is imported on
first use so that importing one part does not load the whole construct.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdktf_restate.cluster.construct import RestateEcsFargateCluster

__all__ = ["RestateEcsFargateCluster"]


def __getattr__(name: str) -> Any:
    if name == "RestateEcsFargateCluster":
        from cdktf_restate.cluster.construct import RestateEcsFargateCluster

        return RestateEcsFargateCluster
    raise AttributeError(f"module 'cdktf_restate.cluster' has no attribute {name!r}")
