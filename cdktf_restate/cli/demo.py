"""``cdktf-restate demo``: synthesize examples/minimal and plan it against a local AWS emulator.

Starts moto on 127.0.0.1, synthesizes the minimal example with the AWS provider pointed at it,
runs ``terraform init`` (local provider mirror) and ``terraform plan``, then prints the plan
summary (add/change/destroy, resources by type) and the planned outputs. Nothing leaves the
machine and nothing is applied.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cdktf_restate.devtools.terraform import REPO_ROOT

ENDPOINT_ENV = "CDKTF_RESTATE_AWS_ENDPOINT"
EXAMPLES_DIR = REPO_ROOT / "examples"
KNOWN_AFTER_APPLY = "(known after apply)"


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def synthesize_example(example: str, outdir: Path, endpoint: str | None) -> Path:
    """Synthesize ``examples/<example>/main.py`` into ``outdir``; return the stack directory.

    With ``endpoint`` the example's AWS provider talks to that emulator instead of AWS.
    """
    script = EXAMPLES_DIR / example / "main.py"
    if not script.is_file():
        raise FileNotFoundError(f"{script} not found: run from a source checkout of cdktf-restate")
    spec = importlib.util.spec_from_file_location(f"cdktf_restate_example_{example}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # cdktf creates the output folder but not its parents (cdktf.out/ in a fresh clone).
    outdir.mkdir(parents=True, exist_ok=True)
    context = _environment(ENDPOINT_ENV, endpoint) if endpoint else contextlib.nullcontext()
    with context:
        return Path(module.build(str(outdir)))


def _action(actions: list[str]) -> str:
    if actions == ["no-op"] or actions == ["read"]:
        return "no-op"
    if "create" in actions and "delete" in actions:
        return "replace"
    return actions[0]


def plan_counts(plan: Mapping[str, Any]) -> dict[str, int]:
    """Terraform's own tally: a replacement counts as one add and one destroy."""
    counts = {"add": 0, "change": 0, "destroy": 0}
    for change in plan.get("resource_changes", []):
        action = _action(change["change"]["actions"])
        if action in ("create", "replace"):
            counts["add"] += 1
        if action in ("delete", "replace"):
            counts["destroy"] += 1
        if action == "update":
            counts["change"] += 1
    return counts


def resources_by_type(plan: Mapping[str, Any]) -> Counter[str]:
    return Counter(
        change["type"]
        for change in plan.get("resource_changes", [])
        if change.get("mode", "managed") == "managed"
        and _action(change["change"]["actions"]) != "no-op"
    )


def planned_outputs(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Output name -> planned value, or ``KNOWN_AFTER_APPLY``."""
    outputs: dict[str, Any] = {}
    for name, change in sorted(plan.get("output_changes", {}).items()):
        outputs[name] = KNOWN_AFTER_APPLY if change.get("after_unknown") else change.get("after")
    return outputs


def format_summary(plan: Mapping[str, Any]) -> str:
    counts = plan_counts(plan)
    lines = [
        f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy.",
        "",
        "Resources by type:",
    ]
    by_type = resources_by_type(plan)
    width = max((len(t) for t in by_type), default=0)
    lines += [f"  {kind:<{width}}  {count:>3}" for kind, count in sorted(by_type.items())]
    lines += ["", "Outputs:"]
    outputs = planned_outputs(plan)
    width = max((len(n) for n in outputs), default=0)
    lines += [f"  {name:<{width}} = {value}" for name, value in outputs.items()]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cdktf-restate demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--outdir",
        type=Path,
        default=REPO_ROOT / "cdktf.out" / "demo",
        help="where to synthesize (default: cdktf.out/demo in the checkout)",
    )
    parser.add_argument("--example", default="minimal", help="example to plan (default: minimal)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    # moto's embedded web server logs every request at INFO; the summary is what matters here.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from cdktf_restate.devtools.emulator import running_emulator
    from cdktf_restate.devtools.terraform import Terraform, TerraformError

    with running_emulator() as emulator:
        print(f"AWS emulator (moto) on {emulator.url}")
        started = time.monotonic()
        stack_dir = synthesize_example(args.example, args.outdir, emulator.url)
        print(
            f"Synthesized examples/{args.example} in {time.monotonic() - started:.1f} s: {stack_dir}"
        )
        terraform = Terraform(stack_dir)
        try:
            started = time.monotonic()
            terraform.init()
            print(f"terraform init in {time.monotonic() - started:.1f} s")
            started = time.monotonic()
            terraform.plan()
            plan = terraform.show_json()
            print(f"terraform plan in {time.monotonic() - started:.1f} s\n")
        except TerraformError as error:
            print(error, file=sys.stderr)
            return 1
        print(format_summary(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
