"""Keyword properties of the construct that are not props: named with the closest known one."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from cdktf_restate.schema import props as props_module
from cdktf_restate.schema.errors import fail


def check_keyword_properties(fields: Mapping[str, Any]) -> None:
    """Unknown keyword properties of the construct, with the closest known name."""
    known = [f.name for f in dataclasses.fields(props_module.RestateClusterProps)]
    for name in fields:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "see docs/construct.md"
            raise fail(name, "not a property of RestateEcsFargateCluster", hint)


__all__ = ["check_keyword_properties"]
