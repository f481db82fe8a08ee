"""Every example (each ``examples/*/main.py``) synthesizes, and its Terraform inits and validates.

Examples are found by glob, so a new one is tested without touching this file. Each is
synthesized in-process through its ``build(outdir)`` function, once per session.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from cdktf_restate.devtools.terraform import Terraform

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.parent.name for p in (REPO / "examples").glob("*/main.py"))


def load(name: str) -> ModuleType:
    path = REPO / "examples" / name / "main.py"
    spec = importlib.util.spec_from_file_location(f"example_{name.replace('-', '_')}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("examples")
    return {name: Path(load(name).build(str(root / name))) for name in EXAMPLES}


def test_the_three_documented_examples_exist() -> None:
    assert {"minimal", "existing-bucket", "custom-resources"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_synthesizes_validates_and_has_outputs(
    name: str, synthesized: dict[str, Path]
) -> None:
    workdir = synthesized[name]
    doc = json.loads((workdir / "cdk.tf.json").read_text())
    assert {"ingress_url", "admin_url"} <= set(doc["output"])
    assert doc["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}
    assert doc["resource"]["aws_ecs_task_definition"]
    terraform = Terraform(workdir)
    terraform.init()
    terraform.validate()


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_reference_is_escaped(name: str, synthesized: dict[str, Path]) -> None:
    # cdktf escapes "${" in text it takes for a literal inside a function ("$${"): a reference
    # written so would reach AWS as text. (The entrypoint's shell "$${VAR}" are meant so.)
    text = (synthesized[name] / "cdk.tf.json").read_text()
    assert not re.search(r"\$\$\{(data\.|var\.|local\.)?aws_", text)
    assert "${aws_" in text  # references are there, unescaped


def test_cdktf_json_app_synthesizes_the_minimal_example(tmp_path: Path) -> None:
    # What `cdktf synth` does: run the "app" command with CDKTF_OUTDIR set, from the repo root.
    config = json.loads((REPO / "cdktf.json").read_text())
    assert config["language"] == "python"
    env = {
        **os.environ,
        "CDKTF_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        shlex.split(config["app"]), cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert list(manifest["stacks"]) == ["minimal"]
    assert (tmp_path / "stacks" / "minimal" / "cdk.tf.json").exists()
