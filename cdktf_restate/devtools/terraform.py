"""Run the Terraform CLI with the project's own CLI config (local provider mirror)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI_CONFIG_ENV = "TF_CLI_CONFIG_FILE"
OVERRIDE_ENV = "CDKTF_RESTATE_TF_CLI_CONFIG"


class TerraformError(RuntimeError):
    pass


def cli_config_file() -> Path:
    """The CLI config written by scripts/setup.sh (override: CDKTF_RESTATE_TF_CLI_CONFIG).

    A TF_CLI_CONFIG_FILE already in the environment is deliberately not used: it may
    point at a config without the provider mirror, and this project has no registry.
    """
    configured = os.environ.get(OVERRIDE_ENV)
    path = Path(configured) if configured else REPO_ROOT / ".cache" / "terraformrc"
    if not path.exists():
        raise TerraformError(
            f"{path} is missing: run scripts/setup.sh first (or set {OVERRIDE_ENV})"
        )
    return path


def terraform_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env[CLI_CONFIG_ENV] = str(cli_config_file())
    env.setdefault("TF_IN_AUTOMATION", "1")
    env.setdefault("CHECKPOINT_DISABLE", "1")
    env["AWS_ACCESS_KEY_ID"] = env.get("AWS_ACCESS_KEY_ID", "test")
    env["AWS_SECRET_ACCESS_KEY"] = env.get("AWS_SECRET_ACCESS_KEY", "test")
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Terraform:
    workdir: Path
    timeout: float = 900

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["terraform", *args, "-no-color"]
            if args[0] not in {"fmt", "version"}
            else ["terraform", *args],
            cwd=self.workdir,
            env=terraform_env(),
            capture_output=True,
            text=True,
            timeout=self.timeout,
        )
        if check and result.returncode != 0:
            raise TerraformError(
                f"terraform {' '.join(args)} failed in {self.workdir}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def init(self) -> None:
        self.run("init", "-input=false")

    def validate(self) -> None:
        self.run("validate")

    def plan(self, *, out: str = "tfplan", destroy: bool = False, check: bool = True):
        args = ["plan", "-input=false", "-lock=false", f"-out={out}", "-detailed-exitcode"]
        if destroy:
            args.append("-destroy")
        result = self.run(*args, check=False)
        if check and result.returncode not in (0, 2):
            raise TerraformError(
                f"terraform plan failed in {self.workdir}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def show_json(self, plan_file: str = "tfplan") -> dict:
        return json.loads(self.run("show", "-json", plan_file).stdout)

    def apply(self, plan_file: str = "tfplan") -> None:
        self.run("apply", "-input=false", "-lock=false", "-auto-approve", plan_file)

    def destroy(self) -> None:
        self.run("destroy", "-input=false", "-lock=false", "-auto-approve")

    def output_json(self) -> dict:
        return json.loads(self.run("output", "-json").stdout)
