"""The generated module works straight from git: a clone of this repository's HEAD, nothing
built, no Python step; `terraform init && terraform plan` of examples/terraform-module plans the
whole cluster against the emulator (moto)."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from cdktf_restate.devtools.emulator import running_emulator
from cdktf_restate.devtools.terraform import Terraform

REPO = Path(__file__).resolve().parents[1]
MODULE = Path("modules") / "restate-ecs-fargate-cluster"
EXAMPLE = Path("examples") / "terraform-module"


def test_a_fresh_clone_plans_the_whole_cluster(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    # --no-local: a real clone (objects copied, no hard links), of the committed HEAD only.
    subprocess.run(
        ["git", "clone", "--quiet", "--no-local", str(REPO), str(clone)],
        check=True,
        capture_output=True,
        text=True,
    )
    lambda_dir = clone / MODULE / "lambda"
    # What a clone holds is all the module needs: no ignored, built packages.
    assert sorted(p.name for p in lambda_dir.iterdir()) == [
        "cluster-cleanup.zip",
        "control-panel-arm64.zip",
        "control-panel-x86_64.zip",
        "retirement-watcher.zip",
    ]
    assert all(p.stat().st_size < 100_000 for p in lambda_dir.iterdir())  # Python only
    assert not (clone / MODULE / ".gitignore").exists()
    with running_emulator() as emulator:
        tf = Terraform(clone / EXAMPLE)
        tf.init()
        result = tf.run(
            "plan", "-input=false", "-lock=false", "-out=tfplan",
            "-var", f"aws_endpoint={emulator.url}",
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        plan = tf.show_json("tfplan")
    created = [
        change
        for change in plan["resource_changes"]
        if change["change"]["actions"] == ["create"] and change["address"].startswith("module.")
    ]
    kinds = Counter(change["type"] for change in created)
    # The whole cluster: ECS cluster, stateless service + controller service, the task
    # definitions, the NLB, the bucket and the restatectl Lambda as the controller image.
    assert kinds["aws_ecs_cluster"] == 1
    assert kinds["aws_ecs_service"] == 2
    assert kinds["aws_ecs_task_definition"] == 3
    assert kinds["aws_lb"] == 1
    assert kinds["aws_s3_bucket"] == 1
    functions = {
        c["change"]["after"]["function_name"]: c["change"]["after"]
        for c in created
        if c["type"] == "aws_lambda_function"
    }
    restatectl = functions["restate-tf-restatectl"]
    assert restatectl["package_type"] == "Image"
    assert restatectl["image_config"][0]["command"] == ["lambda"]
    assert restatectl["filename"] is None
    # Both dashboards and the Control Panel's widget Lambda, from the committed package.
    assert kinds["aws_cloudwatch_dashboard"] == 2
    assert functions["restate-tf-control-panel"]["filename"].endswith("control-panel-arm64.zip")
