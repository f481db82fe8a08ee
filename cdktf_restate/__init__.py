"""cdktf-restate: Restate clusters on AWS ECS Fargate, as CDKTF Python constructs.

Public names: ``RestateEcsFargateCluster``, its props classes, ``RestateConfigError`` and
``AwsProvider`` (the ``hashicorp/aws`` provider block pinned to 5.100.0, the version the
construct is tested with, without the 15-20 s import of the generated provider bindings).
They are imported on first use, so ``import cdktf_restate`` (e.g. for the CLI) stays cheap;
nothing here imports ``cdktf_cdktf_provider_aws``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AwsProvider": "cdktf_restate._tf",
    "RestateEcsFargateCluster": "cdktf_restate.cluster",
    "RestateConfigError": "cdktf_restate.validation",
    "RestateClusterProps": "cdktf_restate.props",
    "Subnet": "cdktf_restate.props",
    "Resources": "cdktf_restate.props",
    "ObjectStorageProps": "cdktf_restate.props",
    "LoadBalancerProps": "cdktf_restate.props",
    "AddressesProps": "cdktf_restate.props",
    "StatelessNodeProps": "cdktf_restate.props",
    "StatefulNodeProps": "cdktf_restate.props",
    "EbsVolumeProps": "cdktf_restate.props",
    "ControllerProps": "cdktf_restate.props",
    "TaskProps": "cdktf_restate.props",
    "RestatectlProps": "cdktf_restate.props",
    "RetirementWatcherProps": "cdktf_restate.props",
    "MonitoringProps": "cdktf_restate.props",
}

__all__ = [
    "AddressesProps",
    "AwsProvider",
    "ControllerProps",
    "EbsVolumeProps",
    "LoadBalancerProps",
    "MonitoringProps",
    "ObjectStorageProps",
    "Resources",
    "RestateClusterProps",
    "RestateConfigError",
    "RestateEcsFargateCluster",
    "RestatectlProps",
    "RetirementWatcherProps",
    "StatefulNodeProps",
    "StatelessNodeProps",
    "Subnet",
    "TaskProps",
]

if TYPE_CHECKING:
    from cdktf_restate._tf import AwsProvider
    from cdktf_restate.cluster import RestateEcsFargateCluster
    from cdktf_restate.props import (
        AddressesProps,
        ControllerProps,
        EbsVolumeProps,
        LoadBalancerProps,
        MonitoringProps,
        ObjectStorageProps,
        Resources,
        RestateClusterProps,
        RestatectlProps,
        RetirementWatcherProps,
        StatefulNodeProps,
        StatelessNodeProps,
        Subnet,
        TaskProps,
    )
    from cdktf_restate.validation import RestateConfigError


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cdktf_restate' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
