"""A picture of a synthesized dashboard's layout, without AWS: widgets placed as CloudWatch
places widgets without coordinates (left to right on a 24-column grid, in body order), each
with its title and what it shows. References to the stack's resources are shown resolved where
the synthesized stack knows the value (names), else as ``‹type.attribute›``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REFERENCE = re.compile(r"\$\{(?:(data)\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}")
GRID_COLUMNS = 24
ROW_PX = 34

STYLE = """
body{font-family:Arial,Helvetica,sans-serif;background:#f2f3f3;margin:12px}
.grid{display:grid;grid-template-columns:repeat(24,1fr);grid-auto-rows:34px;gap:6px}
.w{background:#fff;border:1px solid #d5dbdb;border-radius:3px;padding:6px 8px;overflow:hidden;font-size:11px}
.w h4{margin:0 0 4px;font-size:13px;color:#16191f}
.kind{float:right;color:#879596;font-size:10px;text-transform:uppercase}
.m{color:#0073bb;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.q{font-family:monospace;color:#5f6b7a;white-space:pre-wrap}
h2{margin:0 0 8px}
"""


def resolver(stack: Mapping[str, Any]) -> Any:
    def resolve(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            block = stack.get("data" if match[1] else "resource", {})
            value = block.get(match[2], {}).get(match[3], {}).get(match[4])
            if isinstance(value, str) and "${" not in value:
                return value
            return f"‹{match[2]}.{match[4]}›"

        return REFERENCE.sub(one, text)

    return resolve


def _describe(widget: Mapping[str, Any], resolve: Any) -> str:
    properties = widget.get("properties", {})
    kind = widget.get("type", "")
    lines: list[str] = []
    if kind == "metric":
        for row in properties.get("metrics", []):
            parts = [str(p) for p in row if not isinstance(p, dict)]
            namespace, name, *dims = parts
            labels = ", ".join(f"{k}={v}" for k, v in zip(dims[0::2], dims[1::2], strict=False))
            lines.append(
                f'<div class="m">{html.escape(resolve(f"{namespace} {name} {labels}"))}</div>'
            )
    elif kind == "log":
        lines.append(f'<div class="q">{html.escape(resolve(properties.get("query", "")))}</div>')
    elif kind == "text":
        lines.append(f'<div class="q">{html.escape(resolve(properties.get("markdown", "")))}</div>')
    elif kind == "custom":
        endpoint = resolve(properties.get("endpoint", ""))
        params = json.dumps(properties.get("params", {}))
        lines.append(f'<div class="q">{html.escape(f"Lambda {endpoint} {params}")}</div>')
    elif kind == "alarm":
        for alarm in properties.get("alarms", []):
            lines.append(f'<div class="m">{html.escape(resolve(alarm))}</div>')
    return "".join(lines)


def layout_page(stack: Mapping[str, Any], dashboard_id: str) -> str:
    resolve = resolver(stack)
    dashboard = stack["resource"]["aws_cloudwatch_dashboard"][dashboard_id]
    body = json.loads(dashboard["dashboard_body"])
    boxes = []
    for widget in body.get("widgets", []):
        width, height = int(widget.get("width", 6)), int(widget.get("height", 6))
        title = widget.get("properties", {}).get("title", "")
        boxes.append(
            f'<div class="w" style="grid-column:span {width};grid-row:span {height}">'
            f'<span class="kind">{html.escape(widget.get("type", ""))}</span>'
            f"<h4>{html.escape(resolve(title))}</h4>{_describe(widget, resolve)}</div>"
        )
    name = html.escape(resolve(dashboard["dashboard_name"]))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title>'
        f"<style>{STYLE}</style></head><body><h2>{name}</h2>"
        f'<div class="grid">{"".join(boxes)}</div></body></html>'
    )


def dashboards_of(stack_dir: Path) -> dict[str, str]:
    """dashboard name (as synthesized) -> its resource id, from ``cdk.tf.json``."""
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    found = stack.get("resource", {}).get("aws_cloudwatch_dashboard", {})
    return {resolver(stack)(body["dashboard_name"]): key for key, body in found.items()}
