"""checkov on the synthesized Terraform of examples/minimal and examples/service-deployment:
zero failed checks.

The only exceptions are the skips in .checkov.yaml, each with its reason in a comment.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / ".checkov.yaml"
CHECKOV = Path(sys.executable).parent / "checkov"
MAX_SKIPS = 12


#: The cluster alone, and with a service deployer, a Lambda service and its registration.
CHECKED_EXAMPLES = ("minimal", "service-deployment")


@pytest.fixture(scope="module", params=CHECKED_EXAMPLES)
def minimal_stack(tmp_path_factory, request) -> Path:
    name = request.param
    spec = importlib.util.spec_from_file_location(
        f"example_{name.replace('-', '_')}_checkov", REPO / "examples" / name / "main.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module.build(str(tmp_path_factory.mktemp("checkov"))))


def skipped_checks() -> dict[str, str]:
    """Check id -> the comment lines right above it in .checkov.yaml."""
    reasons: dict[str, str] = {}
    comment: list[str] = []
    in_skips = False
    for line in CONFIG.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("skip-check:"):
            in_skips, comment = True, []
        elif in_skips and stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif in_skips and stripped.startswith("- "):
            reasons[stripped[2:].strip()] = " ".join(comment)
            comment = []
        elif stripped and not line.startswith(" "):
            in_skips = False
    return reasons


def test_every_skip_has_a_reason_and_the_list_is_short() -> None:
    reasons = skipped_checks()
    assert reasons, "no skips parsed"
    assert len(reasons) <= MAX_SKIPS
    for check_id, reason in reasons.items():
        assert re.fullmatch(r"CKV2?_AWS_\d+", check_id), check_id
        assert len(reason) > 30, f"{check_id} has no reason"


def test_checkov_finds_no_failed_check(minimal_stack: Path) -> None:
    result = subprocess.run(
        [
            str(CHECKOV),
            "-f",
            str(minimal_stack / "cdk.tf.json"),
            "--config-file",
            str(CONFIG),
            "--framework",
            "terraform_json",
            "--skip-download",
            "--compact",
            "--quiet",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    report = json.loads(result.stdout)
    failed = [
        (c["check_id"], c["resource"], c["check_name"]) for c in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    # It really scanned the stack: the cluster alone yields well over a hundred passing checks.
    assert report["summary"]["passed"] > 100
    assert result.returncode == 0
