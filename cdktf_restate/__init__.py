"""cdktf-restate: Restate clusters on AWS ECS Fargate, as CDKTF Python constructs.

Public names: ``RestateEcsFargateCluster``, its props classes, ``RestateConfigError``, the
service deployment constructs (``RestateEnvironment``, ``ServiceDeployer``,
``RestateInvokerRole``) and
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
    "RestateEcsFargateCluster": "cdktf_restate.cluster.construct",
    "RestateConfigError": "cdktf_restate.schema.errors",
    "RestateClusterProps": "cdktf_restate.schema.props",
    "Subnet": "cdktf_restate.schema.props",
    "Resources": "cdktf_restate.schema.props",
    "ObjectStorageProps": "cdktf_restate.schema.props",
    "LoadBalancerProps": "cdktf_restate.schema.props",
    "AddressesProps": "cdktf_restate.schema.props",
    "StatelessNodeProps": "cdktf_restate.schema.props",
    "StatefulNodeProps": "cdktf_restate.schema.props",
    "EbsVolumeProps": "cdktf_restate.schema.props",
    "ControllerProps": "cdktf_restate.schema.props",
    "TaskProps": "cdktf_restate.schema.props",
    "RestatectlProps": "cdktf_restate.schema.props",
    "RetirementWatcherProps": "cdktf_restate.schema.props",
    "DestroyCleanupProps": "cdktf_restate.schema.props",
    "MonitoringProps": "cdktf_restate.schema.props",
    "RestateEnvironment": "cdktf_restate.services.environment",
    "RestateInvokerRole": "cdktf_restate.services.invoker_role",
    "ServiceDeployer": "cdktf_restate.services.deployer",
    "ServiceDeployerProps": "cdktf_restate.schema.service_props",
    "DashboardsProps": "cdktf_restate.schema.props",
    "DashboardProps": "cdktf_restate.schema.props",
    "CustomWidgetsProps": "cdktf_restate.schema.props",
}

__all__ = [
    "AddressesProps",
    "AwsProvider",
    "ControllerProps",
    "CustomWidgetsProps",
    "DashboardProps",
    "DashboardsProps",
    "DestroyCleanupProps",
    "EbsVolumeProps",
    "LoadBalancerProps",
    "MonitoringProps",
    "ObjectStorageProps",
    "Resources",
    "RestateClusterProps",
    "RestateConfigError",
    "RestateEcsFargateCluster",
    "RestateEnvironment",
    "RestateInvokerRole",
    "RestatectlProps",
    "RetirementWatcherProps",
    "ServiceDeployer",
    "ServiceDeployerProps",
    "StatefulNodeProps",
    "StatelessNodeProps",
    "Subnet",
    "TaskProps",
]

if TYPE_CHECKING:
    from cdktf_restate._tf import AwsProvider
    from cdktf_restate.cluster.construct import RestateEcsFargateCluster
    from cdktf_restate.schema.errors import RestateConfigError
    from cdktf_restate.schema.props import (
        AddressesProps,
        ControllerProps,
        CustomWidgetsProps,
        DashboardProps,
        DashboardsProps,
        DestroyCleanupProps,
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
    from cdktf_restate.schema.service_props import ServiceDeployerProps
    from cdktf_restate.services.deployer import ServiceDeployer
    from cdktf_restate.services.environment import RestateEnvironment
    from cdktf_restate.services.invoker_role import RestateInvokerRole


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cdktf_restate' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
