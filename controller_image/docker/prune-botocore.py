#!/usr/bin/env python3
"""Shrink a `pip install --target` of boto3 to what the controller loads, then byte-compile it.

Usage: prune-botocore.py <target dir> [service ...]   (services default to ecs, ec2 and sts)

botocore ships a model for every AWS service (about 30 MB, most of the image); the controller
creates `ecs` and `ec2` clients only (`sts` stays for role-assuming credential set-ups). boto3's resource models are unused (no boto3.resource).
The files are byte-compiled with unchecked hashes: the image's root file system is read-only,
so Python could not cache them at run time, and copying the files may change their times.
"""

from __future__ import annotations

import compileall
import py_compile
import shutil
import sys
from pathlib import Path

DEFAULT_SERVICES = ("ecs", "ec2", "sts")


def prune(target: Path, services: tuple[str, ...]) -> int:
    """Delete unused models; returns how many bytes were removed."""
    removed = 0
    models = target / "botocore" / "data"
    if not models.is_dir():
        raise SystemExit(f"prune-botocore: {models} is not a directory (is botocore installed?)")
    doomed = [path for path in models.iterdir() if path.is_dir() and path.name not in services]
    boto3_models = target / "boto3" / "data"
    if boto3_models.is_dir():
        doomed.append(boto3_models)
    for path in doomed:
        removed += sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
        shutil.rmtree(path)
    for service in services:
        if not (models / service).is_dir():
            raise SystemExit(f"prune-botocore: botocore has no model for {service!r}")
    return removed


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    target = Path(argv[0])
    services = tuple(argv[1:]) or DEFAULT_SERVICES
    removed = prune(target, services)
    ok = compileall.compile_dir(
        target,
        quiet=1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    print(f"prune-botocore: kept {', '.join(services)}; removed {removed / 1e6:.1f} MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
