"""The controller image cannot import the construct: it reads the limits it shares with the
schema from a generated contract (controller_image/restate_controller/contract.json)."""

from restate_controller import config as controller

from cdktf_restate.cluster.controller import EBS_VOLUME_FIELDS
from cdktf_restate.schema import limits
from cdktf_restate.schema.contract import CONTRACT_PATH, contract_text


def test_committed_contract_is_what_the_schema_generates() -> None:
    assert CONTRACT_PATH.read_text() == contract_text(), (
        "regenerate: python -m cdktf_restate.schema.contract"
    )


def test_controller_reads_the_schema_limits() -> None:
    assert controller.EBS_VOLUME_TYPES == limits.EBS_VOLUME_TYPES
    assert controller.EBS_MINIMUM_SIZE_GIB == limits.EBS_MINIMUM_SIZE_GIB
    assert controller.GP3_BASELINE_IOPS == limits.GP3_BASELINE_IOPS
    assert controller.EBS_MAX_IOPS_PER_GIB == limits.EBS_MAX_IOPS_PER_GIB
    assert controller.MAX_SECURITY_GROUPS == limits.MAX_SECURITY_GROUPS
    # The construct writes exactly the keys the controller reads.
    assert set(controller.EBS_KEYS) == set(EBS_VOLUME_FIELDS) | {"volume_name"}


def test_props_reference_is_what_the_schema_generates() -> None:
    from cdktf_restate.schema.reference import REFERENCE_PATH, reference_text

    text = reference_text()
    assert REFERENCE_PATH.read_text() == text, (
        "regenerate: python -m cdktf_restate.schema.reference"
    )
    # Every prop of every class has a row; checked types name what they allow.
    assert "| `vpc_id` | `str` | required | vpc- and 8 or 17 lowercase hex digits" in text
    assert "| `nodes_per_az` | `int` | `1` | an integer >= 1 and <= 100 |" in text
