"""Headless Chromium (Debian package ``chromium``) for looking at rendered HTML.

Used by ``cdktf-restate dashboard preview --screenshot`` and the tests: a real browser lays the
page out, so a screenshot shows what an operator would see, and ``--dump-dom`` gives the DOM
after parsing (what the browser made of our markup, not our string).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_ENV = "CDKTF_RESTATE_CHROMIUM"
TIMEOUT_SECONDS = 60


class BrowserMissing(RuntimeError):
    pass


def find_chromium() -> str:
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing(
        "no headless Chromium found (tried chromium, chromium-browser, google-chrome); "
        f"install the Debian package `chromium` or set {CHROMIUM_ENV}"
    )


def _run(flags: list[str], page: Path) -> subprocess.CompletedProcess[str]:
    # A profile of its own per run: parallel runs never share a lock, nothing is left in $HOME.
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [
            find_chromium(),
            "--headless",
            "--no-sandbox",  # runs as root in CI containers, where the sandbox cannot start
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *flags,
            page.resolve().as_uri(),
        ]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"chromium exited {completed.returncode}: {last}")
    return completed


def screenshot(page: Path, out: Path, width: int = 1300, height: int = 900) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--screenshot={out.resolve()}", f"--window-size={width},{height}"], page)
    if not out.is_file() or out.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot to {out}")
    return out


def dump_dom(page: Path) -> str:
    return _run(["--dump-dom"], page).stdout
