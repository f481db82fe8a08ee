"""`cdktf-restate dashboard preview`: the Control Panel of a local dev cluster, without AWS.

    cdktf-restate dashboard preview --state-dir .cache/dev --out build/control-panel.html
        [--tab nodes|partitions|logs|compute] [--screenshot build/control-panel.png]

    cdktf-restate dashboard layout --stack cdktf.out/stacks/minimal --name minimal-restate-metrics
        --out build/metrics.html [--screenshot build/metrics.png]

preview: without --tab the page holds every tab; with it, the one tab as the CloudWatch widget
renders it. layout: the widgets of a synthesized dashboard, placed as CloudWatch places them.
--screenshot also opens the page in headless Chromium and saves what it shows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cdktf_restate.cli.dev import DEFAULT_STATE_DIR
from cdktf_restate.lambdas.control_panel.model import TABS


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cdktf-restate dashboard", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser("preview", help="render the Control Panel of a dev cluster")
    preview.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    preview.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    preview.add_argument("--tab", choices=TABS, help="one tab as the widget shows it")
    preview.add_argument("--screenshot", type=Path, help="also save a headless Chromium PNG")
    preview.add_argument("--width", type=int, default=1300)
    preview.add_argument("--height", type=int, default=900)
    layout = commands.add_parser("layout", help="draw a synthesized dashboard's widgets")
    layout.add_argument("--stack", type=Path, required=True, help="dir with cdk.tf.json")
    layout.add_argument("--name", required=True, help="the dashboard's name")
    layout.add_argument("--out", type=Path, required=True)
    layout.add_argument("--screenshot", type=Path)
    layout.add_argument("--width", type=int, default=1400)
    layout.add_argument("--height", type=int, default=1000)
    return parser.parse_args(argv)


def layout_page(stack_dir: Path, name: str) -> str:
    import json

    from cdktf_restate.devtools.dashboard_layout import dashboards_of
    from cdktf_restate.devtools.dashboard_layout import layout_page as draw

    found = dashboards_of(stack_dir)
    if name not in found:
        raise LookupError(
            f"no dashboard {name!r} in {stack_dir}; there are: {', '.join(found) or 'none'}"
        )
    return draw(json.loads((stack_dir / "cdk.tf.json").read_text()), found[name])


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from cdktf_restate.devtools import dashboard_preview

    try:
        if args.command == "layout":
            page = layout_page(args.stack, args.name)
        elif args.tab:
            page = dashboard_preview.preview_tab(args.state_dir, args.tab)
            page = f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{page}</body></html>'
        else:
            page = dashboard_preview.preview_page(args.state_dir)
    except (FileNotFoundError, LookupError) as error:
        print(f"cdktf-restate dashboard: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page)
    print(f"wrote {args.out}")
    if args.screenshot:
        from cdktf_restate.devtools.browser import BrowserMissing, screenshot

        try:
            screenshot(args.out, args.screenshot, args.width, args.height)
        except (BrowserMissing, RuntimeError) as error:
            print(f"cdktf-restate dashboard: {error}", file=sys.stderr)
            return 1
        print(f"wrote {args.screenshot}")
    return 0
