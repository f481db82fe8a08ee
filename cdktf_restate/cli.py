"""The ``cdktf-restate`` command line (subcommands are added by their modules)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("cdktf-restate: no subcommands yet", file=sys.stderr)
    return 2
