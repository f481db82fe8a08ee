"""Controller image size: what a registry stores and a pull downloads, per architecture.

    .venv/bin/python bench/image_size.py [--build] [--arch amd64 --arch arm64]

Reads the OCI archives `cdktf-restate image build` wrote to build/controller-image/ (with
`--build`, builds them first). Prints the compressed layers (the download), the unpacked size,
and the largest parts of the image: the Debian base, restatectl, boto3 + botocore, our package.
"""

from __future__ import annotations

import argparse
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from cdktf_restate.devtools import image  # noqa: E402

PARTS = {
    "restatectl": ("usr/local/bin/restatectl",),
    "boto3 + botocore (pruned)": ("opt/restate-controller/lib/",),
    "restate_controller": ("opt/restate-controller/restate_controller/",),
}


def parts(archive: Path) -> dict[str, int]:
    """Unpacked bytes per part of the image (the rest is the base)."""
    sizes = dict.fromkeys([*PARTS, "Debian base (python3, ca-certificates)"], 0)
    with tarfile.open(archive) as oci:
        for member in oci.getmembers():
            if not member.name.startswith("blobs/") or member.size < 1024 * 1024:
                continue  # layers are the large blobs; configs and manifests are small
            blob = oci.extractfile(member)
            try:
                with tarfile.open(fileobj=blob) as layer:
                    entries = [entry for entry in layer if entry.isfile()]
            except tarfile.TarError:
                continue
            for entry in entries:
                name = entry.name.lstrip("./")
                part = next(
                    (key for key, prefixes in PARTS.items() if name.startswith(prefixes)),
                    "Debian base (python3, ca-certificates)",
                )
                sizes[part] += entry.size
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=sorted(image.NPM_ARCH))
    parser.add_argument("--build", action="store_true", help="build the images first")
    options = parser.parse_args(argv)
    tag = version("cdktf-restate")
    print(f"{'image':<46} {'compressed MB':>13} {'unpacked MB':>11}")
    breakdowns = []
    for arch in options.arch or ["amd64"]:
        if options.build:
            archive = image.build(arch).archive
        else:
            archive = image.OUTPUT / f"cdktf-restate-controller-{tag}-{arch}.oci.tar"
            if not archive.exists():
                print(f"{archive}: missing; run `cdktf-restate image build --arch {arch}`")
                return 1
        size = image.archive_size(archive)
        print(
            f"{image.IMAGE_NAME + ':' + tag + '-' + arch:<46} "
            f"{size.compressed_bytes / 1e6:>13.1f} {size.uncompressed_bytes / 1e6:>11.1f}"
        )
        breakdowns.append((arch, parts(archive)))
    for arch, sizes in breakdowns:
        print(f"\n{arch}, unpacked:")
        for part, size in sorted(sizes.items(), key=lambda item: -item[1]):
            print(f"  {part:<40} {size / 1e6:>7.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
