"""The controller image cannot import the construct, so it keeps its own copy of the AWS limits
the construct validates; these twins must stay equal (docs/controller-config.md)."""

from restate_controller import config as controller

from cdktf_restate.cluster.controller import EBS_VOLUME_FIELDS
from cdktf_restate.schema import validation as construct


def test_ebs_rules_are_the_same_on_both_sides() -> None:
    assert controller.EBS_VOLUME_TYPES == construct.EBS_VOLUME_TYPES
    assert controller.EBS_MINIMUM_SIZE_GIB == construct.EBS_MINIMUM_SIZE_GIB
    assert controller.GP3_BASELINE_IOPS == construct.GP3_BASELINE_IOPS
    assert controller.EBS_MAX_IOPS_PER_GIB == construct.EBS_MAX_IOPS_PER_GIB
    # The construct writes exactly the keys the controller reads.
    assert set(controller.EBS_KEYS) == set(EBS_VOLUME_FIELDS) | {"volume_name"}


def test_security_group_limit_is_the_same_on_both_sides() -> None:
    assert controller.MAX_SECURITY_GROUPS == construct.MAX_SECURITY_GROUPS
