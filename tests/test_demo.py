"""The main job: `cdktf-restate demo` plans examples/minimal against an embedded emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cdktf_restate.devtools.terraform import REPO_ROOT

CLI = Path(sys.executable).with_name("cdktf-restate")


def test_demo_prints_the_plan_summary_and_outputs(tmp_path: Path) -> None:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run(
        # Parents missing, as cdktf.out/ is in a fresh clone.
        [str(CLI), "demo", "--outdir", str(tmp_path / "fresh" / "out")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout
    assert result.returncode == 0, f"{output}\n{result.stderr[-4000:]}"

    assert re.search(r"^AWS emulator \(moto\) on http://127\.0\.0\.1:\d+$", output, re.M)
    assert (tmp_path / "fresh/out/stacks/minimal/cdk.tf.json").is_file()
    created = re.search(r"^Plan: (\d+) to add, 0 to change, 0 to destroy\.$", output, re.M)
    assert created, output
    by_type = dict(re.findall(r"^  (aws_[a-z0-9_]+)\s+(\d+)$", output, re.M))
    assert sum(int(n) for n in by_type.values()) == int(created.group(1))
    # restatectl, retirement watcher, widget, destroy-time cleanup
    assert by_type["aws_lambda_function"] == "4"
    assert by_type["aws_cloudwatch_dashboard"] == "2"  # control panel, metrics
    assert by_type["aws_ecs_service"] == "2"  # stateless + controller; stateful runs no service
    assert by_type["aws_lb_listener"] == "3"
    assert by_type["aws_s3_bucket"] == "1"
    outputs = dict(re.findall(r"^  ([a-z_]+)\s+= (.+)$", output, re.M))
    # The NLB's DNS name exists only after apply; names derived from props are known now.
    assert outputs["ingress_url"] == "(known after apply)"
    assert outputs["admin_url"] == "(known after apply)"
    assert outputs["restate_bucket_name"].startswith("minimal-restate-")
    assert outputs["restate_control_panel_dashboard_name"] == "minimal-restate-control-panel"
    assert outputs["restate_metrics_dashboard_name"] == "minimal-restate-metrics"


def test_summary_counts_like_terraform_and_marks_unknown_outputs() -> None:
    from cdktf_restate.cli.demo import format_summary

    def change(kind: str, actions: list[str], mode: str = "managed") -> dict[str, object]:
        return {"type": kind, "mode": mode, "change": {"actions": actions}}

    plan = {
        "resource_changes": [
            change("aws_s3_bucket", ["create"]),
            change("aws_lb", ["update"]),
            change("aws_ecs_service", ["delete", "create"]),  # replace: one add + one destroy
            change("aws_sqs_queue", ["delete"]),
            change("aws_vpc", ["no-op"]),
            change("aws_region", ["read"], mode="data"),
        ],
        "output_changes": {
            "ingress_url": {"actions": ["create"], "after_unknown": True},
            "bucket": {"actions": ["create"], "after": "b", "after_unknown": False},
        },
    }

    summary = format_summary(plan).splitlines()

    assert summary[0] == "Plan: 2 to add, 1 to change, 2 to destroy."
    by_type = dict(re.findall(r"^  (aws_[a-z0-9_]+)\s+(\d+)$", "\n".join(summary), re.M))
    assert by_type == {
        "aws_s3_bucket": "1",
        "aws_lb": "1",
        "aws_ecs_service": "1",
        "aws_sqs_queue": "1",
    }
    assert "  bucket      = b" in summary
    assert "  ingress_url = (known after apply)" in summary
