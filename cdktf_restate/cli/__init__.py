"""The ``cdktf-restate`` command line.

Each subcommand lives in its own module and is imported only when used, so the
command stays fast (and ``dev`` never loads the construct code).
"""

from __future__ import annotations

import importlib
import sys

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "ctl": (
        "cdktf_restate.cli.ctl",
        "run restatectl through the cluster's restatectl Lambda (or --dev DIR)",
    ),
    "dashboard": (
        "cdktf_restate.cli.dashboard",
        "preview the Control Panel of a dev cluster, or draw a synthesized dashboard (preview/layout)",
    ),
    "demo": (
        "cdktf_restate.cli.demo",
        "synthesize examples/minimal and plan it against a local AWS emulator",
    ),
    "dev": (
        "cdktf_restate.cli.dev",
        "run a local Restate cluster with the controller (up/roll/status/down)",
    ),
    "image": (
        "cdktf_restate.cli.image",
        "build the controller image offline into build/controller-image/ (build [--arch])",
    ),
    "module": (
        "cdktf_restate.terraform_module.generate",
        "generate the Terraform module (--out DIR)",
    ),
    "plan-review": (
        "cdktf_restate.cli.plan_review",
        "summarize `terraform show -json` output for a PR",
    ),
    "service-module": (
        "cdktf_restate.terraform_module.service_module",
        "generate the service registration module (--out DIR)",
    ),
    "teardown": (
        "cdktf_restate.cli.teardown",
        "stop the controller's Restate tasks before `terraform destroy` (see docs/teardown.md)",
    ),
}


def usage() -> str:
    lines = ["usage: cdktf-restate <command> [args]  (or --version)", "", "commands:"]
    lines += [f"  {name:<12} {text}" for name, (_, text) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(usage())
        return 0 if args else 2
    if args[0] == "--version":
        from importlib.metadata import version

        print(f"cdktf-restate {version('cdktf-restate')}")
        return 0
    command, rest = args[0], args[1:]
    if command not in SUBCOMMANDS:
        print(f"cdktf-restate: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[command][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
