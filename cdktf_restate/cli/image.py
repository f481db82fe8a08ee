"""``cdktf-restate image build``: the controller image as an OCI archive (devtools/image.py)."""

from __future__ import annotations

import argparse
import sys

from cdktf_restate.devtools.image import NPM_ARCH, ImageBuildError, archive_size, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cdktf-restate image",
        description="Build the controller image offline with buildah and mmdebstrap (as root), "
        "from controller_image/Dockerfile, into build/controller-image/ (docs/controller-image.md).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="build and write an OCI archive")
    build_parser.add_argument(
        "--arch",
        action="append",
        choices=sorted(NPM_ARCH),
        help="amd64 (the default) and/or arm64; repeat for both",
    )
    build_parser.add_argument("--tag", help="image tag (default: the package version)")
    args = parser.parse_args(argv)
    try:
        for arch in args.arch or ["amd64"]:
            built = build(arch, tag=args.tag)
            size = archive_size(built.archive)
            print(
                f"{built.reference}: {built.archive} "
                f"({size.compressed_bytes / 1e6:.1f} MB compressed, "
                f"{size.uncompressed_bytes / 1e6:.1f} MB unpacked)"
            )
    except ImageBuildError as error:
        print(f"cdktf-restate image: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
